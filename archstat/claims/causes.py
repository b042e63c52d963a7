"""The automatic causes ``verify`` tries by itself on a claim it cannot match, in the documented order.

Weights without biases; MACs against FLOPs (x2); 224 against 227 input; auxiliary heads in or out (the ``_aux``
sibling spec); batch-norm running statistics counted as parameters (Keras); a total that disagrees with the
source's own rows; a factor-of-ten slip; a rounded figure (equal to the claim's last non-zero digit and within 5%:
"60 million" for 60,965,224, but not "100M" for 138M). The alternatives a claim names itself (``because:``) are
in ``archstat.claims.because``.
"""

from __future__ import annotations

from fractions import Fraction

from archstat.claims.compute import Book, compute
from archstat.claims.store import Claim, Value
from archstat.claims.values import fmt_figure as _fmt
from archstat.core.graph import INPUT
from archstat.errors import ArchstatError


def _sig(value: Value) -> int:
    """Significant figures of the written value, up to its last non-zero digit."""
    n = value.number
    assert n is not None and value.coarse is not None  # only numbers are rounded
    if n == 0:
        return 1
    k = 0
    while value.coarse * 10**k <= abs(n):
        k += 1
    return max(k, 1)


def _rounding(v: Value, x) -> str:
    if v.truncates(x):
        return f"a truncated figure: {_fmt(x)} cut off to {v.text}"
    n = _sig(v)
    if abs(x - v.number) * 2 > v.coarse:  # not a rounding at the last non-zero digit: a cut there
        return f"a truncated figure: {_fmt(x)} cut off to {v.text} at {n} significant figure{'s' if n > 1 else ''}"
    return f"a rounded figure: {_fmt(x)} is {v.text} to {n} significant figure{'s' if n > 1 else ''}"


def _alternatives(claim: Claim, a, book: Book):
    """(value, reason) for each automatic cause except rows, ten and rounding, in the documented order."""
    q = claim.quantity
    index = book.layers(a)
    base = compute(claim, a, layers=index)
    if q == "params":
        w = compute(claim, a, "weights", index)
        yield w, f"the source counts weights without biases: {_fmt(w)}"
    if q == "weights":
        p = compute(claim, a, "params", index)
        yield p, f"the source counts biases too: {_fmt(p)}"
    if q == "macs" and base is not None:
        yield 2 * base, f"the source counts a multiply and an add as two FLOPs: 2 x {_fmt(base)} = {_fmt(2 * base)}"
    if q == "flops":
        macs = compute(claim, a, "macs", index)
        if macs is not None:
            yield macs, f"the source's FLOPs are multiply-accumulates (MACs): {_fmt(macs)}"
            yield 2 * macs, f"the source counts 2 FLOPs per MAC and nothing else: 2 x {_fmt(macs)} = {_fmt(2 * macs)}"
    hw = a.input_shape[1:]
    other = {(224, 224): 227, (227, 227): 224}.get(tuple(hw))
    if other and claim.input is None:
        b = book.get(claim.spec, (a.input_shape[0], other, other))
        if not isinstance(b, ArchstatError):
            try:
                v = compute(claim, b, layers=book.layers(b))
            except KeyError:
                v = None
            if v is not None:
                yield v, f"at a {other}x{other} input (the spec uses {hw[0]}x{hw[1]}): {_fmt(v)}"
    if not claim.layer:
        sib = claim.spec[:-4] if claim.spec.endswith("_aux") else claim.spec + "_aux"
        if book.spec_exists(sib):
            b = book.get(sib, claim.input)
            if not isinstance(b, ArchstatError):
                v = compute(claim, b, layers=book.layers(b))
                what = "without" if claim.spec.endswith("_aux") else "with"
                yield v, f"{what} the auxiliary heads (spec {sib}): {_fmt(v)}"
    if q in ("params", "weights"):
        stats = 0 if claim.layer == INPUT else index.sums(claim.layer).stats if claim.layer else index.network_stats()
        if stats:
            yield base + stats, (f"Keras counts batch-norm moving mean and variance as (non-trainable) parameters: "
                                 f"{_fmt(base)} + {_fmt(stats)} = {_fmt(base + stats)}")


def _rows_total(claim: Claim, claims: list[Claim], book: Book | None = None):
    """Sum and tolerance of the claimed rows this total is the total of (same spec; activations scaled to bytes),
    from the rows indexed by group once per list of claims, each (group, spec, quantity) summed once."""
    by_group, done = (book or Book()).rows(claims)
    key = (claim.total_of, claim.spec, claim.quantity)
    if key not in done:
        done[key] = _sum_rows(claim, by_group.get((claim.total_of, claim.spec), ()))
    return done[key]


def _sum_rows(claim: Claim, rows):
    total, tol, n = Fraction(0), Fraction(0), 0
    for c in rows:
        factor = 1
        if c.quantity != claim.quantity:
            if (c.quantity, claim.quantity) == ("activations", "activation_bytes"):
                factor = 4
            else:
                continue
        total += c.value.number * factor
        tol += c.value.unit * factor / 2
        n += 1
    return (total, tol, n) if n else None

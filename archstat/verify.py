"""``archstat verify``: every claim recomputed from its spec, with a verdict.

- ``match``: the computed figure rounds to the claim as written ("35K" for 34,944; "15.47G" for 15,470,264,320).
- ``explained``: it does not, but it does under one named convention or slip that this module finds by itself
  (the ``CAUSES`` below, tried in that order, alone or with a rounded figure), or the claim carries its own
  ``explanation`` (shown as written by hand).
- ``mismatch``: none of these. ``archstat verify`` then exits with 1, so CI fails when a spec drifts.

Automatic causes: weights without biases; MACs against FLOPs (x2); 224 against 227 input; auxiliary heads in or
out (the ``_aux`` sibling spec); batch-norm running statistics counted as parameters (Keras); a total that
disagrees with the source's own rows; a factor-of-ten slip; a rounded figure (equal to the claim's last non-zero
digit and within 5%: "60 million" for 60,965,224, but not "100M" for 138M).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .claims import Claim, Value
from .errors import ArchstatError
from .graph import INPUT

MATCH, EXPLAINED, MISMATCH = "match", "explained", "mismatch"
VERDICTS = (MATCH, EXPLAINED, MISMATCH)


@dataclass
class Result:
    claim: Claim
    computed: object  # int, tuple (shape, in the claim's order), or None when it cannot be computed
    verdict: str
    explanation: str

    def as_dict(self) -> dict:
        c = self.claim
        comp = list(self.computed) if isinstance(self.computed, tuple) else self.computed
        return {"spec": c.spec, "layer": c.layer, "quantity": c.quantity, "claimed": c.value.text,
                "computed": comp, "verdict": self.verdict, "explanation": self.explanation, "source": c.source,
                "convention": c.convention, "group": c.group, "claim_file": c.where}


class Book:
    """Analyses by (spec, input), computed once."""

    def __init__(self):
        self._cache: dict = {}

    def get(self, spec: str, input_shape=None):
        key = (spec, input_shape)
        if key not in self._cache:
            from . import analyze

            try:
                self._cache[key] = analyze(spec, input=input_shape)
            except ArchstatError as e:
                self._cache[key] = e
        return self._cache[key]


# ------------------------------------------------------------------------------------------------- computing
def _select(a, layer: str):
    rs = [r for r in a.layers if r.name == layer]
    if not rs:
        rs = [r for r in a.layers if r.name.startswith(layer + ".")]
    if not rs:
        ends = [r for r in a.layers if r.name.endswith("." + layer)]
        if len(ends) == 1:
            rs = ends
    if not rs:
        raise KeyError(layer)
    return rs


def _field_size(field):
    from .layers.base import GLOBAL

    if field is None:
        return None
    if field is GLOBAL:
        return None
    h, w = field.size
    return int(h) if h == w else (int(h), int(w))


def compute(claim: Claim, a, quantity: str | None = None):
    """The figure ``claim`` is about, from analysis ``a`` (``quantity`` overrides the claim's)."""
    q = quantity or claim.quantity
    if claim.layer == INPUT:
        from .layers.base import elems

        vals = {"output_shape": a.input_shape, "activations": elems(a.input_shape),
                "activation_bytes": 4 * elems(a.input_shape), "params": 0, "weights": 0, "macs": 0, "flops": 0}
        if q not in vals:
            raise KeyError(q)
        return vals[q]
    if claim.layer:
        rs = _select(a, claim.layer)
        last = rs[-1]
        if q == "params":
            return sum(r.n_params for r in rs)
        if q == "weights":
            return sum(r.weights for r in rs)
        if q in ("macs", "flops"):
            vals = [getattr(r, q) for r in rs]
            return None if any(v is None for v in vals) else sum(vals)
        if q == "activations":
            return last.activations
        if q == "activation_bytes":
            return last.activations * 4
        if q == "output_shape":
            return last.output_shape
        if q == "receptive_field":
            return _field_size(last.field)
        raise KeyError(q)
    t = a.totals
    if q == "output_shape":
        return a.layers[-1].output_shape
    if q == "receptive_field":
        return _field_size(t.field)
    if q == "activation_bytes":
        return t.activations * 4
    if q in ("macs", "flops") and getattr(t, f"unknown_{q}"):
        return None
    return getattr(t, q)


def _shape_as_claimed(shape: tuple, claim: Claim) -> tuple:
    if len(shape) == 3 and claim.order == "hwc":
        return (shape[1], shape[2], shape[0])
    return tuple(shape)


def _shape_matches(computed: tuple, claim: Claim) -> bool:
    want = claim.value.shape
    if len(want) == 3 and claim.order == "hwc":
        want_chw = (want[2], want[0], want[1])
    else:
        want_chw = tuple(want)
    if len(computed) == 1:  # a flat vector: "4096", "1x1x4096", a column "3072 x 1"
        return sorted(want_chw)[-1] == computed[0] and all(d == 1 for d in sorted(want_chw)[:-1])
    if len(want_chw) == 1:  # "96" or "55": the channels, or the side of a square map ((227-11)/4+1 = 55)
        return want_chw[0] == computed[0] or want_chw[0] == computed[1] == computed[2]
    if len(want_chw) == 2:  # "55x55": height and width only
        return tuple(computed[1:]) == want_chw
    return tuple(computed) == want_chw


# ------------------------------------------------------------------------------------------------- causes
def _fmt(v) -> str:
    if isinstance(v, tuple):
        return "x".join(map(str, v))
    if isinstance(v, Fraction):
        v = float(v) if v.denominator != 1 else int(v)
    if isinstance(v, float):
        return f"{v:,.4g}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _sig(value: Value) -> int:
    """Significant figures of the written value, up to its last non-zero digit."""
    n = value.number
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
    return f"a rounded figure: {_fmt(x)} is {v.text} to {n} significant figure{'s' if n > 1 else ''}"


def _alternatives(claim: Claim, a, book: Book):
    """(value, reason) for each automatic cause except rows, ten and rounding, in the documented order."""
    q = claim.quantity
    base = compute(claim, a)
    if q == "params":
        w = compute(claim, a, "weights")
        yield w, f"the source counts weights without biases: {_fmt(w)}"
    if q == "weights":
        p = compute(claim, a, "params")
        yield p, f"the source counts biases too: {_fmt(p)}"
    if q == "macs" and base is not None:
        yield 2 * base, f"the source counts a multiply and an add as two FLOPs: 2 x {_fmt(base)} = {_fmt(2 * base)}"
    if q == "flops":
        macs = compute(claim, a, "macs")
        if macs is not None:
            yield macs, f"the source's FLOPs are multiply-accumulates (MACs): {_fmt(macs)}"
            yield 2 * macs, f"the source counts 2 FLOPs per MAC and nothing else: 2 x {_fmt(macs)} = {_fmt(2 * macs)}"
    hw = a.input_shape[1:]
    other = {(224, 224): 227, (227, 227): 224}.get(tuple(hw))
    if other and claim.input is None:
        b = book.get(claim.spec, (a.input_shape[0], other, other))
        if not isinstance(b, ArchstatError):
            try:
                v = compute(claim, b)
            except KeyError:
                v = None
            if v is not None:
                yield v, f"at a {other}x{other} input (the spec uses {hw[0]}x{hw[1]}): {_fmt(v)}"
    if not claim.layer:
        sib = claim.spec[:-4] if claim.spec.endswith("_aux") else claim.spec + "_aux"
        from .catalog import specs_dir

        if (specs_dir() / f"{sib}.yaml").exists():
            b = book.get(sib, claim.input)
            if not isinstance(b, ArchstatError):
                v = compute(claim, b)
                what = "without" if claim.spec.endswith("_aux") else "with"
                yield v, f"{what} the auxiliary heads (spec {sib}): {_fmt(v)}"
    if q in ("params", "weights"):
        stats = sum(r.buffers.get("running_mean", 0) + r.buffers.get("running_var", 0)
                    for r in (_select(a, claim.layer) if claim.layer else a.layers))
        if stats:
            yield base + stats, (f"Keras counts batch-norm moving mean and variance as (non-trainable) parameters: "
                                 f"{_fmt(base)} + {_fmt(stats)} = {_fmt(base + stats)}")


def _rows_total(claim: Claim, claims: list[Claim]):
    """Sum and tolerance of the claimed rows this total is the total of (same spec; activations scaled to bytes)."""
    total, tol, n = Fraction(0), Fraction(0), 0
    for c in claims:
        if c.group != claim.total_of or c.spec != claim.spec or c.total_of or c.value.number is None:
            continue
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


def judge(claim: Claim, book: Book, claims: list[Claim]) -> Result:
    r = _judge(claim, book, claims)
    if r.verdict == EXPLAINED and claim.explanation and not r.explanation.startswith("by hand"):
        r.explanation += f" (the claim adds: {claim.explanation})"
    return r


def _judge(claim: Claim, book: Book, claims: list[Claim]) -> Result:
    a = book.get(claim.spec, claim.input)
    if isinstance(a, ArchstatError):
        return Result(claim, None, MISMATCH, f"cannot compute: {a}")
    try:
        c = compute(claim, a)
    except KeyError:
        return Result(claim, None, MISMATCH, f"cannot compute: spec {claim.spec} has no layer '{claim.layer}'")
    if c is None:
        return Result(claim, None, MISMATCH, "cannot compute: the spec leaves this figure unknown")
    v = claim.value
    if claim.quantity == "output_shape":
        shown = _shape_as_claimed(c, claim)
        if _shape_matches(c, claim):
            return Result(claim, shown, MATCH, "")
        for alt, why in _alternatives(claim, a, book):
            if isinstance(alt, tuple) and _shape_matches(alt, claim):
                return Result(claim, shown, EXPLAINED, why.replace(_fmt(alt), _fmt(_shape_as_claimed(alt, claim))))
        return _unexplained(claim, shown, f"computed {_fmt(shown)}")
    if isinstance(c, tuple):  # a non-square receptive field
        return _unexplained(claim, c, f"computed {_fmt(c)} (not square)")
    if v.matches(c):
        return Result(claim, c, MATCH, "")
    alts = [(x, why) for x, why in _alternatives(claim, a, book) if isinstance(x, (int, Fraction))]
    for x, why in alts:
        if v.matches(x):
            return Result(claim, c, EXPLAINED, why)
    if claim.total_of:
        rows = _rows_total(claim, claims)
        if rows:
            total, tol, n = rows
            # the claimed total is neither its rows' sum nor a rounding of it, and the rows agree with archstat
            if not v.matches(total, coarse=True) and abs(total - c) <= tol + v.unit / 2:
                return Result(claim, c, EXPLAINED,
                              f"a total that disagrees with its own rows: the source's {n} rows sum to "
                              f"{_fmt(total)}, not {v.text}; archstat computes {_fmt(c)}")
    for k in (1, -1, 2, -2, 3, -3):
        x = c * Fraction(10) ** k
        if v.matches(x) or v.matches(x, coarse=True):
            return Result(claim, c, EXPLAINED,
                          f"a factor-of-ten slip: {v.text} is {_fmt(Fraction(10) ** k)} x the computed {_fmt(c)}")
    if v.matches(c, coarse=True):
        return Result(claim, c, EXPLAINED, _rounding(v, c))
    for x, why in alts:
        if v.matches(x, coarse=True):
            return Result(claim, c, EXPLAINED, f"{why}; {_rounding(v, x)}")
    return _unexplained(claim, c, f"computed {_fmt(c)}")


def _unexplained(claim: Claim, computed, what: str) -> Result:
    if claim.explanation:
        return Result(claim, computed, EXPLAINED, f"by hand (in the claim): {claim.explanation}")
    return Result(claim, computed, MISMATCH, f"{what}; no known cause")


def verify(specs: list[str] | None = None, claims: list[Claim] | None = None) -> list[Result]:
    from .claims import load_all

    every = claims if claims is not None else load_all()
    chosen = [c for c in every if not specs or c.spec in specs]
    book = Book()
    return [judge(c, book, every) for c in chosen]


def counts(results: list[Result]) -> dict:
    return {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}

"""``archstat verify``: every claim recomputed from its spec, with a verdict.

- ``match``: the computed figure rounds to the claim as written ("35K" for 34,944; "15.47G" for 15,470,264,320).
- ``explained``: it does not, but a computed alternative does: the one the claim names (``because:``, a closed
  vocabulary of computations over the specs, ``archstat.claims.because``), or one of the automatic causes this
  module tries by itself (``archstat.claims.causes``), alone or with a rounded figure. The verdict says which
  alternative and what it computes. Free text in a claim (``explanation``) describes; it never explains.
- ``mismatch``: no computation reproduces the figure. ``archstat verify`` then exits with 1, so CI fails when a
  spec drifts, unless the claim file acknowledges the mismatch as an error of its source, pinned to archstat's
  figure (``source_error:``, ``archstat.claims.errata``); it is still a mismatch in every output.

Automatic causes: weights without biases; MACs against FLOPs (x2); 224 against 227 input; auxiliary heads in or
out (the ``_aux`` sibling spec); batch-norm running statistics counted as parameters (Keras); a total that
disagrees with the source's own rows; a factor-of-ten slip; a rounded figure (equal to the claim's last non-zero
digit and within 5%: "60 million" for 60,965,224, but not "100M" for 138M).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from archstat.claims import because as named
from archstat.claims.causes import _alternatives, _fmt, _rounding, _rows_total
from archstat.claims.compute import Book, _Layers, _shape_as_claimed, _shape_matches, compute  # noqa: F401
from archstat.claims.store import Claim
from archstat.claims.values import fmt_figure
from archstat.errors import ArchstatError, SpecError
from archstat.io.limits import MAX_CLAIMS

MATCH, EXPLAINED, MISMATCH = "match", "explained", "mismatch"
VERDICTS = (MATCH, EXPLAINED, MISMATCH)


@dataclass
class Result:
    claim: Claim
    computed: object  # int, tuple (shape, in the claim's order), or None when it cannot be computed
    verdict: str
    explanation: str
    acknowledged: bool = False  # a mismatch the claim file acknowledges as its source's error (claims.errata)

    def as_dict(self) -> dict:
        c = self.claim
        comp = list(self.computed) if isinstance(self.computed, tuple) else self.computed
        return {"spec": c.spec, "layer": c.layer, "quantity": c.quantity, "claimed": c.value.text,
                "computed": comp, "verdict": self.verdict, "acknowledged": self.acknowledged, "explanation": self.explanation, "source": c.source,
                "convention": c.convention, "group": c.group, "claim_file": c.where}


def judge(claim: Claim, book: Book, claims: list[Claim]) -> Result:
    try:
        r = _judge(claim, book, claims)
    except ArchstatError as e:  # a bound of the whole run: name the claim that crossed it
        raise e.located(file=claim.file, line=claim.line) from None
    if r.verdict == EXPLAINED and claim.explanation:
        r.explanation += f" (the claim adds: {claim.explanation})"
    return _acknowledge(r) if claim.source_error is not None else r


def computed_text(r: Result) -> str:
    """The computed figure as verdicts print it (``fmt_figure``); ``?`` when it cannot be computed."""
    return "?" if r.computed is None else fmt_figure(r.computed)


def _acknowledge(r: Result) -> Result:
    """A claim marked ``source_error``: its mismatch acknowledged while archstat computes the pinned figure; the
    mark itself a mismatch once it no longer holds (the figure moved, or the claim now matches or is explained)."""
    err = r.claim.source_error
    assert err is not None
    got = computed_text(r)
    if r.verdict != MISMATCH:
        return Result(r.claim, r.computed, MISMATCH,
                      f"marked as a source error, but the claim is now {r.verdict}"
                      f"{': ' + r.explanation if r.explanation else ''}; drop 'source_error'")
    if not err.holds(got):
        return Result(r.claim, r.computed, MISMATCH,
                      f"{r.explanation}; the source_error mark pins archstat's figure at {err.pinned}, but archstat "
                      f"now computes {got}: a spec changed")
    return Result(r.claim, r.computed, MISMATCH, f"{r.explanation}; acknowledged as the source's error: {err.why}",
                  acknowledged=True)


def _because(claim: Claim) -> named.Because:
    assert claim.because is not None  # called only for a claim that names an alternative
    return claim.because


def _named(claim: Claim, book: Book):
    """(figure, the verdict text) of the alternative the claim names, or (None, why it gives none)."""
    b = _because(claim)
    try:
        x = named.value(claim, b, book)
    except named.NoFigure as e:
        return None, f"the claim's alternative cannot be computed: {e}"
    return x, None


def _judge(claim: Claim, book: Book, claims: list[Claim]) -> Result:
    a = book.get(claim.spec, claim.input)
    if isinstance(a, ArchstatError):
        return Result(claim, None, MISMATCH, f"cannot compute: {a}")
    try:
        c = compute(claim, a, layers=book.layers(a))
    except KeyError:
        return Result(claim, None, MISMATCH, f"cannot compute: spec {claim.spec} has no layer '{claim.layer}'")
    if c is None:
        return Result(claim, None, MISMATCH, "cannot compute: the spec leaves this figure unknown")
    v = claim.value
    got, _failed = _named(claim, book) if claim.because is not None else (None, None)
    if claim.quantity == "output_shape":
        shown = _shape_as_claimed(c, claim)
        if _shape_matches(c, claim):
            return Result(claim, shown, MATCH, "")
        if isinstance(got, tuple) and _shape_matches(got, claim):
            alt = _shape_as_claimed(got, claim)
            return Result(claim, shown, EXPLAINED, named.describe(claim, _because(claim), got, alt))
        for alt, why in _alternatives(claim, a, book):
            if isinstance(alt, tuple) and _shape_matches(alt, claim):
                return Result(claim, shown, EXPLAINED, why.replace(_fmt(alt), _fmt(_shape_as_claimed(alt, claim))))
        return _unexplained(claim, shown, f"computed {_fmt(shown)}", book)
    if isinstance(c, tuple):  # a non-square receptive field
        return _unexplained(claim, c, f"computed {_fmt(c)} (not square)", book)
    if v.matches(c):
        return Result(claim, c, MATCH, "")
    if v.below:  # a bound the figure breaks: no cause excuses it
        return _unexplained(claim, c, f"computed {_fmt(c)}, not under {_fmt(v.number)}", book)
    if isinstance(got, (int, Fraction)):
        x = named.compared(claim, _because(claim), got)
        if v.matches(x):
            return Result(claim, c, EXPLAINED, named.describe(claim, _because(claim), got))
        if v.matches(x, coarse=True):
            return Result(claim, c, EXPLAINED,
                          f"{named.describe(claim, _because(claim), got)}; {_rounding(v, x)}")
    alts = [(x, why) for x, why in _alternatives(claim, a, book) if isinstance(x, (int, Fraction))]
    for x, why in alts:
        if v.matches(x):
            return Result(claim, c, EXPLAINED, why)
    if claim.total_of:
        rows = _rows_total(claim, claims, book)
        if rows:
            total, tol, n = rows
            # the claimed total is neither its rows' sum nor a rounding of it, and the rows agree with archstat
            if not v.matches(total, coarse=True) and v.unit is not None and abs(total - c) <= tol + v.unit / 2:
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
    return _unexplained(claim, c, f"computed {_fmt(c)}", book)


def _unexplained(claim: Claim, computed, what: str, book: Book | None = None) -> Result:
    """A mismatch: no computation reproduces the figure. Free text never changes that; the alternative the claim
    names is shown with what it computes."""
    why = f"{what}; no known cause"
    if claim.because is not None and book is not None:
        got, failed = _named(claim, book)
        if failed:
            why += f"; {failed}"
        else:
            shown = _shape_as_claimed(got, claim) if isinstance(got, tuple) else got
            why += f"; the claim's alternative does not reproduce it: {named.describe(claim, _because(claim), got, shown)}"
    return Result(claim, computed, MISMATCH, why)


def verify(specs: list[str] | None = None, claims: list[Claim] | None = None) -> list[Result]:
    """Every claim (default: the built-in ``specs/claims/``) about ``specs`` (default: all), judged, as one run.
    At most ``MAX_CLAIMS`` claims; each spec read and compiled once, analysed once per input, each layer name
    looked up once per analysis."""
    from archstat.claims.store import load_all
    from archstat.io.run import scope

    with scope():
        every = claims if claims is not None else load_all()
        if len(every) > MAX_CLAIMS:
            c = every[MAX_CLAIMS]
            raise SpecError(f"more than {MAX_CLAIMS:,} claims to verify (the limit)", file=c.file, line=c.line)
        wanted = set(specs) if specs else None
        chosen = [c for c in every if wanted is None or c.spec in wanted]
        book = Book()
        return [judge(c, book, every) for c in chosen]


def counts(results: list[Result]) -> dict:
    """Claims per verdict, and (``acknowledged``) the mismatches acknowledged as their source's errors."""
    n = {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}
    n["acknowledged"] = sum(1 for r in results if r.acknowledged)
    return n


def failing(results: list[Result], strict: bool = False) -> list[Result]:
    """The mismatches that fail ``archstat verify``: those not acknowledged (all of them with ``strict``)."""
    return [r for r in results if r.verdict == MISMATCH and (strict or not r.acknowledged)]

"""A spec's own ``expect:`` header checked: each figure recomputed and compared, a verdict per figure as ``archstat
verify`` prints claims (``match``, or ``mismatch`` on drift, which makes ``verify`` exit 1). The header is read and
checked with the spec (``archstat.language.expect``); this module only compares.
"""

from __future__ import annotations

from fractions import Fraction

from archstat.claims.store import Claim
from archstat.claims.values import Value
from archstat.claims.verify import MATCH, MISMATCH, Result
from archstat.language.expect import Expectation

SOURCE = "the spec's expect: header"


def expectations(spec: str, quiet: bool = False) -> list[Result]:
    """The verdicts of ``spec``'s ``expect:`` header (none without one). A spec that does not load is an error,
    unless ``quiet`` (the claims about it report that themselves)."""
    from archstat.errors import ArchstatError
    from archstat.language.catalog import load_graph

    try:
        graph = load_graph(spec)
    except ArchstatError:
        if quiet:
            return []
        raise
    return check(spec, graph) if graph.meta.get("expect") else []


def check(spec: str, graph) -> list[Result]:
    """Every figure of ``graph``'s ``expect:`` against the analysis at the spec's own input, batch 1, float32."""
    from archstat.core.engine import analyze

    t = analyze(graph).totals
    figures = {
        "params": t.params, "trainable_params": t.trainable_params, "weights": t.weights, "buffers": t.buffers,
        "macs": None if t.unknown_macs else t.macs, "flops": None if t.unknown_flops else t.flops,
        "activations": t.activations, "activation_bytes": t.activation_bytes,
        "peak_activation_bytes": t.peak_activation_bytes, "param_bytes": t.param_bytes,
        "weight_layers": t.weight_layers, "depth": t.depth,
    }
    return [_judge(spec, graph.file, e, figures[e.quantity]) for e in graph.meta["expect"]]


def _judge(spec: str, file: str, e: Expectation, got) -> Result:
    claim = Claim(spec=spec, quantity=e.quantity, value=Value(e.shown, e.value), source=SOURCE, file=file,
                  line=e.line)
    if got is None:
        return Result(claim, None, MISMATCH, "cannot compute: the spec leaves this figure unknown (a kind without "
                                             "counts); it is a lower bound")
    diff = Fraction(got) - e.value
    rel = f" ({float(diff / e.value):+.3%})" if e.value else ""
    expected = _fmt(e.value)
    if e.tolerance is not None:
        lo, hi = e.value - e.allowed, e.value + e.allowed
        expected += f" ± {e.tolerance_text} ({_fmt(lo)} to {_fmt(hi)})"
    if e.holds(got):
        return Result(claim, got, MATCH, "" if not diff else f"within tolerance: {_fmt(diff, sign=True)}{rel}")
    return Result(claim, got, MISMATCH, f"drift: expected {expected}, computed {got:,}, off by "
                                        f"{_fmt(diff, sign=True)}{rel}")


def _fmt(x: Fraction, sign: bool = False) -> str:
    """An exact figure: 1,820,000,000, or with decimals where it has them (1,801,800,000.5)."""
    s = "+" if sign and x > 0 else ""
    if x.denominator == 1:
        return f"{s}{int(x):,}"
    return f"{s}{float(x):,.6g}" if abs(x) < 1000 else f"{s}{float(x):,.1f}"

"""Symbolic sizes, the analysis: every layer's rules run on ``Sym`` values through the engine's own walk
(``core.walk``), then the closed forms are finished (the assumptions' substitutions, nested floors flattened), the
totals summed by the engine's activation rule, and the conditions recorded by comparisons simplified."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sympy as sp

from archstat.core.symbolic.assumptions import Assumption, _substitution, resolve_assumptions
from archstat.core.symbolic.expressions import _LOG, Sym, _built, _charge, _evaluating, _flat, _ops, _reset
from archstat.core.walk import activation, stored, walk, where
from archstat.errors import ArchstatError, ShapeError, SpecError, UsageError
from archstat.io.limits import MAX_DIM, MAX_SYMBOLIC_OPS
from archstat.io.run import scope
from archstat.language.numbers import clip


@dataclass
class SymLayer:
    name: str
    kind: str
    output_shape: tuple
    params: object
    macs: object
    flops: object
    activations: object


@dataclass
class SymAnalysis:
    name: str
    input_shape: tuple  # sympy expressions / ints
    symbols: dict  # name -> sympy Symbol
    sample: dict  # name -> the concrete value the comparisons were decided at
    layers: list[SymLayer]
    totals: dict
    conditions: list = field(default_factory=list)  # sympy relations the results assume
    assumptions: list = field(default_factory=list)

    def as_dict(self) -> dict:
        s = lambda e: str(e)
        return {
            "name": self.name, "input": [s(d) for d in self.input_shape], "symbols": list(self.symbols),
            "sample": self.sample, "assumptions": self.assumptions,
            "valid_where": [s(c) for c in self.conditions],
            "layers": [{"name": r.name, "kind": r.kind, "output_shape": [s(d) for d in r.output_shape],
                        "params": s(r.params), "macs": s(r.macs), "flops": s(r.flops),
                        "activations": s(r.activations)} for r in self.layers],
            "totals": {k: s(v) for k, v in self.totals.items()},
        }


def _expr(v):
    if isinstance(v, Sym):
        return v.e
    return sp.Integer(v) if isinstance(v, int) else sp.nsimplify(v)


_SYMPY_FAILURES = (RecursionError, OverflowError, ValueError, ZeroDivisionError)  # what sympy raises on hostile input


def _why(e: BaseException) -> str:
    if isinstance(e, RecursionError):
        return "the expressions nest too deeply"
    if isinstance(e, OverflowError):
        return "a number grows too large"
    return clip(" ".join(str(e).split()) or type(e).__name__, 120)


def analyze_symbolic(graph, dims: list, assumptions: Iterable[Assumption] = (), batch: int = 1) -> SymAnalysis:
    """Run every layer's rules on symbols. ``dims``: the input as ints and symbol names, e.g. [3, 'H', 'W']. The
    work is charged to the run's budget (``MAX_SYMBOLIC_WORK``); any closed form longer than ``MAX_SYMBOLIC_OPS``
    operations is refused, naming its layer."""
    with scope():
        try:
            return _analyze(graph, dims, list(assumptions), batch)
        finally:
            _reset()  # let go of this analysis's expressions


def _analyze(graph, dims, assumptions, batch) -> SymAnalysis:
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise UsageError(f"batch must be at least 1, got {batch}")
    if batch > MAX_DIM:
        raise UsageError(f"batch must be at most {MAX_DIM:,}, got {batch:,}")
    base = list(graph.input_shape)
    dims = list(dims)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, (int, str)) or (isinstance(d, int) and not 1 <= d <= MAX_DIM):
            raise UsageError(f"--input: a dimension must be a symbol or an integer from 1 to {MAX_DIM:,}, got {d!r}")
    if len(dims) == 1 and len(base) == 3:  # "S": a square S x S input, the spec's channels
        dims = [base[0], dims[0], dims[0]]
    elif len(dims) < len(base):  # "HxW": keep the spec's channels
        dims = base[: len(base) - len(dims)] + list(dims)
    if len(dims) != len(base):
        raise UsageError(f"--input has {len(dims)} dimensions; the spec's input {base} has {len(base)}")
    names = [d for d in dims if isinstance(d, str)]
    rep, sizes = resolve_assumptions(assumptions, names)  # W == H: W is H; checked for contradictions
    symbols = {n: sp.Symbol(n, integer=True, positive=True) for n in dict.fromkeys(names)}
    sample = {}
    for d, b in zip(dims, base):  # the sample: the spec's own size, moved up to satisfy the assumptions
        if isinstance(d, str) and rep[d] == d and d not in sample:
            z = sizes[d]
            v = max(b, z.minimum)
            v += (z.residue - v) % z.modulus
            if v > MAX_DIM:  # the spec's size is near the limit: the smallest size that fits (there is one)
                v = z.minimum + (z.residue - z.minimum) % z.modulus
            sample[d] = v
    for n in symbols:
        sample[n] = sample[rep[n]]
    inp = [Sym(symbols[rep[d]], sample[rep[d]]) if isinstance(d, str) else d for d in dims]
    _reset()

    def step(node, ins):
        layer = node.layer
        _adaptive_windows(layer, ins)
        out = tuple(layer.output_shape(ins))
        for d in out:
            if d < 1:
                raise ShapeError(f"{node.kind}: output has a size below 1 at the sample input {sample}")
        params = sum(layer.params(ins).values(), 0)
        macs, flops = layer.macs(ins, out), layer.flops(ins, out)
        acts = activation(layer, out, batch)[0]  # elements: symbolic sizes are counted in elements
        return out, SymLayer(node.name, node.kind, out, params, macs, flops, acts)

    def failure(node, e, shapes):
        if isinstance(e, (TypeError, *_SYMPY_FAILURES)) and not isinstance(e, ArchstatError):
            return SpecError(f"{node.kind}: no closed form in symbolic sizes ({_why(e)})", **where(graph, node))
        return None  # an ArchstatError: located at the node by the walk

    layers = walk(graph, tuple(inp), step, failure)
    try:
        return _finish(graph, layers, symbols, sample, rep, sizes, assumptions, inp, batch)
    except _SYMPY_FAILURES as e:
        raise SpecError(f"no closed form in symbolic sizes ({_why(e)})", file=graph.file) from None


def _adaptive_windows(layer, ins) -> None:
    """Adaptive pooling over a symbolic size sums its windows one by one, 8 operations a window after the first:
    refuse before the loop when that sum would be longer than MAX_SYMBOLIC_OPS (an output of 2**31 was a loop of
    2**31 sympy steps)."""
    from archstat.layers.adaptive_pool import AdaptiveAvgPool

    if not isinstance(layer, AdaptiveAvgPool) or not ins or len(ins[0]) != 3:
        return
    out = layer.output_shape(ins)
    for axis, n, o in zip("HW", ins[0][1:], out[1:]):
        if isinstance(n, Sym) and isinstance(o, int) and 8 * (o - 1) > MAX_SYMBOLIC_OPS:
            raise SpecError(f"{layer.kind}: {o:,} windows over the symbolic {'height' if axis == 'H' else 'width'} "
                            f"{n}: the sum of their lengths takes 8 operations a window, more than the limit of "
                            f"{MAX_SYMBOLIC_OPS:,} in one closed form; give a number for this dimension")


def _finish(graph, layers, symbols, sample, rep, sizes, assumptions, inp, batch) -> SymAnalysis:
    """The closed forms after the assumptions' substitutions, each within MAX_SYMBOLIC_OPS; totals; conditions."""
    subst = _substitution(symbols, rep, sizes, assumptions)

    def fin(v, what="an expression"):
        return _built(_final(_expr(v), subst), what)

    out_layers = []
    for r, node in zip(layers, graph.nodes):
        try:
            out_layers.append(SymLayer(
                r.name, r.kind, tuple(fin(d, "its output size") for d in r.output_shape), fin(r.params, "its parameters"),
                None if r.macs is None else fin(r.macs * batch, "its MACs"),
                None if r.flops is None else fin(r.flops * batch, "its FLOPs"), fin(r.activations, "its activations")))
        except ArchstatError as e:
            raise e.located(file=node.file or graph.file, line=node.line, layer=r.name) from None
        except _SYMPY_FAILURES as e:
            raise SpecError(f"{r.kind}: no closed form in symbolic sizes ({_why(e)})", file=node.file or graph.file,
                            line=node.line, layer=r.name) from None

    def total(terms, what, factor=1):
        terms = [_expr(t) for t in terms]
        _charge(len(terms))
        try:
            return fin(sp.Add(*terms) * factor, f"the total {what}")
        except ArchstatError as e:
            raise e.located(file=graph.file) from None

    totals = {
        "params": total([r.params for r in layers], "parameters"),
        "macs": total([r.macs for r in layers if r.macs is not None], "MACs", batch),
        "flops": total([r.flops for r in layers if r.flops is not None], "FLOPs", batch),
        "activations": total(stored(inp, batch, ((n.layer, r.activations) for r, n in zip(layers, graph.nodes))),
                             "activations"),
    }
    conds = []
    for c in dict.fromkeys(_LOG):
        try:
            conds.append(_built(_final(c, subst), "a condition"))
        except ArchstatError as e:
            raise e.located(file=graph.file) from None
    conds = _simplify_conditions(conds)
    return SymAnalysis(graph.name, tuple(fin(d) if isinstance(d, Sym) else d for d in inp), symbols, sample,
                       out_layers, totals, conds, [a.text for a in assumptions])


def _lower_bound(c):
    """(symbol, n) when ``c`` says symbol >= n: floor(a*s + b) + k >= m, or the same without the floor."""
    if not isinstance(c, (sp.GreaterThan, sp.StrictGreaterThan)):
        return None
    lhs, rhs = c.lhs - c.rhs, 0
    strict = isinstance(c, sp.StrictGreaterThan)
    const, rest = lhs.as_independent(*lhs.free_symbols, as_Add=True)
    if not const.is_Integer:
        return None
    if isinstance(rest, sp.floor):  # floor(u) >= n  <=>  u >= n  (n an integer)
        rest = rest.args[0]
    syms = rest.free_symbols
    if len(syms) != 1 or not rest.is_polynomial() or sp.degree(rest, *syms) != 1:
        return None
    (sym,) = syms
    a = rest.coeff(sym)
    b = rest - a * sym
    if not (a.is_Rational and a > 0 and b.is_Rational):
        return None
    bound = (rhs - const - b) / a  # sym >= bound (or >)
    n = sp.floor(bound) + 1 if strict else sp.ceiling(bound)
    return sym, int(n)


def _simplify_conditions(conds) -> list:
    """Lower bounds per symbol merged into one ``S >= n`` each; anything else kept as it is."""
    lows: dict = {}
    other = []
    for c in conds:
        if c in (sp.true, True):
            continue
        _charge(1 + _ops(c))
        lb = _lower_bound(c)
        if lb:
            sym, n = lb
            lows[sym] = max(lows.get(sym, 1), n)
        elif c not in other:
            other.append(c)
    return [sp.Ge(s, n) for s, n in lows.items() if n > 1] + other


def _final(e, subst):
    e = sp.sympify(e)
    relation = isinstance(e, sp.core.relational.Relational)
    _evaluating(("final", e), *[e] * (1 + len(subst)), relation=relation and bool(subst))
    if relation and not subst:  # nothing substituted: the relation was decided when it was recorded, keep it so
        lhs, rhs = _final(e.lhs, subst), _final(e.rhs, subst)
        return e if lhs is e.lhs and rhs is e.rhs else e.func(lhs, rhs, evaluate=False)
    for fwd, back in subst:
        e = e.subs(fwd)
        if back:
            e = e.subs(back)
    e = _flat(e)
    e = e.replace(lambda x: x.is_Mul and len(x.args) == 2 and x.args[0] == -1 and isinstance(x.args[1], sp.floor),
                  lambda x: sp.ceiling(-x.args[1].args[0]))  # -floor(-u) is ceil(u): ceil_mode reads as written
    return sp.expand(e) if not e.has(sp.floor, sp.ceiling) else e

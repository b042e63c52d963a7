"""Symbolic input sizes: every layer's shape, parameters, MACs, FLOPs and activations as closed-form expressions
in the input's symbols (``archstat summary SPEC --input 3xHxW``). sympy is imported only here.

How: each layer's own rules (``layers/``) run unchanged on ``Sym`` values instead of ints. A ``Sym`` carries a
sympy expression and a concrete sample value (the spec's own input size, or the smallest multiple an ``--assume``
allows). Arithmetic (``+ - * // %``) builds the expression exactly, with PyTorch's floor divisions kept as
``floor``; a comparison inside a rule (a window that must fit, a ceil-mode window that must not start in the
padding, two branches that must agree) is decided at the sample and recorded as a condition, so the result states
where it holds. Nested floors are flattened with the identity ``floor((floor(u) + c)/d) = floor((u + c)/d)``
(integers c, d > 0), and ``--assume "H % 32 == 0"`` substitutes ``H = 32k`` so that the floors disappear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from .errors import ArchstatError, ShapeError, SpecError, UsageError
from .graph import INPUT

_LOG: list = []  # conditions recorded by comparisons during one analysis


def _flat(e):
    """Flatten nested floors bottom-up: floor(floor(u)/d + r) -> floor(u/d + r) when d > 0 and r*d are integers."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    args = [_flat(a) for a in e.args]
    if e.func is sp.floor:
        arg = args[0]
        inner = [t for t in sp.Add.make_args(arg) if any(isinstance(f, sp.floor) for f in sp.Mul.make_args(t))]
        if len(inner) == 1:
            coeff, rest = inner[0].as_independent(sp.floor, as_Add=False)
            r = arg - inner[0]
            if (isinstance(rest, sp.floor) and coeff.is_Rational and coeff > 0 and (1 / coeff).is_Integer
                    and r.is_Rational and (r / coeff).is_Integer):
                return sp.floor(rest.args[0] * coeff + r)
        return sp.floor(arg)
    return e.func(*args)


def _pair(o):
    if isinstance(o, Sym):
        return o.e, o.v
    if isinstance(o, bool):
        return sp.Integer(int(o)), int(o)
    if isinstance(o, int):
        return sp.Integer(o), o
    if isinstance(o, Fraction):
        return sp.Rational(o.numerator, o.denominator), o
    if isinstance(o, float):
        return sp.Float(o), o
    return None


class Sym:
    """An integer-valued sympy expression with a concrete sample value."""

    __slots__ = ("e", "v")

    def __init__(self, e, v):
        self.e, self.v = e, v

    @staticmethod
    def make(e, v):
        e = sp.sympify(e)
        if e.is_Number:
            return int(e) if e.is_Integer else v
        return Sym(e, v)

    def _op(self, o, f, fe, reverse=False):
        p = _pair(o)
        if p is None:
            return NotImplemented
        oe, ov = p
        if reverse:
            return Sym.make(fe(oe, self.e), f(ov, self.v))
        return Sym.make(fe(self.e, oe), f(self.v, ov))

    def __add__(self, o):
        return self._op(o, lambda a, b: a + b, lambda a, b: a + b)

    __radd__ = __add__

    def __sub__(self, o):
        return self._op(o, lambda a, b: a - b, lambda a, b: a - b)

    def __rsub__(self, o):
        return self._op(o, lambda a, b: a - b, lambda a, b: a - b, reverse=True)

    def __mul__(self, o):
        return self._op(o, lambda a, b: a * b, lambda a, b: a * b)

    __rmul__ = __mul__

    def __floordiv__(self, o):
        return self._op(o, lambda a, b: a // b, lambda a, b: _flat(sp.floor(a / b)))

    def __rfloordiv__(self, o):
        return self._op(o, lambda a, b: a // b, lambda a, b: _flat(sp.floor(a / b)), reverse=True)

    def __mod__(self, o):
        return self._op(o, lambda a, b: a % b, lambda a, b: a - b * _flat(sp.floor(a / b)))

    def __neg__(self):
        return Sym.make(-self.e, -self.v)

    def __pos__(self):
        return self

    def _cmp(self, o, f, rel):
        p = _pair(o)
        if p is None:
            return NotImplemented
        oe, ov = p
        result = f(self.v, ov)
        cond = rel(self.e, oe)
        if cond not in (sp.true, sp.false):
            _LOG.append(cond if result else cond.negated)
        return result

    def __lt__(self, o):
        return self._cmp(o, lambda a, b: a < b, sp.Lt)

    def __le__(self, o):
        return self._cmp(o, lambda a, b: a <= b, sp.Le)

    def __gt__(self, o):
        return self._cmp(o, lambda a, b: a > b, sp.Gt)

    def __ge__(self, o):
        return self._cmp(o, lambda a, b: a >= b, sp.Ge)

    def __eq__(self, o):
        return self._cmp(o, lambda a, b: a == b, sp.Eq)

    def __ne__(self, o):
        return self._cmp(o, lambda a, b: a != b, sp.Ne)

    def __hash__(self):
        return hash(self.v)

    def __bool__(self):
        return self.__ne__(0)

    def __index__(self):
        raise TypeError("a symbolic size cannot be used as a count here")

    __int__ = __index__

    def __str__(self):
        return str(self.e)

    __repr__ = __str__


# ------------------------------------------------------------------------------------------------ assumptions
@dataclass
class Assumption:
    text: str
    name: str
    modulus: int = 1
    residue: int = 0
    same_as: str | None = None
    minimum: int | None = None


_MOD = re.compile(r"^\s*([A-Za-z_]\w*)\s*%\s*(\d+)\s*==\s*(\d+)\s*$")
_EQ = re.compile(r"^\s*([A-Za-z_]\w*)\s*==\s*([A-Za-z_]\w*)\s*$")
_MIN = re.compile(r"^\s*([A-Za-z_]\w*)\s*>=\s*(\d+)\s*$")


def parse_assumption(text: str) -> Assumption:
    if m := _MOD.match(text):
        mod, res = int(m.group(2)), int(m.group(3))
        if mod < 1 or res >= mod:
            raise UsageError(f"--assume '{text}': need a modulus >= 1 and a residue below it")
        return Assumption(text.strip(), m.group(1), mod, res)
    if m := _EQ.match(text):
        return Assumption(text.strip(), m.group(1), same_as=m.group(2))
    if m := _MIN.match(text):
        return Assumption(text.strip(), m.group(1), minimum=int(m.group(2)))
    raise UsageError(f"--assume '{text}': write 'H % 32 == 0', 'W == H' or 'H >= 64'")


# ------------------------------------------------------------------------------------------------ analysis
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
        s = lambda e: str(e)  # noqa: E731
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


def analyze_symbolic(graph, dims: list, assumptions: list[Assumption] = (), batch: int = 1) -> SymAnalysis:
    """Run every layer's rules on symbols. ``dims``: the input as ints and symbol names, e.g. [3, 'H', 'W']."""
    base = list(graph.input_shape)
    if len(dims) == 1 and len(base) == 3:  # "S": a square S x S input, the spec's channels
        dims = [base[0], dims[0], dims[0]]
    elif len(dims) < len(base):  # "HxW": keep the spec's channels
        dims = base[: len(base) - len(dims)] + list(dims)
    if len(dims) != len(base):
        raise UsageError(f"--input has {len(dims)} dimensions; the spec's input {base} has {len(base)}")
    names = [d for d in dims if isinstance(d, str)]
    amap = {a.name: a for a in assumptions}
    for a in assumptions:
        if a.name not in names or (a.same_as and a.same_as not in names):
            raise UsageError(f"--assume names '{a.same_as or a.name}', which is not a symbol of --input")
    symbols = {n: sp.Symbol(n, integer=True, positive=True) for n in dict.fromkeys(names)}
    sample = {}
    for d, b in zip(dims, base):  # the sample: the spec's own size, moved up to satisfy the assumptions
        if isinstance(d, str) and d not in sample:
            a = amap.get(d)
            v = b
            if a is not None and a.minimum is not None:
                v = max(v, a.minimum)
            if a is not None and a.modulus > 1:
                v = v + (a.residue - v) % a.modulus
            sample[d] = v
    same = {a.name: a.same_as for a in assumptions if a.same_as}  # W == H: W is H
    for n, m in same.items():
        sample[n] = sample[m]
    inp = [Sym(symbols[same.get(d, d)], sample[same.get(d, d)]) if isinstance(d, str) else d for d in dims]
    _LOG.clear()
    shapes = {INPUT: tuple(inp)}
    layers = []
    from .layers.base import elems

    for node in graph.nodes:
        layer = node.layer
        ins = [shapes[i] for i in node.inputs]
        try:
            out = tuple(layer.output_shape(ins))
            for d in out:
                if d < 1:
                    raise ShapeError(f"{node.kind}: output has a size below 1 at the sample input {sample}")
            params = sum(layer.params(ins).values(), 0)
            macs, flops = layer.macs(ins, out), layer.flops(ins, out)
        except ArchstatError as e:
            raise e.located(file=node.file or graph.file, line=node.line, layer=node.name)
        except TypeError as e:
            raise SpecError(f"{node.kind}: no closed form in symbolic sizes ({e})", file=node.file or graph.file,
                            line=node.line, layer=node.name) from None
        shapes[node.name] = out
        layers.append(SymLayer(node.name, node.kind, out, params, macs, flops, elems(out) * batch))
    subst = _substitution(symbols, assumptions)
    fin = lambda v: _final(_expr(v), subst)  # noqa: E731
    out_layers = [SymLayer(r.name, r.kind, tuple(fin(d) for d in r.output_shape), fin(r.params),
                           None if r.macs is None else fin(r.macs * batch), None if r.flops is None else
                           fin(r.flops * batch), fin(r.activations)) for r in layers]
    totals = {
        "params": fin(sum((_expr(r.params) for r in layers), sp.Integer(0))),
        "macs": fin(sum((_expr(r.macs) for r in layers if r.macs is not None), sp.Integer(0)) * batch),
        "flops": fin(sum((_expr(r.flops) for r in layers if r.flops is not None), sp.Integer(0)) * batch),
        "activations": fin(_expr(elems(inp) * batch) + sum((_expr(r.activations) for r, n in zip(layers, graph.nodes)
                                                    if not (n.layer.inplace or n.layer.view)), sp.Integer(0))),
    }
    conds = _simplify_conditions([_final(c, subst) for c in dict.fromkeys(_LOG)])
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
        lb = _lower_bound(c)
        if lb:
            sym, n = lb
            lows[sym] = max(lows.get(sym, 1), n)
        elif c not in other:
            other.append(c)
    return [sp.Ge(s, n) for s, n in lows.items() if n > 1] + other


def _substitution(symbols: dict, assumptions) -> list:
    """(symbol -> m*k + r, k -> (symbol - r)/m) pairs for the modulus assumptions; W -> H for equalities."""
    subs = []
    for a in assumptions:
        if a.same_as:
            subs.append(({symbols[a.name]: symbols[a.same_as]}, {}))
        elif a.modulus > 1:
            s = symbols[a.name]
            k = sp.Symbol(f"_{a.name}_k", integer=True, nonnegative=True)
            subs.append(({s: a.modulus * k + a.residue}, {k: (s - a.residue) / a.modulus}))
    return subs


def _final(e, subst):
    e = sp.sympify(e)
    for fwd, back in subst:
        e = e.subs(fwd)
        if back:
            e = e.subs(back)
    e = _flat(e)
    e = e.replace(lambda x: x.is_Mul and len(x.args) == 2 and x.args[0] == -1 and isinstance(x.args[1], sp.floor),
                  lambda x: sp.ceiling(-x.args[1].args[0]))  # -floor(-u) is ceil(u): ceil_mode reads as written
    return sp.expand(e) if not e.has(sp.floor, sp.ceiling) else e

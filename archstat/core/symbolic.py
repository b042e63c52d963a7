"""Symbolic input sizes: every layer's shape, parameters, MACs, FLOPs and activations as closed-form expressions
in the input's symbols (``archstat summary SPEC --input 3xHxW``). sympy is imported only here.

How: each layer's own rules (``layers/``) run unchanged on ``Sym`` values instead of ints. A ``Sym`` carries a
sympy expression and a concrete sample value (the spec's own input size, or the smallest multiple an ``--assume``
allows). Arithmetic (``+ - * // %``) builds the expression exactly, with PyTorch's floor divisions kept as
``floor``; a comparison inside a rule (a window that must fit, a ceil-mode window that must not start in the
padding, two branches that must agree) is decided at the sample and recorded as a condition, so the result states
where it holds. Nested floors are flattened with the identity ``floor((floor(u) + c)/d) = floor((u + c)/d)``
(integers c, d > 0), and ``--assume "H % 32 == 0"`` substitutes ``H = 32k`` so that the floors disappear.

Bounds (README "Limits"): the work is charged to the run's budget (``MAX_SYMBOLIC_WORK`` steps, "work and size"
below), any one closed form is held to ``MAX_SYMBOLIC_OPS`` operations (adaptive pooling over a symbolic size, which
sums its windows one by one, is refused up front when the sum would be longer), numbers on the command line to
``MAX_DIM``, and the ``--assume`` lines to ``MAX_ASSUMPTIONS``; those are combined (``W == H`` merges the two sizes,
congruences by the Chinese remainder theorem, minimums by the largest) and refused, naming the lines, when they
contradict each other. Whatever sympy raises on a hostile spec (deep recursion, overflow) becomes one error line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

import sympy as sp

from archstat.errors import ArchstatError, ShapeError, SpecError, UsageError
from archstat.core.graph import INPUT
from archstat.io.limits import MAX_ASSUMPTIONS, MAX_DIM, MAX_SYMBOLIC_OPS
from archstat.language.numbers import clip, parse_count
from archstat.io.run import current, scope

_LOG: list = []  # conditions recorded by comparisons during one analysis


# ------------------------------------------------------------------------------------------------ work and size
# Symbolic work is charged to the run's budget (``Run.charge_symbolic``, ``MAX_SYMBOLIC_WORK`` steps), so that long
# chains of layers, large outputs and nested floors end in one error within seconds instead of minutes of sympy:
#   - building an expression: one step, plus one per ``_PER_STEP`` operations of the result;
#   - an evaluation, where sympy reasons about signs and integers (a floor division, a comparison, the final
#     substitutions and rewrites): one step plus two per operation of its operands, charged before the work and once
#     per analysis (sympy caches evaluations: the same merge checked twice costs one step);
#   - a rounded term whose argument decreases in a symbol (``floor(1/2 - H/2)``: a ceil-mode window, a ceiling):
#     ``_CEILING_STEPS`` the first time it is seen, again for each comparison over such terms, and
#     ``_CEILING_STEPS * depth**2 / 16`` for an evaluation over them nested ``depth`` deep. Deciding anything about
#     those takes sympy milliseconds, a hundred times an ordinary floor, and its time grows with the square of the
#     nesting.
# Every expression built is measured (``_info``, memoised per node, so measuring is linear in what is new) and refused
# when it is longer than ``MAX_SYMBOLIC_OPS`` operations, naming its layer.
_PER_STEP = 8
_FLOOR_STEPS = 400
_ROUND_STEPS = 1000
_CEILING_STEPS = 300
_BIG = 1 << 40  # operation counts saturate here (shared subexpressions count at every use: trees can be huge)
_SEEN: set = set()  # evaluations charged in this analysis
_INFO: dict = {}  # node -> (operations, nesting of decreasing rounded terms), this analysis
_FLAT: dict = {}  # node -> the node with its nested floors flattened, this analysis
_ROUND = (sp.floor, sp.ceiling)


def _reset() -> None:
    _LOG.clear()
    _SEEN.clear()
    _INFO.clear()
    _FLAT.clear()


def _decreasing(x) -> bool:
    """A floor or ceiling whose argument has a term with a negative coefficient (``floor(1/2 - H/2)``)."""
    if not isinstance(x, _ROUND):
        return False
    a = x.args[0]
    for t in (a.args if a.is_Add else (a,)):
        if t.is_Mul and t.args[0].is_Number and t.args[0].is_negative:
            return True
    return False


def _info(e) -> tuple[int, int]:
    """(operations, nesting of decreasing rounded terms) of ``e``. Operations are about ``sympy.count_ops``: an n-ary
    sum or product counts n - 1, any other function or relation 1, a number or symbol 0; a shared subexpression
    counts at every use (it is printed at every use). Memoised per node; a decreasing rounded term is charged
    ``_CEILING_STEPS`` the first time it is met. Iterative: no recursion limit on deep expressions."""
    got = _INFO.get(e)
    if got is not None:
        return got
    stack = [(e, False)]
    while stack:
        x, ready = stack.pop()
        if x in _INFO:
            continue
        args = getattr(x, "args", ())
        if not args:
            _INFO[x] = (0, 0)
            continue
        if not ready:
            stack.append((x, True))
            stack.extend((a, False) for a in args if a not in _INFO)
            continue
        n, nest = len(args) - 1 or 1, 0
        for a in args:
            an, anest = _INFO[a]
            n += an
            nest = max(nest, anest)
        if isinstance(x, _ROUND):
            if _decreasing(x):
                nest += 1
                _charge(_ROUND_STEPS + _CEILING_STEPS)
            else:
                _charge(_ROUND_STEPS)
        _INFO[x] = (min(n, _BIG), nest)
    return _INFO[e]


def _ops(e) -> int:
    return _info(e)[0]


class _TooLong(SpecError):
    """A closed form longer than ``MAX_SYMBOLIC_OPS`` operations."""


def _too_long(what: str = "an expression") -> _TooLong:
    return _TooLong(f"{what} takes more than {MAX_SYMBOLIC_OPS:,} operations in closed form (the limit); give numbers "
                    f"for some dimensions of --input")


def _charge(n: int) -> None:
    current().charge_symbolic(n)


def _built(e, what: str = "an expression"):
    """Charge building ``e``; refuse it when it is longer than ``MAX_SYMBOLIC_OPS``. Returns ``e``."""
    n = _ops(e)
    current().charge_symbolic(1 + n // _PER_STEP)
    if n > MAX_SYMBOLIC_OPS:
        raise _too_long(what)
    return e


def _evaluating(key, *operands, relation: bool = False, extra: int = 0) -> None:
    """Charge an evaluation of ``operands`` before it is done: once per ``key`` and analysis."""
    if key in _SEEN:
        current().charge_symbolic(1)
        return
    steps = 1 + extra
    for e in operands:
        n, nest = _info(e)
        steps += 2 * n
        if nest:
            steps += _CEILING_STEPS * (relation + nest * nest // 16)
    current().charge_symbolic(steps)
    _SEEN.add(key)


def _flat(e):
    """Flatten nested floors bottom-up: floor(floor(u)/d + r) -> floor(u/d + r) when d > 0 and r*d are integers.
    Iterative (no recursion limit on deep expressions) and memoised per node: a node whose arguments did not change
    is kept as it is, and the parts of an expression that were flattened before are not visited again."""
    if not isinstance(e, sp.Basic) or not e.args:
        return e
    got = _FLAT.get(e)
    if got is not None:
        return got
    stack = [(e, False)]
    rebuilt = 0
    while stack:
        x, ready = stack.pop()
        if x in _FLAT:
            continue
        if not ready:
            stack.append((x, True))
            stack.extend((a, False) for a in x.args if a.args and a not in _FLAT)
            continue
        args = [_FLAT[a] if a.args else a for a in x.args]
        if x.func is sp.floor:
            y = _flat_floor(x, args[0])
        elif any(a is not b for a, b in zip(args, x.args)):
            y = x.func(*args)
        else:
            y = x
        _FLAT[x] = y
        rebuilt += y is not x
    if rebuilt:
        _charge(rebuilt)
    return _FLAT[e]


def _flat_floor(x, arg):
    inner = [t for t in sp.Add.make_args(arg) if any(isinstance(f, sp.floor) for f in sp.Mul.make_args(t))]
    if len(inner) == 1:
        coeff, rest = inner[0].as_independent(sp.floor, as_Add=False)
        r = arg - inner[0]
        if (isinstance(rest, sp.floor) and coeff.is_Rational and coeff > 0 and (1 / coeff).is_Integer
                and r.is_Rational and (r / coeff).is_Integer):
            return sp.floor(rest.args[0] * coeff + r)
    return x if arg is x.args[0] else sp.floor(arg)


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
            _charge(1)
            return int(e) if e.is_Integer else v
        return Sym(_built(e), v)

    def _op(self, o, f, fe, reverse=False, evaluates=None):
        p = _pair(o)
        if p is None:
            return NotImplemented
        oe, ov = p
        a, b, va, vb = (oe, self.e, ov, self.v) if reverse else (self.e, oe, self.v, ov)
        v = f(va, vb)  # first: a ZeroDivisionError is the sample's, before any sympy work
        if not evaluates:
            return Sym.make(fe(a, b), v)
        _evaluating((evaluates, a, b), a, b, extra=_FLOOR_STEPS)
        return Sym.make(fe(a, b), v)

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
        return self._op(o, lambda a, b: a // b, lambda a, b: _flat(sp.floor(a / b)), evaluates="//")

    def __rfloordiv__(self, o):
        return self._op(o, lambda a, b: a // b, lambda a, b: _flat(sp.floor(a / b)), reverse=True, evaluates="//")

    def __mod__(self, o):
        return self._op(o, lambda a, b: a % b, lambda a, b: a - b * _flat(sp.floor(a / b)), evaluates="%")

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
        _evaluating((rel, self.e, oe), self.e, oe, relation=True)
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


_N = r"[A-Za-z_][A-Za-z_0-9]*"  # ASCII, as in --input
_V = r"[^\s%=<>]+"  # a number, read by numbers.parse_count (ASCII digits only, at most MAX_DIM)
_MOD = re.compile(rf"^\s*({_N})\s*%\s*({_V})\s*==\s*({_V})\s*$")
_EQ = re.compile(rf"^\s*({_N})\s*==\s*({_N})\s*$")
_MIN = re.compile(rf"^\s*({_N})\s*>=\s*({_V})\s*$")


def parse_assumption(text: str) -> Assumption:
    """One ``--assume`` line: ``H % 32 == 0``, ``W == H`` or ``H >= 64``. Its text is kept in a normal form."""
    shown = clip(str(text).strip(), 60)
    if m := _MOD.match(text):
        mod = parse_count(m.group(2), f"--assume '{shown}': the modulus")
        res = parse_count(m.group(3), f"--assume '{shown}': the residue", minimum=0)
        if res >= mod:
            raise UsageError(f"--assume '{shown}': the residue must be below the modulus {mod:,}, got {res:,}")
        return Assumption(f"{m.group(1)} % {mod} == {res}", m.group(1), mod, res)
    if m := _EQ.match(text):
        return Assumption(f"{m.group(1)} == {m.group(2)}", m.group(1), same_as=m.group(2))
    if m := _MIN.match(text):
        low = parse_count(m.group(2), f"--assume '{shown}': the minimum", minimum=0)
        return Assumption(f"{m.group(1)} >= {low}", m.group(1), minimum=low)
    raise UsageError(f"--assume '{shown}': write 'H % 32 == 0', 'W == H' or 'H >= 64'")


@dataclass
class _Size:
    """What the assumptions say about one size (a symbol and those equal to it): ``rep % modulus == residue``,
    ``rep >= minimum``, and the lines that said so."""
    rep: str
    modulus: int = 1
    residue: int = 0
    minimum: int = 1
    congruences: list = field(default_factory=list)  # Assumptions with a modulus > 1, in the given order
    minimums: list = field(default_factory=list)


def _distinct(lines) -> list:
    return list({id(a): a for a in lines}.values())


def _quote(lines) -> str:
    q = [f"'{a.text}'" for a in _distinct(lines)]
    return q[0] if len(q) == 1 else f"{', '.join(q[:-1])} and {q[-1]}"


def _contradiction(lines, why: str) -> UsageError:
    n = len(_distinct(lines))
    return UsageError(f"the --assume line{'s' if n > 1 else ''} {_quote(lines)} contradict{'' if n > 1 else 's'} "
                      f"{'each other' if n > 1 else 'itself'} ({why})")


def resolve_assumptions(assumptions, names) -> tuple[dict, dict]:
    """Check the ``--assume`` lines against the symbols of --input and against each other: ``(rep, sizes)``, where
    ``rep`` maps every symbol to the one it equals (``W == H``: W -> H) and ``sizes`` maps each of those to its
    ``_Size``. Contradictory lines (``H % 4 == 1`` with ``H % 2 == 0``, also through ``W == H``; or no size up to
    ``MAX_DIM`` left) are refused, naming the lines. Congruences are pairwise compatible exactly when all of them
    together are (the Chinese remainder theorem), so a conflict is always between two of them."""
    assumptions = list(assumptions)
    if len(assumptions) > MAX_ASSUMPTIONS:
        raise UsageError(f"at most {MAX_ASSUMPTIONS} --assume lines, got {len(assumptions):,}")
    names = list(dict.fromkeys(names))
    for a in assumptions:
        for n in (a.name, a.same_as):
            if n is not None and n not in names:
                raise UsageError(f"--assume '{a.text}' names '{n}', which is not a symbol of --input"
                                 + (f" ({', '.join(names)})" if names else ""))
    parent = {n: n for n in names}

    def find(n):
        while parent[n] != n:
            n = parent[n]
        return n

    edges = []  # (a, b, assumption): the equalities, for naming the path between two symbols
    for a in assumptions:
        if a.same_as:
            edges.append((a.name, a.same_as, a))
            ra, rb = find(a.name), find(a.same_as)
            if ra != rb:
                parent[ra] = rb  # W == H: W is H

    def path(x, y) -> list:
        """The equality lines that make x and y the same size (a breadth-first path)."""
        seen, todo = {x: []}, [x]
        while todo:
            n = todo.pop(0)
            if n == y:
                return seen[n]
            for a, b, line in edges:
                for u, v in ((a, b), (b, a)):
                    if u == n and v not in seen:
                        seen[v] = seen[n] + [line]
                        todo.append(v)
        return []

    rep = {n: find(n) for n in names}
    sizes = {r: _Size(r) for r in dict.fromkeys(rep.values())}
    for a in assumptions:
        z = sizes[rep[a.name]]
        if a.minimum is not None:
            z.minimums.append(a)
            z.minimum = max(z.minimum, a.minimum)
        if a.modulus > 1:
            for b in z.congruences:  # pairwise compatible <=> all compatible
                if (a.residue - b.residue) % gcd(a.modulus, b.modulus):
                    g = gcd(a.modulus, b.modulus)
                    why = (f"no size is {b.residue} modulo {b.modulus} and {a.residue} modulo {a.modulus}" if g in
                           (a.modulus, b.modulus) else f"one says {b.residue % g} modulo {g}, the other "
                           f"{a.residue % g} modulo {g}")
                    raise _contradiction([*path(b.name, a.name), b, a], why)
            m, r = z.modulus, z.residue  # combine: x = r (mod m) and x = a.residue (mod a.modulus)
            g = gcd(m, a.modulus)
            step = (a.residue - r) // g * pow(m // g, -1, a.modulus // g) % (a.modulus // g)
            z.modulus, z.residue = m // g * a.modulus, r + m * step
            z.residue %= z.modulus
            z.congruences.append(a)
            if z.modulus > MAX_DIM:
                lines = [*z.congruences]
                for b in z.congruences:
                    lines[:0] = path(b.name, a.name)
                raise UsageError(f"the --assume lines {_quote(lines)} together ask for a size that is "
                                 f"{z.residue:,} modulo {z.modulus:,}, a modulus above the limit of {MAX_DIM:,} "
                                 f"(at most one size fits; give it as a number)")
    for z in sizes.values():
        lowest = z.minimum + (z.residue - z.minimum) % z.modulus
        if lowest > MAX_DIM:
            low = max(z.minimums, key=lambda a: a.minimum)
            lines = [low, *z.congruences]
            for b in z.congruences:
                lines[:0] = path(b.name, low.name)
            rule = f"{z.residue:,} modulo {z.modulus:,}"
            raise _contradiction(lines, f"the only size allowed, {MAX_DIM:,} (the limit), is not {rule}"
                                 if z.minimum == MAX_DIM else
                                 f"no size from {z.minimum:,} up to the limit of {MAX_DIM:,} is {rule}")
    return rep, sizes


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


_SYMPY_FAILURES = (RecursionError, OverflowError, ValueError, ZeroDivisionError)  # what sympy raises on hostile input


def _why(e: BaseException) -> str:
    if isinstance(e, RecursionError):
        return "the expressions nest too deeply"
    if isinstance(e, OverflowError):
        return "a number grows too large"
    return clip(" ".join(str(e).split()) or type(e).__name__, 120)


def analyze_symbolic(graph, dims: list, assumptions: list[Assumption] = (), batch: int = 1) -> SymAnalysis:
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
    shapes = {INPUT: tuple(inp)}
    layers = []
    from archstat.layers.base import elems

    for node in graph.nodes:
        layer = node.layer
        ins = [shapes[i] for i in node.inputs]
        where = {"file": node.file or graph.file, "line": node.line, "layer": node.name}
        try:
            _adaptive_windows(layer, ins)
            out = tuple(layer.output_shape(ins))
            for d in out:
                if d < 1:
                    raise ShapeError(f"{node.kind}: output has a size below 1 at the sample input {sample}")
            params = sum(layer.params(ins).values(), 0)
            macs, flops = layer.macs(ins, out), layer.flops(ins, out)
            acts = elems(out) * batch
        except ArchstatError as e:
            raise e.located(**where)
        except TypeError as e:
            raise SpecError(f"{node.kind}: no closed form in symbolic sizes ({_why(e)})", **where) from None
        except _SYMPY_FAILURES as e:
            raise SpecError(f"{node.kind}: no closed form in symbolic sizes ({_why(e)})", **where) from None
        shapes[node.name] = out
        layers.append(SymLayer(node.name, node.kind, out, params, macs, flops, acts))
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
    from archstat.layers.base import elems

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
            raise e.located(file=node.file or graph.file, line=node.line, layer=r.name)
        except _SYMPY_FAILURES as e:
            raise SpecError(f"{r.kind}: no closed form in symbolic sizes ({_why(e)})", file=node.file or graph.file,
                            line=node.line, layer=r.name) from None

    def total(terms, what, factor=1):
        terms = [_expr(t) for t in terms]
        _charge(len(terms))
        try:
            return fin(sp.Add(*terms) * factor, f"the total {what}")
        except ArchstatError as e:
            raise e.located(file=graph.file)

    kept = [r for r, n in zip(layers, graph.nodes) if not (n.layer.inplace or n.layer.view)]
    totals = {
        "params": total([r.params for r in layers], "parameters"),
        "macs": total([r.macs for r in layers if r.macs is not None], "MACs", batch),
        "flops": total([r.flops for r in layers if r.flops is not None], "FLOPs", batch),
        "activations": total([elems(inp) * batch] + [r.activations for r in kept], "activations"),
    }
    conds = []
    for c in dict.fromkeys(_LOG):
        try:
            conds.append(_built(_final(c, subst), "a condition"))
        except ArchstatError as e:
            raise e.located(file=graph.file)
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


def _substitution(symbols: dict, rep: dict, sizes: dict, assumptions) -> list:
    """(symbol -> m*k + r, k -> (symbol - r)/m) pairs, one per size with a combined modulus above 1, in the order of
    their first ``--assume`` line (W == H is already applied: the analysis never sees W)."""
    subs = []
    for a in assumptions:
        z = sizes[rep[a.name]]
        if a.modulus > 1 and z.congruences and z.congruences[0] is a:
            s = symbols[z.rep]
            k = sp.Symbol(f"_{z.rep}_k", integer=True, nonnegative=True)
            subs.append(({s: z.modulus * k + z.residue}, {k: (s - z.residue) / z.modulus}))
    return subs


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

"""Symbolic sizes, the expressions: ``Sym`` (a sympy expression with a concrete sample value, on which the layers'
own rules run unchanged), the flattening of nested floors, and the work budget every expression is charged to
(``MAX_SYMBOLIC_WORK`` steps, ``MAX_SYMBOLIC_OPS`` operations per closed form). See the package's docstring."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from archstat.errors import SpecError
from archstat.io.limits import MAX_SYMBOLIC_OPS
from archstat.io.run import current

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
    return any(t.is_Mul and t.args[0].is_Number and t.args[0].is_negative for t in (a.args if a.is_Add else (a,)))


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

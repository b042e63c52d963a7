"""A small, safe evaluator for the integer arithmetic in specs: ``$c``, ``$(2 * c)``, ``${n - 1}``.

Never ``eval``: the text is parsed with ``ast.parse`` (parsing executes nothing) and the tree is walked here, with
a whitelist of node types. Allowed: integer/float/string/bool literals, names bound by block arguments, repeat
variables or the spec's ``vars``, ``+ - * / // % **``, comparisons, ``and or not``, ``a if c else b``, and the
functions in ``FUNCTIONS``. ``/`` must divide exactly when both sides are integers (channel counts stay integral);
``**`` and every intermediate value are bounded; attribute access, subscripts, lambdas, comprehensions and calls
of anything else are refused with an error naming the construct.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re

from archstat.errors import SpecError
from archstat.io.limits import MAX_EXPR_CHARS, MAX_EXPR_NODES, MAX_INT_DIGITS, MAX_STR_CHARS

_LIMIT = 10**MAX_INT_DIGITS


def make_divisible(v, divisor=8, min_value=None):
    """A channel count rounded to the nearest multiple of divisor (default 8; halves round up), at least min_value
    (default: the divisor), and one divisor more when that is more than 10% below v: torchvision's
    _make_divisible (MobileNet v2/v3, EfficientNet's scaled widths). make_divisible(36) = 40,
    make_divisible(35) = 32, make_divisible(11) = 16 (8 would be 27% below 11), make_divisible(10, 4) = 12."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _round(x, ndigits=None):
    """``round``, with a bounded number of digits (``round(5, -10**9)`` would compute 10**(10**9))."""
    if ndigits is not None and (not isinstance(ndigits, int) or abs(ndigits) > MAX_INT_DIGITS):
        raise ValueError(f"round() takes at most {MAX_INT_DIGITS} digits, got {ndigits!r}")
    return round(x, ndigits)


FUNCTIONS = {
    "min": min,
    "max": max,
    "abs": abs,
    "int": int,
    "round": _round,
    "floor": math.floor,
    "ceil": math.ceil,
    "make_divisible": make_divisible,
}

_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod, ast.Div: None, ast.Pow: None,
}
_CMPOPS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}

_NAME = re.compile(r"[A-Za-z_]\w*")
_CLOSE = {"(": ")", "{": "}"}


def _pieces(v: str):
    """Split a string into its literal text and its ``$name``, ``$(expr)`` and ``${expr}`` pieces, in order:
    (True, expression) or (False, text). Brackets nest: ``$(max(a, b))_$(i)`` is two expressions."""
    i, start, n = 0, 0, len(v)
    while i < n:
        if v[i] != "$" or i + 1 >= n:
            i += 1
            continue
        nxt = v[i + 1]
        if nxt in _CLOSE:
            depth, j = 0, i + 1
            while j < n:
                if v[j] == nxt:
                    depth += 1
                elif v[j] == _CLOSE[nxt]:
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if j >= n:
                raise SpecError(f"'{_clip(v)}': '${nxt}' is never closed")
            if i > start:
                yield False, v[start:i]
            yield True, v[i + 2:j]
            i = start = j + 1
            continue
        m = _NAME.match(v, i + 1)
        if m:
            if i > start:
                yield False, v[start:i]
            yield True, m.group(0)
            i = start = m.end()
            continue
        i += 1
    if start < n:
        yield False, v[start:]


class Evaluator:
    """Evaluates expressions against one environment of names; every syntax node evaluated is charged to
    ``budget`` (the spec's expansion steps), so no expression is free however often a repeat evaluates it.
    ``numbers``: further types that count as numbers (symbolic sizes, when a ``Deferred`` is evaluated on them)."""

    def __init__(self, env: dict, budget=None, numbers: tuple = ()):
        self.env = env
        self.budget = budget
        self.numbers = (int, float, *numbers)

    def defer(self, v, late) -> Deferred | None:
        """``v`` kept for later when it is one ``$`` expression that names any of ``late`` (names only the layer's
        input can give: custom's ``in_c``); None when it is anything else (evaluate it now)."""
        if not isinstance(v, str) or "$" not in v:
            return None
        pieces = list(_pieces(v.strip()))
        if len(pieces) != 1 or not pieces[0][0]:
            return None
        text = pieces[0][1].strip()
        if not text or len(text) > MAX_EXPR_CHARS:
            return None  # eval's own error
        used = _names(_parse(text))
        if not used & set(late):
            return None
        if self.budget is not None:
            self.budget.spend(len(used))
        return Deferred(text, {k: self.env[k] for k in sorted(used) if k in self.env and k not in late})

    def value(self, v):
        """Resolve a YAML value: strings that are `$` expressions are evaluated, everything else is returned."""
        if not isinstance(v, str) or "$" not in v:
            return v
        pieces = list(_pieces(v.strip()))
        if len(pieces) == 1 and pieces[0][0]:
            return self.eval(pieces[0][1])
        pieces = list(_pieces(v))
        size, out = 0, []
        for is_expr, text in pieces:  # checked piece by piece: "$s$s$s..." must not build a huge string first
            if is_expr:
                text = self.eval(text)
                if not isinstance(text, (str, int, float)):
                    raise SpecError(f"'{_clip(v)}': only text and numbers can be interpolated into text")
                text = str(text)
            size += len(text)
            if size > MAX_STR_CHARS:
                raise SpecError(f"'{_clip(v)}' makes text longer than {MAX_STR_CHARS:,} characters")
            out.append(text)
        return "".join(out)

    def eval(self, text: str):
        text = text.strip()
        if not text:
            raise SpecError("empty expression '$()'")
        if len(text) > MAX_EXPR_CHARS:
            raise SpecError(f"expression longer than {MAX_EXPR_CHARS} characters")
        tree = _parse(text)
        try:
            return self._ev(tree.body, text)
        except SpecError:
            raise
        except ZeroDivisionError:
            raise SpecError(f"division by zero in '{text}'") from None
        except (TypeError, ValueError, OverflowError) as e:
            raise SpecError(f"cannot evaluate '{text}': {e}") from None

    def _bounded(self, x, text):
        if isinstance(x, float) and not math.isfinite(x):
            raise SpecError(f"'{text}' is not a finite number")
        if isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) > _LIMIT:
            raise SpecError(f"value in '{text}' exceeds 10**{MAX_INT_DIGITS}")
        if isinstance(x, complex):
            raise SpecError(f"'{text}' has no real value")
        return x

    def _ev(self, n, text):
        if self.budget is not None:
            self.budget.spend()
        if isinstance(n, ast.Constant):
            if isinstance(n.value, (int, float, str, bool)):
                return self._bounded(n.value, text)
            raise SpecError(f"unsupported constant in '{text}'")
        if isinstance(n, ast.Name):
            if n.id in self.env:
                return self.env[n.id]
            if n.id in ("True", "False"):
                return n.id == "True"
            known = ", ".join(sorted(self.env)) or "none"
            raise SpecError(f"unknown name '{n.id}' in '{text}' (known: {known})")
        if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
            a, b = self._ev(n.left, text), self._ev(n.right, text)
            if not isinstance(a, self.numbers) or not isinstance(b, self.numbers):  # no [0] * 10**10, no "a" * 9
                if isinstance(n.op, ast.Add) and isinstance(a, str) and isinstance(b, str):
                    if len(a) + len(b) > MAX_STR_CHARS:
                        raise SpecError(f"'{text}' makes text longer than {MAX_STR_CHARS:,} characters")
                    return a + b
                what = "text" if isinstance(a, str) or isinstance(b, str) else "a list" if isinstance(
                    a, list) or isinstance(b, list) else "a non-number"
                raise SpecError(f"arithmetic on {what} in '{text}'")
            if isinstance(n.op, ast.Pow):
                if abs(b) > 64 or (abs(a) > 1 and abs(b) * math.log10(abs(a)) > MAX_INT_DIGITS):
                    raise SpecError(f"exponent too large in '{text}'")
                return self._bounded(a**b, text)
            if isinstance(n.op, ast.Div):
                if isinstance(a, int) and isinstance(b, int):
                    if b == 0:
                        raise ZeroDivisionError
                    if a % b:
                        raise SpecError(f"'{text}': {a}/{b} is not a whole number (use // to floor)")
                    return a // b
                if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
                    raise SpecError(f"'{text}': '/' of a symbolic size; use // (sizes floor, as PyTorch's do)")
                return self._bounded(a / b, text)
            return self._bounded(_BINOPS[type(n.op)](a, b), text)
        if isinstance(n, ast.UnaryOp):
            v = self._ev(n.operand, text)
            if not isinstance(n.op, ast.Not) and not isinstance(v, self.numbers):
                raise SpecError(f"arithmetic on a non-number in '{text}'")
            if isinstance(n.op, ast.USub):
                return -v
            if isinstance(n.op, ast.UAdd):
                return +v
            if isinstance(n.op, ast.Not):
                return not v
        if isinstance(n, ast.BoolOp):
            # Python's semantics: `a or b` is the first true value (`$(width or c)`), `a and b` the first false
            v = None
            for sub in n.values:
                v = self._ev(sub, text)
                if bool(v) == isinstance(n.op, ast.Or):
                    return v
            return v
        if isinstance(n, ast.Compare):
            left = self._ev(n.left, text)
            for op, right_n in zip(n.ops, n.comparators):
                if type(op) not in _CMPOPS:
                    raise SpecError(f"unsupported comparison in '{text}'")
                right = self._ev(right_n, text)
                if not _CMPOPS[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(n, ast.IfExp):
            return self._ev(n.body, text) if self._ev(n.test, text) else self._ev(n.orelse, text)
        if isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name) or n.func.id not in FUNCTIONS or n.keywords:
                fn = n.func.id if isinstance(n.func, ast.Name) else _clip(ast.unparse(n.func), 40)
                raise SpecError(f"'{text}': calling '{fn}' is not allowed "
                                f"(functions: {', '.join(sorted(FUNCTIONS))})")
            args = [self._ev(a, text) for a in n.args]
            if self.budget is not None:  # min/max over a list walk it
                self.budget.spend(sum(len(a) for a in args if isinstance(a, (list, str))))
            return self._bounded(FUNCTIONS[n.func.id](*args), text)
        if isinstance(n, (ast.BinOp, ast.UnaryOp)):
            what = f"the operator '{_OPERATORS.get(type(n.op), type(n.op).__name__)}'"
        else:
            what = _CONSTRUCTS.get(type(n), type(n).__name__)
        raise SpecError(f"'{text}': {what} is not allowed in spec expressions")


_OPERATORS = {ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.MatMult: "@",
              ast.Invert: "~"}
_CONSTRUCTS = {ast.Attribute: "attribute access", ast.Subscript: "a subscript", ast.Lambda: "a lambda",
               ast.ListComp: "a comprehension", ast.GeneratorExp: "a comprehension", ast.SetComp: "a comprehension",
               ast.DictComp: "a comprehension", ast.NamedExpr: "assignment (:=)", ast.JoinedStr: "an f-string",
               ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a mapping", ast.Set: "a set",
               ast.Starred: "unpacking (*)", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield"}


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> ast.Expression:
    """The syntax tree of one expression, parsed once however often a repeat evaluates it (a tree is never
    changed after parsing); errors are not cached."""
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise SpecError(f"cannot parse expression '{text}'") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_EXPR_NODES:
        raise SpecError(f"expression '{text}' has {count} syntax nodes, more than the limit of {MAX_EXPR_NODES}")
    return tree


def _names(tree) -> set:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


class Deferred:
    """An expression that names what only a layer's input can tell (custom's ``in_c``, ``in_h``, ``in_w``), kept
    as its text with the values of the other names it uses (block arguments, repeat variables, ``vars``) as they
    were where it was written. ``value(names)`` evaluates it once the input is known; the input's names win over a
    captured name. Hashable (a layer's arguments must hash) when the captured values do."""

    __slots__ = ("env", "text")

    def __init__(self, text: str, env: dict):
        self.text = text
        self.env = env

    def value(self, names: dict):
        extra = tuple({type(v) for v in names.values()} - {int, float, bool})  # symbolic sizes count as numbers
        return Evaluator({**self.env, **names}, numbers=extra).eval(self.text)

    def _key(self):
        return (self.text, tuple(self.env.items()))

    def __eq__(self, other):
        return isinstance(other, Deferred) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def __str__(self):
        return f"$({self.text})"

    __repr__ = __str__


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "..."

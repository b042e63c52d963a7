"""The small schema language layer kinds declare their arguments in, and the frozen record they are parsed into.

A kind lists its arguments as ``fields = {"kernel": Pair(doc="kernel size"), "stride": Pair(1), ...}``. Each
``Arg`` validates one raw (already expression-evaluated) value and parses it to an int, float, text, boolean or a
tuple of them, so that a parsed argument set hashes (the engine's memo of repeated blocks relies on that).
``args_record`` makes the frozen record a layer reads them from: ``self.args.kernel``.
"""

from __future__ import annotations

import math

from archstat.errors import SpecError
from archstat.io.limits import MAX_DIM

REQUIRED = object()  # the default of an argument a spec must give


class Arg:
    """One argument of a layer kind: its type, default and a one-line description (shown in docs)."""

    def __init__(self, default=REQUIRED, doc: str = ""):
        self.default = default
        self.doc = doc

    def parse(self, name: str, v):  # returns the validated value or raises SpecError
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__.lower()


def as_int(v):
    """An integral number as int (accepting 64.0 from an expression); None for anything else."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None


class Int(Arg):
    def __init__(self, default=REQUIRED, doc="", min: int = 1):
        super().__init__(default, doc)
        self.min = min

    def parse(self, name, v):
        i = as_int(v)
        if i is None or i < self.min or i > MAX_DIM:
            lo = "a positive integer" if self.min == 1 else f"an integer >= {self.min}"
            raise SpecError(f"'{name}' must be {lo}, got {v!r}")
        return i

    def describe(self):
        return "int" if self.min == 1 else f"int >= {self.min}"


class Pair(Arg):
    """An int applied to both axes, or ``[height, width]``."""

    def __init__(self, default=REQUIRED, doc="", min: int = 1):
        super().__init__(default, doc)
        self.min = min

    def parse(self, name, v):
        items = list(v) if isinstance(v, list) else [v, v]
        vals = [as_int(x) for x in items]
        if len(vals) != 2 or any(x is None or x < self.min or x > MAX_DIM for x in vals):
            lo = "positive integer" if self.min == 1 else f"integer >= {self.min}"
            raise SpecError(f"'{name}' must be a {lo} or [height, width] of them, got {v!r}")
        return tuple(vals)

    def describe(self):
        return "int | [h, w]"


class Padding(Arg):
    """Padding: an int, ``[h, w]``, ``[top, bottom, left, right]``, ``same`` or ``valid``.

    Parsed to ``((top, bottom), (left, right))``, or to the string ``"same"`` (resolved against the kernel).
    """

    def parse(self, name, v):
        if v == "valid":
            return ((0, 0), (0, 0))
        if v == "same":
            return "same"
        items = list(v) if isinstance(v, list) else [v]
        vals = [as_int(x) for x in items]
        if len(vals) not in (1, 2, 4) or any(x is None or x < 0 or x > MAX_DIM for x in vals):
            raise SpecError(f"'{name}' must be an integer >= 0, [h, w], [top, bottom, left, right], "
                            f"'same' or 'valid', got {v!r}")
        if len(vals) == 1:
            return ((vals[0], vals[0]), (vals[0], vals[0]))
        if len(vals) == 2:
            return ((vals[0], vals[0]), (vals[1], vals[1]))
        return ((vals[0], vals[1]), (vals[2], vals[3]))

    def describe(self):
        return "int | [h, w] | [t, b, l, r] | same | valid"


class Float(Arg):
    def __init__(self, default=REQUIRED, doc="", min: float | None = None, max: float | None = None):
        super().__init__(default, doc)
        self.min, self.max = min, max

    def parse(self, name, v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
            raise SpecError(f"'{name}' must be a number, got {v!r}")
        if isinstance(v, float) and not math.isfinite(v):
            raise SpecError(f"'{name}' must be a finite number, got {v!r}")
        if (self.min is not None and v < self.min) or (self.max is not None and v > self.max):
            raise SpecError(f"'{name}' must be between {self.min} and {self.max}, got {v!r}")
        return float(v)

    def describe(self):
        return "number"


class Bool(Arg):
    def parse(self, name, v):
        if not isinstance(v, bool):
            raise SpecError(f"'{name}' must be true or false, got {v!r}")
        return v

    def describe(self):
        return "bool"


class Choice(Arg):
    def __init__(self, options: tuple, default=REQUIRED, doc=""):
        super().__init__(default, doc)
        self.options = options

    def parse(self, name, v):
        if v not in self.options:
            raise SpecError(f"'{name}' must be one of {', '.join(map(str, self.options))}, got {v!r}")
        return v

    def describe(self):
        return " | ".join(map(str, self.options))


class IntList(Arg):
    """A non-empty list of integers >= ``min`` (channel indices)."""

    def __init__(self, default=REQUIRED, doc="", min: int = 0, max_len: int = 100_000):
        super().__init__(default, doc)
        self.min, self.max_len = min, max_len

    def parse(self, name, v):
        vals = [as_int(x) for x in v] if isinstance(v, list) else [None]
        if not vals or len(vals) > self.max_len or any(x is None or x < self.min or x > MAX_DIM for x in vals):
            raise SpecError(f"'{name}' must be a non-empty list of integers >= {self.min}, got {v!r}")
        return tuple(vals)

    def describe(self):
        return "[int, ...]"


class Size(Arg):
    """An output size for adaptive pooling or upsampling: an int or ``[h, w]``."""

    def parse(self, name, v):
        return Pair().parse(name, v)

    def describe(self):
        return "int | [h, w]"


def parse_args(kind: str, fields: dict[str, Arg], raw: dict) -> dict:
    """Validate raw arguments against ``fields``, in the order of ``fields``; raise SpecError on the first problem.
    An argument not given takes its parsed default (None stays None)."""
    unknown = [k for k in raw if k not in fields]
    if unknown:
        known = ", ".join(fields) or "none"
        raise SpecError(f"{kind}: unknown argument '{unknown[0]}' (arguments: {known})")
    out = {}
    for name, f in fields.items():
        if name in raw and raw[name] is not None:
            out[name] = f.parse(name, raw[name])
        elif f.default is REQUIRED:
            raise SpecError(f"{kind}: missing required argument '{name}'")
        else:
            out[name] = f.parse(name, f.default) if f.default is not None else None
    return out


class Record:
    """A frozen, hashable record of named values (a kind's arguments): what a frozen slotted dataclass is, made
    without generating code. ``make_dataclass`` compiled six methods per kind, about a millisecond each, and every
    command paid for all of them on import."""

    __slots__ = ("_key",)  # the values as one tuple, made once: equality and hashing compare it
    _names: tuple[str, ...] = ()

    def __init__(self, **values):
        for name in self._names:
            if name not in values:
                raise TypeError(f"{type(self).__qualname__} needs '{name}'")
            object.__setattr__(self, name, values.pop(name))
        if values:
            raise TypeError(f"{type(self).__qualname__} has no field '{next(iter(values))}'")
        object.__setattr__(self, "_key", tuple(getattr(self, n) for n in self._names))

    def _values(self) -> tuple:
        return self._key  # type: ignore[attr-defined]

    def __setattr__(self, name, value):
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot assign to field '{name}'")

    def __delattr__(self, name):
        from dataclasses import FrozenInstanceError

        raise FrozenInstanceError(f"cannot delete field '{name}'")

    def __eq__(self, other):
        return type(other) is type(self) and self._values() == other._values()

    def __hash__(self):
        return hash(self._values())

    def __repr__(self):
        return f"{type(self).__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._names)})"

    def __reduce__(self):
        return (_rebuild, (type(self), self._values()))


def _rebuild(cls: type[Record], values: tuple):
    """Unpickling and copying: the record with these values (``__init__`` by name, as it validates)."""
    return cls(**dict(zip(cls._names, values)))


def args_record(owner: type, names) -> type:
    """The frozen, hashable record class of a kind's arguments (``Conv.Args``): one attribute per name."""
    names = tuple(names)
    return type(f"{owner.__name__}Args", (Record,), {"__slots__": names, "_names": names,
                                                     "__module__": owner.__module__,
                                                     "__qualname__": f"{owner.__qualname__}.Args"})

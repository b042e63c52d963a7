"""The contract every layer kind fulfils, and the small schema language layers declare their arguments in.

A layer kind is one class in one file of this package. It declares its arguments (``fields``), how many inputs it
takes, and answers, for given input shapes: output shape, named parameter and buffer tensors, MACs, FLOPs, its
receptive-field window and the derivation text for ``archstat explain``. The engine knows nothing about any
particular kind: everything kind-specific lives in that kind's file.

Shapes are tuples without the batch dimension: ``(C, H, W)`` for feature maps, ``(F,)`` for flat vectors.
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

from archstat.core.arith import unseen_after
from archstat.core.notes import STRIDE_DOES_NOT_FIT, WINDOW_SKIPS, Note
from archstat.errors import ShapeError, SpecError
from archstat.io.limits import MAX_DIM

REQUIRED = object()


# --------------------------------------------------------------------------------------------------- schema fields
class Field:
    """One argument of a layer kind: its type, default and a one-line description (shown in docs)."""

    def __init__(self, default=REQUIRED, doc: str = ""):
        self.default = default
        self.doc = doc

    def parse(self, name: str, v):  # returns the validated value or raises SpecError
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__.lower()


def _as_int(v):
    """An integral number as int (accepting 64.0 from an expression); None for anything else."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None


class Int(Field):
    def __init__(self, default=REQUIRED, doc="", min: int = 1):
        super().__init__(default, doc)
        self.min = min

    def parse(self, name, v):
        i = _as_int(v)
        if i is None or i < self.min or i > MAX_DIM:
            lo = "a positive integer" if self.min == 1 else f"an integer >= {self.min}"
            raise SpecError(f"'{name}' must be {lo}, got {v!r}")
        return i

    def describe(self):
        return "int" if self.min == 1 else f"int >= {self.min}"


class Pair(Field):
    """An int applied to both axes, or ``[height, width]``."""

    def __init__(self, default=REQUIRED, doc="", min: int = 1):
        super().__init__(default, doc)
        self.min = min

    def parse(self, name, v):
        items = list(v) if isinstance(v, list) else [v, v]
        vals = [_as_int(x) for x in items]
        if len(vals) != 2 or any(x is None or x < self.min or x > MAX_DIM for x in vals):
            lo = "positive integer" if self.min == 1 else f"integer >= {self.min}"
            raise SpecError(f"'{name}' must be a {lo} or [height, width] of them, got {v!r}")
        return tuple(vals)

    def describe(self):
        return "int | [h, w]"


class Padding(Field):
    """Padding: an int, ``[h, w]``, ``[top, bottom, left, right]``, ``same`` or ``valid``.

    Parsed to ``((top, bottom), (left, right))``, or to the string ``"same"`` (resolved against the kernel).
    """

    def parse(self, name, v):
        if v == "valid":
            return ((0, 0), (0, 0))
        if v == "same":
            return "same"
        items = list(v) if isinstance(v, list) else [v]
        vals = [_as_int(x) for x in items]
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


class Float(Field):
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


class Bool(Field):
    def parse(self, name, v):
        if not isinstance(v, bool):
            raise SpecError(f"'{name}' must be true or false, got {v!r}")
        return v

    def describe(self):
        return "bool"


class Choice(Field):
    def __init__(self, options: tuple, default=REQUIRED, doc=""):
        super().__init__(default, doc)
        self.options = options

    def parse(self, name, v):
        if v not in self.options:
            raise SpecError(f"'{name}' must be one of {', '.join(map(str, self.options))}, got {v!r}")
        return v

    def describe(self):
        return " | ".join(map(str, self.options))


class IntList(Field):
    """A non-empty list of integers >= ``min`` (channel indices)."""

    def __init__(self, default=REQUIRED, doc="", min: int = 0, max_len: int = 100_000):
        super().__init__(default, doc)
        self.min, self.max_len = min, max_len

    def parse(self, name, v):
        vals = [_as_int(x) for x in v] if isinstance(v, list) else [None]
        if not vals or len(vals) > self.max_len or any(x is None or x < self.min or x > MAX_DIM for x in vals):
            raise SpecError(f"'{name}' must be a non-empty list of integers >= {self.min}, got {v!r}")
        return tuple(vals)

    def describe(self):
        return "[int, ...]"


class Size(Field):
    """An output size for adaptive pooling or upsampling: an int or ``[h, w]``."""

    def parse(self, name, v):
        return Pair().parse(name, v)

    def describe(self):
        return "int | [h, w]"


# --------------------------------------------------------------------------------------------------- receptive field
@dataclass(frozen=True)
class Window:
    """How one output position maps onto the layer's input, per axis (Araujo et al., Distill 2019).

    Output position ``x`` reads input positions ``stride*x - padding ... stride*x - padding + extent - 1``.
    ``stride`` may be a fraction (upsampling, transposed conv), ``padding`` negative (cropping).
    """

    stride: tuple  # (h, w)
    padding: tuple  # (h, w)
    extent: tuple  # (h, w): the dilated kernel span


GLOBAL = "global"  # the output sees the whole input (global pooling, flatten, linear on a flat vector)

IDENTITY = Window((1, 1), (0, 0), (1, 1))


def _signature(cls, args: dict):
    """A hashable stand-in for a layer's validated arguments (every Field parses to ints, floats, text, booleans
    or tuples of them), or None should one not hash. Every rule of a layer is a function of its arguments and its
    input shapes alone, so the engine computes each (signature, inputs) once per analysis: a network's repeated
    blocks are counted once."""
    sig = (cls, tuple(args.items()))  # in the order of cls.fields
    try:
        hash(sig)
    except TypeError:
        return None
    return sig


# --------------------------------------------------------------------------------------------------- the layer contract
def spatial(shape) -> bool:
    return len(shape) == 3


def fmt_shape(shape) -> str:
    return "x".join(str(d) for d in shape)


class Layer:
    """Base class of every layer kind. Subclasses override what differs; defaults describe a cost-free op."""

    kind: ClassVar[str]
    aliases: ClassVar[tuple] = ()
    summary: ClassVar[str] = ""  # one line for the README's layer table
    fields: ClassVar[dict[str, Field]] = {}
    shorthand: ClassVar[str | None] = None  # `linear: 4096` sets this field
    min_inputs: ClassVar[int] = 1
    max_inputs: ClassVar[int | None] = 1
    inplace: ClassVar[bool] = False  # writes into its input (activations, inference dropout): no new memory
    view: ClassVar[bool] = False  # a reshape of its input (flatten, identity): no new memory
    flops_rule: ClassVar[str] = ""  # the FLOPs rule in words, for explain and the README
    weight_layer: ClassVar[bool] = False  # counts towards "depth in weight layers"
    statistics_buffers: ClassVar[tuple[str, ...]] = ()  # buffers Keras counts as non-trainable parameters
    data_inputs: ClassVar[int | None] = None  # inputs whose values flow into the output (None: all); the rest
    #                                           only give a size (crop's second input) and add nothing to its field

    def __init__(self, args: dict[str, Any]):
        for k, v in args.items():
            setattr(self, k, v)

    # ---- construction -------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, args: dict) -> "Layer":
        """Validate raw (already expression-evaluated) arguments against ``fields``; raise SpecError on the first problem."""
        unknown = [k for k in args if k not in cls.fields]
        if unknown:
            known = ", ".join(cls.fields) or "none"
            raise SpecError(f"{cls.kind}: unknown argument '{unknown[0]}' (arguments: {known})")
        out = {}
        for name, f in cls.fields.items():
            if name in args and args[name] is not None:
                out[name] = f.parse(name, args[name])
            elif f.default is REQUIRED:
                raise SpecError(f"{cls.kind}: missing required argument '{name}'")
            else:
                out[name] = f.parse(name, f.default) if f.default is not None else None
        sig = _signature(cls, out)  # before cls(out): a kind may take arguments out of the dict
        layer = cls(out)
        layer.check()
        layer.signature = sig
        return layer

    def check(self) -> None:
        """Checks between arguments that need no input shape (override)."""

    signature = None  # (kind class, arguments), hashable: layers with equal signatures and inputs count alike

    # ---- per-input analysis ---------------------------------------------------------------------------------------
    def output_shape(self, ins: list[tuple]) -> tuple:
        return ins[0]

    def params(self, ins: list[tuple]) -> dict[str, int]:
        """Trainable tensors by name, as ``named_parameters()`` of the torch module would list them."""
        return {}

    def buffers(self, ins: list[tuple]) -> dict[str, int]:
        """Non-trainable state by name (batch-norm running statistics), as ``named_buffers()``."""
        return {}

    def macs(self, ins: list[tuple], out: tuple) -> int | None:
        """Multiply-accumulates of conv, transposed conv and linear layers; 0 for every other kind."""
        return 0

    def flops(self, ins: list[tuple], out: tuple) -> int | None:
        """All arithmetic: 2 x MACs plus bias adds, normalisation, activations, ...; None when unknown."""
        return 0

    def window(self, ins: list[tuple], out: tuple):
        """Receptive-field window (a ``Window``), ``GLOBAL``, or ``IDENTITY`` for pointwise ops."""
        if spatial(out) and spatial(ins[0]):
            return IDENTITY
        return GLOBAL

    def derivation(self, ins: list[tuple], out: tuple) -> dict[str, str]:
        """Arithmetic text for ``explain``, values substituted: keys ``shape`` (lines), ``params``, ``macs``, ``flops``.

        Each text except ``shape`` is a plain arithmetic expression (digits, ``+ - * / ( )``) whose value a test
        checks against the engine's figure, so the derivation can never drift from the number printed.
        """
        return {}

    def notes(self, ins: list[tuple], out: tuple) -> list[str]:
        """Warnings about this layer for these inputs (e.g. a stride that does not fit)."""
        return []

    def torch_module(self, ins: list[tuple], out: tuple):
        """The ``torch.nn.Module`` computing this layer (torch is imported only here, on the torch path).

        Its ``named_parameters()`` and ``named_buffers()`` must count what ``params`` and ``buffers`` say; its
        forward takes the layer's inputs in order."""
        raise SpecError(f"layer kind '{self.kind}' has no PyTorch equivalent")

    # ---- helpers for subclasses -----------------------------------------------------------------------------------
    def need_spatial(self, shape) -> tuple:
        if not spatial(shape):
            raise ShapeError(f"{self.kind} needs a C x H x W input, got {fmt_shape(shape)} "
                             f"(a flat vector: is there a flatten too early?)")
        return shape

    def need_flat(self, shape) -> int:
        """The length of a flat input (linear, rbf); a feature map is an error that suggests a flatten."""
        if len(shape) != 1:
            raise ShapeError(f"{self.kind} needs a flat input, got {fmt_shape(shape)}: add a 'flatten' before it")
        return shape[0]

    def args_text(self) -> str:
        """Non-default arguments, for tables and error messages."""
        parts = []
        for name, f in self.fields.items():
            v = self.__dict__.get(name, getattr(self, "given", {}).get(name))
            if f.default is not REQUIRED and (v == f.default or (f.default is not None and v == f.parse(name, f.default))):
                continue
            parts.append(f"{name}={_short(v)}")
        return ", ".join(parts)


def torch_pad4(padding) -> tuple | None:
    """``((top, bottom), (left, right))`` as F.pad's (left, right, top, bottom), or None when symmetric."""
    (t, b), (l, r) = padding
    return None if (t == b and l == r) else (l, r, t, b)


def _short(v) -> str:
    if isinstance(v, tuple) and len(v) == 2 and v[0] == v[1] and not isinstance(v[0], tuple):
        return str(v[0])
    if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, tuple) for x in v):
        flat = [x for pair in v for x in pair]
        return str(flat[0]) if len(set(flat)) == 1 else str(list(flat))
    if isinstance(v, tuple):
        return "x".join(map(str, v))
    return str(v)


def frac_str(x) -> str:
    """A Fraction as an int when whole, else as a short decimal."""
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{float(x):.3g}"
    return str(x)


# --------------------------------------------------------------------------------------------------- sliding windows
def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def window_formula(size, k, s, plo, phi, d=1, ceil_mode=False, out=None) -> str:
    """The lecture's ``(W - F + 2P)/S + 1`` with values substituted, and its rounding.

    ``(227 - 11 + 2*0)/4 + 1 = 55``; ``(7 - 3 + 2*0)/3 + 1 = 2.33 -> floor 2``.
    """
    span = f"({d}*({k}-1)+1)" if d != 1 else str(k)
    pad = f"2*{plo}" if plo == phi else f"{plo} + {phi}"
    text = f"({size} - {span} + {pad})/{s} + 1"
    exact = Fraction(size + plo + phi - (d * (k - 1) + 1), s) + 1
    if exact.denominator == 1:
        return f"{text} = {exact.numerator}"
    if not ceil_mode:
        return f"{text} = {float(exact):.2f} -> floor {int(exact)}"
    up = -(-exact.numerator // exact.denominator)
    if out is not None and out != up:  # PyTorch drops a last window that would start in the right padding
        return f"{text} = {float(exact):.2f} -> ceil {up}, less the last window (it would start in the padding) = {out}"
    return f"{text} = {float(exact):.2f} -> ceil {up}"


def _unseen(size, k, s, plo, phi, d=1):
    """(unseen real positions, window span, exact fractional output size or None when nothing is unseen) along one
    axis."""
    span = d * (k - 1) + 1
    n = unseen_after(size, k, s, plo, phi, d)
    return n, span, (Fraction(size + plo + phi - span, s) + 1 if n else None)


def unseen_notes(shape, kernel, stride, pads, dilation=(1, 1)) -> list[str]:
    """The lecture's warning when a stride does not fit and real input (not padding) is never read:
    ``(7 - 3 + 0)/3 + 1 = 2.33: a 3-wide window with stride 3 does not fit a 7-wide input; the last column is never
    seen``; one line when both axes agree. Also a note when the window is narrower than the stride, so that whole
    rows and columns in between are skipped."""
    _, h, w = shape
    (pt, pb), (pl, pr) = pads
    per_axis = []
    for unit, size, k, s, lo, hi, d in (("row", h, kernel[0], stride[0], pt, pb, dilation[0]),
                                        ("column", w, kernel[1], stride[1], pl, pr, dilation[1])):
        n, span, exact = _unseen(size, k, s, lo, hi, d)
        if n:
            per_axis.append((unit, n, f"({size} - {span} + {lo + hi})/{s} + 1 = {float(exact):.2f}: a {span}-wide "
                                       f"window with stride {s} does not fit a {size}-wide input"))
    notes = []
    if len(per_axis) == 2 and per_axis[0][1:] == per_axis[1][1:]:
        n, text = per_axis[0][1:]
        notes.append(Note(STRIDE_DOES_NOT_FIT, f"{text}, in height and width; the last {'row and column are' if n == 1 else f'{n} rows and columns are'} never seen"))
    else:
        for unit, n, text in per_axis:
            notes.append(Note(STRIDE_DOES_NOT_FIT, f"{text}; the last {unit + ' is' if n == 1 else f'{n} {unit}s are'} never seen"))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(sp < st for sp, st in zip(spans, stride)):
        notes.append(Note(WINDOW_SKIPS, f"the {spans[0]}x{spans[1]} window is narrower than the stride {stride[0]}x{stride[1]}: "
                     f"input rows/columns between windows are skipped"))
    return notes


def window_check(kind: str, axis: str, size, k, s, plo, phi, d, out) -> None:
    """Refuse a window that yields no output, quoting every number that led there (Keras style)."""
    if out < 1:
        span = d * (k - 1) + 1
        raise ShapeError(f"{kind}: output {'height' if axis == 'H' else 'width'} would be {out}: "
                         f"window {span} (kernel {k}{f', dilation {d}' if d != 1 else ''}) is larger than the padded "
                         f"input {size + plo + phi} ({size} + {plo} + {phi}) with stride {s}")


def elems(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def elems_text(shape) -> str:
    return "*".join(map(str, shape))


class Pointwise(Layer):
    """Base for ops that keep the shape and cost a fixed number of FLOPs per element (``per_element``)."""

    per_element: ClassVar[int] = 0

    def flops(self, ins, out):
        return elems(out) * self.per_element

    def derivation(self, ins, out):
        return {"shape": [f"{fmt_shape(out)} (unchanged)"], "params": "0", "macs": "0",
                "flops": f"{elems_text(out)} * {self.per_element}"}


class MergeMismatch(ShapeError):
    """Raised by a multi-input layer when inputs ``a`` and ``b`` disagree; the engine names both inputs."""

    def __init__(self, a: int, b: int, what: str):
        super().__init__(what)
        self.a, self.b, self.what = a, b, what

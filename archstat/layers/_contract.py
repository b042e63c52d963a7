"""The contract every layer kind fulfils, its registration, and the hand-derived examples each kind carries.

A layer kind is one class in one file of this package, decorated with ``@register``. It declares its arguments
(``fields``, see ``_schema``), how many inputs it takes, and answers, for given input shapes: output shape, named
parameter and buffer tensors, MACs, FLOPs, its receptive-field window and the derivation text for ``archstat
explain``. Its arguments are read from the frozen record ``self.args`` (``self.args.kernel``). The engine knows
nothing about any particular kind: everything kind-specific lives in that kind's file, including ``examples``,
the hand-derived numbers the registry-wide tests check it against.

Shapes are tuples without the batch dimension: ``(C, H, W)`` for feature maps, ``(F,)`` for flat vectors,
``(L, D)`` for token sequences (see ``_text``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from archstat.errors import ShapeError, SpecError
from archstat.layers._saved import Autograd, Saved
from archstat.layers._schema import REQUIRED, Arg, args_record, parse_args
from archstat.layers._text import elems, elems_text, fmt_shape, short, spatial, tokens
from archstat.layers._windows import GLOBAL, IDENTITY


@dataclass(frozen=True)
class Example:
    """A hand-derived case of a kind: arguments and input shapes, and the numbers PyTorch's documented rules and
    archstat's counting conventions give. Write each number as the arithmetic that gives it, with a comment citing
    the rule; ``None`` for a count that must be reported unknown (never 0)."""

    id: str
    args: dict
    ins: list
    out: tuple
    params: int
    macs: int | None
    flops: int | None
    buffers: int = 0
    tensors: dict | None = field(default=None)  # expected params() by tensor name, where worth checking


# ------------------------------------------------------------------------------------------------------ registration
_KINDS: dict[str, type] = {}  # kind -> class, in registration order
_NAMES: dict[str, type] = {}  # kind and aliases -> class


def register(cls):
    """Class decorator: make ``cls`` a layer kind a spec can name by ``cls.kind`` or any of ``cls.aliases`` (in the
    manner of timm's ``register_model``). A name already taken raises at import."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)) or not isinstance(cls.__dict__.get("kind"), str):
        raise TypeError(f"@register needs a Layer subclass with its own 'kind', got {cls!r}")
    for name in (cls.kind, *cls.aliases):
        other = _NAMES.get(name)
        if other is not None and _origin(other) != _origin(cls):
            raise ValueError(f"layer kind name '{name}' of {_origin(cls)} is already taken by {_origin(other)}")
    _KINDS[cls.kind] = cls
    for name in (cls.kind, *cls.aliases):
        _NAMES[name] = cls
    return cls


def _origin(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# ------------------------------------------------------------------------------------------------------ the contract
class Layer:
    """Base class of every layer kind. Subclasses override what differs; defaults describe a cost-free op."""

    kind: ClassVar[str]
    aliases: ClassVar[tuple] = ()
    summary: ClassVar[str] = ""  # one line for the README's layer table
    fields: ClassVar[dict[str, Arg]] = {}
    fixed: ClassVar[dict[str, Any]] = {}  # arguments a variant pins (pwconv's 1x1 kernel): in args, not in specs
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
    accepts: ClassVar[tuple[str, ...]] = ("spatial", "flat")  # hint: the inputs it takes, C x H x W maps, "tokens" and/or
    #                                                           flat vectors (the property test draws from it)
    examples: ClassVar[tuple[Example, ...]] = ()  # hand-derived cases; each kind's own, never inherited
    saved_rule: ClassVar[str | None] = None  # what autograd saves for backward, in words; None: unknown (``saved``)
    autocast: ClassVar[str | dict] = "promote"  # under AMP: "half" (autocast's lower-precision list: inputs and
    #   weights cast), "float32" (its float32 list: inputs cast), "promote" (the widest type of its inputs and
    #   parameters), "input" (its input's); a mapping device -> class where CUDA's and the CPU's lists differ
    Args: ClassVar[type]  # the frozen record class of its arguments, made from fields and fixed

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "examples" not in cls.__dict__:
            cls.examples = ()
        cls.Args = args_record(cls, [*cls.fields, *(k for k in cls.fixed if k not in cls.fields)])

    def __init__(self, args):
        self.args = args  # a frozen cls.Args record

    def __getattr__(self, name):
        """Arguments read as attributes (``layer.stride``), for code outside the kinds: reports and tests. An
        argument named like a method (custom's ``params``) is only ``layer.args.params``."""
        if name == "args" or name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(self.args, name)
        except AttributeError:
            raise AttributeError(f"'{type(self).__name__}' has no attribute or argument '{name}'") from None

    # ---- construction -------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, args: dict) -> Layer:
        """Validate raw (already expression-evaluated) arguments against ``fields``; raise SpecError on the first
        problem."""
        values = parse_args(cls.kind, cls.fields, args)
        sig = _signature(cls, values)
        layer = cls(cls.Args(**cls.complete({**cls.fixed, **values})))
        layer.check()
        layer.signature = sig
        return layer

    @classmethod
    def complete(cls, values: dict) -> dict:
        """Fill in arguments whose default depends on others (pooling's stride is its kernel) (override)."""
        return values

    def check(self) -> None:
        """Checks between arguments that need no input shape (override)."""

    signature = None  # (kind class, arguments), hashable: layers with equal signatures and inputs count alike

    @classmethod
    def has_torch_module(cls) -> bool:
        """Whether the kind builds a ``torch.nn.Module`` (custom ops do not)."""
        return cls.torch_module is not Layer.torch_module

    # ---- per-input analysis ---------------------------------------------------------------------------------------
    def output_shape(self, ins: list[tuple]) -> tuple:
        return ins[0]

    def params(self, ins: list[tuple]) -> dict[str, int]:
        """Trainable tensors by name, as ``named_parameters()`` of the torch module would list them; the name ``""``
        is a tensor keyed by the layer's own name (ViT's ``class_token``; the backend puts it on the parent)."""
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
        if tokens(out) and tokens(ins[0]) and out[0] == ins[0][0]:  # the same tokens: each keeps its field
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

    # ---- training (``archstat memory``; ``_saved``) ------------------------------------------------------------------
    def saved(self, ins: list[tuple], out: tuple, grad: Autograd) -> list[Saved] | None:
        """What its torch module's autograd saves for backward in a training pass (``Saved`` records: an input's or
        the output's storage, a parameter, or a tensor of its own, per image), given ``grad`` (which inputs need
        gradients, whether its parameters train, the element type, AMP, the device). None: unknown, reported as
        such, never 0. Say it in words in ``saved_rule``."""
        return None

    def train_storage(self) -> str:
        """Where its output lives in a training pass: ``"new"`` memory, a ``"view"`` (its input's storage: views,
        and ops that return their input, such as dropout with p = 0), or ``"inplace"`` (written into its input,
        torch's ``inplace=True``, where the graph allows it: ``core.memory.inplace_plan``)."""
        return "view" if self.view else "new"

    def torch_module(self, ins: list[tuple], out: tuple):
        """The ``torch.nn.Module`` computing this layer (torch is imported only here, on the torch path; helper
        modules live in ``archstat.layers._torch``, imported only from here).

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
            v = getattr(self.args, name)
            if f.default is not REQUIRED and (v == f.default or (f.default is not None and v == f.parse(name, f.default))):
                continue
            parts.append(f"{name}={short(v)}")
        return ", ".join(parts)


def _signature(cls, args: dict):
    """A hashable stand-in for a layer's validated arguments (every Arg parses to ints, floats, text, booleans or
    tuples of them), or None should one not hash. Every rule of a layer is a function of its arguments and its
    input shapes alone, so the engine computes each (signature, inputs) once per analysis: a network's repeated
    blocks are counted once."""
    sig = (cls, tuple(args.items()))  # in the order of cls.fields
    try:
        hash(sig)
    except TypeError:
        return None
    return sig


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


def broadcast(a: tuple, b: tuple, kind: str) -> tuple:
    """The shape of an element-wise op on ``a`` and ``b`` (``mul``, ``sub``): equal ranks, each dimension equal or
    1 on one side (torch's broadcasting, without rank padding)."""
    if len(a) != len(b):
        raise MergeMismatch(0, 1, f"ranks differ ({fmt_shape(a)} vs {fmt_shape(b)})")
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise MergeMismatch(0, 1, f"shapes cannot broadcast ({fmt_shape(a)} vs {fmt_shape(b)}); "
                                      f"{kind} needs equal sizes or 1")
    return tuple(max(x, y) for x, y in zip(a, b))

"""The source text that constructs one layer's ``nn.Module``: the exporter's table, keyed by the module's class.

The backend builds every kind's module (``Layer.torch_module``); the exporter builds it too (on the meta device: no
memory) and writes the call that makes the same module. One generic rule serves every ``torch.nn`` class: read
each argument of the class's ``__init__`` back from the attribute of the same name (``nn.Conv2d`` keeps
``in_channels``, ``stride``...; a ``bias`` parameter reads as ``bias=True``), leave out those equal to their
default, and write the required ones positionally. archstat's own helper modules (``archstat/layers/_torch*.py``)
are written into the exported file as source, and ``CUSTOM`` says how to call each. Three kinds of layer are not
modules in the file: the merges (``add``, ``mul``, ``concat``: an expression in ``forward``) and the parameters
torchvision keeps on the parent module itself (ViT's ``class_token``, ``encoder.pos_embedding``, ConvNeXt's
``layer_scale``: an ``nn.Parameter`` attribute, used in ``forward``).

A value that varies between the uses of one block (channels, strides) is a ``Hole``; ``archstat.exporting.torch``
turns holes into constructor arguments of the block's class.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from archstat.layers import _torch, _torch_mix, _torch_positions, _torch_tokens, _torch_windows


@dataclass(frozen=True)
class Hole:
    """A number in the source that may become an argument of the enclosing class: ``hint`` names it."""

    value: int | float
    hint: str


Part = str | Hole


@dataclass
class Piece:
    """How one layer appears in the exported file.

    ``how``: ``module`` (``expr`` constructs it; called as ``self.name(inputs)``), ``param`` (``expr`` constructs
    an ``nn.Parameter`` kept as ``self.name``; ``forward`` is the expression that uses it) or ``inline`` (no
    attribute; ``forward`` is the expression). ``forward`` is a format string: ``{0}``, ``{1}``... the inputs,
    ``{all}`` all of them joined by ``sep``, ``{self}`` the attribute."""

    how: str
    expr: list[Part] = field(default_factory=list)
    forward: str = ""
    sep: str = ", "
    helpers: tuple[str, ...] = ()  # names of archstat classes or functions whose source the file must hold


def _collapse(v):
    """``(3, 3)`` -> ``3``: torch.nn accepts an int wherever it takes a pair (or a 4-tuple of paddings)."""
    if isinstance(v, tuple) and v and all(type(x) is int and x == v[0] for x in v):
        return v[0]
    return v


def value_parts(v, hint: str, collapse: bool = False) -> list[Part]:
    """A Python value as source, numbers as holes (``hint`` names them); ``collapse``: an all-equal tuple as one
    number (torch.nn's arguments)."""
    v = _collapse(v) if collapse else v
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return [repr(v)]
    if isinstance(v, int | float):
        return [Hole(v, hint)]
    if isinstance(v, tuple | list):
        out: list[Part] = ["(" if isinstance(v, tuple) else "["]
        for k, x in enumerate(v):
            if k:
                out.append(", ")
            out.extend(value_parts(x, hint))
        out.append(",)" if isinstance(v, tuple) and len(v) == 1 else ")" if isinstance(v, tuple) else "]")
        return out
    if isinstance(v, torch.Size):
        return value_parts(tuple(v), hint)
    raise TypeError(f"cannot write {v!r} as source")


def call(name: str, positional: list[tuple[str, object]], keywords: list[tuple[str, object]],
         collapse: bool = False) -> list[Part]:
    parts: list[Part] = [name + "("]
    first = True
    for hint, v in positional:
        parts += [] if first else [", "]
        parts += value_parts(v, hint, collapse)
        first = False
    for k, v in keywords:
        parts += [] if first else [", "]
        parts += [f"{k}="] + value_parts(v, k, collapse)
        first = False
    return parts + [")"]


_SKIP = {"self", "device", "dtype"}


def _signature_args(m: nn.Module, cls: type, drop: tuple[str, ...] = ()) -> tuple[list, list]:
    """Arguments of ``cls.__init__`` read back from ``m``'s attributes (the generic rule)."""
    pos, kw = [], []
    for p in inspect.signature(cls.__init__).parameters.values():  # type: ignore[misc]
        if p.name in _SKIP or p.name in drop or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if not hasattr(m, p.name):
            if p.default is p.empty:
                raise TypeError(f"{cls.__name__}: no attribute for the required argument '{p.name}'")
            continue  # not kept on the module (PReLU's init): the default, which only sets initial values
        v = getattr(m, p.name)
        if isinstance(v, torch.Tensor) or (v is None and p.name == "bias"):
            v = v is not None  # a bias parameter, or None: bias=True/False
        v = _collapse(tuple(v) if isinstance(v, list | torch.Size) else v)
        if p.default is not p.empty:
            if v == _collapse(p.default) and type(v) is type(_collapse(p.default)):
                continue
            kw.append((p.name, v))
        else:
            pos.append((p.name, v))
    return pos, kw


def torch_nn(m: nn.Module) -> Piece:
    """A ``torch.nn`` module: ``nn.Conv2d(64, 128, 3, stride=2, padding=1, bias=False)``."""
    cls = type(m)
    pos, kw = _signature_args(m, cls)
    return Piece("module", call(f"nn.{cls.__name__}", pos, kw, collapse=True))


def _conv_like(m, base: type, extra: list) -> tuple[list, list]:
    pos, kw = _signature_args(m, base, drop=("padding",))
    return pos, kw + extra


def _helper(name: str, pos: list, kw: list, *helpers: str) -> Piece:
    return Piece("module", call(name, pos, kw), helpers=(name, *helpers))


def _padded_conv(m, layer, ins, out) -> Piece:
    pos, kw = _conv_like(m, nn.Conv2d, [("pad4", tuple(m.pad4))])
    return _helper("PaddedConv2d", pos, kw)


def _padded_max(m, layer, ins, out) -> Piece:
    pos, kw = _conv_like(m, nn.MaxPool2d, [("pad4", tuple(m.pad4))])
    return _helper("PaddedMaxPool2d", pos, kw)


def _padded_avg(m, layer, ins, out) -> Piece:
    pos, kw = _signature_args(m, nn.AvgPool2d, drop=("padding", "count_include_pad"))
    kw = kw + [("pad4", tuple(m.pad4))] + ([("count_include_pad", False)] if m.exclude_pad else [])
    return _helper("PaddedAvgPool2d", pos, kw)


def _map_per_position(name: str, base: type) -> Callable:
    def piece(m, layer, ins, out) -> Piece:
        pos, kw = _signature_args(m, base)
        return _helper(name, pos, kw)
    return piece


def _layer_scale(m, layer, ins, out) -> Piece:
    p = getattr(m, m.param_name)
    shape = tuple(p.shape)
    init = float(layer.args.init)
    if m.named_as_layer:  # torchvision's CNBlock.layer_scale: a parameter of the block itself
        return Piece("param", ["nn.Parameter(torch.full("] + value_parts(shape, "channels") + [", "] +
                     value_parts(init, "init") + ["))"], forward="{0} * {self}")
    return _helper("LayerScale", [("shape", shape), ("init", init), ("name", m.param_name)], [])


def _class_token(m, layer, ins, out) -> Piece:
    _, count, d = m.weight.shape
    return Piece("param", ["nn.Parameter(torch.zeros(1, "] + value_parts(count, "count") + [", "] +
                 value_parts(d, "dim") + ["))"], forward="torch.cat([{self}.expand({0}.shape[0], -1, -1), {0}], dim=1)")


def _pos_embedding(m, layer, ins, out) -> Piece:
    _, length, d = m.weight.shape
    return Piece("param", ["nn.Parameter(torch.empty(1, "] + value_parts(length, "length") + [", "] +
                 value_parts(d, "dim") + [").normal_(std=0.02))"], forward="{0} + {self}")


def _simple(name: str, *attrs: str) -> Callable:
    """An archstat helper class whose arguments are attributes of the same name."""
    def piece(m, layer, ins, out) -> Piece:
        return _helper(name, [(a, getattr(m, a)) for a in attrs], [])
    return piece


def _slice(m, layer, ins, out) -> Piece:
    index = layer.args.index
    if index is not None:
        return _helper("Slice", [], [("index", tuple(index))])
    return _helper("Slice", [("start", m.start), ("stop", m.stop)], [])


def _crop(m, layer, ins, out) -> Piece:
    return _helper("Crop", [] if m.size is None else [("size", tuple(m.size))], [])


def _scale(m, layer, ins, out) -> Piece:
    kw = [] if m.bias is not None else [("bias", False)]
    kw += [("flat", True)] if m.weight.dim() == 1 else []
    return _helper("Scale", [("channels", m.weight.shape[0])], kw)


def _rbf(m, layer, ins, out) -> Piece:
    n_out, n_in = m.weight.shape
    return _helper("RBF", [("n_in", n_in), ("n_out", n_out)], [])


def _attention(m, layer, ins, out) -> Piece:
    kw = [] if m.in_proj_bias is not None else [("bias", False)]
    return _helper("SelfAttention", [("dim", m.d), ("heads", m.heads)], kw)


def generic(m: nn.Module, overrides: dict[str, Callable] | None = None) -> Piece:
    """An archstat helper module whose ``__init__`` arguments are kept as attributes of the same name (or read by
    ``overrides``: argument -> function of the module): the generic rule, with its source in the file."""
    overrides = overrides or {}
    cls = type(m)
    pos, kw = [], []
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name in _SKIP or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in overrides:
            v = overrides[p.name](m)
        elif hasattr(m, p.name) and not isinstance(getattr(m, p.name), nn.Module | torch.Tensor):
            v = getattr(m, p.name)
        elif p.default is not p.empty:
            continue
        else:
            raise TypeError(f"{cls.__name__}: no attribute for the required argument '{p.name}'")
        v = tuple(v) if isinstance(v, list | torch.Size) else v
        if p.default is p.empty:
            pos.append((p.name, v))
        elif not (v == p.default and type(v) is type(p.default)):
            kw.append((p.name, v))
    return _helper(export_name(cls), pos, kw)


def _window_attention(m, layer, ins, out) -> Piece:
    return generic(m, {"qkv_bias": lambda m: m.qkv.bias is not None, "proj_bias": lambda m: m.proj.bias is not None,
                       "cpb_hidden": lambda m: m.cpb_mlp[0].out_features if m.version == "v2" else 512})


# archstat's helper modules: class -> how to write the call (the source of the class goes into the file)
CUSTOM: dict[type, Callable[..., Piece]] = {
    _torch.Add: lambda m, layer, ins, out: Piece("inline", forward="{all}", sep=" + "),
    _torch.Mul: lambda m, layer, ins, out: Piece("inline", forward="{0} * {1}"),
    _torch_mix.Sub: lambda m, layer, ins, out: Piece("inline", forward="{0} - {1}"),
    _torch.Concat: lambda m, layer, ins, out: Piece("inline", forward="torch.cat([{all}], dim=1)"),
    _torch.Flatten: lambda m, layer, ins, out: Piece("module", ["nn.Flatten()"]),
    _torch.Slice: _slice,
    _torch.Crop: _crop,
    _torch.Scale: _scale,
    _torch.RBF: _rbf,
    _torch.ChannelShuffle: _simple("ChannelShuffle", "groups"),
    _torch.PaddedConv2d: _padded_conv,
    _torch.PaddedMaxPool2d: _padded_max,
    _torch.PaddedAvgPool2d: _padded_avg,
    _torch.GroupSoftmax: _simple("GroupSoftmax", "groups"),
    _torch.Constant: _simple("Constant", "value"),
    _torch_positions.LayerNorm: _map_per_position("MapLayerNorm", nn.LayerNorm),
    _torch_positions.Linear: _map_per_position("MapLinear", nn.Linear),
    _torch_positions.LayerScale: _layer_scale,
    _torch_positions.StochasticDepth: _simple("StochasticDepth", "p", "mode"),
    _torch_tokens.ToTokens: _simple("ToTokens"),
    _torch_tokens.ToMap: _simple("ToMap", "h", "w"),
    _torch_tokens.ClassToken: _class_token,
    _torch_tokens.PosEmbedding: _pos_embedding,
    _torch_tokens.SelectToken: _simple("SelectToken", "index"),
    _torch_tokens.SelfAttention: _attention,
    _torch_windows.WindowAttention: _window_attention,
    _torch_windows.PatchMerge: _simple("PatchMerge"),
}

# arguments of archstat helpers that are not kept as attributes, by class name (for helpers this file does not
# import: a kind's module file is imported only when the kind builds one)
OVERRIDES: dict[str, dict[str, Callable]] = {
    "QkvAttention": {"d": lambda m: m.qkv.in_features, "qkv_bias": lambda m: m.qkv.bias is not None,
                     "proj_bias": lambda m: m.proj.bias is not None},
}

RENAMED = {_torch_positions.LayerNorm: "MapLayerNorm", _torch_positions.Linear: "MapLinear"}  # the file also
# uses nn.LayerNorm and nn.Linear


def export_name(cls: type) -> str:
    return RENAMED.get(cls, cls.__name__)


def _archstat_helpers() -> dict[str, object]:
    """Every class and function of archstat's torch helper modules, by the name the exported file gives it."""
    import importlib
    import pkgutil

    import archstat.layers as layers

    out: dict[str, object] = {}
    for info in pkgutil.iter_modules(layers.__path__):
        if not info.name.startswith("_torch"):
            continue
        mod = importlib.import_module(f"archstat.layers.{info.name}")
        for k, v in vars(mod).items():
            if getattr(v, "__module__", None) == mod.__name__ and (inspect.isclass(v) or inspect.isfunction(v)):
                out[export_name(v) if inspect.isclass(v) else k] = v
    return out


def helper_sources(names: list[str]) -> list[str]:
    """The sources of archstat helpers, each renamed to its exported name, with the helpers they use (functions
    and classes of the same modules that their source names), those first."""
    known = _archstat_helpers()
    done: list[str] = []

    def visit(name: str, stack: tuple = ()) -> None:
        if name in done or name in stack:
            return
        src = inspect.getsource(known[name])  # type: ignore[arg-type]
        for other in known:
            if other != name and re.search(rf"\b{re.escape(getattr(known[other], '__name__', other))}\b", src):
                visit(other, (*stack, name))
        done.append(name)

    for n in names:
        visit(n)
    out = []
    for name in done:
        obj = known[name]
        src = inspect.getsource(obj)  # type: ignore[arg-type]
        own = obj.__name__  # type: ignore[attr-defined]
        if own != name:
            src = src.replace(f"class {own}(", f"class {name}(", 1)
        out.append(src.rstrip())
    return out


def piece(module: nn.Module, layer, ins: list[tuple], out: tuple) -> Piece:
    """How ``module`` (the backend's module for ``layer``) is written in the exported file."""
    rule = CUSTOM.get(type(module))
    if rule is not None:
        return rule(module, layer, ins, out)
    if type(module).__module__.startswith("torch.nn"):
        return torch_nn(module)
    if type(module).__module__.startswith("archstat.layers._torch"):  # by attributes, and OVERRIDES by class name
        return generic(module, OVERRIDES.get(type(module).__name__))
    raise TypeError(f"no export rule for the module class {type(module).__qualname__} (kind '{layer.kind}'); "
                    f"add one to archstat/exporting/modules.py")

"""Handlers of modules (``call_module`` nodes), looked up by class in ``_MODULES`` (the exact class, or a torch.nn
class the module derives from without a forward of its own: ``_base_handler``) or by class name in
``_MODULE_BY_NAME`` (composites outside torch.nn). Each maps one module onto one layer (or raises ``Unmapped``).
torchvision's composites are in ``torchvision_handlers.py``, timm's in ``timm_handlers.py``."""

from __future__ import annotations

# torch.fx types a node's arguments as a wide union (Argument); the handlers read the shapes the trace gave them
# mypy: disable-error-code="index, arg-type, union-attr, assignment, unused-ignore, func-returns-value, var-annotated"
import math
from typing import TYPE_CHECKING

from torch import fx, nn

from archstat.importing.ir import ImportedLayer
from archstat.importing.torch.functions import _flatten_to, _identity, _permute_to
from archstat.importing.torch.values import CF, CL, FLAT, TOK, Unmapped, Val, _one, _pair, logical

if TYPE_CHECKING:
    from archstat.importing.torch.mapper import Mapper


def _conv(mp: Mapper, node: fx.Node, m: nn.Conv2d, pads: list[int] | None = None) -> None:
    if m.padding_mode != "zeros":
        raise Unmapped()
    src = _one(mp, node)
    if src.layout != CF:
        raise Unmapped()
    args: dict = {"out": m.out_channels, "kernel": _pair(m.kernel_size)}
    if _pair(m.stride) != 1:
        args["stride"] = _pair(m.stride)
    if pads is not None:
        if any(pads):
            args["padding"] = pads
    elif isinstance(m.padding, str):
        if m.padding == "same":
            args["padding"] = "same"
    elif _pair(m.padding) != 0:
        args["padding"] = _pair(m.padding)
    if _pair(m.dilation) != 1:
        args["dilation"] = _pair(m.dilation)
    if m.groups != 1:
        args["groups"] = m.groups
    if m.bias is None:
        args["bias"] = False
    mp.add(mp.module_name(node), "conv", args, [mp.tensor_in(node.args[0])], node, CF)


def _conv_same(mp: Mapper, node: fx.Node, m) -> None:
    """timm's Conv2dSame: TensorFlow's 'SAME' padding, computed from the input (top/left get the smaller half)."""
    h, w = mp.shape(node.args[0])[2:]  # type: ignore[arg-type]
    pads = []
    for size, k, s, d in zip((h, w), m.kernel_size, m.stride, m.dilation):
        total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    t, b = pads[0]
    left, r = pads[1]
    _conv(mp, node, m, [t, b, left, r])


def _bn(mp: Mapper, node: fx.Node, m) -> None:
    if not m.track_running_stats or m.running_mean is None:
        raise Unmapped()
    src = _one(mp, node)
    args: dict = {}
    if m.eps != 1e-5:
        args["eps"] = float(m.eps)
    if m.momentum is not None and m.momentum != 0.1:
        args["momentum"] = float(m.momentum)
    if not m.affine:
        args["affine"] = False
    name = mp.module_name(node)
    mp.add(name, "batchnorm", args, [mp.tensor_in(node.args[0])], node, src.layout)
    act = getattr(m, "act", None)  # timm's BatchNormAct2d: the activation (and a dropout) after the norm
    drop = getattr(m, "drop", None)
    if drop is not None and not isinstance(drop, nn.Identity):
        raise Unmapped()
    if act is not None and not isinstance(act, nn.Identity):
        kind, kargs = _activation(act)
        la = ImportedLayer(mp.fresh(f"{name}_act"), kind, kargs, [name], mp.layers[-1].shape,
                           f"{type(act).__module__}.{type(act).__name__}")
        mp.layers.append(la)
        mp.vals[node] = Val(la.name, src.layout)


_ACTS = {"ReLU": "relu", "ReLU6": "relu6", "Sigmoid": "sigmoid", "Tanh": "tanh", "SiLU": "silu", "Swish": "silu",
         "Hardswish": "hardswish", "HardSwish": "hardswish", "Hardsigmoid": "hardsigmoid", "HardSigmoid": "hardsigmoid",
         "GELU": "gelu", "LeakyReLU": "leaky_relu"}


def _activation(m: nn.Module) -> tuple[str, dict]:
    name = type(m).__name__
    kind = _ACTS.get(name)
    if kind is None:
        raise Unmapped()
    if kind == "gelu" and getattr(m, "approximate", "none") != "none":
        raise Unmapped()
    if kind == "leaky_relu":
        return kind, {"slope": float(m.negative_slope)}
    return kind, {}


def _act_module(mp: Mapper, node: fx.Node, m) -> None:
    kind, args = _activation(m)
    src = _one(mp, node)
    mp.add(mp.module_name(node), kind, args, [mp.tensor_in(node.args[0])], node, src.layout)


def _dropout(mp: Mapper, node: fx.Node, m) -> None:
    src = _one(mp, node)
    args = {"p": float(m.p)} if m.p != 0.5 else {}
    mp.add(mp.module_name(node), "dropout", args, [mp.tensor_in(node.args[0])], node, src.layout)


def _maxpool(mp: Mapper, node: fx.Node, m) -> None:
    if _one(mp, node).layout != CF or getattr(m, "return_indices", False):
        raise Unmapped()
    args: dict = {"kernel": _pair(m.kernel_size), "stride": _pair(m.stride if m.stride is not None else m.kernel_size)}
    if _pair(m.padding) != 0:
        args["padding"] = _pair(m.padding)
    if m.ceil_mode:
        args["ceil_mode"] = True
    if _pair(m.dilation) != 1:
        args["dilation"] = _pair(m.dilation)
    mp.add(mp.module_name(node), "maxpool", args, [mp.tensor_in(node.args[0])], node, CF)


def _avgpool(mp: Mapper, node: fx.Node, m) -> None:
    if _one(mp, node).layout != CF or m.divisor_override is not None:
        raise Unmapped()
    args: dict = {"kernel": _pair(m.kernel_size), "stride": _pair(m.stride if m.stride is not None else m.kernel_size)}
    if _pair(m.padding) != 0:
        args["padding"] = _pair(m.padding)
    if m.ceil_mode:
        args["ceil_mode"] = True
    if not m.count_include_pad:
        args["count_include_pad"] = False
    mp.add(mp.module_name(node), "avgpool", args, [mp.tensor_in(node.args[0])], node, CF)


def _adaptive(mp: Mapper, node: fx.Node, m) -> None:
    if _one(mp, node).layout != CF:
        raise Unmapped()
    out = mp.shape(node)[2:]
    if tuple(out) == (1, 1):
        mp.add(mp.module_name(node), "global_avgpool", {}, [mp.tensor_in(node.args[0])], node, CF)
    else:
        mp.add(mp.module_name(node), "adaptive_avgpool", {"size": _pair(out)}, [mp.tensor_in(node.args[0])], node,
               CF)


def _linear(mp: Mapper, node: fx.Node, m: nn.Linear) -> None:
    src = _one(mp, node)
    if src.layout not in (CL, TOK, FLAT):
        raise Unmapped()
    args: dict = {"out": m.out_features}
    if m.bias is None:
        args["bias"] = False
    mp.add(mp.module_name(node), "linear", args, [mp.tensor_in(node.args[0])], node, src.layout)


def _flatten_module(mp: Mapper, node: fx.Node, m: nn.Flatten) -> None:
    _flatten_to(mp, node, m.start_dim, m.end_dim, mp.module_name)


def _layer_norm(mp: Mapper, node: fx.Node, m) -> None:
    src = _one(mp, node)
    two_d = type(m).__name__ == "LayerNorm2d"
    if len(m.normalized_shape) != 1:
        raise Unmapped()
    if two_d and src.layout != CF:
        raise Unmapped()
    if not two_d and src.layout not in (CL, TOK, FLAT):
        raise Unmapped()
    mp.add(mp.module_name(node), "layer_norm", _ln_args(m), [mp.tensor_in(node.args[0])], node, src.layout)


def _group_norm(mp: Mapper, node: fx.Node, m: nn.GroupNorm) -> None:
    src = _one(mp, node)
    if src.layout != CF:
        raise Unmapped()
    args: dict = {"groups": m.num_groups}
    if m.eps != 1e-5:
        args["eps"] = float(m.eps)
    if not m.affine:
        args["affine"] = False
    mp.add(mp.module_name(node), "group_norm", args, [mp.tensor_in(node.args[0])], node, CF)


def _mha(mp: Mapper, node: fx.Node, m: nn.MultiheadAttention) -> None:
    q = node.args[0]
    if not (len(node.args) >= 3 and node.args[1] is q and node.args[2] is q) or mp.val(q).layout != TOK:
        raise Unmapped()
    if not m.batch_first or not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
        raise Unmapped()
    if node.kwargs.get("attn_mask") is not None or node.kwargs.get("key_padding_mask") is not None:
        raise Unmapped()
    args: dict = {"heads": m.num_heads}
    if m.in_proj_bias is None:
        args["bias"] = False
    if m.dropout:
        args["dropout"] = float(m.dropout)
    res = mp.results[node]
    name = mp.module_name(node)
    la = ImportedLayer(name, "self_attention", args, [mp.tensor_in(q)], logical(res[0].shape, TOK),
                       "torch.nn.MultiheadAttention")
    mp.layers.append(la)
    mp.vals[node] = Val(name, "tuple0")  # (output, weights): getitem 0 is the output


def _stochastic_depth(mp: Mapper, node: fx.Node, m) -> None:
    src = _one(mp, node)
    p = float(getattr(m, "p", getattr(m, "drop_prob", 0.0)))
    mode = getattr(m, "mode", "row")
    args: dict = {}
    if p:
        args["p"] = p
    if mode != "row":
        args["mode"] = mode
    if type(m).__name__ == "DropPath" and not getattr(m, "scale_by_keep", True):
        pass
    mp.add(mp.module_name(node), "stochastic_depth", args, [mp.tensor_in(node.args[0])], node, src.layout)


def _permute_module(mp: Mapper, node: fx.Node, m) -> None:
    _permute_to(mp, node, tuple(m.dims), mp.module_name)


def _softmax_module(mp: Mapper, node: fx.Node, m: nn.Softmax) -> None:
    src = _one(mp, node)
    dim = m.dim if m.dim is not None else -1
    if not ((src.layout == CF and dim in (1, -3)) or (src.layout in (FLAT, TOK, CL) and dim in (-1, len(
            mp.shape(node)) - 1))):
        raise Unmapped()
    mp.add(mp.module_name(node), "softmax", {}, [mp.tensor_in(node.args[0])], node, src.layout)


def _upsample(mp: Mapper, node: fx.Node, m: nn.Upsample) -> None:
    if _one(mp, node).layout != CF or m.mode not in ("nearest", "bilinear") or (
            m.mode == "bilinear" and m.align_corners):
        raise Unmapped()
    mp.add(mp.module_name(node), "upsample", {"size": _pair(mp.shape(node)[2:]), "mode": m.mode},
           [mp.tensor_in(node.args[0])], node, CF)


def _zeropad(mp: Mapper, node: fx.Node, m) -> None:
    if _one(mp, node).layout != CF:
        raise Unmapped()
    left, r, t, b = m.padding
    mp.add(mp.module_name(node), "zeropad", {"padding": [t, b, left, r]}, [mp.tensor_in(node.args[0])], node, CF)


def _lrn(mp: Mapper, node: fx.Node, m: nn.LocalResponseNorm) -> None:
    mp.add(mp.module_name(node), "lrn", {"size": m.size, "alpha": float(m.alpha), "beta": float(m.beta),
                                         "k": float(m.k)}, [mp.tensor_in(node.args[0])], node, CF)


def _prelu(mp: Mapper, node: fx.Node, m: nn.PReLU) -> None:
    args = {"shared": True} if m.num_parameters == 1 else {}
    if m.num_parameters != 1 and _one(mp, node).layout != CF:
        raise Unmapped()
    mp.add(mp.module_name(node), "prelu", args, [mp.tensor_in(node.args[0])], node, _one(mp, node).layout)


def _channel_shuffle_module(mp: Mapper, node: fx.Node, m) -> None:
    mp.add(mp.module_name(node), "channel_shuffle", {"groups": int(m.groups)}, [mp.tensor_in(node.args[0])], node, CF)


def _pixel_shuffle(mp: Mapper, node: fx.Node, m) -> None:
    if isinstance(m, nn.PixelShuffle):
        mp.add(mp.module_name(node), "pixel_shuffle", {"upscale": m.upscale_factor}, [mp.tensor_in(node.args[0])],
               node, CF)
    else:
        mp.add(mp.module_name(node), "pixel_unshuffle", {"downscale": m.downscale_factor},
               [mp.tensor_in(node.args[0])], node, CF)


def _put(mp: Mapper, name: str, kind: str, args: dict, inputs: list[str], shape: tuple, op: str) -> str:
    """One layer of a composite module mapped by hand (its shape given, not read off a node)."""
    la = ImportedLayer(mp.fresh(name), kind, args, inputs, tuple(int(d) for d in shape), op)
    mp.layers.append(la)
    return la.name


def _ln_args(m: nn.LayerNorm) -> dict:
    if len(m.normalized_shape) != 1:
        raise Unmapped()
    args: dict = {}
    if m.eps != 1e-5:
        args["eps"] = float(m.eps)
    if not m.elementwise_affine:
        args["affine"] = False
    elif m.bias is None:
        args["bias"] = False
    return args


def _sd_args(m: nn.Module) -> dict:
    p = float(getattr(m, "p", 0.0))
    mode = getattr(m, "mode", "row")
    return ({"p": p} if p else {}) | ({"mode": mode} if mode != "row" else {})


_MODULES: dict = {
    nn.Conv2d: _conv, nn.BatchNorm2d: _bn, nn.BatchNorm1d: _bn, nn.ReLU: _act_module, nn.ReLU6: _act_module,
    nn.Sigmoid: _act_module, nn.Tanh: _act_module, nn.SiLU: _act_module, nn.Hardswish: _act_module,
    nn.Hardsigmoid: _act_module, nn.GELU: _act_module, nn.LeakyReLU: _act_module, nn.Identity: _identity,
    nn.Dropout: _dropout, nn.Dropout2d: _dropout, nn.MaxPool2d: _maxpool, nn.AvgPool2d: _avgpool,
    nn.AdaptiveAvgPool2d: _adaptive, nn.Linear: _linear, nn.Flatten: _flatten_module, nn.LayerNorm: _layer_norm,
    nn.GroupNorm: _group_norm, nn.MultiheadAttention: _mha, nn.Softmax: _softmax_module, nn.Upsample: _upsample,
    nn.ZeroPad2d: _zeropad, nn.LocalResponseNorm: _lrn, nn.PReLU: _prelu, nn.ChannelShuffle: _channel_shuffle_module,
    nn.PixelShuffle: _pixel_shuffle, nn.PixelUnshuffle: _pixel_shuffle,
}
_MODULE_BY_NAME: dict = {  # composites outside torch.nn, by class name (torchvision's and timm's)
    "StochasticDepth": _stochastic_depth, "DropPath": _stochastic_depth, "LayerNorm2d": _layer_norm,
    "BatchNormAct2d": _bn, "Conv2dSame": _conv_same, "Permute": _permute_module,
    "Linear": lambda mp, node, m: _linear(mp, node, m) if isinstance(m, nn.Linear) else _unmapped(),
}


def _unmapped():
    raise Unmapped()


def _base_handler(m: nn.Module):
    """The handler of ``m``'s class or of a torch.nn class it derives from without a forward of its own."""
    for cls in type(m).__mro__:
        h = _MODULES.get(cls)
        if h is not None:
            return h if type(m).forward is cls.forward else None  # type: ignore[attr-defined]
    return None

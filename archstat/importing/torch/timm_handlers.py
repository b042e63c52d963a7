"""timm's modules and idioms mapped onto archstat's kinds: handlers that ``archstat.importing.torch`` uses when
timm is imported (``register()``, called from ``trace._register_optional``).

What is mapped here (each handler checks what it needs and raises ``Unmapped`` otherwise, so the node becomes
``custom``, counted and listed, or falls back to the generic handler):

- ``x + 0`` with the number 0 (MobileOne's absent identity branch) -> the tensor itself;
- ``F.interpolate`` of a map to a size (GhostNetV2) -> ``upsample``;
- channel slices ``x[:, a:b]`` / ``x[:, :c, :, :]`` (GhostNet, ReXNet, DPN) -> ``slice``;
- a per-channel vector multiplying a map, ``x.mul(gamma.reshape(1, -1, 1, 1))`` (ConvNeXt's ``gamma``,
  MetaFormer's ``Scale``, ``LayerScale2d``) -> ``layer_scale`` with ``vector: true`` (the state_dict holds C, not
  C x 1 x 1);
- ``timm.layers.Attention`` (ViT, DeiT, ...) -> ``qkv_attention`` (timm's ``qkv``/``proj`` tensor names);
- ``timm.layers.EcaModule`` (ECA-ResNet) -> ``eca`` (timm's ``conv.weight``);
- ``x.transpose(1, 2)`` of L x D tokens (MLP-Mixer's token MLP) -> ``token_transpose``; ``x.mean(dim=1)`` of tokens
  (its head) -> ``token_mean``;
- ``torch.addcmul(beta, alpha, x)`` of a module's 1 x 1 x D ``alpha``, ``beta`` (ResMLP's Affine) -> ``token_affine``;
- timm's norms with their own forward (``LayerNorm``, ``LayerNorm2d``, ``GroupNorm``, ``GroupNorm1``) and its
  norm + activation composites (``GroupNormAct``, ``GroupNorm1Act``, ``LayerNormAct``, ``LayerNormAct2d``).

Handlers are looked up by class (``modules._MODULES``, exact class or a subclass without its own forward), by
function and by method name, as ``archstat.importing.torch``'s own.
"""

from __future__ import annotations

# torch.fx types a node's arguments as a wide union (Argument); the handlers read the shapes the trace gave them
# mypy: disable-error-code="index, arg-type, union-attr, unused-ignore"
import operator

import torch
from torch import fx, nn

from archstat.importing.ir import ImportedLayer
from archstat.importing.torch import functions as fn
from archstat.importing.torch import modules as md
from archstat.importing.torch.mapper import Mapper
from archstat.importing.torch.values import CF, FLAT, TOK, Unmapped, Val, _arg, _one, _pair

_DONE: list[bool] = []


# ---- channel slices ---------------------------------------------------------------------------------------------------
def _channel_slice(mp: Mapper, node: fx.Node) -> None:
    """``x[:, a:b]`` (or ``x[:, a:b, :, :]``) of a C x H x W map: channels a..b-1."""
    src_node, idx = node.args[0], node.args[1]
    v = mp.vals.get(src_node) if isinstance(src_node, fx.Node) else None
    if v is None or v.layer is None or v.layout != CF or not isinstance(idx, tuple) or not 2 <= len(idx) <= 4:
        raise Unmapped()
    if idx[0] != slice(None) or not isinstance(idx[1], slice) or any(i != slice(None) for i in idx[2:]):
        raise Unmapped()
    if not all(isinstance(b, (int, type(None))) for b in (idx[1].start, idx[1].stop, idx[1].step)):
        raise Unmapped()
    c = int(mp.results[src_node].shape[1])
    start, stop, step = idx[1].indices(c)
    if step != 1 or stop <= start:
        raise Unmapped()
    if (start, stop) == (0, c):
        mp.vals[node] = v  # all channels: the tensor itself
        return
    args: dict = {"start": start} if start else {}
    if stop != c:
        args["stop"] = stop
    mp.add(mp.op_name(node, "slice"), "slice", args, [v.layer], node, CF)


# ---- adding zero -------------------------------------------------------------------------------------------------------
def _add_zero(mp: Mapper, node: fx.Node) -> None:
    """``x + 0`` with the Python number 0 (MobileOne's ``identity_out = 0`` when a block has no identity branch): the
    tensor itself, no layer."""
    a, b = node.args[0], node.args[1]
    x = a if isinstance(a, fx.Node) and not isinstance(b, fx.Node) else b if isinstance(b, fx.Node) and not \
        isinstance(a, fx.Node) else None
    other = b if x is a else a
    if x is None or type(other) not in (int, float) or other != 0 or node.kwargs.get("alpha", 1) != 1:
        raise Unmapped()
    v = mp.vals.get(x)
    if v is None or v.layer is None:
        raise Unmapped()
    mp.vals[node] = v


# ---- resizing ---------------------------------------------------------------------------------------------------------
def _interpolate(mp: Mapper, node: fx.Node) -> None:
    """``F.interpolate(x, size=... | scale_factor=..., mode='nearest' | 'bilinear')`` of a map (GhostNetV2's
    attention branch, resized back to the block's output): ``upsample`` to the traced size."""
    if _one(mp, node).layout != CF:
        raise Unmapped()
    mode = _arg(node, 3, "mode", "nearest")
    if mode not in ("nearest", "bilinear") or (mode == "bilinear" and _arg(node, 4, "align_corners")):
        raise Unmapped()
    if _arg(node, 5, "recompute_scale_factor") or _arg(node, 6, "antialias", False):
        raise Unmapped()
    mp.add(mp.op_name(node, "interpolate"), "upsample", {"size": _pair(mp.shape(node)[2:]), "mode": mode},
           [mp.tensor_in(node.args[0])], node, CF)


# ---- a vector of C multiplying a map ----------------------------------------------------------------------------------
def _param_dim(mp: Mapper, path: str) -> int | None:
    try:
        return int(mp.gm.get_parameter(path).dim())
    except AttributeError:
        return None


def _vector_scale(mp: Mapper, node: fx.Node) -> None:
    """``x * gamma.reshape(1, -1, 1, 1)`` with ``gamma`` a parameter of C elements and ``x`` a C x H x W map."""
    a, b = node.args[0], node.args[1]
    if not (isinstance(a, fx.Node) and isinstance(b, fx.Node) and a in mp.vals and b in mp.vals):
        raise Unmapped()
    x, p = (a, b) if mp.vals[a].layer is not None else (b, a)
    xv, pv = mp.vals[x], mp.vals[p]
    if xv.layer is None or pv.layer is not None or pv.param is None or xv.layout != CF:
        raise Unmapped()
    res = mp.results[node]
    if tuple(res.shape) != tuple(mp.results[x].shape) or _param_dim(mp, pv.param) != 1:
        raise Unmapped()
    if tuple(mp.results[p].shape) not in ((1, res.shape[1], 1, 1), (res.shape[1], 1, 1)):
        raise Unmapped()
    mp.add(pv.param, "layer_scale", {"vector": True}, [xv.layer], node, CF)
    mp.used.add(pv.param)


# ---- attention --------------------------------------------------------------------------------------------------------
def _given(mp: Mapper, v) -> bool:
    """Whether an optional argument is set: not None or False, nor an input of the network left None."""
    if isinstance(v, fx.Node):
        return mp.results.get(v) not in (None, False)
    return v not in (None, False)


def _attention(mp: Mapper, node: fx.Node, m) -> None:
    """``timm.layers.Attention(dim, heads, qkv_bias, proj_bias=...)`` with no q/k norm, no output norm, no gate, the
    head width dim / heads and the output width dim: ``qkv_attention``."""
    x = node.args[0]
    if len(node.args) > 1 or any(_given(mp, v) for v in node.kwargs.values()):
        raise Unmapped()  # a mask or causal attention
    if not isinstance(x, fx.Node) or mp.val(x).layout != TOK:
        raise Unmapped()
    d = int(mp.results[x].shape[-1])
    if not all(isinstance(getattr(m, k, None), nn.Identity) for k in ("q_norm", "k_norm", "norm")):
        raise Unmapped()
    if getattr(m, "gate", None) is not None or m.attn_dim != d or m.proj.out_features != d:
        raise Unmapped()
    args: dict = {"heads": int(m.num_heads)}
    if m.qkv.bias is None:
        args["qkv_bias"] = False
    if m.proj.bias is None:
        args["proj_bias"] = False
    if float(m.attn_drop.p):
        args["dropout"] = float(m.attn_drop.p)
    mp.add(mp.module_name(node), "qkv_attention", args, [mp.tensor_in(x)], node, TOK)


# ---- efficient channel attention -------------------------------------------------------------------------------------
def _eca(mp: Mapper, node: fx.Node, m) -> None:
    """timm's ``EcaModule`` (ECA-ResNet's ``attn_layer='eca'``) with one bias-free ``Conv1d(1, 1, k)`` of odd k and
    zero padding (k - 1)/2, and a sigmoid gate: ``eca``, whose tensor is ``conv.weight`` as timm's. The MLP variant
    (``conv2``), other gates and ``CecaModule`` (circular padding, its own class) stay custom."""
    conv = m.conv
    if getattr(m, "conv2", None) is not None or type(m.gate).__name__ != "Sigmoid" or _one(mp, node).layout != CF:
        raise Unmapped()
    k = int(conv.kernel_size[0])
    if conv.bias is not None or (conv.in_channels, conv.out_channels) != (1, 1) or k % 2 == 0 \
            or tuple(conv.padding) != ((k - 1) // 2,) or tuple(conv.stride) != (1,) \
            or tuple(conv.dilation) != (1,) or conv.groups != 1 or conv.padding_mode != "zeros":
        raise Unmapped()
    mp.add(mp.module_name(node), "eca", {"kernel": k}, [mp.tensor_in(node.args[0])], node, CF)


# ---- token mixing -----------------------------------------------------------------------------------------------------
def _token_transpose(mp: Mapper, node: fx.Node) -> None:
    """``x.transpose(1, 2)`` of an L x D token sequence (MLP-Mixer's token MLP reads D x L): ``token_transpose``, whose
    result is D x L tokens (the next ``nn.Linear`` mixes the L tokens)."""
    if _one(mp, node).layout != TOK or mp.results[node].dim() != 3 or len(node.args) != 3:
        raise Unmapped()
    if sorted(int(d) % 3 for d in node.args[1:3]) != [1, 2]:
        raise Unmapped()
    mp.add(mp.op_name(node, "transpose"), "token_transpose", {}, [mp.tensor_in(node.args[0])], node, TOK)


def _token_mean(mp: Mapper, node: fx.Node) -> None:
    """``x.mean(dim=1)`` of an L x D token sequence (MLP-Mixer's head): ``token_mean``, a D vector."""
    dims = _arg(node, 1, "dim")
    if _one(mp, node).layout != TOK or dims is None or _arg(node, 2, "keepdim", False) \
            or node.kwargs.get("dtype") is not None:
        raise Unmapped()
    if [int(d) % 3 for d in (dims if isinstance(dims, (tuple, list)) else [dims])] != [1]:
        raise Unmapped()
    mp.add(mp.op_name(node, "mean"), "token_mean", {}, [mp.tensor_in(node.args[0])], node, FLAT)


def _addcmul_affine(mp: Mapper, node: fx.Node) -> None:
    """``torch.addcmul(beta, alpha, x)`` with ``alpha`` and ``beta`` the 1 x 1 x D parameters of one module and ``x``
    L x D tokens (ResMLP's ``Affine``): ``token_affine``, named by that module's path (timm's tensor names)."""
    if len(node.args) != 3 or node.kwargs.get("value", 1) != 1:
        raise Unmapped()
    b, a, x = node.args
    vals = [mp.vals.get(n) if isinstance(n, fx.Node) else None for n in (b, a, x)]
    if any(v is None for v in vals) or vals[2].layer is None or vals[2].layout != TOK:
        raise Unmapped()
    beta, alpha = vals[0].param, vals[1].param
    if beta is None or alpha is None or not beta.endswith(".beta") or alpha != beta[:-5] + ".alpha":
        raise Unmapped()
    d = int(mp.results[x].shape[-1])
    if any(tuple(mp.gm.get_parameter(p).shape) != (1, 1, d) for p in (alpha, beta)):
        raise Unmapped()
    base = beta[:-5]
    if base in mp.used:  # its module called twice: a second copy of its weights
        raise Unmapped()
    mp.used.add(base)
    mp.add(base, "token_affine", {}, [vals[2].layer], node, TOK)


# ---- norms ------------------------------------------------------------------------------------------------------------
def _group_norm1(mp: Mapper, node: fx.Node, m) -> None:
    """timm's GroupNorm1: one group over all channels (the statistics of LayerNorm over C x H x W)."""
    if m.num_groups != 1:
        raise Unmapped()
    md._group_norm(mp, node, m)


def _layer_norm_2d(mp: Mapper, node: fx.Node, m) -> None:
    """A LayerNorm over the channels of a C x H x W map (timm's ``LayerNormAct2d``, as ``LayerNorm2d``)."""
    if _one(mp, node).layout != CF:
        raise Unmapped()
    mp.add(mp.module_name(node), "layer_norm", md._ln_args(m), [mp.tensor_in(node.args[0])], node, CF)


def _then_act(handler):
    """A norm + activation composite (timm's ``*NormAct``): the norm's layer, then the activation's, with ``drop``
    an identity."""
    def h(mp: Mapper, node: fx.Node, m) -> None:
        drop = getattr(m, "drop", None)
        if drop is not None and not isinstance(drop, nn.Identity):
            raise Unmapped()
        act = getattr(m, "act", None)
        pending = None
        if act is not None and not isinstance(act, nn.Identity):
            pending = md._activation(act)  # raises Unmapped before anything is added
        handler(mp, node, m)
        if pending is None:
            return
        norm = mp.vals[node]
        kind, kargs = pending
        la = ImportedLayer(mp.fresh(f"{norm.layer}_act"), kind, kargs, [norm.layer], mp.layers[-1].shape,  # type: ignore
                           f"{type(act).__module__}.{type(act).__name__}")
        mp.layers.append(la)
        mp.vals[node] = Val(la.name, norm.layout)
    return h


# ---- registration -----------------------------------------------------------------------------------------------------
def _first(mine, base):
    """Try ``mine``; where it does not apply, the handler that was registered before."""
    if base is None:
        return mine

    def h(*a):
        try:
            mine(*a)
        except Unmapped:
            base(*a)
    return h


def register() -> None:
    """Add timm's handlers to the handler tables (once)."""
    if _DONE:
        return
    _DONE.append(True)
    from timm.layers import attention, eca, norm, norm_act

    fn._FUNCTIONS[operator.getitem] = _first(_channel_slice, fn._FUNCTIONS.get(operator.getitem))
    for f in (operator.mul, operator.imul, torch.mul):
        fn._FUNCTIONS[f] = _first(_vector_scale, fn._FUNCTIONS.get(f))
    for meth in ("mul", "mul_"):
        fn._METHODS[meth] = _first(_vector_scale, fn._METHODS.get(meth))
    for f in (operator.add, operator.iadd, torch.add):
        fn._FUNCTIONS[f] = _first(_add_zero, fn._FUNCTIONS.get(f))
    for meth in ("add", "add_"):
        fn._METHODS[meth] = _first(_add_zero, fn._METHODS.get(meth))
    fn._FUNCTIONS.setdefault(nn.functional.interpolate, _interpolate)
    fn._FUNCTIONS[torch.transpose] = _first(_token_transpose, fn._FUNCTIONS.get(torch.transpose))
    fn._METHODS["transpose"] = _first(_token_transpose, fn._METHODS.get("transpose"))
    fn._FUNCTIONS[torch.mean] = _first(_token_mean, fn._FUNCTIONS.get(torch.mean))
    fn._METHODS["mean"] = _first(_token_mean, fn._METHODS.get("mean"))
    md._MODULES[eca.EcaModule] = _eca
    fn._FUNCTIONS.setdefault(torch.addcmul, _addcmul_affine)
    md._MODULES[attention.Attention] = _attention
    md._MODULES[norm.LayerNorm] = md._layer_norm
    md._MODULES[norm.LayerNorm2d] = md._layer_norm
    md._MODULES[norm.GroupNorm] = md._group_norm
    md._MODULES[norm.GroupNorm1] = _group_norm1
    md._MODULES[norm_act.GroupNormAct] = _then_act(md._group_norm)
    md._MODULES[norm_act.GroupNorm1Act] = _then_act(_group_norm1)
    md._MODULES[norm_act.LayerNormAct] = _then_act(md._layer_norm)
    md._MODULES[norm_act.LayerNormAct2d] = _then_act(_layer_norm_2d)


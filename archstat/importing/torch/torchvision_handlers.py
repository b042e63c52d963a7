"""torchvision's composites mapped by hand: Swin's shifted-window attention (``window_attention``) and patch-merging
gather (``patch_merge``), and MaxViT's partition attention layer (``partition``, ``relative_attention``, the MLP,
``departition``). ``register()`` adds them to the handler tables when torchvision's modules are imported."""

from __future__ import annotations

# torch.fx types a node's arguments as a wide union (Argument); the handlers read the shapes the trace gave them
# mypy: disable-error-code="index, arg-type, union-attr, assignment, unused-ignore, func-returns-value, var-annotated"
import sys
from typing import TYPE_CHECKING

from torch import fx, nn

from archstat.importing.torch.functions import _FUNCTIONS, _stochastic_depth_fn
from archstat.importing.torch.modules import _MODULES, _activation, _ln_args, _put, _sd_args
from archstat.importing.torch.values import CF, CL, Unmapped, Val, _one, _pair

if TYPE_CHECKING:
    from archstat.importing.torch.mapper import Mapper


def _swin_attention(mp: Mapper, node: fx.Node, m) -> None:
    """torchvision's ShiftedWindowAttention (v1) and ShiftedWindowAttentionV2 (v2): the ``window_attention`` kind,
    whose tensors have torchvision's names (qkv, proj, relative_position_bias_table or logit_scale and cpb_mlp)."""
    src = _one(mp, node)
    if src.layout != CL:
        raise Unmapped()
    args: dict = {"heads": int(m.num_heads), "window": _pair(m.window_size)}
    if _pair(m.shift_size) != 0:
        args["shift"] = _pair(m.shift_size)
    cpb = getattr(m, "cpb_mlp", None)
    if cpb is not None:
        args["version"] = "v2"
        if cpb[0].out_features != 512:
            args["cpb_hidden"] = int(cpb[0].out_features)
    if m.qkv.bias is None:
        args["qkv_bias"] = False
    if m.proj.bias is None:
        args["proj_bias"] = False
    for k in ("attention_dropout", "dropout"):
        if getattr(m, k):
            args[k] = float(getattr(m, k))
    mp.add(mp.module_name(node), "window_attention", args, [mp.tensor_in(node.args[0])], node, CL)


def _patch_merging_pad_fn(mp: Mapper, node: fx.Node) -> None:
    """torchvision Swin's ``_patch_merging_pad`` (wrapped for fx): the 2x2 gather of ``patch_merge``."""
    if _one(mp, node).layout != CL:
        raise Unmapped()
    mp.add(mp.op_name(node, "gather"), "patch_merge", {}, [mp.tensor_in(node.args[0])], node, CL)


def _partition_attention(mp: Mapper, node: fx.Node, m) -> None:
    """torchvision MaxViT's PartitionAttentionLayer, whose forward holds the groups as an axis of 4-D tensors:
    mapped by hand onto ``partition`` (the map read as H*W tokens, grouped), the pre-norm ``relative_attention``
    and MLP on the tokens with their residual adds, and ``departition`` (blocks/maxvit.yaml's layout). Names are
    the module's paths (attn_layer.1, mlp_layer.3, ...), so the state_dict keys are torchvision's."""
    src = _one(mp, node)
    if src.layout != CF:
        raise Unmapped()
    _, c, h, w = mp.shape(node.args[0])  # type: ignore[arg-type]
    mode = m.partition_type
    size = int(m.p if mode == "window" else m.g)  # the window's side, or the grid's
    attn, mlp = m.attn_layer, m.mlp_layer
    if len(attn) != 3 or len(mlp) != 5 or type(attn[1]).__name__ != "RelativePositionalMultiHeadAttention" \
            or not isinstance(attn[0], nn.LayerNorm) or not isinstance(mlp[0], nn.LayerNorm) \
            or (mode == "grid" and h != w) or h % size or w % size:
        raise Unmapped()
    base, x = mp.module_name(node), mp.tensor_in(node.args[0])
    tok = (h * w, c)
    op = f"{type(m).__module__}.{type(m).__name__}"
    part = _put(mp, f"{base}.partition", "partition", {"size": size, "mode": mode}, [x], tok, op)
    y = _put(mp, f"{base}.attn_layer.0", "layer_norm", _ln_args(attn[0]), [part], tok, op)
    y = _put(mp, f"{base}.attn_layer.1", "relative_attention",
             {"head_dim": int(attn[1].head_dim), "size": int(attn[1].size), "partition": mode}, [y], tok, op)
    y = _put(mp, f"{base}.attn_layer.2", "dropout", {"p": float(attn[2].p)}, [y], tok, op)
    y = _put(mp, f"{base}.stochastic_dropout", "stochastic_depth", _sd_args(m.stochastic_dropout), [y], tok, op)
    r1 = _put(mp, f"{base}.residual_1", "add", {}, [part, y], tok, op)
    y = _put(mp, f"{base}.mlp_layer.0", "layer_norm", _ln_args(mlp[0]), [r1], tok, op)
    y = _put(mp, f"{base}.mlp_layer.1", "linear", {"out": int(mlp[1].out_features)}, [y], tok[:1] +
             (int(mlp[1].out_features),), op)
    kind, kargs = _activation(mlp[2])
    y = _put(mp, f"{base}.mlp_layer.2", kind, kargs, [y], (h * w, int(mlp[1].out_features)), op)
    y = _put(mp, f"{base}.mlp_layer.3", "linear", {"out": int(mlp[3].out_features)}, [y], tok, op)
    y = _put(mp, f"{base}.mlp_layer.4", "dropout", {"p": float(mlp[4].p)}, [y], tok, op)
    y = _put(mp, f"{base}.stochastic_dropout", "stochastic_depth", _sd_args(m.stochastic_dropout), [y], tok, op)
    r2 = _put(mp, f"{base}.residual_2", "add", {}, [r1, y], tok, op)
    out = _put(mp, f"{base}.departition", "departition", {"size": size, "mode": mode}, [r2, x], (c, h, w), op)
    mp.vals[node] = Val(out, CF)


def register() -> None:
    """Functions of torchvision wrapped for fx (call_function nodes) and its composite modules, when torchvision is
    imported."""
    tvops = sys.modules.get("torchvision.ops.stochastic_depth")
    if tvops is not None:
        _FUNCTIONS[tvops.stochastic_depth] = _stochastic_depth_fn
    swin = sys.modules.get("torchvision.models.swin_transformer")
    if swin is not None:
        _FUNCTIONS[swin._patch_merging_pad] = _patch_merging_pad_fn
        _MODULES[swin.ShiftedWindowAttention] = _MODULES[swin.ShiftedWindowAttentionV2] = _swin_attention
    maxvit = sys.modules.get("torchvision.models.maxvit")
    if maxvit is not None:
        _MODULES[maxvit.PartitionAttentionLayer] = _partition_attention
    tvsh = sys.modules.get("torchvision.models.shufflenetv2")
    if tvsh is not None and hasattr(tvsh, "channel_shuffle"):
        pass

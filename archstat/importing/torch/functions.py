"""Handlers of functions and tensor methods (``call_function`` and ``call_method`` nodes), looked up by target in
``_FUNCTIONS`` and by method name in ``_METHODS``: activations, arithmetic between tensors, reshapes, permutes,
pools, concatenation, indexing and splits."""

from __future__ import annotations

# torch.fx types a node's arguments as a wide union (Argument); the handlers read the shapes the trace gave them
# mypy: disable-error-code="index, arg-type, union-attr, assignment, unused-ignore, func-returns-value, var-annotated"
import operator
from typing import TYPE_CHECKING

import torch
from torch import fx
from torch.nn import functional as F

from archstat.importing.ir import ImportedLayer
from archstat.importing.torch.values import (
    CF,
    CL,
    FLAT,
    TOK,
    TOKT,
    Unmapped,
    Val,
    _arg,
    _layout_of,
    _one,
    _pair,
    _param_numel,
    logical,
)

if TYPE_CHECKING:
    from archstat.importing.torch.mapper import Mapper


def _identity(mp: Mapper, node: fx.Node, m=None) -> None:
    mp.vals[node] = _one(mp, node)


def _fn_act(kind: str, extra=None):
    def h(mp: Mapper, node: fx.Node) -> None:
        src = _one(mp, node)
        args = extra(node) if extra else {}
        mp.add(mp.op_name(node, kind), kind, args, [mp.tensor_in(node.args[0])], node, src.layout)
    return h


def _gelu_fn(mp: Mapper, node: fx.Node) -> None:
    if node.kwargs.get("approximate", "none") != "none":
        raise Unmapped()
    _fn_act("gelu")(mp, node)


def _hardtanh_fn(mp: Mapper, node: fx.Node) -> None:
    lo, hi = _arg(node, 1, "min_val", -1.0), _arg(node, 2, "max_val", 1.0)
    if (lo, hi) != (0.0, 6.0):
        raise Unmapped()
    _fn_act("relu6")(mp, node)


def _binary(kind: str):
    def h(mp: Mapper, node: fx.Node) -> None:
        a, b = node.args[0], node.args[1]
        an, bn = isinstance(a, fx.Node), isinstance(b, fx.Node)
        res = mp.results[node]
        if an and bn and mp.vals[a].layer is not None and mp.vals[b].layer is not None:
            la_, lb_ = mp.vals[a], mp.vals[b]
            layout = la_.layout if tuple(mp.results[a].shape) == tuple(res.shape) else lb_.layout
            if {la_.layout, lb_.layout} - {layout} and not (
                    mp.results[a].dim() == mp.results[b].dim() == 4):
                raise Unmapped()
            mp.add(mp.op_name(node, kind), kind, {}, [la_.layer, lb_.layer], node, layout)  # type: ignore[list-item]
            return
        if an and bn:  # one side a parameter
            x, p = (a, b) if mp.vals[a].layer is not None else (b, a)
            pv = mp.vals[p]
            xv = mp.vals[x]
            if pv.param is None:
                raise Unmapped()
            numel = _param_numel(mp.gm, pv.param)
            out = logical(res.shape, xv.layout)
            if kind == "mul" and xv.layout in (CF, CL, TOK) and numel == out[0 if xv.layout != TOK else 1]:
                mp.add(pv.param, "layer_scale", {}, [xv.layer], node, xv.layout)  # type: ignore[list-item]
                mp.used.add(pv.param)
                return
            if kind == "add" and xv.layout == TOK and numel == out[0] * out[1]:
                mp.add(pv.param, "pos_embedding", {}, [xv.layer], node, TOK)  # type: ignore[list-item]
                mp.used.add(pv.param)
                return
            raise Unmapped()
        if an and isinstance(b, (int, float)) and kind == "mul":
            xv = mp.vals[a]
            mp.add(mp.op_name(node, "scale"), "scale", {"value": float(b), "bias": False}, [mp.tensor_in(a)], node,
                   xv.layout)
            return
        raise Unmapped()
    return h


def _flatten_to(mp: Mapper, node: fx.Node, start: int, end: int, namer) -> None:
    src = _one(mp, node)
    res = mp.results[node]
    if src.layout == CF and res.dim() == 2:
        mp.add(namer(node) if namer == mp.module_name else namer(node, "flatten"), "flatten", {},
               [mp.tensor_in(node.args[0])], node, FLAT)
        return
    if src.layout == CF and res.dim() == 3 and start == 2:  # (B, C, H*W): tokens once transposed
        mp.vals[node] = Val(None, TOKT, src=mp.tensor_in(node.args[0]))
        mp.vals[node].layer = None
        return
    if src.layout == FLAT and res.dim() == 2:
        _identity(mp, node)
        return
    raise Unmapped()


def _flatten_fn(mp: Mapper, node: fx.Node) -> None:
    start = _arg(node, 1, "start_dim", 0)
    end = _arg(node, 2, "end_dim", -1)
    _flatten_to(mp, node, start, end, mp.op_name)


def _reshape(mp: Mapper, node: fx.Node) -> None:
    src = _one(mp, node)
    before, after = mp.results[node.args[0]], mp.results[node]  # type: ignore[index]
    if tuple(before.shape) == tuple(after.shape):
        _identity(mp, node)
        return
    if src.layout == CF and after.dim() == 2:
        mp.add(mp.op_name(node, "flatten"), "flatten", {}, [mp.tensor_in(node.args[0])], node, FLAT)
        return
    if src.layout == CF and after.dim() == 3 and tuple(after.shape) == (before.shape[0], before.shape[1],
                                                                       before.shape[2] * before.shape[3]):
        mp.vals[node] = Val(None, TOKT, src=mp.tensor_in(node.args[0]))
        return
    if src.layout == CF and after.dim() == 5 and after.shape[3:] == before.shape[2:]:  # (B, g, C/g, H, W): a shuffle
        mp.vals[node] = Val(None, "shuffle5", src=mp.tensor_in(node.args[0]))
        mp.vals[node].param = str(int(after.shape[1]))
        return
    if src.layout == "shuffle5t" and after.dim() == 4:
        mp.add(mp.op_name(node, "channel_shuffle"), "channel_shuffle", {"groups": int(src.param or 1)},
               [src.src], node, CF)  # type: ignore[list-item]
        return
    raise Unmapped()


def _tokens_from(mp: Mapper, node: fx.Node, src: Val) -> None:
    mp.add(mp.op_name(node, "tokens"), "tokens", {}, [src.src], node, TOK)  # type: ignore[list-item]


def _permute_to(mp: Mapper, node: fx.Node, dims: tuple, namer) -> None:
    src = _one(mp, node)
    if src.layout == TOKT and dims == (0, 2, 1):
        _tokens_from(mp, node, src)
        return
    if src.layout == CF and dims == (0, 2, 3, 1):
        mp.add(namer(node) if namer == mp.module_name else namer(node, "permute"), "permute",
               {"dims": [0, 2, 3, 1]}, [mp.tensor_in(node.args[0])], node, CL)
        return
    if src.layout == CL and dims == (0, 3, 1, 2):
        mp.add(namer(node) if namer == mp.module_name else namer(node, "permute"), "permute",
               {"dims": [0, 3, 1, 2]}, [mp.tensor_in(node.args[0])], node, CF)
        return
    raise Unmapped()


def _permute_fn(mp: Mapper, node: fx.Node) -> None:
    dims = node.args[1:] if node.op == "call_method" else _arg(node, 1, "dims")
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    _permute_to(mp, node, tuple(int(d) for d in dims), mp.op_name)


def _transpose(mp: Mapper, node: fx.Node) -> None:
    src = _one(mp, node)
    a, b = sorted(int(d) % mp.results[node].dim() for d in node.args[1:3])
    if src.layout == TOKT and (a, b) == (1, 2):
        _tokens_from(mp, node, src)
        return
    if src.layout == "shuffle5" and (a, b) == (1, 2):
        mp.vals[node] = Val(None, "shuffle5t", src=src.src, param=src.param)
        return
    raise Unmapped()


def _contiguous(mp: Mapper, node: fx.Node) -> None:
    _identity(mp, node)


def _mean(mp: Mapper, node: fx.Node) -> None:
    src = _one(mp, node)
    dims = _arg(node, 1, "dim")
    keep = _arg(node, 2, "keepdim", False)
    if src.layout != CF or dims is None:
        raise Unmapped()
    dims = tuple(sorted(int(d) % 4 for d in (dims if isinstance(dims, (tuple, list)) else [dims])))
    if dims != (2, 3):
        raise Unmapped()
    name = mp.op_name(node, "mean")
    if keep:
        mp.add(name, "global_avgpool", {}, [mp.tensor_in(node.args[0])], node, CF)
        return
    la = ImportedLayer(name, "global_avgpool", {}, [mp.tensor_in(node.args[0])],
                       (int(mp.results[node].shape[1]), 1, 1), "Tensor.mean")
    mp.layers.append(la)
    mp.add(mp.fresh(name + "_flat"), "flatten", {}, [name], node, FLAT)


def _adaptive_fn(mp: Mapper, node: fx.Node) -> None:
    if _one(mp, node).layout != CF:
        raise Unmapped()
    out = mp.shape(node)[2:]
    if tuple(out) == (1, 1):
        mp.add(mp.op_name(node, "avgpool"), "global_avgpool", {}, [mp.tensor_in(node.args[0])], node, CF)
        return
    mp.add(mp.op_name(node, "avgpool"), "adaptive_avgpool", {"size": _pair(out)}, [mp.tensor_in(node.args[0])], node,
           CF)


def _pool_fn(kind: str):
    def h(mp: Mapper, node: fx.Node) -> None:
        if _one(mp, node).layout != CF:
            raise Unmapped()
        k = _arg(node, 1, "kernel_size")
        s = _arg(node, 2, "stride") or k
        p = _arg(node, 3, "padding", 0)
        if kind == "maxpool":
            d = _arg(node, 4, "dilation", 1)
            ceil = _arg(node, 5, "ceil_mode", False)
            if _pair(d) != 1 or _arg(node, 6, "return_indices", False):
                raise Unmapped()
        else:
            ceil = _arg(node, 4, "ceil_mode", False)
            if not _arg(node, 5, "count_include_pad", True) or _arg(node, 6, "divisor_override") is not None:
                raise Unmapped()
        args: dict = {"kernel": _pair(k), "stride": _pair(s)}
        if _pair(p) != 0:
            args["padding"] = _pair(p)
        if ceil:
            args["ceil_mode"] = True
        mp.add(mp.op_name(node, kind), kind, args, [mp.tensor_in(node.args[0])], node, CF)
    return h


def _cat(mp: Mapper, node: fx.Node) -> None:
    items = _arg(node, 0, "tensors")
    dim = int(_arg(node, 1, "dim", 0))
    res = mp.results[node]
    vals = [mp.vals.get(x) for x in items]
    if any(v is None for v in vals):
        raise Unmapped()
    if len(vals) == 1 and vals[0].layer is not None:  # a cat of one tensor is that tensor
        mp.vals[node] = vals[0]
        return
    if all(v.layer is not None for v in vals) and dim % res.dim() == 1 and all(v.layout == CF for v in vals):
        mp.add(mp.op_name(node, "cat"), "concat", {}, [v.layer for v in vals], node, CF)  # type: ignore[misc]
        return
    # ViT: cat([class_token.expand(B, -1, -1), x], dim=1)
    if len(vals) == 2 and vals[0].layer is None and vals[0].param and vals[1].layout == TOK and dim % 3 == 1:
        p = vals[0].param
        count = int(mp.results[items[0]].shape[1])
        mp.add(p, "class_token", {"count": count} if count != 1 else {}, [vals[1].layer], node, TOK)  # type: ignore
        mp.used.add(p)
        return
    raise Unmapped()


def _getitem(mp: Mapper, node: fx.Node) -> None:
    src_node, idx = node.args[0], node.args[1]
    src = mp.vals.get(src_node)  # type: ignore[arg-type]
    if src is None:
        raise Unmapped()
    if src.layout == "tuple0" and idx == 0:
        mp.vals[node] = Val(src.layer, TOK)
        return
    if src.layout == "tuple":  # an unmapped op's several results: each element is its layer's
        res = mp.results[node]
        if isinstance(res, torch.Tensor):
            layout = _layout_of(res)
            mp.add(mp.op_name(node, "item"), "custom", {"op": "getitem", "shape": list(logical(res.shape, layout)),
                                                       "params": 0, "macs": 0, "flops": 0},
                   [src.layer], node, layout)  # type: ignore[list-item]
            return
    if src.layout == "split":
        parts = mp.results[src_node]
        start = sum(int(p.shape[1]) for p in parts[:idx])
        stop = start + int(parts[idx].shape[1])
        mp.add(mp.op_name(node, "slice"), "slice", {"start": start, "stop": stop}, [src.src], node, CF)  # type: ignore
        return
    if src.layout == TOK and isinstance(idx, tuple) and len(idx) == 2 and idx[0] == slice(None) and isinstance(
            idx[1], int):
        mp.add(mp.op_name(node, "select"), "select_token", {"index": idx[1]} if idx[1] else {},
               [src.layer], node, FLAT)  # type: ignore[list-item]
        return
    raise Unmapped()


def _split(mp: Mapper, node: fx.Node) -> None:
    src = _one(mp, node)
    dim = _arg(node, 2, "dim", 0)
    if src.layout != CF or int(dim) % 4 != 1:
        raise Unmapped()
    mp.vals[node] = Val(None, "split", src=mp.tensor_in(node.args[0]))


def _dropout_fn(mp: Mapper, node: fx.Node) -> None:
    src = _one(mp, node)
    p = float(_arg(node, 1, "p", 0.5))
    mp.add(mp.op_name(node, "dropout"), "dropout", {"p": p} if p != 0.5 else {}, [mp.tensor_in(node.args[0])],
           node, src.layout)


def _softmax_fn(mp: Mapper, node: fx.Node) -> None:
    src = _one(mp, node)
    dim = int(_arg(node, 1, "dim", -1)) % mp.results[node].dim()
    if not ((src.layout == CF and dim == 1) or (src.layout in (FLAT, TOK) and dim == mp.results[node].dim() - 1)):
        raise Unmapped()
    mp.add(mp.op_name(node, "softmax"), "softmax", {}, [mp.tensor_in(node.args[0])], node, src.layout)


def _stochastic_depth_fn(mp: Mapper, node: fx.Node) -> None:
    src = _one(mp, node)
    p = float(_arg(node, 1, "p", 0.0))
    mode = _arg(node, 2, "mode", "row")
    args: dict = {}
    if p:
        args["p"] = p
    if mode != "row":
        args["mode"] = mode
    mp.add(mp.op_name(node, "stochastic_depth"), "stochastic_depth", args, [mp.tensor_in(node.args[0])], node,
           src.layout)


_add = _binary("add")
_mul = _binary("mul")
_FUNCTIONS: dict = {
    operator.add: _add, operator.iadd: _add, torch.add: _add, operator.mul: _mul, operator.imul: _mul,
    torch.mul: _mul, torch.flatten: _flatten_fn, torch.cat: _cat, torch.concat: _cat, operator.getitem: _getitem,
    F.relu: _fn_act("relu"), torch.relu: _fn_act("relu"), F.relu6: _fn_act("relu6"), F.hardtanh: _hardtanh_fn,
    torch.sigmoid: _fn_act("sigmoid"), F.sigmoid: _fn_act("sigmoid"), F.silu: _fn_act("silu"),
    F.hardswish: _fn_act("hardswish"), F.hardsigmoid: _fn_act("hardsigmoid"), F.gelu: _gelu_fn,
    torch.tanh: _fn_act("tanh"), F.tanh: _fn_act("tanh"), F.dropout: _dropout_fn,
    F.adaptive_avg_pool2d: _adaptive_fn, F.avg_pool2d: _pool_fn("avgpool"), F.max_pool2d: _pool_fn("maxpool"),
    torch.permute: _permute_fn, torch.transpose: _transpose, torch.split: _split, torch.chunk: _split, F.softmax: _softmax_fn,
    torch.softmax: _softmax_fn, torch.mean: _mean, torch.reshape: _reshape,
}
_METHODS: dict = {
    "add": _add, "add_": _add, "mul": _mul, "mul_": _mul, "flatten": _flatten_fn, "view": _reshape,
    "reshape": _reshape, "permute": _permute_fn, "transpose": _transpose, "contiguous": _contiguous,
    "relu": _fn_act("relu"), "relu_": _fn_act("relu"), "sigmoid": _fn_act("sigmoid"), "sigmoid_": _fn_act("sigmoid"),
    "tanh": _fn_act("tanh"), "mean": _mean, "split": _split, "chunk": _split, "softmax": _softmax_fn,
}

_sub_any = _binary("sub")


def _sub(mp: Mapper, node: fx.Node) -> None:
    """``a - b`` of two tensors (PoolFormer's token mixer ``pool(x) - x``): ``sub``; an ``alpha`` has no kind."""
    if node.kwargs.get("alpha", 1) != 1 or len(node.args) > 2:
        raise Unmapped()
    _sub_any(mp, node)


_FUNCTIONS.update({operator.sub: _sub, operator.isub: _sub, torch.sub: _sub})
_METHODS.update({"sub": _sub, "sub_": _sub})

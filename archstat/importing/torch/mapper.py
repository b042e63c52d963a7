"""The mapping of a traced graph onto archstat's IR (``Mapper``): it walks the nodes in order, looks each up in the
handler tables (``modules._MODULES`` by class, ``modules._MODULE_BY_NAME`` by class name, ``functions._FUNCTIONS``
and ``functions._METHODS`` by target) and writes ``custom`` for the rest, with the MACs FlopCounterMode measures for
that node alone."""

from __future__ import annotations

# torch.fx types a node's arguments as a wide union (Argument); the handlers read the shapes the trace gave them
# mypy: disable-error-code="index, arg-type, union-attr, assignment, unused-ignore, func-returns-value, var-annotated"
import torch
from torch import fx, nn

from archstat.importing.ir import INPUT, ImportedLayer
from archstat.importing.torch.functions import _FUNCTIONS, _METHODS
from archstat.importing.torch.modules import _MODULE_BY_NAME, _base_handler
from archstat.importing.torch.values import (
    CL,
    OTHER,
    Unmapped,
    Val,
    _flat_args,
    _has_tensor,
    _layout_of,
    _op_text,
    _param_numel,
    _short,
    _tensors,
    logical,
)


def _shared(m: nn.Module, path: str) -> None:
    """A module called a second time: fine without tensors (a ReLU used thrice is three layers, ``relu``,
    ``relu_1``, ...); with parameters or buffers it would be a second copy of its weights, since a spec holds one
    set of weights per layer and has no shared weights. That is an error, never a silent double count."""
    n = sum(p.numel() for p in m.parameters()) + sum(b.numel() for b in m.buffers())
    if n:
        from archstat.errors import SpecError

        raise SpecError(f"module '{path}' ({type(m).__name__}, {n:,} weights) is called more than once: a spec "
                        f"holds one set of weights per layer and cannot share them, so archstat import does not "
                        f"import weight sharing (it would count them twice)")


class Mapper:
    def __init__(self, gm: fx.GraphModule, results: dict, input_shape: tuple):
        self.gm = gm
        self.results = results
        self.vals: dict[fx.Node, Val] = {}
        self.layers: list[ImportedLayer] = []
        self.used: set[str] = {INPUT}
        self.calls: dict[str, int] = {}
        self.input_shape = input_shape

    # names
    def owner(self, node: fx.Node) -> str:
        stack = node.meta.get("nn_module_stack") or {}
        if not stack:
            return ""
        return list(stack.values())[-1][0]

    def fresh(self, base: str) -> str:
        name, n = base, 0
        while name in self.used or any(u.startswith(name + ".") for u in ()):
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name

    def module_name(self, node: fx.Node) -> str:
        path = str(node.target)
        if path in self.used and path != INPUT:
            _shared(self.gm.get_submodule(path), path)
        return self.fresh(path)

    def op_name(self, node: fx.Node, op: str) -> str:
        own = self.owner(node)
        return self.fresh(f"{own}.{op}" if own else op)

    # values
    def val(self, a) -> Val:
        return self.vals[a]

    def tensor_in(self, a) -> str:
        v = self.vals.get(a) if isinstance(a, fx.Node) else None
        if v is None or v.layer is None:
            raise Unmapped()
        return v.layer

    def shape(self, node: fx.Node) -> tuple:
        return tuple(self.results[node].shape)

    def add(self, name: str, kind: str, args: dict, inputs: list[str], node: fx.Node, layout: str,
            op: str = "") -> Val:
        res = self.results[node]
        la = ImportedLayer(name, kind, args, inputs, logical(res.shape, layout), op or _op_text(node, self.gm))
        self.layers.append(la)
        v = Val(name, layout)
        self.vals[node] = v
        return v

    # the walk
    def run(self) -> list[ImportedLayer]:
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                if isinstance(self.results[node], torch.Tensor):  # not an optional argument left None (a mask)
                    self.vals[node] = Val(INPUT, _layout_of(self.results[node]))
                continue
            if node.op == "output":
                continue
            if node.op == "get_attr":
                self.vals[node] = Val(None, OTHER, param=str(node.target))
                continue
            res = self.results.get(node)
            if not _has_tensor(res):
                continue  # sizes, flags: no layer
            tensor_args = [a for a in _flat_args(node) if isinstance(a, fx.Node) and a in self.vals]
            if tensor_args and all(self.vals[a].layer is None and self.vals[a].src is None for a in tensor_args) \
                    and any(self.vals[a].param for a in tensor_args):
                p = next((self.vals[a].param for a in tensor_args if self.vals[a].param), None)
                self.vals[node] = Val(None, OTHER, param=p)  # a view of a parameter (gamma.reshape(...))
                continue
            try:
                self.map(node)
            except Unmapped:
                self.custom(node)
        return self.layers

    def map(self, node: fx.Node) -> None:
        if node.op == "call_module":
            m = self.gm.get_submodule(str(node.target))
            h = _MODULE_BY_NAME.get(type(m).__name__) or _base_handler(m)
            if h is None:
                raise Unmapped()
            h(self, node, m)
            return
        target = node.target
        if node.op == "call_method":
            h = _METHODS.get(str(target))
        else:
            h = _FUNCTIONS.get(target)  # type: ignore[arg-type]
        if h is None:
            raise Unmapped()
        h(self, node)

    def custom(self, node: fx.Node) -> None:
        res = self.results[node]
        ins = []
        for a in _flat_args(node):
            lay = self.vals[a].layer if isinstance(a, fx.Node) and a in self.vals else None
            if lay is not None and lay not in ins:
                ins.append(lay)
        if not ins:
            ins = [INPUT]
        params, buffers = 0, {}
        if node.op == "call_module":
            m = self.gm.get_submodule(str(node.target))
            params = sum(p.numel() for p in m.parameters())
            buffers = {k.replace(".", "_"): b.numel() for k, b in m.named_buffers()}
            name = self.module_name(node)
            op = f"{type(m).__module__}.{type(m).__name__}"
        else:
            for a in _flat_args(node):
                if isinstance(a, fx.Node) and a in self.vals and self.vals[a].param:
                    params += int(_param_numel(self.gm, self.vals[a].param))
            op = _op_text(node, self.gm)
            name = self.op_name(node, _short(node))
        macs = self.measure(node)
        if isinstance(res, torch.Tensor):
            layout = _layout_of(res)
            first_in = next((a for a in _flat_args(node) if isinstance(a, fx.Node) and a in self.vals
                             and self.vals[a].layer is not None), None)
            if first_in is not None and self.vals[first_in].layout == CL and res.dim() == 4 \
                    and tuple(self.results[first_in].shape) == tuple(res.shape):
                layout = CL  # kept channels-last, as its input
            self.layers.append(ImportedLayer.custom(name, op, ins, logical(res.shape, layout), params, macs, None,
                                                    buffers))
            self.vals[node] = Val(name, layout)
        else:  # several tensors (a tuple): the op's counts on this layer; each element read by getitem
            first = next(t for t in _tensors(res))
            layout = _layout_of(first)
            self.layers.append(ImportedLayer.custom(name, op, ins, logical(first.shape, layout), params, macs, None,
                                                    buffers))
            self.vals[node] = Val(name, "tuple")

    def measure(self, node: fx.Node) -> int | None:
        """MACs of the node alone, FlopCounterMode's FLOPs / 2, run on meta tensors."""
        from torch.utils.flop_counter import FlopCounterMode

        def load(a):
            return self.results.get(a) if isinstance(a, fx.Node) else a

        args = fx.node.map_arg(node.args, load)
        kwargs = fx.node.map_arg(node.kwargs, load)
        for a in _flat_args(node):
            if isinstance(a, fx.Node) and a.op == "get_attr":
                pass
        try:
            with FlopCounterMode(display=False) as fc:
                if node.op == "call_module":
                    self.gm.get_submodule(str(node.target))(*args, **kwargs)
                elif node.op == "call_method":
                    getattr(args[0], str(node.target))(*args[1:], **kwargs)
                else:
                    node.target(*args, **kwargs)  # type: ignore[operator]
            return int(fc.get_total_flops()) // 2
        except Exception:
            return None

"""The PyTorch backend: any spec as an ``nn.Module`` (``pip install -e ".[torch]"``).

    >>> import archstat
    >>> model = archstat.load("resnet50").to_torch()          # or archstat.backend.build(graph, ...)
    >>> model.get_submodule("layer1.0.conv1")
    Conv2d(64, 64, kernel_size=(1, 1), stride=(1, 1), bias=False)

Sub-modules carry the spec's layer names (``layer1.0.conv1`` is ``model.layer1[0].conv1``-like: nested containers
named by the dotted path), so ``named_modules()``, fvcore's ``by_module()`` and FlopCounterMode's per-module
counts line up with archstat's rows. ``forward`` walks the spec's DAG in order and frees each tensor after its last
use. It returns the network's output; a spec with several outputs (auxiliary heads) returns a tuple of them, in
spec order. Each layer kind builds its own module (``Layer.torch_module`` in ``archstat/layers/``); a kind with no
PyTorch equivalent (``custom``) is an error naming it, never a silent skip.

This package is never imported by ``archstat summary``; only ``check``, ``bench`` and the Python API load it.
"""

from __future__ import annotations

import torch
from torch import nn

from archstat.core.graph import INPUT, Graph
from archstat.errors import ArchstatError, SpecError


class Block(nn.Module):
    """A named container for the layers under one dotted prefix (no forward of its own)."""

    def forward(self, *args):  # pragma: no cover - never called
        raise RuntimeError("a Block is a namespace; the SpecModule's forward walks the graph")


class SpecModule(nn.Module):
    def __init__(self, graph: Graph, inplace: bool = False):
        super().__init__()
        self.spec_name = graph.name
        self.input_shape = tuple(graph.input_shape)
        shapes = {INPUT: graph.input_shape}
        plan = []
        for node in graph.nodes:
            ins = [shapes[i] for i in node.inputs]
            try:
                out = tuple(node.layer.output_shape(ins))
                module = node.layer.torch_module(ins, out)
            except ArchstatError as e:
                raise e.located(file=node.file or graph.file, line=node.line, layer=node.name) from None
            shapes[node.name] = out
            if node.frozen:
                for p in module.parameters():
                    p.requires_grad_(False)
            self._place(node.name, module, node.file or graph.file, node.line)
            plan.append((node.name, module, tuple(node.inputs)))
        if inplace:  # ReLU in place where the graph allows, as the training-memory engine assumes (torch's inplace=True)
            from archstat.core.memory import inplace_plan

            planned = inplace_plan(graph, shapes)
            for name, module, _ in plan:
                if name in planned and hasattr(module, "inplace"):
                    module.inplace = True
        consumed = {i for _, _, ins in plan for i in ins}
        self.outputs = tuple(n for n, _, _ in plan if n not in consumed) or (INPUT,)
        last_use: dict[str, int] = {}
        for k, (_, _, srcs) in enumerate(plan):
            for i in srcs:
                last_use[i] = k
        # (name, module, inputs, tensors to free after this step)
        self._plan = [(n, m, ins, tuple(i for i in set(ins) if last_use[i] == k and i not in self.outputs))
                      for k, (n, m, ins) in enumerate(plan)]

    def _place(self, name: str, module: nn.Module, file: str, line) -> None:
        parts = name.split(".")
        parent: nn.Module = self
        for p in parts[:-1]:
            child = parent._modules.get(p)
            if child is None:
                child = Block()
                parent.add_module(p, child)
            elif not isinstance(child, Block):
                raise SpecError(f"layer '{name}' sits under '{p}', which is itself a layer: torch module names "
                                f"must form a tree", file=file, line=line, layer=name)
            parent = child
        if parts[-1] in parent._modules or parts[-1] in ("forward", "outputs", "training") or not parts[-1] or \
                parts[-1] in parent._parameters:
            raise SpecError(f"layer name '{name}' cannot be a torch module name", file=file, line=line, layer=name)
        if getattr(module, "named_as_layer", False):  # one parameter keyed by the layer's own name (ViT's
            # class_token, encoder.pos_embedding): the same Parameter object on the parent; the module, not a
            # child, is called from the plan and still counts it as its own
            (param,) = module.parameters()
            parent.register_parameter(parts[-1], param)
            return
        parent.add_module(parts[-1], module)

    def forward(self, x):
        vals = {INPUT: x}
        for name, module, ins, free in self._plan:
            vals[name] = module(*[vals[i] for i in ins])
            for f in free:
                del vals[f]
        if len(self.outputs) == 1:
            return vals[self.outputs[0]]
        return tuple(vals[o] for o in self.outputs)

    def layer_modules(self) -> dict[str, nn.Module]:
        """Spec layer name -> its module, in spec order."""
        return {n: m for n, m, _, _ in self._plan}

    def example_input(self, batch: int = 1, device="cpu", dtype=torch.float32, channels_last: bool = False):
        x = torch.randn((batch, *self.input_shape), device=device, dtype=dtype)
        if channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x


def build(graph: Graph, device=None, dtype=None, channels_last: bool = False, inplace: bool = False) -> SpecModule:
    """The spec's ``nn.Module`` in eval mode, on ``device`` ("cpu", "cuda", "meta") in ``dtype``. ``inplace``: the
    layers ``archstat.core.memory.inplace_plan`` picks (ReLU whose input nothing else reads) run in place."""
    with torch.device(device or "cpu"):  # build in place: no CPU copy of VGG's weights before the move
        m = SpecModule(graph, inplace=inplace).eval()
    if dtype is not None:
        m = m.to(dtype=dtype)
    if channels_last:
        m = m.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # Module.to takes it; the stubs omit it
    return m


__all__ = ["SpecModule", "build"]

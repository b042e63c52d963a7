"""``archstat check``: the engine's numbers against PyTorch's, layer by layer.

For each layer of the spec, four judges:

- **shape**: the output of a real forward pass on the meta device (no weights allocated), via forward hooks;
- **params / buffers**: ``numel`` of the module's parameters and persistent buffers;
- **MACs**: fvcore's ``FlopCountAnalysis.by_module_and_operator()`` (a traced forward on CPU), keeping only the
  operators that are multiply-accumulates by archstat's convention: ``conv`` (also transposed), ``linear``,
  ``addmm``, ``matmul``, ``bmm``, ``einsum``. fvcore also counts batch norm, pooling and upsampling as "flops";
  those are set aside and listed per layer in ``fvcore_other``, not hidden;
- **FLOPs**: ``torch.utils.flop_counter.FlopCounterMode`` (meta device), which counts 2 per multiply-accumulate
  of convolutions and matrix products and nothing else: it is compared with 2 x the engine's MACs. The engine's
  own FLOPs add the element-wise work (bias adds, activations, normalisation) that FlopCounterMode skips.

A layer with no PyTorch module (``custom``) is not checked, and does not stop the check: a stand-in takes its place
(``StandIn``: zeros of its declared output shape, its declared parameters and buffers, no arithmetic), so that the
rest of the network is built and every other layer is checked, the layers after it on the shape it declares. Its
row says ``checked: false`` with the reason, has no problems, and the spec's verdict (and the exit status) comes
from the layers that were checked.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field

import torch
from torch import nn

from archstat.backend import build

MAC_OPS = ("conv", "linear", "addmm", "matmul", "bmm", "einsum", "mm")


@dataclass
class LayerCheck:
    name: str
    kind: str
    shape: tuple
    torch_shape: tuple | None
    params: int
    torch_params: int
    buffers: int
    torch_buffers: int
    macs: int | None
    fvcore_macs: int | None
    fcm_flops: int | None
    fvcore_other: dict = field(default_factory=dict)
    not_checked: str | None = None  # why this layer is not checked (a custom op: a stand-in took its place)

    @property
    def checked(self) -> bool:
        return self.not_checked is None

    @property
    def problems(self) -> list[str]:
        if not self.checked:
            return []
        out = []
        if self.torch_shape != self.shape:
            out.append("shape")
        if self.torch_params != self.params:
            out.append("params")
        if self.torch_buffers != self.buffers:
            out.append("buffers")
        if self.fvcore_macs is not None and self.macs != self.fvcore_macs:
            out.append("macs")
        if self.fcm_flops is not None and (self.macs is None or 2 * self.macs != self.fcm_flops):
            out.append("flops")
        return out

    def as_dict(self) -> dict:
        return {"layer": self.name, "kind": self.kind, "shape": list(self.shape),
                "torch_shape": list(self.torch_shape) if self.torch_shape else None,
                "params": self.params, "torch_params": self.torch_params, "buffers": self.buffers,
                "torch_buffers": self.torch_buffers, "macs": self.macs, "fvcore_macs": self.fvcore_macs,
                "twice_macs": None if self.macs is None else 2 * self.macs, "flop_counter_flops": self.fcm_flops,
                "fvcore_other": dict(self.fvcore_other), "ok": None if not self.checked else not self.problems,
                "problems": self.problems, "checked": self.checked, "not_checked": self.not_checked}


@dataclass
class SpecCheck:
    spec: str
    layers: list[LayerCheck]
    fvcore: bool

    @property
    def bad(self) -> list[LayerCheck]:
        return [r for r in self.layers if r.problems]

    @property
    def unchecked(self) -> list[LayerCheck]:
        return [r for r in self.layers if not r.checked]

    def totals(self) -> dict:
        s = lambda attr: sum(getattr(r, attr) or 0 for r in self.layers)
        return {"spec": self.spec, "layers": len(self.layers), "disagreeing_layers": len(self.bad),
                "not_checked": [r.name for r in self.unchecked],
                "params": s("params"), "torch_params": s("torch_params"), "macs": s("macs"),
                "fvcore_macs": s("fvcore_macs") if self.fvcore else None, "twice_macs": 2 * s("macs"),
                "flop_counter_flops": s("fcm_flops"), "ok": not self.bad}


def _persistent_buffers(m: torch.nn.Module) -> int:
    n = 0
    for mod in m.modules():
        for name, b in mod._buffers.items():
            if b is not None and name not in mod._non_persistent_buffers_set:
                n += b.numel()
    return n


class StandIn(nn.Module):
    """Takes the place of a layer that has no module (``custom``) in ``archstat check``: it returns zeros of the
    layer's declared output shape and holds its declared parameters and buffers, so that the network around it can
    be built and checked. It computes nothing; its own row is marked not checked."""

    def __init__(self, out: tuple, params: dict, buffers: dict):
        super().__init__()
        self.out = tuple(out)
        for name, n in params.items():
            self.register_parameter(name, nn.Parameter(torch.zeros(n)))
        for name, n in buffers.items():
            self.register_buffer(name, torch.zeros(n))

    def forward(self, x, *rest):
        return x.new_zeros((x.shape[0], *self.out))


class _Standing:
    """A layer without a module, seen by the backend's builder: its own rules, and a ``StandIn`` for a module."""

    def __init__(self, layer):
        self.layer = layer

    def output_shape(self, ins):
        return self.layer.output_shape(ins)

    def torch_module(self, ins, out):
        return StandIn(out, self.layer.params(ins), self.layer.buffers(ins))

    def __getattr__(self, name):
        return getattr(self.layer, name)


def with_stand_ins(graph):
    """``graph`` with a ``StandIn`` for every layer that has no PyTorch module, and the names of those layers."""
    nodes, standing = [], []
    for n in graph.nodes:
        if type(n.layer).has_torch_module():
            nodes.append(n)
        else:
            nodes.append(dataclasses.replace(n, layer=_Standing(n.layer)))
            standing.append(n.name)
    return (dataclasses.replace(graph, nodes=nodes) if standing else graph), standing


def _why_not(r) -> str:
    op = getattr(r.layer.args, "op", None)
    what = f"{r.kind} op '{op}'" if op else f"layer kind '{r.kind}'"
    return (f"{what} has no PyTorch module: a stand-in of its declared shape, parameters and buffers let the layers "
            f"after it be built and checked")


def check_graph(graph, analysis, use_fvcore: bool = True) -> SpecCheck:
    from torch.utils.flop_counter import FlopCounterMode

    graph, standing = with_stand_ins(graph)
    model = build(graph, device="meta")
    mods = model.layer_modules()
    seen: dict[str, tuple] = {}

    def hook(name):
        def f(_m, _inp, out):
            seen[name] = tuple(out.shape[1:])
        return f

    handles = [m.register_forward_hook(hook(n)) for n, m in mods.items()]
    with torch.no_grad(), FlopCounterMode(display=False) as fcm:
        model(model.example_input(device="meta"))
    for h in handles:
        h.remove()
    counts = fcm.get_flop_counts()
    root = type(model).__name__
    fcm_by = {k[len(root) + 1:]: sum(v.values()) for k, v in counts.items() if k.startswith(root + ".")}

    standing_set = set(standing)
    fv: dict = {}
    if use_fvcore:
        fv = _fvcore(graph)
    rows = []
    for r in analysis.layers:
        m = mods[r.name]
        ops = fv.get(r.name, {})
        rows.append(LayerCheck(
            name=r.name, kind=r.kind, shape=tuple(r.output_shape), torch_shape=seen.get(r.name),
            params=r.n_params, torch_params=sum(p.numel() for p in m.parameters()),
            buffers=sum(r.buffers.values()), torch_buffers=_persistent_buffers(m), macs=r.macs,
            fvcore_macs=sum(v for k, v in ops.items() if k in MAC_OPS) if use_fvcore else None,
            fcm_flops=fcm_by.get(r.name, 0),
            fvcore_other={k: v for k, v in ops.items() if k not in MAC_OPS},
            not_checked=_why_not(r) if r.name in standing_set else None,
        ))
    return SpecCheck(graph.name, rows, use_fvcore)


def _fvcore(graph) -> dict:
    """fvcore's per-module, per-operator counts (a traced forward: CPU, real tensors, batch 1)."""
    from fvcore.nn import FlopCountAnalysis

    model = build(graph, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fa = FlopCountAnalysis(model, model.example_input())
        fa.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
        by = fa.by_module_and_operator()
    return {k: dict(v) for k, v in by.items()}


def check_specs(names: list[str], input=None, use_fvcore: bool = True) -> list[SpecCheck]:
    """``check_graph`` for each spec name or file, at its own input size or ``input``."""
    from archstat import load
    from archstat.core.engine import analyze

    out = []
    for name in names:
        g = load(name, input)
        out.append(check_graph(g, analyze(g), use_fvcore=use_fvcore))
    return out

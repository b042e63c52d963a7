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
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import torch

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

    @property
    def problems(self) -> list[str]:
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
                "fvcore_other": dict(self.fvcore_other), "ok": not self.problems, "problems": self.problems}


@dataclass
class SpecCheck:
    spec: str
    layers: list[LayerCheck]
    fvcore: bool

    @property
    def bad(self) -> list[LayerCheck]:
        return [r for r in self.layers if r.problems]

    def totals(self) -> dict:
        s = lambda attr: sum(getattr(r, attr) or 0 for r in self.layers)
        return {"spec": self.spec, "layers": len(self.layers), "disagreeing_layers": len(self.bad),
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


def check_graph(graph, analysis, use_fvcore: bool = True) -> SpecCheck:
    from torch.utils.flop_counter import FlopCounterMode

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

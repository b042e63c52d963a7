"""``archstat check SPEC --against torchvision[:NAME]``: proof that a spec is the torchvision network it names.

Counts cannot tell two networks with swapped layers apart; the function can. The proof:

1. build torchvision's module (random init: no weights are downloaded) and the spec's PyTorch build;
2. compare their state_dicts by name: every key of one must be a key of the other with the same shape (the spec's
   layer names are torchvision's module paths); the first key that is not names its layer;
3. load torchvision's state_dict into the spec's build (strict), run both in eval mode on the same input and
   compare, layer by layer in the spec's order, every layer whose name is also a torchvision module (outputs
   compared as float32 with rtol 1e-4, atol 1e-5; a channels-last output of torchvision is compared with the
   spec's channels-first one permuted), then the network's outputs.

The first disagreeing layer is named; ``archstat check`` then exits 3.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

RTOL, ATOL = 1e-4, 1e-5


@dataclass
class Proof:
    spec: str
    reference: str  # "torchvision:NAME"
    keys: int  # state_dict entries compared
    compared_layers: int  # layers whose outputs were compared
    max_abs_diff: float | None
    bad_layer: str | None  # the first layer that disagrees (None: equal)
    why: str

    @property
    def ok(self) -> bool:
        return self.bad_layer is None and not self.why

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def parse_reference(text: str, spec: str) -> str | None:
    """The torchvision builder a ``--against`` value names: ``torchvision`` (the spec's own name, or its known
    torchvision name) or ``torchvision:NAME``."""
    from archstat.errors import UsageError

    source, _, name = text.partition(":")
    if source != "torchvision":
        raise UsageError(f"--against takes torchvision or torchvision:NAME, got '{text[:60]}'")
    return name or None


def _owner(key: str, layers: list[str]) -> str:
    """The layer a state_dict key belongs to: the longest layer name that is the key or a dotted prefix of it."""
    best = ""
    for n in layers:
        if (key == n or key.startswith(n + ".")) and len(n) > len(best):
            best = n
    return best or key.rsplit(".", 1)[0]


def _close(ours, ref) -> tuple[bool, float]:
    if not (isinstance(ours, torch.Tensor) and isinstance(ref, torch.Tensor)):
        return True, 0.0
    if ours.shape != ref.shape and ours.dim() == 4 and ours.permute(0, 2, 3, 1).shape == ref.shape:
        ours = ours.permute(0, 2, 3, 1)  # torchvision runs this part channels-last; the spec's maps are logical
    if ours.shape != ref.shape and ours.dim() == 3 and ref.dim() == 4 and ref.flatten(1, 2).shape == ours.shape:
        ref = ref.flatten(1, 2)  # MaxViT's groups of tokens, an axis there (B x G x g x D), one sequence here
    if ours.shape != ref.shape:
        return False, float("inf")
    d = (ours.float() - ref.float()).abs().max().item() if ours.numel() else 0.0
    return torch.allclose(ours.float(), ref.float(), rtol=RTOL, atol=ATOL), d


def prove(graph, name: str | None = None, seed: int = 0) -> Proof:
    from archstat.backend import build
    from archstat.backend.reference import NAMES, torchvision_model
    from archstat.errors import UsageError

    ref = torchvision_model(graph.name, name)
    shown = f"torchvision:{name or NAMES.get(graph.name, (graph.name,))[0]}"
    if ref is None:
        raise UsageError(f"torchvision has no model '{name or graph.name}' (give --against torchvision:NAME)")
    ours = build(graph).eval()
    layers = [n.name for n in graph.nodes]
    sd_ref, sd_ours = ref.state_dict(), ours.state_dict()
    for k, v in sd_ours.items():
        if k not in sd_ref:
            return Proof(graph.name, shown, len(sd_ours), 0, None, _owner(k, layers),
                         f"the spec's tensor {k} {tuple(v.shape)} is not in torchvision's state_dict")
        if tuple(sd_ref[k].shape) != tuple(v.shape):
            return Proof(graph.name, shown, len(sd_ours), 0, None, _owner(k, layers),
                         f"{k}: the spec's shape {tuple(v.shape)}, torchvision's {tuple(sd_ref[k].shape)}")
    for k, v in sd_ref.items():
        if k not in sd_ours:
            return Proof(graph.name, shown, len(sd_ref), 0, None, _owner(k, layers),
                         f"torchvision's tensor {k} {tuple(v.shape)} has no counterpart in the spec")
    ours.load_state_dict(sd_ref, strict=True)
    ref_modules = dict(ref.named_modules())
    mine = ours.layer_modules()
    got: dict[str, object] = {}
    want: dict[str, object] = {}

    calls: dict[tuple[int, str], int] = {}

    def keep(store, n):
        def hook(_m, _inp, out):
            key = (id(store), n)
            calls[key] = calls.get(key, 0) + 1  # a module called twice (Swin's one stochastic depth per block)
            store[n] = out.detach().clone() if isinstance(out, torch.Tensor) else out
        return hook

    handles = []
    for n, m in mine.items():
        if n in ref_modules and n:
            handles.append(m.register_forward_hook(keep(got, n)))
            handles.append(ref_modules[n].register_forward_hook(keep(want, n)))
    torch.manual_seed(seed)
    x = ours.example_input()
    try:
        with torch.no_grad():
            out_ours, out_ref = ours(x), ref(x)
    finally:
        for h in handles:
            h.remove()
    worst, compared = 0.0, 0
    for n in mine:
        if n in got and n in want and calls[(id(got), n)] == 1 and calls[(id(want), n)] == 1:
            ok, d = _close(got[n], want[n])
            compared += 1
            if not ok:
                return Proof(graph.name, shown, len(sd_ref), compared, d, n,
                             f"outputs differ at layer {n} (max |difference| {d:.3g})")
            worst = max(worst, d)
    ok, d = _close(out_ours, out_ref)
    if not ok:
        return Proof(graph.name, shown, len(sd_ref), compared, d, graph.nodes[-1].name,
                     f"the network's outputs differ (max |difference| {d:.3g})")
    return Proof(graph.name, shown, len(sd_ref), compared, max(worst, d), None, "")

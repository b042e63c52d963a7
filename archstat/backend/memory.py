"""Training memory measured in torch: what autograd really saves (the proof of ``archstat memory`` on the CPU), and
the peak of one training step on a device (``bench/bench_memory.py``).

``saved_bytes`` runs one training-mode forward pass under ``torch.autograd.graph.saved_tensors_hooks`` and sums the
distinct storages the hooks see (each storage's ``nbytes`` once, keyed by the storage itself: ``_cdata``, the
address of its StorageImpl, which views and in-place results share), leaving out those of the model's parameters
and buffers: the activations saved for backward, which the engine predicts (``archstat.core.memory``). It also
attributes each storage to the layer that first saved it, so a difference is found layer by layer.

On the ``meta`` device (the default) nothing is computed or allocated: autograd saves the same tensors as on the
CPU (what it saves is decided by each op's derivative, not by the device), so the whole zoo is measured at its own
input sizes in seconds; ``tests/test_memory_torch.py`` also runs a few specs on the CPU and requires the same.
"""

from __future__ import annotations

import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from archstat.backend import SpecModule, build
from archstat.core.graph import Graph


def saved_bytes(graph: Graph, batch: int = 2, device: str = "meta", dtype=torch.float32, inplace: bool = True,
                autocast: torch.dtype | None = None) -> tuple[int, dict[str, int]]:
    """(bytes of the distinct non-parameter storages saved for backward by one training forward pass, those bytes
    by the layer that first saved each storage). ``autocast``: run the forward under autocast to that type (on the
    CPU)."""
    torch.manual_seed(0)
    model = build(graph, device=device, dtype=dtype, inplace=inplace).train()
    return _measure(model, model.example_input(batch, device=device, dtype=dtype), autocast)


def _measure(model: SpecModule, x: torch.Tensor, autocast) -> tuple[int, dict[str, int]]:
    own = {t.untyped_storage()._cdata for t in [*model.parameters(), *model.buffers()]}
    current = ["input"]

    def enter(name):
        def hook(module, args):
            current[0] = name
        return hook

    handles = [m.register_forward_pre_hook(enter(n)) for n, m in model.layer_modules().items()]
    seen: dict[int, int] = {}
    by_layer: dict[str, int] = {}

    def pack(t):
        s = t.untyped_storage()
        p = s._cdata  # every saved tensor stays alive until backward: no two saved storages share an address
        if p not in own and p not in seen and s.nbytes():
            seen[p] = s.nbytes()
            by_layer[current[0]] = by_layer.get(current[0], 0) + s.nbytes()
        return t

    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            if autocast is not None:
                with torch.autocast(x.device.type, dtype=autocast):
                    out = model(x)
            else:
                out = model(x)
        del out
    finally:
        for h in handles:
            h.remove()
    return sum(seen.values()), by_layer


# ---------------------------------------------------------------------------------------------------- a step's peak
class LiveBytes(TorchDispatchMode):
    """The fake device's allocator: the bytes of every storage alive, and their peak, for tensors on the ``meta``
    device (which have storages of the right size and no data). Each op's outputs are seen at dispatch, inside the
    forward pass, autograd's backward and the optimizer step alike; a storage is alive while any tensor on it is
    (torch keeps a tensor's Python object as long as C++ holds the tensor, so a weak reference dies with it).
    Unlike a GPU's caching allocator it neither rounds nor caches: what it measures is what the engine models, plus
    the transient tensors inside ops."""

    def __init__(self, base: int = 0, resident=()):
        super().__init__()
        self.resident = {t.untyped_storage()._cdata for t in resident}  # counted in ``base``: views of them are free
        self.refs: dict[int, int] = {}
        self.size: dict[int, int] = {}
        self.now = self.peak = base
        self.phase = ""
        self.peak_phase = ""

    def _drop(self, key: int) -> None:
        self.refs[key] -= 1
        if not self.refs[key]:
            del self.refs[key]
            self.now -= self.size.pop(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_leaves(out):
            if isinstance(t, torch.Tensor):
                key = t.untyped_storage()._cdata
                if key in self.resident:
                    continue
                if key not in self.refs:
                    self.refs[key] = 0
                    self.size[key] = t.untyped_storage().nbytes()
                    self.now += self.size[key]
                    if self.now > self.peak:
                        self.peak, self.peak_phase = self.now, self.phase
                self.refs[key] += 1
                weakref.finalize(t, self._drop, key)
        return out


def make_optimizer(name: str, params):
    """The optimizers ``archstat memory --optimizer`` names, with torch's ``foreach`` step (CUDA's default)."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=0.01, foreach=True)
    if name == "momentum":
        return torch.optim.SGD(params, lr=0.01, momentum=0.9, foreach=True)
    if name == "adam":
        return torch.optim.Adam(params, foreach=True)
    if name == "adamw":
        return torch.optim.AdamW(params, foreach=True)
    raise ValueError(f"unknown optimizer '{name}'")


def training_step(model, x, opt, amp: torch.dtype | None = None) -> None:
    """One step as the engine models it: forward (under autocast with ``amp``), backward of the sum of the outputs,
    the optimizer's step, and ``zero_grad`` (gradients freed: they do not exist in the next forward pass)."""
    if amp is not None:
        with torch.autocast(x.device.type, dtype=amp):
            out = model(x)
    else:
        out = model(x)
    outs = out if isinstance(out, tuple) else (out,)
    loss = sum(o.float().sum() for o in outs)
    del out, outs
    loss.backward()
    del loss
    opt.step()
    opt.zero_grad(set_to_none=True)


def step_peak(graph: Graph, batch: int, optimizer: str = "adam", device: str = "meta", dtype=torch.float32,
              amp: torch.dtype | None = None, inplace: bool = True) -> dict:
    """The peak bytes of one steady-state training step (after a first step has made the optimizer's state): on
    CUDA ``torch.cuda.max_memory_allocated`` over the step; on ``meta`` the fake device's (``LiveBytes``). Returns
    ``{"peak_bytes", "resident_bytes"}`` (resident: what is allocated before the step: parameters, buffers,
    optimizer state, the input batch)."""
    torch.manual_seed(0)
    model = build(graph, device=device, dtype=dtype, inplace=inplace).train()
    opt = make_optimizer(optimizer, [p for p in model.parameters() if p.requires_grad])
    x = model.example_input(batch, device=device, dtype=dtype)
    training_step(model, x, opt, amp)  # warm-up: the optimizer's state
    if device == "meta":
        tensors = {id(t): t for t in [*model.parameters(), *model.buffers(), x]}
        tensors.update({id(v): v for st in opt.state.values() for v in st.values() if torch.is_tensor(v)})
        storages = {t.untyped_storage()._cdata: t for t in tensors.values()}
        base = sum(t.untyped_storage().nbytes() for t in storages.values())
        mode = LiveBytes(base, storages.values())
        with mode:
            training_step(model, x, opt, amp)
        return {"peak_bytes": mode.peak, "resident_bytes": base}
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    training_step(model, x, opt, amp)
    torch.cuda.synchronize()
    return {"peak_bytes": torch.cuda.max_memory_allocated(), "resident_bytes": base}

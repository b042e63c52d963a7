"""Training memory (``archstat memory``): what one training step of a spec needs, byte by byte, without torch.

Generic over the kinds: each kind states what its torch module's autograd saves for backward (``Layer.saved``,
``Layer.train_storage``, ``Layer.autocast``, in its own file); this module knows no kind. It walks the spec's DAG
once to place every tensor in a *storage* (a view and an in-place op share their input's), resolves what each
layer saves to storages (each storage counted once, however many layers save it), and then simulates one training
step over those storages:

- forward, layer by layer in spec order: each output is allocated, the tensors a layer saves stay alive until
  backward, every other tensor is freed after its last use (as the inference peak frees them);
- backward, layer by layer in reverse: the gradient of a layer's output is alive from the backward of its last
  consumer to its own; the layer allocates the gradients of its inputs (a view of the same size passes the
  gradient through without a copy) and of its parameters, then frees its output's gradient and every saved
  storage whose earliest saver it is;
- the optimizer step: parameters, gradients, optimizer state and the step's temporaries.

Resident throughout: parameters and buffers, optimizer state (a steady-state step: ``zero_grad`` frees gradients
before the forward pass), the input batch (held by the caller) and the network's outputs. Every size is affine in
the batch (``PerBatch``: a fixed part and a part per sample), so the largest batch that fits a device is solved
exactly, moment by moment, rather than searched.

Conventions (README, "Training memory"): parameters, gradients and optimizer state in the parameter type (float32
under AMP: master weights); optimizer state per parameter: sgd 0, momentum 1, adam and adamw 2 (their ``foreach``
step also allocates one parameter-sized temporary); transient tensors inside one layer (attention's qkv before it
is split, a scaled score matrix, a workspace) are not modelled.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from archstat.core.dtypes import BYTES
from archstat.core.engine import Analysis
from archstat.core.graph import INPUT, Graph
from archstat.errors import UsageError
from archstat.layers import elems
from archstat.layers._saved import ACT, STATS, Autograd, Saved

OPTIMIZERS = {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}  # state tensors per parameter
STEP_TEMPORARIES = {"sgd": 0, "momentum": 0, "adam": 1, "adamw": 1}  # parameter-sized temporaries of the step
CHECKPOINTS = ("none", "blocks")
HALF = ("float16", "bfloat16")
ELEMENT_BYTES = {**BYTES, "int64": 8, "bool": 1}  # saved tensors also hold indices and masks


@dataclass(frozen=True, slots=True)
class PerBatch:
    """Bytes as ``fixed + per_sample * batch``: every figure of a training step is affine in the batch."""

    fixed: int = 0
    per_sample: int = 0

    def at(self, batch: int) -> int:
        return self.fixed + self.per_sample * batch

    def __add__(self, o: PerBatch) -> PerBatch:
        return PerBatch(self.fixed + o.fixed, self.per_sample + o.per_sample)

    def __sub__(self, o: PerBatch) -> PerBatch:
        return PerBatch(self.fixed - o.fixed, self.per_sample - o.per_sample)


ZERO = PerBatch()


@dataclass
class SavedTensor:
    """One tensor a layer saves, resolved to its storage."""

    what: str
    storage: str  # the storage's key: a tensor's name, "input", or "layer:what"
    bytes: int  # the storage's size at the batch
    dtype: str
    shares: str  # "input 0", "input 1", "output", "parameter" or "own"
    counted: bool  # the first save of this storage: counted here in the totals


@dataclass
class MemoryLayer:
    name: str
    kind: str
    output_shape: tuple
    storage: str  # where its output lives in training: "new", "view", "in place"
    requires_grad: bool
    params: int
    param_bytes: int
    grad_bytes: int  # of its trainable parameters
    optimizer_bytes: int
    saved: list[SavedTensor] | None  # None: the kind states no rule (unknown)
    saved_bytes: int | None  # the storages it is the first to save; None: unknown
    rule: str | None  # the kind's rule in words
    segment: str | None = None  # with --checkpoint blocks: its segment


@dataclass
class Moment:
    """A point of the step: ``phase`` (forward, backward, optimizer), the layer, and the bytes alive."""

    phase: str
    layer: str
    bytes: PerBatch


@dataclass
class MemoryTotals:
    saved_bytes: int  # activations saved for backward (with checkpointing: the boundaries and the largest segment's
    #                   recompute)
    param_bytes: int
    grad_bytes: int
    optimizer_bytes: int
    buffer_bytes: int
    input_bytes: int
    peak_bytes: int
    peak_phase: str
    peak_layer: str
    unknown: list[str]  # layers whose kind states no saved rule: saved and peak are lower bounds
    saved: PerBatch = ZERO
    peak: PerBatch = ZERO
    max_batch: int | None = None
    device_bytes: int | None = None
    checkpoint: dict | None = None


@dataclass
class Memory:
    name: str
    input_shape: tuple
    batch: int
    dtype: str  # the activations' type (under AMP: autocast's half type)
    param_dtype: str
    amp: bool
    optimizer: str
    checkpoint: str
    device: str
    train: bool
    layers: list[MemoryLayer]
    totals: MemoryTotals
    moments: list[Moment] = field(default_factory=list)
    analysis: Analysis | None = None  # the inference analysis (engine.Analysis)

    @property
    def inference(self) -> Analysis:
        assert self.analysis is not None, "a Memory made by train_memory has its analysis"
        return self.analysis

    @property
    def complete(self) -> bool:
        return not self.totals.unknown

    def peak_at(self, batch: int) -> int:
        return max(m.bytes.at(batch) for m in self.moments) if self.moments else 0

    def max_batch(self, limit: int) -> int:
        return max_batch(self.moments, limit)


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9, "t": 10**12,
          "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_BYTES_TEXT = re.compile(r"([0-9]{1,15})(?:\.([0-9]{1,9}))?\s*([a-z]*)")


def parse_bytes(text: str, option: str = "--device-memory") -> int:
    """A memory size as people write it: ``80GB`` (10^9 bytes a GB: decimal, as ``human_bytes`` prints),
    ``80GiB`` (2^30), ``24576MiB``, ``1.5TB``; a bare number is bytes. ASCII digits only, bounded: no exponents."""
    t = str(text).strip().lower()
    m = _BYTES_TEXT.fullmatch(t)
    if not m or m.group(3) not in _UNITS:
        raise UsageError(f"{option} must be a size such as 80GB, 80GiB or 24576MiB, got '{str(text)[:40]}'")
    whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
    n = (int(whole + frac) * _UNITS[unit]) // 10 ** len(frac)
    if n < 1:
        raise UsageError(f"{option} must be at least 1 byte, got '{str(text)[:40]}'")
    return n


# ---------------------------------------------------------------------------------------------------- in place
def inplace_plan(graph: Graph, shapes: dict | None = None) -> set[str]:
    """The layers that run in place in training (``train_storage() == "inplace"``: ReLU), where the graph allows:
    the input is not the network's input (the caller's batch), it has no other consumer and is not an output, and
    its producer writes new memory and does not save its own output for backward (an in-place write would
    corrupt it). ``archstat.backend.build(..., inplace=True)`` builds the same plan; the memory engine assumes it."""
    if shapes is None:
        shapes = _shapes(graph)
    consumers: dict[str, int] = {}
    for n in graph.nodes:
        for i in n.inputs:
            consumers[i] = consumers.get(i, 0) + 1
    nodes = {n.name: n for n in graph.nodes}
    plan: set[str] = set()
    for n in graph.nodes:
        if n.layer.train_storage() != "inplace":
            continue
        src = n.inputs[0]
        if src == INPUT or consumers.get(src, 0) != 1:
            continue
        p = nodes[src]
        if p.layer.train_storage() != "new" or p.name in plan:
            continue
        rule = p.layer.saved([shapes[i] for i in p.inputs], shapes[p.name], Autograd(grads=(True,) * len(p.inputs)))
        if rule is None or any(s.output for s in rule):
            continue
        plan.add(n.name)
    return plan


def _shapes(graph: Graph) -> dict:
    shapes = {INPUT: graph.input_shape}
    for n in graph.nodes:
        shapes[n.name] = tuple(n.layer.output_shape([shapes[i] for i in n.inputs]))
    return shapes


# ---------------------------------------------------------------------------------------------------- segments
def segments(names: list[str]) -> tuple[int, list[str]]:
    """``--checkpoint blocks``: the segment of each layer. A block is a run of consecutive layers sharing the first
    ``d`` parts of their dotted names, ``d`` the shallowest depth that gives at least sqrt(L) blocks for L layers
    (the sqrt(L) segments of Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost"): ResNet's
    bottlenecks (``layer1.0``), ViT's encoder layers, ConvNeXt's and Swin's blocks. A layer named with fewer parts
    is a block of its own. Returns ``(d, segment key per layer)``."""
    want = math.sqrt(len(names))
    deepest = max((n.count(".") + 1 for n in names), default=1)
    for d in range(1, deepest + 1):
        keys = [".".join(n.split(".")[:d]) for n in names]
        runs = sum(1 for k, key in enumerate(keys) if k == 0 or key != keys[k - 1])
        if runs >= want or d == deepest:
            return d, keys
    return deepest, list(names)  # pragma: no cover - the loop returns at the deepest depth


# ---------------------------------------------------------------------------------------------------- the engine
def train_memory(graph: Graph, batch: int = 1, dtype: str = "float32", amp: bool = False, optimizer: str = "adam",
                 checkpoint: str = "none", device: str = "cuda", inplace: bool = True, train: bool = True,
                 device_bytes: int | None = None) -> Memory:
    """The memory of one training step of ``graph`` at ``batch`` (``train=False``: the inference figures the engine
    has, parameters and buffers plus the peak of live activations). ``dtype``: the activations' type; with ``amp``
    the autocast half type (float16 or bfloat16), parameters in float32. ``device``: "cuda" (default) or "cpu" (the
    two differ in what dropout saves). ``inplace``: ReLU in place where the graph allows (``inplace_plan``), as
    ``archstat.backend.build(..., inplace=True)`` builds it."""
    from archstat.core.engine import analyze

    if optimizer not in OPTIMIZERS:
        raise UsageError(f"unknown optimizer '{optimizer}' (choose from {', '.join(OPTIMIZERS)})")
    if checkpoint not in CHECKPOINTS:
        raise UsageError(f"unknown checkpoint mode '{checkpoint}' (choose from {', '.join(CHECKPOINTS)})")
    if amp and dtype not in HALF:
        raise UsageError(f"--amp runs in a half type: --dtype float16 or bfloat16, not {dtype}")
    if device not in ("cuda", "cpu"):
        raise UsageError(f"unknown device '{device}' (cuda or cpu)")
    a = analyze(graph, batch=batch, dtype=dtype)
    pdtype = "float32" if amp else dtype
    if not train:
        return _inference(a, batch, dtype, optimizer, device, device_bytes)
    return _Step(graph, a, batch, dtype, pdtype, amp, optimizer, checkpoint, device, inplace, device_bytes).run()


def max_batch(moments: list[Moment], limit: int) -> int:
    """The largest batch whose every moment fits ``limit`` bytes (0 when not even one sample fits). Each moment is
    affine in the batch, so this is solved, not searched."""
    best: int | None = None
    for m in moments:
        f, p = m.bytes.fixed, m.bytes.per_sample
        if p <= 0:
            if f > limit:
                return 0
            continue
        b = (limit - f) // p
        best = b if best is None else min(best, b)
    if best is None:
        return 2 ** 31  # nothing grows with the batch
    return max(0, best)


def _inference(a, batch, dtype, optimizer, device, device_bytes) -> Memory:
    t = a.totals
    layers = [MemoryLayer(r.name, r.kind, r.output_shape, r.storage, False, r.n_params, r.n_params * BYTES[dtype],
                          0, 0, None, None, None) for r in a.layers]
    # every activation is the batch times one sample's, so the inference peak is too
    peak = PerBatch(t.param_bytes + t.buffer_bytes, t.peak_activation_bytes // batch)
    moments = [Moment("inference", a.layers[-1].name if a.layers else INPUT, peak)]
    totals = MemoryTotals(saved_bytes=0, param_bytes=t.param_bytes, grad_bytes=0, optimizer_bytes=0,
                          buffer_bytes=t.buffer_bytes, input_bytes=elems(a.input_shape) * batch * BYTES[dtype],
                          peak_bytes=peak.at(batch), peak_phase="inference", peak_layer="", unknown=[], peak=peak,
                          device_bytes=device_bytes)
    m = Memory(a.name, a.input_shape, batch, dtype, dtype, False, optimizer, "none", device, False, layers, totals,
               moments, a)
    if device_bytes is not None:
        totals.max_batch = m.max_batch(device_bytes)
    return m


class _Step:
    """One training step's storages, what each layer saves, and the simulation (see the module's docstring)."""

    def __init__(self, graph, a, batch, dtype, pdtype, amp, optimizer, checkpoint, device, inplace, device_bytes):
        self.g, self.a, self.batch = graph, a, batch
        self.dtype, self.pdtype, self.amp = dtype, pdtype, amp
        self.optimizer, self.checkpoint, self.device = optimizer, checkpoint, device
        self.device_bytes = device_bytes
        self.shapes = {INPUT: graph.input_shape, **{r.name: r.output_shape for r in a.layers}}
        self.plan = inplace_plan(graph, self.shapes) if inplace else set()

    # ---- storages -----------------------------------------------------------------------------------------------
    def _size(self, elements: int, dtype: str, batched: bool = True) -> PerBatch:
        n = elements * ELEMENT_BYTES[dtype]
        return PerBatch(0, n) if batched else PerBatch(n, 0)

    def run(self) -> Memory:
        a, g = self.a, self.g
        nodes = g.nodes
        # requires_grad and element types, forward
        grad = {INPUT: False}
        dt = {INPUT: "float32" if self.amp else self.dtype}
        trained = {}
        store = {INPUT: INPUT}  # tensor -> its storage
        size: dict[str, PerBatch] = {INPUT: self._size(elems(g.input_shape), dt[INPUT])}
        mode = {}  # layer -> "new" | "view" | "in place"
        casts: dict[tuple, str] = {}  # (layer, input k) -> the storage of autocast's copy
        compute = {}  # layer -> the type it computes in
        for n, r in zip(nodes, a.layers):
            layer = n.layer
            trained[n.name] = bool(r.params) and not n.frozen
            grad[n.name] = trained[n.name] or any(grad[i] for i in n.inputs)
            ct, out_t = self._types(layer, [dt[i] for i in n.inputs], bool(r.params))
            compute[n.name] = ct
            if self.amp and self._class(layer) in ("half", "float32"):
                for k, i in enumerate(n.inputs):
                    if dt[i] != ct:
                        key = f"{n.name}:cast {k}"
                        casts[(n.name, k)] = key
                        size[key] = self._size(elems(self.shapes[i]), ct)
            ts = layer.train_storage()
            if ts == "view" or (ts == "inplace" and n.name in self.plan):
                store[n.name] = store[n.inputs[0]]
                mode[n.name] = "view" if ts == "view" else "in place"
                dt[n.name] = dt[n.inputs[0]]
            else:
                store[n.name] = n.name
                mode[n.name] = "new"
                dt[n.name] = out_t
                size[n.name] = self._size(elems(r.output_shape), out_t)

        # what each layer saves, resolved to storages
        saved: dict[str, list[SavedTensor] | None] = {}
        savers: dict[str, list[int]] = {}  # storage -> the layers that save it, in order
        unknown = []
        for k, (n, r) in enumerate(zip(nodes, a.layers)):
            if not grad[n.name]:
                saved[n.name] = []
                continue
            ctx = Autograd(grads=tuple(grad[i] for i in n.inputs), params=trained[n.name], act=compute[n.name],
                           amp=(self.dtype if self.amp else None), device=self.device,
                           dtypes=tuple(dt[i] for i in n.inputs), batch=self.batch)
            rule = n.layer.saved([self.shapes[i] for i in n.inputs], r.output_shape, ctx)
            if rule is None:
                saved[n.name] = None
                unknown.append(n.name)
                continue
            out = []
            for j, s in enumerate(rule):
                t = self._resolve(n, r, j, s, ctx, store, size, casts)
                if t is None:
                    continue
                key, shares, tdt = t
                out.append(SavedTensor(s.what, key, size[key].at(self.batch), tdt, shares, key not in savers))
                savers.setdefault(key, [])
                if not savers[key] or savers[key][-1] != k:
                    savers[key].append(k)
            saved[n.name] = out

        seg_of, depth = None, None
        if self.checkpoint == "blocks":
            depth, seg_of = segments([n.name for n in nodes])
        self.dt = dt
        moments, extra = self._simulate(nodes, grad, trained, store, size, casts, saved, savers, seg_of)

        # per layer and totals
        pb, pbytes = BYTES[self.pdtype], []
        layers = []
        saved_total = ZERO
        counted_once: set[str] = set()
        for k, (n, r) in enumerate(zip(nodes, a.layers)):
            np_ = r.n_params
            tr = np_ if trained[n.name] else 0
            s = saved[n.name]
            sb = None
            if s is not None:
                sb = 0
                for t in s:
                    if t.counted and t.storage not in counted_once:
                        counted_once.add(t.storage)
                        sb += t.bytes
                        saved_total = saved_total + size[t.storage]
            layers.append(MemoryLayer(
                n.name, n.kind, r.output_shape, mode[n.name], grad[n.name], np_, np_ * pb, tr * pb,
                tr * pb * OPTIMIZERS[self.optimizer], s, sb, n.layer.saved_rule,
                seg_of[k] if seg_of is not None else None))
            pbytes.append(np_)
        params = sum(pbytes)
        trainable = sum(r.n_params for n, r in zip(nodes, a.layers) if trained[n.name])
        checkpoint_info = None
        if seg_of is not None:
            saved_total = extra["boundary"] + extra["recompute"]
            checkpoint_info = {"depth": depth, "segments": extra["segments"],
                               "boundary_bytes": extra["boundary"].at(self.batch),
                               "recompute_bytes": extra["recompute"].at(self.batch),
                               "largest_segment": extra["largest"]}
        top = max(moments, key=lambda m: m.bytes.at(self.batch))
        totals = MemoryTotals(
            saved_bytes=saved_total.at(self.batch), param_bytes=params * pb, grad_bytes=trainable * pb,
            optimizer_bytes=trainable * pb * OPTIMIZERS[self.optimizer],
            buffer_bytes=a.totals.buffers * BYTES[self.pdtype], input_bytes=size[INPUT].at(self.batch),
            peak_bytes=top.bytes.at(self.batch), peak_phase=top.phase, peak_layer=top.layer, unknown=unknown,
            saved=saved_total, peak=top.bytes, device_bytes=self.device_bytes, checkpoint=checkpoint_info)
        m = Memory(a.name, a.input_shape, self.batch, self.dtype, self.pdtype, self.amp, self.optimizer,
                   self.checkpoint, self.device, True, layers, totals, moments, a)
        if self.device_bytes is not None:
            totals.max_batch = m.max_batch(self.device_bytes)
        return m

    def _class(self, layer) -> str:
        """The layer's autocast class on this device (``Layer.autocast``)."""
        return layer.autocast if isinstance(layer.autocast, str) else layer.autocast.get(self.device, "promote")

    def _types(self, layer, ins: list[str], has_params: bool) -> tuple[str, str]:
        """(the type a layer computes in, its output's type). Without AMP, everything is ``dtype``."""
        if not self.amp:
            return self.dtype, self.dtype
        cls = self._class(layer)
        if cls == "half":
            return self.dtype, self.dtype
        if cls == "float32":
            return "float32", "float32"
        if cls == "input":
            return ins[0], ins[0]
        wide = "float32" if "float32" in ins or has_params else ins[0]  # type promotion: parameters are float32
        return wide, wide

    def _resolve(self, n, r, j: int, s: Saved, ctx: Autograd, store, size, casts):
        """A ``Saved`` record as (storage key, how it is shared, type), registering an own storage's size; None for a
        parameter that is the parameter itself."""
        if s.input is not None:
            cast = casts.get((n.name, s.input))
            if cast is not None:
                return cast, f"input {s.input}", ctx.act
            return store[n.inputs[s.input]], f"input {s.input}", ctx.act
        if s.output:
            return store[n.name], "output", ctx.act
        if s.param is not None:
            if not (self.amp and self._class(n.layer) == "half"):
                return None  # the parameter itself: not an activation
            key = f"{n.name}:{s.param} (half copy)"
            size[key] = self._size(r.params.get(s.param, 0), self.dtype, batched=False)
            return key, "parameter", self.dtype
        dtype = ctx.act if s.dtype == ACT else s.dtype
        if dtype == STATS:
            dtype = "float32" if self.device == "cuda" or self.pdtype == "float32" else ctx.act
        key = f"{n.name}:{s.what}#{j}"
        size[key] = self._size(s.elements, dtype, s.batched)
        return key, "own", dtype

    # ---- the step -------------------------------------------------------------------------------------------------
    def _simulate(self, nodes, grad, trained, store, size, casts, saved, savers, seg_of):
        """The moments of one step: after each layer's forward, during each layer's backward, the optimizer step."""
        pb = BYTES[self.pdtype]
        trainable_of = [r.n_params if trained[n.name] else 0 for n, r in zip(nodes, self.a.layers)]
        resident = PerBatch((sum(r.n_params for r in self.a.layers) + self.a.totals.buffers) * pb
                            + sum(trainable_of) * pb * OPTIMIZERS[self.optimizer], 0)
        outputs = self._outputs(nodes)
        keep = {INPUT} | {store[o] for o in outputs}  # alive through the whole step: the caller holds them

        made: dict[int, list[str]] = {}  # storages a layer's forward allocates beside its output: casts, own tensors
        for k, n in enumerate(nodes):
            mine = [c for (name, _), c in casts.items() if name == n.name]
            mine += [t.storage for t in saved[n.name] or [] if t.shares in ("own", "parameter")]
            made[k] = list(dict.fromkeys(mine))
        last: dict[str, int] = {}  # storage -> the last layer of the forward pass that reads or writes it
        for k, n in enumerate(nodes):
            for i in [*n.inputs, n.name]:
                last[store[i]] = k
            for s in made[k]:
                last[s] = k
        extra: dict = {}
        recompute_at: dict[int, list[str]] = {}
        if seg_of is None:
            release = {s: min(ks) for s, ks in savers.items()}  # freed after the backward of its earliest saver
            kept = set(release)  # saved storages outlive the forward pass
        else:
            release, recompute_at, extra = self._checkpoint(nodes, seg_of, store, size, saved, savers)
            kept = {s for s in release if not s.startswith("R:")}

        frees: dict[int, list[str]] = {}  # layer -> storages dead after its forward
        for s, k in last.items():
            if s not in keep and s not in kept:
                frees.setdefault(k, []).append(s)
        releases: dict[int, list[str]] = {}  # layer -> storages freed after its backward
        for s, k in release.items():
            if s not in keep:
                releases.setdefault(k, []).append(s)

        moments: list[Moment] = []
        live: dict[str, PerBatch] = {INPUT: size[INPUT]}
        total = size[INPUT]
        for k, n in enumerate(nodes):
            for s in ([n.name] if store[n.name] == n.name else []) + made[k]:
                if s not in live:
                    live[s] = size[s]
                    total = total + size[s]
            moments.append(Moment("forward", n.name, resident + total))
            for s in frees.get(k, []):
                if s in live:
                    total = total - live.pop(s)

        gbuf: dict[str, str] = {}  # tensor -> its gradient's buffer
        glive: dict[str, PerBatch] = {}
        for o in outputs:
            if grad[o]:
                gbuf[o] = f"grad:{o}"
                glive[gbuf[o]] = self._size(elems(self.shapes[o]), self.dt[o])
        gtotal = _sum(glive.values())
        pgrads = ZERO
        for k in range(len(nodes) - 1, -1, -1):
            n = nodes[k]
            name = n.name
            for s in recompute_at.get(k, []):
                if s not in live:
                    live[s] = size[s.removeprefix("R:")]
                    total = total + live[s]
            if grad[name] and name in gbuf:
                pgrads = pgrads + PerBatch(trainable_of[k] * pb, 0)
                data = n.inputs if n.layer.data_inputs is None else n.inputs[:n.layer.data_inputs]
                alias = (n.layer.train_storage() == "view" and len(n.inputs) == 1
                         and elems(self.shapes[n.inputs[0]]) == elems(self.shapes[name]))
                for i in data:
                    if not grad[i] or i in gbuf:
                        continue  # needs none, or accumulates into the buffer a later consumer made
                    if alias:
                        gbuf[i] = gbuf[name]  # a view's gradient is a view of its output's
                    else:
                        gbuf[i] = f"grad:{i}"
                        glive[gbuf[i]] = self._size(elems(self.shapes[i]), self.dt[i])
                        gtotal = gtotal + glive[gbuf[i]]
                moments.append(Moment("backward", name, resident + pgrads + total + gtotal))
                mine = gbuf[name]
                if mine in glive and not any(gbuf.get(i) == mine for i in data):
                    gtotal = gtotal - glive.pop(mine)
            for s in releases.get(k, []):
                if s in live:
                    total = total - live.pop(s)
        step = PerBatch(sum(trainable_of) * pb * STEP_TEMPORARIES[self.optimizer], 0)
        moments.append(Moment("optimizer", "step", resident + pgrads + step + _sum(live[s] for s in keep if s in live)))
        return moments, extra

    def _outputs(self, nodes) -> list[str]:
        consumed = {i for n in nodes for i in n.inputs}
        return [n.name for n in nodes if n.name not in consumed] or [INPUT]

    def _checkpoint(self, nodes, seg_of, store, size, saved, savers):
        """Checkpointing each block (torch.utils.checkpoint, non-reentrant): the forward pass keeps only each block's
        inputs, until the block's backward is done; as backward reaches a block it recomputes the block's forward,
        whose saved storages (keyed ``R:...``) then live as without checkpointing. Returns (storage -> the layer
        after whose backward it is freed, layer -> storages recomputed just before its backward, summary)."""
        runs: list[list] = []  # [key, first, last]
        for k, key in enumerate(seg_of):
            if runs and runs[-1][0] == key:
                runs[-1][2] = k
            else:
                runs.append([key, k, k])
        of = {nodes[k].name: ri for ri, (_, first, last) in enumerate(runs) for k in range(first, last + 1)}
        release: dict[str, int] = {}
        recompute_at: dict[int, list[str]] = {}
        boundary: set[str] = set()
        largest, largest_key = ZERO, ""
        for ri, (key, first, last) in enumerate(runs):
            ins = {store[i] for k in range(first, last + 1) for i in nodes[k].inputs if i == INPUT or of[i] != ri}
            for s in ins:
                boundary.add(s)
                release[s] = min(release.get(s, first), first)
            inner: dict[str, int] = {}
            for k in range(first, last + 1):
                for t in saved[nodes[k].name] or []:
                    if t.storage not in ins:
                        at = min(x for x in savers[t.storage] if first <= x <= last)
                        inner["R:" + t.storage] = min(inner.get("R:" + t.storage, at), at)
            release.update(inner)
            recompute_at[last] = list(inner)
            total = _sum(size[s[2:]] for s in inner)
            if total.at(self.batch) > largest.at(self.batch) or not largest_key:
                largest, largest_key = total, key
        return release, recompute_at, {"boundary": _sum(size[s] for s in boundary), "recompute": largest,
                                       "largest": largest_key, "segments": len(runs)}


def _sum(xs) -> PerBatch:
    f = p = 0
    for x in xs:
        f += x.fixed
        p += x.per_sample
    return PerBatch(f, p)

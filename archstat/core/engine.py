"""The engine: walk a spec's graph once, in order, and compute every layer's shape, parameters, MACs, FLOPs,
activation memory and receptive field, then the totals and the inference-time peak of live activations.

It knows nothing of any particular layer kind: each layer answers for itself (``layers/``). What lives here is
what is the same for every kind: composing receptive fields, counting memory, summing totals. The walk over the
graph and the activation rule are ``core.walk``'s, shared with the symbolic analysis; each layer's activation
figures are computed once, here, as fields of its ``LayerResult`` (``activation_bytes``: the size of its output;
``new_bytes``: what it allocates), and every renderer, plot and exporter reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from archstat.core import receptive_field as rf
from archstat.core.dtypes import BYTES as DTYPE_BYTES
from archstat.core.dtypes import nbytes as dtype_nbytes
from archstat.core.graph import INPUT, Graph, Node
from archstat.core.notes import RF_GATE, RF_UNTRACKED, UNREAD, Note, code_of
from archstat.core.walk import activation, allocates, stored, walk, where
from archstat.errors import ShapeError, UsageError
from archstat.io.limits import MAX_DIM
from archstat.layers import MergeMismatch, elems, fmt_shape, spatial
from archstat.layers._text import tokens  # not via the package: its submodule tokens.py shadows the name there

RF_BITS = 128  # a receptive field whose numbers outgrow this (strides compounding without end) is no longer tracked


@dataclass(slots=True)
class LayerResult:
    name: str
    kind: str
    inputs: list[str]
    output_shape: tuple
    params: dict[str, int]  # trainable tensors by name
    buffers: dict[str, int]
    macs: int | None  # None: unknown
    flops: int | None
    activations: int  # elements of the output, whole batch
    new_memory: bool  # False for in-place ops and views: their output shares its input's storage
    activation_bytes: int  # bytes of the output, whole batch, in the analysis's dtype (in place or not)
    new_bytes: int  # bytes this layer allocates: activation_bytes, or 0 for an in-place op or a view
    field: object  # rf.ReceptiveField, rf GLOBAL, or None (unknown)
    notes: list[str]
    line: int | None
    frozen: bool = False
    node: Node | None = None
    view: bool = False  # its output is a view of its input (flatten, crop, identity)
    inplace: bool = False  # it writes into its input (activations, inference dropout)

    @property
    def layer(self):
        """The layer's own rules (``node.layer``)."""
        assert self.node is not None, "a LayerResult made by the engine has its node"
        return self.node.layer

    @property
    def storage(self) -> str:
        """Where its output lives: "new" memory, a "view" of its input, or its input's memory ("in place")."""
        return "new" if self.new_memory else "view" if self.view else "in place"

    @property
    def n_params(self) -> int:
        return sum(self.params.values())

    @property
    def weights(self) -> int:
        """Parameters without biases (the lecture tables' "params")."""
        return sum(v for k, v in self.params.items() if k != "bias")


@dataclass
class Totals:
    params: int
    trainable_params: int
    buffers: int
    weights: int
    macs: int
    flops: int
    unknown_macs: list[str]  # layers whose MACs are unknown: the totals are then lower bounds
    unknown_flops: list[str]
    activations: int  # elements stored: the input plus every layer output that takes new memory
    activation_bytes: int  # their bytes: the input's plus every layer's new_bytes
    param_bytes: int
    buffer_bytes: int
    peak_activation_bytes: int
    field: object
    weight_layers: int  # conv, deconv and linear layers, counted
    depth: int  # weight layers along the longest path from input to output (VGG-16: 16, GoogLeNet: 22)
    layers: int
    gates: list[str]  # merges whose field left out a gate that sees the whole input (rf.gates): the field is the
    #                   feature path's


@dataclass
class Analysis:
    graph: Graph
    input_shape: tuple
    batch: int
    dtype: str
    layers: list[LayerResult]
    totals: Totals
    notes: list[tuple[str, str]] = field(default_factory=list)  # (layer, note)

    @property
    def name(self) -> str:
        return self.graph.name

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def layer(self, name: str) -> LayerResult:
        for r in self.layers:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_frame(self):
        """One row per layer, as a pandas DataFrame (``archstat.core.frame.layer_frame``)."""
        from archstat.core.frame import layer_frame

        return layer_frame(self)


def analyze(graph: Graph, batch: int = 1, dtype: str = "float32") -> Analysis:
    nbytes = dtype_nbytes(dtype)
    if batch < 1:
        raise UsageError(f"batch must be at least 1, got {batch}")
    if batch > MAX_DIM:
        raise UsageError(f"batch must be at most {MAX_DIM:,}, got {batch:,}")
    fields: dict[str, object] = {INPUT: rf.START if spatial(graph.input_shape) else rf.GLOBAL}
    memo: dict = {}

    def step(node: Node, ins: list) -> tuple:
        r = _one(node, ins, fields, batch, nbytes, memo)
        return r.output_shape, r

    results = walk(graph, graph.input_shape, step, _failure(graph))
    _note_unread(graph, results)
    totals = _totals(graph, results, batch, nbytes)
    notes = [(r.name, n) for r in results for n in r.notes]
    return Analysis(graph, graph.input_shape, batch, dtype, results, totals, notes)


def _note_unread(graph: Graph, results: list) -> None:
    """A layer whose output nothing reads and that is not an output is still counted: say so on it, with what it
    and the layers that lead only to it hold (``Graph.unread``)."""
    dead = graph.unread()
    if not dead:
        return
    by_name = {r.name: r for r in results}
    for end, before in dead.items():
        rows = [by_name[n] for n in (end, *before) if n in by_name]
        params = sum(r.n_params for r in rows)
        macs = None if any(r.macs is None for r in rows) else sum(r.macs for r in rows)
        with_ = f"it and the {len(before)} layer{'s' if len(before) != 1 else ''} before it that reach no output hold" \
            if before else "it holds"
        by_name[end].notes.append(Note(UNREAD, (
            f"nothing reads this layer's output and it is not the network's output (the last layer, or one listed "
            f"under 'outputs:'); {with_} {params:,} parameters and {'?' if macs is None else f'{macs:,}'} MACs, "
            f"counted in the totals")))


def _failure(graph: Graph):
    """What a layer's failure becomes: two merged inputs that disagree are named with their shapes; a rule that
    breaks on odd input is still one line."""

    def failure(node: Node, e: Exception, shapes: dict):
        if isinstance(e, MergeMismatch):
            a, b = node.inputs[e.a], node.inputs[e.b]
            return ShapeError(f"{node.kind}: inputs '{a}' ({fmt_shape(shapes[a])}) and '{b}' "
                              f"({fmt_shape(shapes[b])}) disagree: {e.what}", **where(graph, node))
        if isinstance(e, (ArithmeticError, ValueError, TypeError)):
            return ShapeError(f"{node.kind}: cannot compute this layer ({type(e).__name__}: {e})",
                              **where(graph, node))
        return None

    return failure


def _one(node: Node, ins: list, fields: dict, batch: int, nbytes: int, memo: dict) -> LayerResult:
    layer = node.layer
    key = None if layer.signature is None else (layer.signature, tuple(ins))
    rules = memo.get(key) if key is not None else None
    if rules is None:  # the first layer of its kind, arguments and inputs in this network: apply its rules
        rules = _rules(node, ins)
        if key is not None:
            memo[key] = rules
    out, own_notes, window, params, buffers, macs, flops = rules
    notes = list(own_notes)
    srcs = node.inputs if layer.data_inputs is None else node.inputs[:layer.data_inputs]
    if len(srcs) > 1:
        merged = [fields[i] for i in srcs]
        gates = rf.gates(merged, ins, out)
        if gates:  # broadcast gates that see the whole input: the field is the feature path's
            notes.append(rf.gate_note([srcs[k] for k in gates], [ins[k] for k in gates], out))
            merged = [f for k, f in enumerate(merged) if k not in gates]
        in_field, merge_note = rf.merge(merged)
        if merge_note:
            notes.append(merge_note)
    else:
        in_field = fields[srcs[0]]
    if spatial(out) or tokens(out):  # a map, or tokens: each position or token has its field
        f = rf.through(in_field, window)
    else:
        f = None if in_field is None and layer.window(ins, out) is None else rf.GLOBAL
    if f.__class__ is rf.ReceptiveField and not _small(f):
        notes.append(Note(RF_UNTRACKED, f"receptive field no longer tracked: its size, stride or padding outgrew 2**{RF_BITS}"))
        f = None
    fields[node.name] = f
    acts, act_bytes, new_bytes = activation(layer, out, batch, nbytes)
    return LayerResult(
        name=node.name, kind=node.kind, inputs=list(node.inputs), output_shape=out,
        params=dict(params), buffers=dict(buffers), macs=_scale(macs, batch), flops=_scale(flops, batch),
        activations=acts, new_memory=allocates(layer), activation_bytes=act_bytes, new_bytes=new_bytes, field=f,
        notes=notes, line=node.line, frozen=node.frozen, node=node, view=bool(layer.view),
        inplace=bool(layer.inplace),
    )


def headline_field(results: list) -> object:
    """The network's field: that of its last per-position features (a map or tokens), walking back past flat
    layers and pooled 1 x 1 maps. Features that attention made global (several positions, each seeing the whole
    input) give ``GLOBAL``; a map before global pooling gives its own field."""
    for r in reversed(results):
        shape = r.output_shape
        if not (spatial(shape) or tokens(shape)):
            continue
        if r.field is not rf.GLOBAL:
            return r.field
        n = shape[0] if tokens(shape) else shape[1] * shape[2]
        if not isinstance(n, int) or n > 1:  # a symbolic count of positions is several
            return rf.GLOBAL
    return rf.START


def _rules(node: Node, ins: list) -> tuple:
    """What a layer's own rules give for these inputs: (output shape, notes, window, params, buffers, MACs and FLOPs
    per image)."""
    layer = node.layer
    out = tuple(layer.output_shape(ins))
    for d in out:
        if d < 1:
            raise ShapeError(f"{node.kind}: output {fmt_shape(out)} has a size below 1")
        if d > MAX_DIM:
            raise ShapeError(f"{node.kind}: output {fmt_shape(out)} has a size above the limit of {MAX_DIM:,}",
                             code="too_large")
    window = layer.window(ins, out) if spatial(out) or tokens(out) else None
    return (out, tuple(layer.notes(ins, out)), window, layer.params(ins), layer.buffers(ins), layer.macs(ins, out),
            layer.flops(ins, out))


_RF_LIMIT = 1 << RF_BITS


def _small(f: rf.ReceptiveField) -> bool:
    """Whether every number of a field fits RF_BITS bits (a fraction: its numerator and denominator)."""
    for v in (*f.size, *f.stride, *f.padding):
        if v.__class__ is int:
            if -_RF_LIMIT < v < _RF_LIMIT:
                continue
            return False
        if isinstance(v, Fraction):
            if v.numerator.bit_length() > RF_BITS or v.denominator.bit_length() > RF_BITS:
                return False
        elif int(v).bit_length() > RF_BITS:
            return False
    return True


def _scale(v, batch):
    return None if v is None else v * batch


def _totals(graph: Graph, results: list[LayerResult], batch: int, nbytes: int) -> Totals:
    params = trainable = buffers = weights = macs = flops = weight_layers = 0
    acts = sum(stored(graph.input_shape, batch, ((r.layer, r.activations) for r in results)))
    unknown_macs, unknown_flops = [], []
    for r in results:  # one pass: the totals of a 10,000-layer network are a tenth of its analysis
        n = r.n_params
        params += n
        if not r.frozen:
            trainable += n
        weights += r.weights
        if r.buffers:
            buffers += sum(r.buffers.values())
        if r.macs is None:
            unknown_macs.append(r.name)
        else:
            macs += r.macs
        if r.flops is None:
            unknown_flops.append(r.name)
        else:
            flops += r.flops
        weight_layers += r.layer.weight_layer
    last_spatial = headline_field(results)
    return Totals(
        params=params, trainable_params=trainable, buffers=buffers, weights=weights, macs=macs, flops=flops,
        unknown_macs=unknown_macs, unknown_flops=unknown_flops, activations=acts, activation_bytes=acts * nbytes,
        param_bytes=params * nbytes, buffer_bytes=buffers * nbytes,
        peak_activation_bytes=peak_bytes(graph, results, batch, nbytes), field=last_spatial,
        weight_layers=weight_layers, depth=longest_weight_path(results), layers=len(results),
        gates=[r.name for r in results if any(code_of(n) == RF_GATE for n in r.notes)],
    )


def weight_depths(results: list[LayerResult]) -> dict[str, int]:
    """Each layer's depth: weight layers on the longest path from the input up to and including it."""
    depth = {INPUT: 0}
    for r in results:
        depth[r.name] = max(depth[i] for i in r.inputs) + (1 if r.layer.weight_layer else 0)
    return depth


def longest_weight_path(results: list[LayerResult]) -> int:
    """The paper's "N layers deep": weight layers on the longest path (branches in parallel count once)."""
    return max(weight_depths(results).values())


def peak_bytes(graph: Graph, results: list[LayerResult], batch: int, nbytes: int) -> int:
    """Most activation bytes alive at once in an inference pass that runs the layers in spec order.

    Each tensor is allocated when its layer runs and freed after its last consumer has run; an in-place op or a
    view shares its input's storage (and extends its life). The network's output stays alive to the end. The
    moment measured is just after a layer's output is allocated, while its inputs are still alive.
    """
    storage = {INPUT: INPUT}  # tensor name -> the storage it lives in
    size = {INPUT: elems(graph.input_shape) * batch * nbytes}
    last_use: dict[str, int] = {INPUT: -1}
    for i, r in enumerate(results):
        for src in r.inputs:
            last_use[storage[src]] = i
        if r.new_memory:
            storage[r.name] = r.name
            size[r.name] = r.new_bytes
            last_use.setdefault(r.name, i)
        else:
            storage[r.name] = storage[r.inputs[0]]
    if results:
        last_use[storage[results[-1].name]] = len(results)
    frees: dict[int, list[str]] = {}
    for s, i in last_use.items():
        frees.setdefault(i, []).append(s)
    live = size[INPUT]
    peak = live
    for s in frees.get(-1, []):
        live -= size[s]
    for i, r in enumerate(results):
        if r.new_memory:
            live += size[r.name]
            peak = max(peak, live)
        for s in frees.get(i, []):
            live -= size[s]
    return peak

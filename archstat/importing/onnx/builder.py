"""What the ONNX reader's handlers build with (``_Builder``): layers, their names and layouts, and the learned
tensors they count.

Each node that computes on the network's activations becomes one layer; nodes that compute only on constants are
folded away, and ``Identity``/``Dropout`` pass their input through.

Layout: archstat's shapes are logical (C x H x W whatever the memory layout; see ``archstat/layers/permute.py``).
The reader tracks whether each 4-d tensor is channels-first or channels-last: ``Transpose`` [0, 2, 3, 1] and back is
a ``permute`` layer, after which ``LayerNormalization`` over the last axis and ``MatMul`` with a weight act on the
channels at every position (``layer_norm``, ``linear``), as ConvNeXt's block does.

Names: a layer with a weight is named after its initializer (``layer1.0.conv1.weight`` -> ``layer1.0.conv1``);
``torch.onnx.export`` keeps the state_dict keys as initializer names (export with ``do_constant_folding=False`` and
``training=TrainingMode.PRESERVE`` so that batch norm is not folded into the convolution), so the imported spec's
PyTorch build loads the original state_dict. The exporter writes tensors of equal values once and the others as
``Identity`` of it: each such ``Identity`` is a tensor of its own (its own state_dict key), as in the model. Other
nodes are named after their module path (``/layer1/layer1.0/relu/Relu`` -> ``layer1.0.relu``; functional ops inside
a module: ``/layer1/layer1.0/Add`` -> ``layer1.0.add``), a repeated name getting ``_1``, ``_2``.

Anything else becomes a ``custom`` layer with its inferred shape, the size of the weights it reads, and its MACs
only where they are known exactly (zero for pure data movement; ``MatMul`` of two activations: out elements times
the inner size); otherwise its counts are unknown, never zero. Each is listed in the spec's closing note.
"""

from __future__ import annotations

import math

from archstat.errors import SpecError
from archstat.importing.ir import INPUT, ImportedLayer, ImportedModel
from archstat.importing.onnx.graph import _Graph
from archstat.importing.onnx.nodes import _CF, _CL, _camel, _scope_name

MOVES = {"Reshape", "Transpose", "Slice", "Split", "Squeeze", "Unsqueeze", "Gather", "Expand", "Tile", "Cast",
         "DepthToSpace", "SpaceToDepth", "Concat", "Identity"}  # data movement: zero arithmetic


class _Builder:
    """What every handler builds with, over the prepared graph (``graph._Graph``): the tensors' producers, layouts
    and shapes, naming, ``add``/``custom``, and the accounting of learned tensors. The handlers (``_op_<OpType>``)
    live in ``ops.py`` and ``patterns.py``; ``reader._Reader`` walks the graph with them."""

    def __init__(self, model, name: str, source: str, input_shape: tuple | None):
        self.g = _Graph(model, input_shape, source)
        self.graph = model.graph
        self.source = source
        self.input = self.g.input
        self.shapes = self.g.shapes
        self.model = ImportedModel(name, source, tuple(self.g.dims[1:]))
        self.producer: dict[str, str] = {self.input: INPUT}  # tensor -> layer that gives it (or INPUT)
        self.layout: dict[str, str] = {}  # 4-d tensor -> _CF or _CL (absent: _CF)
        self.used: set[str] = set()
        self.claimed: set[str] = set()  # learned tensors some layer counts
        self.fanout: dict[str, int] = {}
        self.consumers: dict[str, list[int]] = {}
        for k, n in enumerate(self.g.nodes):
            for i in n.input:
                self.fanout[i] = self.fanout.get(i, 0) + 1
                self.consumers.setdefault(i, []).append(k)
        for o in self.graph.output:
            self.fanout[o.name] = self.fanout.get(o.name, 0) + 1

    # ---- helpers --------------------------------------------------------------------------------------------------
    def const(self, name: str):
        return self.g.values.get(name) if name else None

    def weight(self, name: str) -> str | None:
        """The learned tensor ``name`` is (through views and copies), or None."""
        return self.g.tensor_of.get(name) if name else None

    def is_act(self, name: str) -> bool:
        return name in self.producer

    def rank(self, name: str) -> int:
        return len(self.shapes.get(name, ()))

    def lay(self, name: str) -> str:
        return self.layout.get(name, _CF)

    def unique(self, name: str) -> str:
        base, k = name, 1
        while name in self.used or name == INPUT:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name

    def weight_name(self, tensor: str, node) -> str:
        t = self.weight(tensor) or tensor
        for suffix in (".weight", ".in_proj_weight"):
            if t.endswith(suffix) and not t.startswith("onnx::"):
                return t[: -len(suffix)]
        return _scope_name(node)

    def next_node(self, tensor: str, k: int):
        """The one node after position ``k`` that reads ``tensor`` when it is its only reader: (index, node)."""
        if self.fanout.get(tensor) != 1:
            return None, None
        for j in self.consumers.get(tensor, []):
            if j > k:
                return j, self.g.nodes[j]
        return None, None

    def logical(self, tensor: str) -> tuple:
        """The tensor's shape as archstat writes it: no batch; a channels-last map as C x H x W."""
        s = self.shapes.get(tensor)
        if s is None or any(d < 0 for d in s[1:]):
            raise SpecError(f"ONNX tensor '{tensor}': shape inference gave no fixed shape ({s})", file=self.source)
        if len(s) == 4 and self.lay(tensor) == _CL:
            return (s[3], s[1], s[2])
        return tuple(s[1:])

    def out_shape(self, node) -> tuple:
        try:
            return self.logical(node.output[0])
        except SpecError:
            raise SpecError(f"ONNX node '{node.name}' ({node.op_type}): shape inference gave no fixed shape",
                            file=self.source) from None

    def claim(self, *nodes) -> int:
        """Marks the learned tensors the nodes read as counted; their elements."""
        n = 0
        for node in nodes:
            for i in node.input:
                t = self.weight(i)
                if t is not None and t not in self.claimed:
                    self.claimed.add(t)
                    n += self.g.numel[t]
        return n

    def add(self, node, kind: str, args: dict, inputs: list[str], name: str | None = None, op: str = "",
            also=(), layout: str | None = None) -> str:
        """A layer of ``kind`` for ``node`` (and the nodes ``also`` folded into it), giving ``node``'s output."""
        nm = self.unique(name or _scope_name(node))
        ins = [self.producer[i] for i in inputs]
        out = node.output[0]
        self.layout[out] = layout or (self.lay(inputs[0]) if inputs else _CF)
        self.model.layers.append(ImportedLayer(nm, kind, args, ins, self.out_shape(node), op or f"onnx:{node.op_type}"))
        self.producer[out] = nm
        self.claim(node, *also)
        return nm

    def custom(self, node, macs: int | None = None) -> None:
        acts = [i for i in node.input if i and self.is_act(i)]
        params = self.claim(node)
        zero = node.op_type in MOVES
        nm = self.unique(_scope_name(node))
        self.layout[node.output[0]] = self.lay(acts[0]) if acts else _CF
        shape = self.out_shape(node)
        if len(shape) not in (1, 3):  # a custom layer holds a map or a vector (archstat/layers/custom.py)
            raise SpecError(f"ONNX node '{node.name}' ({node.op_type}) gives a tensor of shape "
                            f"{'x'.join(map(str, self.shapes[node.output[0]]))}, which no archstat kind maps and a "
                            f"custom layer cannot hold (a map C x H x W or a vector)", file=self.source)
        if zero:
            macs = 0
        self.model.layers.append(ImportedLayer.custom(nm, f"onnx:{node.op_type}", [self.producer[i] for i in acts],
                                                      shape, params, macs, 2 * macs if macs is not None else None))
        for o in node.output:
            if o:
                self.producer[o] = nm

    def _macs(self, node, acts) -> int | None:
        """MACs of an unmapped node where they are exact: a MatMul of two activations."""
        if node.op_type == "MatMul" and len(acts) == 2:
            a = self.shapes.get(node.input[0])
            out = self.shapes.get(node.output[0])
            if a and out and all(d > 0 for d in a + out):
                n = 1
                for d in out:
                    n *= d
                return n * a[-1] // self.g.batch
        return None

    def reached(self) -> dict[str, int]:
        """The learned tensors that the network's arithmetic reads (through views and copies)."""
        out: dict[str, int] = {}
        for n in self.g.nodes:
            if any(o in self.g.acts for o in n.output):
                for i in n.input:
                    t = self.weight(i)
                    if t is not None:
                        out[t] = self.g.numel[t]
        return out

    def _functional_names(self) -> None:
        """A functional op inside a module (``F.relu`` in torchvision's ``BasicConv2d``: ``/conv1/Relu``) first takes
        the module's own path; where that path holds other layers, it becomes ``conv1.relu``."""
        import re

        scopes = {la.name.rsplit(".", k)[0] for la in self.model.layers for k in range(1, la.name.count(".") + 1)}
        renamed: dict[str, str] = {}
        for la in self.model.layers:
            path = re.sub(r"_\d+$", "", la.name)  # a second op in the same module was named path_1
            if (la.name in scopes or (path != la.name and path in scopes)) and \
                    la.kind not in ("layer_scale", "pos_embedding", "class_token"):
                op = re.split(r"[+-]", la.op.removeprefix("onnx:"))[0].lower()
                new = self.unique(f"{path}.{la.kind if la.kind != 'custom' else op}")
                renamed[la.name] = new
                la.name = new
        if renamed:
            for la in self.model.layers:
                la.inputs = [renamed.get(i, i) for i in la.inputs]

    def scope_types(self) -> dict[str, str]:
        """Names for the emitter's blocks. ONNX keeps no class names: a module whose parts are all numbered is taken
        for a plain container (``Sequential``), a numbered module is a unit of its container (``layer1.0``:
        ``Layer1Unit``), any other is named after its attribute (``branch2``: ``Branch2``)."""
        children: dict[str, set[str]] = {}
        for la in self.model.layers:
            parts = la.name.split(".")
            for d in range(1, len(parts)):
                children.setdefault(".".join(parts[:d]), set()).add(parts[d])
        out: dict[str, str] = {}
        for path, kids in children.items():
            last = path.rpartition(".")[2]
            if kids and all(c.isdigit() for c in kids):
                out[path] = "Sequential"
            elif last.isdigit():
                parent = next((p for p in reversed(path.split(".")[:-1]) if not p.isdigit()), "")
                out[path] = _camel(parent) + "Unit"
            else:
                out[path] = _camel(last)
        return out

    # ---- shared by the handlers -----------------------------------------------------------------------------------
    def _per_position(self, tensor: str) -> bool:
        """Whether the tensor's last axis is its features: a vector, tokens, or a channels-last map."""
        r = self.rank(tensor)
        return r in (2, 3) or (r == 4 and self.lay(tensor) == _CL)

    def _is(self, name: str, value: float) -> bool:
        v = self.const(name)
        return v is not None and v.size == 1 and math.isclose(float(v.reshape(-1)[0]), value, rel_tol=1e-5)

    def _channel_axis(self, tensor: str) -> int:
        r = self.rank(tensor)
        return 3 if r == 4 and self.lay(tensor) == _CL else 1

    def _same_shape(self, acts: list[str]) -> bool:
        return len({(self.shapes.get(i), self.lay(i)) for i in acts}) == 1

    def _layer_norm(self, node, a, acts, ln, also=()):
        args: dict = {}
        eps = float(a.get("epsilon", 1e-5))
        if not math.isclose(eps, 1e-5, rel_tol=1e-6):
            args["eps"] = float(f"{eps:.6g}")
        if len(ln.input) < 3 or not ln.input[2]:
            args["bias"] = False
        if len(ln.input) < 2 or self.weight(ln.input[1]) is None:
            return False
        self.add(node, "layer_norm", args, acts, self.weight_name(ln.input[1], ln), also=also)
        return None

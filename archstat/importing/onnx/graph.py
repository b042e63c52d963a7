"""The ONNX graph prepared for the walk (``_Graph``): every tensor's shape, the constants' values, and which tensors are
learned weights.

Shapes: ``onnx.shape_inference`` (with ``data_prop``), alternated with a small constant folder (``_fold``): the
shape arithmetic that ``torch.onnx.export`` writes (``Shape``, ``Gather``, ``Concat``, ``Div`` ... feeding a
``Reshape`` or a ``Slice``) is evaluated with numpy, written back as constants, and shapes inferred again, until
every tensor computed from the input has a fixed shape. Weights are not read for this: inference sees them as
inputs of their declared shape. ``input_shape`` (``--input``) replaces the input's dimensions before inferring, so a
graph exported with dynamic sizes, or one whose shapes re-infer consistently at another size, is read at that size.
"""

from __future__ import annotations

import math
from typing import Any

from archstat.errors import SpecError, UsageError
from archstat.importing.onnx.nodes import _attrs, _dims, _size

_VIEWS = {"Cast", "Reshape", "Unsqueeze", "Squeeze", "Transpose", "Expand", "Flatten"}  # a weight seen through them
_REAL = 4096  # constants up to this many elements are evaluated; larger ones (weights) only by shape


# ---- constant folding ---------------------------------------------------------------------------------------------
def _evaluate(op, a, ins, np):
    """The outputs of a node of constants (numpy arrays; None where an input is absent), or None when not known."""
    x = ins[0] if ins else None
    if op in ("Identity", "Dropout"):
        return [x]
    if op == "Cast":
        from onnx.helper import tensor_dtype_to_np_dtype

        return [x.astype(tensor_dtype_to_np_dtype(a["to"]))]
    if op == "Reshape":
        shape = [int(v) for v in ins[1]]
        if not a.get("allowzero", 0):
            shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
        return [x.reshape(shape)]
    if op == "Flatten":
        ax = int(a.get("axis", 1)) % max(x.ndim, 1)
        return [x.reshape(int(np.prod(x.shape[:ax])), -1)]
    if op in ("Unsqueeze", "Squeeze"):
        axes = a.get("axes") if len(ins) < 2 or ins[1] is None else [int(v) for v in ins[1]]
        if op == "Squeeze":
            if axes is None:
                return [np.squeeze(x)]
            return [np.squeeze(x, axis=tuple(int(v) % x.ndim for v in axes))]
        rank = x.ndim + len(axes)
        out = x
        for ax in sorted(int(v) % rank for v in axes):
            out = np.expand_dims(out, ax)
        return [out]
    if op == "Transpose":
        return [np.transpose(x, a.get("perm"))]
    if op == "Concat":
        return [np.concatenate([np.atleast_1d(v) for v in ins], axis=int(a.get("axis", 0)))]
    if op == "Gather":
        return [np.take(x, ins[1], axis=int(a.get("axis", 0)))]
    if op == "Slice":
        starts, ends = ins[1], ins[2]
        axes = ins[3] if len(ins) > 3 and ins[3] is not None else range(len(starts))
        steps = ins[4] if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        sl = [slice(None)] * x.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            sl[int(ax) % x.ndim] = slice(int(s), int(min(max(e, -(2 ** 62)), 2 ** 62)), int(st))
        return [x[tuple(sl)]]
    if op == "ConstantOfShape":
        from onnx import numpy_helper

        v = a.get("value")
        fill = numpy_helper.to_array(v).reshape(-1)[0] if v is not None else np.float32(0)
        return [np.full([int(s) for s in x], fill, dtype=np.asarray(fill).dtype)]
    if op == "Expand":
        shape = np.broadcast_shapes(x.shape, tuple(int(v) for v in ins[1]))
        return [np.broadcast_to(x, shape)]
    if op == "Range":
        return [np.arange(ins[0], ins[1], ins[2]).astype(np.asarray(ins[0]).dtype)]
    if op == "Where":
        return [np.where(ins[0], ins[1], ins[2])]
    binary = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Equal": np.equal, "Min": np.minimum,
              "Max": np.maximum, "Pow": np.power, "Less": np.less, "Greater": np.greater}
    if op in binary and len(ins) == 2:
        return [binary[op](ins[0], ins[1]).astype(np.result_type(ins[0], ins[1])) if op not in ("Equal", "Less",
                "Greater") else binary[op](ins[0], ins[1])]
    if op == "Div":
        if np.issubdtype(np.asarray(ins[0]).dtype, np.integer):
            return [np.trunc(np.true_divide(ins[0], ins[1])).astype(np.asarray(ins[0]).dtype)]
        return [np.true_divide(ins[0], ins[1]).astype(np.asarray(ins[0]).dtype)]
    if op == "Mod":
        return [np.fmod(ins[0], ins[1]) if a.get("fmod", 0) else np.mod(ins[0], ins[1])]
    unary = {"Sqrt": np.sqrt, "Neg": np.negative, "Floor": np.floor, "Ceil": np.ceil, "Abs": np.abs}
    if op in unary:
        return [unary[op](x)]
    if op in ("ReduceProd", "ReduceSum"):
        axes = a.get("axes") if len(ins) < 2 or ins[1] is None else [int(v) for v in ins[1]]
        f = np.prod if op == "ReduceProd" else np.sum
        return [f(x, axis=None if axes is None else tuple(axes), keepdims=bool(a.get("keepdims", 1)))]
    return None


def _as_array(t, np):
    """An initializer's value, or zeros of its shape and type when it is large (a weight: only its shape counts)."""
    from onnx import numpy_helper
    from onnx.helper import tensor_dtype_to_np_dtype

    n = 1
    for d in t.dims:
        n *= int(d)
    if n <= _REAL:
        return numpy_helper.to_array(t)
    return np.zeros(tuple(int(d) for d in t.dims), dtype=tensor_dtype_to_np_dtype(t.data_type))


class _Graph:
    """The graph's nodes, with every tensor's shape (batch included), the constants' values, and which tensors are
    learned weights (``tensor_of``: a name, seen through views, -> the weight tensor it is)."""

    def __init__(self, model, input_shape: tuple | None, source: str):
        import numpy as np
        import onnx

        self.source = source
        g = model.graph
        self.nodes = list(g.node)
        inits = {t.name: t for t in g.initializer}
        inputs = [i for i in g.input if i.name not in inits]
        if len(inputs) != 1:
            raise SpecError(f"the ONNX graph has {len(inputs)} inputs; archstat reads networks with one", file=source)
        self.input = inputs[0].name
        dims = _dims(inputs[0])
        exported = dims
        if len(dims) < 2:
            raise SpecError(f"the ONNX graph's input '{self.input}' has shape {list(dims)}; archstat reads a batch of "
                            f"maps, sequences or vectors", file=source)
        if input_shape is not None:
            if len(input_shape) != len(dims) - 1:
                raise UsageError(f"--input {'x'.join(map(str, input_shape))} has {len(input_shape)} dimensions; "
                                 f"{source}'s input has {len(dims) - 1} besides the batch")
            dims = (dims[0], *input_shape)
        if any(d <= 0 for d in dims[1:]):
            raise UsageError(f"{source}: the input '{self.input}' has no fixed size ({_size(exported[1:])}): give one "
                             f"with --input")
        self.batch = dims[0] if dims[0] > 0 else 1
        self.dims = (self.batch, *dims[1:])
        self.changed_size = tuple(dims[1:]) != tuple(exported[1:])
        self.values: dict[str, Any] = {}  # numpy arrays
        self.tensor_of: dict[str, str] = {}
        self.numel: dict[str, int] = {}
        self.copied: set[str] = set()  # tensors the exporter wrote once for several equal ones (Identity)
        for name, t in inits.items():
            self.values[name] = _as_array(t, np)
            if t.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE,
                               onnx.TensorProto.BFLOAT16):
                self.tensor_of[name] = name
                self.numel[name] = int(np.prod([int(d) for d in t.dims]))
        # what inference sees: the nodes, the input at its size, small constants by value, weights by shape
        self.acts = self._activations()
        self.shapes: dict[str, tuple] = {}
        big = [onnx.helper.make_tensor_value_info(n, t.data_type, list(t.dims)) for n, t in inits.items()
               if self.values[n].size > _REAL]
        small = [t for n, t in inits.items() if self.values[n].size <= _REAL]
        x = onnx.helper.make_tensor_value_info(self.input, inputs[0].type.tensor_type.elem_type, list(self.dims))
        nodes = self.nodes
        for _ in range(6):
            graph = onnx.helper.make_graph(nodes, g.name or "graph", [x, *big], list(g.output), initializer=small)
            light = onnx.helper.make_model(graph, opset_imports=list(model.opset_import), ir_version=model.ir_version)
            light.functions.extend(model.functions)
            try:
                inferred = onnx.shape_inference.infer_shapes(light, strict_mode=self.changed_size, data_prop=True)
            except Exception as e:
                msg = str(e).strip().splitlines()[-1][:200] if str(e).strip() else type(e).__name__
                if self.changed_size:
                    raise UsageError(f"{source} was exported at input {_size(exported[1:])} and its "
                                     f"shapes do not re-infer at {'x'.join(map(str, dims[1:]))}: {msg}") from None
                raise SpecError(f"ONNX shape inference failed: {msg}", file=source) from None
            for vi in list(inferred.graph.value_info) + list(inferred.graph.output) + [x]:
                s = _dims(vi)
                if all(d >= 0 for d in s) or vi.name not in self.shapes:
                    self.shapes[vi.name] = s
            folded = self._fold(np)
            missing = [o for n in self.nodes for o in n.output if o in self.acts and not self._fixed(o)]
            if not missing or not folded:
                break
            # the newly known constants become initializers of the next round (nodes that made them are dropped)
            made = {o for n in self.nodes for o in n.output if o in self.values and o not in inits}
            nodes = [n for n in nodes if not (n.output and all(o in made for o in n.output)
                                               and self.values[n.output[0]].size <= _REAL)]
            used = {i for n in nodes for i in n.input}
            small = [t for n, t in inits.items() if self.values[n].size <= _REAL] + [
                onnx.numpy_helper.from_array(np.asarray(self.values[o]), o) for o in sorted(made & used)
                if self.values[o].size <= _REAL]
        for n, t in inits.items():
            self.shapes.setdefault(n, tuple(int(d) for d in t.dims))
        self._check_reshapes(exported, dims)

    def _check_reshapes(self, exported: tuple, dims: tuple) -> None:
        """Shape inference lets a Reshape to sizes written into the graph at export keep them at another input
        (ShuffleNet's channel shuffle): the element counts tell."""
        for n in self.nodes:
            if n.op_type != "Reshape" or n.input[0] not in self.acts:
                continue
            a, b = self.shapes.get(n.input[0]), self.shapes.get(n.output[0])
            if a and b and all(d >= 0 for d in a + b) and math.prod(a) != math.prod(b):
                what = f"Reshape '{n.name}' holds sizes fixed at export ({_size(a)} to {_size(b)})"
                if self.changed_size:
                    raise UsageError(f"{self.source} was exported at input {_size(exported[1:])} and cannot be read "
                                     f"at {_size(dims[1:])}: its {what}; export it again at that size")
                raise SpecError(f"the graph's {what}", file=self.source)

    def _activations(self) -> set[str]:
        acts = {self.input}
        for n in self.nodes:
            if n.op_type != "Shape" and any(i in acts for i in n.input if i):
                acts.update(o for o in n.output if o)
        return acts

    def _fixed(self, name: str) -> bool:
        s = self.shapes.get(name)
        return s is not None and all(d >= 0 for d in s)

    def _fold(self, np) -> bool:
        """Evaluates the nodes of constants that are not known yet (Shape of a tensor whose shape is fixed is a
        constant); True when something new became known."""
        new = False
        for n in self.nodes:
            if not n.output or n.output[0] in self.values or any(o in self.acts for o in n.output):
                continue
            a = _attrs(n)
            if n.op_type == "Constant":
                from onnx import numpy_helper

                if "value" in a:
                    self.values[n.output[0]] = numpy_helper.to_array(a["value"])
                elif "value_ints" in a or "value_floats" in a or "value_int" in a or "value_float" in a:
                    v = next(a[k] for k in ("value_ints", "value_floats", "value_int", "value_float") if k in a)
                    self.values[n.output[0]] = np.asarray(v)
                new = True
                continue
            if n.op_type == "Shape":
                if not self._fixed(n.input[0]):
                    continue
                s = np.asarray(self.shapes[n.input[0]], dtype=np.int64)
                self.values[n.output[0]] = s[a.get("start", 0): a.get("end", len(s))]
                new = True
                continue
            if n.op_type in _VIEWS or n.op_type == "Identity":  # a weight seen through a view is still that weight
                t = self.tensor_of.get(n.input[0])
                if t is not None:
                    if n.op_type == "Identity":  # the exporter's copy of an equal tensor: a tensor of its own
                        self.copied.add(t)
                        self.tensor_of[n.output[0]] = n.output[0]
                        self.numel[n.output[0]] = self.numel[t]
                    else:
                        self.tensor_of[n.output[0]] = t
            ins = [self.values.get(i) if i else None for i in n.input]
            if any(v is None for i, v in zip(n.input, ins) if i):
                continue
            try:
                out = _evaluate(n.op_type, a, ins, np)
            except Exception:  # a constant we cannot evaluate is simply not known
                out = None
            if out is None:
                continue
            for o, v in zip(n.output, out):
                if o and v is not None:
                    self.values[o] = np.asarray(v)
                    new = True
        return new


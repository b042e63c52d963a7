"""One handler per ONNX op type (``_op_<OpType>``): the node as an archstat layer, or ``False`` when it is not one archstat
maps (the walk then writes a ``custom`` layer). Handlers that start a fold of several nodes call ``patterns.py``.

Ops (``_op_*``): Conv, ConvTranspose, Gemm, MatMul with a weight (+ Add of a bias: one linear), BatchNormalization,
MaxPool, AveragePool, GlobalAveragePool, ReduceMean over H and W, Relu, Clip(0, 6), Sigmoid, HardSigmoid,
HardSwish, Mul(x, Sigmoid(x)) (SiLU), Gelu and its erf form (x * 0.5 * (1 + erf(x / sqrt 2))), Tanh, Softmax over
the channels, LeakyRelu, Add, Mul, Concat, Flatten, Reshape to a vector, LayerNormalization, Resize, Pad, Slice and
Split of channels (``slice``), Transpose between the layouts (``permute``), Reshape-Transpose-Reshape (channel
shuffle), Mul by a learned per-channel vector (``layer_scale``), and the Vision Transformer's pieces: Reshape and
Transpose of a map into tokens (``tokens``), Concat of a learned token (``class_token``), Add of a learned sequence
(``pos_embedding``), Gather of one token (``select_token``), and a whole ``nn.MultiheadAttention`` scope (the nodes
under a module path that holds ``in_proj_weight``) as one ``self_attention`` layer.
"""

from __future__ import annotations

import math

from archstat.importing.ir import ImportedLayer
from archstat.importing.onnx.nodes import _CF, _CL, _int_or_pair, _padding, _pair, _scope_name, _scope_path
from archstat.importing.onnx.patterns import _Patterns


class _Ops(_Patterns):
    # ---- ops ------------------------------------------------------------------------------------------------------
    def _conv_args(self, node, a, w, deconv: bool = False) -> dict:
        kernel = [int(x) for x in w.shape[2:]]
        if len(kernel) != 2:
            return {}
        groups = int(a.get("group", 1))
        out = int(w.shape[1]) * groups if deconv else int(w.shape[0])
        args: dict = {"out": out, "kernel": _int_or_pair(kernel)}
        stride = _pair(a.get("strides"))
        if stride != [1, 1]:
            args["stride"] = _int_or_pair(stride)
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            return {}
        pad = _padding(a.get("pads"))
        if pad != 0:
            args["padding"] = pad
        dil = _pair(a.get("dilations"))
        if dil != [1, 1]:
            args["dilation"] = _int_or_pair(dil)
        if groups != 1:
            args["groups"] = groups
        if deconv:
            op = _pair(a.get("output_padding"), 2) if a.get("output_padding") is not None else [0, 0]
            if op != [0, 0]:
                args["output_padding"] = _int_or_pair(op)
        if len(node.input) < 3 or not node.input[2]:
            args["bias"] = False
        return args

    def _op_Conv(self, node, a, acts, nodes, k, skip):
        w = self.const(node.input[1])
        if w is None or len(acts) != 1 or self.lay(acts[0]) != _CF:
            return False
        args = self._conv_args(node, a, w)
        if not args:
            return False
        self.add(node, "conv", args, acts, self.weight_name(node.input[1], node))
        return None

    def _op_ConvTranspose(self, node, a, acts, nodes, k, skip):
        w = self.const(node.input[1])
        if w is None or len(acts) != 1 or a.get("output_shape") is not None or self.lay(acts[0]) != _CF:
            return False
        args = self._conv_args(node, a, w, deconv=True)
        if not args:
            return False
        self.add(node, "deconv", args, acts, self.weight_name(node.input[1], node))
        return None

    def _op_Gemm(self, node, a, acts, nodes, k, skip):
        w = self.const(node.input[1])
        if w is None or len(acts) != 1 or a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or \
                a.get("transA", 0) or node.input[0] != acts[0]:
            return False
        out = int(w.shape[0] if a.get("transB", 0) else w.shape[1])
        args: dict = {"out": out}
        if len(node.input) < 3 or not node.input[2]:
            args["bias"] = False
        self.add(node, "linear", args, acts, self.weight_name(node.input[1], node))
        return None

    def _op_MatMul(self, node, a, acts, nodes, k, skip):
        w = self.const(node.input[1])
        if w is None or len(acts) != 1 or w.ndim != 2 or node.input[0] != acts[0] or not self._per_position(acts[0]):
            return False
        args: dict = {"out": int(w.shape[1])}
        j, n2 = self.next_node(node.output[0], k)
        bias = None
        if n2 is not None and n2.op_type == "Add":
            other = [i for i in n2.input if i != node.output[0]]
            b = self.const(other[0]) if len(other) == 1 else None
            if b is not None and b.ndim == 1 and b.shape[0] == w.shape[1] and self.weight(other[0]) is not None:
                bias = j
        name = self.weight_name(node.input[1], node)
        if name.endswith(".matmul"):
            name = name[: -len(".matmul")]
        if bias is None:
            args["bias"] = False
            self.add(node, "linear", args, acts, name)
        else:
            skip.add(bias)
            self.add(nodes[bias], "linear", args, acts, name, op="onnx:MatMul+Add", also=[node])
        return None

    def _op_BatchNormalization(self, node, a, acts, nodes, k, skip):
        args: dict = {}
        eps = float(a.get("epsilon", 1e-5))
        if not math.isclose(eps, 1e-5, rel_tol=1e-6):
            args["eps"] = float(f"{eps:.6g}")
        if len(acts) != 1 or self.rank(node.output[0]) not in (2, 4) or self.lay(acts[0]) != _CF:
            return False
        self.add(node, "batchnorm", args, acts, self.weight_name(node.input[1], node))
        return None

    def _pool_args(self, a, avg: bool) -> dict:
        kernel = _pair(a.get("kernel_shape"))
        args: dict = {"kernel": _int_or_pair(kernel)}
        stride = _pair(a.get("strides"))
        if stride != kernel:
            args["stride"] = _int_or_pair(stride)
        pad = _padding(a.get("pads"))
        if pad != 0:
            args["padding"] = pad
        if a.get("ceil_mode", 0):
            args["ceil_mode"] = True
        if avg and pad != 0 and not a.get("count_include_pad", 0):
            args["count_include_pad"] = False
        if not avg and _pair(a.get("dilations")) != [1, 1]:
            args["dilation"] = _int_or_pair(_pair(a.get("dilations")))
        return args

    def _op_MaxPool(self, node, a, acts, nodes, k, skip):
        if (len(node.output) > 1 and node.output[1]) or a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") \
                or self.lay(acts[0]) != _CF or len(_pair(a.get("kernel_shape"))) != 2:
            return False
        self.add(node, "maxpool", self._pool_args(a, False), acts)
        return None

    def _op_AveragePool(self, node, a, acts, nodes, k, skip):
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET") or self.lay(acts[0]) != _CF or \
                len(_pair(a.get("kernel_shape"))) != 2:
            return False
        self.add(node, "avgpool", self._pool_args(a, True), acts)
        return None

    def _op_GlobalAveragePool(self, node, a, acts, nodes, k, skip):
        if self.lay(acts[0]) != _CF or self.rank(acts[0]) != 4:
            return False
        self.add(node, "global_avgpool", {}, acts)
        return None

    def _op_ReduceMean(self, node, a, acts, nodes, k, skip):
        axes = a.get("axes")
        if axes is None and len(node.input) > 1:
            c = self.const(node.input[1])
            axes = None if c is None else [int(x) for x in c]
        want = [2, 3] if self.lay(acts[0]) == _CF else [1, 2]
        if axes is None or self.rank(acts[0]) != 4 or sorted(int(x) % 4 for x in axes) != want:
            return False
        if a.get("keepdims", 1):
            self.add(node, "global_avgpool", {}, acts)
            return None
        # x.mean([2, 3]): a global average pool and a flatten (MNASNet's head)
        name = self.unique(_scope_name(node))
        c = self.out_shape(node)[0]
        self.model.layers.append(ImportedLayer(name, "global_avgpool", {}, [self.producer[acts[0]]], (c, 1, 1),
                                               "onnx:ReduceMean"))
        self.producer[node.output[0]] = name
        self.add(node, "flatten", {}, [node.output[0]], name + "_flat")
        return None

    def _op_Relu(self, node, a, acts, nodes, k, skip):
        self.add(node, "relu", {}, acts)

    def _op_Tanh(self, node, a, acts, nodes, k, skip):
        self.add(node, "tanh", {}, acts)

    def _op_HardSwish(self, node, a, acts, nodes, k, skip):
        self.add(node, "hardswish", {}, acts)

    def _op_Gelu(self, node, a, acts, nodes, k, skip):
        if a.get("approximate", b"none") not in (b"none", "none"):
            return False
        self.add(node, "gelu", {}, acts)
        return None

    def _op_Sigmoid(self, node, a, acts, nodes, k, skip):
        if self._silu(node, acts, k, skip):  # x * sigmoid(x)
            return None
        self.add(node, "sigmoid", {}, acts)
        return None

    def _op_HardSigmoid(self, node, a, acts, nodes, k, skip):
        if not (math.isclose(a.get("alpha", 0.2), 1 / 6, rel_tol=1e-4) and math.isclose(a.get("beta", 0.5), 0.5)):
            return False
        self.add(node, "hardsigmoid", {}, acts)
        return None

    def _op_Clip(self, node, a, acts, nodes, k, skip):
        lo = self.const(node.input[1]) if len(node.input) > 1 and node.input[1] else a.get("min")
        hi = self.const(node.input[2]) if len(node.input) > 2 and node.input[2] else a.get("max")
        if lo is None or hi is None or float(lo) != 0.0 or float(hi) != 6.0:
            return False
        self.add(node, "relu6", {}, acts)
        return None

    def _op_LeakyRelu(self, node, a, acts, nodes, k, skip):
        self.add(node, "leaky_relu", {"slope": float(f"{a.get('alpha', 0.01):.6g}")}, acts)
        return None

    def _op_Softmax(self, node, a, acts, nodes, k, skip):
        r = self.rank(node.output[0])
        if r not in (2, 4) or int(a.get("axis", -1)) % r != self._channel_axis(acts[0]):
            return False
        self.add(node, "softmax", {}, acts)
        return None

    def _op_Add(self, node, a, acts, nodes, k, skip):
        if len(acts) == 1:  # a learned sequence added to tokens: ViT's position embedding
            other = next(i for i in node.input if i != acts[0])
            t, s = self.weight(other), self.shapes.get(acts[0], ())
            w = self.const(other)
            if t is None or w is None or len(s) != 3 or tuple(w.shape[-2:]) != tuple(s[1:]) or w.size != s[1] * s[2]:
                return False
            self.add(node, "pos_embedding", {}, acts, t)
            return None
        if len(acts) != 2 or not self._same_shape(acts):
            return False
        self.add(node, "add", {}, acts)
        return None

    def _op_Mul(self, node, a, acts, nodes, k, skip):
        if len(acts) == 1:
            return self._scale(node, acts)
        if len(acts) != 2 or self.rank(acts[0]) != self.rank(acts[1]) or self.lay(acts[0]) != self.lay(acts[1]):
            return False
        a0, a1 = self.logical(acts[0]), self.logical(acts[1])
        if any(x != y and 1 not in (x, y) for x, y in zip(a0, a1)):
            return False
        self.add(node, "mul", {}, acts)  # broadcasting size-1 dims: squeeze-and-excitation's C x 1 x 1 gate
        return None

    def _scale(self, node, acts):
        """A learned factor per channel (layer scale), or a constant factor (``scale`` with ``value``)."""
        other = next(i for i in node.input if i != acts[0])
        w, t = self.const(other), self.weight(other)
        if w is None:
            return False
        logical = self.logical(acts[0])
        if t is None:
            if w.size != 1:
                return False
            self.add(node, "scale", {"value": float(f"{float(w.reshape(-1)[0]):.8g}"), "bias": False}, acts)
            return None
        c = logical[0] if len(logical) == 3 else logical[-1]
        shape = tuple(int(d) for d in w.shape)
        while shape and shape[0] == 1 and len(shape) > 1:
            shape = shape[1:]
        args: dict = {}
        if len(logical) == 3 and self.lay(acts[0]) == _CF and shape == (c, 1, 1):
            pass
        elif shape == (c,) and (len(logical) != 3 or self.lay(acts[0]) == _CL):
            if len(logical) == 3:
                args["vector"] = True
        else:
            return False
        name = t
        if t.endswith(".gamma"):
            name, args["param_name"] = t[: -len(".gamma")], "gamma"
        self.add(node, "layer_scale", args, acts, name)
        return None

    def _op_Concat(self, node, a, acts, nodes, k, skip):
        if len(node.input) == 1:  # torch.cat([x]) (DenseNet's first layer): the input itself
            self.producer[node.output[0]] = self.producer[acts[0]]
            self.layout[node.output[0]] = self.lay(acts[0])
            return None
        r = self.rank(node.output[0])
        axis = int(a.get("axis", 1)) % max(r, 1)
        if r == 3 and axis == 1 and len(acts) == 1 and len(node.input) == 2 and node.input[1] == acts[0]:
            t = self.weight(node.input[0])  # a learned token before the sequence: ViT's class token
            d = self.shapes.get(acts[0], (0, 0, 0))[2]
            if t is None or d <= 0 or self.g.numel[t] % d:
                return False
            count = self.g.numel[t] // d
            self.add(node, "class_token", {} if count == 1 else {"count": count}, acts, t)
            return None
        if len(acts) != len(node.input) or len(acts) < 2 or r != 4 or axis != self._channel_axis(acts[0]) or \
                len({self.lay(i) for i in acts}) != 1:
            return False
        self.add(node, "concat", {}, acts)
        return None

    def _op_Flatten(self, node, a, acts, nodes, k, skip):
        if int(a.get("axis", 1)) != 1 or (self.rank(acts[0]) == 4 and self.lay(acts[0]) != _CF and
                                           self.shapes[acts[0]][1:3] != (1, 1)):
            return False
        self.add(node, "flatten", {}, acts, layout=_CF)
        return None

    def _op_Reshape(self, node, a, acts, nodes, k, skip):
        if self._channel_shuffle(node, acts, k, skip) or self._map_to_tokens(node, acts, k, skip):
            return None
        s_in, s_out = self.shapes.get(acts[0], ()), self.shapes.get(node.output[0], ())
        if len(s_out) == 2 and len(s_in) == 4 and (self.lay(acts[0]) == _CF or s_in[1:3] == (1, 1)):
            self.add(node, "flatten", {}, acts, layout=_CF)
            return None
        return False

    def _op_Transpose(self, node, a, acts, nodes, k, skip):
        perm = [int(p) for p in a.get("perm", [])]
        if self.rank(acts[0]) != 4:
            return False
        if perm == [0, 2, 3, 1] and self.lay(acts[0]) == _CF:
            if self._layer_norm_2d(node, acts, k, skip):  # LayerNorm2d
                return None
            self.add(node, "permute", {"dims": perm}, acts, layout=_CL)
            return None
        if perm == [0, 3, 1, 2] and self.lay(acts[0]) == _CL:
            self.add(node, "permute", {"dims": perm}, acts, layout=_CF)
            return None
        return False

    def _op_LayerNormalization(self, node, a, acts, nodes, k, skip):
        r = self.rank(acts[0])
        if int(a.get("axis", -1)) % max(r, 1) != r - 1 or not self._per_position(acts[0]) or len(acts) != 1:
            return False
        return self._layer_norm(node, a, acts, node)

    def _op_Pad(self, node, a, acts, nodes, k, skip):
        pads = self.const(node.input[1]) if len(node.input) > 1 else a.get("pads")
        mode = a.get("mode", b"constant")
        if pads is None or mode not in (b"constant", "constant") or len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)) \
                or self.lay(acts[0]) != _CF:
            return False
        t, left, b, r = int(pads[2]), int(pads[3]), int(pads[6]), int(pads[7])
        self.add(node, "zeropad", {"padding": [t, b, left, r]}, acts)
        return None

    def _op_Resize(self, node, a, acts, nodes, k, skip):
        mode = a.get("mode", b"nearest")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode not in ("nearest", "linear") or self.lay(acts[0]) != _CF:
            return False
        out = self.out_shape(node)
        self.add(node, "upsample", {"size": list(out[1:]), "mode": "nearest" if mode == "nearest" else "bilinear"},
                 acts)
        return None

    def _op_Slice(self, node, a, acts, nodes, k, skip):
        """Channels ``start:stop`` of a map or a vector (ShuffleNet v2's channel split)."""
        if len(acts) != 1 or node.input[0] != acts[0]:
            return False
        starts, ends = self.const(node.input[1]), self.const(node.input[2])
        axes = self.const(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        steps = self.const(node.input[4]) if len(node.input) > 4 and node.input[4] else None
        s = self.shapes.get(acts[0], ())
        if starts is None or ends is None or len(starts) != 1 or len(s) not in (2, 4) or \
                (steps is not None and int(steps[0]) != 1):
            return False
        axis = int(axes[0]) % len(s) if axes is not None else 0
        if axis != self._channel_axis(acts[0]):
            return False
        c = s[axis]
        start, stop = int(starts[0]), int(ends[0])
        start, stop = max(0, start + c if start < 0 else start), min(c, stop + c if stop < 0 else stop)
        if not 0 <= start < stop <= c:
            return False
        self.add(node, "slice", {"start": start, "stop": stop} if stop != c else {"start": start}, acts)
        return None

    def _op_Split(self, node, a, acts, nodes, k, skip):
        s = self.shapes.get(acts[0], ())
        axis = int(a.get("axis", 0)) % max(len(s), 1)
        if len(acts) != 1 or len(s) not in (2, 4) or axis != self._channel_axis(acts[0]):
            return False
        sizes = [self.shapes.get(o, (0, 0))[axis] for o in node.output]
        if any(d <= 0 for d in sizes):
            return False
        start = 0
        base = _scope_name(node)
        for o, n in zip(node.output, sizes):
            nm = self.unique(base)
            self.layout[o] = self.lay(acts[0])
            self.model.layers.append(ImportedLayer(nm, "slice", {"start": start, "stop": start + n},
                                                   [self.producer[acts[0]]], self.logical(o), "onnx:Split"))
            self.producer[o] = nm
            start += n
        return None

    def _op_Gather(self, node, a, acts, nodes, k, skip):
        """``x[:, i]`` of tokens: one token as a vector (ViT's class token read by its head)."""
        idx = self.const(node.input[1]) if len(node.input) > 1 else None
        s = self.shapes.get(acts[0], ())
        if len(acts) != 1 or node.input[0] != acts[0] or idx is None or idx.ndim != 0 or len(s) != 3 or \
                int(a.get("axis", 0)) % 3 != 1:
            return False
        i = int(idx) % s[1]
        path = _scope_path(node)
        self.add(node, "select_token", {"index": i} if i else {}, acts, f"{path}.select_token" if path else
                 "select_token")
        return None

"""Folds of several ONNX nodes into one archstat layer, where ``torch.onnx.export`` writes one module or one idiom as a
chain of nodes: a whole ``nn.MultiheadAttention`` scope (``self_attention``), GELU's erf form, SiLU
(``Mul(x, Sigmoid(x))``), LayerNorm2d (Transpose, LayerNormalization, Transpose back), a channel shuffle
(Reshape-Transpose-Reshape) and a map's positions as tokens (Reshape-Transpose). A fold claims the nodes it takes
(``skip``: their indices) and the learned tensors they read."""

from __future__ import annotations

import math

from archstat.importing.onnx.builder import _Builder
from archstat.importing.onnx.nodes import _CF, _attrs, _scope_name, _scope_path


class _Patterns(_Builder):
    # ---- multi-head attention -------------------------------------------------------------------------------------
    def _attention_scopes(self) -> list[str]:
        """Module paths that hold an ``nn.MultiheadAttention``'s tensors (``...self_attention.in_proj_weight``)."""
        out = set()
        for t in self.g.numel:
            if t.endswith(".in_proj_weight"):
                out.add(t[: -len(".in_proj_weight")])
        return sorted(out, key=len, reverse=True)

    def _attention(self, scope: str, k: int, skip: set[int]) -> bool:
        """The nodes under ``scope`` as one ``self_attention`` layer: they read one activation from outside (the
        sequence, as query, key and value), give one to the outside, and their weights are the module's."""
        nodes = self.g.nodes
        inside = [j for j in range(k, len(nodes)) if (lambda p: p == scope or p.startswith(scope + "."))(
            _scope_path(nodes[j])) and any(o in self.g.acts for o in nodes[j].output)]
        made = {o for j in inside for o in nodes[j].output}
        ext_in = {i for j in inside for i in nodes[j].input if i in self.g.acts and i not in made}
        inner = set(inside)
        readers_out = {o for j in range(len(nodes)) if j not in inner and any(t in self.g.acts for t in nodes[j].output)
                       for o in nodes[j].input if o in made}
        readers_out |= {o.name for o in self.graph.output if o.name in made}
        if len(ext_in) != 1 or len(readers_out) != 1:
            return False
        x, y = ext_in.pop(), readers_out.pop()
        sx, sy = self.shapes.get(x, ()), self.shapes.get(y, ())
        if len(sx) != 3 or sx != sy:
            return False
        d = sx[2]
        soft = [nodes[j] for j in inside if nodes[j].op_type == "Softmax"]
        if len(soft) != 1:
            return False
        scores = self.shapes.get(soft[0].input[0], ())
        heads = scores[1] if len(scores) == 4 else (scores[0] // self.g.batch if len(scores) == 3 else 0)
        w = self.g.numel.get(f"{scope}.in_proj_weight")
        if heads <= 0 or d % heads or w != 3 * d * d or f"{scope}.out_proj.weight" not in self.g.numel:
            return False
        args: dict = {"heads": int(heads)}
        if f"{scope}.in_proj_bias" not in self.g.numel:
            args["bias"] = False
        last = next(nodes[j] for j in inside if y in nodes[j].output)
        self.add(last, "self_attention", args, [x], scope, op="onnx:MultiheadAttention",
                 also=[nodes[j] for j in inside])
        for j in inside:
            skip.add(j)
        return True

    # ---- GELU's erf form -------------------------------------------------------------------------------------------
    def _op_Div(self, node, a, acts, nodes, k, skip):
        """GELU's erf form as torch exports it: x * (1 + erf(x / sqrt 2)) * 0.5 (or 0.5 * x * (...))."""
        x = node.input[0]
        if len(acts) != 1 or acts[0] != x or not self._is(node.input[1], math.sqrt(2)):
            return False
        j1, erf = self.next_node(node.output[0], k)
        if erf is None or erf.op_type != "Erf":
            return False
        j2, plus = self.next_node(erf.output[0], j1)
        if plus is None or plus.op_type != "Add" or not any(self._is(i, 1.0) for i in plus.input):
            return False
        j3, times = self.next_node(plus.output[0], j2)
        if times is None or times.op_type != "Mul" or set(times.input) != {x, plus.output[0]}:
            return False
        j4, half = self.next_node(times.output[0], j3)
        if half is None or half.op_type != "Mul" or not any(self._is(i, 0.5) for i in half.input):
            return False
        skip.update((j1, j2, j3, j4))
        path = _scope_path(node)
        self.add(half, "gelu", {}, acts, path or "gelu", op="onnx:Erf-GELU", also=[node, erf, plus, times])
        return None

    # ---- SiLU, LayerNorm2d, channel shuffle, tokens -----------------------------------------------------------------
    def _silu(self, node, acts, k, skip) -> bool:
        """x * sigmoid(x): SiLU, as torch exports it (``node``: the Sigmoid)."""
        j, n2 = self.next_node(node.output[0], k)
        if n2 is not None and n2.op_type == "Mul" and set(n2.input) == {node.output[0], acts[0]}:
            skip.add(j)
            nm = _scope_name(n2).removesuffix(".mul")
            self.add(n2, "silu", {}, acts, nm, also=[node])
            return True
        return False

    def _layer_norm_2d(self, node, acts, k, skip) -> bool:
        """LayerNorm2d (torchvision ConvNeXt): permute, layer norm over the channels, permute back: one layer norm
        (``node``: the Transpose [0, 2, 3, 1] of a channels-first map)."""
        j1, ln = self.next_node(node.output[0], k)
        j2, back = (None, None) if ln is None else self.next_node(ln.output[0], j1)
        if ln is not None and ln.op_type == "LayerNormalization" and back is not None and \
                back.op_type == "Transpose" and list(_attrs(back).get("perm", [])) == [0, 3, 1, 2] and \
                _scope_path(node) == _scope_path(ln) == _scope_path(back) and \
                int(_attrs(ln).get("axis", -1)) in (-1, 3):
            skip.update((j1, j2))
            self._layer_norm(back, _attrs(ln), acts, ln, also=[node, ln])
            return True
        return False

    def _channel_shuffle(self, node, acts, k, skip) -> bool:
        """x.view(N, g, C/g, H, W).transpose(1, 2).reshape(N, C, H, W): a channel shuffle in g groups (``node``: the
        first Reshape)."""
        s_in, s_out = self.shapes.get(acts[0], ()), self.shapes.get(node.output[0], ())
        if len(s_in) == 4 and self.lay(acts[0]) == _CF and len(s_out) == 5 and s_out[3:] == s_in[2:] and \
                s_out[1] * s_out[2] == s_in[1]:
            j1, tr = self.next_node(node.output[0], k)
            if tr is not None and tr.op_type == "Transpose" and list(_attrs(tr).get("perm", [])) == [0, 2, 1, 3, 4]:
                j2, back = self.next_node(tr.output[0], j1)
                if back is not None and back.op_type == "Reshape" and self.shapes.get(back.output[0]) == s_in:
                    skip.update((j1, j2))
                    path = _scope_path(node)
                    self.add(back, "channel_shuffle", {"groups": int(s_out[1])}, acts,
                             f"{path}.channel_shuffle" if path else "channel_shuffle", op="onnx:Reshape-Transpose-Reshape",
                             also=[node, tr])
                    return True
        return False

    def _map_to_tokens(self, node, acts, k, skip) -> bool:
        """x.flatten(2).transpose(1, 2): the map's positions as tokens (``node``: the Reshape)."""
        s_in, s_out = self.shapes.get(acts[0], ()), self.shapes.get(node.output[0], ())
        if len(s_in) == 4 and self.lay(acts[0]) == _CF and len(s_out) == 3 and s_out[1] == s_in[1] and \
                s_out[2] == s_in[2] * s_in[3]:
            j1, tr = self.next_node(node.output[0], k)
            if tr is not None and tr.op_type == "Transpose" and list(_attrs(tr).get("perm", [])) == [0, 2, 1]:
                skip.add(j1)
                path = _scope_path(node)
                self.add(tr, "tokens", {}, acts, f"{path}.tokens" if path else "tokens", op="onnx:Reshape-Transpose",
                         also=[node])
                return True
        return False

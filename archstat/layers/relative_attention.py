"""Relative positional multi-head self-attention within groups of tokens (MaxViT's block and grid attention;
torchvision's ``RelativePositionalMultiHeadAttention``, with its parameter and buffer names).

The input is L x D tokens that ``partition`` grouped: each run of g = s*s consecutive tokens is one s x s window
(or one s x s grid) of the map, and attends only within itself. h = D / ``head_dim`` heads of ``head_dim``
features; scores q (k / sqrt(D))ᵀ — torchvision scales the keys by the feature count D, not by the head dimension —
plus ``relative_position_bias_table[relative_position_index]``, the learned bias of each pair's offset in the
s x s group; softmax; the weighted sum of the values; the ``merge`` projection. Groups are disjoint: nothing is
padded or masked, L must be a multiple of g.

Parameters (torch names): ``to_qkv.weight`` 3D x D, ``to_qkv.bias`` 3D, ``merge.weight`` D x D, ``merge.bias`` D,
``relative_position_bias_table`` (2s-1)^2 x h. Buffer, persistent in torchvision: ``relative_position_index``,
g x g integers.

MACs: the qkv projection L*D*3D, the scores Q Kᵀ (L/g groups, h heads, g*g scores of D/h products) L*g*D, the
weighted sum A V L*g*D, the merge L*D*D: 4*L*D*D + 2*L*g*D. Products of two activations count as MACs, as for
``self_attention`` and ``window_attention`` (README, "Counting conventions"): torchvision's ``_ops`` counts them
(maxvit_t 5.558G: 5,558,046,720 exactly, FlopCounterMode's 2-per-MAC total halved).
FLOPs: 2 x MACs, plus the bias adds of the projections (L*3D and L*D), the scaling of the keys (L*D), and per score
(h*L*g of them) the position bias add (1) and the softmax (5, as ``softmax``). The bias gather costs no arithmetic.

Receptive field: ``partition`` says what a group is on the map (window or grid); give it here too. A window
output depends on the s x s positions of its window and no others: as ``window_attention``, the kind's window is
s x s, stride 1, centred on the output (padding (s - 1)/2) — exact for the first window layer, below the largest
true field by a position per window layer after it, since windows tile the map instead of sliding. Where one window
holds every token (L = g: maxvit_t's 7 x 7 last stage) the field is the whole input (``all``). A grid output
attends to one position in each of the s x s cells that tile the map, so its field spans the whole map (sparsely:
every H/s rows and W/s columns): reported as the whole input, the paper's "global" grid attention.
"""

from __future__ import annotations

from fractions import Fraction

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import ACT, Saved
from archstat.layers._schema import Choice, Int
from archstat.layers._text import fmt_shape, tokens
from archstat.layers._windows import GLOBAL, Window

SOFTMAX = 5  # FLOPs per element, as the softmax kind counts them


@register
class RelativeAttention(Layer):
    kind = "relative_attention"
    aliases = ("relative_positional_attention", "maxvit_attention")
    summary = ("MaxViT's multi-head self-attention within each run of s*s tokens, with a relative position bias: "
               "MACs 4*L*D*D + 2*L*g*D, g = s*s")
    fields = {
        "head_dim": Int(doc="features per head (divides D): heads = D / head_dim"),
        "size": Int(doc="s: the groups are s x s (partition's size), g = s*s consecutive tokens"),
        "partition": Choice(("window", "grid"), "window", doc="partition's mode: what a group is on the map "
                                                              "(the receptive field only)"),
    }
    weight_layer = True
    accepts = ("tokens",)
    flops_rule = ("2 x MACs + bias adds (4D per token) + key scaling (1 per element) + per score (h*L*g): "
                  "position bias 1, softmax 5")
    examples = (
        # maxvit_t blocks.0.layers.0.layers.window_attention.attn_layer.1: 56*56 = 3136 tokens of 64, head_dim 32
        # (2 heads), 7 x 7 windows (g = 49).
        # params: to_qkv 3*64*64 + 3*64, merge 64*64 + 64, table (2*7-1)*(2*7-1)*2; buffer: index 49*49
        # MACs: 4*L*D*D + 2*L*g*D; FLOPs: 2*MACs + 4*D bias adds per token + key scaling L*D + (1 + 5) per score
        Example("relative_attention-maxvit-stage1", {"head_dim": 32, "size": 7}, [(3136, 64)], (3136, 64),
                params=3 * 64 * 64 + 3 * 64 + 64 * 64 + 64 + 13 * 13 * 2,
                macs=4 * 3136 * 64 * 64 + 2 * 3136 * 49 * 64,
                flops=2 * (4 * 3136 * 64 * 64 + 2 * 3136 * 49 * 64) + 3136 * 4 * 64 + 3136 * 64
                + 2 * 3136 * 49 * (1 + 5),
                buffers=49 * 49,
                tensors={"to_qkv.weight": 3 * 64 * 64, "to_qkv.bias": 3 * 64, "merge.weight": 64 * 64,
                         "merge.bias": 64, "relative_position_bias_table": 13 * 13 * 2}),
        # the grid attention of the same layer: the same tokens, grouped otherwise; the same counts
        Example("relative_attention-maxvit-grid", {"head_dim": 32, "size": 7, "partition": "grid"}, [(3136, 64)],
                (3136, 64),
                params=3 * 64 * 64 + 3 * 64 + 64 * 64 + 64 + 13 * 13 * 2,
                macs=4 * 3136 * 64 * 64 + 2 * 3136 * 49 * 64,
                flops=2 * (4 * 3136 * 64 * 64 + 2 * 3136 * 49 * 64) + 3136 * 4 * 64 + 3136 * 64
                + 2 * 3136 * 49 * (1 + 5),
                buffers=49 * 49),
        # maxvit_t's last stage: 7*7 = 49 tokens of 512, 16 heads, one window
        Example("relative_attention-maxvit-stage4", {"head_dim": 32, "size": 7}, [(49, 512)], (49, 512),
                params=3 * 512 * 512 + 3 * 512 + 512 * 512 + 512 + 13 * 13 * 16,
                macs=4 * 49 * 512 * 512 + 2 * 49 * 49 * 512,
                flops=2 * (4 * 49 * 512 * 512 + 2 * 49 * 49 * 512) + 49 * 4 * 512 + 49 * 512
                + 16 * 49 * 49 * (1 + 5),
                buffers=49 * 49),
        # a small even group: s = 2 (g = 4), 12 tokens (3 groups) of 6 features, 3 heads of 2; table 3*3*3
        Example("relative_attention-small", {"head_dim": 2, "size": 2}, [(12, 6)], (12, 6),
                params=3 * 6 * 6 + 3 * 6 + 6 * 6 + 6 + 3 * 3 * 3,
                macs=4 * 12 * 6 * 6 + 2 * 12 * 4 * 6,
                flops=2 * (4 * 12 * 6 * 6 + 2 * 12 * 4 * 6) + 12 * 4 * 6 + 12 * 6 + 3 * 12 * 4 * (1 + 5),
                buffers=4 * 4),
    )

    # ---- geometry -------------------------------------------------------------------------------------------------
    def _group(self) -> int:
        return self.args.size * self.args.size

    def _table(self) -> int:
        return (2 * self.args.size - 1) * (2 * self.args.size - 1)

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"relative_attention needs L x D tokens, got {fmt_shape(ins[0])} (a map: add a "
                             f"'partition' layer first)")
        n, d = ins[0]
        hd, g = self.args.head_dim, self._group()
        if d % hd:
            raise ShapeError(f"relative_attention: head_dim {hd} does not divide the {d} features")
        if n % g:
            raise ShapeError(f"relative_attention: {n} tokens are not whole groups of {self.args.size}*"
                             f"{self.args.size} = {g} ({n} % {g} = {n % g})")
        return ins[0]

    # ---- counts ---------------------------------------------------------------------------------------------------
    def params(self, ins):
        d = ins[0][1]
        return {"to_qkv.weight": 3 * d * d, "to_qkv.bias": 3 * d, "merge.weight": d * d, "merge.bias": d,
                "relative_position_bias_table": self._table() * (d // self.args.head_dim)}

    def buffers(self, ins):
        return {"relative_position_index": self._group() * self._group()}

    def macs(self, ins, out):
        n, d = ins[0]
        return 4 * n * d * d + 2 * n * self._group() * d

    def flops(self, ins, out):
        n, d = ins[0]
        scores = (d // self.args.head_dim) * n * self._group()
        return 2 * self.macs(ins, out) + n * 4 * d + n * d + scores * (1 + SOFTMAX)

    # ---- receptive field ------------------------------------------------------------------------------------------
    def window(self, ins, out):
        if self.args.partition == "grid" or ins[0][0] == self._group():
            return GLOBAL
        s = self.args.size
        pad = (s - 1) // 2 if s % 2 else Fraction(s - 1, 2)
        return Window((1, 1), (pad, pad), (s, s))

    # ---- explain --------------------------------------------------------------------------------------------------
    def derivation(self, ins, out):
        n, d = ins[0]
        s, hd = self.args.size, self.args.head_dim
        h, g = d // hd, self._group()
        where = (f"{n // g} windows" if self.args.partition == "window" else f"{n // g} grids") + \
            f" of {s}*{s} = {g} tokens"
        field = ("one window holds every token: the field is the whole input" if self.args.partition == "window"
                 and n == g else f"field: each {s}x{s} window" if self.args.partition == "window" else
                 "field: the grid spans the map, the whole input")
        macs = f"4*{n}*{d}*{d} + 2*{n}*{g}*{d}"
        return {"shape": [f"{fmt_shape(out)} (unchanged): {d}/{hd} = {h} heads of {hd} features, "
                          f"attending within {where}",
                          f"scores q (k/sqrt({d}))ᵀ + relative position bias ({2 * s - 1}*{2 * s - 1} offsets x "
                          f"{h} heads), softmax over each group's {g} tokens; {field}"],
                "params": f"3*{d}*{d} + 3*{d} + {d}*{d} + {d} + {2 * s - 1}*{2 * s - 1}*{h}",
                "macs": macs,
                "flops": f"2*({macs}) + {n}*4*{d} + {n}*{d} + {h}*{n}*{g}*(1 + {SOFTMAX})"}

    # ---- training -------------------------------------------------------------------------------------------------
    saved_rule = ("its input (when the projections train); the copies torch's matmul makes of q, the scaled k and "
                  "v (L*D each: their head-split views are not contiguous); the attention weights after softmax "
                  "(h*L*g); the heads' output copied back to L*D for the merge (when it trains). Under AMP the "
                  "float32 position bias promotes the scores: the weights are float32 and A V saves their half copy")
    autocast = "half"  # its projections and products are on autocast's lower-precision lists

    def saved(self, ins, out, grad):
        n, d = ins[0]
        if not (grad.any_grad or grad.params):
            return []
        scores = (d // self.args.head_dim) * n * self._group()
        s = [Saved.of_input(0)] if grad.params else []
        s += [Saved.extra("q copy", n * d), Saved.extra("k copy", n * d), Saved.extra("v copy", n * d)]
        if grad.amp is not None:  # half scores + the float32 bias table: float32 weights, then A V's half copy
            s += [Saved.extra("attention weights", scores, "float32"),
                  Saved.extra("attention weights, half copy", scores)]
        else:
            s.append(Saved.extra("attention weights", scores, ACT))
        if grad.params:
            s.append(Saved.extra("heads' output copy", n * d))
        if grad.any_grad:
            s.append(Saved.of_param("to_qkv.weight"))
        return s + [Saved.of_param("merge.weight")]

    def torch_module(self, ins, out):
        from archstat.layers._torch_maxvit import RelativeAttention as Module

        return Module(ins[0][1], self.args.head_dim, self.args.size)

"""Multi-head self-attention over an L x D token sequence with one fused ``qkv`` Linear and a ``proj`` Linear: the
original ViT's attention, as timm writes it (``timm.layers.Attention``, used by ViT, DeiT, CaiT's blocks, ...).

It computes what ``self_attention`` computes; only the tensors are held differently, with timm's names:
``qkv.weight`` (3D x D, the rows Q, K, V in that order, each split into heads as torch's ``in_proj_weight``),
``qkv.bias`` (3D), ``proj.weight`` (D x D), ``proj.bias`` (D). timm sets the two biases apart (ViT: both; some
models: no ``qkv`` bias), so each has its own switch.

Counts, with h heads of d = D/h features (as ``self_attention``):

- MACs: the Q/K/V projection L*D*3D, the scores Q Kᵀ L*L*D, the weighted sum A V L*L*D, the output projection
  L*D*D: 4*L*D*D + 2*L*L*D in all (products of two activations count as MACs, README "Counting conventions").
- FLOPs: 2 x MACs, plus the bias adds (3D for ``qkv``, D for ``proj``, per token), the 1/sqrt(d) scaling of the
  h*L*L scores (1 each) and their softmax (5 each).

Receptive field: global.
"""

from __future__ import annotations

from archstat.layers._contract import Example, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Bool, Float, Int
from archstat.layers._text import fmt_shape
from archstat.layers.attention import SOFTMAX, SelfAttention


@register
class QkvAttention(SelfAttention):
    kind = "qkv_attention"
    aliases = ("timm_attention", "vit_attention")  # type: ignore[assignment]  # (SelfAttention has four)
    summary = "self-attention held as timm's qkv and proj Linears: MACs 4*L*D*D + 2*L*L*D"
    fields = {
        "heads": Int(doc="number of heads (divides D)"),
        "qkv_bias": Bool(True, doc="bias on the fused qkv projection"),
        "proj_bias": Bool(True, doc="bias on the output projection"),
        "dropout": Float(0.0, doc="attention dropout (training only; no cost at inference)", min=0, max=1),
    }
    flops_rule = "2 x MACs + bias adds (3D + D per token) + scaling and softmax of the h*L*L scores (1 + 5 each)"
    examples = (
        # DeiT-Ti/16 at 224: L = 197, D = 192, 3 heads.
        # params: qkv 3*192*192 + 3*192, proj 192*192 + 192
        # MACs: 4*L*D*D (projections) + 2*L*L*D (scores and weighted sum)
        Example("qkv_attention-deit-ti", {"heads": 3}, [(197, 192)], (197, 192),
                params=3 * 192 * 192 + 3 * 192 + 192 * 192 + 192,
                macs=4 * 197 * 192 * 192 + 2 * 197 * 197 * 192,
                flops=2 * (4 * 197 * 192 * 192 + 2 * 197 * 197 * 192) + 197 * (3 * 192 + 192)
                + 3 * 197 * 197 * (1 + 5),
                tensors={"qkv.weight": 3 * 192 * 192, "qkv.bias": 3 * 192, "proj.weight": 192 * 192,
                         "proj.bias": 192}),
        # no qkv bias (timm's qkv_bias=False), the proj bias kept: 2 heads of 4 on 5 tokens
        Example("qkv_attention-no-qkv-bias", {"heads": 2, "qkv_bias": False}, [(5, 8)], (5, 8),
                params=4 * 8 * 8 + 8, macs=4 * 5 * 8 * 8 + 2 * 5 * 5 * 8,
                flops=2 * (4 * 5 * 8 * 8 + 2 * 5 * 5 * 8) + 5 * 8 + 2 * 5 * 5 * (1 + 5),
                tensors={"qkv.weight": 3 * 8 * 8, "proj.weight": 8 * 8, "proj.bias": 8}),
    )

    def params(self, ins):
        d = ins[0][1]
        p = {"qkv.weight": 3 * d * d}
        if self.args.qkv_bias:
            p["qkv.bias"] = 3 * d
        p["proj.weight"] = d * d
        if self.args.proj_bias:
            p["proj.bias"] = d
        return p

    def _bias_adds(self) -> int:
        return (3 if self.args.qkv_bias else 0) + (1 if self.args.proj_bias else 0)

    def flops(self, ins, out):
        n, d = ins[0]
        return 2 * self.macs(ins, out) + n * self._bias_adds() * d + self.args.heads * n * n * (1 + SOFTMAX)

    def derivation(self, ins, out):
        n, d = ins[0]
        h = self.args.heads
        extra = " + ".join(t for t, on in ((f"3 * {d}", self.args.qkv_bias), (f"{d}", self.args.proj_bias)) if on)
        params = f"4 * {d} * {d}" + (f" + {extra}" if extra else "")
        macs = f"4 * {n} * {d} * {d} + 2 * {n} * {n} * {d}"
        bias = f" + {n} * {self._bias_adds()} * {d}" if self._bias_adds() else ""
        return {
            "shape": [f"{fmt_shape(out)} (unchanged): {h} heads of {d} / {h} features",
                      f"Q, K, V = qkv(x): {n} x 3*{d}; scores Q Kᵀ: {h} x {n} x {n}"],
            "params": params, "macs": macs,
            "flops": f"2 * ({macs}){bias} + {h} * {n} * {n} * (1 + {SOFTMAX})"}

    def saved(self, ins, out, grad):
        s = super().saved(ins, out, grad)
        names = {"in_proj_weight": "qkv.weight", "out_proj.weight": "proj.weight"}
        return [Saved.of_param(names[x.param]) if getattr(x, "param", None) in names else x for x in s]

    def torch_module(self, ins, out):
        from archstat.layers._torch_qkv import QkvAttention as Module

        return Module(ins[0][1], self.args.heads, self.args.qkv_bias, self.args.proj_bias)

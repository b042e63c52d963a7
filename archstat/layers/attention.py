"""Multi-head self-attention over an L x D token sequence (ViT's ``self_attention``, torch's
``nn.MultiheadAttention(D, heads, batch_first=True)``), with its parameter names: ``in_proj_weight`` (3D x D),
``in_proj_bias`` (3D), ``out_proj.weight`` (D x D), ``out_proj.bias`` (D).

Counts, with h heads of d = D/h features:

- MACs: the Q/K/V projections L*D*3D, the scores Q Kᵀ h*L*L*d = L*L*D, the weighted sum A V L*L*D, the output
  projection L*D*D: 4*L*D*D + 2*L*L*D in all. Products of two activations count as MACs, as torchvision's
  ``_ops`` and FlopCounterMode count them (README, "Counting conventions").
- FLOPs: 2 x MACs, plus the projections' bias adds (3D + D per token), the 1/sqrt(d) scaling of the h*L*L scores
  (1 each) and their softmax (5 each, as ``softmax``).

Receptive field: global; every output token depends on every input token.
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import ACT, Saved
from archstat.layers._schema import Bool, Float, Int
from archstat.layers._text import fmt_shape, tokens
from archstat.layers._windows import GLOBAL

SOFTMAX = 5  # FLOPs per element, as the softmax kind counts them


@register
class SelfAttention(Layer):
    kind = "self_attention"
    aliases = ("attention", "mhsa", "multihead_attention", "MultiheadAttention")
    summary = "multi-head self-attention on L x D tokens: MACs 4*L*D*D + 2*L*L*D"
    fields = {
        "heads": Int(doc="number of heads (divides D)"),
        "bias": Bool(True, doc="biases on the projections"),
        "dropout": Float(0.0, doc="attention dropout (training only; no cost at inference)", min=0, max=1),
    }
    weight_layer = True
    accepts = ("tokens",)
    flops_rule = "2 x MACs + bias adds (4D per token) + scaling and softmax of the h*L*L scores (1 + 5 each)"
    examples = (
        # ViT-B/16 encoder layer at 224: L = 197, D = 768, 12 heads.
        # params: in_proj 3*768*768 + 3*768, out_proj 768*768 + 768
        # MACs: 4*L*D*D (projections) + 2*L*L*D (scores and weighted sum)
        Example("attention-vit-b16", {"heads": 12}, [(197, 768)], (197, 768),
                params=3 * 768 * 768 + 3 * 768 + 768 * 768 + 768,
                macs=4 * 197 * 768 * 768 + 2 * 197 * 197 * 768,
                flops=2 * (4 * 197 * 768 * 768 + 2 * 197 * 197 * 768) + 197 * 4 * 768 + 12 * 197 * 197 * (1 + 5),
                tensors={"in_proj_weight": 3 * 768 * 768, "in_proj_bias": 3 * 768, "out_proj.weight": 768 * 768,
                         "out_proj.bias": 768}),
        # no biases: 4*D*D parameters; 2 heads of 4 on 5 tokens
        Example("attention-nobias", {"heads": 2, "bias": False}, [(5, 8)], (5, 8),
                params=4 * 8 * 8, macs=4 * 5 * 8 * 8 + 2 * 5 * 5 * 8,
                flops=2 * (4 * 5 * 8 * 8 + 2 * 5 * 5 * 8) + 2 * 5 * 5 * (1 + 5)),
    )

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"self_attention needs L x D tokens, got {fmt_shape(ins[0])} "
                             f"(a map: add a 'tokens' layer first)")
        d = ins[0][1]
        if isinstance(d, int) and d % self.args.heads:
            raise ShapeError(f"self_attention: {self.args.heads} heads do not divide the {d} features")
        return ins[0]

    def params(self, ins):
        d = ins[0][1]
        p = {"in_proj_weight": 3 * d * d}
        if self.args.bias:
            p["in_proj_bias"] = 3 * d
        p["out_proj.weight"] = d * d
        if self.args.bias:
            p["out_proj.bias"] = d
        return p

    def macs(self, ins, out):
        n, d = ins[0]
        return 4 * n * d * d + 2 * n * n * d

    def flops(self, ins, out):
        n, d = ins[0]
        h = self.args.heads
        bias = n * 4 * d if self.args.bias else 0
        return 2 * self.macs(ins, out) + bias + h * n * n * (1 + SOFTMAX)

    def window(self, ins, out):
        return GLOBAL

    def derivation(self, ins, out):
        n, d = ins[0]
        h = self.args.heads
        params = f"4 * {d} * {d} + 4 * {d}" if self.args.bias else f"4 * {d} * {d}"
        macs = f"4 * {n} * {d} * {d} + 2 * {n} * {n} * {d}"
        bias = f" + {n} * 4 * {d}" if self.args.bias else ""
        return {
            "shape": [f"{fmt_shape(out)} (unchanged): {h} heads of {d} / {h} features",
                      f"Q, K, V = x W_in: {n} x 3*{d}; scores Q Kᵀ: {h} x {n} x {n}"],
            "params": params, "macs": macs,
            "flops": f"2 * ({macs}){bias} + {h} * {n} * {n} * (1 + {SOFTMAX})"}

    saved_rule = ("its input (when the projections train); the copies torch's matmul makes of q, kᵀ and v "
                  "(L*D each: their head-split views are not contiguous); the attention weights after softmax "
                  "(h*L*L); the heads' output copied back to L*D for the output projection (when it trains). Under "
                  "AMP on CUDA the weights are float32 (softmax is on autocast's float32 list) and A V saves their "
                  "half copy")
    autocast = "half"  # its projections and products are on CUDA autocast's lower-precision list

    def saved(self, ins, out, grad):
        n, d = ins[0]
        h = self.args.heads
        s = [Saved.of_input(0)] if grad.params else []
        wide = grad.amp is not None and grad.device == "cuda"  # softmax runs in float32 under CUDA autocast
        s += [Saved.extra("q copy", n * d), Saved.extra("k copy", n * d), Saved.extra("v copy", n * d),
              Saved.extra("attention weights", h * n * n, "float32" if wide else ACT)]
        if wide:
            s.append(Saved.extra("attention weights, half copy", h * n * n))
        if grad.params:
            s.append(Saved.extra("heads' output copy", n * d))
        if grad.any_grad:
            s.append(Saved.of_param("in_proj_weight"))
        return s + [Saved.of_param("out_proj.weight")]

    def torch_module(self, ins, out):
        from archstat.layers._torch_tokens import SelfAttention as Module

        return Module(ins[0][1], self.args.heads, self.args.bias)

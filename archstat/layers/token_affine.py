"""A per-feature affine map of a token sequence, ``alpha * x + beta`` (Touvron et al., "ResMLP", 2021: the
``Affine`` that replaces its normalisations; timm computes it as ``torch.addcmul(beta, alpha, x)``).

Its tensors are ``alpha`` and ``beta``, D values each, held 1 x 1 x D as timm holds them, so a timm ResMLP's
state_dict loads as it is. MACs: 0 (an element-wise op, as ``scale``; FlopCounterMode counts none).
FLOPs: 2 per element (a multiply and an add). Receptive field: the identity.
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import Saved
from archstat.layers._text import elems, elems_text, fmt_shape, tokens
from archstat.layers._windows import IDENTITY


@register
class Affine(Layer):
    kind = "token_affine"
    aliases = ("resmlp_affine",)
    summary = "alpha * x + beta per feature of L x D tokens (ResMLP's Affine; tensors alpha, beta)"
    accepts = ("tokens",)
    flops_rule = "2 per element (multiply, add)"
    examples = (
        # ResMLP-12 at 224: 196 tokens of 384; alpha and beta 384 each; a multiply and an add per element
        Example("token_affine-resmlp-12", {}, [(196, 384)], (196, 384), params=2 * 384, macs=0, flops=196 * 384 * 2,
            tensors={"alpha": 384, "beta": 384}),
        Example("token_affine-small", {}, [(4, 3)], (4, 3), params=2 * 3, macs=0, flops=4 * 3 * 2),
    )

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"token_affine needs L x D tokens, got {fmt_shape(ins[0])}")
        return ins[0]

    def params(self, ins):
        d = ins[0][1]
        return {"alpha": d, "beta": d}

    def flops(self, ins, out):
        return elems(out) * 2

    def window(self, ins, out):
        return IDENTITY

    def derivation(self, ins, out):
        d = ins[0][1]
        return {"shape": [f"{fmt_shape(out)} (unchanged)"], "params": f"2 * {d}", "macs": "0",
                "flops": f"{elems_text(out)} * 2"}

    saved_rule = "its input when alpha trains (alpha's gradient needs x), and alpha (a parameter) for x's gradient"

    def saved(self, ins, out, grad):
        return [Saved.of_input(0)] if grad.params else []

    def torch_module(self, ins, out):
        from archstat.layers._torch_mix import Affine as Module

        return Module(int(ins[0][1]))

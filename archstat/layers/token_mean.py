"""The mean of a token sequence over its tokens: L x D -> D (MLP-Mixer's and ResMLP's head, ``x.mean(dim=1)``;
a ViT with ``global_pool='avg'``).

FLOPs: L*D (an add per element, the D divides counted with them, as ``global_avgpool``). Receptive field: the
union of all tokens' fields (the whole input).
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._text import elems, elems_text, fmt_shape, tokens
from archstat.layers._windows import GLOBAL


@register
class TokenMean(Layer):
    kind = "token_mean"
    aliases = ("token_avgpool",)
    summary = "the mean over the tokens of L x D, a D vector (Mixer's head)"
    accepts = ("tokens",)
    flops_rule = "L*D (adds, the divides counted with them)"
    examples = (
        # Mixer-B/16 at 224: 196 tokens of 768 averaged: 196 * 768 adds
        Example("token-mean-mixer-b16", {}, [(196, 768)], (768,), params=0, macs=0, flops=196 * 768),
        Example("token-mean-small", {}, [(4, 3)], (3,), params=0, macs=0, flops=4 * 3),
    )

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"token_mean needs L x D tokens, got {fmt_shape(ins[0])}")
        return (ins[0][1],)

    def flops(self, ins, out):
        return elems(ins[0])

    def window(self, ins, out):
        return GLOBAL

    def derivation(self, ins, out):
        return {"shape": [f"{fmt_shape(ins[0])} -> {fmt_shape(out)} (the mean of {ins[0][0]} tokens)"],
                "params": "0", "macs": "0", "flops": elems_text(ins[0])}

    saved_rule = "nothing: the mean's gradient needs only the sizes"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_mix import TokenMean as Module

        return Module()

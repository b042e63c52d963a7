"""A token sequence's two axes swapped: L x D -> D x L (MLP-Mixer's token mixing, ``x.transpose(1, 2)``: the
next ``linear`` then mixes the L tokens, one feature at a time, and a second transpose turns the result back).

The torch module makes the result contiguous (a copy: what the next ``linear`` would otherwise make itself), so
it is new memory, not a view. FLOPs: 0 (a copy moves values, computes none). Receptive field: the whole input
(each row of the result holds one feature of every token).
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._text import fmt_shape, tokens
from archstat.layers._windows import GLOBAL


@register
class Transpose(Layer):
    kind = "token_transpose"
    summary = "swap the axes of an L x D token sequence to D x L (MLP-Mixer's token mixing)"
    accepts = ("tokens",)
    flops_rule = "0 (a copy)"
    examples = (
        # Mixer-B/16 at 224: 196 tokens of 768 features read as 768 rows of 196 values
        Example("token_transpose-mixer-b16", {}, [(196, 768)], (768, 196), params=0, macs=0, flops=0),
        Example("token_transpose-square", {}, [(4, 4)], (4, 4), params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"token_transpose needs L x D tokens, got {fmt_shape(ins[0])}")
        n, d = ins[0]
        return (d, n)

    def window(self, ins, out):
        return GLOBAL

    def derivation(self, ins, out):
        return {"shape": [f"{fmt_shape(ins[0])} -> {fmt_shape(out)} (axes swapped)"], "params": "0", "macs": "0",
                "flops": "0"}

    saved_rule = "nothing: the gradient is transposed back"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_mix import Transpose as Module

        return Module()

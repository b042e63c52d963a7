"""A sequence of H*W tokens of C features read back as a C x H x W map (the inverse of ``tokens``):
``x.transpose(1, 2).reshape(B, C, H, W)``. Give ``size: [H, W]``; without it the tokens must form a square.
A reshape of a transposed tensor: new memory, no arithmetic.

Receptive field: each position keeps its token's field.
"""

from __future__ import annotations

import math

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Pair
from archstat.layers._text import fmt_shape, tokens
from archstat.layers._windows import IDENTITY


@register
class ToMap(Layer):
    kind = "to_map"
    aliases = ("tokens_to_map",)
    summary = "L x C tokens -> C x H x W map, H*W = L (`size: [H, W]`, default square)"
    fields = {"size": Pair(None, doc="the map's [height, width]; default: the square of side sqrt(L)")}
    accepts = ("tokens",)
    flops_rule = "0 (a copy)"
    examples = (
        Example("to-map-square", {}, [(14 * 14, 768)], (768, 14, 14), params=0, macs=0, flops=0),
        Example("to-map-size", {"size": [3, 5]}, [(15, 32)], (32, 3, 5), params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"to_map needs L x D tokens, got {fmt_shape(ins[0])}")
        n, c = ins[0]
        if self.args.size is not None:
            h, w = self.args.size
            if h * w != n:
                raise ShapeError(f"to_map: size {h}x{w} holds {h * w} tokens, the input has {n}")
            return (c, h, w)
        if not isinstance(n, int):
            raise ShapeError("to_map: give 'size: [H, W]' for a symbolic number of tokens")
        s = math.isqrt(n)
        if s * s != n:
            raise ShapeError(f"to_map: {n} tokens are not a square; give 'size: [H, W]'")
        return (c, s, s)

    def window(self, ins, out):
        return IDENTITY

    def derivation(self, ins, out):
        c, h, w = out
        return {"shape": [f"{ins[0][0]} tokens = {h} * {w} positions of {c} channels"], "params": "0",
                "macs": "0", "flops": "0"}

    saved_rule = "nothing: a view in torch (transpose, then a reshape that splits L); the gradient is viewed back"

    def saved(self, ins, out, grad):
        return []

    def train_storage(self):
        return "view"  # torch reshapes the transposed tokens without a copy: the output shares the input's storage

    def torch_module(self, ins, out):
        from archstat.layers._torch_tokens import ToMap as Module

        return Module(out[1], out[2])

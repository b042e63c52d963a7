"""A C x H x W map read as a sequence of H*W tokens of C features (ViT's patch tokens after its patch-embedding
convolution): ``x.flatten(2).transpose(1, 2)``, positions in row-major order. A view: no memory, no arithmetic.

Receptive field: each token is one position of the map and keeps that position's field.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, register
from archstat.layers._windows import IDENTITY


@register
class Tokens(Layer):
    kind = "tokens"
    aliases = ("to_tokens", "map_to_tokens")
    summary = "C x H x W -> (H*W) x C tokens (a view)"
    view = True
    accepts = ("spatial",)
    flops_rule = "0 (a view)"
    examples = (
        # ViT-B/16 at 224: the 768 x 14 x 14 patch map is 14*14 = 196 tokens of 768 features
        Example("tokens-vit", {}, [(768, 14, 14)], (14 * 14, 768), params=0, macs=0, flops=0),
        Example("tokens-uneven", {}, [(32, 3, 5)], (3 * 5, 32), params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        return (h * w, c)

    def window(self, ins, out):
        return IDENTITY

    def derivation(self, ins, out):
        c, h, w = ins[0]
        return {"shape": [f"{h} * {w} = {out[0]} tokens of {c} features"], "params": "0", "macs": "0",
                "flops": "0"}

    saved_rule = "nothing: a view (flatten and transpose); the gradient is viewed back"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_tokens import ToTokens

        return ToTokens()

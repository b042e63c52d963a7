"""Learned position embeddings: one D-vector per token, added to an L x D sequence (ViT's
``encoder.pos_embedding``). Parameters: L * D, one tensor of shape 1 x L x D named by the layer itself (a layer
named ``encoder.pos_embedding`` gives that state_dict key). By default its length follows the input, so a
symbolic input gives a closed form in H and W (as a network whose embeddings are resized to the input, timm's
``dynamic_img_size``); ``length: N`` pins it to the trained length, and another length is then an error, as in
torchvision. FLOPs: one add per element.
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Int
from archstat.layers._text import elems, elems_text, fmt_shape, tokens
from archstat.layers._windows import IDENTITY


@register
class PosEmbedding(Layer):
    kind = "pos_embedding"
    aliases = ("position_embedding", "pos_embed")
    summary = "add a learned L x D position embedding: params L*D, FLOPs L*D"
    fields = {"length": Int(None, doc="the trained number of tokens (default: the input's)")}
    accepts = ("tokens",)
    flops_rule = "1 per element (the add)"
    examples = (
        # ViT-B/16 at 224: 197 tokens (196 patches + class) of 768; 197 * 768 parameters, one add per element
        Example("pos-embedding-vit", {}, [(197, 768)], (197, 768), params=197 * 768, macs=0, flops=197 * 768,
                tensors={"": 197 * 768}),
        Example("pos-embedding-pinned", {"length": 50}, [(50, 8)], (50, 8), params=50 * 8, macs=0, flops=50 * 8),
    )

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"pos_embedding needs L x D tokens, got {fmt_shape(ins[0])}")
        n = ins[0][0]
        if self.args.length is not None and n != self.args.length:
            raise ShapeError(f"pos_embedding was trained for {self.args.length} tokens; the input has {n}")
        return ins[0]

    def params(self, ins):
        return {"": elems(ins[0])}

    def flops(self, ins, out):
        return elems(out)

    def window(self, ins, out):
        return IDENTITY

    def derivation(self, ins, out):
        return {"shape": [f"{fmt_shape(out)} (unchanged)"], "params": elems_text(ins[0]), "macs": "0",
                "flops": elems_text(out)}

    saved_rule = "nothing: an add; the gradient passes to the input and is summed over the batch for the table"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_tokens import PosEmbedding as Module

        return Module(*ins[0])

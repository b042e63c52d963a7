"""Learned class tokens (ViT, DeiT's distillation token, registers): ``count`` vectors of D features prepended to
an L x D sequence, giving (count + L) x D. Parameters: count * D, one tensor of shape 1 x count x D named by the
layer itself, as torchvision's ViT keeps ``class_token`` on the model (a layer named ``class_token`` gives the
state_dict key ``class_token``). A copy: new memory, no arithmetic.

Receptive field: the class token sees nothing of the input until attention mixes it in; the engine gives the
sequence the patches' field, which attention then makes global.
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Int
from archstat.layers._text import fmt_shape, tokens
from archstat.layers._windows import IDENTITY


@register
class ClassToken(Layer):
    kind = "class_token"
    aliases = ("cls_token",)
    summary = "prepend `count` learned tokens (ViT's class token): params count*D"
    fields = {"count": Int(1, doc="how many learned tokens")}
    accepts = ("tokens",)
    flops_rule = "0 (a copy)"
    examples = (
        # ViT-B/16: one 768-wide class token before 196 patch tokens; 1 * 768 parameters
        Example("class-token-vit", {}, [(196, 768)], (1 + 196, 768), params=1 * 768, macs=0, flops=0,
                tensors={"": 1 * 768}),
        Example("class-token-4", {"count": 4}, [(49, 64)], (4 + 49, 64), params=4 * 64, macs=0, flops=0),
    )

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"class_token needs L x D tokens, got {fmt_shape(ins[0])} (add a 'tokens' layer first)")
        n, d = ins[0]
        return (self.args.count + n, d)

    def params(self, ins):
        return {"": self.args.count * ins[0][1]}

    def window(self, ins, out):
        return IDENTITY

    def derivation(self, ins, out):
        n, d = ins[0]
        k = self.args.count
        return {"shape": [f"{k} + {n} = {out[0]} tokens of {d}"], "params": f"{k} * {d}", "macs": "0", "flops": "0"}

    saved_rule = "nothing: a concatenation; the gradient is split, sizes only"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_tokens import ClassToken as Module

        return Module(self.args.count, ins[0][1])

"""One token of a sequence as a flat vector: ``x[:, index]`` (ViT's classifier reads the class token, index 0).
A view: no memory, no arithmetic. Receptive field: the token's own (after attention, the whole input).
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Int
from archstat.layers._text import fmt_shape, tokens
from archstat.layers._windows import IDENTITY


@register
class SelectToken(Layer):
    kind = "select_token"
    aliases = ("take_token", "cls_pool")
    summary = "one token of L x D as a D vector (`index`, default 0: the class token)"
    fields = {"index": Int(0, doc="the token's position (0 = first)", min=0)}
    view = True
    accepts = ("tokens",)
    flops_rule = "0 (a view)"
    examples = (
        Example("select-class-token", {}, [(197, 768)], (768,), params=0, macs=0, flops=0),
        Example("select-token-3", {"index": 3}, [(10, 16)], (16,), params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"select_token needs L x D tokens, got {fmt_shape(ins[0])}")
        n, d = ins[0]
        if isinstance(n, int) and self.args.index >= n:
            raise ShapeError(f"select_token: index {self.args.index} is past the {n} tokens")
        return (d,)

    def window(self, ins, out):
        return IDENTITY

    def derivation(self, ins, out):
        return {"shape": [f"token {self.args.index} of {ins[0][0]}: {out[0]} features"], "params": "0",
                "macs": "0", "flops": "0"}

    saved_rule = "nothing: a view; the gradient is scattered back, sizes only"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_tokens import SelectToken as Module

        return Module(self.args.index)

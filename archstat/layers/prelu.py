"""PReLU: leaky ReLU with a learned slope, one per channel (``shared: false``, default) or one in all.

Params: ``weight`` = C or 1. FLOPs: 2 per element (compare, multiply). In place, like the other activations.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Bool


@register
class PReLU(Pointwise):
    kind = "prelu"
    summary = "parametric ReLU: one learned slope per channel (or one shared)"
    fields = {"shared": Bool(False, doc="one slope for all channels")}
    inplace = True
    per_element = 2
    flops_rule = "2 per element (compare, multiply)"
    examples = (
        # PReLU: one slope per channel by default (compare + multiply = 2 per element)
        Example("prelu", {}, [(64, 56, 56)], (64, 56, 56), params=64, macs=0, flops=64 * 56 * 56 * 2,
            tensors={"weight": 64}),
        Example("prelu-shared", {"shared": True}, [(64, 56, 56)], (64, 56, 56), params=1, macs=0,
            flops=64 * 56 * 56 * 2),
    )

    def params(self, ins):
        return {"weight": 1 if self.args.shared else ins[0][0]}

    def derivation(self, ins, out):
        d = super().derivation(ins, out)
        d["params"] = "1" if self.args.shared else f"{ins[0][0]}"
        return d

    saved_rule = "its input and its slopes (torch's PReLU is never in place)"

    def saved(self, ins, out, grad):
        return [Saved.of_input(0), Saved.of_param("weight")]

    def train_storage(self):
        return "new"

    def torch_module(self, ins, out):
        from torch import nn

        return nn.PReLU(1 if self.args.shared else ins[0][0])  # torch's default is one shared slope: map it explicitly

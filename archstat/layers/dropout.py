"""Dropout: the identity at inference (no arithmetic, no new memory: it is counted as in place).

In training it would multiply each element by a mask; archstat counts inference.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._schema import Float


@register
class Dropout(Pointwise):
    kind = "dropout"
    summary = "dropout with probability p (identity at inference)"
    fields = {"p": Float(0.5, min=0, max=1)}
    shorthand = "p"
    inplace = True
    per_element = 0
    flops_rule = "0 (identity at inference)"
    examples = (
        # dropout is the identity at inference
        Example("dropout", {"p": 0.5}, [(4096,)], (4096,), params=0, macs=0, flops=0),
    )

    def torch_module(self, ins, out):
        from torch import nn

        return nn.Dropout(self.args.p)

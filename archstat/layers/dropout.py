"""Dropout: the identity at inference (no arithmetic, no new memory: it is counted as in place).

In training it would multiply each element by a mask; archstat counts inference.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Float
from archstat.layers._text import elems


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

    saved_rule = ("in training its mask, one per element: bool on CUDA (torch's fused dropout), the float noise "
                  "tensor on the CPU; a new output (torch's Dropout is not in place); nothing at p = 0 (the input "
                  "passes through)")

    def saved(self, ins, out, grad):
        p = self.args.p
        if p == 0:
            return []
        if p == 1:  # torch multiplies by a 0-dim zero
            return [Saved.extra("zero", 1, batched=False)]
        if grad.device == "cuda":
            return [Saved.extra("mask", elems(out), "bool")]
        return [Saved.extra("noise", elems(out))]

    def train_storage(self):
        return "view" if self.args.p == 0 else "new"

    def torch_module(self, ins, out):
        from torch import nn

        return nn.Dropout(self.args.p)

"""Softmax over the channels (class scores). Not in place: it writes a new tensor.

FLOPs per element: 5 (subtract the max, which costs a comparison, exp, add to the sum, divide).
"""

from __future__ import annotations

from .base import Pointwise


class Softmax(Pointwise):
    kind = "softmax"
    summary = "softmax over channels"
    per_element = 5
    flops_rule = "5 per element (max, subtract, exp, sum, divide)"

    def torch_module(self, ins, out):
        from torch import nn

        return nn.Softmax(dim=1)

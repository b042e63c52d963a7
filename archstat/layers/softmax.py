"""Softmax over the channels (class scores), or, with ``groups: M``, across M channel groups position by position
(SKNet's attention over its M paths: the C*M channels read as M x C, a softmax over M for each of the C).
Not in place: it writes a new tensor.

FLOPs per element: 5 (subtract the max, which costs a comparison, exp, add to the sum, divide).
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Int


@register
class Softmax(Pointwise):
    kind = "softmax"
    summary = "softmax over channels, or across `groups` channel groups (SKNet's paths)"
    fields = {"groups": Int(1, doc="softmax across this many channel groups, per channel and position")}
    per_element = 5
    flops_rule = "5 per element (max, subtract, exp, sum, divide)"
    examples = (
        # softmax: 5 per element
        Example("softmax", {}, [(1000,)], (1000,), params=0, macs=0, flops=1000 * 5),
        # SKNet's attention: 2C logits read as 2 x C, softmax across the 2 paths; 5 FLOPs per element
        Example("softmax-groups", {"groups": 2}, [(256, 1, 1)], (256, 1, 1), params=0, macs=0, flops=256 * 5),
    )

    def output_shape(self, ins):
        if ins[0][0] % self.args.groups:
            raise ShapeError(f"softmax: groups {self.args.groups} does not divide the {ins[0][0]} channels")
        return ins[0]

    saved_rule = "its output"
    autocast = {"cuda": "float32", "cpu": "promote"}  # on CUDA autocast's float32 list, not on the CPU's

    def saved(self, ins, out, grad):
        return [Saved.of_output()]

    def train_storage(self):
        return "new"

    def torch_module(self, ins, out):
        from torch import nn

        if self.args.groups == 1:
            return nn.Softmax(dim=1)
        from archstat.layers._torch import GroupSoftmax

        return GroupSoftmax(self.args.groups)

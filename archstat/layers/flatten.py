"""Flatten a C x H x W map into a vector of C*H*W features: a view, no memory, no arithmetic.

After it the receptive field is the whole input: every feature of what follows can depend on every pixel.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, register
from archstat.layers._windows import GLOBAL


@register
class Flatten(Layer):
    kind = "flatten"
    aliases = ("reshape_flat",)
    summary = "C x H x W -> C*H*W (a view)"
    view = True
    flops_rule = "0 (a view)"
    examples = (
        Example("flatten", {}, [(256, 6, 6)], (256 * 6 * 6,), params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        n = 1
        for d in ins[0]:
            n *= d
        return (n,)

    def window(self, ins, out):
        return GLOBAL

    def derivation(self, ins, out):
        return {"shape": [" * ".join(map(str, ins[0])) + f" = {out[0]}"], "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: a view; the gradient is reshaped back"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from torch import nn

        return nn.Flatten()

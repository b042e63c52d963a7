"""Channel shuffle (ShuffleNet): reshape C into groups x C/groups, transpose, flatten. A copy, no arithmetic."""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Int


@register
class ChannelShuffle(Layer):
    kind = "channel_shuffle"
    aliases = ("shuffle",)
    summary = "ShuffleNet channel shuffle in `groups` groups (a copy)"
    fields = {"groups": Int()}
    shorthand = "groups"
    flops_rule = "0 (a permutation copy)"
    accepts = ("spatial",)
    examples = (
        Example("channel_shuffle", {"groups": 3}, [(240, 28, 28)], (240, 28, 28), params=0, macs=0,
            flops=0),
    )

    def output_shape(self, ins):
        c = self.need_spatial(ins[0])[0]
        if c % self.args.groups:
            raise ShapeError(f"channel_shuffle: groups {self.args.groups} does not divide the {c} channels")
        return ins[0]

    def derivation(self, ins, out):
        c = ins[0][0]
        return {"shape": [f"{c} channels as {self.args.groups} x {c // self.args.groups}, transposed"], "params": "0",
                "macs": "0", "flops": "0"}

    saved_rule = "nothing: a permutation copy; the gradient is permuted back"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch import ChannelShuffle as TorchShuffle

        return TorchShuffle(self.args.groups)

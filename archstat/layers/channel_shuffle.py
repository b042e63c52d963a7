"""Channel shuffle (ShuffleNet): reshape C into groups x C/groups, transpose, flatten. A copy, no arithmetic."""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers.base import Int, Layer


class ChannelShuffle(Layer):
    kind = "channel_shuffle"
    aliases = ("shuffle",)
    summary = "ShuffleNet channel shuffle in `groups` groups (a copy)"
    fields = {"groups": Int()}
    shorthand = "groups"
    flops_rule = "0 (a permutation copy)"

    def output_shape(self, ins):
        c = self.need_spatial(ins[0])[0]
        if c % self.groups:
            raise ShapeError(f"channel_shuffle: groups {self.groups} does not divide the {c} channels")
        return ins[0]

    def derivation(self, ins, out):
        c = ins[0][0]
        return {"shape": [f"{c} channels as {self.groups} x {c // self.groups}, transposed"], "params": "0",
                "macs": "0", "flops": "0"}

    def torch_module(self, ins, out):
        from archstat.backend.ops import ChannelShuffle as TorchShuffle

        return TorchShuffle(self.groups)

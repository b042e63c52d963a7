"""Zero padding: an int, [h, w] or [top, bottom, left, right]. A copy, no arithmetic."""

from __future__ import annotations

from archstat.errors import SpecError
from archstat.layers.base import Layer, Padding, Window


class ZeroPad(Layer):
    kind = "zeropad"
    aliases = ("pad", "zero_pad")
    summary = "zero padding: int, [h, w] or [top, bottom, left, right]"
    fields = {"padding": Padding()}
    shorthand = "padding"
    flops_rule = "0 (a copy)"

    def check(self):
        if self.padding == "same":
            raise SpecError("zeropad: 'same' has no meaning here; give numbers")

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        (t, b), (l, r) = self.padding
        return (c, h + t + b, w + l + r)

    def window(self, ins, out):
        (t, _), (l, _) = self.padding
        return Window((1, 1), (t, l), (1, 1))

    def derivation(self, ins, out):
        (t, b), (l, r) = self.padding
        _, h, w = ins[0]
        return {"shape": [f"H' = {h} + {t} + {b} = {out[1]}", f"W' = {w} + {l} + {r} = {out[2]}"],
                "params": "0", "macs": "0", "flops": "0"}

    def torch_module(self, ins, out):
        from torch import nn

        (t, b), (l, r) = self.padding
        return nn.ZeroPad2d((l, r, t, b))

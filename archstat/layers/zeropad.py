"""Zero padding: an int, [h, w] or [top, bottom, left, right]. A copy, no arithmetic."""

from __future__ import annotations

from archstat.errors import SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Padding
from archstat.layers._windows import Window


@register
class ZeroPad(Layer):
    kind = "zeropad"
    aliases = ("pad", "zero_pad")
    summary = "zero padding: int, [h, w] or [top, bottom, left, right]"
    fields = {"padding": Padding()}
    shorthand = "padding"
    flops_rule = "0 (a copy)"
    accepts = ("spatial",)
    examples = (
        Example("zeropad-int", {"padding": 1}, [(3, 224, 224)], (3, 224 + 2, 224 + 2), params=0, macs=0,
            flops=0),
        Example("zeropad-hw", {"padding": [1, 2]}, [(3, 10, 10)], (3, 10 + 2, 10 + 4), params=0, macs=0,
            flops=0),
        Example("zeropad-tblr", {"padding": [0, 1, 2, 3]}, [(3, 10, 10)], (3, 10 + 0 + 1, 10 + 2 + 3),
            params=0, macs=0, flops=0),
    )

    def check(self):
        if self.args.padding == "same":
            raise SpecError("zeropad: 'same' has no meaning here; give numbers")

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        (t, b), (l, r) = self.args.padding
        return (c, h + t + b, w + l + r)

    def window(self, ins, out):
        (t, _), (l, _) = self.args.padding
        return Window((1, 1), (t, l), (1, 1))

    def derivation(self, ins, out):
        (t, b), (l, r) = self.args.padding
        _, h, w = ins[0]
        return {"shape": [f"H' = {h} + {t} + {b} = {out[1]}", f"W' = {w} + {l} + {r} = {out[2]}"],
                "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: a copy; the gradient is sliced back, sizes only"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from torch import nn

        (t, b), (l, r) = self.args.padding
        return nn.ZeroPad2d((l, r, t, b))

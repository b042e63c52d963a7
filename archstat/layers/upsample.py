"""Upsampling by an integer factor or to a given size, nearest or bilinear. No parameters, no MACs.

Shape: ``H' = H * scale`` (or the given size). FLOPs per output element: nearest 0 (a copy); bilinear 9 (three
linear interpolations, each a subtract, a multiply and an add).
Receptive-field window: stride ``1/scale``; nearest reads one input, bilinear two neighbours per axis.
"""

from __future__ import annotations

from fractions import Fraction

from archstat.errors import SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Choice, Size
from archstat.layers._text import elems, elems_text
from archstat.layers._windows import Window

_PER = {"nearest": 0, "bilinear": 9}


@register
class Upsample(Layer):
    kind = "upsample"
    aliases = ("upsampling", "interpolate")
    summary = "upsample by an integer `scale` or to `size`, nearest or bilinear"
    fields = {"scale": Size(None), "size": Size(None), "mode": Choice(("nearest", "bilinear"), "nearest")}
    shorthand = "scale"
    flops_rule = "nearest: 0; bilinear: 9 per output element (three lerps of 3)"
    accepts = ("spatial",)
    examples = (
        # nearest x2: a copy
        Example("upsample-nearest", {"scale": 2}, [(64, 28, 28)], (64, 56, 56), params=0, macs=0, flops=0),
        # bilinear x2: 9 per output element
        Example("upsample-bilinear", {"scale": 2, "mode": "bilinear"}, [(64, 28, 28)], (64, 56, 56),
            params=0, macs=0, flops=64 * 56 * 56 * 9),
        # per-axis scale [2, 3]
        Example("upsample-scale-2x3", {"scale": [2, 3]}, [(3, 10, 10)], (3, 10 * 2, 10 * 3),
            params=0, macs=0, flops=0),
        # to a given size, bilinear: 9 * 3*20*30
        Example("upsample-size", {"size": [20, 30], "mode": "bilinear"}, [(3, 10, 10)], (3, 20, 30),
            params=0, macs=0, flops=3 * 20 * 30 * 9),
    )

    def check(self):
        if (self.args.scale is None) == (self.args.size is None):
            raise SpecError("upsample: give exactly one of 'scale' and 'size'")

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        if self.args.size is not None:
            return (c, *self.args.size)
        return (c, h * self.args.scale[0], w * self.args.scale[1])

    def flops(self, ins, out):
        return elems(out) * _PER[self.args.mode]

    def window(self, ins, out):
        fs = (Fraction(out[1], ins[0][1]), Fraction(out[2], ins[0][2]))
        strides = tuple(1 / f for f in fs)
        if self.args.mode == "nearest":
            return Window(strides, (0, 0), (1, 1))
        return Window(strides, tuple((f - 1) / (2 * f) for f in fs), (2, 2))

    def derivation(self, ins, out):
        _, h, w = ins[0]
        how = f"scale {self.args.scale[0]}x{self.args.scale[1]}" if self.args.scale else "given size"
        return {"shape": [f"{h}x{w} -> {out[1]}x{out[2]} ({how}, {self.args.mode})"], "params": "0", "macs": "0",
                "flops": f"{elems_text(out)} * {_PER[self.args.mode]}"}

    saved_rule = "nothing: nearest and bilinear interpolation's backward needs only the sizes"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from torch import nn

        kw = {"align_corners": False} if self.args.mode == "bilinear" else {}
        return nn.Upsample(size=tuple(out[1:]), mode=self.args.mode, **kw)

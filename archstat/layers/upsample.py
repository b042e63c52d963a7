"""Upsampling by an integer factor or to a given size, nearest or bilinear. No parameters, no MACs.

Shape: ``H' = H * scale`` (or the given size). FLOPs per output element: nearest 0 (a copy); bilinear 9 (three
linear interpolations, each a subtract, a multiply and an add).
Receptive-field window: stride ``1/scale``; nearest reads one input, bilinear two neighbours per axis.
"""

from __future__ import annotations

from fractions import Fraction

from archstat.errors import SpecError
from archstat.layers.base import Choice, Layer, Size, Window, elems, elems_text

_PER = {"nearest": 0, "bilinear": 9}


class Upsample(Layer):
    kind = "upsample"
    aliases = ("upsampling", "interpolate")
    summary = "upsample by an integer `scale` or to `size`, nearest or bilinear"
    fields = {"scale": Size(None), "size": Size(None), "mode": Choice(("nearest", "bilinear"), "nearest")}
    shorthand = "scale"
    flops_rule = "nearest: 0; bilinear: 9 per output element (three lerps of 3)"

    def check(self):
        if (self.scale is None) == (self.size is None):
            raise SpecError("upsample: give exactly one of 'scale' and 'size'")

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        if self.size is not None:
            return (c, *self.size)
        return (c, h * self.scale[0], w * self.scale[1])

    def flops(self, ins, out):
        return elems(out) * _PER[self.mode]

    def window(self, ins, out):
        fs = (Fraction(out[1], ins[0][1]), Fraction(out[2], ins[0][2]))
        strides = tuple(1 / f for f in fs)
        if self.mode == "nearest":
            return Window(strides, (0, 0), (1, 1))
        return Window(strides, tuple((f - 1) / (2 * f) for f in fs), (2, 2))

    def derivation(self, ins, out):
        _, h, w = ins[0]
        how = f"scale {self.scale[0]}x{self.scale[1]}" if self.scale else "given size"
        return {"shape": [f"{h}x{w} -> {out[1]}x{out[2]} ({how}, {self.mode})"], "params": "0", "macs": "0",
                "flops": f"{elems_text(out)} * {_PER[self.mode]}"}

    def torch_module(self, ins, out):
        from torch import nn

        kw = {"align_corners": False} if self.mode == "bilinear" else {}
        return nn.Upsample(size=tuple(out[1:]), mode=self.mode, **kw)

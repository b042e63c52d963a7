"""Pixel shuffle (Shi et al. 2016, ESPCN's sub-pixel convolution; torch's ``nn.PixelShuffle``):
``(C*r*r, H, W) -> (C, H*r, W*r)``, channels rearranged into space; the input channels must divide by ``r*r``.
No parameters, no arithmetic (a copy: torch makes a new tensor). Its inverse is ``pixel_unshuffle``.

Receptive field, per axis: output position ``x`` (in any channel) is one input pixel, at ``x // r``: as nearest
upsampling by ``r`` (``upsample.py``), a fractional stride ``1/r`` with extent 1 and no padding.
"""

from __future__ import annotations

from fractions import Fraction

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Int
from archstat.layers._windows import Window


@register
class PixelShuffle(Layer):
    kind = "pixel_shuffle"
    aliases = ("pixelshuffle",)
    summary = "(C*r*r) x H x W -> C x (H*r) x (W*r), sub-pixel upscaling by `upscale` r (a copy)"
    fields = {"upscale": Int(doc="the factor r")}
    shorthand = "upscale"
    accepts = ("spatial",)
    flops_rule = "0 (a copy)"
    examples = (
        # ESPCN x3 on a 32x32 image: 1*3*3 = 9 channels -> 1 x (32*3) x (32*3)
        Example("pixel_shuffle-espcn", {"upscale": 3}, [(1 * 3 * 3, 32, 32)], (9 // (3 * 3), 32 * 3, 32 * 3),
            params=0, macs=0, flops=0),
        # r = 2: 256 channels -> 256/(2*2) = 64 at twice the height and width
        Example("pixel_shuffle-2", {"upscale": 2}, [(256, 7, 9)], (256 // (2 * 2), 7 * 2, 9 * 2),
            params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        r = self.args.upscale
        if c % (r * r):
            raise ShapeError(f"pixel_shuffle: the {c} input channels do not divide by upscale*upscale = {r * r}")
        return (c // (r * r), h * r, w * r)

    def window(self, ins, out):
        s = Fraction(1, self.args.upscale)
        return Window((s, s), (0, 0), (1, 1))

    def derivation(self, ins, out):
        c, h, w = ins[0]
        r = self.args.upscale
        return {"shape": [f"C' = {c}/({r}*{r}) = {out[0]}", f"H' = {h}*{r} = {out[1]}", f"W' = {w}*{r} = {out[2]}"],
                "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: a permutation copy; the gradient is unshuffled"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from torch import nn

        return nn.PixelShuffle(self.args.upscale)

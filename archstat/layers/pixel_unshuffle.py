"""Pixel unshuffle (space to depth; torch's ``nn.PixelUnshuffle``): ``(C, H, W) -> (C*r*r, H/r, W/r)``, each
r x r patch of every channel rearranged into r*r channels; H and W must divide by ``r``. No parameters, no
arithmetic (a copy: torch makes a new tensor). Its inverse is ``pixel_shuffle``.

Receptive field, per axis: output position ``x`` gathers, over its ``r*r`` channels, the input pixels
``r*x .. r*x + r - 1``: a window of extent ``r`` and stride ``r`` with no padding, as an r x r convolution with
stride r would have.
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Int
from archstat.layers._windows import Window


@register
class PixelUnshuffle(Layer):
    kind = "pixel_unshuffle"
    aliases = ("pixelunshuffle",)
    summary = "C x H x W -> (C*r*r) x (H/r) x (W/r), space to depth by `downscale` r (a copy)"
    fields = {"downscale": Int(doc="the factor r")}
    shorthand = "downscale"
    accepts = ("spatial",)
    flops_rule = "0 (a copy)"
    examples = (
        # r = 2 on 3x224x224: 3*2*2 = 12 channels at 224/2 = 112
        Example("pixel_unshuffle-2", {"downscale": 2}, [(3, 224, 224)], (3 * 2 * 2, 224 // 2, 224 // 2),
            params=0, macs=0, flops=0),
        # r = 4, a rectangular map: 8*4*4 = 128 channels, 16/4 x 12/4
        Example("pixel_unshuffle-4", {"downscale": 4}, [(8, 16, 12)], (8 * 4 * 4, 16 // 4, 12 // 4),
            params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        r = self.args.downscale
        if h % r or w % r:
            raise ShapeError(f"pixel_unshuffle: the {h}x{w} map does not divide by downscale {r}")
        return (c * r * r, h // r, w // r)

    def window(self, ins, out):
        r = self.args.downscale
        return Window((r, r), (0, 0), (r, r))

    def derivation(self, ins, out):
        c, h, w = ins[0]
        r = self.args.downscale
        return {"shape": [f"C' = {c}*{r}*{r} = {out[0]}", f"H' = {h}/{r} = {out[1]}", f"W' = {w}/{r} = {out[2]}"],
                "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: a permutation copy; the gradient is shuffled back"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from torch import nn

        return nn.PixelUnshuffle(self.args.downscale)

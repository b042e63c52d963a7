"""Patch merging, the gather of Swin Transformer's downsampling (torchvision's ``_patch_merging_pad``, the first
step of its ``PatchMerging`` and ``PatchMergingV2``): ``(C, H, W) -> (4C, ceil(H/2), ceil(W/2))``.

An odd height or width is first padded with one row or column of zeros at the bottom or right (torchvision's
``F.pad(x, (0, 0, 0, W % 2, 0, H % 2))`` on its channels-last tensor). Then the four neighbours of every 2 x 2 patch
are concatenated on the channels, in torchvision's order::

    x0 = x[0::2, 0::2]   (even row, even column)
    x1 = x[1::2, 0::2]   (odd row, even column)
    x2 = x[0::2, 1::2]   (even row, odd column)
    x3 = x[1::2, 1::2]   (odd row, odd column)
    out = cat([x0, x1, x2, x3], channels)

so output channel ``k*C + c`` is input channel ``c`` at row offset ``k % 2`` and column offset ``k // 2``. This is
not ``pixel_unshuffle``, whose channel ``c*4 + 2*dh + dw`` puts the column offset fastest and each input channel's
four neighbours side by side: the same numbers in another order, so that the ``reduction`` weights trained for one
are wrong for the other.

The kind is the gather only: torchvision's ``PatchMerging`` is this, a ``norm`` (LayerNorm of 4C) and a
``reduction`` (Linear 4C -> 2C without bias); ``PatchMergingV2`` applies the reduction first and normalises 2C.
A spec writes those as its own ``layer_norm`` and ``linear`` layers named ``norm`` and ``reduction``, in either
order, so the state_dict keys are torchvision's (``features.2.norm.weight``, ``features.2.reduction.weight``).

No parameters, no arithmetic (a copy: the padding and the concatenation make a new tensor).
Receptive field, per axis: output position ``x`` reads input positions ``2x`` and ``2x + 1`` (the padded one,
zeros, at the far end of an odd size): a window of extent 2 and stride 2 without padding at the start, as a 2x2
convolution with stride 2 has.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, register
from archstat.layers._windows import Window


@register
class PatchMerge(Layer):
    kind = "patch_merge"
    summary = ("Swin's patch-merging gather: C x H x W -> 4C x ceil(H/2) x ceil(W/2), the 2x2 neighbours "
               "concatenated on channels in torchvision's order (odd sizes zero-padded; a copy)")
    accepts = ("spatial",)
    flops_rule = "0 (a copy)"
    examples = (
        # swin_t's features.2 on stage 1's 96 x 56 x 56: 4*96 = 384 channels at 56/2 = 28
        Example("patch_merge-swin_t", {}, [(96, 56, 56)], (4 * 96, 56 // 2, 56 // 2), params=0, macs=0, flops=0),
        # odd sizes are zero-padded at the bottom and right first: 57 -> 58 rows, 15 -> 16 columns;
        # 4*8 channels at (57 + 1)/2 = 29 by (15 + 1)/2 = 8
        Example("patch_merge-odd", {}, [(8, 57, 15)], (4 * 8, (57 + 1) // 2, (15 + 1) // 2), params=0, macs=0,
            flops=0),
    )

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        return (4 * c, (h + 1) // 2, (w + 1) // 2)  # ceil(h/2): an odd size is padded by one first

    def window(self, ins, out):
        return Window((2, 2), (0, 0), (2, 2))

    def derivation(self, ins, out):
        c, h, w = ins[0]
        lines = [f"C' = 4*{c} = {out[0]}  (x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2] on channels)"]
        for name, n in (("H", h), ("W", w)):
            lines.append(f"{name}' = {n}/2 = {n // 2}" if n % 2 == 0 else f"{name}' = ({n} + 1)/2 = {(n + 1) // 2}")
        for n, unit, side in ((h, "row", "bottom"), (w, "column", "right")):
            if n % 2:
                lines.append(f"{n} {unit}s, odd: one {unit} of zeros padded at the {side} first")
        return {"shape": lines, "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing (padding, strided slicing and concatenation save no tensor); a new output"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_windows import PatchMerge as Module

        return Module()

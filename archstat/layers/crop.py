"""Centre crop to a given size, or to the height and width of a second input (U-Net's copy-and-crop).

``crop: {size: [56, 56]}`` or ``crop: {inputs: [skip, up]}`` (crop ``skip`` to ``up``'s size; the second input
supplies only its shape). The crop starts at ``(H - h) // 2``. A slice: a view, no memory, no arithmetic.
"""

from __future__ import annotations

from archstat.core.notes import CROP_OFF_CENTRE, Note
from archstat.errors import ShapeError, SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Size
from archstat.layers._text import fmt_shape
from archstat.layers._windows import Window


@register
class Crop(Layer):
    kind = "crop"
    aliases = ("center_crop",)
    summary = "centre crop to `size`, or to the H x W of a second input (U-Net copy-and-crop)"
    fields = {"size": Size(None)}
    shorthand = "size"
    min_inputs, max_inputs = 1, 2
    view = True
    data_inputs = 1  # the second input only gives the target size
    flops_rule = "0 (a slice)"
    accepts = ("spatial",)
    examples = (
        # centre crop to a size
        Example("crop-size", {"size": [56, 56]}, [(64, 64, 64)], (64, 56, 56), params=0, macs=0, flops=0),
        # U-Net copy-and-crop: the skip (64x136x136) cropped to the up path's 104x104; channels of the first input
        Example("crop-two-inputs", {}, [(64, 136, 136), (128, 104, 104)], (64, 104, 104), params=0, macs=0,
            flops=0),
    )

    def _target(self, ins):
        if len(ins) == 2:
            if self.args.size is not None:
                raise SpecError("crop: give either 'size' or a second input, not both")
            return ins[1][1:]
        if self.args.size is None:
            raise SpecError("crop: give 'size' or a second input to crop to")
        return self.args.size

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        th, tw = self._target(ins)
        if th > h or tw > w:
            raise ShapeError(f"crop: target {th}x{tw} is larger than the input {fmt_shape(ins[0])}")
        return (c, th, tw)

    def window(self, ins, out):
        _, h, w = ins[0]
        return Window((1, 1), (-((h - out[1]) // 2), -((w - out[2]) // 2)), (1, 1))

    def derivation(self, ins, out):
        _, h, w = ins[0]
        return {"shape": [f"{h}x{w} -> {out[1]}x{out[2]}, starting at ({(h - out[1]) // 2}, {(w - out[2]) // 2})"],
                "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: a slice; the gradient is padded back, sizes only"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch import Crop as TorchCrop

        return TorchCrop(None if len(ins) == 2 else tuple(self.args.size))
    def notes(self, ins, out):
        _, h, w = ins[0]
        if (h - out[1]) % 2 or (w - out[2]) % 2:
            return [Note(CROP_OFF_CENTRE, "the crop is not centred exactly: an odd number of rows or columns is removed "
                                         "(one more on the far side)")]
        return []

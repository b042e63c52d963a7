"""Permute: a change of memory layout that changes no shape (torchvision's ``Permute([0, 2, 3, 1])`` to
channels-last and ``Permute([0, 3, 1, 2])`` back, in ConvNeXt's CNBlock and in Swin).

archstat's shapes are logical (see ``_text``): a map is ``C x H x W`` whether its channels lie first or last in
memory, and the per-position kinds (``layer_norm``, ``linear``) act on the channels wherever they lie. So a permute
between the two layouts is a view with no arithmetic, no parameters and the same shape, and its torch module is
the identity (the backend keeps every map channels-first and moves the channels inside the per-position modules).
``dims`` is torch's permutation including the batch dimension, recorded for documentation and for naming parity
with torchvision's modules; only the two layout changes (and the identity) are accepted: a permutation that
swapped height and width would transpose the image, which is not a layout.
Receptive field: the identity.
"""

from __future__ import annotations

from archstat.errors import SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import IntList
from archstat.layers._text import fmt_shape

_LAYOUTS = {(0, 2, 3, 1): "to channels-last (B x H x W x C in memory)",
            (0, 3, 1, 2): "back to channels-first (B x C x H x W in memory)",
            (0, 1, 2, 3): "the identity"}


@register
class Permute(Layer):
    kind = "permute"
    summary = "a layout change to channels-last or back (a view: logical shapes are unchanged)"
    fields = {"dims": IntList(None, doc="torch's permutation with the batch dim: [0, 2, 3, 1] or [0, 3, 1, 2]")}
    view = True
    accepts = ("spatial",)
    flops_rule = "0 (a view)"
    examples = (
        # ConvNeXt-T's block.1, Permute([0, 2, 3, 1]) after the depthwise 7x7: the logical shape stays 96x56x56
        Example("permute-channels-last", {"dims": [0, 2, 3, 1]}, [(96, 56, 56)], (96, 56, 56), params=0, macs=0,
            flops=0),
        # ... and block.6, Permute([0, 3, 1, 2]), back: nothing changes either
        Example("permute-channels-first", {"dims": [0, 3, 1, 2]}, [(768, 7, 7)], (768, 7, 7), params=0, macs=0,
            flops=0),
    )

    def check(self):
        if self.args.dims is not None and self.args.dims not in _LAYOUTS:
            raise SpecError(f"permute: 'dims' {list(self.args.dims)} is not a layout change; give [0, 2, 3, 1] "
                            f"(to channels-last) or [0, 3, 1, 2] (back): shapes are logical C x H x W, and a "
                            f"permutation that moves height or width would transpose the image")

    def output_shape(self, ins):
        return self.need_spatial(ins[0])

    def derivation(self, ins, out):
        how = _LAYOUTS[self.args.dims] if self.args.dims is not None else "a layout change"
        return {"shape": [f"{fmt_shape(out)} (unchanged: {how}; shapes are logical, C x H x W in any layout)"],
                "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: the input itself (a logical view); the gradient passes through"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from torch import nn

        return nn.Identity()

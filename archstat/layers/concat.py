"""Concatenation along channels (Inception branches, DenseNet, U-Net skips); flat vectors join end to end.

All inputs must agree in height and width. A copy: new memory, no arithmetic. Receptive field: the union of the
inputs' fields.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, MergeMismatch, register
from archstat.layers._text import fmt_shape, spatial
from archstat.layers._windows import IDENTITY


@register
class Concat(Layer):
    kind = "concat"
    aliases = ("cat",)
    summary = "concatenate 2+ inputs along channels (height and width must agree)"
    min_inputs, max_inputs = 2, None
    flops_rule = "0 (a copy)"
    examples = (
        # Inception concat 64 + 128 + 32 + 32 = 256 channels
        Example("concat-inception", {}, [(64, 28, 28), (128, 28, 28), (32, 28, 28), (32, 28, 28)],
            (64 + 128 + 32 + 32, 28, 28), params=0, macs=0, flops=0),
        Example("concat-flat", {}, [(10,), (20,)], (10 + 20,), params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        first = ins[0]
        for i, s in enumerate(ins[1:], 1):
            if len(s) != len(first) or s[1:] != first[1:]:
                what = "height and width" if spatial(first) else "rank"
                raise MergeMismatch(0, i, f"{what} differ ({fmt_shape(first)} vs {fmt_shape(s)}); "
                                          f"concat needs equal {what}")
        return (sum(s[0] for s in ins), *first[1:])

    def window(self, ins, out):
        return IDENTITY if spatial(out) else super().window(ins, out)

    def derivation(self, ins, out):
        return {"shape": [" + ".join(str(s[0]) for s in ins) + f" = {out[0]} channels"], "params": "0",
                "macs": "0", "flops": "0"}

    saved_rule = "nothing: the gradient is split by channel ranges, sizes only"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch import Concat as TorchConcat

        return TorchConcat()

"""Element-wise product of two inputs, broadcasting size-1 dimensions (squeeze-and-excitation scaling:
a C x H x W map times C x 1 x 1 channel weights).

FLOPs: 1 multiply per output element.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, broadcast, register
from archstat.layers._saved import Saved
from archstat.layers._text import elems, elems_text, fmt_shape, spatial
from archstat.layers._windows import IDENTITY


@register
class Mul(Layer):
    kind = "mul"
    aliases = ("multiply",)
    summary = "element-wise product of 2 inputs, broadcasting size-1 dims (SE scaling)"
    min_inputs, max_inputs = 2, 2
    flops_rule = "1 multiply per output element"
    examples = (
        # SE scaling: (C,H,W) * (C,1,1) broadcasts to (C,H,W), one multiply per output element
        Example("mul-broadcast", {}, [(256, 56, 56), (256, 1, 1)], (256, 56, 56), params=0, macs=0,
            flops=256 * 56 * 56),
        Example("mul-broadcast-reversed", {}, [(256, 1, 1), (256, 56, 56)], (256, 56, 56), params=0, macs=0,
            flops=256 * 56 * 56),
        Example("mul-same", {}, [(4, 3, 3), (4, 3, 3)], (4, 3, 3), params=0, macs=0, flops=4 * 3 * 3),
    )

    def output_shape(self, ins):
        return broadcast(*ins, self.kind)

    def flops(self, ins, out):
        return elems(out)

    def window(self, ins, out):
        return IDENTITY if spatial(out) else super().window(ins, out)

    def derivation(self, ins, out):
        return {"shape": [f"{fmt_shape(ins[0])} * {fmt_shape(ins[1])} -> {fmt_shape(out)}"], "params": "0",
                "macs": "0", "flops": f"{elems_text(out)} * 1"}

    saved_rule = "each input that another input's gradient needs: a's gradient needs b, b's needs a"

    def saved(self, ins, out, grad):
        need = [grad.grads[1], grad.grads[0]]  # torch saves the other factor of each input that needs a gradient
        return [Saved.of_input(k) for k in (0, 1) if need[k]]

    def torch_module(self, ins, out):
        from archstat.layers._torch import Mul as TorchMul

        return TorchMul()

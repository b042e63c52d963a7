"""Element-wise sum of two or more inputs of identical shape (residual connections).

FLOPs: ``n - 1`` adds per output element for ``n`` inputs. Receptive field: the union of the inputs' fields
(the engine takes it, and notes when the inputs disagree in stride or centre).
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, MergeMismatch, register
from archstat.layers._text import elems, elems_text, fmt_shape, spatial
from archstat.layers._windows import IDENTITY


@register
class Add(Layer):
    kind = "add"
    aliases = ("sum", "residual")
    summary = "element-wise sum of 2+ inputs of the same shape (residual add)"
    min_inputs, max_inputs = 2, None
    flops_rule = "n - 1 adds per output element for n inputs"
    examples = (
        # add of 3 inputs: 3 - 1 = 2 adds per element
        Example("add-3-inputs", {}, [(256, 56, 56)] * 3, (256, 56, 56), params=0, macs=0,
            flops=256 * 56 * 56 * (3 - 1)),
        Example("add-2-flat", {}, [(10,), (10,)], (10,), params=0, macs=0, flops=10 * 1),
    )

    def output_shape(self, ins):
        for i, s in enumerate(ins[1:], 1):
            if s != ins[0]:
                raise MergeMismatch(0, i, f"shapes differ ({fmt_shape(ins[0])} vs {fmt_shape(s)}); "
                                          f"add needs identical shapes")
        return ins[0]

    def flops(self, ins, out):
        return elems(out) * (len(ins) - 1)

    def window(self, ins, out):
        return IDENTITY if spatial(out) else super().window(ins, out)

    def derivation(self, ins, out):
        return {"shape": [f"{fmt_shape(out)} (all {len(ins)} inputs)"], "params": "0", "macs": "0",
                "flops": f"{elems_text(out)} * {len(ins) - 1}"}

    saved_rule = "nothing: the gradient passes to every input unchanged"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch import Add as TorchAdd

        return TorchAdd()

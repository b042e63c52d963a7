"""Hard sigmoid: ``relu6(x + 3)/6`` (torch's ``nn.Hardsigmoid``; MobileNetV3's squeeze-and-excitation gate).

FLOPs per element: 4, counting each add, comparison and divide as one, as the sibling activations are counted
(``activation.py``): add 3, max with 0, min with 6, divide by 6. It is hardswish's ``x * relu6(x + 3)/6`` (5)
less the final multiply by ``x``. No parameters; in place, like the other activations.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import Saved


@register
class Hardsigmoid(Pointwise):
    kind = "hardsigmoid"
    summary = "activation: relu6(x + 3)/6"
    inplace = True
    per_element = 4  # add, max, min, divide
    flops_rule = "4 per element"
    examples = (
        # MobileNetV3's SE gate on its 1x1 channel weights: 4 FLOPs per element (add, max, min, divide)
        Example("hardsigmoid-se-gate", {}, [(72, 1, 1)], (72, 1, 1), params=0, macs=0, flops=72 * 1 * 1 * 4),
        # on a feature map: elements * 4
        Example("hardsigmoid-map", {}, [(16, 4, 4)], (16, 4, 4), params=0, macs=0, flops=16 * 4 * 4 * 4),
        # on a flat vector: elements * 4
        Example("hardsigmoid-flat", {}, [(100,)], (100,), params=0, macs=0, flops=100 * 4),
    )

    saved_rule = "its input"

    def saved(self, ins, out, grad):
        return [Saved.of_input(0)]

    def torch_module(self, ins, out):
        from torch import nn

        return nn.Hardsigmoid()

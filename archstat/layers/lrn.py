"""Local response normalisation across channels (AlexNet's "norm" layers; Krizhevsky et al. 2012, sec. 3.3).

``b = a / (k + alpha/size * sum of a^2 over size neighbouring channels)^beta``. No parameters.
FLOPs per element: ``size`` squares and ``size - 1`` adds for the sum, then one multiply (alpha/size), one add
(k), one power and one divide: ``2*size + 3``.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Float, Int
from archstat.layers._text import elems_text


@register
class LocalResponseNorm(Pointwise):
    kind = "lrn"
    aliases = ("local_response_norm", "norm")
    summary = "local response normalisation across `size` channels (AlexNet, GoogLeNet)"
    fields = {"size": Int(5), "alpha": Float(1e-4, min=0), "beta": Float(0.75, min=0), "k": Float(1.0, min=0)}
    shorthand = "size"
    flops_rule = "2*size + 3 per element (squares, sum, scale, offset, power, divide)"
    accepts = ("spatial",)  # torch's LocalResponseNorm wants C x H x W
    examples = (
        # LRN size 5: 2*5 + 3 = 13 FLOPs per element
        Example("lrn-alexnet", {"size": 5}, [(96, 55, 55)], (96, 55, 55), params=0, macs=0,
            flops=96 * 55 * 55 * (2 * 5 + 3)),
        Example("lrn-size3", {"size": 3, "alpha": 1e-4, "beta": 0.75, "k": 2}, [(4, 2, 2)], (4, 2, 2),
            params=0, macs=0, flops=4 * 2 * 2 * (2 * 3 + 3)),
    )

    saved_rule = ("its input, the channel-padded squares ((C + size - 1) x H x W, avg_pool3d's input), and two "
                  "C x H x W tensors: k + alpha * mean (the power's base) and the divisor (torch's "
                  "local_response_norm is composed of ops, each saving its own)")

    def saved(self, ins, out, grad):
        c, h, w = ins[0]
        return [Saved.of_input(0), Saved.extra("padded squares", (c + self.args.size - 1) * h * w),
                Saved.extra("base", c * h * w), Saved.extra("divisor", c * h * w)]

    @property
    def per_element(self):
        return 2 * self.args.size + 3

    def derivation(self, ins, out):
        d = super().derivation(ins, out)
        d["flops"] = f"{elems_text(out)} * (2*{self.args.size} + 3)"
        return d

    def torch_module(self, ins, out):
        from torch import nn

        return nn.LocalResponseNorm(self.args.size, alpha=self.args.alpha, beta=self.args.beta, k=self.args.k)

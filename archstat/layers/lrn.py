"""Local response normalisation across channels (AlexNet's "norm" layers; Krizhevsky et al. 2012, sec. 3.3).

``b = a / (k + alpha/size * sum of a^2 over size neighbouring channels)^beta``. No parameters.
FLOPs per element: ``size`` squares and ``size - 1`` adds for the sum, then one multiply (alpha/size), one add
(k), one power and one divide: ``2*size + 3``.
"""

from __future__ import annotations

from archstat.layers.base import Float, Int, Pointwise, elems_text


class LocalResponseNorm(Pointwise):
    kind = "lrn"
    aliases = ("local_response_norm", "norm")
    summary = "local response normalisation across `size` channels (AlexNet, GoogLeNet)"
    fields = {"size": Int(5), "alpha": Float(1e-4, min=0), "beta": Float(0.75, min=0), "k": Float(1.0, min=0)}
    shorthand = "size"
    flops_rule = "2*size + 3 per element (squares, sum, scale, offset, power, divide)"

    @property
    def per_element(self):
        return 2 * self.size + 3

    def derivation(self, ins, out):
        d = super().derivation(ins, out)
        d["flops"] = f"{elems_text(out)} * (2*{self.size} + 3)"
        return d

    def torch_module(self, ins, out):
        from torch import nn

        return nn.LocalResponseNorm(self.size, alpha=self.alpha, beta=self.beta, k=self.k)

"""Euclidean radial basis function units (LeNet-5's output layer, LeCun et al. 1998, eq. 7):
``y_i = sum_j (x_j - w_ij)^2`` on a flat input.

Params: ``weight = in * out`` (the centres; LeNet-5 fixes them by hand, so its spec marks the layer ``frozen``).
MACs: ``in * out``, one multiply-accumulate of a squared difference per weight, as a linear layer of the same size.
FLOPs: 3 per weight (subtract, multiply, add).
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Int
from archstat.layers._windows import GLOBAL


@register
class RBF(Layer):
    kind = "rbf"
    summary = "Euclidean RBF units on a flat input (LeNet-5's output): in*out centres"
    fields = {"out": Int(doc="output units")}
    shorthand = "out"
    weight_layer = True
    flops_rule = "3 per weight (subtract, square, accumulate); MACs = in*out"
    accepts = ("flat",)
    examples = (
        # LeNet-5 output: 10 RBF units on F6's 84 outputs; sum_j (x_j - w_ij)^2 is 3 FLOPs per weight
        Example("rbf-lenet", {"out": 10}, [(84,)], (10,), params=84 * 10, macs=84 * 10, flops=3 * 84 * 10,
            tensors={"weight": 840}),
    )

    def output_shape(self, ins):
        self.need_flat(ins[0])
        return (self.args.out,)

    def params(self, ins):
        return {"weight": self.need_flat(ins[0]) * self.args.out}

    def macs(self, ins, out):
        return self.need_flat(ins[0]) * self.args.out

    def flops(self, ins, out):
        return 3 * self.macs(ins, out)

    def window(self, ins, out):
        return GLOBAL

    def derivation(self, ins, out):
        n = self.need_flat(ins[0])
        return {"shape": [f"{n} inputs -> {self.args.out} distances"], "params": f"{n}*{self.args.out}",
                "macs": f"{n}*{self.args.out}", "flops": f"3*{n}*{self.args.out}"}

    saved_rule = ("its input (for the squares, and for the matrix product when the centres train); under AMP also "
                  "the product's half copies of its input and, when its input needs a gradient, of the centres")

    def saved(self, ins, out, grad):
        s = [Saved.of_input(0)]
        if grad.amp is not None:  # autocast casts the matrix product's operands: copies of their own
            if grad.dtypes[:1] != (grad.amp,):
                s.append(Saved.extra("input, half copy", ins[0][0], grad.amp))
            if grad.any_grad:
                s.append(Saved.extra("centres, half copy", ins[0][0] * self.args.out, grad.amp, batched=False))
        return s

    def torch_module(self, ins, out):
        from archstat.layers._torch import RBF as TorchRBF

        return TorchRBF(self.need_flat(ins[0]), self.args.out)

"""Euclidean radial basis function units (LeNet-5's output layer, LeCun et al. 1998, eq. 7):
``y_i = sum_j (x_j - w_ij)^2`` on a flat input.

Params: ``weight = in * out`` (the centres; LeNet-5 fixes them by hand, so its spec marks the layer ``frozen``).
MACs: ``in * out``, one multiply-accumulate of a squared difference per weight, as a linear layer of the same size.
FLOPs: 3 per weight (subtract, multiply, add).
"""

from __future__ import annotations

from archstat.layers.base import GLOBAL, Int, Layer


class RBF(Layer):
    kind = "rbf"
    summary = "Euclidean RBF units on a flat input (LeNet-5's output): in*out centres"
    fields = {"out": Int(doc="output units")}
    shorthand = "out"
    weight_layer = True
    flops_rule = "3 per weight (subtract, square, accumulate); MACs = in*out"

    def output_shape(self, ins):
        self.need_flat(ins[0])
        return (self.out,)

    def params(self, ins):
        return {"weight": self.need_flat(ins[0]) * self.out}

    def macs(self, ins, out):
        return self.need_flat(ins[0]) * self.out

    def flops(self, ins, out):
        return 3 * self.macs(ins, out)

    def window(self, ins, out):
        return GLOBAL

    def derivation(self, ins, out):
        n = self.need_flat(ins[0])
        return {"shape": [f"{n} inputs -> {self.out} distances"], "params": f"{n}*{self.out}",
                "macs": f"{n}*{self.out}", "flops": f"3*{n}*{self.out}"}

    def torch_module(self, ins, out):
        from archstat.backend.ops import RBF as TorchRBF

        return TorchRBF(self.need_flat(ins[0]), self.out)

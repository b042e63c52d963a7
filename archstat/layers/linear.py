"""Fully connected layer (``linear``, ``fc``) on a flat vector.

Params: ``weight = in * out``; ``bias = out``. MACs: ``in * out`` (one dot product of length ``in`` per output).
FLOPs: ``2 * MACs`` plus ``out`` bias adds.
Its input must be flat (put a ``flatten`` after the last feature map); the number of inputs it multiplies is what
ties a fully connected network to one input size.
"""

from __future__ import annotations

from archstat.layers.base import GLOBAL, Bool, Int, Layer


class Linear(Layer):
    kind = "linear"
    aliases = ("fc", "dense")
    summary = "fully connected layer on a flat input: out features, bias"
    fields = {"out": Int(doc="output features"), "bias": Bool(True)}
    shorthand = "out"
    weight_layer = True
    flops_rule = "2 per MAC, plus 1 per output for the bias add"

    def output_shape(self, ins):
        self.need_flat(ins[0])
        return (self.out,)

    def params(self, ins):
        p = {"weight": self.need_flat(ins[0]) * self.out}
        if self.bias:
            p["bias"] = self.out
        return p

    def macs(self, ins, out):
        return self.need_flat(ins[0]) * self.out

    def flops(self, ins, out):
        return 2 * self.macs(ins, out) + (self.out if self.bias else 0)

    def window(self, ins, out):
        return GLOBAL

    def derivation(self, ins, out):
        n = self.need_flat(ins[0])
        return {"shape": [f"{n} inputs -> {self.out} outputs"],
                "params": f"{n}*{self.out}" + (f" + {self.out}" if self.bias else ""),
                "macs": f"{n}*{self.out}",
                "flops": f"2*{n}*{self.out}" + (f" + {self.out}" if self.bias else "")}

    def torch_module(self, ins, out):
        from torch import nn

        return nn.Linear(self.need_flat(ins[0]), self.out, bias=self.bias)

"""Fully connected layer (``linear``, ``fc``) on a flat vector.

Params: ``weight = in * out``; ``bias = out``. MACs: ``in * out`` (one dot product of length ``in`` per output).
FLOPs: ``2 * MACs`` plus ``out`` bias adds.
Its input must be flat (put a ``flatten`` after the last feature map); the number of inputs it multiplies is what
ties a fully connected network to one input size.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Bool, Int
from archstat.layers._windows import GLOBAL


@register
class Linear(Layer):
    kind = "linear"
    aliases = ("fc", "dense")
    summary = "fully connected layer on a flat input: out features, bias"
    fields = {"out": Int(doc="output features"), "bias": Bool(True)}
    shorthand = "out"
    weight_layer = True
    flops_rule = "2 per MAC, plus 1 per output for the bias add"
    accepts = ("flat",)
    examples = (
        # AlexNet fc6: 9216*4096 weights + 4096 biases
        Example("linear-fc6", {"out": 4096}, [(9216,)], (4096,), params=9216 * 4096 + 4096,
            macs=9216 * 4096, flops=2 * 9216 * 4096 + 4096, tensors={"weight": 9216 * 4096, "bias": 4096}),
        Example("linear-nobias", {"out": 10, "bias": False}, [(512,)], (10,), params=512 * 10,
            macs=512 * 10, flops=2 * 512 * 10),
    )

    def output_shape(self, ins):
        self.need_flat(ins[0])
        return (self.args.out,)

    def params(self, ins):
        p = {"weight": self.need_flat(ins[0]) * self.args.out}
        if self.args.bias:
            p["bias"] = self.args.out
        return p

    def macs(self, ins, out):
        return self.need_flat(ins[0]) * self.args.out

    def flops(self, ins, out):
        return 2 * self.macs(ins, out) + (self.args.out if self.args.bias else 0)

    def window(self, ins, out):
        return GLOBAL

    def derivation(self, ins, out):
        n = self.need_flat(ins[0])
        return {"shape": [f"{n} inputs -> {self.args.out} outputs"],
                "params": f"{n}*{self.args.out}" + (f" + {self.args.out}" if self.args.bias else ""),
                "macs": f"{n}*{self.args.out}",
                "flops": f"2*{n}*{self.args.out}" + (f" + {self.args.out}" if self.args.bias else "")}

    def torch_module(self, ins, out):
        from torch import nn

        return nn.Linear(self.need_flat(ins[0]), self.args.out, bias=self.args.bias)

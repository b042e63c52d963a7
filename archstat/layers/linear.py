"""Fully connected layer (``linear``, ``fc``): on a flat vector, or at every position of a token sequence or a map.

Input (F,) -> (out,); tokens (L, D) -> (L, out), each token alike (torch's ``nn.Linear`` on ``B x L x D``); a map
(C, H, W) -> (out, H, W), the same weights applied to the C channels at each of the H*W positions (ConvNeXt's
``Permute -> Linear``: a 1x1 convolution written as a linear layer; a map's shape is logical, see ``_text``).
Params: ``weight = in * out``; ``bias = out`` (in = F, D or C), whatever the number of positions.
MACs: ``positions * in * out`` (one dot product of length ``in`` per output feature at each position; positions =
1, L or H*W). FLOPs: ``2 * MACs`` plus ``positions * out`` bias adds.
Receptive field: on a flat vector the whole input; at every position the identity (each position its own).
The number of inputs a linear layer on a flat vector multiplies is what ties a fully connected network to one
input size; at every position it fits any size.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Bool, Int
from archstat.layers._text import features, positions, spatial, tokens
from archstat.layers._windows import GLOBAL


def _positions_text(shape) -> str:
    return f"{shape[1]}*{shape[2]}" if spatial(shape) else f"{shape[0]}"


@register
class Linear(Layer):
    kind = "linear"
    aliases = ("fc", "dense")
    summary = "fully connected layer: on a flat input, or at every token or map position (over the channels)"
    fields = {"out": Int(doc="output features"), "bias": Bool(True)}
    shorthand = "out"
    weight_layer = True
    flops_rule = "2 per MAC, plus 1 per output for the bias add"
    accepts = ("flat", "tokens", "spatial")
    examples = (
        # AlexNet fc6: 9216*4096 weights + 4096 biases
        Example("linear-fc6", {"out": 4096}, [(9216,)], (4096,), params=9216 * 4096 + 4096,
            macs=9216 * 4096, flops=2 * 9216 * 4096 + 4096, tensors={"weight": 9216 * 4096, "bias": 4096}),
        Example("linear-nobias", {"out": 10, "bias": False}, [(512,)], (10,), params=512 * 10,
            macs=512 * 10, flops=2 * 512 * 10),
        # ViT-B/16's MLP fc1 on 197 tokens of 768: weights 768*3072 + 3072 biases; MACs = 197 tokens * 768*3072;
        # bias adds: 197*3072
        Example("linear-tokens", {"out": 3072}, [(197, 768)], (197, 3072), params=768 * 3072 + 3072,
            macs=197 * 768 * 3072, flops=2 * 197 * 768 * 3072 + 197 * 3072,
            tensors={"weight": 768 * 3072, "bias": 3072}),
        # ConvNeXt-T's first pointwise layer (block.3) at every one of 56*56 positions: 96 -> 4*96 channels;
        # MACs = 56*56 positions * 96*384, the same as a 1x1 convolution's
        Example("linear-map", {"out": 384}, [(96, 56, 56)], (384, 56, 56), params=96 * 384 + 384,
            macs=56 * 56 * 96 * 384, flops=2 * 56 * 56 * 96 * 384 + 56 * 56 * 384,
            tensors={"weight": 96 * 384, "bias": 384}),
    )

    def output_shape(self, ins):
        shape = ins[0]
        if spatial(shape):
            return (self.args.out, shape[1], shape[2])
        if tokens(shape):
            return (shape[0], self.args.out)
        return (self.args.out,)

    def params(self, ins):
        p = {"weight": features(ins[0]) * self.args.out}
        if self.args.bias:
            p["bias"] = self.args.out
        return p

    def macs(self, ins, out):
        return positions(ins[0]) * features(ins[0]) * self.args.out

    def flops(self, ins, out):
        return 2 * self.macs(ins, out) + (positions(ins[0]) * self.args.out if self.args.bias else 0)

    def window(self, ins, out):
        if len(ins[0]) == 1:
            return GLOBAL
        return super().window(ins, out)  # each token, or each map position, its own

    def derivation(self, ins, out):
        n, o, shape = features(ins[0]), self.args.out, ins[0]
        bias = f" + {o}" if self.args.bias else ""
        if len(shape) == 1:
            return {"shape": [f"{n} inputs -> {o} outputs"], "params": f"{n}*{o}{bias}", "macs": f"{n}*{o}",
                    "flops": f"2*{n}*{o}{bias}"}
        p = _positions_text(shape)
        where = (f"C' = {o} features at each of {p} positions (a linear layer at every position, over the channels; "
                 f"a 'flatten' before it would make it one layer on all {n * shape[1] * shape[2]:,} values)"
                 if spatial(shape) else f"each of {p} tokens")
        return {"shape": [f"{where}: {n} inputs -> {o} outputs"], "params": f"{n}*{o}{bias}",
                "macs": f"{p}*{n}*{o}", "flops": f"2*{p}*{n}*{o}" + (f" + {p}*{o}" if self.args.bias else "")}

    autocast = "half"  # CUDA autocast's lower-precision list
    saved_rule = ("its input when its weight trains, its weight when its input needs a gradient (at every position "
                  "of a map, torch reads the map channels-last: a map stored so is not copied)")

    def saved(self, ins, out, grad):
        s = [Saved.of_input(0)] if grad.params else []
        return s + ([Saved.of_param("weight")] if grad.any_grad else [])

    def torch_module(self, ins, out):
        from torch import nn

        from archstat.layers._torch_positions import Linear as MapLinear

        # torch's own class where it applies as it is (peers such as thop and ptflops look modules up by exact type)
        cls = MapLinear if spatial(ins[0]) else nn.Linear
        return cls(features(ins[0]), self.args.out, bias=self.args.bias)

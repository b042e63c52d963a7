"""Efficient channel attention (Wang et al., "ECA-Net", CVPR 2020; timm's ``EcaModule``): a C x H x W map
multiplied by a per-channel gate. The gate is the map's global average (C values), read as a sequence of C
positions with one feature, convolved by a 1-D kernel of ``kernel`` taps (zero padding (k - 1)/2, no bias: each
channel's weight mixes its k neighbours' averages), then a sigmoid. Its one tensor is ``conv.weight``
(1 x 1 x k), timm's name, so a timm ECA-ResNet's state_dict loads as it is.

MACs: the 1-D convolution's, C outputs * k taps (torch counts the padded taps too).
FLOPs: the mean (C*H*W: an add per element, the divide counted with them, as ``global_avgpool``), the convolution
(2 * C * k), the sigmoid (4 per value, as ``sigmoid``) and the product (C*H*W): 2*C*H*W + 2*C*k + 4*C.
Receptive field: global (each output reads the whole map through the mean).
"""

from __future__ import annotations

from archstat.errors import SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Int
from archstat.layers._text import elems, elems_text, fmt_shape
from archstat.layers._windows import GLOBAL


@register
class Eca(Layer):
    kind = "eca"
    aliases = ("efficient_channel_attention",)
    summary = "efficient channel attention: x * sigmoid(conv1d over the channels of mean(x)), k taps, no bias"
    fields = {"kernel": Int(doc="taps of the 1-D convolution over the channel axis (odd)")}
    shorthand = "kernel"
    accepts = ("spatial",)
    flops_rule = "2*C*H*W (mean, product) + 2*C*k (conv) + 4*C (sigmoid)"
    examples = (
        # ECA-ResNet-50's last stage at 224: C = 2048, k = 7 (timm: t = int(|log2(2048) + 1| / 2) = 6, made odd);
        # one weight per tap; MACs C * k; FLOPs mean and product 2*C*H*W, conv 2*C*k, sigmoid 4*C
        Example("eca-2048-k7", {"kernel": 7}, [(2048, 7, 7)], (2048, 7, 7), params=7,
            macs=2048 * 7, flops=2 * 2048 * 7 * 7 + 2 * 2048 * 7 + 4 * 2048, tensors={"conv.weight": 7}),
        # the first stage: C = 256, k = 5 (t = int(|8 + 1| / 2) = 4, made odd)
        Example("eca-256-k5", {"kernel": 5}, [(256, 56, 56)], (256, 56, 56), params=5,
            macs=256 * 5, flops=2 * 256 * 56 * 56 + 2 * 256 * 5 + 4 * 256),
    )

    def check(self):
        if self.args.kernel % 2 == 0:
            raise SpecError(f"eca: 'kernel' must be odd (the padding (k - 1)/2 keeps the C channels), got "
                            f"{self.args.kernel}")

    def output_shape(self, ins):
        return self.need_spatial(ins[0])

    def params(self, ins):
        return {"conv.weight": self.args.kernel}

    def macs(self, ins, out):
        return ins[0][0] * self.args.kernel

    def flops(self, ins, out):
        c, k = ins[0][0], self.args.kernel
        return 2 * elems(ins[0]) + 2 * c * k + 4 * c

    def window(self, ins, out):
        return GLOBAL

    def derivation(self, ins, out):
        c, k = ins[0][0], self.args.kernel
        return {"shape": [f"{fmt_shape(out)} (unchanged: the map times a gate of {c} channels)",
                          f"gate: mean -> {c} values, conv1d over them with {k} taps, padding {(k - 1) // 2} "
                          f"-> {c}, sigmoid"],
                "params": f"{k}", "macs": f"{c} * {k}",
                "flops": f"2 * {elems_text(ins[0])} + 2 * {c} * {k} + 4 * {c}"}

    saved_rule = ("its input (for the gate's gradient), the channel averages the convolution reads (C) and the "
                  "sigmoid's output (C); nothing when neither its input nor its weight needs a gradient")

    def saved(self, ins, out, grad):
        if not (grad.grads[0] or grad.params):
            return []
        c = ins[0][0]
        return [Saved.of_input(0), Saved.extra("channel averages", c), Saved.extra("gate", c)]

    def torch_module(self, ins, out):
        from archstat.layers._torch_mix import Eca as Module

        return Module(self.args.kernel)

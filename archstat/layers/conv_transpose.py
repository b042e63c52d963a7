"""Transposed convolution (``deconv``; U-Net's up-convolution, FCN's learned upsampling).

Shape: ``H' = (H-1)*stride - 2*padding + d*(kh-1) + output_padding + 1`` (PyTorch's rule).
Params: ``weight = C * (out/groups) * kh * kw``; ``bias = out``.
MACs: every *input* element is scattered into a window of the output: ``C*H*W * (out/groups)*kh*kw``
(fvcore's convention for ``conv_transpose``).
FLOPs: ``2 * MACs`` plus one add per output element for the bias.
Receptive-field window: stride ``1/s``: an output position reads about ``span/s`` input positions.
"""

from __future__ import annotations

from fractions import Fraction

from archstat.core.arith import transposed_out
from archstat.errors import ShapeError, SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Bool, Int, Pair
from archstat.layers._windows import Window


@register
class ConvTranspose(Layer):
    kind = "deconv"
    aliases = ("conv_transpose", "convtranspose2d", "upconv")
    summary = "transposed convolution: kernel, stride, padding, output_padding, dilation, groups"
    fields = {
        "out": Int(doc="output channels"),
        "kernel": Pair(),
        "stride": Pair(1),
        "padding": Pair(0, min=0),
        "output_padding": Pair(0, min=0),
        "dilation": Pair(1),
        "groups": Int(1),
        "bias": Bool(True),
    }
    weight_layer = True
    flops_rule = "2 per MAC (one per input element per kernel tap), plus 1 per output element for the bias"
    accepts = ("spatial",)
    examples = (
        # U-Net up-convolution 2x2 stride 2: (28-1)*2 + (2-1) + 1 = 56; weight C x out x 2 x 2;
        # MACs: every input element times out*k*k (fvcore)
        Example("deconv-unet-2x2-s2", {"out": 512, "kernel": 2, "stride": 2}, [(1024, 28, 28)],
            (512, 56, 56), params=1024 * 512 * 2 * 2 + 512, macs=1024 * 28 * 28 * (512 * 2 * 2),
            flops=2 * 1024 * 28 * 28 * 512 * 4 + 512 * 56 * 56,
            tensors={"weight": 1024 * 512 * 4, "bias": 512}),
        # DCGAN 4x4 stride 2 padding 1 doubles: (7-1)*2 - 2*1 + (4-1) + 1 = 14
        Example("deconv-k4-s2-p1", {"out": 256, "kernel": 4, "stride": 2, "padding": 1, "bias": False},
            [(512, 7, 7)], (256, 14, 14), params=512 * 256 * 16, macs=512 * 7 * 7 * 256 * 16,
            flops=2 * 512 * 7 * 7 * 256 * 16),
        # output_padding 1: (8-1)*2 - 2*1 + (3-1) + 1 + 1 = 16
        Example("deconv-output-padding", {"out": 16, "kernel": 3, "stride": 2, "padding": 1,
            "output_padding": 1}, [(32, 8, 8)], (16, 16, 16),
            params=32 * 16 * 9 + 16, macs=32 * 8 * 8 * 16 * 9, flops=2 * 32 * 8 * 8 * 16 * 9 + 16 * 16 * 16),
        # groups 2 and stride 1: (5-1)*1 + (3-1) + 1 = 7; weight C x out/groups x k x k
        Example("deconv-groups2", {"out": 8, "kernel": 3, "groups": 2}, [(4, 5, 5)], (8, 7, 7),
            params=4 * (8 // 2) * 9 + 8, macs=4 * 5 * 5 * (8 // 2) * 9, flops=2 * 4 * 5 * 5 * 4 * 9 + 8 * 7 * 7),
        # dilation 2: (5-1)*1 + 2*(3-1) + 1 = 9
        Example("deconv-dilation2", {"out": 2, "kernel": 3, "dilation": 2, "bias": False}, [(1, 5, 5)],
            (2, 9, 9), params=1 * 2 * 9, macs=1 * 5 * 5 * 2 * 9, flops=2 * 5 * 5 * 2 * 9),
    )

    def check(self):
        for op, s, d in zip(self.args.output_padding, self.args.stride, self.args.dilation):
            if op >= max(s, d):
                raise SpecError(f"{self.kind}: output_padding {op} must be smaller than the stride or the "
                                f"dilation ({s}, {d})")

    def _geometry(self, shape):
        c, h, w = self.need_spatial(shape)
        if c % self.args.groups or self.args.out % self.args.groups:
            raise ShapeError(f"{self.kind}: groups {self.args.groups} must divide both the {c} input and the "
                             f"{self.args.out} output channels")
        return c, h, w

    def output_shape(self, ins):
        _, h, w = self._geometry(ins[0])
        dims = []
        for axis, n, k, s, p, op, d in zip("HW", (h, w), self.args.kernel, self.args.stride, self.args.padding,
                                           self.args.output_padding, self.args.dilation):
            o = transposed_out(n, k, s, p, op, d)
            if o < 1:
                raise ShapeError(f"{self.kind}: output {'height' if axis == 'H' else 'width'} would be {o}: "
                                 f"({n}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1")
            dims.append(o)
        return (self.args.out, dims[0], dims[1])

    def params(self, ins):
        c, _, _ = self._geometry(ins[0])
        kh, kw = self.args.kernel
        p = {"weight": c * (self.args.out // self.args.groups) * kh * kw}
        if self.args.bias:
            p["bias"] = self.args.out
        return p

    def macs(self, ins, out):
        c, h, w = self._geometry(ins[0])
        kh, kw = self.args.kernel
        return c * h * w * (self.args.out // self.args.groups) * kh * kw

    def flops(self, ins, out):
        return 2 * self.macs(ins, out) + (out[0] * out[1] * out[2] if self.args.bias else 0)

    def window(self, ins, out):
        strides, pads, exts = [], [], []
        for k, s, p, d in zip(self.args.kernel, self.args.stride, self.args.padding, self.args.dilation):
            span = d * (k - 1) + 1
            # output o gathers inputs i with i*s - p + t = o, 0 <= t < span: i from (o + p - span + 1)/s to (o + p)/s
            strides.append(Fraction(1, s))
            pads.append(Fraction(span - 1 - p, s))
            exts.append(Fraction(span - 1, s) + 1)
        return Window(tuple(strides), tuple(pads), tuple(exts))

    def derivation(self, ins, out):
        c, h, w = self._geometry(ins[0])
        g = self.args.groups
        cout = f"{self.args.out}/{g}" if g != 1 else f"{self.args.out}"
        lines = []
        for axis, n, k, s, p, op, d, o in zip("HW", (h, w), self.args.kernel, self.args.stride, self.args.padding,
                                              self.args.output_padding, self.args.dilation, out[1:]):
            lines.append(f"{axis}' = ({n}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1 = {o}")
        kh, kw = self.args.kernel
        return {
            "shape": lines,
            "params": f"{c}*{cout}*{kh}*{kw}" + (f" + {self.args.out}" if self.args.bias else ""),
            "macs": f"{c}*{h}*{w} * {cout}*{kh}*{kw}",
            "flops": f"2*{self.macs(ins, out)}" + (f" + {out[0]}*{out[1]}*{out[2]}" if self.args.bias else ""),
        }

    autocast = "half"  # CUDA autocast's lower-precision list
    saved_rule = "its input and its weight"

    def saved(self, ins, out, grad):
        return [Saved.of_input(0), Saved.of_param("weight")]

    def torch_module(self, ins, out):
        from torch import nn

        return nn.ConvTranspose2d(ins[0][0], self.args.out, self.args.kernel, stride=self.args.stride, padding=self.args.padding,
                                  output_padding=self.args.output_padding, groups=self.args.groups, bias=self.args.bias,
                                  dilation=self.args.dilation)

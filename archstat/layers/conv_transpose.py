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
from archstat.layers.base import Bool, Int, Layer, Pair, Window


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

    def check(self):
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= max(s, d):
                raise SpecError(f"{self.kind}: output_padding {op} must be smaller than the stride or the "
                                f"dilation ({s}, {d})")

    def _geometry(self, shape):
        c, h, w = self.need_spatial(shape)
        if c % self.groups or self.out % self.groups:
            raise ShapeError(f"{self.kind}: groups {self.groups} must divide both the {c} input and the "
                             f"{self.out} output channels")
        return c, h, w

    def output_shape(self, ins):
        c, h, w = self._geometry(ins[0])
        dims = []
        for axis, n, k, s, p, op, d in zip("HW", (h, w), self.kernel, self.stride, self.padding,
                                           self.output_padding, self.dilation):
            o = transposed_out(n, k, s, p, op, d)
            if o < 1:
                raise ShapeError(f"{self.kind}: output {'height' if axis == 'H' else 'width'} would be {o}: "
                                 f"({n}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1")
            dims.append(o)
        return (self.out, dims[0], dims[1])

    def params(self, ins):
        c, _, _ = self._geometry(ins[0])
        kh, kw = self.kernel
        p = {"weight": c * (self.out // self.groups) * kh * kw}
        if self.bias:
            p["bias"] = self.out
        return p

    def macs(self, ins, out):
        c, h, w = self._geometry(ins[0])
        kh, kw = self.kernel
        return c * h * w * (self.out // self.groups) * kh * kw

    def flops(self, ins, out):
        return 2 * self.macs(ins, out) + (out[0] * out[1] * out[2] if self.bias else 0)

    def window(self, ins, out):
        strides, pads, exts = [], [], []
        for k, s, p, d in zip(self.kernel, self.stride, self.padding, self.dilation):
            span = d * (k - 1) + 1
            # output o gathers inputs i with i*s - p + t = o, 0 <= t < span: i from (o + p - span + 1)/s to (o + p)/s
            strides.append(Fraction(1, s))
            pads.append(Fraction(span - 1 - p, s))
            exts.append(Fraction(span - 1, s) + 1)
        return Window(tuple(strides), tuple(pads), tuple(exts))

    def derivation(self, ins, out):
        c, h, w = self._geometry(ins[0])
        g = self.groups
        cout = f"{self.out}/{g}" if g != 1 else f"{self.out}"
        lines = []
        for axis, n, k, s, p, op, d, o in zip("HW", (h, w), self.kernel, self.stride, self.padding,
                                              self.output_padding, self.dilation, out[1:]):
            lines.append(f"{axis}' = ({n}-1)*{s} - 2*{p} + {d}*({k}-1) + {op} + 1 = {o}")
        kh, kw = self.kernel
        return {
            "shape": lines,
            "params": f"{c}*{cout}*{kh}*{kw}" + (f" + {self.out}" if self.bias else ""),
            "macs": f"{c}*{h}*{w} * {cout}*{kh}*{kw}",
            "flops": f"2*{self.macs(ins, out)}" + (f" + {out[0]}*{out[1]}*{out[2]}" if self.bias else ""),
        }

    def torch_module(self, ins, out):
        from torch import nn

        return nn.ConvTranspose2d(ins[0][0], self.out, self.kernel, stride=self.stride, padding=self.padding,
                                  output_padding=self.output_padding, groups=self.groups, bias=self.bias,
                                  dilation=self.dilation)

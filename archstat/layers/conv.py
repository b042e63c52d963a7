"""Convolution, with depthwise (``dwconv``) and pointwise (``pwconv``) shorthands.

Shape: ``H' = floor((H + pad_top + pad_bottom - (d*(kh-1)+1)) / stride) + 1``, likewise for W (PyTorch's rule).
Params: ``weight = out * (C/groups) * kh * kw``; ``bias = out``.
MACs: every output element is a dot product over its window: ``out*H'*W' * (C/groups)*kh*kw``.
FLOPs: ``2 * MACs`` (one multiply, one add per MAC) plus one add per output element for the bias.
Receptive-field window: stride ``s``, padding ``pad_top``/``pad_left``, extent ``d*(k-1)+1``.
"""

from __future__ import annotations

from typing import ClassVar

from archstat.core.arith import window_out
from archstat.errors import ShapeError, SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Bool, Int, Padding, Pair
from archstat.layers._windows import Window, unseen_notes, window_check, window_formula


@register
class Conv(Layer):
    kind = "conv"
    aliases = ("conv2d",)
    summary = "2-D convolution: square or [kh, kw] kernels, stride, padding (int, pair, same, valid), dilation, groups"
    fields = {
        "out": Int(doc="output channels"),
        "kernel": Pair(doc="kernel size"),
        "stride": Pair(1),
        "padding": Padding(0),
        "dilation": Pair(1),
        "groups": Int(1),
        "bias": Bool(True),
    }
    weight_layer = True
    flops_rule = "2 per MAC, plus 1 per output element for the bias add"
    accepts = ("spatial",)
    examples: ClassVar[tuple[Example, ...]] = (
        # AlexNet conv1: (227 - 11)/4 + 1 = 55
        Example("conv-alexnet-conv1", {"out": 96, "kernel": 11, "stride": 4}, [(3, 227, 227)], (96, 55, 55),
            params=(11 * 11 * 3 + 1) * 96, macs=55 * 55 * 96 * (11 * 11 * 3),
            flops=2 * (55 * 55 * 96 * 11 * 11 * 3) + 96 * 55 * 55,
            tensors={"weight": 96 * 3 * 11 * 11, "bias": 96}),
        # VGG 3x3 pad 1 keeps 224: (224 - 3 + 2)/1 + 1 = 224
        Example("conv-square-3x3-pad1", {"out": 64, "kernel": 3, "padding": 1}, [(3, 224, 224)], (64, 224, 224),
            params=(3 * 3 * 3 + 1) * 64, macs=224 * 224 * 64 * (3 * 3 * 3),
            flops=2 * 224 * 224 * 64 * 27 + 64 * 224 * 224),
        # Inception-v3 1x7 factorised conv, padding [0, 3]: H' = 17 - 1 + 1 = 17, W' = 17 + 6 - 7 + 1 = 17
        Example("conv-rect-1x7-pad-0-3", {"out": 192, "kernel": [1, 7], "padding": [0, 3]}, [(768, 17, 17)],
            (192, 17, 17), params=1 * 7 * 768 * 192 + 192, macs=17 * 17 * 192 * (1 * 7 * 768),
            flops=2 * 17 * 17 * 192 * 7 * 768 + 192 * 17 * 17),
        # the transposed factor 7x1, padding [3, 0], on a non-square map: H' = 9 + 6 - 7 + 1 = 9, W' = 12 - 1 + 1 = 12
        Example("conv-rect-7x1-pad-3-0", {"out": 8, "kernel": [7, 1], "padding": [3, 0]}, [(4, 9, 12)],
            (8, 9, 12), params=7 * 1 * 4 * 8 + 8, macs=9 * 12 * 8 * (7 * 4), flops=2 * 9 * 12 * 8 * 28 + 8 * 9 * 12),
        # ResNet stem, stride 2, no bias: floor((224 + 6 - 7)/2) + 1 = 111 + 1 = 112; FLOPs = 2*MACs only
        Example("conv-stride2-nobias", {"out": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False},
            [(3, 224, 224)], (64, 112, 112), params=7 * 7 * 3 * 64, macs=112 * 112 * 64 * (7 * 7 * 3),
            flops=2 * 112 * 112 * 64 * 147, tensors={"weight": 7 * 7 * 3 * 64}),
        # stride that does not fit: floor((8 - 3)/2) + 1 = 2 + 1 = 3
        Example("conv-stride2-floor", {"out": 2, "kernel": 3, "stride": 2}, [(1, 8, 8)], (2, 3, 3),
            params=9 * 2 + 2, macs=3 * 3 * 2 * 9, flops=2 * 3 * 3 * 2 * 9 + 2 * 3 * 3),
        # stride [2, 1]: H' = floor((10 - 3)/2) + 1 = 4, W' = 10 - 3 + 1 = 8
        Example("conv-stride-2x1", {"out": 3, "kernel": 3, "stride": [2, 1]}, [(2, 10, 10)], (3, 4, 8),
            params=9 * 2 * 3 + 3, macs=4 * 8 * 3 * 18, flops=2 * 4 * 8 * 3 * 18 + 3 * 4 * 8),
        # dilation 2 keeps the size with padding 2: span = 2*(3-1) + 1 = 5, (32 + 4 - 5)/1 + 1 = 32
        Example("conv-dilation2-pad2", {"out": 64, "kernel": 3, "padding": 2, "dilation": 2}, [(64, 32, 32)],
            (64, 32, 32), params=(3 * 3 * 64 + 1) * 64, macs=32 * 32 * 64 * (9 * 64),
            flops=2 * 32 * 32 * 64 * 576 + 64 * 32 * 32),
        # dilation 2, stride 2, no padding: floor((11 - 5)/2) + 1 = 4; params do not grow with dilation
        Example("conv-dilation2-stride2", {"out": 4, "kernel": 3, "dilation": 2, "stride": 2}, [(2, 11, 11)],
            (4, 4, 4), params=9 * 2 * 4 + 4, macs=4 * 4 * 4 * 18, flops=2 * 4 * 4 * 4 * 18 + 4 * 4 * 4),
        # groups 4: each filter sees 64/4 = 16 channels
        Example("conv-groups4", {"out": 128, "kernel": 3, "padding": 1, "groups": 4}, [(64, 56, 56)],
            (128, 56, 56), params=128 * (64 // 4) * 9 + 128, macs=56 * 56 * 128 * (64 // 4) * 9,
            flops=2 * 56 * 56 * 128 * 16 * 9 + 128 * 56 * 56,
            tensors={"weight": 128 * 16 * 9, "bias": 128}),
        # padding 'same' (stride 1), odd kernel: pads 1 and 1, size kept
        Example("conv-same-3x3", {"out": 32, "kernel": 3, "padding": "same"}, [(16, 28, 28)], (32, 28, 28),
            params=9 * 16 * 32 + 32, macs=28 * 28 * 32 * 9 * 16, flops=2 * 28 * 28 * 32 * 144 + 32 * 28 * 28),
        # padding 'same', even kernel 4: total 3 = 1 before + 2 after (PyTorch), size kept: 28 + 3 - 4 + 1 = 28
        Example("conv-same-even-kernel", {"out": 32, "kernel": 4, "padding": "same"}, [(16, 28, 28)],
            (32, 28, 28), params=16 * 16 * 32 + 32, macs=28 * 28 * 32 * 16 * 16,
            flops=2 * 28 * 28 * 32 * 256 + 32 * 28 * 28),
        # padding 'same' with dilation 3: total 3*(3-1) = 6, size kept
        Example("conv-same-dilated", {"out": 8, "kernel": 3, "padding": "same", "dilation": 3}, [(8, 20, 20)],
            (8, 20, 20), params=9 * 8 * 8 + 8, macs=20 * 20 * 8 * 72, flops=2 * 20 * 20 * 8 * 72 + 8 * 20 * 20),
        # TF-style asymmetric [t, b, l, r] = [0, 1, 0, 1], stride 2: floor((112 + 1 - 3)/2) + 1 = 55 + 1 = 56
        Example("conv-asym-pad-tf", {"out": 32, "kernel": 3, "stride": 2, "padding": [0, 1, 0, 1]},
            [(32, 112, 112)], (32, 56, 56), params=9 * 32 * 32 + 32, macs=56 * 56 * 32 * 288,
            flops=2 * 56 * 56 * 32 * 288 + 32 * 56 * 56),
        # asymmetric, all four different: H' = 10 + 1 + 2 - 3 + 1 = 11, W' = 12 + 0 + 3 - 3 + 1 = 13
        Example("conv-asym-pad-1-2-0-3", {"out": 5, "kernel": 3, "padding": [1, 2, 0, 3]}, [(8, 10, 12)],
            (5, 11, 13), params=9 * 8 * 5 + 5, macs=11 * 13 * 5 * 72, flops=2 * 11 * 13 * 5 * 72 + 5 * 11 * 13),
        # 'valid' is padding 0: 10 - 3 + 1 = 8
        Example("conv-valid", {"out": 1, "kernel": 3, "padding": "valid"}, [(1, 10, 10)], (1, 8, 8),
            params=9 + 1, macs=8 * 8 * 9, flops=2 * 8 * 8 * 9 + 8 * 8),
    )

    def check(self):
        if self.args.padding == "same" and self.args.stride != (1, 1):
            raise SpecError(f"{self.kind}: padding 'same' needs stride 1 (as in PyTorch), got stride "
                            f"{self.args.stride[0]}x{self.args.stride[1]}; give the padding as numbers")

    # Depthwise/pointwise subclasses override these two.
    def _groups(self, cin: int) -> int:
        return self.args.groups

    def _out(self, cin: int) -> int:
        return self.args.out

    def _pads(self):
        if self.args.padding == "same":
            pads = []
            for k, d in zip(self.args.kernel, self.args.dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))  # PyTorch puts the odd extra on the far side
            return tuple(pads)
        return self.args.padding

    def _geometry(self, shape):
        c, h, w = self.need_spatial(shape)
        g, out = self._groups(c), self._out(c)
        if c % g:
            raise ShapeError(f"{self.kind}: groups {g} does not divide the {c} input channels")
        if out % g:
            raise ShapeError(f"{self.kind}: groups {g} does not divide the {out} output channels")
        return c, h, w, g, out

    def output_shape(self, ins):
        _, h, w, _, out = self._geometry(ins[0])
        (pt, pb), (pl, pr) = self._pads()
        (kh, kw), (sh, sw), (dh, dw) = self.args.kernel, self.args.stride, self.args.dilation
        ho = window_out(h, kh, sh, pt, pb, dh)
        wo = window_out(w, kw, sw, pl, pr, dw)
        window_check(self.kind, "H", h, kh, sh, pt, pb, dh, ho)
        window_check(self.kind, "W", w, kw, sw, pl, pr, dw, wo)
        return (out, ho, wo)

    def params(self, ins):
        c, _, _, g, out = self._geometry(ins[0])
        kh, kw = self.args.kernel
        p = {"weight": out * (c // g) * kh * kw}
        if self.args.bias:
            p["bias"] = out
        return p

    def macs(self, ins, out):
        c, _, _, g, _ = self._geometry(ins[0])
        kh, kw = self.args.kernel
        return out[0] * out[1] * out[2] * (c // g) * kh * kw

    def flops(self, ins, out):
        return 2 * self.macs(ins, out) + (out[0] * out[1] * out[2] if self.args.bias else 0)

    def window(self, ins, out):
        (pt, _), (pl, _) = self._pads()
        ext = tuple(d * (k - 1) + 1 for k, d in zip(self.args.kernel, self.args.dilation))
        return Window(self.args.stride, (pt, pl), ext)

    def derivation(self, ins, out):
        c, h, w, g, o = self._geometry(ins[0])
        (pt, pb), (pl, pr) = self._pads()
        (kh, kw), (sh, sw), (dh, dw) = self.args.kernel, self.args.stride, self.args.dilation
        cin = f"{c}/{g}" if g != 1 else f"{c}"
        bias = " + 1" if self.args.bias else ""
        return {
            "shape": [f"H' = {window_formula(h, kh, sh, pt, pb, dh, out=out[1])}",
                      f"W' = {window_formula(w, kw, sw, pl, pr, dw, out=out[2])}",
                      f"C' = {o} filters" + (f" in {g} groups" if g != 1 else "")],
            "params": f"({kh}*{kw}*{cin}{bias}) * {o}",
            "macs": f"{out[1]}*{out[2]}*{o} * {kh}*{kw}*{cin}",
            "flops": f"2*{self.macs(ins, out)}" + (f" + {out[0]}*{out[1]}*{out[2]}" if self.args.bias else ""),
        }

    def notes(self, ins, out):
        return unseen_notes(ins[0], self.args.kernel, self.args.stride, self._pads(), self.args.dilation)

    autocast = "half"  # CUDA autocast's lower-precision list
    saved_rule = ("its input and its weight; with asymmetric padding (same with an even kernel, [t, b, l, r]) the "
                  "padded copy of its input instead (F.pad, then the convolution)")

    def saved(self, ins, out, grad):
        from archstat.layers._windows import torch_pad4

        c, h, w = ins[0]
        pads = self._pads()
        if torch_pad4(pads) is not None:
            (pt, pb), (pl, pr) = pads
            x = Saved.extra("padded input", c * (h + pt + pb) * (w + pl + pr))
        else:
            x = Saved.of_input(0)
        return [x, Saved.of_param("weight")]

    def torch_module(self, ins, out):
        from torch import nn

        from archstat.layers._torch import PaddedConv2d
        from archstat.layers._windows import torch_pad4

        c, _, _, g, o = self._geometry(ins[0])
        pads = self._pads()
        kw = dict(stride=self.args.stride, dilation=self.args.dilation, groups=g, bias=self.args.bias)
        pad4 = torch_pad4(pads)
        if pad4 is not None:
            return PaddedConv2d(c, o, self.args.kernel, pad4=pad4, **kw)
        return nn.Conv2d(c, o, self.args.kernel, padding=(pads[0][0], pads[1][0]), **kw)


@register
class DepthwiseConv(Conv):
    """``dwconv``: one filter group per input channel (groups = C, out = C * multiplier)."""

    kind = "dwconv"
    aliases = ("depthwise_conv",)
    summary = "depthwise convolution: conv with groups = input channels (out = C x multiplier)"
    fields = {k: v for k, v in Conv.fields.items() if k not in ("out", "groups")}
    fields["multiplier"] = Int(1, doc="output channels per input channel")
    examples = (
        # MobileNet depthwise 3x3: one 3x3 filter per channel
        Example("dwconv-3x3", {"kernel": 3, "padding": 1}, [(32, 112, 112)], (32, 112, 112),
            params=32 * 1 * 9 + 32, macs=112 * 112 * 32 * (1 * 9), flops=2 * 112 * 112 * 32 * 9 + 32 * 112 * 112),
        # multiplier 2, stride 2: out = 32*2 = 64 channels, each filter sees 1 channel; floor((112 + 2 - 3)/2) + 1 = 56
        Example("dwconv-multiplier2-stride2", {"kernel": 3, "stride": 2, "padding": 1, "multiplier": 2},
            [(32, 112, 112)], (64, 56, 56), params=64 * 1 * 9 + 64, macs=56 * 56 * 64 * 9,
            flops=2 * 56 * 56 * 64 * 9 + 64 * 56 * 56),
    )

    def _groups(self, cin):
        return cin

    def _out(self, cin):
        return cin * self.args.multiplier


@register
class PointwiseConv(Conv):
    """``pwconv``: a 1x1 convolution (mixes channels, no spatial extent)."""

    kind = "pwconv"
    aliases = ("pointwise_conv",)
    summary = "pointwise convolution: conv with a 1x1 kernel"
    fields = {k: v for k, v in Conv.fields.items() if k not in ("kernel", "padding", "dilation")}
    fixed = {"kernel": (1, 1), "padding": ((0, 0), (0, 0)), "dilation": (1, 1)}
    examples = (
        # 1x1 conv: params in*out + out, MACs H*W*out*in
        Example("pwconv", {"out": 64}, [(32, 56, 56)], (64, 56, 56), params=32 * 64 + 64,
            macs=56 * 56 * 64 * 32, flops=2 * 56 * 56 * 64 * 32 + 64 * 56 * 56),
        # 1x1 stride 2 without bias (ResNet downsample): floor((56 - 1)/2) + 1 = 28
        Example("pwconv-stride2-nobias", {"out": 128, "stride": 2, "bias": False}, [(64, 56, 56)],
            (128, 28, 28), params=64 * 128, macs=28 * 28 * 128 * 64, flops=2 * 28 * 28 * 128 * 64),
    )

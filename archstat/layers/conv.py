"""Convolution, with depthwise (``dwconv``) and pointwise (``pwconv``) shorthands.

Shape: ``H' = floor((H + pad_top + pad_bottom - (d*(kh-1)+1)) / stride) + 1``, likewise for W (PyTorch's rule).
Params: ``weight = out * (C/groups) * kh * kw``; ``bias = out``.
MACs: every output element is a dot product over its window: ``out*H'*W' * (C/groups)*kh*kw``.
FLOPs: ``2 * MACs`` (one multiply, one add per MAC) plus one add per output element for the bias.
Receptive-field window: stride ``s``, padding ``pad_top``/``pad_left``, extent ``d*(k-1)+1``.
"""

from __future__ import annotations

from archstat.core.arith import window_out
from archstat.errors import ShapeError, SpecError
from archstat.layers.base import Bool, Int, Layer, Padding, Pair, Window, unseen_notes, window_check, window_formula


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

    def check(self):
        if self.padding == "same" and self.stride != (1, 1):
            raise SpecError(f"{self.kind}: padding 'same' needs stride 1 (as in PyTorch), got stride "
                            f"{self.stride[0]}x{self.stride[1]}; give the padding as numbers")

    # Depthwise/pointwise subclasses override these two.
    def _groups(self, cin: int) -> int:
        return self.groups

    def _out(self, cin: int) -> int:
        return self.out

    def _pads(self):
        if self.padding == "same":
            pads = []
            for k, d in zip(self.kernel, self.dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))  # PyTorch puts the odd extra on the far side
            return tuple(pads)
        return self.padding

    def _geometry(self, shape):
        c, h, w = self.need_spatial(shape)
        g, out = self._groups(c), self._out(c)
        if c % g:
            raise ShapeError(f"{self.kind}: groups {g} does not divide the {c} input channels")
        if out % g:
            raise ShapeError(f"{self.kind}: groups {g} does not divide the {out} output channels")
        return c, h, w, g, out

    def output_shape(self, ins):
        c, h, w, g, out = self._geometry(ins[0])
        (pt, pb), (pl, pr) = self._pads()
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        ho = window_out(h, kh, sh, pt, pb, dh)
        wo = window_out(w, kw, sw, pl, pr, dw)
        window_check(self.kind, "H", h, kh, sh, pt, pb, dh, ho)
        window_check(self.kind, "W", w, kw, sw, pl, pr, dw, wo)
        return (out, ho, wo)

    def params(self, ins):
        c, _, _, g, out = self._geometry(ins[0])
        kh, kw = self.kernel
        p = {"weight": out * (c // g) * kh * kw}
        if self.bias:
            p["bias"] = out
        return p

    def macs(self, ins, out):
        c, _, _, g, _ = self._geometry(ins[0])
        kh, kw = self.kernel
        return out[0] * out[1] * out[2] * (c // g) * kh * kw

    def flops(self, ins, out):
        return 2 * self.macs(ins, out) + (out[0] * out[1] * out[2] if self.bias else 0)

    def window(self, ins, out):
        (pt, _), (pl, _) = self._pads()
        ext = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))
        return Window(self.stride, (pt, pl), ext)

    def derivation(self, ins, out):
        c, h, w, g, o = self._geometry(ins[0])
        (pt, pb), (pl, pr) = self._pads()
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        cin = f"{c}/{g}" if g != 1 else f"{c}"
        bias = " + 1" if self.bias else ""
        return {
            "shape": [f"H' = {window_formula(h, kh, sh, pt, pb, dh, out=out[1])}",
                      f"W' = {window_formula(w, kw, sw, pl, pr, dw, out=out[2])}",
                      f"C' = {o} filters" + (f" in {g} groups" if g != 1 else "")],
            "params": f"({kh}*{kw}*{cin}{bias}) * {o}",
            "macs": f"{out[1]}*{out[2]}*{o} * {kh}*{kw}*{cin}",
            "flops": f"2*{self.macs(ins, out)}" + (f" + {out[0]}*{out[1]}*{out[2]}" if self.bias else ""),
        }

    def notes(self, ins, out):
        return unseen_notes(ins[0], self.kernel, self.stride, self._pads(), self.dilation)

    def torch_module(self, ins, out):
        from torch import nn

        from archstat.backend.ops import PaddedConv2d
        from archstat.layers.base import torch_pad4

        c, _, _, g, o = self._geometry(ins[0])
        pads = self._pads()
        kw = dict(stride=self.stride, dilation=self.dilation, groups=g, bias=self.bias)
        pad4 = torch_pad4(pads)
        if pad4 is not None:
            return PaddedConv2d(c, o, self.kernel, pad4=pad4, **kw)
        return nn.Conv2d(c, o, self.kernel, padding=(pads[0][0], pads[1][0]), **kw)


class DepthwiseConv(Conv):
    """``dwconv``: one filter group per input channel (groups = C, out = C * multiplier)."""

    kind = "dwconv"
    aliases = ("depthwise_conv",)
    summary = "depthwise convolution: conv with groups = input channels (out = C x multiplier)"
    fields = {k: v for k, v in Conv.fields.items() if k not in ("out", "groups")}
    fields["multiplier"] = Int(1, doc="output channels per input channel")

    def _groups(self, cin):
        return cin

    def _out(self, cin):
        return cin * self.multiplier


class PointwiseConv(Conv):
    """``pwconv``: a 1x1 convolution (mixes channels, no spatial extent)."""

    kind = "pwconv"
    aliases = ("pointwise_conv",)
    summary = "pointwise convolution: conv with a 1x1 kernel"
    fields = {k: v for k, v in Conv.fields.items() if k not in ("kernel", "padding", "dilation")}
    kernel = (1, 1)
    padding = ((0, 0), (0, 0))
    dilation = (1, 1)

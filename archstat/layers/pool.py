"""Max and average pooling over a sliding window.

Shape: as convolution, ``H' = floor((H + 2p - (d*(k-1)+1)) / s) + 1``; with ``ceil_mode`` the division rounds up
and a last window that would start in the right padding is dropped (PyTorch's rule; GoogLeNet needs it). The
stride defaults to the kernel. Channels are unchanged. No parameters, no MACs.
FLOPs: max pooling ``kh*kw - 1`` comparisons per output element; average pooling ``kh*kw - 1`` adds and one
divide, ``kh*kw`` per output element.
"""

from __future__ import annotations

from archstat.core.arith import window_out
from archstat.errors import SpecError
from archstat.layers.base import Bool, Layer, Padding, Pair, Window, unseen_notes, window_check, window_formula


class _Pool(Layer):
    min_inputs = max_inputs = 1
    fields = {
        "kernel": Pair(),
        "stride": Pair(None),
        "padding": Padding(0),
        "ceil_mode": Bool(False),
    }

    def check(self):
        if self.padding == "same":
            raise SpecError(f"{self.kind}: padding 'same' is not supported for pooling; give numbers")
        if self.stride is None:
            self.stride = self.kernel
        dil = getattr(self, "dilation", (1, 1))
        for (lo, hi), k, d in zip(self.padding, self.kernel, dil):
            if max(lo, hi) * 2 > d * (k - 1) + 1:
                raise SpecError(f"{self.kind}: padding {max(lo, hi)} is more than half the window "
                                f"{d * (k - 1) + 1} (PyTorch refuses this)")

    @property
    def _dil(self):
        return getattr(self, "dilation", (1, 1))

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        dims = []
        for axis, n, k, s, (lo, hi), d in zip("HW", (h, w), self.kernel, self.stride, self.padding, self._dil):
            o = window_out(n, k, s, lo, hi, d, self.ceil_mode)
            window_check(self.kind, axis, n, k, s, lo, hi, d, o)
            dims.append(o)
        return (c, dims[0], dims[1])

    def window(self, ins, out):
        ext = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self._dil))
        return Window(self.stride, (self.padding[0][0], self.padding[1][0]), ext)

    def _per_output(self) -> int:
        raise NotImplementedError

    def flops(self, ins, out):
        return out[0] * out[1] * out[2] * self._per_output()

    def derivation(self, ins, out):
        _, h, w = ins[0]
        lines = []
        for axis, n, k, s, (lo, hi), d, o in zip("HW", (h, w), self.kernel, self.stride, self.padding,
                                                 self._dil, out[1:]):
            lines.append(f"{axis}' = {window_formula(n, k, s, lo, hi, d, self.ceil_mode, out=o)}")
        kh, kw = self.kernel
        return {"shape": lines + [f"C' = C = {out[0]}"], "params": "0", "macs": "0",
                "flops": f"{out[0]}*{out[1]}*{out[2]} * {self._flops_text(kh, kw)}"}

    def notes(self, ins, out):
        if self.ceil_mode:
            return []
        return unseen_notes(ins[0], self.kernel, self.stride, self.padding, self._dil)


class MaxPool(_Pool):
    kind = "maxpool"
    aliases = ("max_pool", "maxpool2d")
    summary = "max pooling: kernel, stride (default kernel), padding, dilation, ceil_mode"
    fields = {**_Pool.fields, "dilation": Pair(1)}
    flops_rule = "kh*kw - 1 comparisons per output element"

    def _per_output(self):
        return self.kernel[0] * self.kernel[1] - 1

    def _flops_text(self, kh, kw):
        return f"({kh}*{kw} - 1)"

    def torch_module(self, ins, out):
        from torch import nn

        from archstat.backend.ops import PaddedMaxPool2d
        from archstat.layers.base import torch_pad4

        kw = dict(stride=self.stride, dilation=self.dilation, ceil_mode=self.ceil_mode)
        pad4 = torch_pad4(self.padding)
        if pad4 is not None:
            return PaddedMaxPool2d(self.kernel, pad4=pad4, **kw)
        return nn.MaxPool2d(self.kernel, padding=(self.padding[0][0], self.padding[1][0]), **kw)


class AvgPool(_Pool):
    kind = "avgpool"
    aliases = ("avg_pool", "avgpool2d")
    summary = "average pooling: kernel, stride (default kernel), padding, ceil_mode, count_include_pad"
    fields = {**_Pool.fields, "count_include_pad": Bool(True)}
    flops_rule = "kh*kw - 1 adds and 1 divide = kh*kw per output element"

    def _per_output(self):
        return self.kernel[0] * self.kernel[1]

    def _flops_text(self, kh, kw):
        return f"{kh}*{kw}"

    def torch_module(self, ins, out):
        from torch import nn

        from archstat.backend.ops import PaddedAvgPool2d
        from archstat.layers.base import torch_pad4

        kw = dict(stride=self.stride, ceil_mode=self.ceil_mode)
        pad4 = torch_pad4(self.padding)
        if pad4 is not None:
            return PaddedAvgPool2d(self.kernel, pad4=pad4, count_include_pad=self.count_include_pad, **kw)
        return nn.AvgPool2d(self.kernel, padding=(self.padding[0][0], self.padding[1][0]),
                            count_include_pad=self.count_include_pad, **kw)

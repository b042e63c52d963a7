"""Max and average pooling over a sliding window.

Shape: as convolution, ``H' = floor((H + 2p - (d*(k-1)+1)) / s) + 1``; with ``ceil_mode`` the division rounds up
and a last window that would start in the right padding is dropped (PyTorch's rule; GoogLeNet needs it). The
stride defaults to the kernel. Channels are unchanged. No parameters, no MACs.
FLOPs: max pooling ``kh*kw - 1`` comparisons per output element; average pooling ``kh*kw - 1`` adds and one
divide, ``kh*kw`` per output element.
Receptive field: one window that covers the whole (padded) input, with a 1 x 1 output (Caffe's 7x7 ``pool5`` on a
7x7 map), is global pooling: the field is the whole input, as adaptive and global pooling's is.
"""

from __future__ import annotations

from archstat.core.arith import window_out
from archstat.errors import SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Bool, Padding, Pair
from archstat.layers._windows import GLOBAL, Window, unseen_notes, window_check, window_formula


class _Pool(Layer):
    min_inputs = max_inputs = 1
    fields = {
        "kernel": Pair(),
        "stride": Pair(None),
        "padding": Padding(0),
        "ceil_mode": Bool(False),
    }
    fixed = {"dilation": (1, 1)}  # average pooling has no dilation; max pooling's is an argument
    accepts = ("spatial",)

    @classmethod
    def complete(cls, values):
        if values["stride"] is None:  # the stride defaults to the kernel
            values["stride"] = values["kernel"]
        return values

    def check(self):
        if self.args.padding == "same":
            raise SpecError(f"{self.kind}: padding 'same' is not supported for pooling; give numbers")
        for (lo, hi), k, d in zip(self.args.padding, self.args.kernel, self.args.dilation):
            if max(lo, hi) * 2 > k:  # PyTorch: pad <= kernel_size / 2, the kernel undilated
                what = f"the window {k}" if d == 1 else f"the kernel {k} (whatever the dilation)"
                raise SpecError(f"{self.kind}: padding {max(lo, hi)} is more than half {what} (PyTorch refuses this)")

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        dims = []
        a = self.args
        for axis, n, k, s, (lo, hi), d in zip("HW", (h, w), a.kernel, a.stride, a.padding, a.dilation):
            o = window_out(n, k, s, lo, hi, d, a.ceil_mode)
            window_check(self.kind, axis, n, k, s, lo, hi, d, o)
            dims.append(o)
        return (c, dims[0], dims[1])

    def window(self, ins, out):
        ext = tuple(d * (k - 1) + 1 for k, d in zip(self.args.kernel, self.args.dilation))
        (pt, pb), (pl, pr) = self.args.padding
        _, h, w = ins[0]
        if out[1] == 1 and out[2] == 1 and ext[0] >= h + pt + pb and ext[1] >= w + pl + pr:
            return GLOBAL  # one window over the whole (padded) input, Caffe's 7x7 pool5 on 7x7: global pooling
        return Window(self.args.stride, (pt, pl), ext)

    def _per_output(self) -> int:
        raise NotImplementedError

    def flops(self, ins, out):
        return out[0] * out[1] * out[2] * self._per_output()

    def derivation(self, ins, out):
        _, h, w = ins[0]
        lines = []
        for axis, n, k, s, (lo, hi), d, o in zip("HW", (h, w), self.args.kernel, self.args.stride, self.args.padding,
                                                 self.args.dilation, out[1:]):
            lines.append(f"{axis}' = {window_formula(n, k, s, lo, hi, d, self.args.ceil_mode, out=o)}")
        kh, kw = self.args.kernel
        return {"shape": lines + [f"C' = C = {out[0]}"], "params": "0", "macs": "0",
                "flops": f"{out[0]}*{out[1]}*{out[2]} * {self._flops_text(kh, kw)}"}

    def _saved_input(self, ins) -> Saved:
        """The input, or with asymmetric padding the padded copy torch pools (F.pad, then the pooling)."""
        from archstat.layers._windows import torch_pad4

        if torch_pad4(self.args.padding) is None:
            return Saved.of_input(0)
        c, h, w = ins[0]
        (pt, pb), (pl, pr) = self.args.padding
        return Saved.extra("padded input", c * (h + pt + pb) * (w + pl + pr))

    def notes(self, ins, out):
        if self.args.ceil_mode:
            return []
        return unseen_notes(ins[0], self.args.kernel, self.args.stride, self.args.padding, self.args.dilation)


@register
class MaxPool(_Pool):
    kind = "maxpool"
    aliases = ("max_pool", "maxpool2d")
    summary = "max pooling: kernel, stride (default kernel), padding, dilation, ceil_mode"
    fields = {**_Pool.fields, "dilation": Pair(1)}
    flops_rule = "kh*kw - 1 comparisons per output element"
    examples = (
        # AlexNet overlapping pool: floor((55 - 3)/2) + 1 = 27; 3*3 - 1 = 8 comparisons per output
        Example("maxpool-alexnet", {"kernel": 3, "stride": 2}, [(96, 55, 55)], (96, 27, 27),
            params=0, macs=0, flops=96 * 27 * 27 * (3 * 3 - 1)),
        # stride defaults to the kernel: 224/2 = 112
        Example("maxpool-default-stride", {"kernel": 2}, [(64, 224, 224)], (64, 112, 112),
            params=0, macs=0, flops=64 * 112 * 112 * (2 * 2 - 1)),
        # ResNet pool with padding 1: floor((112 + 2 - 3)/2) + 1 = 55 + 1 = 56
        Example("maxpool-resnet-pad1", {"kernel": 3, "stride": 2, "padding": 1}, [(64, 112, 112)],
            (64, 56, 56), params=0, macs=0, flops=64 * 56 * 56 * 8),
        # floor mode 112 -> floor(109/2) + 1 = 55 ...
        Example("maxpool-112-floor", {"kernel": 3, "stride": 2}, [(64, 112, 112)], (64, 55, 55),
            params=0, macs=0, flops=64 * 55 * 55 * 8),
        # ... ceil mode (GoogLeNet): ceil(109/2) + 1 = 56; last window starts at 55*2 = 110 < 112: kept (PyTorch: 56)
        Example("maxpool-112-ceil", {"kernel": 3, "stride": 2, "ceil_mode": True}, [(64, 112, 112)],
            (64, 56, 56), params=0, macs=0, flops=64 * 56 * 56 * 8),
        # 7x7, kernel 3 stride 3, floor: floor(4/3) + 1 = 2 (the last row is never seen)
        Example("maxpool-7-k3s3-floor", {"kernel": 3, "stride": 3}, [(8, 7, 7)], (8, 2, 2),
            params=0, macs=0, flops=8 * 2 * 2 * 8),
        # ... ceil mode: ceil(4/3) + 1 = 3; last window starts at 2*3 = 6 < 7: kept (PyTorch: 3)
        Example("maxpool-7-k3s3-ceil", {"kernel": 3, "stride": 3, "ceil_mode": True}, [(8, 7, 7)],
            (8, 3, 3), params=0, macs=0, flops=8 * 3 * 3 * 8),
        # ceil mode where PyTorch drops the last window: ceil((5 + 2 - 2)/2) + 1 = 4, but (4-1)*2 = 6 >= 5 + 1,
        # so 3 (the same as floor((5 + 2 - 2)/2) + 1 = 3)
        Example("maxpool-ceil-drops-window", {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True},
            [(8, 5, 5)], (8, 3, 3), params=0, macs=0, flops=8 * 3 * 3 * (2 * 2 - 1)),
        # dilation 2: span 5, 9 - 5 + 1 = 5
        Example("maxpool-dilation2", {"kernel": 3, "stride": 1, "dilation": 2}, [(4, 9, 9)], (4, 5, 5),
            params=0, macs=0, flops=4 * 5 * 5 * 8),
    )

    def _per_output(self):
        return self.args.kernel[0] * self.args.kernel[1] - 1

    def _flops_text(self, kh, kw):
        return f"({kh}*{kw} - 1)"

    saved_rule = ("its input (with asymmetric padding the padded copy) and the int64 index of each output's maximum")

    def saved(self, ins, out, grad):
        return [self._saved_input(ins), Saved.extra("indices", out[0] * out[1] * out[2], "int64")]

    def torch_module(self, ins, out):
        from torch import nn

        from archstat.layers._torch import PaddedMaxPool2d
        from archstat.layers._windows import torch_pad4

        kw = dict(stride=self.args.stride, dilation=self.args.dilation, ceil_mode=self.args.ceil_mode)
        pad4 = torch_pad4(self.args.padding)
        if pad4 is not None:
            return PaddedMaxPool2d(self.args.kernel, pad4=pad4, **kw)
        return nn.MaxPool2d(self.args.kernel, padding=(self.args.padding[0][0], self.args.padding[1][0]), **kw)


@register
class AvgPool(_Pool):
    kind = "avgpool"
    aliases = ("avg_pool", "avgpool2d")
    summary = "average pooling: kernel, stride (default kernel), padding, ceil_mode, count_include_pad"
    fields = {**_Pool.fields, "count_include_pad": Bool(True)}
    flops_rule = "kh*kw - 1 adds and 1 divide = kh*kw per output element"
    examples = (
        # 2x2 stride 2: kh*kw = 4 FLOPs per output (3 adds, 1 divide)
        Example("avgpool-2x2", {"kernel": 2, "stride": 2}, [(64, 8, 8)], (64, 4, 4),
            params=0, macs=0, flops=64 * 4 * 4 * (2 * 2)),
        # Inception branch pool 3x3 stride 1 pad 1: 35 + 2 - 3 + 1 = 35
        Example("avgpool-3x3-s1-p1", {"kernel": 3, "stride": 1, "padding": 1}, [(192, 35, 35)],
            (192, 35, 35), params=0, macs=0, flops=192 * 35 * 35 * 9),
        # ceil mode: ceil((14 - 3)/2) + 1 = 6 + 1 = 7 (floor would give 6); last start 12 < 14: kept
        Example("avgpool-ceil", {"kernel": 3, "stride": 2, "ceil_mode": True}, [(8, 14, 14)], (8, 7, 7),
            params=0, macs=0, flops=8 * 7 * 7 * 9),
    )

    def _per_output(self):
        return self.args.kernel[0] * self.args.kernel[1]

    def _flops_text(self, kh, kw):
        return f"{kh}*{kw}"

    saved_rule = ("its input (with asymmetric padding the padded copy; without count_include_pad also the H' x W' "
                  "divisor, once for the batch)")

    def saved(self, ins, out, grad):
        from archstat.layers._windows import torch_pad4

        s = [self._saved_input(ins)]
        if torch_pad4(self.args.padding) is not None and not self.args.count_include_pad:
            s.append(Saved.extra("divisor", out[1] * out[2], batched=False))
        return s

    def torch_module(self, ins, out):
        from torch import nn

        from archstat.layers._torch import PaddedAvgPool2d
        from archstat.layers._windows import torch_pad4

        kw = dict(stride=self.args.stride, ceil_mode=self.args.ceil_mode)
        pad4 = torch_pad4(self.args.padding)
        if pad4 is not None:
            return PaddedAvgPool2d(self.args.kernel, pad4=pad4, count_include_pad=self.args.count_include_pad, **kw)
        return nn.AvgPool2d(self.args.kernel, padding=(self.args.padding[0][0], self.args.padding[1][0]),
                            count_include_pad=self.args.count_include_pad, **kw)

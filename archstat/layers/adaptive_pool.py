"""Adaptive and global average pooling: the output size is given, the windows follow from it.

Window ``i`` of ``n`` outputs over ``N`` inputs spans ``floor(i*N/n)`` to ``ceil((i+1)*N/n)`` (PyTorch's rule), so
windows may overlap or differ in size when ``n`` does not divide ``N``. No parameters, no MACs.
FLOPs: each output element adds up its window and divides once, so FLOPs = ``C * (sum of window heights) *
(sum of window widths)``; for global pooling that is ``C*H*W``.
Receptive field: global pooling (output 1x1) sees the whole input; otherwise the window is ``N/n`` with stride
``N/n`` when ``n`` divides ``N``, and the largest window with stride ``N/n`` (a fraction) when it does not.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

from archstat.core.notes import UNEVEN_ADAPTIVE, Note
from archstat.layers.base import GLOBAL, Layer, Size, Window


# Window i has length ceil((i+1)N/n) - floor(iN/n) = ceil((N + r)/n), r = iN mod n, and r runs over the multiples
# of g = gcd(N, n) below n: closed forms, so an output size of 2**31 costs no loop of 2**31 steps. A symbolic input
# size (archstat.core.symbolic) has no gcd: there the given output size is counted through, window by window.
def _window_sum(n_in: int, n_out: int) -> int:
    """Total length of the adaptive windows along one axis: N + n - gcd(N, n)."""
    if isinstance(n_in, int) and isinstance(n_out, int):
        return n_in + n_out - gcd(n_in, n_out)
    return sum(-(-(i + 1) * n_in // n_out) - (i * n_in // n_out) for i in range(n_out))


def _max_window(n_in: int, n_out: int) -> int:
    """The longest window: ceil((N + n - gcd(N, n)) / n)."""
    if isinstance(n_in, int) and isinstance(n_out, int):
        return -(-(n_in + n_out - gcd(n_in, n_out)) // n_out)
    return max(-(-(i + 1) * n_in // n_out) - (i * n_in // n_out) for i in range(n_out))


class AdaptiveAvgPool(Layer):
    kind = "adaptive_avgpool"
    aliases = ("adaptive_avg_pool", "adaptiveavgpool2d")
    summary = "adaptive average pooling to a given output size [h, w] (torchvision's AlexNet and VGG use 6x6/7x7)"
    fields = {"size": Size(doc="output size")}
    shorthand = "size"
    flops_rule = "one add per input element in each window, one divide per output: C * sum(win_h) * sum(win_w)"

    def _size(self, ins):
        return self.size

    def output_shape(self, ins):
        c, _, _ = self.need_spatial(ins[0])
        return (c, *self._size(ins))

    def flops(self, ins, out):
        c, h, w = ins[0]
        return c * _window_sum(h, out[1]) * _window_sum(w, out[2])

    def window(self, ins, out):
        _, h, w = ins[0]
        if out[1] == 1 and out[2] == 1:
            return GLOBAL
        strides = (Fraction(h, out[1]), Fraction(w, out[2]))
        return Window(strides, (0, 0), (_max_window(h, out[1]), _max_window(w, out[2])))

    def derivation(self, ins, out):
        c, h, w = ins[0]
        sh, sw = _window_sum(h, out[1]), _window_sum(w, out[2])
        return {"shape": [f"H' x W' = {out[1]} x {out[2]} (given); C' = C = {c}"],
                "params": "0", "macs": "0", "flops": f"{c} * {sh} * {sw}"}

    def notes(self, ins, out):
        _, h, w = ins[0]
        uneven = [f"{a} {n} -> {o}" for a, n, o in (("H", h, out[1]), ("W", w, out[2])) if n % o]
        return [Note(UNEVEN_ADAPTIVE, f"{', '.join(uneven)}: the output does not divide the input, so windows overlap or differ in size")] \
            if uneven else []

    def torch_module(self, ins, out):
        from torch import nn

        return nn.AdaptiveAvgPool2d(tuple(out[1:]))


class GlobalAvgPool(AdaptiveAvgPool):
    kind = "global_avgpool"
    aliases = ("gap", "global_avg_pool")
    summary = "global average pooling: C x H x W -> C x 1 x 1"
    fields = {}
    shorthand = None

    def _size(self, ins):
        return (1, 1)

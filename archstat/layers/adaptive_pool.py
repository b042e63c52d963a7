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
from typing import ClassVar

from archstat.core.notes import UNEVEN_ADAPTIVE, Note
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Size
from archstat.layers._windows import GLOBAL, Window


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


@register
class AdaptiveAvgPool(Layer):
    kind = "adaptive_avgpool"
    aliases = ("adaptive_avg_pool", "adaptiveavgpool2d")
    summary = "adaptive average pooling to a given output size [h, w] (torchvision's AlexNet and VGG use 6x6/7x7)"
    fields = {"size": Size(doc="output size")}
    shorthand: ClassVar[str | None] = "size"
    flops_rule = "one add per input element in each window, one divide per output: C * sum(win_h) * sum(win_w)"
    accepts = ("spatial",)
    examples: ClassVar[tuple[Example, ...]] = (
        # 6x6 -> 6x6: windows of 1, sums 6 and 6
        Example("adaptive-identity-6", {"size": 6}, [(256, 6, 6)], (256, 6, 6),
            params=0, macs=0, flops=256 * 6 * 6),
        # 14 -> 7: windows of 2, sum 14 per axis
        Example("adaptive-14-to-7", {"size": 7}, [(512, 14, 14)], (512, 7, 7),
            params=0, macs=0, flops=512 * 14 * 14),
        # 13 -> 6 (AlexNet at 227 without the last pool's fit): windows [0,3) [2,5) [4,7) [6,9) [8,11) [10,13),
        # each 3 long: sum 6*3 = 18 per axis
        Example("adaptive-13-to-6", {"size": 6}, [(256, 13, 13)], (256, 6, 6),
            params=0, macs=0, flops=256 * (6 * 3) * (6 * 3)),
        # [2, 3] from 5x7: H windows [0,3) [2,5) -> 6; W windows [0,3) [2,5) [4,7) -> 9
        Example("adaptive-rect-5x7-to-2x3", {"size": [2, 3]}, [(8, 5, 7)], (8, 2, 3),
            params=0, macs=0, flops=8 * (3 + 3) * (3 + 3 + 3)),
        # upsampling 3 -> 4: windows [0,1) [0,2) [1,3) [2,3) -> 1 + 2 + 2 + 1 = 6 per axis
        Example("adaptive-3-to-4", {"size": 4}, [(2, 3, 3)], (2, 4, 4),
            params=0, macs=0, flops=2 * (1 + 2 + 2 + 1) * (1 + 2 + 2 + 1)),
        # 10 -> 3: [0,4) [3,7) [6,10) -> 12 (windows overlap); cross-checked by the independent helper
        Example("adaptive-10-to-3", {"size": 3}, [(1, 10, 10)], (1, 3, 3),
            params=0, macs=0, flops=1 * (4 + 4 + 4) * (4 + 4 + 4)),
    )

    def _size(self, ins):
        return self.args.size

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

    saved_rule = ("its input; nothing when the output is 1 x 1 (torch takes the mean, whose backward needs only the "
                  "sizes): global average pooling saves nothing")

    def saved(self, ins, out, grad):
        return [] if tuple(out[1:]) == (1, 1) else [Saved.of_input(0)]

    def torch_module(self, ins, out):
        from torch import nn

        return nn.AdaptiveAvgPool2d(tuple(out[1:]))


@register
class GlobalAvgPool(AdaptiveAvgPool):
    kind = "global_avgpool"
    aliases = ("gap", "global_avg_pool")
    summary = "global average pooling: C x H x W -> C x 1 x 1"
    fields = {}
    shorthand = None
    examples = (
        # ResNet head: one add per input element, the divides are within the window count: C*H*W
        Example("global-avgpool", {}, [(2048, 7, 7)], (2048, 1, 1), params=0, macs=0,
            flops=2048 * 7 * 7),
    )

    def _size(self, ins):
        return (1, 1)

"""MaxViT's partition of a C x H x W map into groups of s x s positions, read as a token sequence (torchvision's
``WindowPartition``, with ``SwapAxes(-2, -3)`` after it for the grid; ``departition`` is the inverse).

Two ways to group the H*W positions into (H/s)*(W/s) groups of s*s = g tokens, each group consecutive in the
output, so that ``relative_attention`` attends within each run of g tokens:

- ``window``: the (H/s)*(W/s) non-overlapping s x s windows, each in row-major order (block attention); token
  ``((a*(W/s) + b)*s + i)*s + j`` is position (a*s + i, b*s + j);
- ``grid``: an s x s grid laid over the whole map, its points H/s rows and W/s columns apart (grid attention);
  group (a, b) holds the positions (i*(H/s) + a, j*(W/s) + b), i, j < s: token ``((a*(W/s) + b)*s + i)*s + j``.

torchvision keeps the groups as an axis (``B x G x g x C``: ``WindowPartition`` with p = s for the window,
p = H/s then the axis swap for the grid); here they are one sequence of G*g tokens, the same elements in the same
order. At a square map the grid is torchvision's; torchvision's grid takes p = H/s on both axes, so it runs on
square maps only, where this kind takes W/s across. H and W must be multiples of s (torchvision asserts the same:
"Undefined behavior if H or W are not divisible by p").

Output (H*W, C). No parameters, no arithmetic: a permutation copy (a reshape of a permuted tensor, new memory, as
torchvision's). Receptive field: each token keeps its position's field.
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Choice, Int
from archstat.layers._text import fmt_shape
from archstat.layers._windows import IDENTITY

MODES = ("window", "grid")


def check_divides(kind: str, h, w, s: int) -> None:
    """H and W must be multiples of the partition size s (shared with ``departition``)."""
    if h % s or w % s:
        raise ShapeError(f"{kind}: the {h}x{w} map does not divide into {s}x{s} partitions ({h} % {s} = {h % s}, "
                         f"{w} % {s} = {w % s}): every size must be a multiple of the partition size",
                         code="indivisible")  # sweep: a size the network does not divide, not one too small


def groups_text(mode: str, h, w, s: int) -> str:
    """How the positions are grouped, in words, values substituted."""
    g = (h // s) * (w // s)
    if mode == "window":
        return f"{h // s}*{w // s} = {g} windows of {s}*{s} = {s * s} neighbouring positions"
    return (f"{h // s}*{w // s} = {g} groups of {s}*{s} = {s * s} positions on a {s}x{s} grid "
            f"{h // s} rows and {w // s} columns apart")


@register
class Partition(Layer):
    kind = "partition"
    aliases = ("window_partition",)
    summary = ("MaxViT's partition: C x H x W -> (H*W) x C tokens in groups of s*s, by s x s windows or on an "
               "s x s grid (a copy)")
    fields = {"size": Int(doc="s: the window's side, or the grid's"),
              "mode": Choice(MODES, "window", doc="window (block attention) or grid (grid attention)")}
    accepts = ("spatial",)
    flops_rule = "0 (a permutation copy)"
    examples = (
        # maxvit_t blocks.0.layers.0.layers.window_attention: the 64 x 56 x 56 map, 8*8 windows of 7*7:
        # 56*56 = 3136 tokens of 64 features
        Example("partition-window-maxvit", {"size": 7}, [(64, 56, 56)], (56 * 56, 64), params=0, macs=0, flops=0),
        # ... grid_attention: the same tokens, grouped on a 7 x 7 grid 56/7 = 8 apart
        Example("partition-grid-maxvit", {"size": 7, "mode": "grid"}, [(64, 56, 56)], (56 * 56, 64), params=0,
                macs=0, flops=0),
        # a rectangular map, 2 x 3 windows of 2 x 2: 4*6 = 24 tokens
        Example("partition-rect", {"size": 2}, [(3, 4, 6)], (4 * 6, 3), params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        c, h, w = self.need_spatial(ins[0])
        check_divides(self.kind, h, w, self.args.size)
        return (h * w, c)

    def window(self, ins, out):
        return IDENTITY  # each token is one position of the map, with that position's field

    def derivation(self, ins, out):
        c, h, w = ins[0]
        s, mode = self.args.size, self.args.mode
        return {"shape": [f"{fmt_shape(out)}: the {h}*{w} = {out[0]} positions of {c} channels as "
                          f"{groups_text(mode, h, w, s)}, each group consecutive ({mode} partition; a copy)"],
                "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: a permutation copy; the gradient is permuted back"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_maxvit import Partition as Module

        return Module(self.args.size, self.args.mode)

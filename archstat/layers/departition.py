"""The inverse of ``partition``: MaxViT's groups of s x s tokens put back in place as a C x H x W map
(torchvision's ``SwapAxes(-2, -3)`` for the grid, then ``WindowDepartition``).

Two inputs: the (H*W) x C tokens, and the map they were partitioned from, which only gives H and W (its values are
not read, and add nothing to the receptive field: ``data_inputs``), so the layer follows the input size wherever the
spec runs (``--input``, sweeps, symbolic sizes). ``size`` and ``mode`` must be the partition's: token
``((a*(W/s) + b)*s + i)*s + j`` goes to (a*s + i, b*s + j) for a window, to (i*(H/s) + a, j*(W/s) + b) for the grid.

Output (C, H, W). No parameters, no arithmetic: a permutation copy (new memory, as torchvision's reshape of the
permuted windows). Receptive field: each position keeps its token's field.
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Choice, Int
from archstat.layers._text import fmt_shape, spatial, tokens
from archstat.layers._windows import IDENTITY
from archstat.layers.partition import MODES, check_divides, groups_text


@register
class Departition(Layer):
    kind = "departition"
    aliases = ("window_departition",)
    summary = ("the inverse of `partition`: (H*W) x C tokens -> C x H x W, H and W read from a second input "
               "(the partitioned map; a copy)")
    fields = {"size": Int(doc="s: the partition's"),
              "mode": Choice(MODES, "window", doc="the partition's: window or grid")}
    min_inputs = 2
    max_inputs = 2
    data_inputs = 1  # the second input only gives the size
    accepts = ("tokens",)
    flops_rule = "0 (a permutation copy)"
    examples = (
        # maxvit_t blocks.0.layers.0.layers.window_attention: 56*56 tokens of 64 back to 64 x 56 x 56
        Example("departition-window-maxvit", {"size": 7}, [(56 * 56, 64), (64, 56, 56)], (64, 56, 56), params=0,
                macs=0, flops=0),
        Example("departition-grid-maxvit", {"size": 7, "mode": "grid"}, [(56 * 56, 64), (64, 56, 56)],
                (64, 56, 56), params=0, macs=0, flops=0),
        # the size from the second input, whatever its channels: 24 tokens of 3 as 3 x 4 x 6
        Example("departition-rect", {"size": 2}, [(4 * 6, 3), (5, 4, 6)], (3, 4, 6), params=0, macs=0, flops=0),
    )

    def output_shape(self, ins):
        if not tokens(ins[0]):
            raise ShapeError(f"departition needs L x D tokens first, got {fmt_shape(ins[0])}")
        if not spatial(ins[1]):
            raise ShapeError(f"departition needs the partitioned C x H x W map second (for its size), got "
                             f"{fmt_shape(ins[1])}")
        n, c = ins[0]
        _, h, w = ins[1]
        check_divides(self.kind, h, w, self.args.size)
        if n != h * w:
            raise ShapeError(f"departition: {n} tokens do not fill the {h}x{w} map of the second input "
                             f"({h}*{w} = {h * w} positions)")
        return (c, h, w)

    def window(self, ins, out):
        return IDENTITY

    def derivation(self, ins, out):
        c, h, w = out
        s, mode = self.args.size, self.args.mode
        return {"shape": [f"{fmt_shape(out)}: {ins[0][0]} tokens of {c} features as {groups_text(mode, h, w, s)}, "
                          f"put back in place ({mode} partition undone; H and W from the second input; a copy)"],
                "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: a permutation copy; the gradient is permuted back"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_maxvit import Departition as Module

        return Module(self.args.size, self.args.mode)

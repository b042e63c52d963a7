"""Group normalisation (Wu and He 2018; torch's ``nn.GroupNorm``) on C x H x W maps: the C channels in ``groups``
groups, each group normalised over its C/groups channels and all H*W positions, then a per-channel affine.

Params: ``weight`` and ``bias``, C each, when ``affine``. No buffers: the statistics are the input's own.
FLOPs, counting as ``layer_norm`` does (its file states the rule): 5 per element (sum, subtract the mean, square,
sum of squares, normalise), 5 per group (two divides, add eps, square root, reciprocal), and 2 per element for
the scale and shift when ``affine``: ``5*N + 5*G (+ 2*N)``.
Receptive field: the identity, as for the other normalisations. Each output also depends, through its group's mean
and variance, on every position of the map; the field (Araujo et al.) follows the window of the value path and
does not count the statistics.
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import STATS, Saved
from archstat.layers._schema import Bool, Float, Int
from archstat.layers._text import elems, elems_text, fmt_shape


@register
class GroupNorm(Layer):
    kind = "group_norm"
    aliases = ("groupnorm",)
    summary = "group normalisation: C channels in `groups` groups, each normalised over its channels and positions"
    fields = {"groups": Int(doc="channel groups (1: the whole map; C: instance norm)"), "eps": Float(1e-5, min=0),
              "affine": Bool(True)}
    shorthand = "groups"
    accepts = ("spatial",)
    flops_rule = "5 per element + 5 per group (as layer_norm), plus 2 per element for the affine scale and shift"
    examples = (
        # ResNet-50-GN's first norm: 32 groups of 2 channels over 112*112 positions; weight + bias = 2*64
        Example("group_norm-32", {"groups": 32}, [(64, 112, 112)], (64, 112, 112), params=64 + 64, macs=0,
            flops=5 * 64 * 112 * 112 + 5 * 32 + 2 * 64 * 112 * 112, tensors={"weight": 64, "bias": 64}),
        # one group: the whole map's statistics; no affine, no parameters
        Example("group_norm-1-no-affine", {"groups": 1, "affine": False}, [(8, 5, 7)], (8, 5, 7), params=0,
            macs=0, flops=5 * 8 * 5 * 7 + 5 * 1),
    )

    def output_shape(self, ins):
        c = self.need_spatial(ins[0])[0]
        if c % self.args.groups:
            raise ShapeError(f"group_norm: groups {self.args.groups} does not divide the {c} channels")
        return ins[0]

    def params(self, ins):
        c = ins[0][0]
        return {"weight": c, "bias": c} if self.args.affine else {}

    def flops(self, ins, out):
        return 5 * elems(out) + 5 * self.args.groups + (2 * elems(out) if self.args.affine else 0)

    def derivation(self, ins, out):
        c, g = out[0], self.args.groups
        return {"shape": [f"{fmt_shape(out)} (unchanged), {g} groups of {c}/{g} channels"],
                "params": f"{c} + {c}" if self.args.affine else "0", "macs": "0",
                "flops": f"5*{elems_text(out)} + 5*{g}" + (f" + 2*{elems_text(out)}" if self.args.affine else "")}

    saved_rule = "its input, and the mean and inverse standard deviation of each group of each sample (float32)"
    autocast = {"cuda": "float32", "cpu": "input"}  # on CUDA autocast's float32 list, not on the CPU's

    def saved(self, ins, out, grad):
        g = self.args.groups
        return [Saved.of_input(0), Saved.extra("mean", g, STATS), Saved.extra("inverse std", g, STATS)]

    def torch_module(self, ins, out):
        from torch import nn

        return nn.GroupNorm(self.args.groups, ins[0][0], eps=self.args.eps, affine=self.args.affine)

"""Batch normalisation (inference form), on C x H x W maps or flat vectors.

Params: ``weight`` (gamma) and ``bias`` (beta), C each, when ``affine``. Buffers: ``running_mean`` and
``running_var`` (C each) and ``num_batches_tracked`` (1), as torch's ``named_buffers()`` lists them; they are not
parameters (Keras counts them as "non-trainable parameters").
FLOPs: 2 per element: at inference the statistics and affine fold into one scale and one shift per channel,
``y = x*a + b``.
"""

from __future__ import annotations

from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import STATS, Saved
from archstat.layers._schema import Bool, Float
from archstat.layers._text import elems_text, fmt_shape


@register
class BatchNorm(Pointwise):
    kind = "batchnorm"
    aliases = ("bn", "batch_norm", "batchnorm2d")
    summary = "batch normalisation: 2C parameters (affine), 2C+1 buffers"
    fields = {"eps": Float(1e-5, min=0), "momentum": Float(0.1, min=0, max=1), "affine": Bool(True)}
    per_element = 2
    statistics_buffers = ("running_mean", "running_var")  # not num_batches_tracked: Keras has no counter
    flops_rule = "2 per element (one multiply, one add: statistics and affine folded)"
    examples = (
        # batchnorm: gamma + beta = 2C params; running mean + var + num_batches_tracked = 2C + 1 buffers;
        # 2 FLOPs per element (folded scale and shift)
        Example("batchnorm", {}, [(64, 112, 112)], (64, 112, 112), params=2 * 64, macs=0,
            flops=64 * 112 * 112 * 2, buffers=2 * 64 + 1, tensors={"weight": 64, "bias": 64}),
        Example("batchnorm-no-affine", {"affine": False}, [(32, 4, 4)], (32, 4, 4), params=0, macs=0,
            flops=32 * 4 * 4 * 2, buffers=2 * 32 + 1),
        Example("batchnorm-flat", {}, [(512,)], (512,), params=2 * 512, macs=0, flops=512 * 2,
            buffers=2 * 512 + 1),
    )

    def params(self, ins):
        c = ins[0][0]
        return {"weight": c, "bias": c} if self.args.affine else {}

    def buffers(self, ins):
        c = ins[0][0]
        return {"running_mean": c, "running_var": c, "num_batches_tracked": 1}

    def derivation(self, ins, out):
        c = ins[0][0]
        d = super().derivation(ins, out)
        d["shape"] = [f"{fmt_shape(out)} (unchanged)", f"buffers = 2*{c} + 1 (running mean, variance, count)"]
        d["params"] = f"2*{c}" if self.args.affine else "0"
        d["flops"] = f"{elems_text(out)} * 2"
        return d

    autocast = "input"  # cuDNN keeps a half input half, with float32 weights and statistics
    saved_rule = ("its input, and the batch's per-channel mean and inverse standard deviation (C each, float32); the "
                  "weight and running statistics are the module's own")

    def saved(self, ins, out, grad):
        c = ins[0][0]
        return [Saved.of_input(0), Saved.extra("mean", c, STATS, batched=False),
                Saved.extra("inverse std", c, STATS, batched=False)]

    def torch_module(self, ins, out):
        from torch import nn

        cls = nn.BatchNorm2d if len(ins[0]) == 3 else nn.BatchNorm1d
        return cls(ins[0][0], eps=self.args.eps, momentum=self.args.momentum, affine=self.args.affine)

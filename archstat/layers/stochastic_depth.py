"""Stochastic depth (Huang et al. 2016; torchvision.ops.StochasticDepth, timm's DropPath): in training it drops a
residual branch, per sample (``row``) or for the whole batch (``batch``), with probability ``p``; at inference it
is the identity: no arithmetic, no new memory (counted as in place, like dropout).

torchvision's ConvNeXt and EfficientNet raise ``p`` linearly with the block's index; archstat counts inference, so
``p`` and ``mode`` are recorded for parity only. The torch module is archstat's own eval-mode identity (with
torchvision's training rule written out; torchvision is not needed).
"""

from __future__ import annotations

from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Choice, Float


@register
class StochasticDepth(Pointwise):
    kind = "stochastic_depth"
    aliases = ("drop_path",)
    summary = "stochastic depth / drop path with probability p, per row or batch (identity at inference)"
    fields = {"p": Float(0.0, min=0, max=1), "mode": Choice(("row", "batch"), "row")}
    shorthand = "p"
    inplace = True
    per_element = 0
    accepts = ("spatial", "tokens", "flat")
    flops_rule = "0 (identity at inference)"
    examples = (
        # the last ConvNeXt-T block's branch: p = 0.1 * 17/17, the identity at inference
        Example("stochastic_depth-map", {"p": 0.1, "mode": "row"}, [(768, 7, 7)], (768, 7, 7), params=0, macs=0,
            flops=0),
        # on ViT tokens (timm's DropPath), batch mode: still the identity
        Example("stochastic_depth-tokens", {"p": 0.2, "mode": "batch"}, [(197, 768)], (197, 768), params=0,
            macs=0, flops=0),
    )

    saved_rule = ("in training its noise: one value per sample (row) or one for the batch (batch), in the "
                  "activation type; a new output (x * noise); nothing at p = 0 (the input passes through)")

    def saved(self, ins, out, grad):
        if self.args.p == 0:
            return []
        return [Saved.extra("noise", 1, batched=self.args.mode == "row")]

    def train_storage(self):
        return "view" if self.args.p == 0 else "new"

    def torch_module(self, ins, out):
        from archstat.layers._torch_positions import StochasticDepth as TorchStochasticDepth

        return TorchStochasticDepth(self.args.p, self.args.mode)

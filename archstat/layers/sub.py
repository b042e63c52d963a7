"""Element-wise difference of two inputs, ``a - b``, broadcasting size-1 dimensions as ``mul`` does
(PoolFormer's token mixer ``pool(x) - x``: the average of each 3x3 neighbourhood less the centre).

FLOPs: 1 subtraction per output element. Receptive field: the union of the inputs' fields (the engine takes it).
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, broadcast, register
from archstat.layers._text import elems, elems_text, fmt_shape, spatial
from archstat.layers._windows import IDENTITY


@register
class Sub(Layer):
    kind = "sub"
    aliases = ("subtract",)
    summary = "element-wise difference a - b of 2 inputs, broadcasting size-1 dims (PoolFormer's pool(x) - x)"
    min_inputs, max_inputs = 2, 2
    flops_rule = "1 subtraction per output element"
    accepts = ("spatial", "flat", "tokens")
    examples = (
        # PoolFormer-S12 stage 1 at 224: pool(x) - x, both 64 x 56 x 56, one subtraction per output element
        Example("sub-same", {}, [(64, 56, 56), (64, 56, 56)], (64, 56, 56), params=0, macs=0, flops=64 * 56 * 56),
        # a map less a per-channel vector: (C,H,W) - (C,1,1) broadcasts to (C,H,W)
        Example("sub-broadcast", {}, [(8, 4, 4), (8, 1, 1)], (8, 4, 4), params=0, macs=0, flops=8 * 4 * 4),
        Example("sub-tokens", {}, [(49, 32), (49, 32)], (49, 32), params=0, macs=0, flops=49 * 32),
    )

    def output_shape(self, ins):
        return broadcast(*ins, self.kind)

    def flops(self, ins, out):
        return elems(out)

    def window(self, ins, out):
        return IDENTITY if spatial(out) else super().window(ins, out)

    def derivation(self, ins, out):
        return {"shape": [f"{fmt_shape(ins[0])} - {fmt_shape(ins[1])} -> {fmt_shape(out)}"], "params": "0",
                "macs": "0", "flops": f"{elems_text(out)} * 1"}

    saved_rule = "nothing: the gradient passes to a unchanged and to b negated (sizes only, to sum broadcast dims)"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch_mix import Sub as TorchSub

        return TorchSub()

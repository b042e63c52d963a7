"""Per-channel scale and shift ``y = x * w[c] + b[c]``: Caffe's Scale layer (which follows BatchNorm there), a
frozen batch norm, or LeNet-5's trainable subsampling coefficient and bias.

Params: ``weight`` C, ``bias`` C when ``bias``. FLOPs: 1 per element for the multiply, 1 more for the bias add.
"""

from __future__ import annotations

from .base import Bool, Pointwise, elems, elems_text, fmt_shape


class Scale(Pointwise):
    kind = "scale"
    aliases = ("affine",)
    summary = "per-channel scale and bias (Caffe Scale): 2C parameters"
    fields = {"bias": Bool(True)}
    flops_rule = "1 per element, plus 1 per element for the bias"

    def params(self, ins):
        c = ins[0][0]
        return {"weight": c, "bias": c} if self.bias else {"weight": c}

    def flops(self, ins, out):
        return elems(out) * (2 if self.bias else 1)

    def derivation(self, ins, out):
        c = ins[0][0]
        return {"shape": [f"{fmt_shape(out)} (unchanged)"], "params": f"2*{c}" if self.bias else f"{c}",
                "macs": "0", "flops": f"{elems_text(out)} * {2 if self.bias else 1}"}

    def torch_module(self, ins, out):
        from ..torch.ops import Scale as TorchScale

        return TorchScale(ins[0][0], self.bias, flat=len(ins[0]) == 1)

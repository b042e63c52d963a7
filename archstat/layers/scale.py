"""Per-channel scale and shift ``y = x * w[c] + b[c]``: Caffe's Scale layer (which follows BatchNorm there), a
frozen batch norm, or LeNet-5's trainable subsampling coefficient and bias. With ``value: v`` it is a constant
multiply ``y = v * x`` instead (Inception-ResNet's residual scaling by 0.1 to 0.2): no parameters.

Params: ``weight`` C, ``bias`` C when ``bias`` (none with ``value``). FLOPs: 1 per element for the multiply, 1
more for the bias add.
"""

from __future__ import annotations

from archstat.layers.base import Bool, Float, Pointwise, elems, elems_text, fmt_shape


class Scale(Pointwise):
    kind = "scale"
    aliases = ("affine",)
    summary = "per-channel scale and bias (Caffe Scale): 2C parameters; or a constant factor `value`"
    fields = {"bias": Bool(True), "value": Float(None, doc="a constant factor instead of learned ones")}
    flops_rule = "1 per element, plus 1 per element for the bias"

    def _bias(self) -> bool:
        return self.bias and self.value is None

    def params(self, ins):
        if self.value is not None:
            return {}
        c = ins[0][0]
        return {"weight": c, "bias": c} if self.bias else {"weight": c}

    def flops(self, ins, out):
        return elems(out) * (2 if self._bias() else 1)

    def derivation(self, ins, out):
        c = ins[0][0]
        params = "0" if self.value is not None else (f"2*{c}" if self.bias else f"{c}")
        shape = [f"{fmt_shape(out)} (unchanged)"] + ([f"x {self.value:g}"] if self.value is not None else [])
        return {"shape": shape, "params": params, "macs": "0",
                "flops": f"{elems_text(out)} * {2 if self._bias() else 1}"}

    def torch_module(self, ins, out):
        from archstat.backend.ops import Constant, Scale as TorchScale

        if self.value is not None:
            return Constant(self.value)
        return TorchScale(ins[0][0], self.bias, flat=len(ins[0]) == 1)

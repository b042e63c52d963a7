"""Per-channel scale and shift ``y = x * w[c] + b[c]``: Caffe's Scale layer (which follows BatchNorm there), a
frozen batch norm, or LeNet-5's trainable subsampling coefficient and bias. With ``value: v`` it is a constant
multiply ``y = v * x`` instead (Inception-ResNet's residual scaling by 0.1 to 0.2): no parameters.

Params: ``weight`` C, ``bias`` C when ``bias`` (none with ``value``). FLOPs: 1 per element for the multiply, 1
more for the bias add.
"""

from __future__ import annotations

from archstat.errors import ShapeError
from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Bool, Float
from archstat.layers._text import elems, elems_text, fmt_shape


@register
class Scale(Pointwise):
    kind = "scale"
    aliases = ("affine",)
    summary = "per-channel scale and bias (Caffe Scale): 2C parameters; or a constant factor `value`"
    fields = {"bias": Bool(True), "value": Float(None, doc="a constant factor instead of learned ones")}
    flops_rule = "1 per element, plus 1 per element for the bias"
    examples = (
        # Caffe Scale after BatchNorm: gamma and beta per channel; multiply and add per element
        Example("scale-bias", {}, [(64, 56, 56)], (64, 56, 56), params=2 * 64, macs=0, flops=2 * 64 * 56 * 56,
            tensors={"weight": 64, "bias": 64}),
        Example("scale-nobias", {"bias": False}, [(6, 14, 14)], (6, 14, 14), params=6, macs=0,
            flops=6 * 14 * 14),
        # Inception-ResNet's residual scaling: a constant factor, no parameters, one multiply per element
        Example("scale-value", {"value": 0.17}, [(320, 35, 35)], (320, 35, 35), params=0, macs=0,
            flops=320 * 35 * 35),
    )

    def _bias(self) -> bool:
        return self.args.bias and self.args.value is None

    def output_shape(self, ins):
        if len(ins[0]) == 2 and self.args.value is None:
            raise ShapeError(f"scale learns one factor per channel of a map or per feature of a flat vector, got "
                             f"L x D tokens {fmt_shape(ins[0])}: use layer_scale for tokens")
        return ins[0]

    def params(self, ins):
        if self.args.value is not None:
            return {}
        c = ins[0][0]
        return {"weight": c, "bias": c} if self.args.bias else {"weight": c}

    def flops(self, ins, out):
        return elems(out) * (2 if self._bias() else 1)

    def derivation(self, ins, out):
        c = ins[0][0]
        params = "0" if self.args.value is not None else (f"2*{c}" if self.args.bias else f"{c}")
        shape = [f"{fmt_shape(out)} (unchanged)"] + ([f"x {self.args.value:g}"] if self.args.value is not None else [])
        return {"shape": shape, "params": params, "macs": "0",
                "flops": f"{elems_text(out)} * {2 if self._bias() else 1}"}

    saved_rule = ("its input when its weights train (x * w: w's gradient needs x); nothing for a constant factor "
                  "(`value`)")

    def saved(self, ins, out, grad):
        return [Saved.of_input(0)] if self.args.value is None and grad.params else []

    def torch_module(self, ins, out):
        from archstat.layers._torch import Constant
        from archstat.layers._torch import Scale as TorchScale

        if self.args.value is not None:
            return Constant(self.args.value)
        return TorchScale(ins[0][0], self.args.bias, flat=len(ins[0]) == 1)

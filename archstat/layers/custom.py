"""An op archstat has no rules for, described by the user: its output shape and whatever counts are known.

``custom: {op: roi_align, shape: [256, 7, 7], params: 0}``. A count that is not given is *unknown*, never zero:
the layer shows ``?`` and the totals are marked partial, naming it (fvcore's "unsupported ops" honesty). Its
receptive field is unknown too, until a global layer makes the field the whole input again.
"""

from __future__ import annotations

from archstat.errors import SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Arg, Int, as_int


class _ShapeField(Arg):
    def parse(self, name, v):
        vals = [as_int(x) for x in v] if isinstance(v, list) else []
        if len(vals) not in (1, 3) or any(x is None or x < 1 for x in vals):
            raise SpecError(f"'{name}' must be [C, H, W] or [features] of positive integers, got {v!r}")
        return tuple(vals)


class _Count(Arg):
    def parse(self, name, v):
        return Int(min=0).parse(name, v)


class _Text(Arg):
    def parse(self, name, v):
        if not isinstance(v, str) or not v:
            raise SpecError(f"'{name}' must be a name, got {v!r}")
        return v


@register
class Custom(Layer):
    kind = "custom"
    aliases = ("opaque",)
    summary = "an op without built-in rules: give its output `shape`; `params`, `macs`, `flops` if known"
    fields = {"op": _Text("custom"), "shape": _ShapeField(), "params": _Count(0), "macs": _Count(None),
              "flops": _Count(None)}
    min_inputs, max_inputs = 1, None
    flops_rule = "as given; unknown when not given (reported, never zero)"
    examples = (
        # nothing known: params 0 (default), MACs and FLOPs unknown (None: reported unknown, never 0)
        Example("custom-unknown", {"op": "roi_align", "shape": [256, 7, 7]}, [(256, 50, 50)], (256, 7, 7),
            params=0, macs=None, flops=None),
        # MACs known, FLOPs still unknown
        Example("custom-macs-only", {"shape": [10], "macs": 1000}, [(5, 5, 5)], (10,), params=0, macs=1000,
            flops=None),
        # everything given, including an explicit 0 MACs (known zero, not unknown)
        Example("custom-all-given", {"op": "nms", "shape": [4, 2, 2], "params": 100, "macs": 0, "flops": 12},
            [(4, 8, 8), (4, 2, 2)], (4, 2, 2), params=100, macs=0, flops=12),
    )

    def output_shape(self, ins):
        return self.args.shape

    def params(self, ins):
        return {"weight": self.args.params} if self.args.params else {}

    def macs(self, ins, out):
        return self.args.macs

    def flops(self, ins, out):
        return self.args.flops

    def window(self, ins, out):
        return None

    def derivation(self, ins, out):
        d = {"shape": [f"given: {'x'.join(map(str, self.args.shape))} ({self.args.op})"],
             "params": str(self.args.params)}
        for k in ("macs", "flops"):
            if getattr(self.args, k) is not None:
                d[k] = str(getattr(self.args, k))
        return d

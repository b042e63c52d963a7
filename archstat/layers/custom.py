"""An op archstat has no rules for, described by the user: its output shape and whatever counts are known.

``custom: {op: roi_align, shape: [256, 7, 7], params: 0}``. A count that is not given is *unknown*, never zero:
the layer shows ``?`` and the totals are marked partial, naming it (fvcore's "unsupported ops" honesty). Its
receptive field is unknown too, until a global layer makes the field the whole input again.
"""

from __future__ import annotations

from archstat.errors import SpecError
from archstat.layers.base import Field, Int, Layer, _as_int


class _ShapeField(Field):
    def parse(self, name, v):
        vals = [_as_int(x) for x in v] if isinstance(v, list) else []
        if len(vals) not in (1, 3) or any(x is None or x < 1 for x in vals):
            raise SpecError(f"'{name}' must be [C, H, W] or [features] of positive integers, got {v!r}")
        return tuple(vals)


class _Count(Field):
    def parse(self, name, v):
        return Int(min=0).parse(name, v)


class _Text(Field):
    def parse(self, name, v):
        if not isinstance(v, str) or not v:
            raise SpecError(f"'{name}' must be a name, got {v!r}")
        return v


class Custom(Layer):
    kind = "custom"
    aliases = ("opaque",)
    summary = "an op without built-in rules: give its output `shape`; `params`, `macs`, `flops` if known"
    fields = {"op": _Text("custom"), "shape": _ShapeField(), "params": _Count(0), "macs": _Count(None),
              "flops": _Count(None)}
    min_inputs, max_inputs = 1, None
    flops_rule = "as given; unknown when not given (reported, never zero)"

    def __init__(self, args):
        # `params`, `macs` and `flops` are method names: keep the given counts under other names
        self.given = {k: args.pop(k) for k in ("params", "macs", "flops")}
        super().__init__(args)

    def output_shape(self, ins):
        return self.shape

    def params(self, ins):
        return {"weight": self.given["params"]} if self.given["params"] else {}

    def macs(self, ins, out):
        return self.given["macs"]

    def flops(self, ins, out):
        return self.given["flops"]

    def window(self, ins, out):
        return None

    def derivation(self, ins, out):
        d = {"shape": [f"given: {'x'.join(map(str, self.shape))} ({self.op})"],
             "params": str(self.given["params"])}
        for k in ("macs", "flops"):
            if self.given[k] is not None:
                d[k] = str(self.given[k])
        return d

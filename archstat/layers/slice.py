"""Channel selection: ``slice`` keeps channels ``start .. stop-1`` (ShuffleNet v2's channel split) or the channels
listed in ``index`` (LeNet-5's sparse C3 connection table). Works on C x H x W maps and flat vectors.

A contiguous range is a view (no new memory, like ``x[:, a:b]`` in torch); an index list is a gather (a copy).
No parameters, no arithmetic.
"""

from __future__ import annotations

from archstat.errors import ShapeError, SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Int, IntList
from archstat.layers._text import fmt_shape


@register
class Slice(Layer):
    kind = "slice"
    aliases = ("select", "split")
    summary = "channels start..stop-1 (a view) or the listed `index` channels (a copy)"
    fields = {"start": Int(0, min=0, doc="first channel"), "stop": Int(None, doc="one past the last channel"),
              "index": IntList(None, doc="channels to gather, in order")}
    flops_rule = "0 (a view, or a gather copy)"
    examples = (
        # ShuffleNet v2 channel split: the second half of 116 channels, a view
        Example("slice-range", {"start": 58}, [(116, 28, 28)], (116 - 58, 28, 28), params=0, macs=0, flops=0),
        Example("slice-start-stop", {"start": 2, "stop": 5}, [(8,)], (5 - 2,), params=0, macs=0, flops=0),
        # LeNet-5 C3: one of its maps reads S2 maps 0, 4 and 5 (table I, wrapping round)
        Example("slice-index", {"index": [4, 5, 0]}, [(6, 14, 14)], (3, 14, 14), params=0, macs=0, flops=0),
    )

    def check(self):
        if self.args.index is not None and (self.args.start or self.args.stop is not None):
            raise SpecError("slice: give either 'index' or 'start'/'stop', not both")
        if self.args.stop is not None and self.args.stop <= self.args.start:
            raise SpecError(f"slice: 'stop' ({self.args.stop}) must be greater than 'start' ({self.args.start})")

    @property
    def view(self):  # a contiguous range is a view; an index list gathers a copy
        return self.args.index is None

    def _channels(self, shape):
        c = shape[0]
        if self.args.index is not None:
            bad = [i for i in self.args.index if i >= c]
            if bad:
                raise ShapeError(f"slice: channel {bad[0]} does not exist in {fmt_shape(shape)}")
            return len(self.args.index)
        stop = c if self.args.stop is None else self.args.stop
        if stop > c:
            raise ShapeError(f"slice: stop {stop} is past the {c} channels of {fmt_shape(shape)}")
        return stop - self.args.start

    def output_shape(self, ins):
        return (self._channels(ins[0]),) + tuple(ins[0][1:])

    def derivation(self, ins, out):
        c = ins[0][0]
        if self.args.index is not None:
            what = f"channels {list(self.args.index)} of {c}"
        else:
            what = f"channels {self.args.start}..{(c if self.args.stop is None else self.args.stop) - 1} of {c}"
        return {"shape": [what, f"-> {fmt_shape(out)}"], "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: a range is a view, an index list a gather whose backward needs only the index (a buffer)"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from archstat.layers._torch import Slice as TorchSlice

        return TorchSlice(self.args.start, self.args.stop, self.args.index)

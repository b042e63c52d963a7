"""Channel selection: ``slice`` keeps channels ``start .. stop-1`` (ShuffleNet v2's channel split) or the channels
listed in ``index`` (LeNet-5's sparse C3 connection table). Works on C x H x W maps and flat vectors.

A contiguous range is a view (no new memory, like ``x[:, a:b]`` in torch); an index list is a gather (a copy).
No parameters, no arithmetic.
"""

from __future__ import annotations

from archstat.errors import ShapeError, SpecError
from archstat.layers.base import Int, IntList, Layer, fmt_shape


class Slice(Layer):
    kind = "slice"
    aliases = ("select", "split")
    summary = "channels start..stop-1 (a view) or the listed `index` channels (a copy)"
    fields = {"start": Int(0, min=0, doc="first channel"), "stop": Int(None, doc="one past the last channel"),
              "index": IntList(None, doc="channels to gather, in order")}
    flops_rule = "0 (a view, or a gather copy)"

    def check(self):
        if self.index is not None and (self.start or self.stop is not None):
            raise SpecError("slice: give either 'index' or 'start'/'stop', not both")
        if self.stop is not None and self.stop <= self.start:
            raise SpecError(f"slice: 'stop' ({self.stop}) must be greater than 'start' ({self.start})")
        self.view = self.index is None

    def _channels(self, shape):
        c = shape[0]
        if self.index is not None:
            bad = [i for i in self.index if i >= c]
            if bad:
                raise ShapeError(f"slice: channel {bad[0]} does not exist in {fmt_shape(shape)}")
            return len(self.index)
        stop = c if self.stop is None else self.stop
        if stop > c:
            raise ShapeError(f"slice: stop {stop} is past the {c} channels of {fmt_shape(shape)}")
        return stop - self.start

    def output_shape(self, ins):
        return (self._channels(ins[0]),) + tuple(ins[0][1:])

    def derivation(self, ins, out):
        c = ins[0][0]
        if self.index is not None:
            what = f"channels {list(self.index)} of {c}"
        else:
            what = f"channels {self.start}..{(c if self.stop is None else self.stop) - 1} of {c}"
        return {"shape": [what, f"-> {fmt_shape(out)}"], "params": "0", "macs": "0", "flops": "0"}

    def torch_module(self, ins, out):
        from archstat.backend.ops import Slice as TorchSlice

        return TorchSlice(self.start, self.stop, self.index)

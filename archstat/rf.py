"""Receptive fields on a DAG (Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019), per axis.

A ``Field`` says which input pixels output position 0 of a layer depends on: ``size`` pixels starting at
``-padding`` (the effective padding), and neighbouring positions are ``stride`` input pixels apart (the effective
stride). Through a layer whose window has stride ``s``, padding ``p`` and extent ``k`` (``Window``):

    stride'  = stride * s
    padding' = padding + stride * p
    size'    = size + stride * (k - 1)

At a merge (add, concat, mul) the field is the union of the inputs' fields, so the result is the largest field
over all paths; when the inputs disagree in stride or centre the merge gets a note (the Distill paper's
"alignment"). After global pooling, flatten or a linear layer the field is the whole input (``GLOBAL``). A layer
whose window is unknown (``custom``) gives an unknown field (``None``) until a global layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .layers.base import GLOBAL, Window, frac_str


@dataclass(frozen=True)
class Field:
    size: tuple  # (h, w)
    stride: tuple
    padding: tuple

    def through(self, w: Window) -> "Field":
        return Field(
            tuple(r + j * (k - 1) for r, j, k in zip(self.size, self.stride, w.extent)),
            tuple(j * s for j, s in zip(self.stride, w.stride)),
            tuple(p + j * q for p, j, q in zip(self.padding, self.stride, w.padding)),
        )

    def centre(self, axis: int):
        return Fraction(self.size[axis] - 1, 2) - self.padding[axis]


START = Field((1, 1), (1, 1), (0, 0))


def merge(fields: list) -> tuple[object, str | None]:
    """Union of the inputs' fields, and a note if they are not aligned."""
    if any(f is GLOBAL for f in fields):
        return GLOBAL, None
    if any(f is None for f in fields):
        return None, None
    if len(fields) == 1:
        return fields[0], None
    size, pad = [], []
    for a in range(2):
        start = min(-f.padding[a] for f in fields)
        end = max(-f.padding[a] + f.size[a] - 1 for f in fields)
        size.append(end - start + 1)
        pad.append(-start)
    stride = tuple(max(f.stride[a] for f in fields) for a in range(2))
    out = Field(tuple(size), stride, tuple(pad))
    notes = []
    if len({f.stride for f in fields}) > 1:
        notes.append("inputs disagree in effective stride (" + ", ".join(_pair(f.stride) for f in fields) + ")")
    centres = {(f.centre(0), f.centre(1)) for f in fields}
    if len(centres) > 1:
        notes.append("inputs' fields are not centred alike (centres at " +
                     ", ".join(_pair((f.centre(0), f.centre(1))) for f in fields) + ")")
    return out, ("; ".join(notes) or None)


def through(field, window):
    if field is GLOBAL or window is GLOBAL:
        return GLOBAL
    if field is None or window is None:
        return None
    return field.through(window)


def _pair(v) -> str:
    a, b = (frac_str(x) for x in v)
    return a if a == b else f"{a}x{b}"


def as_json(field, input_hw) -> dict:
    """``{"size", "stride", "padding"}``: ints when square, ``[h, w]`` otherwise; global: whole input, nulls."""
    def one(v):
        vals = [int(x) if Fraction(x).denominator == 1 else float(x) for x in v]
        return vals[0] if vals[0] == vals[1] else vals

    if field is GLOBAL:
        return {"size": one(input_hw), "stride": None, "padding": None, "global": True}
    if field is None:
        return {"size": None, "stride": None, "padding": None, "unknown": True}
    return {"size": one(field.size), "stride": one(field.stride), "padding": one(field.padding)}


def as_text(field, input_hw=None) -> str:
    if field is GLOBAL:
        return "all"
    if field is None:
        return "?"
    return _pair(field.size)

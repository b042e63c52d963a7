"""Receptive fields on a DAG (Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019), per axis.

A ``ReceptiveField`` says which input pixels output position 0 of a layer depends on: ``size`` pixels starting at
``-padding`` (the effective padding), and neighbouring positions are ``stride`` input pixels apart (the effective
stride). Through a layer whose window has stride ``s``, padding ``p`` and extent ``k`` (``Window``):

    stride'  = stride * s
    padding' = padding + stride * p
    size'    = size + stride * (k - 1)

At a merge (add, concat, mul) the field is the union of the inputs' fields, so the result is the largest field
over all paths; when the inputs disagree in stride or centre the merge gets a note (the Distill paper's
"alignment"). After global pooling, flatten or a linear layer the field is the whole input (``GLOBAL``). A layer
whose window is unknown (``custom``) gives an unknown field (``None``) until a global layer.

Gates: a merge input that is broadcast over the map (C x 1 x 1, 1 x 1 x 1 or a flat C, against a C x H x W output
larger than 1 x 1) and whose field is the whole input is a gate: a per-channel scale computed from a global pool
of the features (squeeze-and-excitation, SKNet's selection, MobileNetV3's SE). Its field is left out of the
merge's, so the field is the feature path's (the map inputs'), and the merge is noted (``RF_GATE``): the gate sees
the whole input. The gate's own layers keep their field, the whole input. Without this every network with a gate
would report, from its first gate on, "the whole input", and its totals the field before the first gate.
"""

from __future__ import annotations

from fractions import Fraction

from archstat.core.notes import RF_GATE, RF_MERGE, Note
from archstat.layers import GLOBAL, Window, fmt_shape, frac_str, spatial


class ReceptiveField:
    """Treated as immutable. A plain class with slots rather than a frozen dataclass: the engine makes one per layer,
    and a frozen dataclass's constructor costs three times as much."""

    __slots__ = ("padding", "size", "stride")

    def __init__(self, size: tuple, stride: tuple, padding: tuple):  # each (h, w)
        self.size = size
        self.stride = stride
        self.padding = padding

    def __eq__(self, other):
        return (other.__class__ is ReceptiveField and self.size == other.size and self.stride == other.stride
                and self.padding == other.padding)

    def __hash__(self):
        return hash((self.size, self.stride, self.padding))

    def __repr__(self):
        return f"ReceptiveField(size={self.size}, stride={self.stride}, padding={self.padding})"

    def through(self, w: Window) -> ReceptiveField:
        (r0, r1), (j0, j1), (p0, p1) = self.size, self.stride, self.padding
        (k0, k1), (s0, s1), (q0, q1) = w.extent, w.stride, w.padding
        return ReceptiveField((r0 + j0 * (k0 - 1), r1 + j1 * (k1 - 1)), (j0 * s0, j1 * s1), (p0 + j0 * q0, p1 + j1 * q1))

    def centre(self, axis: int):
        return Fraction(self.size[axis] - 1, 2) - self.padding[axis]

    def centre2(self) -> tuple:
        """Twice the centre on each axis: compares without making fractions."""
        return (self.size[0] - 1 - 2 * self.padding[0], self.size[1] - 1 - 2 * self.padding[1])


START = ReceptiveField((1, 1), (1, 1), (0, 0))


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
    out = ReceptiveField(tuple(size), stride, tuple(pad))
    notes = []
    if len({f.stride for f in fields}) > 1:
        notes.append("inputs disagree in effective stride (" + ", ".join(_pair(f.stride) for f in fields) + ")")
    if len({f.centre2() for f in fields}) > 1:
        notes.append("inputs' fields are not centred alike (centres at " +
                     ", ".join(_pair((f.centre(0), f.centre(1))) for f in fields) + ")")
    return out, (Note(RF_MERGE, "; ".join(notes)) if notes else None)


def gates(fields: list, shapes: list, out) -> list[int]:
    """The inputs of a merge that are gates (see the module's docstring), by position; none when every input is
    one (then nothing is a feature path)."""
    if not spatial(out) or out[1] == out[2] == 1:
        return []
    found = [k for k, (f, s) in enumerate(zip(fields, shapes)) if f is GLOBAL and _broadcast(s)]
    return found if len(found) < len(fields) else []


def _broadcast(shape) -> bool:
    return len(shape) == 1 or (len(shape) == 3 and shape[1] == shape[2] == 1)


def gate_note(names: list[str], shapes: list, out) -> Note:
    what = ", ".join(f"'{n}' ({fmt_shape(s)})" for n, s in zip(names, shapes))
    return Note(RF_GATE, f"field of the feature path: the gate {what}, broadcast over {fmt_shape(out)}, sees the whole "
                         f"input and is left out")


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

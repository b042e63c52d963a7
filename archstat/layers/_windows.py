"""Sliding-window geometry: the receptive-field window of a layer, and the lecture-style text and checks of
``(W - F + 2P)/S + 1``."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from archstat.core.arith import unseen_after
from archstat.core.notes import STRIDE_DOES_NOT_FIT, WINDOW_SKIPS, Note
from archstat.errors import ShapeError


@dataclass(frozen=True)
class Window:
    """How one output position maps onto the layer's input, per axis (Araujo et al., Distill 2019).

    Output position ``x`` reads input positions ``stride*x - padding ... stride*x - padding + extent - 1``.
    ``stride`` may be a fraction (upsampling, transposed conv), ``padding`` negative (cropping).
    """

    stride: tuple  # (h, w)
    padding: tuple  # (h, w)
    extent: tuple  # (h, w): the dilated kernel span


GLOBAL = "global"  # the output sees the whole input (global pooling, flatten, linear on a flat vector)

IDENTITY = Window((1, 1), (0, 0), (1, 1))


def torch_pad4(padding) -> tuple | None:
    """``((top, bottom), (left, right))`` as F.pad's (left, right, top, bottom), or None when symmetric."""
    (t, b), (l, r) = padding
    return None if (t == b and l == r) else (l, r, t, b)


def window_formula(size, k, s, plo, phi, d=1, ceil_mode=False, out=None) -> str:
    """The lecture's ``(W - F + 2P)/S + 1`` with values substituted, and its rounding.

    ``(227 - 11 + 2*0)/4 + 1 = 55``; ``(7 - 3 + 2*0)/3 + 1 = 2.33 -> floor 2``.
    """
    span = f"({d}*({k}-1)+1)" if d != 1 else str(k)
    pad = f"2*{plo}" if plo == phi else f"{plo} + {phi}"
    text = f"({size} - {span} + {pad})/{s} + 1"
    exact = Fraction(size + plo + phi - (d * (k - 1) + 1), s) + 1
    if exact.denominator == 1:
        return f"{text} = {exact.numerator}"
    if not ceil_mode:
        return f"{text} = {float(exact):.2f} -> floor {int(exact)}"
    up = -(-exact.numerator // exact.denominator)
    if out is not None and out != up:  # PyTorch drops a last window that would start in the right padding
        return f"{text} = {float(exact):.2f} -> ceil {up}, less the last window (it would start in the padding) = {out}"
    return f"{text} = {float(exact):.2f} -> ceil {up}"


def _unseen(size, k, s, plo, phi, d=1):
    """(unseen real positions, window span, exact fractional output size or None when nothing is unseen) along one
    axis."""
    span = d * (k - 1) + 1
    n = unseen_after(size, k, s, plo, phi, d)
    return n, span, (Fraction(size + plo + phi - span, s) + 1 if n else None)


def unseen_notes(shape, kernel, stride, pads, dilation=(1, 1)) -> list[str]:
    """The lecture's warning when a stride does not fit and real input (not padding) is never read:
    ``(7 - 3 + 0)/3 + 1 = 2.33: a 3-wide window with stride 3 does not fit a 7-wide input; the last column is never
    seen``; one line when both axes agree. Also a note when the window is narrower than the stride, so that whole
    rows and columns in between are skipped."""
    _, h, w = shape
    (pt, pb), (pl, pr) = pads
    per_axis = []
    for unit, size, k, s, lo, hi, d in (("row", h, kernel[0], stride[0], pt, pb, dilation[0]),
                                        ("column", w, kernel[1], stride[1], pl, pr, dilation[1])):
        n, span, exact = _unseen(size, k, s, lo, hi, d)
        if n:
            per_axis.append((unit, n, f"({size} - {span} + {lo + hi})/{s} + 1 = {float(exact):.2f}: a {span}-wide "
                                       f"window with stride {s} does not fit a {size}-wide input"))
    notes: list[str] = []
    if len(per_axis) == 2 and per_axis[0][1:] == per_axis[1][1:]:
        n, text = per_axis[0][1:]
        notes.append(Note(STRIDE_DOES_NOT_FIT, f"{text}, in height and width; the last {'row and column are' if n == 1 else f'{n} rows and columns are'} never seen"))
    else:
        for unit, n, text in per_axis:
            notes.append(Note(STRIDE_DOES_NOT_FIT, f"{text}; the last {unit + ' is' if n == 1 else f'{n} {unit}s are'} never seen"))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    if any(sp < st for sp, st in zip(spans, stride)):
        notes.append(Note(WINDOW_SKIPS, f"the {spans[0]}x{spans[1]} window is narrower than the stride {stride[0]}x{stride[1]}: "
                     f"input rows/columns between windows are skipped"))
    return notes


def window_check(kind: str, axis: str, size, k, s, plo, phi, d, out) -> None:
    """Refuse a window that yields no output, quoting every number that led there (Keras style)."""
    if out < 1:
        span = d * (k - 1) + 1
        raise ShapeError(f"{kind}: output {'height' if axis == 'H' else 'width'} would be {out}: "
                         f"window {span} (kernel {k}{f', dilation {d}' if d != 1 else ''}) is larger than the padded "
                         f"input {size + plo + phi} ({size} + {plo} + {phi}) with stride {s}")

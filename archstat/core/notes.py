"""Notes: the warnings a layer or the engine attaches to a row, each with a machine-readable code.

A ``Note`` is the text a user reads (it is a ``str``, so every renderer prints it as before) and a ``code`` that
programs test instead of the prose: ``archstat sweep`` finds strides that do not fit by ``note.code``.
"""

from __future__ import annotations

STRIDE_DOES_NOT_FIT = "stride_does_not_fit"  # real input rows or columns are never read by any window
WINDOW_SKIPS = "window_skips"  # a window narrower than its stride skips input between windows
UNEVEN_ADAPTIVE = "uneven_adaptive"  # adaptive pooling whose output does not divide its input
CROP_OFF_CENTRE = "crop_off_centre"  # an odd number of rows or columns cropped
RF_MERGE = "rf_merge"  # merged inputs whose receptive fields differ in stride or centre
RF_UNTRACKED = "rf_untracked"  # a receptive field whose numbers outgrew the tracked size
RF_GATE = "rf_gate"  # a merge whose field is its feature path's: a broadcast gate (SE) that sees the whole input left out
UNREAD = "unread"  # a layer whose output nothing reads and that is not an output: counted, but it leads nowhere
CODES = (STRIDE_DOES_NOT_FIT, WINDOW_SKIPS, UNEVEN_ADAPTIVE, CROP_OFF_CENTRE, RF_MERGE, RF_UNTRACKED, RF_GATE, UNREAD)


class Note(str):
    """A note's text, carrying its ``code`` (one of ``CODES``)."""

    __slots__ = ("code",)
    code: str

    def __new__(cls, code: str, text: str) -> Note:
        if code not in CODES:
            raise ValueError(f"unknown note code {code!r}")
        note = super().__new__(cls, text)
        note.code = code
        return note

    def __reduce__(self):
        return (Note, (self.code, str(self)))


def code_of(note: str) -> str | None:
    """A note's code, or None for a plain string."""
    return getattr(note, "code", None)

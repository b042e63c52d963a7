"""One reader for every number a user writes: YAML integers in any base (``0x``, ``0o``, ``0b``, base 60, with
``_`` separators), YAML floats, and the command line's dimensions and counts.

Each is bounded before it is converted: its text to ``MAX_NUMBER_CHARS`` characters (so no conversion is slow and
no 5,000-digit value reaches ``str()``, which Python refuses past 4,300 digits), integers to ``10**MAX_INT_DIGITS``
in magnitude, and dimensions to ``MAX_DIM``. Only ASCII digits count as digits (``'²'.isdigit()`` is true in
Python). Floats must be finite wherever a float is meaningful: ``finite()``.
"""

from __future__ import annotations

import math
import re

from archstat.errors import ArchstatError, UsageError
from archstat.io.limits import MAX_DIM, MAX_INT_DIGITS, MAX_NUMBER_CHARS

INT_LIMIT = 10**MAX_INT_DIGITS
_DIGITS = re.compile(r"[0-9]+")


def clip(text: str, n: int = 40) -> str:
    text = str(text)
    return text if len(text) <= n else f"{text[:20]}...({len(text):,} characters)"


def check_int(v: int, what: str = "integer") -> int:
    """``v`` itself, or an error when it exceeds ``10**MAX_INT_DIGITS`` in magnitude."""
    if abs(v) > INT_LIMIT:
        raise ValueError(f"{what} exceeds 10**{MAX_INT_DIGITS} in magnitude")
    return v


def yaml_int_text(text: str) -> None:
    """Refuse the text of a YAML integer that is too long to be worth converting."""
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text):,} characters (the limit is {MAX_NUMBER_CHARS})")


def finite(v: float) -> bool:
    return isinstance(v, int) or math.isfinite(v)


def parse_count(text: str, what: str, *, minimum: int = 1, maximum: int = MAX_DIM,
                error: type[ArchstatError] = UsageError) -> int:
    """A whole number written in ASCII digits, ``minimum <= n <= maximum``; one-line error otherwise."""
    t = text.strip()
    if not _DIGITS.fullmatch(t):
        raise error(f"{what} must be a whole number, got '{clip(text)}'")
    if len(t) > MAX_NUMBER_CHARS:
        raise error(f"{what}: a number of {len(t):,} digits (the limit is {MAX_NUMBER_CHARS})")
    n = int(t)
    if n < minimum or n > maximum:
        raise error(f"{what} must be between {minimum:,} and {maximum:,}, got {clip(t)}")
    return n


def is_count(text: str) -> bool:
    """True for a text of ASCII digits (not '²', not '٣')."""
    return bool(_DIGITS.fullmatch(text.strip()))

"""Claim values as sources write them: "35K", "~590K", "15.47G", "60 million", "28x28x32x5x5x192", "55x55x96",
"less than 25 million"; each parsed into an exact number (or shape) and the precision its source wrote it to.

``Value.matches`` decides whether a computed figure is the written one: at its last written digit, or (coarse) at
its last non-zero digit, rounded or cut off, within 5%. Time is linear in a value's length, which is bounded.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from archstat.errors import SpecError
from archstat.io.limits import MAX_VALUE_CHARS

SCALES = {
    "": 1, "k": 10**3, "thousand": 10**3, "m": 10**6, "million": 10**6, "mil": 10**6, "g": 10**9, "b": 10**9,
    "billion": 10**9, "bn": 10**9, "t": 10**12,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30,
}
MAX_DIGITS = 40  # a published figure has far fewer; this keeps Fraction arithmetic cheap
MAX_EXPONENT = 30


def _short(text) -> str:
    t = repr(str(text))
    return t if len(t) <= 60 else t[:40] + "..." + t[-10:]


def _brief(v) -> str:
    """``repr(v)``, its middle cut out when long (a YAML value quoted in an error)."""
    t = repr(v)
    return t if len(t) <= 60 else t[:40] + "..." + t[-10:]


NUMBER_WORDS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"])}
_WORDS = ("flops|gflops|params|parameters?|weights?|ops|operations|macs|mult-adds|multiply-adds|multiplications|"
          "connections|neurons?|units|layers?|bytes|elements|activations|deep|trainable|total|conv|convolutional|fc|"
          "fully-connected|fully|connected|hidden|pooling|filters?|channels?|in|of")
_SCALE_RE = "|".join(sorted(SCALES, key=len, reverse=True)[:-1])  # the empty scale last: left out

# Values are read by a scanner: each regex below matches one token at a given position and has no nested or
# adjacent ambiguous quantifiers, so every token costs time linear in its own length and the scanner never goes
# back more than one token. Reading a value is linear in its length whatever it holds (and its length is bounded).
_WS = re.compile(r"\s*")
_SEPARATORS = re.compile(r"[\s-]*")


def _skip(pattern: re.Pattern, s: str, pos: int = 0) -> int:
    """The position after ``pattern`` (one that matches the empty string) at ``pos``."""
    m = pattern.match(s, pos)
    return m.end() if m is not None else pos
_APPROX = re.compile(r"\s*(?:~|≈|about|approximately|approx\.?|around|roughly|circa|ca\.)\s*", re.I)
_BELOW = re.compile(r"\s*(?:less\s+than|fewer\s+than|under|below|<)\s*(?=[0-9.~≈a])", re.I)
_DIGITS = re.compile(r"[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+")
_EXPONENT = re.compile(r"x\s*10\^(-?\d+)", re.I)  # "3.6 x10^9"
_SCALE = re.compile(r"(?:" + _SCALE_RE + r")(?![a-z])", re.I)  # a scale is a whole run of letters
_LETTER = re.compile(r"[a-z]", re.I)
_WORD = re.compile(r"(?:" + _WORDS + r")\b", re.I)  # a trailing word ("layers", "FLOPs")
_INT = re.compile(r"\d+")
_TIMES = re.compile(r"\s*[x×*]\s*(\d+)")  # a product's next factor ("x" in lower case only)
_BY = re.compile(r"\s*[x×*]\s*(\d+)", re.I)  # a shape's next dimension ("55X55" too)


def _shape_dims(s: str) -> list[str] | None:
    """The dimensions of a shape written ``55x55x96``, ``[27 x 27 x 256]``, ``55x55`` or ``96`` (``s`` stripped)."""
    pos = _skip(_WS, s, 1 if s.startswith("[") else 0)
    m = _INT.match(s, pos)
    if m is None:
        return None
    dims = [m.group()]
    pos = m.end()
    while len(dims) < 3 and (m := _BY.match(s, pos)) is not None:
        dims.append(m.group(1))
        pos = m.end()
    pos = _skip(_WS, s, pos)
    if s.startswith("]", pos):
        pos += 1
    return dims if pos == len(s) else None


def _product_factors(s: str) -> list[str] | None:
    """The factors of the source's own product ``28x28x32x5x5x192`` (two at least), or None."""
    m = _INT.match(s, _skip(_WS, s))
    if m is None:
        return None
    factors = [m.group()]
    pos = m.end()
    while (m := _TIMES.match(s, pos)) is not None:
        factors.append(m.group(1))
        pos = m.end()
    return factors if len(factors) > 1 and _skip(_WS, s, pos) == len(s) else None


def _words_to_end(s: str, pos: int) -> bool:
    """True when ``s[pos:]`` is only ignorable words ("layers", "FLOPs"), each after spaces or dashes."""
    while True:
        w = _WORD.match(s, _skip(_SEPARATORS, s, pos))
        if w is None:
            return _skip(_WS, s, pos) == len(s)
        pos = w.end()


def _number_parts(s: str) -> tuple[str, str | None, str] | None:
    """(digits, power of ten or None, scale) of ``35K``, ``3.6 x10^9``, ``60 million parameters``, or None."""
    m = _DIGITS.match(s)
    if m is None:
        return None
    digits, exp10, pos = m.group(), None, m.end()
    e = _EXPONENT.match(s, _skip(_WS, s, pos))
    if e is not None:
        exp10, pos = e.group(1), e.end()
    at = _skip(_WS, s, pos)
    scale = _SCALE.match(s, at)
    if scale is not None and _words_to_end(s, scale.end()):
        return digits, exp10, scale.group()
    # no scale: the number may not run into a letter ("35params"), only into spaces, a dash or the end
    if (at > pos or _LETTER.match(s, pos) is None) and _words_to_end(s, pos):
        return digits, exp10, ""
    return None


def _value_text(text) -> str:
    """A claim value as text, refused when it is not text or a number, not finite, or too long to be a figure."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise SpecError(f"'value' must be text as the source writes it, got {_brief(text)}")
    if isinstance(text, float) and not math.isfinite(text):
        raise SpecError(f"'value' must be a finite number, got {text!r}")
    if isinstance(text, int) and not -10**MAX_DIGITS < text < 10**MAX_DIGITS:
        raise SpecError(f"cannot read the number: more than {MAX_DIGITS} digits")
    if isinstance(text, str) and len(text) > MAX_VALUE_CHARS:
        raise SpecError(f"value {_short(text)} is {len(text):,} characters long; a claim value is at most "
                        f"{MAX_VALUE_CHARS}")
    return str(text)


@dataclass(frozen=True)
class Value:
    """A parsed claim value: ``number`` (exact Fraction) written to ``unit`` precision, or a ``shape``."""

    text: str
    number: Fraction | None = None
    unit: Fraction | None = None  # the place of the last written digit, scaled ("35K": 1000; "15.47G": 10^7)
    coarse: Fraction | None = None  # the place of the last non-zero digit ("60 million": 10^7)
    approx: bool = False
    shape: tuple | None = None  # as written (H, W, C) or (C, H, W) per the claim's order
    power: int = 0  # the written scale's power of a thousand: 1 for K, 2 for M, 3 for G or B, 4 for T; else 0
    below: bool = False  # an upper bound ("less than 25 million"): any figure under it matches

    def matches(self, x, coarse: bool = False) -> bool:
        """True when ``x`` rounds to the written figure: to its last digit, or (``coarse``) to its last non-zero
        digit, or cut off after its last digit, and within 5% either way ("100M" is not a rounding of 138M)."""
        if self.number is None or x is None:
            return False
        if self.below:
            return Fraction(x) < self.number
        off = abs(Fraction(x) - self.number)
        assert self.unit is not None and self.coarse is not None  # a number always has both
        if coarse:  # "60 million" for 62,378,344 (its last non-zero digit), or "16M" for 16,777,216 and "650,000"
            # for 659,272 (cut off there)
            return (off * 2 <= self.coarse or self.truncates(x, self.coarse)) and off * 20 <= abs(self.number)
        return off * 2 <= self.unit

    def truncates(self, x, step=None) -> bool:
        """True when the written figure is ``x`` cut off (not rounded) after its last digit (or at ``step``)."""
        step = self.unit if step is None else step
        return step is not None and self.number is not None and not self.below and 0 <= Fraction(x) - self.number < step


def parse_value(text, unit: str | None = None, shape: bool = False) -> Value:
    """``"35K"``, ``"~590K"``, ``"15.47"`` with unit ``G``, ``"120,422,400"``, ``"60 million"``, ``"55x55x96"``.

    Time is linear in the text's length, and the text is at most ``MAX_VALUE_CHARS`` characters."""
    s = _value_text(text).strip()
    if unit is not None and not isinstance(unit, str):
        raise SpecError(f"'unit' must be text (K, M, G, ...), got {_brief(unit)}")
    if shape:
        dims = _shape_dims(s)
        if dims is None:
            raise SpecError(f"an output_shape value looks like 55x55x96, 55x55 or 4096, got {text!r}")
        return Value(s, shape=tuple(int(d) for d in dims))
    b = _BELOW.match(s)
    if b is not None:  # "less than 25 million": an upper bound, the number after it read as usual
        inner = parse_value(s[b.end():], unit)
        return Value(s, inner.number, inner.unit, inner.coarse, inner.approx, power=inner.power, below=True)
    m = _APPROX.match(s)
    approx = m is not None
    body = s[m.end():] if m else s
    factors = _product_factors(body)
    if factors is not None:  # "28x28x32x5x5x192": the source's own product, exact
        if len(factors) > 20 or any(len(f) > MAX_DIGITS for f in factors):
            raise SpecError(f"cannot read the number {_short(text)}: a product of more than 20 factors or of "
                            f"factors over {MAX_DIGITS} digits")
        n = 1
        for f in factors:
            n *= int(f)
        return Value(s, Fraction(n), Fraction(1), Fraction(1), approx)
    first = body.split(" ", 1)[0].split("-", 1)[0].lower()
    if first in NUMBER_WORDS:  # "eight layers", "twenty-two layers" is not supported: write 22
        body = str(NUMBER_WORDS[first]) + body[len(first):]
    parts = _number_parts(body)
    if parts is None:
        raise SpecError(f"cannot read the number {text!r} (write it like 35K, 138M, 15.47G, 60 million, 120,422,400)")
    digits, exp10, suffix = parts[0], parts[1], parts[2].lower()
    if len(digits) > MAX_DIGITS or (exp10 and abs(int(exp10)) > MAX_EXPONENT):
        raise SpecError(f"cannot read the number {_short(text)}: more than {MAX_DIGITS} digits or an exponent "
                        f"beyond 10^{MAX_EXPONENT}")
    if suffix and unit:
        raise SpecError(f"value {text!r} has a scale and 'unit' gives another ({_short(unit)})")
    suffix = suffix or (unit or "").strip().lower()
    if suffix not in SCALES:
        raise SpecError(f"unknown scale {_short(suffix)} in {text!r} (use K, M, G, B, thousand, million, billion, "
                        f"MB, MiB)")
    scale = Fraction(SCALES[suffix]) * (Fraction(10) ** int(exp10) if exp10 else 1)
    plain = digits.replace(",", "")
    if "," in digits and not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", digits):
        raise SpecError(f"misplaced thousands separator in {text!r}")
    number = Fraction(plain) * scale
    decimals = len(plain.split(".")[1]) if "." in plain else 0
    unit_place = scale / 10**decimals
    coarse = unit_place
    if decimals == 0:
        whole = plain.lstrip("0")
        zeros = len(whole) - len(whole.rstrip("0")) if whole else 0
        coarse = unit_place * 10**zeros
    power = {10**3: 1, 10**6: 2, 10**9: 3, 10**12: 4}.get(SCALES[suffix], 0) if not exp10 else 0
    return Value(s, number, unit_place, coarse, approx, power=power)


def fmt_figure(v) -> str:
    """A computed figure as verdicts print it: 290,400; 73x73x80; 1.5 (a fraction, to four digits)."""
    if isinstance(v, tuple):
        return "x".join(map(str, v))
    if isinstance(v, Fraction):
        v = float(v) if v.denominator != 1 else int(v)
    if isinstance(v, float):
        return f"{v:,.4g}"
    return f"{v:,}" if isinstance(v, int) else str(v)

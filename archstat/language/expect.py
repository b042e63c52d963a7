"""The header's ``expect:``: the figures a spec's author expects, which ``archstat verify SPEC`` checks (a CI gate).

    expect:
      params: 11_689_512                       # exact
      macs: {value: 1.82G, tolerance: 1%}      # within 1% of 1.82e9, either way
      flops: {value: 3_637_806_568, tolerance: 1000}   # within 1,000 (an absolute tolerance)

Each figure is a network total at the spec's own ``input:``, batch 1, float32 (``QUANTITIES``). A value is an
integer, a float, or text: digits with ``_`` or ``,`` separators, a decimal or an exponent (``1.82e9``), and an
optional scale K, M, G or T (powers of 1,000). A tolerance is absolute (a number) or relative (``1%``); without one
the figure must be exact. Everything is checked when the spec is compiled, so a bad key fails every command with
one line naming the file and line (exit 1).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from archstat.errors import SpecError
from archstat.language.yamlio import Map

QUANTITIES = {
    "params": "parameters (trainable or not)",
    "trainable_params": "trainable parameters",
    "weights": "parameters without biases",
    "buffers": "buffers (batch-norm running statistics)",
    "macs": "multiply-accumulates",
    "flops": "FLOPs (2 x MACs plus the other arithmetic)",
    "activations": "activation elements (the input and every stored layer output)",
    "activation_bytes": "activation bytes (float32)",
    "peak_activation_bytes": "peak activation bytes of an inference pass (float32)",
    "param_bytes": "parameter bytes (float32)",
    "weight_layers": "conv, deconv, linear and rbf layers",
    "depth": "weight layers on the longest path",
}
FIGURE_KEYS = ("value", "tolerance")
_SCALES = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:e[+-]?[0-9]{1,2})?")
_MAX_CHARS = 64


@dataclass(frozen=True)
class Expectation:
    quantity: str
    value: Fraction
    text: str  # the value as written
    tolerance: Fraction | None = None  # absolute, or a percentage when ``relative``; None: exact
    relative: bool = False
    tolerance_text: str = ""
    line: int | None = None

    @property
    def allowed(self) -> Fraction:
        """The largest difference that passes."""
        if self.tolerance is None:
            return Fraction(0)
        return abs(self.value) * self.tolerance / 100 if self.relative else self.tolerance

    def holds(self, figure) -> bool:
        return figure is not None and abs(Fraction(figure) - self.value) <= self.allowed

    @property
    def shown(self) -> str:
        """As the verify table shows it: ``11,689,512`` or ``1.82G ± 1%``."""
        return f"{self.text} ± {self.tolerance_text}" if self.tolerance is not None else self.text


def _number(v, what: str) -> tuple[Fraction, str]:
    """(exact value, text) of a number a user wrote: an int, a finite float, or text as the module doc says."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise SpecError(f"{what} must be a number (11_689_512, 1.82e9, 1.82G), got {_brief(v)}")
    if isinstance(v, int):
        return Fraction(v), f"{v:,}"
    if isinstance(v, float):
        if not math.isfinite(v):
            raise SpecError(f"{what} must be finite, got {v!r}")
        return Fraction(repr(v)), repr(v)
    t = v.strip()
    plain = t.replace("_", "").replace(",", "").replace(" ", "").lower()
    scale = plain[-1:] if plain[-1:] in _SCALES and plain[-1:] else ""
    digits = plain[:-1] if scale else plain
    if len(t) > _MAX_CHARS or not _NUMBER.fullmatch(digits):
        raise SpecError(f"{what}: cannot read {_brief(v)} as a number (write 11_689_512, 1.82e9 or 1.82G)")
    return Fraction(digits) * _SCALES[scale], t


def _brief(v) -> str:
    t = repr(v)
    return t if len(t) <= 60 else t[:40] + "..." + t[-10:]


def _tolerance(v, q: str) -> tuple[Fraction, bool, str]:
    what = f"expect: '{q}': tolerance"
    if isinstance(v, str) and v.strip().endswith("%"):
        pct, _ = _number(v.strip()[:-1], what)
        return pct, True, f"{v.strip()[:-1].strip()}%"
    tol, text = _number(v, what)
    return tol, False, text


def parse_expect(raw, file: str, line) -> list[Expectation]:
    """The ``expect:`` mapping, checked: known quantities, each a number or ``{value, tolerance}``."""
    if not isinstance(raw, Map) or not raw:
        raise SpecError(f"'expect' must be a mapping of figures to values, e.g. 'expect: {{params: 11_689_512}}' "
                        f"(figures: {', '.join(QUANTITIES)})", file=file, line=line)
    out = []
    for q, v in raw.items():
        at = raw.line_of(q)
        if q not in QUANTITIES:
            raise SpecError(f"expect: unknown figure {_brief(q)}{_close(q)} (figures: {', '.join(QUANTITIES)})",
                            file=file, line=at)
        tol = None
        if isinstance(v, Map):
            extra = [k for k in v if k not in FIGURE_KEYS]
            if extra:
                raise SpecError(f"expect: '{q}': unknown key {_brief(extra[0])} (keys: value, tolerance)",
                                file=file, line=v.line_of(extra[0]))
            if "value" not in v:
                raise SpecError(f"expect: '{q}' needs a 'value'", file=file, line=at)
            tol, v = v.get("tolerance"), v["value"]
        try:
            value, text = _number(v, f"expect: '{q}'")
            if tol is None:
                out.append(Expectation(q, value, text, line=at))
                continue
            t, relative, t_text = _tolerance(tol, q)
        except SpecError as e:
            raise e.located(file=file, line=at) from None
        out.append(Expectation(q, value, text, t, relative, t_text, at))
    return out


def _close(word) -> str:
    import difflib

    close = difflib.get_close_matches(str(word)[:64], list(QUANTITIES), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""

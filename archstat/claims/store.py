"""Claims: published figures as their sources write them, read from ``specs/claims/*.yaml``.

A claim names a spec, optionally a layer (or a block prefix), a quantity and a value *as written* ("35K", "138M",
"15.47G", "60 million", "55x55x96"), with its source. This module reads and validates claim files and parses the
written values into a number (or shape) plus the precision the source wrote it to; ``verify`` does the comparing.
The format is documented in ``specs/claims/README.md``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from archstat.errors import SpecError
from archstat.io.limits import MAX_CLAIMS, MAX_SPEC_CHARS, MAX_VALUE_CHARS

QUANTITIES = {
    "params": "parameters",
    "trainable_params": "trainable parameters",
    "weights": "parameters without biases",
    "macs": "multiply-accumulates (conv, deconv, linear, rbf)",
    "flops": "archstat FLOPs (2 x MACs plus the other arithmetic)",
    "activations": "output elements (network total: every stored tensor, input included)",
    "activation_bytes": "activation elements x 4 bytes",
    "output_shape": "output shape",
    "receptive_field": "receptive field size",
    "depth": "weight layers on the longest path",
    "weight_layers": "conv, deconv, linear and rbf layers",
}
NETWORK_ONLY = {"depth", "weight_layers", "trainable_params"}
LAYER_ONLY = {"output_shape"}
KEYS = ("spec", "layer", "quantity", "value", "unit", "source", "convention", "group", "total_of", "order", "input",
        "explanation")
FILE_KEYS = ("source", "convention", "claims", "doc")

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
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_WORDS = ("flops|gflops|params|parameters?|weights?|ops|operations|macs|mult-adds|multiply-adds|multiplications|"
          "connections|neurons?|units|layers?|bytes|elements|activations|deep|trainable|total|conv|convolutional|fc|"
          "fully-connected|fully|connected|hidden|pooling|filters?|channels?|in|of")
_SCALE_RE = "|".join(sorted(SCALES, key=len, reverse=True)[:-1])  # the empty scale last: left out

# Values are read by a scanner: each regex below matches one token at a given position and has no nested or
# adjacent ambiguous quantifiers, so every token costs time linear in its own length and the scanner never goes
# back more than one token. Reading a value is linear in its length whatever it holds (and its length is bounded).
_WS = re.compile(r"\s*")
_SEPARATORS = re.compile(r"[\s-]*")
_APPROX = re.compile(r"\s*(?:~|≈|about|approximately|approx\.?|around|roughly|circa|ca\.)\s*", re.I)
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
    pos = _WS.match(s, 1 if s.startswith("[") else 0).end()
    m = _INT.match(s, pos)
    if m is None:
        return None
    dims = [m.group()]
    pos = m.end()
    while len(dims) < 3 and (m := _BY.match(s, pos)) is not None:
        dims.append(m.group(1))
        pos = m.end()
    pos = _WS.match(s, pos).end()
    if s.startswith("]", pos):
        pos += 1
    return dims if pos == len(s) else None


def _product_factors(s: str) -> list[str] | None:
    """The factors of the source's own product ``28x28x32x5x5x192`` (two at least), or None."""
    m = _INT.match(s, _WS.match(s).end())
    if m is None:
        return None
    factors = [m.group()]
    pos = m.end()
    while (m := _TIMES.match(s, pos)) is not None:
        factors.append(m.group(1))
        pos = m.end()
    return factors if len(factors) > 1 and _WS.match(s, pos).end() == len(s) else None


def _words_to_end(s: str, pos: int) -> bool:
    """True when ``s[pos:]`` is only ignorable words ("layers", "FLOPs"), each after spaces or dashes."""
    while True:
        w = _WORD.match(s, _SEPARATORS.match(s, pos).end())
        if w is None:
            return _WS.match(s, pos).end() == len(s)
        pos = w.end()


def _number_parts(s: str) -> tuple[str, str | None, str] | None:
    """(digits, power of ten or None, scale) of ``35K``, ``3.6 x10^9``, ``60 million parameters``, or None."""
    m = _DIGITS.match(s)
    if m is None:
        return None
    digits, exp10, pos = m.group(), None, m.end()
    e = _EXPONENT.match(s, _WS.match(s, pos).end())
    if e is not None:
        exp10, pos = e.group(1), e.end()
    at = _WS.match(s, pos).end()
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

    def matches(self, x, coarse: bool = False) -> bool:
        """True when ``x`` rounds to the written figure: to its last digit, or (``coarse``) to its last non-zero
        digit, or cut off after its last digit, and within 5% either way ("100M" is not a rounding of 138M)."""
        if self.number is None or x is None:
            return False
        off = abs(Fraction(x) - self.number)
        if coarse:  # "60 million" for 62,378,344 (its last non-zero digit), or "16M" for 16,777,216 (truncated)
            return (off * 2 <= self.coarse or self.truncates(x)) and off * 20 <= abs(self.number)
        return off * 2 <= self.unit

    def truncates(self, x) -> bool:
        """True when the written figure is ``x`` cut off (not rounded) after its last digit."""
        return self.number is not None and 0 <= Fraction(x) - self.number < self.unit


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
    return Value(s, number, unit_place, coarse, approx)


@dataclass
class Claim:
    spec: str
    quantity: str
    value: Value
    source: str
    file: str
    line: int | None
    layer: str | None = None
    convention: str | None = None
    group: str | None = None
    total_of: str | None = None
    order: str = "hwc"
    input: tuple | None = None
    explanation: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def claims_dir() -> Path:
    from archstat.language.catalog import specs_dir

    return specs_dir() / "claims"


_COUNTED: list = [None, 0]  # [the run, the claims its claim files have held so far]


def _count_claims(n: int, shown: str, lines: list) -> None:
    """Charge ``n`` claims of the file ``shown`` to the run; past ``MAX_CLAIMS`` (all files together) an error
    naming the file and the line of the first claim over the limit, before any of them is read."""
    from archstat.io.run import current

    run = current()
    if _COUNTED[0] is not run:
        _COUNTED[0], _COUNTED[1] = run, 0
    over = MAX_CLAIMS - _COUNTED[1]  # the index of the first claim of this file beyond the limit
    if n > over:
        raise SpecError(f"more than {MAX_CLAIMS:,} claims to verify (the limit)", file=shown,
                        line=lines[over] if 0 <= over < len(lines) else None)
    _COUNTED[1] += n


def load_file(path: Path, shown: str | None = None) -> list[Claim]:
    """The claims of one file: a regular file, read through ``reading.read_file`` (size-checked, registered as an
    input of the run), at most ``MAX_CLAIMS`` of them in one run; every problem is one line naming file and line."""
    from archstat.io.reading import read_file
    from archstat.language.yamlio import Map, Seq, parse_yaml

    shown = shown or f"specs/claims/{path.name}"
    data = read_file(path, shown)
    doc = parse_yaml(data, shown)
    if not isinstance(doc, Map) or not isinstance(doc.get("claims"), Seq):
        raise SpecError("a claims file is a mapping with a 'claims' list", file=shown, line=getattr(doc, "line", 1))
    for k in doc:
        if k not in FILE_KEYS:
            raise SpecError(f"unknown top-level key {_short(k)} (keys: {', '.join(FILE_KEYS)})", file=shown,
                            line=doc.line_of(k))
        if k in ("source", "convention") and not isinstance(doc[k], str):
            raise SpecError(f"top-level '{k}' must be text, got {_brief(doc[k])}", file=shown, line=doc.line_of(k))
    items = doc["claims"]
    _count_claims(len(items), shown, items.item_lines)
    out = []
    for i, item in enumerate(items):
        line = items.item_lines[i]
        try:
            out.append(_claim(item, doc, shown, line))
        except SpecError as e:
            raise e.located(file=shown, line=line) from None
    return out


def _text(item, key, required=False):
    v = item.get(key)
    if v is None:
        if required:
            raise SpecError(f"claim lacks '{key}'")
        return None
    if not isinstance(v, (str, int)) or isinstance(v, bool):
        raise SpecError(f"claim '{key}' must be text, got {_brief(v)}")
    return str(v)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc: NUL, newline, escape, delete, C1


def check_spec(spec) -> str:
    """A claim's ``spec``: a built-in spec name or the path of a spec file, as text. Never standard input ('-'),
    never empty, no control character or NUL, at most ``MAX_SPEC_CHARS`` characters."""
    how = "name a built-in spec or a spec file"
    if not isinstance(spec, str):
        raise SpecError(f"claim 'spec' must be text ({how}), got {_brief(spec)}")
    if not spec.strip():
        raise SpecError(f"claim 'spec' is empty; {how}")
    if spec.strip() == "-":
        raise SpecError(f"claim 'spec' is '-', standard input, which a claim cannot name; {how}")
    if len(spec) > MAX_SPEC_CHARS:
        raise SpecError(f"claim 'spec' is {len(spec):,} characters long, more than {MAX_SPEC_CHARS:,}; {how}")
    bad = _CONTROL.search(spec)
    if bad:
        what = "a NUL byte" if bad.group() == "\0" else f"a control character ({ascii(bad.group())[1:-1]})"
        raise SpecError(f"claim 'spec' holds {what}; {how}")
    return spec


def _claim(item, doc, shown, line) -> Claim:
    from archstat.language.yamlio import Map

    if not isinstance(item, Map):
        raise SpecError(f"a claim is a mapping with spec, quantity, value and source, got {_brief(item)}")
    for k in item:
        if k not in KEYS:
            raise SpecError(f"unknown claim key {_short(k)} (keys: {', '.join(KEYS)})")
    if item.get("spec") is None:
        raise SpecError("claim lacks 'spec'")
    spec = check_spec(item["spec"])
    q = _text(item, "quantity", True)
    if q not in QUANTITIES:
        raise SpecError(f"unknown quantity {_short(q)} (quantities: {', '.join(QUANTITIES)})")
    layer = _text(item, "layer")
    if layer and q in NETWORK_ONLY:
        raise SpecError(f"quantity '{q}' is about a whole network; drop 'layer'")
    if not layer and q in LAYER_ONLY:
        raise SpecError(f"quantity '{q}' needs a 'layer'")
    source = _text(item, "source") or doc.get("source")
    if not source:
        raise SpecError("claim lacks a 'source' (and the file gives no default)")
    order = _text(item, "order") or "hwc"
    if order not in ("hwc", "chw"):
        raise SpecError(f"'order' must be hwc or chw, got {_short(order)}")
    if "value" not in item:
        raise SpecError("claim lacks 'value'")
    raw = item["value"]
    dims = _shape_dims(_value_text(raw).strip()) if q == "receptive_field" and isinstance(raw, str) else None
    if dims and len(dims) == 2 and dims[0] == dims[1]:  # "5x5": a square field
        value = Value(raw.strip(), Fraction(int(dims[0])), Fraction(1), Fraction(1))
    else:
        value = parse_value(raw, _text(item, "unit"), shape=q == "output_shape")
    inp = item.get("input")
    if inp is not None:
        if not isinstance(inp, list) or len(inp) != 3 or not all(
                isinstance(x, int) and not isinstance(x, bool) and 0 < x < 1 << 20 for x in inp):
            raise SpecError(f"'input' must be [C, H, W], got {_brief(inp)}")
        inp = tuple(inp)
    return Claim(spec=spec, quantity=q, value=value, source=source, file=shown, line=line, layer=layer,
                 convention=_text(item, "convention") or doc.get("convention"), group=_text(item, "group"),
                 total_of=_text(item, "total_of"), order=order, input=inp, explanation=_text(item, "explanation"))


def load_all(directory: Path | None = None) -> list[Claim]:
    """Every claim of the built-in claim files (``specs/claims/*.yaml``), in file order."""
    d = directory or claims_dir()
    claims: list[Claim] = []
    for p in sorted(d.glob("*.yaml")):
        claims.extend(load_file(p))
    return claims

"""Claims: published figures as their sources write them, read from ``specs/claims/*.yaml``.

A claim names a spec, optionally a layer (or a block prefix), a quantity and a value *as written* ("35K", "138M",
"15.47G", "60 million", "55x55x96"), with its source. This module reads and validates claim files and parses the
written values into a number (or shape) plus the precision the source wrote it to; ``verify`` does the comparing.
The format is documented in ``specs/claims/README.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import SpecError

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


_PRODUCT = re.compile(r"^\s*\d+(\s*[x×*]\s*\d+)+\s*$")
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_APPROX = re.compile(r"^\s*(~|≈|about|approx\.?|approximately|around|roughly|circa|ca\.)\s*", re.I)
_WORDS = ("flops|gflops|params|parameters?|weights?|ops|operations|macs|mult-adds|multiply-adds|multiplications|"
          "connections|neurons?|units|layers?|bytes|elements|activations|deep|trainable|total|conv|convolutional|fc|"
          "fully-connected|fully|connected|hidden|pooling|filters?|channels?|in|of")
_SCALE_RE = "|".join(sorted(SCALES, key=len, reverse=True)[:-1])  # the empty scale last: left out
_NUMBER = re.compile(r"^([0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+)\s*(?:x\s*10\^(-?\d+))?\s*(" + _SCALE_RE
                     + r")?(?![a-z])(?:[\s-]*(?:" + _WORDS + r")\b)*\s*$", re.I)
_SHAPE = re.compile(r"^\[?\s*(\d+)(?:\s*[x×*]\s*(\d+))?(?:\s*[x×*]\s*(\d+))?\s*\]?$", re.I)


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
    """``"35K"``, ``"~590K"``, ``"15.47"`` with unit ``G``, ``"120,422,400"``, ``"60 million"``, ``"55x55x96"``."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise SpecError(f"'value' must be text as the source writes it, got {text!r}")
    s = str(text).strip()
    if shape:
        m = _SHAPE.match(s)
        if not m:
            raise SpecError(f"an output_shape value looks like 55x55x96, 55x55 or 4096, got {text!r}")
        return Value(s, shape=tuple(int(g) for g in m.groups() if g is not None))
    approx = bool(_APPROX.match(s))
    body = _APPROX.sub("", s)
    if _PRODUCT.match(body):  # "28x28x32x5x5x192": the source's own product, exact
        n = 1
        factors = re.split(r"\s*[x×*]\s*", body.strip())
        if len(factors) > 20 or any(len(f) > MAX_DIGITS for f in factors):
            raise SpecError(f"cannot read the number {_short(text)}: a product of more than 20 factors or of "
                            f"factors over {MAX_DIGITS} digits")
        for f in factors:
            n *= int(f)
        return Value(s, Fraction(n), Fraction(1), Fraction(1), approx)
    first = body.split(" ", 1)[0].split("-", 1)[0].lower()
    if first in NUMBER_WORDS:  # "eight layers", "twenty-two layers" is not supported: write 22
        body = str(NUMBER_WORDS[first]) + body[len(first):]
    m = _NUMBER.match(body)
    if not m:
        raise SpecError(f"cannot read the number {text!r} (write it like 35K, 138M, 15.47G, 60 million, 120,422,400)")
    digits, exp10, suffix = m.group(1), m.group(2), (m.group(3) or "").lower()
    if len(digits) > MAX_DIGITS or (exp10 and abs(int(exp10)) > MAX_EXPONENT):
        raise SpecError(f"cannot read the number {_short(text)}: more than {MAX_DIGITS} digits or an exponent "
                        f"beyond 10^{MAX_EXPONENT}")
    if suffix and unit:
        raise SpecError(f"value {text!r} has a scale and 'unit' gives another ({unit!r})")
    suffix = suffix or (unit or "").strip().lower()
    if suffix not in SCALES:
        raise SpecError(f"unknown scale '{suffix}' in {text!r} (use K, M, G, B, thousand, million, billion, MB, MiB)")
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
    from .catalog import specs_dir

    return specs_dir() / "claims"


def load_file(path: Path, shown: str | None = None) -> list[Claim]:
    from .spec.yamlio import Map, Seq, parse_yaml

    shown = shown or f"specs/claims/{path.name}"
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SpecError(f"cannot read: {e.strerror or e}", file=shown) from None
    doc = parse_yaml(data, shown)
    if not isinstance(doc, Map) or not isinstance(doc.get("claims"), Seq):
        raise SpecError("a claims file is a mapping with a 'claims' list", file=shown, line=getattr(doc, "line", 1))
    for k in doc:
        if k not in FILE_KEYS:
            raise SpecError(f"unknown top-level key '{k}' (keys: {', '.join(FILE_KEYS)})", file=shown,
                            line=doc.line_of(k))
    out = []
    for i, item in enumerate(doc["claims"]):
        line = doc["claims"].item_lines[i]
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
        raise SpecError(f"claim '{key}' must be text, got {v!r}")
    return str(v)


def _claim(item, doc, shown, line) -> Claim:
    from .spec.yamlio import Map

    if not isinstance(item, Map):
        raise SpecError(f"a claim is a mapping with spec, quantity, value and source, got {item!r}")
    for k in item:
        if k not in KEYS:
            raise SpecError(f"unknown claim key '{k}' (keys: {', '.join(KEYS)})")
    spec = _text(item, "spec", True)
    q = _text(item, "quantity", True)
    if q not in QUANTITIES:
        raise SpecError(f"unknown quantity '{q}' (quantities: {', '.join(QUANTITIES)})")
    layer = _text(item, "layer")
    if layer and q in NETWORK_ONLY:
        raise SpecError(f"quantity '{q}' is about a whole network; drop 'layer'")
    if not layer and q in LAYER_ONLY:
        raise SpecError(f"quantity '{q}' needs a 'layer'")
    source = _text(item, "source") or (doc.get("source") if isinstance(doc.get("source"), str) else None)
    if not source:
        raise SpecError("claim lacks a 'source' (and the file gives no default)")
    order = _text(item, "order") or "hwc"
    if order not in ("hwc", "chw"):
        raise SpecError(f"'order' must be hwc or chw, got {order!r}")
    if "value" not in item:
        raise SpecError("claim lacks 'value'")
    raw = item["value"]
    m = _SHAPE.match(str(raw).strip()) if q == "receptive_field" and isinstance(raw, str) else None
    if m and m.group(2) is not None and m.group(3) is None and m.group(1) == m.group(2):  # "5x5": a square field
        value = Value(raw.strip(), Fraction(int(m.group(1))), Fraction(1), Fraction(1))
    else:
        value = parse_value(raw, _text(item, "unit"), shape=q == "output_shape")
    inp = item.get("input")
    if inp is not None:
        if not isinstance(inp, list) or len(inp) != 3 or not all(isinstance(x, int) and 0 < x < 1 << 20 for x in inp):
            raise SpecError(f"'input' must be [C, H, W], got {inp!r}")
        inp = tuple(inp)
    return Claim(spec=spec, quantity=q, value=value, source=source, file=shown, line=line, layer=layer,
                 convention=_text(item, "convention") or doc.get("convention"), group=_text(item, "group"),
                 total_of=_text(item, "total_of"), order=order, input=inp, explanation=_text(item, "explanation"))


def load_all(directory: Path | None = None) -> list[Claim]:
    d = directory or claims_dir()
    claims: list[Claim] = []
    for p in sorted(d.glob("*.yaml")):
        claims.extend(load_file(p))
    return claims

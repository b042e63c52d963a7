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
from typing import TYPE_CHECKING

from archstat.claims.values import SCALES, Value, _brief, _shape_dims, _short, _value_text, parse_value  # noqa: F401  (re-exported: a claim's value is parsed there)
from archstat.errors import SpecError
from archstat.io.limits import MAX_CLAIMS, MAX_SPEC_CHARS

if TYPE_CHECKING:
    from archstat.claims.because import Because
    from archstat.claims.errata import SourceError

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
        "because", "explanation", "source_error")
ORDERS = ("hwc", "chw", "whc")  # how a shape is written: H x W x C (default), C x H x W, or width first
FILE_KEYS = ("source", "convention", "claims", "doc")

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
    because: Because | None = None  # archstat.claims.because.Because: the computed alternative the claim names
    source_error: SourceError | None = None  # archstat.claims.errata.SourceError: an acknowledged error of the source
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
    if order not in ORDERS:
        raise SpecError(f"'order' must be hwc, chw or whc, got {_short(order)}")
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
    because = None
    if "because" in item and item["because"] is None:
        raise SpecError("'because' is empty; name an alternative (see specs/claims/README.md)")
    if item.get("because") is not None:
        from archstat.claims.because import parse_because

        because = parse_because(item["because"])
    erratum = None
    if "source_error" in item:
        from archstat.claims.errata import parse as parse_erratum

        erratum = parse_erratum(item["source_error"])
    return Claim(spec=spec, quantity=q, value=value, source=source, file=shown, line=line, layer=layer,
                 convention=_text(item, "convention") or doc.get("convention"), group=_text(item, "group"),
                 total_of=_text(item, "total_of"), order=order, input=inp, explanation=_text(item, "explanation"),
                 because=because, source_error=erratum)


def load_all(directory: Path | None = None) -> list[Claim]:
    """Every claim of the built-in claim files (``specs/claims/*.yaml``), in file order."""
    d = directory or claims_dir()
    claims: list[Claim] = []
    for p in sorted(d.glob("*.yaml")):
        claims.extend(load_file(p))
    return claims

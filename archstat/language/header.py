"""The spec's header: its top-level keys, and the checks of ``input``, ``accuracy`` and the descriptive metadata
(``title``, ``family``, ``year``, ``citations``, ``notes``). ``expand.compile_spec`` applies them before expanding."""

from __future__ import annotations

from archstat.errors import SpecError
from archstat.io.limits import MAX_DIM
from archstat.language.yamlio import Map

HEADER_KEYS = ("name", "title", "family", "year", "citations", "accuracy", "input", "notes", "include", "vars",
               "blocks", "layers", "outputs", "expect")


def parse_input_shape(v, file, line) -> tuple:
    if not isinstance(v, list) or len(v) not in (1, 3) or any(
            isinstance(x, bool) or not isinstance(x, int) or x < 1 or x > MAX_DIM for x in v):
        raise SpecError(f"'input' must be [C, H, W] (or [features]) of positive integers, got {v!r}",
                        file=file, line=line)
    return tuple(v)


def check_accuracy(acc, file: str, line) -> None:
    """``accuracy: {top1: 76.13, top5: 92.86, source: "..."}``: published single-crop ImageNet accuracy in percent."""
    if not isinstance(acc, Map) or "top1" not in acc or "source" not in acc:
        raise SpecError("'accuracy' must be a mapping with top1 (percent) and source", file=file, line=line)
    for k, v in acc.items():
        if k not in ("top1", "top5", "source", "dataset"):
            raise SpecError(f"accuracy: unknown key '{k}' (keys: top1, top5, source, dataset)", file=file,
                            line=acc.line_of(k))
        if k in ("top1", "top5") and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 100):
            raise SpecError(f"accuracy: '{k}' must be a percentage in (0, 100], got {v!r}", file=file,
                            line=acc.line_of(k))
        if k in ("source", "dataset") and (not isinstance(v, str) or not v.strip()):
            raise SpecError(f"accuracy: '{k}' must be text", file=file, line=acc.line_of(k))


def check_meta(doc: Map, file: str) -> None:
    """``title``, ``family`` and ``notes`` are text, ``year`` a whole number, ``citations`` text or a list of it."""
    for k in ("title", "family", "notes"):
        if k in doc and doc[k] is not None and not isinstance(doc[k], str):
            raise SpecError(f"'{k}' must be text, got {doc[k]!r}", file=file, line=doc.line_of(k))
    year = doc.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise SpecError(f"'year' must be a whole number, got {year!r}", file=file, line=doc.line_of("year"))
    cites = doc.get("citations")
    if cites is not None and not isinstance(cites, str) and (
            not isinstance(cites, list) or not all(isinstance(c, str) for c in cites)):
        raise SpecError(f"'citations' must be text or a list of texts, got {cites!r}", file=file,
                        line=doc.line_of("citations"))

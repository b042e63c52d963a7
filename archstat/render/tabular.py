"""Rows of plain values (compare, list, sweep, bench) as CSV, JSON or a Markdown table."""

from __future__ import annotations

import csv
import io
import json


def to_text(rows: list[dict], fmt: str, numeric=frozenset()) -> str:
    """``fmt`` is csv, json or markdown; in Markdown, integers in ``numeric`` columns get thousands separators and
    those columns are right-aligned."""
    cols = list(rows[0]) if rows else []
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()
    text = "| " + " | ".join(cols) + " |\n|" + "|".join("---:" if c in numeric else "---" for c in cols) + "|\n"
    return text + "".join("| " + " | ".join(_md(r[c], c in numeric) for c in cols) + " |\n" for r in rows)


def _md(v, numeric: bool) -> str:
    if numeric and isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v).replace("|", "\\|")

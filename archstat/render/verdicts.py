"""``archstat verify`` results as a table (people), JSON, CSV or Markdown (machines, reports/verification.*)."""

from __future__ import annotations

import csv
import io
import json

from archstat.claims.verify import Result, computed_text, counts
from archstat.errors import printable

COLUMNS = ["spec", "layer", "quantity", "claimed", "computed", "verdict", "explanation", "source"]
STYLE = {"match": "green", "explained": "yellow", "mismatch": "bold red"}


def cells(r: Result) -> dict:
    c = r.claim
    return {"spec": c.spec, "layer": c.layer or "", "quantity": c.quantity, "claimed": c.value.text,
            "computed": computed_text(r), "verdict": verdict_text(r), "explanation": r.explanation, "source": c.source}


def verdict_text(r: Result) -> str:
    return f"{r.verdict} (source error)" if r.acknowledged else r.verdict


def tally(results: list[Result]) -> str:
    n = counts(results)
    ack = f" ({n['acknowledged']} acknowledged as the source's error)" if n["acknowledged"] else ""
    return f"{len(results)} claims: {n['match']} match, {n['explained']} explained, {n['mismatch']} mismatch{ack}"


def to_json(results: list[Result]) -> str:
    return json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False) + "\n"


def to_csv(results: list[Result]) -> str:
    buf = io.StringIO()
    cols = COLUMNS + ["convention", "claim_file"]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in results:
        row = cells(r)
        row["convention"] = r.claim.convention or ""
        row["claim_file"] = r.claim.where
        w.writerow(row)
    return buf.getvalue()


def _md(s: str) -> str:
    return printable(s.replace("|", "\\|").replace("\n", " "))


def to_markdown(results: list[Result]) -> str:
    out = [f"{tally(results)}.", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in results:
        row = cells(r)
        row["verdict"] = f"**{row['verdict']}**" if r.verdict != "match" else row["verdict"]
        out.append("| " + " | ".join(_md(str(row[k])) for k in COLUMNS) + " |")
    return "\n".join(out) + "\n"


def print_table(results: list[Result], console, show_source: bool = False) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Claims", title_justify="left")
    cols = [c for c in COLUMNS if show_source or c != "source"]
    for c in cols:
        t.add_column(c, justify="right" if c in ("claimed", "computed") else "left",
                     overflow="fold", ratio=3 if c in ("explanation", "source") else None)
    for r in results:
        row = cells(r)
        t.add_row(*[Text(printable(row[c]), style=STYLE[r.verdict] if c == "verdict" else "") for c in cols])
    console.print(t)
    n = counts(results)
    style = "bold red" if n["mismatch"] > n["acknowledged"] else "yellow" if n["mismatch"] else "green"
    console.print(f"[{style}]{tally(results)}[/]")

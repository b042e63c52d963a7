"""``archstat check --against torchvision`` results: one line per spec (people), or rows (JSON, CSV, Markdown)."""

from __future__ import annotations

import csv
import io
import json

COLUMNS = ["spec", "reference", "ok", "keys", "compared_layers", "max_abs_diff", "bad_layer", "why"]


def _line(p) -> str:
    if p.ok:
        return (f"{p.spec}: computes {p.reference}'s function: {p.keys} state_dict tensors equal by name and shape, "
                f"{p.compared_layers} layers' outputs and the network's output equal (max |difference| "
                f"{p.max_abs_diff:.3g}; rtol 1e-4, atol 1e-5)")
    return f"{p.spec}: differs from {p.reference} at layer {p.bad_layer}: {p.why}"


def print_table(proofs, console) -> None:
    from rich.text import Text

    from archstat.errors import printable

    for p in proofs:
        console.print(Text(printable(_line(p)), style="green" if p.ok else "bold red"))


def to_json(proofs) -> str:
    return json.dumps([p.as_dict() for p in proofs], indent=2) + "\n"


def to_csv(proofs) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for p in proofs:
        d = p.as_dict()
        w.writerow({k: "" if d[k] is None else d[k] for k in COLUMNS})
    return buf.getvalue()


def to_markdown(proofs) -> str:
    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for p in proofs:
        d = p.as_dict()
        out.append("| " + " | ".join("" if d[k] is None else str(d[k]).replace("|", "\\|") for k in COLUMNS) + " |")
    return "\n".join(out) + "\n"

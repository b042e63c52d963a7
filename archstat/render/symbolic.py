"""Symbolic summaries (``archstat summary SPEC --input 3xHxW``): expressions per layer and in total."""

from __future__ import annotations

import csv
import io
import json

COLUMNS = ["name", "kind", "output_shape", "params", "macs", "flops", "activations"]


def _shape(s) -> str:
    return " x ".join(str(d) for d in s)


def to_json(sa) -> str:
    return json.dumps(sa.as_dict(), indent=2) + "\n"


def to_csv(sa) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in sa.as_dict()["layers"]:
        w.writerow({**r, "output_shape": " x ".join(r["output_shape"])})
    return buf.getvalue()


def to_markdown(sa) -> str:
    d = sa.as_dict()
    out = [f"**{sa.name}**, input {' x '.join(d['input'])}", "", "| " + " | ".join(COLUMNS) + " |",
           "|" + "---|" * len(COLUMNS)]
    for r in d["layers"]:
        r = {**r, "output_shape": " x ".join(r["output_shape"])}
        out.append("| " + " | ".join(f"`{r[c]}`" if c not in ("name", "kind") else r[c] for c in COLUMNS) + " |")
    out += ["", *[f"- total {k}: `{v}`" for k, v in d["totals"].items()]]
    if d["valid_where"]:
        out.append(f"- valid where: {', '.join(f'`{c}`' for c in d['valid_where'])}")
    return "\n".join(out) + "\n"


def print_table(sa, console) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    d = sa.as_dict()
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left",
              title=f"{sa.name}: input {' x '.join(d['input'])} (symbolic; floors are PyTorch's integer divisions)")
    for c, j in (("layer", "left"), ("kind", "left"), ("output", "right"), ("params", "right"), ("MACs", "right"),
                 ("activations", "right")):
        t.add_column(c, justify=j, overflow="fold")
    for r in sa.layers:
        t.add_row(r.name, Text(r.kind, style="cyan"), _shape(r.output_shape), str(r.params), str(r.macs),
                  str(r.activations))
    console.print(t)
    for k in ("params", "macs", "flops", "activations"):
        console.print(Text(f"{k:12s}", style="bold"), Text(str(sa.totals[k])))
    if sa.assumptions:
        console.print(Text("assuming   ", style="bold"), Text(", ".join(sa.assumptions)))
    if sa.conditions:
        bounds = [c for c in sa.conditions if isinstance(c, __import__("sympy").GreaterThan) and c.lhs.is_Symbol]
        rest = len(sa.conditions) - len(bounds)
        text = ", ".join(str(c) for c in bounds)
        if rest:
            text += f"{' and ' if bounds else ''}{rest} more condition{'s' if rest > 1 else ''} from the layers' " \
                    f"rules (ceil-mode windows, merges that must agree; all in --format json)"
        console.print(Text("valid where", style="bold"), Text(text))
    sample = ", ".join(f"{k} = {v}" for k, v in sa.sample.items())
    console.print(Text(f"(comparisons inside the layer rules were decided at {sample}; 'archstat sweep' checks "
                       f"sizes one by one)", style="dim"))

"""Symbolic summaries (``archstat summary SPEC --input 3xHxW``): expressions per layer and in total."""

from __future__ import annotations

import csv
import io
import json

COLUMNS = ["name", "kind", "output_shape", "params", "macs", "flops", "activations"]


def _texts(sa) -> dict:
    """``sa.as_dict()``: every expression as text, computed before anything is written, so that an expression sympy
    cannot print (nested too deeply for its recursive printer) is one error line, not a traceback or half a table."""
    from archstat.errors import SpecError

    try:
        return sa.as_dict()
    except RecursionError:
        raise SpecError("the closed forms nest too deeply to print; give numbers for some dimensions of --input") \
            from None


def to_json(sa) -> str:
    return json.dumps(_texts(sa), indent=2) + "\n"


def to_csv(sa) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in _texts(sa)["layers"]:
        w.writerow({**r, "output_shape": " x ".join(r["output_shape"])})
    return buf.getvalue()


def to_markdown(sa) -> str:
    d = _texts(sa)
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
    import sympy as sp
    from rich import box
    from rich.table import Table
    from rich.text import Text

    d = _texts(sa)
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left",
              title=f"{sa.name}: input {' x '.join(d['input'])} (symbolic; floors are PyTorch's integer divisions)")
    for c, j in (("layer", "left"), ("kind", "left"), ("output", "right"), ("params", "right"), ("MACs", "right"),
                 ("activations", "right")):
        t.add_column(c, justify="left" if j == "left" else "right", overflow="fold")
    for r in d["layers"]:
        t.add_row(r["name"], Text(r["kind"], style="cyan"), " x ".join(r["output_shape"]), r["params"], r["macs"],
                  r["activations"])
    console.print(t)
    for k in ("params", "macs", "flops", "activations"):
        console.print(Text(f"{k:12s}", style="bold"), Text(d["totals"][k]))
    if sa.assumptions:
        console.print(Text("assuming   ", style="bold"), Text(", ".join(sa.assumptions)))
    if sa.conditions:
        bounds = [text for c, text in zip(sa.conditions, d["valid_where"])
                  if isinstance(c, sp.GreaterThan) and c.lhs.is_Symbol]
        rest = len(sa.conditions) - len(bounds)
        text = ", ".join(bounds)
        if rest:
            text += f"{' and ' if bounds else ''}{rest} more condition{'s' if rest > 1 else ''} from the layers' " \
                    f"rules (ceil-mode windows, merges that must agree; all in --format json)"
        console.print(Text("valid where", style="bold"), Text(text))
    sample = ", ".join(f"{k} = {v}" for k, v in sa.sample.items())
    console.print(Text(f"(comparisons inside the layer rules were decided at {sample}; 'archstat sweep' checks "
                       f"sizes one by one)", style="dim"))

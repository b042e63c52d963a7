"""Rich renderings for people: the summary table, explain's derivation, the list and compare tables."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from archstat.core import receptive_field as rf
from archstat.core.conventions import short
from archstat.core.engine import Analysis
from archstat.render.numbers import shape
from archstat.render.summary_text import (  # noqa: F401  (summary_cells, summary_plain: this module's API too)
    COLUMNS,
    fit_items,
    note_lines,
    summary_cells,
    summary_plain,
    summary_segments,
    totals_items,
)


def summary_table(a: Analysis, depth: int | None = None, width: int | None = None, wide: bool = False) -> Text:
    """The per-layer table as one styled Text, fitted to ``width`` (``summary_text.Layout``)."""
    text = Text()
    for value, style in summary_segments(a, depth, width, wide):
        text.append(value, style=style)
    return text


def totals_lines(a: Analysis, width: int | None = None) -> list[str]:
    """The totals under the table, in rich markup (``[bold]...[/]``), broken between items at ``width``."""
    from rich.markup import escape

    def item(k, label, value, style):
        sep = ("  " if not label else "   ") if k else ""
        v = f"[{style}]{escape(value)}[/]" if style else escape(value)
        return sep + (f"[bold]{label}[/] {v}" if label else v)

    return ["".join(item(k, *it) for k, it in enumerate(line)) for line in fit_items(totals_items(a), width)]


def print_summary(a: Analysis, console: Console, depth: int | None = None, wide: bool = False) -> None:
    """The summary on a terminal, with styles, fitted to the console's width (``--wide``: every column)."""
    from rich.markup import escape

    console.print(summary_table(a, depth, console.width, wide), soft_wrap=True)
    for line in totals_lines(a, console.width):
        console.print(line, highlight=False)
    console.print()
    for line in short(a.dtype, a.batch):
        console.print(f"[dim]{escape(line)}[/]", highlight=False)
    if a.notes:
        console.print()
        for head, text in note_lines(a.notes):
            if head is None:
                console.print(f"  - {escape(text)}", highlight=False)
            else:
                console.print(f"[yellow]note[/] {escape(head)}:" + (f" {escape(text)}" if text else ""),
                              highlight=False)


def print_explain(a: Analysis, name: str, console: Console) -> None:
    r = a.layer(name)
    layer = r.layer
    shapes = {"input": a.input_shape, **{x.name: x.output_shape for x in a.layers}}
    fields = {"input": rf.START, **{x.name: x.field for x in a.layers}}
    ins = [shapes[i] for i in r.inputs]
    d = layer.derivation(ins, r.output_shape)
    args = layer.args_text()
    where = f", {getattr(r.node, 'file', None) or a.graph.file}:{r.line}" if r.line else ""
    console.print(f"[bold]{r.name}[/] ([cyan]{r.kind}[/]{where})" + (f": {args}" if args else ""), highlight=False)
    for i, s in zip(r.inputs, ins):
        console.print(f"  input   {shape(s)}  from '{i}'", highlight=False)
    console.print(f"  output  {shape(r.output_shape)}", highlight=False)
    for text in d.get("shape", []):
        console.print(f"          {text}", highlight=False)
    b = f" per image; x {a.batch} = " if a.batch > 1 else ""

    def line(label, key, value, extra=""):
        text = d.get(key)
        if text is None:
            console.print(f"  {label:<7} unknown (no rule for this op)", highlight=False)
            return
        per = value // a.batch if (value is not None and key in ("macs", "flops")) else value
        total = f"{b}{value:,}" if b and key in ("macs", "flops") else ""
        console.print(f"  {label:<7} = {text} = {per:,}{total}{extra}", highlight=False)

    split = " + ".join(f"{k} {v:,}" for k, v in r.params.items())
    line("params", "params", r.n_params, f"   ({split})" if len(r.params) > 1 else "")
    if r.buffers:
        console.print(f"  buffers = {' + '.join(f'{k} {v:,}' for k, v in r.buffers.items())}", highlight=False)
    line("MACs", "macs", r.macs)
    line("FLOPs", "flops", r.flops, f"   [{layer.flops_rule}]" if layer.flops_rule else "")
    if r.new_memory:
        console.print(f"  memory  = {' * '.join(map(str, r.output_shape))} = {r.activations // a.batch:,} elements"
                      f" x {a.dtype_bytes} B ({a.dtype}) = {r.activation_bytes // a.batch:,} B per image",
                      highlight=False)
    else:
        how = "a view of" if r.view else "in place on"
        console.print(f"  memory  = 0 new ({how} its input)", highlight=False)
    console.print(f"  RF      {_rf_derivation(r, layer, ins, fields)}", highlight=False)
    for n in r.notes:
        console.print(f"  [yellow]note[/]    {n}", highlight=False)


def _rf_derivation(r, layer, ins, fields) -> str:
    from archstat.layers import GLOBAL, frac_str

    f = r.field
    if f is rf.GLOBAL:
        return "the whole input (global pooling, a window over the whole input, flatten or a fully connected layer)"
    if f is None:
        return "unknown (no window rule for this op)"
    src = [fields[i] for i in r.inputs]
    size = "x".join(dict.fromkeys(frac_str(v) for v in f.size))
    stride = "x".join(dict.fromkeys(frac_str(v) for v in f.stride))
    pad = "x".join(dict.fromkeys(frac_str(v) for v in f.padding))
    head = f"size {size}, effective stride {stride}, effective padding {pad}"
    if len(src) > 1:
        gated = [n for n in r.notes if getattr(n, "code", None) == rf.RF_GATE]
        return head + (" (the feature path's: the union of the inputs' fields but the gate's, which sees the whole "
                       "input)" if gated else " (union of the inputs' fields)")
    w = layer.window(ins, r.output_shape)
    p = src[0]
    if w is GLOBAL or p is GLOBAL or p is None:
        return head
    a = 0
    return (head + f"\n          size = {frac_str(p.size[a])} + {frac_str(p.stride[a])}*({frac_str(w.extent[a])}-1)"
            f" = {frac_str(f.size[a])}; stride = {frac_str(p.stride[a])}*{frac_str(w.stride[a])} = "
            f"{frac_str(f.stride[a])}; padding = {frac_str(p.padding[a])} + {frac_str(p.stride[a])}*"
            f"{frac_str(w.padding[a])} = {frac_str(f.padding[a])}" + ("  (height; width likewise)"
                                                                        if f.size[0] != f.size[1] else ""))


def plain_table(title: str, columns: list[str], data: list[list], numeric: frozenset[str] | set[str] = frozenset()) -> Table:
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", pad_edge=False)
    for c in columns:
        t.add_column(c, justify="right" if c in numeric else "left", no_wrap=c in ("name", "spec"))
    for row in data:
        t.add_row(*[Text(str(x)) for x in row])  # data, never markup: "[int, ...]" and "[h, w]" print as written
    return t

"""Rich renderings for people: the summary table, explain's derivation, the list and compare tables."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from archstat.core import receptive_field as rf
from archstat.core.conventions import short
from archstat.core.engine import Analysis
from archstat.layers import elems
from archstat.render.numbers import commas, human, human_bytes, shape
from archstat.render.records import field_headline, rf_cell, rows, storage, stored_cell

COLUMNS = [("#", "r"), ("Layer", "l"), ("Kind", "l"), ("Output (CxHxW)", "r"), ("Params", "r"), ("MACs", "r"),
           ("Activations", "r"), ("RF (stride)", "r")]


def summary_cells(a: Analysis, depth: int | None = None) -> list[list[tuple[str, str]]]:
    """The table as rows of (text, style) cells; the input row first."""
    out = [[("0", "dim"), ("input", ""), ("", ""), (shape(a.input_shape), ""), ("0", "dim"), ("0", "dim"),
            (human(elems(a.input_shape) * a.batch), ""), ("1 (1)" if len(a.input_shape) == 3 else "all", "")]]
    where = storage(a)
    for i, r in enumerate(rows(a, depth), 1):
        n = stored_cell(r, a)
        act = (human(n), "") if n is not None else (where[r["name"]], "dim")
        macs = (human(r["macs"]), "") if r["macs"] else (("?", "bold yellow") if r["macs"] is None else ("0", "dim"))
        params = (commas(r["params"]), "") if r["params"] else ("0", "dim")
        name = r["name"] + (f" ({r['layers']} layers)" if r.get("layers") else "")
        out.append([(str(i), "dim"), (name, ""), (r["kind"], "cyan"), (shape(r["output_shape"]), ""), params, macs,
                    act, (rf_cell(r["rf"]), "")])
    return out


def summary_segments(a: Analysis, depth: int | None = None) -> list[tuple[str, str | None]]:
    """The per-layer table as (text, style) pieces, columns padded by hand: rich's Table measures and renders
    every cell separately (about 120 ms for ResNet-50's 175 rows, against a 0.3 s budget for the whole command;
    reports/perf_core.md)."""
    cells = summary_cells(a, depth)
    widths = [max(len(h), *(len(row[j][0]) for row in cells)) for j, (h, _) in enumerate(COLUMNS)]
    title = a.graph.meta.get("title") or a.name
    gap = "   "
    header = gap.join(h.rjust(w) if al == "r" else h.ljust(w) for (h, al), w in zip(COLUMNS, widths))
    out = [(title, "italic"), (f" ({a.name}; input {shape(a.input_shape)}, batch {a.batch}, {a.dtype})\n\n", "dim"),
           (" " + header + "\n", "bold"), (" " + "─" * len(header) + "\n", None)]
    right = [al == "r" for _, al in COLUMNS]
    for row in cells:
        out.append((" ", None))
        for j, ((value, style), r, w) in enumerate(zip(row, right, widths)):
            if j:
                out.append((gap, None))
            out.append((value.rjust(w) if r else value.ljust(w), style or None))
        out.append(("\n", None))
    return out


def summary_table(a: Analysis, depth: int | None = None) -> Text:
    """The per-layer table as one styled Text."""
    text = Text()
    for value, style in summary_segments(a, depth):
        text.append(value, style=style)
    return text


def totals_lines(a: Analysis) -> list[str]:
    """The totals under the table, in rich markup (``[bold]...[/]``)."""
    t = a.totals
    partial = ""
    if t.unknown_macs or t.unknown_flops:
        unk = sorted(set(t.unknown_macs) | set(t.unknown_flops))
        partial = f"  [bold yellow]partial: unknown counts in {', '.join(unk)}; totals are lower bounds[/]"
    field = field_headline(a)
    return [
        f"[bold]Params[/] {t.params:,} ({human(t.params)}; trainable {t.trainable_params:,}; weights without "
        f"biases {t.weights:,}; buffers {t.buffers:,})   [bold]Param memory[/] {human_bytes(t.param_bytes)}",
        f"[bold]MACs[/] {t.macs:,} ({human(t.macs)})   [bold]FLOPs[/] {t.flops:,} ({human(t.flops)}){partial}",
        f"[bold]Activations[/] {t.activations:,} ({human(t.activations)}; {human_bytes(t.activation_bytes)})   "
        f"[bold]Peak activations[/] {human_bytes(t.peak_activation_bytes)}   "
        f"[bold]Receptive field[/] {field}   [bold]Depth[/] {t.depth} weight layers",
    ]


def print_summary(a: Analysis, console: Console, depth: int | None = None) -> None:
    """The summary on a terminal, with styles."""
    from rich.markup import escape

    console.print(summary_table(a, depth), soft_wrap=True)
    for line in totals_lines(a):
        console.print(line, highlight=False)
    console.print()
    for line in short(a.dtype, a.batch):
        console.print(f"[dim]{escape(line)}[/]", highlight=False)
    if a.notes:
        console.print()
        for layer, note in a.notes:
            console.print(f"[yellow]note[/] {escape(layer)}: {escape(note)}", highlight=False)


def summary_plain(a: Analysis, depth: int | None = None) -> str:
    """The same summary as plain text, for a pipe or a file: no styles, no wrapping, and no rich rendering, which
    costs more than the analysis itself on deep networks (a 7,000-layer table: about 0.6 s)."""
    from rich.text import Text as _T

    parts = [v for v, _ in summary_segments(a, depth)]
    parts.append("\n")  # as console.print ends the table's Text
    parts += [_T.from_markup(line).plain + "\n" for line in totals_lines(a)]
    parts.append("\n")
    parts += [line + "\n" for line in short(a.dtype, a.batch)]
    if a.notes:
        parts.append("\n")
        parts += [f"note {layer}: {note}\n" for layer, note in a.notes]
    return "".join(parts)


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

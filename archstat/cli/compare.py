"""Several architectures, or one at several sizes: ``compare`` (a pandas DataFrame) and ``sweep``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archstat.cli._boundary import command
from archstat.cli._options import BatchOpt, DType, DTypeOpt, FormatOpt, InputOpt, OutputOpt, SpecArg, spec_names
from archstat.cli._output import console, emit, output_format, table_or_records


@command()
def compare(
    specs: Annotated[Optional[list[str]], typer.Argument(help="Spec names or files.")] = None,
    input: InputOpt = None,
    batch: BatchOpt = 1,
    dtype: DTypeOpt = DType.float32,
    format: FormatOpt = None,
    output: OutputOpt = None,
    all_specs: bool = typer.Option(False, "--all", help="Every built-in spec (the zoo), after any named ones."),
    sort: Annotated[Optional[str], typer.Option("--sort", help="Sort the rows by these comma-separated columns: "
                                                "params ascending, -params descending (--sort=-params), "
                                                "family,-macs.")] = None,
    columns: Annotated[Optional[str], typer.Option("--columns", help="Only these comma-separated columns, in "
                                                   "this order: name,params,macs.")] = None,
    wide: Annotated[bool, typer.Option("--wide", help="The table with every column (CSV, JSON and Markdown "
                                       "always have them all).")] = False,
) -> None:
    """One row per architecture: parameters, MACs, FLOPs, activations, peak memory, receptive field, depth."""
    from archstat.core.compare import NUMERIC, TABLE_COLUMNS, compare_frame
    from archstat.core.frame import frame_csv, select_columns, sort_frame

    names = spec_names(specs, all_specs, "compare")
    df = compare_frame(names, input=input, batch=batch, dtype=dtype.value)
    if sort:
        df = sort_frame(df, sort)
    if columns:
        df = select_columns(df, columns)
    fmt = output_format(format, output)
    if fmt == "csv":
        emit(frame_csv(df), output)
        return
    if fmt != "table":
        table_or_records("Comparison", df.to_dict(orient="records"), format, output, numeric=NUMERIC)
        return
    if not (columns or wide):
        df = df[list(TABLE_COLUMNS)]
    from archstat.cli._output import render_table
    from archstat.core.compare import LABELS, human_cells
    from archstat.render.console import plain_table

    rows = [human_cells(r) for r in df.to_dict(orient="records")]
    numeric = {LABELS.get(k, k) for k in NUMERIC | {"rf_size", "rf_stride", "depth", "top1"}}
    cols = list(rows[0]) if rows else []
    table = plain_table("Comparison", cols, [[f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) and
                                              k in numeric and k != "year" else v for k, v in r.items()]
                                             for r in rows], numeric)
    table.show_edge = False  # two more columns for the numbers at 80
    if output:
        emit(render_table(lambda c: c.print(table)), output, table=True)
    elif wide:  # every column at its natural width, wider than the terminal if need be
        from archstat.render.terminal import console as wide_console

        c = console()
        need = c.measure(table, options=c.options.update_width(10_000)).maximum
        (wide_console(width=need) if need > c.width else c).print(table, crop=False)
    else:
        console().print(table)
    if not (columns or wide or output):
        console().print(f"[dim]Columns {', '.join(TABLE_COLUMNS)} in human units (K, M, G; MB); --columns A,B,... "
                        "for others, --wide for all; CSV and JSON have every column in full.[/]", highlight=False)


@command()
def sweep(
    spec: SpecArg,
    sizes: Annotated[str, typer.Option("--sizes", "-s", help="Square input sizes: 32:1024:32 (stop included) or "
                                       "224,256,299.")] = "32:1024:32",
    batch: BatchOpt = 1,
    dtype: DTypeOpt = DType.float32,
    format: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Shapes, parameters, MACs, activations, peak memory and receptive field at each input size, with the sizes
    where a stride does not fit, where the network fails, and where the field stops covering the input."""
    from archstat import load
    from archstat.core.sweep import findings, parse_sizes
    from archstat.core.sweep import sweep as run_sweep

    rows = run_sweep(load(spec), parse_sizes(sizes), batch, dtype.value)
    if output_format(format, output) == "table":
        from rich.text import Text

        cols = ["size", "status", "output_shape", "params", "macs", "activations", "peak_activation_bytes",
                "rf_size", "rf_covers_input", "stride_does_not_fit"]
        table_or_records(f"Sweep of {spec}", [{c: ("" if r[c] is None else r[c]) for c in cols} for r in rows],
                         format, output, numeric={"size", "params", "macs", "activations", "peak_activation_bytes",
                                                  "rf_size"})
        if not output:
            for line in findings(rows):
                console().print(Text("- " + line))
        return
    table_or_records(f"Sweep of {spec}", rows, format, output)

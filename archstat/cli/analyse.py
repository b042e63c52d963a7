"""One architecture at a time: ``summary``, ``explain``; and what there is: ``list`` (the zoo), ``kinds``."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from archstat.cli._boundary import command
from archstat.cli._options import BatchOpt, DType, DTypeOpt, FormatOpt, InputOpt, OutputOpt, SpecArg
from archstat.cli._output import console, table_or_records, write


@command()
def summary(
    spec: SpecArg,
    input: InputOpt = None,
    batch: BatchOpt = 1,
    dtype: DTypeOpt = DType.float32,
    format: FormatOpt = None,
    output: OutputOpt = None,
    depth: Annotated[Optional[int], typer.Option("--depth", "-d", min=1,
                                                 help="Fold layers below this depth of the name path "
                                                      "(layer1.0.conv1 has depth 3) into one row.")] = None,
    assume: Annotated[Optional[list[str]], typer.Option("--assume", help="With a symbolic --input: 'H % 32 == 0', "
                                                        "'W == H' or 'H >= 64' (repeatable).")] = None,
    wide: Annotated[bool, typer.Option("--wide", help="Every column of the table, however wide the terminal (by "
                                       "default columns are narrowed, then left out, to fit).")] = False,
) -> None:
    """Per-layer table and totals for one architecture. With symbols in --input (3xHxW), closed-form expressions."""
    from archstat.language.catalog import parse_symbolic_input

    dims = parse_symbolic_input(input) if input else None
    if dims is not None or assume:
        return _symbolic_summary(spec, dims, assume, batch, format, output)
    from archstat.cli._summary import run_summary

    run_summary(spec, input, batch, dtype.value, format.value if format else None, output, depth, wide)


def _symbolic_summary(spec, dims, assume, batch, format, output) -> None:
    from archstat.errors import UsageError

    if dims is None:
        raise UsageError("--assume needs a symbolic --input such as 3xHxW")
    from archstat import load
    from archstat.core.symbolic import analyze_symbolic, parse_assumption
    from archstat.render import symbolic as render

    sa = analyze_symbolic(load(spec), dims, [parse_assumption(a) for a in assume or []], batch)
    write(format, output, lambda c: render.print_table(sa, c), render, sa)


@command()
def explain(
    spec: SpecArg,
    layer: Annotated[str, typer.Argument(help="Layer name (full path, or a unique last part such as conv1).")],
    input: InputOpt = None,
    batch: BatchOpt = 1,
    dtype: DTypeOpt = DType.float32,
) -> None:
    """Derive one layer's numbers with the values substituted, as the lecture notes do."""
    from archstat import analyze
    from archstat.core.lookup import find_layer
    from archstat.render.console import print_explain

    a = analyze(spec, input=input, batch=batch, dtype=dtype.value)
    print_explain(a, find_layer([r.name for r in a.layers], layer, a.graph.file), console())


@command("list")
def list_specs(format: FormatOpt = None, output: OutputOpt = None) -> None:
    """The built-in specs, with family, year, parameters and GMACs."""
    from archstat.language.catalog import catalog_rows

    table_or_records("Built-in specs", catalog_rows(), format, output, numeric={"params", "gmacs", "top1"})


@command()
def kinds(markdown: bool = typer.Option(False, "--markdown", help="The README's layer-kind table, as Markdown."),
          saved: bool = typer.Option(False, "--saved", help="What each kind saves for backward (archstat memory), "
                                     "as the README's Markdown table.")) -> None:
    """The layer kinds a spec can use, their arguments and FLOPs rule."""
    from archstat.layers import KINDS, markdown_table

    if saved:
        from archstat.render.memory import saved_table

        sys.stdout.write(saved_table())
        return
    if markdown:
        sys.stdout.write(markdown_table())
        return
    from archstat.render.console import plain_table

    data = []
    for kind, cls in sorted(KINDS.items()):
        args = ", ".join(f"{n}: {f.describe()}" for n, f in cls.fields.items())
        data.append([kind, ", ".join(cls.aliases), args, cls.flops_rule])
    console().print(plain_table("Layer kinds", ["kind", "aliases", "arguments", "FLOPs rule"], data))


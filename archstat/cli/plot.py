"""``archstat plot KIND``: pictures, drawn with matplotlib (the plot extra)."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from archstat.cli._boundary import command
from archstat.cli._options import BatchOpt, DType, DTypeOpt, InputOpt, spec_names


class PlotKind(str, Enum):
    landscape = "landscape"
    profile = "profile"
    rf = "rf"
    throughput = "throughput"
    sweep = "sweep"


ALIASES = {"bench": PlotKind.throughput}  # old names: still accepted, not shown in the help


def _kind(value: str) -> str:
    """The kind as typed (a message names it so), once it is known."""
    if value not in ALIASES and value not in PlotKind.__members__:
        names = ", ".join(f"'{k.value}'" for k in PlotKind)
        raise typer.BadParameter(f"'{value}' is not one of {names}.")
    return value


@command()
def plot(
    kind: Annotated[str, typer.Argument(callback=_kind, show_default=False,
                                        help="landscape (top-1 against GMACs, bubbles by parameters), profile "
                                             "(memory and parameters per layer), rf (receptive field against depth), "
                                             "throughput (throughput against batch, from bench result files), sweep "
                                             "(MACs and memory against input size).")],
    specs: Annotated[Optional[list[str]], typer.Argument(help="Spec names or files; for throughput, result files "
                                                         "of archstat bench (CSV or JSON).")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="FILE.png, .svg or .pdf")] = "",
    all_specs: bool = typer.Option(False, "--all", help="landscape and rf: every built-in spec."),
    input: InputOpt = None,
    batch: BatchOpt = 1,
    dtype: DTypeOpt = DType.float32,
    sizes: Annotated[str, typer.Option("--sizes", "-s", help="For sweep: 32:1024:32 or 224,256,299.")] = "32:1024:32",
    data: Annotated[Optional[str], typer.Option("--data", help="Also write the plotted values to this CSV file.")] = None,
) -> None:
    """Draw a picture with matplotlib (needs the plot extra). Specs left out of a landscape (no ImageNet top-1 in
    their header) are listed on standard error."""
    from archstat.errors import UsageError

    if not output:
        raise UsageError("give --output FILE.png (or .svg, .pdf)")
    from archstat.plot import check_output

    check_output(output)
    what = ALIASES.get(kind) or PlotKind(kind)
    names = (specs or []) if what is PlotKind.throughput else spec_names(specs, all_specs, f"plot {kind}")
    if what in (PlotKind.profile, PlotKind.sweep) and len(names) != 1:
        raise UsageError(f"plot {kind} draws one spec, got {len(names)}")
    rows = _draw(what, kind, names, output, input, batch, dtype.value, sizes)
    if data:
        from archstat.io.output import write_output
        from archstat.render.tabular import to_text

        write_output(data, to_text(rows, "csv"), "--data")


def _draw(kind: PlotKind, typed: str, names, output, input, batch, dtype, sizes) -> list[dict]:
    """Draw one picture; return the rows it drew. ``typed`` is the kind's name as given (for messages)."""
    from archstat.errors import UsageError

    if kind is PlotKind.throughput:
        from archstat.plot.throughput import draw_throughput, read_results

        if not names:
            raise UsageError(f"plot {typed} needs result files of archstat bench (CSV or JSON)")
        rows = read_results(names)
        draw_throughput(rows, output)
        return rows
    from archstat import analyze, load

    if kind is PlotKind.sweep:
        from archstat.core.sweep import parse_sizes
        from archstat.core.sweep import sweep as run_sweep
        from archstat.plot.sweep import plot_sweep

        rows = run_sweep(load(names[0]), parse_sizes(sizes), batch, dtype)
        plot_sweep(rows, names[0], output)
        return rows
    analyses = [analyze(n, input=input, batch=batch, dtype=dtype) for n in names]
    if kind is PlotKind.profile:
        from archstat.plot.profile import draw_profile, profile_rows

        rows = profile_rows(analyses[0])
        draw_profile(rows, analyses[0].name, output, dtype, batch)
        return rows
    if kind is PlotKind.rf:
        from archstat.plot.receptive import draw_rf, rf_rows

        by_spec = {a.name: rf_rows(a) for a in analyses}
        draw_rf(by_spec, output)
        return [r for rs in by_spec.values() for r in rs]
    from archstat.errors import one_line
    from archstat.plot.landscape import draw_landscape, landscape_rows

    points, left_out = landscape_rows(analyses)
    draw_landscape(points, output)
    for x in left_out:
        sys.stderr.write(one_line(f"archstat: left out of the landscape: {x['spec']} ({x['reason']})") + "\n")
    return points

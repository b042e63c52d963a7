"""The command line: a thin layer over the engine and the renderers.

Every command catches ``ArchstatError`` at one boundary and prints it as one line on stderr with its exit code
(0 ok, 1 bad spec or shape error, 2 usage). Heavy imports (pandas for ``compare``) happen inside the command that
needs them; ``summary`` imports neither torch, fvcore nor pandas.
"""

from __future__ import annotations

import functools
import os
import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from archstat.errors import EXIT_INTERNAL, EXIT_USAGE, ArchstatError, UsageError

app = typer.Typer(
    name="archstat",
    help="Analyse CNN architectures written as YAML layer stacks: shapes, parameters, MACs, FLOPs, activation "
         "memory and receptive fields, without running a tensor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


class DType(str, Enum):
    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"


SpecArg = Annotated[str, typer.Argument(help="A built-in spec name (archstat list), a YAML file, or - for stdin.")]
InputOpt = Annotated[Optional[str], typer.Option("--input", "-i", help="Input size: 3x227x227, 227x227 or 227.")]
BatchOpt = Annotated[int, typer.Option("--batch", "-b", min=1, help="Batch size for MACs, FLOPs and memory.")]
DTypeOpt = Annotated[DType, typer.Option("--dtype", help="Element type for memory figures.")]
FormatOpt = Annotated[Optional[Format], typer.Option("--format", "-f",
                                                     help="Output format (default: table, or from --output's suffix).")]
OutputOpt = Annotated[Optional[str], typer.Option("--output", "-o", help="Write to this file (atomically).")]


def _fail(e: ArchstatError) -> None:
    sys.stderr.write(f"archstat: error: {e}\n")
    raise typer.Exit(e.exit_code)


def command(*args, **kwargs):
    """``app.command`` with the CLI's one error boundary: the command runs as one run (``run.scope``: its inputs
    and budget), and whatever goes wrong leaves as one line on stderr with its exit code, never a traceback."""

    def wrap(fn):
        @functools.wraps(fn)
        def bounded(*a, **k):
            from archstat.io.run import scope

            try:
                with scope():
                    return fn(*a, **k)
            except ArchstatError as e:
                _fail(e)
            except MemoryError:
                _fail(ArchstatError("out of memory"))
            except RecursionError:
                _fail(ArchstatError("input nested too deeply"))
            except (BrokenPipeError, typer.Exit, *_passthrough()):
                raise  # typer's own exits and usage errors keep their codes
            except OSError as e:
                _fail(UsageError(f"{e.strerror or e}" + (f": '{e.filename}'" if e.filename else "")))
            except Exception as e:  # a bug of ours: still one line (ARCHSTAT_DEBUG=1 shows the traceback)
                if os.environ.get("ARCHSTAT_DEBUG"):
                    raise
                err = ArchstatError(f"internal error, please report it: {type(e).__name__}: {e}")
                err.exit_code = EXIT_INTERNAL
                _fail(err)

        return app.command(*args, **kwargs)(bounded)

    return wrap


def _console():
    from archstat.render.terminal import console

    return console()


def _emit(text: str, output: str | None, table: bool = False) -> None:
    """A command's text to ``--output`` (through the one output path) or standard output; a table's text has its
    control characters escaped (JSON and CSV keep the exact strings)."""
    if table:
        from archstat.errors import printable

        text = printable(text)
    if output:
        from archstat.io.output import write_output

        write_output(output, text)
    else:
        sys.stdout.write(text)


def _render_table(render) -> str:
    """Render a rich object to plain text (for --output FILE.txt)."""
    import io

    from archstat.render.terminal import SafeConsole

    c = SafeConsole(record=True, width=160, file=io.StringIO())
    render(c)
    return c.export_text()


def _write(fmt: str, output: str | None, print_table, render, *args, plain=None) -> None:
    """A command's result: ``print_table(console)`` for the table format (to the terminal, or rendered as text to
    ``--output``), else the text of ``render.to_json``, ``to_csv`` or ``to_markdown`` (``*args``), to standard output
    or ``--output``. ``plain()``, when given, is the table as plain text, used for a file or a pipe."""
    if fmt == "table" and plain is not None and (output or not _console().is_terminal):
        _emit(plain(), output, table=True)
        return
    if fmt == "table":
        if output:
            _emit(_render_table(print_table), output, table=True)
        else:
            print_table(_console())
        return
    _emit(getattr(render, f"to_{fmt}")(*args), output)


def _spec_names(specs: list[str] | None, all_specs: bool, verb: str) -> list[str]:
    """The named specs, then (with ``--all``) every other built-in one; at least one."""
    from archstat.language.catalog import builtin_names
    from archstat.errors import UsageError

    names = list(specs or []) + ([n for n in builtin_names() if n not in (specs or [])] if all_specs else [])
    if not names:
        raise UsageError(f"name the specs to {verb}, or give --all")
    return names


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
) -> None:
    """Per-layer table and totals for one architecture. With symbols in --input (3xHxW), closed-form expressions."""
    from archstat.io.output import format_for

    from archstat.language.catalog import parse_symbolic_input

    dims = parse_symbolic_input(input) if input else None
    if dims is not None or assume:
        return _symbolic_summary(spec, dims, assume, batch, format, output)
    from archstat import analyze

    a = analyze(spec, input=input, batch=batch, dtype=dtype.value)
    from archstat.render import records
    from archstat.render.console import print_summary, summary_plain

    _write(format_for(format.value if format else None, output), output,
           lambda c: print_summary(a, c, depth), records, a, depth, plain=lambda: summary_plain(a, depth))


def _symbolic_summary(spec, dims, assume, batch, format, output) -> None:
    from archstat.errors import UsageError
    from archstat.io.output import format_for

    if dims is None:
        raise UsageError("--assume needs a symbolic --input such as 3xHxW")
    from archstat import load
    from archstat.render import symbolic as render
    from archstat.core.symbolic import analyze_symbolic, parse_assumption

    sa = analyze_symbolic(load(spec), dims, [parse_assumption(a) for a in assume or []], batch)
    _write(format_for(format.value if format else None, output), output,
           lambda c: render.print_table(sa, c), render, sa)


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
    from archstat.errors import UsageError
    from archstat.render.console import print_explain

    a = analyze(spec, input=input, batch=batch, dtype=dtype.value)
    names = [r.name for r in a.layers]
    if layer not in names:
        found = [n for n in names if n.endswith("." + layer)]
        if len(found) != 1:
            import difflib

            close = found or difflib.get_close_matches(layer, names, n=5)
            hint = f"; candidates: {', '.join(close)}" if close else ""
            raise UsageError(f"{a.graph.file}: no single layer named '{layer}'{hint}")
        layer = found[0]
    print_explain(a, layer, _console())


@command("list")
def list_specs(format: FormatOpt = None, output: OutputOpt = None) -> None:
    """The built-in specs, with family, year, parameters and GMACs."""
    from archstat.language.catalog import builtin_names

    from archstat import analyze

    rows = []
    for name in builtin_names():
        a = analyze(name)
        m = a.graph.meta
        rows.append({"name": name, "family": m.get("family") or "", "year": m.get("year") or "",
                     "input": "x".join(map(str, a.input_shape)), "params": a.totals.params,
                     "gmacs": round(a.totals.macs / 1e9, 3), "top1": (m.get("accuracy") or {}).get("top1", ""),
                     "title": m.get("title") or ""})
    _table_or_records("Built-in specs", rows, format, output, numeric={"params", "gmacs", "top1"})


def _table_or_records(title: str, rows: list[dict], format, output, numeric=frozenset()) -> None:
    from archstat.io.output import format_for

    fmt = format_for(format.value if format else None, output)
    cols = list(rows[0]) if rows else []
    if fmt == "table":
        from archstat.render.console import plain_table

        data = [[f"{v:,}" if isinstance(v, int) and k in numeric else v for k, v in r.items()] for r in rows]
        table = plain_table(title, cols, data, numeric)
        if output:
            _emit(_render_table(lambda c: c.print(table)), output, table=True)
        else:
            _console().print(table)
        return
    from archstat.render.tabular import to_text

    text = to_text(rows, fmt, numeric)
    _emit(text, output)


@command()
def compare(
    specs: Annotated[Optional[list[str]], typer.Argument(help="Spec names or files.")] = None,
    input: InputOpt = None,
    batch: BatchOpt = 1,
    dtype: DTypeOpt = DType.float32,
    format: FormatOpt = None,
    output: OutputOpt = None,
    all_specs: bool = typer.Option(False, "--all", help="Every built-in spec (the zoo), after any named ones."),
) -> None:
    """One row per architecture: parameters, MACs, FLOPs, activations, peak memory, receptive field, depth."""
    from archstat.core.compare import compare_frame

    df = compare_frame(_spec_names(specs, all_specs, "compare"), input=input, batch=batch, dtype=dtype.value)
    rows = df.to_dict(orient="records")
    _table_or_records("Comparison", rows, format, output, numeric={
        "params", "trainable_params", "buffers", "macs", "flops", "activations", "activation_bytes",
        "peak_activation_bytes", "param_bytes", "weight_layers"})


@command()
def verify(
    specs: Annotated[Optional[list[str]], typer.Argument(help="Only the claims about these specs (default: all).")] = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    claims: Annotated[Optional[list[str]], typer.Option("--claims", help="Claim file(s) to use instead of the "
                                                        "built-in specs/claims/*.yaml.")] = None,
    only: Annotated[Optional[str], typer.Option("--only", help="Show only this verdict: match, explained or "
                                                "mismatch.")] = None,
    sources: bool = typer.Option(False, "--sources", help="Show each claim's source in the table."),
) -> None:
    """Check every published claim (specs/claims/) against the specs: match, explained (cause named) or mismatch.

    Exits with 1 when any claim is a mismatch, so a CI job fails when a spec drifts from the published counts."""
    from archstat.io.output import format_for

    from pathlib import Path

    from archstat.claims.store import load_all, load_file
    from archstat.errors import UsageError
    from archstat.claims.verify import VERDICTS, verify as run_verify

    if only and only not in VERDICTS:
        raise UsageError(f"--only must be one of {', '.join(VERDICTS)}, got '{only}'")
    every = [c for f in claims for c in load_file(Path(f), f)] if claims else load_all()
    if specs:
        known = {c.spec for c in every}
        missing = [s for s in specs if s not in known]
        if missing:
            raise UsageError(f"no claims about {', '.join(missing)}")
    results = run_verify(specs, every)
    shown = [r for r in results if not only or r.verdict == only]
    from archstat.render import verdicts

    _write(format_for(format.value if format else None, output), output,
           lambda c: verdicts.print_table(shown, c, sources), verdicts, shown)
    if any(r.verdict == "mismatch" for r in results):
        raise typer.Exit(1)


@command()
def check(
    specs: Annotated[Optional[list[str]], typer.Argument(help="Spec names or files (default with --all: the zoo).")] = None,
    all_specs: bool = typer.Option(False, "--all", help="Every built-in spec."),
    input: InputOpt = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    fvcore: bool = typer.Option(True, "--fvcore/--no-fvcore", help="Also count MACs with fvcore (a traced CPU "
                                "forward; slower)."),
    layers: bool = typer.Option(False, "--layers", help="List every layer, not only those that disagree."),
) -> None:
    """Cross-check every layer against PyTorch: shapes and parameters from the built module, MACs from fvcore,
    FLOPs from torch.utils.flop_counter. Exit 3 on any disagreement. Needs the torch extra (torch and fvcore)."""
    from archstat.errors import EXIT_DISAGREE
    from archstat.io.output import format_for

    names = _spec_names(specs, all_specs, "check")
    from archstat.extras import checker
    from archstat.render import checks

    results = checker(fvcore, "archstat check needs the torch extra")(names, input, use_fvcore=fvcore)
    _write(format_for(format.value if format else None, output), output,
           lambda c: checks.print_table(results, c, layers), checks, results)
    if any(r.bad for r in results):
        raise typer.Exit(EXIT_DISAGREE)


@command()
def bench(
    specs: Annotated[list[str], typer.Argument(help="Spec names or files.")],
    device: Annotated[Optional[str], typer.Option("--device", help="cuda, cuda:N or cpu (default: cuda when "
                                                  "available).")] = None,
    batch: Annotated[str, typer.Option("--batch", "-b", help="Batch sizes, comma-separated.")] = "1,8,32,128,256",
    dtype: DTypeOpt = DType.float32,
    channels_last: bool = typer.Option(False, "--channels-last", help="NHWC memory format."),
    compile: bool = typer.Option(False, "--compile", help="torch.compile the module first."),
    warmup: Annotated[int, typer.Option("--warmup", min=0, help="Untimed passes first.")] = 5,
    iters: Annotated[int, typer.Option("--iters", min=1, help="Timed passes.")] = 20,
    against: Annotated[Optional[str], typer.Option("--against", help="Also time this reference implementation "
                                                   "of the same architecture: torchvision.")] = None,
    peak: Annotated[Optional[float], typer.Option("--peak-tflops", min=0.001, help="The device's dense peak "
                                                  "TFLOP/s for this dtype (default: the built-in table).")] = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Inference throughput, latency and peak memory of each spec's module, with the engine's predicted memory
    and the achieved fraction of the device's peak. An out-of-memory batch is recorded and the sweep goes on."""
    from archstat.errors import UsageError
    from archstat.io.output import format_for

    try:
        batches = [int(b) for b in batch.split(",") if b.strip()]
    except ValueError:
        raise UsageError(f"--batch must be comma-separated integers, got '{batch}'") from None
    if not batches or min(batches) < 1:
        raise UsageError(f"--batch must be comma-separated positive integers, got '{batch}'")
    if against not in (None, "torchvision"):
        raise UsageError(f"--against knows only torchvision, got '{against}'")
    try:
        import torch

        from archstat.backend.throughput import sweep
    except ImportError:
        raise UsageError('archstat bench needs torch: pip install -e ".[torch]"') from None
    dev = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dev.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda: no CUDA device is available here (use --device cpu)")
    from archstat import load

    graphs = [load(s) for s in specs]
    from rich.progress import Progress

    total = len(graphs) * len(batches) * (2 if against else 1)
    from rich.console import Console

    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as prog:
        task = prog.add_task(f"bench on {dev}", total=total)
        rows = sweep(graphs, batches, device=dev, dtype=dtype.value, channels_last=channels_last, compile=compile,
                     warmup=warmup, iters=iters, peak_override=peak, against=against,
                     progress=lambda n: prog.advance(task, n))
    data = [r.as_dict() for r in rows]
    fmt = format_for(format.value if format else None, output)
    if fmt == "table":
        cols = ["spec", "impl", "dtype", "batch", "status", "images_per_s", "latency_ms_median", "latency_ms_p90",
                "measured_peak_bytes", "predicted_peak_bytes", "memory_ratio", "tflops", "fraction_of_peak"]
        data = [{c: ("" if d[c] is None else d[c]) for c in cols} for d in data]
        if data:
            print(f"device: {rows[0].device}; torch {rows[0].torch}; channels_last {channels_last}; "
                  f"compile {compile}")
    _table_or_records("Benchmark", data, format, output,
                      numeric={"batch", "images_per_s", "latency_ms_median", "latency_ms_p90", "measured_peak_bytes",
                               "predicted_peak_bytes", "memory_ratio", "tflops", "fraction_of_peak", "params"})


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
    from archstat.io.output import format_for

    from archstat import load
    from archstat.core.sweep import findings, parse_sizes, sweep as run_sweep

    rows = run_sweep(load(spec), parse_sizes(sizes), batch, dtype.value)
    fmt = format_for(format.value if format else None, output)
    if fmt == "table":
        from rich.text import Text

        cols = ["size", "status", "output_shape", "params", "macs", "activations", "peak_activation_bytes",
                "rf_size", "rf_covers_input", "stride_does_not_fit"]
        _table_or_records(f"Sweep of {spec}", [{c: ("" if r[c] is None else r[c]) for c in cols} for r in rows],
                          format, output, numeric={"size", "params", "macs", "activations",
                                                   "peak_activation_bytes", "rf_size"})
        if not output:
            for line in findings(rows):
                _console().print(Text("- " + line))
        return
    _table_or_records(f"Sweep of {spec}", rows, format, output)


class PlotKind(str, Enum):
    landscape = "landscape"
    profile = "profile"
    rf = "rf"
    bench = "bench"
    sweep = "sweep"


@command()
def plot(
    kind: Annotated[PlotKind, typer.Argument(help="landscape (top-1 against GMACs, bubbles by parameters), profile "
                                             "(memory and parameters per layer), rf (receptive field against depth), "
                                             "bench (throughput against batch, from bench result files), sweep "
                                             "(MACs and memory against input size).")],
    specs: Annotated[Optional[list[str]], typer.Argument(help="Spec names or files; for bench, result files of "
                                                         "archstat bench (CSV or JSON).")] = None,
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
    names = _spec_names(specs, all_specs, f"plot {kind.value}") if kind is not PlotKind.bench else specs or []
    if kind in (PlotKind.profile, PlotKind.sweep) and len(names) != 1:
        raise UsageError(f"plot {kind.value} draws one spec, got {len(names)}")
    rows = _draw(kind, names, output, input, batch, dtype.value, sizes)
    if data:
        from archstat.io.output import write_output
        from archstat.render.tabular import to_text

        write_output(data, to_text(rows, "csv"), "--data")


def _draw(kind, names, output, input, batch, dtype, sizes) -> list[dict]:
    """Draw one picture; return the rows it drew."""
    from archstat.errors import UsageError

    if kind is PlotKind.bench:
        from archstat.plot.throughput import draw_bench, read_results

        if not names:
            raise UsageError("plot bench needs result files of archstat bench (CSV or JSON)")
        rows = read_results(names)
        draw_bench(rows, output)
        return rows
    from archstat import analyze, load

    if kind is PlotKind.sweep:
        from archstat.plot.sweep import plot_sweep
        from archstat.core.sweep import parse_sizes, sweep as run_sweep

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
    from archstat.plot.landscape import draw_landscape, landscape_rows

    points, left_out = landscape_rows(analyses)
    draw_landscape(points, output)
    from archstat.errors import one_line

    for x in left_out:
        sys.stderr.write(one_line(f"archstat: left out of the landscape: {x['spec']} ({x['reason']})") + "\n")
    return points


@command()
def report(
    output: Annotated[str, typer.Option("--output", "-o", help="The reports directory.")] = "reports",
    check: bool = typer.Option(True, "--check/--no-check", help="Also write check.md (needs the torch extra; "
                               "about a minute)."),
) -> None:
    """Regenerate the reports from the tool: architectures.csv, verification.md and .csv, check.md, the pictures
    (landscape, profiles, receptive fields, bench) and an index, README.md, that shows them."""
    from pathlib import Path

    from archstat.errors import UsageError

    out = Path(output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--output '{output}' is not a directory")
    from archstat.render.report import build

    files = build(out, check=check, log=lambda s: sys.stderr.write(s + "\n"))
    sys.stderr.write(f"archstat: {len(files)} files written under {out}\n")


@command()
def kinds(markdown: bool = typer.Option(False, "--markdown", help="The README's layer-kind table, as Markdown.")) -> None:
    """The layer kinds a spec can use, their arguments and FLOPs rules."""
    from archstat.layers import KINDS

    if markdown:
        sys.stdout.write(kinds_markdown(KINDS))
        return
    from archstat.render.console import plain_table

    data = []
    for kind, cls in sorted(KINDS.items()):
        args = ", ".join(f"{n}: {f.describe()}" for n, f in cls.fields.items())
        data.append([kind, ", ".join(cls.aliases), args, cls.flops_rule])
    _console().print(plain_table("Layer kinds", ["kind", "aliases", "arguments", "FLOPs rule"], data))


def kinds_markdown(kinds: dict) -> str:
    lines = ["| kind | aliases | what | arguments | FLOPs rule |", "|---|---|---|---|---|"]
    for kind, cls in sorted(kinds.items()):
        args = ", ".join(f"`{n}`" for n in cls.fields) or "—"
        lines.append(f"| `{kind}` | {', '.join(cls.aliases)} | {cls.summary} | {args} | {cls.flops_rule} |")
    return "\n".join(lines) + "\n"


def _passthrough() -> tuple:
    """click's (or typer's vendored click's) exceptions that carry their own exit code."""
    cx = _click_exceptions()
    return tuple(c for c in (getattr(cx, n, None) for n in ("ClickException", "Exit", "Abort")) if c)


def _click_exceptions():
    try:  # typer >= 0.26 vendors click
        from typer._click import exceptions as cx
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import exceptions as cx
    return cx


def main() -> None:
    """The console script: typer in non-standalone mode, so that click's usage errors also come out as one line."""
    from archstat.errors import one_line

    cx = _click_exceptions()
    no_args = tuple(c for c in (getattr(cx, "NoArgsIsHelpError", None),) if c)
    interrupted = (KeyboardInterrupt, *(c for c in (getattr(cx, "Abort", None),) if c))
    try:
        rc = app(standalone_mode=False)
    except no_args:  # typer has printed the help already
        sys.exit(EXIT_USAGE)
    except cx.UsageError as e:
        sys.stderr.write(f"archstat: error: {one_line(e.format_message())}\n")
        sys.exit(EXIT_USAGE)
    except interrupted:
        sys.stderr.write("archstat: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()


__all__ = ["app", "main", "EXIT_USAGE"]

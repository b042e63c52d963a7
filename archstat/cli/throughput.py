"""``archstat bench``: inference throughput, latency and memory of each spec's module (needs torch)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archstat.cli._boundary import command
from archstat.cli._options import DType, DTypeOpt, FormatOpt, OutputOpt
from archstat.cli._output import output_format, table_or_records

TABLE_COLUMNS = ["spec", "impl", "dtype", "batch", "status", "images_per_s", "latency_ms_median", "latency_ms_p90",
                 "measured_peak_bytes", "predicted_peak_bytes", "memory_ratio", "tflops", "fraction_of_peak"]
NUMERIC = {"batch", "images_per_s", "latency_ms_median", "latency_ms_p90", "measured_peak_bytes",
           "predicted_peak_bytes", "memory_ratio", "tflops", "fraction_of_peak", "params"}


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
    from archstat.core.batches import parse_batches
    from archstat.errors import UsageError

    batches = parse_batches(batch)
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
    from rich.console import Console
    from rich.progress import Progress

    total = len(graphs) * len(batches) * (2 if against else 1)
    err = Console(stderr=True)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as prog:
        task = prog.add_task(f"bench on {dev}", total=total)
        rows = sweep(graphs, batches, device=dev, dtype=dtype.value, channels_last=channels_last, compile=compile,
                     warmup=warmup, iters=iters, peak_override=peak, against=against,
                     progress=lambda n: prog.advance(task, n))
    data = [r.as_dict() for r in rows]
    if output_format(format, output) == "table":
        data = [{c: ("" if d[c] is None else d[c]) for c in TABLE_COLUMNS} for d in data]
        if data:
            print(f"device: {rows[0].device}; torch {rows[0].torch}; channels_last {channels_last}; "
                  f"compile {compile}")
    table_or_records("Benchmark", data, format, output, numeric=NUMERIC)

"""``archstat bench``: inference throughput, latency and memory of a spec's module, beside the engine's predictions.

For each spec and batch size: build the module on the device (in eval mode, ``inference_mode``, cudnn.benchmark on),
warm up, then time ``iters`` forward passes one by one (CUDA events on a GPU, ``perf_counter`` on the CPU) and
report the median and p90 latency and images/s = batch / median. On a GPU the measured peak memory
(``torch.cuda.max_memory_allocated`` over the timed passes) stands beside the engine's prediction: parameters plus
buffers plus the peak of live activations. Achieved TFLOP/s is the engine's FLOPs per image x images/s, and its
fraction of the device's dense peak for that dtype comes from ``PEAK_TFLOPS`` (vendor datasheets) unless
``--peak-tflops`` is given. A batch that runs out of memory is recorded as ``oom`` and the sweep goes on.
"""

from __future__ import annotations

import datetime as _dt
import re
import statistics
import time
from dataclasses import asdict, dataclass

import torch

from archstat.backend import build
from archstat.core.batches import parse_batches  # noqa: F401  (pure: the CLI imports it from core)
from archstat.core.dtypes import OFFERED

# Dense (no structured sparsity) peak TFLOP/s from NVIDIA's datasheets. fp32: CUDA cores; tf32/bf16/fp16: tensor
# cores. Matched against torch.cuda.get_device_name() by the regular expressions, in order.
PEAK_TFLOPS = [
    # pattern, {"fp32", "tf32", "bf16", "fp16"}, source
    # the datasheets give tensor-core figures "with sparsity": the dense peak is half of those
    (r"H200", {"fp32": 67.0, "tf32": 494.5, "bf16": 989.5, "fp16": 989.5}, "NVIDIA H200 datasheet (SXM)"),
    (r"H100.*PCIe", {"fp32": 51.0, "tf32": 378.0, "bf16": 756.5, "fp16": 756.5}, "NVIDIA H100 datasheet (PCIe)"),
    (r"H100.*NVL", {"fp32": 60.0, "tf32": 417.5, "bf16": 835.5, "fp16": 835.5}, "NVIDIA H100 datasheet (NVL)"),
    (r"H100", {"fp32": 67.0, "tf32": 494.5, "bf16": 989.5, "fp16": 989.5}, "NVIDIA H100 datasheet (SXM5)"),
    (r"A100", {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0}, "NVIDIA A100 datasheet"),
    (r"L40S", {"fp32": 91.6, "tf32": 183.0, "bf16": 362.05, "fp16": 362.05}, "NVIDIA L40S datasheet"),
    (r"L4\b", {"fp32": 30.3, "tf32": 60.0, "bf16": 121.0, "fp16": 121.0}, "NVIDIA L4 datasheet"),
    (r"A10\b", {"fp32": 31.2, "tf32": 62.5, "bf16": 125.0, "fp16": 125.0}, "NVIDIA A10 datasheet"),
    (r"V100", {"fp32": 15.7, "fp16": 125.0}, "NVIDIA V100 datasheet (SXM2)"),
    (r"T4\b", {"fp32": 8.1, "fp16": 65.0}, "NVIDIA T4 datasheet"),
]
DTYPES = {name: getattr(torch, name) for name in OFFERED}  # archstat.core.dtypes: the names, listed once


def peak_tflops(device_name: str, dtype: str, tf32: bool = False) -> tuple[float | None, str]:
    """The dense peak for this device and dtype (fp32 on tensor cores when ``tf32``), and where it comes from."""
    key = {"float32": "tf32" if tf32 else "fp32", "bfloat16": "bf16", "float16": "fp16"}[dtype]
    for pattern, table, source in PEAK_TFLOPS:
        if re.search(pattern, device_name):
            return table.get(key), f"{source}, {key}"
    return None, "unknown device"


def latency_stats(seconds: list[float]) -> tuple[float, float]:
    """Median and 90th percentile (nearest rank) of per-pass latencies, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[min(len(ms) - 1, max(0, -(-9 * len(ms) // 10) - 1))]
    return statistics.median(ms), p90


@dataclass
class Row:
    spec: str
    impl: str  # "archstat" or "torchvision"
    device: str
    torch: str
    dtype: str
    batch: int
    channels_last: bool
    compile: bool
    status: str  # "ok", "oom", or "error: ..."
    params: int | None = None
    images_per_s: float | None = None
    latency_ms_median: float | None = None
    latency_ms_p90: float | None = None
    measured_peak_bytes: int | None = None
    predicted_peak_bytes: int | None = None
    memory_ratio: float | None = None  # measured / predicted
    tflops: float | None = None
    peak_tflops: float | None = None
    fraction_of_peak: float | None = None
    date: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def predicted_peak_bytes(graph, batch: int, dtype: str) -> int:
    """Parameters + buffers + the engine's peak of live activations, for this batch and dtype."""
    from archstat.core.engine import analyze

    t = analyze(graph, batch=batch, dtype=dtype).totals
    return t.param_bytes + t.buffer_bytes + t.peak_activation_bytes


def _is_oom(e: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", ())
    return (oom is not None and isinstance(e, oom)) or (isinstance(e, RuntimeError) and "out of memory" in str(e).lower())


def time_passes(model, x, warmup: int, iters: int, device: str) -> list[float]:
    """Per-pass latencies in seconds after ``warmup`` passes."""
    cuda = device.startswith("cuda")
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        if cuda:
            torch.cuda.synchronize()
        out = []
        for _ in range(iters):
            if cuda:
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                model(x)
                end.record()
                torch.cuda.synchronize()
                out.append(start.elapsed_time(end) / 1000)
            else:
                t0 = time.perf_counter()
                model(x)
                out.append(time.perf_counter() - t0)
    return out


def torchvision_model(spec: str):
    from archstat.backend import reference

    try:
        reference.import_torchvision()
    except Exception as e:  # not installed, or broken beyond the CPU build's known operator failure
        from archstat.errors import UsageError

        raise UsageError(f"--against torchvision: torchvision cannot be imported here ({type(e).__name__})") from None
    return reference.torchvision_model(spec)


def bench_one(graph, impl: str, batch: int, *, device: str, dtype: str, channels_last: bool, compile: bool,
              warmup: int, iters: int, flops_per_image: int, peak: float | None, model=None) -> Row:
    """One (spec, implementation, batch) measurement; out-of-memory becomes a row with status 'oom'."""
    cuda = device.startswith("cuda")
    name = torch.cuda.get_device_name(torch.device(device)) if cuda else "cpu"
    row = Row(graph.name, impl, name, torch.__version__, dtype, batch, channels_last, compile, "ok",
              date=_dt.date.today().isoformat())
    tdtype = DTYPES[dtype]
    try:
        if model is None:
            model = build(graph, device=device, dtype=tdtype, channels_last=channels_last)
        else:
            model = model.to(device=device, dtype=tdtype).eval()
            if channels_last:
                model = model.to(memory_format=torch.channels_last)
        row.params = sum(p.numel() for p in model.parameters())
        x = torch.randn((batch, *graph.input_shape), device=device, dtype=tdtype)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        run = torch.compile(model) if compile else model
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats(torch.device(device))
        lat = time_passes(run, x, warmup, iters, device)
        med, p90 = latency_stats(lat)
        row.latency_ms_median, row.latency_ms_p90 = round(med, 4), round(p90, 4)
        row.images_per_s = round(batch / (med / 1000), 2)
        row.tflops = round(flops_per_image * row.images_per_s / 1e12, 3)
        if peak:
            row.peak_tflops, row.fraction_of_peak = peak, round(row.tflops / peak, 4)
        if cuda:
            row.measured_peak_bytes = torch.cuda.max_memory_allocated(torch.device(device))
        row.predicted_peak_bytes = predicted_peak_bytes(graph, batch, dtype)
        if row.measured_peak_bytes:
            row.memory_ratio = round(row.measured_peak_bytes / row.predicted_peak_bytes, 3)
    except Exception as e:
        row.status = "oom" if _is_oom(e) else f"error: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
    finally:
        model = None
        if cuda:
            torch.cuda.empty_cache()
    return row


def sweep(graphs, batches, *, device="cpu", dtype="float32", channels_last=False, compile=False, warmup=5,
          iters=20, peak_override=None, against=None, progress=None) -> list[Row]:
    """Every spec x implementation x batch; ``progress(advance_by)`` is called after each measurement."""
    from archstat.core.engine import analyze

    if device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
    name = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else "cpu"
    peak = peak_override or peak_tflops(name, dtype, tf32=torch.backends.cudnn.allow_tf32)[0]
    rows = []
    for g in graphs:
        flops = analyze(g, batch=1, dtype=dtype).totals.flops
        impls = [("archstat", None)] + ([(against, lambda g=g: torchvision_model(g.name))] if against else [])
        for impl, make in impls:
            for b in batches:
                model = make() if make else None
                if make and model is None:
                    rows.append(Row(g.name, impl, name, torch.__version__, dtype, b, channels_last, compile,
                                    f"error: {against} has no model for {g.name}", date=_dt.date.today().isoformat()))
                else:
                    rows.append(bench_one(g, impl, b, device=device, dtype=dtype, channels_last=channels_last,
                                          compile=compile, warmup=warmup, iters=iters, flops_per_image=flops,
                                          peak=peak, model=model))
                if progress:
                    progress(1)
    return rows

"""Training memory on a device (issue 17): ``torch.cuda.max_memory_allocated`` over one full training step (forward,
backward, optimizer step; after a first step has made the optimizer's state) against ``archstat memory``'s
predicted peak. Target: within 10% for every row.

    python bench/bench_memory.py                       # CUDA: writes reports/memory_gpu.md and .csv
    python bench/bench_memory.py --device fake         # the meta device's fake allocator (no GPU; the unit test)
    python bench/bench_memory.py --specs resnet50 vit_b_16 --batch 32,64 --optimizer adam --amp bfloat16

Each row: spec, device, batch, dtype, AMP, optimizer, predicted peak, measured peak, their ratio, within 10%,
status (``ok``, ``oom``, ``error: ...``). The engine predicts with ``device="cuda"`` (dropout's bool mask); the fake
device measures torch's CPU paths on ``meta`` tensors (dropout's float noise), so there the prediction is made for
``cpu``. What the GPU adds and the engine does not model: the caching allocator's rounding (to 512 B blocks),
cuDNN and cuBLAS workspaces, kernels' own temporaries. Exits 1 when a row misses the target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SPECS = ("resnet50", "vit_b_16", "convnext_tiny", "mobilenet_v2", "efficientnet_b0", "densenet121")
TOLERANCE = 0.10
COLUMNS = ["spec", "device", "batch", "dtype", "amp", "optimizer", "predicted_peak_bytes", "measured_peak_bytes",
           "ratio", "within_10pct", "status"]


def measure_rows(specs, batches, device: str = "cuda", optimizer: str = "adam", amp: str | None = None) -> list[dict]:
    """One row per spec and batch. ``device``: "cuda", or "fake" (the meta device's ``LiveBytes``)."""
    import torch

    import archstat
    from archstat.backend.memory import step_peak
    from archstat.core.memory import train_memory

    if device == "fake" and amp:
        raise SystemExit("--amp needs CUDA: autocast casts nothing on the meta device")
    half = getattr(torch, amp) if amp else None
    rows = []
    for spec in specs:
        g = archstat.load(spec)
        for b in batches:
            dtype = amp or "float32"
            m = train_memory(g, batch=b, dtype=dtype, amp=bool(amp), optimizer=optimizer,
                             device="cuda" if device == "cuda" else "cpu")
            row = {"spec": spec, "device": _device_name(device), "batch": b, "dtype": dtype, "amp": bool(amp),
                   "optimizer": optimizer, "predicted_peak_bytes": m.totals.peak_bytes, "measured_peak_bytes": "",
                   "ratio": "", "within_10pct": "", "status": "ok"}
            try:
                got = step_peak(g, b, optimizer=optimizer, device="cuda" if device == "cuda" else "meta", amp=half)
            except Exception as e:  # out of memory, or anything else: recorded, the sweep goes on
                oom = type(e).__name__ == "OutOfMemoryError"
                row["status"] = "oom" if oom else f"error: {type(e).__name__}: {str(e).splitlines()[0][:120]}"
                rows.append(row)
                if device == "cuda":
                    torch.cuda.empty_cache()
                continue
            ratio = m.totals.peak_bytes / got["peak_bytes"]
            row.update(measured_peak_bytes=got["peak_bytes"], ratio=round(ratio, 4),
                       within_10pct=abs(ratio - 1) <= TOLERANCE)
            rows.append(row)
            if device == "cuda":
                torch.cuda.empty_cache()
    return rows


def _device_name(device: str) -> str:
    if device == "cuda":
        import torch

        return torch.cuda.get_device_name()
    return "fake (meta device, LiveBytes)"


def markdown(rows: list[dict], info: dict) -> str:
    measured = [r for r in rows if r["status"] == "ok"]
    ok = [r for r in measured if r["within_10pct"]]
    lines = ["# Training memory on a device: measured against predicted", "",
             "Written by `python bench/bench_memory.py` (issue 17). The measured peak is "
             "`torch.cuda.max_memory_allocated` over one full training step (forward, backward, optimizer step, "
             "after a first step made the optimizer's state); the predicted one is `archstat memory SPEC --train "
             "--batch N` (README, \"Training memory\"). Target: within 10%.", "",
             "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), "",
             f"**{len(ok)} of {len(measured)} measured rows within 10%**"
             + (f" ({len(rows) - len(measured)} not measured: out of memory or an error)" if len(rows) > len(measured)
                else "") + ".", "",
             "| spec | batch | dtype | optimizer | predicted | measured | ratio | within 10% | status |",
             "|---|--:|---|---|--:|--:|--:|---|---|"]
    for r in rows:
        pred = f"{r['predicted_peak_bytes'] / 1e9:.3f} GB"
        meas = f"{r['measured_peak_bytes'] / 1e9:.3f} GB" if r["measured_peak_bytes"] != "" else ""
        dt = r["dtype"] + (" (AMP)" if r["amp"] else "")
        lines.append(f"| {r['spec']} | {r['batch']} | {dt} | {r['optimizer']} | {pred} | {meas} | {r['ratio']} | "
                     f"{'yes' if r['within_10pct'] is True else 'no' if r['within_10pct'] is False else ''} | "
                     f"{r['status']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("cuda", "fake"), default="cuda")
    ap.add_argument("--specs", nargs="+", default=list(SPECS))
    ap.add_argument("--batch", default="32,64", help="comma-separated batch sizes")
    ap.add_argument("--optimizer", default="adam", choices=("sgd", "momentum", "adam", "adamw"))
    ap.add_argument("--amp", default=None, choices=("float16", "bfloat16"))
    ap.add_argument("--output", default=None, help="the Markdown report (default: reports/memory_gpu.md on CUDA, "
                                                   "none on the fake device); the CSV goes beside it")
    a = ap.parse_args(argv)
    from archstat.core.batches import parse_batches

    rows = measure_rows(a.specs, parse_batches(a.batch), a.device, a.optimizer, a.amp)
    from archstat.render.tabular import to_text

    print(to_text(rows, "csv"), end="")
    out = a.output or (str(ROOT / "reports" / "memory_gpu.md") if a.device == "cuda" else None)
    if out:
        import torch
        from benchlib import machine_info

        info = machine_info(("torch",))
        info = {k: info[k] for k in ("date", "python", "commit", "torch") if k in info}
        info["device"] = rows[0]["device"] if rows else a.device
        info["torch"] = torch.__version__
        Path(out).write_text(markdown(rows, info))
        Path(out).with_suffix(".csv").write_text(to_text(rows, "csv"))
    bad = [r for r in rows if r["status"] == "ok" and not r["within_10pct"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

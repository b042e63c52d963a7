"""``throughput`` (``archstat plot throughput``; ``bench`` is its old name): throughput (images per second) against batch size, from result files of ``archstat bench``
(CSV or JSON), one line per spec, implementation, device, dtype and layout. Batches that ran out of memory are
marked with a cross on the axis."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from archstat.errors import SpecError, UsageError, one_line
from archstat.io.limits import MAX_DIM, MAX_RESULT_BYTES
from archstat.io.reading import read_file
from archstat.plot import check_output, pyplot, save

KEY = ("spec", "impl", "device", "dtype", "channels_last", "compile")


def read_results(paths: list[str]) -> list[dict]:
    rows = []
    for p in paths:
        path = Path(p)
        data = read_file(path, one_line(p, 200), limit=MAX_RESULT_BYTES, error=UsageError)
        try:
            text = data.decode("utf-8")
            got = json.loads(text) if path.suffix.lower() == ".json" else list(csv.DictReader(text.splitlines()))
        except (ValueError, RecursionError) as e:
            raise SpecError(f"not a bench result file ({one_line(str(e), 200)})", file=p) from None
        if not isinstance(got, list) or not all(isinstance(r, dict) for r in got):
            raise SpecError("not a bench result file (expected rows of archstat bench)", file=p)
        for i, r in enumerate(got, start=2):
            missing = [k for k in (*KEY, "batch", "status", "images_per_s") if k not in r]
            if missing:
                raise SpecError(f"not a bench result file: no column {', '.join(missing)}", file=p, line=i)
            try:
                ips = float(r["images_per_s"]) if r["images_per_s"] not in ("", None) else None
                batch = int(r["batch"])
                if not 1 <= batch <= MAX_DIM or (ips is not None and not (math.isfinite(ips) and ips >= 0)):
                    raise ValueError
                rows.append({**{k: str(r[k]) for k in KEY}, "batch": batch, "status": str(r["status"]),
                             "images_per_s": ips, "file": path.name})
            except (TypeError, ValueError):
                raise SpecError(f"batch '{one_line(str(r['batch']), 40)}' or images_per_s "
                                f"'{one_line(str(r['images_per_s']), 40)}' is not a positive number",
                                file=p, line=i) from None
    return rows


def series(rows: list[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in KEY), []).append(r)
    return {k: sorted(v, key=lambda r: r["batch"]) for k, v in out.items()}


def label(key: tuple) -> str:
    spec, impl, device, dtype, channels_last, compile_ = key
    extra = [x for x, on in (("channels_last", channels_last), ("compiled", compile_)) if str(on).lower() == "true"]
    return " ".join([f"{spec} ({impl})", dtype, *extra, "on", device])


def draw_throughput(rows: list[dict], output: str) -> None:
    check_output(output)
    if not any(r["status"] == "ok" and r["images_per_s"] for r in rows):
        raise UsageError("bench: no successful run in the result files, nothing to draw")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 6), constrained_layout=True)
    for key, rs in series(rows).items():
        ok = [r for r in rs if r["status"] == "ok" and r["images_per_s"]]
        line = ax.plot([r["batch"] for r in ok], [r["images_per_s"] for r in ok], marker="o", markersize=3,
                       linestyle="--" if key[1] != "archstat" else "-", label=label(key))[0]
        oom = [r["batch"] for r in rs if r["status"] == "oom"]
        if oom:
            ax.scatter(oom, [min(r["images_per_s"] for r in ok) if ok else 1] * len(oom), marker="x",
                       color=line.get_color())
    from matplotlib.ticker import FuncFormatter

    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(plain)
    ax.set(xlabel="batch size", ylabel="images per second (log)")
    fig.suptitle("Throughput against batch size")
    ax.set_title("solid: archstat's module; dashed: the reference implementation; x: out of memory", fontsize=8,
                 color="dimgray")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    save(fig, output)


draw_bench = draw_throughput  # the old name (archstat.render.report uses it)

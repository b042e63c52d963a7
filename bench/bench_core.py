#!/usr/bin/env python3
"""Core performance check for archstat: CLI start-up, the import budget of `summary`, and engine scaling.

    python bench/bench_core.py            # full run (about a minute), writes reports/perf_core.md
    python bench/bench_core.py --quick    # fewer runs, for a CI smoke check

It measures

1. the whole-process wall time of ``python -m archstat summary NAME`` (resnet50 and vgg16; stdout to /dev/null,
   one warm-up run, then median and min of the timed runs), next to two baselines: a bare interpreter
   (``python -c pass``) and ``python -c "import archstat.cli"``;
2. that the summary path imports none of torch, fvcore or pandas (checked in ``sys.modules`` after running the
   CLI's ``main`` in a fresh interpreter, and cross-checked in ``-X importtime``), and the slowest imports of
   ``python -X importtime -m archstat summary vgg16``;
3. engine scaling: generated specs (in a temporary directory, never kept) of deep plain and residual networks of
   about N layers, timed in-process for ``archstat.load`` + ``archstat.core.engine.analyze`` (best of 3).

The report is rewritten from scratch on every run. Exit status: 0 when every target is met, 1 when one is
missed, 2 when a measurement could not be made at all (a spec missing, a command failing).
Only the standard library and archstat are used.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the in-process timings use this checkout's archstat, as the subprocesses do
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib, beside this script
from benchlib import env, first_line, machine_info, mark, targets_table, write_atomic

DEFAULT_REPORT = ROOT / "reports" / "perf_core.md"

# ---- targets ----------------------------------------------------------------------------------------------------
SUMMARY_SPECS = ("resnet50", "vgg16")  # whole-process wall time of `archstat summary NAME`
SUMMARY_TARGET_S = 0.3  # median wall time, per spec
JSON_SUMMARY = "resnet50 --format json"  # `archstat summary resnet50 --format json` ...
TORCH_RATIO_TARGET = 12.0  # ... at least this many times faster than `python -c "import torch"` (issue 18)
TORCH_BASELINE = 'python -c "import torch"'
IMPORTTIME_SPEC = "vgg16"
HEAVY = ("torch", "fvcore", "pandas")  # must not be imported by `summary`
SCALING_N = (1000, 2500, 5000, 10000, 20000)
SCALING_TARGET_N = 10000
SCALING_TARGET_S = 1.0  # load + analyze of a 10,000-layer spec
LINEAR_MAX_RATIO = 1.5  # per-layer cost at the largest N over that at the smallest
MAX_REPEAT = 10_000  # archstat's limit on one `repeat:` count (archstat/language/limits.py)
TOP_IMPORTS = 8


class BenchError(Exception):
    """A measurement could not be made (exit status 2)."""


def _run(argv: list[str], *, capture_stderr: bool = True, stdout=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, env=env(), stdin=subprocess.DEVNULL, stdout=stdout,
                          stderr=subprocess.PIPE if capture_stderr else subprocess.DEVNULL, text=True)


def time_commands(commands: dict[str, list[str]], runs: int, warmup: int = 1) -> tuple[dict, dict]:
    """Wall time of whole processes, stdout to /dev/null: ({label: [seconds]}, {label: error}).

    The warm-up run of each command also checks that it succeeds. The timed runs go round-robin over the
    commands, so that a slow spell of a shared machine falls on all of them alike, not on one.
    """
    times: dict[str, list[float]] = {}
    errors: dict[str, str] = {}
    for label, argv in commands.items():
        for _ in range(warmup):
            r = _run(argv)
            if r.returncode != 0:
                errors[label] = f"`{' '.join(argv[1:])}` exited {r.returncode}: {first_line(r.stderr)}"
                break
        else:
            times[label] = []
    for _ in range(runs):
        for label in times:
            argv = commands[label]
            t0 = time.perf_counter()
            r = subprocess.run(argv, cwd=ROOT, env=env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            dt = time.perf_counter() - t0
            if r.returncode != 0:
                raise BenchError(f"`{' '.join(argv[1:])}` exited {r.returncode} during timing")
            times[label].append(dt)
    return times, errors


def stats(times: list[float]) -> dict:
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "n": len(times)}


def ms(s: float) -> str:
    return f"{s * 1e3:.1f}"


# ---- 1. whole-process wall time ----------------------------------------------------------------------------------
def bench_startup(names: tuple[str, ...], runs: int) -> dict:
    py = sys.executable
    baselines = {"python -S -c pass": [py, "-S", "-c", "pass"], "python -c pass": [py, "-c", "pass"],
                 'python -c "import archstat.cli"': [py, "-c", "import archstat.cli"]}
    import importlib.util

    if importlib.util.find_spec("torch") is not None:  # the yardstick of issue 18, timed in the same rounds
        baselines[TORCH_BASELINE] = [py, "-c", "import torch"]
    names = (*names, JSON_SUMMARY)
    commands = {**baselines, **{name: [py, "-m", "archstat", "summary", *name.split()] for name in names}}
    times, errors = time_commands(commands, runs)
    for label in baselines:
        if label in errors:
            raise BenchError(errors[label])
    return {"baselines": {k: stats(times[k]) for k in baselines},
            "summary": {n: stats(times[n]) for n in names if n in times},
            "errors": {n: errors[n] for n in names if n in errors}}


# In a fresh interpreter: import the CLI, analyse and render once cold (imports included), run the CLI's main
# (analysis modules now warm), then analyse and render again warm. CLI dispatch = main - warm analyse - warm render.
_PHASES = r"""
import json, os, sys, time
name = sys.argv[1]
t0 = time.perf_counter()
import archstat.cli as cli
t1 = time.perf_counter()
import archstat
a = archstat.analyze(name)
t2 = time.perf_counter()
from rich.console import Console
from archstat.render.console import print_summary
devnull = open(os.devnull, "w")
print_summary(a, Console(file=devnull, highlight=False, width=140), None)
t3 = time.perf_counter()
before = set(sys.modules)
real, sys.stdout = sys.stdout, devnull
sys.argv = ["archstat", "summary", name]
try:
    cli.main()
except SystemExit:
    pass
sys.stdout = real
t4 = time.perf_counter()
a = archstat.analyze(name)
t5 = time.perf_counter()
print_summary(a, Console(file=devnull, highlight=False, width=140), None)
t6 = time.perf_counter()
new = sorted({m.split(".")[0] for m in sys.modules} - {m.split(".")[0] for m in before})
print(json.dumps({"import_cli": t1 - t0, "analyze_cold": t2 - t1, "render_cold": t3 - t2, "main_warm": t4 - t3,
                  "analyze_warm": t5 - t4, "render_warm": t6 - t5, "new_in_main": new}))
"""


def bench_phases(name: str, runs: int) -> dict | None:
    """In-process phase times of one summary (medians over fresh interpreters); None if it cannot be done."""
    samples = []
    new_in_main: list[str] = []
    for _ in range(runs + 1):  # the first is a warm-up (bytecode caches)
        r = _run([sys.executable, "-c", _PHASES, name], stdout=subprocess.PIPE)
        if r.returncode != 0:
            return {"error": first_line(r.stderr)}
        try:
            d = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"error": "unreadable output"}
        new_in_main = d.pop("new_in_main")
        samples.append(d)
    samples = samples[1:]
    med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    med["dispatch"] = max(0.0, med["main_warm"] - med["analyze_warm"] - med["render_warm"])
    med["new_in_main"] = new_in_main
    return med


# ---- 2. the import budget ----------------------------------------------------------------------------------------
_CHECK = r"""
import json, os, sys
name, heavy = sys.argv[1], sys.argv[2].split(",")
sys.argv = ["archstat", "summary", name]
real, sys.stdout = sys.stdout, open(os.devnull, "w")
code = 0
from archstat.cli import main
try:
    main()
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
sys.stdout.flush()
sys.stdout = real
print(json.dumps({"exit": code,
                  "any_heavy": any(m in sys.modules for m in heavy),
                  "heavy_loaded": sorted(m for m in sys.modules if m.split(".")[0] in heavy),
                  "pydantic": "pydantic" in sys.modules,
                  "modules": len(sys.modules)}))
"""

_IMPORTTIME = re.compile(r"^import time:\s*(\d+) \|\s*(\d+) \| ( *)(\S.*?)\s*$")


def parse_importtime(stderr: str) -> dict[str, dict]:
    """module -> {self_us, cum_us, root}; root is the top-level (depth 0) import that pulled it in."""
    mods: dict[str, dict] = {}
    pending: list[str] = []
    for line in stderr.splitlines():
        m = _IMPORTTIME.match(line)
        if not m:
            continue
        self_us, cum_us, indent, name = int(m[1]), int(m[2]), m[3], m[4]
        mods[name] = {"self_us": self_us, "cum_us": cum_us, "root": None}
        pending.append(name)
        if len(indent) == 0:  # post-order: a depth-0 line closes everything since the last one
            for p in pending:
                mods[p]["root"] = name
            pending = []
    return mods


def importtime(argv_tail: list[str], runs: int) -> dict[str, dict]:
    """-X importtime of a command, the per-module minimum over `runs` runs (it is noisy)."""
    best: dict[str, dict] = {}
    for _ in range(runs):
        r = _run([sys.executable, "-X", "importtime", *argv_tail])
        if r.returncode != 0:
            raise BenchError(f"`python -X importtime {' '.join(argv_tail)}` exited {r.returncode}: "
                             f"{first_line(r.stderr)}")
        for name, d in parse_importtime(r.stderr).items():
            if name not in best:
                best[name] = dict(d)
            else:
                best[name]["self_us"] = min(best[name]["self_us"], d["self_us"])
                best[name]["cum_us"] = min(best[name]["cum_us"], d["cum_us"])
    return best


def bench_imports(names: tuple[str, ...], runs: int) -> dict:
    out: dict = {"checks": {}, "errors": {}}
    for name in names:
        r = _run([sys.executable, "-c", _CHECK, name, ",".join(HEAVY)], stdout=subprocess.PIPE)
        try:
            d = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            out["errors"][name] = f"check exited {r.returncode}: {first_line(r.stderr)}"
            continue
        if d["exit"] != 0:
            out["errors"][name] = f"`archstat summary {name}` exited {d['exit']}: {first_line(r.stderr)}"
            continue
        out["checks"][name] = d
    startup = importtime(["-c", "pass"], runs)
    cmd = importtime(["-m", "archstat", "summary", IMPORTTIME_SPEC], runs)
    own = {k: v for k, v in cmd.items() if k not in startup}
    out["startup_us"] = sum(v["self_us"] for v in startup.values())
    out["startup_by_pkg"] = _by_package(startup)
    out["command_us"] = sum(v["self_us"] for v in own.values())
    out["n_startup"], out["n_command"] = len(startup), len(own)
    out["top_cumulative"] = sorted(own.items(), key=lambda kv: -kv[1]["cum_us"])[:TOP_IMPORTS]
    out["top_self"] = sorted(own.items(), key=lambda kv: -kv[1]["self_us"])[:TOP_IMPORTS]
    out["by_package"] = _by_package(own)[:TOP_IMPORTS]
    roots: dict[str, int] = {}
    for d in own.values():
        roots[d["root"]] = roots.get(d["root"], 0) + d["self_us"]
    out["by_root"] = sorted(roots.items(), key=lambda kv: -kv[1])[:TOP_IMPORTS]
    out["heavy_in_importtime"] = sorted(k for k in cmd if k.split(".")[0] in HEAVY)
    return out


def _by_package(mods: dict[str, dict]) -> list[dict]:
    pkgs: dict[str, dict] = {}
    for name, d in mods.items():
        top = name.split(".")[0]
        p = pkgs.setdefault(top, {"package": top, "self_us": 0, "modules": 0, "roots": {}})
        p["self_us"] += d["self_us"]
        p["modules"] += 1
        p["roots"][d["root"]] = p["roots"].get(d["root"], 0) + d["self_us"]
    for p in pkgs.values():  # the top-level import that pulled in most of this package's time
        p["via"] = max(p["roots"], key=p["roots"].get) if p["roots"] else None
        del p["roots"]
    return sorted(pkgs.values(), key=lambda p: -p["self_us"])


# ---- 3. engine scaling -------------------------------------------------------------------------------------------
def _repeat_groups(name: str, units: int, body: list[str]) -> list[str]:
    """Named repeat groups of at most MAX_REPEAT passes each, running `units` passes in all."""
    lines: list[str] = []
    part = 0
    while units > 0:
        n = min(units, MAX_REPEAT)
        lines += [f"  - name: {name}{part if part else ''}", f"    repeat: {n}", "    layers:"]
        lines += [f"      {b}" for b in body]
        units -= n
        part += 1
    return lines


def _spec_head(name: str, title: str) -> list[str]:
    return [f"name: {name}", f"title: {title}", "input: [3, 32, 32]"]


STEM = "  - conv: {name: stem, out: 16, kernel: 3, padding: 1}"


def spec_plain(n: int) -> str:
    """A stem conv, then units of conv 3x3 / batchnorm / relu: 1 + 3u layers."""
    units = max(1, round((n - 1) / 3))
    body = ["- conv: {name: conv, out: 16, kernel: 3, padding: 1}", "- batchnorm: {name: bn}",
            "- relu: {name: relu}"]
    return "\n".join(_spec_head(f"bench_plain_{n}", f"plain, about {n} layers") + ["layers:", STEM]
                     + _repeat_groups("plain", units, body)) + "\n"


def spec_residual(n: int) -> str:
    """A stem conv, then residual units (conv 3x3, batchnorm, relu, add with the unit input): 1 + 4u layers."""
    units = max(1, round((n - 1) / 4))
    body = ["- conv: {name: conv, out: 16, kernel: 3, padding: 1}", "- batchnorm: {name: bn}",
            "- relu: {name: relu}", "- add: {name: add, inputs: [input, relu]}"]
    return "\n".join(_spec_head(f"bench_residual_{n}", f"residual, about {n} layers") + ["layers:", STEM]
                     + _repeat_groups("res", units, body)) + "\n"


def spec_residual_block(n: int) -> str:
    """As spec_residual, but each unit is a use of a parameterised block (the path resnet-style specs take)."""
    units = max(1, round((n - 1) / 4))
    head = _spec_head(f"bench_block_{n}", f"residual blocks, about {n} layers") + [
        "blocks:",
        "  unit:",
        "    args: [c]",
        "    layers:",
        "      - conv: {name: conv, out: $c, kernel: 3, padding: 1}",
        "      - batchnorm: {name: bn}",
        "      - relu: {name: relu}",
        "      - add: {name: add, inputs: [input, relu]}",
    ]
    return "\n".join(head + ["layers:", STEM] + _repeat_groups("res", units, ["- unit: {c: 16}"])) + "\n"


SERIES = {
    "residual (repeat group)": spec_residual,
    "residual (block per unit)": spec_residual_block,
    "plain (repeat group)": spec_plain,
}


def time_load_analyze(path: str, repeats: int, min_time: float = 0.0, max_repeats: int = 0) -> dict:
    """Best of `repeats` runs, or more (up to max_repeats) until min_time seconds have been spent: small specs
    take a few ms, so they get more tries and their best is as trustworthy as a large spec's."""
    import archstat
    import archstat.core.engine

    best = {"total": float("inf"), "load": float("inf"), "analyze": float("inf")}
    layers = 0
    done, spent = 0, 0.0
    while done < repeats or (spent < min_time and done < max_repeats):
        gc.collect()
        t0 = time.perf_counter()
        graph = archstat.load(path)
        t1 = time.perf_counter()
        analysis = archstat.core.engine.analyze(graph)
        t2 = time.perf_counter()
        layers = len(analysis.layers)
        best["total"] = min(best["total"], t2 - t0)
        best["load"] = min(best["load"], t1 - t0)
        best["analyze"] = min(best["analyze"], t2 - t1)
        del graph, analysis
        done += 1
        spent += t2 - t0
    best["layers"] = layers
    best["repeats"] = done
    return best


def time_without_gc(path: str, repeats: int) -> float:
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        return time_load_analyze(path, repeats)["total"]
    finally:
        if was:
            gc.enable()


def fit(points: list[tuple[int, float]]) -> dict:
    """Least squares t = a + b*n, and the exponent k of t ~ n^k (log-log slope)."""
    import math

    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mlx, mly = statistics.fmean(lx), statistics.fmean(ly)
    k = sum((x - mlx) * (y - mly) for x, y in zip(lx, ly)) / sum((x - mlx) ** 2 for x in lx)
    ss_tot = sum((y - my) ** 2 for y in ys)
    r2 = 1 - sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys)) / ss_tot if ss_tot else 1.0
    return {"fixed_s": a, "per_layer_s": b, "exponent": k, "r2": r2}


def bench_scaling(sizes: tuple[int, ...], rounds: int, min_time: float, max_tries: int) -> dict:
    """Per series: `rounds` rounds over all sizes (interleaved, so that a slow spell of a shared machine does not
    land on one size only); per size the best over all its tries. In each round a size is tried once, or, when it
    is small, until min_time/rounds seconds are spent (at most max_tries/rounds tries). At SCALING_TARGET_N each
    round also times a run with the garbage collector disabled."""

    out: dict = {}
    per_round = max(1, max_tries // rounds)
    with tempfile.TemporaryDirectory(prefix="archstat-bench-") as tmp:
        for label, make in SERIES.items():
            paths = {}
            for n in sizes:
                paths[n] = os.path.join(tmp, f"{make.__name__}_{n}.yaml")
                with open(paths[n], "w") as fh:
                    fh.write(make(n))
            best = {n: {"total": float("inf"), "load": float("inf"), "analyze": float("inf"), "repeats": 0}
                    for n in sizes}
            no_gc = float("inf")
            try:
                time_load_analyze(paths[min(sizes)], 1)  # first use of each code path kept out of the timings
                for _ in range(rounds):
                    for n in sizes:
                        r = time_load_analyze(paths[n], 1, min_time / rounds, per_round)
                        b = best[n]
                        for k in ("total", "load", "analyze"):
                            b[k] = min(b[k], r[k])
                        b["repeats"] += r["repeats"]
                        b["layers"] = r["layers"]
                        if n == SCALING_TARGET_N:
                            no_gc = min(no_gc, time_without_gc(paths[n], 1))
            except BenchError:
                raise
            except Exception as e:  # an archstat error here means the generated spec or the engine broke
                raise BenchError(f"scaling '{label}': {type(e).__name__}: {e}") from None
            rows = []
            for n in sizes:
                r = dict(best[n], n=n, spec_bytes=os.path.getsize(paths[n]))
                if n == SCALING_TARGET_N:
                    r["total_no_gc"] = no_gc
                rows.append(r)
            first, last = rows[0], rows[-1]
            ratio = (last["total"] / last["layers"]) / (first["total"] / first["layers"])
            out[label] = {"rows": rows, "ratio": ratio,
                          "fit": fit([(r["layers"], r["total"]) for r in rows])}
    return out


# ---- report ------------------------------------------------------------------------------------------------------
def evaluate(startup: dict, imports: dict, scaling: dict, names: tuple[str, ...]) -> list[dict]:
    """Every target as {what, target, measured, ok}; ok None = could not be measured."""
    checks = []
    for name in names:
        s = startup["summary"].get(name)
        checks.append({
            "what": f"`archstat summary {name}` wall time (median)",
            "target": f"< {SUMMARY_TARGET_S:.2f} s",
            "measured": f"{s['median']:.3f} s" if s else startup["errors"].get(name, "not measured"),
            "ok": (s["median"] < SUMMARY_TARGET_S) if s else None,
        })
    js, torch = startup["summary"].get(JSON_SUMMARY), startup["baselines"].get(TORCH_BASELINE)
    checks.append({
        "what": f"`archstat summary {JSON_SUMMARY}` against `import torch` (median wall times, same rounds)",
        "target": f">= {TORCH_RATIO_TARGET:.0f}x faster",
        "measured": (f"{torch['median'] / js['median']:.1f}x ({ms(js['median'])} ms against {ms(torch['median'])} ms)"
                     if js and torch else "torch not installed" if not torch else
                     startup["errors"].get(JSON_SUMMARY, "not measured")),
        "ok": (torch["median"] / js["median"] >= TORCH_RATIO_TARGET) if js and torch else None,
    })
    for name in names:
        c = imports["checks"].get(name)
        checks.append({
            "what": f"`summary {name}` imports none of {', '.join(HEAVY)}",
            "target": "none in sys.modules",
            "measured": ("none" if not c["any_heavy"] else ", ".join(c["heavy_loaded"])) if c
            else imports["errors"].get(name, "not measured"),
            "ok": (not c["any_heavy"]) if c else None,
        })
    checks.append({
        "what": f"`-X importtime ... summary {IMPORTTIME_SPEC}` lists none of {', '.join(HEAVY)}",
        "target": "none",
        "measured": ", ".join(imports["heavy_in_importtime"]) or "none",
        "ok": not imports["heavy_in_importtime"],
    })
    for label, s in scaling.items():
        row = next((r for r in s["rows"] if r["n"] == SCALING_TARGET_N), None)
        if row:
            checks.append({
                "what": f"load + analyze, {row['layers']:,} layers, {label}",
                "target": f"< {SCALING_TARGET_S:.1f} s",
                "measured": f"{row['total']:.3f} s",
                "ok": row["total"] < SCALING_TARGET_S,
            })
        first, last = s["rows"][0], s["rows"][-1]
        checks.append({
            "what": f"linear scaling, {label}: per-layer cost at {last['layers']:,} / at {first['layers']:,} layers",
            "target": f"<= {LINEAR_MAX_RATIO:.1f}x",
            "measured": f"{s['ratio']:.2f}x",
            "ok": s["ratio"] <= LINEAR_MAX_RATIO,
        })
    return checks


def render_report(info: dict, opts: dict, startup: dict, phases: dict | None, imports: dict, scaling: dict,
                  checks: list[dict], elapsed: float) -> str:
    L: list[str] = []
    w = L.append
    w("# archstat core performance")
    w("")
    w(f"Generated by `python bench/bench_core.py{' --quick' if opts['quick'] else ''}` "
      f"(rewritten on every run; do not edit by hand). Mode: {'quick' if opts['quick'] else 'full'}; "
      f"the benchmark took {elapsed:.1f} s.")
    w("")
    w(f"- Date: {info['date']}")
    w(f"- Machine: {info['platform']} ({info['machine']}); CPU: {info['cpu']}; CPU count {info['cpu_count']}"
      + (f" ({info['cpu_usable']} usable)" if info["cpu_usable"] is not None else "")
      + f"; load average at start {info['load']}")
    w(f"- Python: {info['python']} (`{info['executable']}`)")
    w("- Packages: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    w(f"- Commit: {info['commit']}")
    if info["dropped_env"]:
        w("- Unset for the measured commands (set in the calling environment): "
          + ", ".join(f"`{k}`" for k in info["dropped_env"])
          + " (so that bytecode is cached after the warm-up run, as in a normal install)")
    w("")
    w("## Targets")
    w("")
    for line in targets_table(checks):
        w(line)
    w("")
    failed = [c for c in checks if c["ok"] is not True]
    w(f"**{len(checks) - len(failed)} of {len(checks)} targets met.**")
    w("")

    # 1 ----------------------------------------------------------------------------------------------------------
    w("## 1. Whole-process wall time")
    w("")
    w(f"`[sys.executable, \"-m\", \"archstat\", \"summary\", NAME]` with stdout to /dev/null, working directory the "
      f"repository root; 1 warm-up run, then {opts['runs']} timed runs (`time.perf_counter` around "
      f"`subprocess.run`). Target: median under {SUMMARY_TARGET_S} s.")
    w("")
    w("| Command | Median (ms) | Min (ms) | Max (ms) | Runs |")
    w("|---|---:|---:|---:|---:|")
    for label, s in startup["baselines"].items():
        w(f"| `{label}` (baseline) | {ms(s['median'])} | {ms(s['min'])} | {ms(s['max'])} | {s['n']} |")
    for name in startup["summary"]:
        s = startup["summary"][name]
        w(f"| `python -m archstat summary {name}` | {ms(s['median'])} | {ms(s['min'])} | {ms(s['max'])} "
          f"| {s['n']} |")
    for name, err in startup["errors"].items():
        w(f"| `python -m archstat summary {name}` | not measured: {err} | | | |")
    w("")
    if phases and "error" not in phases:
        base = startup["baselines"]["python -c pass"]["median"]
        w(f"Where the time of `summary {phases['spec']}` goes: medians over {opts['phase_runs']} fresh "
          f"interpreters, timed in-process (cold = first use in the process, module imports included).")
        w("")
        w("| Phase | ms |")
        w("|---|---:|")
        w(f"| Interpreter start-up (`python -c pass`, measured above; `site` and `.pth` hooks included) "
          f"| {ms(base)} |")
        w(f"| `import archstat.cli` (typer and what the CLI module imports) | {ms(phases['import_cli'])} |")
        w(f"| `archstat.analyze` cold (PyYAML, spec expansion, layer kinds, engine) | {ms(phases['analyze_cold'])} |")
        w(f"| Rendering the summary with rich, cold (rich imports included) | {ms(phases['render_cold'])} |")
        w(f"| CLI dispatch: `main()` minus a warm analyze and render (option parsing and coercion) "
          f"| {ms(phases['dispatch'])} |")
        w(f"| (warm analyze / warm render, for reference) | {ms(phases['analyze_warm'])} / "
          f"{ms(phases['render_warm'])} |")
        w("")
        if phases["new_in_main"]:
            w(f"Top-level packages and modules first imported during `main()` itself, i.e. by the CLI layer "
              f"(analysis and rendering were already warm): {len(phases['new_in_main'])}: "
              + ", ".join(f"`{p}`" for p in phases["new_in_main"]) + ".")
            w("")
    elif phases:
        w(f"Phase breakdown not available: {phases['error']}")
        w("")

    # 2 ----------------------------------------------------------------------------------------------------------
    w("## 2. Imports of the summary path")
    w("")
    w("Each spec is summarised in a fresh interpreter (`python -c` that sets `sys.argv` and calls "
      "`archstat.cli.main()`), then `sys.modules` is inspected.")
    w("")
    w(f"| Spec | {' / '.join(HEAVY)} imported? | pydantic imported? | Modules loaded |")
    w("|---|---|---|---:|")
    for name, c in imports["checks"].items():
        heavy = ", ".join(c["heavy_loaded"]) if c["any_heavy"] else "no (`False`)"
        w(f"| {name} | {heavy} | {'yes' if c['pydantic'] else 'no'} | {c['modules']} |")
    for name, err in imports["errors"].items():
        w(f"| {name} | not measured: {err} | | |")
    w("")
    w(f"`python -X importtime -m archstat summary {IMPORTTIME_SPEC}`, per-module minimum over "
      f"{opts['importtime_runs']} run(s). Modules that a bare `python -c pass` also imports (interpreter start-up, "
      f"`site` and `.pth` hooks: {imports['n_startup']} modules, {ms(imports['startup_us'] / 1e6)} ms self time) "
      f"are left out below; the command adds {imports['n_command']} modules, "
      f"{ms(imports['command_us'] / 1e6)} ms self time (importtime inflates times somewhat).")
    w("")
    w(f"Top {TOP_IMPORTS} by cumulative time (a module's own time plus everything it imported):")
    w("")
    w("| Module | Cumulative (ms) | Self (ms) | Imported under |")
    w("|---|---:|---:|---|")
    for name, d in imports["top_cumulative"]:
        w(f"| `{name}` | {ms(d['cum_us'] / 1e6)} | {ms(d['self_us'] / 1e6)} | `{d['root']}` |")
    w("")
    w(f"Top {TOP_IMPORTS} by self time:")
    w("")
    w("| Module | Self (ms) | Cumulative (ms) | Imported under |")
    w("|---|---:|---:|---|")
    for name, d in imports["top_self"]:
        w(f"| `{name}` | {ms(d['self_us'] / 1e6)} | {ms(d['cum_us'] / 1e6)} | `{d['root']}` |")
    w("")
    w(f"Self time summed by top-level package (top {TOP_IMPORTS}); \"via\" is the top-level import that pulled "
      f"in most of it:")
    w("")
    w("| Package | Self (ms) | Modules | Share of command imports | Via |")
    w("|---|---:|---:|---:|---|")
    total = imports["command_us"] or 1
    for p in imports["by_package"]:
        w(f"| `{p['package']}` | {ms(p['self_us'] / 1e6)} | {p['modules']} | {100 * p['self_us'] / total:.0f}% "
          f"| `{p['via']}` |")
    w("")
    w(f"Self time summed by the top-level import (depth 0 in importtime's tree) that pulled it in, top "
      f"{TOP_IMPORTS}; a lazy import inside a function shows up here as its own top-level import:")
    w("")
    w("| Top-level import | Self time of it and everything under it (ms) | Share |")
    w("|---|---:|---:|")
    for root, us in imports["by_root"]:
        w(f"| `{root}` | {ms(us / 1e6)} | {100 * us / total:.0f}% |")
    w("")
    if imports["startup_by_pkg"]:
        top = imports["startup_by_pkg"][:3]
        w("Largest start-up imports (present in every Python process on this machine, not archstat's doing): "
          + ", ".join(f"`{p['package']}` {ms(p['self_us'] / 1e6)} ms" for p in top) + ".")
        w("")

    # 3 ----------------------------------------------------------------------------------------------------------
    w("## 3. Engine scaling")
    w("")
    w(f"Generated specs (in a temporary directory, deleted afterwards), input 3x32x32, a stem conv, then named "
      f"repeat groups (at most {MAX_REPEAT:,} passes each) of a unit. Timed in-process with `time.perf_counter`: "
      f"`archstat.load(path)` (read, YAML parse, expansion) + `archstat.core.engine.analyze(graph)`, best of "
      f"{opts['repeats']} rounds that go over all sizes in turn (small sizes: more tries per round, up to "
      f"{opts['max_repeats']} in all, until {opts['min_time']} s is spent; the count is in the table), garbage collector on (as in normal use), `gc.collect()` before each repeat. "
      f"Targets: {SCALING_TARGET_N:,} layers under {SCALING_TARGET_S} s; per-layer cost at the largest size at "
      f"most {LINEAR_MAX_RATIO}x that at the smallest.")
    w("")
    w("- residual (repeat group): unit = conv 3x3 pad 1, batchnorm, relu, add(unit input, relu): 4 layers")
    w("- residual (block per unit): the same unit written as a block with an argument, used once per pass")
    w("- plain (repeat group): unit = conv 3x3 pad 1, batchnorm, relu: 3 layers")
    w("")
    w("Load and Analyze are each the best of their own timings; Total is the best whole load + analyze.")
    w("")
    for label, s in scaling.items():
        w(f"### {label}")
        w("")
        w("| N (target) | Layers | Spec bytes | Best of | Load (ms) | Analyze (ms) | Total (ms) | µs per layer |")
        w("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in s["rows"]:
            w(f"| {r['n']:,} | {r['layers']:,} | {r['spec_bytes']:,} | {r['repeats']} | {ms(r['load'])} "
              f"| {ms(r['analyze'])} | {ms(r['total'])} | {1e6 * r['total'] / r['layers']:.1f} |")
        f = s["fit"]
        w("")
        verdict = "linear" if s["ratio"] <= LINEAR_MAX_RATIO else "NOT linear"
        w(f"Fit t = a + b*n: b = {1e6 * f['per_layer_s']:.1f} µs per layer, a = {ms(f['fixed_s'])} ms, "
          f"R² = {f['r2']:.4f}; log-log exponent {f['exponent']:.2f} (1.00 = linear). Per-layer cost at the largest "
          f"size is {s['ratio']:.2f}x that at the smallest: **{verdict}** (limit {LINEAR_MAX_RATIO}x).")
        row = next((r for r in s["rows"] if r["n"] == SCALING_TARGET_N), None)
        if row and "total_no_gc" in row:
            share = 1 - row["total_no_gc"] / row["total"] if row["total"] else 0
            w(f"At {row['layers']:,} layers with the garbage collector disabled: {ms(row['total_no_gc'])} ms "
              f"(cyclic GC accounts for about {100 * max(share, 0):.0f}% of the time with it on).")
        w("")

    # observations -------------------------------------------------------------------------------------------
    w("## Observations (computed from the numbers above)")
    w("")
    for line in observations(startup, phases, imports, scaling):
        w(f"- {line}")
    w("")
    return "\n".join(L)


def observations(startup: dict, phases: dict | None, imports: dict, scaling: dict) -> list[str]:
    out = []
    base = startup["baselines"]["python -c pass"]["median"]
    cli = startup["baselines"]['python -c "import archstat.cli"']["median"]
    for name, s in startup["summary"].items():
        out.append(f"`summary {name}`: median {ms(s['median'])} ms, of which {ms(base)} ms is a bare interpreter "
                   f"start ({100 * base / s['median']:.0f}%); the target leaves {ms(SUMMARY_TARGET_S - base)} ms for "
                   f"everything archstat does.")
    nosite = startup["baselines"]["python -S -c pass"]["median"]
    out.append(f"Interpreter start-up here: {ms(nosite)} ms without `site` (`-S`), {ms(base)} ms with it; the "
               f"{ms(base - nosite)} ms difference is `site` and the `.pth` hooks of this Python installation, paid by "
               f"every command and outside archstat's control.")
    out.append(f"`import archstat.cli` alone adds {ms(cli - base)} ms to a bare interpreter.")
    if phases and "error" not in phases:
        parts = {"CLI dispatch (option parsing/coercion)": phases["dispatch"],
                 "cold analyze": phases["analyze_cold"], "cold render": phases["render_cold"],
                 "import archstat.cli": phases["import_cli"]}
        big = max(parts, key=parts.get)
        out.append(f"Largest in-process phase: {big}, {ms(parts[big])} ms (" + ", ".join(
            f"{k} {ms(v)} ms" for k, v in parts.items() if k != big) + ").")
    if imports["by_root"]:
        root, us = imports["by_root"][0]
        out.append(f"Largest import subtree: `{root}` and what it imports, {ms(us / 1e6)} ms self time "
                   f"({100 * us / (imports['command_us'] or 1):.0f}% of the command's imports).")
    if imports["by_package"]:
        p = imports["by_package"][0]
        out.append(f"Largest import cost: package `{p['package']}`, {ms(p['self_us'] / 1e6)} ms self time in "
                   f"{p['modules']} modules ({100 * p['self_us'] / (imports['command_us'] or 1):.0f}% of the "
                   f"command's imports), pulled in via `{p['via']}`.")
    for label, s in scaling.items():
        row = next((r for r in s["rows"] if r["n"] == SCALING_TARGET_N), None)
        if row:
            out.append(f"Scaling, {label}: {ms(row['total'])} ms for {row['layers']:,} layers "
                       f"({1e6 * row['total'] / row['layers']:.1f} µs/layer; load {ms(row['load'])} ms, "
                       f"analyze {ms(row['analyze'])} ms).")
    return out


# ---- main --------------------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs and repeats (CI smoke check)")
    ap.add_argument("--runs", type=int, help="timed runs per command (default 15, quick 5)")
    ap.add_argument("--report", type=Path, default=DEFAULT_REPORT, help=f"report path (default {DEFAULT_REPORT})")
    ap.add_argument("--no-report", action="store_true", help="print the summary only, write no report")
    args = ap.parse_args(argv)
    opts = {
        "quick": args.quick,
        "runs": args.runs or (5 if args.quick else 15),
        "importtime_runs": 1 if args.quick else 3,
        "phase_runs": 2 if args.quick else 5,
        "repeats": 2 if args.quick else 3,
        "min_time": 0.25 if args.quick else 0.6,  # per size: small sizes are repeated until this much time is spent
        "max_repeats": 6 if args.quick else 12,
    }
    if opts["runs"] < 1:
        ap.error("--runs must be at least 1")

    t_start = time.perf_counter()
    info = machine_info(("archstat", "typer", "click", "rich", "PyYAML", "pydantic"), mark_dirty=False)
    print(f"archstat core benchmark ({'quick' if args.quick else 'full'}) on {info['platform']}, "
          f"{info['cpu_count']} CPUs, Python {platform.python_version()}", flush=True)
    try:
        print("  1/3 whole-process wall time ...", flush=True)
        startup = bench_startup(SUMMARY_SPECS, opts["runs"])
        phase_spec = next((n for n in SUMMARY_SPECS if n in startup["summary"]), None)
        phases = bench_phases(phase_spec, opts["phase_runs"]) if phase_spec else None
        if phases is not None:
            phases["spec"] = phase_spec
        print("  2/3 imports ...", flush=True)
        imports = bench_imports(SUMMARY_SPECS, opts["importtime_runs"])
        print("  3/3 engine scaling ...", flush=True)
        scaling = bench_scaling(SCALING_N, opts["repeats"], opts["min_time"], opts["max_repeats"])
    except BenchError as e:
        print(f"bench_core: error: {e}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - t_start

    checks = evaluate(startup, imports, scaling, SUMMARY_SPECS)
    if not args.no_report:
        write_atomic(args.report, render_report(info, opts, startup, phases, imports, scaling, checks, elapsed))

    print()
    for name, s in startup["summary"].items():
        print(f"summary {name:10s} median {ms(s['median']):>7} ms  min {ms(s['min']):>7} ms  ({s['n']} runs)")
    for label, s in startup["baselines"].items():
        print(f"{label:31s} median {ms(s['median']):>7} ms")
    if imports["by_package"]:
        p = imports["by_package"][0]
        print(f"largest import package: {p['package']} {ms(p['self_us'] / 1e6)} ms (via {p['via']})")
    if imports["by_root"]:
        root, us = imports["by_root"][0]
        print(f"largest import subtree: {root} {ms(us / 1e6)} ms")
    for label, s in scaling.items():
        row = next((r for r in s["rows"] if r["n"] == SCALING_TARGET_N), s["rows"][-1])
        print(f"scaling {label:27s} {row['layers']:>6,} layers {ms(row['total']):>7} ms  "
              f"per-layer ratio {s['ratio']:.2f}x  exponent {s['fit']['exponent']:.2f}")
    print()
    for c in checks:
        print(f"{mark(c['ok']):12s} {c['what']}: {c['measured']} (target {c['target']})")
    if not args.no_report:
        try:
            shown = args.report.resolve().relative_to(ROOT)
        except ValueError:
            shown = args.report
        print(f"\nreport: {shown}")
    if any(c["ok"] is None for c in checks):
        return 2
    return 0 if all(c["ok"] for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

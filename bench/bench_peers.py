#!/usr/bin/env python3
"""archstat beside its peers: fvcore, torchinfo, ptflops, thop and PyTorch's FlopCounterMode, on the same networks.

    python bench/bench_peers.py            # full run (about 10 minutes on 2 cores), writes reports/perf.md
    python bench/bench_peers.py --quick    # smoke check (2-3 minutes): resnet50 and a 100-block net, fewer runs
    python bench/bench_peers.py --peer thop --model resnet50 [--repeat 3 --breakdown]   # one worker run

It measures, on resnet50, vgg16, densenet121 and a generated residual network of 1,000 blocks:

1. end to end, whole processes as a user runs them (stdout to /dev/null for archstat; one warm-up run per program,
   then the median of the timed runs, round-robin over all commands):
   ``python -m archstat summary MODEL`` against ``python bench/bench_peers.py --peer P --model MODEL``, a worker
   that imports torch and the peer, builds the module with archstat's torch backend (``archstat.load(MODEL)
   .to_torch(...)``), runs the peer's analysis once and prints one JSON line: the peer's totals and its
   in-process phase times (import, build, analysis). The peers that need real tensors (fvcore, torchinfo,
   ptflops, thop) run on the CPU, as their users run them; ``flopcounter`` (``torch.utils.flop_counter.
   FlopCounterMode``) runs a forward of a module built on the meta device;
2. the analysis step alone, in-process: per peer, after import and build, the median of repeated analysis calls
   (the first call, which pays one-off set-up, is reported apart), against archstat's engine
   ``archstat.core.engine.analyze(graph)`` on a compiled graph (a peer is likewise handed a built module) and, beside
   it, ``archstat.load`` + ``analyze`` (parse, compile, analyse);
3. the totals: parameters and MACs from archstat and from each peer, the difference from archstat's MACs, and
   where it comes from, computed from the peer's own per-module or per-operator counts;
4. depth scaling: the generated network at several depths, archstat's CLI and engine and the peers' analysis.

Targets: the CLI at least 5x faster end to end than the fastest peer on every model; the engine at least 50x
faster than the fastest peer's analysis step; archstat's cost per block at the largest depth at most 1.5x that
at the smallest (net of the depth-0 network's fixed cost).

The report is rewritten from scratch on every run. Exit status: 0 when every target is met, 1 when one is
missed, 2 when a measurement could not be made (a peer not installed, a command failing).
Needs ``pip install -e ".[peers]"`` (torch, fvcore, torchinfo, ptflops, thop).
"""

from __future__ import annotations

# Only what the worker needs is imported at the top: the worker is timed end to end, and every module imported
# here would be charged to the peers.
import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # this checkout's archstat, for the workers, the in-process timings and the CLI alike
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # benchlib, beside this script
from benchlib import env, first_line, machine_info, mark, targets_table, write_atomic

DEFAULT_REPORT = ROOT / "reports" / "perf.md"
SCRIPT = "bench/bench_peers.py"

# ---- targets and settings ----------------------------------------------------------------------------------------
MODELS = ("resnet50", "vgg16", "densenet121")  # built-in specs; the generated network is added to them
PEERS = ("fvcore", "torchinfo", "ptflops", "thop", "flopcounter")
CPU_PEERS = ("fvcore", "torchinfo", "ptflops", "thop")  # need real tensors: module built on the CPU
CLI_TARGET = 5.0  # archstat summary end to end vs the fastest peer end to end, per model
ENGINE_TARGET = 50.0  # analyze(graph) vs the fastest peer's analysis step, per model
LINEAR_MAX_RATIO = 1.5  # archstat's per-block cost at the largest depth over that at the smallest
GEN_BLOCKS = 1000  # the generated network of the comparison (full run)
SWEEP_DEPTHS = (125, 250, 500, 1000)  # depth scaling (full run); depth 0 is always measured for the fixed cost
QUICK_BLOCKS = 100
QUICK_DEPTHS = (25, 50, 100)
GEN_WIDTH = 16  # channels of the generated network's blocks
GEN_INPUT = (3, 32, 32)
SWEEP_PEERS = ("flopcounter", "fvcore", "thop")  # the peers timed at every depth
MAC_OPS = ("conv", "convolution", "_convolution", "linear", "addmm", "mm", "matmul", "bmm", "einsum")
# an operator (fvcore, FlopCounterMode) or patched call (ptflops) -> the module class whose outputs it runs over
OP_CLASS = {"batch_norm": "BatchNorm2d", "adaptive_avg_pool2d": "AdaptiveAvgPool2d",
            "avg_pool2d": "AvgPool2d", "max_pool2d": "MaxPool2d", "upsample_nearest2d": "Upsample",
            "upsample_bilinear2d": "Upsample",
            "F.relu (patched)": "ReLU", "F.relu6 (patched)": "ReLU6", "F.max_pool2d (patched)": "MaxPool2d",
            "F.avg_pool2d (patched)": "AvgPool2d", "F.adaptive_avg_pool2d (patched)": "AdaptiveAvgPool2d",
            "F.softmax (patched)": "Softmax", "F.interpolate (patched)": "Upsample"}


class BenchError(Exception):
    """A measurement could not be made (exit status 2)."""


# ---- the generated network ---------------------------------------------------------------------------------------
def gen_spec(blocks: int, width: int = GEN_WIDTH, input_shape: tuple = GEN_INPUT) -> str:
    """A residual network: stem (conv 3x3, bn, relu), `blocks` basic blocks (conv3x3-bn-relu-conv3x3-bn, identity
    add, relu: 7 layers each) in one named `repeat:` group, then global average pool, flatten, fc 10.
    7 * blocks + 6 layers."""
    c, h, w = input_shape
    lines = [f"name: gen_res{blocks}", f"title: generated residual network, {blocks} basic blocks of {width} channels",
             f"input: [{c}, {h}, {w}]", "layers:",
             f"  - conv: {{name: stem, out: {width}, kernel: 3, padding: 1, bias: false}}",
             "  - batchnorm: {name: stem_bn}",
             "  - relu: {name: stem_relu}"]
    if blocks:
        lines += ["  - name: blocks", f"    repeat: {blocks}", "    layers:",
                  f"      - conv: {{name: conv1, out: {width}, kernel: 3, padding: 1, bias: false}}",
                  "      - batchnorm: {name: bn1}",
                  "      - relu: {name: relu1}",
                  f"      - conv: {{name: conv2, out: {width}, kernel: 3, padding: 1, bias: false}}",
                  "      - batchnorm: {name: bn2}",
                  "      - add: {name: add, inputs: [input, bn2]}",
                  "      - relu: {name: relu2}"]
    lines += ["  - global_avgpool: {name: pool}", "  - flatten", "  - fc: {name: fc, out: 10}"]
    return "\n".join(lines) + "\n"


def gen_layers(blocks: int) -> int:
    return 7 * blocks + 6


def write_gen(directory: str, blocks: int) -> str:
    path = os.path.join(directory, f"gen_res{blocks}.yaml")
    with open(path, "w") as fh:
        fh.write(gen_spec(blocks))
    return path


# ---- the worker: one peer on one model ---------------------------------------------------------------------------
PEER_MODULE = {"fvcore": "fvcore.nn", "torchinfo": "torchinfo", "ptflops": "ptflops", "thop": "thop",
               "flopcounter": "torch.utils.flop_counter"}


def _import_peer(peer: str) -> None:
    import importlib
    import importlib.util

    if peer not in PEER_MODULE:
        raise ValueError(f"unknown peer '{peer}' (one of {', '.join(PEERS)})")
    if importlib.util.find_spec("torchvision") is not None:  # ptflops imports torchvision when it is installed,
        # and against the CPU torch that import needs archstat's stand-in (archstat.backend.reference)
        from archstat.backend.reference import import_torchvision

        import_torchvision()
    importlib.import_module(PEER_MODULE[peer])


def _analyse(peer: str, m) -> tuple[dict, object]:
    """One analysis of module `m` as the peer's users call it: ({params, reported, macs}, what the breakdown reads)."""
    import torch

    shape = tuple(m.input_shape)
    if peer == "fvcore":
        from fvcore.nn import FlopCountAnalysis, parameter_count

        fa = FlopCountAnalysis(m, torch.randn(1, *shape))
        flops = fa.total()
        return {"params": int(parameter_count(m)[""]), "reported": int(flops), "macs": int(flops)}, fa
    if peer == "torchinfo":
        from torchinfo import summary

        s = summary(m, input_size=(1, *shape), verbose=0)
        return {"params": int(s.total_params), "reported": int(s.total_mult_adds), "macs": int(s.total_mult_adds)}, s
    if peer == "ptflops":
        from ptflops import get_model_complexity_info

        macs, params = get_model_complexity_info(m, shape, as_strings=False, print_per_layer_stat=False,
                                                 backend="pytorch")
        return {"params": int(params), "reported": int(macs), "macs": int(macs)}, None
    if peer == "thop":
        from thop import profile

        macs, params = profile(m, inputs=(torch.randn(1, *shape),), verbose=False)
        return {"params": int(params), "reported": int(macs), "macs": int(macs)}, None
    if peer == "flopcounter":
        from torch.utils.flop_counter import FlopCounterMode

        x = torch.empty(1, *shape, device="meta")
        with torch.no_grad(), FlopCounterMode(display=False) as fc:
            m(x)
        flops = fc.get_total_flops()
        return {"params": int(sum(p.numel() for p in m.parameters())), "reported": int(flops),
                "macs": int(flops) // 2}, fc
    raise ValueError(peer)


def _recording(by: dict, handler, counter: str):
    """Wrap a tool's per-module counting hook so that what it adds is also summed by module class."""
    def hook(module, inp, out):
        before = float(getattr(module, counter))
        handler(module, inp, out)
        key = type(module).__name__
        by[key] = by.get(key, 0) + round(float(getattr(module, counter)) - before)
    return hook


def _recording_call(by: dict, handler, key: str):
    """Wrap a tool's handler of a function call (it returns the count) to sum what it returns under `key`."""
    def f(*args, **kwargs):
        n = handler(*args, **kwargs)
        by[key] = by.get(key, 0) + int(n)
        return n
    return f


def _breakdown(peer: str, m, handle, total: int) -> dict:
    """The peer's count split by module class (hook-based tools) or by operator (tracing tools). Diagnostic only:
    for thop and ptflops it is one more analysis with the tool's own hooks wrapped, run after the timings."""
    import torch

    shape = tuple(m.input_shape)
    if peer == "fvcore":
        return {"by": "operator", "counts": {k: int(v) for k, v in handle.by_operator().items()}}
    if peer == "flopcounter":
        glob = handle.get_flop_counts().get("Global", {})
        return {"by": "operator", "counts": {str(k).split(".")[-1]: int(v) // 2 for k, v in glob.items()}}
    if peer == "torchinfo":
        by: dict = {}
        for layer in handle.summary_list:
            if layer.is_leaf_layer and layer.macs:
                by[layer.class_name] = by.get(layer.class_name, 0) + int(layer.macs)
        return {"by": "module", "counts": by}
    if peer == "thop":
        from thop import profile
        from thop.profile import register_hooks

        by = {}
        ops = {cls: _recording(by, fn, "total_ops") for cls, fn in register_hooks.items()}
        macs, _ = profile(m, inputs=(torch.randn(1, *shape),), custom_ops=ops, verbose=False)
        rest = int(macs) - sum(by.values())
        if rest:
            by["(not by a module hook)"] = rest
        return {"by": "module", "counts": {k: v for k, v in by.items() if v}}
    if peer == "ptflops":
        from ptflops import get_model_complexity_info
        from ptflops.pytorch_ops import FUNCTIONAL_MAPPING, MODULES_MAPPING, TENSOR_OPS_MAPPING

        by = {}
        hooks = {cls: _recording(by, fn, "__flops__") for cls, fn in MODULES_MAPPING.items()}
        # ptflops also counts calls of torch.nn.functional and tensor ops, patched while it runs (even those made
        # inside a module it already hooks); its handlers are looked up in these dicts, wrapped here to record them
        saved = [(d, dict(d)) for d in (FUNCTIONAL_MAPPING, TENSOR_OPS_MAPPING)]
        for d, orig in saved:
            for fn, handler in orig.items():
                prefix = "F." if d is FUNCTIONAL_MAPPING else ("Tensor." if "Tensor" in repr(fn) else "torch.")
                d[fn] = _recording_call(by, handler, f"{prefix}{getattr(fn, '__name__', fn)} (patched)")
        try:
            macs, _ = get_model_complexity_info(m, shape, as_strings=False, print_per_layer_stat=False,
                                                backend="pytorch", custom_modules_hooks=hooks)
        finally:
            for d, orig in saved:
                d.clear()
                d.update(orig)
        rest = int(macs) - sum(by.values())
        if rest:
            by["(not attributed)"] = rest
        import inspect

        default = inspect.signature(get_model_complexity_info).parameters["backend"].default
        return {"by": "module", "counts": {k: v for k, v in by.items() if v},
                "default_backend": str(getattr(default, "value", default))}
    raise ValueError(peer)


def archstat_by_class(graph, m) -> dict:
    """archstat's MACs, output elements, parameters and layer count per torch module class of the built module."""
    from archstat.core.engine import analyze

    mods = m.layer_modules()
    by: dict = {}
    for r in analyze(graph).layers:
        d = by.setdefault(type(mods[r.name]).__name__, {"macs": 0, "elements": 0, "params": 0, "layers": 0})
        d["macs"] += r.macs or 0
        d["params"] += sum(r.params.values())
        d["elements"] += r.activations
        d["layers"] += 1
    return by


def worker(peer: str, model: str, repeat: int = 0, breakdown: bool = False) -> dict:
    """Import torch and the peer, build the module with archstat's torch backend, analyse it once; optionally
    `repeat` more timed analyses and a breakdown of the count. Returns the JSON-able result."""
    t0 = time.perf_counter()
    import torch

    _import_peer(peer)
    t1 = time.perf_counter()
    import archstat

    graph = archstat.load(model)
    m = graph.to_torch("meta" if peer == "flopcounter" else "cpu")
    loaded = set(sys.modules)
    t2 = time.perf_counter()
    res, handle = _analyse(peer, m)
    t3 = time.perf_counter()
    pkgs: dict = {}
    for name in sys.modules:  # what the first analysis imported on its own (lazy imports of the tool)
        if name not in loaded:
            top = name.split(".")[0] if not name.startswith("torch.") else ".".join(name.split(".")[:2])
            pkgs[top] = pkgs.get(top, 0) + 1
    out = {"peer": peer, "model": model, "device": "meta" if peer == "flopcounter" else "cpu", **res,
           "phases": {"import": t1 - t0, "build": t2 - t1, "analysis": t3 - t2},
           "analysis_imports": {"modules": sum(pkgs.values()),
                                "top": sorted(pkgs, key=lambda k: -pkgs[k])[:4]},
           "threads": torch.get_num_threads()}
    if repeat:
        times = []
        for _ in range(repeat):
            a = time.perf_counter()
            res2, handle = _analyse(peer, m)
            times.append(time.perf_counter() - a)
            if res2 != res:
                raise RuntimeError(f"{peer}: a repeated analysis gave {res2}, the first {res}")
        out["repeats"] = times
    if breakdown:
        out["breakdown"] = _breakdown(peer, m, handle, res["reported"])
        out["archstat"] = archstat_by_class(graph, m)
    return out


def worker_main(args) -> int:
    import warnings

    if args.quiet_warnings:
        warnings.simplefilter("ignore")
    try:
        out = worker(args.peer, args.model, args.repeat, args.breakdown)
    except ImportError as e:
        print(f"bench_peers worker: {args.peer} is not installed ({e})", file=sys.stderr)
        return 3
    except Exception as e:
        print(f"bench_peers worker: {args.peer} on {args.model}: {type(e).__name__}: {e}", file=sys.stderr)
        return 4
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


# ---- pure logic: ratios, targets, fits ---------------------------------------------------------------------------
def speedup(archstat_s: float, peer_s: float) -> float:
    """How many times faster archstat is: peer time over archstat time."""
    return peer_s / archstat_s if archstat_s > 0 else float("inf")


def fmt_ratio(r: float | None) -> str:
    if r is None:
        return "n/a"
    if r == float("inf"):
        return "inf"
    if r >= 1000:
        return f"{r:,.0f}x"
    if r >= 100:
        return f"{r:.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x"


def fmt_s(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 0.01:
        return f"{s * 1e3:.0f} ms"
    if s >= 0.001:
        return f"{s * 1e3:.1f} ms"
    return f"{s * 1e3:.2f} ms"


def fmt_count(n: int | float) -> str:
    """12,345,678 -> '12.3M', with the sign."""
    sign = "-" if n < 0 else "+"
    a = abs(n)
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{sign}{a / div:.3g}{unit}"
    return f"{sign}{a:.0f}"


def fastest(times: dict[str, float]) -> tuple[str, float] | None:
    """(peer, seconds) of the smallest time; None when no peer was measured."""
    if not times:
        return None
    name = min(times, key=times.get)
    return name, times[name]


def check_speedup(what: str, archstat_s: float | None, peer_times: dict[str, float], target: float) -> dict:
    """A target `archstat at least target x faster than the fastest peer` as {what, target, measured, ok, ratio}."""
    best = fastest(peer_times)
    if archstat_s is None or best is None:
        return {"what": what, "target": f">= {target:g}x", "measured": "not measured", "ok": None, "ratio": None}
    ratio = speedup(archstat_s, best[1])
    return {"what": what, "target": f">= {target:g}x",
            "measured": f"{fmt_ratio(ratio)} ({fmt_s(archstat_s)} vs {best[0]} {fmt_s(best[1])})",
            "ok": ratio >= target, "ratio": ratio, "peer": best[0]}


def per_block_ratio(points: dict[int, float], base: float | None = None) -> float | None:
    """Per-block cost at the largest depth over that at the smallest, net of `base` (the depth-0 time)."""
    depths = sorted(d for d in points if d > 0)
    if len(depths) < 2:
        return None
    b = base or 0.0
    lo, hi = depths[0], depths[-1]
    small = (points[lo] - b) / lo
    large = (points[hi] - b) / hi
    return large / small if small > 0 else None


def fit(points: list[tuple[int, float]]) -> dict:
    """Least squares t = a + b*n and R^2."""
    import statistics

    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0
    a = my - b * mx
    ss_tot = sum((y - my) ** 2 for y in ys)
    r2 = 1 - sum((y - (a + b * x)) ** 2 for x, y in zip(xs, ys)) / ss_tot if ss_tot else 1.0
    return {"fixed": a, "per_block": b, "r2": r2}


def macs_difference(archstat_macs: int, peer: dict, archstat_classes: dict) -> list[dict]:
    """Where a peer's MAC count differs from archstat's, from the peer's own breakdown: a list of
    {what, delta, per_element, per_param}: the difference over the output elements, and over the parameters, of the
    layers concerned (as archstat computes them; None where there are none)."""
    b = peer.get("breakdown")
    if not b:
        return []
    parts = []
    if b["by"] == "operator":
        mac_ops = sum(v for k, v in b["counts"].items() if k in MAC_OPS)
        if mac_ops != archstat_macs:
            parts.append({"what": "conv/linear", "delta": mac_ops - archstat_macs, "per_element": None,
                          "per_param": None})
        for op, v in b["counts"].items():
            if op in MAC_OPS or not v:
                continue
            parts.append(_part(op, v, archstat_classes.get(OP_CLASS.get(op, ""), {})))
    else:
        for name in sorted(set(b["counts"]) | {k for k, d in archstat_classes.items() if d["macs"]}):
            mine = archstat_classes.get(name) or archstat_classes.get(OP_CLASS.get(name, ""), {})
            delta = b["counts"].get(name, 0) - archstat_classes.get(name, {}).get("macs", 0)
            if delta:
                parts.append(_part(name, delta, mine))
    parts.sort(key=lambda p: -abs(p["delta"]))
    return parts


def _part(what: str, delta: int, cls: dict) -> dict:
    el, pa = cls.get("elements"), cls.get("params")
    return {"what": what, "delta": delta, "per_element": delta / el if el else None,
            "per_param": delta / pa if pa else None}


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def reason_line(parts: list[dict], total_delta: int) -> str:
    """The parts of a difference as one line: what, how much, and per output element of the layers concerned
    (or per parameter, where the count follows the parameters, as torchinfo's does)."""
    if total_delta == 0 and not parts:
        return "equal"
    if not parts:
        return "no breakdown available"
    items = []
    for p in parts:
        pe, pp = p["per_element"], p.get("per_param")
        if pe is not None and abs(pe) >= 0.5:
            how = f" ({_num(pe)} per output element)"
        elif pp is not None:
            how = f" ({_num(pp)} per parameter)"
        elif pe is not None:
            how = f" ({_num(pe)} per output element)"
        else:
            how = ""
        items.append(f"{p['what']} {fmt_count(p['delta'])}{how}")
    total = sum(p["delta"] for p in parts)
    if total != total_delta:
        items.append(f"unexplained {fmt_count(total_delta - total)}")
    return "; ".join(items)


def _parse_json(stdout: str) -> dict | None:
    for line in reversed((stdout or "").strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def time_commands(commands: dict, runs: int, warm: set) -> tuple[dict, dict, dict]:
    """Whole-process wall times: ({label: [s]}, {label: [worker JSON]}, {label: error}).

    `commands` maps a label to (argv, capture): capture True for a worker (its one JSON line is read from a pipe),
    False for archstat (stdout to /dev/null). `warm` holds the labels that get a warm-up run first (one per
    program: it fills the bytecode caches, and checks the command runs). The timed runs go round-robin over the
    commands, so that a slow spell of a shared machine falls on all of them alike."""
    import subprocess

    times: dict = {}
    outputs: dict = {}
    errors: dict = {}
    for label, (argv, capture) in commands.items():
        if label in warm:
            r = subprocess.run(argv, cwd=ROOT, env=env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
            if r.returncode != 0:
                errors[label] = f"exited {r.returncode}: {first_line(r.stderr)}"
                continue
        times[label] = []
        outputs[label] = []
    for _ in range(runs):
        for label in list(times):
            argv, capture = commands[label]
            t0 = time.perf_counter()
            r = subprocess.run(argv, cwd=ROOT, env=env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                               stderr=subprocess.PIPE if capture else subprocess.DEVNULL, text=True)
            dt = time.perf_counter() - t0
            if r.returncode != 0:
                errors[label] = f"exited {r.returncode}: {first_line(r.stderr)}"
                del times[label], outputs[label]
                continue
            times[label].append(dt)
            if capture:
                d = _parse_json(r.stdout)
                if d is None:
                    errors[label] = "no JSON line on stdout"
                    del times[label], outputs[label]
                    continue
                outputs[label].append(d)
    return times, outputs, errors


def run_worker(peer: str, model: str, repeat: int, breakdown: bool) -> dict:
    """A worker in its own process, for the analysis-step timings and the breakdown (not timed end to end)."""
    import subprocess

    argv = [sys.executable, SCRIPT, "--peer", peer, "--model", model, "--repeat", str(repeat), "--quiet-warnings"]
    if breakdown:
        argv.append("--breakdown")
    r = subprocess.run(argv, cwd=ROOT, env=env(), stdin=subprocess.DEVNULL, capture_output=True, text=True)
    d = _parse_json(r.stdout) if r.returncode == 0 else None
    if d is None:
        return {"error": f"exited {r.returncode}: {first_line(r.stderr)}"}
    return d


def time_engine(paths: dict[str, str], rounds: int) -> dict:
    """In-process, per model: analyze(graph) on a compiled graph, and load + analyze; medians (and minima) over
    `rounds` rounds that go over all models in turn. Only the model being timed is alive (as in a user's process:
    with other graphs alive, every cyclic-GC pass would also walk them); gc.collect() before each timing, the
    collector on."""
    import gc
    import statistics

    import archstat
    from archstat.core.engine import analyze

    for p in paths.values():  # first use of every code path kept out of the timings
        analyze(archstat.load(p))
    an: dict = {k: [] for k in paths}
    la: dict = {k: [] for k in paths}
    info: dict = {}
    for _ in range(rounds):
        for k, p in paths.items():
            graph = archstat.load(p)
            gc.collect()
            t0 = time.perf_counter()
            a = analyze(graph)
            an[k].append(time.perf_counter() - t0)
            del a, graph
            gc.collect()
            t0 = time.perf_counter()
            a = analyze(archstat.load(p))
            la[k].append(time.perf_counter() - t0)
            info[k] = {"params": a.totals.params, "macs": a.totals.macs, "flops": a.totals.flops,
                       "layers": len(a.layers)}
            del a
    return {k: {"analyze": statistics.median(an[k]), "analyze_min": min(an[k]),
                "load_analyze": statistics.median(la[k]), "load_analyze_min": min(la[k]), "rounds": rounds,
                **info[k]} for k in paths}


# ---- the benchmark -----------------------------------------------------------------------------------------------
def _peer_cmd(peer: str, model: str) -> list[str]:
    return [sys.executable, SCRIPT, "--peer", peer, "--model", model]


def _cli_cmd(model: str) -> list[str]:
    return [sys.executable, "-m", "archstat", "summary", model]


BASELINE = "(baseline)"
BASELINES = {"python -c pass": [sys.executable, "-c", "pass"],
             'python -c "import torch"': [sys.executable, "-c", "import torch"]}


def bench_end_to_end(models: dict[str, str], runs: int) -> dict:
    import statistics

    commands: dict = {(BASELINE, k): (argv, False) for k, argv in BASELINES.items()}
    warm: set = set(commands)
    for i, (label, spec) in enumerate(models.items()):
        commands[(label, "archstat")] = (_cli_cmd(spec), False)
        for p in PEERS:
            commands[(label, p)] = (_peer_cmd(p, spec), True)
        if i == 0:
            warm |= {(label, "archstat"), *((label, p) for p in PEERS)}
    times, outputs, errors = time_commands(commands, runs, warm)
    res: dict = {}
    for (label, tool), ts in times.items():
        d = {"median": statistics.median(ts), "min": min(ts), "max": max(ts), "n": len(ts)}
        outs = outputs.get((label, tool)) or []
        if outs:
            d["phases"] = {k: statistics.median(o["phases"][k] for o in outs) for k in outs[0]["phases"]}
            d["totals"] = {k: outs[0][k] for k in ("params", "reported", "macs")}
            d["threads"] = outs[0].get("threads")
            d["consistent"] = all({k: o[k] for k in ("params", "reported")} ==
                                  {k: outs[0][k] for k in ("params", "reported")} for o in outs)
        res.setdefault(label, {})[tool] = d
    return {"results": res, "errors": {f"{label} / {tool}": e for (label, tool), e in errors.items()},
            "commands": {k: v[0] for k, v in commands.items()}}


def bench_analysis(models: dict[str, str], big: set, repeats_small: int, repeats_big: int) -> dict:
    """Per model and peer, a worker with repeated analyses and the breakdown (one process each)."""
    import statistics

    out: dict = {}
    for label, spec in models.items():
        for p in PEERS:
            n = repeats_big if (label in big and p in CPU_PEERS) else repeats_small
            d = run_worker(p, spec, n, breakdown=True)
            if "error" not in d:
                d["median"] = statistics.median(d["repeats"])
                d["min"] = min(d["repeats"])
            out.setdefault(label, {})[p] = d
    return out


def bench_sweep(tmp: str, depths: tuple[int, ...], runs: int, rounds: int, repeats: int, reuse: dict) -> dict:
    """Depth scaling: archstat's CLI (whole process), engine and load + analyze, and SWEEP_PEERS' build and
    analysis step, at depth 0 (the fixed cost) and every depth. `reuse`: {peer: worker result} at the largest
    depth, already measured in section 2 with the same spec and settings."""
    import statistics

    all_depths = (0, *depths)
    paths = {d: write_gen(tmp, d) for d in all_depths}
    commands = {d: (_cli_cmd(paths[d]), False) for d in all_depths}
    times, _, errors = time_commands(commands, runs, set(all_depths))
    if errors:
        raise BenchError("sweep: " + "; ".join(f"depth {d}: {e}" for d, e in errors.items()))
    cli = {d: statistics.median(ts) for d, ts in times.items()}
    eng = time_engine({d: paths[d] for d in all_depths}, rounds)
    peers: dict = {}
    for p in SWEEP_PEERS:
        peers[p] = {}
        for d in all_depths:
            if d == max(depths) and p in reuse and "error" not in reuse[p]:
                r = reuse[p]
            else:
                r = run_worker(p, paths[d], repeats, breakdown=False)
                if "error" not in r:
                    r["median"] = statistics.median(r["repeats"])
            peers[p][d] = r
    return {"depths": all_depths, "cli": cli, "engine": eng, "peers": peers, "runs": runs, "rounds": rounds,
            "repeats": repeats}


def sweep_series(sweep: dict) -> dict:
    """{series label: {depth: seconds}} for the scaling table and the linearity checks."""
    s: dict = {"archstat summary (whole process)": dict(sweep["cli"]),
               "archstat analyze(graph)": {d: e["analyze"] for d, e in sweep["engine"].items()},
               "archstat load + analyze": {d: e["load_analyze"] for d, e in sweep["engine"].items()}}
    for p, by in sweep["peers"].items():
        if all("error" not in r for r in by.values()):
            s[f"{p} build"] = {d: r["phases"]["build"] for d, r in by.items()}
            s[f"{p} analysis"] = {d: r["median"] for d, r in by.items()}
    return s


ARCHSTAT_SERIES = ("archstat summary (whole process)", "archstat analyze(graph)", "archstat load + analyze")


def evaluate(e2e: dict, engine: dict, analysis: dict, sweep: dict, labels: list[str]) -> list[dict]:
    checks = []
    for label in labels:
        r = e2e["results"].get(label, {})
        a = r.get("archstat", {}).get("median")
        peers = {p: r[p]["median"] for p in PEERS if p in r}
        c = check_speedup(f"{label}: `archstat summary` end to end vs the fastest peer end to end", a, peers,
                          CLI_TARGET)
        if len(peers) < len(PEERS):
            c["ok"] = None if c["ok"] else c["ok"]
            c["measured"] += f"; {len(PEERS) - len(peers)} peer(s) not measured"
        checks.append(c)
    for label in labels:
        e = engine.get(label)
        peers = {p: d["median"] for p, d in analysis.get(label, {}).items() if "error" not in d}
        c = check_speedup(f"{label}: engine `analyze(graph)` vs the fastest peer's analysis step",
                          e["analyze"] if e else None, peers, ENGINE_TARGET)
        if len(peers) < len(PEERS):
            c["ok"] = None if c["ok"] else c["ok"]
        checks.append(c)
    series = sweep_series(sweep)
    for name in ARCHSTAT_SERIES:
        pts = series[name]
        ratio = per_block_ratio(pts, pts.get(0))
        lo, hi = min(d for d in pts if d), max(pts)
        checks.append({"what": f"linear in depth, {name}: per-block cost at {hi:,} / at {lo:,} blocks "
                               f"(net of depth 0)",
                       "target": f"<= {LINEAR_MAX_RATIO:g}x", "measured": fmt_ratio(ratio) if ratio else "n/a",
                       "ok": (ratio <= LINEAR_MAX_RATIO) if ratio else None, "ratio": ratio})
    return checks


# ---- report ------------------------------------------------------------------------------------------------------
CONVENTIONS = {
    "archstat": "MACs: multiply-accumulates of conv, deconv and linear layers, bias adds excluded "
                "(its FLOPs, 2 per MAC plus every other op, are a separate column of `summary`).",
    "fvcore": "`FlopCountAnalysis(m, x).total()`, a TorchScript trace of a real forward on the CPU. fvcore calls "
              "its unit a \"flop\" but counts one per multiply-add, and also counts the operators it has a handle "
              "for beyond conv and matmul (batch norm, adaptive average pooling, upsampling); other ops count "
              "nothing (relu silently; add and max pooling with an \"unsupported operator\" warning). Params: "
              "`parameter_count(m)[\"\"]`.",
    "torchinfo": "`summary(m, input_size=(1, C, H, W), verbose=0)`, a real forward on the CPU with module hooks. "
                 "`total_mult_adds`: for each leaf module, every `weight`/`bias` parameter times the output "
                 "positions (conv) or the batch (other modules), so bias adds and batch-norm affine parameters "
                 "are counted; modules without parameters count nothing. Params: `total_params`.",
    "ptflops": "`get_model_complexity_info(m, (C, H, W), as_strings=False, print_per_layer_stat=False, "
               "backend=\"pytorch\")` (the module-hook backend{default}), a real forward on the "
               "CPU. MACs from per-module-class hooks (conv with bias, batch norm, activations, pooling, linear) "
               "plus patched `torch.nn.functional` calls; modules it has no hook for count nothing. Params: "
               "trainable parameters.",
    "thop": "`profile(m, inputs=(x,), verbose=False)`, a real forward on the CPU with per-module-class hooks. "
            "MACs (\"ops\"): conv and linear multiply-adds (bias adds not counted), batch norm, average pooling, "
            "some activations; its rules for ReLU and max pooling count zero; modules it has no rule for count "
            "nothing. Params: of the hooked modules.",
    "flopcounter": "`torch.utils.flop_counter.FlopCounterMode(display=False)` around a forward, under "
                   "`torch.no_grad()`, of the module built on the meta device (no memory, no arithmetic). Counts "
                   "only the operators it has formulas for (convolutions and matrix products, 2 FLOPs per "
                   "multiply-add); batch norm, activations and pooling count nothing. MACs here = FLOPs / 2. "
                   "Params: `sum(p.numel() for p in m.parameters())` (FlopCounterMode reports none).",
}


def render_report(info: dict, opts: dict, models: dict, e2e: dict, engine: dict, analysis: dict, sweep: dict,
                  checks: list[dict], elapsed: float) -> str:
    L: list[str] = []
    w = L.append
    labels = list(models)
    gen_label = labels[-1]
    w("# archstat against its peers")
    w("")
    w(f"Generated by `python {SCRIPT}{' --quick' if opts['quick'] else ''}` (rewritten on every run; do not edit "
      f"by hand). Mode: {'quick' if opts['quick'] else 'full'}; the benchmark took {elapsed:.0f} s.")
    w("")
    w(f"- Date: {info['date']}")
    w(f"- Machine: {info['platform']} ({info['machine']}); CPU: {info['cpu']}; CPU count {info['cpu_count']}"
      + (f" ({info['cpu_usable']} usable)" if info["cpu_usable"] is not None else "")
      + f"; load average at start {info['load']}, at the end {info.get('load_end', 'n/a')} (the machine "
        f"may be shared: a busy spell slows the CPU peers' real forwards most)")
    w(f"- Python: {info['python']} (`{info['executable']}`)")
    w("- Packages: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    threads = next((d.get("threads") for r in e2e["results"].values() for d in r.values() if d.get("threads")), None)
    if threads:
        w(f"- torch intra-op threads in the workers: {threads} (torch's default here)")
    w(f"- Commit: {info['commit']}")
    w(f"- Models: {', '.join(labels[:-1])} (built-in specs) and {gen_label}, generated at run time (section 4): "
      f"{gen_layers(opts['gen_blocks']):,} layers")
    w("")
    w("## Targets")
    w("")
    for line in targets_table(checks):
        w(line)
    for label in labels:  # shown, no target: parse + compile + analyse against the peers' analysis step
        e = engine.get(label)
        peers = {p: d["median"] for p, d in analysis.get(label, {}).items() if "error" not in d}
        best = fastest(peers)
        if e and best:
            w(f"| {label}: `archstat.load` + `analyze` (parse, compile, analyse) vs the fastest peer's analysis step "
              f"| (shown, no target) | {fmt_ratio(speedup(e['load_analyze'], best[1]))} ({fmt_s(e['load_analyze'])} "
              f"vs {best[0]} {fmt_s(best[1])}) | - |")
    w("")
    failed = [c for c in checks if c["ok"] is not True]
    w(f"**{len(checks) - len(failed)} of {len(checks)} targets met.**")
    w("")

    # 1 --------------------------------------------------------------------------------------------------------
    w("## 1. End to end: whole processes")
    w("")
    w(f"`python -m archstat summary MODEL` (stdout to /dev/null) against `python {SCRIPT} --peer PEER --model MODEL` "
      f"(its one JSON line read from a pipe), working directory the repository root. One warm-up run per program "
      f"(on {labels[0]}), then {opts['runs']} timed runs of every command, round-robin over all of them; "
      f"`time.perf_counter` around `subprocess.run`. Median seconds (min-max); below each peer, how many times "
      f"slower than archstat it is.")
    w("")
    w("| Model | archstat summary | " + " | ".join(PEERS) + " |")
    w("|---|---:|" + "---:|" * len(PEERS))
    for label in labels:
        r = e2e["results"].get(label, {})
        a = r.get("archstat")
        cells = [f"{a['median']:.3f} ({a['min']:.3f}-{a['max']:.3f})" if a else "not measured"]
        for p in PEERS:
            d = r.get(p)
            cells.append(f"{d['median']:.3f} ({d['min']:.3f}-{d['max']:.3f}), "
                         f"{fmt_ratio(speedup(a['median'], d['median'])) if a else 'n/a'}" if d else "not measured")
        w(f"| {label} | " + " | ".join(cells) + " |")
    w("")
    base = e2e["results"].get(BASELINE, {})
    if base:
        w("Baselines, timed in the same round-robin: " + "; ".join(
            f"`{k}` {d['median']:.3f} s" for k, d in base.items()) + ".")
        w("")
    if e2e["errors"]:
        w("Not measured: " + "; ".join(f"{k}: {v}" for k, v in e2e["errors"].items()))
        w("")
    w("Where a peer's time goes: in-process phases of the worker (medians over the timed runs), in seconds. "
      "Import: torch and the peer's package; build: `import archstat`, `archstat.load(MODEL)` and `to_torch` "
      "(CPU, with weight initialisation; meta for flopcounter); analysis: the one call; rest: the wall time "
      "outside those, i.e. interpreter start-up, the worker's own imports, and exit (compare the baselines: "
      "`python -c \"import torch\"` as a whole process against torch's import time in-process).")
    w("")
    w("| Model | Peer | Import | Build | Analysis | Rest | Wall |")
    w("|---|---|---:|---:|---:|---:|---:|")
    for label in labels:
        for p in PEERS:
            d = e2e["results"].get(label, {}).get(p)
            if not d or "phases" not in d:
                continue
            ph = d["phases"]
            rest = d["median"] - sum(ph.values())
            w(f"| {label} | {p} | {ph['import']:.3f} | {ph['build']:.3f} | {ph['analysis']:.3f} | {rest:.3f} "
              f"| {d['median']:.3f} |")
    w("")

    # 2 --------------------------------------------------------------------------------------------------------
    w("## 2. The analysis step alone (in-process)")
    w("")
    w(f"Per peer, one worker process per model: after import and build, the analysis is called once (\"first\", "
      f"which includes one-off set-up such as FlopCounterMode's registration or TorchScript's first trace), then "
      f"{opts['repeats']} more times ({opts['repeats_big']} for the CPU peers on {gen_label}); the median of "
      f"those is the peer's analysis step. archstat, in this process: `archstat.core.engine.analyze(graph)` on a graph "
      f"compiled beforehand (the analogue of a peer handed a built module), and `archstat.load(MODEL)` + "
      f"`analyze` (read, parse, expand, compile, analyse); medians over {opts['rounds']} rounds over all models, "
      f"only the timed model's graph alive, `gc.collect()` before each timing, garbage collector on.")
    w("")
    w("| Model | analyze(graph) | load + analyze | " + " | ".join(f"{p} (first)" for p in PEERS)
      + " | fastest peer | engine ratio | load + analyze ratio |")
    w("|---|---:|---:|" + "---:|" * len(PEERS) + "---|---:|---:|")
    for label in labels:
        e = engine.get(label)
        an = analysis.get(label, {})
        cells = [fmt_s(e["analyze"]), fmt_s(e["load_analyze"])] if e else ["n/a", "n/a"]
        for p in PEERS:
            d = an.get(p, {})
            cells.append(f"{fmt_s(d['median'])} ({fmt_s(d['phases']['analysis'])})" if "median" in d
                         else "not measured")
        best = fastest({p: d["median"] for p, d in an.items() if "median" in d})
        if best and e:
            cells += [f"{best[0]}", fmt_ratio(speedup(e["analyze"], best[1])),
                      fmt_ratio(speedup(e["load_analyze"], best[1]))]
        else:
            cells += ["n/a", "n/a", "n/a"]
        w(f"| {label} | " + " | ".join(cells) + " |")
    w("")
    w("archstat per layer: " + "; ".join(
        f"{label} {1e6 * engine[label]['analyze'] / engine[label]['layers']:.1f} µs "
        f"({engine[label]['layers']:,} layers)" for label in labels if label in engine) + " for `analyze(graph)`.")
    w("")

    # 3 --------------------------------------------------------------------------------------------------------
    w("## 3. Totals beside archstat's")
    w("")
    w("What each tool counts (its default call, as above):")
    w("")
    pt_default = next((d["breakdown"].get("default_backend") for by in analysis.values()
                       for p, d in by.items() if p == "ptflops" and "breakdown" in d), None)
    for k, v in CONVENTIONS.items():
        if k == "ptflops":
            v = v.format(default=f"; the installed ptflops's default backend is `{pt_default}`" if pt_default
                         else "")
        w(f"- **{k}**: {v}")
    w("")
    w("\"Why\" is computed from the peer's own split of its count (per module class for torchinfo, ptflops "
      "and thop, whose hooks are wrapped to record what each class adds, in one more untimed call; per operator "
      "for fvcore and FlopCounterMode), against archstat's MACs of the layers built as that class; \"per output "
      "element\" divides the difference by the output elements of those layers, as archstat computes them.")
    w("")
    for label in labels:
        e = engine.get(label)
        if not e:
            continue
        an = analysis.get(label, {})
        w(f"### {label}")
        w("")
        w("| Tool | Params | MACs (as reported) | Tool's number | Params vs archstat | MACs vs archstat | Why |")
        w("|---|---:|---:|---|---:|---:|---|")
        w(f"| archstat | {e['params']:,} | {e['macs']:,} | MACs | | | |")
        classes = next((d["archstat"] for d in an.values() if "archstat" in d), {})
        for p in PEERS:
            d = an.get(p)
            if not d or "error" in d:
                w(f"| {p} | not measured | | | | | {(d or {}).get('error', '')} |")
                continue
            tool_num = (f"{d['reported']:,} FLOPs (/2)" if p == "flopcounter" else
                        "\"flops\" (= multiply-adds)" if p == "fvcore" else "MACs")
            dp = d["params"] - e["params"]
            dm = d["macs"] - e["macs"]
            rel = f" ({100 * dm / e['macs']:+.2f}%)" if e["macs"] and dm else ""
            why = reason_line(macs_difference(e["macs"], d, classes), dm) if dm else "equal"
            w(f"| {p} | {d['params']:,} | {d['macs']:,} | {tool_num} | {'equal' if not dp else f'{dp:+,}'} "
              f"| {'equal' if not dm else f'{dm:+,}'}{rel} | {why} |")
        w("")

    # 4 --------------------------------------------------------------------------------------------------------
    w("## 4. The generated network and depth scaling")
    w("")
    w(f"{gen_label}: input {'x'.join(map(str, GEN_INPUT))}; stem conv 3x3 ({GEN_WIDTH} channels, no bias), "
      f"batchnorm, relu; then one named `repeat: N` group of basic blocks (conv 3x3, batchnorm, relu, conv 3x3, "
      f"batchnorm, `add: {{inputs: [input, bn2]}}` (identity shortcut), relu), all {GEN_WIDTH} channels at "
      f"{GEN_INPUT[1]}x{GEN_INPUT[2]}; then global average pool, flatten, fc 10: 7N + 6 layers. Written to a "
      f"temporary directory and deleted afterwards. The width and size are modest so that the CPU peers' real "
      f"forwards stay affordable at 1,000 blocks (about 4.7 GMACs, as much as ResNet-50); archstat's cost does "
      f"not depend on them.")
    w("")
    w(f"Depth scaling: the same network at N = {', '.join(str(d) for d in sweep['depths'])} blocks (N = 0: stem "
      f"and head only, the fixed cost). archstat's CLI: median of {sweep['runs']} whole-process runs "
      f"(round-robin); its engine: medians over {sweep['rounds']} rounds; peers: one worker per depth, analysis "
      f"median of {sweep['repeats']} calls after the first, build = the worker's build phase. Seconds.")
    w("")
    series = sweep_series(sweep)
    depths = sweep["depths"]
    w("| Series | " + " | ".join(f"N={d:,}" for d in depths) + " | per block at largest N (net) | "
      "largest/smallest per-block | fit t = a + bN: b per block, R² |")
    w("|---|" + "---:|" * len(depths) + "---:|---:|---|")
    for name, pts in series.items():
        base = pts.get(0, 0.0)
        hi = max(pts)
        ratio = per_block_ratio(pts, base)
        f = fit(sorted(pts.items()))
        w(f"| {name} | " + " | ".join(f"{pts[d]:.4f}" for d in depths)
          + f" | {1e6 * (pts[hi] - base) / hi:.0f} µs | {fmt_ratio(ratio) if ratio else 'n/a'} "
            f"| {1e6 * f['per_block']:.0f} µs, {f['r2']:.4f} |")
    for p, by in sweep["peers"].items():
        for d, r in by.items():
            if "error" in r:
                w(f"\n{p} at depth {d}: not measured: {r['error']}")
    w("")

    # observations -----------------------------------------------------------------------------------------------
    w("## Observations (computed from the numbers above)")
    w("")
    for line in observations(labels, e2e, engine, analysis, sweep, checks):
        w(f"- {line}")
    w("")

    # commands ---------------------------------------------------------------------------------------------------
    w("## Commands")
    w("")
    w(f"`python` is `{sys.executable}`; MODEL is each of {', '.join(labels[:-1])} and, for {gen_label}, the "
      f"generated spec's path (`TMP/gen_res{opts['gen_blocks']}.yaml`).")
    w("")
    w("```")
    w("python -m archstat summary MODEL > /dev/null")
    for p in PEERS:
        w(f"python {SCRIPT} --peer {p} --model MODEL")
    w(f"python {SCRIPT} --peer PEER --model MODEL --repeat N --quiet-warnings --breakdown   # section 2 and 3")
    w(f"python {SCRIPT} --peer PEER --model TMP/gen_resN.yaml --repeat N --quiet-warnings   # section 4")
    w("python -m archstat summary TMP/gen_resN.yaml > /dev/null                          # section 4")
    w("```")
    w("")
    return "\n".join(L)


def observations(labels, e2e, engine, analysis, sweep, checks) -> list[str]:
    out = []
    base = e2e["results"].get(BASELINE, {})
    torch_only = base.get('python -c "import torch"')
    cli = [e2e["results"][m]["archstat"]["median"] for m in labels if "archstat" in e2e["results"].get(m, {})]
    if torch_only and cli:
        out.append(f"`python -c \"import torch\"` alone, a process that does nothing else, takes "
                   f"{torch_only['median']:.2f} s: {fmt_ratio(torch_only['median'] / max(cli))} the slowest "
                   f"`archstat summary` here ({max(cli):.2f} s). Every peer pays it before it counts anything.")
    for label in labels:
        r = e2e["results"].get(label, {})
        a = r.get("archstat")
        peers = {p: r[p] for p in PEERS if p in r}
        if not a or not peers:
            continue
        best = min(peers, key=lambda p: peers[p]["median"])
        d = peers[best]
        if "phases" in d:
            ph = d["phases"]
            out.append(f"{label}: fastest peer end to end is {best} ({d['median']:.2f} s): importing torch and "
                       f"{best} takes {ph['import']:.2f} s, building the module {ph['build']:.2f} s, its analysis "
                       f"{ph['analysis']:.2f} s; `archstat summary` takes {a['median']:.2f} s in all.")
    for label in labels:
        an = {p: d for p, d in analysis.get(label, {}).items() if "median" in d}
        e = engine.get(label)
        if not an or not e:
            continue
        best = min(an, key=lambda p: an[p]["median"])
        out.append(f"{label}: fastest analysis step is {best}, {fmt_s(an[best]['median'])} "
                   f"(first call {fmt_s(an[best]['phases']['analysis'])}); archstat's analyze(graph) "
                   f"{fmt_s(e['analyze'])}, {1e6 * e['analyze'] / e['layers']:.1f} µs per layer.")
    for label in labels:  # hook + patched functional on the same op: counted twice
        d = analysis.get(label, {}).get("ptflops", {})
        counts = d.get("breakdown", {}).get("counts", {})
        twice = [cls for cls, fn in (("ReLU", "F.relu (patched)"), ("MaxPool2d", "F.max_pool2d (patched)"),
                                     ("AvgPool2d", "F.avg_pool2d (patched)"),
                                     ("AdaptiveAvgPool2d", "F.adaptive_avg_pool2d (patched)"))
                 if counts.get(cls) and counts.get(cls) == counts.get(fn)]
        if twice:
            out.append(f"{label}: ptflops counts {', '.join(twice)} twice: once in its module hook and again, the "
                       f"same amount, through the `torch.nn.functional` call made inside that module, which it "
                       f"patches while counting (`backend_specific_config={{'count_functional': False}}` turns the "
                       f"second off).")
            break
    for p in PEERS:
        fc = [(label, analysis[label][p]) for label in labels if "median" in analysis.get(label, {}).get(p, {})]
        if not fc:
            continue
        extra = [d["phases"]["analysis"] - d["median"] for _, d in fc]
        if min(extra) < 0.3:
            continue
        imp = fc[0][1].get("analysis_imports") or {}
        why = (f"; in this process the first call also imports {imp['modules']} modules ("
               + ", ".join(f"`{t}`" for t in imp["top"]) + ", ...)") if imp.get("modules") else ""
        out.append(f"{p}'s first analysis in a process costs {min(extra):.2f} to {max(extra):.2f} s more than the "
                   f"later ones (" + "; ".join(f"{label}: first {fmt_s(d['phases']['analysis'])}, then "
                                               f"{fmt_s(d['median'])}" for label, d in fc)
                   + f"){why}. The end-to-end runs pay it, the analysis step does not.")
    series = sweep_series(sweep)
    cli_s, la_s = series["archstat summary (whole process)"], series["archstat load + analyze"]
    hi = max(cli_s)
    if hi and 0 in cli_s and 0 in la_s:
        per_cli = (cli_s[hi] - cli_s[0]) / hi
        per_la = (la_s[hi] - la_s[0]) / hi
        out.append(f"`archstat summary` costs {1e6 * per_cli:.0f} µs per generated block (7 layers) on top of its "
                   f"fixed {cli_s[0]:.2f} s; load + analyze account for {1e6 * per_la:.0f} µs of it, the rest "
                   f"({1e6 * (per_cli - per_la):.0f} µs) is what the CLI does beyond them for each layer: building and "
                   f"printing the per-layer table.")
    for c in checks:
        if c["ok"] is False and c.get("ratio") and "summary" in c["what"]:
            out.append(f"Missed: {c['what']}: {fmt_ratio(c['ratio'])}, {c['ratio'] / CLI_TARGET:.0%} of the "
                       f"{CLI_TARGET:g}x target.")
    for c in checks:
        if c["ok"] is False and c.get("ratio") and "engine" in c["what"]:
            out.append(f"Missed: {c['what']}: {fmt_ratio(c['ratio'])}, {c['ratio'] / ENGINE_TARGET:.0%} of the "
                       f"{ENGINE_TARGET:g}x target (archstat would need to be {ENGINE_TARGET / c['ratio']:.1f}x "
                       f"faster).")
    return out


# ---- main --------------------------------------------------------------------------------------------------------
def bench_main(args) -> int:
    import tempfile

    quick = args.quick
    opts = {
        "quick": quick,
        "runs": args.runs or (2 if quick else 5),
        "rounds": 5 if quick else 15,
        "repeats": 2 if quick else 5,  # analysis calls after the first, per peer and model
        "repeats_big": 2 if quick else 3,  # for the CPU peers on the generated network (seconds per call)
        "sweep_repeats": 2 if quick else 3,
        "gen_blocks": QUICK_BLOCKS if quick else GEN_BLOCKS,
        "models": MODELS[:1] if quick else MODELS,
    }
    depths = QUICK_DEPTHS if quick else SWEEP_DEPTHS
    if opts["runs"] < 1:
        print("bench_peers: --runs must be at least 1", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    info = machine_info(("archstat", "torch", "fvcore", "torchinfo", "ptflops", "thop"))
    print(f"archstat peers benchmark ({'quick' if quick else 'full'}) on {info['platform']}, {info['cpu_count']} "
          f"CPUs, Python {info['python']}", flush=True)
    missing = [d for d in ("torch", "fvcore", "torchinfo", "ptflops", "thop") if info["versions"][d] == "not installed"]
    if missing:
        print(f"bench_peers: not installed: {', '.join(missing)} (pip install -e \".[peers]\")", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="archstat-peers-") as tmp:
        gen_label = f"gen_res{opts['gen_blocks']}"
        models = {m: m for m in opts["models"]}
        models[gen_label] = write_gen(tmp, opts["gen_blocks"])
        try:
            print(f"  1/4 end to end, {opts['runs']} runs of {len(models) * (1 + len(PEERS)) + len(BASELINES)} "
                  f"commands ...", flush=True)
            e2e = bench_end_to_end(models, opts["runs"])
            print("  2/4 analysis step (archstat in-process, peers in workers) ...", flush=True)
            engine = time_engine(models, opts["rounds"])
            analysis = bench_analysis(models, {gen_label}, opts["repeats"], opts["repeats_big"])
            print("  3/4 totals (from the same workers) ...", flush=True)
            print("  4/4 depth scaling ...", flush=True)
            reuse = {p: analysis[gen_label][p] for p in SWEEP_PEERS if p in analysis.get(gen_label, {})}
            sweep = bench_sweep(tmp, depths, opts["runs"], opts["rounds"], opts["sweep_repeats"], reuse)
        except BenchError as e:
            print(f"bench_peers: error: {e}", file=sys.stderr)
            return 2
    elapsed = time.perf_counter() - t_start
    try:
        info["load_end"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):
        pass
    labels = list(models)
    checks = evaluate(e2e, engine, analysis, sweep, labels)
    if not args.no_report:
        write_atomic(args.output, render_report(info, opts, models, e2e, engine, analysis, sweep, checks, elapsed))

    print()
    for c in checks:
        print(f"{mark(c['ok']):12s} {c['what']}: {c['measured']} (target {c['target']})")
    errors = list(e2e["errors"].items()) + [(f"{m} / {p}", d["error"]) for m, by in analysis.items()
                                            for p, d in by.items() if "error" in d]
    for k, v in errors:
        print(f"not measured: {k}: {v}")
    print(f"\ntook {elapsed:.0f} s")
    if not args.no_report:
        try:
            shown = args.output.resolve().relative_to(ROOT)
        except ValueError:
            shown = args.output
        print(f"report: {shown}")
    if errors or missing or any(c["ok"] is None for c in checks):
        return 2
    return 0 if all(c["ok"] for c in checks) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke check: fewer runs, resnet50 and a 100-block generated net only, smaller depths")
    ap.add_argument("--runs", type=int, help="timed whole-process runs per command (default 5, quick 2)")
    ap.add_argument("--output", type=Path, default=DEFAULT_REPORT, help=f"report path (default {DEFAULT_REPORT})")
    ap.add_argument("--no-report", action="store_true", help="print the summary only, write no report")
    g = ap.add_argument_group("worker mode (one peer on one model; prints one JSON line)")
    g.add_argument("--peer", choices=PEERS)
    g.add_argument("--model", help="a built-in spec name or a spec file")
    g.add_argument("--repeat", type=int, default=0, help="timed analyses after the first")
    g.add_argument("--breakdown", action="store_true", help="also split the count by module class or operator")
    g.add_argument("--quiet-warnings", action="store_true", help="silence Python warnings (not in timed runs)")
    args = ap.parse_args(argv)
    if args.peer or args.model:
        if not (args.peer and args.model):
            ap.error("worker mode needs both --peer and --model")
        return worker_main(args)
    return bench_main(args)


if __name__ == "__main__":
    sys.exit(main())

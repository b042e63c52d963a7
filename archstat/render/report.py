"""``archstat report``: regenerate everything under reports/ that the tool computes, and an index that shows it.

The files written are deterministic (no dates, no timings), so a test can regenerate them and require the
committed ones to be identical: a report is never stale. Measurements (the bench/ scripts' perf*.md and the
result files of ``archstat bench`` in reports/bench/) are not regenerated here; the index lists them, and the
``bench`` picture is redrawn from whatever result files are there.
"""

from __future__ import annotations

from pathlib import Path

# The networks drawn one by one (profile) and together (rf): the lecture's examples, one per idea.
PROFILED = ("alexnet", "vgg16", "googlenet", "resnet50", "densenet121", "mobilenet_v2", "efficientnet_b0", "unet")
RF_SPECS = ("alexnet", "vgg16", "googlenet", "inception_v3", "xception", "resnet50", "densenet121", "mobilenet_v2")
MEMORY_SPECS = ("resnet50", "vit_b_16", "convnext_tiny", "mobilenet_v2")  # training memory against batch size

TEXT = {
    "architectures.csv": "the comparison table over the whole zoo (`archstat compare --all`)",
    "verification.md": "every published claim against the specs (`archstat verify`)",
    "verification.csv": "the same, one row per claim, with its source, convention and claim file",
    "check.md": "every layer of every spec against PyTorch, fvcore and FlopCounterMode (`archstat check --all`)",
}


def build(out: Path, check: bool = True, bench_dir: Path | None = None, log=lambda s: None) -> list[Path]:
    """Write the reports into ``out``; return the files written. ``check`` also writes check.md (needs torch and
    fvcore; about a minute). ``bench_dir`` (default ``out/bench``) holds ``archstat bench`` result files."""
    from archstat import analyze
    from archstat.claims.verify import verify
    from archstat.core.compare import compare_row
    from archstat.io.output import write_output
    from archstat.language.catalog import builtin_names
    from archstat.plot.landscape import draw_landscape, landscape_rows
    from archstat.plot.profile import draw_profile, profile_rows, split
    from archstat.plot.receptive import draw_rf, rf_rows
    from archstat.render import verdicts
    from archstat.render.tabular import to_text

    out = Path(out)
    plots = out / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(name: str, text: str) -> None:
        write_output(str(out / name), text)
        written.append(out / name)
        log(f"wrote {out / name}")

    names = builtin_names()
    analyses = {n: analyze(n) for n in names}
    put("architectures.csv", to_text([compare_row(a) for a in analyses.values()], "csv"))
    results = verify()
    put("verification.md", verdicts.to_markdown(results))
    put("verification.csv", verdicts.to_csv(results))
    if check:
        put("check.md", _check_markdown(names))

    points, left_out = landscape_rows(analyses.values())
    draw_landscape(points, str(plots / "landscape.png"))
    put("plots/landscape.csv", to_text(points, "csv"))
    written.append(plots / "landscape.png")

    profiles = {}
    for n in PROFILED:
        rows = profile_rows(analyses[n])
        draw_profile(rows, n, str(plots / f"profile_{n}.png"))
        put(f"plots/profile_{n}.csv", to_text(rows, "csv"))
        written.append(plots / f"profile_{n}.png")
        profiles[n] = (rows, split(rows))

    by_spec = {n: rf_rows(analyses[n]) for n in RF_SPECS}
    draw_rf(by_spec, str(plots / "rf.png"))
    put("plots/rf.csv", to_text([r for rs in by_spec.values() for r in rs], "csv"))
    written.append(plots / "rf.png")

    from archstat.core.memory import train_memory
    from archstat.plot.memory import draw_memory, memory_rows

    memory = memory_rows([train_memory(analyses[n].graph, optimizer="adam") for n in MEMORY_SPECS])
    draw_memory(memory, str(plots / "memory.png"))
    put("plots/memory.csv", to_text(memory, "csv"))
    written.append(plots / "memory.png")

    bench_files = sorted((bench_dir or out / "bench").glob("*.csv"))
    if bench_files:
        from archstat.plot.throughput import draw_bench, read_results

        rows = read_results([str(p) for p in bench_files])
        draw_bench(rows, str(plots / "bench.png"))
        put("plots/bench.csv", to_text(rows, "csv"))
        written.append(plots / "bench.png")

    put("README.md", _index(points, left_out, profiles, by_spec, results, [p.name for p in bench_files], memory))
    return written


def _check_markdown(names: list[str]) -> str:
    from archstat.extras import checker
    from archstat.render import checks

    check_specs = checker(True, "archstat report writes check.md with torch and fvcore", ", or pass --no-check")
    return checks.to_markdown(check_specs(names))


def _index(points, left_out, profiles, by_spec, results, bench_files, memory=()) -> str:
    from archstat.render.verdicts import tally

    top = min(points, key=lambda p: (-p["top1"], p["gmacs"]))
    frontier, cheapest = [], None  # the accuracy-per-MAC frontier: no cheaper spec is as accurate
    for p in sorted(points, key=lambda p: (p["gmacs"], -p["top1"])):
        if cheapest is None or p["top1"] > cheapest:
            frontier.append(p)
            cheapest = p["top1"]
    L = ["# archstat reports", "",
         "Written by `archstat report` (do not edit by hand): a test regenerates every file listed under "
         "\"Generated\" and fails when the committed one differs. The measurements at the end come from the scripts "
         "in `bench/` and are not regenerated here.", "",
         "Conventions: MACs are multiply-accumulates of conv, transposed conv and linear layers; FLOPs are 2 x MACs "
         "plus each other op's rule (`archstat kinds`); memory is float32 at batch 1 unless a file says otherwise.",
         "", "## Generated", ""]
    for name, what in TEXT.items():
        L.append(f"- [`{name}`]({name}): {what}")
    L += ["- [`plots/`](plots/): the pictures below, each beside the CSV of the values it draws", "",
          "## The zoo at a glance", "",
          "![Top-1 accuracy against GMACs, bubble area proportional to parameters](plots/landscape.png)", "",
          f"{len(points)} specs with a cited ImageNet single-crop top-1 in their header "
          "([`plots/landscape.csv`](plots/landscape.csv) has each figure's source). After Canziani, Paszke and "
          "Culurciello 2017, Fig. 2.", "",
          "The frontier (no spec with fewer MACs is as accurate): "
          + ", ".join(f"{p['spec']} ({p['gmacs']:g} GMACs, {p['top1']:g}%)" for p in frontier) + ".", "",
          f"Most accurate: {top['spec']} ({top['top1']:g}%, {top['gmacs']:g} GMACs, "
          f"{top['params']:,} parameters).", "",
          "Left out: " + "; ".join(f"{x['spec']} ({x['reason']})" for x in left_out) + ".", "",
          "## Where the memory and the parameters sit", "",
          "Activation memory and parameters layer by layer (`archstat plot profile SPEC`): the lecture's VGG "
          "picture (most memory in the early convolutions, most parameters late) as numbers for each profiled "
          "network. Layers are counted in the order they run, activations included; in-place layers and views "
          "hold no memory of their own.", "",
          "| spec | layers | activation memory | in the first third of the layers | parameters | in the last third |",
          "|---|---:|---:|---:|---:|---:|"]
    for n, (rows, s) in profiles.items():
        mem = sum(r["new_bytes"] for r in rows)
        par = sum(r["params"] for r in rows)
        L.append(f"| [{n}](plots/profile_{n}.png) | {len(rows)} | {mem / 1e6:,.1f} MB | "
                 f"{s['memory_first_third']:.0%} | {par:,} | {s['params_last_third']:.0%} |")
    L += ["", "![vgg16: activation memory and parameters per layer](plots/profile_vgg16.png)", "",
          "## Receptive field against depth", "",
          "![Receptive field against depth](plots/rf.png)", "",
          "Networks with squeeze-and-excitation gates (efficientnet_b0, se_resnet50, sknet50) are not drawn. Each "
          "gate pools globally, so the gate itself sees the whole input; at the multiply that applies it the gate is "
          "left out (and noted), so their fields are the feature path's: `archstat summary efficientnet_b0` reports "
          "its field \"on the feature path\", with the number of gates.", "",
          "| spec | input | weight layers to cover the input | field at the last spatial layer |", "|---|---:|---:|---:|"]
    for n, rows in by_spec.items():
        cover = next((r["depth"] for r in rows if r["rf"] >= r["input"]), None)
        last = rows[-1]
        L.append(f"| {n} | {last['input']} | {cover if cover is not None else 'never'} | "
                 f"{last['rf']:,} ({last['layer']}) |")
    L += ["", "## Training memory against batch size", "",
          "![Training memory against batch size](plots/memory.png)", "",
          "`archstat memory SPEC --train --batch N` (float32, Adam) for each batch: parameters, gradients and "
          "Adam's two moments (fixed), the activations autograd saves for backward (growing with the batch), and "
          "the peak of one training step, against an 80 GB device ([`plots/memory.csv`](plots/memory.csv)).", "",
          "| spec | parameters + gradients + optimizer | saved per sample | largest batch in 80 GB |",
          "|---|---:|---:|---:|"]
    for n in dict.fromkeys(r["spec"] for r in memory):
        r1, r2 = [r for r in memory if r["spec"] == n][:2]
        fixed = r1["param_bytes"] + r1["grad_bytes"] + r1["optimizer_bytes"]
        L.append(f"| {n} | {fixed / 1e9:,.2f} GB | {(r2['saved_bytes'] - r1['saved_bytes']) / 1e6:,.1f} MB | "
                 f"{r1['max_batch']:,} |")
    L += ["", "## Verification", "", f"{tally(results)} ([`verification.md`](verification.md)).", "",
          "## Measurements (from `bench/`, not regenerated here)", "",
          "- [`perf.md`](perf.md): archstat against fvcore, torchinfo, ptflops, thop and FlopCounterMode "
          "(`python bench/bench_peers.py`)",
          "- [`perf_core.md`](perf_core.md): CLI start-up, imports and engine scaling (`python bench/bench_core.py`)",
          "- [`perf_sweep.md`](perf_sweep.md): sweeps and symbolic sizes (`python bench/bench_sweep.py`)",
          "- [`import.md`](import.md): `archstat import` from torchvision, timm and ONNX: what imports exactly, what "
          "still holds custom layers and why, fx against torch.export (`python bench/bench_import.py` and the "
          "import tests)",
          "- [`view.md`](view.md): `archstat view`, the drawing: dot against dagre, page load times in Chromium, "
          "screenshots in [`view/`](view/) (`python bench/bench_view.py`)",
          "- [`bench/`](bench/): `archstat bench` result files (throughput, latency, memory)"]
    if bench_files:
        L += ["", "![Throughput against batch size](plots/bench.png)", "",
              "Drawn from " + ", ".join(f"`bench/{f}`" for f in bench_files) + "."]
    return "\n".join(L) + "\n"

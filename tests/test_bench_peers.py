"""bench/bench_peers.py: its pure logic (ratios, targets, the generated network, the difference lines) and its
worker, on small networks. No timing is asserted."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import archstat
from archstat.core.engine import analyze

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "bench_peers.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_peers", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bp = _load_bench()


@pytest.fixture(scope="module")
def small_spec(tmp_path_factory):
    return bp.write_gen(str(tmp_path_factory.mktemp("gen")), 3)


# ---- ratios and targets ------------------------------------------------------------------------------------------
def test_speedup_and_format():
    assert bp.speedup(0.2, 2.0) == pytest.approx(10.0)
    assert bp.speedup(0.0, 1.0) == float("inf")
    assert bp.fmt_ratio(12.345) == "12.3x"
    assert bp.fmt_ratio(5.4321) == "5.43x"
    assert bp.fmt_ratio(123.4) == "123x"
    assert bp.fmt_ratio(12345.0) == "12,345x"
    assert bp.fmt_ratio(None) == "n/a"
    assert bp.fmt_count(22_227_968) == "+22.2M"
    assert bp.fmt_count(-1000) == "-1k"
    assert bp.fmt_count(10) == "+10"


def test_fastest_and_check_speedup():
    assert bp.fastest({}) is None
    assert bp.fastest({"thop": 2.0, "fvcore": 3.0, "flopcounter": 1.5}) == ("flopcounter", 1.5)
    c = bp.check_speedup("x", 0.2, {"a": 1.5, "b": 1.0}, 5.0)
    assert c["ok"] is True and c["peer"] == "b" and c["ratio"] == pytest.approx(5.0)
    c = bp.check_speedup("x", 0.2, {"a": 0.9}, 5.0)
    assert c["ok"] is False and c["ratio"] == pytest.approx(4.5)
    assert "4.50x" in c["measured"] and "a" in c["measured"]
    c = bp.check_speedup("x", None, {"a": 0.9}, 5.0)
    assert c["ok"] is None
    c = bp.check_speedup("x", 0.1, {}, 5.0)
    assert c["ok"] is None


def test_per_block_ratio_and_fit():
    # t = 0.1 + 0.001 n: exactly linear once the fixed cost is taken off
    pts = {0: 0.1, 100: 0.2, 200: 0.3, 400: 0.5}
    assert bp.per_block_ratio(pts, pts[0]) == pytest.approx(1.0)
    assert bp.per_block_ratio(pts) < 1.0  # the fixed cost spread over more blocks
    quad = {0: 0.0, 100: 0.01, 200: 0.04, 400: 0.16}
    assert bp.per_block_ratio(quad, 0.0) == pytest.approx(4.0)
    assert bp.per_block_ratio({0: 1.0, 10: 2.0}) is None
    f = bp.fit(sorted(pts.items()))
    assert f["per_block"] == pytest.approx(0.001)
    assert f["fixed"] == pytest.approx(0.1)
    assert f["r2"] == pytest.approx(1.0)


def _sweep(cli, analyze_, load_analyze):
    return {"cli": cli, "engine": {d: {"analyze": analyze_[d], "load_analyze": load_analyze[d]} for d in cli},
            "peers": {}}


def test_evaluate_targets():
    e2e = {"results": {"m": {"archstat": {"median": 0.2},
                             **{p: {"median": 2.0 + i} for i, p in enumerate(bp.PEERS)}}}, "errors": {}}
    engine = {"m": {"analyze": 0.001, "load_analyze": 0.004}}
    analysis = {"m": {p: {"median": 0.04 + i} for i, p in enumerate(bp.PEERS)}}
    lin = {0: 0.0, 10: 0.01, 20: 0.02}
    checks = bp.evaluate(e2e, engine, analysis, _sweep(lin, lin, lin), ["m"])
    by = {c["what"].split(":")[0] + ("/engine" if "engine" in c["what"] else ""): c for c in checks}
    assert by["m"]["ok"] is True  # 2.0 / 0.2 = 10x >= 5x
    assert by["m/engine"]["ok"] is False  # 0.04 / 0.001 = 40x < 50x
    assert by["m/engine"]["ratio"] == pytest.approx(40.0)
    linear = [c for c in checks if c["what"].startswith("linear")]
    assert len(linear) == 3 and all(c["ok"] for c in linear)
    # a missing peer: a pass can no longer be claimed, a fail stays a fail
    del e2e["results"]["m"]["thop"]
    del analysis["m"]["thop"]
    checks = bp.evaluate(e2e, engine, analysis, _sweep(lin, lin, lin), ["m"])
    assert checks[0]["ok"] is None
    assert checks[1]["ok"] is False


def test_macs_difference_and_reason():
    classes = {"Conv2d": {"macs": 1000, "elements": 100, "params": 90, "layers": 1},
               "BatchNorm2d": {"macs": 0, "elements": 100, "params": 8, "layers": 1},
               "ReLU": {"macs": 0, "elements": 100, "params": 0, "layers": 1}}
    hook = {"breakdown": {"by": "module", "counts": {"Conv2d": 1100, "BatchNorm2d": 200}}}
    parts = bp.macs_difference(1000, hook, classes)
    assert [(p["what"], p["delta"]) for p in parts] == [("BatchNorm2d", 200), ("Conv2d", 100)]
    line = bp.reason_line(parts, 300)
    assert line == "BatchNorm2d +200 (2 per output element); Conv2d +100 (1 per output element)"
    params = {"breakdown": {"by": "module", "counts": {"Conv2d": 1000, "BatchNorm2d": 8}}}
    assert bp.reason_line(bp.macs_difference(1000, params, classes), 8) == "BatchNorm2d +8 (1 per parameter)"
    ops = {"breakdown": {"by": "operator", "counts": {"conv": 1000, "batch_norm": 200}}}
    assert bp.reason_line(bp.macs_difference(1000, ops, classes), 200) == "batch_norm +200 (2 per output element)"
    assert "unexplained +5" in bp.reason_line(bp.macs_difference(1000, ops, classes), 205)
    assert bp.reason_line([], 0) == "equal"


# ---- the generated network ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("blocks", [0, 1, 5])
def test_generated_layer_count(tmp_path, blocks):
    path = bp.write_gen(str(tmp_path), blocks)
    a = analyze(archstat.load(path))
    assert len(a.layers) == bp.gen_layers(blocks) == 7 * blocks + 6
    assert a.totals.unknown_macs == []
    kinds = [r.kind for r in a.layers]
    assert kinds.count("conv") == 1 + 2 * blocks and kinds.count("add") == blocks
    assert a.layers[-1].output_shape == (10,)


def test_generated_totals_match_flopcountermode(small_spec):
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    g = archstat.load(small_spec)
    a = analyze(g)
    m = g.to_torch("meta")
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        m(torch.empty(1, *m.input_shape, device="meta"))
    assert 2 * a.totals.macs == fc.get_total_flops()
    assert a.totals.params == sum(p.numel() for p in m.parameters())


# ---- the worker --------------------------------------------------------------------------------------------------
def test_worker_json_flopcounter(small_spec):
    r = subprocess.run([sys.executable, str(SCRIPT), "--peer", "flopcounter", "--model", small_spec],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1
    d = json.loads(lines[0])
    a = analyze(archstat.load(small_spec))
    assert d["peer"] == "flopcounter" and d["device"] == "meta"
    assert d["params"] == a.totals.params
    assert d["macs"] == a.totals.macs and d["reported"] == 2 * a.totals.macs
    assert set(d["phases"]) == {"import", "build", "analysis"}
    assert all(v >= 0 for v in d["phases"].values())
    assert "repeats" not in d and "breakdown" not in d


def test_worker_repeat_and_breakdown_in_process(small_spec):
    d = bp.worker("flopcounter", small_spec, repeat=2, breakdown=True)
    assert len(d["repeats"]) == 2
    a = analyze(archstat.load(small_spec))
    assert d["breakdown"]["by"] == "operator"
    assert sum(d["breakdown"]["counts"].values()) == a.totals.macs
    assert d["archstat"]["Conv2d"]["macs"] + d["archstat"]["Linear"]["macs"] == a.totals.macs
    assert bp.macs_difference(a.totals.macs, d, d["archstat"]) == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fvcore's tracing calls torch.jit.script
def test_worker_fvcore(small_spec):
    d = bp.worker("fvcore", small_spec, repeat=0, breakdown=True)
    a = analyze(archstat.load(small_spec))
    assert d["params"] == a.totals.params
    counts = d["breakdown"]["counts"]
    # fvcore: conv and linear as archstat's MACs, batch norm on top
    assert counts["conv"] + counts["linear"] == a.totals.macs
    assert d["macs"] == sum(counts.values())
    parts = bp.macs_difference(a.totals.macs, d, d["archstat"])
    assert {p["what"] for p in parts} >= {"batch_norm"}
    assert sum(p["delta"] for p in parts) == d["macs"] - a.totals.macs


@pytest.mark.parametrize("peer", ["torchinfo", "ptflops", "thop"])
def test_worker_optional_peers(small_spec, peer):
    pytest.importorskip(peer)
    d = bp.worker(peer, small_spec, repeat=1, breakdown=True)
    a = analyze(archstat.load(small_spec))
    assert d["params"] == a.totals.params
    assert d["breakdown"]["by"] == "module"
    assert d["macs"] >= a.totals.macs  # each counts at least the conv and linear work
    parts = bp.macs_difference(a.totals.macs, d, d["archstat"])
    assert sum(p["delta"] for p in parts) == d["macs"] - a.totals.macs  # every MAC of difference attributed


def test_worker_unknown_model_exits_nonzero(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), "--peer", "flopcounter", "--model", str(tmp_path / "no.yaml")],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert r.stdout == ""
    assert "bench_peers worker" in r.stderr

"""The proof of ``archstat memory`` without a GPU: what torch's autograd really saves, measured, against the engine.

For every zoo spec the backend builds: one training-mode forward pass under ``saved_tensors_hooks`` at batch 2, at
the spec's own input, on the ``meta`` device (no arithmetic, no allocation: seconds for the whole zoo), summing
the distinct storages saved that are not parameters or buffers (``archstat.backend.memory.saved_bytes``). The
engine's ``totals.saved_bytes`` must equal it to the byte. A spec holding a kind without a saved rule (one added
since; see ``archstat kinds --saved``) is reported incomplete, and its prediction is a lower bound of the measure.

Beside it: the same on the CPU for a few specs (the meta device saves what the CPU saves), AMP (bfloat16
autocast on the CPU) and a model wholly in bfloat16 exact for specs covering every kind, and the peak of a whole
training step against the fake device's live bytes (``LiveBytes``), within 2%.
"""

from __future__ import annotations

import time

import pytest

torch = pytest.importorskip("torch")  # installed by .ci/run and the test extra: never skipped in CI

import archstat
from archstat.backend.memory import saved_bytes, step_peak
from archstat.core.memory import train_memory
from archstat.language.catalog import builtin_names

TIMES: dict[str, float] = {}


def _by_layer_diff(m, by) -> str:
    rows = [f"{x.name} ({x.kind}): predicted {x.saved_bytes or 0:,}, measured {by.get(x.name, 0):,}"
            for x in m.layers if (x.saved_bytes or 0) != by.get(x.name, 0)]
    return "; ".join(rows[:6])


@pytest.mark.parametrize("name", builtin_names())
def test_saved_bytes_exact_for_every_zoo_spec(name):
    g = archstat.load(name)
    assert all(n.layer.has_torch_module() for n in g.nodes), f"{name}: every zoo spec builds in torch"
    t = time.perf_counter()
    measured, by = saved_bytes(g, batch=2, device="meta")
    TIMES[name] = time.perf_counter() - t
    m = train_memory(g, batch=2, device="cpu")  # the meta device runs dropout's CPU path: the float noise
    if m.totals.unknown:
        kinds = sorted({x.kind for x in m.layers if x.saved is None and x.requires_grad})
        assert m.totals.saved_bytes < measured, "an incomplete prediction is a lower bound"
        pytest.xfail(f"{name}: no saved rule yet for {', '.join(kinds)} (reported as unknown)")
    assert m.totals.saved_bytes == measured, _by_layer_diff(m, by)


# specs that together hold every kind with a torch module, at small inputs, measured on the CPU for real
SMALL = {"resnet18": "3x64x64", "mobilenet_v3_small": "3x64x64", "vit_b_32": "3x64x64", "convnext_tiny": "3x64x64",
         "efficientnet_b0": "3x64x64", "lenet5_original": None, "squeezenet1_1": "3x64x64", "googlenet": None,
         "shufflenet_v2_x0_5": "3x64x64", "inception_v3": "3x96x96", "unet": "1x188x188"}


@pytest.mark.parametrize("name", list(SMALL))
def test_cpu_saves_what_meta_saves(name):
    g = archstat.load(name, SMALL[name])
    measured, by = saved_bytes(g, batch=2, device="cpu")
    m = train_memory(g, batch=2, device="cpu")
    assert m.totals.saved_bytes == measured, _by_layer_diff(m, by)


# AMP's rule differs from torch's only where CUDA's and the CPU's autocast lists differ, which each kind states
# (``autocast``); the CPU's is checked here. Local response normalisation is approximated under AMP (its power
# and pooling change type inside it; README): googlenet is left out.
AMP = [n for n in SMALL if n != "googlenet"]


@pytest.mark.parametrize("name", AMP)
def test_amp_exact_on_cpu(name):
    g = archstat.load(name, SMALL[name])
    measured, by = saved_bytes(g, batch=2, device="cpu", autocast=torch.bfloat16)
    m = train_memory(g, batch=2, dtype="bfloat16", amp=True, device="cpu")
    assert m.totals.saved_bytes == measured, _by_layer_diff(m, by)


@pytest.mark.parametrize("name", ["resnet18", "vit_b_32", "convnext_tiny", "mobilenet_v3_small"])
def test_half_model_exact_on_cpu(name):
    g = archstat.load(name, SMALL[name])
    measured, by = saved_bytes(g, batch=2, device="cpu", dtype=torch.bfloat16)
    m = train_memory(g, batch=2, dtype="bfloat16", device="cpu")
    assert m.totals.saved_bytes == measured, _by_layer_diff(m, by)


@pytest.mark.parametrize("name, optimizer", [("resnet50", "adam"), ("vit_b_16", "sgd"), ("mobilenet_v2", "momentum"),
                                             ("densenet121", "adamw"), ("inception_v3", "adam"),
                                             ("convnext_tiny", "adam")])
def test_peak_of_a_step_on_the_fake_device(name, optimizer):
    """The whole step's peak (forward, backward, optimizer) against the live bytes of the meta device's fake
    allocator, which also sees the transient tensors inside ops that the engine does not model: within 2%."""
    g = archstat.load(name)
    measured = step_peak(g, batch=8, optimizer=optimizer, device="meta")
    m = train_memory(g, batch=8, optimizer=optimizer, device="cpu")
    assert abs(m.totals.peak_bytes / measured["peak_bytes"] - 1) < 0.02, (m.totals.peak_bytes, measured)


def test_inplace_build_is_what_the_engine_assumes():
    g = archstat.load("resnet18")
    model = archstat.backend.build(g, device="meta", inplace=True)
    plan = {n for n, mod in model.layer_modules().items() if getattr(mod, "inplace", False)}
    assert plan == {x.name for x in train_memory(g).layers if x.storage == "in place"} and len(plan) == 17
    assert not any(getattr(mod, "inplace", False) for mod in archstat.backend.build(g, device="meta")
                   .layer_modules().values())


# ------------------------------------------------------------------------------------------------ the GPU bench
def _bench():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench" / "bench_memory.py"
    spec = importlib.util.spec_from_file_location("bench_memory", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_on_the_fake_device(tmp_path, capsys):
    """``bench/bench_memory.py``'s logic without a GPU: the fake device stands in for CUDA's allocator."""
    bench = _bench()
    out = tmp_path / "memory.md"
    assert bench.main(["--device", "fake", "--specs", "resnet18", "--batch", "4,8", "--output", str(out)]) == 0
    rows = list(__import__("csv").DictReader(out.with_suffix(".csv").open()))
    assert [(r["spec"], r["batch"], r["status"], r["within_10pct"]) for r in rows] == [
        ("resnet18", "4", "ok", "True"), ("resnet18", "8", "ok", "True")]
    assert all(float(r["ratio"]) == pytest.approx(1, abs=0.01) for r in rows)
    text = out.read_text()
    assert "**2 of 2 measured rows within 10%**" in text and "| resnet18 | 8 | float32 | adam |" in text
    assert capsys.readouterr().out.startswith("spec,device,batch")


def test_bench_records_out_of_memory_and_misses(monkeypatch, tmp_path):
    bench = _bench()
    import archstat.backend.memory as bm

    class OutOfMemoryError(RuntimeError):
        pass

    calls = []

    def fake_peak(g, b, **kw):
        calls.append(b)
        if b == 64:
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return {"peak_bytes": 10**6, "resident_bytes": 0}  # far below the prediction: a miss

    monkeypatch.setattr(bm, "step_peak", fake_peak)
    rows = bench.measure_rows(["resnet18"], [8, 64], device="fake")
    assert [r["status"] for r in rows] == ["ok", "oom"] and rows[0]["within_10pct"] is False
    assert "**0 of 1 measured rows within 10%** (1 not measured" in bench.markdown(rows, {"device": "x"})
    out = tmp_path / "m.md"
    assert bench.main(["--device", "fake", "--specs", "resnet18", "--batch", "8", "--output", str(out)]) == 1

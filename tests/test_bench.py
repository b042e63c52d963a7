"""`archstat bench`: the GPU logic that can be tested without a GPU (the peak table, latency statistics,
out-of-memory handling, result rows, predicted memory), and a real CPU run on a tiny spec."""

import csv
import io
import sys

import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")  # the test extra installs it; .ci/run never skips this

import archstat
from archstat.backend import throughput as bench
from archstat.cli import app
from archstat.errors import UsageError

runner = CliRunner()


@pytest.mark.parametrize("name,dtype,tf32,expected", [
    ("NVIDIA H100 80GB HBM3", "bfloat16", False, 989.5),   # SXM5: 1,979 TFLOP/s with sparsity, dense half
    ("NVIDIA H100 80GB HBM3", "float32", False, 67.0),
    ("NVIDIA H100 80GB HBM3", "float32", True, 494.5),     # TF32 tensor cores (cudnn.allow_tf32)
    ("NVIDIA H100 PCIe", "float16", False, 756.5),
    ("NVIDIA H200", "bfloat16", False, 989.5),
    ("NVIDIA A100-SXM4-80GB", "bfloat16", False, 312.0),
    ("NVIDIA L4", "float16", False, 121.0),
    ("Tesla V100-SXM2-16GB", "bfloat16", False, None),    # no bf16 on Volta
    ("Some Future GPU", "float32", False, None),
])
def test_peak_table(name, dtype, tf32, expected):
    assert bench.peak_tflops(name, dtype, tf32)[0] == expected


def test_h100_is_not_mistaken_for_the_pcie_card():
    assert "SXM5" in bench.peak_tflops("NVIDIA H100 80GB HBM3", "bfloat16")[1]
    assert "PCIe" in bench.peak_tflops("NVIDIA H100 PCIe", "bfloat16")[1]


def test_latency_stats():
    med, p90 = bench.latency_stats([i / 1000 for i in range(1, 11)])  # 1..10 ms
    assert med == pytest.approx(5.5) and p90 == pytest.approx(9.0)
    assert bench.latency_stats([0.002]) == (pytest.approx(2.0), pytest.approx(2.0))


def test_predicted_memory_is_params_buffers_and_peak_activations():
    g = archstat.load("resnet18")
    t = archstat.analyze("resnet18", batch=8, dtype="bfloat16").totals
    assert bench.predicted_peak_bytes(g, 8, "bfloat16") == 2 * (t.params + t.buffers) + t.peak_activation_bytes


def test_out_of_memory_is_a_row_and_the_sweep_goes_on(monkeypatch):
    real = bench.time_passes

    def fake(model, x, warmup, iters, device):
        if x.shape[0] == 4:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(model, x, warmup, iters, device)

    monkeypatch.setattr(bench, "time_passes", fake)
    rows = bench.sweep([archstat.load("lenet5")], [1, 4, 2], device="cpu", warmup=0, iters=2)
    assert [r.status for r in rows] == ["ok", "oom", "ok"]
    assert rows[1].images_per_s is None and rows[2].images_per_s > 0


def test_other_failures_are_rows_too(monkeypatch):
    def broken(*a, **k):
        raise ValueError("cudnn said no\nsecond line")

    monkeypatch.setattr(bench, "time_passes", broken)
    (row,) = bench.sweep([archstat.load("lenet5")], [1], device="cpu", warmup=0, iters=1)
    assert row.status == "error: ValueError: cudnn said no"


def test_rows_carry_everything_and_the_fraction_of_peak():
    (row,) = bench.sweep([archstat.load("lenet5")], [2], device="cpu", warmup=1, iters=3, peak_override=1.0)
    d = row.as_dict()
    for key in ("spec", "impl", "device", "torch", "dtype", "batch", "channels_last", "compile", "images_per_s",
                "latency_ms_median", "latency_ms_p90", "measured_peak_bytes", "predicted_peak_bytes", "tflops",
                "peak_tflops", "fraction_of_peak", "date"):
        assert key in d
    flops = archstat.analyze("lenet5").totals.flops
    assert row.status == "ok" and row.params == 61_706 and row.impl == "archstat"
    assert row.tflops == pytest.approx(flops * row.images_per_s / 1e12, abs=1e-3)
    assert row.fraction_of_peak == pytest.approx(row.tflops / 1.0, abs=1e-4)
    assert row.measured_peak_bytes is None  # only measured on a GPU


def test_against_torchvision_without_torchvision(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.models", None)
    with pytest.raises(UsageError, match="torchvision cannot be imported"):
        bench.torchvision_model("resnet50")


def test_cli_cpu_run_and_usage_errors():
    r = runner.invoke(app, ["bench", "lenet5", "--device", "cpu", "--batch", "1,2", "--iters", "2", "--warmup", "0",
                            "--format", "csv", "--dtype", "bfloat16", "--channels-last"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [(x["batch"], x["status"], x["dtype"], x["channels_last"]) for x in rows] == [
        ("1", "ok", "bfloat16", "True"), ("2", "ok", "bfloat16", "True")]
    assert runner.invoke(app, ["bench", "lenet5", "--batch", "0"]).exit_code == 2
    assert runner.invoke(app, ["bench", "lenet5", "--batch", "x"]).exit_code == 2
    assert runner.invoke(app, ["bench", "lenet5", "--against", "timm"]).exit_code == 2
    if not torch.cuda.is_available():
        r = runner.invoke(app, ["bench", "lenet5", "--device", "cuda"])
        assert r.exit_code == 2 and "no CUDA device" in r.output

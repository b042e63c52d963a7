"""`archstat plot`: the rows each picture draws (computed independently here where it matters), the CLI's files,
its usage errors, and the result-file reader of the bench picture."""

import csv
import io
import json

import pytest
from typer.testing import CliRunner

import archstat
from archstat.cli import app
from archstat.errors import ArchstatError
from archstat.plot.landscape import is_imagenet, landscape_rows
from archstat.plot.profile import profile_rows, split
from archstat.plot.receptive import rf_rows
from archstat.plot.throughput import read_results, series

pytest.importorskip("matplotlib")
runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


def test_landscape_rows_keep_only_imagenet_accuracies():
    analyses = [archstat.analyze(n) for n in ("resnet50", "alexnet", "lenet5_original", "preact_resnet110")]
    points, left = landscape_rows(analyses)
    assert [p["spec"] for p in points] == ["resnet50"]
    p = points[0]
    assert p["top1"] == 76.13 and p["params"] == 25_557_032 and p["gmacs"] == 4.0892  # torchvision: 4.089 _ops
    assert "ResNet50_Weights" in p["accuracy_source"]
    assert {x["spec"]: x["reason"] for x in left} == {
        "alexnet": "no accuracy in its header",
        "lenet5_original": "its accuracy is on MNIST test set, not ImageNet",
        "preact_resnet110": "its accuracy is on CIFAR-10, not ImageNet"}
    assert is_imagenet({"top1": 1}) and is_imagenet({"dataset": "ILSVRC-2012 val"})
    assert not is_imagenet({"dataset": "CIFAR-10"})


def test_every_accuracy_header_cites_its_source_and_is_single_crop():
    """The landscape wants single-crop figures: a header that mentions crops must say single or centre crop."""
    from archstat.language.catalog import builtin_names

    for n in builtin_names():
        acc = archstat.load(n).meta.get("accuracy")
        if not acc:
            continue
        src = acc["source"].lower()
        assert len(src) > 20, n
        if "patch" in src or "crops" in src:
            assert "center crop" in src or "single" in src or "centre crop" in src, n


def test_profile_rows_are_the_engines_layers():
    a = archstat.analyze("vgg16")
    rows = profile_rows(a)
    assert len(rows) == len(a.layers) == 39
    assert sum(r["params"] for r in rows) == 138_357_544
    conv1 = rows[0]
    assert conv1["layer"] == "features.0" and conv1["activation_bytes"] == conv1["new_bytes"] == 64 * 224 * 224 * 4
    relu1 = next(r for r in rows if r["layer"] == "features.1")  # in place: an output of that size, nothing new
    assert (relu1["activation_bytes"], relu1["new_bytes"]) == (64 * 224 * 224 * 4, 0)
    assert [(r["activation_bytes"], r["new_bytes"]) for r in rows] == [(x.activation_bytes, x.new_bytes)
                                                                       for x in a.layers]
    assert 4 * 224 * 224 * 3 + sum(r["new_bytes"] for r in rows) == a.totals.activation_bytes
    assert max(rows, key=lambda r: r["params"])["layer"] == "classifier.0"  # fc6: 25088 * 4096 + 4096
    s = split(rows)
    first = rows[:13]
    assert s["memory_first_third"] == sum(r["new_bytes"] for r in first) / sum(r["new_bytes"] for r in rows)
    assert s["params_last_third"] > 0.9  # fc6, fc7 and fc8 hold 89% of VGG-16's parameters on their own


def test_rf_rows_against_hand_computed_vgg16():
    """VGG-16: each 3x3 conv adds 2 * (product of the strides before it); pools (2x2, stride 2) add the stride."""
    rows = rf_rows(archstat.analyze("vgg16"))
    expect, rf, jump = {}, 1, 1
    depth = 0
    for n in (2, 2, 3, 3, 3):
        for _ in range(n):
            depth += 1
            rf += 2 * jump
            expect[depth] = rf
        rf += jump  # the 2x2 max pool: extent 2
        jump *= 2
        expect[depth] = rf  # the pool has the same depth as the conv before it, and a larger field
    assert {r["depth"]: r["rf"] for r in rows} == expect
    assert rows[-1]["rf"] == 212 and rows[-1]["input"] == 224


def test_rf_rows_leave_out_global_layers_and_follow_the_feature_path():
    a = archstat.analyze("efficientnet_b0")
    rows = rf_rows(a)
    # the squeeze-and-excitation gates pool globally (their own layers are "all" and not drawn), but the multiply
    # that applies each one keeps the feature path's field: the curve runs to the last convolution, depth 81 (the
    # network's 82 weight layers less the classifier), where the field is the headline's 851
    assert max(r["depth"] for r in rows) == a.totals.depth - 1 == 81
    assert rows[-1]["rf"] == 851 and not any(".fc" in r["layer"] for r in rows)


def _bench_csv(tmp_path, rows):
    cols = ["spec", "impl", "device", "torch", "dtype", "batch", "channels_last", "compile", "status", "images_per_s"]
    p = tmp_path / "b.csv"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**dict(zip(cols, ["resnet50", "archstat", "cuda", "2.13", "float32", 1, False, False, "ok", 1.0])),
                    **r})
    p.write_text(buf.getvalue())
    return p


def test_bench_reader_groups_series_and_keeps_oom(tmp_path):
    p = _bench_csv(tmp_path, [{"batch": 8, "images_per_s": 800.0}, {"batch": 1, "images_per_s": 150.0},
                              {"batch": 256, "status": "oom", "images_per_s": ""},
                              {"impl": "torchvision", "batch": 1, "images_per_s": 140.0}])
    rows = read_results([str(p)])
    s = series(rows)
    assert len(s) == 2
    ours = s[("resnet50", "archstat", "cuda", "float32", "False", "False")]
    assert [r["batch"] for r in ours] == [1, 8, 256] and ours[-1]["status"] == "oom"
    assert ours[-1]["images_per_s"] is None
    out = tmp_path / "b.png"
    r = runner.invoke(app, ["plot", "throughput", str(p), "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == PNG
    old = tmp_path / "old.png"  # bench: the kind's old name, still accepted (and not in the help)
    r = runner.invoke(app, ["plot", "bench", str(p), "--output", str(old)])
    assert r.exit_code == 0, r.output
    assert old.read_bytes() == out.read_bytes()
    assert "bench" not in runner.invoke(app, ["plot", "--help"]).output.split("Arguments")[0]
    j = tmp_path / "b.json"
    j.write_text(json.dumps([{k: v for k, v in r.items() if k != "file"} for r in rows]))
    assert len(read_results([str(j)])) == 4


def test_bench_reader_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("spec,batch\nresnet50,1\n")
    with pytest.raises(ArchstatError, match=r"bad.csv:2: not a bench result file: no column impl"):
        read_results([str(bad)])
    p = _bench_csv(tmp_path, [{"batch": "eight"}])
    with pytest.raises(ArchstatError, match=r"b.csv:2: batch 'eight'"):
        read_results([str(p)])
    r = runner.invoke(app, ["plot", "bench", str(bad), "--output", str(tmp_path / "x.png")])
    assert r.exit_code == 1 and "no column impl" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("args", [
    ["landscape", "resnet50", "vgg16", "alexnet"],
    ["profile", "alexnet"],
    ["rf", "alexnet", "vgg16"],
    ["sweep", "lenet5", "--sizes", "32:64:16"],
])
def test_cli_draws_each_kind_and_writes_its_data(tmp_path, args):
    out, data = tmp_path / "p.png", tmp_path / "p.csv"
    r = runner.invoke(app, ["plot", *args, "--output", str(out), "--data", str(data)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == PNG
    rows = list(csv.DictReader(data.read_text().splitlines()))
    assert rows
    if args[0] == "landscape":
        assert [x["spec"] for x in rows] == ["resnet50", "vgg16"]
        assert "left out of the landscape: alexnet (no accuracy in its header)" in r.output
    if args[0] == "rf":
        assert {x["spec"] for x in rows} == {"alexnet", "vgg16"}


def test_cli_svg_has_no_date(tmp_path):
    out = tmp_path / "p.svg"
    assert runner.invoke(app, ["plot", "profile", "lenet5", "--output", str(out)]).exit_code == 0
    text = out.read_text()
    assert text.startswith("<?xml") and "<dc:date>" not in text


@pytest.mark.parametrize("args, message", [
    (["profile", "alexnet", "vgg16", "--output", "x.png"], "plot profile draws one spec, got 2"),
    (["profile", "--output", "x.png"], "name the specs to plot profile, or give --all"),
    (["rf", "alexnet"], "give --output FILE.png"),
    (["rf", "alexnet", "--output", "x.txt"], "--output must end in .png, .svg or .pdf"),
    (["bench", "--output", "x.png"], "plot bench needs result files"),
    (["throughput", "--output", "x.png"], "plot throughput needs result files"),
    (["benchmark", "--output", "x.png"], "Invalid value for"),
    (["landscape", "alexnet", "lenet5", "--output", "x.png"], "none of the specs has an ImageNet top-1"),
])
def test_cli_usage_errors(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["plot", *args])
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert not (tmp_path / "x.png").exists()

"""`archstat sweep` and `archstat plot sweep`: sizes, flags, findings, agreement with the symbolic domain."""

import csv
import io

import pytest
from typer.testing import CliRunner

import archstat
from archstat.cli import app
from archstat.core.sweep import findings, parse_sizes, sweep
from archstat.errors import UsageError

runner = CliRunner()


def test_parse_sizes():
    assert parse_sizes("32:128:32") == [32, 64, 96, 128]  # stop included
    assert parse_sizes("224,256, 299") == [224, 256, 299]
    assert parse_sizes("8:10,299") == [8, 9, 10, 299]
    for bad in ("", "a:b", "32:16", "0,4", "1:10:0", "1:2:3:4", "1:100000"):
        with pytest.raises(UsageError):
            parse_sizes(bad)


def test_alexnet_the_lectures_stride_point():
    """(227 - 11)/4 + 1 = 55 fits; at 224 (the paper's figure) the stride of conv1 does not: 53.25."""
    rows = {r["size"]: r for r in sweep(archstat.load("alexnet"), [224, 227])}
    assert not rows[227]["stride_does_not_fit"] and rows[224]["stride_does_not_fit"]
    assert "conv1" in rows[224]["unfit_layers"].split()
    assert rows[227]["macs"] == archstat.analyze("alexnet").totals.macs


def test_alexnet_fails_below_67_as_the_symbolic_domain_says():
    from archstat.core.symbolic import analyze_symbolic

    rows = sweep(archstat.load("alexnet"), list(range(60, 80)))
    works = [r["size"] for r in rows if r["status"] == "ok"]
    assert min(works) == 67 and all(s in works for s in range(67, 80))
    failing = next(r for r in rows if r["size"] == 66)
    assert failing["status"] == "too small" and failing["failing_layer"]
    sa = analyze_symbolic(archstat.load("alexnet"), [3, "H", "W"])
    assert [str(c) for c in sa.conditions[:2]] == ["H >= 67", "W >= 67"]
    assert any(line.startswith("fails below 67") for line in findings(rows))


def test_fully_connected_parameters_change_with_the_input():
    rows = sweep(archstat.load("vgg16"), [224, 256])
    # fc6 has 512*7*7*4096 weights at 224 and 512*8*8*4096 at 256
    assert rows[1]["params"] - rows[0]["params"] == 512 * (8 * 8 - 7 * 7) * 4096


def test_receptive_field_coverage():
    rows = sweep(archstat.load("vgg16"), [200, 212, 213, 224])
    assert [r["rf_covers_input"] for r in rows] == [True, True, False, False]  # VGG-16's field is 212
    assert "covers the whole input up to size 212" in " ".join(findings(rows))


def test_cli_csv_and_plot(tmp_path):
    r = runner.invoke(app, ["sweep", "resnet18", "--sizes", "64:128:32", "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [int(x["size"]) for x in rows] == [64, 96, 128] and all(x["status"] == "ok" for x in rows)
    assert runner.invoke(app, ["sweep", "resnet18", "--sizes", "x"]).exit_code == 2
    out = tmp_path / "s.png"
    r = runner.invoke(app, ["plot", "sweep", "alexnet", "--sizes", "60:300:20", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert runner.invoke(app, ["plot", "sweep", "alexnet", "--output", str(tmp_path / "s.txt")]).exit_code == 2

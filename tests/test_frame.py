"""pandas where it serves: ``archstat.compare`` and ``Analysis.to_frame()`` (numeric columns, the engine's figures),
and ``archstat compare --sort/--columns`` (applied to the DataFrame; unknown columns are one-line usage errors)."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archstat
from archstat.cli import app
from archstat.core.compare import compare_row, compare_rows
from archstat.core.frame import LAYER_COLUMNS, frame_csv, records_frame
from archstat.render.tabular import to_text

pd = pytest.importorskip("pandas")
runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]
COUNTS = ["params", "trainable_params", "buffers", "macs", "flops", "activations", "activation_bytes",
          "peak_activation_bytes", "param_bytes", "weight_layers", "depth"]


def run(*args):
    return runner.invoke(app, list(args))


def test_compare_is_a_frame_of_the_engines_totals():
    df = archstat.compare(["resnet50", "vgg16"])
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == list(compare_row(archstat.analyze("lenet5")))
    assert df["name"].tolist() == ["resnet50", "vgg16"]
    for c in COUNTS:
        assert pd.api.types.is_integer_dtype(df[c]), c
    assert df["complete"].dtype == bool
    for i, name in enumerate(["resnet50", "vgg16"]):
        t = archstat.analyze(name).totals
        for c in COUNTS:
            assert df[c][i] == getattr(t, c), (name, c)
    assert df.sort_values("macs")["name"].tolist() == ["resnet50", "vgg16"]


def test_compare_takes_input_batch_dtype():
    df = archstat.compare(["vgg16"], input="3x32x32", batch=4, dtype="float16")
    t = archstat.analyze("vgg16", input="3x32x32", batch=4, dtype="float16").totals
    assert df["input"][0] == "3x32x32"
    assert (df["macs"][0], df["activation_bytes"][0], df["params"][0]) == (t.macs, t.activation_bytes, t.params)


def test_layer_frame_columns_dtypes_and_values():
    a = archstat.analyze("resnet50", batch=2)
    f = a.to_frame()
    assert list(f.columns) == LAYER_COLUMNS and len(f) == len(a.layers)
    for c in LAYER_COLUMNS:
        if c not in ("name", "kind", "inputs", "output_shape"):
            assert pd.api.types.is_numeric_dtype(f[c]) or f[c].dtype == bool, (c, f[c].dtype)
    assert f["name"].tolist() == [r.name for r in a.layers]
    for row, r in zip(f.itertuples(index=False), a.layers):
        assert (row.params, row.macs, row.flops, row.activations) == (r.n_params, r.macs, r.flops, r.activations)
        assert row.output_shape == "x".join(map(str, r.output_shape))
        assert row.activation_bytes == r.activations * a.dtype_bytes
    t = a.totals
    assert (f.params.sum(), f.macs.sum(), f.flops.sum()) == (t.params, t.macs, t.flops)
    input_bytes = a.batch * a.dtype_bytes * a.input_shape[0] * a.input_shape[1] * a.input_shape[2]
    assert f.new_bytes.sum() + input_bytes == t.activation_bytes
    assert (f.new_bytes == f.activation_bytes.where(f.new_memory, 0)).all()
    conv1 = f.set_index("name").loc["conv1"]
    assert (conv1.rf_size_h, conv1.rf_size_w, conv1.rf_stride_h) == (7, 7, 2)
    fc = f.set_index("name").loc["fc"]
    assert fc.rf_global and pd.isna(fc.rf_stride_h)


def test_layer_frame_unknown_counts_are_missing_not_zero(write_spec):
    path = write_spec("name: opaque\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3}\n"
                      "  - custom: {op: roi_align, shape: [4, 2, 2], params: 10}\n")
    f = archstat.analyze(path).to_frame()
    assert str(f.macs.dtype) == "Int64" and f.macs.isna().tolist() == [False, True]
    assert f.params.tolist() == [4 * 27 + 4, 10]


def test_importing_archstat_imports_no_pandas():
    code = "import sys, archstat, archstat.cli, archstat.core.frame; print('pandas' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert p.stdout.strip() == "False", p.stderr


def test_compare_csv_bytes_are_todays():
    """pandas' writer, byte for byte what the row writer (render.tabular) writes, so reports/architectures.csv
    (``archstat report``, through that writer) and ``compare --all -o x.csv`` stay one file."""
    r = run("compare", "--all", "--format", "csv")
    assert r.exit_code == 0, r.output
    names = archstat.language.catalog.builtin_names()
    assert r.output == to_text(compare_rows(names), "csv")
    assert r.output == (ROOT / "reports" / "architectures.csv").read_text()


def test_records_frame_keeps_mixed_numbers_exact():
    rows = [{"name": "a", "top1": 70, "year": 2012}, {"name": "b", "top1": 75.25, "year": ""},
            {"name": 'q"uote,d', "top1": "", "year": 1998}]
    assert frame_csv(records_frame(rows)) == to_text(rows, "csv")
    rows = [{"top1": 70}, {"top1": 75.5}]
    assert frame_csv(records_frame(rows)) == "top1\n70\n75.5\n"


def _csv(r):
    assert r.exit_code == 0, r.output
    return list(csv.DictReader(io.StringIO(r.output)))


@pytest.mark.parametrize("sort, order", [
    ("params", ["resnet18", "resnet50", "vgg16"]),
    ("-params", ["vgg16", "resnet50", "resnet18"]),
    ("family,-macs", ["resnet50", "resnet18", "vgg16"]),
    ("name", ["resnet18", "resnet50", "vgg16"]),
])
def test_cli_compare_sort(sort, order):
    rows = _csv(run("compare", "vgg16", "resnet18", "resnet50", "--format", "csv", f"--sort={sort}"))
    assert [x["name"] for x in rows] == order
    rows = _csv(run("compare", "vgg16", "resnet18", "resnet50", "--format", "csv", "--sort", sort))
    assert [x["name"] for x in rows] == order


def test_cli_compare_sort_puts_empty_cells_last_both_ways():
    specs = ["alexnet", "resnet50", "vgg16"]  # alexnet's header cites no top-1
    up = _csv(run("compare", *specs, "-f", "csv", "--sort", "top1"))
    down = _csv(run("compare", *specs, "-f", "csv", "--sort", "-top1"))
    assert [x["name"] for x in up] == ["vgg16", "resnet50", "alexnet"]
    assert [x["name"] for x in down] == ["resnet50", "vgg16", "alexnet"]


def test_cli_compare_columns_in_every_format(tmp_path):
    rows = _csv(run("compare", "vgg16", "resnet50", "-f", "csv", "--columns", "name, macs,params", "--sort", "-macs"))
    assert list(rows[0]) == ["name", "macs", "params"]
    assert [x["name"] for x in rows] == ["vgg16", "resnet50"] and rows[0]["params"] == "138357544"
    r = run("compare", "vgg16", "resnet50", "-f", "json", "--columns", "params,name")
    assert json.loads(r.output) == [{"params": 138357544, "name": "vgg16"}, {"params": 25557032, "name": "resnet50"}]
    r = run("compare", "vgg16", "-f", "markdown", "--columns", "name,params")
    assert r.output == "| name | params |\n|---|---:|\n| vgg16 | 138,357,544 |\n"
    r = run("compare", "vgg16", "--columns", "name,depth")
    assert r.exit_code == 0 and "vgg16" in r.output and "16" in r.output and "macs" not in r.output
    out = tmp_path / "c.csv"
    assert run("compare", "vgg16", "--columns", "name,depth", "-o", str(out)).exit_code == 0
    assert out.read_text() == "name,depth\nvgg16,16\n"


def test_cli_compare_default_json_and_markdown_are_the_row_writers():
    rows = compare_rows(["resnet18", "vgg16"])
    assert run("compare", "resnet18", "vgg16", "-f", "json").output == to_text(rows, "json")
    assert run("compare", "resnet18", "vgg16", "-f", "markdown").output == to_text(
        rows, "markdown", {"params", "trainable_params", "buffers", "macs", "flops", "activations", "activation_bytes",
                           "peak_activation_bytes", "param_bytes", "weight_layers"})


@pytest.mark.parametrize("args, message", [
    (["--columns", "name,parms"], "--columns: unknown column 'parms'; known: name, family, year, input, params,"),
    (["--sort", "-parms"], "--sort: unknown column 'parms'; known: name, family,"),
    (["--sort", "params,bogus"], "--sort: unknown column 'bogus'; known:"),
    (["--columns", ","], "--columns: give column names, comma-separated; known: name,"),
    (["--columns", "name,name"], "--columns: column name given twice"),
    (["--sort", "-"], "--sort: give a column name (or -name for descending); known: name,"),
])
def test_cli_compare_bad_columns_are_usage_errors(args, message):
    r = run("compare", "vgg16", *args)
    assert r.exit_code == 2, r.output
    assert r.output.count("\n") == 1 and r.output.startswith("archstat: error: ")
    assert message in r.output
    assert "twice" in r.output or "top1" in r.output  # else every known column is named

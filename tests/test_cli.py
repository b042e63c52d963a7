"""The command line through typer's CliRunner: exit codes, formats, the JSON contract, errors on one line."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from archstat.cli import app

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, list(args), input=input)


def test_summary_table_vgg16():
    r = run("summary", "vgg16")
    assert r.exit_code == 0, r.output
    assert "features.0" in r.output and "64x224x224" in r.output
    assert "138,357,544" in r.output and "15.47G" in r.output
    assert "multiply-accumulates" in r.output, "the convention is stated under the table"


def test_summary_json_contract():
    r = run("summary", "resnet18", "--format", "json")
    assert r.exit_code == 0
    d = json.loads(r.output)
    assert {"name", "input", "batch", "dtype", "conventions", "layers", "totals"} <= set(d)
    for layer in d["layers"]:
        assert {"name", "kind", "inputs", "output_shape", "params", "macs", "flops", "activations", "rf"} <= set(layer)
        assert {"size", "stride", "padding"} <= set(layer["rf"])
    assert {"params", "trainable_params", "buffers", "macs", "flops", "activations", "activation_bytes",
            "param_bytes", "peak_activation_bytes", "rf"} <= set(d["totals"])
    assert d["totals"]["params"] == 11_689_512 and isinstance(d["totals"]["macs"], int)
    assert d["totals"]["rf"] == {"size": 435, "stride": 32, "padding": 217}
    add = next(x for x in d["layers"] if x["name"] == "layer2.0.add1")
    assert add["inputs"] == ["layer2.0.bn2", "layer2.0.downsample.1"]


def test_summary_csv_header_and_rows():
    r = run("summary", "alexnet", "--format", "csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert list(rows[0]) == ["name", "kind", "inputs", "output_shape", "params", "weights", "buffers", "macs",
                             "flops", "activations", "activation_bytes", "new_memory", "rf_size", "rf_stride",
                             "rf_padding", "line"]
    conv1 = rows[0]
    assert (conv1["name"], conv1["output_shape"], conv1["params"], conv1["macs"]) == (
        "conv1", "96x55x55", "34944", "105415200")


def test_summary_markdown_and_depth():
    r = run("summary", "resnet50", "--format", "markdown", "--depth", "1")
    assert r.exit_code == 0
    assert "| layer1 |" in r.output and "layer1.0.conv1" not in r.output
    assert "25,557,032" in r.output


def test_input_override_and_batch():
    r = run("summary", "vgg16", "--input", "3x32x32", "--format", "json", "--batch", "2")
    d = json.loads(r.output)
    assert d["input"] == [3, 32, 32] and d["batch"] == 2
    fc6 = next(x for x in d["layers"] if x["name"] == "classifier.0")
    assert fc6["params"] == 512 * 4096 + 4096  # the classifier shrinks with the input: 512x1x1 after five pools


def test_explain_alexnet_conv1():
    r = run("explain", "alexnet", "conv1")
    assert r.exit_code == 0, r.output
    assert "(227 - 11 + 2*0)/4 + 1 = 55" in r.output
    assert "(11*11*3 + 1) * 96 = 34,944" in r.output
    assert "55*55*96 * 11*11*3 = 105,415,200" in r.output


def test_explain_unknown_layer_is_usage_error():
    r = run("explain", "vgg16", "0")  # ambiguous: features.0 (conv1_1) and classifier.0 (fc6)
    assert r.exit_code == 2
    assert "features.0" in r.output and "classifier.0" in r.output


def test_list_and_compare(tmp_path):
    r = run("list", "--format", "csv")
    assert r.exit_code == 0
    names = [row["name"] for row in csv.DictReader(io.StringIO(r.output))]
    assert {"vgg16", "resnet50", "googlenet"} <= set(names)
    out = tmp_path / "cmp.csv"
    r = run("compare", "resnet50", "vgg16", "--output", str(out))
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open()))
    assert [x["name"] for x in rows] == ["resnet50", "vgg16"]
    assert rows[1]["params"] == "138357544" and rows[1]["depth"] == "16" and rows[0]["depth"] == "50"


def test_bad_spec_exit_1_with_line(write_spec):
    path = write_spec("name: bad\ninput: [3, 32, 32]\nlayers:\n  - conv: {out: 8, kernel: 3}\n  - convv: {out: 8}\n")
    r = run("summary", path)
    assert r.exit_code == 1
    assert f"{path}:5: unknown layer kind 'convv' (did you mean 'conv'?)" in r.output
    assert "Traceback" not in r.output


def test_shape_error_names_layer_and_numbers(write_spec):
    path = write_spec("name: bad\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 8, kernel: 3, stride: 2}\n"
                      "  - conv: {name: big, out: 8, kernel: 5}\n")
    r = run("summary", path)
    assert r.exit_code == 1
    line = r.output.strip()
    assert "\n" not in line
    # 8x8 -> (8 - 3)/2 + 1 = 3x3; then (3 - 5)/1 + 1 = -1
    assert line == (f"archstat: error: {path}:5: layer 'big': conv: output height would be -1: window 5 (kernel 5) "
                    f"is larger than the padded input 3 (3 + 0 + 0) with stride 1")


def test_usage_errors_exit_2():
    assert run("summary", "vgg16", "--input", "3x2.5x4").exit_code == 2
    assert run("summary", "vgg16", "--format", "xml").exit_code == 2
    assert run("summary", "vgg16", "--batch", "0").exit_code == 2
    assert run("summary").exit_code == 2


def test_missing_spec_exit_1():
    r = run("summary", "vgg61")
    assert r.exit_code == 1 and "did you mean" in r.output


def test_stdin_spec():
    spec = "name: tiny\ninput: [1, 8, 8]\nlayers:\n  - conv: {out: 2, kernel: 3}\n"
    r = run("summary", "-", "--format", "json", input=spec)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["totals"]["params"] == 2 * 9 + 2


def test_output_is_written_and_spec_protected(write_spec, tmp_path):
    path = write_spec("name: tiny\ninput: [1, 8, 8]\nlayers:\n  - conv: {out: 2, kernel: 3}\n")
    r = run("summary", path, "--output", path, "--format", "csv")
    assert r.exit_code == 2 and "refusing to overwrite" in r.output
    with open(path) as f:
        assert f.read().startswith("name: tiny")
    out = tmp_path / "x.json"
    assert run("summary", path, "--output", str(out)).exit_code == 0
    assert json.loads(out.read_text())["name"] == "tiny"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_summary_imports_no_torch_fvcore_pandas():
    code = ("import sys; sys.argv = ['archstat', 'summary', 'resnet50']; import archstat.cli as c\n"
            "try:\n    c.main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(repr(sorted(m for m in ('torch', 'fvcore', 'pandas', 'numpy', 'sympy', 'matplotlib') if m in sys.modules)))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stderr.strip().endswith("[]"), p.stderr


def test_python_dash_m():
    p = subprocess.run([sys.executable, "-m", "archstat", "summary", "lenet5", "--format", "json"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and json.loads(p.stdout)["totals"]["params"] == 61_706


def test_kinds_lists_every_kind():
    from archstat.layers import KINDS

    r = run("kinds")
    assert r.exit_code == 0
    for k in KINDS:
        assert k in r.output


def test_explain_names_the_block_library_a_layer_comes_from():
    r = runner.invoke(app, ["explain", "resnet50", "layer1.0.conv1"])
    assert r.exit_code == 0 and "(conv, specs/blocks/resnet.yaml:" in r.output
    r = runner.invoke(app, ["explain", "resnet50", "fc"])
    assert "(linear, specs/resnet50.yaml:" in r.output


def test_output_file_gets_ordinary_permissions(tmp_path):
    """--output writes through a temporary file (mkstemp makes it 0600); the result has a plain file's mode."""
    import stat

    out = tmp_path / "s.csv"
    r = runner.invoke(app, ["summary", "lenet5", "--output", str(out)])
    assert r.exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    out.chmod(0o640)  # an existing file keeps its mode
    runner.invoke(app, ["summary", "lenet5", "--output", str(out)])
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


@pytest.mark.parametrize("name", ["vgg16", "googlenet", "unet"])
def test_plain_summary_is_the_rich_summary_without_styles(name):
    """A pipe or a file gets the summary written without rich; it must read exactly as the terminal's (at a width
    where rich wraps nothing)."""
    from rich.console import Console

    import archstat
    from archstat.render.console import print_summary, summary_plain

    a = archstat.analyze(name)
    c = Console(record=True, width=2000, file=io.StringIO())
    print_summary(a, c)
    assert c.export_text() == summary_plain(a)
    assert "\x1b[" not in summary_plain(a)


def test_cli_start_imports_nothing_heavy():
    code = ("import sys, archstat.cli\n"
            "print(sorted(m for m in ('torch', 'fvcore', 'pandas', 'numpy', 'sympy', 'matplotlib', 'rich')"
            " if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "[]", p.stdout + p.stderr


def test_find_layer_exact_suffix_or_usage_error():
    from archstat.core.lookup import find_layer
    from archstat.errors import UsageError

    names = ["stage1.conv1", "stage2.conv1", "fc6", "stage2.conv2"]
    assert find_layer(names, "fc6") == "fc6"
    assert find_layer(names, "conv2") == "stage2.conv2"
    with pytest.raises(UsageError, match=r"^f.yaml: no single layer named 'conv1'; candidates: stage1.conv1, "
                                         r"stage2.conv1$"):
        find_layer(names, "conv1", "f.yaml")
    with pytest.raises(UsageError, match=r"candidates: fc6"):
        find_layer(names, "fc7", "f.yaml")
    with pytest.raises(UsageError, match=r"no single layer named 'zzz'$"):
        find_layer(names, "zzz", "f.yaml")


def test_parse_batches_is_pure():
    from archstat.core.batches import parse_batches
    from archstat.errors import UsageError

    assert parse_batches("1,8, 32,") == [1, 8, 32]
    for bad in ("x", "0", "", "1,-2"):
        with pytest.raises(UsageError, match="--batch must be comma-separated"):
            parse_batches(bad)
    code = "import sys; from archstat.core.batches import parse_batches; parse_batches('1'); print('torch' in sys.modules)"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "False", p.stderr


def test_list_prints_the_catalog_rows():
    from archstat.language.catalog import catalog_rows

    rows = catalog_rows()
    r = run("list", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.output) == rows
    vgg = next(x for x in rows if x["name"] == "vgg16")
    assert vgg["params"] == 138_357_544 and vgg["input"] == "3x224x224"

"""Every surface shows the engine's figures: one number, one answer.

A layer's activation memory is computed once, by the engine (``LayerResult.activation_bytes``: the size of its
output; ``new_bytes``: what it allocates, 0 for an in-place op or a view), and the totals from those. Here each
surface that shows them is held to those fields, for a network with in-place ReLUs (vgg16), one with views
(unet's crops; googlenet's flatten) and a branchy one (resnet50): ``summary --format json`` and ``--format csv``,
the Markdown and terminal tables, ``plot profile --data``, the symbolic summary evaluated at the spec's own size,
``compare`` and ``sweep`` at that size, the pandas frame, and the Python API.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
import sympy as sp
from typer.testing import CliRunner

import archstat
from archstat.cli import app
from archstat.core.dtypes import BYTES
from archstat.layers import elems

SPECS = ["vgg16", "unet", "googlenet", "resnet50"]
SYMBOLIC = ["vgg16", "unet", "googlenet"]  # resnet50's closed forms take a few seconds more and add nothing new
runner = CliRunner()


def cli(*args: str) -> str:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture(scope="module", params=SPECS)
def spec(request):
    return request.param, archstat.analyze(request.param)


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _opt(v) -> int | None:
    return None if v in ("", None) else int(v)


def test_the_engine_fields_follow_the_rule(spec):
    """The fields themselves: activation_bytes = elements x batch x bytes; new_bytes = that, or 0 for a layer that
    stores nothing new (in place or a view); the total = the input's bytes plus every layer's new_bytes."""
    _, a = spec
    nbytes = BYTES[a.dtype]
    assert a.dtype_bytes == nbytes
    for r in a.layers:
        assert r.activations == elems(r.output_shape) * a.batch
        assert r.activation_bytes == r.activations * nbytes
        assert r.new_bytes == (r.activation_bytes if r.new_memory else 0)
        assert r.new_memory == (r.storage == "new") == (not (r.view or r.inplace))
        assert r.view == bool(r.node.layer.view) and r.inplace == bool(r.node.layer.inplace)
    t = a.totals
    stored = elems(a.input_shape) * a.batch
    assert t.activations == stored + sum(r.activations for r in a.layers if r.new_memory)
    assert t.activation_bytes == stored * nbytes + sum(r.new_bytes for r in a.layers)
    assert max(r.new_bytes for r in a.layers) <= t.peak_activation_bytes <= t.activation_bytes
    assert {r.storage for r in a.layers} == {"new", "in place", "view"}  # each spec has all three


def test_vgg16_relu1_is_one_answer():
    """The case that disagreed: an in-place ReLU has an output of 64x224x224 float32 and allocates nothing."""
    a = archstat.analyze("vgg16")
    r = a.layer("features.1")  # conv1_1's ReLU
    assert (r.activation_bytes, r.new_bytes, r.storage) == (12_845_056, 0, "in place")
    layer = next(x for x in json.loads(cli("summary", "vgg16", "--format", "json"))["layers"]
                 if x["name"] == "features.1")
    assert (layer["activation_bytes"], layer["new_bytes"], layer["new_memory"]) == (12_845_056, 0, False)


def test_summary_json(spec):
    name, a = spec
    d = json.loads(cli("summary", name, "--format", "json"))
    assert [x["name"] for x in d["layers"]] == [r.name for r in a.layers]
    for x, r in zip(d["layers"], a.layers):
        assert (x["activations"], x["activation_bytes"], x["new_bytes"], x["new_memory"]) == (
            r.activations, r.activation_bytes, r.new_bytes, r.new_memory), r.name
        assert (x["params"], x["macs"], x["flops"]) == (r.n_params, r.macs, r.flops), r.name
    t = a.totals
    assert {k: d["totals"][k] for k in ("activations", "activation_bytes", "peak_activation_bytes", "params",
                                        "macs", "flops")} == {
        "activations": t.activations, "activation_bytes": t.activation_bytes,
        "peak_activation_bytes": t.peak_activation_bytes, "params": t.params, "macs": t.macs, "flops": t.flops}


def test_summary_json_folded_groups_are_sums(spec):
    """A folded row sums its layers' fields: activation_bytes the sizes of their outputs, new_bytes what they
    allocate; the input's bytes plus the rows' new_bytes is still the total."""
    name, a = spec
    d = json.loads(cli("summary", name, "--format", "json", "--depth", "1"))
    assert sum(x["activation_bytes"] for x in d["layers"]) == sum(r.activation_bytes for r in a.layers)
    assert sum(x["new_bytes"] for x in d["layers"]) == sum(r.new_bytes for r in a.layers)
    assert elems(a.input_shape) * a.dtype_bytes + sum(x["new_bytes"] for x in d["layers"]) == \
        a.totals.activation_bytes


def test_summary_csv(spec):
    name, a = spec
    rows = _csv(cli("summary", name, "--format", "csv"))
    assert [x["name"] for x in rows] == [r.name for r in a.layers]
    for x, r in zip(rows, a.layers):
        assert (int(x["activations"]), int(x["activation_bytes"]), x["new_memory"] == "True") == (
            r.activations, r.activation_bytes, r.new_memory), r.name
        assert (int(x["params"]), _opt(x["macs"]), _opt(x["flops"])) == (r.n_params, r.macs, r.flops), r.name


def test_markdown_and_terminal_tables_show_what_is_stored(spec):
    """The tables' activations column: the elements a layer stores anew, else where its output lives ("in place"
    or "view", from the layer's own flags)."""
    name, a = spec
    md = cli("summary", name, "--format", "markdown")
    cells = {}
    for line in md.splitlines():
        parts = [p.strip() for p in line.strip("|").split("|")]
        if len(parts) == 9 and parts[0].isdigit() and parts[0] != "0":
            cells[parts[1]] = parts[7]
    assert len(cells) == len(a.layers)
    for r in a.layers:
        assert cells[r.name] == (f"{r.activations:,}" if r.new_memory else r.storage), r.name
    from archstat.render.console import summary_cells

    for row, r in zip(summary_cells(a)[1:], a.layers):
        assert row[1][0] == r.name
        if not r.new_memory:
            assert row[6][0] == r.storage, r.name


def test_plot_profile_data(spec, tmp_path):
    pytest.importorskip("matplotlib")
    name, a = spec
    data = tmp_path / "p.csv"
    cli("plot", "profile", name, "--output", str(tmp_path / "p.png"), "--data", str(data))
    rows = _csv(data.read_text())
    assert [x["layer"] for x in rows] == [r.name for r in a.layers]
    for x, r in zip(rows, a.layers):
        assert (int(x["activation_bytes"]), int(x["new_bytes"]), int(x["params"])) == (
            r.activation_bytes, r.new_bytes, r.n_params), r.name


@pytest.mark.parametrize("name", SYMBOLIC)
def test_symbolic_summary_at_the_specs_own_size(name):
    a = archstat.analyze(name)
    d = json.loads(cli("summary", name, "--input", "HxW", "--format", "json"))
    h, w = a.input_shape[1:]
    at = {sp.Symbol("H", integer=True, positive=True): h, sp.Symbol("W", integer=True, positive=True): w}

    def value(text):
        v = sp.sympify(text, locals={"H": sp.Symbol("H", integer=True, positive=True),
                                     "W": sp.Symbol("W", integer=True, positive=True)}).subs(at)
        return int(v)

    assert [x["name"] for x in d["layers"]] == [r.name for r in a.layers]
    for x, r in zip(d["layers"], a.layers):
        assert value(x["activations"]) == r.activations, r.name
        assert value(x["activations"]) * a.dtype_bytes == r.activation_bytes, r.name
        assert value(x["params"]) == r.n_params, r.name
        assert (None if x["macs"] == "None" else value(x["macs"])) == r.macs, r.name
    assert value(d["totals"]["activations"]) == a.totals.activations
    assert value(d["totals"]["activations"]) * a.dtype_bytes == a.totals.activation_bytes
    assert value(d["totals"]["params"]) == a.totals.params
    assert value(d["totals"]["macs"]) == a.totals.macs


def test_compare_and_sweep_totals(spec):
    name, a = spec
    t = a.totals
    (row,) = json.loads(cli("compare", name, "--format", "json"))
    assert (row["activations"], row["activation_bytes"], row["peak_activation_bytes"], row["params"],
            row["macs"]) == (t.activations, t.activation_bytes, t.peak_activation_bytes, t.params, t.macs)
    h, w = a.input_shape[1:]
    if h == w:
        (s,) = json.loads(cli("sweep", name, "--sizes", str(h), "--format", "json"))
        assert (s["activations"], s["activation_bytes"], s["peak_activation_bytes"], s["params"], s["macs"]) == (
            t.activations, t.activation_bytes, t.peak_activation_bytes, t.params, t.macs)


def test_pandas_frame(spec):
    pytest.importorskip("pandas")
    from archstat.core.frame import layer_frame

    _, a = spec
    f = layer_frame(a)
    assert list(f["activation_bytes"]) == [r.activation_bytes for r in a.layers]
    assert list(f["activations"]) == [r.activations for r in a.layers]
    assert list(f["new_memory"]) == [r.new_memory for r in a.layers]


def test_dtype_applies_everywhere():
    """float16: half the bytes of float32 in every field, per layer and in total."""
    a32, a16 = archstat.analyze("vgg16"), archstat.analyze("vgg16", dtype="float16")
    assert a16.dtype_bytes == BYTES["float16"] == 2
    for r32, r16 in zip(a32.layers, a16.layers):
        assert (2 * r16.activation_bytes, 2 * r16.new_bytes) == (r32.activation_bytes, r32.new_bytes)
    assert 2 * a16.totals.activation_bytes == a32.totals.activation_bytes
    d = json.loads(cli("summary", "vgg16", "--dtype", "float16", "--format", "json"))
    assert [x["activation_bytes"] for x in d["layers"]] == [r.activation_bytes for r in a16.layers]

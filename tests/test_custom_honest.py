"""``custom`` made honest (issue 14): shapes and counts in terms of the input, literal shapes held to the input they
were written for, declared buffers, symbolic sizes, and ``archstat check`` around a custom op."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import archstat
from archstat.cli import app
from archstat.errors import ShapeError, SpecError
from archstat.layers import KINDS

runner = CliRunner()

# A network with a space-to-depth op written in terms of its input (2x2 blocks, a block argument k), and a literal
# head after the global pool.
S2D = """name: s2d
input: [3, 32, 32]
blocks:
  s2d:
    args: {k: 2}
    layers:
      - custom: {name: op, op: space_to_depth, shape: ["$(in_c * k * k)", "$(in_h // k)", "$(in_w // k)"],
                 params: $(in_c), macs: 0, flops: $(in_c * in_h * in_w), buffers: {running_mean: $in_c, count: 1}}
layers:
  - conv: {name: c1, out: 8, kernel: 3, padding: 1}
  - s2d: {name: s, k: 2}
  - conv: {name: c2, out: 16, kernel: 3, padding: 1}
  - global_avgpool: {name: pool}
  - flatten: {name: flat}
  - custom: {name: head, op: cosine_classifier, shape: [10], params: 160}
"""


def test_shape_and_counts_follow_the_input(write_spec):
    p = write_spec(S2D)
    a = archstat.analyze(p)
    s = a.layer("s.op")
    # input 8x32x32 (c1); k = 2: 8*2*2 = 32 channels, 32//2 = 16: 32x16x16
    assert s.output_shape == (32, 16, 16)
    assert s.params == {"weight": 8}  # in_c
    assert s.buffers == {"running_mean": 8, "count": 1}
    assert (s.macs, s.flops) == (0, 8 * 32 * 32)
    # c2 reads 32 channels: (3*3*32 + 1)*16 = 4,624 parameters
    assert a.layer("c2").n_params == (3 * 3 * 32 + 1) * 16
    b = archstat.analyze(p, input="3x64x64")
    s = b.layer("s.op")
    assert s.output_shape == (32, 32, 32) and s.flops == 8 * 64 * 64  # 64//2 = 32; 8*64*64
    assert b.layer("c2").output_shape == (16, 32, 32)
    # the literal head sits after the global pool: its input is 16 features at any size, so it holds
    assert b.layer("head").output_shape == (10,)


def test_buffers_count_with_batch_norms(write_spec):
    a = archstat.analyze(write_spec(S2D))
    # custom buffers 8 + 1; no batch norm: the totals' buffers are exactly the declared ones
    assert a.totals.buffers == 8 + 1
    r = runner.invoke(app, ["summary", write_spec(S2D), "--format", "json"])
    row = next(x for x in json.loads(r.output)["layers"] if x["name"] == "s.op")
    assert row["buffers"] == 9 and row["params"] == 8


def test_literal_shape_at_another_input_is_an_error(write_spec):
    spec = """name: t
input: [3, 32, 32]
layers:
  - conv: {name: c, out: 16, kernel: 3, stride: 2, padding: 1}
  - custom: {name: roi, op: roi_align, shape: [16, 4, 4]}
  - global_avgpool
"""
    p = write_spec(spec)
    a = archstat.analyze(p)
    assert a.layer("roi").output_shape == (16, 4, 4)  # at the spec's own input: as given
    assert a.layer("roi").layer.derivation([(16, 16, 16)], (16, 4, 4))["shape"] == [
        "given: 16x4x4 (roi_align), for the input 16x16x16 it receives at the spec's input 3x32x32"]
    with pytest.raises(ShapeError) as e:
        archstat.analyze(p, input="3x64x64")
    # at 32: c gives (32 + 2 - 3)//2 + 1 = 16: 16x16x16; at 64: 32: 16x32x32
    assert e.value.line == 5 and e.value.layer == "roi" and e.value.code == "input_bound"
    assert "written for the input 16x16x16" in e.value.message and "not for 16x32x32" in e.value.message
    assert "spec's input 3x32x32" in e.value.message
    r = runner.invoke(app, ["summary", p, "--input", "3x64x64"])
    assert r.exit_code == 1
    (line,) = r.output.strip().splitlines()
    assert line.startswith(f"archstat: error: {p}:5: layer 'roi': custom: its shape 16x4x4 is written for")


def test_at_any_and_at_a_shape(write_spec):
    spec = """name: t
input: [3, 32, 32]
layers:
  - conv: {name: c, out: 16, kernel: 3, stride: 2, padding: 1}
  - custom: {name: roi, op: roi_align, shape: [16, 4, 4], AT}
  - global_avgpool
"""
    p = write_spec(spec.replace("AT", "at: any"))
    assert archstat.analyze(p, input="3x64x64").layer("roi").output_shape == (16, 4, 4)
    p = write_spec(spec.replace("AT", "at: [16, 32, 32]"), "b.yaml")  # written for the 64x64 network
    assert archstat.analyze(p, input="3x64x64").layer("roi").output_shape == (16, 4, 4)
    with pytest.raises(ShapeError, match=r"written for the input 16x32x32 \(`at`\), not for 16x16x16"):
        archstat.analyze(p)  # at the spec's own 32x32 the input is 16x16x16
    with pytest.raises(SpecError, match=r"'at' must be the input shape"):
        archstat.analyze(write_spec(spec.replace("AT", "at: everywhere"), "c.yaml"))


def test_the_spec_never_reaches_the_layer_at_its_own_input(write_spec):
    """A spec that fails at its own input before the custom layer: its literal shape was written for no input."""
    spec = """name: t
input: [3, 4, 4]
layers:
  - conv: {name: c, out: 4, kernel: 8}
  - custom: {name: x, shape: [4, 1, 1]}
"""
    p = write_spec(spec)
    with pytest.raises(ShapeError, match="conv: output height would be -3"):
        archstat.analyze(p)
    with pytest.raises(ShapeError, match="where the network never reaches it") as e:
        archstat.analyze(p, input="3x16x16")  # (16 - 8)/1 + 1 = 9: the conv works, the custom's shape is unfounded
    assert e.value.layer == "x"


def test_symbolic_sizes_stay_symbolic(write_spec):
    r = runner.invoke(app, ["summary", write_spec(S2D), "--input", "3xHxW", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    rows = {x["name"]: x for x in d["layers"]}
    assert rows["s.op"]["output_shape"] == ["32", "floor(H/2)", "floor(W/2)"]
    assert rows["s.op"]["flops"] == "8*H*W"
    # c2: 16 maps of floor(H/2) x floor(W/2), each output 3*3*32 MACs
    assert rows["c2"]["output_shape"] == ["16", "floor(H/2)", "floor(W/2)"]
    assert rows["c2"]["macs"] == "4608*floor(H/2)*floor(W/2)"
    assert rows["head"]["output_shape"] == ["10"]  # the literal head after the pool: its input is always 16


def test_symbolic_sizes_refuse_a_literal_spatial_shape(write_spec):
    spec = S2D.replace('shape: ["$(in_c * k * k)", "$(in_h // k)", "$(in_w // k)"]', "shape: [32, 16, 16]")
    p = write_spec(spec)
    assert archstat.analyze(p).layer("s.op").output_shape == (32, 16, 16)
    r = runner.invoke(app, ["summary", p, "--input", "3xHxW"])
    assert r.exit_code == 1
    assert "layer 's.op': custom: its shape 32x16x16 is written for the input 8x32x32" in r.output
    assert "not for 8xHxW" in r.output


def test_sweep_names_the_sizes(write_spec):
    spec = S2D.replace('shape: ["$(in_c * k * k)", "$(in_h // k)", "$(in_w // k)"]', "shape: [32, 16, 16]")
    r = runner.invoke(app, ["sweep", write_spec(spec), "--sizes", "16,32,64", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = {x["size"]: x for x in json.loads(r.output)}
    assert rows[32]["status"] == "ok"
    assert rows[16]["status"] == rows[64]["status"] == "shape given for another input"
    assert rows[16]["failing_layer"] == "s.op"
    r = runner.invoke(app, ["sweep", write_spec(S2D, "b.yaml"), "--sizes", "16,32,64", "--format", "json"])
    assert [x["status"] for x in json.loads(r.output)] == ["ok", "ok", "ok"]


def test_expressions_that_fail_are_located(write_spec):
    bad = S2D.replace('"$(in_h // k)"', '"$(in_h // 64)"')  # 32 // 64 = 0
    with pytest.raises(ShapeError, match=r"custom: shape \$\(in_h // 64\) is 0 at input 8x32x32, below 1") as e:
        archstat.analyze(write_spec(bad))
    assert e.value.layer == "s.op"
    flat = """name: t
input: [3, 8, 8]
layers:
  - flatten
  - custom: {name: x, shape: ["$(in_h)"]}
"""
    with pytest.raises(SpecError, match=r"unknown name 'in_h' in 'in_h' \(known: in_f\)") as e:
        archstat.analyze(write_spec(flat, "flat.yaml"))
    assert e.value.layer == "x" and e.value.line == 5
    r = runner.invoke(app, ["summary", write_spec(S2D.replace("in_h // k", "in_h / k"), "sym.yaml"), "--input",
                            "3xHxW"])
    assert r.exit_code == 1 and "'/' of a symbolic size; use //" in r.output
    with pytest.raises(SpecError, match="unknown name 'in_c'"):  # only custom reads its input
        archstat.analyze(write_spec("name: t\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: $in_c, kernel: 1}\n", "c.yaml"))


def test_readme_example_parses(write_spec):
    """The README's two custom layers, as written there (flow mappings, `$in_c` without brackets)."""
    spec = """name: t
input: [8, 16, 16]
layers:
  - custom: {name: s2d, op: space_to_depth, shape: ["$(4 * in_c)", "$(in_h // 2)", "$(in_w // 2)"],
             macs: 0, flops: $(in_c * in_h * in_w), buffers: {running_mean: $in_c}}
  - custom: {name: roi, op: roi_align, shape: [256, 7, 7], at: any}       # a fixed-size output
"""
    a = archstat.analyze(write_spec(spec), input="8x20x20")
    assert a.layer("s2d").output_shape == (32, 10, 10) and a.layer("s2d").flops == 8 * 20 * 20
    assert a.layer("s2d").buffers == {"running_mean": 8} and a.layer("roi").output_shape == (256, 7, 7)


def test_python_api_and_text():
    c = KINDS["custom"].build({"op": "s2d", "shape": ["$(4 * in_c)", "$(in_h // 2)", "$(in_w // 2)"],
                               "buffers": {"m": "$in_c"}})
    assert c.output_shape([(3, 10, 6)]) == (12, 5, 3) and c.buffers([(3, 10, 6)]) == {"m": 3}
    assert c.args_text() == "op=s2d, shape=[$(4 * in_c), $(in_h // 2), $(in_w // 2)], buffers={m: $(in_c)}"
    assert c.derivation([(3, 10, 6)], (12, 5, 3))["shape"] == [
        "$(4 * in_c) x $(in_h // 2) x $(in_w // 2) with in_c = 3, in_h = 10, in_w = 6: 12x5x3 (s2d)"]
    hash(c.args)  # an expression's argument still hashes: repeated blocks are counted once
    with pytest.raises(SpecError, match="a buffer name must be an identifier"):
        KINDS["custom"].build({"shape": [3], "buffers": {"a b": 1}})
    with pytest.raises(SpecError, match=r"'buffers\.m' must be an integer >= 0"):
        KINDS["custom"].build({"shape": [3], "buffers": {"m": -1}})


def test_the_same_block_at_two_sizes(write_spec):
    """Two uses of one expression at different inputs: counted per input, not memoised across them."""
    spec = """name: t
input: [4, 16, 16]
layers:
  - custom: {name: a, shape: ["$in_c", "$(in_h // 2)", "$(in_w // 2)"], macs: $(in_h * in_w)}
  - custom: {name: b, shape: ["$in_c", "$(in_h // 2)", "$(in_w // 2)"], macs: $(in_h * in_w)}
"""
    a = archstat.analyze(write_spec(spec))
    assert a.layer("a").output_shape == (4, 8, 8) and a.layer("a").macs == 16 * 16
    assert a.layer("b").output_shape == (4, 4, 4) and a.layer("b").macs == 8 * 8
    assert a.totals.macs == 256 + 64


# ------------------------------------------------------------------------------------------------------- check
CHECKED = """name: t
input: [3, 16, 16]
layers:
  - conv: {name: c1, out: 8, kernel: 3, padding: 1}
  - custom: {name: s2d, op: space_to_depth, shape: ["$(in_c * 4)", "$(in_h // 2)", "$(in_w // 2)"], params: 5,
             buffers: {running_mean: $in_c}}
  - conv: {name: c2, out: 16, kernel: 3, padding: 1}
  - batchnorm: {name: bn}
  - global_avgpool: {name: pool}
  - flatten: {name: flat}
  - linear: {name: fc, out: 10}
"""


def test_check_goes_around_a_custom_op(write_spec):
    pytest.importorskip("torch")
    from archstat.backend.check import check_specs

    (sc,) = check_specs([write_spec(CHECKED)], use_fvcore=False)
    rows = {r.name: r for r in sc.layers}
    assert not rows["s2d"].checked and "no PyTorch module" in rows["s2d"].not_checked
    assert rows["s2d"].problems == [] and rows["s2d"].as_dict()["ok"] is None
    # c2 is checked, built on the stand-in's 32x8x8: (3*3*32 + 1)*16 = 4,624 parameters, 16*8*8*288 MACs
    c2 = rows["c2"]
    assert c2.checked and c2.torch_shape == (16, 8, 8) and c2.torch_params == 4624 and c2.problems == []
    assert c2.fcm_flops == 2 * 16 * 8 * 8 * 3 * 3 * 32
    assert all(r.checked for n, r in rows.items() if n != "s2d")
    assert not sc.bad and sc.totals()["not_checked"] == ["s2d"]
    # the stand-in holds the declared counts: 8 + 5 + 4624 + ... parameters agree in total
    assert sc.totals()["params"] == sc.totals()["torch_params"]


def test_check_exit_status_comes_from_the_rest(write_spec, monkeypatch):
    pytest.importorskip("torch")
    p = write_spec(CHECKED)
    r = runner.invoke(app, ["check", p, "--no-fvcore", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    (t,) = d["specs"]
    assert t["ok"] and t["not_checked"] == ["s2d"]
    row = next(x for x in d["layers"] if x["layer"] == "s2d")
    assert row["checked"] is False and row["ok"] is None
    r = runner.invoke(app, ["check", p, "--no-fvcore"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "agrees; not checked: s2d (custom)" in r.output
    # an engine that miscounts a layer after the custom op is caught: exit 3
    from archstat.layers.linear import Linear

    real = Linear.params
    monkeypatch.setattr(Linear, "params", lambda self, ins: {**real(self, ins), "bias": 1})
    r = runner.invoke(app, ["check", p, "--no-fvcore"], env={"COLUMNS": "200"})
    assert r.exit_code == 3 and "1 layers disagree" in r.output


def test_to_torch_still_refuses_custom(write_spec):
    pytest.importorskip("torch")
    with pytest.raises(SpecError, match="layer kind 'custom' has no PyTorch equivalent"):
        archstat.load(write_spec(CHECKED)).to_torch(device="meta")

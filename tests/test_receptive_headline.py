"""The receptive-field headline through the feature path (issue 14).

Two rules, each derived by hand below:

- a merge input broadcast over the map (C x 1 x 1 or C against a C x H x W output) whose field is the whole input is
  a *gate* (squeeze-and-excitation, SKNet's selection): it is left out of the merge's field, which is then the
  feature path's, and the merge is noted (``rf_gate``); the gate's own layers stay "all";
- a pooling window that covers its whole (padded) input with a 1 x 1 output is global pooling.

Field arithmetic (Araujo et al., Distill 2019): through a window of extent k and stride s, size += stride * (k - 1)
and stride *= s; 1x1 convolutions, batch norm, activations and residual adds of aligned paths change nothing.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import archstat
from archstat.cli import app
from archstat.core import receptive_field as rf
from archstat.core.notes import RF_GATE, code_of
from archstat.layers import GLOBAL

runner = CliRunner()


def _headline(a) -> tuple:
    f = a.totals.field
    assert isinstance(f, rf.ReceptiveField) and f.size[0] == f.size[1] and f.stride[0] == f.stride[1]
    return f.size[0], f.stride[0]


# ------------------------------------------------------------------------------------------------- the zoo's headlines
# efficientnet_b0 (stem 3x3 s2, then the depthwise kernels of the MBConv stages; the field grows by stride*(k-1)):
#   stem 3 (2); stage 1 k3: 3 + 2*2 = 7 (2); stage 2 k3 s2, x2: 7 + 2*2 = 11 (4), 11 + 4*2 = 19 (4);
#   stage 3 k5 s2, x2: 19 + 4*4 = 35 (8), 35 + 8*4 = 67 (8); stage 4 k3 s2, x3: 67 + 8*2 = 83 (16), + 16*2 twice
#   = 147 (16); stage 5 k5, x3: 147 + 3*16*4 = 339 (16); stage 6 k5 s2, x4: 339 + 16*4 = 403 (32), + 3*32*4 = 787;
#   stage 7 k3: 787 + 32*2 = 851 (32). Gates: one per MBConv unit, 1 + 2 + 2 + 3 + 3 + 4 + 1 = 16.
# resnet50 (torchvision): conv 7x7 s2: 7 (2); maxpool 3 s2: 7 + 2*2 = 11 (4); layer1, 3 x 3x3: 11 + 3*4*2 = 35 (4);
#   layer2 (stride on the first 3x3): 35 + 4*2 = 43 (8), + 3*8*2 = 91; layer3: 91 + 8*2 = 107 (16), + 5*16*2 = 267;
#   layer4: 267 + 16*2 = 299 (32), + 2*32*2 = 427 (32). No gate.
# se_resnet50: resnet50 with an SE gate in each of its 3 + 4 + 6 + 3 = 16 units: the same 427 (32), 16 gates
#   (before: 11 (4), the field before the first gate, since every layer after it read "all").
# sknet50: each unit's SK paths are a 3x3 and a 3x3 with dilation 2 (extent 5), summed: the union grows by
#   stride*4. Stem 11 (4); layer1: 11 + 3*4*4 = 59 (4); layer2: 59 + 4*4 = 75 (8), + 3*8*4 = 171; layer3: 171 +
#   8*4 = 203 (16), + 5*16*4 = 523; layer4: 523 + 16*4 = 587 (32), + 2*32*4 = 843 (32). Gates: the two selection
#   multiplies of each of the 16 units, 32.
# mobilenet_v2: no gate, unchanged at 491 (32).
HEADLINES = {
    "efficientnet_b0": ((851, 32), 16),
    "resnet50": ((427, 32), 0),
    "se_resnet50": ((427, 32), 16),
    "sknet50": ((843, 32), 32),
    "mobilenet_v2": ((491, 32), 0),
}


@pytest.mark.parametrize("name", HEADLINES)
def test_headline_is_the_feature_path(name):
    a = archstat.analyze(name)
    field, gates = HEADLINES[name]
    assert _headline(a) == field
    assert len(a.totals.gates) == gates
    for g in a.totals.gates:  # each a multiply with one rf_gate note
        assert a.layer(g).kind == "mul" and [code_of(n) for n in a.layer(g).notes].count(RF_GATE) == 1


def test_se_does_not_change_resnets_field():
    """Squeeze-and-excitation rescales channels; it moves no pixel: SE-ResNet-50's field is ResNet-50's, layer by
    layer on every layer the two share."""
    plain, se = archstat.analyze("resnet50"), archstat.analyze("se_resnet50")
    fields = {r.name: r.field for r in plain.layers}
    shared = [r for r in se.layers if r.name in fields]
    assert len(shared) > 150
    assert all(r.field == fields[r.name] for r in shared)


def test_gate_layers_keep_the_whole_input():
    a = archstat.analyze("efficientnet_b0")
    unit = "features.1.0.block.1"  # the first SE unit: avgpool, fc1, activation, fc2, sigmoid, scale
    for part in ("avgpool", "fc1", "fc2", "scale_activation"):
        assert a.layer(f"{unit}.{part}").field is GLOBAL, part
    scale = a.layer(f"{unit}.scale")
    # its map input is the depthwise conv's output: stem 3 (2), then 3x3: 3 + 2*2 = 7, stride 2, padding 1 + 2*1 = 3
    dw = a.layer(scale.inputs[0])
    assert scale.field == dw.field == rf.ReceptiveField((7, 7), (2, 2), (3, 3))
    (note,) = [n for n in scale.notes if code_of(n) == RF_GATE]
    assert f"'{unit}.scale_activation' (32x1x1)" in note and "32x112x112" in note and "whole input" in note


def test_json_totals_rf_counts_the_gates():
    r = runner.invoke(app, ["summary", "efficientnet_b0", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    # padding: the field is centred on position 0, (851 - 1)/2 = 425
    assert d["totals"]["rf"] == {"size": 851, "stride": 32, "padding": 425, "gates": 16}
    rows = {x["name"]: x for x in d["layers"]}
    assert rows["features.1.0.block.1.scale_activation"]["rf"]["global"] is True
    assert rows["features.1.0.block.1.scale"]["rf"] == {"size": 7, "stride": 2, "padding": 3}
    assert any(n.startswith("field of the feature path") for n in rows["features.1.0.block.1.scale"]["notes"])
    r = runner.invoke(app, ["summary", "resnet50", "--format", "json"])
    assert json.loads(r.output)["totals"]["rf"] == {"size": 427, "stride": 32, "padding": 213}  # no "gates" key


def test_text_headline_says_feature_path():
    r = runner.invoke(app, ["summary", "efficientnet_b0"], env={"COLUMNS": "200"})
    assert r.exit_code == 0
    assert "Receptive field 851 (32) on the feature path (16 gates see the whole input)" in r.output
    r = runner.invoke(app, ["summary", "resnet50"], env={"COLUMNS": "200"})
    assert "Receptive field 427 (32)   Depth" in r.output
    r = runner.invoke(app, ["summary", "efficientnet_b0", "--format", "markdown"])
    assert "receptive field 851 (32) on the feature path (16 gates see the whole input)." in r.output
    r = runner.invoke(app, ["explain", "efficientnet_b0", "features.1.0.block.1.scale"])
    assert "size 7, effective stride 2, effective padding 3 (the feature path's" in r.output


def test_compare_columns_follow_the_headline():
    pd = pytest.importorskip("pandas")
    df = archstat.compare(["efficientnet_b0", "se_resnet50"])
    assert isinstance(df, pd.DataFrame)
    assert list(df.rf_size) == [851, 427] and list(df.rf_stride) == [32, 32]


# ------------------------------------------------------------------------------------------------ small hand networks
SE = """name: se
input: [3, 16, 16]
layers:
  - conv: {name: c1, out: 8, kernel: 3, padding: 1}           # 3 (1), padding 1
  - conv: {name: c2, out: 8, kernel: 3, stride: 2, padding: 1} # 3 + 1*2 = 5 (2), padding 1 + 1*1 = 2; 8x8x8
  - global_avgpool: {name: pool}                              # 8x1x1: the whole input
  - conv: {name: fc1, out: 2, kernel: 1}
  - relu: {name: act}
  - conv: {name: fc2, out: 8, kernel: 1}
  - sigmoid: {name: gate}
  - mul: {name: scale, inputs: [c2, gate]}                    # the gate is left out: 5 (2), padding 2
  - conv: {name: c3, out: 8, kernel: 3, padding: 1}           # 5 + 2*2 = 9 (2), padding 2 + 2*1 = 4
  - global_avgpool: {name: head}
"""


def test_hand_se_unit(write_spec):
    a = archstat.analyze(write_spec(SE))
    assert a.layer("gate").field is GLOBAL and a.layer("fc1").field is GLOBAL
    assert a.layer("scale").field == rf.ReceptiveField((5, 5), (2, 2), (2, 2))
    assert a.layer("c3").field == rf.ReceptiveField((9, 9), (2, 2), (4, 4))
    assert a.totals.field == a.layer("c3").field and a.totals.gates == ["scale"]
    # the gate's position among the inputs does not matter
    b = archstat.analyze(write_spec(SE.replace("inputs: [c2, gate]", "inputs: [gate, c2]"), "b.yaml"))
    assert b.layer("scale").field == a.layer("scale").field and b.totals.gates == ["scale"]


def test_a_broadcast_input_with_a_local_field_is_no_gate(write_spec):
    """A 1x1 map computed by a local window (a 4x4 convolution over a 4x4 map: its field is 4 pixels, not "all") is
    not a gate: the merge is the union, as before."""
    spec = """name: t
input: [3, 4, 4]
layers:
  - conv: {name: c, out: 4, kernel: 3, padding: 1}   # 3 (1), padding 1, 4x4x4
  - conv: {name: w, out: 4, kernel: 4}               # 3 + 1*3 = 6 (1), padding 1: a 1x1 output, a local field
  - mul: {name: m, inputs: [c, w]}                   # union: from -1 to max(-1 + 2, -1 + 5) = 4: size 6, padding 1
"""
    a = archstat.analyze(write_spec(spec))
    assert a.layer("w").output_shape == (4, 1, 1) and a.layer("w").field == rf.ReceptiveField((6, 6), (1, 1), (1, 1))
    assert a.layer("m").field == rf.ReceptiveField((6, 6), (1, 1), (1, 1))
    assert not a.totals.gates and all(code_of(n) != RF_GATE for n in a.layer("m").notes)


def test_two_gates_alone_stay_global(write_spec):
    """A merge of gates only, with a 1x1 output, has no feature path: it sees the whole input."""
    spec = """name: t
input: [3, 8, 8]
layers:
  - global_avgpool: {name: p}
  - sigmoid: {name: s}
  - mul: {name: m, inputs: [p, s]}
"""
    a = archstat.analyze(write_spec(spec))
    assert a.layer("m").field is GLOBAL and not a.totals.gates


def test_gates_rule_directly():
    local = rf.ReceptiveField((5, 5), (2, 2), (2, 2))
    # a flat per-channel vector (C,) against a map is a gate as C x 1 x 1 is; a 1 x 1 output has no map to gate
    assert rf.gates([local, GLOBAL], [(8, 4, 4), (8,)], (8, 4, 4)) == [1]
    assert rf.gates([GLOBAL, local], [(8, 1, 1), (8, 4, 4)], (8, 4, 4)) == [0]
    assert rf.gates([local, GLOBAL], [(8, 1, 1), (8, 1, 1)], (8, 1, 1)) == []
    assert rf.gates([local, GLOBAL], [(8, 4, 4), (8, 4, 4)], (8, 4, 4)) == []  # the whole input, but not broadcast
    assert rf.gates([GLOBAL, GLOBAL], [(8, 4, 4), (8, 1, 1)], (8, 4, 4)) == [1]  # the map already sees it all
    assert rf.gates([None, GLOBAL], [(8, 4, 4), (8, 1, 1)], (8, 4, 4)) == [1]  # then the unknown map's field


# ------------------------------------------------------------------------------------------ a window over the whole input
@pytest.mark.parametrize("kind", ["avgpool", "maxpool"])
def test_a_window_over_the_whole_input_is_global(write_spec, kind):
    # conv 3x3 pad 1 on 7x7: 3 (1); then a 7x7 window, stride 1, on the 7x7 map: (7 - 7)/1 + 1 = 1, one window
    # covering every position: global, as adaptive pooling to 1x1 is
    spec = f"""name: t
input: [3, 7, 7]
layers:
  - conv: {{name: c, out: 4, kernel: 3, padding: 1}}
  - {kind}: {{name: p, kernel: 7, stride: 1}}
"""
    a = archstat.analyze(write_spec(spec))
    assert a.layer("p").output_shape == (4, 1, 1) and a.layer("p").field is GLOBAL
    assert a.totals.field == rf.ReceptiveField((3, 3), (1, 1), (1, 1))  # the last field that is not "all"


def test_windows_that_do_not_cover_stay_local(write_spec):
    spec = """name: t
input: [3, 4, 4]
layers:
  - maxpool: {name: a, kernel: 3, stride: 2}               # (4 - 3)/2 + 1 = 1.5 -> 1: row 3 never seen: local 3 (2)
  - maxpool: {name: b, inputs: [input], kernel: 3, stride: 2, padding: 1}  # (4 - 3 + 2)/2 + 1 = 2: two windows
  - maxpool: {name: c, inputs: [input], kernel: 3, stride: 3, ceil_mode: true}  # ceil((4-3)/3) + 1 = 2: two
  - maxpool: {name: d, inputs: [input], kernel: 5, stride: 5, ceil_mode: true}  # ceil(-1/5) + 1 = 1, 5 >= 4: global
  - avgpool: {name: e, inputs: [input], kernel: 2, padding: 1}                  # 3 x 3 windows of a padded 6x6 map
"""
    a = archstat.analyze(write_spec(spec))
    assert a.layer("a").output_shape == (3, 1, 1) and a.layer("a").field == rf.ReceptiveField((3, 3), (2, 2), (0, 0))
    assert a.layer("b").output_shape == (3, 2, 2) and a.layer("b").field.size == (3, 3)
    assert a.layer("c").output_shape == (3, 2, 2) and a.layer("c").field.size == (3, 3)
    assert a.layer("d").output_shape == (3, 1, 1) and a.layer("d").field is GLOBAL
    assert a.layer("e").output_shape == (3, 3, 3) and a.layer("e").field.size == (2, 2)


def test_padding_counts_as_covered(write_spec):
    # a 3x3 window with padding 1 on a 1x1 map: (1 - 3 + 2)/1 + 1 = 1 window over the whole padded 3x3 input
    spec = "name: t\ninput: [2, 1, 1]\nlayers:\n  - avgpool: {name: p, kernel: 3, stride: 1, padding: 1}\n"
    assert archstat.analyze(write_spec(spec)).layer("p").field is GLOBAL


# Caffe's pool5 and its kin: a k x k average pool on a k x k map at the end, at stride 32 adds 32*(k - 1) to the
# field it used to report; the headline is now the last convolution's.
#   resnet50_original: pool5 7x7 on 7x7: 675 - 32*6 = 483 (32)
#   googlenet (the paper's, avgpool 7x7 on 7x7): 907 - 32*6 = 715 (32)
#   shufflenet_v1 (globalpool: kernel 7, stride 7 by default, on 7x7): 719 - 32*6 = 527, and the stride 32*7 = 224
#   it reported goes with it: 527 (32)
#   inception_resnet_v2_paper (avgpool 8x8, stride 8, on 8x8): 1815 - 32*7 = 1591, stride 256 -> 32
@pytest.mark.parametrize("name,pool,field", [
    ("resnet50_original", "pool5", (483, 32)),
    ("googlenet", "pool5", (715, 32)),
    ("shufflenet_v1", "globalpool", (527, 32)),
    ("inception_resnet_v2_paper", "avgpool", (1591, 32)),
])
def test_caffe_pool5_is_global(name, pool, field):
    a = archstat.analyze(name)
    assert _headline(a) == field and not a.totals.gates
    r = a.layer(pool)
    assert r.output_shape[1:] == (1, 1) and r.field is GLOBAL

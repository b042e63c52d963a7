"""The spec language: blocks, groups, repeats, scoping, includes, `when`, and its errors with lines.
Also the engine's graph-wide rules on small hand-checked graphs: receptive-field union, peak memory."""

import pytest

import archstat
from archstat.errors import ArchstatError, ShapeError, SpecError
from archstat.layers import GLOBAL


def analyze_text(write_spec, text, **kw):
    return archstat.analyze(write_spec(text), **kw)


def test_blocks_repeat_and_names(write_spec):
    a = analyze_text(write_spec, """
name: t
input: [3, 16, 16]
blocks:
  unit:
    args: {c: null, k: 3}
    layers:
      - conv: {name: conv, out: $c, kernel: $k, padding: $(k // 2)}
      - relu
layers:
  - {name: stage, repeat: 3, as: i, layers: [unit: {name: u, c: $(8 * (i + 1))}]}
  - unit: {c: 4, k: 1}
""")
    assert [r.name for r in a.layers] == ["stage.0.u.conv", "stage.0.u.relu1", "stage.1.u.conv", "stage.1.u.relu1",
                                          "stage.2.u.conv", "stage.2.u.relu1", "unit1.conv", "unit1.relu1"]
    assert [r.output_shape[0] for r in a.layers if r.kind == "conv"] == [8, 16, 24, 4]
    assert a.layer("unit1.conv").inputs == ["stage.2.u.relu1"]


def test_branches_by_name_and_input_keyword(write_spec):
    a = analyze_text(write_spec, """
name: t
input: [4, 8, 8]
blocks:
  two_way:
    layers:
      - {name: left, layers: [conv: {out: 2, kernel: 1}]}
      - {name: right, inputs: [input], layers: [conv: {out: 3, kernel: 3, padding: 1}]}
      - concat: {inputs: [left, right]}
layers:
  - two_way: {name: m}
""")
    assert a.layer("m.right.conv1").inputs == ["input"]
    assert a.layer("m.concat1").inputs == ["m.left.conv1", "m.right.conv1"]
    assert a.layer("m.concat1").output_shape == (5, 8, 8)


def test_when_false_passes_input_through(write_spec):
    text = """
name: t
input: [4, 8, 8]
vars: {project: %s}
layers:
  - conv: {name: main, out: 4, kernel: 3, padding: 1}
  - {name: shortcut, when: $project, inputs: [input], layers: [conv: {out: 4, kernel: 1}]}
  - add: {inputs: [main, shortcut]}
"""
    a = analyze_text(write_spec, text % "false")
    assert a.layer("add1").inputs == ["main", "input"]
    a = analyze_text(write_spec, text % "true")
    assert a.layer("add1").inputs == ["main", "shortcut.conv1"]


def test_include_shares_blocks(write_spec):
    write_spec("blocks:\n  cbr:\n    args: [c]\n    layers: [conv: {out: $c, kernel: 3, padding: 1}, relu]\n",
               "lib/blocks.yaml")
    a = archstat.analyze(write_spec("name: t\ninput: [1, 4, 4]\ninclude: [lib/blocks.yaml]\nlayers:\n  - cbr: 5\n"))
    assert a.layer("cbr1.conv1").output_shape == (5, 4, 4)


def test_include_outside_directory_refused(write_spec):
    path = write_spec("name: t\ninput: [1, 4, 4]\ninclude: [../../etc/passwd.yaml]\nlayers: [relu]\n")
    with pytest.raises(SpecError, match="outside the spec's directory"):
        archstat.analyze(path)


ERRORS = [
    # (spec body after the header, line, message fragment)
    ("layers:\n  - conv: {out: 8, kernel: 3}\n  - convv: {out: 8}\n", 5, "unknown layer kind 'convv' (did you mean 'conv'?)"),
    ("layers:\n  - conv: {out: 8, kernel: 0}\n", 4, "'kernel' must be a positive integer"),
    ("layers:\n  - conv: {out: -8, kernel: 3}\n", 4, "'out' must be a positive integer, got -8"),
    ("layers:\n  - conv: {out: 8, kernel: 3, strides: 2}\n", 4, "unknown argument 'strides'"),
    ("layers:\n  - conv: {kernel: 3}\n", 4, "missing required argument 'out'"),
    ("layers:\n  - conv: {out: 8, kernel: 3, groups: 2}\n", 4, "groups 2 does not divide the 3 input channels"),
    ("layers:\n  - relu: {name: a}\n  - relu: {name: a}\n", 5, "duplicate layer name 'a'"),
    ("layers:\n  - add: {inputs: [input, later]}\n  - relu: {name: later}\n", 4, "unknown input 'later'"),
    ("layers:\n  - {repeat: 1000000000, layers: [relu]}\n", 4, "'repeat: 1,000,000,000' is more than the limit"),
    ("layers:\n  - conv: {out: $(().__class__), kernel: 3}\n", 4, "attribute access is not allowed"),
    ("layers:\n  - conv: {out: $(9**9**9), kernel: 3}\n", 4, "exponent too large"),
    ("layers:\n  - conv: {out: $(8 // 0), kernel: 3}\n", 4, "division by zero"),
    ("blocks:\n  b:\n    layers: [b]\nlayers:\n  - b\n", 5, "block 'b' instantiates itself (b -> b)"),
    ("layers:\n  - rbf: 10\n", 4, "rbf needs a flat input, got 3x8x8: add a 'flatten' before it"),
    ("layers:\n  - {name: a, layers: [conv: {out: 4, kernel: 3}]}\n  - add: {inputs: [a, input]}\n", 5,
     "inputs 'a.conv1' (4x6x6) and 'input' (3x8x8) disagree"),
    ("layers:\n  - maxpool: {kernel: 2}\n  - concat: {inputs: [maxpool1, input]}\n", 5,
     "height and width differ (3x4x4 vs 3x8x8)"),
    ("layers: []\n", 3, "'layers' must be a non-empty list"),
    ("layerz: []\n", 3, "unknown top-level key 'layerz'"),
]


@pytest.mark.parametrize("body,line,fragment", ERRORS)
def test_errors_name_line_and_cause(write_spec, body, line, fragment):
    path = write_spec("name: t\ninput: [3, 8, 8]\n" + body)
    with pytest.raises(ArchstatError) as e:
        archstat.analyze(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}:{line}: "), msg
    assert fragment in msg, msg
    assert "\n" not in msg


def test_stride_that_does_not_fit_is_noted(write_spec):
    # the lecture's warning: (7 - 3)/3 + 1 = 2.33
    a = analyze_text(write_spec, "name: t\ninput: [1, 7, 7]\nlayers:\n  - conv: {out: 1, kernel: 3, stride: 3}\n")
    assert a.layers[0].output_shape == (1, 2, 2)
    assert a.notes == [("conv1", "(7 - 3 + 0)/3 + 1 = 2.33: a 3-wide window with stride 3 does not fit a 7-wide "
                                 "input, in height and width; the last row and column are never seen")]


def test_size_zero_is_an_error(write_spec):
    with pytest.raises(ShapeError, match="output height would be 0"):
        analyze_text(write_spec, "name: t\ninput: [1, 4, 4]\nlayers:\n  - maxpool: {kernel: 5, stride: 5}\n")


def test_receptive_field_chain_and_union(write_spec):
    a = analyze_text(write_spec, """
name: t
input: [1, 32, 32]
layers:
  - conv: {name: a, out: 1, kernel: 3, padding: 1}
  - conv: {name: b, out: 1, kernel: 3, padding: 1}
  - conv: {name: c, out: 1, kernel: 3, padding: 1}
  - conv: {name: s, inputs: [input], out: 1, kernel: 5, padding: 2, stride: 1}
  - add: {name: m, inputs: [c, s]}
  - conv: {name: d, out: 1, kernel: 2, stride: 2}
  - conv: {name: e, out: 1, kernel: 3}
  - global_avgpool
""")
    # three stacked 3x3: 1 + 2 + 2 + 2 = 7 (the lecture's "same as one 7x7")
    assert a.layer("c").field.size == (7, 7) and a.layer("c").field.padding == (3, 3)
    assert a.layer("s").field.size == (5, 5)
    assert a.layer("m").field.size == (7, 7) and a.layer("m").notes == []  # both centred at 0: aligned
    # through 2x2/2: 7 + 1*(2-1) = 8, stride 2; then 3x3: 8 + 2*(3-1) = 12, stride 2
    assert (a.layer("d").field.size, a.layer("d").field.stride) == ((8, 8), (2, 2))
    assert (a.layer("e").field.size, a.layer("e").field.stride) == ((12, 12), (2, 2))
    assert a.layers[-1].field is GLOBAL
    assert a.totals.field.size == (12, 12)


def test_misaligned_merge_is_noted(write_spec):
    a = analyze_text(write_spec, """
name: t
input: [1, 16, 16]
layers:
  - conv: {name: a, out: 1, kernel: 3, padding: 1, stride: 2}
  - conv: {name: b, inputs: [input], out: 1, kernel: 1, stride: 2}
  - add: {name: m, inputs: [a, b]}
""")
    # a sees [-1, 1] (centre 0), b sees [0, 0] (centre 0): aligned. Union: size 3, padding 1.
    assert a.layer("m").field.size == (3, 3) and a.layer("m").notes == []
    b = analyze_text(write_spec, """
name: t
input: [1, 16, 16]
layers:
  - conv: {name: a, out: 1, kernel: 2, stride: 2}
  - conv: {name: b, inputs: [input], out: 1, kernel: 1, stride: 2}
  - add: {name: m, inputs: [a, b]}
""")
    # a sees [0, 1] (centre 0.5), b sees [0, 0] (centre 0): not aligned
    assert "not centred alike" in b.layer("m").notes[0]


def test_peak_memory_keeps_skips_alive(write_spec):
    a = analyze_text(write_spec, """
name: t
input: [1, 10, 10]
layers:
  - conv: {name: a, out: 2, kernel: 3, padding: 1}
  - relu
  - conv: {name: b, out: 4, kernel: 3, padding: 1}
  - conv: {name: c, out: 2, kernel: 1}
  - add: {name: s, inputs: [c, relu1]}
""")
    # elements: input 100, a 200 (relu in place), b 400, c 200, s 200. In order:
    # a: input+a = 300 -> input freed; b: a+b = 600; c: a+b+c = 800 -> b freed; s: a+c+s = 600
    assert a.totals.peak_activation_bytes == 800 * 4
    assert a.totals.activations == 100 + 200 + 400 + 200 + 200


def test_custom_op_is_unknown_not_zero(write_spec):
    a = analyze_text(write_spec, """
name: t
input: [3, 8, 8]
layers:
  - conv: {out: 4, kernel: 3, padding: 1}
  - custom: {op: roi_align, shape: [4, 2, 2], params: 10}
  - flatten
  - linear: 5
""")
    t = a.totals
    assert t.unknown_macs == ["custom1"] and t.unknown_flops == ["custom1"]
    assert t.params == (27 * 4 + 4) + 10 + (16 * 5 + 5)
    assert a.layer("custom1").macs is None and a.layer("custom1").field is None

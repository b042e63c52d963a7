"""Writing your own spec (issue 18): the traps a new user fell into, each through the command line.

Conditional residuals (``when:`` then ``add: [body, input]``), layers nothing reads, a skipped group's name, the
packaged block libraries by name (``include: [archstat:resnet]``, ``archstat blocks``), and a spec's own figures
(``expect:``) checked by ``archstat verify``, exit 1 on drift."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from archstat.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def layers(path) -> dict:
    r = run("summary", path, "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    return {"layers": {x["name"]: x for x in d["layers"]}, "notes": d["notes"], "totals": d["totals"]}


# ---- conditional residuals ------------------------------------------------------------------------------------------

UNIT = """
name: t
input: [8, 8, 8]
blocks:
  unit:                         # an inverted residual: the add only when the shape is kept
    args: {cin: null, cout: null, stride: 1}
    layers:
      - conv: {name: expand, out: $(cin * 2), kernel: 1}
      - dwconv: {name: dw, kernel: 3, stride: $stride, padding: 1}
      - conv: {name: project, out: $cout, kernel: 1}
      - batchnorm: {name: body}
      %s
layers:
  - unit: {name: a, cin: 8, cout: 8}              # residual
  - unit: {name: b, cin: 8, cout: 16, stride: 2}  # none
  - unit: {name: c, cin: 16, cout: 16}            # residual
  - global_avgpool: {name: pool}
"""
NATURAL = """- when: $(stride == 1 and cin == cout)
        layers:
          - add: [body, input]"""
WITH_INPUTS = """- when: $(stride == 1 and cin == cout)
        inputs: [input]
        layers:
          - add: {inputs: [body, input]}"""


@pytest.mark.parametrize("form", [NATURAL, WITH_INPUTS], ids=["natural", "inputs_input"])
def test_conditional_residual(write_spec, form):
    """The residual adds the unit's input where the condition holds; where it does not, the unit's output is its
    body (not its input: the body stays in the graph), and no block 'produces no layers'."""
    got = layers(write_spec(UNIT % form))
    ls = got["layers"]
    assert ls["a.add1"]["inputs"] == ["a.body", "input"]
    assert "b.add1" not in ls
    assert ls["c.expand"]["inputs"] == ["b.body"], "the unit without a residual passes its body on"
    assert ls["c.add1"]["inputs"] == ["c.body", "b.body"]
    assert ls["pool"]["inputs"] == ["c.add1"]
    assert got["notes"] == [], "every layer leads to the output"


def test_conditional_residual_at_top_level_in_a_repeat(write_spec):
    """The same inside a named repeat, outside any block: 'input' inside a bare 'when' group is the pass's input."""
    text = """
name: t
input: [4, 8, 8]
layers:
  - name: stage
    repeat: 2
    as: i
    layers:
      - conv: {name: body, out: 4, kernel: 3, padding: 1}
      - when: $(i == 0)
        layers:
          - add: [body, input]
  - relu: {name: out}
"""
    ls = layers(write_spec(text))["layers"]
    assert ls["stage.0.add1"]["inputs"] == ["stage.0.body", "input"]
    assert ls["stage.1.body"]["inputs"] == ["stage.0.add1"]
    assert ls["out"]["inputs"] == ["stage.1.body"], "the skipped residual passes the body on"


def test_block_whose_every_item_is_skipped_passes_its_input_on(write_spec):
    """An optional block (everything under a false 'when') is the identity, not 'block produced no layers'."""
    text = """
name: t
input: [4, 8, 8]
blocks:
  maybe_se:
    args: {se: false}
    layers:
      - when: $se
        layers:
          - global_avgpool: {name: pool}
          - sigmoid: {name: gate}
          - mul: [input, gate]
layers:
  - conv: {name: c1, out: 4, kernel: 1}
  - maybe_se: {name: se1}
  - maybe_se: {name: se2, se: true}
  - relu: {name: out}
"""
    ls = layers(write_spec(text))["layers"]
    assert ls["se2.pool"]["inputs"] == ["c1"]
    assert ls["se2.mul1"]["inputs"] == ["c1", "se2.gate"]
    assert ls["out"]["inputs"] == ["se2.mul1"]


def test_unread_layer_is_noted_with_what_it_counts(write_spec):
    """A body nothing reads (here a residual group with 'inputs: [input]' written as a branch) is still counted;
    the note says so on the layer, with its parameters and MACs and those of the layers that lead only to it."""
    text = """
name: t
input: [4, 8, 8]
layers:
  - conv: {name: c1, out: 4, kernel: 3, padding: 1}    # 4*9*4 + 4 = 148 params, 8*8*4*36 = 9,216 MACs
  - batchnorm: {name: bn}                              # 8 params
  - relu: {name: out, inputs: [input]}
"""
    path = write_spec(text)
    got = layers(path)
    assert [n["layer"] for n in got["notes"]] == ["bn"]
    note = got["notes"][0]["note"]
    assert "nothing reads this layer's output" in note and "156 parameters and 9,216 MACs" in note, note
    assert got["totals"]["params"] == 156, "counted, and said to be"
    r = run("summary", path)
    assert r.exit_code == 0 and "nothing reads this layer's output" in r.output
    listed = write_spec(text.replace("layers:\n", "outputs: [bn]\nlayers:\n", 1), "listed.yaml")
    assert layers(listed)["notes"] == [], "a layer listed under outputs: is an output"
    wrong = write_spec(text.replace("layers:\n", "outputs: [bm]\nlayers:\n", 1), "wrong.yaml")
    r = run("summary", wrong)
    assert r.exit_code == 1 and "wrong.yaml:4: outputs: no layer named 'bm'" in r.output


def test_skipped_group_does_not_keep_its_name(write_spec):
    """Two alternative groups of one name, one of them skipped: no 'duplicate layer name'; both taken: still one."""
    text = """
name: t
input: [4, 8, 8]
vars: {act: %s}
layers:
  - conv: {name: c, out: 4, kernel: 1}
  - {name: act, when: $(act == 'relu' or act == 'both'), layers: [relu]}
  - {name: act, when: $(act == 'silu' or act == 'both'), layers: [silu]}
  - conv: {name: d, inputs: [act], out: 4, kernel: 1}
"""
    for act, kind in (("relu", "relu"), ("silu", "silu")):
        ls = layers(write_spec(text % act, f"{act}.yaml"))["layers"]
        assert ls["d"]["inputs"] == [f"act.{kind}1"]
    r = run("summary", write_spec(text % "both", "both.yaml"))
    assert r.exit_code == 1 and "both.yaml:8: duplicate layer name 'act'" in r.output


def test_skipped_projection_still_names_the_identity(write_spec):
    """ResNet's optional projection: a skipped group's name refers to its input while nothing else takes it."""
    text = """
name: t
input: [4, 8, 8]
layers:
  - conv: {name: main, out: 4, kernel: 3, padding: 1}
  - {name: shortcut, when: false, inputs: [input], layers: [conv: {out: 4, kernel: 1}]}
  - add: [main, shortcut]
"""
    assert layers(write_spec(text))["layers"]["add1"]["inputs"] == ["main", "input"]


def test_a_list_after_a_single_input_kind_is_still_an_error(write_spec):
    r = run("summary", write_spec("name: t\ninput: [3, 8, 8]\nlayers:\n  - conv: [a, b]\n"))
    assert r.exit_code == 1 and "spec.yaml:4: 'conv': arguments must be a mapping, got a list" in r.output


# ---- the packaged block libraries by name --------------------------------------------------------------------------

RESNET18 = """
name: my_resnet18
input: [3, 224, 224]
include: [%s]
layers:
  - conv: {name: conv1, out: 64, kernel: 7, stride: 2, padding: 3, bias: false}
  - batchnorm: {name: bn1}
  - relu: {name: relu}
  - maxpool: {name: maxpool, kernel: 3, stride: 2, padding: 1}
  - basic_stage: {name: layer1, n: 2, c: 64, project: false}
  - basic_stage: {name: layer2, n: 2, c: 128, stride: 2}
  - basic_stage: {name: layer3, n: 2, c: 256, stride: 2}
  - basic_stage: {name: layer4, n: 2, c: 512, stride: 2}
  - global_avgpool: {name: avgpool}
  - flatten
  - linear: {name: fc, out: 1000}
"""
FIGURES = ("params", "buffers", "macs", "flops", "activations", "peak_activation_bytes", "depth")


def test_user_spec_includes_a_zoo_library_by_name(write_spec):
    mine = layers(write_spec(RESNET18 % "archstat:resnet", "elsewhere/mine.yaml"))["totals"]
    zoo = layers("resnet18")["totals"]
    assert {k: mine[k] for k in FIGURES} == {k: zoo[k] for k in FIGURES}
    assert mine["params"] == 11_689_512  # torchvision's ResNet18_Weights.IMAGENET1K_V1 num_params


@pytest.mark.parametrize("item,fragment", [
    ("archstat:resnt", "include 'archstat:resnt': no packaged block library of that name (did you mean "
                       "'archstat:resnet'?)"),
    ("archstat:../resnet", "include 'archstat:../resnet': no packaged block library of that name"),
    ("../blocks/resnet.yaml", "include '../blocks/resnet.yaml' is outside the spec's directory"),
    ("/etc/passwd.yaml", "include '/etc/passwd.yaml' must be a relative path to a .yaml file"),
])
def test_includes_stay_bounded(write_spec, item, fragment):
    r = run("summary", write_spec(RESNET18 % item))
    assert r.exit_code == 1 and f"spec.yaml:4: {fragment}" in r.output, r.output


def test_installed_wheel_layout_finds_the_libraries(tmp_path):
    """In a wheel the specs live in archstat/specs (pyproject's force-include): a copy of the package laid out so,
    with no specs/ beside it, still resolves archstat:resnet."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "archstat", site / "archstat", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "specs", site / "archstat" / "specs")
    spec = tmp_path / "user" / "mine.yaml"
    spec.parent.mkdir()
    spec.write_text(RESNET18 % "archstat:resnet")
    env = dict(os.environ, PYTHONPATH=str(site))
    r = subprocess.run([sys.executable, "-m", "archstat", "summary", str(spec), "--format", "json"], env=env,
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["totals"]["params"] == 11_689_512
    r = subprocess.run([sys.executable, "-c", "import archstat.language.blocks as b; print(b.library_dir())"],
                       env=env, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.stdout.strip() == str(site / "archstat" / "specs" / "blocks")


def test_blocks_command_documents_libraries_and_arguments():
    r = run("blocks")
    assert r.exit_code == 0
    assert "archstat:resnet: basic, bottleneck, basic_stage, bottleneck_stage" in r.output
    assert "make_divisible(v, divisor=8, min_value=divisor)" in r.output
    r = run("blocks", "archstat:resnet")
    assert r.exit_code == 0
    assert "include: [archstat:resnet]" in r.output
    rows = [" ".join(line.split()) for line in r.output.splitlines()]
    assert "groups 1 ResNeXt cardinality" in rows  # an argument, its default, the library's comment on it
    assert "c null planes: the unit puts out 4c channels" in rows
    r = run("blocks", "mobile")
    assert "layout mobilenet_v2 or mbconv: the names, stochastic depth and the hidden width's rounding" in \
        " ".join(r.output.split())
    r = run("blocks", "resnt")
    assert r.exit_code == 2 and "no packaged block library named 'resnt'; did you mean resnet?" in r.output


def test_blocks_command_reads_a_user_library(write_spec):
    lib = write_spec("""doc: my blocks
blocks:
  cbr:
    doc: conv, batch norm, relu
    args: [c]
    layers: [conv: {out: $c, kernel: 3, padding: 1}, batchnorm, relu]
""", "lib.yaml")
    r = run("blocks", lib)
    assert r.exit_code == 0, r.output
    rows = [" ".join(line.split()) for line in r.output.splitlines()]
    assert "my blocks" in rows and "conv, batch norm, relu" in rows and "c required" in rows


def test_make_divisible_as_documented():
    from archstat.language.expr import make_divisible

    assert [make_divisible(36), make_divisible(35), make_divisible(11), make_divisible(10, 4)] == [40, 32, 16, 12]


# ---- expect: a spec's own figures, checked by archstat verify --------------------------------------------------------

SMALL = """name: small
input: [3, 8, 8]
expect:
%s
layers:
  - conv: {out: 4, kernel: 3}     # (3*9 + 1) * 4 = 112 params; 6*6*4 * 27 = 3,888 MACs
  - relu
"""


def expect_spec(write_spec, body: str, name: str = "spec.yaml") -> str:
    return write_spec(SMALL % body, name)


def test_verify_expect_passes(write_spec):
    path = expect_spec(write_spec, "  params: 112\n  macs: {value: 3.9K, tolerance: 1%}\n  weight_layers: 1")
    r = run("verify", path)
    assert r.exit_code == 0, r.output
    assert "3 claims: 3 match" in r.output
    rows = json.loads(run("verify", path, "--format", "json").output)
    assert [(x["quantity"], x["computed"], x["verdict"]) for x in rows] == [
        ("params", 112, "match"), ("macs", 3888, "match"), ("weight_layers", 1, "match")]
    assert rows[1]["explanation"] == "within tolerance: -12 (-0.308%)"
    assert rows[1]["claim_file"] == f"{path}:5"


def test_verify_expect_drift_exits_1(write_spec):
    path = expect_spec(write_spec, "  params: 112\n  macs: 4_000")
    r = run("verify", path)
    assert r.exit_code == 1
    assert "drift: expected 4,000, computed 3,888, off by -112 (-2.800%)" in " ".join(r.output.split())
    rows = json.loads(run("verify", path, "--format", "json").output)
    assert [x["verdict"] for x in rows] == ["match", "mismatch"]


@pytest.mark.parametrize("tolerance,ok", [("12", True), ("11", False), ("12%", True), ("11.9%", False)])
def test_verify_expect_tolerance_edge(write_spec, tolerance, ok):
    """112 parameters against 100: 12 off, which a tolerance of 12 (or 12%) admits and 11 (or 11.9%) does not."""
    r = run("verify", expect_spec(write_spec, f"  params: {{value: 100, tolerance: {tolerance}}}"))
    assert r.exit_code == (0 if ok else 1), r.output


@pytest.mark.parametrize("body,line,fragment", [
    ("  parms: 112", 4, "expect: unknown figure 'parms' (did you mean 'params'?)"),
    ("  macs: {value: 1G, tol: 1%}", 4, "expect: 'macs': unknown key 'tol' (keys: value, tolerance)"),
    ("  macs: {tolerance: 1%}", 4, "expect: 'macs' needs a 'value'"),
    ("  macs: lots", 4, "expect: 'macs': cannot read 'lots' as a number"),
    ("  macs: {value: 1G, tolerance: -1%}", 4, "expect: 'macs': tolerance: cannot read '-1' as a number"),
    ("  - params", 3, "'expect' must be a mapping of figures to values"),
])
def test_expect_header_is_validated(write_spec, body, line, fragment):
    path = expect_spec(write_spec, body)
    for cmd in ("verify", "summary"):  # a spec is checked whole, whatever the command
        r = run(cmd, path)
        assert r.exit_code == 1 and f"spec.yaml:{line}: {fragment}" in r.output, r.output
        assert "Traceback" not in r.output


def test_verify_a_spec_without_expect_or_claims(write_spec):
    r = run("verify", write_spec("name: t\ninput: [3, 8, 8]\nlayers: [relu]\n"))
    assert r.exit_code == 2 and "no claims about" in r.output and "no 'expect:' in its header" in r.output


# ---- the README's walkthrough --------------------------------------------------------------------------------------


def test_readme_walkthrough_spec_verifies(tmp_path):
    """The spec the README's spec-language section walks through is written out and verified as it stands."""
    text = (ROOT / "README.md").read_text()
    start = text.index("```yaml\n# my_mobile.yaml")
    spec = text[start + len("```yaml\n"):text.index("```", start + 8)]
    path = tmp_path / "my_mobile.yaml"
    path.write_text(spec)
    r = run("verify", path)
    assert r.exit_code == 0, r.output
    got = layers(path)
    assert got["notes"] == [] or all("nothing reads" not in n["note"] for n in got["notes"])

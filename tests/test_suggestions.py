"""An unknown layer kind is answered with a kind that computes the same thing, or with what to write instead
(issue 18, trap 1), and a linear layer on a map is explained as one at every position (trap 4). Through the CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from archstat.cli import app
from archstat.language.synonyms import SYNONYMS, kind_hint, normalise, slip
from archstat.layers import KINDS, REGISTRY


def summary(tmp_path, item: str, shape: str = "[3, 8, 8]"):
    p = tmp_path / "net.yaml"
    p.write_text(f"name: net\ninput: {shape}\nlayers:\n  - {item}\n")
    return CliRunner().invoke(app, ["summary", str(p), "--format", "json"])


# The traps the issue lists (word -> the kind it must point at, and the kinds it must never name)
@pytest.mark.parametrize("word, wanted, never", [
    ("ln", "layer_norm", ["'lrn'", "'norm'"]),
    ("LayerNormalization", "layer_norm", ["'batch_norm'", "'batchnorm'", "'norm'"]),
    ("nn.LayerNorm", "layer_norm", ["'norm'", "'batch_norm'"]),
    ("Hardsigmoid", "hardsigmoid", ["'sigmoid'"]),
    ("HardSigmoid", "hardsigmoid", ["'sigmoid'"]),
    ("transpose", "permute", ["'conv_transpose'", "'deconv'"]),
    ("Transpose", "permute", ["'conv_transpose'", "'deconv'"]),
    ("Gemm", "linear", []),
    ("Dense", "linear", []),
    ("Conv2D", "conv", []),
    ("BatchNormalization", "batchnorm", []),
    ("InstanceNorm2d", "group_norm", ["'batchnorm'"]),
    ("nn.GELU", "gelu", []),
    ("layer_nrom", "layer_norm", []),  # a spelling slip
])
def test_a_suggestion_names_the_kind_that_computes_it(tmp_path, word, wanted, never):
    r = summary(tmp_path, word)
    assert r.exit_code == 1 and r.output.count("\n") == 1, r.output
    assert f"unknown layer kind '{word}' (did you mean '{wanted}'?" in r.output
    for bad in never:
        assert bad not in r.output.split("did you mean", 1)[1], (word, bad, r.output)


@pytest.mark.parametrize("word, instead", [
    ("matmul", "'custom'"), ("MatMul", "'linear'"), ("bmm", "'custom'"), ("Reshape", "'flatten'"),
    ("selu", "'custom'"), ("SeparableConv2D", "'dwconv: {kernel: k}' then 'pwconv: {out: N}'"),
])
def test_an_op_without_a_kind_says_so_and_what_to_write(tmp_path, word, instead):
    r = summary(tmp_path, word)
    assert r.exit_code == 1, r.output
    assert f"unknown layer kind '{word}': no archstat kind computes this op yet; " in r.output
    assert instead in r.output
    assert "'mul'" not in r.output or word != "matmul"
    assert "did you mean 'mul'" not in r.output


def test_kinds_that_exist_under_those_names_now_just_work(tmp_path):
    """layernorm (once pointed at 'norm', LRN) and layer_norm (once at batch_norm) are layer_norm: 2C parameters,
    no buffers; hardsigmoid is its own kind."""
    import json

    for word in ("layernorm", "layer_norm", "LayerNorm"):
        d = json.loads(summary(tmp_path, word).output)
        assert [x["kind"] for x in d["layers"]] == ["layer_norm"] and d["totals"]["params"] == 2 * 3
        assert d["totals"]["buffers"] == 0
    d = json.loads(summary(tmp_path, "hardsigmoid").output)
    assert d["layers"][0]["kind"] == "hardsigmoid"


def test_nothing_close_says_where_to_look(tmp_path):
    r = summary(tmp_path, "conv3d")  # one digit from conv2d: a different op, never suggested
    assert r.exit_code == 1 and "did you mean" not in r.output
    assert "'archstat kinds' lists the" in r.output and "'custom'" in r.output


def test_a_block_name_slip_is_suggested(tmp_path):
    p = tmp_path / "net.yaml"
    p.write_text("name: net\ninput: [3, 8, 8]\nblocks:\n  stem_unit:\n    layers:\n      - relu\n"
                 "layers:\n  - stem_unti\n")
    r = CliRunner().invoke(app, ["summary", str(p)])
    assert r.exit_code == 1 and "(did you mean 'stem_unit'?)" in r.output


def test_every_synonym_targets_a_registered_kind():
    for key, syn in SYNONYMS.items():
        assert key == normalise(key), key
        assert syn.kind is None or syn.kind in KINDS, (key, syn.kind)
        assert syn.kind is not None or syn.how, key  # no kind: says what to write instead


def test_registered_names_do_not_collide_when_normalised():
    seen: dict[str, str] = {}
    for name, cls in REGISTRY.items():
        assert seen.setdefault(normalise(name), cls.kind) == cls.kind, name


def test_a_synonym_never_contradicts_the_registry():
    """A framework name that is also a registered name (after normalising) must mean the same kind."""
    reg = {normalise(n): c.kind for n, c in REGISTRY.items()}
    for key, syn in SYNONYMS.items():
        if key in reg and syn.kind is not None:
            assert reg[key] == syn.kind, key


def test_slips_never_cross_a_digit_or_a_different_op():
    assert slip("conv3d", list(REGISTRY)) is None
    assert slip("maxpool3d", list(REGISTRY)) is None
    assert slip("convv", list(REGISTRY)) == "conv"
    assert "did you mean 'mul'" not in kind_hint("matmul")
    assert "did you mean 'norm'" not in kind_hint("layernorm2")


def test_linear_on_a_map_acts_at_every_position(tmp_path):
    """Trap 4: a linear layer on a map is one at every position (over the channels), never an error that says
    to add a flatten; explain says so, and what a flatten would make of it."""
    import json

    r = summary(tmp_path, "linear: 10")
    assert r.exit_code == 0, r.output
    layer = json.loads(r.output)["layers"][0]
    assert layer["output_shape"] == [10, 8, 8] and layer["params"] == 3 * 10 + 10 and layer["macs"] == 8 * 8 * 3 * 10
    r = CliRunner().invoke(app, ["explain", str(tmp_path / "net.yaml"), "linear1"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "at each of 8*8 positions (a linear layer at every position, over the channels;" in text
    assert "a 'flatten' before it would make it one layer on all 192 values" in text

"""``archstat explain`` can never drift from the numbers the engine prints.

For every built-in spec and every layer of its analysis, the derivation texts ("params", "macs", "flops") are
evaluated as plain arithmetic (an exact ast walker: digits, + - * /, parentheses; never ``eval``) and must equal
the engine's figures at batch 1. The H'/W' shape lines must evaluate to the value they state and end with the
layer's output height and width. A CLI check runs ``archstat explain`` on VGG-16's first convolution.
"""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction

import pytest
from typer.testing import CliRunner

import archstat
from archstat.cli import app
from archstat.language.catalog import builtin_names

SPECS = builtin_names()


from conftest import arith


def test_arith_walker():
    # the walker itself: exact, left-to-right, refuses names and calls
    assert arith("(3*3*3 + 1) * 64") == 1792
    assert arith("2*86704128 + 64*224*224") == 2 * 86704128 + 64 * 224 * 224
    assert arith("(7 - 3 + 2*0)/3 + 1") == Fraction(7, 3)
    assert arith("3*3*64/4") == 144
    for bad in ("__import__('os')", "x + 1", "2**10", "7 // 2", "1.5 * 2"):
        with pytest.raises((AssertionError, SyntaxError)):
            arith(bad)


@functools.cache
def analysis(name: str):
    return archstat.analyze(name)


def derivations(a):
    """(LayerResult, input shapes, derivation dict) for every layer, derived exactly as explain does."""
    shapes = {"input": a.input_shape, **{r.name: r.output_shape for r in a.layers}}
    for r in a.layers:
        ins = [shapes[i] for i in r.inputs]
        yield r, ins, r.node.layer.derivation(ins, r.output_shape)


_SHAPE_LINE = re.compile(r"^([HW])' = (.+?) = (-?[\d.]+)(?: -> (floor|ceil) (\d+))?$")


def shape_problems(line: str, out: tuple) -> tuple[str | None, list[str]]:
    """Check one ``H' = <formula> = <value>[ -> floor|ceil N]`` line; return its axis and what is wrong."""
    m = _SHAPE_LINE.match(line)
    if not m:
        return None, []
    axis, formula, shown, how, rounded = m.groups()
    want = out[1] if axis == "H" else out[2]
    final = int(rounded) if rounded else int(shown)
    bad = []
    if final != want:
        bad.append(f"{line!r} ends with {final}, but the output {axis} is {want}")
    exact = arith(formula)
    if how is None:
        if exact != Fraction(shown):
            bad.append(f"{line!r}: the formula evaluates to {exact}, not {shown}")
    else:
        if abs(float(exact) - float(shown)) >= 0.006:
            bad.append(f"{line!r}: the formula evaluates to {float(exact):.4f}, not {shown}")
        if how == "floor" and math.floor(exact) != final:
            bad.append(f"{line!r}: floor({float(exact):.4f}) is {math.floor(exact)}, not {final}")
        # ceil mode: PyTorch drops a last window that would start in the right padding, so ceil or ceil - 1
        if how == "ceil" and final not in (math.ceil(exact), math.ceil(exact) - 1):
            bad.append(f"{line!r}: ceil({float(exact):.4f}) is {math.ceil(exact)}, not {final}")
    return axis, bad


# kinds whose derivation gives the output height and width as formulas (conv and pool layers)
WINDOWED = {"conv", "dwconv", "pwconv", "deconv", "maxpool", "avgpool", "zeropad"}


def test_there_are_specs():
    assert "vgg16" in SPECS


@pytest.mark.parametrize("name", SPECS)
def test_derivation_equals_engine(name):
    a = analysis(name)
    assert a.batch == 1
    problems = []
    for r, _ins, d in derivations(a):
        where = f"{name}: {r.name} ({r.kind})"
        needed = ["shape", "params"] + [k for k in ("macs", "flops") if getattr(r, k) is not None]
        missing = [k for k in needed if k not in d]
        if missing:
            problems.append(f"{where}: no {missing} in the derivation")
            continue
        if arith(d["params"]) != r.n_params:
            problems.append(f"{where}: params {d['params']!r} = {arith(d['params'])}, engine {r.n_params}")
        for key in ("macs", "flops"):
            value = getattr(r, key)
            if value is None:  # unknown: the derivation must not invent a number
                if key in d:
                    problems.append(f"{where}: {key} unknown but derived as {d[key]!r}")
            elif arith(d[key]) != value:
                problems.append(f"{where}: {key} {d[key]!r} = {arith(d[key])}, engine {value}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", SPECS)
def test_shape_lines_match_output(name):
    a = analysis(name)
    problems, windowed = [], 0
    for r, _ins, d in derivations(a):
        where = f"{name}: {r.name} ({r.kind})"
        assert isinstance(d["shape"], list) and all(isinstance(x, str) for x in d["shape"]), where
        axes = set()
        for line in d["shape"]:
            axis, bad = shape_problems(line, r.output_shape)
            axes.add(axis)
            problems += [f"{where}: {b}" for b in bad]
            if line.startswith("C' ="):  # "C' = 64 filters" or "C' = C = 64"
                m = re.search(r"=\s*(\d+)[^=]*$", line)
                if not m or int(m.group(1)) != r.output_shape[0]:
                    problems.append(f"{where}: {line!r} but the output has {r.output_shape[0]} channels")
        if r.kind in WINDOWED:
            windowed += 1
            if not {"H", "W"} <= axes:
                problems.append(f"{where}: no H'/W' formula lines in {d['shape']}")
    assert not problems, "\n".join(problems)
    if any(r.kind in WINDOWED for r in a.layers):
        assert windowed


def test_vgg16_known_figures():
    # the derivation of VGG-16's first conv, term by term: (224 - 3 + 2*1)/1 + 1 = 224, (3*3*3 + 1)*64 = 1,792
    a = analysis("vgg16")
    r = a.layer("features.0")
    first, _, d = next(derivations(a))
    assert first is r
    assert d["shape"][0] == "H' = (224 - 3 + 2*1)/1 + 1 = 224"
    assert d["params"] == "(3*3*3 + 1) * 64"
    assert r.n_params == (3 * 3 * 3 + 1) * 64
    assert r.macs == 224 * 224 * 64 * (3 * 3 * 3)
    assert a.totals.params == 138357544  # torchvision's vgg16


def test_batch_scales_macs_not_derivation():
    # at batch 4 the engine's MACs/FLOPs are 4x the per-image derivation; params are per model
    a1, a4 = analysis("vgg16"), archstat.analyze("vgg16", batch=4)
    for r1, r4 in zip(a1.layers, a4.layers):
        assert r4.macs == 4 * r1.macs and r4.flops == 4 * r1.flops and r4.n_params == r1.n_params


# ---------------------------------------------------------------------------------------------------- CLI
runner = CliRunner()


def _explain(*args):
    return runner.invoke(app, ["explain", *args], env={"COLUMNS": "200"})


def test_cli_explain_vgg16_conv1():
    res = _explain("vgg16", "features.0")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "(224 - 3 + 2*1)/1 + 1 = 224" in out
    assert "(3*3*3 + 1) * 64 = 1,792" in out
    # MACs: 224*224*64 * 3*3*3 = 86,704,128; FLOPs: 2*MACs + 64*224*224 bias adds
    assert f"224*224*64 * 3*3*3 = {224 * 224 * 64 * 27:,}" in out
    assert f"2*86704128 + 64*224*224 = {2 * 86704128 + 64 * 224 * 224:,}" in out


def test_cli_explain_unique_suffix_and_linear():
    res = _explain("vgg16", "classifier.6")  # fc8
    assert res.exit_code == 0, res.output
    assert f"4096*1000 + 1000 = {4096 * 1000 + 1000:,}" in res.output
    res = _explain("densenet121", "norm5")  # the one layer whose last part is norm5: features.norm5
    assert res.exit_code == 0, res.output
    assert res.output.startswith("features.norm5 (batchnorm, ")


def test_cli_explain_ambiguous_or_unknown_layer():
    res = _explain("vgg16", "0")  # features.0 (conv1_1) and classifier.0 (fc6)
    assert res.exit_code == 2
    assert "no single layer named '0'" in res.output and "features.0, classifier.0" in res.output
    res = _explain("vgg16", "no_such_layer")
    assert res.exit_code == 2

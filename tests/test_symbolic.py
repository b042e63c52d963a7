"""Symbolic sizes: the closed forms agree with the numeric engine, for every spec in specs/, at many sizes
(square and not), wherever the conditions the symbolic run recorded hold; plus the CLI and the assumptions."""

import dataclasses
import json
import random

import pytest
import sympy as sp
from typer.testing import CliRunner

import archstat
from archstat.core.engine import analyze
from archstat.core.symbolic import analyze_symbolic, parse_assumption
from archstat.errors import ArchstatError, UsageError
from archstat.language.catalog import builtin_names, parse_symbolic_input

runner = CliRunner()
H, W = sp.Symbol("H", integer=True, positive=True), sp.Symbol("W", integer=True, positive=True)


def value(e, h, w):
    v = sp.sympify(e).xreplace({H: sp.Integer(h), W: sp.Integer(w)})
    assert v.is_Integer, (e, h, w, v)
    return int(v)


def sizes_for(name, base):
    rnd = random.Random(name)  # deterministic per spec
    # the spec's own size and sizes with its residues mod 32 (where ceil-mode and merge conditions keep holding),
    # then arbitrary ones
    cand = {(base, base), (base + 32, base + 64), (base + 64, base - 32), (base + 1, base + 3), (base * 2 - 5, base + 32)}
    while len(cand) < 10:
        cand.add((rnd.randint(base // 2, base * 2), rnd.randint(base // 2, base * 2)))
    cand.add((base * 2, base * 2))  # twice its own size: where every stage must be a multiple of a window (maxvit_t:
    return sorted(cand)  #            7 at each of four stages), few other sizes hold


@pytest.mark.parametrize("name", builtin_names())
def test_symbolic_agrees_with_numeric(name):
    g = archstat.load(name)
    c, base = g.input_shape[0], g.input_shape[1]
    sa = analyze_symbolic(g, [c, "H", "W"])
    checked = 0
    for i, (h, w) in enumerate(sizes_for(name, base)):
        subs = {H: h, W: w}
        if not all(bool(cond.subs(subs)) for cond in sa.conditions):
            continue  # outside the closed form's stated domain
        try:
            a = analyze(dataclasses.replace(g, input_shape=(c, h, w)))
        except ArchstatError:
            pytest.fail(f"{name} at {h}x{w}: the symbolic conditions hold but the engine fails")
        t = a.totals
        assert [value(sa.totals[k], h, w) for k in ("params", "macs", "flops", "activations")] == \
            [t.params, t.macs, t.flops, t.activations], (name, h, w)
        if i < 3:  # every layer at three sizes
            for s, r in zip(sa.layers, a.layers):
                assert s.name == r.name
                assert tuple(value(d, h, w) for d in s.output_shape) == r.output_shape, (name, r.name, h, w)
                assert (value(s.params, h, w), value(s.macs, h, w), value(s.flops, h, w),
                        value(s.activations, h, w)) == (r.n_params, r.macs, r.flops, r.activations), (r.name, h, w)
        checked += 1
    assert checked >= 2, f"{name}: the symbolic result's conditions hold at too few sample sizes"


def test_fully_connected_parameters_depend_on_the_input():
    """The lecture's point: VGG's first fc layer fixes the input size; its weights grow with H and W."""
    sa = analyze_symbolic(archstat.load("vgg16"), [3, "H", "W"])
    fc6 = next(r for r in sa.layers if r.name == "classifier.0")
    assert sp.simplify(fc6.params - (4096 * 512 * sp.floor(H / 32) * sp.floor(W / 32) + 4096)) == 0
    conv = next(r for r in sa.layers if r.name == "features.0")
    assert conv.params == 1792  # a convolution does not care


def test_assumptions_remove_the_floors():
    sa = analyze_symbolic(archstat.load("resnet50"), [3, "H", "W"],
                          [parse_assumption("H % 32 == 0"), parse_assumption("W % 32 == 0")])
    # 224 x 224: 4,089,184,256 MACs = 81456 * 224 * 224 + 2,048,000
    assert sp.expand(sa.totals["macs"] - (81456 * H * W + 2048000)) == 0
    assert not sa.totals["macs"].has(sp.floor)
    sq = analyze_symbolic(archstat.load("resnet50"), [3, "H", "W"],
                          [parse_assumption("H % 32 == 0"), parse_assumption("W == H")])
    assert sp.expand(sq.totals["macs"] - (81456 * H**2 + 2048000)) == 0


def test_parsing():
    assert parse_symbolic_input("3xHxW") == [3, "H", "W"]
    assert parse_symbolic_input("3x224x224") is None
    assert parse_symbolic_input("S") == ["S"]
    with pytest.raises(UsageError):
        parse_symbolic_input("3xHx-1")
    with pytest.raises(UsageError, match="write 'H % 32 == 0'"):
        parse_assumption("H is even")
    a = parse_assumption("H % 32 == 0")
    assert (a.name, a.modulus, a.residue) == ("H", 32, 0)


def test_cli_json_and_table():
    r = runner.invoke(app(), ["summary", "alexnet", "--input", "3xHxW", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    conv1 = d["layers"][0]
    assert conv1["output_shape"] == ["96", "floor(H/4 - 11/4) + 1", "floor(W/4 - 11/4) + 1"]  # (H - 11)/4 + 1
    assert d["valid_where"][:2] == ["H >= 67", "W >= 67"]
    assert isinstance(d["totals"]["macs"], str)
    r = runner.invoke(app(), ["summary", "resnet18", "--input", "S", "--assume", "S % 32 == 0"])
    assert r.exit_code == 0 and "S**2" in r.output
    assert runner.invoke(app(), ["summary", "resnet18", "--assume", "H % 32 == 0"]).exit_code == 2
    assert runner.invoke(app(), ["summary", "resnet18", "--input", "HxW", "--assume", "Q % 2 == 0"]).exit_code == 2


def app():
    from archstat.cli import app as a

    return a

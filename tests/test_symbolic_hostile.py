"""Hostile input to the symbolic path (``archstat summary SPEC --input 3xHxW [--assume ...]``): whatever the spec or
the command line holds, one exact error line and a documented exit code, in bounded time and memory.

The symbolic work is charged to the run's budget (``MAX_SYMBOLIC_WORK`` steps: sympy operations, the size of every
expression built, and a surcharge for the rounded terms that cost sympy milliseconds each); any one closed form is
held to ``MAX_SYMBOLIC_OPS`` operations; ``--input`` numbers and ``--batch`` to ``MAX_DIM``; ``--assume`` lines to
``MAX_ASSUMPTIONS``, read by the one number parser, and checked against each other (contradictions are named).

The CLI cases run ``python -m archstat`` in subprocesses, all at once a few at a time, each under the wall-clock
timeout and the address-space limit of tests/test_hostile.py (a hang or a blow-up fails); the rest call the
functions directly.
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sympy as sp
from conftest import Outcome, cli_env, limit_memory

import archstat
from archstat.core.symbolic import SymAnalysis, SymLayer, analyze_symbolic, parse_assumption, resolve_assumptions
from archstat.errors import ShapeError, SpecError, UsageError
from archstat.io.limits import MAX_ASSUMPTIONS, MAX_DIM, MAX_SYMBOLIC_OPS, MAX_SYMBOLIC_WORK
from archstat.io.run import scope
from archstat.language.catalog import parse_symbolic_input

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 10  # every case answers in about 3 s or less on a laptop; before the budget some took minutes
MEMORY_BYTES = 1 << 30
PREFIX = "archstat: error: "
H, W = sp.Symbol("H", integer=True, positive=True), sp.Symbol("W", integer=True, positive=True)


def _spec(layers: list[str], repeat: int = 1, input_: str = "[3, 224, 224]") -> str:
    return "\n".join(["name: t", f"input: {input_}", "layers:", *[f"  - {x}" for x in layers] * repeat]) + "\n"


NET = _spec(["conv: {out: 8, kernel: 3, stride: 2, padding: 1}", "relu"], input_="[3, 32, 32]")
SPECS = {
    "net.yaml": NET,
    # an adaptive pool summed its windows one sympy step at a time: 2**31 - 1 windows never finished
    "adaptive_huge.yaml": _spec(["adaptive_avgpool: {size: 2147483647}"], input_="[3, 8, 8]"),
    "adaptive_wide.yaml": _spec(["adaptive_avgpool: {size: [4, 300]}"], input_="[3, 8, 8]"),
    "adaptive_tall.yaml": _spec(["adaptive_avgpool: {size: [2147483647, 1]}"], input_="[3, 8, 8]"),
    # 200 windows over a floor: every window is two new floors, a few milliseconds of sympy each
    "adaptive_200.yaml": _spec(["conv: {out: 4, kernel: 3, stride: 2}", "adaptive_avgpool: {size: 200}"]),
    # 200 chained ceil-mode pools took 21 s (each decision about a ceil-mode window costs sympy milliseconds)
    "ceil_chain.yaml": _spec(["maxpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}"], 200),
    "floor_chain.yaml": _spec(["maxpool: {kernel: 3, stride: 2, padding: 1}"], 200),
    # upsampling between ceil-mode and floor-mode windows nests floors in floors, which sympy decides in time
    # growing with the square of the depth (and overflows Python's stack at about 130 levels)
    "nested_floors.yaml": _spec(["upsample: {scale: 3}", "maxpool: {kernel: 3, stride: 2, ceil_mode: true}",
                                 "upsample: {scale: 2}", "avgpool: {kernel: 3, stride: 3}"], 100),
    "nested_floors_few.yaml": _spec(["upsample: {scale: 3}", "maxpool: {kernel: 3, stride: 2, ceil_mode: true}",
                                     "upsample: {scale: 2}", "avgpool: {kernel: 3, stride: 3}"], 2),
    "relu_chain.yaml": _spec(["relu"], 20000),
}
BUDGET = (f"the symbolic analysis takes more than {MAX_SYMBOLIC_WORK:,} steps (the limit); give numbers for some "
          f"dimensions, or fewer layers")
DIGITS = "9" * 5000


@dataclass
class Case:
    name: str
    argv: list
    exit: int
    line: str | None  # None: a success (the JSON result is checked by the test)
    check: object = field(default=None)  # a function of the parsed JSON result, for successes


def _assume(*lines):
    return [x for a in lines for x in ("--assume", a)]


SYM = ["summary", "net.yaml", "--input", "3xHxW", "--format", "json"]
CASES = [
    # ---- 1. bounded work ----------------------------------------------------------------------------------------
    Case("adaptive_pool_huge_output", ["summary", "adaptive_huge.yaml", "--input", "3xHxW"], 1,
         "adaptive_huge.yaml:4: layer 'adaptive_avgpool1': adaptive_avgpool: 2,147,483,647 windows over the symbolic "
         "height H: the sum of their lengths takes 8 operations a window, more than the limit of 2,000 in one "
         "closed form; give a number for this dimension"),
    Case("adaptive_pool_wide_output", ["summary", "adaptive_wide.yaml", "--input", "3x8xW"], 1,
         "adaptive_wide.yaml:4: layer 'adaptive_avgpool1': adaptive_avgpool: 300 windows over the symbolic width W: "
         "the sum of their lengths takes 8 operations a window, more than the limit of 2,000 in one closed form; "
         "give a number for this dimension"),
    Case("adaptive_pool_huge_output_numeric_height", ["summary", "adaptive_tall.yaml", "--input", "3x8xW",
                                                      "--format", "json"], 0, None,
         lambda d: d["layers"][0]["output_shape"] == ["3", "2147483647", "1"]  # windows: 8 + 2**31 - 1 - gcd
         and d["layers"][0]["flops"] == f"{3 * (8 + 2**31 - 1 - 1)}*W"),
    Case("adaptive_pool_200_windows", ["summary", "adaptive_200.yaml", "--input", "3xHxW"], 1,
         f"adaptive_200.yaml:5: layer 'adaptive_avgpool1': {BUDGET}"),
    Case("ceil_mode_chain_200", ["summary", "ceil_chain.yaml", "--input", "3xHxW"], 1,
         f"ceil_chain.yaml:41: layer 'maxpool38': {BUDGET}"),
    Case("floor_mode_chain_200", ["summary", "floor_chain.yaml", "--input", "3xHxW"], 1,
         f"floor_chain.yaml:74: layer 'maxpool71': {BUDGET}"),
    Case("nested_floors", ["summary", "nested_floors.yaml", "--input", "3xHxW"], 1,
         f"nested_floors.yaml:32: layer 'upsample15': {BUDGET}"),
    Case("nested_floors_few", ["summary", "nested_floors_few.yaml", "--input", "3xHxW", "--format", "json"], 0, None,
         lambda d: d["layers"][-1]["output_shape"][0] == "3" and "floor" in d["layers"][-1]["output_shape"][1]),
    Case("twenty_thousand_layers", ["summary", "relu_chain.yaml", "--input", "3xHxW"], 1,
         f"relu_chain.yaml:2670: layer 'relu2667': {BUDGET}"),
    # ---- 2. the 2**31 limits and ASCII digits -------------------------------------------------------------------
    Case("input_number_too_large", ["summary", "net.yaml", "--input", "99999999999xHxW"], 2,
         "--input: a dimension must be between 1 and 2,147,483,648, got 99999999999"),
    Case("input_number_zero", ["summary", "net.yaml", "--input", "3x0xW"], 2,
         "--input: a dimension must be between 1 and 2,147,483,648, got 0"),
    Case("input_number_of_5000_digits", ["summary", "net.yaml", "--input", f"3x{DIGITS}xW"], 2,
         "--input: a dimension: a number of 5,000 digits (the limit is 64)"),
    Case("input_superscript_two", ["summary", "net.yaml", "--input", "3x\u00b2xH"], 2,
         "--input: '\u00b2' is neither a positive integer nor a symbol name (3xHxW)"),
    Case("input_arabic_indic_digit", ["summary", "net.yaml", "--input", "\u0663xHxW"], 2,
         "--input: '\u0663' is neither a positive integer nor a symbol name (3xHxW)"),
    Case("input_symbol_name_too_long", ["summary", "net.yaml", "--input", "3xHx" + "W" * 33], 2,
         f"--input: the symbol name '{'W' * 33}' is longer than 32 characters"),
    Case("input_four_dimensions", ["summary", "net.yaml", "--input", "3xHxWxD"], 2,
         "--input must look like 3xHxW, HxW or S, got '3xHxWxD'"),
    Case("input_at_the_limit", ["summary", "net.yaml", "--input", "2147483648xHxW", "--format", "json"], 0, None,
         lambda d: d["layers"][0]["params"] == "154618822664"),
    Case("batch_too_large", [*SYM, "--batch", "99999999999"], 2,
         "batch must be at most 2,147,483,648, got 99,999,999,999"),
    Case("batch_at_the_limit", [*SYM, "--batch", "2147483648"], 0, None,
         lambda d: d["layers"][1]["activations"] == "2147483648*(8*floor(H/2 - 1/2) + 8)*(floor(W/2 - 1/2) + 1)"),
    Case("assume_number_of_5000_digits", [*SYM, *_assume(f"H >= {DIGITS}")], 2,
         "--assume 'H >= 999999999999999...(5,005 characters)': the minimum: a number of 5,000 digits (the "
         "limit is 64)"),
    Case("assume_modulus_too_large", [*SYM, *_assume("H % 99999999999 == 0")], 2,
         "--assume 'H % 99999999999 == 0': the modulus must be between 1 and 2,147,483,648, got 99999999999"),
    Case("assume_minimum_too_large", [*SYM, *_assume("H >= 2147483649")], 2,
         "--assume 'H >= 2147483649': the minimum must be between 0 and 2,147,483,648, got 2147483649"),
    Case("assume_superscript_digit", [*SYM, *_assume("H % \u00b2 == 0")], 2,
         "--assume 'H % \u00b2 == 0': the modulus must be a whole number, got '\u00b2'"),
    Case("assume_modulus_zero", [*SYM, *_assume("H % 0 == 0")], 2,
         "--assume 'H % 0 == 0': the modulus must be between 1 and 2,147,483,648, got 0"),
    Case("assume_residue_not_below_modulus", [*SYM, *_assume("H % 4 == 4")], 2,
         "--assume 'H % 4 == 4': the residue must be below the modulus 4, got 4"),
    # ---- 3. contradictions, unknown symbols, too many lines ---------------------------------------------------------
    Case("assume_same_modulus_two_residues", [*SYM, *_assume("H % 32 == 0", "H % 32 == 1")], 2,
         "the --assume lines 'H % 32 == 0' and 'H % 32 == 1' contradict each other (no size is 0 modulo 32 and 1 "
         "modulo 32)"),
    Case("assume_modulus_divides_another", [*SYM, *_assume("H % 4 == 1", "H % 2 == 0")], 2,
         "the --assume lines 'H % 4 == 1' and 'H % 2 == 0' contradict each other (no size is 1 modulo 4 and 0 "
         "modulo 2)"),
    Case("assume_common_factor", [*SYM, *_assume("H % 6 == 1", "H % 10 == 4")], 2,
         "the --assume lines 'H % 6 == 1' and 'H % 10 == 4' contradict each other (one says 1 modulo 2, the other 0 "
         "modulo 2)"),
    Case("assume_through_an_equality", [*SYM, *_assume("W == H", "W % 2 == 0", "H % 2 == 1")], 2,
         "the --assume lines 'W == H', 'W % 2 == 0' and 'H % 2 == 1' contradict each other (no size is 0 modulo 2 "
         "and 1 modulo 2)"),
    Case("assume_through_a_chain_of_equalities",
         ["summary", "net.yaml", "--input", "AxBxC", *_assume("A == B", "A % 2 == 0", "C == B", "C % 4 == 1")], 2,
         "the --assume lines 'A == B', 'C == B', 'A % 2 == 0' and 'C % 4 == 1' contradict each other (no size is "
         "0 modulo 2 and 1 modulo 4)"),
    Case("assume_minimum_leaves_no_size", [*SYM, *_assume("H >= 2147483600", "H % 1000 == 1")], 2,
         "the --assume lines 'H >= 2147483600' and 'H % 1000 == 1' contradict each other (no size from "
         "2,147,483,600 up to the limit of 2,147,483,648 is 1 modulo 1,000)"),
    Case("assume_minimum_at_the_limit", [*SYM, *_assume("H >= 2147483648", "H % 2 == 1")], 2,
         "the --assume lines 'H >= 2147483648' and 'H % 2 == 1' contradict each other (the only size allowed, "
         "2,147,483,648 (the limit), is not 1 modulo 2)"),
    Case("assume_combined_modulus_too_large", [*SYM, *_assume("H % 2147483647 == 5", "H % 2147483629 == 7")], 2,
         "the --assume lines 'H % 2147483647 == 5' and 'H % 2147483629 == 7' together ask for a size that is "
         "4,099,276,422,885,467,044 modulo 4,611,685,975,477,714,963, a modulus above the limit of 2,147,483,648 "
         "(at most one size fits; give it as a number)"),
    Case("assume_the_same_minimum_twice", [*SYM, *_assume("H >= 64", "H >= 64")], 0, None,
         lambda d: d["sample"] == {"H": 64, "W": 32} and d["valid_where"] == []),
    Case("assume_compatible_congruences", [*SYM, *_assume("H % 6 == 1", "H % 10 == 3", "H >= 100")], 0, None,
         lambda d: d["sample"]["H"] == 103 and d["layers"][0]["output_shape"][1] == "H/2 + 1/2"),
    Case("assume_equality_carries_the_congruence", [*SYM, *_assume("W == H", "W % 32 == 0")], 0, None,
         lambda d: d["input"] == ["3", "H", "H"] and d["layers"][0]["output_shape"] == ["8", "H/2", "H/2"]),
    Case("assume_unknown_symbol", [*SYM, *_assume("Q % 2 == 0")], 2,
         "--assume 'Q % 2 == 0' names 'Q', which is not a symbol of --input (H, W)"),
    Case("assume_unknown_symbol_on_the_right", [*SYM, *_assume("H == Q")], 2,
         "--assume 'H == Q' names 'Q', which is not a symbol of --input (H, W)"),
    Case("assume_too_many_lines", [*SYM, *_assume(*["H >= 1"] * (MAX_ASSUMPTIONS + 1))], 2,
         f"at most {MAX_ASSUMPTIONS} --assume lines, got {MAX_ASSUMPTIONS + 1}"),
    Case("assume_as_many_lines_as_allowed", [*SYM, *_assume(*[f"H >= {i}" for i in range(MAX_ASSUMPTIONS)])], 0,
         None, lambda d: d["sample"]["H"] == 32 and len(d["assumptions"]) == MAX_ASSUMPTIONS),
    Case("assume_long_text", [*SYM, *_assume("H" + " " * 100_000 + "is even")], 2,
         "--assume 'H                   ...(100,008 characters)': write 'H % 32 == 0', 'W == H' or 'H >= 64'"),
]


# ---- running ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict:
    """Every selected CLI case, run once, as many at a time as there are CPUs (the specs written first)."""
    selected = [item.callspec.params["case"] for item in request.session.items
                if getattr(item, "originalname", None) == "test_cli_case" and hasattr(item, "callspec")]
    d = tmp_path_factory.mktemp("symbolic_hostile")
    for name, text in SPECS.items():
        (d / name).write_text(text)
    workers = max(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2)
    pending, running, done = list(selected), [], {}
    while pending or running:
        while pending and len(running) < workers:
            c = pending.pop(0)
            out, err = open(d / f"{c.name}.out", "wb+"), open(d / f"{c.name}.err", "wb+")  # noqa: SIM115
            p = subprocess.Popen([sys.executable, "-m", "archstat", *c.argv], cwd=d, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=err, env=cli_env(), preexec_fn=limit_memory)
            running.append((c, p, time.monotonic(), out, err))
        still = []
        for c, p, t0, out, err in running:
            rc, elapsed = p.poll(), time.monotonic() - t0
            if rc is None and elapsed < TIMEOUT_S:
                still.append((c, p, t0, out, err))
                continue
            if rc is None:
                p.kill()
                p.wait()
            texts = []
            for fh in (out, err):
                fh.seek(0)
                texts.append(fh.read().decode("utf-8", "replace"))
                fh.close()
            done[c.name] = Outcome(rc, texts[0], texts[1], elapsed)
        running = still
        time.sleep(0.005)
    return done


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_case(case, outcomes):
    o = outcomes[case.name]
    assert o.rc is not None, f"no answer within {TIMEOUT_S} s"
    assert "Traceback" not in o.stderr, o.stderr[-3000:]
    if case.line is None:
        assert (o.rc, o.stderr) == (0, ""), o.stderr
        assert case.check(json.loads(o.stdout)), o.stdout[:3000]
        return
    assert (o.rc, o.stderr, o.stdout) == (case.exit, f"{PREFIX}{case.line}\n", "")


def test_case_names_are_unique():
    assert len({c.name for c in CASES}) == len(CASES)


# ---- direct calls: --input and --assume ---------------------------------------------------------------------------
def test_parse_symbolic_input_reads_ascii_digits_up_to_the_limit():
    assert parse_symbolic_input("3xHxW") == [3, "H", "W"]
    assert parse_symbolic_input(" 0003 x H * W ") == [3, "H", "W"]
    assert parse_symbolic_input(f"{MAX_DIM}xS") == [MAX_DIM, "S"]
    assert parse_symbolic_input("3x224x224") is None  # no symbol: the numeric path
    for text, message in [(f"{MAX_DIM + 1}xHxW", ("--input: a dimension must be between 1 and 2,147,483,648, got "
                                                   "2147483649")),
                          ("3x\u00b2xH", "--input: '\u00b2' is neither a positive integer nor a symbol name (3xHxW)"),
                          ("3x\u0663xH", "--input: '\u0663' is neither a positive integer nor a symbol name (3xHxW)"),
                          ("3xH\u00e9xW", "--input: 'H\u00e9' is neither a positive integer nor a symbol name (3xHxW)"),
                          ("HxWxCxD", "--input must look like 3xHxW, HxW or S, got 'HxWxCxD'"),
                          ("3xHx", "--input: '' is neither a positive integer nor a symbol name (3xHxW)")]:
        with pytest.raises(UsageError) as e:
            parse_symbolic_input(text)
        assert str(e.value) == message


def test_parse_assumption_normal_form_and_numbers():
    a = parse_assumption("  H%0032==07 ")
    assert (a.text, a.name, a.modulus, a.residue) == ("H % 32 == 7", "H", 32, 7)
    assert parse_assumption("W==H").text == "W == H"
    assert parse_assumption(f"H >= {MAX_DIM}").minimum == MAX_DIM
    assert parse_assumption("H >= 0").minimum == 0
    for text, message in [("H % 32 == 32", "--assume 'H % 32 == 32': the residue must be below the modulus 32, got 32"),
                          ("H % -2 == 0", "--assume 'H % -2 == 0': the modulus must be a whole number, got '-2'"),
                          ("H >= 1e9", "--assume 'H >= 1e9': the minimum must be a whole number, got '1e9'"),
                          ("H\u00e9 >= 2", "--assume 'H\u00e9 >= 2': write 'H % 32 == 0', 'W == H' or 'H >= 64'"),
                          ("H >= \u0663", "--assume 'H >= \u0663': the minimum must be a whole number, got '\u0663'")]:
        with pytest.raises(UsageError) as e:
            parse_assumption(text)
        assert str(e.value) == message


def test_congruences_combine_by_the_chinese_remainder_theorem():
    lines = [parse_assumption(t) for t in ("H % 6 == 1", "H % 10 == 3", "H >= 100", "W == H", "H >= 50")]
    rep, sizes = resolve_assumptions(lines, ["H", "W"])
    assert rep == {"H": "H", "W": "H"}
    z = sizes["H"]
    assert (z.modulus, z.residue, z.minimum) == (30, 13, 100)
    assert all(n % 6 == 1 and n % 10 == 3 for n in (z.residue, z.residue + z.modulus))


def test_every_pair_of_congruences_is_checked():
    """Pairwise compatible congruences are compatible together, so the conflict is always between two lines."""
    lines = [parse_assumption(t) for t in ("H % 4 == 1", "H % 9 == 2", "H % 25 == 3", "H % 6 == 4")]
    with pytest.raises(UsageError) as e:
        resolve_assumptions(lines, ["H", "W"])
    assert str(e.value) == ("the --assume lines 'H % 4 == 1' and 'H % 6 == 4' contradict each other (one says 1 "
                            "modulo 2, the other 0 modulo 2)")


def test_equal_symbols_share_their_congruences():
    """W == H with W % 32 == 0: the congruence holds for H too (it was dropped silently), so no floors are left."""
    sa = analyze_symbolic(archstat.load("vgg16"), [3, "H", "W"], [parse_assumption("W == H"),
                                                                  parse_assumption("W % 32 == 0")])
    assert sa.input_shape == (3, H, H)
    assert not sa.totals["macs"].has(sp.floor)
    assert sp.expand(sa.totals["params"] - (2097152 * H**2 / 1024 + 35597096)) == 0
    assert sa.sample == {"H": 224, "W": 224}


def test_batch_limits(write_spec):
    g = archstat.load(write_spec(NET))
    for batch, message in [(MAX_DIM + 1, f"batch must be at most 2,147,483,648, got {MAX_DIM + 1:,}"),
                           (0, "batch must be at least 1, got 0")]:
        with pytest.raises(UsageError) as e:
            analyze_symbolic(g, [3, "H", "W"], batch=batch)
        assert str(e.value) == message
    sa = analyze_symbolic(g, [3, "H", "W"], batch=MAX_DIM)
    assert sp.expand(sa.layers[1].activations - MAX_DIM * 8 * (sp.floor(H / 2 - sp.Rational(1, 2)) + 1)
                     * (sp.floor(W / 2 - sp.Rational(1, 2)) + 1)) == 0


# ---- direct calls: the budget and the size of one closed form ------------------------------------------------------
def test_the_budget_is_the_runs(write_spec):
    """Analyses in one run share its budget: the second of two analyses sees what the first spent."""
    g = archstat.load(write_spec(NET))
    with scope() as run:
        analyze_symbolic(g, [3, "H", "W"])
        one = run.symbolic
        assert 0 < one < MAX_SYMBOLIC_WORK // 20
        analyze_symbolic(g, [3, "H", "W"])
        assert run.symbolic > one
        run.symbolic = MAX_SYMBOLIC_WORK - 10
        with pytest.raises(SpecError) as e:
            analyze_symbolic(g, [3, "H", "W"])
    assert str(e.value).endswith(f"layer 'conv1': {BUDGET}")


def test_the_largest_zoo_spec_leaves_room_in_the_budget():
    """NASNet-A mobile (912 layers) is the longest analysis of the zoo; it must stay well inside the budget."""
    with scope() as run:
        analyze_symbolic(archstat.load("nasnet_a_mobile"), [3, "H", "W"])
    assert run.symbolic < MAX_SYMBOLIC_WORK // 2


def test_a_closed_form_longer_than_the_limit_is_refused():
    from archstat.core.symbolic import _built, _ops, _reset

    _reset()
    syms = sp.symbols(f"s0:{MAX_SYMBOLIC_OPS + 2}", positive=True, integer=True)
    with scope():
        assert _built(sp.Add(*syms[:MAX_SYMBOLIC_OPS + 1])) is not None  # n terms: n - 1 additions
        with pytest.raises(SpecError) as e:
            _built(sp.Add(*syms), "its FLOPs")
    assert str(e.value) == ("its FLOPs takes more than 2,000 operations in closed form (the limit); give numbers for "
                            "some dimensions of --input")
    # a tree of 2**200 nodes (one subexpression used twice at every level) is measured at once, not walked
    e = sp.Symbol("x")
    for _ in range(200):
        e = sp.Function("f")(e, e)
    t0 = time.monotonic()
    assert _ops(e) > MAX_SYMBOLIC_OPS
    assert time.monotonic() - t0 < 1


def test_sympy_failures_become_one_line(write_spec, monkeypatch):
    g = archstat.load(write_spec(NET))
    layer = g.nodes[0].layer

    def deep(ins):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(layer, "output_shape", deep)
    with pytest.raises(SpecError) as e:
        analyze_symbolic(g, [3, "H", "W"])
    assert str(e.value).endswith("layer 'conv1': conv: no closed form in symbolic sizes (the expressions nest too "
                                 "deeply)")
    monkeypatch.setattr(layer, "output_shape", lambda ins: (_ for _ in ()).throw(OverflowError("int too large")))
    with pytest.raises(SpecError) as e:
        analyze_symbolic(g, [3, "H", "W"])
    assert str(e.value).endswith("layer 'conv1': conv: no closed form in symbolic sizes (a number grows too large)")


def test_a_size_below_one_at_the_sample_is_a_shape_error(write_spec):
    g = archstat.load(write_spec(_spec(["maxpool: {kernel: 9, stride: 9}"], input_="[3, 8, 8]")))
    with pytest.raises(ShapeError):
        analyze_symbolic(g, [3, 8, "W"])


def test_an_expression_too_deep_to_print_is_one_line():
    from archstat.render.symbolic import to_csv, to_json, to_markdown

    e = H
    for _ in range(5000):
        e = sp.floor(e, evaluate=False)
    sa = SymAnalysis("deep", (3, H, W), {"H": H, "W": W}, {"H": 8, "W": 8},
                     [SymLayer("l", "relu", (3, e, W), 0, 0, 0, 0)], {"params": 0, "macs": 0, "flops": 0,
                                                                     "activations": 0})
    for render in (to_json, to_csv, to_markdown):
        with pytest.raises(SpecError) as err:
            render(sa)
        assert str(err.value) == "the closed forms nest too deeply to print; give numbers for some dimensions of --input"

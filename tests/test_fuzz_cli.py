"""A fuzzer over the command line's own surfaces, beside test_fuzz.py's mutated specs: option values (``--input``,
``--sizes``, ``--batch``, ``--assume``, layer names), claims files and bench result files, drawn from alphabets that
hold what broke before (superscript and Arabic-Indic digits, huge numbers, control characters, separators).
Every run must end in a result or one line on standard error with a documented exit code (0, 1, 2; 3 for check),
never another exception. The CLI runs in-process, as ``archstat.cli.main`` runs it (typer, non-standalone).
"""

from __future__ import annotations

import contextlib
import io
import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCALE = int(os.environ.get("ARCHSTAT_FUZZ", "0"))
SETTINGS = dict(max_examples=60 * (SCALE or 1), derandomize=not SCALE, deadline=timedelta(seconds=5),
                database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

DIGITS = "0123456789"
ODD = "²³¹٣߃０ⅫxX*,:;-+._ \t\n\x1b\x00\u202e"
NUMBERISH = st.one_of(
    st.text(DIGITS + "x:,", max_size=30),
    st.text(DIGITS + ODD + "HWhwS", max_size=20),
    st.integers(-10, 10**80).map(str),
    st.builds(lambda a, b, c: f"{a}x{b}x{c}", st.integers(0, 10**12), st.integers(0, 10**12), st.integers(0, 10**12)),
    st.builds(lambda a, b, c: f"{a}:{b}:{c}", st.integers(0, 10**12), st.integers(0, 10**12), st.integers(0, 10**6)),
)
ASSUME = st.one_of(
    st.builds(lambda s, m, r: f"{s} % {m} == {r}", st.sampled_from("HWCQ"), st.integers(-3, 10**60),
              st.integers(-3, 10**60)),
    st.builds(lambda a, b: f"{a} == {b}", st.sampled_from("HWC3"), st.sampled_from("HWC3")),
    st.builds(lambda s, op, n: f"{s} {op} {n}", st.sampled_from("HW"), st.sampled_from([">=", "<=", ">", "<", "=="]),
              st.integers(-10, 10**50)),
    st.text(DIGITS + ODD + "HW%=<> ", max_size=25),
)


def run(args: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """Run the CLI in-process as ``archstat.cli.main`` does; the exit code, standard output and error."""
    import sys

    from archstat.cli import _click_exceptions, app
    from archstat.errors import one_line

    cx = _click_exceptions()
    out, err = io.StringIO(), io.StringIO()
    real_stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = app(args, standalone_mode=False)
                rc = rc if isinstance(rc, int) else 0
            except cx.UsageError as e:
                err.write(f"archstat: error: {one_line(e.format_message())}\n")
                rc = 2
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else 0
    finally:
        sys.stdin = real_stdin
    return rc, out.getvalue(), err.getvalue()


def clean(rc: int, err: str, codes=(0, 1, 2)) -> None:
    assert rc in codes, (rc, err)
    if rc:
        assert err.startswith("archstat: error: ") and err.count("\n") == 1, err
        assert "Traceback" not in err


@settings(**SETTINGS)
@given(NUMBERISH)
def test_input_option(text):
    rc, _, err = run(["summary", "lenet5", "--format", "json", "--input", text])
    clean(rc, err)


@settings(**SETTINGS)
@given(NUMBERISH)
def test_sizes_option(text):
    rc, _, err = run(["sweep", "lenet5", "--format", "csv", "--sizes", text])
    clean(rc, err)


@settings(**SETTINGS)
@given(NUMBERISH)
def test_batch_option(text):
    rc, _, err = run(["summary", "lenet5", "--format", "csv", "--batch", text])
    clean(rc, err)


@settings(**{**SETTINGS, "max_examples": 30 * (SCALE or 1)})
@given(st.lists(ASSUME, min_size=1, max_size=4), st.sampled_from(["3xHxW", "3xHxH", "CxHxW", "3xSxS", "1xHx32"]))
def test_assume_option(lines, dims):
    args = ["summary", "lenet5", "--format", "json", "--input", dims]
    for a in lines:
        args += ["--assume", a]
    rc, _, err = run(args)
    clean(rc, err)


@settings(**SETTINGS)
@given(st.text(max_size=40))
def test_explain_layer_names(name):
    rc, _, err = run(["explain", "lenet5", name])
    clean(rc, err)


CLAIM_FIELDS = st.fixed_dictionaries({
    "spec": st.one_of(st.sampled_from(["lenet5", "alexnet", "-", "", "/dev/zero", "nope", "specs/lenet5.yaml"]),
                      st.text(max_size=10)),
    "quantity": st.sampled_from(["params", "macs", "flops", "output_shape", "activations", "mystery", ""]),
    "value": st.one_of(NUMBERISH, st.text(max_size=40), st.sampled_from([".inf", ".nan", "1e999", "~60 million",
                                                                           " " * 500, "1" + " x 1" * 200])),
    "source": st.text(max_size=20),
})


def _yaml_scalar(v: str) -> str:
    import json

    return json.dumps(v)  # a JSON string is a YAML double-quoted scalar


@settings(**SETTINGS)
@given(st.lists(CLAIM_FIELDS, min_size=1, max_size=3), st.sampled_from(["", "layer: conv1\n    "]))
def test_claims_files(tmp_path_factory, claims, extra):
    d = tmp_path_factory.mktemp("claims")
    body = "claims:\n" + "".join(
        "  - " + extra + "\n    ".join(f"{k}: {_yaml_scalar(v)}" for k, v in c.items()) + "\n" for c in claims)
    (d / "c.yaml").write_text(body, encoding="utf-8")
    rc, out, err = run(["verify", "--claims", str(d / "c.yaml"), "--format", "csv"])
    if rc == 1 and not err:  # a mismatch is a verdict (exit 1, README "Exit codes"), listed on standard output
        assert ",mismatch," in out, out
        return
    clean(rc, err)


@settings(**SETTINGS)
@given(st.lists(st.lists(st.one_of(NUMBERISH, st.text(max_size=8)), min_size=9, max_size=9), max_size=4))
def test_bench_result_files(tmp_path_factory, rows):
    from archstat.errors import ArchstatError
    from archstat.plot.throughput import read_results

    d = tmp_path_factory.mktemp("bench")
    head = "spec,impl,device,dtype,channels_last,compile,batch,status,images_per_s\n"
    text = head + "".join(",".join(v.replace(",", " ").replace("\n", " ") for v in r) + "\n" for r in rows)
    (d / "b.csv").write_text(text, encoding="utf-8")
    try:
        read_results([str(d / "b.csv")])
    except ArchstatError as e:
        assert "\n" not in str(e)


@pytest.mark.parametrize("args", [
    ["summary", "lenet5", "--input", "3x²x32"],
    ["summary", "lenet5", "--input", "3x" + "9" * 5000 + "x32"],
    ["summary", "lenet5", "--input", "3xHxW", "--assume", "H % " + "7" * 5000 + " == 0"],
    ["sweep", "lenet5", "--sizes", "0:1000000000:1"],
    ["sweep", "lenet5", "--sizes", "1:" + "9" * 5000],
    ["summary", "lenet5", "--batch", "9" * 5000],
])
def test_known_hostile_command_lines(args):
    rc, _, err = run(args)
    clean(rc, err)
    assert rc == 2, err

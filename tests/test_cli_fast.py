"""The fast path of ``archstat summary`` (issue 18, speed): JSON, CSV and a pipe answered without typer, rich,
torch or pandas, and with the typer command's own options, output and exit codes. No timings here: those are
bench/bench_core.py's (reports/perf_core.md)."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from archstat.cli import _fast

ROOT = Path(__file__).resolve().parents[1]

_PROBE = r"""
import io, json, sys, contextlib
sys.argv = ["archstat", *sys.argv[1:]]
out, code = io.StringIO(), 0
from archstat.cli import main
try:
    with contextlib.redirect_stdout(out):
        main()
except SystemExit as e:
    code = e.code
print(json.dumps({"code": code, "out": out.getvalue(),
                  "loaded": sorted(m for m in ("rich", "typer", "click", "torch", "pandas", "fvcore", "numpy")
                                   if m in sys.modules)}))
"""


def probe(*args) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    env.pop("COLUMNS", None)
    r = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=120)
    return {**json.loads(r.stdout.strip().splitlines()[-1]), "stderr": r.stderr}


@pytest.mark.parametrize("args", [("summary", "resnet50", "--format", "json"), ("summary", "vgg16", "-f", "csv"),
                                  ("summary", "resnet18", "--depth=1")])
def test_json_csv_and_pipes_import_no_typer_rich_torch_or_pandas(args):
    p = probe(*args)
    assert p["code"] == 0, p["stderr"]
    assert p["loaded"] == [], p["loaded"]


def test_the_fast_path_prints_what_the_typer_command_prints():
    from typer.testing import CliRunner

    from archstat.cli import app

    for args in (["summary", "resnet18", "--format", "json", "--depth", "1"], ["summary", "alexnet", "-f", "csv",
                                                                              "-b", "4", "--dtype", "float16"]):
        p = probe(*args)
        assert p["code"] == 0 and p["out"] == CliRunner().invoke(app, args).output


def test_errors_have_the_typer_commands_line_and_code(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ninput: [3, 8, 8]\nlayers:\n  - convv\n")
    p = probe("summary", str(bad), "--format", "json")
    assert p["code"] == 1 and p["stderr"] == f"archstat: error: {bad}:4: unknown layer kind 'convv' (did you " \
                                             "mean 'conv'?)\n"
    assert p["loaded"] == []
    p = probe("summary", "resnet18", "--batch", "0", "-f", "json")  # typer judges what it would reject
    assert p["code"] == 2 and "--batch" in p["stderr"] and p["stderr"].count("\n") == 1
    assert probe("summary", "nosuchnet", "-f", "json")["code"] == 1


def test_what_the_fast_path_leaves_to_typer():
    for argv in (["summary", "r", "--help"], ["summary", "r", "--assume", "H == W"], ["summary", "r", "-i", "3xHxW"],
                 ["summary", "r", "--batch", "0"], ["summary", "r", "-f", "yaml"], ["summary", "r", "--bogus"],
                 ["summary"], ["summary", "a", "b"], ["explain", "r", "conv1"], ["summary", "r", "-b", "1", "-b", "2"]):
        assert _fast.parse(argv) is None, argv
    assert _fast.parse(["summary", "r", "-i", "3x64x64", "--format=json", "--wide"]) == {
        "spec": "r", "input": "3x64x64", "batch": 1, "dtype": "float32", "format": "json", "output": None,
        "depth": None, "wide": True}


def test_the_fast_paths_options_are_the_typer_commands():
    """One source of truth: every option of ``analyse.summary`` but --assume (symbolic: typer's path) is in
    ``_fast.OPTIONS`` with the same flags, and nothing else is."""
    import typer

    from archstat.cli import analyse

    hints = typing.get_type_hints(inspect.unwrap(analyse.summary), include_extras=True)
    flags = {}
    for name in inspect.signature(analyse.summary).parameters:
        if name in ("spec", "assume"):
            continue
        info = next(m for m in getattr(hints[name], "__metadata__", ()) if isinstance(m, typer.models.OptionInfo))
        first = (info.default,) if isinstance(info.default, str) and info.default.startswith("-") else ()
        flags[name] = first + tuple(info.param_decls)  # in Annotated, typer reads the first flag as 'default'
    assert flags == {name: f for name, (f, _) in _fast.OPTIONS.items()}

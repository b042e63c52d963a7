"""The README is part of the product: its commands are the ones CI runs, and its references are complete."""

import re

from conftest import ROOT


def readme() -> str:
    return (ROOT / "README.md").read_text()


def test_first_screen_has_the_two_commands():
    first = readme()[:1500]
    assert "pip install -e . && archstat summary vgg16" in first
    assert 'pip install -e ".[test]" && python -m pytest -q' in first


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    test_cmd = re.search(r'^(pip install -e "\.\[test\]" && python -m pytest -q)$', readme(), re.M).group(1)
    assert test_cmd in ci.splitlines()
    assert 'pip install -q "torch==2.13.0"' in ci


def test_every_layer_kind_is_documented():
    """The README's layer-kind table is exactly what `archstat kinds --markdown` (``archstat.layers.markdown_table``)
    generates from the registered classes: a new kind's file needs only the table regenerated."""
    from archstat.layers import KINDS, markdown_table

    table = markdown_table()
    assert table in readme(), "README layer table is stale: regenerate it with `archstat kinds --markdown`"
    for kind, cls in KINDS.items():
        assert f"| `{kind}` |" in table and cls.summary and cls.flops_rule, kind


def test_limits_match_the_code():
    """The README's Limits table is generated from archstat/io/limits.py; every bound there is described, and used."""
    import re

    from archstat.io import limits

    text = readme()
    assert limits.limits_markdown() in text
    constants = {n for n in vars(limits) if n.startswith("MAX_")}
    assert constants == {name for name, _, _ in limits.LIMITS}, "a bound without a row in LIMITS, or the reverse"
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "archstat").rglob("*.py")
                       if p.name != "limits.py")
    unused = [n for n in constants if not re.search(rf"\b{n}\b", source)]
    assert not unused, f"bounds nothing enforces: {unused}"
    from archstat.core.engine import RF_BITS
    from archstat.errors import MAX_MESSAGE_CHARS

    assert f"fit {RF_BITS} bits" in text and f"cut to {MAX_MESSAGE_CHARS:,} characters" in text


def test_zoo_table_is_what_archstat_list_prints():
    from typer.testing import CliRunner

    from archstat.cli import app

    r = CliRunner().invoke(app, ["list", "--format", "markdown"])
    assert r.exit_code == 0
    assert r.output in readme(), "README zoo table is stale: regenerate it with `archstat list --format markdown`"


def test_readme_examples_are_the_current_output():
    """The summary and explain examples on the README's first pages are what the tool prints now."""
    from typer.testing import CliRunner

    from archstat.cli import app

    text = readme()
    r = CliRunner().invoke(app, ["summary", "resnet18", "--depth", "1"], env={"COLUMNS": "140"})
    table = [line.rstrip() for line in r.output.splitlines()]
    table = table[: next(i for i, line in enumerate(table) if line.startswith("Activations")) + 1]
    assert "\n".join(table) in text
    r = CliRunner().invoke(app, ["explain", "alexnet", "conv1"])
    assert "\n".join(line.rstrip() for line in r.output.splitlines()) in text

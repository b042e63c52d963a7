"""`archstat report`: the committed reports/ are what the tool writes now (no stale report), and the index shows
what it claims to."""

import re
from pathlib import Path

import pytest

from archstat.render.report import PROFILED, build

pytest.importorskip("matplotlib")
ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "reports"
REGENERATE = "regenerate with: archstat report"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    return out, build(out, check=False, bench_dir=REPORTS / "bench")


def _image(path):
    import matplotlib.image

    return matplotlib.image.imread(str(path))


def test_text_reports_are_current(fresh):
    out, files = fresh
    texts = [f for f in files if f.suffix != ".png"]
    assert {f.relative_to(out).as_posix() for f in texts} >= {"README.md", "architectures.csv", "verification.md",
                                                               "verification.csv", "plots/landscape.csv"}
    for f in texts:
        rel = f.relative_to(out)
        committed = REPORTS / rel
        assert committed.exists(), f"reports/{rel} is missing: {REGENERATE}"
        assert committed.read_text() == f.read_text(), f"reports/{rel} is stale: {REGENERATE}"


def test_pictures_are_current(fresh):
    """Each picture's values are checked exactly through its CSV (above); the image itself must look the same:
    same size, and at most 0.5% of its pixels visibly different (fonts may rasterise a little differently
    elsewhere)."""
    import numpy as np

    out, files = fresh
    for f in (f for f in files if f.suffix == ".png"):
        rel = f.relative_to(out)
        committed = REPORTS / rel
        assert committed.exists(), f"reports/{rel} is missing: {REGENERATE}"
        new, old = _image(f), _image(committed)
        assert new.shape == old.shape, f"reports/{rel} has another size: {REGENERATE}"
        differ = (np.abs(new - old).max(axis=-1) > 0.1).mean()
        assert differ < 0.005, f"reports/{rel}: {differ:.2%} of the pixels differ: {REGENERATE}"


def test_no_orphan_plots(fresh):
    _out, files = fresh
    made = {f.name for f in files if f.parent.name == "plots"}
    assert {p.name for p in (REPORTS / "plots").iterdir()} == made, f"reports/plots has files the tool no longer " \
                                                                    f"writes: {REGENERATE}"


def test_index_links_resolve_and_shows_every_picture():
    text = (REPORTS / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        assert (REPORTS / target).exists(), f"reports/README.md links to a missing {target}"
    for n in PROFILED:
        assert f"plots/profile_{n}.png" in text
    assert "![Top-1 accuracy against GMACs" in text and "plots/rf.png" in text
    m = re.search(r"\d+ claims: \d+ match, \d+ explained, (\d+) mismatch(?: \((\d+) acknowledged)?", text)
    assert m and m.group(1) == (m.group(2) or "0")  # every mismatch one acknowledged as its source's error


def test_readme_embeds_the_landscape():
    assert "](reports/plots/landscape.png)" in (ROOT / "README.md").read_text()


def test_landscape_lists_every_spec_once():
    import csv

    from archstat.language.catalog import builtin_names

    drawn = [r["spec"] for r in csv.DictReader((REPORTS / "plots/landscape.csv").read_text().splitlines())]
    text = (REPORTS / "README.md").read_text()
    left = re.search(r"Left out: (.*)\.\n", text).group(1)
    left_names = [x.split(" (")[0] for x in left.split("; ")]
    assert sorted(drawn + left_names) == sorted(builtin_names())


def test_report_command_writes_the_index(tmp_path):
    from typer.testing import CliRunner

    from archstat.cli import app

    out = tmp_path / "r"
    r = CliRunner().invoke(app, ["report", "--no-check", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "README.md").exists() and (out / "plots" / "landscape.png").exists()
    assert not (out / "check.md").exists()  # --no-check
    bad = tmp_path / "file"
    bad.write_text("x")
    r = CliRunner().invoke(app, ["report", "--no-check", "--output", str(bad)])
    assert r.exit_code == 2 and "is not a directory" in r.output

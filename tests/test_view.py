"""``archstat view`` without a browser: the model every zoo spec draws, the self-contained page, the Graphviz drawing
and its errors. The page in a real browser is tests/test_view_browser.py."""

import html
import json
import re
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import archstat
from archstat.cli import app
from archstat.language.catalog import builtin_names
from archstat.view.model import CLUSTERS, VISIBLE, build, groups_of, shown_as, visible_count
from archstat.view.page import html_page

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def embedded(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="model">(.*?)</script>', page, re.S)
    assert m, "the page embeds its model"
    return json.loads(m.group(1))


def test_every_zoo_spec_has_a_page(tmp_path):
    """archstat view --all --output-dir: one page per built-in spec, each embedding every layer and every link."""
    r = run("view", "--all", "--output-dir", str(tmp_path))
    assert r.exit_code == 0, r.output
    names = builtin_names()
    assert sorted(p.stem for p in tmp_path.glob("*.html")) == names
    for name in ("lenet5", "googlenet", "unet", "vit_b_16", "densenet201"):
        m = embedded((tmp_path / f"{name}.html").read_text())
        a = archstat.analyze(name)
        assert [n["id"] for n in m["nodes"]] == ["input"] + [r.name for r in a.layers]
        assert len(m["edges"]) == sum(len(set(r.inputs)) for r in a.layers)
        assert m["totals"]["macs"] == a.totals.macs and m["totals"]["params"] == a.totals.params


def test_page_is_self_contained():
    page = html_page(build(archstat.analyze("googlenet")))
    # nothing fetched: no src= or href= at all, no URL a browser would load, no source map
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "sourceMappingURL" not in page and "@import" not in page
    assert not re.search(r"url\((?!#)", page)  # only url(#arrow), the marker inside the SVG
    assert page.count("<script") == 3 and "dagre" in page
    # the model survives the trip through the page, a layer name that looks like markup included
    assert embedded(page)["totals"]["params"] == archstat.analyze("googlenet").totals.params


def test_markup_in_names_cannot_escape(write_spec):
    """Layer names are plain (the spec language allows letters, digits, '_', '-', '.'), but a title is free text."""
    spec = write_spec('name: tiny\ntitle: "<i>t</i></script><script>alert(1)</script>"\ninput: [1, 8, 8]\n'
                      'layers:\n  - conv: {out: 2, kernel: 3}\n')
    page = html_page(build(archstat.analyze(spec)))
    assert page.count("</script>") == 3  # the three script elements' own ends, no more
    assert "<i>t</i>" not in page and html.escape("<i>t</i>") in page
    assert embedded(page)["title"] == "<i>t</i></script><script>alert(1)</script>"


def test_node_shows_kind_shape_params_macs_and_explain():
    a = archstat.analyze("alexnet")
    m = build(a)
    conv1 = next(n for n in m["nodes"] if n["id"] == "conv1")
    assert (conv1["kind"], conv1["shape"], conv1["params"], conv1["macs"]) == ("conv", "96x55x55", 34_944, 105_415_200)
    # the derivation is explain's, word for word (the CLI prints the same lines)
    r = run("explain", "alexnet", "conv1")
    assert r.exit_code == 0
    assert conv1["explain"].split() == r.output.split()
    assert "MACs    = 55*55*96 * 11*11*3 = 105,415,200" in conv1["explain"]


def test_groups_from_dotted_names():
    g = groups_of(["layer1.0.conv1", "layer1.0.bn1", "layer1.1.conv1", "layer1.1.bn1", "fc.0", "pool"])
    assert list(g) == ["layer1", "layer1.0", "layer1.1"]  # a lone fc.0 is drawn as itself, not as a group
    assert g["layer1"].children == ["layer1.0", "layer1.1"] and g["layer1.0"].parent == "layer1"
    assert shown_as("layer1.0.conv1", g, 1) == "layer1"
    assert shown_as("layer1.0.conv1", g, 2) == "layer1.0"
    assert shown_as("layer1.0.conv1", g, 3) == "layer1.0.conv1" == shown_as("layer1.0.conv1", g, None)


def test_group_sums_its_layers():
    a = archstat.analyze("resnet18")
    m = build(a)
    g = next(x for x in m["groups"] if x["id"] == "layer2")
    inside = [r for r in a.layers if r.name.startswith("layer2.")]
    assert g["layers"] == len(inside) == 16
    assert g["params"] == sum(r.n_params for r in inside) == 525_568  # the summary's --depth 1 row
    assert g["macs"] == sum(r.macs for r in inside)
    assert g["shape"] == "128x28x28"


def test_large_networks_open_collapsed():
    a = archstat.analyze("densenet201")
    assert len(a.layers) > 700 > VISIBLE
    m = build(a)
    groups = groups_of([r.name for r in a.layers])
    assert m["depth"] is not None and visible_count(a, groups, m["depth"]) <= VISIBLE
    assert sum(1 for g in m["groups"] if not g["collapsed"]) <= CLUSTERS
    assert any(g["collapsed"] for g in m["groups"])
    small = build(archstat.analyze("lenet5"))
    assert small["depth"] is None and not any(g["collapsed"] for g in small["groups"])
    # --depth wins: depth 1 closes every top-level group
    one = build(a, depth=1)
    assert all(g["collapsed"] for g in one["groups"])
    assert visible_count(a, groups, 1) < 10


def test_cli_errors_are_one_line(tmp_path):
    r = run("view", "lenet5", "--output", str(tmp_path / "x.txt"))
    assert r.exit_code == 2 and "must end in .html, .svg or .png" in r.output
    r = run("view", "lenet5", "alexnet", "--output", str(tmp_path / "x.html"))
    assert r.exit_code == 2 and "--output-dir" in r.output
    r = run("view", "lenet5", "--color-by", "flops")
    assert r.exit_code == 2
    r = run("view", "no_such_spec", "--output", str(tmp_path / "x.html"))
    assert r.exit_code == 1 and "\n" not in r.output.strip()


def test_default_output_is_name_html(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("view", "lenet5", "--color-by", "params", "--depth", "1")
    assert r.exit_code == 0, r.output
    m = embedded((tmp_path / "lenet5.html").read_text())
    assert m["color_by"] == "params" and m["depth"] == 1


def test_summary_never_loads_the_view():
    code = ("import sys; sys.argv = ['archstat', 'summary', 'lenet5']; import archstat.cli as c\n"
            "try:\n    c.main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write(repr(sorted(m for m in sys.modules if m == 'graphviz' or m.startswith('archstat.view'))))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stderr.strip().endswith("[]"), p.stderr


# -- the drawing for papers: Graphviz's dot --------------------------------------------------------------------

def _need_dot():
    pytest.importorskip("graphviz", reason="the graphviz package (the view extra) is not installed")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (apt-get install graphviz)")


def test_svg_from_dot(tmp_path):
    _need_dot()
    out = tmp_path / "unet.svg"
    r = run("view", "unet", "--output", str(out))
    assert r.exit_code == 0, r.output
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    titles = set(re.findall(r"<title>(.*?)</title>", svg))
    a = archstat.analyze("unet")
    # every layer is a node (unet is small: all groups open), every link an edge, every group a cluster
    assert {html.unescape(t) for t in titles} >= {r.name for r in a.layers}
    assert svg.count('class="edge"') == len({(s, r.name) for r in a.layers for s in r.inputs})
    assert svg.count('class="cluster"') == len(groups_of([r.name for r in a.layers]))


def test_png_from_dot_with_depth(tmp_path):
    _need_dot()
    out = tmp_path / "resnet50.png"
    r = run("view", "resnet50", "--output", str(out), "--depth", "1")
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from archstat.view.static import digraph

    src = digraph(build(archstat.analyze("resnet50"), depth=1)).source
    assert "subgraph" not in src and re.search(r"^\tlayer3 \[", src, re.M) and "layer3.0.conv1" not in src


def test_missing_dot_is_one_line(tmp_path, monkeypatch):
    pytest.importorskip("graphviz", reason="the graphviz package (the view extra) is not installed")
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot on it
    r = run("view", "lenet5", "--output", str(tmp_path / "x.svg"))
    assert r.exit_code == 2
    assert "needs Graphviz's dot program" in r.output and "apt-get install graphviz" in r.output
    assert not (tmp_path / "x.svg").exists()


def test_missing_graphviz_package_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    r = run("view", "lenet5", "--output", str(tmp_path / "x.png"))
    assert r.exit_code == 2 and 'pip install -e ".[view]"' in r.output
    assert run("view", "lenet5", "--output", str(tmp_path / "x.html")).exit_code == 0  # the page needs none of it

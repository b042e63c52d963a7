"""``archstat view``: how long the page takes to draw in headless Chromium, and the screenshots in reports/view/.

For each spec: the page as ``archstat view`` writes it, opened from disk; the time from navigation start to the
first drawing (``performance.now()`` when the script is done: parse, dagre's layout, SVG), dagre's layout alone,
and the same with every group open (Expand all). For comparison, Graphviz's dot on the same graphs (SVG), all open
and as the page opens. Writes reports/view/load_times.csv and, with --screenshots, reports/view/NAME.png.

    python bench/bench_view.py [--screenshots] [SPEC ...]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import archstat
from archstat.view import chromium
from archstat.view.model import build
from archstat.view.page import html_page
from archstat.view.static import digraph

SPECS = ["lenet5", "googlenet", "resnet50", "densenet121", "unet", "vit_b_16", "densenet201"]
OUT = ROOT / "reports" / "view"


def dot_ms(model: dict, all_open: bool) -> float:
    if all_open:
        model = dict(model, groups=[dict(g, collapsed=False) for g in model["groups"]])
    src = digraph(model).source.encode()
    t = time.perf_counter()
    subprocess.run(["dot", "-Tsvg", "-o", "/dev/null"], input=src, check=True)
    return (time.perf_counter() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("specs", nargs="*", default=SPECS)
    ap.add_argument("--screenshots", action="store_true")
    ap.add_argument("--readme", action="store_true", help="only the README's picture: reports/view/googlenet_readme.png")
    args = ap.parse_args()
    if args.readme:
        return readme_picture()
    exe = chromium.find()
    if exe is None:
        sys.exit("no Chromium: apt-get install chromium")
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    b = chromium.Browser(exe, width=1400, height=900)
    try:
        with tempfile.TemporaryDirectory() as d:
            for name in args.specs:
                a = archstat.analyze(name)
                model = build(a)
                path = Path(d) / f"{name}.html"
                page_text = html_page(model)
                path.write_text(page_text, encoding="utf-8")
                p = b.page(path.as_uri())
                t = p.evaluate("window.archstatTiming")
                row = {"spec": name, "layers": len(a.layers), "page_kb": len(page_text.encode()) // 1024,
                       "opens_at_depth": model["depth"] or "all open", "boxes": t["boxes"],
                       "clusters": t["clusters"], "load_ms": round(p.evaluate("window.archstatLoadMs")),
                       "dagre_layout_ms": round(t["layoutMs"])}
                if args.screenshots:
                    h = p.evaluate("Math.min(2400, Math.max(900, +document.getElementById('graph')"
                                   ".getAttribute('height') + 20))")
                    p.send("Emulation.setDeviceMetricsOverride", {"width": 1400, "height": int(h),
                                                                  "deviceScaleFactor": 1, "mobile": False})
                    (OUT / f"{name}.png").write_bytes(p.screenshot())
                full = p.evaluate("(function () { document.getElementById('expand').click();"
                                  " return window.archstatTiming; })()")
                row.update(all_open_boxes=full["boxes"], all_open_clusters=full["clusters"],
                           all_open_dagre_ms=round(full["layoutMs"]), dot_ms=round(dot_ms(model, False)),
                           all_open_dot_ms=round(dot_ms(model, True)))
                assert p.errors() == [], p.errors()
                p.close()
                rows.append(row)
                print(row, flush=True)
    finally:
        b.close()
    with open(OUT / "load_times.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def readme_picture() -> None:
    """GoogLeNet's first Inception modules, branches side by side, with pool2's derivation in the side panel."""
    exe = chromium.find()
    if exe is None:
        sys.exit("no Chromium: apt-get install chromium")
    b = chromium.Browser(exe, width=1400, height=900)
    try:
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "googlenet.html"
            path.write_text(html_page(build(archstat.analyze("googlenet"))), encoding="utf-8")
            p = b.page(path.as_uri())
            p.evaluate("document.querySelector('#graph .node[data-id=\"pool2\"]').scrollIntoView({block: 'start'})")
            r = p.evaluate("(function () { var r = document.querySelector('#graph .node[data-id=\"pool2\"] rect')"
                           ".getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
            p.click(*r)
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / "googlenet_readme.png").write_bytes(p.screenshot())
            assert p.errors() == [], p.errors()
    finally:
        b.close()


if __name__ == "__main__":
    main()

"""The page: one self-contained HTML file. The model (``model.build``) as JSON, the vendored dagre layout library,
the drawing script and the styles are inlined, so the file works opened from disk, offline."""

from __future__ import annotations

import html
import json
from functools import cache
from importlib.resources import files

DAGRE = "dagre.min.js"  # @dagrejs/dagre 3.1.3 (MIT, assets/dagre.LICENSE), from the npm registry's tarball


@cache
def asset(name: str) -> str:
    text = files("archstat.view").joinpath("assets", name).read_text(encoding="utf-8")
    if name == DAGRE:  # the source map is not shipped: no reference to a file that is not there
        text = "\n".join(line for line in text.splitlines() if not line.startswith("//# sourceMappingURL="))
    return text


def _script_json(model: dict) -> str:
    """JSON safe inside a <script> element: no '</' can close it, and no '<!--' can open a comment."""
    return json.dumps(model, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e")


def html_page(model: dict) -> str:
    title = html.escape(f"{model['title']} · archstat view")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="archstat view">
<title>{title}</title>
<style>
{asset("view.css")}
</style>
</head>
<body>
<div id="stage"><svg id="graph" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}"></svg></div>
<aside id="panel">
<h1>{html.escape(model["title"])}</h1>
<div class="sub">{html.escape(model["name"])}; input {html.escape(model["input"])}, batch {model["batch"]},
{html.escape(model["dtype"])}; {model["layers"]:,} layers</div>
<div class="controls">
<label for="color-by">Colour by</label> <select id="color-by"></select>
</div>
<div id="legend"></div>
<div class="controls" style="margin-top:6px">
<button id="expand" type="button">Expand all</button><button id="collapse" type="button">Collapse all</button>
<button id="zoom-out" type="button" title="Zoom out">&minus;</button><button id="zoom-in" type="button"
title="Zoom in">+</button><button id="zoom-fit" type="button">Fit width</button>
</div>
<h2 id="explain-head">Layer</h2>
<pre id="explain">Hover over a layer to see its derivation (archstat explain); click to keep it. \
Click a group's box to open it, and an open group's title to close it.</pre>
<h2>Totals</h2>
<table id="totals"></table>
<p id="partial" hidden>Partial: some layers have no counting rule; the totals are lower bounds.</p>
<details><summary>As archstat summary prints them</summary><pre id="totals-full"></pre></details>
<h2>Conventions</h2>
<ul id="conv-short"></ul>
<details><summary>In full</summary><ul id="conv-full"></ul></details>
</aside>
<script type="application/json" id="model">{_script_json(model)}</script>
<script>
{asset(DAGRE)}
</script>
<script>
{asset("view.js")}
</script>
</body>
</html>
"""

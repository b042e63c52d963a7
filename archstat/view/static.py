"""The drawing for papers and slides: the model (``model.build``) as a Graphviz graph, laid out by dot, written as
SVG or PNG. Groups at ``--depth`` or deeper are one box each; the open ones are clusters. Needs the ``graphviz``
package (the ``view`` extra) and Graphviz's ``dot`` program; either missing is one line saying what to install.
"""

from __future__ import annotations

import math

from archstat.errors import UsageError
from archstat.render.numbers import human

# YlOrRd, light to dark (assets/view.js uses the same stops): the colour of a box's cost on a log scale.
STOPS = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]
INSTALL_DOT = "apt-get install graphviz (Debian, Ubuntu), brew install graphviz (macOS)"


def colour(v, top) -> tuple[str, str]:
    """(fill, text colour) of a value on a log scale up to ``top``: grey for 0, pale blue for unknown."""
    if v is None:
        return "#dfe6f5", "#222233"
    if not v or top <= 0:
        return "#f3f3f3", "#555555"
    t = math.log1p(v) / math.log1p(top)
    x = t * (len(STOPS) - 1)
    i = min(int(x), len(STOPS) - 2)
    a, b = (int(STOPS[i][k:k + 2], 16) for k in (1, 3, 5)), (int(STOPS[i + 1][k:k + 2], 16) for k in (1, 3, 5))
    f = x - i
    rgb = "".join(f"{round(p * (1 - f) + q * f):02x}" for p, q in zip(a, b))
    return "#" + rgb, "#ffffff" if t > 0.72 else "#222222"


def graphviz_module():
    try:
        import graphviz
    except ImportError:
        raise UsageError('archstat view --output FILE.svg or .png needs the graphviz package: pip install -e ".[view]" '
                         "(an .html page needs nothing more)") from None
    return graphviz


def digraph(model: dict, color_by: str | None = None):
    """The model as a ``graphviz.Digraph``: open groups are nested clusters, collapsed ones single boxes."""
    graphviz = graphviz_module()
    color_by = color_by or model["color_by"]
    groups = {g["id"]: g for g in model["groups"]}
    collapsed = {g["id"] for g in model["groups"] if g["collapsed"]}

    def chain(gid):
        out = []
        while gid:
            out.insert(0, gid)
            gid = groups[gid]["parent"]
        return out

    def shown(n):
        for g in chain(n["group"]):
            if g in collapsed:
                return g
        return n["id"]

    boxes: dict[str, dict] = {}  # box id -> (item, is a group), in spec order
    where: dict[str, str] = {}  # layer id -> box id
    for n in model["nodes"]:
        s = shown(n)
        where[n["id"]] = s
        if s not in boxes:
            boxes[s] = {"item": groups[s] if s != n["id"] else n, "group": s != n["id"]}
    top = max((b["item"].get(color_by) or 0 for b in boxes.values()), default=0)

    g = graphviz.Digraph(model["name"], graph_attr={
        "rankdir": "TB", "nodesep": "0.25", "ranksep": "0.3", "fontname": "Helvetica", "fontsize": "10",
        "label": f"{model['title']} — input {model['input']}; coloured by {model['metrics'][color_by]} (log scale)",
        "labelloc": "t"},
        node_attr={"shape": "box", "style": "rounded,filled", "fontname": "Helvetica", "fontsize": "9",
                   "margin": "0.08,0.03", "penwidth": "0.8"},
        edge_attr={"arrowsize": "0.6", "color": "#777777"})
    # every box in the innermost open group around it, clusters nested as the groups are
    members: dict[str | None, list[str]] = {}
    for box, b in boxes.items():
        item = b["item"]
        around = chain(item["parent"]) if b["group"] else chain(item["group"])
        members.setdefault(around[-1] if around else None, []).append(box)
        for k, gid in enumerate(around):
            members.setdefault(around[k - 1] if k else None, [])
            if gid not in members[around[k - 1] if k else None]:
                members[around[k - 1] if k else None].append(gid)

    def add(sub, parent: str | None):
        for x in members.get(parent, []):
            if x in boxes:
                b = boxes[x]
                item = b["item"]
                fill, ink = colour(item.get(color_by), top)
                if b["group"]:
                    label = f"{item['label']} ({item['kinds'] or str(item['layers']) + ' layers'})\n{item['shape']}"
                else:
                    label = f"{item['label']}\n{item['kind']} · {item['shape']}"
                label += f"\n{human(item['params'])} params · {human(item['macs'])} MACs"
                sub.node(x, label, fillcolor=fill, fontcolor=ink,
                         **({"style": "filled", "penwidth": "1.6"} if b["group"] else {}))
            else:
                with sub.subgraph(name=f"cluster_{x}") as c:
                    c.attr(label=groups[x]["label"], style="dashed,rounded", color="#8aa0c8", fontcolor="#3b5a8c",
                           labeljust="l")
                    add(c, x)

    add(g, None)
    seen = set()
    for a, b in model["edges"]:
        e = (where[a], where[b])
        if e[0] != e[1] and e not in seen:
            seen.add(e)
            g.edge(*e)
    return g


def render(model: dict, fmt: str, color_by: str | None = None) -> bytes:
    """The drawing as SVG or PNG bytes, laid out by dot."""
    graphviz = graphviz_module()
    g = digraph(model, color_by)
    try:
        return g.pipe(format=fmt, engine="dot")
    except graphviz.ExecutableNotFound:
        raise UsageError(f"archstat view --output FILE.{fmt} needs Graphviz's dot program, which is not on PATH: "
                         f"{INSTALL_DOT} (an .html page needs nothing more)") from None

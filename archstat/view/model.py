"""What ``archstat view`` draws, as plain data: the layers (nodes), the links between them (edges), the groups
their dotted names make (``layer1`` holds ``layer1.0``, which holds ``layer1.0.conv1``), each layer's ``explain``
derivation, the totals and the conventions. The page and the Graphviz drawing are two readings of this one model.

Nothing here lays anything out: the page asks dagre (vendored, ``assets/``), the SVG and PNG ask Graphviz's dot.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from archstat.core import receptive_field as rf
from archstat.core.conventions import CONVENTIONS, short
from archstat.core.engine import Analysis
from archstat.core.graph import INPUT
from archstat.layers import elems
from archstat.render.numbers import human, human_bytes, shape

# The costs a node can be coloured by: key -> (label, what a node's value is).
METRICS = {
    "macs": "MACs",
    "params": "parameters",
    "memory": "activation memory (bytes of its output, whole batch)",
    "rf": "receptive field (size in input pixels)",
}

# A page opens with every group open when that draws at most VISIBLE boxes in at most CLUSTERS open groups;
# otherwise at the deepest level that does. dagre's layout time grows with both (reports/view.md): these keep the
# zoo's largest networks drawing in well under 2 s.
VISIBLE = 180
CLUSTERS = 50


@dataclass
class Group:
    """A dotted-name prefix shared by several layers: a box that collapses into one node."""

    name: str  # "features.denseblock1"
    parent: str | None
    layers: int = 0
    params: int = 0
    macs: int | None = 0
    memory: int = 0  # bytes its layers allocate (new_bytes), whole batch
    last: str = ""  # its last layer in spec order: the group's output
    kinds: list[str] = field(default_factory=list)  # its layers' kinds, in spec order
    children: list[str] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.name.count(".") + 1


_MARKUP = re.compile(r"\[/?(?:bold|cyan|yellow|dim|italic|bold yellow)?\]")  # the tags print_explain writes


class _Around:
    """The analysis as ``print_explain`` reads it for one layer: that layer and its inputs only, so that explaining
    every layer of a 700-layer network is linear (it builds name -> shape maps over ``layers``)."""

    def __init__(self, a: Analysis, results: list):
        self._a = a
        self.layers = results

    def layer(self, name: str):
        return self.layers[-1]

    def __getattr__(self, key):
        return getattr(self._a, key)


def explain_texts(a: Analysis) -> dict[str, str]:
    """``archstat explain``'s derivation of every layer, as plain text: the same renderer, its markup dropped."""
    from archstat.render.console import print_explain

    lines: list[str] = []

    class _Lines:  # the one method print_explain uses of a console
        def print(self, text, **_):
            lines.append(_MARKUP.sub("", str(text)))

    by_name = {r.name: r for r in a.layers}
    out = {}
    for r in a.layers:
        lines.clear()
        around = [by_name[i] for i in dict.fromkeys(r.inputs) if i in by_name] + [r]
        print_explain(_Around(a, around), r.name, _Lines())  # type: ignore[arg-type]
        out[r.name] = "\n".join(lines)
    return out


def _rf_size(f) -> int | None:
    """A field's size for colouring: the larger side; the whole input and unknown fields give None."""
    if isinstance(f, rf.ReceptiveField):
        return math.ceil(max(f.size))
    return None


def groups_of(names: list[str]) -> dict[str, Group]:
    """Every dotted prefix that holds at least two layers, or one layer and another group (a lone ``fc.0`` under
    ``fc`` draws as the layer itself); parents before children."""
    count: dict[str, int] = {}
    for n in names:
        parts = n.split(".")
        for k in range(1, len(parts)):
            p = ".".join(parts[:k])
            count[p] = count.get(p, 0) + 1
    keep = sorted((p for p, c in count.items() if c >= 2 and p not in names), key=lambda p: (p.count("."), p))
    out: dict[str, Group] = {}
    for p in keep:
        parts = p.split(".")
        parent = next((".".join(parts[:k]) for k in range(len(parts) - 1, 0, -1) if ".".join(parts[:k]) in out), None)
        out[p] = Group(p, parent)
        if parent:
            out[parent].children.append(p)
    return out


def owner(name: str, groups: dict[str, Group]) -> str | None:
    """The innermost group a layer belongs to."""
    parts = name.split(".")
    for k in range(len(parts) - 1, 0, -1):
        p = ".".join(parts[:k])
        if p in groups:
            return p
    return None


def default_depth(a: Analysis, groups: dict[str, Group], depth: int | None) -> int | None:
    """The depth at which groups start collapsed (a group of d dotted parts is collapsed when d >= depth; None:
    all open). ``--depth`` when given; else all open when that draws at most VISIBLE boxes in at most CLUSTERS
    open groups; else the deepest level that does (at least 1)."""
    if depth is not None:
        return depth
    deepest = max((g.depth for g in groups.values()), default=0)
    for d in range(deepest + 1, 0, -1):  # deepest + 1: every group open
        clusters = sum(1 for g in groups.values() if g.depth < d)
        if clusters <= CLUSTERS and visible_count(a, groups, d) <= VISIBLE:
            return None if d > deepest else d
    return 1


def visible_count(a: Analysis, groups: dict[str, Group], depth: int) -> int:
    """How many boxes the drawing shows when groups of ``depth`` or more dotted parts are collapsed."""
    seen = set()
    for r in a.layers:
        seen.add(shown_as(r.name, groups, depth))
    return len(seen)


def shown_as(name: str, groups: dict[str, Group], depth: int | None) -> str:
    """The box a layer is drawn in: its outermost collapsed group, or itself."""
    if depth is None:
        return name
    parts = name.split(".")
    for k in range(depth, len(parts)):
        p = ".".join(parts[:k])
        if p in groups:
            return p
    return name


def build(a: Analysis, depth: int | None = None, color_by: str = "macs") -> dict:
    """The model as one JSON-ready dict: what the page embeds and what the Graphviz drawing reads."""
    if color_by not in METRICS:
        raise ValueError(color_by)
    names = [r.name for r in a.layers]
    groups = groups_of(names)
    nodes = [{
        "id": INPUT, "label": INPUT, "kind": "input", "shape": shape(a.input_shape), "params": 0, "macs": 0,
        "flops": 0, "memory": elems(a.input_shape) * a.batch * a.dtype_bytes, "rf": 1 if len(a.input_shape) == 3
        else None, "rf_text": "1 (1)" if len(a.input_shape) == 3 else "all", "group": None,
        "explain": f"input {shape(a.input_shape)} (batch {a.batch}, {a.dtype})", "storage": "new",
    }]
    edges: list[list[str]] = []
    explains = explain_texts(a)
    for r in a.layers:
        g = owner(r.name, groups)
        label = r.name[len(g) + 1:] if g else r.name
        nodes.append({
            "id": r.name, "label": label, "kind": r.kind, "shape": shape(r.output_shape), "params": r.n_params,
            "macs": r.macs, "flops": r.flops, "memory": r.activation_bytes, "rf": _rf_size(r.field),
            "rf_text": rf.as_text(r.field), "group": g, "explain": explains[r.name],
            "storage": r.storage, "line": r.line,
        })
        edges.extend([src, r.name] for src in dict.fromkeys(r.inputs))
        p = g
        while p:
            grp = groups[p]
            grp.layers += 1
            grp.params += r.n_params
            grp.macs = None if grp.macs is None or r.macs is None else grp.macs + r.macs
            grp.memory += r.new_bytes
            grp.last = r.name
            grp.kinds.append(r.kind)
            p = grp.parent
    start = default_depth(a, groups, depth)
    by_id = {n["id"]: n for n in nodes}
    t = a.totals
    from rich.text import Text

    from archstat.render.console import totals_lines
    from archstat.render.records import field_headline

    return {
        "name": a.name, "title": a.graph.meta.get("title") or a.name, "input": shape(a.input_shape),
        "batch": a.batch, "dtype": a.dtype, "layers": len(a.layers), "color_by": color_by,
        "metrics": METRICS, "depth": start,
        "nodes": nodes, "edges": edges,
        "groups": [{"id": g.name, "label": g.name[len(g.parent) + 1:] if g.parent else g.name, "parent": g.parent,
                    "layers": g.layers, "kinds": "+".join(g.kinds) if g.layers <= 4 else "", "params": g.params, "macs": g.macs, "memory": g.memory,
                    "shape": by_id[g.last]["shape"] if g.last else "",
                    "rf": by_id[g.last]["rf"] if g.last else None,
                    "collapsed": start is not None and g.depth >= start} for g in groups.values()],
        "totals": {
            "params": t.params, "macs": t.macs, "flops": t.flops, "activation_bytes": t.activation_bytes,
            "peak_activation_bytes": t.peak_activation_bytes, "depth": t.depth, "layers": t.layers,
            "complete": not (t.unknown_macs or t.unknown_flops),
            "lines": [Text.from_markup(line).plain for line in totals_lines(a)],
            "headline": [["Parameters", human(t.params)], ["MACs", human(t.macs)], ["FLOPs", human(t.flops)],
                         ["Activations", human_bytes(t.activation_bytes)],
                         ["Peak activations", human_bytes(t.peak_activation_bytes)],
                         ["Receptive field", field_headline(a)], ["Depth", f"{t.depth} weight layers"],
                         ["Layers", f"{t.layers:,}"]],
        },
        "conventions": {"short": short(a.dtype, a.batch), "full": CONVENTIONS},
        "notes": [[n, str(x)] for n, x in a.notes],
    }

"""Machine-readable views of an analysis: the JSON contract, CSV rows and a Markdown table.

The JSON keys are a contract (README, "JSON output"); tests pin them. Nothing here imports rich.
"""

from __future__ import annotations

import csv
import io
import json

from archstat.core import receptive_field as rf
from archstat.core.conventions import CONVENTIONS
from archstat.core.engine import Analysis
from archstat.layers import elems, spatial
from archstat.render.numbers import human, human_bytes, shape

CSV_COLUMNS = ["name", "kind", "inputs", "output_shape", "params", "weights", "buffers", "macs", "flops",
               "activations", "activation_bytes", "new_memory", "rf_size", "rf_stride", "rf_padding", "line"]


def input_hw(a: Analysis) -> tuple:
    return a.input_shape[1:] if spatial(a.input_shape) else (1, 1)


def rows(a: Analysis, depth: int | None = None) -> list[dict]:
    """One dict per layer (or per folded group when ``depth`` is given)."""
    hw = input_hw(a)
    out = []
    for r in a.layers:
        out.append({
            "name": r.name, "kind": r.kind, "inputs": r.inputs, "output_shape": list(r.output_shape),
            "params": r.n_params, "weights": r.weights, "buffers": sum(r.buffers.values()),
            "params_by_tensor": r.params, "macs": r.macs, "flops": r.flops, "activations": r.activations,
            "activation_bytes": r.activation_bytes, "new_memory": r.new_memory, "new_bytes": r.new_bytes,
            "rf": rf.as_json(r.field, hw), "line": r.line, "notes": r.notes,
        })
    return fold(out, depth) if depth else out


def fold(rs: list[dict], depth: int) -> list[dict]:
    """Merge consecutive rows whose names share their first ``depth`` dotted parts into one row. A group's counts
    are the sums of its rows' (``activations`` and ``activation_bytes``: the sizes of their outputs; ``new_bytes``:
    what they allocate); it takes new memory when any of its rows does."""
    out: list[dict] = []
    for r in rs:
        key = ".".join(r["name"].split(".")[:depth])
        if out and out[-1]["_key"] == key and key != r["name"]:
            g = out[-1]
            g["kind"] = "group"
            g["name"] = key
            g["output_shape"] = r["output_shape"]
            for k in ("params", "weights", "buffers", "activations", "activation_bytes", "new_bytes"):
                g[k] += r[k]
            for k in ("macs", "flops"):
                g[k] = None if g[k] is None or r[k] is None else g[k] + r[k]
            g["rf"] = r["rf"]
            g["notes"] = g["notes"] + r["notes"]
            g["layers"] += 1
            g["new_memory"] = g["new_memory"] or r["new_memory"]
        else:
            out.append(dict(r, _key=key, layers=1))
    for g in out:
        g.pop("_key")
        if g["layers"] == 1:
            g.pop("layers")
    return out


def stored_cell(r: dict, a: Analysis) -> int | None:
    """What a table's activations column shows for a row: the elements it stores anew (a group: its rows' new
    elements), or None for a layer that stores nothing new (an in-place op or a view; ``storage`` says which)."""
    if r["kind"] == "group":
        return r["new_bytes"] // a.dtype_bytes
    return r["activations"] if r["new_memory"] else None


def storage(a: Analysis) -> dict[str, str]:
    """Layer name -> where its output lives ("new", "view", "in place"), from the engine's flags."""
    return {r.name: r.storage for r in a.layers}


def totals(a: Analysis) -> dict:
    t = a.totals
    return {
        "params": t.params, "trainable_params": t.trainable_params, "buffers": t.buffers, "weights": t.weights,
        "macs": t.macs, "flops": t.flops, "activations": t.activations, "activation_bytes": t.activation_bytes,
        "param_bytes": t.param_bytes, "buffer_bytes": t.buffer_bytes,
        "peak_activation_bytes": t.peak_activation_bytes, "rf": totals_field(a),
        "weight_layers": t.weight_layers, "depth": t.depth, "layers": t.layers,
        "complete": not (t.unknown_macs or t.unknown_flops),
        "unknown": {"macs": t.unknown_macs, "flops": t.unknown_flops},
    }


def to_dict(a: Analysis, depth: int | None = None) -> dict:
    return {
        "name": a.name, "title": a.graph.meta.get("title"), "input": list(a.input_shape), "batch": a.batch,
        "dtype": a.dtype, "conventions": CONVENTIONS, "layers": rows(a, depth), "totals": totals(a),
        "notes": [{"layer": n, "note": t} for n, t in a.notes],
    }


def to_json(a: Analysis, depth: int | None = None) -> str:
    return json.dumps(to_dict(a, depth), indent=2) + "\n"


def _csv_row(r: dict) -> dict:
    f = r["rf"]
    return {**{k: r.get(k) for k in CSV_COLUMNS}, "inputs": ";".join(r["inputs"]),
            "output_shape": shape(r["output_shape"]), "rf_size": _flat(f["size"]),
            "rf_stride": _flat(f["stride"]), "rf_padding": _flat(f["padding"]),
            "macs": "" if r["macs"] is None else r["macs"], "flops": "" if r["flops"] is None else r["flops"]}


def _flat(v) -> str:
    if v is None:
        return ""
    return "x".join(map(str, v)) if isinstance(v, list) else str(v)


def to_csv(a: Analysis, depth: int | None = None) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows(a, depth):
        w.writerow(_csv_row(r))
    return buf.getvalue()


def totals_field(a: Analysis) -> dict:
    """The totals' receptive field as JSON: the last spatial layer's, with ``gates``: how many merges left out a
    gate that sees the whole input (the field is then the feature path's; absent when none)."""
    f = rf.as_json(a.totals.field, input_hw(a))
    if a.totals.gates:
        f["gates"] = len(a.totals.gates)
    return f


def field_headline(a: Analysis) -> str:
    """``851 (32) on the feature path (16 gates see the whole input)``."""
    f = totals_field(a)
    n = f.get("gates")
    return rf_cell(f) + (f" on the feature path ({n} gate{' sees' if n == 1 else 's see'} the whole input)" if n else "")


def rf_cell(f: dict) -> str:
    if f.get("global"):
        return "all"
    if f["size"] is None:
        return "?"
    return f"{_flat(f['size'])} ({_flat(f['stride'])})"


def to_markdown(a: Analysis, depth: int | None = None) -> str:
    from archstat.core.conventions import short

    t = a.totals
    title = a.graph.meta.get("title") or a.name
    lines = [f"## {title} (`{a.name}`)", "",
             f"Input {shape(a.input_shape)}, batch {a.batch}, {a.dtype}.", "",
             "| # | layer | kind | output | params | weights | MACs | activations | RF (stride) |",
             "|--:|---|---|---|--:|--:|--:|--:|---|",
             f"| 0 | input | | {shape(a.input_shape)} | 0 | 0 | 0 | {elems(a.input_shape) * a.batch:,} | 1 (1) |"]
    where = storage(a)
    for i, r in enumerate(rows(a, depth), 1):
        n = stored_cell(r, a)
        act = f"{n:,}" if n is not None else where[r["name"]]
        lines.append(f"| {i} | {r['name']} | {r['kind']} | {shape(r['output_shape'])} | {r['params']:,} | "
                     f"{r['weights']:,} | {_num(r['macs'])} | {act} | {rf_cell(r['rf'])} |")
    lines += ["", f"**Totals**: {t.params:,} parameters ({human(t.params)}; {t.buffers:,} buffers), "
                  f"{_num(t.macs)} MACs ({human(t.macs)}), {_num(t.flops)} FLOPs ({human(t.flops)}), "
                  f"{t.activations:,} activations ({human_bytes(t.activation_bytes)}), "
                  f"peak {human_bytes(t.peak_activation_bytes)}, receptive field {field_headline(a)}.",
              ""]
    lines += [f"- {c}" for c in short(a.dtype, a.batch)]
    return "\n".join(lines) + "\n"


def _num(v) -> str:
    return "?" if v is None else f"{v:,}"

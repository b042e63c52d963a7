"""The comparison table over several architectures: one row per architecture (``compare_row``), as plain rows or
as a pandas DataFrame (pandas is imported only inside ``compare_frame``)."""

from __future__ import annotations

# The columns whose values are counts: right-aligned, with thousands separators, in tables.
NUMERIC = frozenset({"params", "trainable_params", "buffers", "macs", "flops", "activations", "activation_bytes",
                     "peak_activation_bytes", "param_bytes", "weight_layers"})

# The table's columns by default (CSV, JSON and Markdown have every column; --columns and --wide choose others).
TABLE_COLUMNS = ("name", "params", "macs", "peak_activation_bytes", "rf_size", "depth", "top1")
# Their headings in the table (CSV and JSON keep the names, which --columns and --sort take).
LABELS = {"macs": "MACs", "flops": "FLOPs", "peak_activation_bytes": "peak", "rf_size": "RF",
          "rf_stride": "RF stride", "top1": "top-1", "trainable_params": "trainable", "activation_bytes": "act bytes",
          "param_bytes": "param bytes", "weight_layers": "weight layers"}
_BYTES = frozenset({"activation_bytes", "peak_activation_bytes", "param_bytes"})
_COUNTS = frozenset({"params", "trainable_params", "buffers", "macs", "flops", "activations"})


def human_cells(row: dict) -> dict:
    """A row for the terminal, under the table's headings: counts in human units (11.69M, 1.81G), bytes as
    102.23MB; the rest as it is."""
    from archstat.render.numbers import human, human_bytes

    out = {}
    for k, v in row.items():
        label = LABELS.get(k, k)
        if isinstance(v, bool) or not isinstance(v, int):
            out[label] = v
        elif k in _BYTES:
            out[label] = human_bytes(v).replace(" ", "")  # 6.42MB: one word, never wrapped apart
        elif k in _COUNTS:
            out[label] = human(v)
        else:
            out[label] = v
    return out


def compare_rows(specs: list[str], input=None, batch: int = 1, dtype: str = "float32") -> list[dict]:
    from archstat import analyze

    return [compare_row(analyze(s, input=input, batch=batch, dtype=dtype)) for s in specs]


def compare_row(a) -> dict:
    """One architecture's row of the comparison, from its analysis."""
    from archstat.core import receptive_field as rf
    from archstat.render.records import input_hw

    t = a.totals
    field = rf.as_json(t.field, input_hw(a))
    return {
        "name": a.name, "family": a.graph.meta.get("family") or "", "year": a.graph.meta.get("year") or "",
        "input": "x".join(map(str, a.input_shape)), "params": t.params, "trainable_params": t.trainable_params,
        "buffers": t.buffers, "macs": t.macs, "flops": t.flops, "activations": t.activations,
        "activation_bytes": t.activation_bytes, "peak_activation_bytes": t.peak_activation_bytes,
        "param_bytes": t.param_bytes, "rf_size": _flat(field["size"]), "rf_stride": _flat(field["stride"]),
        "weight_layers": t.weight_layers, "depth": t.depth, "complete": not (t.unknown_macs or t.unknown_flops),
        "top1": (a.graph.meta.get("accuracy") or {}).get("top1", ""),
    }


def compare_frame(specs: list[str], input=None, batch: int = 1, dtype: str = "float32"):
    """The comparison as a DataFrame: one row per spec, in the order given, the columns of ``compare_row``."""
    from archstat.core.frame import records_frame

    return records_frame(compare_rows(specs, input, batch, dtype))


def _flat(v):
    if v is None:
        return ""
    return "x".join(map(str, v)) if isinstance(v, list) else v

"""The comparison table over several architectures: one row per architecture (``compare_row``), as plain rows or
as a pandas DataFrame (pandas is imported only inside ``compare_frame``)."""

from __future__ import annotations

# The columns whose values are counts: right-aligned, with thousands separators, in tables.
NUMERIC = frozenset({"params", "trainable_params", "buffers", "macs", "flops", "activations", "activation_bytes",
                     "peak_activation_bytes", "param_bytes", "weight_layers"})


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

"""pandas views of analyses: ``Analysis.to_frame()`` (one row per layer), the comparison table
(``archstat.compare``, ``archstat compare``), and ``--sort`` / ``--columns`` on such a table.

pandas is imported inside the functions only, so that importing this module (or ``archstat``) stays light.
"""

from __future__ import annotations

import math

LAYER_COLUMNS = ["name", "kind", "inputs", "output_shape", "params", "weights", "buffers", "macs", "flops",
                 "activations", "activation_bytes", "new_bytes", "new_memory", "rf_size_h", "rf_size_w",
                 "rf_stride_h", "rf_stride_w", "rf_global", "line"]


def layer_frame(a):
    """One row per layer of the analysis ``a``, in the order the layers run (the rows of ``summary``).

    ``inputs`` is the ';'-joined names of the layer's inputs and ``output_shape`` the shape as text (64x56x56), as
    in ``summary --format csv``; every other column is a number (or a bool): ``macs`` and ``flops`` are nullable
    integers (``<NA>`` where a rule is unknown); ``activations`` and ``activation_bytes`` are the output's, for the
    whole batch, and ``new_bytes`` what the layer allocates (0 for an in-place op or a view: ``new_memory``);
    ``rf_size_*``/``rf_stride_*`` are the receptive field's height and width and its effective stride (missing where
    the field is unknown; after global pooling the field is the whole input, ``rf_global``)."""
    import pandas as pd

    from archstat.core import receptive_field as rf
    from archstat.render.records import input_hw

    hw = input_hw(a)
    cols: dict[str, list] = {c: [] for c in LAYER_COLUMNS}
    for r in a.layers:
        field = rf.as_json(r.field, hw)
        size_h, size_w = _pair(field["size"])
        stride_h, stride_w = _pair(field["stride"])
        activation_bytes = getattr(r, "activation_bytes", None)
        if activation_bytes is None:
            activation_bytes = r.activations * a.dtype_bytes
        new_bytes = getattr(r, "new_bytes", None)
        if new_bytes is None:
            new_bytes = activation_bytes if r.new_memory else 0
        row = {"name": r.name, "kind": r.kind, "inputs": ";".join(r.inputs),
               "output_shape": "x".join(map(str, r.output_shape)), "params": r.n_params, "weights": r.weights,
               "buffers": sum(r.buffers.values()), "macs": r.macs, "flops": r.flops, "activations": r.activations,
               "activation_bytes": activation_bytes, "new_bytes": new_bytes, "new_memory": r.new_memory,
               "rf_size_h": size_h, "rf_size_w": size_w, "rf_stride_h": stride_h, "rf_stride_w": stride_w,
               "rf_global": bool(field.get("global")), "line": r.line}
        for c in LAYER_COLUMNS:
            cols[c].append(row[c])
    return pd.DataFrame({c: _series(c, v) for c, v in cols.items()}, columns=LAYER_COLUMNS)


def _pair(v) -> tuple:
    if v is None:
        return None, None
    return (v[0], v[1]) if isinstance(v, list) else (v, v)


def _series(name: str, values: list):
    """A column with a numeric dtype where its values allow: int64 (nullable Int64 with missing values), float64,
    bool; text stays text, and integers too large for int64 stay Python integers."""
    import pandas as pd

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present) and len(present) == len(values):
        return pd.Series(values, name=name, dtype=bool)
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        try:
            return pd.Series(values, name=name, dtype="Int64" if len(present) < len(values) else "int64")
        except (OverflowError, TypeError, ValueError):
            return pd.Series(values, name=name, dtype=object)
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pd.Series([math.nan if v is None else float(v) for v in values], name=name, dtype="float64")
    if not present:
        return pd.Series(values, name=name, dtype="Int64")  # a count unknown in every row
    return pd.Series(values, name=name)


def records_frame(rows: list[dict]):
    """A DataFrame of plain rows whose CSV (``frame_csv``) is byte for byte what ``render.tabular.to_text(rows,
    'csv')`` writes: where pandas would turn a column of integers and floats into floats (70 -> 70.0), the column
    keeps its Python values (dtype object)."""
    import pandas as pd

    df = pd.DataFrame(rows)
    for c in df.columns:
        if df[c].dtype.kind == "f" and any(isinstance(r.get(c), int) and not isinstance(r.get(c), bool) for r in rows):
            df[c] = pd.Series([r.get(c) for r in rows], index=df.index, dtype=object)
    return df


def frame_csv(df) -> str:
    """The frame as CSV, by pandas' own writer: a header, one line per row, '\\n' line ends, no index."""
    return df.to_csv(index=False, lineterminator="\n")


def select_columns(df, columns: str, option: str = "--columns"):
    """Only the comma-separated ``columns``, in that order."""
    from archstat.errors import UsageError

    names = [c.strip() for c in columns.split(",") if c.strip()]
    if not names:
        raise UsageError(f"{option}: give column names, comma-separated; known: {_known(df)}")
    _check_known(df, names, option)
    twice = sorted({c for c in names if names.count(c) > 1})
    if twice:
        raise UsageError(f"{option}: column {', '.join(twice)} given twice")
    return df[names]


def sort_frame(df, keys: str, option: str = "--sort"):
    """Rows sorted by the comma-separated ``keys``: ``params`` ascending, ``-params`` descending, ``family,-params``
    by family then by parameters, largest first. The sort is stable; empty cells go last either way; numbers sort as
    numbers, text as text (numbers before text in a column that has both)."""
    from archstat.errors import UsageError

    parsed = [(k.strip()[1:].strip(), True) if k.strip().startswith("-") else (k.strip(), False)
              for k in keys.split(",") if k.strip()]
    if not parsed or not all(name for name, _ in parsed):
        raise UsageError(f"{option}: give a column name (or -name for descending); known: {_known(df)}")
    _check_known(df, [name for name, _ in parsed], option)
    order = list(range(len(df)))
    for name, descending in reversed(parsed):  # stable sorts, last key first
        values = df[name].tolist()
        numbers = [i for i in order if _number(values[i])]
        texts = [i for i in order if not _number(values[i]) and not _empty(values[i])]
        empty = [i for i in order if not _number(values[i]) and _empty(values[i])]
        order = (sorted(numbers, key=lambda i: values[i], reverse=descending)
                 + sorted(texts, key=lambda i: str(values[i]), reverse=descending) + empty)
    return df.iloc[order].reset_index(drop=True)


def _empty(v) -> bool:
    import pandas as pd

    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, str) and v == "") or (
        isinstance(v, float) and math.isnan(v))


def _number(v) -> bool:  # bool too: False before True
    return isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))


def _check_known(df, names: list[str], option: str) -> None:
    from archstat.errors import UsageError, one_line

    unknown = [n for n in names if n not in df.columns]
    if unknown:
        shown = ", ".join(f"'{one_line(n, 60)}'" for n in unknown[:5])
        raise UsageError(f"{option}: unknown column {shown}; known: {_known(df)}")


def _known(df) -> str:
    return ", ".join(map(str, df.columns))

"""archstat: analyse convolutional network architectures written as declarative YAML layer stacks.

    >>> import archstat
    >>> a = archstat.analyze("vgg16")
    >>> a.totals.params
    138357544

``archstat.compare([...])`` and ``Analysis.to_frame()`` give pandas DataFrames. Nothing heavy is imported here: the
engine needs only PyYAML (pandas is imported when a DataFrame is asked for).
"""

from __future__ import annotations

__version__ = "0.1.0"


def load(name_or_path: str, input: str | tuple | None = None):
    """Compile a built-in spec name or a spec file into its layer graph (``archstat.core.graph.Graph``)."""
    from archstat.language.catalog import load_graph

    return load_graph(name_or_path, input)


def analyze(name_or_path: str, input: str | tuple | None = None, batch: int = 1, dtype: str = "float32"):
    """Analyse a spec: per-layer results and totals (``archstat.core.engine.Analysis``)."""
    from archstat.core.engine import analyze as _analyze

    return _analyze(load(name_or_path, input), batch=batch, dtype=dtype)


def compare(specs: list[str], input: str | tuple | None = None, batch: int = 1, dtype: str = "float32"):
    """The comparison table (``archstat compare``) as a pandas DataFrame: one row per spec, in the order given, with
    the columns name, family, year, input, params, trainable_params, buffers, macs, flops, activations,
    activation_bytes, peak_activation_bytes, param_bytes, rf_size, rf_stride, weight_layers, depth, complete and
    top1. Needs pandas. ``archstat.compare(["resnet50", "vgg16"]).sort_values("macs")``"""
    from archstat.core.compare import compare_frame

    if isinstance(specs, str):
        specs = [specs]
    return compare_frame(list(specs), input=input, batch=batch, dtype=dtype)


__all__ = ["__version__", "analyze", "compare", "load"]

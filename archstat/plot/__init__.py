"""Pictures, drawn with matplotlib (imported only here, and only when a picture is drawn).

One module per kind of picture. Each splits its work in two: a pure function that turns analyses into the rows
it will draw (no matplotlib; ``archstat report`` writes these rows beside the image, and tests read them), and a
``draw`` function that turns the rows into a figure.

- ``landscape``: top-1 accuracy against GMACs, bubble area proportional to parameters (Canziani et al. 2017).
- ``profile``: activation memory and parameters layer by layer along one network (the VGG picture).
- ``receptive``: receptive field against depth, with the input size drawn as a line.
- ``throughput``: throughput against batch size, from ``archstat bench`` result files (``plot bench`` is a
  hidden alias, its old name).
- ``sweep``: MACs and activation memory against input size.
"""

from __future__ import annotations

from pathlib import Path

from archstat.errors import UsageError

SUFFIXES = (".png", ".svg", ".pdf")


def check_output(output: str) -> None:
    if Path(output).suffix.lower() not in SUFFIXES:
        raise UsageError(f"--output must end in .png, .svg or .pdf, got '{output}'")


def pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError('archstat plot needs matplotlib: pip install -e ".[plot]"') from None
    plt.rcParams["svg.hashsalt"] = "archstat"  # SVG ids that do not change from run to run
    return plt


def save(fig, output: str) -> None:
    """Write the figure, atomically, without the creation date and software version that would make every run's
    file differ."""
    import io

    from archstat.io.output import write_output

    plt = pyplot()
    fmt = Path(output).suffix.lower().lstrip(".")
    meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}[fmt]
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=fmt, dpi=110, metadata=meta)
    finally:
        plt.close(fig)
    write_output(output, buf.getvalue())


def short(n: float) -> str:
    """12,345,678 -> 12.3M: for labels on pictures, where the exact figure is in the table beside them."""
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.3g}{unit}"
    return f"{n:.3g}"

"""``rf``: receptive field against depth for one or more specs, with each input size drawn as a line.

Depth is counted in weight layers (conv, transposed conv, linear) along the longest path from the input, as the
engine's ``depth`` total is. At each depth the curve shows the largest field of any layer there (a branch's
widest path). It stops at the first global layer (global pooling, flatten, linear), whose field is the whole
input; an unknown field (a ``custom`` layer) leaves a gap.
"""

from __future__ import annotations

from archstat.errors import UsageError
from archstat.layers import GLOBAL
from archstat.plot import check_output, pyplot, save


def rf_rows(analysis) -> list[dict]:
    """One row per weight-layer depth: the largest receptive field (the larger side) among the layers there."""
    from archstat.core.engine import weight_depths

    depth = weight_depths(analysis.layers)
    best: dict[int, tuple[int, str]] = {}
    for r in analysis.layers:
        d = depth[r.name]
        f = r.field
        if f is GLOBAL or f is None:
            continue
        size = int(max(f.size))
        if d not in best or size > best[d][0]:
            best[d] = (size, r.name)
    h, w = analysis.input_shape[-2:]
    return [{"spec": analysis.name, "depth": d, "rf": size, "layer": layer, "input": max(h, w)}
            for d, (size, layer) in sorted(best.items())]


def draw_rf(rows_by_spec: dict[str, list[dict]], output: str) -> None:
    check_output(output)
    if not any(rows_by_spec.values()):
        raise UsageError("rf: no layer with a known, non-global receptive field, nothing to draw")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(10, 6), constrained_layout=True)
    cmap = plt.get_cmap("tab10")
    inputs: dict[int, list] = {}
    for i, (spec, rows) in enumerate(rows_by_spec.items()):
        if not rows:
            continue
        c = cmap(i % 10)
        ax.plot([r["depth"] for r in rows], [r["rf"] for r in rows], marker=".", drawstyle="steps-post", color=c,
                label=spec)
        inputs.setdefault(rows[0]["input"], []).append((spec, c))
    previous = None
    for size, users in sorted(inputs.items()):
        ax.axhline(size, color=users[0][1] if len(users) == 1 else "gray", linestyle="--", linewidth=1)
        below = previous is not None and size < previous * 1.08  # two lines this close: one label under its line
        names = ", ".join(s for s, _ in users) if len(users) <= 3 else f"{len(users)} specs"
        ax.annotate(f"input {size} ({names})", (0, size), xycoords=("axes fraction", "data"),
                    xytext=(4, -9 if below else 3), textcoords="offset points", fontsize=7, color="dimgray")
        previous = size
    ax.set_yscale("log")
    ax.set(xlabel="depth (weight layers along the longest path)", ylabel="receptive field (pixels, larger side; log)",
           title="Receptive field against depth (the curve ends at the first global layer)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")
    save(fig, output)

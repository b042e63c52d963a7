"""``profile``: activation memory and parameters of every layer along the depth of one network, one above the
other, so that the lecture's VGG picture shows for any spec: most memory in the early convolutions, most
parameters in the late fully connected layers."""

from __future__ import annotations

from archstat.errors import UsageError
from archstat.plot import check_output, pyplot, save, short

NAMED_TICKS_UP_TO = 60  # name every layer on the axis when there are at most this many


def profile_rows(analysis) -> list[dict]:
    """One row per layer, in the order the engine ran them, with the engine's figures: ``activation_bytes``, the
    size of its output (the whole batch, in the analysis's dtype), ``new_bytes``, what it allocates (0 for in-place
    layers and views, which store nothing new: the bars drawn), and its parameters."""
    return [{"index": i + 1, "layer": r.name, "kind": r.kind, "activation_bytes": r.activation_bytes,
             "new_bytes": r.new_bytes, "params": r.n_params}
            for i, r in enumerate(analysis.layers)]


def split(rows: list[dict]) -> dict:
    """Where the memory and the parameters sit: the share of the activation memory allocated (``new_bytes``) in
    the first third of the layers, and the share of parameters in the last third."""
    n = len(rows)
    third = max(n // 3, 1)
    mem = sum(r["new_bytes"] for r in rows) or 1
    par = sum(r["params"] for r in rows) or 1
    return {"memory_first_third": sum(r["new_bytes"] for r in rows[:third]) / mem,
            "params_last_third": sum(r["params"] for r in rows[n - third:]) / par}


def draw_profile(rows: list[dict], spec: str, output: str, dtype: str = "float32", batch: int = 1) -> None:
    check_output(output)
    if not rows:
        raise UsageError(f"{spec}: no layers, nothing to draw")
    plt = pyplot()
    x = [r["index"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(max(8, min(len(rows) * 0.2, 16)), 6.5), sharex=True,
                                   constrained_layout=True)
    ax1.bar(x, [r["new_bytes"] / 1e6 for r in rows], color="tab:blue", width=0.8)
    ax2.bar(x, [r["params"] / 1e6 for r in rows], color="tab:orange", width=0.8)
    s = split(rows)
    mem_total = sum(r["new_bytes"] for r in rows)
    par_total = sum(r["params"] for r in rows)
    ax1.set(ylabel=f"MB ({dtype}, batch {batch})",
            title=f"{spec}: activation memory per layer (total {short(mem_total)}B; "
                  f"{s['memory_first_third']:.0%} in the first third of the layers)")
    ax2.set(ylabel="millions", xlabel="layer, in order",
            title=f"parameters per layer (total {short(par_total)}; {s['params_last_third']:.0%} in the last third)")
    if len(rows) <= NAMED_TICKS_UP_TO:
        ax2.set_xticks(x, [r["layer"] for r in rows], rotation=90, fontsize=6.5)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3, axis="y")
        ax.margins(x=0.01)
    save(fig, output)

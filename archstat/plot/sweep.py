"""``sweep``: MACs and activation memory against the input size (rows from ``archstat.core.sweep``)."""

from __future__ import annotations

from archstat.errors import UsageError
from archstat.plot import check_output, pyplot, save


def plot_sweep(rows: list[dict], spec: str, output: str) -> None:
    """GMACs and activation memory (total and peak, MB) against the input side, with the sizes where a stride
    does not fit marked and the receptive field's reach drawn as a line."""
    check_output(output)
    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:
        raise UsageError(f"{spec}: no size in the sweep works, nothing to draw")
    plt = pyplot()
    s = [r["size"] for r in ok]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    ax1.plot(s, [r["macs"] / 1e9 for r in ok], marker=".", label="MACs")
    unfit = [r for r in ok if r["stride_does_not_fit"]]
    ax1.scatter([r["size"] for r in unfit], [r["macs"] / 1e9 for r in unfit], s=14, color="tab:red", zorder=3,
                label="a stride does not fit")
    ax1.set(xlabel="input size (H = W)", ylabel="GMACs", title=f"{spec}: multiply-accumulates")
    ax2.plot(s, [r["activation_bytes"] / 1e6 for r in ok], marker=".", label="all activations")
    ax2.plot(s, [r["peak_activation_bytes"] / 1e6 for r in ok], marker=".", label="peak live activations")
    ax2.set(xlabel="input size (H = W)", ylabel="MB", title=f"{spec}: activation memory (batch 1)")
    covered = [r["size"] for r in ok if r["rf_covers_input"]]
    for ax in (ax1, ax2):
        if covered and len(covered) < len(ok):
            ax.axvline(max(covered), color="gray", linestyle="--", linewidth=1,
                       label=f"receptive field {ok[0]['rf_size']} covers the input up to here")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    save(fig, output)

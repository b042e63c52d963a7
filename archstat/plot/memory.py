"""``memory``: training memory against batch size for a few networks (``archstat memory --train``), stacked as
parameters, gradients, optimizer state and activations saved for backward, with the step's peak and a device's
memory drawn, and the largest batch that fits marked."""

from __future__ import annotations

from archstat.errors import UsageError
from archstat.plot import check_output, pyplot, save

BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
DEVICE_BYTES = 80 * 10**9  # an 80 GB device (A100 80GB, H100 SXM, as their makers count it)
PARTS = (("param_bytes", "parameters"), ("grad_bytes", "gradients"), ("optimizer_bytes", "optimizer state"),
         ("saved_bytes", "saved activations"))


def memory_rows(memories, batches=BATCHES, device_bytes: int = DEVICE_BYTES) -> list[dict]:
    """One row per spec and batch, from ``archstat.core.memory.Memory`` results (any batch: every figure is affine
    in the batch): parameters, gradients, optimizer state and saved activations (bytes), the step's peak, and the
    largest batch that fits ``device_bytes``."""
    rows = []
    for m in memories:
        t = m.totals
        most = m.max_batch(device_bytes)
        for b in batches:
            rows.append({"spec": m.name, "batch": b, "optimizer": m.optimizer, "dtype": m.dtype,
                         "param_bytes": t.param_bytes, "grad_bytes": t.grad_bytes,
                         "optimizer_bytes": t.optimizer_bytes, "saved_bytes": t.saved.at(b),
                         "peak_bytes": m.peak_at(b), "device_bytes": device_bytes, "max_batch": most})
    return rows


def draw_memory(rows: list[dict], output: str) -> None:
    check_output(output)
    specs = list(dict.fromkeys(r["spec"] for r in rows))
    if not specs:
        raise UsageError("no networks to draw")
    plt = pyplot()
    cols = 2 if len(specs) > 1 else 1
    nrows = (len(specs) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(5.6 * cols, 3.9 * nrows), constrained_layout=True,
                             squeeze=False)
    colors = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    for ax, spec in zip([a for row in axes for a in row], specs):
        rs = [r for r in rows if r["spec"] == spec]
        x = [r["batch"] for r in rs]
        ax.stackplot(x, *[[r[k] / 1e9 for r in rs] for k, _ in PARTS], labels=[lab for _, lab in PARTS],
                     colors=colors, alpha=0.75)
        ax.plot(x, [r["peak_bytes"] / 1e9 for r in rs], color="black", marker=".", linewidth=1.2,
                label="peak of the step")
        limit = rs[0]["device_bytes"] / 1e9
        ax.axhline(limit, color="gray", linestyle="--", linewidth=1, label=f"{limit:g} GB device")
        most = rs[0]["max_batch"]
        if 0 < most <= x[-1]:
            ax.axvline(most, color="gray", linestyle=":", linewidth=1)
            ax.annotate(f"largest batch {most:,}", (most, limit), textcoords="offset points", xytext=(-4, -12),
                        ha="right", fontsize=8, color="dimgray")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")  # the fixed parts (parameters, gradients, state) stay visible beside the activations
        ax.set_xticks(x, [str(b) for b in x], fontsize=8)
        ax.set_ylim(rs[0]["param_bytes"] / 1e9 / 2, max(limit * 2, max(r["peak_bytes"] for r in rs) / 1e9 * 1.5))
        ax.set(xlabel="batch size", ylabel="GB (log scale)", title=f"{spec} ({rs[0]['optimizer']}, {rs[0]['dtype']})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    for ax in [a for row in axes for a in row][len(specs):]:
        ax.set_visible(False)
    fig.suptitle("Training memory against batch size: stacked parts, and the peak of one step (archstat memory)",
                 fontsize=10)
    save(fig, output)

"""``landscape``: top-1 ImageNet accuracy against GMACs, bubble area proportional to parameters, one bubble per
spec (the chart of Canziani, Paszke and Culurciello, "An Analysis of Deep Neural Network Models for Practical
Applications", 2017, Fig. 2).

Accuracy is cited metadata: each spec's ``accuracy:`` header, the published single-crop figure of the paper or
of the reference implementation, with its source. A spec without one, or whose figure is for another dataset
(``dataset:`` naming neither ImageNet nor ILSVRC), is left out of the picture and listed with the reason.
"""

from __future__ import annotations

import re

from archstat.errors import UsageError
from archstat.plot import check_output, pyplot, save, short

BUBBLE_PT2_PER_MPARAM = 5.0  # marker area in points^2 per million parameters


def is_imagenet(acc: dict) -> bool:
    dataset = acc.get("dataset")
    return dataset is None or bool(re.search(r"imagenet|ilsvrc", str(dataset), re.I))


def landscape_rows(analyses) -> tuple[list[dict], list[dict]]:
    """(points, left_out): a point per spec with an ImageNet top-1 in its header; the others with the reason."""
    points, left_out = [], []
    for a in analyses:
        meta = a.graph.meta
        acc = meta.get("accuracy")
        if not acc:
            left_out.append({"spec": a.name, "reason": "no accuracy in its header"})
            continue
        if not is_imagenet(acc):
            left_out.append({"spec": a.name, "reason": f"its accuracy is on {acc['dataset']}, not ImageNet"})
            continue
        points.append({"spec": a.name, "family": meta.get("family") or "", "year": meta.get("year") or "",
                       "input": "x".join(map(str, a.input_shape)), "gmacs": round(a.totals.macs / 1e9, 4),
                       "params": a.totals.params, "top1": acc["top1"], "top5": acc.get("top5", ""),
                       "accuracy_source": acc.get("source", "")})
    return points, left_out


def draw_landscape(points: list[dict], output: str, title: str | None = None) -> None:
    check_output(output)
    if not points:
        raise UsageError("landscape: none of the specs has an ImageNet top-1 accuracy in its header "
                         "('accuracy: {top1: ..., source: ...}'), nothing to draw")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 7.5), constrained_layout=True)
    families = sorted({p["family"] for p in points})
    cmap = plt.get_cmap("tab20")
    order = list(range(0, 20, 2)) + list(range(1, 20, 2))  # the ten strong colours first, then their light pairs
    colour = {f: cmap(order[i % 20]) for i, f in enumerate(families)}
    for f in families:
        ps = [p for p in points if p["family"] == f]
        ax.scatter([p["gmacs"] for p in ps], [p["top1"] for p in ps],
                   s=[max(p["params"] / 1e6 * BUBBLE_PT2_PER_MPARAM, 4) for p in ps],
                   color=colour[f], alpha=0.6, edgecolors="black", linewidths=0.5)
    ax.set_xscale("log")
    xs = [p["gmacs"] for p in points]
    ys = [p["top1"] for p in points]
    ax.set_xlim(min(xs) / 1.6, max(xs) * 2.2)
    ax.set_ylim(min(ys) - 2, max(ys) + 2)
    _label(fig, ax, points)
    ax.set(xlabel="GMACs per image (log scale; at the spec's input size)", ylabel="top-1 accuracy (%)")
    ax.set_title("ImageNet-1k validation, single centre crop, as cited in each spec's header (archstat list); "
                 "MACs: conv and linear multiply-accumulates", fontsize=8, color="dimgray")
    fig.suptitle(title or "Top-1 accuracy against multiply-accumulates; bubble area proportional to parameters")
    ax.grid(alpha=0.3, which="both")
    fam = [ax.scatter([], [], s=30, color=colour[f], alpha=0.6, edgecolors="black", linewidths=0.5) for f in families]
    fam_legend = ax.legend(fam, [f or "(no family)" for f in families], loc="lower right", fontsize=7,
                           title="family", title_fontsize=8, ncol=2)
    ax.add_artist(fam_legend)
    handles = [ax.scatter([], [], s=m * BUBBLE_PT2_PER_MPARAM, color="gray", alpha=0.4, edgecolors="black",
                          linewidths=0.5) for m in (5, 25, 100)]
    ax.legend(handles, [short(m * 1e6) + " params" for m in (5, 25, 100)], loc="upper left", fontsize=7,
              labelspacing=1.6, borderpad=1.0, title="parameters", title_fontsize=8)
    save(fig, output)


def _label(fig, ax, points: list[dict]) -> None:
    """Name every bubble, moving a name to another side of its bubble when it would cover one already placed
    (greedy, in display points; names are about 3.6 pt per character at 6.5 pt)."""
    to_pt = 72.0 / fig.dpi
    placed: list[tuple] = []
    offsets = [(5, 3), (5, -9), (-5, 3), (-5, -9), (5, 11), (5, -17), (-5, 11), (-5, -17), (5, 19), (5, -25)]
    for p in sorted(points, key=lambda p: (p["gmacs"], p["top1"])):
        x, y = (v * to_pt for v in ax.transData.transform((p["gmacs"], p["top1"])))
        w, h = 3.6 * len(p["spec"]), 7.0
        for dx, dy in offsets:
            x0 = x + dx if dx > 0 else x + dx - w
            box = (x0, y + dy, x0 + w, y + dy + h)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
                break
        placed.append(box)
        ax.annotate(p["spec"], (p["gmacs"], p["top1"]), xytext=(dx, dy), textcoords="offset points", fontsize=6.5,
                    ha="left" if dx > 0 else "right")

"""``archstat memory``: the training-memory table, and its JSON, CSV and Markdown.

The JSON keys are a contract (README, "Training memory"): ``totals.saved_bytes``, ``param_bytes``, ``grad_bytes``,
``optimizer_bytes``, ``peak_bytes`` in training; ``mode: "inference"`` and ``peak_activation_bytes`` without
``--train``. Numbers are raw integers; a layer whose kind states no saved rule has ``saved_bytes: null``.
"""

from __future__ import annotations

import csv
import io
import json

from archstat.core.memory import Memory
from archstat.render.numbers import human_bytes, shape

CONVENTIONS = {
    "saved": "saved = activations autograd keeps for backward, as each kind's torch module saves them (its rule: "
             "archstat kinds --saved); each storage counted once (an in-place ReLU saves its input's storage, a "
             "view its base's); int64 indices, bool masks and float32 statistics in their own types",
    "peak": "peak = most bytes alive at once in one training step: forward in spec order (saved tensors kept, others "
            "freed after their last use), backward in reverse (each gradient alive from its last consumer's "
            "backward to its producer's; saved tensors freed after their earliest saver's backward), then the "
            "optimizer step; parameters, buffers, optimizer state, the input batch and the outputs resident",
    "params": "parameters, gradients and optimizer state in the parameter type (float32 master weights under AMP); "
              "optimizer state per parameter: sgd 0, momentum 1, adam and adamw 2, whose step also allocates one "
              "parameter-sized temporary",
    "amp": "AMP: CUDA autocast's rule per kind: conv, linear and attention's products in the half type (inputs and "
           "weights cast, the casts saved where the op saves them), softmax and the norms but batch norm in float32, "
           "everything else in the widest type of its inputs and parameters",
    "checkpoint": "checkpoint blocks: each block (consecutive layers sharing their first d name parts, the "
                  "shallowest d giving sqrt(layers) blocks) keeps only its inputs in the forward pass and recomputes "
                  "its forward at backward; saved = the blocks' inputs + the largest block's recompute",
    "not_modelled": "transient tensors inside one layer, allocator rounding and caching, cuDNN workspaces, the CUDA "
                    "context",
}

COLUMNS = [("#", "r"), ("Layer", "l"), ("Kind", "l"), ("Output", "r"), ("Storage", "l"), ("Params", "r"),
           ("Grads", "r"), ("Optimizer", "r"), ("Saved", "r"), ("Saves", "l")]


def saves_text(layer) -> str:
    """What a layer saves, in words: ``input, mean, inverse std``; shared storages counted at another layer marked
    ``(counted before)``; ``?`` when the kind has no rule."""
    if layer.saved is None:
        return "? (no rule)" if layer.requires_grad else ""
    parts = []
    for t in layer.saved:
        note = "" if t.counted else " (counted before)"
        parts.append(f"{t.what}{note}")
    return ", ".join(parts)


def rows(m: Memory) -> list[dict]:
    out = []
    for r in m.layers:
        row = {"name": r.name, "kind": r.kind, "output_shape": list(r.output_shape), "storage": r.storage,
               "params": r.params, "param_bytes": r.param_bytes}
        if m.train:
            row.update({
                "requires_grad": r.requires_grad, "grad_bytes": r.grad_bytes, "optimizer_bytes": r.optimizer_bytes,
                "saved_bytes": r.saved_bytes,
                "saved": None if r.saved is None else [
                    {"what": t.what, "bytes": t.bytes, "dtype": t.dtype, "shares": t.shares, "counted": t.counted}
                    for t in r.saved],
                "rule": r.rule})
            if r.segment is not None:
                row["segment"] = r.segment
        out.append(row)
    return out


def totals(m: Memory) -> dict:
    t = m.totals
    if not m.train:
        a = m.inference.totals
        d = {"mode": "inference", "param_bytes": t.param_bytes, "buffer_bytes": t.buffer_bytes,
             "peak_activation_bytes": a.peak_activation_bytes, "peak_bytes": t.peak_bytes,
             "per_sample_bytes": t.peak.per_sample, "fixed_bytes": t.peak.fixed}
    else:
        d = {"mode": "training", "saved_bytes": t.saved_bytes, "param_bytes": t.param_bytes,
             "grad_bytes": t.grad_bytes, "optimizer_bytes": t.optimizer_bytes, "buffer_bytes": t.buffer_bytes,
             "input_bytes": t.input_bytes, "peak_bytes": t.peak_bytes, "peak_phase": t.peak_phase,
             "peak_layer": t.peak_layer, "per_sample_bytes": t.peak.per_sample, "fixed_bytes": t.peak.fixed,
             "complete": not t.unknown, "unknown": t.unknown}
        if t.checkpoint is not None:
            d["checkpoint"] = t.checkpoint
    if t.device_bytes is not None:
        d["device_memory_bytes"] = t.device_bytes
        d["max_batch"] = t.max_batch
    return d


def to_dict(m: Memory) -> dict:
    conv = CONVENTIONS if m.train else {"peak": "inference: parameters + buffers + the peak of live activations in "
                                                "an inference pass (archstat summary's peak)"}
    return {"name": m.name, "title": m.inference.graph.meta.get("title"), "input": list(m.input_shape),
            "batch": m.batch, "dtype": m.dtype, "param_dtype": m.param_dtype, "train": m.train, "amp": m.amp,
            "optimizer": m.optimizer if m.train else None, "checkpoint": m.checkpoint, "device": m.device,
            "conventions": conv, "layers": rows(m), "totals": totals(m)}


def to_json(m: Memory) -> str:
    return json.dumps(to_dict(m), indent=2) + "\n"


CSV_TRAIN = ["name", "kind", "output_shape", "storage", "requires_grad", "params", "param_bytes", "grad_bytes",
             "optimizer_bytes", "saved_bytes", "saves"]
CSV_INFER = ["name", "kind", "output_shape", "storage", "params", "param_bytes"]


def to_csv(m: Memory) -> str:
    cols = CSV_TRAIN if m.train else CSV_INFER
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
    w.writeheader()
    for layer, r in zip(m.layers, rows(m)):
        r = dict(r, output_shape=shape(r["output_shape"]), saves=saves_text(layer))
        if m.train and r["saved_bytes"] is None:
            r["saved_bytes"] = ""
        w.writerow(r)
    return buf.getvalue()


def headline(m: Memory) -> str:
    title = m.inference.graph.meta.get("title") or m.name
    what = "training step" if m.train else "inference"
    extra = []
    if m.train:
        extra.append(f"{m.optimizer}")
        if m.amp:
            extra.append(f"AMP {m.dtype}, float32 master weights")
        if m.checkpoint != "none":
            extra.append(f"checkpoint {m.checkpoint}")
    dt = m.dtype if not m.amp else "float32 params"
    return (f"{title} ({m.name}; {what}; input {shape(m.input_shape)}, batch {m.batch}, {dt}"
            + "".join(f", {e}" for e in extra) + ")")


def totals_lines(m: Memory) -> list[str]:
    t = m.totals
    lines = []
    if not m.train:
        a = m.inference.totals
        lines.append(f"Inference (no --train): parameters {human_bytes(t.param_bytes)} + buffers "
                     f"{human_bytes(t.buffer_bytes)} + peak activations {human_bytes(a.peak_activation_bytes)} "
                     f"= {human_bytes(t.peak_bytes)}")
    else:
        lines.append(f"Parameters {human_bytes(t.param_bytes)}   Gradients {human_bytes(t.grad_bytes)}   "
                     f"Optimizer state ({m.optimizer}) {human_bytes(t.optimizer_bytes)}   "
                     f"Buffers {human_bytes(t.buffer_bytes)}")
        saved = f"Saved for backward {human_bytes(t.saved_bytes)} ({t.saved_bytes:,} B)"
        if t.checkpoint:
            c = t.checkpoint
            saved += (f": {c['segments']} blocks (depth {c['depth']}), their inputs "
                      f"{human_bytes(c['boundary_bytes'])} + recompute of the largest ({c['largest_segment']}) "
                      f"{human_bytes(c['recompute_bytes'])}")
        lines.append(saved)
        lines.append(f"Peak {human_bytes(t.peak_bytes)} ({t.peak_bytes:,} B) in the {t.peak_phase}"
                     + (f" at {t.peak_layer}" if t.peak_phase != "optimizer" else " step")
                     + f"   = {human_bytes(t.peak.fixed)} + {human_bytes(t.peak.per_sample)} per sample")
        if t.unknown:
            kinds = sorted({r.kind for r in m.layers if r.name in set(t.unknown)})
            lines.append(f"partial: no saved rule for kind {', '.join(kinds)} ({len(t.unknown)} layers: "
                         f"{', '.join(t.unknown[:3])}{', ...' if len(t.unknown) > 3 else ''}); saved and peak are "
                         f"lower bounds")
    if t.device_bytes is not None:
        lines.append(f"Largest batch in {human_bytes(t.device_bytes)}: {t.max_batch:,}"
                     + (" (lower bound of the true need: partial)" if m.train and t.unknown else ""))
    return lines


def _cells(m: Memory) -> tuple[list, list[list[str]]]:
    if not m.train:
        cols = [("#", "r"), ("Layer", "l"), ("Kind", "l"), ("Output", "r"), ("Storage", "l"), ("Params", "r")]
        data = [[str(i), r.name, r.kind, shape(r.output_shape), r.storage, human_bytes(r.param_bytes)]
                for i, r in enumerate(m.layers, 1)]
        return cols, data
    data = []
    for i, r in enumerate(m.layers, 1):
        data.append([str(i), r.name, r.kind, shape(r.output_shape), r.storage, human_bytes(r.param_bytes),
                     human_bytes(r.grad_bytes), human_bytes(r.optimizer_bytes),
                     "?" if r.saved_bytes is None and r.requires_grad else human_bytes(r.saved_bytes or 0),
                     saves_text(r)])
    return COLUMNS, data


def table_text(m: Memory) -> str:
    """The table as plain text, columns padded by hand (fast on deep networks, as the summary's)."""
    cols, data = _cells(m)
    widths = [max(len(h), *(len(row[j]) for row in data)) if data else len(h) for j, (h, _) in enumerate(cols)]
    gap = "   "

    def line(cells):
        return " " + gap.join(c.rjust(w) if al == "r" else c.ljust(w)
                              for c, (_, al), w in zip(cells, cols, widths)).rstrip()

    out = [headline(m), "", line([h for h, _ in cols]), " " + "─" * (sum(widths) + len(gap) * (len(cols) - 1))]
    out += [line(row) for row in data]
    out += [""] + totals_lines(m) + [""]
    out += [f"{k}: {v}" for k, v in (CONVENTIONS.items() if m.train else [])]
    return "\n".join(out) + "\n"


def print_table(m: Memory, console) -> None:
    from rich.markup import escape

    text = table_text(m)
    console.print(escape(text), highlight=False, soft_wrap=True, end="")


def to_markdown(m: Memory) -> str:
    cols, data = _cells(m)
    lines = [f"## {headline(m)}", "", "| " + " | ".join(h for h, _ in cols) + " |",
             "|" + "|".join("--:" if al == "r" else "---" for _, al in cols) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in data]
    lines += [""] + [f"**{x}**" if i == 0 else x for i, x in enumerate(totals_lines(m))] + [""]
    if m.train:
        lines += [f"- {k}: {v}" for k, v in CONVENTIONS.items()]
    return "\n".join(lines) + "\n"


def saved_table() -> str:
    """The README's table of what each kind saves for backward (``archstat kinds --saved``): one row per kind,
    sorted by name; a kind without a rule reads "unknown"."""
    from archstat.layers import KINDS

    lines = ["| kind | saved for backward (training) |", "|---|---|"]
    for kind, cls in sorted(KINDS.items()):
        rule = cls.saved_rule if cls.saved_rule else "**unknown**: no rule (reported as unknown, never counted as 0)"
        lines.append(f"| `{kind}` | {rule} |")
    return "\n".join(lines) + "\n"

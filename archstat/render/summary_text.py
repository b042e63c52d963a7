"""The summary as text, without rich: the per-layer table fitted to a width, the totals, the conventions and the
notes grouped by cause. ``console.print_summary`` styles these same pieces for a terminal; a pipe, a file and
``--output`` get them as plain text (rich is never imported on that path: ``summary`` answers a pipe faster).

Fitting a width (the terminal's, or ``COLUMNS``; a pipe or file without ``COLUMNS`` gets every column): while the
table is wider than the width, these steps are taken in this order, stopping as soon as it fits, and the columns
left out are named under the table (``--wide`` keeps every column):

1. two spaces between columns instead of three;
2. the output column headed ``Output`` instead of ``Output (CxHxW)``;
3. parameters in human units (``8.39M`` for ``8,393,728``);
4. the ``#`` column left out, then ``RF (stride)``, then ``Activations``, then ``Kind``;
5. layer names cut, with ``…``, to what is left (never below 12 characters).
"""

from __future__ import annotations

import os
import re
import sys

from archstat.core.conventions import short
from archstat.core.engine import Analysis
from archstat.core.notes import code_of
from archstat.layers import elems
from archstat.render.numbers import commas, human, human_bytes, shape
from archstat.render.records import field_headline, rf_cell, rows, storage, stored_cell

COLUMNS = [("#", "r"), ("Layer", "l"), ("Kind", "l"), ("Output (CxHxW)", "r"), ("Params", "r"), ("MACs", "r"),
           ("Activations", "r"), ("RF (stride)", "r")]
DROP_ORDER = ("#", "RF (stride)", "Activations", "Kind")  # left out in this order when the table is too wide
MIN_NAME = 12  # a layer name is never cut shorter than this
MAX_NOTE_LAYERS = 8  # a grouped note names this many layers, then "and N more"


def terminal_width(stream=None) -> int | None:
    """The width to fit: ``COLUMNS`` when set, else the terminal's when ``stream`` (standard output) is one, else
    None (a pipe or a file: no limit)."""
    raw = os.environ.get("COLUMNS", "")
    if raw.strip().isdigit() and int(raw) > 0:
        return int(raw)
    stream = sys.stdout if stream is None else stream
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        pass
    return None


def summary_cells(a: Analysis, depth: int | None = None, human_params: bool = False) -> list[list[tuple[str, str]]]:
    """The table as rows of (text, style) cells, one per column of ``COLUMNS``; the input row first."""
    num = human if human_params else commas
    out = [[("0", "dim"), ("input", ""), ("", ""), (shape(a.input_shape), ""), ("0", "dim"), ("0", "dim"),
            (human(elems(a.input_shape) * a.batch), ""), ("1 (1)" if len(a.input_shape) == 3 else "all", "")]]
    where = storage(a)
    for i, r in enumerate(rows(a, depth), 1):
        n = stored_cell(r, a)
        act = (human(n), "") if n is not None else (where[r["name"]], "dim")
        macs = (human(r["macs"]), "") if r["macs"] else (("?", "bold yellow") if r["macs"] is None else ("0", "dim"))
        params = (num(r["params"]), "") if r["params"] else ("0", "dim")
        name = r["name"] + (f" ({r['layers']} layers)" if r.get("layers") else "")
        out.append([(str(i), "dim"), (name, ""), (r["kind"], "cyan"), (shape(r["output_shape"]), ""), params, macs,
                    act, (rf_cell(r["rf"]), "")])
    return out


class Layout:
    """The columns a table shows at a width: their headers and alignment, the cells, the gap between columns,
    the columns left out and whether names were cut."""

    def __init__(self, a: Analysis, depth: int | None, width: int | None, wide: bool = False):
        self.gap = "   "
        self.headers = [h for h, _ in COLUMNS]
        self.cells = summary_cells(a, depth)
        self.keep = list(range(len(COLUMNS)))
        self.dropped: list[str] = []
        self.cut = False
        if wide or width is None or self.width() <= width:
            return
        self.gap = "  "
        if self.width() > width:
            self.headers[3] = "Output"
        if self.width() > width:
            self.cells = summary_cells(a, depth, human_params=True)
        for name in DROP_ORDER:
            if self.width() <= width:
                break
            j = self.headers.index(name) if name in self.headers else None
            if j is not None and j in self.keep:
                self.keep.remove(j)
                self.dropped.append(name)
        if self.width() > width:  # cut the layer names to what is left
            room = max(MIN_NAME, self.widths()[1] - (self.width() - width))
            for row in self.cells:
                text, style = row[1]
                if len(text) > room:
                    row[1] = (text[: room - 1] + "…", style)
                    self.cut = True

    def widths(self) -> list[int]:
        return [max(len(h), *(len(row[j][0]) for row in self.cells)) for j, h in enumerate(self.headers)]

    def width(self) -> int:
        """The printed width of a row: a leading space, the kept columns and the gaps between them."""
        w = self.widths()
        return 1 + sum(w[j] for j in self.keep) + len(self.gap) * (len(self.keep) - 1)

    def footer(self) -> str | None:
        """The line under a fitted table saying what was left out."""
        if not (self.dropped or self.cut):
            return None
        what = []
        if self.dropped:
            what.append(f"column{'s' if len(self.dropped) > 1 else ''} {', '.join(self.dropped)} left out")
        if self.cut:
            what.append("layer names cut")
        return f"({' and '.join(what)} to fit the width; --wide shows the whole table)"


def summary_segments(a: Analysis, depth: int | None = None, width: int | None = None,
                     wide: bool = False) -> list[tuple[str, str | None]]:
    """The per-layer table as (text, style) pieces, columns padded by hand: rich's Table measures and renders
    every cell separately (about 120 ms for ResNet-50's 175 rows, against a 0.3 s budget for the whole command;
    reports/perf_core.md)."""
    lay = Layout(a, depth, width, wide)
    widths = lay.widths()
    right = [al == "r" for _, al in COLUMNS]
    title = a.graph.meta.get("title") or a.name
    header = lay.gap.join(lay.headers[j].rjust(widths[j]) if right[j] else lay.headers[j].ljust(widths[j])
                          for j in lay.keep)
    about = f"({a.name}; input {shape(a.input_shape)}, batch {a.batch}, {a.dtype})"
    about = ("\n" if width is not None and not wide and len(title) + 1 + len(about) > width else " ") + about
    out = [(title, "italic"), (about + "\n\n", "dim"),
           (" " + header + "\n", "bold"), (" " + "─" * len(header) + "\n", None)]
    for row in lay.cells:
        out.append((" ", None))
        for k, j in enumerate(lay.keep):
            value, style = row[j]
            if k:
                out.append((lay.gap, None))
            out.append((value.rjust(widths[j]) if right[j] else value.ljust(widths[j]), style or None))
        out.append(("\n", None))
    foot = lay.footer()
    if foot:
        out.append(("\n".join(_wrap(foot, width, " ")) + "\n", "dim"))
    return out


def totals_items(a: Analysis) -> list[list[tuple[str, str, str]]]:
    """The totals under the table: lines of (label, value, style of the value) items."""
    t = a.totals
    flops = f"{t.flops:,} ({human(t.flops)})"
    partial = []
    if t.unknown_macs or t.unknown_flops:
        unk = sorted(set(t.unknown_macs) | set(t.unknown_flops))
        partial = [("", f"partial: unknown counts in {', '.join(unk)}; totals are lower bounds", "bold yellow")]
    return [
        [("Params", f"{t.params:,} ({human(t.params)}; trainable {t.trainable_params:,}; weights without biases "
                    f"{t.weights:,}; buffers {t.buffers:,})", ""),
         ("Param memory", human_bytes(t.param_bytes), "")],
        [("MACs", f"{t.macs:,} ({human(t.macs)})", ""), ("FLOPs", flops, ""), *partial],
        [("Activations", f"{t.activations:,} ({human(t.activations)}; {human_bytes(t.activation_bytes)})", ""),
         ("Peak activations", human_bytes(t.peak_activation_bytes), ""), ("Receptive field", field_headline(a), ""),
         ("Depth", f"{t.depth} weight layers", "")],
    ]


def _item_text(label: str, value: str) -> str:
    return f"{label} {value}" if label else value


def fit_items(lines: list[list[tuple[str, str, str]]], width: int | None) -> list[list[tuple[str, str, str]]]:
    """Lines of items, a line that is wider than ``width`` broken between its items (never inside a number)."""
    out: list[list[tuple[str, str, str]]] = []
    for items in lines:
        line: list[tuple[str, str, str]] = []
        used = 0
        for item in items:
            n = len(_item_text(item[0], item[1]))
            if width is not None and n > width:  # an item wider than the width alone: broken between its words
                import textwrap

                if line:
                    out.append(line)
                chunks = textwrap.wrap(item[1], max(1, width - len(item[0]) - 1), break_long_words=False,
                                       break_on_hyphens=False) or [item[1]]
                out.append([(item[0], chunks[0], item[2])])
                out += [[("", "  " + c, item[2])] for c in chunks[1:]]
                line, used = [], 0
                continue
            sep = 2 if not item[0] else 3  # the partial warning follows its line after two spaces
            if line and width is not None and used + sep + n > width:
                out.append(line)
                line, used = [], 0
            used += (sep if line else 0) + n
            line.append(item)
        out.append(line)
    return out


def items_plain(line: list[tuple[str, str, str]]) -> str:
    return "".join(("  " if not label else "   ") * bool(k) + _item_text(label, value)
                   for k, (label, value, _) in enumerate(line))


def totals_plain(a: Analysis, width: int | None = None) -> list[str]:
    return [items_plain(line) for line in fit_items(totals_items(a), width)]


# ---- notes, grouped by cause ----------------------------------------------------------------------------------
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def note_groups(notes: list[tuple[str, str]]) -> list[tuple[list[str], list[str]]]:
    """Notes grouped by cause, each group's layers listed once: [(layers, texts)], in the order the layers come.

    A cause is a note's code and its text with the numbers masked: ResNet's three downsample projections (1x1,
    stride 2, on 56, 28 and 14 wide maps) give the same two causes. Causes that hit the same layers form one
    group. A cause whose texts differ in their numbers is shown by the first layer's text, saying so."""
    causes: dict[tuple, list[tuple[str, str]]] = {}
    for layer, text in notes:
        causes.setdefault((code_of(text), _NUMBER.sub("#", str(text))), []).append((layer, str(text)))
    groups: dict[tuple[str, ...], list[str]] = {}
    for hits in causes.values():
        layers = tuple(dict.fromkeys(layer for layer, _ in hits))
        texts = list(dict.fromkeys(text for _, text in hits))
        if len(layers) > 1 and len(texts) > 1:
            shown = f"{texts[0]} (at {layers[0]}; at the others with their own numbers)"
        else:
            shown = texts[0] if len(texts) == 1 else "; ".join(texts)
        groups.setdefault(layers, []).append(shown)
    return [(list(layers), texts) for layers, texts in groups.items()]


def note_lines(notes: list[tuple[str, str]]) -> list[tuple[str | None, str]]:
    """The notes as (layer heading or None, text) lines: a note of one layer reads ``note LAYER: text``; notes
    shared by several layers read ``note LAYER, LAYER, ...:`` once, then one ``  - text`` line per cause."""
    out: list[tuple[str | None, str]] = []
    for layers, texts in note_groups(notes):
        if len(layers) == 1:
            out += [(layers[0], text) for text in texts]
            continue
        shown = layers[:MAX_NOTE_LAYERS]
        more = f" and {len(layers) - len(shown)} more" if len(layers) > len(shown) else ""
        out.append((f"{', '.join(shown)}{more}", ""))
        out += [(None, text) for text in texts]
    return out


def _wrap(text: str, width: int | None, indent: str = "  ") -> list[str]:
    if width is None or len(text) <= width:
        return [text]
    import textwrap

    return textwrap.wrap(text, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False) \
        or [text]


def summary_plain(a: Analysis, depth: int | None = None, width: int | None = None, wide: bool = False) -> str:
    """The summary as plain text, for a pipe or a file: no styles, and no rich, which costs more than the analysis
    itself on deep networks (a 7,000-layer table: about 0.6 s). Prose lines are wrapped at ``width``."""
    parts = [v for v, _ in summary_segments(a, depth, width, wide)]
    parts.append("\n")  # as console.print ends the table's Text
    parts += [line + "\n" for line in totals_plain(a, width)]
    parts.append("\n")
    parts += [w + "\n" for line in short(a.dtype, a.batch) for w in _wrap(line, width)]
    if a.notes:
        parts.append("\n")
        for head, text in note_lines(a.notes):
            line = f"note {head}: {text}" if head is not None else f"  - {text}"
            parts += [w + "\n" for w in _wrap(line.rstrip(), width, "    ")]
    return "".join(parts)

"""``archstat check`` results: a per-spec verdict line and a per-layer diff (table), or flat rows (JSON, CSV,
Markdown)."""

from __future__ import annotations

import csv
import io
import json

COLUMNS = ["spec", "layer", "kind", "shape", "torch_shape", "params", "torch_params", "buffers", "torch_buffers",
           "macs", "fvcore_macs", "twice_macs", "flop_counter_flops", "fvcore_other", "ok", "problems", "checked"]


def _rows(results) -> list[dict]:
    out = []
    for sc in results:
        for r in sc.layers:
            d = {"spec": sc.spec, **r.as_dict()}
            out.append(d)
    return out


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return "x".join(map(str, v)) if all(isinstance(x, int) for x in v) else ";".join(map(str, v))
    if isinstance(v, dict):
        return ";".join(f"{k}={n}" for k, n in v.items())
    return str(v)


def to_json(results) -> str:
    return json.dumps({"specs": [sc.totals() for sc in results], "layers": _rows(results)}, indent=2) + "\n"


def to_csv(results) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for d in _rows(results):
        w.writerow({k: _cell(d.get(k)) for k in COLUMNS})
    return buf.getvalue()


def to_markdown(results) -> str:
    cols = ["spec", "layers", "disagreeing_layers", "params", "torch_params", "macs", "fvcore_macs", "twice_macs",
            "flop_counter_flops", "ok"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for sc in results:
        t = sc.totals()
        lines.append("| " + " | ".join(_cell(t[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def print_table(results, console, all_layers: bool = False) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console.print("[dim]judges: shapes and parameters from the torch module (meta device); MACs from fvcore's "
                  "conv/linear/matmul operators (its batch-norm, pooling and upsampling counts set aside); "
                  "FlopCounterMode's FLOPs against 2 x MACs (it counts only matrix products and convolutions)[/]")
    for sc in results:
        t = sc.totals()
        fv = f"fvcore {t['fvcore_macs']:,}" if sc.fvcore else "fvcore skipped"
        verdict = Text("agrees" if t["ok"] else f"{t['disagreeing_layers']} layers disagree",
                       style="green" if t["ok"] else "bold red")
        line = Text(f"{sc.spec}: {t['layers']} layers; params {t['params']:,} (torch {t['torch_params']:,}); "
                    f"MACs {t['macs']:,} ({fv}); 2 x MACs {t['twice_macs']:,} (FlopCounterMode "
                    f"{t['flop_counter_flops']:,}): ")
        line.append_text(verdict)
        if sc.unchecked:
            line.append(f"; not checked: {', '.join(f'{r.name} ({r.kind})' for r in sc.unchecked)} (no PyTorch "
                        f"module: a stand-in of its declared shape and counts)", style="yellow")
        console.print(line)
        shown = sc.layers if all_layers else [r for r in sc.layers if r.problems or not r.checked]
        if not shown:
            continue
        tab = Table(box=box.SIMPLE_HEAD, pad_edge=False)
        for c in ("layer", "kind", "shape / torch", "params / torch", "buffers / torch", "MACs / fvcore",
                  "2xMACs / FlopCounter", "fvcore other", "problems"):
            tab.add_column(c)
        for r in shown:
            d = r.as_dict()
            tab.add_row(r.name, r.kind, f"{_cell(d['shape'])} / {_cell(d['torch_shape'])}",
                        f"{r.params:,} / {r.torch_params:,}", f"{r.buffers:,} / {r.torch_buffers:,}",
                        f"{_cell(r.macs)} / {_cell(r.fvcore_macs)}", f"{_cell(d['twice_macs'])} / {_cell(r.fcm_flops)}",
                        _cell(r.fvcore_other),
                        Text("not checked", style="yellow") if not r.checked else
                        Text(", ".join(r.problems) or "ok", style="bold red" if r.problems else "green"))
        console.print(tab)

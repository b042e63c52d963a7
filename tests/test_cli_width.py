"""Output that fits the terminal (issue 18, trap 6): the summary table narrowed and columns left out in a stated
order at 80 columns (``--wide``: all), notes grouped by cause, compare's readable default columns in human units,
and ``kinds`` printing bracketed types as written. Through the CLI, the width set with COLUMNS."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from archstat.cli import app


def run(*args, columns: int = 80):
    r = CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, r.output
    return r.output


def test_summary_fits_80_columns_and_says_what_it_left_out():
    out = run("summary", "resnet18", "--depth", "1")
    assert max(len(line) for line in out.splitlines()) <= 80, out
    header = next(line for line in out.splitlines() if "Layer" in line and "MACs" in line)
    # the stated order: gaps, the Output heading, parameters in human units, then '#', then 'RF (stride)'
    assert "#" not in header and "RF (stride)" not in header and "Activations" in header and "Kind" in header
    assert "(columns #, RF (stride) left out to fit the width; --wide shows the whole table)" in out
    assert " layer4 (16 layers)  group              512x7x7    8.39M  411.04M      301.06K" in out
    assert "Params 11,689,512 (11.69M;" in out  # the totals keep full numbers, broken between words only


def test_summary_wide_and_wide_terminals_show_every_column():
    for out in (run("summary", "resnet18", "--depth", "1", "--wide"), run("summary", "resnet18", "--depth", "1",
                                                                           columns=140)):
        assert "  #   Layer                Kind             Output (CxHxW)      Params      MACs   Activations" \
               "   RF (stride)" in out
        assert "left out to fit" not in out and "8,393,728" in out


def test_narrower_terminals_leave_out_more_in_order_and_cut_names_last():
    out = run("summary", "inception_v3", columns=50)
    header = next(line for line in out.splitlines() if "Layer" in line and "MACs" in line)
    assert header.split() == ["Layer", "Output", "Params", "MACs"]
    assert "columns #, RF (stride), Activations, Kind left out" in " ".join(out.split())
    table = out.split("─", 1)[1].split("\n\n", 1)[0]
    assert max(len(line) for line in table.splitlines()[1:]) <= 50 or "…" in table


def test_notes_are_grouped_by_cause_with_the_layers_listed_once():
    out = run("summary", "resnet18", columns=200)
    notes = out[out.index("\nnote ") + 1:]
    assert notes.count("note ") == 1, notes  # six notes once: two causes at three layers
    assert notes.startswith("note layer2.0.downsample.0, layer3.0.downsample.0, layer4.0.downsample.0:\n")
    assert notes.count("downsample") == 3 + 1  # the heading, and the first layer named in the varying cause
    assert "  - the 1x1 window is narrower than the stride 2x2" in notes
    assert "  - (56 - 1 + 0)/2 + 1 = 28.50: a 1-wide window with stride 2 does not fit a 56-wide input" in notes
    assert "(at layer2.0.downsample.0; at the others with their own numbers)" in " ".join(notes.split())
    d = json.loads(run("summary", "resnet18", "--format", "json"))
    assert len(d["notes"]) == 6  # the machine format keeps every note


def test_a_single_layers_note_reads_as_before(tmp_path):
    p = tmp_path / "n.yaml"
    p.write_text("name: n\ninput: [1, 7, 7]\nlayers:\n  - conv: {out: 1, kernel: 3, stride: 3}\n")
    out = run("summary", str(p), columns=300)
    assert "note conv1: (7 - 3 + 0)/3 + 1 = 2.33: a 3-wide window with stride 3 does not fit a 7-wide input" in out


def test_compare_default_columns_are_readable_at_80_and_full_in_csv_and_json():
    for width in (80, 100, 160):
        out = run("compare", "resnet18", "resnet50", "vgg16", columns=width)
        assert "…" not in out, out
        assert max(len(line) for line in out.splitlines()) <= width
        assert "11.69M" in out and "1.81G" in out and "138.36M" in out and "25.69MB" in out
        assert "--columns A,B,... for others, --wide for all" in " ".join(out.split())
    rows = list(csv.DictReader(io.StringIO(run("compare", "resnet18", "--format", "csv"))))
    assert rows[0]["params"] == "11689512" and rows[0]["macs"] == "1814073344" and "flops" in rows[0]
    (row,) = json.loads(run("compare", "resnet18", "--format", "json"))
    assert row["params"] == 11689512 and row["peak_activation_bytes"] == 6422528
    wide = run("compare", "resnet18", "--wide", columns=80)
    assert "trainable" in wide and "FLOPs" in wide and "weight layers" in wide and "…" not in wide
    picked = run("compare", "resnet18", "--columns", "name,flops,buffers")
    assert "3.64G" in picked and "9.62K" in picked and "MACs" not in picked


def test_kinds_prints_bracketed_types_as_written():
    out = " ".join(run("kinds", columns=200).split())
    assert "kernel: int | [h, w]" in out and "dims: [int, ...]" in out and "[t, b, l, r]" in out
    assert "int | ," not in out

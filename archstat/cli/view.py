"""``archstat view``: the network drawn, Netscope-style: one self-contained HTML page (laid out in the browser by the
vendored dagre), or SVG and PNG laid out by Graphviz's dot (the ``view`` extra)."""

from __future__ import annotations

import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from archstat.cli._boundary import command
from archstat.cli._options import BatchOpt, DType, DTypeOpt, InputOpt

SUFFIXES = (".html", ".svg", ".png")


class ColorBy(str, Enum):
    macs = "macs"
    params = "params"
    memory = "memory"
    rf = "rf"


@command()
def view(
    specs: Annotated[Optional[list[str]], typer.Argument(help="Spec names or files (archstat list).")] = None,
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="net.html (the page), net.svg or net.png "
                                                  "(Graphviz's dot). Default: NAME.html here.")] = None,
    depth: Annotated[Optional[int], typer.Option("--depth", "-d", min=1, help="Open groups shallower than this "
                                                 "depth of the name path; deeper ones start collapsed (default: all "
                                                 "open, or a depth that keeps a large network readable).")] = None,
    color_by: Annotated[ColorBy, typer.Option("--color-by", help="The cost nodes are coloured by (the page can "
                                              "switch).")] = ColorBy.macs,
    all_specs: bool = typer.Option(False, "--all", help="Every built-in spec (with --output-dir)."),
    output_dir: Annotated[Optional[str], typer.Option("--output-dir", help="Write NAME.html (or --format's suffix) "
                                                      "for each spec into this folder.")] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="With --output-dir: html, svg or png.")] = "html",
    input: InputOpt = None,
    batch: BatchOpt = 1,
    dtype: DTypeOpt = DType.float32,
) -> None:
    """Draw the network: a page with the graph top to bottom, nodes coloured by cost, groups that collapse and
    expand, each layer's explain derivation on hover or click, and the totals and conventions beside it."""
    from archstat.cli._options import spec_names
    from archstat.errors import UsageError

    names = spec_names(specs, all_specs, "view")
    if output_dir is None and output is not None and len(names) > 1:
        raise UsageError(f"--output names one file, got {len(names)} specs: use --output-dir DIR")
    if output_dir is not None and output is not None:
        raise UsageError("give --output FILE or --output-dir DIR, not both")
    if output_dir is not None:
        if format not in ("html", "svg", "png"):
            raise UsageError(f"--format must be html, svg or png, got '{format}'")
        Path(output_dir).mkdir(parents=True, exist_ok=True)
    elif output is not None and Path(output).suffix.lower() not in SUFFIXES:
        raise UsageError(f"--output must end in .html, .svg or .png, got '{output}'")
    from archstat import analyze
    from archstat.io.output import write_output
    from archstat.view.model import build

    for name in names:
        a = analyze(name, input=input, batch=batch, dtype=dtype.value)
        if output_dir is not None:
            target = str(Path(output_dir) / f"{_stem(a.name)}.{format}")
        else:
            target = output or f"{_stem(a.name)}.html"
        model = build(a, depth, color_by.value)
        suffix = Path(target).suffix.lower()
        if suffix == ".html":
            from archstat.view.page import html_page

            data: str | bytes = html_page(model)
        else:
            from archstat.view.static import render

            data = render(model, suffix[1:])
        write_output(target, data)
        sys.stderr.write(f"archstat: wrote {target}\n")


def _stem(name: str) -> str:
    """A spec's name as a file name: letters, digits, '.', '_' and '-' kept, anything else '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "spec"

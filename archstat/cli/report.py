"""``archstat report``: regenerate reports/ from the tool."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from archstat.cli._boundary import command


@command()
def report(
    output: Annotated[str, typer.Option("--output", "-o", help="The reports directory.")] = "reports",
    check: bool = typer.Option(True, "--check/--no-check", help="Also write check.md (needs the torch extra; "
                               "about a minute)."),
) -> None:
    """Regenerate the reports from the tool: architectures.csv, verification.md and .csv, check.md, the pictures
    (landscape, profiles, receptive fields, bench) and an index, README.md, that shows them."""
    from pathlib import Path

    from archstat.errors import UsageError

    out = Path(output)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--output '{output}' is not a directory")
    from archstat.render.report import build

    files = build(out, check=check, log=lambda s: sys.stderr.write(s + "\n"))
    sys.stderr.write(f"archstat: {len(files)} files written under {out}\n")

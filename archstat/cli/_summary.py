"""``summary`` at a fixed input, in any format, without typer: the command (``analyse.summary``) and the fast path
(``_fast``) both end here."""

from __future__ import annotations

import os
import sys

from archstat.cli._output import console, emit


def run_summary(spec: str, input: str | None, batch: int, dtype: str, format: str | None, output: str | None,
                depth: int | None, wide: bool) -> None:
    """``summary`` of a spec at a fixed input, in any format. JSON, CSV, Markdown and a table for a pipe or a file
    are written without rich (``render.records``, ``render.summary_text``); only a terminal's table imports it."""
    from archstat import analyze
    from archstat.io.output import format_for

    a = analyze(spec, input=input, batch=batch, dtype=dtype)
    fmt = format_for(format, output)
    if fmt == "table":
        from archstat.render.summary_text import summary_plain, terminal_width

        if output or not _styled_terminal():
            emit(summary_plain(a, depth, None if output else terminal_width(), wide), output, table=True)
            return
        from archstat.render.console import print_summary

        print_summary(a, console(), depth, wide)
        return
    from archstat.render import records

    emit(getattr(records, f"to_{fmt}")(a, depth), output)


def _styled_terminal() -> bool:
    """Whether standard output is a terminal that gets rich's styles (rich's own test, asked only when the answer
    could be yes: a pipe that no variable forces to be a terminal is answered without importing rich)."""
    if not sys.stdout.isatty() and not any(os.environ.get(v) for v in ("FORCE_COLOR", "TTY_COMPATIBLE",
                                                                       "TTY_INTERACTIVE")):
        return False
    return console().is_terminal

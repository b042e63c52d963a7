"""How a command's result leaves: the format it is written in, to the terminal, a pipe or ``--output``."""

from __future__ import annotations

import sys


def output_format(format, output: str | None) -> str:
    """The format to write: ``--format`` when given, else from ``--output``'s suffix, else the table."""
    from archstat.io.output import format_for

    return format_for(format.value if format else None, output)


def console():
    from archstat.render.terminal import console as _console

    return _console()


def emit(text: str, output: str | None, table: bool = False) -> None:
    """A command's text to ``--output`` (through the one output path) or standard output; a table's text has its
    control characters escaped (JSON and CSV keep the exact strings)."""
    if table:
        from archstat.errors import printable

        text = printable(text)
    if output:
        from archstat.io.output import write_output

        write_output(output, text)
    else:
        sys.stdout.write(text)


def render_table(render) -> str:
    """Render a rich object to plain text (for --output FILE.txt)."""
    import io

    from archstat.render.terminal import SafeConsole

    c = SafeConsole(record=True, width=160, file=io.StringIO())
    render(c)
    return c.export_text()


def write(format, output: str | None, print_table, render, *args, plain=None) -> None:
    """A command's result: ``print_table(console)`` for the table format (to the terminal, or rendered as text to
    ``--output``), else the text of ``render.to_json``, ``to_csv`` or ``to_markdown`` (``*args``), to standard output
    or ``--output``. ``plain()``, when given, is the table as plain text, used for a file or a pipe."""
    fmt = output_format(format, output)
    if fmt == "table" and plain is not None and (output or not console().is_terminal):
        emit(plain(), output, table=True)
        return
    if fmt == "table":
        if output:
            emit(render_table(print_table), output, table=True)
        else:
            print_table(console())
        return
    emit(getattr(render, f"to_{fmt}")(*args), output)


def table_or_records(title: str, rows: list[dict], format, output: str | None, numeric=frozenset()) -> None:
    """Rows of plain values (list, compare, sweep, bench) as a table, or as CSV, JSON or Markdown."""
    fmt = output_format(format, output)
    if fmt == "table":
        from archstat.render.console import plain_table

        cols = list(rows[0]) if rows else []
        data = [[f"{v:,}" if isinstance(v, int) and k in numeric else v for k, v in r.items()] for r in rows]
        table = plain_table(title, cols, data, numeric)
        if output:
            emit(render_table(lambda c: c.print(table)), output, table=True)
        else:
            console().print(table)
        return
    from archstat.render.tabular import to_text

    emit(to_text(rows, fmt, numeric), output)

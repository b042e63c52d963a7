"""``archstat blocks [LIB]``: the packaged block libraries a spec can include (``include: [archstat:resnet]``), and
each library's blocks with their arguments, defaults and descriptions (the library's ``doc:`` and comments)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archstat.cli._boundary import command

WIDTH = 100


@command()
def blocks(
    library: Annotated[Optional[str], typer.Argument(help="A packaged library (resnet or archstat:resnet) or a "
                                                     "block library file; default: list the packaged ones.")] = None,
) -> None:
    """The block libraries a spec can include by name (include: \\[archstat:NAME]), or one library's blocks with their
    arguments: default (required when it has none) and what each means."""
    import sys

    sys.stdout.write(library_text(library) if library else index_text())


def index_text() -> str:
    from archstat.language.blocks import LIBRARY_PREFIX, describe_library, library_dir, library_names
    from archstat.language.expr import make_divisible

    out = ["Packaged block libraries: use one with include: [archstat:NAME]; 'archstat blocks NAME' shows its blocks "
           "and their arguments.", ""]
    for name in library_names():
        path = library_dir() / f"{name}.yaml"
        _, docs = describe_library(_read(path, f"specs/blocks/{name}.yaml"), f"specs/blocks/{name}.yaml")
        out.append(_wrap(f"{LIBRARY_PREFIX}{name}: " + ", ".join(b["name"] for b in docs), "  ", "      "))
    out += ["", "Functions in expressions: min max abs int round floor ceil make_divisible.",
            _wrap(f"make_divisible(v, divisor=8, min_value=divisor): {' '.join((make_divisible.__doc__ or '').split())}",
                  "  ", "    "), ""]
    return "\n".join(out)


def library_text(library: str) -> str:
    from pathlib import Path

    from archstat.errors import UsageError
    from archstat.language.blocks import LIBRARY_PREFIX, describe_library, library_dir, library_names

    name = library[len(LIBRARY_PREFIX):] if library.startswith(LIBRARY_PREFIX) else library
    if name in library_names():
        path, shown, head = library_dir() / f"{name}.yaml", f"specs/blocks/{name}.yaml", f"{LIBRARY_PREFIX}{name}"
    elif library.endswith((".yaml", ".yml")) and not library.startswith(LIBRARY_PREFIX):
        path, shown, head = Path(library), library, library
    else:
        import difflib

        close = difflib.get_close_matches(name[:64], library_names(), n=1)
        hint = f"; did you mean {close[0]}?" if close else "; 'archstat blocks' lists them"
        raise UsageError(f"no packaged block library named '{name[:80]}'{hint}")
    doc, docs = describe_library(_read(path, shown), shown)
    out = [f"{head} ({shown})" + (f": include: [{head}]" if head.startswith(LIBRARY_PREFIX) else "")]
    if doc:
        out.append(_wrap(doc, "  ", "  "))
    for b in docs:
        out += ["", b["name"] + ("" if b["args"] else " (no arguments)")]
        if b["about"]:
            out.append(_wrap(b["about"], "    ", "    "))
        if b["args_note"]:
            out.append(_wrap(f"arguments: {b['args_note']}", "    ", "      "))
        w1 = max((len(a) for a, _, _ in b["args"]), default=0)
        w2 = min(max((len(d) for _, d, _ in b["args"]), default=0), 12)
        for a, d, note in b["args"]:
            row = f"{a.ljust(w1)}  {d.ljust(w2)}" + (f"  {note}" if note else "")
            out.append(_wrap(row, "    ", " " * (w1 + w2 + 8)))
    return "\n".join(out) + "\n"


def _read(path, shown: str) -> bytes:
    from archstat.io.reading import read_file

    return read_file(path, shown)


def _wrap(text: str, first: str, rest: str) -> str:
    import textwrap

    from archstat.errors import printable

    return "\n".join(textwrap.wrap(printable(text), WIDTH, initial_indent=first, subsequent_indent=rest,
                                   break_on_hyphens=False)) or first.rstrip()

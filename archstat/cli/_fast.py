"""The fast path of ``archstat summary``: the same command, answered without building the typer app.

Importing typer and building the app (every command's module) costs more than analysing ResNet-50, and a summary
written as JSON, CSV, Markdown or to a pipe needs neither typer nor rich. ``main`` tries this path first. It takes
only a well-formed ``summary`` command line: one spec and the options of ``analyse.summary`` (``OPTIONS``, checked
against the typer command's own by ``tests/test_cli_fast.py``) with values typer would accept as they are. Anything
else (``--help``, ``--assume``, a symbolic ``--input``, an option typer would reject, an unknown option) returns
None and typer parses it, so usage errors and their exit code (2) have one source: the typer command. The command
runs in ``_summary.run_summary`` under ``_guard.guard``, as ``analyse.summary`` does.
"""

from __future__ import annotations

# option -> (its flags, "int" | "dtype" | "format" | "text" | "flag")
OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "input": (("--input", "-i"), "text"),
    "batch": (("--batch", "-b"), "int"),
    "dtype": (("--dtype",), "dtype"),
    "format": (("--format", "-f"), "format"),
    "output": (("--output", "-o"), "text"),
    "depth": (("--depth", "-d"), "int"),
    "wide": (("--wide",), "flag"),
}
FORMATS = ("table", "csv", "json", "markdown")
_FLAGS = {flag: name for name, (flags, _) in OPTIONS.items() for flag in flags}


def parse(argv: list[str]) -> dict | None:
    """``summary SPEC [options]`` as the arguments of ``run_summary``, or None for typer to parse."""
    if not argv or argv[0] != "summary":
        return None
    got: dict = {}
    spec = None
    i = 1
    while i < len(argv):
        tok = argv[i]
        i += 1
        if tok == "-" or not tok.startswith("-"):
            if spec is not None:
                return None
            spec = tok
            continue
        flag, eq, value = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        name = _FLAGS.get(flag)
        if name is None or name in got:
            return None
        kind = OPTIONS[name][1]
        if kind == "flag":
            if eq:
                return None
            got[name] = True
            continue
        if not eq:
            if i >= len(argv):
                return None
            value = argv[i]
            i += 1
        ok = _value(kind, value)
        if ok is None:
            return None
        got[name] = ok
    if spec is None or not spec or ("input" in got and not _fixed_input(got["input"])):
        return None
    return {"spec": spec, "input": got.get("input"), "batch": got.get("batch", 1), "dtype": got.get("dtype",
            "float32"), "format": got.get("format"), "output": got.get("output"), "depth": got.get("depth"),
            "wide": got.get("wide", False)}


def _value(kind: str, value: str):
    """The option's value as typer would give it, or None where typer should judge it."""
    if kind == "int":
        return int(value) if value.isascii() and value.isdigit() and int(value) >= 1 else None
    if kind == "dtype":
        from archstat.core.dtypes import OFFERED

        return value if value in OFFERED else None
    if kind == "format":
        return value if value in FORMATS else None
    return value if value and not value.startswith("-") else None


def _fixed_input(text: str) -> bool:
    """An ``--input`` of numbers only (``3x227x227``): symbols (``3xHxW``) go through typer to the symbolic path."""
    return all(part.strip().isdigit() for part in text.lower().split("x"))


def run(argv: list[str]) -> int | None:
    """The exit code of the summary ``argv`` asks for, or None when typer should take it."""
    args = parse(argv)
    if args is None:
        return None
    from archstat.cli._guard import guard
    from archstat.cli._summary import run_summary

    _, code = guard(lambda: run_summary(**args))
    return code or 0

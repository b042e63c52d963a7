"""Errors that reach the user as one line, and the exit codes the CLI maps them to.

Every error the spec reader, the expander or the engine can raise is an ``ArchstatError``: it carries where it
happened (file, line, layer path) and formats itself as a single line. The CLI catches this one class at its
boundary; nothing else is expected to escape, and a test fuzzes the loader to keep it that way.
"""

from __future__ import annotations

# Exit codes, documented in the README ("Exit codes").
EXIT_OK = 0
EXIT_SPEC = 1  # the spec is bad: unreadable, invalid, or its shapes do not work out
EXIT_USAGE = 2  # the command line is wrong (typer/click use 2 as well)
EXIT_DISAGREE = 3  # archstat check: PyTorch, fvcore or FlopCounterMode disagree with the engine
EXIT_INTERNAL = 70  # a bug in archstat (sysexits' EX_SOFTWARE): reported as one line; ARCHSTAT_DEBUG=1 re-raises

MAX_MESSAGE_CHARS = 1000  # a longer message (one quoting a huge value) keeps its start and end


class ArchstatError(Exception):
    """A problem with the user's input, reported as one line: ``file:line: layer 'path': message``."""

    exit_code = EXIT_SPEC

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 layer: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code  # machine-readable, for callers that act on the kind of problem (sweep: "too_large")
        self.file = file
        self.line = line
        self.layer = layer

    def located(self, *, file: str | None = None, line: int | None = None,
                layer: str | None = None) -> ArchstatError:
        """Fill in whatever location is still unknown (inner code knows the layer, outer code the file)."""
        if self.file is None:
            self.file = file
        if self.line is None:
            self.line = line
        if self.layer is None:
            self.layer = layer
        return self

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        layer = f"layer '{self.layer}': " if self.layer else ""
        return one_line(f"{where}{layer}{self.message}")


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` as one printable line: control characters (newlines, terminal escapes) written as escapes, and the
    middle of an overlong text cut out."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    if len(text) > limit:
        tail = limit // 4
        text = f"{text[:limit - tail - 40]} ...[{len(text) - limit + 40:,} characters cut]... {text[-tail:]}"
    return text


def printable(text: str) -> str:
    """``text`` for a terminal: control characters (escape sequences, carriage returns, bells) written as escapes,
    line breaks and tabs kept. Tables and explanations pass every user string through this; JSON and CSV keep the
    exact strings."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c in "\n\t" else ascii(c)[1:-1] for c in text)


class SpecError(ArchstatError):
    """The spec file is malformed: YAML, schema, names, expressions, limits."""


class ShapeError(ArchstatError):
    """The spec is well formed but its shapes do not work out (size below one, mismatched merge, ...)."""


class UsageError(ArchstatError):
    """A command-line value is wrong (e.g. ``--input 3xfoo``)."""

    exit_code = EXIT_USAGE

"""The command line: a thin layer over the engine and the renderers.

One module per group of commands (``analyse``: summary, explain, list, kinds; ``blocks``; ``memory``; ``compare``: compare, sweep;
``claims``: verify, check; ``throughput``: bench; ``plot``; ``report``), the one error boundary (``_boundary``:
the app, ``command`` and ``main``; ``_guard``: the same boundary without typer), the fast path of ``summary``
(``_fast``: a summary as JSON, CSV or to a pipe without building the typer app), the shared options (``_options``) and the ways a result is written
(``_output``). Every command catches ``ArchstatError`` at the boundary and prints it as one line on stderr with its
exit code (0 ok, 1 bad spec or shape error, 2 usage). No module here imports more than typer at load time: heavy
imports (pandas for ``compare``, torch for ``bench``) happen inside the command that needs them; ``summary``
imports neither torch, fvcore nor pandas.
"""

from __future__ import annotations

import sys

from archstat.errors import EXIT_USAGE


def _load():
    """The error boundary module, with the typer app and every command registered (imported on first use: the
    fast path of ``summary`` needs none of it)."""
    from archstat.cli import _boundary

    # Registering the commands, in the order the help lists them.
    from archstat.cli import analyse, blocks, memory, compare, claims, throughput, plot, view, report, importing, export  # noqa: F401  isort: skip
    return _boundary


def __getattr__(name: str):
    if name in ("app", "command", "_click_exceptions"):
        return getattr(_load(), name)
    raise AttributeError(f"module 'archstat.cli' has no attribute '{name}'")


def main() -> None:
    """The console script. A ``summary`` command line the fast path takes (``_fast``: JSON, CSV or a pipe of a
    fixed input) runs without typer; everything else goes through the typer app (``_boundary.main``)."""
    from archstat.cli._fast import run
    from archstat.cli._guard import EXIT_INTERRUPTED

    try:
        code = run(sys.argv[1:])
    except KeyboardInterrupt:
        sys.stderr.write("archstat: interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        sys.exit(0)
    if code is not None:
        sys.exit(code)
    _load().main()


__all__ = ["EXIT_USAGE", "_click_exceptions", "app", "command", "main"]

"""The command line: a thin layer over the engine and the renderers.

One module per group of commands (``analyse``: summary, explain, list, kinds; ``memory``; ``compare``: compare, sweep;
``claims``: verify, check; ``throughput``: bench; ``plot``; ``report``), the one error boundary (``_boundary``:
the app, ``command`` and ``main``), the shared options (``_options``) and the ways a result is written
(``_output``). Every command catches ``ArchstatError`` at the boundary and prints it as one line on stderr with its
exit code (0 ok, 1 bad spec or shape error, 2 usage). No module here imports more than typer at load time: heavy
imports (pandas for ``compare``, torch for ``bench``) happen inside the command that needs them; ``summary``
imports neither torch, fvcore nor pandas.
"""

from __future__ import annotations

from archstat.cli._boundary import _click_exceptions, app, command, main
from archstat.errors import EXIT_USAGE

# Registering the commands, in the order the help lists them.
from archstat.cli import analyse, memory, compare, claims, throughput, plot, report  # noqa: F401  isort: skip

__all__ = ["EXIT_USAGE", "_click_exceptions", "app", "command", "main"]

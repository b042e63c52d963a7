"""The CLI's error boundary, without typer: what a failed command prints and the exit code it leaves with.

``_boundary.command`` wraps every typer command in ``guard``; the fast path of ``summary`` (``_fast``) runs under
the same ``guard``, so both print the same one line and exit with the same code (0 ok, 1 bad spec or shape error,
2 usage, 70 a bug of ours, 130 interrupted; never a traceback).
"""

from __future__ import annotations

import os
import sys

from archstat.errors import EXIT_INTERNAL, ArchstatError, UsageError

EXIT_INTERRUPTED = 130


def fail(e: ArchstatError) -> int:
    """Print the error's one line on standard error; its exit code."""
    sys.stderr.write(f"archstat: error: {e}\n")
    return e.exit_code


def guard(fn, passthrough: tuple = ()) -> tuple[object, int | None]:
    """Run ``fn()`` as one run (``io.run.scope``: its inputs and budget): (its value, None), or (None, the exit code)
    once its error is printed as one line. Exceptions in ``passthrough`` (typer's own exits) propagate."""
    from archstat.io.run import scope

    try:
        with scope():
            return fn(), None
    except ArchstatError as e:
        return None, fail(e)
    except MemoryError:
        return None, fail(ArchstatError("out of memory"))
    except RecursionError:
        return None, fail(ArchstatError("input nested too deeply"))
    except (BrokenPipeError, *passthrough):
        raise
    except OSError as e:
        return None, fail(UsageError(f"{e.strerror or e}" + (f": '{e.filename}'" if e.filename else "")))
    except Exception as e:  # a bug of ours: still one line (ARCHSTAT_DEBUG=1 shows the traceback)
        if os.environ.get("ARCHSTAT_DEBUG"):
            raise
        err = ArchstatError(f"internal error, please report it: {type(e).__name__}: {e}")
        err.exit_code = EXIT_INTERNAL
        return None, fail(err)

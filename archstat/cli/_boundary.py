"""The CLI's one error boundary: the typer app, the ``command`` decorator every command is registered with, and
``main``, the console script.

Whatever goes wrong in a command leaves as one line on stderr with its exit code (0 ok, 1 bad spec or shape error,
2 usage, 70 a bug of ours), never a traceback.
"""

from __future__ import annotations

import functools
import sys

import typer

from archstat.errors import EXIT_USAGE

app = typer.Typer(
    name="archstat",
    help="Analyse CNN architectures written as YAML layer stacks: shapes, parameters, MACs, FLOPs, activation "
         "memory and receptive fields, without running a tensor.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def command(*args, **kwargs):
    """``app.command`` with the CLI's one error boundary (``_guard.guard``): the command runs as one run (its inputs
    and budget), and whatever goes wrong leaves as one line on stderr with its exit code, never a traceback."""
    from archstat.cli._guard import guard

    def wrap(fn):
        @functools.wraps(fn)
        def bounded(*a, **k):
            value, code = guard(lambda: fn(*a, **k), (typer.Exit, *_passthrough()))
            if code is not None:
                raise typer.Exit(code)  # typer's own exits and usage errors keep their codes
            return value

        return app.command(*args, **kwargs)(bounded)

    return wrap


def _passthrough() -> tuple:
    """click's (or typer's vendored click's) exceptions that carry their own exit code."""
    cx = _click_exceptions()
    return tuple(c for c in (getattr(cx, n, None) for n in ("ClickException", "Exit", "Abort")) if c)


def _click_exceptions():
    try:  # typer >= 0.26 vendors click
        from typer._click import exceptions as cx
    except ImportError:  # pragma: no cover - older typer uses click itself
        from click import exceptions as cx
    return cx


def main() -> None:
    """The console script: typer in non-standalone mode, so that click's usage errors also come out as one line."""
    from archstat.errors import one_line

    cx = _click_exceptions()
    no_args = tuple(c for c in (getattr(cx, "NoArgsIsHelpError", None),) if c)
    interrupted = (KeyboardInterrupt, *(c for c in (getattr(cx, "Abort", None),) if c))
    try:
        rc = app(standalone_mode=False)
    except no_args:  # typer has printed the help already
        sys.exit(EXIT_USAGE)
    except cx.UsageError as e:
        sys.stderr.write(f"archstat: error: {one_line(e.format_message())}\n")
        sys.exit(EXIT_USAGE)
    except interrupted:
        sys.stderr.write("archstat: interrupted\n")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(rc if isinstance(rc, int) else 0)

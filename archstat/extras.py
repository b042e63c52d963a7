"""Optional dependencies: import what a command needs from an extra, or fail with one line saying what to install."""

from __future__ import annotations

from importlib import import_module

from archstat.errors import UsageError


def checker(use_fvcore: bool, who: str, alternative: str = ""):
    """``archstat.backend.check.check_specs``, once torch (and fvcore, when it will be used) import; otherwise a
    UsageError that starts with ``who`` and names the missing package: raised here, before any work is done."""
    try:
        from archstat.backend.check import check_specs

        if use_fvcore:
            import_module("fvcore.nn")
    except ImportError as e:
        raise UsageError(f"{who} ({e.name} is missing): pip install -e \".[torch]\"{alternative}") from None
    return check_specs

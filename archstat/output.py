"""Writing results: to standard output, or atomically to a file (a temporary file renamed into place)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import UsageError

FORMAT_BY_SUFFIX = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown", ".txt": "table"}


def format_for(fmt: str | None, output: str | None, default: str = "table") -> str:
    if fmt:
        return fmt
    if output:
        return FORMAT_BY_SUFFIX.get(Path(output).suffix.lower(), default)
    return default


def write_atomic(path: str, text: str, protect: list[str] = ()) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one, never half of it."""
    target = Path(path)
    for p in protect:
        try:
            if p not in ("-", None) and target.exists() and target.resolve() == Path(p).resolve():
                raise UsageError(f"refusing to overwrite the spec '{p}' with the output")
        except OSError:
            pass
    if target.is_dir():
        raise UsageError(f"--output '{path}' is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--output '{path}': directory '{parent}' does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600; give the file what a plain open() would
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _mode_for(target: Path) -> int:
    """The existing file's mode, or 0666 less the umask for a new file."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask

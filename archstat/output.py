"""Writing results: to standard output, or atomically to a file (a temporary file renamed into place)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ArchstatError, UsageError

FORMAT_BY_SUFFIX = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown", ".txt": "table"}


def format_for(fmt: str | None, output: str | None, default: str = "table") -> str:
    if fmt:
        return fmt
    if output:
        return FORMAT_BY_SUFFIX.get(Path(output).suffix.lower(), default)
    return default


def write_atomic(path: str, text: str | bytes, protect: list[str] = ()) -> None:
    """Write ``text`` (or bytes: a picture) to ``path`` so that readers see the old file or the whole new one, never
    half of it."""
    target = Path(path)
    for p in protect:
        for i, spec in enumerate(_spec_files(p)):
            try:
                same = target.exists() and target.resolve() == spec.resolve()
            except OSError:
                same = False
            if same and i == 0:
                raise UsageError(f"refusing to overwrite the spec '{p}' with the output")
            if same:
                raise UsageError(f"refusing to overwrite '{spec.name}', a block library of the spec '{p}', "
                                 f"with the output")
    if target.is_dir():
        raise UsageError(f"--output '{path}' is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--output '{path}': directory '{parent}' does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    try:
        with (os.fdopen(fd, "wb") if isinstance(text, bytes) else
              os.fdopen(fd, "w", encoding="utf-8", newline="")) as fh:
            fh.write(text)
        os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600; give the file what a plain open() would
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _spec_files(name: str | None) -> list[Path]:
    """The file a spec argument names (a built-in name such as ``lenet5`` too) and the block libraries it
    includes: none of them may be overwritten by the output."""
    from .catalog import resolve

    if name in ("-", None):
        return []
    try:
        path = resolve(name)
    except ArchstatError:
        return [Path(name)]
    files = [path]
    try:
        from .spec.limits import MAX_SPEC_BYTES
        from .spec.yamlio import parse_yaml

        with open(path, "rb") as fh:
            include = parse_yaml(fh.read(MAX_SPEC_BYTES + 1), str(path)).get("include") or []
        for item in include if isinstance(include, list) else [include]:
            if isinstance(item, str):
                files.append(path.parent / item)
    except (ArchstatError, OSError, AttributeError):
        pass
    return files


def _mode_for(target: Path) -> int:
    """The existing file's mode, or 0666 less the umask for a new file."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask

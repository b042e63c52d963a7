"""The one way archstat writes a file: ``write_output``. Every command's ``--output`` (and ``plot --data``, and
``report``'s files) goes through it; a test fails if any other code in the package opens a file for writing.

What it guarantees:
- it never replaces an input of the run: the spec, its block libraries, a claims file, a bench result file, or the
  file standard input came from. Inputs are registered by device and inode as they are read (``reading.py``), so
  ``./sub/../net.yaml``, a hard link or a symlink to the spec are all refused;
- a regular file is replaced atomically (a temporary file in the same directory, renamed into place), so a reader
  sees the old file or the whole new one; a symlink is followed and the file it points to is replaced, not the link;
- a character device, a FIFO, or anything under ``/dev`` or ``/proc`` (``/dev/stdout``, ``/dev/null``) is written
  into, never renamed over; a block device or socket is refused; ``-`` is standard output;
- every failure (a directory, a missing directory, a name too long, no permission, a full disk, a symlink loop) is
  one line with exit code 2, and a failed write leaves the old file as it was.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path

from archstat.errors import ArchstatError, UsageError, one_line
from archstat.io.reading import kind_of
from archstat.io.run import current

FORMAT_BY_SUFFIX = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown", ".txt": "table"}
_IN_PLACE_ROOTS = ("/dev/", "/proc/")
_STREAMS = {"-": "stdout", "/dev/stdout": "stdout", "/dev/fd/1": "stdout", "/proc/self/fd/1": "stdout",
            "/dev/stderr": "stderr", "/dev/fd/2": "stderr", "/proc/self/fd/2": "stderr"}


def format_for(fmt: str | None, output: str | None, default: str = "table") -> str:
    if fmt:
        return fmt
    if output and output != "-":
        return FORMAT_BY_SUFFIX.get(Path(output).suffix.lower(), default)
    return default


def write_output(path: str, data: str | bytes, option: str = "--output") -> None:
    """Write ``data`` to ``path`` under the guarantees above; ``option`` names the flag in messages."""
    shown = one_line(str(path), 200)
    try:
        _write(str(path), data, f"{option} '{shown}'")
    except ArchstatError:
        raise
    except MemoryError:
        raise UsageError(f"{option} '{shown}': out of memory while writing") from None
    except (OSError, ValueError, RuntimeError) as e:
        raise UsageError(f"{option} '{shown}': {_why(e)}") from None


def _write(path: str, data: str | bytes, where: str) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    stream = _STREAMS.get(path)
    if stream is not None:  # '-', /dev/stdout: the descriptor itself, as the shell opened it (>> appends)
        out = getattr(sys, stream)
        out.flush()
        _write_fd(out.fileno(), raw)
        return
    if not path:
        raise UsageError(f"{where}: give a file name")
    try:
        st = os.stat(path)  # follows symlinks
    except FileNotFoundError:
        st = None
    if st is None:
        if os.path.islink(path):
            raise UsageError(f"{where}: a symbolic link to a missing file; name the file itself")
        if path.endswith(("/", os.sep)):
            raise UsageError(f"{where}: no such directory (a name ending in '/' is a directory)")
        parent = os.path.dirname(path) or "."
        if not os.path.isdir(parent):
            raise UsageError(f"{where}: directory '{one_line(parent, 200)}' does not exist")
        _replace(path, raw, None)
        return
    named = current().input_named(st)
    if named is not None:
        raise UsageError(f"{where}: refusing to overwrite '{one_line(named, 200)}', an input of this run")
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise UsageError(f"{where}: is a directory")
    real = os.path.realpath(path)
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or real.startswith(_IN_PLACE_ROOTS) \
            or os.path.abspath(path).startswith(_IN_PLACE_ROOTS):
        if not (stat.S_ISREG(mode) or stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)):
            raise UsageError(f"{where}: is {kind_of(mode)}; archstat writes only files, character devices and FIFOs")
        fd = os.open(path, os.O_WRONLY | (os.O_TRUNC if stat.S_ISREG(mode) else 0) | getattr(os, "O_NOCTTY", 0))
        try:
            _write_fd(fd, raw)
        finally:
            os.close(fd)
        return
    if not stat.S_ISREG(mode):
        raise UsageError(f"{where}: is {kind_of(mode)}; archstat writes only files, character devices and FIFOs")
    _replace(real, raw, st)


def _replace(path: str, raw: bytes, st: os.stat_result | None) -> None:
    """Atomically: a temporary file beside ``path``, renamed over it; the old file's mode kept."""
    parent = os.path.dirname(path) or "."
    name = os.path.basename(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{name[:200]}.", suffix=".tmp", dir=parent)
    try:
        try:
            _write_fd(fd, raw)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, st.st_mode & 0o7777 if st is not None else _new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_fd(fd: int, raw: bytes) -> None:
    view = memoryview(raw)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _new_file_mode() -> int:
    """0666 less the umask, as a plain open() would make it (mkstemp makes 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _why(e: BaseException) -> str:
    if isinstance(e, ValueError):
        return "the name holds a NUL byte" if "null" in str(e) else str(e)
    if isinstance(e, RuntimeError):
        return "a loop of symbolic links"
    if isinstance(e, OSError):
        return {errno.ELOOP: "a loop of symbolic links", errno.ENAMETOOLONG: "the file name is too long",
                errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                errno.ENOSPC: "no space left on the device", errno.EROFS: "a read-only file system",
                errno.ENOTDIR: "a part of the path is not a directory", errno.EISDIR: "is a directory",
                errno.EPIPE: "the reader went away (broken pipe)"}.get(e.errno or 0, e.strerror or str(e))
    return str(e)

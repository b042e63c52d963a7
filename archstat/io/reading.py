"""Reading the user's files: regular files only, each size-checked before it is read, every one registered with the
run (so that no output may replace it) and charged to its byte budget. Every failure is one line.

A FIFO, a device (``/dev/zero``), a socket or a directory is refused before it is opened for reading, so nothing
blocks or reads forever; the file is opened without blocking and checked again on its descriptor, so a file swapped
for a FIFO in between is refused too. Standard input is the one stream read, and only up to the size limit.
"""

from __future__ import annotations

import errno
import os
import stat
import sys

from archstat.errors import ArchstatError, SpecError
from archstat.io.limits import MAX_SPEC_BYTES
from archstat.io.run import current


class TooLarge(SpecError):
    """A file over its size limit."""


_WHAT = {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device",
         stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


def kind_of(mode: int) -> str:
    return _WHAT.get(stat.S_IFMT(mode), "not a regular file")


def path_error(e: BaseException) -> str:
    """A path problem in words: a missing file, a symlink loop, a NUL byte, a name too long, no permission."""
    if isinstance(e, ValueError):  # "embedded null byte"
        return "the path holds a NUL byte"
    if isinstance(e, RuntimeError):  # pathlib's "Symlink loop from ..."
        return "a loop of symbolic links"
    if isinstance(e, OSError):
        if e.errno == errno.ENOENT:
            return "no such file"
        if e.errno == errno.ELOOP:
            return "a loop of symbolic links"
        if e.errno == errno.ENAMETOOLONG:
            return "the file name is too long"
        if e.errno == errno.ENOTDIR:
            return "a part of the path is not a directory"
        return f"cannot read: {e.strerror or e}"
    return f"cannot read: {e}"


def read_file(path, shown: str, limit: int = MAX_SPEC_BYTES, error: type[ArchstatError] = SpecError) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), reported as ``shown``."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise error(f"is {kind_of(st.st_mode)}, not a regular file", file=shown)
        if st.st_size > limit:
            raise (TooLarge if error is SpecError else error)(f"file is {st.st_size:,} bytes, more than the {limit:,}-byte limit", file=shown)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise error(f"is {kind_of(st.st_mode)}, not a regular file", file=shown)
            run = current()
            run.add_input(st, shown)
            chunks, left = [], limit + 1
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            data = b"".join(chunks)
        finally:
            os.close(fd)
    except ArchstatError:
        raise
    except (OSError, ValueError, RuntimeError) as e:
        raise error(path_error(e), file=shown) from None
    if len(data) > limit:  # it grew after the check
        raise (TooLarge if error is SpecError else error)(f"file is more than the {limit:,}-byte limit", file=shown)
    run.charge_read(len(data), shown)
    return data


def read_stdin(limit: int = MAX_SPEC_BYTES) -> bytes:
    """Standard input, once per run, at most ``limit`` bytes (a longer stream is cut at ``limit + 1`` and refused
    by the caller). When it is a regular file, that file counts as an input of the run."""
    run = current()
    if run.stdin_read:
        raise SpecError("standard input is read once per run, and it has been read already", file="<stdin>")
    run.stdin_read = True
    stream = sys.stdin.buffer if sys.stdin is not None else None
    if stream is None:
        raise SpecError("there is no standard input", file="<stdin>")
    try:
        st = os.fstat(stream.fileno())
        if stat.S_ISREG(st.st_mode):
            run.add_input(st, "<stdin>")
        elif stat.S_ISDIR(st.st_mode):
            raise SpecError("standard input is a directory", file="<stdin>")
    except (OSError, ValueError, AttributeError):
        pass  # not a real descriptor (a test's stand-in): nothing on disk to protect
    try:
        data = stream.read(limit + 1)
    except OSError as e:
        raise SpecError(f"cannot read: {e.strerror or e}", file="<stdin>") from None
    run.charge_read(len(data), "<stdin>")
    return data

"""One run's state: the files it has read (so that no output may replace one of them) and its resource budget.

Every command of the CLI runs inside one ``scope()``; so does each call of the Python API (``archstat.load``,
``archstat.analyze``), unless it is already inside one. Whatever reads a file registers it here (``reading.py``),
and whatever writes one asks here first (``output.py``): inputs are compared by device and inode, never by how
their paths are spelled. The budget counts, for the whole run, the bytes read, the symbolic work and the sweep
cells, and for each spec its expansion steps; each bound is in ``limits.py`` and the README's "Limits".
"""

from __future__ import annotations

import contextlib
import contextvars
import os

from archstat.errors import SpecError, UsageError
from archstat.io.limits import MAX_EXPANSION, MAX_READ_BYTES, MAX_SWEEP_CELLS, MAX_SYMBOLIC_WORK


class Run:
    """What one run has read and spent."""

    __slots__ = ("inputs", "read_bytes", "stdin_read", "sweep_cells", "symbolic")

    def __init__(self) -> None:
        self.inputs: dict[tuple[int, int], str] = {}  # (st_dev, st_ino) -> the path as the user gave it
        self.read_bytes = 0
        self.symbolic = 0
        self.sweep_cells = 0
        self.stdin_read = False

    # ---- inputs ---------------------------------------------------------------------------------------------------
    def add_input(self, st: os.stat_result, shown: str) -> None:
        self.inputs.setdefault((st.st_dev, st.st_ino), shown)

    def input_named(self, st: os.stat_result) -> str | None:
        """The input of this run that is the file ``st`` describes, if any."""
        return self.inputs.get((st.st_dev, st.st_ino))

    # ---- budget ---------------------------------------------------------------------------------------------------
    def charge_read(self, n: int, shown: str) -> None:
        self.read_bytes += n
        if self.read_bytes > MAX_READ_BYTES:
            raise SpecError(f"this run has read more than {MAX_READ_BYTES >> 20} MiB of files (the limit)", file=shown)

    def charge_symbolic(self, n: int) -> None:
        self.symbolic += n
        if self.symbolic > MAX_SYMBOLIC_WORK:
            raise SpecError(f"the symbolic analysis takes more than {MAX_SYMBOLIC_WORK:,} steps (the limit); "
                            f"give numbers for some dimensions, or fewer layers")

    def charge_sweep(self, n: int) -> None:
        self.sweep_cells += n
        if self.sweep_cells > MAX_SWEEP_CELLS:
            raise UsageError(f"the sweep asks for more than {MAX_SWEEP_CELLS:,} layer analyses (sizes x layers, the "
                             f"limit); give fewer sizes")


class ExpansionBudget:
    """The expansion steps of one spec: expression nodes evaluated, layers, inputs and repeat passes."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = 0

    def spend(self, n: int = 1) -> None:
        self.used += n
        if self.used > MAX_EXPANSION:
            raise SpecError(f"the spec takes more than {MAX_EXPANSION:,} steps to expand (expression nodes, layers, "
                            f"inputs and repeat passes; the limit)")


_CURRENT: contextvars.ContextVar[Run | None] = contextvars.ContextVar("archstat_run", default=None)


def current() -> Run:
    """The run in progress; outside any ``scope()`` a fresh one (each library call is then its own run)."""
    return _CURRENT.get() or Run()


@contextlib.contextmanager
def scope():
    """Enter a run, or stay in the one already entered."""
    run = _CURRENT.get()
    if run is not None:
        yield run
        return
    run = Run()
    token = _CURRENT.set(run)
    try:
        yield run
    finally:
        _CURRENT.reset(token)

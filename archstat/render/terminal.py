"""The consoles that print tables and explanations for people. User strings (titles, notes, custom op names, file
names, claims) can hold terminal escape sequences; these consoles write every piece of text through
``errors.printable``, so a spec cannot clear the screen or forge a result, while rich's own styling still works."""

from __future__ import annotations

import os

from rich.console import Console
from rich.segment import Segment

from archstat.errors import printable


class SafeConsole(Console):
    """A rich Console whose text segments are made printable just before they are written or recorded."""

    def _safe(self, buffer):
        return [s if s.control or s.text.isprintable() else Segment(printable(s.text), s.style, s.control)
                for s in buffer]

    def _render_buffer(self, buffer) -> str:  # what reaches the terminal or file
        return super()._render_buffer(self._safe(buffer))

    def export_text(self, *, clear: bool = True, styles: bool = False) -> str:  # what --output FILE.txt gets
        with self._record_buffer_lock:
            self._record_buffer[:] = self._safe(self._record_buffer)
        return super().export_text(clear=clear, styles=styles)


def console(**kwargs) -> SafeConsole:
    """Standard output's console; 140 columns when piped or captured (not squeezed into 80)."""
    c = SafeConsole(highlight=False, **kwargs)
    if not c.is_terminal and "COLUMNS" not in os.environ and "width" not in kwargs:
        c = SafeConsole(highlight=False, width=140, **kwargs)
    return c

"""A claim its source gets wrong (``source_error:``): acknowledged, pinned, and still a ``mismatch``.

Some published figures follow from no computation: a paper's table row that its own widths contradict, a round
figure quoted as a count. No ``because`` can honestly reproduce them, and free text may not turn them into
``explained``. Such a claim stays a ``mismatch`` in every output; the claim file may acknowledge it::

    source_error:
      archstat: "290,400"          # archstat's figure, as verify prints it: the acknowledgment holds only while
                                   # archstat computes exactly this
      why: "253,440 is 55 x 48 x 96; no input size gives it"

``archstat verify`` exits 1 on any mismatch that is not acknowledged, and on an acknowledgment that no longer
holds: the computed figure moved away from the pinned one (a spec drifted), or the claim now matches or is
explained (drop ``source_error``). ``--strict`` exits 1 on acknowledged ones too. Tallies count acknowledged
mismatches separately; nothing hides them.
"""

from __future__ import annotations

from dataclasses import dataclass

from archstat.errors import SpecError

KEYS = ("archstat", "why")
MAX_TEXT = 2000


@dataclass(frozen=True)
class SourceError:
    pinned: str  # archstat's figure as the claim file writes it ("290,400", "73x73x80")
    why: str

    def holds(self, computed_text: str) -> bool:
        """True when archstat still computes the pinned figure (thousands separators and spaces aside)."""
        return _plain(self.pinned) == _plain(computed_text)


def _plain(s: str) -> str:
    return "".join(ch for ch in s.lower() if ch not in ", _")


def parse(raw) -> SourceError:
    """The ``source_error`` mapping of a claim; any other shape is a one-line error."""
    from archstat.language.yamlio import Map

    if not isinstance(raw, Map):
        raise SpecError("'source_error' is a mapping with 'archstat' (the figure archstat computes, pinned) and "
                        "'why' (what the source got wrong)")
    for k in raw:
        if k not in KEYS:
            raise SpecError(f"unknown source_error key {str(k)[:40]!r} (keys: {', '.join(KEYS)})")
    out = []
    for k in KEYS:
        v = raw.get(k)
        if isinstance(v, bool) or not isinstance(v, (str, int)) or not str(v).strip():
            raise SpecError(f"source_error needs '{k}' as text")
        if len(str(v)) > MAX_TEXT:
            raise SpecError(f"source_error '{k}' is over {MAX_TEXT:,} characters")
        out.append(str(v).strip())
    return SourceError(*out)

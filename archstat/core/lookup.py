"""Finding a layer of an analysis by the name a person types: its full dotted path, or a unique last part."""

from __future__ import annotations

import difflib


def find_layer(names: list[str], wanted: str, where: str = "") -> str:
    """The full name of the layer ``wanted`` names: an exact name, else the one name that ends in ``.wanted``.

    Anything else (no such layer, or several that end so) is a ``UsageError`` listing the candidates: the names
    that end so, or up to five close spellings. ``where`` (the spec's file) starts the message."""
    from archstat.errors import UsageError

    if wanted in names:
        return wanted
    found = [n for n in names if n.endswith("." + wanted)]
    if len(found) == 1:
        return found[0]
    close = found or difflib.get_close_matches(wanted, names, n=5)
    hint = f"; candidates: {', '.join(close)}" if close else ""
    raise UsageError(f"{where}: no single layer named '{wanted}'{hint}" if where else
                     f"no single layer named '{wanted}'{hint}")

"""Element types, listed once: each name and its size in bytes.

The engine multiplies element counts by ``BYTES[dtype]`` (activation, parameter and buffer memory); ``OFFERED`` are
the names ``--dtype`` offers on the command line (the types ``archstat bench`` can also run a module in); the
bench maps the same names to torch's types by name (``getattr(torch, name)``).
"""

from __future__ import annotations

from enum import Enum

BYTES: dict[str, int] = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int8": 1}


class Offered(str, Enum):
    """The names ``--dtype`` offers on the command line, in the order shown (an enum, so typer lists them)."""

    float32 = "float32"
    float16 = "float16"
    bfloat16 = "bfloat16"


OFFERED: tuple[str, ...] = tuple(d.value for d in Offered)


def nbytes(dtype: str) -> int:
    """Bytes per element of ``dtype``; a UsageError naming the choices when it is unknown."""
    try:
        return BYTES[dtype]
    except (KeyError, TypeError):
        from archstat.errors import UsageError

        raise UsageError(f"unknown dtype '{dtype}' (choose from {', '.join(BYTES)})") from None

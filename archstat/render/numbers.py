"""Number formatting for people (tables) — machine formats always get raw integers."""

from __future__ import annotations


def human(n, unit: str = "") -> str:
    """15470264320 -> '15.47G'; 34944 -> '34.94K'; 0 -> '0'; None -> '?'."""
    if n is None:
        return "?"
    n = float(n)
    for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:.2f}{suffix}{unit}"
    return f"{n:.0f}{unit}" if n == int(n) else f"{n:.2f}{unit}"


def human_bytes(n) -> str:
    """Decimal units, as the lecture's '96MB' and torchinfo's 'MB': 60950432 -> '60.95 MB'."""
    if n is None:
        return "?"
    for div, suffix in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")):
        if abs(n) >= div:
            return f"{n / div:.2f} {suffix}"
    return f"{n} B"


def commas(n) -> str:
    return "?" if n is None else f"{n:,}"


def shape(s) -> str:
    return "x".join(str(d) for d in s)

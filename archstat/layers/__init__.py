"""The layer registry: every kind by name and alias, found by importing each module of this package.

To add a kind, write one class in one new file of this package, decorated with ``@register`` (see
``_contract.Layer``), with its hand-derived ``examples``; then regenerate the README's table
(``archstat kinds --markdown``). Nothing here lists kinds: the registry-wide tests and the torch property test
pick the new file up. Modules whose name starts with ``_`` are the shared machinery, not kinds:

- ``_schema``: the argument types (``Int``, ``Pair``, ``Padding``, ...) and the frozen ``args`` record;
- ``_contract``: ``Layer``, ``Pointwise``, ``MergeMismatch``, ``Example`` and ``register``;
- ``_saved``: ``Saved`` and ``Autograd``, what a kind's ``saved`` rule (training memory) returns and reads;
- ``_windows``: receptive-field windows and the ``(W - F + 2P)/S + 1`` text and checks;
- ``_text``: shape and number formatting;
- ``_torch``: helper ``nn.Module``s, imported only from inside ``torch_module`` methods.
"""

from __future__ import annotations

import importlib
import pkgutil

from archstat.layers._contract import _KINDS, _NAMES, Example, Layer, MergeMismatch, Pointwise, register
from archstat.layers._schema import REQUIRED, Arg, Bool, Choice, Float, Int, IntList, Padding, Pair, Size
from archstat.layers._text import elems, elems_text, fmt_shape, frac_str, short, spatial
from archstat.layers._windows import GLOBAL, IDENTITY, Window, unseen_notes, window_check, window_formula

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

KINDS: dict[str, type[Layer]] = dict(_KINDS)  # kind -> class
REGISTRY: dict[str, type[Layer]] = dict(KINDS)  # kind and aliases -> class
REGISTRY.update((name, cls) for name, cls in _NAMES.items() if name not in KINDS)


def lookup(kind: str) -> type[Layer] | None:
    return REGISTRY.get(kind)


def markdown_table(kinds: dict[str, type[Layer]] | None = None) -> str:
    """The README's layer-kind table (``archstat kinds --markdown``): one row per kind, sorted by name."""
    lines = ["| kind | aliases | what | arguments | FLOPs rule |", "|---|---|---|---|---|"]
    for kind, cls in sorted((KINDS if kinds is None else kinds).items()):
        args = ", ".join(f"`{n}`" for n in cls.fields) or "—"
        lines.append(f"| `{kind}` | {', '.join(cls.aliases)} | {cls.summary} | {args} | {cls.flops_rule} |")
    return "\n".join(lines) + "\n"


__all__ = [
    "GLOBAL",
    "IDENTITY",
    "KINDS",
    "REGISTRY",
    "REQUIRED",
    "Arg",
    "Bool",
    "Choice",
    "Example",
    "Float",
    "Int",
    "IntList",
    "Layer",
    "MergeMismatch",
    "Padding",
    "Pair",
    "Pointwise",
    "Size",
    "Window",
    "elems",
    "elems_text",
    "fmt_shape",
    "frac_str",
    "lookup",
    "markdown_table",
    "register",
    "short",
    "spatial",
    "unseen_notes",
    "window_check",
    "window_formula",
]

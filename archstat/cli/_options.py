"""Option types and enums that several commands share, and the one way a command resolves its list of specs."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from archstat.core.dtypes import Offered as DType


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"




SpecArg = Annotated[str, typer.Argument(help="A built-in spec name (archstat list), a YAML file, or - for stdin.")]
InputOpt = Annotated[Optional[str], typer.Option("--input", "-i", help="Input size: 3x227x227, 227x227 or 227.")]
BatchOpt = Annotated[int, typer.Option("--batch", "-b", min=1, help="Batch size for MACs, FLOPs and memory.")]
DTypeOpt = Annotated[DType, typer.Option("--dtype", help="Element type for memory figures.")]
FormatOpt = Annotated[Optional[Format], typer.Option("--format", "-f",
                                                     help="Output format (default: table, or from --output's suffix).")]
OutputOpt = Annotated[Optional[str], typer.Option("--output", "-o", help="Write to this file (atomically).")]


def spec_names(specs: list[str] | None, all_specs: bool, verb: str) -> list[str]:
    """The named specs, then (with ``--all``) every other built-in one; at least one."""
    from archstat.errors import UsageError
    from archstat.language.catalog import builtin_names

    names = list(specs or []) + ([n for n in builtin_names() if n not in (specs or [])] if all_specs else [])
    if not names:
        raise UsageError(f"name the specs to {verb}, or give --all")
    return names

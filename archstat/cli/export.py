"""``archstat export``: a spec as source in another framework (PyTorch: ``archstat.exporting.torch``)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from archstat.cli._boundary import command
from archstat.cli._options import InputOpt, OutputOpt, SpecArg


class Target(str, Enum):
    torch = "torch"


@command()
def export(
    spec: SpecArg,
    to: Annotated[Target, typer.Option("--to", help="The framework to write: torch.")] = Target.torch,
    input: InputOpt = None,
    output: OutputOpt = None,
) -> None:
    """Write the spec as a readable, standalone PyTorch file: one nn.Module class per block, the spec's layer
    names as attribute names (state_dict keys are the spec's), forward as straight-line code with output shapes."""
    from archstat.cli._output import emit
    from archstat.errors import UsageError

    try:
        from archstat.exporting.torch import export_torch
    except ImportError as e:
        raise UsageError(f"export --to torch ({e.name} is missing): pip install -e \".[torch]\"") from None
    emit(export_torch(spec, input).source, output)

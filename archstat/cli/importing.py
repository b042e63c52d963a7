"""``archstat import SOURCE``: a PyTorch (torchvision, timm, the user's factory) or ONNX network as a spec."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from archstat.cli._boundary import command
from archstat.cli._options import InputOpt, OutputOpt


@command("import")
def import_(
    source: Annotated[str, typer.Argument(help="torchvision:NAME, timm:NAME, FILE.py:CALLABLE (runs that code) or "
                                          "FILE.onnx.")],
    input: InputOpt = None,
    output: OutputOpt = None,
    flat: Annotated[bool, typer.Option("--flat", help="Every layer by its full name: no blocks, no repeats.")] = False,
) -> None:
    """Trace a model without weights (meta device) and write it as a spec: layers named by module path, repeated
    submodules folded into blocks. Ops with no archstat kind become `custom` layers with measured counts, listed at
    the end and on stderr. Needs the `import` extra."""
    from archstat.cli._output import emit
    from archstat.errors import UsageError
    from archstat.importing.emit import emit as emit_spec
    from archstat.importing.sources import _parse_input, import_model, is_source

    if not is_source(source):
        raise UsageError(f"'{source}' is not an import source: give torchvision:NAME, timm:NAME, FILE.py:CALLABLE "
                         f"or FILE.onnx")
    model, types = import_model(source, _parse_input(input))
    emit(emit_spec(model, fold=not flat, scope_types=types), output)
    customs = model.customs
    if customs:
        print(f"archstat: note: {len(customs)} op(s) have no archstat kind and are custom layers with measured "
              f"counts: " + ", ".join(f"{c.name} ({c.op})" for c in customs[:20])
              + (", ..." if len(customs) > 20 else ""), file=sys.stderr)


_ = Optional  # (typing import kept for the Annotated options' stubs)

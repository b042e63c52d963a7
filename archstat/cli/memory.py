"""``archstat memory``: what training (or, without ``--train``, inference) of one architecture needs in memory."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from archstat.cli._boundary import command
from archstat.cli._options import BatchOpt, DType, FormatOpt, InputOpt, OutputOpt, SpecArg
from archstat.cli._output import write


class Optimizer(str, Enum):
    sgd = "sgd"
    momentum = "momentum"
    adam = "adam"
    adamw = "adamw"


class Checkpoint(str, Enum):
    none = "none"
    blocks = "blocks"


@command()
def memory(
    spec: SpecArg,
    train: Annotated[bool, typer.Option("--train", help="A training step (default: inference figures).")] = False,
    input: InputOpt = None,
    batch: BatchOpt = 1,
    dtype: Annotated[Optional[DType], typer.Option("--dtype", help="Element type of the activations (with --amp: "
                                                   "autocast's half type, default float16).")] = None,
    amp: Annotated[bool, typer.Option("--amp", help="Mixed precision: float32 master weights, autocast's half "
                                      "type for conv, linear and attention.")] = False,
    optimizer: Annotated[Optimizer, typer.Option("--optimizer", help="Optimizer state: sgd none, momentum 1x, "
                                                 "adam/adamw 2x the parameters.")] = Optimizer.adam,
    checkpoint: Annotated[Checkpoint, typer.Option("--checkpoint", help="Activation checkpointing: none, or per "
                                                   "block (sqrt(layers) blocks by name).")] = Checkpoint.none,
    device_memory: Annotated[Optional[str], typer.Option("--device-memory", help="A device's memory (80GB, 80GiB): "
                                                         "report the largest batch that fits.")] = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
) -> None:
    """Parameters, gradients, optimizer state, activations saved for backward and the peak of a training step,
    per layer and in total, exact per kind as torch's autograd saves them; with --device-memory the largest batch."""
    from archstat import load
    from archstat.core.memory import parse_bytes, train_memory
    from archstat.errors import UsageError
    from archstat.render import memory as render

    if amp and not train:
        raise UsageError("--amp describes a training step: add --train")
    if not train and (optimizer != Optimizer.adam or checkpoint != Checkpoint.none):
        raise UsageError("--optimizer and --checkpoint describe a training step: add --train")
    dt = (dtype.value if dtype else ("float16" if amp else "float32"))
    limit = parse_bytes(device_memory) if device_memory is not None else None
    m = train_memory(load(spec, input), batch=batch, dtype=dt, amp=amp, optimizer=optimizer.value,
                     checkpoint=checkpoint.value, train=train, device_bytes=limit)
    write(format, output, lambda c: render.print_table(m, c), render, m, plain=lambda: render.table_text(m))

"""The counts against the world: ``verify`` (published claims) and ``check`` (PyTorch, fvcore, FlopCounterMode)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from archstat.cli._boundary import command
from archstat.cli._options import FormatOpt, InputOpt, OutputOpt, spec_names
from archstat.cli._output import write


@command()
def verify(
    specs: Annotated[Optional[list[str]], typer.Argument(help="Only the claims about these specs (default: all).")] = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    claims: Annotated[Optional[list[str]], typer.Option("--claims", help="Claim file(s) to use instead of the "
                                                        "built-in specs/claims/*.yaml.")] = None,
    only: Annotated[Optional[str], typer.Option("--only", help="Show only this verdict: match, explained or "
                                                "mismatch.")] = None,
    sources: bool = typer.Option(False, "--sources", help="Show each claim's source in the table."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on every mismatch, the ones acknowledged as their "
                                "source's error (source_error:) included."),
) -> None:
    """Check every published claim (specs/claims/) against the specs: match, explained (cause named) or mismatch.

    Exits with 1 when any claim is a mismatch, so a CI job fails when a spec drifts from the published counts; a
    mismatch the claim file acknowledges as its source's error, pinned to archstat's figure, fails only --strict.
    A spec named here is also checked against its own 'expect:' header (params, macs, ... each with an optional
    tolerance): exit 1 when a figure drifts."""
    from pathlib import Path

    from archstat.claims.store import load_all, load_file
    from archstat.claims.verify import VERDICTS, failing
    from archstat.claims.verify import verify as run_verify
    from archstat.errors import UsageError

    if only and only not in VERDICTS:
        raise UsageError(f"--only must be one of {', '.join(VERDICTS)}, got '{only}'")
    every = [c for f in claims for c in load_file(Path(f), f)] if claims else load_all()
    expected = []  # the figures named specs expect of themselves (their 'expect:' header)
    if specs:
        specs = [_zoo_name(s) for s in specs]
        from archstat.claims.expect import expectations

        known = {c.spec for c in every}
        missing = []
        for s in specs:
            own = expectations(s, quiet=s in known)  # a spec the claims name reports its own failure as a verdict
            expected += own
            if not own and s not in known:
                missing.append(s)
        if missing:
            raise UsageError(f"no claims about {', '.join(missing)}, and no 'expect:' in "
                             f"{'its' if len(missing) == 1 else 'their'} header")
    results = run_verify(specs, every) + expected
    shown = [r for r in results if not only or r.verdict == only]
    from archstat.render import verdicts

    write(format, output, lambda c: verdicts.print_table(shown, c, sources), verdicts, shown)
    if failing(results, strict):
        raise typer.Exit(1)


def _zoo_name(spec: str) -> str:
    """A path to one of the built-in spec files stands for that spec, so its published claims apply to it."""
    from pathlib import Path

    from archstat.language.catalog import specs_dir

    path = Path(spec)
    if path.suffix not in (".yaml", ".yml") or not path.is_file():
        return spec
    own = specs_dir() / f"{path.stem}.yaml"
    return path.stem if own.is_file() and own.resolve() == path.resolve() else spec


@command()
def check(
    specs: Annotated[Optional[list[str]], typer.Argument(help="Spec names or files (default with --all: the zoo).")] = None,
    all_specs: bool = typer.Option(False, "--all", help="Every built-in spec."),
    input: InputOpt = None,
    format: FormatOpt = None,
    output: OutputOpt = None,
    fvcore: bool = typer.Option(True, "--fvcore/--no-fvcore", help="Also count MACs with fvcore (a traced CPU "
                                "forward; slower)."),
    layers: bool = typer.Option(False, "--layers", help="List every layer, not only those that disagree."),
    against: Annotated[Optional[str], typer.Option("--against", help="torchvision or torchvision:NAME: prove the "
                                                   "spec computes torchvision's network (strict state_dict load, "
                                                   "same outputs layer by layer); exit 3 naming the first layer "
                                                   "that differs.")] = None,
) -> None:
    """Cross-check every layer against PyTorch: shapes and parameters from the built module, MACs from fvcore,
    FLOPs from torch.utils.flop_counter. Exit 3 on any disagreement. Needs the torch extra (torch and fvcore).
    With --against torchvision[:NAME], the proof that the spec is torchvision's network instead."""
    from archstat.errors import EXIT_DISAGREE

    names = spec_names(specs, all_specs, "check")
    if against is not None:
        _prove(names, input, against, format, output)
        return
    from archstat.extras import checker
    from archstat.render import checks

    results = checker(fvcore, "archstat check needs the torch extra")(names, input, use_fvcore=fvcore)
    write(format, output, lambda c: checks.print_table(results, c, layers), checks, results)
    if any(r.bad for r in results):
        raise typer.Exit(EXIT_DISAGREE)


def _prove(names: list[str], input, against: str, format, output) -> None:
    from archstat.errors import EXIT_DISAGREE, UsageError

    try:
        from archstat.backend.against import parse_reference, prove
        from archstat.backend.reference import import_torchvision

        import_torchvision()
    except ImportError as e:
        raise UsageError(f"check --against torchvision needs torch and torchvision ({e.name} is missing): "
                         f"pip install -e \".[test]\"") from None
    from archstat import load
    from archstat.render import proofs

    proofs_ = [prove(load(n, input), parse_reference(against, n)) for n in names]
    write(format, output, lambda c: proofs.print_table(proofs_, c), proofs, proofs_)
    if any(not p.ok for p in proofs_):
        raise typer.Exit(EXIT_DISAGREE)

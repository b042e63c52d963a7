"""Finding specs: built-in names (the YAML files shipped in ``specs/``) or paths, and loading them."""

from __future__ import annotations

import re
from pathlib import Path

from archstat.core.graph import Graph
from archstat.errors import SpecError

_PACKAGE = Path(__file__).resolve().parent.parent  # archstat/


def specs_dir() -> Path:
    """``archstat/specs`` in an installed wheel; the repository's ``specs/`` in a checkout or editable install."""
    for d in (_PACKAGE / "specs", _PACKAGE.parent / "specs"):
        if d.is_dir():
            return d
    return _PACKAGE.parent / "specs"


def builtin_names() -> list[str]:
    """The zoo: every network in ``specs/``."""
    return sorted(p.stem for p in specs_dir().glob("*.yaml"))


def example_names() -> list[str]:
    """Small module examples of the lecture notes, ``examples/NAME`` (``specs/examples/NAME.yaml``)."""
    return sorted(f"examples/{p.stem}" for p in (specs_dir() / "examples").glob("*.yaml"))


def resolve(name_or_path: str) -> Path | None:
    """A path to a spec file, or None for standard input ('-')."""
    if name_or_path == "-":
        return None
    from archstat.errors import one_line
    from archstat.io.reading import path_error

    if not isinstance(name_or_path, str) or not name_or_path:
        raise SpecError(f"a spec is a built-in name or a file, got {name_or_path!r}")
    p = Path(name_or_path)
    looks_like_path = p.suffix in (".yaml", ".yml") or "/" in name_or_path or "\\" in name_or_path
    try:
        if p.exists() or p.is_symlink():
            return p
        if looks_like_path:
            shipped = specs_dir() / (name_or_path if p.suffix else f"{name_or_path}.yaml")
            return shipped if not p.is_absolute() and shipped.is_file() else p
        builtin = specs_dir() / f"{name_or_path}.yaml"
        if builtin.exists():
            return builtin
    except (OSError, ValueError, RuntimeError) as e:
        raise SpecError(path_error(e), file=one_line(name_or_path, 200)) from None
    import difflib

    close = difflib.get_close_matches(name_or_path, builtin_names(), n=3) if len(name_or_path) <= 64 else []
    hint = f"; did you mean {', '.join(close)}?" if close else "; 'archstat list' shows the built-in specs"
    raise SpecError(f"no built-in spec or file named '{one_line(name_or_path, 200)}'{hint}")


def read(name_or_path: str) -> tuple[bytes, str]:
    """The raw bytes of a spec and the name to report it under (a regular file, or standard input for '-')."""
    from archstat.io.reading import read_file, read_stdin

    path = resolve(name_or_path)
    if path is None:
        return read_stdin(), "<stdin>"
    shown = str(path)
    try:
        shown = f"specs/{path.resolve().relative_to(specs_dir().resolve()).as_posix()}"  # built-in: as the repo shows it
    except (ValueError, OSError, RuntimeError):
        pass
    if path.is_dir():
        raise SpecError("is a directory, not a spec file", file=shown)
    return read_file(path, shown), shown


def parse_input(text: str) -> tuple:
    """``3x227x227``, ``227x227`` (keep the spec's channels) or ``227``; returned as a partial shape."""
    from archstat.errors import UsageError
    from archstat.language.numbers import is_count, parse_count

    parts = text.lower().replace("*", "x").replace(",", "x").split("x")
    if len(parts) not in (1, 2, 3) or not all(is_count(p) for p in parts):
        from archstat.errors import one_line

        raise UsageError(f"--input must look like 3x224x224, 224x224 or 224, got '{one_line(text, 60)}'")
    return tuple(parse_count(p, "--input: each size") for p in parts)


_NAME = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


def parse_symbolic_input(text: str) -> list | None:
    """``3xHxW`` -> [3, 'H', 'W']; None when the text has no symbol (the numeric path). Symbols may not contain
    the letter x, which separates dimensions. Numbers are ASCII digits, 1 to ``MAX_DIM`` (as on the numeric path);
    a symbol name is ASCII, at most ``_MAX_SYMBOL_CHARS`` characters (it is printed in every expression)."""
    from archstat.errors import UsageError
    from archstat.language.numbers import clip, is_count, parse_count

    _MAX_SYMBOL_CHARS = 32
    parts = re.split(r"\s*[x,*]\s*", text.strip())
    if not any(_NAME.match(p) for p in parts):
        return None
    if len(parts) not in (1, 2, 3):
        raise UsageError(f"--input must look like 3xHxW, HxW or S, got '{clip(text, 60)}'")
    out: list[int | str] = []
    for p in parts:
        if is_count(p):
            out.append(parse_count(p, "--input: a dimension"))
        elif _NAME.match(p):
            if len(p) > _MAX_SYMBOL_CHARS:
                raise UsageError(f"--input: the symbol name '{clip(p)}' is longer than {_MAX_SYMBOL_CHARS} characters")
            out.append(p)
        else:
            raise UsageError(f"--input: '{clip(p)}' is neither a positive integer nor a symbol name (3xHxW)")
    return out


def load_graph(name_or_path: str, input_shape: str | tuple | None = None, expander=None) -> Graph:
    """The spec's graph at ``input_shape`` (default: its own input). ``expander``: an ``Expander`` subclass to
    compile with (the exporter records block uses with one)."""
    from archstat.io.run import scope

    with scope():
        return _load_graph(name_or_path, input_shape, expander)


def _load_graph(name_or_path: str, input_shape: str | tuple | None, expander=None) -> Graph:
    from archstat.importing.sources import is_source
    from archstat.language.expand import compile_spec, parse_input_shape
    from archstat.language.yamlio import parse_yaml

    if is_source(name_or_path):  # torchvision:NAME, timm:NAME, FILE.py:CALLABLE, FILE.onnx: imported (torch, late)
        from archstat.importing.sources import spec_bytes

        data, shown = spec_bytes(name_or_path, input_shape)
        base_dir = Path(".")
    else:
        data, shown = read(name_or_path)
        path = resolve(name_or_path)
        base_dir = path.parent if path is not None else Path(".")
    doc = parse_yaml(data, shown)
    shape = None
    if input_shape is not None:
        vals = parse_input(input_shape) if isinstance(input_shape, str) else tuple(input_shape)
        if len(vals) < 3:
            base = getattr(doc, "get", lambda k: None)("input")
            if not isinstance(base, list) or len(base) != 3:
                from archstat.errors import UsageError

                raise UsageError("--input HxW needs a spec whose input is [C, H, W]; give CxHxW")
            vals = (base[0], vals[0], vals[-1])
        shape = parse_input_shape(list(vals), shown, None)
    if expander is not None:
        return compile_spec(doc, shown, shape, base_dir, expander=expander)
    return compile_spec(doc, shown, shape, base_dir)


def catalog_rows() -> list[dict]:
    """One row per built-in spec, as ``archstat list`` shows them: name, family, year, input, parameters, GMACs,
    the cited top-1 and the title."""
    from archstat import analyze

    rows = []
    for name in builtin_names():
        a = analyze(name)
        m = a.graph.meta
        rows.append({"name": name, "family": m.get("family") or "", "year": m.get("year") or "",
                     "input": "x".join(map(str, a.input_shape)), "params": a.totals.params,
                     "gmacs": round(a.totals.macs / 1e9, 3), "top1": (m.get("accuracy") or {}).get("top1", ""),
                     "title": m.get("title") or ""})
    return rows

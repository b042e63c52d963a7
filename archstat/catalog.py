"""Finding specs: built-in names (the YAML files shipped in ``specs/``) or paths, and loading them."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from .errors import SpecError
from .graph import Graph

_HERE = Path(__file__).resolve().parent


def specs_dir() -> Path:
    """``archstat/specs`` in an installed wheel; the repository's ``specs/`` in a checkout or editable install."""
    for d in (_HERE / "specs", _HERE.parent / "specs"):
        if d.is_dir():
            return d
    return _HERE.parent / "specs"


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
    p = Path(name_or_path)
    looks_like_path = p.suffix in (".yaml", ".yml") or "/" in name_or_path or "\\" in name_or_path
    if p.exists():
        return p
    if looks_like_path:
        shipped = specs_dir() / (name_or_path if p.suffix else f"{name_or_path}.yaml")
        return shipped if not p.is_absolute() and shipped.is_file() else p
    builtin = specs_dir() / f"{name_or_path}.yaml"
    if builtin.exists():
        return builtin
    import difflib

    close = difflib.get_close_matches(name_or_path, builtin_names(), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; 'archstat list' shows the built-in specs"
    raise SpecError(f"no built-in spec or file named '{name_or_path}'{hint}")


def read(name_or_path: str) -> tuple[bytes, str]:
    """The raw bytes of a spec and the name to report it under."""
    path = resolve(name_or_path)
    if path is None:
        from .spec.limits import MAX_SPEC_BYTES

        data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
        return data, "<stdin>"
    shown = str(path)
    try:
        shown = f"specs/{path.resolve().relative_to(specs_dir().resolve()).as_posix()}"  # built-in: as the repo shows it
    except ValueError:
        pass
    try:
        if path.is_dir():
            raise SpecError("is a directory, not a spec file", file=shown)
        from .spec.limits import MAX_SPEC_BYTES

        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size  # quote the real size, not what was read
            if size > MAX_SPEC_BYTES:
                raise SpecError(f"file is {size:,} bytes, more than the {MAX_SPEC_BYTES:,}-byte limit", file=shown)
            data = fh.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise SpecError("no such file", file=shown) from None
    except OSError as e:
        raise SpecError(f"cannot read: {e.strerror or e}", file=shown) from None
    return data, shown


def parse_input(text: str) -> tuple:
    """``3x227x227``, ``227x227`` (keep the spec's channels) or ``227``; returned as a partial shape."""
    from .errors import UsageError

    parts = text.lower().replace("*", "x").replace(",", "x").split("x")
    try:
        vals = tuple(int(p) for p in parts)
    except ValueError:
        raise UsageError(f"--input must look like 3x224x224, 224x224 or 224, got '{text}'") from None
    if len(vals) not in (1, 2, 3) or any(v < 1 or v > 1 << 31 for v in vals):
        raise UsageError(f"--input must look like 3x224x224, 224x224 or 224, got '{text}'")
    return vals


_NAME = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


def parse_symbolic_input(text: str) -> list | None:
    """``3xHxW`` -> [3, 'H', 'W']; None when the text has no symbol (the numeric path). Symbols may not contain
    the letter x, which separates dimensions."""
    from .errors import UsageError

    parts = re.split(r"\s*[x,*]\s*", text.strip())
    if not any(_NAME.match(p) for p in parts):
        return None
    out = []
    for p in parts:
        if p.isdigit() and int(p) > 0:
            out.append(int(p))
        elif _NAME.match(p):
            out.append(p)
        else:
            raise UsageError(f"--input: '{p}' is neither a positive integer nor a symbol name (3xHxW)")
    if len(out) not in (1, 2, 3):
        raise UsageError(f"--input must look like 3xHxW, HxW or S, got '{text}'")
    return out


def load_graph(name_or_path: str, input_shape: str | tuple | None = None) -> Graph:
    from .spec.expand import compile_spec, parse_input_shape
    from .spec.yamlio import parse_yaml

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
                from .errors import UsageError

                raise UsageError("--input HxW needs a spec whose input is [C, H, W]; give CxHxW")
            vals = (base[0], vals[0], vals[-1])
        shape = parse_input_shape(list(vals), shown, None)
    return compile_spec(doc, shown, shape, base_dir)

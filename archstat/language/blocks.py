"""Block definitions: the ``blocks:`` of a spec and of the block libraries it names under ``include:``.

A block is a parameterised group, defined once and used like a layer kind; ``expand.Expander`` instantiates it.
Here each definition is checked (its name, arguments and defaults, its ``layers`` list) and the libraries are read.
"""

from __future__ import annotations

from archstat.errors import SpecError
from archstat.io.limits import MAX_INCLUDE_BYTES, MAX_INCLUDES
from archstat.language.yamlio import Map, Seq, parse_yaml
from archstat.layers import REGISTRY

COMMON_KEYS = ("name", "inputs", "frozen")  # the keys any layer or block use takes besides its arguments
NO_DEFAULT = object()  # a block argument given as a name only: every use must pass it


class Block:
    def __init__(self, name: str, args: dict, layers, line: int | None, file: str | None = None):
        self.name, self.args, self.layers, self.line, self.file = name, args, layers, line, file


def read_blocks(doc: Map, file: str) -> dict[str, Block]:
    """The blocks defined under ``doc``'s ``blocks:`` (a spec's or a library's), each remembering ``file``."""
    raw = doc.get("blocks")
    if raw is None:
        return {}
    if not isinstance(raw, Map):
        raise SpecError("'blocks' must be a mapping of block names to definitions", file=file,
                        line=doc.line_of("blocks"))
    blocks = {}
    for name, body in raw.items():
        line = raw.line_of(name)
        try:
            blocks[name] = _block(name, body, line)
        except SpecError as e:
            raise e.located(file=file) from None
        blocks[name].file = file
    return blocks


def _block(name, body, line) -> Block:
    if not isinstance(name, str) or not name.isidentifier():
        raise SpecError(f"block name {name!r} is not an identifier", line=line)
    if name in REGISTRY:
        raise SpecError(f"block '{name}' has the name of a layer kind; rename it", line=line)
    if not isinstance(body, Map) or "layers" not in body:
        raise SpecError(f"block '{name}' must be a mapping with 'layers' (and optional 'args')", line=line)
    extra = [k for k in body if k not in ("args", "layers", "doc")]
    if extra:
        raise SpecError(f"block '{name}': unknown key '{extra[0]}' (keys: args, layers, doc)",
                        line=body.line_of(extra[0]))
    args_raw = body.get("args") or []
    if isinstance(args_raw, list):
        bad = next((a for a in args_raw if not isinstance(a, str)), None)
        if bad is not None:
            raise SpecError(f"block '{name}': argument {bad!r} must be an identifier other than "
                            f"{', '.join(COMMON_KEYS)}", line=body.line_of("args"))
        args = {a: NO_DEFAULT for a in args_raw}
    elif isinstance(args_raw, Map):
        args = dict(args_raw)
    else:
        raise SpecError(f"block '{name}': 'args' must be a list of names or a mapping of defaults",
                        line=body.line_of("args"))
    for a in args:
        if not isinstance(a, str) or not a.isidentifier() or a in COMMON_KEYS:
            raise SpecError(f"block '{name}': argument {a!r} must be an identifier other than "
                            f"{', '.join(COMMON_KEYS)}", line=body.line_of("args"))
    if not isinstance(body["layers"], Seq):
        raise SpecError(f"block '{name}': 'layers' must be a list", line=body.line_of("layers"))
    return Block(name, args, body["layers"], line)


def load_includes(doc: Map, file: str, base_dir) -> list[tuple[Map, str]]:
    """Block libraries named by ``include:``: relative YAML paths under the spec's own directory, holding only
    ``blocks:`` (and a ``doc:`` line). They are data like the spec; they cannot include further files."""
    from pathlib import Path

    from archstat.io.reading import TooLarge, path_error, read_file

    raw = doc.get("include")
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    line = doc.line_of("include")
    if len(items) > MAX_INCLUDES:
        raise SpecError(f"more than {MAX_INCLUDES} includes", file=file, line=line)
    libs, seen, left = [], set(), MAX_INCLUDE_BYTES  # the libraries together: at most as big as one spec
    for item in items:
        if not isinstance(item, str) or not item.endswith((".yaml", ".yml")) or Path(item).is_absolute():
            raise SpecError(f"include {item!r} must be a relative path to a .yaml file", file=file, line=line)
        try:
            base = Path(base_dir).resolve()
            path = (base / item).resolve()
        except (OSError, ValueError, RuntimeError) as e:
            raise SpecError(f"include {item!r}: {path_error(e)}", file=file, line=line) from None
        if base not in path.parents:
            raise SpecError(f"include '{item}' is outside the spec's directory", file=file, line=line)
        shown = str(Path(file).parent / item) if file != "<stdin>" else item
        if path in seen:
            continue
        seen.add(path)
        try:
            data = read_file(path, shown, limit=max(left, 0))
        except TooLarge:
            raise SpecError(f"the includes hold more than {MAX_INCLUDE_BYTES:,} bytes in all (the limit), with "
                            f"'{item}'", file=file, line=line) from None
        except SpecError as e:
            raise SpecError(f"cannot read include '{item}': {e.message}", file=file, line=line) from None
        left -= len(data)
        lib = parse_yaml(data, shown)
        by = f"included by {file}:{line}"
        if not isinstance(lib, Map):
            raise SpecError(f"a block library is a mapping with 'blocks:' (and 'doc:'); {by}", file=shown,
                            line=getattr(lib, "line", 1))
        extra = [k for k in lib if k not in ("blocks", "doc")]
        if extra:
            raise SpecError(f"a block library holds only 'blocks:' (and 'doc:'), not '{extra[0]}'; {by}",
                            file=shown, line=lib.line_of(extra[0]))
        libs.append((lib, shown))
    return libs

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


LIBRARY_PREFIX = "archstat:"  # include: [archstat:resnet] names the packaged library specs/blocks/resnet.yaml


class Block:
    def __init__(self, name: str, args: dict, layers, line: int | None, file: str | None = None,
                 doc: str | None = None):
        self.name, self.args, self.layers, self.line, self.file, self.doc = name, args, layers, line, file, doc


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
    doc = body.get("doc")
    if doc is not None and not isinstance(doc, str):
        raise SpecError(f"block '{name}': 'doc' must be text", line=body.line_of("doc"))
    return Block(name, args, body["layers"], line, doc=doc)


def library_dir():
    """The packaged block libraries: ``specs/blocks`` (``archstat/specs/blocks`` in an installed wheel)."""
    from archstat.language.catalog import specs_dir

    return specs_dir() / "blocks"


def library_names() -> list[str]:
    """The names ``include: [archstat:NAME]`` accepts: the files of ``specs/blocks/``."""
    return sorted(p.stem for p in library_dir().glob("*.yaml"))


def library_path(item: str, file: str, line):
    """The packaged library ``archstat:NAME`` names, or an error listing those there are."""
    import difflib
    import re

    name = item[len(LIBRARY_PREFIX):]
    names = library_names()
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) or name not in names:
        close = difflib.get_close_matches(name[:64], names, n=1)
        hint = f" (did you mean '{LIBRARY_PREFIX}{close[0]}'?)" if close else ""
        raise SpecError(f"include '{item[:80]}': no packaged block library of that name{hint}; they are "
                        f"{', '.join(LIBRARY_PREFIX + n for n in names)} (archstat blocks NAME shows one)",
                        file=file, line=line)
    return library_dir() / f"{name}.yaml"


def load_includes(doc: Map, file: str, base_dir) -> list[tuple[Map, str]]:
    """Block libraries named by ``include:``: relative YAML paths under the spec's own directory, or the packaged
    libraries by name (``archstat:resnet``: ``specs/blocks/resnet.yaml``), holding only ``blocks:`` (and a ``doc:``
    line). They are data like the spec; they cannot include further files."""
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
        if isinstance(item, str) and item.startswith(LIBRARY_PREFIX):
            path = library_path(item, file, line).resolve()
            shown = f"specs/blocks/{path.name}"  # as the built-in specs show it
        elif not isinstance(item, str) or not item.endswith((".yaml", ".yml")) or Path(item).is_absolute():
            raise SpecError(f"include {item!r} must be a relative path to a .yaml file, or a packaged library "
                            f"{LIBRARY_PREFIX}NAME", file=file, line=line)
        else:
            try:
                base = Path(base_dir).resolve()
                path = (base / item).resolve()
            except (OSError, ValueError, RuntimeError) as e:
                raise SpecError(f"include {item!r}: {path_error(e)}", file=file, line=line) from None
            if base not in path.parents:
                raise SpecError(f"include '{item}' is outside the spec's directory (a packaged library: "
                                f"{LIBRARY_PREFIX}NAME)", file=file, line=line)
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


def comment_of(text: str) -> str:
    """The YAML comment on one line of text ('' for none): from a ``#`` at the start or after a space, outside
    quotes."""
    quote = None
    for i, c in enumerate(text):
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"" and (i == 0 or text[i - 1] in " [{:,"):
            quote = c
        elif c == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[i + 1:].strip()
    return ""


def describe_library(data: bytes, shown: str) -> tuple[str, list[dict]]:
    """A block library's documentation: its ``doc:`` and, for each block, its description (its ``doc:``, else the
    comment lines above its name and the comment on that line) and its arguments with their defaults (as YAML writes them; ``required``
    when the block's ``args`` is a list of names) and the comment on each argument's line. The comments of a library are its documentation."""
    from archstat.language.yamlio import parse_yaml

    lib = parse_yaml(data, shown)
    if not isinstance(lib, Map):
        raise SpecError("a block library is a mapping with 'blocks:' (and 'doc:')", file=shown, line=1)
    lines = data.decode("utf-8", "replace").splitlines()

    def at(n):
        return lines[n - 1] if n is not None and 0 < n <= len(lines) else ""

    out = []
    for name, blk in read_blocks(lib, shown).items():
        about = blk.doc
        if about is None:
            above: list[str] = []
            n = (blk.line or 1) - 1
            while n >= 1 and at(n).lstrip().startswith("#"):
                above.insert(0, at(n).lstrip()[1:].strip())
                n -= 1
            about = " ".join([*above, comment_of(at(blk.line))]).strip()
        body = lib["blocks"][name]
        raw_args, key_line = body.get("args"), body.line_of("args") if "args" in body else None
        arg_lines = raw_args.key_lines if isinstance(raw_args, Map) and hasattr(raw_args, "key_lines") else {}
        args = []
        for a, default in blk.args.items():
            line = arg_lines.get(a)
            own = comment_of(at(line)) if line is not None and line != key_line else ""  # one per line of its own
            args.append((a, "required" if default is NO_DEFAULT else _yaml_text(default), own))
        out.append({"name": name, "about": " ".join(about.split()), "args": args,
                    "args_note": comment_of(at(key_line))})
    doc = lib.get("doc")
    return (" ".join(doc.split()) if isinstance(doc, str) else ""), out


def _yaml_text(v) -> str:
    """A default as YAML writes it: null, true, false, 1.0e-05, text."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)

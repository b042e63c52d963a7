"""YAML reading that remembers line numbers, with hard limits.

Specs are data: they are read with a *safe* loader (no ``!!python`` tags, nothing executed). Mappings and
sequences come back as ``Map`` and ``Seq``, plain ``dict``/``list`` subclasses that remember the line they started
on and, for mappings, the line of every key, so that any later error can point at the right line.
"""

from __future__ import annotations

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.reader import ReaderError
from yaml.resolver import Resolver

from archstat.errors import SpecError
from archstat.io.limits import MAX_LIST_ITEMS, MAX_SPEC_BYTES, MAX_YAML_DEPTH, MAX_YAML_VALUES
from archstat.language.numbers import check_int, yaml_int_text

try:  # libyaml's scanner and parser when the wheel has it (~10x faster); its C composer recurses without a
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]  # bound and crashes on deep nesting, so ours composes the events
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)


class Map(dict):
    line: int | None = None
    key_lines: dict

    def line_of(self, key) -> int | None:
        return self.key_lines.get(key, self.line) if hasattr(self, "key_lines") else self.line


class Seq(list):
    line: int | None = None
    item_lines: list


class _Composer(Composer):
    """PyYAML's composer, refusing a document nested deeper than ``MAX_YAML_DEPTH`` (before recursing further)
    or whose aliases expand it to more than ``MAX_YAML_VALUES`` values ("billion laughs"): each collection node
    records its height and its size with aliased subtrees counted at every use."""

    _depth = 0

    def compose_node(self, parent, index):
        if self._depth >= MAX_YAML_DEPTH:
            raise SpecError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels",
                            line=self.peek_event().start_mark.line + 1)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_sequence_node(self, anchor):
        node = super().compose_sequence_node(anchor)
        if len(node.value) > MAX_LIST_ITEMS:
            raise SpecError(f"a list of {len(node.value):,} items, more than the limit of {MAX_LIST_ITEMS:,}",
                            line=node.start_mark.line + 1)
        return _measure(node, node.value)

    def compose_mapping_node(self, anchor):
        node = super().compose_mapping_node(anchor)
        return _measure(node, [n for pair in node.value for n in pair])


def _measure(node, children):
    height, size = 1, 1
    for c in children:  # a child still being composed (a recursive alias) counts 1; the constructor refuses it
        height = max(height, getattr(c, "height", 1) + 1)
        size += getattr(c, "size", 1)
    node.height, node.size = height, size
    if height > MAX_YAML_DEPTH:
        raise SpecError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels (through aliases)",
                        line=node.start_mark.line + 1)
    if size > MAX_YAML_VALUES:
        raise SpecError(f"YAML aliases expand this to more than {MAX_YAML_VALUES:,} values (the limit)",
                        line=node.start_mark.line + 1)
    return node


class _Loader(_Composer, _Parser, SafeConstructor, Resolver):
    def __init__(self, stream):
        _Parser.__init__(self, stream)
        _Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as e:  # int('9' * 5000), a date 2015-13-45, ...
            text = str(node.value)
            text = text if len(text) <= 40 else f"{text[:20]}...({len(text):,} characters)"
            why = str(e).split(";")[0]  # drop Python's advice on sys.set_int_max_str_digits
            raise SpecError(f"YAML error: cannot read the value {text}: {why}", line=node.start_mark.line + 1) \
                from None

    def construct_yaml_int(self, node):
        """An integer in any YAML base, its text and value bounded (``numbers.py``) before and after converting."""
        text = str(node.value)
        yaml_int_text(text)
        return check_int(super().construct_yaml_int(node), "the integer")

    def construct_yaml_float(self, node):
        yaml_int_text(str(node.value))
        return super().construct_yaml_float(node)

    def construct_not_data(self, node):
        raise SpecError(f"YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not spec data (numbers, text, "
                        f"lists and mappings)", line=node.start_mark.line + 1)

    def construct_yaml_map(self, node):
        data = Map()
        data.line = node.start_mark.line + 1
        data.key_lines = {}
        yield data
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise SpecError("a mapping key must be a plain value, not a list or mapping",
                                line=key_node.start_mark.line + 1) from None
            if key in data:
                raise SpecError(f"duplicate key '{key}'", line=key_node.start_mark.line + 1)
            data[key] = self.construct_object(value_node, deep=True)
            data.key_lines[key] = key_node.start_mark.line + 1

    def construct_yaml_seq(self, node):
        data = Seq()
        data.line = node.start_mark.line + 1
        data.item_lines = [n.start_mark.line + 1 for n in node.value]
        yield data
        data.extend(self.construct_object(n, deep=True) for n in node.value)


_CONSTRUCTORS = {"map": _Loader.construct_yaml_map, "seq": _Loader.construct_yaml_seq,
                 "int": _Loader.construct_yaml_int, "float": _Loader.construct_yaml_float,
                 **{tag: _Loader.construct_not_data for tag in ("binary", "set", "omap", "pairs")}}
for _tag, _construct in _CONSTRUCTORS.items():
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _construct)  # type: ignore[type-var]


def parse_yaml(text: str | bytes, file: str) -> object:
    """Parse one YAML document into Map/Seq/scalars; every failure is a one-line SpecError."""
    if isinstance(text, bytes):
        if len(text) > MAX_SPEC_BYTES:
            raise SpecError(f"longer than the {MAX_SPEC_BYTES:,}-byte limit", file=file)  # perhaps not read to its end
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SpecError(f"not UTF-8 text (byte 0x{text[e.start]:02x} at offset {e.start:,})", file=file,
                            line=e.object[: e.start].count(b"\n") + 1) from None
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"file is {len(text):,} characters, more than the {MAX_SPEC_BYTES:,} limit", file=file)
    if "\x00" in text:
        raise SpecError("binary data (NUL byte) in a spec file", file=file,
                        line=text.count("\n", 0, text.index("\x00")) + 1)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError("the file is empty" if not text.strip() else "the file holds only comments", file=file)
        return loader.construct_document(node)
    except SpecError as e:
        raise e.located(file=file) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = (e.problem or e.context or "invalid YAML").strip()
        if "maximum nesting depth" in what:  # libyaml 0.2.6+ (PyYAML 6.0.4) scans ahead and stops at its own
            # nesting limit, far beyond ours, before the composer reaches MAX_YAML_DEPTH: the same refusal
            raise SpecError(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", file=file, line=line) from None
        if e.problem and e.context:  # "found unexpected end of stream (while scanning a quoted scalar on line 1)"
            if what.startswith("but "):
                what = f"{e.context.strip()}, {what}"
            elif e.context_mark and e.context_mark.line + 1 != line:
                what = f"{what} ({e.context.strip()} on line {e.context_mark.line + 1})"
            else:
                what = f"{what} ({e.context.strip()})"
        raise SpecError(f"YAML error: {what}", file=file, line=line) from None
    except ReaderError as e:
        code = ord(e.character) if isinstance(e.character, str) else e.character
        raise SpecError(f"YAML error: character U+{code:04X} at offset {e.position:,}: {e.reason}", file=file,
                        line=text.count("\n", 0, e.position) + 1) from None
    except yaml.YAMLError as e:
        raise SpecError(f"YAML error: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
                        file=file) from None
    except RecursionError:
        raise SpecError(f"YAML nested too deeply (limit {MAX_YAML_DEPTH} levels)", file=file) from None
    finally:
        loader.dispose()

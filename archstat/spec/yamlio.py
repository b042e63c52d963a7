"""YAML reading that remembers line numbers, with hard limits.

Specs are data: they are read with a *safe* loader (no ``!!python`` tags, nothing executed). Mappings and
sequences come back as ``Map`` and ``Seq``, plain ``dict``/``list`` subclasses that remember the line they started
on and, for mappings, the line of every key, so that any later error can point at the right line.
"""

from __future__ import annotations

import yaml

from ..errors import SpecError
from .limits import MAX_SPEC_BYTES, MAX_YAML_DEPTH

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it: ~10x faster


class Map(dict):
    line: int | None = None
    key_lines: dict

    def line_of(self, key) -> int | None:
        return self.key_lines.get(key, self.line) if hasattr(self, "key_lines") else self.line


class Seq(list):
    line: int | None = None
    item_lines: list


class _Loader(_Base):
    def construct_yaml_map(self, node):  # noqa: D401 - yaml's generator protocol
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


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_yaml_seq)


def _check_depth(node, limit: int) -> None:
    """Refuse deeply nested documents before constructing them (iteratively: no recursion to blow)."""
    stack = [(node, 1)]
    seen = set()
    while stack:
        n, d = stack.pop()
        if d > limit:
            raise SpecError(f"YAML nested deeper than {limit} levels", line=n.start_mark.line + 1)
        if id(n) in seen:  # aliases share nodes: visit each once, so an alias bomb costs nothing here
            continue
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.append((k, d + 1))
                stack.append((v, d + 1))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((v, d + 1) for v in n.value)


def parse_yaml(text: str | bytes, file: str) -> object:
    """Parse one YAML document into Map/Seq/scalars; every failure is a one-line SpecError."""
    if isinstance(text, bytes):
        if len(text) > MAX_SPEC_BYTES:
            raise SpecError(f"file is {len(text):,} bytes, more than the {MAX_SPEC_BYTES:,}-byte limit", file=file)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SpecError(f"not UTF-8 text (bad byte at offset {e.start})", file=file) from None
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError(f"file is {len(text):,} characters, more than the {MAX_SPEC_BYTES:,} limit", file=file)
    if "\x00" in text:
        raise SpecError("binary data (NUL byte) in a spec file", file=file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise SpecError("the file is empty", file=file)
        _check_depth(node, MAX_YAML_DEPTH)
        return loader.construct_document(node)
    except SpecError as e:
        raise e.located(file=file)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = (e.problem or e.context or "invalid YAML").strip()
        raise SpecError(f"YAML error: {what}", file=file, line=line) from None
    except yaml.YAMLError as e:
        raise SpecError(f"YAML error: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
                        file=file) from None
    except RecursionError:
        raise SpecError(f"YAML nested too deeply (limit {MAX_YAML_DEPTH} levels)", file=file) from None
    finally:
        loader.dispose()

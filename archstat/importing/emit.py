"""An imported network (``ir.ImportedModel``) as spec YAML text that reads like a zoo spec.

``emit(model)`` returns the text. Layers keep their module paths as names. The module tree (the dotted prefixes of
the names) is folded:

- A module is a *scope* when its layers are consecutive in the network's order, it holds at least two of them and
  everything they read from outside comes from one layer (what flowed into the module). Other modules are
  dissolved: their layers are written with their dotted names in the enclosing body.
- Scopes of equal structure (the same kinds, relative names, links and argument names, in the same order; their
  own sub-scopes compared the same way) become one block definition under ``blocks:``. A plain container
  (``nn.Sequential``, ``ModuleList``, ``ModuleDict``: ``CONTAINERS``) is never a block: it is written as a named
  group, so a stage reads as its first unit and a ``repeat`` of the equal units after it. The argument values that
  differ between its uses become the block's arguments (``$stride``); values always equal between two places are one
  argument; values equal in every use stay literal. A scope whose structure occurs once is written as a named group.
- Consecutive uses of one block with equal arguments, chained and named ``k``, ``k+1``, ... become ``repeat:``.

Every layer of the model appears in the expanded spec with the same name, kind, arguments and links: folding only
changes how the text says it. Layers of kind ``custom`` are listed in the spec's closing note and a final comment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from archstat.importing.ir import INPUT, ImportedLayer, ImportedModel

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


# ---- YAML scalars ---------------------------------------------------------------------------------------------------
def scalar(v) -> str:
    """One value as a YAML flow scalar that reads back as the same value (PyYAML's YAML 1.1 rules)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        r = repr(v)
        if "e" in r and "." not in r.split("e")[0]:  # PyYAML reads 1e-05 as text; 1.0e-05 as a number
            m, e = r.split("e")
            r = f"{m}.0e{e}"
        return r
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(scalar(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)}: {scalar(x)}" for k, x in v.items()) + "}"
    s = str(v)
    if _PLAIN.match(s) and s.lower() not in _YAML_WORDS:
        return s
    return json.dumps(s)


def _key(k: str) -> str:
    return k if _PLAIN.match(k) and k.lower() not in _YAML_WORDS else json.dumps(k)


def _ident(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return s if s and not s[0].isdigit() else f"a_{s}"


def _snake(cls_name: str) -> str:
    """``BasicBlock`` -> ``basic_block``; "" for no class name (the caller falls back to a generic name)."""
    if not cls_name:
        return ""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", cls_name.rpartition(".")[2])
    return _ident(s.lower())


# ---- the module tree ------------------------------------------------------------------------------------------------
@dataclass
class _Scope:
    path: str                                     # the module path, "" for the network
    children: list = field(default_factory=list)  # _Scope or ImportedLayer, in order of first appearance
    start: int = 0
    end: int = 0                                  # positions of its first and last layer
    size: int = 0                                 # its layers
    source: str = INPUT                           # the one layer it reads from outside (when it is a scope)
    items: list = field(default_factory=list)     # the body once modules that are not scopes are dissolved
    key: tuple = ()                               # its structure
    values: list = field(default_factory=list)    # the argument values, in the order of its structure
    block: _Block | None = None


@dataclass
class _Block:
    name: str
    uses: list                                    # the _Scopes written as this block
    params: dict = field(default_factory=dict)    # position in the structure's values -> argument name
    args: list = field(default_factory=list)      # argument names, in order


def _tree(model: ImportedModel) -> tuple[_Scope, dict[str, int]]:
    pos = {la.name: k for k, la in enumerate(model.layers)}
    root = _Scope("")
    scopes = {"": root}
    for la in model.layers:
        parts = la.name.split(".")
        parent = root
        for d in range(1, len(parts)):
            path = ".".join(parts[:d])
            s = scopes.get(path)
            if s is None:
                s = scopes[path] = _Scope(path)
                parent.children.append(s)
            parent = s
        parent.children.append(la)
    _measure(root, pos)
    return root, pos


def _measure(s: _Scope, pos: dict[str, int]) -> list[int]:
    ks: list[int] = []
    for c in s.children:
        ks += _measure(c, pos) if isinstance(c, _Scope) else [pos[c.name]]
    s.start, s.end, s.size = min(ks), max(ks), len(ks)
    return ks


def _layers(s: _Scope) -> list[ImportedLayer]:
    out: list[ImportedLayer] = []
    for c in s.children:
        out += _layers(c) if isinstance(c, _Scope) else [c]
    return out


def _dissolve(s: _Scope, model: ImportedModel) -> list:
    """The items of ``s``'s body: its layers, and its sub-modules that are scopes; the others' items spliced in."""
    items: list = []
    for c in s.children:
        if not isinstance(c, _Scope):
            items.append(c)
            continue
        c.items = _dissolve(c, model)
        if _is_scope(c, model):
            items.append(c)
        else:
            items += c.items
    items.sort(key=lambda c: c.start if isinstance(c, _Scope) else _POS[c.name])
    return items


_POS: dict[str, int] = {}  # set by ``emit`` (the positions of the model being emitted)


def _is_scope(s: _Scope, model: ImportedModel) -> bool:
    if s.size < 2 or s.end - s.start + 1 != s.size:
        return False
    inside = {la.name for la in _layers(s)}
    outside = {i for la in _layers(s) for i in la.inputs if i not in inside}
    if len(outside) != 1:
        return False
    s.source = outside.pop()
    return True


# ---- structure and folding ------------------------------------------------------------------------------------------
def _rel(ref: str, prefix: str, source: str) -> str:
    if ref == source and prefix:
        return INPUT
    return ref[len(prefix):] if prefix and ref.startswith(prefix) else ref


def _structure(s: _Scope) -> None:
    """``s.key`` (kinds, names, links, argument names) and ``s.values`` (argument values), children first."""
    prefix = s.path + "."
    key: list = []
    values: list = []
    for it in s.items:
        if isinstance(it, _Scope):
            _structure(it)
            key.append(("scope", it.path[len(prefix):], it.key, _rel(it.source, prefix, s.source)))
            values += it.values
        else:
            full = _full_args(it)
            names = tuple(full)
            key.append((it.kind, it.name[len(prefix):], names, tuple(_rel(i, prefix, s.source) for i in it.inputs)))
            values += [_freeze(full[n]) for n in names]
    s.key, s.values = tuple(key), values


def _freeze(v):
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    if isinstance(v, dict):
        return tuple((k, _freeze(x)) for k, x in v.items())
    return v


def _all_scopes(items: list) -> list[_Scope]:
    out = []
    for it in items:
        if isinstance(it, _Scope):
            out += _all_scopes(it.items)
            out.append(it)
    return out


def _positions(s: _Scope) -> list[tuple[str, str]]:
    """(relative layer name, argument name) for each entry of ``s.values``, as the block's text names them."""
    prefix = s.path + "."
    out: list[tuple[str, str]] = []
    for it in s.items:
        if isinstance(it, _Scope):
            sub = _positions(it)
            rel = it.path[len(prefix):]
            named = it.block.params if it.block is not None else {}
            out += [(f"{rel}.{a}" if k not in named else rel, named.get(k, b)) for k, (a, b) in enumerate(sub)]
        else:
            out += [(it.name[len(prefix):], n) for n in _full_args(it)]
    return out


_NOTHING = object()


def _defaults(kind: str) -> dict:
    """The kind's arguments with their defaults (``_NOTHING`` where an argument has none)."""
    from archstat.layers import REGISTRY
    from archstat.layers._schema import REQUIRED

    cls = REGISTRY.get(kind)
    if cls is None:
        return {}
    return {k: (_NOTHING if f.default is REQUIRED else f.default) for k, f in cls.fields.items()}


def _full_args(la: ImportedLayer) -> dict:
    """Every argument of the layer's kind, defaults filled in (so that a stride left at its default compares equal
    with a stride of 2 given), then any the kind does not know (the spec will say so)."""
    d = _defaults(la.kind)
    out = {k: la.args.get(k, v) for k, v in d.items() if k in la.args or v is not _NOTHING}
    out.update({k: v for k, v in la.args.items() if k not in out})
    return out


CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}  # torch.nn's plain containers (not their subclasses)


def _make_blocks(scopes: list[_Scope], types: dict[str, str], taken: set[str]) -> list[_Block]:
    groups: dict[tuple, list[_Scope]] = {}
    for s in scopes:  # children before parents (``_all_scopes`` order)
        if types.get(s.path) in CONTAINERS:
            continue  # a container is a named group: its children fold (first unit, then ``repeat``)
        groups.setdefault(s.key, []).append(s)
    blocks = []
    for _key, uses in groups.items():
        if len(uses) < 2:
            continue
        base = _snake(types.get(uses[0].path, "")) or "block"
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        b = _Block(name, uses)
        vectors = list(zip(*(u.values for u in uses))) if uses[0].values else []
        positions = _positions(uses[0])
        varying = [k for k, vec in enumerate(vectors) if any(v != vec[0] for v in vec)]
        keys = [positions[k][1] for k in varying]
        by_vector: dict[tuple, str] = {}
        for k in varying:
            vec = vectors[k]
            if vec in by_vector:
                b.params[k] = by_vector[vec]
                continue
            rel, arg = positions[k]
            cand = arg if keys.count(arg) == 1 else _ident(f"{rel}_{arg}")
            while cand in b.args or cand in ("name", "inputs", "frozen", "i"):
                cand += "_"
            by_vector[vec] = b.params[k] = cand
            b.args.append(cand)
        for u in uses:
            u.block = b
        blocks.append(b)
    return blocks


# ---- text -------------------------------------------------------------------------------------------------------------
def _shape_comment(shape: tuple) -> str:
    return "  # " + " x ".join(map(str, shape)) if shape else ""


class _Writer:
    def __init__(self, model: ImportedModel):
        self.model = model
        self.by_name = {la.name: la for la in model.layers}

    def last(self, it) -> str:
        return _layers(it)[-1].name if isinstance(it, _Scope) else it.name

    def source_of(self, it) -> list[str]:
        return [it.source] if isinstance(it, _Scope) else list(it.inputs)

    def body(self, items: list, prefix: str, source: str, indent: str, params: dict | None,
             values: list | None, comments: bool) -> list[str]:
        """Lines for a body at ``prefix`` (``"layer1.0."``) whose input is ``source``. Inside a block definition,
        ``params`` maps positions of ``values`` to argument names (the rest is literal)."""
        lines: list[str] = []
        prev = source
        k = 0  # position in ``values``
        j = 0
        while j < len(items):
            it = items[j]
            run = self._run(items, j) if params is None else 1
            ins = [_rel(i, prefix, source) for i in self.source_of(it)]
            default = self.source_of(it) == [prev]
            if isinstance(it, _Scope):
                n = len(it.values)
                mine = self._args_of(it, params, k)
                k += n
                rel = it.path[len(prefix):]
                if it.block is None:
                    head = f"{indent}- name: {scalar(rel)}"
                    lines.append(head + (_shape_comment(self.by_name[self.last(it)].shape) if comments else ""))
                    if not default:
                        lines.append(f"{indent}  inputs: {scalar(ins)}")
                    lines.append(f"{indent}  layers:")
                    # inside a block's body, the group's values are the block's arguments at their positions
                    sub = None if params is None else {p - (k - n): a for p, a in params.items() if k - n <= p < k}
                    lines += self.body(it.items, it.path + ".", it.source, indent + "    ", sub, None, comments)
                elif run > 1:
                    assert it.block is not None
                    first = int(rel)
                    comment = _shape_comment(self.by_name[self.last(items[j + run - 1])].shape) if comments else ""
                    lines.append(f"{indent}- repeat: {run}{comment}")
                    lines.append(f"{indent}  as: i")
                    lines.append(f"{indent}  layers:")
                    name = f"$(i + {first})" if first else "$i"
                    lines.append(f"{indent}    - {it.block.name}: {self._flow(name, None, mine)}")
                    for extra in items[j + 1:j + run]:
                        k += len(extra.values)
                    it = items[j + run - 1]
                else:
                    assert it.block is not None
                    comment = _shape_comment(self.by_name[self.last(it)].shape) if comments else ""
                    lines.append(f"{indent}- {it.block.name}: {self._flow(rel, None if default else ins, mine)}"
                                 f"{comment}")
            else:
                mine = {}
                full = _full_args(it)
                dflt = _defaults(it.kind)
                for a in full:
                    if params is not None and k in params:
                        mine[a] = f"${params[k]}"
                    elif a in it.args or dflt.get(a, _NOTHING) != full[a]:
                        mine[a] = full[a]
                    k += 1
                rel = it.name[len(prefix):]
                comment = _shape_comment(it.shape) if comments else ""
                lines.append(f"{indent}- {it.kind}: {self._flow(rel, None if default else ins, mine)}{comment}")
            prev = self.last(it)
            j += run
        return lines

    def _args_of(self, it: _Scope, params: dict | None, k: int) -> dict:
        """The arguments a block use passes: its own values (or, inside a block body, the enclosing arguments)."""
        b = it.block
        if b is None:
            return {}
        out: dict = {}
        for pos, arg in b.params.items():
            if arg in out:
                continue
            if params is not None and k + pos in params:
                out[arg] = f"${params[k + pos]}"
            else:
                out[arg] = _thaw(it.values[pos])
        return out

    def _run(self, items: list, j: int) -> int:
        """How many items from ``j`` on are one block used with equal arguments, chained, named k, k+1, ..."""
        it = items[j]
        if not isinstance(it, _Scope) or it.block is None:
            return 1
        rel = it.path.rpartition(".")[2]
        if not rel.isdigit():
            return 1
        n = 1
        mine = self._args_of(it, None, 0)
        while j + n < len(items):
            nxt = items[j + n]
            if not (isinstance(nxt, _Scope) and nxt.block is it.block and nxt.path.rpartition(".")[0] ==
                    it.path.rpartition(".")[0] and nxt.path.rpartition(".")[2] == str(int(rel) + n)
                    and nxt.source == self.last(items[j + n - 1]) and self._args_of(nxt, None, 0) == mine):
                break
            n += 1
        return n

    @staticmethod
    def _flow(name: str, inputs: list[str] | None, args: dict) -> str:
        parts = [f"name: {scalar(name)}"]
        if inputs is not None:
            parts.append(f"inputs: {scalar(inputs)}")
        parts += [f"{_key(k)}: {scalar(v)}" for k, v in args.items()]
        return "{" + ", ".join(parts) + "}"


def _thaw(v):
    if isinstance(v, tuple) and v and all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str)
                                          for x in v):
        return {k: _thaw(x) for k, x in v}
    if isinstance(v, tuple):
        return [_thaw(x) for x in v]
    return v


def emit(model: ImportedModel, fold: bool = True, scope_types: dict[str, str] | None = None) -> str:
    """The spec text of ``model``. ``fold=False`` writes every layer flat, by its full name. ``scope_types`` maps
    module paths to their class names (``layer1.0`` -> ``Bottleneck``), used to name the blocks."""
    from archstat.layers import REGISTRY

    model.check()
    global _POS
    _POS = {la.name: k for k, la in enumerate(model.layers)}
    root, _ = _tree(model)
    if fold:
        root.items = _dissolve(root, model)
    else:
        root.items = list(model.layers)
    scopes = _all_scopes(root.items)
    for s in root.items:
        if isinstance(s, _Scope):
            _structure(s)
    blocks = _make_blocks(scopes, scope_types or {}, set(REGISTRY))
    w = _Writer(model)
    out = [f"name: {scalar(model.name)}"]
    if model.title:
        out.append(f"title: {scalar(model.title)}")
    if model.family:
        out.append(f"family: {scalar(model.family)}")
    notes = list(model.notes)
    customs = model.customs
    if customs:
        notes.append(f"{len(customs)} op(s) have no archstat kind and are `custom` layers with their traced shape "
                     f"and measured counts: " + "; ".join(f"{c.name} ({c.op})" for c in customs) + ".")
    if notes:
        out.append("notes: >")
        out += _wrap(" ".join(notes), "  ")
    out.append(f"input: {scalar(list(model.input))}")
    out.append("")
    out.append("layers:")
    out += w.body(root.items, "", INPUT, "  ", None, None, True)
    if blocks:
        out.append("")
        out.append("blocks:")
        for b in sorted(blocks, key=lambda b: _POS[_layers(b.uses[0])[0].name]):
            u = b.uses[0]
            out.append(f"  {b.name}:  # {len(b.uses)} uses: {', '.join(x.path for x in b.uses[:4])}"
                       f"{', ...' if len(b.uses) > 4 else ''}")
            if b.args:
                out.append("    args: [" + ", ".join(b.args) + "]")
            out.append("    layers:")
            out += w.body(u.items, u.path + ".", u.source, "      ", b.params, u.values, False)
    if customs:
        out.append("")
        out.append(f"# custom layers ({len(customs)}), with the counts measured while tracing:")
        for c in customs:
            out.append(f"#   {c.name}: {c.op}, shape {'x'.join(map(str, c.shape))}, "
                       + ", ".join(f"{k} {c.args[k]}" for k in ("params", "macs", "flops") if k in c.args))
    return "\n".join(out) + "\n"


def _wrap(text: str, indent: str, width: int = 116) -> list[str]:
    import textwrap

    return [indent + line for line in textwrap.wrap(text, width - len(indent))] or [indent]

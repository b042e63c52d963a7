"""``archstat export SPEC --to torch``: the spec as a readable, standalone PyTorch file (it imports only torch).

How the file is made:

- The spec is expanded again with an ``Expander`` that records each use of a block: its scope (``layer1.0``), the
  block's name and its arguments. The layers are the same graph the backend builds (``archstat.backend``), and
  every layer's module is built the same way (on the meta device), then written back as source
  (``archstat.exporting.modules``).
- The dotted names make a tree of scopes. A scope whose layers read one tensor from outside and hand one out is a
  *unit*: a sub-module called as one line. A unit whose children are numbered 0, 1, ... and chained one into the
  next is an ``nn.Sequential`` (torchvision's ``layer1``, ``features``); any other unit is an instance of a class
  written for its block (or for its group's name: ``downsample``, ``se``). A scope that is not a unit (two
  parallel paths ``paths.0``, ``paths.1``) is a plain container (``nn.ModuleList``), and its layers are called
  from the enclosing class's ``forward``.
- One class per block, and per shape of it: the uses of a block that write the same code up to numbers share one
  class, and the numbers that differ between them become its constructor's arguments, named after the block's
  own arguments where they match (``c``, ``stride``, ``4 * c``), else ``in_channels`` or the argument of the torch
  module they fill. A use that writes different code (a ResNet unit with its projection shortcut) gets its own
  class, named by what it adds (``BottleneckWithDownsample``).
- ``forward`` is straight-line code, one line per layer, each with its output shape; a value read once by the next
  line is ``x``, any other is named after its layer.

Attribute names are the spec's layer names, so ``state_dict()`` keys are the spec build's (and torchvision's, for
the zoo specs named after torchvision's modules): ``tests/test_export.py`` loads one into the other, strictly, and
compares outputs.
"""

from __future__ import annotations

import keyword
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from archstat.core.graph import INPUT, Graph, Node
from archstat.errors import ArchstatError, SpecError
from archstat.exporting.modules import Hole, Part, Piece, helper_sources, piece
from archstat.language.expand import Expander
from archstat.layers._text import features, fmt_shape

# ---- recording block uses -----------------------------------------------------------------------------------------


@dataclass
class BlockUse:
    block: str
    args: dict
    file: str | None
    line: int | None


class _Recorder(Expander):
    """An Expander that notes each block use: scope name -> BlockUse (``uses`` is set on a subclass)."""

    uses: dict[str, BlockUse] = {}

    def expand(self, items, scope, ev, prev, line):
        if self.block_stack:
            blk = self.blocks[self.block_stack[-1]]
            key = scope.prefix[:-1]
            if items is blk.layers and key not in self.uses:
                self.uses[key] = BlockUse(blk.name, {a: ev.env.get(a) for a in blk.args}, blk.file, blk.line)
        return super().expand(items, scope, ev, prev, line)


def load_with_blocks(name_or_path: str, input_shape=None) -> tuple[Graph, dict[str, BlockUse]]:
    """The spec's graph, as ``archstat.load`` compiles it, and its block uses by scope name."""
    from archstat.language.catalog import load_graph

    uses: dict[str, BlockUse] = {}
    recorder = type("Recorder", (_Recorder,), {"uses": uses})
    graph = load_graph(name_or_path, input_shape, expander=recorder)
    return graph, uses


# ---- the tree of scopes -------------------------------------------------------------------------------------------


@dataclass
class Scope:
    path: str                                            # "" for the network, "layer1.0"
    children: dict[str, Scope | Node] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)      # every layer under it, in spec order
    entry: str | None = None                             # a unit: the one tensor it reads from outside
    exit: str | None = None                              # a unit: the one layer whose output leaves it
    height: int = 0
    ctor: list[Part] | None = None                       # a unit: the expression that constructs it
    sequential: bool = False

    @property
    def local(self) -> str:
        return self.path.rpartition(".")[2]


@dataclass
class Line:
    parts: list[Part]
    comment: str = ""
    attr: str = ""


@dataclass
class Body:
    """The code of one class, before its numbers are shared out as arguments."""

    scope: Scope
    init: list[Line]
    forward: list[str]
    comments: list[str]

    def holes(self) -> list[tuple[Hole, str]]:
        return [(p, ln.attr) for ln in self.init for p in ln.parts if isinstance(p, Hole)]

    def key(self) -> tuple:
        return (tuple("".join(p if isinstance(p, str) else "\0" for p in ln.parts) for ln in self.init),
                tuple(self.forward))


def _camel(name: str) -> str:
    words = [w for w in re.split(r"[^0-9A-Za-z]+|_", name) if w]
    out = "".join(w[:1].upper() + w[1:] for w in words) or "Block"
    return out if out[0].isalpha() else "Block" + out


def _ident(name: str) -> str:
    s = re.sub(r"[^0-9A-Za-z_]", "_", name)
    if not s or s[0].isdigit():
        s = "x" + s
    return s + "_" if keyword.iskeyword(s) or s in ("self", "input", "torch", "nn", "F", "math") else s


def _attr_ok(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name) and not hasattr(nn.Module, name)


class Exporter:
    def __init__(self, graph: Graph, uses: dict[str, BlockUse]):
        self.graph, self.uses = graph, uses
        self.order = {n.name: k for k, n in enumerate(graph.nodes)}
        self.by_name = {n.name: n for n in graph.nodes}
        self.shapes: dict[str, tuple] = {INPUT: tuple(graph.input_shape)}
        self.pieces: dict[str, Piece] = {}
        self.params = 0
        with torch.device("meta"):
            for node in graph.nodes:
                ins = [self.shapes[i] for i in node.inputs]
                try:
                    out = tuple(node.layer.output_shape(ins))
                    module = node.layer.torch_module(ins, out)
                except ArchstatError as e:
                    raise e.located(file=node.file or graph.file, line=node.line, layer=node.name) from None
                self.shapes[node.name] = out
                self.params += sum(p.numel() for p in module.parameters())
                self.pieces[node.name] = piece(module, node.layer, ins, out)
        consumers: dict[str, list[str]] = {}
        for n in graph.nodes:
            for i in n.inputs:
                consumers.setdefault(i, []).append(n.name)
        self.consumers = consumers
        self.outputs = [n.name for n in graph.nodes if n.name not in consumers] or [INPUT]
        self.helpers: list[str] = []
        self.classes: list[str] = []           # rendered class sources, in order
        self.class_names: set[str] = set()
        self.root = self._tree()

    # ---- structure ------------------------------------------------------------------------------------------------
    def _tree(self) -> Scope:
        root = Scope("")
        scopes = {"": root}
        for node in self.graph.nodes:
            parts = node.name.split(".")
            parent = root
            root.nodes.append(node)
            for k in range(len(parts) - 1):
                path = ".".join(parts[:k + 1])
                sc = scopes.get(path)
                if sc is None:
                    sc = scopes[path] = Scope(path)
                    parent.children[parts[k]] = sc
                sc.nodes.append(node)
                parent = sc
            parent.children[parts[-1]] = node
        for sc in scopes.values():
            if sc.path:
                self._unit(sc)
        self._heights(root)
        return root

    def _unit(self, sc: Scope) -> None:
        members = {n.name for n in sc.nodes}
        outside = {i for n in sc.nodes for i in n.inputs if i not in members}
        leaving = [n.name for n in sc.nodes
                   if n.name in self.outputs or any(c not in members for c in self.consumers.get(n.name, ()))]
        if len(outside) == 1 and len(leaving) == 1:
            sc.entry, sc.exit = next(iter(outside)), leaving[0]

    def _heights(self, sc: Scope) -> int:
        h = 0
        for c in sc.children.values():
            if isinstance(c, Scope):
                h = max(h, self._heights(c) + (1 if c.entry is not None else 0))
        sc.height = h
        return h

    def items(self, sc: Scope, path: list[str] | None = None) -> list[tuple[list[str], Scope | Node]]:
        """The things ``sc``'s forward calls, each with its path of names below ``sc``: its layers and units,
        looking through containers."""
        out = []
        for name, c in sc.children.items():
            p = [*(path or []), name]
            if isinstance(c, Scope) and c.entry is None:
                out.extend(self.items(c, p))
            else:
                out.append((p, c))
        return sorted(out, key=lambda t: self.order[_first(t[1]).name])

    # ---- code -----------------------------------------------------------------------------------------------------
    def export(self, name: str, title: str, file: str) -> str:
        units: list[Scope] = []
        self._collect_units(self.root, units)
        sets: dict[str, dict[frozenset, int]] = {}  # a family's most common set of children names its plain class
        for u in units:
            if not self._chain(u):
                counts = sets.setdefault(self._family(u), {})
                counts[frozenset(u.children)] = counts.get(frozenset(u.children), 0) + 1
        self.base_children = {f: set(max(c.items(), key=lambda kv: kv[1])[0]) for f, c in sets.items()}
        for h in sorted({u.height for u in units}):
            level = [u for u in units if u.height == h]
            bodies = []
            for u in level:
                if self._chain(u):
                    u.sequential = True
                    u.ctor = self._sequential(u)
                else:
                    bodies.append(self._body(u))
            self._classes(bodies)
        root_name = _camel(name)
        if root_name in self.class_names:
            root_name += "Net"
        self.root_name = root_name
        body = self._body(self.root)
        doc = (f'"""{title}: the whole network (input {fmt_shape(self.graph.input_shape)}, '
               f'{self.params:,} parameters)."""')
        root_src = self._render_class(root_name, doc, body, [], {})
        return self._file(title, file, root_src)

    def _collect_units(self, sc: Scope, out: list[Scope]) -> None:
        for c in sc.children.values():
            if isinstance(c, Scope):
                self._collect_units(c, out)
                if c.entry is not None:
                    out.append(c)

    def _chain(self, sc: Scope) -> bool:
        """Children 0, 1, ..., each a module or unit fed by the one before: an ``nn.Sequential``."""
        kids = list(sc.children.items())
        if [k for k, _ in kids] != [str(i) for i in range(len(kids))]:
            return False
        prev = sc.entry
        for k, (_, c) in enumerate(kids):
            if isinstance(c, Scope):
                if c.entry is None or c.entry != prev:
                    return False
                prev = c.exit
            else:
                if self.pieces[c.name].how != "module" or c.inputs != [prev] or c.frozen:
                    return False
                prev = c.name
            if k < len(kids) - 1:
                nxt = kids[k + 1][1]
                inside = {n.name for n in nxt.nodes} if isinstance(nxt, Scope) else {nxt.name}
                if not set(self.consumers.get(prev, ())) <= inside or prev in self.outputs:  # type: ignore[arg-type]
                    return False
        return prev == sc.exit

    def _ctor(self, c: Scope | Node) -> list[Part]:
        if isinstance(c, Scope):
            assert c.ctor is not None
            return c.ctor
        return self.pieces[c.name].expr

    def _sequential(self, sc: Scope) -> list[Part]:
        parts: list[Part] = ["nn.Sequential("]
        for c in sc.children.values():
            parts.append("\n    ")
            parts += [p.replace("\n", "\n    ") if isinstance(p, str) else p for p in self._ctor(c)]
            parts.append(",")
        return [*parts, "\n)"]

    def _body(self, sc: Scope) -> Body:
        items = self.items(sc)
        init: list[Line] = []
        done_containers: set[str] = set()

        def access(path: list[str]) -> str:
            s, holder = "self", sc
            for seg in path:
                child = holder.children[seg]
                held = _container_kind(holder, self.pieces) if holder is not sc else "class"
                if held == "list":
                    s += f"[{seg}]"
                elif held == "dict":
                    s += f'["{seg}"]'
                elif _attr_ok(seg):
                    s += f".{seg}"
                else:
                    s = f'{s}.get_submodule("{seg}")'
                holder = child  # type: ignore[assignment]
            return s

        def container_init(path: list[str], holder: Scope) -> None:
            key = ".".join(path)
            if key in done_containers:
                return
            done_containers.add(key)
            kind = _container_kind(holder, self.pieces)
            target = access(path)
            if kind in ("list", "dict"):
                parts: list[Part] = ["nn.ModuleList([" if kind == "list" else "nn.ModuleDict({"]
                for name, c in holder.children.items():
                    if isinstance(c, Node) and self.pieces[c.name].how == "inline":
                        continue
                    parts.append("\n    " if kind == "list" else f'\n    "{name}": ')
                    if isinstance(c, Scope) and c.entry is None:
                        raise AssertionError("nested container")  # _container_kind excludes it
                    parts += [p.replace("\n", "\n    ") if isinstance(p, str) else p for p in self._ctor(c)]
                    parts.append(",")
                parts.append("\n])" if kind == "list" else "\n})")
                init.append(Line([f"{target} = ", *parts], attr=path[-1]))
                for name, c in holder.children.items():
                    if isinstance(c, Node) and c.frozen:
                        init.append(Line([f"{target}{'[' + name + ']' if kind == 'list' else '[' + repr(name) + ']'}"
                                          ".requires_grad_(False)"]))
            else:
                init.append(Line([f"{target} = nn.Module()"], attr=path[-1]))

        for path, c in items:
            # containers on the way
            holder: Scope = sc
            for k, seg in enumerate(path[:-1]):
                nxt = holder.children[seg]
                assert isinstance(nxt, Scope)
                holder = nxt
                if _container_kind(holder, self.pieces) == "module" or k == len(path) - 2:
                    container_init(path[:k + 1], holder)
            in_list_or_dict = len(path) > 1 and _container_kind(holder, self.pieces) in ("list", "dict")
            if in_list_or_dict:
                continue
            target = access(path)
            parent, last = (access(path[:-1]), path[-1]) if len(path) > 1 else ("self", path[-1])
            if isinstance(c, Scope):
                init.append(self._assign(parent, last, target, self._ctor(c), "module"))
            else:
                pc = self.pieces[c.name]
                if pc.how != "inline":
                    init.append(self._assign(parent, last, target, pc.expr, pc.how))
                    if c.frozen:
                        init.append(Line([f"{target}.requires_grad_(False)"]))
        # forward: a value read only by the next line lives in x; any other is named after its layer
        item_of = {n.name: k for k, (_, c) in enumerate(items) for n in (c.nodes if isinstance(c, Scope) else [c])}
        names: dict[int, str] = {}
        used: set[str] = {"x", "out"}
        fwd, comments = [], []
        entry = sc.entry if sc.path else INPUT
        # the two names a chain of values takes turns in, each busy until the last line that reads its value
        busy = {"x": max((k for k, (_, c) in enumerate(items) if entry in self._srcs(c)), default=-1), "out": -1}
        exit_name = sc.exit if sc.path else None
        for k, (path, c) in enumerate(items):
            args = [names[item_of[s]] if s in item_of else "x" for s in self._srcs(c)]
            out = c.exit if isinstance(c, Scope) else c.name
            readers = sorted({item_of[u] for u in self.consumers.get(out or "", ()) if u in item_of})
            is_exit = out == exit_name or (not sc.path and out in self.outputs)
            only_next = (readers == [k + 1] and not is_exit) or \
                        (not readers and is_exit and k == len(items) - 1 and (sc.path or len(self.outputs) == 1))
            free = [v for v in ("x", "out") if busy[v] <= k] if only_next else []
            if free:
                var = free[0]
                busy[var] = k + 1
            else:
                var = _ident(".".join(path))
                while var in used:
                    var += "_"
                used.add(var)
            names[k] = var
            target = access(path)
            shape = fmt_shape(self.shapes[out])  # type: ignore[index]
            if isinstance(c, Node) and self.pieces[c.name].how != "module":
                pc = self.pieces[c.name]
                expr = pc.forward.format(*args, all=pc.sep.join(args), self=target)
                comment = f"{path[-1]}: {shape}" if pc.how == "inline" else shape
            else:
                expr = f"{target}({', '.join(args)})"
                comment = shape
            fwd.append(f"{var} = {expr}")
            comments.append(comment)
        if sc.path:
            ret = names[item_of[sc.exit]]  # type: ignore[index]
        else:
            outs = [names[item_of[o]] if o != INPUT else "x" for o in self.outputs]
            ret = outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"
        fwd.append(f"return {ret}")
        comments.append("")
        return Body(sc, init, fwd, comments)

    def _assign(self, parent: str, last: str, target: str, expr: list[Part], how: str) -> Line:
        if _attr_ok(last):
            return Line([f"{target} = ", *expr], attr=last)
        if how == "param":
            return Line([f'{parent}.register_parameter("{last}", ', *expr, ")"], attr=last)
        return Line([f'{parent}.add_module("{last}", ', *expr, ")"], attr=last)

    def _srcs(self, c: Scope | Node) -> list[str]:
        return [c.entry] if isinstance(c, Scope) else list(c.inputs)  # type: ignore[list-item]

    # ---- classes from bodies --------------------------------------------------------------------------------------
    def _family(self, sc: Scope) -> str:
        use = self.uses.get(sc.path)
        if use is not None:
            return use.block
        parts = [p for p in sc.path.split(".") if not p.isdigit()]
        return parts[-1] if parts else "block"

    def _classes(self, bodies: list[Body]) -> None:
        fams: dict[str, list[Body]] = {}
        for b in bodies:
            fams.setdefault(self._family(b.scope), []).append(b)
        for fam, members in fams.items():
            variants: dict[tuple, list[Body]] = {}
            for b in members:
                variants.setdefault(b.key(), []).append(b)
            ranked = sorted(variants.values(), key=lambda v: -len(v))
            base_children = self.base_children[fam]
            for group in ranked:
                name = _camel(fam)
                kids = set(group[0].scope.children)
                if kids != base_children:
                    more, less = sorted(kids - base_children), sorted(base_children - kids)
                    name += ("With" + "And".join(_camel(m) for m in more) if more else "") + \
                            ("Without" + "And".join(_camel(m) for m in less) if less else "")
                base, n = name, 2
                while name in self.class_names:
                    name, n = f"{base}{n}", n + 1
                self.class_names.add(name)
                self._variant(name, fam, group)

    def _variant(self, cname: str, fam: str, group: list[Body]) -> None:
        first = group[0]
        holes = [b.holes() for b in group]
        use0 = self.uses.get(first.scope.path)
        cands: list[tuple[str, list]] = []
        if use0 is not None:
            for a in use0.args:
                vals = [self.uses[b.scope.path].args.get(a) for b in group]
                if all(type(v) is int for v in vals) and a != "in_channels":
                    cands.append((a, vals))
        cands.append(("in_channels", [features(self.shapes[b.scope.entry]) for b in group]))  # type: ignore[index]
        exprs: list[str] = []
        params: dict[str, list] = {}
        by_vector: dict[tuple, str] = {}
        for j, (h0, attr) in enumerate(holes[0]):
            vec = [hs[j][0].value for hs in holes]
            if all(v == vec[0] and type(v) is type(vec[0]) for v in vec):
                exprs.append(repr(vec[0]))
                continue
            e = self._name_hole(vec, cands, params)
            if e is None:
                key = tuple(vec)
                if key in by_vector:
                    e = by_vector[key]
                else:
                    e = _ident(h0.hint)
                    if e in params or any(e == c for c, _ in cands):
                        e = _ident(f"{attr}_{h0.hint}")
                    base, n = e, 2
                    while e in params or any(e == c for c, _ in cands):
                        e, n = f"{base}{n}", n + 1
                    params[e] = vec
                    by_vector[key] = e
            exprs.append(e)
        order = ["in_channels"] if "in_channels" in params else []
        order += [c for c, _ in cands if c in params and c != "in_channels"] + [p for p in params
                                                                                if p not in dict(cands)]
        # the source of the class
        it = iter(exprs)
        init_lines = ["".join(p if isinstance(p, str) else next(it) for p in ln.parts) for ln in first.init]
        where = self._where(fam, group)
        typed = [(p, "int" if all(type(v) is int for v in params[p]) else "float") for p in order]
        src = self._render(cname, where, init_lines, first, typed)
        self.classes.append(src)
        for k, b in enumerate(group):
            parts: list[Part] = [f"{cname}("]
            for i, p in enumerate(order):
                parts += [", " if i else "", f"{p}=", Hole(params[p][k], p)]
            b.scope.ctor = [*parts, ")"]

    def _name_hole(self, vec: list, cands: list[tuple[str, list]], params: dict[str, list]) -> str | None:
        if not all(type(v) is int for v in vec):
            return None
        for name, vals in cands:  # a block argument, 2 * it, it // 2, then the input's channels, ...
            if vals == vec:
                params.setdefault(name, vals)
                return name
            if any(v == 0 for v in vals):
                continue
            if all(v % a == 0 for v, a in zip(vec, vals)):
                ks = {v // a for v, a in zip(vec, vals)}
                if len(ks) == 1:
                    params.setdefault(name, vals)
                    return f"{ks.pop()} * {name}"
            if all(v and a % v == 0 for v, a in zip(vec, vals)):
                ks = {a // v for v, a in zip(vec, vals)}
                if len(ks) == 1:
                    params.setdefault(name, vals)
                    return f"{name} // {ks.pop()}"
        return None

    def _where(self, fam: str, group: list[Body]) -> str:
        paths = [b.scope.path for b in group]
        shown = ", ".join(paths[:4]) + (f", ... ({len(paths)} in all)" if len(paths) > 4 else "")
        use = self.uses.get(group[0].scope.path)
        what = f"Block '{fam}'" if use is not None else f"The group '{fam}'"
        if use is not None and use.line:
            what += f" ({Path(use.file or self.graph.file).name}:{use.line})"
        return f"{what}, as {shown}. Shapes are {paths[0]}'s."

    def _render(self, cname: str, doc: str, init_lines: list[str], body: Body, order: list[tuple[str, str]]) -> str:
        sig = "".join(f", {p}: {t}" for p, t in order)
        wrapped = textwrap.fill(doc, 116, initial_indent='    """', subsequent_indent="    ") + '"""'
        out = [f"class {cname}(nn.Module):", wrapped, "", f"    def __init__(self{sig}):",
               "        super().__init__()"]
        out += [_indent(s, 8) for s in init_lines]
        out += ["", "    def forward(self, x):"]
        out += [_indent(_with_comment(f, c), 8) for f, c in zip(body.forward, body.comments)]
        return "\n".join(out)

    def _render_class(self, cname: str, doc: str, body: Body, order, params) -> str:
        init = ["".join(p if isinstance(p, str) else _literal(p.value) for p in ln.parts) for ln in body.init]
        out = [f"class {cname}(nn.Module):", f"    {doc}", "", "    def __init__(self):", "        super().__init__()"]
        out += [_indent(s, 8) for s in init]
        out += ["", "    def forward(self, x):"]
        out += [_indent(_with_comment(f, c), 8) for f, c in zip(body.forward, body.comments)]
        return "\n".join(out)

    def _file(self, title: str, file: str, root_src: str) -> str:
        helpers: list[str] = []
        for pc in self.pieces.values():
            for h in pc.helpers:
                if h not in helpers:
                    helpers.append(h)
        srcs = helper_sources(helpers)
        src_text = "\n\n\n".join(srcs)
        needs_math = "math." in src_text
        needs_f = "F." in src_text
        shape = ", ".join(str(d) for d in self.graph.input_shape)
        head = [
            f'"""{title}, written by archstat from {file} (`archstat export ... --to torch`).',
            "",
            f"Input: a batch of N x {fmt_shape(self.graph.input_shape).replace('x', ' x ')}. "
            f"{self.params:,} parameters. One class per block of the spec;",
            "attribute names are the spec's layer names, so state_dict() keys are the spec's (torchvision's, for a",
            "spec written after torchvision's modules). Comments give each line's output shape, without the batch.",
            '"""',
            "",
            "from __future__ import annotations",
            "",
        ]
        head += ["import math", ""] if needs_math else []
        head += ["import torch"] + (["import torch.nn.functional as F"] if needs_f else []) + ["from torch import nn"]
        parts = ["\n".join(head)]
        if srcs:
            parts.append(src_text)
        parts += self.classes
        parts.append(root_src)
        parts.append("\n".join([
            'if __name__ == "__main__":',
            f"    model = {self.root_name}().eval()",
            f"    x = torch.randn(1, {shape})",
            "    with torch.no_grad():",
            "        y = model(x)",
            "    print(*(t.shape for t in (y if isinstance(y, tuple) else (y,))))",
        ]))
        return "\n\n\n".join(parts) + "\n"


def _first(c: Scope | Node) -> Node:
    return c.nodes[0] if isinstance(c, Scope) else c


def _container_kind(sc: Scope, pieces: dict | None = None) -> str:
    """How a container (a scope that is not a unit) holds its children: ``list`` (children 0, 1, ... that are all
    modules: ``nn.ModuleList``), ``dict`` (``nn.ModuleDict``) or ``module`` (a bare ``nn.Module``, when a child is a
    parameter or a container itself)."""
    for c in sc.children.values():
        if isinstance(c, Scope) and c.entry is None:
            return "module"
        if isinstance(c, Node) and pieces is not None and pieces[c.name].how != "module":
            return "module"
    names = list(sc.children)
    if names == [str(i) for i in range(len(names))]:
        return "list"
    if all(n.isidentifier() for n in names):
        return "dict"
    return "module"


def _literal(v) -> str:
    return repr(v)


def _indent(s: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + ln for ln in s.split("\n"))


def _with_comment(code: str, comment: str) -> str:
    if not comment:
        return code
    return f"{code}  # {comment}"


@dataclass
class Export:
    source: str       # the file's text
    root: str         # the name of the network's class
    params: int
    graph: Graph      # the spec's graph, as the backend builds it


def export_torch(name_or_path: str, input_shape=None) -> Export:
    """The spec as PyTorch source. Raises ``SpecError`` for a spec with a layer that has no PyTorch module."""
    graph, uses = load_with_blocks(name_or_path, input_shape)
    if not graph.nodes:
        raise SpecError("the spec has no layers", file=graph.file)
    ex = Exporter(graph, uses)
    title = str(graph.meta.get("title") or graph.name)
    source = ex.export(graph.name, title.replace('"""', "'''"), Path(graph.file).name)
    return Export(source, ex.root_name, ex.params, graph)

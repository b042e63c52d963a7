"""Expand a parsed spec (blocks, groups, repeats, expressions) into a flat, named DAG of layers.

The language, in short (the README has the reference):

- A layer item is ``kind`` or ``kind: {args}`` or ``kind: scalar`` (the kind's shorthand argument). Any layer
  or block takes ``name:`` and ``inputs:`` (default: the previous item's output).
- A group is a mapping with ``layers:`` and optionally ``name``, ``inputs``, ``repeat: N`` and ``as: var``
  (the repeat index). A named group is a scope: its layers are called ``group.layer``, and with ``repeat``
  ``group.0.layer``, ``group.1.layer``... The group's name refers to its last layer.
- A block is a parameterised group defined under ``blocks:`` and used like a layer kind; each use is a scope.
- Inside a scope, ``input`` is what flowed into it; a name is looked up in the scope, then outward. A bare group
  (no name, inputs or repeat: ``when:`` and ``layers:``) is transparent: ``input`` there is its surroundings'.
- A group whose ``when`` is false is skipped: the flow goes on from the item before it, and its name refers to its
  input unless a layer, group or block takes the name (a fallback: ResNet's identity shortcut).
- A layer whose output nothing reads is legal (the engine notes it as ``unread``); ``outputs:`` in the header
  names the layers the network returns besides its last.
- ``$name``, ``$(expr)`` and ``${expr}`` are evaluated by ``expr.Evaluator`` (never ``eval``).
"""

from __future__ import annotations

from collections.abc import Sequence

from archstat.core.graph import INPUT, Graph, Node
from archstat.errors import ArchstatError, SpecError
from archstat.io.limits import (
    MAX_BLOCK_DEPTH,
    MAX_LAYERS,
    MAX_NAME_CHARS,
    MAX_REPEAT,
)
from archstat.io.run import ExpansionBudget
from archstat.language.blocks import COMMON_KEYS, NO_DEFAULT, Block, load_includes, read_blocks
from archstat.language.expr import Evaluator
from archstat.language.header import HEADER_KEYS, check_accuracy, check_meta, parse_input_shape
from archstat.language.synonyms import kind_hint
from archstat.language.yamlio import Map, Seq
from archstat.layers import REGISTRY

GROUP_KEYS = ("layers", "repeat", "name", "inputs", "as", "when")


class Scope:
    def __init__(self, prefix: str, input_name: str, parent: Scope | None, counters: dict | None = None):
        self.prefix = prefix
        self.input_name = input_name
        self.parent = parent
        self.counters = {} if counters is None else counters  # an unnamed group shares its parent's

    def auto_name(self, base: str) -> str:
        n = self.counters.get(base, 0) + 1
        self.counters[base] = n
        return f"{base}{n}"


class Expander:
    def __init__(self, doc: Map, file: str, libraries: Sequence[tuple[Map, str]] = ()):
        self.file = file
        self.doc = doc
        self.nodes: list[Node] = []
        self.index: dict[str, str] = {}  # every name a layer can be referred to by -> the node it means
        self.fallback: set[str] = set()  # names of skipped groups and blocks: they yield to a later definition
        self.defined: dict[str, Node] = {}
        self.block_stack: list[str] = []
        self.file_stack: list[str | None] = [None]  # the file of the block being expanded (None: the spec)
        self.budget = ExpansionBudget()  # expression nodes, values, layers, inputs, passes: MAX_EXPANSION
        self.vars = self._vars()
        self.blocks: dict[str, Block] = {}
        for lib, lib_file in libraries:  # included block libraries first; the spec's own blocks may override
            self.blocks.update(read_blocks(lib, lib_file))
        self.blocks.update(read_blocks(doc, file))

    # ---- errors ---------------------------------------------------------------------------------------------------
    def err(self, msg: str, line: int | None, layer: str | None = None) -> SpecError:
        return SpecError(msg, line=line, layer=layer)  # the file is filled in by whoever knows it

    # ---- header ---------------------------------------------------------------------------------------------------
    def _vars(self) -> dict:
        v = self.doc.get("vars")
        if v is None:
            return {}
        if not isinstance(v, Map):
            raise self.err("'vars' must be a mapping of names to values", self.doc.line_of("vars"))
        env: dict = {}
        for k, val in v.items():
            if not isinstance(k, str) or not k.isidentifier():
                raise self.err(f"variable name {k!r} is not an identifier", v.line_of(k))
            env[k] = self._eval(self.evaluator(env), val, v.line_of(k))
        return env

    # ---- evaluation -----------------------------------------------------------------------------------------------
    def spend(self, steps: int, line, layer=None) -> None:
        """Count expansion work, so that repeats of repeats (even of nothing) and aliased lists stay bounded."""
        try:
            self.budget.spend(steps)
        except SpecError as e:
            raise e.located(line=line, layer=layer) from None

    def evaluator(self, env: dict) -> Evaluator:
        """An evaluator of ``env`` that charges every expression node it evaluates to this spec's budget."""
        return Evaluator(env, self.budget)

    def _eval(self, ev: Evaluator, v, line, layer=None):
        try:
            if isinstance(v, list):
                return [self._eval(ev, x, line, layer) for x in v]
            if isinstance(v, dict):
                raise SpecError("a nested mapping is not a valid argument value here")
            self.spend(1, line, layer)
            return ev.value(v)
        except SpecError as e:
            raise e.located(line=line, layer=layer) from None

    def _arg(self, ev: Evaluator, v, f, line, layer):
        """A layer argument's value. Two things an argument's ``Arg`` may ask for: ``input_names`` (names only the
        layer's input can give, custom's ``in_c``): a ``$`` expression naming any is kept as a ``Deferred``;
        ``mapping``: a mapping whose values are evaluated (custom's buffers, name: size)."""
        late = getattr(f, "input_names", ())
        if isinstance(v, dict) and getattr(f, "mapping", False):
            self.spend(len(v), line, layer)
            return {k: self._arg(ev, x, f, line, layer) for k, x in v.items()}
        if late and isinstance(v, list):
            self.spend(len(v), line, layer)
            return [self._arg(ev, x, f, line, layer) for x in v]
        if late:
            try:
                d = ev.defer(v, late)
            except SpecError as e:
                raise e.located(line=line, layer=layer) from None
            if d is not None:
                return d
        return self._eval(ev, v, line, layer)

    # ---- names ----------------------------------------------------------------------------------------------------
    def resolve(self, ref, scope: Scope, line, layer) -> str:
        if not isinstance(ref, str) or not ref:
            raise self.err(f"an input must be a layer name, got {ref!r}", line, layer)
        if ref == INPUT:
            return scope.input_name
        s: Scope | None = scope
        while s is not None:
            cand = s.prefix + ref
            if cand in self.index:
                return self.index[cand]
            s = s.parent
        raise self.err(f"unknown input '{ref}': no layer of that name comes before this one "
                       f"(inputs must name earlier layers)", line, layer)

    def _inputs(self, raw, scope, prev, line, layer, ev) -> list[str]:
        if raw is None:
            return [prev]
        raw = self._eval(ev, raw, line, layer)
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            raise self.err("'inputs' is empty", line, layer)
        return [self.resolve(r, scope, line, layer) for r in items]

    def _name(self, raw, scope: Scope, base: str, line, ev) -> str:
        if raw is None:
            return self._long(scope.prefix + scope.auto_name(base), line)
        raw = self._eval(ev, raw, line)
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str) or not raw or not all(c.isalnum() or c in "_-." for c in raw) \
                or raw.startswith(".") or raw.endswith("."):
            raise self.err(f"layer name {raw!r} must be letters, digits, '_', '-' or '.'", line)
        if raw == INPUT:
            raise self.err("'input' is reserved for the network (or block) input", line)
        return self._long(scope.prefix + raw, line)

    def _long(self, name: str, line) -> str:
        if len(name) > MAX_NAME_CHARS:
            raise self.err(f"layer name '{name[:40]}...' is {len(name):,} characters long, more than the limit of "
                           f"{MAX_NAME_CHARS}", line)
        return name

    # ---- expansion ------------------------------------------------------------------------------------------------
    def expand(self, items, scope: Scope, ev: Evaluator, prev: str, line) -> str:
        if not isinstance(items, list):
            raise self.err("'layers' must be a list", line)
        lines = getattr(items, "item_lines", None) or [line] * len(items)
        for item, ln in zip(items, lines):
            try:
                prev = self.item(item, scope, ev, prev, ln)
            except ArchstatError as e:  # a problem with no layer of its own is placed in its scope
                raise e.located(layer=scope.prefix[:-1] or None) from None
        return prev

    def item(self, item, scope: Scope, ev: Evaluator, prev: str, line) -> str:
        if isinstance(item, str):
            kind, args, args_line = item, Map(), line
        elif isinstance(item, Map) and "layers" in item:
            return self.group(item, scope, ev, prev, line)
        elif isinstance(item, Map) and len(item) == 1:
            kind = next(iter(item))
            value = item[kind]
            args_line = line
            if value is None:
                args = Map()
            elif isinstance(value, Map):
                args = value
            elif isinstance(value, list) and _merge(kind) and kind not in self.blocks:
                args = Map({"inputs": value})  # a merge's inputs: 'add: [body, input]'
            elif isinstance(value, list):
                raise self.err(f"'{kind}': arguments must be a mapping, got a list", line)
            else:
                args = Map({"__shorthand__": value})
        elif isinstance(item, Map) and "repeat" in item:
            raise self.err("a 'repeat' needs a 'layers' list", line)
        elif isinstance(item, Map):
            keys = ", ".join(map(str, item))
            raise self.err(f"a layer item has one key, the kind (e.g. 'conv: {{...}}'); got {keys}", line)
        else:
            raise self.err(f"a layer item must be a kind name or a 'kind: {{args}}' mapping, got {item!r}", line)
        if not isinstance(kind, str):
            raise self.err(f"layer kind must be a name, got {kind!r}", line)
        if kind in self.blocks:
            return self.block(kind, args, scope, ev, prev, args_line)
        cls = REGISTRY.get(kind)
        if cls is None:
            raise self.err(f"unknown layer kind '{kind}'{kind_hint(kind, list(self.blocks))}",
                           line)
        return self.layer(cls, args, scope, ev, prev, args_line)

    def layer(self, cls, args: Map, scope, ev, prev, line) -> str:
        name = self._name(args.get("name"), scope, cls.kind, _line(args, "name", line), ev)
        inputs = self._inputs(args.get("inputs"), scope, prev, _line(args, "inputs", line), name, ev)
        frozen = self._eval(ev, args.get("frozen", False), line, name)
        if not isinstance(frozen, bool):
            raise self.err(f"'frozen' must be true or false, got {frozen!r}", line, name)
        raw = {}
        for k, v in args.items():
            if k in COMMON_KEYS:
                continue
            if k == "__shorthand__":
                if cls.shorthand is None:
                    raise self.err(f"'{cls.kind}' takes a mapping of arguments, not {v!r}", line, name)
                k = cls.shorthand
            raw[k] = self._arg(ev, v, cls.fields.get(k), _line(args, k, line), name)
        try:
            layer = cls.build(raw)
        except SpecError as e:
            bad = next((k for k in raw if f"'{k}'" in e.message), None)
            raise e.located(line=_line(args, bad, line), layer=name) from None
        n = len(inputs)
        if n < cls.min_inputs or (cls.max_inputs is not None and n > cls.max_inputs):
            want = (f"{cls.min_inputs}" if cls.min_inputs == cls.max_inputs else
                    f"at least {cls.min_inputs}" if cls.max_inputs is None else
                    f"{cls.min_inputs} to {cls.max_inputs}")
            raise self.err(f"{cls.kind} takes {want} input{'s' if want != '1' else ''}, got {n}", line, name)
        return self.add(Node(name, layer, inputs, line, frozen, self.file_stack[-1]), line)

    def add(self, node: Node, line) -> str:
        if node.name in self.index and node.name not in self.fallback:
            other = self.defined.get(self.index[node.name]) or node
            raise self.err(f"duplicate layer name '{node.name}' (first defined on line {other.line}; inside an "
                           f"unnamed repeat, name the repeat so each pass gets its own scope)", line)
        if len(self.nodes) >= MAX_LAYERS:
            raise self.err(f"more than {MAX_LAYERS:,} layers after expansion (the limit)", line)
        self.spend(1 + len(node.inputs), line)
        self.nodes.append(node)
        self.fallback.discard(node.name)
        self.index[node.name] = node.name
        self.defined[node.name] = node
        return node.name

    def group(self, g: Map, scope, ev, prev, line) -> str:
        name = None
        if g.get("name") is not None:
            name = self._name(g["name"], scope, "group", g.line_of("name"), ev)
        extra = [k for k in g if k not in GROUP_KEYS]
        if extra:
            raise self.err(f"a group takes {', '.join(GROUP_KEYS)}; unknown key '{extra[0]}'", g.line_of(extra[0]),
                           name)
        var = g.get("as")
        if var is not None and (not isinstance(var, str) or not var.isidentifier()):
            raise self.err(f"'as' must name a variable, got {var!r}", g.line_of("as"), name)
        count = 1
        if "repeat" in g:
            count = self._eval(ev, g["repeat"], g.line_of("repeat"), name)
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise self.err(f"'repeat' must be a whole number >= 0, got {count!r}", g.line_of("repeat"), name)
            if count > MAX_REPEAT:
                raise self.err(f"'repeat: {count:,}' is more than the limit of {MAX_REPEAT:,}",
                               g.line_of("repeat"), name)
        first_in = self._inputs(g.get("inputs"), scope, prev, g.line_of("inputs"), name, ev)
        if len(first_in) != 1:
            raise self.err("a group takes one input (its first layer can name more)", g.line_of("inputs"), name)
        before, prev = prev, first_in[0]
        if "when" in g:
            cond = self._eval(ev, g["when"], g.line_of("when"), name)
            if not isinstance(cond, bool):
                raise self.err(f"'when' must be true or false, got {cond!r}", g.line_of("when"), name)
            if not cond:  # skipped: the flow goes on from the item before; the name (if free) means the input
                if name is not None:
                    self._alias(name, prev, line, fallback=True)
                return before
        inline = name is None and "inputs" not in g and "repeat" not in g  # 'input' keeps the enclosing meaning
        for k in range(count):
            self.spend(4 + len(ev.env), line, name)  # a pass makes a scope, an evaluator, a copy of the names
            env = dict(ev.env)
            if var:
                env[var] = k
            if name is None:
                sub = Scope(scope.prefix, scope.input_name if inline else prev, scope, scope.counters)
            else:
                prefix = f"{name}.{k}." if "repeat" in g else f"{name}."
                sub = Scope(prefix, prev, scope)
            prev = self.expand(g["layers"], sub, self.evaluator(env), prev, g.line_of("layers"))
        if name is not None and count > 0:
            self._alias(name, prev, line)
        return prev

    def block(self, bname: str, args: Map, scope, ev, prev, line) -> str:
        blk = self.blocks[bname]
        if bname in self.block_stack:
            chain = " -> ".join(self.block_stack + [bname])
            raise self.err(f"block '{bname}' instantiates itself ({chain})", line)
        if len(self.block_stack) >= MAX_BLOCK_DEPTH:
            raise self.err(f"blocks nested deeper than {MAX_BLOCK_DEPTH}", line)
        name = self._name(args.get("name"), scope, bname, _line(args, "name", line), ev)
        inputs = self._inputs(args.get("inputs"), scope, prev, _line(args, "inputs", line), name, ev)
        if len(inputs) != 1:
            raise self.err(f"block '{bname}' takes one input; pass others as arguments", line, name)
        self.spend(1 + len(self.vars), line, name)
        env = dict(self.vars)
        given = {k: v for k, v in args.items() if k not in COMMON_KEYS}
        if "__shorthand__" in given:
            if len(blk.args) != 1:
                raise self.err(f"block '{bname}' has {len(blk.args)} arguments; give them as a mapping", line, name)
            given = {next(iter(blk.args)): given.pop("__shorthand__")}
        for k in given:
            if k not in blk.args:
                raise self.err(f"block '{bname}' has no argument '{k}' (arguments: "
                               f"{', '.join(blk.args) or 'none'})", _line(args, k, line), name)
        for a, default in blk.args.items():
            if a in given:
                env[a] = self._eval(ev, given[a], _line(args, a, line), name)
            elif default is NO_DEFAULT:
                raise self.err(f"block '{bname}' needs argument '{a}'", line, name)
            else:
                env[a] = self._eval(self.evaluator(env), default, blk.line, name)
        sub = Scope(name + ".", inputs[0], scope)
        self.block_stack.append(bname)
        self.file_stack.append(blk.file if blk.file != self.file else None)
        try:
            out = self.expand(blk.layers, sub, self.evaluator(env), inputs[0], blk.line)
        except ArchstatError as e:
            raise e.located(file=blk.file) from None
        finally:
            self.block_stack.pop()
            self.file_stack.pop()
        if out == inputs[0]:  # every item skipped (a false 'when', a repeat of 0): the block passes its input on
            if not blk.layers:
                raise self.err(f"block '{bname}' has an empty 'layers' list", blk.line, name)
            self._alias(name, out, line, fallback=True)
            return prev
        self._alias(name, out, line)
        return out

    def _alias(self, name: str, target: str, line, fallback: bool = False) -> None:
        """A group or block name refers to its last layer. A skipped group's name (``fallback``) refers to its
        input only while nothing else takes the name: a later layer, group or block of that name replaces it
        (two alternative ``when`` groups may share one name), and an earlier one keeps it."""
        if fallback:
            if name not in self.index:
                self.index[name] = target
                self.fallback.add(name)
            return
        if name in self.index and self.index[name] != target and name not in self.fallback:
            raise self.err(f"duplicate layer name '{name}'", line)
        self.fallback.discard(name)
        self.index[name] = target


def _merge(kind) -> bool:
    """True for a kind that takes two or more inputs (add, mul, concat): a list after it names them."""
    cls = REGISTRY.get(kind) if isinstance(kind, str) else None
    return cls is not None and cls.min_inputs >= 2


def _line(args, key, default):
    if key is not None and isinstance(args, Map) and hasattr(args, "key_lines") and key in args.key_lines:
        return args.key_lines[key]
    return default


def _suggest(word: str, options: list[str]) -> str:
    import difflib

    if len(word) > 64 or len(options) > 10_000:  # difflib's cost grows with both
        return ""
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


_WHAT = {"str": "text", "int": "a number", "float": "a number", "bool": "a boolean", "NoneType": "null"}


def compile_spec(doc, file: str, input_shape: tuple | None = None, base_dir=".",
                 expander: type[Expander] = Expander) -> Graph:
    """Check the header, expand the layers, and return the graph. ``expander``: a subclass of ``Expander`` that
    records more of the expansion (``archstat.exporting`` records block instances)."""
    if not isinstance(doc, Map):
        what = "a list" if isinstance(doc, list) else _WHAT.get(type(doc).__name__, type(doc).__name__)
        raise SpecError(f"a spec is a mapping with name, input and layers; this file holds {what}", file=file,
                        line=getattr(doc, "line", 1))
    for k in doc:
        if k not in HEADER_KEYS:
            raise SpecError(f"unknown top-level key '{k}'{_suggest(str(k), list(HEADER_KEYS))} "
                            f"(keys: {', '.join(HEADER_KEYS)})", file=file, line=doc.line_of(k))
    for k in ("name", "input", "layers"):
        if k not in doc:
            raise SpecError(f"missing '{k}'", file=file, line=1)
    if not isinstance(doc["name"], str) or not doc["name"]:
        raise SpecError(f"'name' must be text, got {doc['name']!r}", file=file, line=doc.line_of("name"))
    shape = input_shape or parse_input_shape(doc["input"], file, doc.line_of("input"))
    if "accuracy" in doc:
        check_accuracy(doc["accuracy"], file, doc.line_of("accuracy"))
    check_meta(doc, file)
    if not isinstance(doc["layers"], Seq) or not doc["layers"]:
        raise SpecError("'layers' must be a non-empty list", file=file, line=doc.line_of("layers"))
    libs = load_includes(doc, file, base_dir)
    try:
        ex = expander(doc, file, libs)
    except ArchstatError as e:
        raise e.located(file=file) from None
    root = Scope("", INPUT, None)
    try:
        ex.expand(doc["layers"], root, ex.evaluator(dict(ex.vars)), INPUT, doc.line_of("layers"))
    except RecursionError:
        raise SpecError("spec nested too deeply", file=file) from None
    except ArchstatError as e:
        raise e.located(file=file) from None
    if any(getattr(type(n.layer), "bind_input", None) is not None for n in ex.nodes):
        declared = shape if input_shape is None else _declared_input(doc, file)
        bind_inputs(ex.nodes, declared)
    meta = {k: doc.get(k) for k in ("title", "family", "year", "citations", "accuracy", "notes") if k in doc}
    if "expect" in doc:
        from archstat.language.expect import parse_expect

        meta["expect"] = parse_expect(doc["expect"], file, doc.line_of("expect"))
    return Graph(doc["name"], shape, ex.nodes, file, meta, _outputs(doc, ex, file))


def _outputs(doc: Map, ex: Expander, file: str) -> list[str]:
    """The header's ``outputs:``: layers the network returns besides its last (auxiliary heads), by name."""
    raw = doc.get("outputs")
    if raw is None:
        return []
    line = doc.line_of("outputs")
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for ref in items:
        if not isinstance(ref, str) or not ref:
            raise SpecError(f"'outputs' lists layer names, got {ref!r}", file=file, line=line)
        if ref not in ex.index:
            raise SpecError(f"outputs: no layer named '{ref}'{_suggest(ref, list(ex.index))}", file=file, line=line)
        out.append(ex.index[ref])
    return out


def _declared_input(doc, file) -> tuple | None:
    try:
        return parse_input_shape(doc["input"], file, doc.line_of("input"))
    except ArchstatError:
        return None  # overridden, and not a shape itself: nothing runs at it


def bind_inputs(nodes: list[Node], declared: tuple | None) -> None:
    """Layers whose figures hold for one input of theirs (``custom`` with a literal shape) learn which: the input
    each receives when the spec runs at its own ``input:``, ``declared``. A kind asks for this with a method
    ``bind_input(ins, spec_input)``, which returns the layer bound to ``ins`` (None when it needs nothing; ``ins``
    None: the network never reaches it at that input). The shapes are the layers' own rules, walked once, only for
    specs that hold such a layer."""
    shapes: dict = {INPUT: declared}
    reached = declared is not None
    for node in nodes:
        layer = node.layer
        ins = [shapes[i] for i in node.inputs] if reached else None
        if getattr(type(layer), "bind_input", None) is not None:
            bound = layer.bind_input(ins, declared)
            if bound is not None:
                node.layer = layer = bound
        if ins is not None:
            try:
                out = tuple(layer.output_shape(ins))
            except Exception:  # the spec fails here at its own input: the layers after are not reached there
                out = (0,)
            shapes[node.name] = out
            reached = all(d >= 1 for d in out)

"""``archstat import FILE.onnx``: an ONNX graph as archstat's intermediate representation (``importing.ir``).

Parsed with the ``onnx`` package (``pip install 'archstat[import]'``).

The reader in parts: ``graph.py`` prepares the graph (shape inference alternated with a numpy constant folder);
``_Reader.read`` below walks it, one layer per node that computes on the activations; ``ops.py`` maps single ops
onto archstat's kinds and ``patterns.py`` folds chains of nodes into one layer, both with ``builder.py`` (naming,
layouts, ``add``/``custom``, claimed tensors); ``nodes.py`` reads a node's attributes and scope.

Accounting (``_account``): every learned tensor that the network's arithmetic reads must be read by some
layer, and the imported spec's parameters and buffers (less batch norm's ``num_batches_tracked``, which ONNX does
not keep) must add up to exactly the elements of those tensors; otherwise the import fails naming the tensors.
"""

from __future__ import annotations

from pathlib import Path

from archstat.errors import SpecError, UsageError
from archstat.importing.ir import INPUT, ImportedModel
from archstat.importing.onnx.nodes import _attrs, _scope_path
from archstat.importing.onnx.ops import _Ops


class _Reader(_Ops):
    """The whole ONNX reader: the walk over the graph's nodes, each given to its fold (``patterns._Patterns``) or op
    (``ops._Ops``) handler, built with ``builder._Builder``."""

    def read(self) -> ImportedModel:
        skip: set[int] = set()
        nodes = self.g.nodes
        attention = self._attention_scopes()
        for k, node in enumerate(nodes):
            if k in skip:
                continue
            acts = [i for i in node.input if i and self.is_act(i)]
            if not acts or not any(o in self.g.acts for o in node.output):  # constants only: folded by _Graph
                continue
            path = _scope_path(node)
            scope = next((s for s in attention if path == s or path.startswith(s + ".")), None)
            if scope is not None and self._attention(scope, k, skip):
                continue
            op = node.op_type
            a = _attrs(node)
            if op in ("Identity", "Dropout"):
                self.producer[node.output[0]] = self.producer[acts[0]]
                self.layout[node.output[0]] = self.lay(acts[0])
                continue
            handler = getattr(self, f"_op_{op}", None)
            if handler is None or handler(node, a, acts, nodes, k, skip) is False:
                self.custom(node, self._macs(node, acts))
        outs = [o.name for o in self.graph.output]
        if len(outs) != 1 or outs[0] not in self.producer or self.producer[outs[0]] == INPUT:
            raise SpecError("archstat reads ONNX graphs with one output computed from the input", file=self.source)
        self._functional_names()
        self.model.check()
        return self.model


def read_onnx_model(path: str, input_shape: tuple | None = None) -> ImportedModel:
    """The network in ``path`` as an ``ImportedModel``, at ``input_shape`` (C, H, W; default: the file's own)."""
    try:
        import onnx
    except ImportError:
        raise UsageError("importing an ONNX file needs onnx: pip install 'archstat[import]'") from None
    m, _ = _read(path, input_shape, onnx)
    return m


def _read(path: str, input_shape, onnx) -> tuple[ImportedModel, dict[str, str]]:
    p = Path(path)
    if not p.is_file():
        raise SpecError("no such ONNX file", file=path)
    from archstat.importing.sources import note_input

    note_input(p)
    try:
        model = onnx.load(str(p))
    except Exception as e:
        raise SpecError(f"not a readable ONNX file: {str(e).splitlines()[0][:200]}", file=path) from None
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in p.stem) or "onnx_model"
    if name[0].isdigit():
        name = f"onnx_{name}"
    r = _Reader(model, name, path, tuple(int(v) for v in input_shape) if input_shape is not None else None)
    m = r.read()
    m.title = f"{p.name} (imported from ONNX)"
    m.notes.insert(0, f"Imported from the ONNX file {p.name} by `archstat import` at input "
                      f"{'x'.join(map(str, m.input))}.")
    types = r.scope_types()
    _account(r, m, types)
    return m, types


def _account(r: _Reader, m: ImportedModel, types: dict[str, str]) -> None:
    """Every learned tensor the arithmetic reads is counted by a layer, and the spec's parameters and buffers are
    exactly their elements (batch norm's ``num_batches_tracked``, which ONNX does not keep, aside)."""
    from archstat.core.engine import analyze
    from archstat.importing.emit import emit
    from archstat.language.expand import compile_spec
    from archstat.language.yamlio import parse_yaml

    reached = r.reached()
    lost = sorted(set(reached) - r.claimed)
    if lost:
        shown = ", ".join(f"{t} ({reached[t]})" for t in lost[:8]) + (f", ... ({len(lost)} in all)" if len(lost) > 8
                                                                      else "")
        raise SpecError(f"the network reads learned tensors that no imported layer counts: {shown}", file=r.source)
    unread = sorted(set(r.g.numel) - set(reached) - r.claimed - r.g.copied)
    if unread:
        m.notes.append(f"Not in the spec: {len(unread)} learned tensor(s) of the ONNX file that its graph never reads ("
                       + ", ".join(f"{t}: {r.g.numel[t]}" for t in unread[:8]) + (", ..." if len(unread) > 8 else "")
                       + ").")
    counted = sum(r.g.numel[t] for t in r.claimed)
    doc = parse_yaml(emit(m, scope_types=types).encode(), r.source)
    a = analyze(compile_spec(doc, r.source, None, Path(".")))
    total = sum(sum(la.params.values()) + sum(v for k, v in la.buffers.items() if k != "num_batches_tracked")
                for la in a.layers)
    if total != counted:
        raise SpecError(f"the imported spec counts {total:,} parameters and buffers, the ONNX graph's learned tensors "
                        f"hold {counted:,}", file=r.source)


def read_onnx(path: str, input_shape: tuple | None = None) -> str:
    """The spec text of the ONNX network in ``path`` (written by ``archstat.importing.emit``)."""
    from archstat.importing.emit import emit

    try:
        import onnx
    except ImportError:
        raise UsageError("importing an ONNX file needs onnx: pip install 'archstat[import]'") from None
    m, types = _read(path, input_shape, onnx)
    return emit(m, scope_types=types)


def reader(source: str, input) -> tuple:
    """The reader ``archstat.importing.sources`` calls for ``FILE.onnx``: ``(ImportedModel, scope_types)``."""
    try:
        import onnx
    except ImportError:
        raise UsageError("importing an ONNX file needs onnx: pip install 'archstat[import]'") from None
    return _read(source, input, onnx)

"""The named DAG a spec compiles to: nodes in a topological order (a node's inputs always come before it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from archstat.layers import Layer

INPUT = "input"  # the name of the network input


@dataclass
class Node:
    name: str  # full path: "layer1.0.conv1"
    layer: Layer
    inputs: list[str]  # full names of earlier nodes, or INPUT
    line: int | None = None  # line of the spec item that made this node
    frozen: bool = False  # parameters not trainable
    file: str | None = None  # the file the item is in when it is not the spec itself (an included block library)

    @property
    def kind(self) -> str:
        return self.layer.kind


@dataclass
class Graph:
    name: str
    input_shape: tuple
    nodes: list[Node]
    file: str = "<spec>"
    meta: dict = field(default_factory=dict)  # title, family, year, citations, notes
    outputs: list[str] = field(default_factory=list)  # outputs besides the last layer (the header's 'outputs:')

    def unread(self) -> dict[str, list[str]]:
        """Layers whose output nothing reads, other than the outputs (the last node and ``outputs``), each with
        the earlier layers that reach no output and are not already listed under an earlier one: {dead end: [its
        layers before it]}. Their counts are still in the totals; the engine notes them. Linear in the graph."""
        read = {i for n in self.nodes for i in n.inputs}
        ends = set(self.outputs) | ({self.nodes[-1].name} if self.nodes else set())
        live: set[str] = set()
        for n in reversed(self.nodes):  # a layer is live when a live layer (or an output) reads it
            if n.name in ends or n.name in live:
                live.update(n.inputs)
                live.add(n.name)
        by_name = {n.name: n for n in self.nodes}
        claimed: set[str] = set()
        out: dict[str, list[str]] = {}
        for n in self.nodes:
            if n.name in read or n.name in ends:
                continue
            before, todo = [], list(n.inputs)
            while todo:
                m = todo.pop()
                if m in live or m in claimed or m not in by_name:
                    continue
                claimed.add(m)
                before.append(m)
                todo.extend(by_name[m].inputs)
            out[n.name] = before
        return out

    def to_torch(self, device=None, dtype=None, channels_last: bool = False):
        """This graph as an ``nn.Module`` (``archstat.backend.build``; needs ``pip install -e ".[torch]"``)."""
        from archstat.backend import build

        return build(self, device=device, dtype=dtype, channels_last=channels_last)

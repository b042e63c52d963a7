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

    def to_torch(self, device=None, dtype=None, channels_last: bool = False):
        """This graph as an ``nn.Module`` (``archstat.backend.build``; needs ``pip install -e ".[torch]"``)."""
        from archstat.backend import build

        return build(self, device=device, dtype=dtype, channels_last=channels_last)

"""The intermediate representation of an imported network: a flat, ordered list of layers.

Every front end (PyTorch through torch.fx, ONNX) produces an ``ImportedModel``; ``archstat.importing.emit`` turns
one into spec YAML. Nothing here imports torch or onnx.

- ``ImportedLayer.name`` is the layer's module path (``layer1.0.conv1``), so the spec's PyTorch build has the
  original state_dict keys. An op that is not a module (a functional ``add``, a ``flatten``) is named after the
  module whose forward ran it plus the op (``layer1.0.add``). Names are unique; a module called twice gets
  ``_1``, ``_2`` on its later calls (only parameterless modules can be, the spec holds one tensor per name).
- ``kind`` is an archstat layer kind (``archstat kinds``) and ``args`` its arguments, as a spec writes them
  (ints, floats, bools, text, lists of them): ``{"out": 64, "kernel": 7, "stride": 2, "padding": 3,
  "bias": False}``. Arguments equal to the kind's default may be left out.
- ``inputs`` name earlier layers, or ``"input"`` (``INPUT``) for the network's input.
- ``shape`` is the traced output shape without the batch dimension: ``(64, 112, 112)``, ``(1000,)``.
- An op with no archstat kind is ``kind = "custom"``, with the counts measured while tracing in its args
  (``op``, ``shape``, ``params``, ``macs``, ``flops``, ``buffers``: see ``archstat/layers/custom.py``); use
  ``ImportedLayer.custom`` to make one. It is never dropped and never counted as zero: the emitter lists every one
  in the spec's closing note, and ``ImportedModel.customs`` lists them for the command's report.
- ``op`` says where the layer came from (``torch.nn.Conv2d``, ``aten.roll``, ``onnx:Conv``): for notes and errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INPUT = "input"


@dataclass
class ImportedLayer:
    name: str
    kind: str
    args: dict = field(default_factory=dict)
    inputs: list[str] = field(default_factory=lambda: [INPUT])
    shape: tuple[int, ...] = ()
    op: str = ""

    @classmethod
    def custom(cls, name: str, op: str, inputs: list[str], shape: tuple[int, ...], params: int,
               macs: int | None, flops: int | None, buffers: dict[str, int] | None = None) -> ImportedLayer:
        """An op archstat has no kind for: its traced shape and measured counts (None: not measured, shown
        unknown)."""
        args: dict = {"op": op, "shape": list(shape), "params": int(params)}
        if macs is not None:
            args["macs"] = int(macs)
        if flops is not None:
            args["flops"] = int(flops)
        if buffers:
            args["buffers"] = {k: int(v) for k, v in buffers.items()}
        return cls(name, "custom", args, list(inputs), tuple(shape), op)

    @property
    def scope(self) -> str:
        """The module path that holds it (``layer1.0`` for ``layer1.0.conv1``; ``""`` at the top)."""
        return self.name.rpartition(".")[0]


@dataclass
class ImportedModel:
    name: str                                     # the spec's name (``resnet50``)
    source: str                                   # what was imported (``timm:resnet50``, ``net.onnx``)
    input: tuple[int, ...]                        # the input it was traced at, no batch: (3, 224, 224)
    layers: list[ImportedLayer] = field(default_factory=list)
    title: str = ""
    family: str = ""
    notes: list[str] = field(default_factory=list)  # lines for the spec's notes (the emitter adds the customs)

    @property
    def customs(self) -> list[ImportedLayer]:
        """The layers with no archstat kind, in order."""
        return [la for la in self.layers if la.kind == "custom"]

    def check(self) -> None:
        """Names unique and inputs defined before use; raises ValueError naming the first problem (a bug of the
        front end, not of the user's model)."""
        seen = {INPUT}
        for la in self.layers:
            if la.name in seen:
                raise ValueError(f"imported layer name '{la.name}' is used twice")
            for i in la.inputs:
                if i not in seen:
                    raise ValueError(f"imported layer '{la.name}' reads '{i}', which is not defined before it")
            seen.add(la.name)

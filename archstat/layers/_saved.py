"""What autograd saves for backward: the record a kind's ``saved`` rule returns (``Saved``) and what the rule is told
about the layer's place in a training pass (``Autograd``).

Each kind states, in its own file, what its torch module's autograd keeps from the forward pass for the backward
pass (``Layer.saved``), and says it in words (``Layer.saved_rule``). A saved tensor is one of:

- an input of the layer (``Saved.of_input(k)``) or its output (``Saved.of_output()``): it shares that tensor's
  storage, so the training-memory engine (``archstat.core.memory``) counts the storage once however many layers
  save it (an in-place ReLU saves its output, which is its input's storage; a view shares its base's);
- a parameter (``Saved.param("weight")``): the parameter itself, never counted as an activation, except under AMP,
  where a lower-precision kind saves autocast's half copy of it;
- a tensor of its own (``Saved.extra(...)``): max pooling's int64 indices, batch norm's float32 mean and inverse
  standard deviation, dropout's mask, the copies attention makes of q, k and v. ``elements`` are per image and
  scale with the batch, unless ``batched`` is false (batch norm's per-channel statistics).

A kind without a rule (``saved`` returns None) is reported as unknown, never counted as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

ACT = "act"  # the element type the layer computes in: the activation dtype (under AMP, per its autocast class)
STATS = "stats"  # normalisation statistics: float32 (the accumulation type) on CUDA, and on the CPU beside float32
#                 parameters; a CPU model wholly in half keeps them in half


@dataclass(frozen=True)
class Saved:
    """One tensor a layer saves for backward: ``what`` it is, and either the input (``input``) or output
    (``output``) whose storage it shares, a parameter (``param``), or a tensor of its own of ``elements`` elements of
    ``dtype`` (``ACT``, ``STATS``, ``"float32"``, ``"int64"``, ``"bool"``), per image when ``batched``."""

    what: str
    input: int | None = None
    output: bool = False
    param: str | None = None
    elements: int = 0
    dtype: str = ACT
    batched: bool = True

    @classmethod
    def of_input(cls, k: int = 0, what: str = "input") -> Saved:
        return cls(what, input=k)

    @classmethod
    def of_output(cls, what: str = "output") -> Saved:
        return cls(what, output=True)

    @classmethod
    def of_param(cls, name: str = "weight") -> Saved:
        return cls(name, param=name)

    @classmethod
    def extra(cls, what: str, elements: int, dtype: str = ACT, batched: bool = True) -> Saved:
        return cls(what, elements=elements, dtype=dtype, batched=batched)

    @property
    def own(self) -> bool:
        """A tensor of its own (not an input's, the output's or a parameter's storage)."""
        return self.input is None and not self.output and self.param is None


@dataclass(frozen=True)
class Autograd:
    """What a ``saved`` rule may depend on: which of the layer's inputs require grad (``grads``), whether its
    parameters are trained (``params``: it has some and it is not frozen), the element type it computes in
    (``act``), the AMP half type when autocast is on (``amp``), the device (``"cuda"`` or ``"cpu"``: torch's fused
    dropout keeps a bool mask on CUDA, its CPU path a float noise tensor), the inputs' types (``dtypes``) and the
    batch (``batch``, None where unknown: for the rare rule whose storages depend on it, where torch's matmul folds
    a batch of one without a copy)."""

    grads: tuple = (True,)
    params: bool = True
    act: str = "float32"
    amp: str | None = None
    device: str = "cuda"
    dtypes: tuple = ()  # the inputs' element types (under AMP they differ: a float32 residual, a half conv output)
    batch: int | None = None

    @property
    def any_grad(self) -> bool:
        return any(self.grads)

"""``nn.Module``s of the per-position kinds (layer norm, linear at every position, layer scale) and of stochastic
depth. Imports torch: import it only from inside a kind's ``torch_module``.

archstat's map shapes are logical (``C x H x W`` whatever the memory layout, see ``_text``): a per-position op on a
``B x C x H x W`` tensor moves the channels last, applies itself there and moves them back
(``x.movedim(1, -1) -> op -> movedim(-1, 1)``), so that it computes what torchvision's ``LayerNorm2d``, or its
``Permute -> LayerNorm -> Linear -> Permute`` sequence, computes, and its ``state_dict`` keys are torch's own.
"""

from __future__ import annotations

import torch
from torch import nn


class LayerNorm(nn.LayerNorm):
    """``nn.LayerNorm`` over the last dimension; on a 4-D map over the channels at every position (ConvNeXt's
    ``LayerNorm2d``). Keys ``weight``, ``bias``."""

    def forward(self, x):
        if x.dim() == 4:
            return super().forward(x.movedim(1, -1)).movedim(-1, 1)
        return super().forward(x)


class Linear(nn.Linear):
    """``nn.Linear`` over the last dimension; on a 4-D map over the channels at every position (a 1x1 convolution
    written as ConvNeXt writes it). Keys ``weight``, ``bias``."""

    def forward(self, x):
        if x.dim() == 4:
            return super().forward(x.movedim(1, -1)).movedim(-1, 1)
        return super().forward(x)


class LayerScale(nn.Module):
    """Multiplies by a learned vector: ``C x 1 x 1`` on a map (torchvision's CNBlock ``layer_scale``), ``D`` on
    tokens or a flat vector (timm's ``gamma``), initialised to ``init``.

    With ``name`` None the one parameter is keyed by the layer's own name on its parent (``named_as_layer``: the
    backend registers it there, as torchvision keeps ``layer_scale`` directly on the CNBlock); otherwise it is this
    module's parameter ``name`` (timm's ``ls1.gamma``)."""

    def __init__(self, shape: tuple, init: float, name: str | None, view: tuple | None = None):
        super().__init__()
        self.named_as_layer = name is None
        self.param_name = name or "weight"
        self.view = view  # the factors' shape as they multiply (a vector of C on a map: C x 1 x 1)
        self.register_parameter(self.param_name, nn.Parameter(torch.full(shape, float(init))))

    def forward(self, x):
        g = getattr(self, self.param_name)
        return x * (g if self.view is None else g.reshape(self.view))


class StochasticDepth(nn.Module):
    """Stochastic depth (torchvision.ops.StochasticDepth's rule, written here): in training, zero the whole residual
    branch of a sample (``row``) or of the batch (``batch``) with probability ``p`` and scale the kept by
    ``1/(1 - p)``; in eval mode the identity."""

    def __init__(self, p: float, mode: str):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        shape = (x.shape[0],) + (1,) * (x.dim() - 1) if self.mode == "row" else (1,) * x.dim()
        noise = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(keep)
        if keep > 0.0:
            noise.div_(keep)
        return x * noise

    def extra_repr(self) -> str:
        return f"p={self.p}, mode={self.mode}"

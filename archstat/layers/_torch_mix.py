"""Helper ``nn.Module``s of the kinds ``sub``, ``eca``, ``token_transpose``, ``token_mean`` and ``token_affine`` (imported only from their
``torch_module`` methods; ``archstat export`` writes their source into the exported file)."""

from __future__ import annotations

import torch
from torch import nn


class Sub(nn.Module):
    """``a - b``, broadcasting size-1 dimensions."""

    def forward(self, a, b):
        return a - b


class Eca(nn.Module):
    """Efficient channel attention (Wang et al., ECA-Net, 2020): the map times a sigmoid gate computed by a 1-D
    convolution of ``kernel`` taps, without bias, sliding over the channel axis of the global average. Its tensor
    is ``conv.weight`` (1 x 1 x kernel), as timm's ``EcaModule``."""

    def __init__(self, kernel: int):
        super().__init__()
        self.kernel = kernel
        self.conv = nn.Conv1d(1, 1, kernel, padding=(kernel - 1) // 2, bias=False)

    def forward(self, x):
        y = self.conv(x.mean((2, 3)).unsqueeze(1))  # B x 1 x C: the channels as a sequence of one feature
        return x * y.sigmoid().view(x.shape[0], -1, 1, 1)


class Transpose(nn.Module):
    """A token sequence's two axes swapped, B x L x D -> B x D x L, made contiguous."""

    def forward(self, x):
        return x.transpose(1, 2).contiguous()


class TokenMean(nn.Module):
    """The mean over the tokens: B x L x D -> B x D."""

    def forward(self, x):
        return x.mean(1)


class Affine(nn.Module):
    """ResMLP's Affine: ``alpha * x + beta`` per feature of B x L x D tokens, its tensors 1 x 1 x D as timm's."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        self.alpha = nn.Parameter(torch.ones(1, 1, dim))
        self.beta = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x):
        return torch.addcmul(self.beta, self.alpha, x)

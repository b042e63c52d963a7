"""``nn.Module``s of the token-sequence kinds (maps to tokens and back, class tokens, position embeddings,
self-attention). Imports torch: import it only from inside a kind's ``torch_module``.

A module with ``named_as_layer = True`` holds one parameter that torchvision keeps directly on its parent
(ViT's ``class_token``, ``encoder.pos_embedding``): the backend registers that parameter on the parent under the
layer's own name, so state_dict keys are torchvision's, and calls the module without making it a child.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class ToTokens(nn.Module):
    """B x C x H x W -> B x (H*W) x C, positions in row-major order (ViT's reshape and permute)."""

    def forward(self, x):
        return x.flatten(2).transpose(1, 2)


class ToMap(nn.Module):
    """B x (H*W) x C -> B x C x H x W."""

    def __init__(self, h: int, w: int):
        super().__init__()
        self.h, self.w = h, w

    def forward(self, x):
        return x.transpose(1, 2).reshape(x.shape[0], x.shape[2], self.h, self.w)


class ClassToken(nn.Module):
    """Prepends ``count`` learned tokens: the parameter is 1 x count x D, as torchvision's ``class_token``."""

    named_as_layer = True

    def __init__(self, count: int, d: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, count, d))

    def forward(self, x):
        return torch.cat([self.weight.expand(x.shape[0], -1, -1), x], dim=1)


class PosEmbedding(nn.Module):
    """Adds a learned 1 x L x D tensor, as torchvision's ``encoder.pos_embedding``."""

    named_as_layer = True

    def __init__(self, length: int, d: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(1, length, d).normal_(std=0.02))

    def forward(self, x):
        return x + self.weight


class SelectToken(nn.Module):
    def __init__(self, index: int):
        super().__init__()
        self.index = index

    def forward(self, x):
        return x[:, self.index]


class SelfAttention(nn.Module):
    """Multi-head self-attention with ``nn.MultiheadAttention``'s parameter names (``in_proj_weight``,
    ``in_proj_bias``, ``out_proj.weight``, ``out_proj.bias``), its products written out (no fused kernel), so that
    fvcore and FlopCounterMode see the projections and both activation products, and so that it computes what
    ``nn.MultiheadAttention(d, heads, batch_first=True)(x, x, x, need_weights=False)`` computes in eval mode."""

    def __init__(self, d: int, heads: int, bias: bool = True):
        super().__init__()
        self.d, self.heads = d, heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d, d))
        self.in_proj_bias: nn.Parameter | None
        if bias:
            self.in_proj_bias = nn.Parameter(torch.zeros(3 * d))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = nn.Linear(d, d, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, x):
        b, n, d = x.shape
        h = self.heads
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)
        q, k, v = (t.reshape(b, n, h, d // h).transpose(1, 2) for t in (q, k, v))
        attn = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h))
        out = torch.matmul(attn.softmax(dim=-1), v)
        return self.out_proj(out.transpose(1, 2).reshape(b, n, d))

"""``nn.Module`` of the ``qkv_attention`` kind. Imports torch: import it only from inside a kind's ``torch_module``."""

from __future__ import annotations

import math

import torch
from torch import nn


class QkvAttention(nn.Module):
    """Multi-head self-attention with timm's ``Attention`` tensor names (``qkv``: D -> 3D, ``proj``: D -> D), its
    products written out (no fused kernel) so that FlopCounterMode and fvcore see both activation products. In eval
    mode it computes what ``timm.layers.Attention(D, heads, qkv_bias, proj_bias=...)`` computes."""

    def __init__(self, d: int, heads: int, qkv_bias: bool = True, proj_bias: bool = True):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d, bias=qkv_bias)
        self.proj = nn.Linear(d, d, bias=proj_bias)

    def forward(self, x):
        b, n, d = x.shape
        h = self.heads
        q, k, v = self.qkv(x).reshape(b, n, 3, h, d // h).permute(2, 0, 3, 1, 4).unbind(0)
        attn = torch.matmul(q * (1.0 / math.sqrt(d // h)), k.transpose(-2, -1))
        out = torch.matmul(attn.softmax(dim=-1), v)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))

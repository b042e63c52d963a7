"""``nn.Module``s of MaxViT's kinds: the partition of a map into groups of tokens and back, and the relative
positional multi-head attention within each group. Imports torch: import it only from inside a kind's
``torch_module``.

The groups are one token sequence ``B x (G*g) x C`` here, where torchvision keeps them as an axis
(``B x G x g x C``): the same elements in the same order, so torchvision's per-position layer norms and MLPs, which
run on its 4-D tensor, compute what the token kinds compute here. Parameter and buffer names are torchvision's
(``RelativePositionalMultiHeadAttention``: ``to_qkv``, ``merge``, ``relative_position_bias_table``,
``relative_position_index``), so a strict ``load_state_dict`` of torchvision's MaxViT fills them
(``tests/test_torchvision_equal.py``).
"""

from __future__ import annotations

import torch
from torch import nn

from archstat.layers._torch_windows import relative_position_index


class Partition(nn.Module):
    """B x C x H x W -> B x (H*W) x C in groups of s*s consecutive tokens: s x s windows (``window``) or an s x s
    grid of points H/s and W/s apart (``grid``); see ``partition.py``."""

    def __init__(self, size: int, mode: str):
        super().__init__()
        self.size, self.mode = size, mode

    def forward(self, x):
        b, c, h, w = x.shape
        s = self.size
        if self.mode == "window":  # (row of windows, row in window, column of windows, column in window)
            x = x.reshape(b, c, h // s, s, w // s, s).permute(0, 2, 4, 3, 5, 1)
        else:  # (grid row, row offset, grid column, column offset): groups by offset, then the grid points
            x = x.reshape(b, c, s, h // s, s, w // s).permute(0, 3, 5, 2, 4, 1)
        return x.reshape(b, h * w, c)

    def extra_repr(self) -> str:
        return f"size={self.size}, mode={self.mode}"


class Departition(Partition):
    """The inverse: B x (H*W) x C -> B x C x H x W, H and W taken from the second argument (the partitioned map)."""

    def forward(self, x, like):
        b, _, c = x.shape
        h, w = like.shape[-2:]
        s = self.size
        x = x.reshape(b, h // s, w // s, s, s, c)
        order = (0, 5, 1, 3, 2, 4) if self.mode == "window" else (0, 5, 3, 1, 4, 2)
        return x.permute(*order).reshape(b, c, h, w)


class RelativeAttention(nn.Module):
    """Multi-head self-attention within each run of ``size * size`` consecutive tokens of B x L x D, with a learned
    bias per relative position in the s x s group (torchvision's ``RelativePositionalMultiHeadAttention``): heads of
    ``head_dim`` features; the keys scaled by D^-0.5 (the feature count, as torchvision scales them, not the head
    dimension); ``to_qkv`` (Linear D -> 3D), ``merge`` (Linear D -> D); parameter ``relative_position_bias_table``
    (2s-1)^2 x heads, persistent buffer ``relative_position_index`` s^2 x s^2. The products are written out with
    ``torch.matmul``, which fvcore and FlopCounterMode both count."""

    relative_position_index: torch.Tensor

    def __init__(self, dim: int, head_dim: int, size: int):
        super().__init__()
        self.dim, self.head_dim, self.size = dim, head_dim, size
        self.heads = dim // head_dim
        self.scale = dim ** -0.5
        self.to_qkv = nn.Linear(dim, 3 * dim)
        self.merge = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.empty((2 * size - 1) ** 2, self.heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.register_buffer("relative_position_index", relative_position_index(size, size).view(size ** 2, -1))

    def forward(self, x):
        b, n, d = x.shape
        h, g = self.heads, self.size ** 2
        q, k, v = self.to_qkv(x).chunk(3, dim=-1)
        q, k, v = (t.reshape(b, n // g, g, h, self.head_dim).transpose(2, 3) for t in (q, k, v))  # B x G x h x g x dh
        k = k * self.scale
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(g, g, h)
        scores = torch.matmul(q, k.transpose(-2, -1)) + bias.permute(2, 0, 1)  # B x G x h x g x g
        out = torch.matmul(scores.softmax(dim=-1), v)
        return self.merge(out.transpose(2, 3).reshape(b, n, d))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, heads={self.heads}, head_dim={self.head_dim}, size={self.size}"

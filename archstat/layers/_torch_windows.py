"""``nn.Module``s of Swin Transformer's kinds: shifted-window attention (v1 and v2) and the patch-merging gather.
Imports torch: import it only from inside a kind's ``torch_module``.

Maps stay ``B x C x H x W`` in the backend (shapes are logical, see ``_text``): each module moves the channels last
for its own work and back, and computes what torchvision's channels-last ``ShiftedWindowAttention(V2)`` and
``_patch_merging_pad`` compute. Parameter and buffer names are torchvision's, so a strict ``load_state_dict`` of
torchvision's Swin fills them (``tests/test_torchvision_equal.py``). In training they also copy, drop and save what
torchvision's do (the kinds' ``saved`` rules; ``tests/test_memory_torch.py``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def relative_position_index(wh: int, ww: int) -> torch.Tensor:
    """For every pair (i, j) of positions of a wh x ww window, in row-major order, the row of the bias table that
    holds their offset: (row_i - row_j + wh - 1) * (2ww - 1) + (col_i - col_j + ww - 1), flattened over (i, j)."""
    rows = torch.arange(wh).repeat_interleave(ww)
    cols = torch.arange(ww).repeat(wh)
    dr = rows[:, None] - rows[None, :] + (wh - 1)
    dc = cols[:, None] - cols[None, :] + (ww - 1)
    return (dr * (2 * ww - 1) + dc).flatten()


def log_spaced_offsets(wh: int, ww: int) -> torch.Tensor:
    """Swin V2's relative coordinates, 1 x (2wh-1) x (2ww-1) x 2: each offset scaled to [-8, 8] by its window and
    compressed as sign(x) * log2(|x| + 1) / 3."""
    dh = torch.arange(-(wh - 1), wh, dtype=torch.float32) / (wh - 1) * 8
    dw = torch.arange(-(ww - 1), ww, dtype=torch.float32) / (ww - 1) * 8
    grid = torch.stack(torch.meshgrid(dh, dw, indexing="ij"), dim=-1).unsqueeze(0)
    return torch.sign(grid) * torch.log2(grid.abs() + 1.0) / 3.0


def _regions(size: int, window: int, shift: int) -> list[int]:
    """Along one axis of the rolled, padded map: which of the (up to) three bands each position lies in. Positions
    of different bands were not neighbours before the roll: the last ``window`` positions hold the ``shift`` that
    wrapped around from the start behind ``window - shift`` from the end."""
    if not shift:
        return [0] * size
    return [0 if i < size - window else 1 if i < size - shift else 2 for i in range(size)]


class WindowAttention(nn.Module):
    """Window multi-head self-attention on ``B x C x H x W``; see ``window_attention.py`` for the function.

    Parameters ``qkv`` (Linear C -> 3C), ``proj`` (Linear C -> C), v1 ``relative_position_bias_table``, v2
    ``logit_scale`` and ``cpb_mlp`` (Linear 2 -> hidden, ReLU, Linear hidden -> heads without bias); persistent buffers
    ``relative_position_index`` and (v2) ``relative_coords_table``, as torchvision registers them."""

    relative_position_index: torch.Tensor

    def __init__(self, dim: int, heads: int, window: tuple, shift: tuple, version: str = "v1",
                 qkv_bias: bool = True, proj_bias: bool = True, cpb_hidden: int = 512,
                 attention_dropout: float = 0.0, dropout: float = 0.0):
        super().__init__()
        self.dim, self.heads, self.version = dim, heads, version
        self.attention_dropout, self.dropout = attention_dropout, dropout
        self.window, self.shift = tuple(window), tuple(shift)
        wh, ww = self.window
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        if version == "v1":
            self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * wh - 1) * (2 * ww - 1), heads))
            nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        else:
            self.register_buffer("relative_coords_table", log_spaced_offsets(wh, ww))
        self.register_buffer("relative_position_index", relative_position_index(wh, ww))
        if version == "v2":
            self.logit_scale = nn.Parameter(torch.log(10 * torch.ones(heads, 1, 1)))
            self.cpb_mlp = nn.Sequential(nn.Linear(2, cpb_hidden), nn.ReLU(inplace=True),
                                         nn.Linear(cpb_hidden, heads, bias=False))

    def position_bias(self) -> torch.Tensor:
        """1 x heads x L x L: each pair's bias, gathered from the table (v1) or from the bias network's output (v2)."""
        n = self.window[0] * self.window[1]
        table = self.relative_position_bias_table if self.version == "v1" else \
            self.cpb_mlp(self.relative_coords_table).view(-1, self.heads)
        bias = table[self.relative_position_index].view(n, n, self.heads).permute(2, 0, 1).unsqueeze(0)
        return bias if self.version == "v1" else 16 * torch.sigmoid(bias)

    def mask(self, hp: int, wp: int, sh: int, sw: int, like: torch.Tensor) -> torch.Tensor:
        """windows x L x L: -100 between positions of different bands of the rolled map, 0 within one."""
        wh, ww = self.window
        rows, cols = _regions(hp, wh, sh), _regions(wp, ww, sw)
        region = torch.tensor([[3 * r + c for c in cols] for r in rows], device=like.device)
        region = region.reshape(hp // wh, wh, wp // ww, ww).transpose(1, 2).reshape(-1, wh * ww)
        apart = region[:, None, :] != region[:, :, None]
        return like.new_zeros(apart.shape).masked_fill(apart, -100.0)

    def attend(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The scores (windows x heads x L x L, before the position bias) and the values, within each window of x
        (windows x L x C)."""
        nwin, n, c = x.shape
        h = self.heads
        bias: torch.Tensor | None = self.qkv.bias
        if self.version == "v2" and bias is not None:  # v2 holds the key's bias at zero
            bias = torch.cat([bias[:c], torch.zeros_like(bias[c:2 * c]), bias[2 * c:]])
        qkv = F.linear(x, self.qkv.weight, bias).reshape(nwin, n, 3, h, c // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if self.version == "v1":
            scores = torch.matmul(q * (c // h) ** -0.5, k.transpose(-2, -1))
        else:
            scores = torch.matmul(F.normalize(q, dim=-1), F.normalize(k, dim=-1).transpose(-2, -1))
            scores = scores * torch.clamp(self.logit_scale, max=math.log(100.0)).exp()
        return scores, v

    def forward(self, x):
        b, c, h, w = x.shape
        wh, ww = self.window
        x = x.permute(0, 2, 3, 1)  # B x H x W x C
        pad_h, pad_w = (-h) % wh, (-w) % ww
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))  # a copy even when nothing is padded, as torchvision's
        hp, wp = h + pad_h, w + pad_w
        nh, nw = hp // wh, wp // ww
        sh = self.shift[0] if nh > 1 else 0  # no shift along an axis one window covers (torchvision)
        sw = self.shift[1] if nw > 1 else 0
        if sh or sw:
            x = torch.roll(x, shifts=(-sh, -sw), dims=(1, 2))
        x = x.reshape(b, nh, wh, nw, ww, c).transpose(2, 3).reshape(b * nh * nw, wh * ww, c)
        scores, v = self.attend(x)
        scores = scores + self.position_bias()
        if sh or sw:
            n = wh * ww
            scores = scores.view(b, nh * nw, self.heads, n, n) + self.mask(hp, wp, sh, sw, scores)[None, :, None]
            scores = scores.view(-1, self.heads, n, n)
        weights = F.dropout(scores.softmax(dim=-1), self.attention_dropout, self.training)
        y = torch.matmul(weights, v).transpose(1, 2).reshape(b * nh * nw, wh * ww, c)
        y = F.dropout(self.proj(y), self.dropout, self.training)
        y = y.reshape(b, nh, nw, wh, ww, c).transpose(2, 3).reshape(b, hp, wp, c)
        if sh or sw:
            y = torch.roll(y, shifts=(sh, sw), dims=(1, 2))
        return y[:, :h, :w].contiguous().permute(0, 3, 1, 2)  # unpadded into a map of its own size, as torchvision

    def extra_repr(self) -> str:
        return f"dim={self.dim}, heads={self.heads}, window={self.window}, shift={self.shift}, {self.version}"


class PatchMerge(nn.Module):
    """Swin's 2 x 2 gather on ``B x C x H x W``: odd sizes zero-padded at the bottom and right, then the channels of
    x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2] concatenated: ``B x 4C x ceil(H/2) x ceil(W/2)``."""

    def forward(self, x):
        h, w = x.shape[-2:]
        if h % 2 or w % 2:
            x = F.pad(x, (0, w % 2, 0, h % 2))
        return torch.cat([x[..., 0::2, 0::2], x[..., 1::2, 0::2], x[..., 0::2, 1::2], x[..., 1::2, 1::2]], dim=1)

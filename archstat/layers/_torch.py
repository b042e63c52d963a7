"""Small ``nn.Module``s for the layer kinds that torch.nn has no module for (merges, channel slices, crops, Caffe's
Scale, LeNet's RBF units, padded convolutions and pooling).

Imports torch: import it only from inside a kind's ``torch_module`` method, never at module level."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Add(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Mul(nn.Module):
    def forward(self, a, b):
        return a * b


class Concat(nn.Module):
    def forward(self, *xs):
        return torch.cat(xs, dim=1)


class Slice(nn.Module):
    def __init__(self, start: int = 0, stop: int | None = None, index: tuple | None = None):
        super().__init__()
        self.start, self.stop = start, stop
        if index is not None:
            self.register_buffer("index", torch.tensor(index, dtype=torch.long), persistent=False)
        else:
            self.index = None

    def forward(self, x):
        if self.index is not None:
            return x.index_select(1, self.index)
        return x[:, self.start:self.stop]


class Crop(nn.Module):
    """Centre crop to ``size`` or to a second input's H x W; the window starts at ((H - h)//2, (W - w)//2)."""

    def __init__(self, size: tuple | None = None):
        super().__init__()
        self.size = size

    def forward(self, x, ref=None):
        th, tw = self.size if ref is None else ref.shape[-2:]
        h, w = x.shape[-2:]
        top, left = (h - th) // 2, (w - tw) // 2
        return x[..., top:top + th, left:left + tw]


class Scale(nn.Module):
    """Per-channel ``x * weight + bias`` (Caffe's Scale layer)."""

    def __init__(self, channels: int, bias: bool = True, flat: bool = False):
        super().__init__()
        shape = (channels,) if flat else (channels, 1, 1)
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape)) if bias else None

    def forward(self, x):
        y = x * self.weight
        return y + self.bias if self.bias is not None else y


class RBF(nn.Module):
    """Euclidean RBF units: ``y_i = sum_j (x_j - w_ij)^2``, written as ||x||^2 - 2 x.w + ||w||^2 so that the work
    is one matrix product (the in*out multiply-accumulates archstat counts)."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) * 0.1)

    def forward(self, x):
        return (x * x).sum(1, keepdim=True) - 2 * F.linear(x, self.weight) + (self.weight * self.weight).sum(1)


class Flatten(nn.Flatten):
    pass


class ChannelShuffle(nn.Module):
    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class PaddedConv2d(nn.Conv2d):
    """A Conv2d with asymmetric padding (``same`` with an even kernel, [t, b, l, r]): pad, then convolve."""

    def __init__(self, *args, pad4: tuple, **kw):
        super().__init__(*args, padding=0, **kw)  # type: ignore[misc]
        self.pad4 = pad4  # (left, right, top, bottom), F.pad's order

    def forward(self, x):
        return super().forward(F.pad(x, self.pad4))


class PaddedMaxPool2d(nn.MaxPool2d):
    def __init__(self, *args, pad4: tuple, **kw):
        super().__init__(*args, padding=0, **kw)  # type: ignore[misc]
        self.pad4 = pad4

    def forward(self, x):
        return super().forward(F.pad(x, self.pad4, value=float("-inf")))


class PaddedAvgPool2d(nn.AvgPool2d):
    """Average pooling with asymmetric padding. With ``count_include_pad`` the zeros count in the average; without
    it, the sum over the window is divided by the number of real pixels in it (the pooled mask of ones)."""

    def __init__(self, *args, pad4: tuple, count_include_pad: bool = True, **kw):
        super().__init__(*args, padding=0, **kw)  # type: ignore[misc]
        self.pad4 = pad4
        self.exclude_pad = not count_include_pad

    def forward(self, x):
        y = super().forward(F.pad(x, self.pad4))
        if self.exclude_pad:
            ones = torch.ones_like(x[:1, :1])
            y = y / super().forward(F.pad(ones, self.pad4))
        return y


class GroupSoftmax(nn.Module):
    """Softmax across ``groups`` channel groups: (N, M*C, ...) read as (N, M, C, ...), softmax over M."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c = x.shape[:2]
        return x.reshape(n, self.groups, c // self.groups, *x.shape[2:]).softmax(1).reshape(x.shape)


class Constant(nn.Module):
    """Multiply by a constant (no parameters)."""

    def __init__(self, value: float):
        super().__init__()
        self.value = value

    def forward(self, x):
        return x * self.value

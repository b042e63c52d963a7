"""The layer registry: every kind by name and alias.

To add a kind, write one class in one new file of this package (see ``base.Layer``) and list the module below;
the registry-wide tests then cover it.
"""

from __future__ import annotations

from archstat.layers import (
    activation,
    adaptive_pool,
    add,
    batchnorm,
    channel_shuffle,
    concat,
    conv,
    conv_transpose,
    crop,
    custom,
    dropout,
    flatten,
    identity,
    linear,
    lrn,
    mul,
    pool,
    prelu,
    rbf,
    scale,
    slice,
    softmax,
    upsample,
    zeropad,
)
from archstat.layers.base import Layer

_CLASSES: list[type[Layer]] = [
    conv.Conv, conv.DepthwiseConv, conv.PointwiseConv, conv_transpose.ConvTranspose,
    pool.MaxPool, pool.AvgPool, adaptive_pool.AdaptiveAvgPool, adaptive_pool.GlobalAvgPool,
    linear.Linear, rbf.RBF, flatten.Flatten, batchnorm.BatchNorm, scale.Scale, lrn.LocalResponseNorm, dropout.Dropout,
    *activation.KINDS, prelu.PReLU, softmax.Softmax,
    add.Add, concat.Concat, mul.Mul, channel_shuffle.ChannelShuffle, slice.Slice, upsample.Upsample, crop.Crop,
    zeropad.ZeroPad, identity.Identity, custom.Custom,
]

KINDS: dict[str, type[Layer]] = {cls.kind: cls for cls in _CLASSES}
REGISTRY: dict[str, type[Layer]] = dict(KINDS)
for _cls in _CLASSES:
    for _alias in _cls.aliases:
        assert _alias not in REGISTRY, _alias
        REGISTRY[_alias] = _cls


def lookup(kind: str) -> type[Layer] | None:
    return REGISTRY.get(kind)

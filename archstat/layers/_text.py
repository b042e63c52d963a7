"""Number and shape formatting shared by the layer kinds, the engine and the renderers.

Shapes are tuples without the batch dimension: ``(C, H, W)`` for feature maps, ``(F,)`` for flat vectors and
``(L, D)`` for token sequences (L tokens of D features; a torch tensor ``B x L x D``). A map's shape is logical: a
channels-last layout (torchvision's ConvNeXt and Swin permute to ``B x H x W x C``) is still ``(C, H, W)`` here;
``permute`` is a view that changes no shape, and per-position kinds (layer norm, linear) act on the channels.
"""

from __future__ import annotations

from fractions import Fraction


def spatial(shape) -> bool:
    """A ``C x H x W`` feature map (not a flat vector)."""
    return len(shape) == 3


def tokens(shape) -> bool:
    """An ``L x D`` token sequence."""
    return len(shape) == 2


def features(shape):
    """The per-position feature count: C of a map, D of a token sequence, F of a flat vector."""
    return shape[0] if len(shape) == 3 else shape[-1]


def positions(shape):
    """How many positions a per-position op (layer norm, linear) runs at: H*W, L, or 1."""
    if len(shape) == 3:
        return shape[1] * shape[2]
    return shape[0] if len(shape) == 2 else 1


def fmt_shape(shape) -> str:
    return "x".join(str(d) for d in shape)


def elems(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def elems_text(shape) -> str:
    return "*".join(map(str, shape))


def short(v) -> str:
    """An argument value as ``args_text`` shows it: ``3`` for ``(3, 3)``, ``[0, 1, 0, 1]`` for uneven padding."""
    if isinstance(v, tuple) and len(v) == 2 and v[0] == v[1] and not isinstance(v[0], tuple):
        return str(v[0])
    if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, tuple) for x in v):
        flat = [x for pair in v for x in pair]
        return str(flat[0]) if len(set(flat)) == 1 else str(list(flat))
    if isinstance(v, tuple):
        return "x".join(map(str, v))
    return str(v)


def frac_str(x) -> str:
    """A Fraction as an int when whole, else as a short decimal."""
    if isinstance(x, Fraction):
        return str(x.numerator) if x.denominator == 1 else f"{float(x):.3g}"
    return str(x)

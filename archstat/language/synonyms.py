"""What to say about an unknown layer kind: the archstat kind that computes the same thing, or that none does yet.

A spec writer comes with PyTorch's, Keras's or ONNX's name for an op (``nn.LayerNorm``, ``Dense``, ``Gemm``). A
suggestion found by spelling alone points at a different op as often as not: ``layernorm`` is one edit from
``norm`` (local response normalisation), ``matmul`` contains ``mul`` (element-wise), ``transpose`` ends
``conv_transpose``. Following such a hint gives a network that builds and counts wrong. So, in this order:

1. ``SYNONYMS``: the common ops under their framework names (normalised: case, ``_``/``-``, and prefixes such as
   ``nn.``, ``torch.nn.``, ``keras.layers.``, ``onnx::`` dropped), each mapped to the kind that computes the same
   thing with the arguments that make it so, or to ``None`` with what to write instead (``custom`` with its
   counts, or a composition of kinds);
2. the registry's own names and aliases, normalised the same way (``Conv2d`` is ``conv2d``, ``BatchNorm2d`` is
   ``batchnorm2d``);
3. a spelling slip: a registered name or block at edit distance 1 (2 for names of 8 letters or more), never one
   that differs only in a digit (``conv3d`` is not ``conv2d``);
4. nothing close: where to look (``archstat kinds``) and ``custom`` for an op archstat has no rules for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Synonym:
    """``kind``: the archstat kind computing the op (None: no kind does yet); ``how``: the arguments that make it
    the same op, or what to write instead."""

    kind: str | None
    how: str = ""


_CUSTOM = "describe it with 'custom' (its output 'shape' and whatever is known of 'params', 'macs', 'flops')"
_ACT = _CUSTOM + ", e.g. 'custom: {op: elu, shape: [$in_c, $in_h, $in_w], params: 0, macs: 0}'"
_INSTANCE = Synonym("group_norm", "with one group per channel: 'group_norm: {groups: C, affine: false}' "
                    "(torch's InstanceNorm2d: no affine, no running statistics)")
_LINEAR = Synonym("linear", "'linear: {out: N}' (on a map it acts at every position, over the channels; put a "
                  "'flatten' before it for one vector of C*H*W values)")
_MATMUL = Synonym(None, "for a product of two activations " + _CUSTOM + " (macs: the product's "
                  "multiply-accumulates); a product with a learned weight is 'linear' (at every position of a map "
                  "or token sequence), and attention's Q K^T and A V are inside 'self_attention'")
_PERMUTE = Synonym("permute", "a layout change (e.g. 'permute: {dims: [0, 2, 3, 1]}', channels-last); shapes stay "
                   "logical C x H x W, so it is a view that changes no count")
_RESHAPE = Synonym(None, "use 'flatten' (a map to one vector), 'tokens' (a map to its H*W positions, L x D) or "
                   "'to_map' (tokens back to a map); other reshapes: " + _CUSTOM)
_CONV1D = Synonym("conv", "a 1-D convolution over L is a conv on a C x 1 x L map with 'kernel: [1, k]'")
_SEPARABLE = Synonym(None, "write 'dwconv: {kernel: k}' then 'pwconv: {out: N}' (Keras's SeparableConv2D is "
                     "exactly these two)")
_GLOBAL_MAX = Synonym(None, "'maxpool' with the kernel the size of the map (e.g. 'maxpool: {kernel: 7}' on "
                      "7x7) computes it")
_ADAPTIVE_MAX = Synonym(None, "'maxpool' with kernel and stride that give the output size computes it when the "
                        "map divides evenly; else " + _CUSTOM)
_EMBEDDING = Synonym(None, _CUSTOM + " (params: vocabulary * D, macs: 0)")
_SPACE_TO_DEPTH = Synonym("pixel_unshuffle", "'pixel_unshuffle: {downscale: r}' (the same counts; ONNX orders the "
                          "output channels differently)")
_DEPTH_TO_SPACE = Synonym("pixel_shuffle", "'pixel_shuffle: {upscale: r}' (the same counts)")

SYNONYMS: dict[str, Synonym] = {
    # convolutions
    "conv": Synonym("conv"), "convolution": Synonym("conv"), "conv2d": Synonym("conv"),
    "conv1d": _CONV1D, "convolution1d": _CONV1D,
    "depthwiseconv2d": Synonym("dwconv", "'dwconv: {kernel: k}' (depth_multiplier is 'multiplier')"),
    "separableconv2d": _SEPARABLE, "separableconvolution2d": _SEPARABLE,
    "convtranspose": Synonym("deconv"), "convtranspose2d": Synonym("deconv"), "conv2dtranspose": Synonym("deconv"),
    "transposedconv": Synonym("deconv"), "transposedconvolution": Synonym("deconv"),
    "deconvolution": Synonym("deconv"),
    # fully connected and products
    "linear": _LINEAR, "lazylinear": _LINEAR, "dense": _LINEAR, "gemm": _LINEAR, "fullyconnected": _LINEAR,
    "innerproduct": _LINEAR, "mlp": Synonym(None, "write its layers: 'linear', an activation, 'linear'"),
    "matmul": _MATMUL, "mm": _MATMUL, "bmm": _MATMUL, "einsum": _MATMUL, "dot": _MATMUL, "matrixmultiply": _MATMUL,
    # normalisation
    "ln": Synonym("layer_norm"), "layernormalization": Synonym("layer_norm"),
    "layernorm2d": Synonym("layer_norm"), "rmsnorm": Synonym(None, _CUSTOM),
    "bn": Synonym("batchnorm"), "batchnormalization": Synonym("batchnorm"), "batchnorm1d": Synonym("batchnorm"),
    "batchnorm2d": Synonym("batchnorm"), "syncbatchnorm": Synonym("batchnorm"),
    "gn": Synonym("group_norm"), "groupnormalization": Synonym("group_norm"),
    "instancenorm": _INSTANCE, "instancenorm2d": _INSTANCE, "instancenormalization": _INSTANCE,
    "localresponsenorm": Synonym("lrn"), "localresponsenormalization": Synonym("lrn"), "lrn": Synonym("lrn"),
    # activations
    "relu": Synonym("relu"), "relu6": Synonym("relu6"), "leakyrelu": Synonym("leaky_relu"),
    "prelu": Synonym("prelu"), "gelu": Synonym("gelu"), "silu": Synonym("silu"), "swish": Synonym("silu"),
    "hardsigmoid": Synonym("hardsigmoid"), "hsigmoid": Synonym("hardsigmoid"),
    "hardswish": Synonym("hardswish"), "hswish": Synonym("hardswish"),
    "sigmoid": Synonym("sigmoid"), "logistic": Synonym("sigmoid"), "tanh": Synonym("tanh"),
    "softmax": Synonym("softmax"), "softmax2d": Synonym("softmax"),
    "activation": Synonym(None, "write the activation itself as the kind: 'relu', 'gelu', 'sigmoid', ..."),
    "elu": Synonym(None, _ACT), "selu": Synonym(None, _ACT), "celu": Synonym(None, _ACT),
    "mish": Synonym(None, _ACT), "softplus": Synonym(None, _ACT), "softsign": Synonym(None, _ACT),
    "logsoftmax": Synonym(None, _ACT), "hardtanh": Synonym(None, _ACT), "thresholdedrelu": Synonym(None, _ACT),
    "quickgelu": Synonym(None, _ACT),
    # pooling
    "maxpool": Synonym("maxpool"), "maxpool2d": Synonym("maxpool"), "maxpooling2d": Synonym("maxpool"),
    "avgpool": Synonym("avgpool"), "averagepool": Synonym("avgpool"), "avgpool2d": Synonym("avgpool"),
    "averagepooling2d": Synonym("avgpool"),
    "globalaveragepool": Synonym("global_avgpool"), "globalaveragepooling2d": Synonym("global_avgpool", "then "
                                 "'flatten' for Keras's C vector (global_avgpool gives C x 1 x 1)"),
    "globalavgpool": Synonym("global_avgpool"), "adaptiveavgpool": Synonym("adaptive_avgpool"),
    "globalmaxpool": _GLOBAL_MAX, "globalmaxpooling2d": _GLOBAL_MAX, "adaptivemaxpool2d": _ADAPTIVE_MAX,
    "adaptivemaxpool": _ADAPTIVE_MAX,
    # shape and layout
    "transpose": _PERMUTE, "permute": _PERMUTE, "reshape": _RESHAPE, "view": _RESHAPE, "unflatten": _RESHAPE,
    "flatten": Synonym("flatten"), "identity": Synonym("identity"),
    "concat": Synonym("concat"), "concatenate": Synonym("concat"), "cat": Synonym("concat"),
    "add": Synonym("add"), "sum": Synonym("add"), "mul": Synonym("mul", "element-wise (SE scaling); a matrix "
                                                     "product is not 'mul'"),
    "multiply": Synonym("mul", "element-wise (SE scaling); a matrix product is not 'mul'"),
    "pad": Synonym("zeropad"), "zeropad2d": Synonym("zeropad"), "zeropadding2d": Synonym("zeropad"),
    "constantpad2d": Synonym("zeropad", "when the value is 0"),
    "cropping2d": Synonym("crop", "'crop: {size: [h, w]}' (archstat crops centred)"),
    "centercrop": Synonym("crop"), "slice": Synonym("slice"), "split": Synonym("slice", "one 'slice' per part"),
    "gather": Synonym("slice", "'slice: {index: [...]}' for channels, 'select_token' for one token"),
    "upsample": Synonym("upsample"), "upsampling2d": Synonym("upsample"), "resize": Synonym("upsample"),
    "upsamplingnearest2d": Synonym("upsample", "'upsample: {scale: s}' (nearest)"),
    "upsamplingbilinear2d": Synonym("upsample", "'upsample: {scale: s, mode: bilinear}'"),
    "pixelshuffle": _DEPTH_TO_SPACE, "depthtospace": _DEPTH_TO_SPACE,
    "pixelunshuffle": _SPACE_TO_DEPTH, "spacetodepth": _SPACE_TO_DEPTH, "channelshuffle": Synonym("channel_shuffle"),
    # regularisation
    "dropout": Synonym("dropout"), "dropout2d": Synonym("dropout"), "spatialdropout2d": Synonym("dropout"),
    "alphadropout": Synonym("dropout"), "droppath": Synonym("stochastic_depth"),
    "stochasticdepth": Synonym("stochastic_depth"),
    # attention and tokens
    "multiheadattention": Synonym("self_attention", "'self_attention: {heads: h}' on L x D tokens (query, key "
                                  "and value the same input)"),
    "attention": Synonym("self_attention"), "selfattention": Synonym("self_attention"),
    "embedding": _EMBEDDING, "patchembed": Synonym(None, "write a 'conv' with kernel and stride the patch "
                                                   "size, then 'tokens'"),
    "rescaling": Synonym("scale", "'scale: {value: s}' (a constant factor; an offset adds 1 FLOP per element "
                         "more)"),
}

_PREFIXES = ("torch.nn.functional.", "torch.nn.modules.", "torch.nn.", "torch.", "nn.functional.", "nn.", "f.",
             "tf.keras.layers.", "keras.layers.", "layers.", "tf.nn.", "tf.", "onnx::", "onnx.", "ai.onnx.")


def normalise(word: str) -> str:
    """``torch.nn.LayerNorm`` -> ``layernorm``; ``Conv2D`` -> ``conv2d``; ``onnx::MatMul`` -> ``matmul``."""
    w = word.strip().lower()
    for p in _PREFIXES:
        if w.startswith(p):
            w = w[len(p):]
            break
    return w.replace("_", "").replace("-", "").replace(" ", "")


def _registry_keys() -> dict[str, str]:
    """Normalised registered name -> kind."""
    from archstat.layers import REGISTRY

    return {normalise(name): cls.kind for name, cls in REGISTRY.items()}


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, adjacent swaps), or limit + 1 once
    it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def slip(word: str, options: list[str]) -> str | None:
    """The one option ``word`` is a spelling slip of (edit distance 1, or 2 from 8 letters on, compared in
    normalised form), never one that differs in its digits (``conv3d``/``conv2d``); None when there is none or
    several equally close."""
    w = normalise(word)
    if not w or len(w) > 64:
        return None
    limit = 2 if len(w) >= 8 else 1
    best: dict[int, dict[str, str]] = {}  # distance -> normalised form -> the first option spelled so
    for o in options:
        n = normalise(o)
        if _digits(n) != _digits(w):
            continue
        d = _distance(w, n, limit)
        if d <= limit:
            best.setdefault(d, {}).setdefault(n, o)
    if not best:
        return None
    found = best[min(best)]
    return next(iter(found.values())) if len(found) == 1 else None


def kind_hint(word: str, blocks: Sequence[str] = ()) -> str:
    """The text after ``unknown layer kind 'WORD'``: a kind that computes the same thing, what to write when no
    kind does, a block or kind it is a slip of, or where to look."""
    from archstat.layers import KINDS, REGISTRY

    key = normalise(word)
    syn = SYNONYMS.get(key)
    if syn is None:
        kind = _registry_keys().get(key)
        if kind is not None:
            syn = Synonym(kind)
    if syn is not None:
        if syn.kind is None:
            return f": no archstat kind computes this op yet; {syn.how}"
        return f" (did you mean '{syn.kind}'?" + (f" {syn.how}" if syn.how else "") + ")"
    close = slip(word, list(blocks)) or slip(word, list(REGISTRY))
    if close is not None:
        return f" (did you mean '{close}'?)"
    return (f"; 'archstat kinds' lists the {len(KINDS)} kinds and their aliases; an op without one is written as "
            f"'custom' with its output shape and known counts")

"""Every layer kind against hand-derived numbers (torchscan style).

Each expected value is written as the arithmetic that gives it, with PyTorch's documented rules:

- Conv2d / pooling:  H' = floor((H + p_top + p_bottom - d*(k-1) - 1) / s) + 1
- ceil_mode:         H' = ceil(...) + 1, then H' -= 1 if (H'-1)*s >= H + p_top (a window may not start in the
                     right padding)
- ConvTranspose2d:   H' = (H-1)*s - 2p + d*(k-1) + output_padding + 1
- AdaptiveAvgPool2d: window i of n over N inputs is floor(i*N/n) .. ceil((i+1)*N/n)

and archstat's documented counting conventions (MACs of conv = output elements * (C/g)*kh*kw; FLOPs = 2*MACs
+ bias adds; per-element FLOPs of the pointwise ops as the module docstrings state them).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

import pytest

from archstat.errors import ArchstatError, ShapeError, SpecError
from archstat.layers import KINDS, REGISTRY
from archstat.layers.base import MergeMismatch

UNKNOWN = None  # a count archstat must report as unknown, never as 0


@dataclass
class Case:
    id: str
    kind: str
    args: dict
    ins: list
    out: tuple
    params: int
    macs: int | None
    flops: int | None
    buffers: int = 0
    tensors: dict | None = field(default=None)  # expected params() dict by tensor name, where worth checking


def _adaptive_sum(n_in, n_out):
    """Independent re-derivation of PyTorch's adaptive windows: sum of (ceil((i+1)N/n) - floor(iN/n))."""
    return sum(math.ceil(Fraction((i + 1) * n_in, n_out)) - math.floor(Fraction(i * n_in, n_out))
               for i in range(n_out))


CASES = [
    # ------------------------------------------------------------------------------------------------ conv
    # AlexNet conv1: (227 - 11)/4 + 1 = 55
    Case("conv-alexnet-conv1", "conv", {"out": 96, "kernel": 11, "stride": 4}, [(3, 227, 227)], (96, 55, 55),
         params=(11 * 11 * 3 + 1) * 96, macs=55 * 55 * 96 * (11 * 11 * 3),
         flops=2 * (55 * 55 * 96 * 11 * 11 * 3) + 96 * 55 * 55,
         tensors={"weight": 96 * 3 * 11 * 11, "bias": 96}),
    # VGG 3x3 pad 1 keeps 224: (224 - 3 + 2)/1 + 1 = 224
    Case("conv-square-3x3-pad1", "conv", {"out": 64, "kernel": 3, "padding": 1}, [(3, 224, 224)], (64, 224, 224),
         params=(3 * 3 * 3 + 1) * 64, macs=224 * 224 * 64 * (3 * 3 * 3),
         flops=2 * 224 * 224 * 64 * 27 + 64 * 224 * 224),
    # Inception-v3 1x7 factorised conv, padding [0, 3]: H' = 17 - 1 + 1 = 17, W' = 17 + 6 - 7 + 1 = 17
    Case("conv-rect-1x7-pad-0-3", "conv", {"out": 192, "kernel": [1, 7], "padding": [0, 3]}, [(768, 17, 17)],
         (192, 17, 17), params=1 * 7 * 768 * 192 + 192, macs=17 * 17 * 192 * (1 * 7 * 768),
         flops=2 * 17 * 17 * 192 * 7 * 768 + 192 * 17 * 17),
    # the transposed factor 7x1, padding [3, 0], on a non-square map: H' = 9 + 6 - 7 + 1 = 9, W' = 12 - 1 + 1 = 12
    Case("conv-rect-7x1-pad-3-0", "conv", {"out": 8, "kernel": [7, 1], "padding": [3, 0]}, [(4, 9, 12)],
         (8, 9, 12), params=7 * 1 * 4 * 8 + 8, macs=9 * 12 * 8 * (7 * 4), flops=2 * 9 * 12 * 8 * 28 + 8 * 9 * 12),
    # ResNet stem, stride 2, no bias: floor((224 + 6 - 7)/2) + 1 = 111 + 1 = 112; FLOPs = 2*MACs only
    Case("conv-stride2-nobias", "conv", {"out": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False},
         [(3, 224, 224)], (64, 112, 112), params=7 * 7 * 3 * 64, macs=112 * 112 * 64 * (7 * 7 * 3),
         flops=2 * 112 * 112 * 64 * 147, tensors={"weight": 7 * 7 * 3 * 64}),
    # stride that does not fit: floor((8 - 3)/2) + 1 = 2 + 1 = 3
    Case("conv-stride2-floor", "conv", {"out": 2, "kernel": 3, "stride": 2}, [(1, 8, 8)], (2, 3, 3),
         params=9 * 2 + 2, macs=3 * 3 * 2 * 9, flops=2 * 3 * 3 * 2 * 9 + 2 * 3 * 3),
    # stride [2, 1]: H' = floor((10 - 3)/2) + 1 = 4, W' = 10 - 3 + 1 = 8
    Case("conv-stride-2x1", "conv", {"out": 3, "kernel": 3, "stride": [2, 1]}, [(2, 10, 10)], (3, 4, 8),
         params=9 * 2 * 3 + 3, macs=4 * 8 * 3 * 18, flops=2 * 4 * 8 * 3 * 18 + 3 * 4 * 8),
    # dilation 2 keeps the size with padding 2: span = 2*(3-1) + 1 = 5, (32 + 4 - 5)/1 + 1 = 32
    Case("conv-dilation2-pad2", "conv", {"out": 64, "kernel": 3, "padding": 2, "dilation": 2}, [(64, 32, 32)],
         (64, 32, 32), params=(3 * 3 * 64 + 1) * 64, macs=32 * 32 * 64 * (9 * 64),
         flops=2 * 32 * 32 * 64 * 576 + 64 * 32 * 32),
    # dilation 2, stride 2, no padding: floor((11 - 5)/2) + 1 = 4; params do not grow with dilation
    Case("conv-dilation2-stride2", "conv", {"out": 4, "kernel": 3, "dilation": 2, "stride": 2}, [(2, 11, 11)],
         (4, 4, 4), params=9 * 2 * 4 + 4, macs=4 * 4 * 4 * 18, flops=2 * 4 * 4 * 4 * 18 + 4 * 4 * 4),
    # groups 4: each filter sees 64/4 = 16 channels
    Case("conv-groups4", "conv", {"out": 128, "kernel": 3, "padding": 1, "groups": 4}, [(64, 56, 56)],
         (128, 56, 56), params=128 * (64 // 4) * 9 + 128, macs=56 * 56 * 128 * (64 // 4) * 9,
         flops=2 * 56 * 56 * 128 * 16 * 9 + 128 * 56 * 56,
         tensors={"weight": 128 * 16 * 9, "bias": 128}),
    # padding 'same' (stride 1), odd kernel: pads 1 and 1, size kept
    Case("conv-same-3x3", "conv", {"out": 32, "kernel": 3, "padding": "same"}, [(16, 28, 28)], (32, 28, 28),
         params=9 * 16 * 32 + 32, macs=28 * 28 * 32 * 9 * 16, flops=2 * 28 * 28 * 32 * 144 + 32 * 28 * 28),
    # padding 'same', even kernel 4: total 3 = 1 before + 2 after (PyTorch), size kept: 28 + 3 - 4 + 1 = 28
    Case("conv-same-even-kernel", "conv", {"out": 32, "kernel": 4, "padding": "same"}, [(16, 28, 28)],
         (32, 28, 28), params=16 * 16 * 32 + 32, macs=28 * 28 * 32 * 16 * 16,
         flops=2 * 28 * 28 * 32 * 256 + 32 * 28 * 28),
    # padding 'same' with dilation 3: total 3*(3-1) = 6, size kept
    Case("conv-same-dilated", "conv", {"out": 8, "kernel": 3, "padding": "same", "dilation": 3}, [(8, 20, 20)],
         (8, 20, 20), params=9 * 8 * 8 + 8, macs=20 * 20 * 8 * 72, flops=2 * 20 * 20 * 8 * 72 + 8 * 20 * 20),
    # TF-style asymmetric [t, b, l, r] = [0, 1, 0, 1], stride 2: floor((112 + 1 - 3)/2) + 1 = 55 + 1 = 56
    Case("conv-asym-pad-tf", "conv", {"out": 32, "kernel": 3, "stride": 2, "padding": [0, 1, 0, 1]},
         [(32, 112, 112)], (32, 56, 56), params=9 * 32 * 32 + 32, macs=56 * 56 * 32 * 288,
         flops=2 * 56 * 56 * 32 * 288 + 32 * 56 * 56),
    # asymmetric, all four different: H' = 10 + 1 + 2 - 3 + 1 = 11, W' = 12 + 0 + 3 - 3 + 1 = 13
    Case("conv-asym-pad-1-2-0-3", "conv", {"out": 5, "kernel": 3, "padding": [1, 2, 0, 3]}, [(8, 10, 12)],
         (5, 11, 13), params=9 * 8 * 5 + 5, macs=11 * 13 * 5 * 72, flops=2 * 11 * 13 * 5 * 72 + 5 * 11 * 13),
    # 'valid' is padding 0: 10 - 3 + 1 = 8
    Case("conv-valid", "conv", {"out": 1, "kernel": 3, "padding": "valid"}, [(1, 10, 10)], (1, 8, 8),
         params=9 + 1, macs=8 * 8 * 9, flops=2 * 8 * 8 * 9 + 8 * 8),
    # ------------------------------------------------------------------------------------------------ dwconv
    # MobileNet depthwise 3x3: one 3x3 filter per channel
    Case("dwconv-3x3", "dwconv", {"kernel": 3, "padding": 1}, [(32, 112, 112)], (32, 112, 112),
         params=32 * 1 * 9 + 32, macs=112 * 112 * 32 * (1 * 9), flops=2 * 112 * 112 * 32 * 9 + 32 * 112 * 112),
    # multiplier 2, stride 2: out = 32*2 = 64 channels, each filter sees 1 channel; floor((112 + 2 - 3)/2) + 1 = 56
    Case("dwconv-multiplier2-stride2", "dwconv", {"kernel": 3, "stride": 2, "padding": 1, "multiplier": 2},
         [(32, 112, 112)], (64, 56, 56), params=64 * 1 * 9 + 64, macs=56 * 56 * 64 * 9,
         flops=2 * 56 * 56 * 64 * 9 + 64 * 56 * 56),
    # ------------------------------------------------------------------------------------------------ pwconv
    # 1x1 conv: params in*out + out, MACs H*W*out*in
    Case("pwconv", "pwconv", {"out": 64}, [(32, 56, 56)], (64, 56, 56), params=32 * 64 + 64,
         macs=56 * 56 * 64 * 32, flops=2 * 56 * 56 * 64 * 32 + 64 * 56 * 56),
    # 1x1 stride 2 without bias (ResNet downsample): floor((56 - 1)/2) + 1 = 28
    Case("pwconv-stride2-nobias", "pwconv", {"out": 128, "stride": 2, "bias": False}, [(64, 56, 56)],
         (128, 28, 28), params=64 * 128, macs=28 * 28 * 128 * 64, flops=2 * 28 * 28 * 128 * 64),
    # ------------------------------------------------------------------------------------------------ deconv
    # U-Net up-convolution 2x2 stride 2: (28-1)*2 + (2-1) + 1 = 56; weight C x out x 2 x 2;
    # MACs: every input element times out*k*k (fvcore)
    Case("deconv-unet-2x2-s2", "deconv", {"out": 512, "kernel": 2, "stride": 2}, [(1024, 28, 28)],
         (512, 56, 56), params=1024 * 512 * 2 * 2 + 512, macs=1024 * 28 * 28 * (512 * 2 * 2),
         flops=2 * 1024 * 28 * 28 * 512 * 4 + 512 * 56 * 56,
         tensors={"weight": 1024 * 512 * 4, "bias": 512}),
    # DCGAN 4x4 stride 2 padding 1 doubles: (7-1)*2 - 2*1 + (4-1) + 1 = 14
    Case("deconv-k4-s2-p1", "deconv", {"out": 256, "kernel": 4, "stride": 2, "padding": 1, "bias": False},
         [(512, 7, 7)], (256, 14, 14), params=512 * 256 * 16, macs=512 * 7 * 7 * 256 * 16,
         flops=2 * 512 * 7 * 7 * 256 * 16),
    # output_padding 1: (8-1)*2 - 2*1 + (3-1) + 1 + 1 = 16
    Case("deconv-output-padding", "deconv", {"out": 16, "kernel": 3, "stride": 2, "padding": 1,
                                             "output_padding": 1}, [(32, 8, 8)], (16, 16, 16),
         params=32 * 16 * 9 + 16, macs=32 * 8 * 8 * 16 * 9, flops=2 * 32 * 8 * 8 * 16 * 9 + 16 * 16 * 16),
    # groups 2 and stride 1: (5-1)*1 + (3-1) + 1 = 7; weight C x out/groups x k x k
    Case("deconv-groups2", "deconv", {"out": 8, "kernel": 3, "groups": 2}, [(4, 5, 5)], (8, 7, 7),
         params=4 * (8 // 2) * 9 + 8, macs=4 * 5 * 5 * (8 // 2) * 9, flops=2 * 4 * 5 * 5 * 4 * 9 + 8 * 7 * 7),
    # dilation 2: (5-1)*1 + 2*(3-1) + 1 = 9
    Case("deconv-dilation2", "deconv", {"out": 2, "kernel": 3, "dilation": 2, "bias": False}, [(1, 5, 5)],
         (2, 9, 9), params=1 * 2 * 9, macs=1 * 5 * 5 * 2 * 9, flops=2 * 5 * 5 * 2 * 9),
    # ------------------------------------------------------------------------------------------------ maxpool
    # AlexNet overlapping pool: floor((55 - 3)/2) + 1 = 27; 3*3 - 1 = 8 comparisons per output
    Case("maxpool-alexnet", "maxpool", {"kernel": 3, "stride": 2}, [(96, 55, 55)], (96, 27, 27),
         params=0, macs=0, flops=96 * 27 * 27 * (3 * 3 - 1)),
    # stride defaults to the kernel: 224/2 = 112
    Case("maxpool-default-stride", "maxpool", {"kernel": 2}, [(64, 224, 224)], (64, 112, 112),
         params=0, macs=0, flops=64 * 112 * 112 * (2 * 2 - 1)),
    # ResNet pool with padding 1: floor((112 + 2 - 3)/2) + 1 = 55 + 1 = 56
    Case("maxpool-resnet-pad1", "maxpool", {"kernel": 3, "stride": 2, "padding": 1}, [(64, 112, 112)],
         (64, 56, 56), params=0, macs=0, flops=64 * 56 * 56 * 8),
    # floor mode 112 -> floor(109/2) + 1 = 55 ...
    Case("maxpool-112-floor", "maxpool", {"kernel": 3, "stride": 2}, [(64, 112, 112)], (64, 55, 55),
         params=0, macs=0, flops=64 * 55 * 55 * 8),
    # ... ceil mode (GoogLeNet): ceil(109/2) + 1 = 56; last window starts at 55*2 = 110 < 112: kept (PyTorch: 56)
    Case("maxpool-112-ceil", "maxpool", {"kernel": 3, "stride": 2, "ceil_mode": True}, [(64, 112, 112)],
         (64, 56, 56), params=0, macs=0, flops=64 * 56 * 56 * 8),
    # 7x7, kernel 3 stride 3, floor: floor(4/3) + 1 = 2 (the last row is never seen)
    Case("maxpool-7-k3s3-floor", "maxpool", {"kernel": 3, "stride": 3}, [(8, 7, 7)], (8, 2, 2),
         params=0, macs=0, flops=8 * 2 * 2 * 8),
    # ... ceil mode: ceil(4/3) + 1 = 3; last window starts at 2*3 = 6 < 7: kept (PyTorch: 3)
    Case("maxpool-7-k3s3-ceil", "maxpool", {"kernel": 3, "stride": 3, "ceil_mode": True}, [(8, 7, 7)],
         (8, 3, 3), params=0, macs=0, flops=8 * 3 * 3 * 8),
    # ceil mode where PyTorch drops the last window: ceil((5 + 2 - 2)/2) + 1 = 4, but (4-1)*2 = 6 >= 5 + 1,
    # so 3 (the same as floor((5 + 2 - 2)/2) + 1 = 3)
    Case("maxpool-ceil-drops-window", "maxpool", {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True},
         [(8, 5, 5)], (8, 3, 3), params=0, macs=0, flops=8 * 3 * 3 * (2 * 2 - 1)),
    # dilation 2: span 5, 9 - 5 + 1 = 5
    Case("maxpool-dilation2", "maxpool", {"kernel": 3, "stride": 1, "dilation": 2}, [(4, 9, 9)], (4, 5, 5),
         params=0, macs=0, flops=4 * 5 * 5 * 8),
    # ------------------------------------------------------------------------------------------------ avgpool
    # 2x2 stride 2: kh*kw = 4 FLOPs per output (3 adds, 1 divide)
    Case("avgpool-2x2", "avgpool", {"kernel": 2, "stride": 2}, [(64, 8, 8)], (64, 4, 4),
         params=0, macs=0, flops=64 * 4 * 4 * (2 * 2)),
    # Inception branch pool 3x3 stride 1 pad 1: 35 + 2 - 3 + 1 = 35
    Case("avgpool-3x3-s1-p1", "avgpool", {"kernel": 3, "stride": 1, "padding": 1}, [(192, 35, 35)],
         (192, 35, 35), params=0, macs=0, flops=192 * 35 * 35 * 9),
    # ceil mode: ceil((14 - 3)/2) + 1 = 6 + 1 = 7 (floor would give 6); last start 12 < 14: kept
    Case("avgpool-ceil", "avgpool", {"kernel": 3, "stride": 2, "ceil_mode": True}, [(8, 14, 14)], (8, 7, 7),
         params=0, macs=0, flops=8 * 7 * 7 * 9),
    # ------------------------------------------------------------------------------------------------ adaptive
    # 6x6 -> 6x6: windows of 1, sums 6 and 6
    Case("adaptive-identity-6", "adaptive_avgpool", {"size": 6}, [(256, 6, 6)], (256, 6, 6),
         params=0, macs=0, flops=256 * 6 * 6),
    # 14 -> 7: windows of 2, sum 14 per axis
    Case("adaptive-14-to-7", "adaptive_avgpool", {"size": 7}, [(512, 14, 14)], (512, 7, 7),
         params=0, macs=0, flops=512 * 14 * 14),
    # 13 -> 6 (AlexNet at 227 without the last pool's fit): windows [0,3) [2,5) [4,7) [6,9) [8,11) [10,13),
    # each 3 long: sum 6*3 = 18 per axis
    Case("adaptive-13-to-6", "adaptive_avgpool", {"size": 6}, [(256, 13, 13)], (256, 6, 6),
         params=0, macs=0, flops=256 * (6 * 3) * (6 * 3)),
    # [2, 3] from 5x7: H windows [0,3) [2,5) -> 6; W windows [0,3) [2,5) [4,7) -> 9
    Case("adaptive-rect-5x7-to-2x3", "adaptive_avgpool", {"size": [2, 3]}, [(8, 5, 7)], (8, 2, 3),
         params=0, macs=0, flops=8 * (3 + 3) * (3 + 3 + 3)),
    # upsampling 3 -> 4: windows [0,1) [0,2) [1,3) [2,3) -> 1 + 2 + 2 + 1 = 6 per axis
    Case("adaptive-3-to-4", "adaptive_avgpool", {"size": 4}, [(2, 3, 3)], (2, 4, 4),
         params=0, macs=0, flops=2 * (1 + 2 + 2 + 1) * (1 + 2 + 2 + 1)),
    # 10 -> 3: [0,4) [3,7) [6,10) -> 12 (windows overlap); cross-checked by the independent helper
    Case("adaptive-10-to-3", "adaptive_avgpool", {"size": 3}, [(1, 10, 10)], (1, 3, 3),
         params=0, macs=0, flops=1 * (4 + 4 + 4) * _adaptive_sum(10, 3)),
    # ------------------------------------------------------------------------------------------------ global
    # ResNet head: one add per input element, the divides are within the window count: C*H*W
    Case("global-avgpool", "global_avgpool", {}, [(2048, 7, 7)], (2048, 1, 1), params=0, macs=0,
         flops=2048 * 7 * 7),
    # ------------------------------------------------------------------------------------------------ linear
    # AlexNet fc6: 9216*4096 weights + 4096 biases
    Case("linear-fc6", "linear", {"out": 4096}, [(9216,)], (4096,), params=9216 * 4096 + 4096,
         macs=9216 * 4096, flops=2 * 9216 * 4096 + 4096, tensors={"weight": 9216 * 4096, "bias": 4096}),
    Case("linear-nobias", "linear", {"out": 10, "bias": False}, [(512,)], (10,), params=512 * 10,
         macs=512 * 10, flops=2 * 512 * 10),
    # ------------------------------------------------------------------------------------------------ views
    Case("flatten", "flatten", {}, [(256, 6, 6)], (256 * 6 * 6,), params=0, macs=0, flops=0),
    Case("identity", "identity", {}, [(5, 6, 7)], (5, 6, 7), params=0, macs=0, flops=0),
    # ------------------------------------------------------------------------------------------------ norms
    # batchnorm: gamma + beta = 2C params; running mean + var + num_batches_tracked = 2C + 1 buffers;
    # 2 FLOPs per element (folded scale and shift)
    Case("batchnorm", "batchnorm", {}, [(64, 112, 112)], (64, 112, 112), params=2 * 64, macs=0,
         flops=64 * 112 * 112 * 2, buffers=2 * 64 + 1, tensors={"weight": 64, "bias": 64}),
    Case("batchnorm-no-affine", "batchnorm", {"affine": False}, [(32, 4, 4)], (32, 4, 4), params=0, macs=0,
         flops=32 * 4 * 4 * 2, buffers=2 * 32 + 1),
    Case("batchnorm-flat", "batchnorm", {}, [(512,)], (512,), params=2 * 512, macs=0, flops=512 * 2,
         buffers=2 * 512 + 1),
    # LRN size 5: 2*5 + 3 = 13 FLOPs per element
    Case("lrn-alexnet", "lrn", {"size": 5}, [(96, 55, 55)], (96, 55, 55), params=0, macs=0,
         flops=96 * 55 * 55 * (2 * 5 + 3)),
    Case("lrn-size3", "lrn", {"size": 3, "alpha": 1e-4, "beta": 0.75, "k": 2}, [(4, 2, 2)], (4, 2, 2),
         params=0, macs=0, flops=4 * 2 * 2 * (2 * 3 + 3)),
    # dropout is the identity at inference
    Case("dropout", "dropout", {"p": 0.5}, [(4096,)], (4096,), params=0, macs=0, flops=0),
    # ------------------------------------------------------------------------------------------------ activations
    # per-element FLOPs from activation.py's docstring
    Case("relu", "relu", {}, [(64, 56, 56)], (64, 56, 56), params=0, macs=0, flops=64 * 56 * 56 * 1),
    Case("relu-flat", "relu", {}, [(4096,)], (4096,), params=0, macs=0, flops=4096 * 1),
    Case("relu6", "relu6", {}, [(32, 7, 7)], (32, 7, 7), params=0, macs=0, flops=32 * 7 * 7 * 2),
    Case("leaky_relu", "leaky_relu", {"slope": 0.2}, [(16, 8, 8)], (16, 8, 8), params=0, macs=0,
         flops=16 * 8 * 8 * 2),
    Case("tanh", "tanh", {}, [(100,)], (100,), params=0, macs=0, flops=100 * 5),
    Case("sigmoid", "sigmoid", {}, [(8, 3, 3)], (8, 3, 3), params=0, macs=0, flops=8 * 3 * 3 * 4),
    Case("hardswish", "hardswish", {}, [(16, 4, 4)], (16, 4, 4), params=0, macs=0, flops=16 * 4 * 4 * 5),
    Case("silu", "silu", {}, [(24, 5, 5)], (24, 5, 5), params=0, macs=0, flops=24 * 5 * 5 * 5),
    Case("gelu", "gelu", {}, [(768,)], (768,), params=0, macs=0, flops=768 * 5),
    # PReLU: one slope per channel by default (compare + multiply = 2 per element)
    Case("prelu", "prelu", {}, [(64, 56, 56)], (64, 56, 56), params=64, macs=0, flops=64 * 56 * 56 * 2,
         tensors={"weight": 64}),
    Case("prelu-shared", "prelu", {"shared": True}, [(64, 56, 56)], (64, 56, 56), params=1, macs=0,
         flops=64 * 56 * 56 * 2),
    # softmax: 5 per element
    Case("softmax", "softmax", {}, [(1000,)], (1000,), params=0, macs=0, flops=1000 * 5),
    # ------------------------------------------------------------------------------------------------ merges
    # add of 3 inputs: 3 - 1 = 2 adds per element
    Case("add-3-inputs", "add", {}, [(256, 56, 56)] * 3, (256, 56, 56), params=0, macs=0,
         flops=256 * 56 * 56 * (3 - 1)),
    Case("add-2-flat", "add", {}, [(10,), (10,)], (10,), params=0, macs=0, flops=10 * 1),
    # Inception concat 64 + 128 + 32 + 32 = 256 channels
    Case("concat-inception", "concat", {}, [(64, 28, 28), (128, 28, 28), (32, 28, 28), (32, 28, 28)],
         (64 + 128 + 32 + 32, 28, 28), params=0, macs=0, flops=0),
    Case("concat-flat", "concat", {}, [(10,), (20,)], (10 + 20,), params=0, macs=0, flops=0),
    # SE scaling: (C,H,W) * (C,1,1) broadcasts to (C,H,W), one multiply per output element
    Case("mul-broadcast", "mul", {}, [(256, 56, 56), (256, 1, 1)], (256, 56, 56), params=0, macs=0,
         flops=256 * 56 * 56),
    Case("mul-broadcast-reversed", "mul", {}, [(256, 1, 1), (256, 56, 56)], (256, 56, 56), params=0, macs=0,
         flops=256 * 56 * 56),
    Case("mul-same", "mul", {}, [(4, 3, 3), (4, 3, 3)], (4, 3, 3), params=0, macs=0, flops=4 * 3 * 3),
    # ------------------------------------------------------------------------------------------------ reshuffles
    Case("channel_shuffle", "channel_shuffle", {"groups": 3}, [(240, 28, 28)], (240, 28, 28), params=0, macs=0,
         flops=0),
    # ShuffleNet v2 channel split: the second half of 116 channels, a view
    Case("slice-range", "slice", {"start": 58}, [(116, 28, 28)], (116 - 58, 28, 28), params=0, macs=0, flops=0),
    Case("slice-start-stop", "slice", {"start": 2, "stop": 5}, [(8,)], (5 - 2,), params=0, macs=0, flops=0),
    # LeNet-5 C3: one of its maps reads S2 maps 0, 4 and 5 (table I, wrapping round)
    Case("slice-index", "slice", {"index": [4, 5, 0]}, [(6, 14, 14)], (3, 14, 14), params=0, macs=0, flops=0),
    # nearest x2: a copy
    Case("upsample-nearest", "upsample", {"scale": 2}, [(64, 28, 28)], (64, 56, 56), params=0, macs=0, flops=0),
    # bilinear x2: 9 per output element
    Case("upsample-bilinear", "upsample", {"scale": 2, "mode": "bilinear"}, [(64, 28, 28)], (64, 56, 56),
         params=0, macs=0, flops=64 * 56 * 56 * 9),
    # per-axis scale [2, 3]
    Case("upsample-scale-2x3", "upsample", {"scale": [2, 3]}, [(3, 10, 10)], (3, 10 * 2, 10 * 3),
         params=0, macs=0, flops=0),
    # to a given size, bilinear: 9 * 3*20*30
    Case("upsample-size", "upsample", {"size": [20, 30], "mode": "bilinear"}, [(3, 10, 10)], (3, 20, 30),
         params=0, macs=0, flops=3 * 20 * 30 * 9),
    # centre crop to a size
    Case("crop-size", "crop", {"size": [56, 56]}, [(64, 64, 64)], (64, 56, 56), params=0, macs=0, flops=0),
    # U-Net copy-and-crop: the skip (64x136x136) cropped to the up path's 104x104; channels of the first input
    Case("crop-two-inputs", "crop", {}, [(64, 136, 136), (128, 104, 104)], (64, 104, 104), params=0, macs=0,
         flops=0),
    Case("zeropad-int", "zeropad", {"padding": 1}, [(3, 224, 224)], (3, 224 + 2, 224 + 2), params=0, macs=0,
         flops=0),
    Case("zeropad-hw", "zeropad", {"padding": [1, 2]}, [(3, 10, 10)], (3, 10 + 2, 10 + 4), params=0, macs=0,
         flops=0),
    Case("zeropad-tblr", "zeropad", {"padding": [0, 1, 2, 3]}, [(3, 10, 10)], (3, 10 + 0 + 1, 10 + 2 + 3),
         params=0, macs=0, flops=0),
    # SKNet's attention: 2C logits read as 2 x C, softmax across the 2 paths; 5 FLOPs per element
    Case("softmax-groups", "softmax", {"groups": 2}, [(256, 1, 1)], (256, 1, 1), params=0, macs=0, flops=256 * 5),
    # Caffe Scale after BatchNorm: gamma and beta per channel; multiply and add per element
    Case("scale-bias", "scale", {}, [(64, 56, 56)], (64, 56, 56), params=2 * 64, macs=0, flops=2 * 64 * 56 * 56,
         tensors={"weight": 64, "bias": 64}),
    Case("scale-nobias", "scale", {"bias": False}, [(6, 14, 14)], (6, 14, 14), params=6, macs=0,
         flops=6 * 14 * 14),
    # Inception-ResNet's residual scaling: a constant factor, no parameters, one multiply per element
    Case("scale-value", "scale", {"value": 0.17}, [(320, 35, 35)], (320, 35, 35), params=0, macs=0,
         flops=320 * 35 * 35),
    # LeNet-5 output: 10 RBF units on F6's 84 outputs; sum_j (x_j - w_ij)^2 is 3 FLOPs per weight
    Case("rbf-lenet", "rbf", {"out": 10}, [(84,)], (10,), params=84 * 10, macs=84 * 10, flops=3 * 84 * 10,
         tensors={"weight": 840}),
    # ------------------------------------------------------------------------------------------------ custom
    # nothing known: params 0 (default), MACs and FLOPs unknown (None, never 0)
    Case("custom-unknown", "custom", {"op": "roi_align", "shape": [256, 7, 7]}, [(256, 50, 50)], (256, 7, 7),
         params=0, macs=UNKNOWN, flops=UNKNOWN),
    # MACs known, FLOPs still unknown
    Case("custom-macs-only", "custom", {"shape": [10], "macs": 1000}, [(5, 5, 5)], (10,), params=0, macs=1000,
         flops=UNKNOWN),
    # everything given, including an explicit 0 MACs (known zero, not unknown)
    Case("custom-all-given", "custom", {"op": "nms", "shape": [4, 2, 2], "params": 100, "macs": 0, "flops": 12},
         [(4, 8, 8), (4, 2, 2)], (4, 2, 2), params=100, macs=0, flops=12),
]


def _analyse(case: Case):
    layer = KINDS[case.kind].build(dict(case.args))
    out = tuple(layer.output_shape(list(case.ins)))
    return layer, out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_layer(case: Case):
    layer, out = _analyse(case)
    assert out == case.out
    params = layer.params(case.ins)
    assert sum(params.values()) == case.params
    if case.tensors is not None:
        assert params == case.tensors
    assert sum(layer.buffers(case.ins).values()) == case.buffers
    macs, flops = layer.macs(case.ins, out), layer.flops(case.ins, out)
    if case.macs is None:
        assert macs is None, "an unknown count must be None, never 0"
    else:
        assert macs == case.macs
    if case.flops is None:
        assert flops is None, "an unknown count must be None, never 0"
    else:
        assert flops == case.flops


def test_every_kind_has_a_case():
    covered = {c.kind for c in CASES}
    missing = sorted(set(KINDS) - covered)
    assert not missing, f"layer kinds without a test case: {missing}"


def test_case_ids_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def test_aliases_resolve_to_their_kind():
    for name, cls in REGISTRY.items():
        assert name == cls.kind or name in cls.aliases
    assert REGISTRY["fc"] is KINDS["linear"]
    assert REGISTRY["bn"] is KINDS["batchnorm"]
    assert REGISTRY["swish"] is KINDS["silu"]
    assert REGISTRY["conv2d"] is KINDS["conv"]


def test_batchnorm_buffer_names():
    bn = KINDS["batchnorm"].build({})
    assert bn.buffers([(64, 8, 8)]) == {"running_mean": 64, "running_var": 64, "num_batches_tracked": 1}


def test_adaptive_helper_agrees_with_table():
    # the independent helper reproduces the hand-derived window sums used above
    assert _adaptive_sum(13, 6) == 6 * 3
    assert _adaptive_sum(5, 2) == 3 + 3
    assert _adaptive_sum(7, 3) == 3 + 3 + 3
    assert _adaptive_sum(3, 4) == 1 + 2 + 2 + 1
    assert _adaptive_sum(14, 7) == 14


# ---------------------------------------------------------------------------------------------------- derivations
from conftest import arith as _arith  # noqa: E402  (shared with test_explain.py)


_SHAPE_LINE = re.compile(r"^([HW])' = (.+?) = (-?[\d.]+)(?: -> (floor|ceil) (\d+)"
                         r"(?:, less the last window \(it would start in the padding\) = (\d+))?)?$")


def check_shape_line(line: str, out: tuple) -> None:
    """``H' = <formula> = <value>[ -> floor|ceil N]``: the formula evaluates to the value, which rounds to the
    output size."""
    m = _SHAPE_LINE.match(line)
    if not m:
        return None
    axis, formula, shown, how, rounded, dropped = m.groups()
    want = out[1] if axis == "H" else out[2]
    exact = _arith(formula)
    final = int(dropped) if dropped else int(rounded) if rounded else int(shown)
    assert final == want, f"{line!r}: ends with {final}, output {axis} is {want}"
    if how is None:
        assert exact == int(shown), f"{line!r}: the formula evaluates to {exact}, not {shown}"
    else:
        assert abs(float(exact) - float(shown)) < 0.006, f"{line!r}: the formula evaluates to {float(exact):.4f}"
        if how == "floor":
            assert math.floor(exact) == final, f"{line!r}: floor({exact}) is {math.floor(exact)}"
        else:  # ceil mode may drop a last window that would start in the right padding (PyTorch), and says so
            assert int(rounded) == math.ceil(exact), line
            assert final == (int(rounded) - 1 if dropped else int(rounded)), line
    return axis


def check_channel_line(line: str, out: tuple) -> None:
    """``C' = 64 filters [in 4 groups]`` or ``C' = C = 64``: the first number after the last ``=`` is C'."""
    if line.startswith("C' ="):
        m = re.search(r"=\s*(\d+)[^=]*$", line)
        assert m and int(m.group(1)) == out[0], f"{line!r}: output channels are {out[0]}"


# kinds whose derivation states H' and W' as formulas
WINDOWED = {"conv", "dwconv", "pwconv", "deconv", "maxpool", "avgpool", "zeropad"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_derivation_matches_numbers(case: Case):
    layer, out = _analyse(case)
    d = layer.derivation(case.ins, out)
    assert _arith(d["params"]) == sum(layer.params(case.ins).values())
    for key, value in (("macs", layer.macs(case.ins, out)), ("flops", layer.flops(case.ins, out))):
        if value is None:
            assert key not in d, f"{key} is unknown but the derivation gives {d[key]!r}"
        else:
            assert _arith(d[key]) == value, f"{key}: {d[key]!r}"
    axes = set()
    for line in d["shape"]:
        axes.add(check_shape_line(line, out))
        check_channel_line(line, out)
    if case.kind in WINDOWED:
        assert {"H", "W"} <= axes, f"no H'/W' formula lines in {d['shape']}"


# ---------------------------------------------------------------------------------------------------- errors
def _run(kind, args, ins):
    layer = KINDS[kind].build(dict(args))
    out = layer.output_shape(list(ins))
    layer.params(list(ins))
    layer.macs(list(ins), out)
    return out


ERRORS = [
    # groups must divide the input channels: 64 % 3 != 0
    ("conv-groups-in", "conv", {"out": 63, "kernel": 3, "groups": 3}, [(64, 8, 8)], ShapeError,
     r"groups 3 does not divide the 64 input channels"),
    # ... and the output channels: 10 % 4 != 0
    ("conv-groups-out", "conv", {"out": 10, "kernel": 3, "groups": 4}, [(8, 8, 8)], ShapeError,
     r"groups 4 does not divide the 10 output channels"),
    # kernel 7 on a 5x5 input without padding: 5 - 7 + 1 = -1; the message quotes window, padded input, stride
    ("conv-kernel-too-large", "conv", {"out": 8, "kernel": 7}, [(3, 5, 5)], ShapeError,
     r"output height would be -1: window 7 \(kernel 7\) is larger than the padded input 5 \(5 \+ 0 \+ 0\) "
     r"with stride 1"),
    # the width axis, with padding and dilation: span 2*(3-1)+1 = 5 > 2 + 1 + 1 = 4
    ("conv-kernel-too-large-w", "conv", {"out": 8, "kernel": [1, 3], "dilation": 2, "padding": [0, 1]},
     [(3, 5, 2)], ShapeError,
     r"output width would be 0: window 5 \(kernel 3, dilation 2\) is larger than the padded input 4 "
     r"\(2 \+ 1 \+ 1\)"),
    ("maxpool-kernel-too-large", "maxpool", {"kernel": 3, "stride": 2}, [(3, 2, 2)], ShapeError,
     r"window 3 \(kernel 3\) is larger than the padded input 2"),
    ("linear-spatial", "linear", {"out": 10}, [(256, 6, 6)], ShapeError,
     r"linear needs a flat input, got 256x6x6"),
    ("add-mismatch", "add", {}, [(64, 28, 28), (64, 14, 14)], MergeMismatch,
     r"shapes differ \(64x28x28 vs 64x14x14\)"),
    ("add-mismatch-third", "add", {}, [(8, 4, 4), (8, 4, 4), (4, 4, 4)], MergeMismatch,
     r"shapes differ \(8x4x4 vs 4x4x4\)"),
    ("concat-hw-mismatch", "concat", {}, [(64, 28, 28), (32, 27, 28)], MergeMismatch,
     r"height and width differ \(64x28x28 vs 32x27x28\)"),
    ("concat-rank-mismatch", "concat", {}, [(64,), (32, 1, 1)], MergeMismatch, r"rank differ"),
    ("mul-no-broadcast", "mul", {}, [(64, 28, 28), (32, 1, 1)], MergeMismatch, r"cannot broadcast"),
    ("unknown-argument", "conv", {"out": 8, "kernel": 3, "strides": 2}, [(3, 8, 8)], SpecError,
     r"conv: unknown argument 'strides'"),
    ("missing-required", "conv", {"kernel": 3}, [(3, 8, 8)], SpecError,
     r"conv: missing required argument 'out'"),
    ("missing-required-linear", "linear", {}, [(8,)], SpecError, r"linear: missing required argument 'out'"),
    ("stride-0", "conv", {"out": 8, "kernel": 3, "stride": 0}, [(3, 8, 8)], SpecError,
     r"'stride' must be a positive integer"),
    ("pool-stride-0", "maxpool", {"kernel": 2, "stride": [1, 0]}, [(3, 8, 8)], SpecError,
     r"'stride' must be a positive integer"),
    ("same-stride-2", "conv", {"out": 8, "kernel": 3, "stride": 2, "padding": "same"}, [(3, 8, 8)], SpecError,
     r"padding 'same' needs stride 1"),
    ("negative-padding", "conv", {"out": 8, "kernel": 3, "padding": -1}, [(3, 8, 8)], SpecError,
     r"'padding' must be an integer >= 0"),
    ("padding-3-values", "conv", {"out": 8, "kernel": 3, "padding": [1, 1, 1]}, [(3, 8, 8)], SpecError,
     r"'padding' must be"),
    ("bool-not-int", "conv", {"out": True, "kernel": 3}, [(3, 8, 8)], SpecError, r"'out' must be a positive"),
    ("dwconv-flat", "dwconv", {"kernel": 3}, [(64,)], ShapeError, r"dwconv needs a C x H x W input, got 64"),
    ("deconv-output-padding", "deconv", {"out": 8, "kernel": 3, "stride": 2, "output_padding": 2}, [(3, 8, 8)],
     SpecError, r"output_padding 2 must be smaller than the stride or the dilation"),
    ("deconv-groups", "deconv", {"out": 8, "kernel": 3, "groups": 3}, [(6, 8, 8)], ShapeError,
     r"groups 3 must divide both the 6 input and the 8 output channels"),
    # PyTorch: pad should be at most half of the (effective) kernel: 2 > 3//2
    ("maxpool-pad-too-large", "maxpool", {"kernel": 3, "padding": 2}, [(3, 8, 8)], SpecError,
     r"padding 2 is more than half the window 3"),
    ("pool-same", "avgpool", {"kernel": 3, "padding": "same"}, [(3, 8, 8)], SpecError,
     r"padding 'same' is not supported for pooling"),
    ("upsample-both", "upsample", {"scale": 2, "size": 8}, [(3, 4, 4)], SpecError,
     r"give exactly one of 'scale' and 'size'"),
    ("upsample-neither", "upsample", {}, [(3, 4, 4)], SpecError, r"give exactly one of 'scale' and 'size'"),
    ("upsample-mode", "upsample", {"scale": 2, "mode": "bicubic"}, [(3, 4, 4)], SpecError,
     r"'mode' must be one of nearest, bilinear"),
    ("crop-too-large", "crop", {"size": [10, 10]}, [(3, 8, 8)], ShapeError,
     r"crop: target 10x10 is larger than the input 3x8x8"),
    ("crop-no-target", "crop", {}, [(3, 8, 8)], SpecError, r"give 'size' or a second input"),
    ("crop-both", "crop", {"size": 4}, [(3, 8, 8), (3, 4, 4)], SpecError, r"either 'size' or a second input"),
    ("channel-shuffle-groups", "channel_shuffle", {"groups": 5}, [(24, 4, 4)], ShapeError,
     r"groups 5 does not divide the 24 channels"),
    ("slice-past-end", "slice", {"start": 2, "stop": 9}, [(8, 4, 4)], ShapeError, r"stop 9 is past the 8 channels"),
    ("slice-index-missing", "slice", {"index": [0, 8]}, [(8, 4, 4)], ShapeError, r"channel 8 does not exist"),
    ("slice-both", "slice", {"start": 1, "index": [0]}, [(8, 4, 4)], SpecError, r"either 'index' or 'start'"),
    ("slice-empty", "slice", {"start": 4, "stop": 4}, [(8, 4, 4)], SpecError, r"'stop' \(4\) must be greater"),
    ("slice-index-type", "slice", {"index": "0,1"}, [(8, 4, 4)], SpecError, r"'index' must be a non-empty list"),
    ("softmax-groups", "softmax", {"groups": 3}, [(256, 1, 1)], ShapeError, r"groups 3 does not divide the 256"),
    ("rbf-spatial", "rbf", {"out": 10}, [(84, 2, 2)], ShapeError, r"rbf needs a flat input"),
    ("zeropad-same", "zeropad", {"padding": "same"}, [(3, 4, 4)], SpecError, r"'same' has no meaning"),
    ("dropout-p", "dropout", {"p": 1.5}, [(10,)], SpecError, r"'p' must be between 0 and 1"),
    ("custom-shape", "custom", {"shape": [3, 4]}, [(3, 4, 4)], SpecError, r"'shape' must be \[C, H, W\]"),
    ("custom-negative", "custom", {"shape": [3], "macs": -1}, [(3,)], SpecError, r"'macs' must be an integer >= 0"),
]


@pytest.mark.parametrize("kind,args,ins,exc,match", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(kind, args, ins, exc, match):
    assert issubclass(exc, ArchstatError)
    with pytest.raises(exc, match=match) as info:
        _run(kind, args, ins)
    assert isinstance(info.value, ArchstatError)
    assert "\n" not in str(info.value)


def test_valid_neighbours_of_error_cases():
    """The boundaries just inside the error cases work (so the errors above are not raised by accident)."""
    assert _run("conv", {"out": 8, "kernel": 5}, [(3, 5, 5)]) == (8, 1, 1)  # 5 - 5 + 1 = 1
    assert _run("conv", {"out": 8, "kernel": 7, "padding": 1}, [(3, 5, 5)]) == (8, 1, 1)  # 5 + 2 - 7 + 1 = 1
    assert _run("maxpool", {"kernel": 3, "padding": 1}, [(3, 8, 8)]) == (3, 3, 3)  # floor((8 + 2 - 3)/3) + 1 = 3
    # (8-1)*2 - 2*0 + 1*(3-1) + 1 + 1 = 18
    assert _run("deconv", {"out": 8, "kernel": 3, "stride": 2, "output_padding": 1}, [(3, 8, 8)]) == (8, 18, 18)
    assert _run("conv", {"out": 9, "kernel": 3, "groups": 3}, [(6, 8, 8)]) == (9, 6, 6)  # 6 and 9 divide by 3
    assert _run("crop", {"size": [8, 8]}, [(3, 8, 8)]) == (3, 8, 8)  # cropping to the full size is fine

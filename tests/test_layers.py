"""Every layer kind against its own hand-derived examples (torchscan style), found through the registry.

Each kind carries ``examples`` in its file (``archstat/layers/<kind>.py``), every expected value written as the
arithmetic that gives it, with PyTorch's documented rules:

- Conv2d / pooling:  H' = floor((H + p_top + p_bottom - d*(k-1) - 1) / s) + 1
- ceil_mode:         H' = ceil(...) + 1, then H' -= 1 if (H'-1)*s >= H + p_top (a window may not start in the
                     right padding)
- ConvTranspose2d:   H' = (H-1)*s - 2p + d*(k-1) + output_padding + 1
- AdaptiveAvgPool2d: window i of n over N inputs is floor(i*N/n) .. ceil((i+1)*N/n)

and archstat's documented counting conventions (MACs of conv = output elements * (C/g)*kh*kw; FLOPs = 2*MACs
+ bias adds; per-element FLOPs of the pointwise ops as the module docstrings state them). These tests run over
the registry: a new kind's file is picked up with no edit here.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest

from archstat.errors import ArchstatError, ShapeError, SpecError
from archstat.layers import KINDS, REGISTRY, Example, MergeMismatch, lookup

CASES = [(cls, ex) for cls in KINDS.values() for ex in cls.examples]
CASE_IDS = [ex.id for _, ex in CASES]


def _adaptive_sum(n_in, n_out):
    """Independent re-derivation of PyTorch's adaptive windows: sum of (ceil((i+1)N/n) - floor(iN/n))."""
    return sum(math.ceil(Fraction((i + 1) * n_in, n_out)) - math.floor(Fraction(i * n_in, n_out))
               for i in range(n_out))


def _analyse(cls, ex: Example):
    layer = cls.build(dict(ex.args))
    out = tuple(layer.output_shape(list(ex.ins)))
    return layer, out


@pytest.mark.parametrize("cls,ex", CASES, ids=CASE_IDS)
def test_layer(cls, ex: Example):
    layer, out = _analyse(cls, ex)
    assert out == ex.out
    params = layer.params(ex.ins)
    assert sum(params.values()) == ex.params
    if ex.tensors is not None:
        assert params == ex.tensors
    assert sum(layer.buffers(ex.ins).values()) == ex.buffers
    macs, flops = layer.macs(ex.ins, out), layer.flops(ex.ins, out)
    if ex.macs is None:
        assert macs is None, "an unknown count must be None, never 0"
    else:
        assert macs == ex.macs
    if ex.flops is None:
        assert flops is None, "an unknown count must be None, never 0"
    else:
        assert flops == ex.flops


def test_every_kind_has_an_example():
    missing = sorted(kind for kind, cls in KINDS.items() if not cls.__dict__.get("examples"))
    assert not missing, f"layer kinds without hand-derived examples in their file: {missing}"


def test_example_ids_unique():
    assert len(CASE_IDS) == len(set(CASE_IDS))
    assert len(CASE_IDS) >= 95  # the 94 cases these examples were moved from, and hardsigmoid's


def test_every_name_builds_its_examples():
    """Every alias resolves to its kind's class and builds the same layer from the same arguments."""
    for name, cls in REGISTRY.items():
        assert lookup(name) is cls
        for ex in cls.examples:
            a, b = REGISTRY[name].build(dict(ex.args)), KINDS[cls.kind].build(dict(ex.args))
            assert a.args == b.args and a.signature == b.signature and a.args_text() == b.args_text()
    assert lookup("no_such_kind") is None


def test_registration_refuses_a_taken_name():
    from archstat.layers import Layer, register

    class Twin(Layer):
        kind = "twin_of_conv"
        aliases = ("conv2d",)  # conv's alias

    with pytest.raises(ValueError, match=r"'conv2d' .* already taken by archstat\.layers\.conv\.Conv"):
        register(Twin)
    assert "twin_of_conv" not in REGISTRY and lookup("conv2d") is KINDS["conv"]


def test_arguments_are_a_frozen_record():
    """Arguments live in ``layer.args`` (frozen, hashable), not as attributes that could shadow methods."""
    import dataclasses

    conv = KINDS["conv"].build({"out": 8, "kernel": 3})
    assert conv.args.kernel == (3, 3) and conv.stride == (1, 1)  # attribute reads stay for reports and tests
    with pytest.raises(dataclasses.FrozenInstanceError):
        conv.args.kernel = (5, 5)
    hash(conv.args)
    custom = KINDS["custom"].build({"shape": [4], "params": 7, "macs": 3})
    assert custom.args.params == 7 and custom.params([(4,)]) == {"weight": 7}  # the argument, and the method
    assert custom.args_text() == "shape=4, params=7, macs=3"
    assert KINDS["pwconv"].build({"out": 4}).args.kernel == (1, 1)  # pinned by the variant, not an argument
    assert KINDS["maxpool"].build({"kernel": 3}).args.stride == (3, 3)  # the stride defaults to the kernel


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
    # the independent helper reproduces the hand-derived window sums in adaptive_pool.py's examples
    assert _adaptive_sum(13, 6) == 6 * 3
    assert _adaptive_sum(5, 2) == 3 + 3
    assert _adaptive_sum(7, 3) == 3 + 3 + 3
    assert _adaptive_sum(3, 4) == 1 + 2 + 2 + 1
    assert _adaptive_sum(14, 7) == 14
    assert _adaptive_sum(10, 3) == 4 + 4 + 4


# ---------------------------------------------------------------------------------------------------- derivations
from conftest import arith as _arith

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


def _states_axes(cls) -> bool:
    """Whether the kind's derivation states H' and W' as formulas (on any of its examples): then it must on all."""
    for ex in cls.examples:
        layer, out = _analyse(cls, ex)
        if any(_SHAPE_LINE.match(line) for line in layer.derivation(ex.ins, out)["shape"]):
            return True
    return False


WINDOWED = {kind for kind, cls in KINDS.items() if _states_axes(cls)}


def test_windowed_kinds_found():
    assert {"conv", "dwconv", "pwconv", "deconv", "maxpool", "avgpool", "zeropad"} <= WINDOWED


@pytest.mark.parametrize("cls,ex", CASES, ids=CASE_IDS)
def test_derivation_matches_numbers(cls, ex: Example):
    layer, out = _analyse(cls, ex)
    d = layer.derivation(ex.ins, out)
    assert _arith(d["params"]) == sum(layer.params(ex.ins).values())
    for key, value in (("macs", layer.macs(ex.ins, out)), ("flops", layer.flops(ex.ins, out))):
        if value is None:
            assert key not in d, f"{key} is unknown but the derivation gives {d[key]!r}"
        else:
            assert _arith(d[key]) == value, f"{key}: {d[key]!r}"
    axes = set()
    for line in d["shape"]:
        axes.add(check_shape_line(line, out))
        check_channel_line(line, out)
    if cls.kind in WINDOWED:
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
    ("group_norm-groups", "group_norm", {"groups": 3}, [(64, 8, 8)], ShapeError,
     r"groups 3 does not divide the 64 channels"),
    ("pixel_shuffle-channels", "pixel_shuffle", {"upscale": 2}, [(6, 4, 4)], ShapeError,
     r"the 6 input channels do not divide by upscale\*upscale = 4"),
    ("pixel_unshuffle-size", "pixel_unshuffle", {"downscale": 2}, [(3, 5, 4)], ShapeError,
     r"the 5x4 map does not divide by downscale 2"),
    ("permute-not-a-layout", "permute", {"dims": [0, 1, 3, 2]}, [(8, 4, 4)], SpecError,
     r"'dims' \[0, 1, 3, 2\] is not a layout change"),
    ("layer_scale-param-name", "layer_scale", {"param_name": "a.b"}, [(8, 4, 4)], SpecError,
     r"'param_name' must be a parameter name"),
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
    # ... of the kernel itself, whatever the dilation: span 3*(2-1)+1 = 4 would allow 2, PyTorch's 2//2 = 1 does not
    ("maxpool-dilated-pad-too-large", "maxpool", {"kernel": 2, "padding": 2, "dilation": 3}, [(3, 8, 8)], SpecError,
     r"padding 2 is more than half the kernel 2 \(whatever the dilation\)"),
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
    assert _run("linear", {"out": 10}, [(256, 6, 6)]) == (10, 6, 6)  # a map: at every position, over the channels

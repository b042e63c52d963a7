"""Structural checks of the DenseNet, SqueezeNet, Xception and NASNet-A Mobile specs that the generic spec tests
do not cover: where channels grow, where strides and asymmetric paddings sit, and the published totals."""

import pytest

import archstat


def _bn_stats(a):
    return sum(r.buffers.get("running_mean", 0) + r.buffers.get("running_var", 0) for r in a.layers)


# torchvision/models/{densenet,squeezenet}.py, *_Weights.IMAGENET1K_V1 meta: num_params and _ops (GMACs)
@pytest.mark.parametrize("name,k,c0,blocks", [
    ("densenet121", 32, 64, (6, 12, 24, 16)), ("densenet169", 32, 64, (6, 12, 32, 32)),
    ("densenet201", 32, 64, (6, 12, 48, 32)), ("densenet161", 48, 96, (6, 12, 36, 24))])
def test_densenet_growth(name, k, c0, blocks):
    a = archstat.analyze(name)
    c, size = c0, 56
    for b, n in enumerate(blocks, 1):
        for i in range(1, n + 1):
            layer = f"features.denseblock{b}.denselayer{i}"
            # the 1x1 bottleneck reads every earlier map: c0 + (i-1)k channels in, 4k out, no bias
            assert a.layer(f"{layer}.conv1").n_params == (c + (i - 1) * k) * 4 * k
            assert a.layer(f"{layer}.conv2").output_shape == (k, size, size)
            assert a.layer(f"{layer}.cat").output_shape == (c + i * k, size, size)
        c += n * k
        if b < 4:
            assert a.layer(f"features.transition{b}.conv").output_shape == (c // 2, size, size)
            size //= 2
            c //= 2
            assert a.layer(f"features.transition{b}.pool").output_shape == (c, size, size)
    assert a.layer("classifier").n_params == c * 1000 + 1000
    assert a.totals.depth == int(name[8:])


def test_squeezenet_sizes():
    # ceil_mode max pools: 1.0 at 224: 109 -> 54 -> 27 -> 13; 1.1: 111 -> 55 -> 27 -> 13
    a = archstat.analyze("squeezenet1_0")
    assert [a.layer(n).output_shape for n in ("features.0", "features.2", "features.6", "features.11")] == [
        (96, 109, 109), (96, 54, 54), (256, 27, 27), (512, 13, 13)]
    assert a.layer("features.10.cat").output_shape == (512, 27, 27)
    b = archstat.analyze("squeezenet1_1")
    assert [b.layer(n).output_shape for n in ("features.0", "features.2", "features.5", "features.8")] == [
        (64, 111, 111), (64, 55, 55), (128, 27, 27), (256, 13, 13)]
    for net in (a, b):
        assert net.layer("classifier.1").output_shape == (1000, 13, 13)
        assert net.layers[-1].output_shape == (1000,)
    # the paper's Table 1 sizes are for Caffe's 227 crop
    assert archstat.analyze("squeezenet1_0", input="3x227x227").layer("features.3.cat").output_shape == (128, 55, 55)


def test_xception():
    a = archstat.analyze("xception")
    assert a.totals.params == 22_855_952                       # Chollet 2017, Table 3
    assert a.totals.params + _bn_stats(a) == 22_910_480        # Keras, moving statistics included
    shapes = {"block1": (128, 74, 74), "block2": (256, 37, 37), "block3": (728, 19, 19), "block11": (728, 19, 19),
              "block12": (1024, 10, 10)}
    for blk, shape in shapes.items():
        assert a.layer(f"{blk}.add").output_shape == shape
    # projection shortcuts only where channels or size change; the middle flow adds its input
    names = {r.name for r in a.layers}
    assert {f"block{i}.skip" for i in (1, 2, 3, 12)} <= names
    assert not any(f"block{i}.skip" in names for i in range(4, 12))
    assert a.layer("block4.add").inputs == ["block4.rep.8", "block3.add"]
    # timm numbering: block1 has no leading ReLU, so its first separable conv is rep.0
    assert a.layer("block1.rep.0.conv1").kind == "dwconv" and a.layer("block2.rep.0").kind == "relu"
    assert a.layer("block12.rep.1.pointwise").output_shape == (728, 19, 19)   # grow_first=False
    assert a.layer("block12.rep.4.pointwise").output_shape == (1024, 19, 19)
    assert a.layer("conv4.pointwise").output_shape == (2048, 10, 10)


def test_nasnet_a_mobile():
    a = archstat.analyze("nasnet_a_mobile")
    t = a.totals
    assert round(t.params / 1e6, 1) == 5.3 and round(t.macs / 1e6) == 564   # paper / TF-slim README
    assert t.params + _bn_stats(a) == 5_326_716                               # Keras NASNetMobile
    outs = {"cell_stem_0": (44, 56, 56), "cell_stem_1": (88, 28, 28), "cell_0": (264, 28, 28),
            "cell_3": (264, 28, 28), "reduction_cell_0": (352, 14, 14), "cell_6": (528, 14, 14),
            "reduction_cell_1": (704, 7, 7), "cell_12": (1056, 7, 7), "cell_15": (1056, 7, 7)}
    for cell, shape in outs.items():
        assert a.layer(f"{cell}.out").output_shape == shape
    # stem cell 0 reads the raw 32-channel stem output for its right-hand separable ops (BranchSeparablesStem)
    assert a.layer("cell_stem_0.comb_iter_0_right.separable_1.depthwise_conv2d").n_params == 32 * 7 * 7
    # strided ops on an even size pad one less on the top/left (TF 'SAME'): 56 -> 28 with k=5
    dw = a.layer("cell_stem_1.comb_iter_0_left.separable_1.depthwise_conv2d")
    assert dw.output_shape == (22, 28, 28) and dw.macs == 28 * 28 * 22 * 25
    # the factorized reduction's second path is shifted by one input pixel of its 56x56 grid (4 image pixels)
    p1, p2 = a.layer("cell_0.path_1.conv").field, a.layer("cell_0.path_2.conv").field
    assert p1.size == p2.size and p1.padding[0] - p2.padding[0] == 4
    # the first cell after each reduction uses the factorized path; the others a 1x1 on the previous cell
    names = {r.name for r in a.layers}
    assert {"cell_0.final_path_bn", "cell_6.final_path_bn", "cell_12.final_path_bn"} <= names
    assert "cell_1.conv_prev_1x1.conv" in names and "cell_1.final_path_bn" not in names

"""The classic family (LeNet-5 as published, the CIFAR-10 lecture example, AlexNet two-GPU and torchvision, ZFNet,
VGG A to E with torchvision's batch-norm variants, FCN-32s, U-Net): structure the generic spec tests do not check.
The published figures themselves are claims in specs/claims/classic.yaml."""

import pytest

import archstat


def shapes(a, names):
    return [a.layer(n).output_shape for n in names]


# ------------------------------------------------------------------------------------------------ LeNet-5 (1998)
def test_lenet5_original_paper_counts():
    a = archstat.analyze("lenet5_original")
    # sec. II.B: C1 156, S2 12, C3 1,516, S4 32, C5 48,120, F6 10,164 trainable parameters; 60,000 in all
    per_layer = {p: sum(r.n_params for r in a.layers if r.name == p or r.name.startswith(p + "."))
                 for p in ("c1", "s2", "c3", "s4", "c5", "f6", "output")}
    assert per_layer == {"c1": 156, "s2": 12, "c3": 1516, "s4": 32, "c5": 48120, "f6": 10164, "output": 840}
    assert a.totals.trainable_params == 60_000 and a.totals.params == 60_840  # the RBF centres are frozen
    # connections = MACs + one bias per output unit (+ 4 inputs and a bias per subsampling unit): 340,908
    c3_macs = sum(r.macs for r in a.layers if r.name.startswith("c3."))
    assert c3_macs + 16 * 10 * 10 == 151_600
    assert a.layer("c1").macs + 6 * 28 * 28 == 122_304
    conn = a.totals.macs + (6 * 28 * 28 + 16 * 100 + 120 + 84) + 14 * 14 * 6 * 5 + 5 * 5 * 16 * 5
    assert conn == 340_908


def test_lenet5_original_connection_table():
    # Table I: six C3 maps read 3 contiguous S2 maps, six read 4 contiguous, three read 4 non-contiguous, one all 6
    a = archstat.analyze("lenet5_original")
    fan_in = [a.layer(f"c3.map{j}.select").output_shape[0] for j in range(16)]
    assert fan_in == [3] * 6 + [4] * 9 + [6]
    # every S2 map feeds exactly 10 of the 16 C3 maps (each row of Table I has ten X)
    assert sum(fan_in) == 6 * 10
    assert shapes(a, ["c1", "s2.pool", "c3.maps", "s4.pool", "c5"]) == [
        (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1)]


def test_cifar10_simple_volumes():
    a = archstat.analyze("cifar10_simple")
    assert shapes(a, ["conv", "relu", "pool", "fc"]) == [(12, 32, 32), (12, 32, 32), (12, 16, 16), (10,)]


# ------------------------------------------------------------------------------------------------ AlexNet, ZFNet
def test_alexnet_2gpu_grouping():
    a = archstat.analyze("alexnet_2gpu")
    # conv2, conv4, conv5 read only their own GPU's half of the maps; conv3 and the fc layers read both
    assert a.layer("conv2").n_params == 5 * 5 * 48 * 256 + 256
    assert a.layer("conv3").n_params == 3 * 3 * 256 * 384 + 384
    assert a.layer("conv4").n_params == 3 * 3 * 192 * 384 + 384
    assert a.layer("conv5").n_params == 3 * 3 * 192 * 256 + 256
    assert a.totals.params == 60_965_224  # "60 million parameters"
    # sec. 3.5 neurons per layer: all but conv1 (the paper's 253,440 is not 55*55*96)
    assert [a.layer(n).activations for n in ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8")] == [
        290_400, 186_624, 64_896, 64_896, 43_264, 4096, 4096, 1000]
    # the paper's order: conv -> ReLU -> LRN -> pool
    names = [r.name for r in a.layers]
    assert names.index("norm1") < names.index("pool1") and names.index("norm2") < names.index("pool2")
    assert a.totals.depth == 8


def test_alexnet_torchvision_reference():
    t = archstat.analyze("alexnet_torchvision").totals
    assert t.params == 61_100_840  # AlexNet_Weights.IMAGENET1K_V1 num_params
    assert round(t.macs / 1e9, 3) == 0.714  # _ops


def test_zfnet_fig3_sizes():
    a = archstat.analyze("zfnet")
    assert [s[1] for s in shapes(a, ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool3"])] == [
        110, 55, 26, 13, 13, 13, 13, 6]
    assert a.layer("fc6").n_params == 6 * 6 * 256 * 4096 + 4096  # 9216-dimensional input to fc6


# ------------------------------------------------------------------------------------------------ VGG
@pytest.mark.parametrize("name,millions,depth", [
    ("vgg11", 133, 11), ("vgg11_lrn", 133, 11), ("vgg13", 133, 13), ("vgg16_c", 134, 16), ("vgg16", 138, 16),
    ("vgg19", 144, 19)])
def test_vgg_paper_table2(name, millions, depth):
    t = archstat.analyze(name).totals
    assert round(t.params / 1e6) == millions and t.depth == depth


def test_vgg_bn_and_variants_layout():
    bn = archstat.analyze("vgg11_bn")
    # torchvision's numbering: conv, batch norm, ReLU take one number each, then the pool
    assert [(r.name, r.kind) for r in bn.layers[:5]] == [("features.0", "conv"), ("features.1", "batchnorm"),
                                                         ("features.2", "relu"), ("features.3", "maxpool"),
                                                         ("features.4", "conv")]
    assert bn.layer("features.0").n_params == 3 * 9 * 64 + 64  # the conv keeps its bias before batch norm
    assert bn.layers[-1].name == "classifier.6" and bn.layer("features.28").kind == "maxpool"  # the 5th pool
    lrn = archstat.analyze("vgg11_lrn")
    assert [(r.name, r.kind) for r in lrn.layers[:5]] == [("features.0", "conv"), ("features.1", "relu"),
                                                          ("features.2", "lrn"), ("features.3", "maxpool"),
                                                          ("features.4", "conv")]
    assert sum(r.kind == "lrn" for r in lrn.layers) == 1
    c = archstat.analyze("vgg16_c")
    one_by_one = [r.name for r in c.layers if r.kind == "conv" and r.n_params in (256 * 256 + 256, 512 * 512 + 512)]
    assert one_by_one == ["features.14", "features.21", "features.28"]  # the last conv of stages 3, 4 and 5
    assert c.totals.params == 133_638_952


# ------------------------------------------------------------------------------------------------ FCN, U-Net
def test_fcn32s():
    a = archstat.analyze("fcn32s")
    assert a.layer("features.0").output_shape == (64, 698, 698)  # conv1_1, pad 100
    pools = [r for r in a.layers if r.kind == "maxpool"]
    assert [r.name for r in pools] == ["features.4", "features.9", "features.16", "features.23", "features.30"]
    assert [r.output_shape[1] for r in pools] == [349, 175, 88, 44, 22]  # ceil
    assert a.layer("fc6").output_shape == (4096, 16, 16)
    assert a.layer("fc6").n_params == 512 * 7 * 7 * 4096 + 4096  # VGG-16's fc6, as a convolution
    assert a.layer("score_fr").field.size == (404, 404)  # Table 1: rf size 404
    assert a.layer("upscore").output_shape == (21, 544, 544)
    assert a.layer("score").output_shape == (21, 500, 500)
    assert a.totals.trainable_params == 134_346_581 and a.totals.params == 136_152_917


def test_unet_fig1():
    a = archstat.analyze("unet")
    enc = [a.layer(f"enc{i}.conv2").output_shape for i in range(1, 6)]
    assert enc == [(64, 568, 568), (128, 280, 280), (256, 136, 136), (512, 64, 64), (1024, 28, 28)]
    dec = [a.layer(f"dec{i}.conv2").output_shape for i in (4, 3, 2, 1)]
    assert dec == [(512, 52, 52), (256, 100, 100), (128, 196, 196), (64, 388, 388)]
    assert [a.layer(f"dec{i}.crop").output_shape[1] for i in (4, 3, 2, 1)] == [56, 104, 200, 392]
    assert a.layer("out").output_shape == (2, 388, 388)
    assert a.totals.weight_layers == a.totals.depth == 23  # "23 convolutional layers in total"
    assert a.totals.params == 31_030_658

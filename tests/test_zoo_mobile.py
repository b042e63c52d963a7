"""Structural checks of the efficient mobile family (specs/blocks/mobile.yaml, specs/blocks/shufflenet.yaml) that the
generic spec tests do not cover: where strides sit, squeeze widths, grouping, channel splits, padding. The
published totals are claims in specs/claims/mobile.yaml."""


import archstat


def test_mobilenet_v1():
    a = archstat.analyze("mobilenet_v1")
    t = a.totals
    # Keras counts the 21,888 batch-norm moving means and variances among its 4,253,864 "params"
    bn_stats = sum(2 * r.output_shape[0] for r in a.layers if r.kind == "batchnorm")
    assert t.params == 4_231_976 and t.params + bn_stats == 4_253_864
    assert round(t.macs / 1e6) == 569 and t.depth == 28
    # TensorFlow 'same' padding: a stride-2 3x3 pads only bottom and right; the last depthwise conv has stride 1
    assert a.layer("block2.conv_dw").output_shape == (64, 56, 56)
    assert a.layer("block13.conv_dw").output_shape == (1024, 7, 7)
    assert a.layer("conv1").field.padding in (0, (0, 0))  # the top-left padding is 0


def test_mobilenet_v2_units():
    a = archstat.analyze("mobilenet_v2")
    # t = 1: no expansion; the stride of a row sits on its first unit's depthwise conv
    assert a.layer("features.1.conv.0.0").n_params == 32 * 3 * 3               # t = 1: conv.0 is the depthwise
    assert a.layer("features.1.conv.1").output_shape == (16, 112, 112)
    assert a.layer("features.2.conv.0.0").output_shape == (96, 112, 112)   # expand 16 * 6 before the stride
    assert a.layer("features.2.conv.1.0").output_shape == (96, 56, 56)     # depthwise, stride 2
    residual = sorted(int(r.name.split(".")[1]) for r in a.layers if r.kind == "add")
    assert residual == [3, 5, 6, 8, 9, 10, 12, 13, 15, 16]


def test_efficientnet_b0_se_and_kernels():
    a = archstat.analyze("efficientnet_b0")
    # squeeze width = the unit's input channels // 4 (not the expanded width // 4)
    assert a.layer("features.1.0.block.1.fc1").output_shape == (8, 1, 1)     # 32 // 4
    assert a.layer("features.2.0.block.2.fc1").output_shape == (4, 1, 1)     # 16 // 4
    assert a.layer("features.2.1.block.2.fc1").output_shape == (6, 1, 1)     # 24 // 4
    assert a.layer("features.6.0.block.2.fc1").output_shape == (28, 1, 1)    # 112 // 4
    assert a.layer("features.3.0.block.1.0").n_params == 144 * 5 * 5         # 5x5 depthwise
    assert a.layer("features.3.0.block.1.0").output_shape == (144, 28, 28)
    assert a.layer("features.8.0").output_shape == (1280, 7, 7)


def test_shufflenet_v1_units():
    a = archstat.analyze("shufflenet_v1")
    # first pointwise layer of stage 2 is not grouped (24 -> 60), later ones are (g = 3)
    assert a.layer("stage2.0.branch_main_1.0").n_params == 24 * 60
    assert a.layer("stage2.1.branch_main_1.0").n_params == 240 * 60 // 3
    # stride-2 unit: avg-pooled input (24) concatenated with a 216-channel main branch
    assert a.layer("stage2.0.branch_proj").output_shape == (24, 28, 28)
    assert a.layer("stage2.0.branch_main_2.0").output_shape == (216, 28, 28)
    assert a.layer("stage4.3.relu").output_shape == (960, 7, 7)
    assert a.totals.params == 1_864_728 and a.totals.macs == 137_460_672


def test_shufflenet_v2_split():
    a = archstat.analyze("shufflenet_v2_x1_0")
    assert a.layer("stage2.1.x1").output_shape == (58, 28, 28)
    assert a.layer("stage2.1.x2").output_shape == (58, 28, 28)
    # stride-2 units have branch1 (dw 3x3/2 on the input, then 1x1) and no split
    assert a.layer("stage3.0.branch1.0").output_shape == (116, 14, 14)
    assert a.layer("stage3.0.branch2.0").output_shape == (116, 28, 28)
    assert a.layer("stage3.0.cat").output_shape == (232, 14, 14)
    assert not any(r.name.startswith("stage3.0.x") for r in a.layers)

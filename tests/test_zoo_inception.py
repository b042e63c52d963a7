"""The Inception family: structure the generic spec tests do not look at, and the published figures each spec must
reproduce exactly (sources in the specs' citations and in specs/claims/inception.yaml)."""

import pytest

import archstat


def conv_sum(a, prefix, attr="macs"):
    return sum(getattr(r, attr) for r in a.layers if r.name.startswith(prefix + "."))


@pytest.mark.parametrize("name,params,gmacs", [
    # torchvision GoogLeNet_Weights.IMAGENET1K_V1: num_params 6624904, _ops 1.498 (no aux heads: aux_logits=False)
    ("googlenet_torchvision", 6_624_904, 1.498),
    # torchvision Inception_V3_Weights.IMAGENET1K_V1: num_params 27161264 counts AuxLogits; _ops 5.713 is eval mode
    ("inception_v3_aux", 27_161_264, None),
    ("inception_v3", None, 5.713),
])
def test_torchvision_published(name, params, gmacs):
    t = archstat.analyze(name).totals
    if params is not None:
        assert t.params == params
    if gmacs is not None:
        assert round(t.macs / 1e9, 3) == gmacs


def test_googlenet_aux_heads():
    base, aux = archstat.analyze("googlenet"), archstat.analyze("googlenet_aux")
    # sec. 5: 5x5/3 average pool -> 4x4x512 (4a) and 4x4x528 (4d); 1x1 conv 128; fc 1024; fc 1000
    assert aux.layer("loss1.ave_pool").output_shape == (512, 4, 4)
    assert aux.layer("loss2.ave_pool").output_shape == (528, 4, 4)
    assert aux.layer("loss1.ave_pool").inputs == ["4a.output"]
    assert aux.layer("loss2.ave_pool").inputs == ["4d.output"]
    head = lambda c: (c * 128 + 128) + (2048 * 1024 + 1024) + (1024 * 1000 + 1000)
    assert aux.totals.params == base.totals.params + head(512) + head(528) == 13_378_280
    assert aux.totals.depth == base.totals.depth == 22  # the side heads do not lengthen the deepest path
    # the main path is untouched
    assert aux.layer("4b.branch1.1x1.conv").inputs == ["4a.output"]
    assert aux.layer("4e.branch1.1x1.conv").inputs == ["4d.output"]


def test_googlenet_torchvision_quirks():
    a = archstat.analyze("googlenet_torchvision")
    # the "5x5" branch has a 3x3 kernel (pytorch/vision#906): 16 -> 32 channels at 28x28 in inception3a
    c = a.layer("inception3a.branch3.1.conv")
    assert c.n_params == 16 * 9 * 32 and c.macs == 28 * 28 * 32 * 16 * 9
    bn = a.layer("inception3a.branch1.bn")  # BasicConv2d: BatchNorm2d(eps=0.001) after a conv without bias
    assert bn.node.layer.eps == 0.001 and sum(bn.buffers.values()) == 2 * 64 + 1
    assert a.layer("inception3a.branch1.conv").n_params == 192 * 64
    assert not any(r.kind == "lrn" for r in a.layers)
    assert a.layer("maxpool4").output_shape == (832, 7, 7)  # 2x2/2, ceil_mode


def test_inception_v3_aux_head():
    a, b = archstat.analyze("inception_v3"), archstat.analyze("inception_v3_aux")
    assert b.layer("AuxLogits.avg_pool").output_shape == (768, 5, 5)  # 5x5/3 on 17x17
    assert b.layer("AuxLogits.conv1.conv").output_shape == (768, 1, 1)
    aux_params = (768 * 128 + 2 * 128) + (128 * 25 * 768 + 2 * 768) + (768 * 1000 + 1000)
    assert b.totals.params - a.totals.params == conv_sum(b, "AuxLogits", "n_params") == aux_params == 3_326_696
    assert b.totals.macs - a.totals.macs == 5 * 5 * 128 * 768 + 768 * 128 * 25 + 768 * 1000
    assert a.totals.params == 23_834_568  # timm inception_v3.tv_in1k: 23.83M


def test_inception_v3_stages():
    a = archstat.analyze("inception_v3")
    shapes = {n: a.layer(n).output_shape for n in ("maxpool2", "Mixed_5b.cat", "Mixed_5c.cat", "Mixed_6a.cat",
                                                   "Mixed_6e.cat", "Mixed_7a.cat", "Mixed_7c.cat")}
    assert shapes == {"maxpool2": (192, 35, 35), "Mixed_5b.cat": (256, 35, 35), "Mixed_5c.cat": (288, 35, 35),
                      "Mixed_6a.cat": (768, 17, 17), "Mixed_6e.cat": (768, 17, 17), "Mixed_7a.cat": (1280, 8, 8),
                      "Mixed_7c.cat": (2048, 8, 8)}
    # factorised 7x7: a 1x7 then a 7x1 keep 17x17
    c = a.layer("Mixed_6b.branch7x7_2.conv")
    assert c.output_shape == (128, 17, 17) and c.n_params == 128 * 128 * 7


def test_inception_v4():
    a = archstat.analyze("inception_v4")
    t = a.totals
    assert round(t.params / 1e6, 2) == 42.68  # timm results-imagenet.csv, inception_v4.tf_in1k
    assert round(t.macs / 1e9, 1) == 12.3     # timm model card, GMACs
    # exact counts of a PyTorch rebuild of timm's InceptionV4 (params and conv+linear MACs at 299x299)
    assert (t.params, t.macs) == (42_679_816, 12_253_974_624)
    assert a.layer("features.5.cat").output_shape == (384, 35, 35)   # stem (Fig. 3)
    assert a.layer("features.10.cat").output_shape == (1024, 17, 17)  # Reduction-A
    assert a.layer("features.18.cat").output_shape == (1536, 8, 8)   # Reduction-B
    assert a.layer("features.6.branch0.conv").n_params == 384 * 96   # no bias before batch norm


def test_inception_resnet_v2():
    a = archstat.analyze("inception_resnet_v2")
    t = a.totals
    assert round(t.params / 1e6, 2) == 55.84  # timm results-imagenet.csv, inception_resnet_v2.tf_in1k
    assert round(t.macs / 1e9, 1) == 13.2     # timm model card, GMACs
    assert (t.params, t.macs) == (55_843_464, 13_155_794_016)  # a PyTorch rebuild of timm's InceptionResnetV2
    names = {r.name for r in a.layers}
    assert {"repeat.9.residual", "repeat_1.19.residual", "repeat_2.8.relu"} <= names
    # residual units: the 1x1 conv2d that restores the width has a bias; its output is added to the unit's input
    c = a.layer("repeat.0.conv2d")
    assert c.n_params == 128 * 320 + 320
    assert a.layer("repeat.0.scaled").inputs == ["repeat.0.conv2d"]  # conv2d * 0.17, then + x
    assert a.layer("repeat.0.scaled").flops == 320 * 35 * 35
    assert a.layer("repeat.0.residual").inputs == ["repeat.0.scaled", "mixed_5b.cat"]
    # the last unit (block8) has no ReLU
    assert "block8.relu" not in names and a.layer("conv2d_7b.conv").inputs == ["block8.residual"]
    assert a.layer("mixed_6a.cat").output_shape == (1088, 17, 17)
    assert a.layer("mixed_7a.cat").output_shape == (2080, 8, 8)

"""The ResNet family beyond resnet18/resnet50: structural checks the generic spec tests do not make.

Reference figures: torchvision/models/resnet.py weights metadata (num_params exact, _ops = GMACs to 3 decimals),
He et al. 2016 (Table 1; the Caffe ResNet-50-deploy.prototxt), the authors' pre-activation code
(resnet-pre-act.lua, fb.resnet.torch preresnet.lua), timm's seresnet50 and skresnext50_32x4d.
"""

import shutil

import pytest

import archstat
from archstat.language.catalog import specs_dir


@pytest.mark.parametrize("name,depth", [("plain34", 34), ("resnet34", 34), ("resnet50_original", 50),
                                        ("resnet101", 101), ("resnet152", 152), ("wide_resnet50_2", 50),
                                        ("resnext50_32x4d", 50), ("preact_resnet110", 110),
                                        ("preact_resnet164", 164)])
def test_depth_is_the_name(name, depth):
    assert archstat.analyze(name).totals.depth == depth


def _stage_outputs(a, names=("layer1", "layer2", "layer3", "layer4")):
    return [next(r for r in reversed(a.layers) if r.name.startswith(n + ".")).output_shape for n in names]


def test_plain34_is_resnet34_without_shortcuts():
    plain, res = archstat.analyze("plain34"), archstat.analyze("resnet34")
    assert not [r for r in plain.layers if r.kind == "add"]
    assert len([r for r in res.layers if r.kind == "add"]) == 16
    projections = {r.name: r for r in res.layers if ".downsample." in r.name}
    assert sorted({n.split(".")[0] for n in projections}) == ["layer2", "layer3", "layer4"]
    assert plain.totals.params == res.totals.params - sum(r.n_params for r in projections.values()) == 21_623_848
    assert res.totals.macs - plain.totals.macs == 3 * 6_422_528  # each projection: 1x1, C -> 2C at the new size
    assert _stage_outputs(plain) == _stage_outputs(res) == [(64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7)]
    # no shortcut: each unit's relu2 reads bn2 directly
    assert plain.layer("layer2.0.relu2").inputs == ["layer2.0.bn2"]


def test_resnet50_original_caffe_layout():
    a, tv = archstat.analyze("resnet50_original"), archstat.analyze("resnet50")
    # stride on the first 1x1 (res3a_branch2a) and on the projection; the 3x3 keeps stride 1
    assert a.layer("layer2.0.conv1").output_shape == (128, 28, 28)
    assert tv.layer("layer2.0.conv1").output_shape == (128, 56, 56)
    assert a.layer("layer2.0.conv2").node.layer.stride == (1, 1)
    assert a.layer("layer2.0.downsample.0").output_shape == (512, 28, 28)
    # Caffe BatchNorm holds statistics only; Scale holds gamma and beta
    assert a.layer("layer1.0.bn1").n_params == 0 and a.layer("layer1.0.scale1").n_params == 2 * 64
    assert a.layer("layer1.0.downsample.2").n_params == 2 * 256  # conv, BatchNorm, Scale
    # conv1 keeps its bias in ResNet-50-deploy.prototxt: torchvision's count plus 64
    assert a.layer("conv1").n_params == 7 * 7 * 3 * 64 + 64
    assert a.totals.params == tv.totals.params + 64 == 25_557_096
    # pool1 without padding rounds up (Caffe): 112 -> 56, as torchvision's padded pool
    assert a.layer("pool1").output_shape == (64, 56, 56)
    # striding the 1x1 first saves 3/4 of that 1x1 in each of stages 2-4
    saved = 3 * (56 * 56 * 256 * 128) * 3 // 4
    assert tv.totals.macs - a.totals.macs == saved == 231_211_008
    assert round(a.totals.macs / 1e9, 2) == 3.86  # SENet Table 2's ResNet-50; the ResNet paper's "3.8"


@pytest.mark.parametrize("name,paper", [("resnet101", 7.6), ("resnet152", 11.3)])
def test_paper_flops_are_the_caffe_layout(name, paper):
    # Table 1's 7.6 and 11.3 x 10^9 are torchvision's MACs less the 231,211,008 the first-1x1 stride saves
    assert round((archstat.analyze(name).totals.macs - 231_211_008) / 1e9, 1) == paper


def test_wide_and_resnext_widths():
    w, x = archstat.analyze("wide_resnet50_2"), archstat.analyze("resnext50_32x4d")
    for a, groups in ((w, 1), (x, 32)):
        for stage, width in (("layer1", 128), ("layer2", 256), ("layer3", 512), ("layer4", 1024)):
            conv2 = a.layer(f"{stage}.1.conv2")
            assert conv2.output_shape[0] == width and conv2.node.layer.groups == groups
        assert a.layer("layer4.2.conv3").output_shape == (2048, 7, 7)


def test_se_resnet50_units():
    a, tv = archstat.analyze("se_resnet50"), archstat.analyze("resnet50")
    assert a.totals.params == 28_088_024
    se = {r.name: r for r in a.layers if ".se." in r.name}
    # timm SEModule: 1x1 convs with bias, C -> C/16 -> C, after bn3 and before the add
    assert a.layer("layer1.0.se.fc1").output_shape == (16, 1, 1)
    assert a.layer("layer1.0.se.fc1").n_params == 256 * 16 + 16
    assert a.layer("layer4.2.se.fc2").n_params == 128 * 2048 + 2048
    assert a.layer("layer1.0.se.pool").inputs == ["layer1.0.bn3"]
    assert a.layer("layer1.0.se.scale").inputs == ["layer1.0.bn3", "layer1.0.se.gate"]
    assert a.layer("layer1.0.add1").inputs == ["layer1.0.se.scale", "layer1.0.downsample.1"]
    assert a.layer("layer1.1.add1").inputs == ["layer1.1.se.scale", "layer1.0.relu3"]
    assert sum(r.n_params for r in se.values()) == a.totals.params - tv.totals.params == 2_530_992
    assert sum(r.macs for r in se.values()) == a.totals.macs - tv.totals.macs == 2_514_944


def test_se_flops_explanation(tmp_path):
    """The claim's explanation: the paper's SE-ResNet-50 is the Caffe layout (stride on the first 1x1)."""
    (tmp_path / "blocks").mkdir()
    shutil.copy(specs_dir() / "blocks" / "resnet.yaml", tmp_path / "blocks" / "resnet.yaml")
    text = (specs_dir() / "se_resnet50.yaml").read_text().replace("se: true}", "se: true, stride_1x1: true}")
    (tmp_path / "se_caffe.yaml").write_text(text.replace("name: se_resnet50", "name: se_caffe"))
    a = archstat.analyze(str(tmp_path / "se_caffe.yaml"))
    assert a.layer("layer2.0.conv1").output_shape == (128, 28, 28)
    assert a.totals.macs == 3_857_973_248 + 2_514_944
    squeeze = sum(r.flops for r in a.layers if r.name.endswith(".se.pool"))
    assert squeeze == 5_519_360
    assert round((a.totals.macs + squeeze) / 1e9, 2) == 3.87


def test_sknet50_units():
    a, x = archstat.analyze("sknet50"), archstat.analyze("resnext50_32x4d")
    assert a.totals.params == 27_479_784 and round(a.totals.params / 1e6, 1) == 27.5
    assert a.totals.macs - x.totals.macs == 232_230_912
    # d = max(C/16, 32): 32, 32, 32, 64
    assert [a.layer(f"{s}.0.sk.attn.fc_reduce").output_shape[0] for s in ("layer1", "layer2", "layer3", "layer4")] \
        == [32, 32, 32, 64]
    p0, p1 = a.layer("layer2.0.sk.paths.0.conv"), a.layer("layer2.0.sk.paths.1.conv")
    assert p0.output_shape == p1.output_shape == (256, 28, 28)  # stride 2 on both paths
    assert p1.node.layer.dilation == (2, 2) and p1.node.layer.groups == 32
    # before the first attention (which makes the field global), the dilated path sees 2 pixels more each side
    f0, f1 = a.layer("layer1.0.sk.paths.0.conv").field, a.layer("layer1.0.sk.paths.1.conv").field
    assert f1.size[0] == f0.size[0] + 2 * 4  # one more tap each side at effective stride 4
    assert p0.n_params == 256 * 8 * 9  # grouped: 256/32 = 8 input channels per filter
    sm = a.layer("layer2.0.sk.attn.softmax")
    assert (sm.kind, sm.output_shape, sm.n_params, sm.macs, sm.flops) == ("softmax", (512, 1, 1), 0, 0, 10 * 256)
    assert sm.node.layer.groups == 2  # across the two paths, channel by channel
    assert a.layer("layer2.0.sk.select").inputs == ["layer2.0.sk.select0", "layer2.0.sk.select1"]
    assert a.layer("layer2.0.conv3").inputs == ["layer2.0.sk.select"]
    assert not a.totals.unknown_macs and not a.totals.unknown_flops


def test_preact_resnet110():
    a = archstat.analyze("preact_resnet110")
    assert a.totals.params == 1_730_522 and round(a.totals.params / 1e6, 1) == 1.7
    assert _stage_outputs(a, ("layer1", "layer2", "layer3")) == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]
    # the first unit of a stage is activated before the split: its shortcut starts at relu1
    assert a.layer("layer1.0.add1").inputs == ["layer1.0.conv2", "layer1.0.relu1"]
    assert a.layer("layer2.0.downsample.conv1").inputs == ["layer2.0.relu1"]
    assert not [r for r in a.layers if r.name.startswith("layer2.0.downsample.") and r.kind == "batchnorm"]
    # other units: identity from the unit's input, nothing after the add
    assert a.layer("layer2.1.add1").inputs == ["layer2.1.conv2", "layer2.0.add1"]
    assert a.layer("layer2.2.bn1").inputs == ["layer2.1.add1"]
    # the extra BN-ReLU after the last unit, 8x8 average pool, fc 10
    assert [r.kind for r in a.layers[-5:]] == ["batchnorm", "relu", "avgpool", "flatten", "linear"]
    assert a.layers[-1].output_shape == (10,)


def test_preact_resnet164():
    a = archstat.analyze("preact_resnet164")
    assert a.totals.params == 1_703_258 and round(a.totals.params / 1e6, 1) == 1.7
    assert _stage_outputs(a, ("layer1", "layer2", "layer3")) == [(64, 32, 32), (128, 16, 16), (256, 8, 8)]
    # resnet-pre-act.lua: stride on the first 1x1; every stage opens with a 1x1 projection (16->64 at stride 1)
    assert a.layer("layer2.0.conv1").output_shape == (32, 16, 16)
    assert a.layer("layer1.0.downsample.conv1").n_params == 16 * 64
    assert a.layer("layer1.0.downsample.conv1").inputs == ["layer1.0.relu1"]
    assert [r.output_shape[0] for r in a.layers if r.name.startswith("layer3.5.conv")] == [64, 64, 256]
    assert not [r for r in a.layers if r.kind == "conv" and r.params.get("bias")]


def test_resnet_claims_hold():
    from archstat.claims.store import claims_dir, load_file
    from archstat.claims.verify import MISMATCH, verify

    claims = load_file(claims_dir() / "resnet.yaml")
    bad = [(r.claim.spec, r.claim.quantity, r.claim.value.text, r.explanation)
           for r in verify(claims=claims) if r.verdict == MISMATCH]
    assert not bad

"""ConvNeXt-T (specs/convnext_tiny.yaml, specs/blocks/convnext.yaml) by hand: its totals from the stage widths, its
per-position layers, and torchvision's state_dict keys. The published totals are claims in specs/claims/convnext.yaml.

Widths d = 96, 192, 384, 768 at s = 56, 28, 14, 7, blocks (3, 3, 9, 3). A CNBlock of width d has 7x7 depthwise
49d + d, LayerNorm 2d, Linear d -> 4d: 4d*d + 4d, Linear 4d -> d: 4d*d + d, layer scale d: 8d^2 + 58d parameters,
and s*s*d*(49 + 8d) MACs (the depthwise 49 per output element, the two linear layers 4d each at every position).
"""

import pytest

import archstat

STAGES = [(96, 56, 3), (192, 28, 3), (384, 14, 9), (768, 7, 3)]


def test_totals_by_hand():
    t = archstat.analyze("convnext_tiny").totals
    params = 3 * 96 * 4 * 4 + 96 + 2 * 96                                     # stem: 4x4/4 conv with bias, LayerNorm2d
    macs = 56 * 56 * 96 * 3 * 4 * 4
    for (d, s, n), nxt in zip(STAGES, [192, 384, 768, None]):
        params += n * (8 * d * d + 58 * d)
        macs += n * s * s * d * (49 + 8 * d)
        if nxt:                                                               # LayerNorm2d, 2x2/2 conv with bias
            params += 2 * d + d * nxt * 2 * 2 + nxt
            macs += (s // 2) * (s // 2) * nxt * d * 2 * 2
    params += 2 * 768 + 768 * 1000 + 1000                                     # LayerNorm2d, Linear head
    macs += 768 * 1000
    assert t.params == params == 28_589_128                                   # torchvision num_params
    assert t.macs == macs == 4_455_531_264                                    # torchvision _ops 4.456
    assert t.buffers == 0


def test_per_position_layers_and_views():
    a = archstat.analyze("convnext_tiny")
    fc1 = a.layer("features.5.0.block.3")
    assert fc1.output_shape == (4 * 384, 14, 14) and fc1.macs == 14 * 14 * 384 * 1536
    assert a.layer("features.5.0.block.1").output_shape == (384, 14, 14)     # the permute changes no shape
    assert a.layer("features.5.0.block.1").activations == 384 * 14 * 14 and not a.layer("features.5.0.block.1").new_memory
    assert a.layer("features.1.0.layer_scale").n_params == 96
    assert a.layer("features.7.2.stochastic_depth").flops == 0
    assert a.layer("features.1.0.block.3").field.size == a.layer("features.1.0.block.0").field.size  # per position


def test_state_dict_keys_are_torchvision_s():
    pytest.importorskip("torch")
    model = archstat.load("convnext_tiny").to_torch(device="meta")
    sd = model.state_dict()
    block = [k for k in sd if k.startswith("features.1.0.")]
    assert block == ["features.1.0.layer_scale"] + [f"features.1.0.block.{i}.{w}" for i in (0, 2, 3, 5)
                                                    for w in ("weight", "bias")]
    assert tuple(sd["features.1.0.layer_scale"].shape) == (96, 1, 1)
    assert tuple(sd["features.1.0.block.3.weight"].shape) == (384, 96)
    assert [k for k in sd if not k.startswith("features.")] == ["classifier.0.weight", "classifier.0.bias",
                                                                 "classifier.2.weight", "classifier.2.bias"]
    assert len(sd) == 4 + 18 * 9 + 3 * 4 + 4

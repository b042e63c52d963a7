"""``archstat import timm:NAME``: timm models across many families, imported exactly and round-tripped.

For each model named in ``TIMM`` (at least 100, from at least 30 families; timm as installed, no weights):

- the import has no ``custom`` layer, and no module with tensors is left out of it;
- the spec's parameters and buffers equal the timm module's;
- the spec's MACs equal FlopCounterMode's count of the same module's forward (its FLOPs / 2), at the same input;
- the round trip: the spec's PyTorch build (``archstat.backend.build``) loads the timm module's state_dict strictly
  and computes the same outputs (eval, float32, rtol 1e-4, atol 1e-5).

All at a small input (3x64x64; 3x96x96 where the network's stride-2 valid convolutions need more) to keep the run
short. A model built for a fixed size (ViT, DeiT) is built for that input (``timm_kwargs``: ``img_size``).

timm's fused attention (``F.scaled_dot_product_attention``) runs on the CPU as
``aten._scaled_dot_product_flash_attention_for_cpu``, for which torch 2.13's FlopCounterMode has no formula: it
would count the attention products as zero. The reference module is therefore built with
``timm.layers.set_fused_attn(False)``, which computes the same products as two matmuls FlopCounterMode counts.

The families that still import with custom layers, and why: reports/import.md.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from archstat.backend.reference import import_torchvision

import_torchvision()  # before timm, which imports torchvision: against CPU torch it needs the stand-in
timm = pytest.importorskip("timm")
from archstat.core.engine import analyze
from archstat.importing.emit import emit
from archstat.importing.sources import import_model, timm_kwargs
from archstat.language.expand import compile_spec
from archstat.language.yamlio import parse_yaml

# (family, model). A family is one architecture (a paper's design and its scalings); timm's tf_ ports count with
# the original. Input 3x64x64 unless BIG says otherwise.
TIMM = [
    ("resnet", "resnet10t"), ("resnet", "resnet14t"), ("resnet", "resnet18"), ("resnet", "resnet18d"),
    ("resnet", "resnet26"), ("resnet", "resnet26d"), ("resnet", "resnet34"), ("resnet", "resnet50"),
    ("resnet", "resnet50d"),
    ("resnext", "resnext26ts"), ("resnext", "resnext50_32x4d"),
    ("seresnet", "seresnet18"), ("seresnet", "seresnet50"), ("seresnet", "seresnext26d_32x4d"),
    ("legacy_senet", "legacy_seresnet18"), ("legacy_senet", "legacy_seresnext26_32x4d"),
    ("res2net", "res2net50_26w_4s"), ("res2net", "res2next50"),
    ("efficientnet", "efficientnet_b0"), ("efficientnet", "efficientnet_es"), ("efficientnet", "efficientnet_lite0"),
    ("efficientnet", "efficientnet_b0_gn"), ("efficientnet", "tf_efficientnet_b0"),
    ("efficientnet", "tf_efficientnet_lite0"), ("efficientnet", "tf_efficientnet_es"),
    ("efficientnetv2", "efficientnetv2_rw_t"), ("efficientnetv2", "tf_efficientnetv2_b0"),
    ("mobilenetv1", "mobilenetv1_100"),
    ("mobilenetv2", "mobilenetv2_050"), ("mobilenetv2", "mobilenetv2_100"), ("mobilenetv2", "mobilenetv2_110d"),
    ("mobilenetv3", "mobilenetv3_large_100"), ("mobilenetv3", "mobilenetv3_small_100"),
    ("mobilenetv3", "mobilenetv3_small_050"), ("mobilenetv3", "tf_mobilenetv3_small_minimal_100"),
    ("mobilenetv3", "mobilenetv3_rw"),
    ("mobilenetv4", "mobilenetv4_conv_small"), ("mobilenetv4", "mobilenetv4_conv_medium"),
    ("mnasnet", "mnasnet_100"), ("mnasnet", "semnasnet_100"), ("mnasnet", "mnasnet_small"),
    ("spnasnet", "spnasnet_100"), ("fbnet", "fbnetc_100"), ("fbnet", "fbnetv3_b"),
    ("tinynet", "tinynet_a"), ("tinynet", "tinynet_e"), ("lcnet", "lcnet_050"), ("lcnet", "lcnet_100"),
    ("hardcorenas", "hardcorenas_a"), ("hardcorenas", "hardcorenas_c"), ("hardcorenas", "hardcorenas_f"),
    ("mixnet", "mixnet_s"), ("mixnet", "tf_mixnet_s"),
    ("regnet", "regnetx_002"), ("regnet", "regnetx_004"), ("regnet", "regnety_002"), ("regnet", "regnety_004"),
    ("regnet", "regnetz_005"),
    ("densenet", "densenet121"),
    ("dla", "dla34"), ("dla", "dla46_c"), ("dla", "dla46x_c"), ("dla", "dla60"),
    ("hrnet", "hrnet_w18_small"),
    ("cspnet", "cspresnet50"), ("cspnet", "cspresnext50"), ("cspnet", "cs3darknet_s"),
    ("darknet", "darknet17"), ("darknet", "darknet21"), ("darknet", "darknet53"),
    ("gernet", "gernet_s"), ("repvgg", "repvgg_a0"),
    ("byobnet_resnet", "resnet32ts"), ("byobnet_resnet", "resnet33ts"), ("byobnet_resnet", "seresnet33ts"),
    ("convnext", "convnext_atto"), ("convnext", "convnext_femto"), ("convnext", "convnext_pico"),
    ("vovnet", "ese_vovnet19b_slim_dw"), ("vovnet", "ese_vovnet19b_dw"), ("vovnet", "ese_vovnet19b_slim"),
    ("selecsls", "selecsls42b"),
    ("xception", "xception41p"), ("xception", "legacy_xception"),
    ("inception_v3", "inception_v3"), ("inception_v4", "inception_v4"),
    ("ghostnet", "ghostnet_050"), ("ghostnet", "ghostnet_100"), ("ghostnet", "ghostnetv2_100"),
    ("ghostnet", "ghostnetv3_050"), ("mobileone", "mobileone_s0"), ("mobileone", "mobileone_s1"),
    ("rexnet", "rexnet_100"), ("rexnet", "rexnetr_100"),
    ("dpn", "dpn68"), ("dpn", "dpn68b"),
    ("vit", "vit_tiny_patch16_224"), ("vit", "vit_small_patch16_224"),
    ("deit", "deit_tiny_patch16_224"), ("deit", "deit_small_patch16_224"),
    ("convmixer", "convmixer_768_32"), ("hgnet", "hgnet_tiny"), ("fasternet", "fasternet_t0"),
    ("starnet", "starnet_s1"), ("repghostnet", "repghostnet_050"), ("inception_next", "inception_next_tiny"),
    ("rdnet", "rdnet_tiny"),
    # sub (pool(x) - x), eca, token_transpose + token_mean (token mixing), token_affine (ResMLP's Affine)
    ("poolformer", "poolformer_s12"), ("poolformer", "poolformer_s24"), ("fastvit", "fastvit_t8"),
    ("fastvit", "fastvit_t12"), ("ecaresnet", "ecaresnet26t"), ("ecaresnet", "ecaresnetlight"),
    ("byobnet_resnet", "eca_resnet33ts"), ("mixer", "mixer_s32_224"), ("mixer", "mixer_s16_224"),
    ("resmlp", "resmlp_12_224"), ("resmlp", "resmlp_24_224"),
]
BIG = {"inception_v3": 96, "inception_v4": 96}  # 3x64x64 leaves their valid 3x3 convolutions a 2x2 map


def _compile(model, types):
    text = emit(model, scope_types=types)
    return compile_spec(parse_yaml(text, model.name), model.name)


@pytest.fixture(scope="module", autouse=True)
def _one_thread_and_unfused_attention():
    """One thread: these forwards are small, and the shared CI box runs other jobs (several threads spin-wait
    against them). Unfused attention: see the module's docstring."""
    from timm.layers import config

    threads, fused = torch.get_num_threads(), config._USE_FUSED_ATTN
    torch.set_num_threads(1)
    timm.layers.set_fused_attn(False)
    yield
    torch.set_num_threads(threads)
    config._USE_FUSED_ATTN = fused


def test_the_list_spans_at_least_100_models_and_30_families():
    assert len(TIMM) >= 100 and len({f for f, _ in TIMM}) >= 30
    assert len({n for _, n in TIMM}) == len(TIMM)
    assert all(timm.is_model(n) for _, n in TIMM)


@pytest.mark.parametrize("family,name", TIMM, ids=[n for _, n in TIMM])
def test_timm_model_imports_exactly_and_round_trips(family, name):
    from torch.utils.flop_counter import FlopCounterMode

    from archstat.backend import build

    side = BIG.get(name, 64)
    shape = (3, side, side)
    model, types = import_model(f"timm:{name}", shape)
    assert model.customs == [], [(c.name, c.op) for c in model.customs]
    assert not [n for n in model.notes if "never runs" in n], model.notes  # every module with tensors is in it
    a = analyze(_compile(model, types))
    torch.manual_seed(0)
    ref = timm.create_model(name, pretrained=False, **timm_kwargs(name, shape)).eval()
    params = sum(p.numel() for p in ref.parameters())
    buffers = sum(b.numel() for b in ref.buffers())
    assert (a.totals.params, a.totals.buffers) == (params, buffers)
    x = torch.randn(1, *shape)
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        want = ref(x)
    assert 2 * a.totals.macs == fc.get_total_flops(), (a.totals.macs, fc.get_total_flops() / 2)
    ours = build(_compile(model, types))
    ours.load_state_dict(ref.state_dict(), strict=True)
    with torch.no_grad():
        got = ours(x)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_a_family_with_unmapped_ops_lists_them_as_counted_custom_layers():
    """ResNet-blur's anti-aliasing (timm's BlurPool2d: a reflect pad, then a fixed binomial filter applied with the
    functional conv2d, its filter a buffer) has no kind: each op is a ``custom`` layer with its traced shape and the
    MACs FlopCounterMode measured, so the total still equals FlopCounterMode's; none is dropped or counted as zero."""
    from torch.utils.flop_counter import FlopCounterMode

    model, types = import_model("timm:resnetblur18", (3, 64, 64))
    convs = [c for c in model.customs if c.op == "torch.conv2d"]
    pads = [c for c in model.customs if c.op.endswith("pad")]
    assert len(convs) == len(pads) == 4 and all(c.args["macs"] > 0 for c in convs)  # maxpool, layer2-4 downsampling
    text = emit(model, scope_types=types)
    assert "have no archstat kind" in text and "layer2.0.aa" in text
    a = analyze(compile_spec(parse_yaml(text, model.name), model.name))
    ref = timm.create_model("resnetblur18", pretrained=False).eval()
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        ref(torch.randn(1, 3, 64, 64))
    assert 2 * a.totals.macs == fc.get_total_flops()
    assert a.totals.params == sum(p.numel() for p in ref.parameters())

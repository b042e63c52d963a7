"""Specs that name a torchvision network compute the same function as torchvision's own module.

For each: build torchvision's module (random init; no weights can be downloaded), load its state_dict into the
spec's PyTorch build strictly (every key and shape equal, so layer names are torchvision's module paths), run both
in eval mode on the same input and compare the outputs (float32, rtol 1e-4, atol 1e-5). Two networks with equal
totals but swapped layers fail here, where counts alone cannot tell them apart.

EQUAL lists the specs proven. Issue 15 gave the rest of the torchvision zoo (AlexNet, the VGGs, the ResNets with
Wide ResNet and ResNeXt, the DenseNets) torchvision's module paths as layer names, so none is left that computes
torchvision's network under other names; a spec added for a torchvision network joins this list.
"""

import pytest

import archstat

torch = pytest.importorskip("torch")

from archstat.backend.reference import import_torchvision, torchvision_model

EQUAL = ["alexnet_torchvision", "convnext_tiny", "densenet121", "densenet161", "densenet169", "densenet201",
         "efficientnet_b0", "googlenet_torchvision", "inception_v3", "mobilenet_v2", "mobilenet_v3_large",
         "mobilenet_v3_small", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
         "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0", "squeezenet1_0",
         "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
         "vit_b_16", "vit_b_32", "wide_resnet50_2",
         "regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf", "regnet_x_16gf",
         "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf",
         "efficientnet_b1", "efficientnet_b2", "efficientnet_b3", "efficientnet_b4", "efficientnet_b5",
         "efficientnet_v2_s", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3",
         "resnext101_32x8d", "resnext101_64x4d", "convnext_small", "convnext_base", "vit_l_32",
         # torchvision calls a Swin block's one stochastic-depth module twice: `check --against` compares only the
         # modules both networks ran once (test_check_against_torchvision_proves_a_swin below)
         "swin_t", "swin_v2_t", "swin_s", "swin_b", "swin_v2_s",
         # torchvision's VisionTransformer asserts its input is image_size (224), so no forward at SMALL_INPUT: these
         # two heavy ones (61.6 and 167.3 GMACs) are proven at the full 224 here
         "vit_l_16", "vit_h_14",
         # torchvision's MaxVit is built for one input size (its grid attention fixes the grid at construction): at
         # 224 here; its block and grid partitions are one token sequence in the spec (partition, departition)
         "maxvit_t"]
# Proven like EQUAL, but too heavy for a CPU forward at the weights' crop in a test (16 to 375 GMACs): the state_dicts
# are compared by name and shape, then the function at SMALL_INPUT (`archstat check --against torchvision` still
# proves them at full size).
HEAVY = ["regnet_x_32gf", "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf",
         "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_m", "efficientnet_v2_l",
         "wide_resnet101_2", "convnext_large", "swin_v2_b"]
SMALL_INPUT = (3, 64, 64)


def _pair(spec):
    torch.manual_seed(0)
    ref = torchvision_model(spec)
    ours = archstat.load(spec).to_torch().eval()
    return ref, ours


def test_torchvision_imports_here():
    tv = import_torchvision()
    assert tv.__version__.startswith("0.28.0")


@pytest.mark.parametrize("spec", EQUAL)
def test_spec_computes_torchvision_s_function(spec):
    ref, ours = _pair(spec)
    ours.load_state_dict(ref.state_dict(), strict=True)
    for k, v in ref.state_dict().items():
        assert ours.state_dict()[k].shape == v.shape, k
    torch.manual_seed(1)
    x = ours.example_input()
    with torch.no_grad():
        want, got = ref(x), ours(x)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("spec", HEAVY)
def test_heavy_spec_computes_torchvision_s_function_at_a_small_input(spec):
    """The same proof for a network too heavy to run at its own input here. The spec is first built on the meta
    device (no memory, no init) and its tensors' names and shapes compared with torchvision's, so a naming slip fails
    before the spec's weights are allocated. torchvision's module is built on the CPU: the forward needs its weights,
    and its builder cannot always run under torch.device("meta") (RegNet's BlockParams computes the stage widths with
    torch.arange(...).tolist(), which has no data there). Then the strict load and equal outputs at SMALL_INPUT:
    every layer before the global pool is size-agnostic, so this is the same function."""
    torch.manual_seed(0)
    ref = torchvision_model(spec)
    want = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    shell = archstat.load(spec).to_torch(device="meta")
    assert {k: tuple(v.shape) for k, v in shell.state_dict().items()} == want
    del shell
    ours = archstat.load(spec).to_torch().eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    torch.manual_seed(1)
    x = torch.randn(1, *SMALL_INPUT)
    with torch.no_grad():
        want, got = ref(x), ours(x)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_a_swapped_layer_fails_the_proof():
    """Swapping two equal-shaped tensors keeps every count and changes the function: the comparison catches it."""
    ref, ours = _pair("squeezenet1_1")
    sd = ref.state_dict()
    a, b = "features.3.expand1x1.weight", "features.4.expand1x1.weight"
    assert sd[a].shape == sd[b].shape
    sd = {**sd, a: sd[b], b: sd[a]}
    ours.load_state_dict(sd, strict=True)
    x = ours.example_input()
    with torch.no_grad():
        assert not torch.allclose(ours(x), ref(x), rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------------------------ the CLI's proof
def _cli(*args):
    from typer.testing import CliRunner

    from archstat.cli import app

    return CliRunner().invoke(app, list(args))


def test_check_against_torchvision_proves_a_spec():
    r = _cli("check", "squeezenet1_1", "--against", "torchvision", "--format", "json")
    assert r.exit_code == 0, r.output
    import json

    (p,) = json.loads(r.output)
    assert p["ok"] and p["reference"] == "torchvision:squeezenet1_1" and p["keys"] == 52
    assert p["compared_layers"] > 20 and p["bad_layer"] is None


def test_check_against_torchvision_names_the_first_layer_whose_output_differs(tmp_path):
    """A ReLU turned into a sigmoid keeps every name, shape and count: only the function tells, at that layer."""
    from archstat.language.catalog import specs_dir

    src = (specs_dir() / "squeezenet1_1.yaml").read_text()
    assert "  - relu: {name: features.1}" in src
    spec = tmp_path / "squeezenet1_1.yaml"
    (tmp_path / "blocks").mkdir()  # the spec's block library beside it, as includes are relative
    (tmp_path / "blocks" / "squeezenet.yaml").write_text((specs_dir() / "blocks" / "squeezenet.yaml").read_text())
    spec.write_text(src.replace("  - relu: {name: features.1}", "  - sigmoid: {name: features.1}"))
    r = _cli("check", str(spec), "--against", "torchvision:squeezenet1_1")
    assert r.exit_code == 3, r.output
    assert "differs from torchvision:squeezenet1_1 at layer features.1: outputs differ" in " ".join(r.output.split())


def test_check_against_torchvision_names_the_first_layer_whose_tensors_differ():
    r = _cli("check", "resnet34", "--against", "torchvision:resnet18")  # the same names, two more units per stage
    assert r.exit_code == 3
    assert ("at layer layer1.2.conv1: the spec's tensor layer1.2.conv1.weight (64, 64, 3, 3) is not in torchvision's "
            "state_dict") in " ".join(r.output.split())


def test_check_against_an_unknown_reference_is_a_usage_error():
    assert _cli("check", "lenet5", "--against", "torchvision").exit_code == 2
    assert _cli("check", "squeezenet1_1", "--against", "timm:resnet50").exit_code == 2


def test_check_against_torchvision_proves_a_swin():
    """Swin calls one stochastic-depth module twice per block; the proof compares what ran once, then the output."""
    r = _cli("check", "swin_t", "--against", "torchvision")
    assert r.exit_code == 0, r.output
    assert "computes torchvision:swin_t's function" in " ".join(r.output.split())

"""The PyTorch backend: modules named like the spec, every device/dtype/layout, clear errors, and `archstat check`."""

import json

import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")  # the test extra installs it; .ci/run never skips this

import archstat
from archstat.cli import app
from archstat.errors import SpecError

runner = CliRunner()


def test_modules_carry_the_spec_names():
    m = archstat.load("resnet18").to_torch(device="meta")
    conv = m.get_submodule("layer1.0.conv1")
    assert isinstance(conv, torch.nn.Conv2d) and conv.weight.shape == (64, 64, 3, 3)
    names = {n for n, _ in m.named_modules()}
    assert {"conv1", "layer4.1.bn2", "layer2.0.downsample.0", "fc"} <= names  # torchvision's module paths
    assert set(m.layer_modules()) == {r.name for r in archstat.analyze("resnet18").layers}


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("channels_last", [False, True])
def test_runs_in_every_dtype_and_layout(dtype, channels_last):
    g = archstat.load("googlenet_torchvision", "3x96x96")  # small input: batch norm, ceil pools, concat
    m = g.to_torch(device="cpu", dtype=dtype, channels_last=channels_last)
    x = m.example_input(batch=2, dtype=dtype, channels_last=channels_last)
    with torch.inference_mode():
        y = m(x)
    assert y.shape == (2, 1000) and y.dtype == dtype


def test_meta_device_allocates_nothing():
    m = archstat.load("vgg19").to_torch(device="meta")
    assert all(p.device.type == "meta" for p in m.parameters())
    assert m(m.example_input(device="meta")).shape == (1, 1000)


def test_several_outputs_come_back_as_a_tuple():
    m = archstat.load("googlenet_aux").to_torch(device="meta")
    out = m(m.example_input(device="meta"))
    assert isinstance(out, tuple) and len(out) == 3 and all(o.shape == (1, 1000) for o in out)


def test_frozen_layers_do_not_train():
    m = archstat.load("lenet5_original").to_torch(device="meta")
    trainable = sum(p.numel() for p in m.parameters() if p.requires_grad)
    assert trainable == 60_000 == archstat.analyze("lenet5_original").totals.trainable_params


def test_forward_matches_a_hand_written_module():
    """Same weights, same output: the spec's conv-bn-relu-pool-fc against torch.nn written by hand."""
    spec = archstat.load("cifar10_simple")
    m = spec.to_torch().eval()
    ref = torch.nn.Sequential(*[mod for mod in m.layer_modules().values()]).eval()
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(m(x), ref(x))


def test_custom_has_no_torch_module(write_spec):
    p = write_spec("name: t\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3}\n"
                   "  - custom: {name: roi, op: roi_align, shape: [4, 2, 2]}\n")
    with pytest.raises(SpecError, match=r"layer kind 'custom' has no PyTorch equivalent") as e:
        archstat.load(str(p)).to_torch(device="meta")
    assert e.value.layer == "roi" and e.value.line == 5


def test_check_json_and_exit_code_on_disagreement(monkeypatch):
    r = runner.invoke(app, ["check", "lenet5", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    (t,) = d["specs"]
    assert t["ok"] and t["params"] == t["torch_params"] == 61_706 and t["macs"] == t["fvcore_macs"]
    assert t["twice_macs"] == t["flop_counter_flops"]
    # an engine that miscounts a linear layer's parameters is caught, layer by layer, with exit code 3
    from archstat.layers.linear import Linear

    real = Linear.params
    monkeypatch.setattr(Linear, "params", lambda self, ins: {**real(self, ins), "bias": 1})
    r = runner.invoke(app, ["check", "lenet5", "--no-fvcore"])
    assert r.exit_code == 3
    assert "disagree" in r.output and "params" in r.output


def test_check_needs_specs():
    assert runner.invoke(app, ["check"]).exit_code == 2

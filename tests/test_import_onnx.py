"""`archstat import FILE.onnx`: ONNX files that torch.onnx.export writes from torchvision's networks import with
the same totals as the zoo specs (proven equal to torchvision elsewhere) and no custom layer, and the imported
spec's PyTorch build loads the original state_dict by name (strict) and computes the same outputs.

Each network is exported once per session (``_onnx``), at the smallest input its torchvision code accepts that
keeps the export short: 64x64 where the network pools adaptively to 1x1, 224x224 for AlexNet and VGG (whose
adaptive pools to 6x6 and 7x7 export as fixed pools) and ViT (built for one size)."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

import archstat
from archstat.backend.reference import import_torchvision
from archstat.errors import SpecError, UsageError
from archstat.importing.emit import emit
from archstat.importing.onnx.reader import read_onnx, read_onnx_model, reader

# torchvision name -> (the zoo spec of the same network, export size)
NETWORKS = {"resnet18": ("resnet18", 64), "mobilenet_v2": ("mobilenet_v2", 64),
            "densenet121": ("densenet121", 64), "googlenet": ("googlenet_torchvision", 64),
            "squeezenet1_0": ("squeezenet1_0", 64), "efficientnet_b0": ("efficientnet_b0", 64),
            "mnasnet0_5": ("mnasnet0_5", 64), "regnet_x_400mf": ("regnet_x_400mf", 64),
            "alexnet": ("alexnet_torchvision", 224), "resnext50_32x4d": ("resnext50_32x4d", 64),
            # channels-last blocks: permutes, per-position layer norm and linear, erf GELU, layer scale
            "convnext_tiny": ("convnext_tiny", 64),
            # channel split (Slice) and channel shuffle (Reshape-Transpose-Reshape)
            "shufflenet_v2_x1_0": ("shufflenet_v2_x1_0", 64),
            # tokens, class token, position embedding, nn.MultiheadAttention, select_token
            "vit_b_16": ("vit_b_16", 224),
            "vgg11": ("vgg11", 224)}


def _export(model, path, size, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the TorchScript exporter (the dynamo one needs onnxscript); batch norm kept, initializers named as the
        # state_dict (no constant folding into the convolutions)
        torch.onnx.export(model, torch.randn(1, 3, size, size), str(path), dynamo=False, opset_version=17,
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False, **kw)


def _model(name):
    tv = import_torchvision()
    torch.manual_seed(0)
    kw = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}  # as the zoo spec: no aux heads
    model = tv.models.get_model(name, **kw).eval()
    with torch.no_grad():  # every tensor different (no two equal, as initial ones are), so a misplaced one shows
        for key, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            if key.endswith("running_var"):
                t.uniform_(0.5, 1.5)
            else:
                t.add_(t.abs().mean() * 0.1 * torch.randn_like(t) + 0.01 * torch.randn_like(t))
    return model


@pytest.fixture(scope="session")
def onnx_file(tmp_path_factory):
    """name -> (model, path of its ONNX export, size): exported once per session."""
    cache: dict = {}

    def get(name):
        if name not in cache:
            size = NETWORKS[name][1]
            model = _model(name)
            path = tmp_path_factory.mktemp("onnx") / f"{name}.onnx"
            _export(model, path, size)
            cache[name] = (model, path, size)
        return cache[name]

    return get


@pytest.mark.parametrize("name", list(NETWORKS))
def test_onnx_import_has_the_zoo_totals_and_round_trips(name, onnx_file, tmp_path):
    model, path, size = onnx_file(name)
    imported, types = reader(str(path), None)
    assert imported.customs == [], [(c.name, c.op) for c in imported.customs]
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(emit(imported, scope_types=types))
    got = archstat.analyze(str(spec)).totals
    want = archstat.analyze(NETWORKS[name][0], f"3x{size}x{size}").totals
    assert (got.params, got.buffers, got.macs) == (want.params, want.buffers, want.macs)
    built = archstat.load(str(spec)).to_torch()
    built.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(built(x), model(x), rtol=1e-4, atol=1e-4)


def test_input_re_infers_shapes_at_another_size(onnx_file, tmp_path):
    _, path, _ = onnx_file("resnet18")  # exported at 64x64
    m = read_onnx_model(str(path), (3, 96, 96))
    assert m.input == (3, 96, 96) and m.layers[0].shape == (64, 48, 48)
    spec = tmp_path / "r.yaml"
    spec.write_text(read_onnx(str(path), (3, 96, 96)))
    got, want = archstat.analyze(str(spec)).totals, archstat.analyze("resnet18", "3x96x96").totals
    assert (got.params, got.macs) == (want.params, want.macs)


def test_input_on_sizes_fixed_at_export_is_a_one_line_error(onnx_file):
    _, path, _ = onnx_file("shufflenet_v2_x1_0")  # its channel shuffle reshapes to sizes traced at 64x64
    with pytest.raises(UsageError, match=r"exported at input 3x64x64 and cannot be read at 3x96x96: its Reshape "
                                         r"'/stage2/stage2.0/Reshape' holds sizes fixed at export"):
        read_onnx_model(str(path), (3, 96, 96))


class _Fixed(torch.nn.Module):  # a linear layer sized for one input: the graph holds for 16x16 only
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.fc = torch.nn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))


def test_input_on_a_graph_fixed_to_one_size_is_a_one_line_error(tmp_path):
    path = tmp_path / "fixed.onnx"
    _export(_Fixed().eval(), path, 16)
    assert read_onnx_model(str(path)).layers[-1].shape == (10,)
    with pytest.raises(UsageError, match=r"exported at input 3x16x16 and its shapes do not re-infer at 3x24x24"):
        read_onnx_model(str(path), (3, 24, 24))


def test_a_learned_tensor_the_graph_never_reads_is_named_in_the_notes(tmp_path):
    import numpy as np
    import onnx

    path = tmp_path / "extra.onnx"
    _export(_Fixed().eval(), path, 16)
    model = onnx.load(str(path))
    model.graph.initializer.append(onnx.numpy_helper.from_array(np.ones(5, dtype=np.float32), "head.extra"))
    onnx.save(model, str(path))
    m = read_onnx_model(str(path))
    assert any("never reads (head.extra: 5)" in n for n in m.notes), m.notes


def test_dynamic_input_sizes_need_input(tmp_path):
    path = tmp_path / "dyn.onnx"
    _export(_Fixed().eval(), path, 16, input_names=["x"], dynamic_axes={"x": {0: "n", 2: "h", 3: "w"}})
    with pytest.raises(UsageError, match=r"no fixed size \(3x\?x\?\): give one with --input"):
        read_onnx_model(str(path))
    m = read_onnx_model(str(path), (3, 16, 16))
    assert [(la.kind, la.shape) for la in m.layers] == [("conv", (8, 14, 14)), ("flatten", (8 * 14 * 14,)),
                                                        ("linear", (10,))]


def test_an_unknown_op_is_a_listed_custom_layer_never_zero(tmp_path):
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3)

        def forward(self, x):
            return torch.cumsum(self.conv(x), dim=1)

    path = tmp_path / "net.onnx"
    _export(Net().eval(), path, 16)
    m = read_onnx_model(str(path))
    (c,) = m.customs
    assert c.args["op"] == "onnx:CumSum" and c.args["shape"] == [8, 14, 14]
    assert "macs" not in c.args and "flops" not in c.args  # unknown, not zero
    text = read_onnx(str(path))
    assert "CumSum" in text


def test_a_learned_tensor_no_layer_counts_fails_the_import(tmp_path, monkeypatch):
    """The accounting: a reader that forgot a weight (here: a layer scale read without claiming its tensor) must
    fail, naming the tensor, instead of writing a spec that undercounts."""
    from archstat.importing.onnx.reader import _Reader

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3)
            self.gamma = torch.nn.Parameter(torch.rand(8, 1, 1))

        def forward(self, x):
            return self.conv(x) * self.gamma

    path = tmp_path / "ls.onnx"
    _export(Net().eval(), path, 16)
    m = read_onnx_model(str(path))
    assert [la.kind for la in m.layers] == ["conv", "layer_scale"] and m.layers[1].name == "gamma"
    real = _Reader.claim
    monkeypatch.setattr(_Reader, "claim", lambda self, *nodes: real(self, *[
        n for n in nodes if n.op_type != "Mul"]))
    with pytest.raises(SpecError, match=r"learned tensors that no imported layer counts: gamma \(8\)"):
        read_onnx_model(str(path))


def test_cli_imports_an_onnx_file(tmp_path):
    from typer.testing import CliRunner

    from archstat.cli import app

    tv = import_torchvision()
    path = tmp_path / "sq.onnx"
    _export(tv.models.squeezenet1_1().eval(), path, 64)
    out = tmp_path / "sq.yaml"
    r = CliRunner().invoke(app, ["import", str(path), "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert archstat.analyze(str(out)).totals.params == archstat.analyze("squeezenet1_1").totals.params
    r = CliRunner().invoke(app, ["import", str(path), "--input", "3x96x96", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert archstat.analyze(str(out)).totals.macs == archstat.analyze("squeezenet1_1", "3x96x96").totals.macs

"""``archstat import``: torchvision, timm and the user's own factory, traced on the meta device, as specs.

Each network is imported (torch.fx on the meta device: no weights, no memory) and the spec compiled:

- all 80 of torchvision's classification networks, on the meta device only: the spec build's state_dict keys and
  shapes equal to the module's (a strict load's test), parameters and buffers equal to the module's, MACs equal to torchvision's published ``_ops`` (GMACs to 3 decimals, the weights' metadata), no
  ``custom`` layer (about 40 s on 2 cores);
- the round trip for 70 of them (``ROUND_TRIP_TV``: every one but the 10 heaviest, ``META_ONLY_TV``), on the CPU at
  the smallest input each allows (64x64; ViT and MaxViT 224; Inception v3 96): the spec's PyTorch build loads
  torchvision's state_dict strictly and computes the same outputs (about 5.5 min on 2 cores under CI load, roughly
  half that alone). The 10 (efficientnet_b7, efficientnet_v2_m and _l, swin_b, swin_v2_s and _b, vit_l_16,
  vit_l_32, vit_h_14, regnet_y_128gf: 50 M to 645 M parameters, 12 to 41 s each) are the same code as a smaller
  sibling that is run, and are proven on the meta device only (state_dict keys and shapes, counts);
- a module with weights called twice is an error naming it (a spec cannot share weights), never a double count;
- (timm models: tests/test_import_timm.py);
- the emitter folds repeated submodules into blocks and ``repeat`` (resnet50 in well under 150 lines);
- a user factory ``FILE.py:CALLABLE``, and an op with no kind (``custom``, counted, listed, never zero).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from archstat.backend.reference import import_torchvision

import_torchvision()  # before timm, which imports torchvision: against CPU torch it needs the stand-in
timm = pytest.importorskip("timm")
from archstat.core.engine import analyze
from archstat.importing.emit import emit
from archstat.importing.ir import ImportedLayer, ImportedModel
from archstat.importing.sources import import_model, is_source
from archstat.language.expand import compile_spec
from archstat.language.yamlio import parse_yaml


def _compile(model, types=None, fold=True):
    text = emit(model, fold=fold, scope_types=types)
    return text, compile_spec(parse_yaml(text, model.name), model.name)


def _meta_counts(module):
    return sum(p.numel() for p in module.parameters()), sum(b.numel() for b in module.buffers())


# ---------------------------------------------------------------------------------------------------- the pieces
def test_sources_are_recognised_without_torch_work():
    assert is_source("torchvision:resnet50") and is_source("timm:resnet50") and is_source("net.onnx")
    assert is_source("models/net.py:make") and not is_source("resnet50") and not is_source("specs/vgg16.yaml")


def test_emit_folds_equal_submodules_into_a_repeated_block_and_keeps_every_name():
    layers = [ImportedLayer("stem", "conv", {"out": 8, "kernel": 3, "padding": 1}, ["input"], (8, 16, 16))]
    prev = "stem"
    for k in range(3):
        p = f"body.{k}"
        layers += [ImportedLayer(f"{p}.conv", "conv", {"out": 8, "kernel": 3, "padding": 1}, [prev], (8, 16, 16)),
                   ImportedLayer(f"{p}.relu", "relu", {}, [f"{p}.conv"], (8, 16, 16)),
                   ImportedLayer(f"{p}.add", "add", {}, [f"{p}.relu", prev], (8, 16, 16))]
        prev = f"{p}.add"
    model = ImportedModel("toy", "test", (3, 16, 16), layers)
    text, g = _compile(model, {"body.0": "ResUnit", "body.1": "ResUnit", "body.2": "ResUnit"})
    assert "res_unit:" in text and "repeat: 3" in text
    assert [n.name for n in g.nodes] == [la.name for la in layers]
    assert [list(n.inputs) for n in g.nodes] == [la.inputs for la in layers]
    flat, gf = _compile(model, fold=False)
    assert "repeat" not in flat and analyze(gf).totals.params == analyze(g).totals.params == 4 * (8 * 9 * 8 + 8) - 8 * 9 * 8 + 3 * 9 * 8


def test_resnet50_reads_like_a_zoo_spec():
    """As specs/resnet50.yaml: the stem, four stages, the head. A stage (an ``nn.Sequential``) is a named group, never
    a block: its projecting first unit, then a ``repeat`` of the equal units after it; the projection shortcut
    (also a Sequential) is a group inside the unit's block."""
    model, types = import_model("torchvision:resnet50")
    text, g = _compile(model, types)
    assert len(text.splitlines()) <= 150, len(text.splitlines())
    for stage, more in (("layer1", 2), ("layer2", 3), ("layer3", 5), ("layer4", 2)):
        assert f"  - name: {stage}  #" in text  # a group at the top level
        group = text.split(f"  - name: {stage}  #")[1].split("\n  - ")[0]
        assert '- bottleneck: {name: "0"' in group and f"repeat: {more}" in group, group
    blocks = text.split("\nblocks:\n")[1]
    assert "sequential" not in text and "a_0_" not in text
    assert sorted(line.split(":")[0].strip() for line in blocks.splitlines() if line.startswith("  ") and not
                  line.startswith("   ")) == ["bottleneck", "bottleneck_2"]
    assert "      - name: downsample" in blocks
    assert [n.name for n in g.nodes] == [la.name for la in model.layers]
    assert analyze(g).totals.params == 25_557_032


# ---------------------------------------------------------------------------------------------------- torchvision
def _torchvision_names():
    tv = import_torchvision()
    return sorted(tv.models.list_models(module=tv.models))


TORCHVISION = _torchvision_names()


def test_every_torchvision_classification_network_is_listed():
    assert len(TORCHVISION) == 80


def _reference_on_meta(name):
    """torchvision's module built as ``archstat import`` builds it: on the meta device, or (RegNet, whose builder
    computes its widths with ``torch.arange(...).tolist()``) with each weight moved to meta as it is registered."""
    from archstat.importing.sources import weights_on_meta

    tv = import_torchvision()
    try:
        with torch.device("meta"):
            return tv.models.get_model(name, weights=None, **_tv_kw(name))
    except (RuntimeError, NotImplementedError):
        with weights_on_meta():
            return tv.models.get_model(name, weights=None, **_tv_kw(name))


def _published_ops(name, size):
    """torchvision's published GMACs (``_ops``) of the first weights whose crop is ``size`` (vit_h_14's 518 weights
    are a model built for 518: its 224 ones are the model ``get_model(weights=None)`` builds)."""
    weights = list(import_torchvision().models.get_model_weights(name))
    for w in weights:
        crop = getattr(w.transforms, "keywords", {}).get("crop_size")
        if crop is not None and int(crop[0] if isinstance(crop, (list, tuple)) else crop) == size:
            return w.meta["_ops"]
    return weights[0].meta["_ops"]


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_network_imports_exactly(name):
    """All 80, on the meta device (no weights, no forward on data): the spec build's state_dict has torchvision's
    keys and shapes (what a strict load checks), params and buffers equal to the module's,
    MACs equal to torchvision's published ``_ops`` (GMACs to 3 decimals), no ``custom`` layer."""
    model, types = import_model(f"torchvision:{name}")
    assert model.customs == [], [(c.name, c.op) for c in model.customs]
    _, g = _compile(model, types)
    a = analyze(g)
    ref = _reference_on_meta(name)
    assert (a.totals.params, a.totals.buffers) == _meta_counts(ref)
    from archstat.backend import build

    ours = {k: tuple(v.shape) for k, v in build(g, device="meta").state_dict().items()}
    assert ours == {k: tuple(v.shape) for k, v in ref.state_dict().items()}  # strict: every key, every shape
    ops = _published_ops(name, model.input[1])
    assert round(a.totals.macs / 1e9, 3) == pytest.approx(ops, abs=1e-3 + 1e-9), (a.totals.macs, ops)


# The round trip (the spec's PyTorch build loads torchvision's state_dict strictly and computes the same outputs,
# eval, float32) on the CPU at the smallest input a network allows: 64x64 for the CNNs and Swins (every layer before
# the global pool is size-agnostic), 224 for ViT and MaxViT (their position embeddings and windows fix it), 96 for
# Inception v3 (75 or more). Each costs a random-init torchvision module, the import, the spec's build (also randomly
# initialised), the strict load and one forward of each. All 80 pass; the ones whose round trip costs more than ~10 s
# on the 2 CPU cores here under CI load (~5 s alone) are kept on the meta device only (keys, shapes and counts in
# test_torchvision_network_imports_exactly); each is a wider or deeper size of a family that is run here (the same
# block code: efficientnet_b6, efficientnet_v2_s, swin_s, swin_t, swin_v2_t, vit_b_16 and vit_b_32, regnet_y_32gf).
# Measured on 2 cores under CI load (~2x): the 70 run take ~330 s (the 23 of the first cut included); these 10, ~180 s more.
META_ONLY_TV = {  # name -> (parameters, seconds of its round trip measured on 2 cores under CI load)
    "swin_b": ("87.8 M", 12.1), "efficientnet_v2_m": ("54.1 M", 12.4), "swin_v2_s": ("49.7 M", 12.7),
    "efficientnet_b7": ("66.3 M", 13.7), "swin_v2_b": ("87.9 M", 14.3), "vit_l_32": ("306.5 M", 15.8),
    "vit_l_16": ("304.3 M", 16.7), "efficientnet_v2_l": ("118.5 M", 16.7), "regnet_y_128gf": ("644.8 M", 30.2),
    "vit_h_14": ("632.0 M", 40.6),
}
ROUND_TRIP_TV = {  # name -> input side
    name: 224 if name.startswith(("vit_", "maxvit_")) else 96 if name == "inception_v3" else 64
    for name in TORCHVISION if name not in META_ONLY_TV
}


@pytest.mark.parametrize("name", sorted(ROUND_TRIP_TV))
def test_torchvision_round_trip(name):
    """70 of the 80 (all but ``META_ONLY_TV``: efficientnet_b7, efficientnet_v2_m/_l, swin_b, swin_v2_s/_b, vit_l_16,
    vit_l_32, vit_h_14, regnet_y_128gf, 12-41 s each here, on the meta device only): strict load, same outputs."""
    side = ROUND_TRIP_TV[name]
    _round_trip(f"torchvision:{name}", (3, side, side),
                lambda: import_torchvision().models.get_model(name, weights=None, **_tv_kw(name)))


def _tv_kw(name):
    from archstat.importing.sources import TORCHVISION_KW

    return TORCHVISION_KW.get(name, {})


def _round_trip(source, shape, make):
    from archstat.backend import build

    model, types = import_model(source, shape)
    _, g = _compile(model, types)
    torch.manual_seed(0)
    ref = make().eval()
    ours = build(g)
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(1, *shape)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref(x), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------------------------- the user's code
FACTORY = '''
import torch
from torch import nn


class Unit(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)) + x)


class Net(nn.Module):
    input_size = (3, 32, 32)

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.units = nn.Sequential(*[Unit(16) for _ in range(4)])
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.units(self.stem(x))
        y = self.head(x.mean((2, 3)))
        return y * 0.5 + torch.cumsum(y, dim=1)


def make():
    return Net()
'''


def test_a_user_factory_imports_with_its_unknown_op_as_custom(tmp_path):
    f = tmp_path / "net.py"
    f.write_text(FACTORY)
    model, types = import_model(f"{f}:make")
    assert model.input == (3, 32, 32)
    (c,) = model.customs  # cumsum has no kind: a custom layer, listed, with its shape
    assert c.args["op"].endswith("cumsum") and c.shape == (10,)
    text, g = _compile(model, types)
    assert "repeat: 4" in text and "custom" in text
    a = analyze(g)
    assert a.totals.params == 3 * 9 * 16 + 16 + 4 * (16 * 9 * 16 + 32) + 16 * 10 + 10


def test_the_cli_imports_and_summary_accepts_a_source(tmp_path):
    from typer.testing import CliRunner

    from archstat.cli import app

    out = tmp_path / "r18.yaml"
    r = CliRunner().invoke(app, ["import", "torchvision:resnet18", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert analyze(compile_spec(parse_yaml(out.read_text(), "r18"), "r18")).totals.params == 11_689_512
    r = CliRunner().invoke(app, ["summary", "torchvision:resnet18", "--format", "json"])
    assert r.exit_code == 0 and '"params": 11689512' in r.output
    r = CliRunner().invoke(app, ["import", "timm:no_such_net"])
    assert r.exit_code == 1 and "timm" in r.output and "no model" in r.output



@pytest.mark.parametrize("argv", [
    ["compare", "torchvision:resnet18", "resnet18", "--format", "json"],
    ["sweep", "torchvision:resnet18", "--sizes", "64:128:64", "--format", "json"],
    ["memory", "torchvision:resnet18", "--train", "--batch", "2", "--format", "json"],
    ["check", "torchvision:resnet18", "--no-fvcore", "--format", "json"],
], ids=lambda a: a[0])
def test_the_other_commands_accept_a_source(argv):
    """A source stands wherever a spec name does; the figures are the zoo spec's (same network)."""
    import json

    from typer.testing import CliRunner

    from archstat.cli import app

    r = CliRunner().invoke(app, argv)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    if argv[0] == "memory":  # resnet18's 11,689,512 float32 parameters
        assert data["totals"]["param_bytes"] == 4 * 11_689_512 and data["totals"]["complete"]
    elif argv[0] != "sweep":
        assert "11689512" in r.output.replace(",", ""), r.output[:400]
    else:
        assert [row["params"] for row in data] == [11_689_512] * 2, r.output[:400]

SHARED = '''
import torch
from torch import nn


class Twice(nn.Module):
    def __init__(self, conv_twice=True):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 3, padding=1)
        self.act = nn.ReLU()
        self.conv_twice = conv_twice

    def forward(self, x):
        x = self.act(self.conv(x))
        return self.act(self.conv(x) if self.conv_twice else x)  # the ReLU is called twice: no weights, fine


def shared():
    return Twice()


def relu_twice():
    return Twice(conv_twice=False)
'''


def test_a_module_called_twice_with_weights_is_an_error_not_a_double_count(tmp_path):
    """A spec holds one set of weights per layer: a module with weights called twice would count them twice, so
    the import stops with one line naming it. A module without tensors called twice is two layers (act, act_1)."""
    from typer.testing import CliRunner

    from archstat.cli import app
    from archstat.errors import SpecError

    f = tmp_path / "twice.py"
    f.write_text(SHARED)
    with pytest.raises(SpecError, match=r"module 'conv' \(Conv2d, 84 weights\) is called more than once"):
        import_model(f"{f}:shared", (3, 8, 8))
    r = CliRunner().invoke(app, ["import", f"{f}:shared", "--input", "3x8x8"])
    assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1 and "called more than once" in r.output
    model, _ = import_model(f"{f}:relu_twice", (3, 8, 8))
    assert [la.name for la in model.layers] == ["conv", "act", "act_1"]
    assert analyze(_compile(model)[1]).totals.params == 3 * 3 * 9 + 3

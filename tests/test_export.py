"""`archstat export SPEC --to torch`: the file is standalone PyTorch whose modules are the spec's own build.

For every zoo spec: the exported file runs in a fresh namespace (nothing but torch imported), its network's
state_dict has the spec build's keys and shapes (on the meta device), and a forward gives the same output shapes.
For a set of specs that holds every kind with a torch module, on the CPU at a small input: the spec build's
state_dict (batch-norm statistics randomised) loads strictly and both compute the same outputs.
"""

from __future__ import annotations

import ast

import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")

import archstat
from archstat.backend import build
from archstat.cli import app
from archstat.exporting.torch import export_torch
from archstat.language.catalog import builtin_names
from archstat.layers import REGISTRY

runner = CliRunner()


def _module(source: str, root: str):
    tree = ast.parse(source)
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
                for a in (n.names if isinstance(n, ast.Import) else [ast.alias(n.module or "")])}
    assert imported <= {"torch", "math", "__future__"}, f"the file imports {sorted(imported)}"
    ns: dict = {"__name__": "exported"}
    exec(compile(source, "<exported>", "exec"), ns)
    return ns[root]


def _outs(y):
    return y if isinstance(y, tuple) else (y,)


@pytest.mark.parametrize("name", builtin_names())
def test_state_dict_equals_the_spec_build(name):
    e = export_torch(name)
    cls = _module(e.source, e.root)
    with torch.device("meta"):
        m = cls()
    ref = build(e.graph, device="meta")
    got = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    want = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    assert set(got) == set(want), sorted(set(got) ^ set(want))[:6]
    assert got == want
    assert sum(p.numel() for p in m.parameters()) == e.params == sum(p.numel() for p in ref.parameters())


# (spec, input): together they hold every kind with a torch module (checked below); small inputs where the spec
# allows them
NUMERIC = {
    "resnet18": "3x64x64", "mobilenet_v3_small": "3x64x64", "vit_b_32": "3x64x64", "convnext_tiny": "3x64x64",
    "efficientnet_b0": "3x32x32", "lenet5_original": None, "lenet5": None, "squeezenet1_1": "3x64x64",
    "googlenet": None, "shufflenet_v2_x0_5": "3x64x64", "inception_v3": "3x96x96", "unet": "1x188x188",
    "swin_t": "3x64x64", "swin_v2_t": "3x64x64", "sknet50": "3x64x64",
    "nasnet_a_mobile": "3x64x64",
    "densenet121": "3x64x64", "mnasnet0_5": "3x64x64", "regnet_y_400mf": "3x64x64", "xception": "3x96x96",
    "amoebanet_a_n4_f50": "3x64x64", "preact_resnet110": None, "maxvit_t": None,
    "mobilenet_v2": "3x64x64",
}

# the kinds no zoo spec uses, with blocks whose uses differ in their arguments and in their shape (a 'when')
EVERY_KIND = """
name: every_kind
input: [3, 32, 32]
blocks:
  unit:
    args: {c: null, stride: 1, down: false}
    layers:
      - conv: {name: conv1, out: $c, kernel: 3, stride: $stride, padding: 1, bias: false}
      - group_norm: {name: gn, groups: 2}
      - leaky_relu: {name: act, slope: 0.2}
      - conv: {name: conv2, out: $(2 * c), kernel: 1}
      - prelu: {name: prelu}
      - name: down
        when: $down
        inputs: [input]
        layers:
          - conv: {name: "0", out: $(2 * c), kernel: 1, stride: $stride}
          - relu6: {name: "1"}
      - add: {inputs: [prelu, down]}
layers:
  - conv: {name: stem, out: 8, kernel: 4, padding: same}
  - unit: {name: a, c: 4}
  - unit: {name: b, c: 8, stride: 2, down: true}
  - unit: {name: c, c: 8}
  - pixel_unshuffle: {name: unshuffle, downscale: 2}
  - pixel_shuffle: {name: shuffle, upscale: 2}
  - upsample: {name: up, scale: 2, mode: bilinear}
  - upsample: {name: up2, scale: 2, mode: nearest, inputs: [shuffle]}
  - tokens: {name: tok, inputs: [up]}
  - layer_norm: {name: ln}
  - qkv_attention: {name: attn, heads: 2}
  - token_affine: {name: aff}
  - token_transpose: {name: tt}  # 16 x 1024: the linear mixes the tokens
  - linear: {name: mix, out: 1024}
  - token_transpose: {name: tb}
  - sub: {name: diff, inputs: [tb, attn]}
  - to_map: {name: map}
  - eca: {name: eca, kernel: 3}
  - concat: {name: cat, inputs: [eca, up2]}
  - scale: {name: halved, value: 0.5}
  - scale: {name: affine}
  - slice: {name: pick, index: [0, 2, 5]}
  - slice: {name: first, start: 0, stop: 2, inputs: [affine]}
  - concat: {name: both, inputs: [pick, first]}
  - global_avgpool: {name: pool}
  - flatten: {name: flat}
  - token_mean: {name: tmean, inputs: [diff]}
  - concat: {name: feats, inputs: [flat, tmean]}
  - linear: {name: fc, out: 10, frozen: true}
"""


def _kinds(name, inp):
    return {n.kind for n in archstat.load(name, inp).nodes}


@pytest.fixture
def every_kind(tmp_path):
    p = tmp_path / "every_kind.yaml"
    p.write_text(EVERY_KIND)
    return str(p)


def test_the_numeric_set_holds_every_kind(every_kind):
    have = set().union(*(_kinds(n, i) for n, i in NUMERIC.items() if n in builtin_names()))
    have |= _kinds(every_kind, None)
    torch_kinds = {k for k, c in REGISTRY.items() if k == c.kind and c.has_torch_module()}
    assert torch_kinds - have == set(), "kinds no spec of NUMERIC holds: add a spec that has them"


def _randomise_statistics(m):
    g = torch.Generator().manual_seed(0)
    for mod in m.modules():
        if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm) and mod.running_mean is not None:
            mod.running_mean.copy_(torch.randn(mod.running_mean.shape, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(mod.running_var.shape, generator=g) + 0.5)


@pytest.mark.parametrize("name", [n for n in NUMERIC if n in builtin_names()] + ["every_kind"])
def test_outputs_equal_the_spec_build(name, every_kind):
    inp = NUMERIC.get(name)
    name = every_kind if name == "every_kind" else name
    torch.manual_seed(0)
    e = export_torch(name, inp)
    ref = build(e.graph)
    with torch.no_grad():
        _randomise_statistics(ref)
    m = _module(e.source, e.root)().eval()
    m.load_state_dict(ref.state_dict(), strict=True)
    assert [n for n, p in m.named_parameters() if not p.requires_grad] == \
        [n for n, p in ref.named_parameters() if not p.requires_grad]
    x = ref.example_input(batch=2)
    with torch.no_grad():
        ys, zs = _outs(m(x)), _outs(ref(x))
    assert len(ys) == len(zs)
    for y, z in zip(ys, zs):
        torch.testing.assert_close(y, z, rtol=1e-4, atol=1e-5)


def test_the_file_reads_like_the_network():
    src = export_torch("resnet50").source
    assert "class Bottleneck(nn.Module):" in src and "class BottleneckWithDownsample(nn.Module):" in src
    assert "self.conv3 = nn.Conv2d(c, 4 * c, 1, bias=False)" in src          # the block's own argument, 4c
    assert "x = self.layer1(x)  # 256x56x56" in src                           # straight-line, with shapes
    assert "self.layer1 = nn.Sequential(" in src
    assert len(src.splitlines()) < 250


def test_cli_writes_the_file(tmp_path):
    out = tmp_path / "net.py"
    r = runner.invoke(app, ["export", "resnet18", "--to", "torch", "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert "class Resnet18(nn.Module):" in out.read_text()
    r = runner.invoke(app, ["export", "resnet18", "--to", "onnx"])
    assert r.exit_code == 2 and "--to" in r.output


def test_cli_refuses_a_custom_layer(write_spec):
    p = write_spec("name: t\ninput: [3, 8, 8]\nlayers:\n  - conv: {out: 4, kernel: 3}\n"
                   "  - custom: {name: roi, op: roi_align, shape: [4, 2, 2]}\n")
    r = runner.invoke(app, ["export", str(p), "--to", "torch"])
    assert r.exit_code == 1 and "no PyTorch equivalent" in r.output and "roi" in r.output

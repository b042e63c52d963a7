"""Token sequences (L x D): the map-to-token kinds, class tokens, position embeddings and self-attention, against
torch's own modules and hand-derived counts.

A tiny ViT-like spec (3 x 8 x 8 input, 4x4 patches of width 8, 2 heads): 2 x 2 = 4 patch tokens plus a class
token, L = 5, D = 8.
- conv_proj: 8 * 3 * 4 * 4 + 8 = 392 parameters, 4 positions * 8 * 48 = 1,536 MACs;
- class_token: 8 parameters; pos_embedding: 5 * 8 = 40 parameters;
- attention: 4 * 8 * 8 + 4 * 8 = 288 parameters, 4 * 5 * 8 * 8 + 2 * 5 * 5 * 8 = 1,680 MACs.
"""

import pytest

import archstat
from archstat.errors import ShapeError

torch = pytest.importorskip("torch")

TINY = """
name: tiny_vit
input: [3, 8, 8]
layers:
  - conv: {name: conv_proj, out: 8, kernel: 4, stride: 4}
  - tokens: {name: tokens}
  - class_token: {name: class_token}
  - pos_embedding: {name: encoder.pos_embedding}
  - self_attention: {name: encoder.attn, heads: 2}
  - select_token: {name: cls}
"""


@pytest.fixture()
def tiny(tmp_path):
    p = tmp_path / "tiny_vit.yaml"
    p.write_text(TINY)
    return str(p)


def test_tiny_counts_by_hand(tiny):
    a = archstat.analyze(tiny)
    rows = {r.name: r for r in a.layers}
    assert rows["tokens"].output_shape == (4, 8)
    assert rows["class_token"].output_shape == (5, 8)
    assert rows["encoder.attn"].output_shape == (5, 8)
    assert rows["cls"].output_shape == (8,)
    assert rows["conv_proj"].n_params == 8 * 3 * 4 * 4 + 8
    assert rows["class_token"].n_params == 8
    assert rows["encoder.pos_embedding"].n_params == 5 * 8
    assert rows["encoder.attn"].n_params == 4 * 8 * 8 + 4 * 8
    assert rows["encoder.attn"].macs == 4 * 5 * 8 * 8 + 2 * 5 * 5 * 8
    assert a.totals.macs == 4 * 8 * 48 + 4 * 5 * 8 * 8 + 2 * 5 * 5 * 8


def test_tokens_keep_their_field_until_attention_makes_it_global(tiny):
    from archstat.layers import GLOBAL

    rows = {r.name: r for r in archstat.analyze(tiny).layers}
    assert rows["tokens"].field.size == (4, 4) and rows["encoder.pos_embedding"].field.size == (4, 4)
    assert rows["encoder.attn"].field is GLOBAL


def test_state_dict_keys_are_torchvision_s(tiny):
    """class_token and encoder.pos_embedding are parameters of the model and of `encoder`, not modules."""
    m = archstat.load(tiny).to_torch()
    keys = set(m.state_dict())
    assert {"class_token", "encoder.pos_embedding", "conv_proj.weight", "conv_proj.bias",
            "encoder.attn.in_proj_weight", "encoder.attn.in_proj_bias", "encoder.attn.out_proj.weight",
            "encoder.attn.out_proj.bias"} == keys
    assert m.state_dict()["class_token"].shape == (1, 1, 8)
    assert m.state_dict()["encoder.pos_embedding"].shape == (1, 5, 8)
    assert sum(p.numel() for p in m.parameters()) == archstat.analyze(tiny).totals.params
    # the layer's module still counts its own parameter (check compares per layer)
    assert sum(p.numel() for p in m.layer_modules()["class_token"].parameters()) == 8
    with torch.no_grad():
        m.state_dict()["class_token"].fill_(1.5)  # the state_dict entry is the tensor the layer uses
        x = m.example_input()
        out = m.layer_modules()["class_token"](torch.zeros(1, 4, 8))
    assert torch.all(out[:, 0] == 1.5) and out.shape == (1, 5, 8)
    assert m(x).shape == (1, 8)


def test_self_attention_computes_what_torch_multihead_attention_computes():
    from archstat.layers._torch_tokens import SelfAttention

    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(16, 4, batch_first=True).eval()
    ours = SelfAttention(16, 4).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 7, 16)
    with torch.no_grad():
        want, _ = ref(x, x, x, need_weights=False)
        got = ours(x)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_tokens_and_back_are_torch_s_reshape():
    from archstat.layers._torch_tokens import ToMap, ToTokens

    x = torch.randn(2, 3, 4, 5)
    t = ToTokens()(x)
    assert t.shape == (2, 20, 3) and torch.equal(t[:, 6], x[:, :, 1, 1])  # row-major: position 1*5 + 1
    assert torch.equal(ToMap(4, 5)(t), x)


@pytest.mark.parametrize("text,match", [
    ("  - self_attention: {heads: 3}\n", "3 heads do not divide the 8 features"),
    ("  - to_map: {size: [3, 3]}\n", "holds 9 tokens, the input has 5"),
    ("  - to_map\n", "5 tokens are not a square"),
    ("  - select_token: {index: 5}\n", "index 5 is past the 5 tokens"),
])
def test_token_shape_errors(tmp_path, text, match):
    p = tmp_path / "bad.yaml"
    p.write_text(TINY.replace("  - select_token: {name: cls}\n", text))
    with pytest.raises(ShapeError, match=match):
        archstat.analyze(str(p))


def test_a_map_kind_on_tokens_and_a_token_kind_on_a_map_are_errors(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: b\ninput: [3, 8, 8]\nlayers:\n  - self_attention: {heads: 1}\n")
    with pytest.raises(ShapeError, match="needs L x D tokens"):
        archstat.analyze(str(p))


def test_pinned_position_embedding_refuses_another_length(tmp_path):
    p = tmp_path / "pinned.yaml"
    p.write_text(TINY.replace("{name: encoder.pos_embedding}", "{name: encoder.pos_embedding, length: 5}"))
    assert archstat.analyze(str(p)).totals.params > 0
    with pytest.raises(ShapeError, match="trained for 5 tokens; the input has 17"):
        archstat.analyze(str(p), input="3x16x16")

"""MaxViT's kinds (partition, relative_attention, departition) against torchvision's own modules and hand-derived
counts (maxvit_t itself is proven in test_torchvision_equal.py; `archstat check maxvit_t --against torchvision`
compares its layers one by one, torchvision's groups of tokens flattened as the spec's sequence: ``_close`` here).

A tiny MaxViT-like spec (3 x 14 x 14 input, a 3x3 convolution to 8 channels, then block attention (after a layer
norm) in 7 x 7 windows and grid attention on a 7 x 7 grid 2 apart, each between a partition and a departition):
- stem: 8 * 3 * 3 * 3 + 8 = 224 parameters, 14*14 * 8 * 27 = 42,336 MACs;
- attn (head_dim 4: 2 heads; L = 196 tokens of D = 8 in 4 windows of g = 49): 3*8*8 + 3*8 + 8*8 + 8 + 13*13*2
  = 626 parameters, 49*49 = 2,401 buffer entries, 4*196*8*8 + 2*196*49*8 = 203,840 MACs;
- gattn (head_dim 2: 4 heads): 3*8*8 + 3*8 + 8*8 + 8 + 13*13*4 = 964 parameters, the same MACs.
"""

import pytest

import archstat
from archstat.errors import ShapeError
from archstat.layers import GLOBAL

torch = pytest.importorskip("torch")

TINY = """
name: tiny_maxvit
input: [3, 14, 14]
layers:
  - conv: {name: stem, out: 8, kernel: 3, padding: 1}
  - partition: {name: part, size: 7}
  - layer_norm: {name: norm}
  - relative_attention: {name: attn, head_dim: 4, size: 7}
  - add: {name: res, inputs: [part, attn]}
  - departition: {name: back, inputs: [res, stem], size: 7}
  - partition: {name: gpart, size: 7, mode: grid}
  - relative_attention: {name: gattn, head_dim: 2, size: 7, partition: grid}
  - departition: {name: gback, inputs: [gattn, back], size: 7, mode: grid}
"""


def _spec(tmp_path, text=TINY, name="tiny_maxvit.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_tiny_counts_by_hand(tmp_path):
    a = archstat.analyze(_spec(tmp_path))
    rows = {r.name: r for r in a.layers}
    assert rows["part"].output_shape == (14 * 14, 8) and rows["gpart"].output_shape == (196, 8)
    assert rows["back"].output_shape == (8, 14, 14) and rows["gback"].output_shape == (8, 14, 14)
    assert rows["attn"].n_params == 3 * 8 * 8 + 3 * 8 + 8 * 8 + 8 + 13 * 13 * 2
    assert rows["gattn"].n_params == 3 * 8 * 8 + 3 * 8 + 8 * 8 + 8 + 13 * 13 * 4
    assert rows["attn"].macs == rows["gattn"].macs == 4 * 196 * 8 * 8 + 2 * 196 * 49 * 8
    assert a.totals.buffers == 2 * 49 * 49
    assert a.totals.macs == 14 * 14 * 8 * 27 + 2 * (4 * 196 * 8 * 8 + 2 * 196 * 49 * 8)
    for r in ("part", "back", "gpart", "gback"):  # permutation copies: no arithmetic
        assert (rows[r].n_params, rows[r].macs, rows[r].flops) == (0, 0, 0)


def test_fields_window_then_grid(tmp_path):
    rows = {r.name: r for r in archstat.analyze(_spec(tmp_path)).layers}
    assert rows["part"].field.size == (3, 3)  # the stem's 3x3: partitioning keeps each position's field
    assert rows["attn"].field.size == (3 + 6, 3 + 6)  # a 7x7 window adds 7 - 1
    assert rows["back"].field.size == (9, 9)
    assert rows["gattn"].field is GLOBAL and rows["gback"].field is GLOBAL  # the grid spans the map


def test_one_window_holding_the_map_is_global(tmp_path):
    text = TINY.replace("input: [3, 14, 14]", "input: [3, 7, 7]")
    rows = {r.name: r for r in archstat.analyze(_spec(tmp_path, text)).layers}
    assert rows["attn"].field is GLOBAL  # maxvit_t's last stage: 7 x 7, one window


# ------------------------------------------------------------------------------------------------ against torchvision
def _tv_maxvit():
    from archstat.backend.reference import import_torchvision

    import_torchvision()
    import torchvision.models.maxvit as m

    return m


@pytest.mark.parametrize("mode, h, w", [("window", 14, 21), ("grid", 14, 14), ("window", 7, 7), ("grid", 21, 21)])
def test_partition_is_torchvision_s(mode, h, w):
    """torchvision's WindowPartition (p = s for a window, p = H/s then SwapAxes(-2, -3) for the grid; square
    maps only for the grid, as torchvision's) flattened over its group axis, and its departition back."""
    from archstat.layers._torch_maxvit import Departition, Partition

    tv = _tv_maxvit()
    s = 7
    x = torch.randn(2, 5, h, w)
    p = s if mode == "window" else h // s
    want = tv.WindowPartition()(x, p)
    if mode == "grid":
        want = tv.SwapAxes(-2, -3)(want)
    got = Partition(s, mode)(x)
    assert got.shape == (2, h * w, 5) and torch.equal(got, want.flatten(1, 2))
    back = tv.WindowDepartition()(tv.SwapAxes(-2, -3)(want) if mode == "grid" else want, p, h // p, w // p)
    assert torch.equal(Departition(s, mode)(got, x), back) and torch.equal(back, x)


def test_grid_partition_of_a_rectangular_map():
    """Off torchvision's square maps, the grid is s x s points H/s rows and W/s columns apart; group 0 holds the
    positions (i*H/s, j*W/s), and departition undoes it."""
    from archstat.layers._torch_maxvit import Departition, Partition

    x = torch.randn(1, 3, 14, 21)
    t = Partition(7, "grid")(x)
    assert torch.equal(t[0, :49], x[0, :, ::2, ::3].permute(1, 2, 0).reshape(49, 3))
    assert torch.equal(Departition(7, "grid")(t, x), x)


@pytest.mark.parametrize("d, head_dim, size, groups", [(64, 32, 7, 3), (24, 8, 3, 2), (6, 2, 2, 5)])
def test_relative_attention_is_torchvision_s(d, head_dim, size, groups):
    """RelativePositionalMultiHeadAttention on B x G x g x D, strict state_dict load, the same outputs on the
    flattened groups."""
    from archstat.layers._torch_maxvit import RelativeAttention

    tv = _tv_maxvit()
    torch.manual_seed(0)
    ref = tv.RelativePositionalMultiHeadAttention(d, head_dim, size * size).eval()
    ours = RelativeAttention(d, head_dim, size).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    assert torch.equal(ours.relative_position_index, ref.relative_position_index)
    x = torch.randn(2, groups, size * size, d)
    with torch.no_grad():
        want, got = ref(x), ours(x.flatten(1, 2))
    torch.testing.assert_close(got, want.flatten(1, 2), rtol=1e-4, atol=1e-5)


def test_close_compares_torchvision_s_groups_with_the_spec_s_tokens():
    from archstat.backend.against import _close

    ref = torch.randn(1, 4, 49, 8)
    assert _close(ref.flatten(1, 2).clone(), ref) == (True, 0.0)
    assert not _close(ref.transpose(1, 2).flatten(1, 2), ref)[0]  # the same elements in another order differ


# ------------------------------------------------------------------------------------------------ training memory
@pytest.mark.parametrize("frozen_stem, frozen_attn", [(False, False), (False, True), (True, False), (True, True)])
@pytest.mark.parametrize("how", ["float32", "amp", "bfloat16"])
def test_saved_bytes_exact(tmp_path, frozen_stem, frozen_attn, how):
    """What autograd saves, measured on the CPU, equals the rules: the attention's input, its q, k, v copies, the
    weights (float32 and a half copy under AMP: the float32 bias table promotes the scores), the heads' output
    copy; with frozen projections and no gradient coming in (stem and norm frozen too), nothing."""
    from archstat.backend.memory import saved_bytes
    from archstat.core.memory import train_memory

    text = TINY.replace("padding: 1}", "padding: 1" + (", frozen: true}" if frozen_stem else "}"))
    text = text.replace("{name: norm}", "{name: norm, frozen: true}" if frozen_stem else "{name: norm}")
    text = text.replace("size: 7}\n  - add", "size: 7" + (", frozen: true}" if frozen_attn else "}") + "\n  - add")
    g = archstat.load(_spec(tmp_path, text))
    kw, mkw = {"float32": ({}, {}), "amp": ({"autocast": torch.bfloat16}, {"dtype": "bfloat16", "amp": True}),
               "bfloat16": ({"dtype": torch.bfloat16}, {"dtype": "bfloat16"})}[how]
    measured, by = saved_bytes(g, batch=2, device="cpu", **kw)
    m = train_memory(g, batch=2, device="cpu", **mkw)
    assert m.totals.saved_bytes == measured, [(x.name, x.saved_bytes, by.get(x.name, 0)) for x in m.layers]
    attn = next(x for x in m.layers if x.name == "attn")
    assert (attn.saved_bytes == 0) == (frozen_stem and frozen_attn)


# ------------------------------------------------------------------------------------------------ errors
def _fails(tmp_path, text, match):
    with pytest.raises(ShapeError, match=match) as info:
        archstat.analyze(_spec(tmp_path, "name: b\ninput: [8, 14, 14]\nlayers:\n" + text, "b.yaml"))
    assert "\n" not in str(info.value)


def test_partition_needs_multiples_of_its_size(tmp_path):
    _fails(tmp_path, "  - partition: {size: 4}\n",
           r"partition: the 14x14 map does not divide into 4x4 partitions \(14 % 4 = 2, 14 % 4 = 2\)")


def test_relative_attention_needs_whole_groups_and_heads(tmp_path):
    # 14*14 = 196 tokens in groups of 3*3 = 9: 196 = 21*9 + 7
    _fails(tmp_path, "  - partition: {size: 7}\n  - relative_attention: {head_dim: 4, size: 3}\n",
           r"196 tokens are not whole groups of 3\*3 = 9 \(196 % 9 = 7\)")
    _fails(tmp_path, "  - partition: {size: 7}\n  - relative_attention: {head_dim: 3, size: 7}\n",
           "head_dim 3 does not divide the 8 features")
    _fails(tmp_path, "  - relative_attention: {head_dim: 4, size: 7}\n",
           r"needs L x D tokens, got 8x14x14 \(a map: add a 'partition' layer first\)")


def test_departition_needs_tokens_and_the_map_they_fill(tmp_path):
    part = "  - partition: {name: p, size: 7}\n"
    _fails(tmp_path, part + "  - departition: {inputs: [p, p], size: 7}\n",
           "needs the partitioned C x H x W map second")
    _fails(tmp_path, part + "  - departition: {inputs: [input, input], size: 7}\n",
           "needs L x D tokens first, got 8x14x14")
    # the second input's 7x7 holds 49 positions, not the 196 tokens
    _fails(tmp_path, part + "  - maxpool: {name: m, kernel: 2, inputs: input}\n"
           "  - departition: {inputs: [p, m], size: 7}\n",
           r"196 tokens do not fill the 7x7 map of the second input \(7\*7 = 49 positions\)")


def test_valid_neighbours_of_the_errors(tmp_path):
    a = archstat.analyze(_spec(tmp_path, "name: b\ninput: [8, 14, 14]\nlayers:\n  - partition: {name: p, size: 2}\n"
                               "  - relative_attention: {head_dim: 8, size: 7}\n"
                               "  - departition: {inputs: [relative_attention1, input], size: 2}\n", "b.yaml"))
    assert [r.output_shape for r in a.layers] == [(196, 8), (196, 8), (8, 14, 14)]  # 196 = 4*49; one head of 8


def test_sweep_says_which_sizes_do_not_divide():
    """216 gives 54 at stage 1, not a multiple of 7: a size the partitions do not divide, not one too small."""
    from archstat.core.sweep import findings, sweep

    rows = sweep(archstat.load("maxvit_t"), [216, 224])
    assert [(r["size"], r["status"]) for r in rows] == [(216, "does not divide"), (224, "ok")]
    assert rows[0]["failing_layer"] == "blocks.0.layers.0.layers.window_attention.partition"
    assert findings(rows)[0] == ("does not divide at 1 size (216): layer "
                                 "blocks.0.layers.0.layers.window_attention.partition needs a multiple of its partition")

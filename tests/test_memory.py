"""Training memory (``archstat memory``, ``archstat.core.memory``): the saved-tensor rules of the kinds, the storage
and liveness engine, checkpointing, AMP, the largest batch, and the command. No torch here: the proof against
torch's autograd is ``tests/test_memory_torch.py``.

Every expected number below is derived by hand in the comments, from torch's rules (what each op's derivative
saves) and the conventions of the README's "Training memory" section.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import archstat
from archstat.cli import app
from archstat.core.memory import PerBatch, inplace_plan, max_batch, parse_bytes, segments, train_memory
from archstat.errors import UsageError
from archstat.layers import KINDS, Layer, lookup
from archstat.layers._saved import ACT, STATS, Autograd, Saved

ROOT = Path(__file__).resolve().parents[1]

TINY = """
name: tiny
input: [3, 8, 8]
layers:
  - conv: {out: 4, kernel: 3, padding: 1, bias: false}
  - batchnorm
  - relu
  - maxpool: {kernel: 2}
  - flatten
  - linear: 10
"""


def rule(kind: str, args: dict, ins: list, grad: Autograd = Autograd()) -> list[Saved]:
    layer = lookup(kind).build(args)
    return layer.saved(ins, tuple(layer.output_shape(ins)), grad)


# ------------------------------------------------------------------------------------------------ a network by hand
def test_tiny_network_by_hand(write_spec):
    """conv 3->4 (3x3, pad 1, no bias) -> batch norm -> ReLU -> 2x2 max pool -> flatten -> linear 64->10, on a
    3x8x8 input at batch 2, float32, Adam, CUDA.

    Saved (bytes at batch 2):
      conv: its input, the image: 3*8*8 * 4 B * 2 = 1,536
      batch norm: its input (conv's output) 4*8*8*4*2 = 2,048, mean and inverse std 4 + 4 floats = 32 (per batch)
      ReLU, in place (its input has one consumer, batch norm does not save its output): its output, which is batch
        norm's output: 2,048
      max pool: its input (that same storage: counted before) and int64 indices 4*4*4 * 8 B * 2 = 1,024
      flatten: nothing
      linear: its input, a view of the pool's output 4*4*4*4*2 = 512
    Total 1,536 + 2,080 + 2,048 + 1,024 + 512 = 7,200.
    """
    m = train_memory(archstat.load(write_spec(TINY)), batch=2)
    by = {x.name: x for x in m.layers}
    assert [by[n].saved_bytes for n in ("conv1", "batchnorm1", "relu1", "maxpool1", "flatten1", "linear1")] == \
        [1536, 2048 + 32, 2048, 1024, 0, 512]
    assert by["relu1"].storage == "in place" and by["flatten1"].storage == "view"
    assert [t.counted for t in by["maxpool1"].saved] == [False, True]  # its input is relu1's storage
    assert m.totals.saved_bytes == 7200

    # Resident: parameters conv 4*3*9 = 108, bn 4 + 4, linear 64*10 + 10 = 650: 766 floats = 3,064 B; bn buffers
    # 4 + 4 + 1 = 9 floats = 36 B; Adam's state 2 * 3,064 = 6,128. 9,228 B in all.
    t = m.totals
    assert (t.param_bytes, t.grad_bytes, t.optimizer_bytes, t.buffer_bytes) == (3064, 3064, 6128, 36)
    moments = [(x.phase, x.layer, x.bytes.at(2)) for x in m.moments]
    assert moments == [
        # forward: the image 1,536 + conv's output 2,048 = 3,584 -> 9,228 + 3,584
        ("forward", "conv1", 12812),
        ("forward", "batchnorm1", 12812 + 2048 + 32),  # its output, mean, inverse std
        ("forward", "relu1", 14892),  # in place: nothing new
        ("forward", "maxpool1", 14892 + 512 + 1024),  # its output 4*4*4*4*2 and the indices
        ("forward", "flatten1", 16428),  # a view
        ("forward", "linear1", 16428 + 80),  # 10 logits * 4 B * 2
        # backward, the logits' gradient (80) alive from the start; saved: 7,200 + the image's ... (live 7,280)
        ("backward", "linear1", 9228 + 2600 + 7280 + 80 + 512),  # its weight's gradient 650*4; flatten's grad 512
        # the linear layer freed its output's gradient (80) and the pool's output (512), which only it saved
        ("backward", "flatten1", 9228 + 2600 + 6768 + 512),  # a view: the gradient passes through, no copy
        ("backward", "maxpool1", 9228 + 2600 + 6768 + 512 + 2048),  # ReLU's output's gradient
        ("backward", "relu1", 9228 + 2600 + 5744 + 2048 + 2048),  # the indices freed; batch norm's output's grad
        ("backward", "batchnorm1", 9228 + 2632 + 3696 + 2048 + 2048),  # bn's own 8 floats; relu freed its storage
        ("backward", "conv1", 9228 + 3064 + 1616 + 2048),  # the image needs no gradient: nothing new
        ("optimizer", "step", 9228 + 3064 + 3064 + 1616),  # Adam's one parameter-sized temporary
    ]
    assert (t.peak_bytes, t.peak_phase, t.peak_layer) == (21668, "backward", "relu1")
    # every figure is affine in the batch: the activations' part is 1/2 of the batch-2 figure per sample
    assert t.peak == PerBatch(9228 + 2600 + 32, (21668 - 9228 - 2600 - 32) // 2)


def test_inference_figures_are_the_engines(write_spec):
    """Without --train: parameters + buffers + the inference peak of live activations, labelled as such."""
    g = archstat.load(write_spec(TINY))
    m = train_memory(g, batch=4, train=False, device_bytes=10**6)
    a = archstat.core.engine.analyze(g, batch=4)
    assert m.totals.peak_bytes == a.totals.param_bytes + a.totals.buffer_bytes + a.totals.peak_activation_bytes
    per = a.totals.peak_activation_bytes // 4
    assert m.totals.max_batch == (10**6 - a.totals.param_bytes - a.totals.buffer_bytes) // per
    d = json.loads(_cli(["memory", g.file, "--batch", "4", "--format", "json"]).output)
    assert d["train"] is False and d["totals"]["mode"] == "inference"
    assert "saved_bytes" not in d["totals"] and d["totals"]["peak_activation_bytes"] == a.totals.peak_activation_bytes


# ------------------------------------------------------------------------------------------------ rules per kind
def test_every_kind_with_a_rule_says_it_in_words():
    """A kind's rule is code (``saved``) and words (``saved_rule``, the README's table): both or neither. A kind
    with neither (a kind added since, or ``custom``) is unknown: reported as such, never 0."""
    for kind, cls in KINDS.items():
        has_code = any("saved" in c.__dict__ for c in cls.__mro__ if c is not Layer)
        assert has_code == bool(cls.saved_rule), f"{kind}: saved() and saved_rule go together"
    assert KINDS["custom"].saved_rule is None


def test_rules_by_hand():
    # convolution with asymmetric padding [0, 1, 0, 1]: the padded copy of its 8x5x5 input, 8*6*6, is saved
    s = rule("conv", {"out": 4, "kernel": 3, "padding": [0, 1, 0, 1]}, [(8, 5, 5)])
    assert [(x.what, x.elements) for x in s if x.own] == [("padded input", 8 * 6 * 6)]
    assert rule("conv", {"out": 4, "kernel": 3, "padding": 1}, [(8, 5, 5)])[0] == Saved.of_input(0)
    # max pool 3x3/2 pad 1 on 64x112x112 -> 64x56x56: its input and 64*56*56 int64 indices
    s = rule("maxpool", {"kernel": 3, "stride": 2, "padding": 1}, [(64, 112, 112)])
    assert s == [Saved.of_input(0), Saved.extra("indices", 64 * 56 * 56, "int64")]
    # batch norm on 64 channels: input + 64 means + 64 inverse std, not per sample
    s = rule("batchnorm", {}, [(64, 8, 8)])
    assert s[1:] == [Saved.extra("mean", 64, STATS, batched=False), Saved.extra("inverse std", 64, STATS, batched=False)]
    # layer norm on 197 tokens: 197 means and 197 inverse std per sample; on a 96x56x56 map, 56*56 positions
    assert rule("layer_norm", {}, [(197, 768)])[1].elements == 197
    assert rule("layer_norm", {}, [(96, 56, 56)])[2].elements == 56 * 56
    # dropout: a bool mask on CUDA, the float noise on the CPU, nothing at p = 0
    assert rule("dropout", {"p": 0.5}, [(4096,)]) == [Saved.extra("mask", 4096, "bool")]
    assert rule("dropout", {"p": 0.5}, [(4096,)], Autograd(device="cpu")) == [Saved.extra("noise", 4096, ACT)]
    assert rule("dropout", {"p": 0.0}, [(4096,)]) == []
    # stochastic depth: one value per sample (row) or one per batch
    assert rule("stochastic_depth", {"p": 0.1}, [(96, 7, 7)]) == [Saved.extra("noise", 1)]
    assert rule("stochastic_depth", {"p": 0.1, "mode": "batch"}, [(96, 7, 7)]) == [Saved.extra("noise", 1, batched=False)]
    # global average pooling (a mean in torch) saves nothing; 14 -> 7 adaptive pooling saves its input
    assert rule("global_avgpool", {}, [(2048, 7, 7)]) == []
    assert rule("adaptive_avgpool", {"size": 7}, [(512, 14, 14)]) == [Saved.of_input(0)]
    # attention on 5 tokens of 8, 2 heads: input, q, k, v copies (5*8 each), weights 2*5*5, the heads' output 5*8
    s = rule("self_attention", {"heads": 2}, [(5, 8)])
    assert [x.elements for x in s if x.own] == [40, 40, 40, 2 * 5 * 5, 40]
    # mul saves each input's partner when that input needs a gradient
    assert rule("mul", {}, [(4, 3, 3), (4, 1, 1)], Autograd(grads=(True, False))) == [Saved.of_input(1)]
    # relu saves its output, gelu its input; add, concat and views save nothing
    assert rule("relu", {}, [(8,)]) == [Saved.of_output()] and rule("gelu", {}, [(8,)]) == [Saved.of_input(0)]
    assert rule("add", {}, [(8,), (8,)]) == [] and rule("flatten", {}, [(2, 3, 3)]) == []



def _own(saved) -> list:
    return [(x.what, x.elements, x.dtype, x.batched) for x in saved if x.own]


def test_swin_rules_by_hand():
    """Swin's window attention and patch merge (torch's autograd per op: linear saves its input and weight, matmul
    its two operands, softmax its output, a vector norm its input and result, clamp_min its input, division both
    operands, exp its result, a multiply its partner; proven against torch in tests/test_memory_torch.py)."""
    # v1 on 4 x 5 x 7, 2 heads, a 2 x 3 window shifted [1, 1]: padded to 6 x 9 (3 x 3 windows): N = 54 positions,
    # L = 6 a window, C = 4; N*C = 216, the weights 2 heads * 54 * 6 = 648
    ins = [(4, 5, 7)]
    args = {"heads": 2, "window": [2, 3], "shift": [1, 1]}
    s = rule("window_attention", args, ins)
    assert _own(s) == [("windowed input", 216, ACT, True), ("q scaled", 216, ACT, True), ("k copy", 216, ACT, True),
                       ("attention weights", 648, ACT, True), ("v copy", 216, ACT, True),
                       ("heads' output", 216, ACT, True)]
    assert [x.param for x in s if x.param] == ["qkv.weight", "proj.weight"]
    # one head: k and v are views of the qkv output (3*216 = 648), saved instead of their copies; weights 54*6
    s = rule("window_attention", {**args, "heads": 1}, ins)
    assert [(x.what, x.elements) for x in s if x.own] == [("windowed input", 216), ("q scaled", 216), ("qkv", 648),
                                                          ("attention weights", 324), ("heads' output", 216)]
    # one 2 x 3 window covering a 4 x 2 x 3 map (N = 6, N*C = 24, weights 2*6*6 = 72): in a batch of one, the heads
    # fold into the batch without a copy, as with one head; in a batch of two k and v are copied
    one = [(4, 2, 3)]
    assert [(x.what, x.elements) for x in rule("window_attention", args, one, Autograd(batch=1)) if x.own] == [
        ("windowed input", 24), ("q scaled", 24), ("qkv", 72), ("attention weights", 72), ("heads' output", 24)]
    assert [x.what for x in rule("window_attention", args, one, Autograd(batch=2)) if x.own] == [
        "windowed input", "q scaled", "k copy", "attention weights", "v copy", "heads' output"]
    # frozen: neither projection saves its input; the products still save their operands
    s = rule("window_attention", args, ins, Autograd(params=False))
    assert [x.what for x in s if x.own] == ["q scaled", "k copy", "attention weights", "v copy"]
    # the first layer (its input needs no gradient): qkv's weight is not saved, its input is
    s = rule("window_attention", args, ins, Autograd(grads=(False,)))
    assert [x.param for x in s if x.param] == ["proj.weight"] and s[0].what == "windowed input"
    # dropout on CUDA: bool masks on the weights (648) and the output (216), and the dropped weights (648); on the
    # CPU the float noise; at p = 1 a 0-dim zero, once a batch
    drop = {**args, "attention_dropout": 0.5, "dropout": 0.25}
    assert _own(rule("window_attention", drop, ins))[4:7] == [
        ("attention dropout mask", 648, "bool", True), ("dropped weights", 648, ACT, True), ("v copy", 216, ACT, True)]
    assert _own(rule("window_attention", drop, ins))[-1] == ("dropout mask", 216, "bool", True)
    assert _own(rule("window_attention", drop, ins, Autograd(device="cpu")))[4] == ("attention dropout noise", 648,
                                                                                    ACT, True)
    s = rule("window_attention", {**args, "attention_dropout": 1.0}, ins)
    assert ("attention dropout zero", 1, ACT, False) in _own(s)

    # v2 on 8 x 6 x 9, 2 heads, window 4, a 16-wide bias network: padded to 8 x 12 (2 x 3 windows): N = 96, L = 16,
    # C = 8: N*C = 768, the qkv output 3*768 = 2,304, a norm per head and position 2*96 = 192, scores and weights
    # 2*96*16 = 3,072; once a batch: the logit scale (2), the ReLU output of the bias network on T = 7*7
    # coordinates 49*16 = 784, the sigmoid's output 2 heads * 16 * 16 = 512
    ins = [(8, 6, 9)]
    args = {"heads": 2, "window": 4, "version": "v2", "cpb_hidden": 16}
    s = rule("window_attention", args, ins)
    assert [(x.what, x.elements, x.batched) for x in s if x.own] == [
        ("windowed input", 768, True), ("qkv", 2304, True), ("q norm", 192, True), ("q norm clamped", 192, True),
        ("k norm", 192, True), ("k norm clamped", 192, True), ("q normalised", 768, True),
        ("k normalised", 768, True), ("scores", 3072, True), ("logit scale", 2, False),
        ("cpb_mlp ReLU output", 784, False), ("sigmoid output", 512, False), ("attention weights", 3072, True),
        ("v copy", 768, True), ("heads' output", 768, True)]
    assert [x.param for x in s if x.param] == ["qkv.weight", "cpb_mlp.2.weight", "proj.weight"]
    # per image 768 + 2,304 + 4*192 + 2*768 + 3,072 + 3,072 + 768 + 768 = 13,056 elements; once 2 + 784 + 512
    assert sum(x.elements for x in s if x.own and x.batched) == 13056
    assert sum(x.elements for x in s if x.own and not x.batched) == 1298
    # AMP on CUDA: the norms in float32 (vector norm is on autocast's float32 list), the weights in float32 and
    # their half copy for A V, the logit scale float32, the coordinates' half copy (7*7*2 = 98) for the bias network
    s = rule("window_attention", args, ins, Autograd(act="float16", amp="float16"))
    own = _own(s)
    assert own[2][2] == "float32" and ("attention weights", 3072, "float32", True) in own
    assert ("attention weights, half copy", 3072, ACT, True) in own and ("logit scale", 2, "float32", False) in own
    assert ("coordinates, half copy", 98, ACT, False) in own
    # ... on the CPU the norms stay in the half type (not on the CPU's list)
    assert _own(rule("window_attention", args, ins, Autograd(act="bfloat16", amp="bfloat16", device="cpu")))[2][2] \
        == ACT
    # frozen: no scores (the logit scale needs no gradient) and nothing from the bias network; the scale is saved
    s = rule("window_attention", args, ins, Autograd(params=False))
    assert [x.what for x in s if x.own] == ["qkv", "q norm", "q norm clamped", "k norm", "k norm clamped",
                                            "q normalised", "k normalised", "logit scale", "attention weights",
                                            "v copy"]

    # patch merge: padding, slicing and concatenation save nothing; its output is new memory
    assert rule("patch_merge", {}, [(96, 57, 57)]) == []
    assert lookup("patch_merge").build({}).train_storage() == "new"


def test_swin_t_attention_in_the_engine():
    """swin_t at batch 2: every kind has a rule; features.1.0.attn (96 x 56 x 56, 3 heads, window 7: N = 3,136,
    L = 49, nothing padded) saves 5 copies of N*C = 301,056 and the weights 3*3,136*49 = 460,992: 1,966,272 floats
    a sample, 15,730,176 bytes at batch 2. A patch merge saves nothing; the layer norm after it saves its output."""
    m = train_memory(archstat.load("swin_t"), batch=2)
    assert m.complete and not m.totals.unknown
    by = {x.name: x for x in m.layers}
    assert by["features.1.0.attn"].saved_bytes == (5 * 3136 * 96 + 3 * 3136 * 49) * 4 * 2 == 15730176
    assert by["features.2.gather"].saved == [] and by["features.2.gather"].storage == "new"
    assert by["features.2.norm"].saved[0].storage == "features.2.gather"


def test_inplace_plan(write_spec):
    """ReLU runs in place where nothing else reads its input and its producer does not save its output."""
    g = archstat.load(write_spec("""
name: plan
input: [3, 8, 8]
layers:
  - relu: {name: on_input}              # the caller's batch: never overwritten
  - conv: {name: c1, out: 4, kernel: 1}
  - relu: {name: r1}                    # conv's output, read by nothing else: in place
  - conv: {name: c2, out: 4, kernel: 1}
  - relu: {name: r2}                    # c2's output is also read by the add: not in place
  - add: {name: a, inputs: [r2, c2]}
  - sigmoid: {name: s}
  - relu: {name: r3}                    # sigmoid saves its output: an in-place write would corrupt it
"""))
    assert inplace_plan(g) == {"r1"}
    m = train_memory(g)
    assert {x.name: x.storage for x in m.layers if x.kind == "relu"} == {
        "on_input": "new", "r1": "in place", "r2": "new", "r3": "new"}
    assert train_memory(g, inplace=False).layers[2].storage == "new"


def test_unknown_rule_is_reported_never_zero(write_spec):
    g = archstat.load(write_spec("""
name: opaque
input: [3, 8, 8]
layers:
  - conv: {out: 4, kernel: 3}
  - custom: {name: mystery, op: foo, shape: [4, 6, 6], params: 0, macs: 0, flops: 0}
  - relu
"""))
    m = train_memory(g, batch=2)
    assert m.totals.unknown == ["mystery"] and not m.complete
    mystery = m.layers[1]
    assert mystery.saved is None and mystery.saved_bytes is None
    r = _cli(["memory", g.file, "--train", "--format", "json"])
    d = json.loads(r.output)
    assert d["totals"]["complete"] is False and d["totals"]["unknown"] == ["mystery"]
    assert d["layers"][1]["saved_bytes"] is None
    text = _cli(["memory", g.file, "--train"]).output
    assert "? (no rule)" in text and "partial: no saved rule for kind custom" in text


# ------------------------------------------------------------------------------------------------ AMP
def test_amp_casts_and_master_weights(write_spec):
    """Under AMP (float16): parameters, gradients and Adam's state stay float32 (master weights); conv casts the
    float32 image to a half copy, which is what it saves (3*8*8 * 2 B * 2 = 768), and saves a half copy of its
    weight (4*3*3*3 * 2 B = 216, once per batch); batch norm keeps the half type (its input 4*8*8*2*2 = 1,024),
    with float32 statistics (32); the linear layer saves its half input (256) and its weight's half copy
    (64*10 * 2 = 1,280)."""
    m = train_memory(archstat.load(write_spec(TINY)), batch=2, dtype="float16", amp=True)
    by = {x.name: x for x in m.layers}
    assert m.param_dtype == "float32" and m.totals.param_bytes == 766 * 4 and m.totals.optimizer_bytes == 2 * 766 * 4
    assert [(t.what, t.bytes, t.dtype) for t in by["conv1"].saved] == [("input", 768, "float16"),
                                                                        ("weight", 216, "float16")]
    assert by["batchnorm1"].saved_bytes == 1024 + 32
    assert by["linear1"].saved_bytes == 256 + 1280
    with pytest.raises(UsageError, match="half type"):
        train_memory(archstat.load(write_spec(TINY)), dtype="float32", amp=True)


# ------------------------------------------------------------------------------------------------ checkpointing
def test_segments_take_sqrt_of_the_layers():
    names = ["stem.conv", "stem.relu"] + [f"layer{s}.{b}.{x}" for s in (1, 2) for b in range(4) for x in "abc"]
    depth, keys = segments(names)
    # 26 layers: sqrt = 5.1; depth 1 gives 3 blocks (stem, layer1, layer2); depth 2 gives 2 + 8 = 10 (the stem's
    # two layers are named with 2 parts: each is a block of its own)
    assert depth == 2 and len(dict.fromkeys(keys)) == 10 and keys[2] == "layer1.0"


def test_checkpoint_keeps_block_inputs_and_recomputes_one_block(write_spec):
    """Four blocks of conv (4->4, 1x1, no bias) + ReLU on 4x4x4 at batch 1: each tensor 64 floats = 256 B.
    Without checkpointing each conv saves its input and each ReLU (in place) its output, the conv's output: the
    storages are the image and the four convs' outputs, 5 * 256. With blocks (8 layers: sqrt 2.8; depth 1 gives
    the 4 blocks b0..b3) the forward keeps each block's input (the image and three block outputs: 4 * 256) and
    backward recomputes one block at a time (its ReLU's output, the conv's output: 256)."""
    g = archstat.load(write_spec("""
name: blocks
input: [4, 4, 4]
layers:
""" + "".join(f"""  - name: b{i}
    layers:
      - conv: {{out: 4, kernel: 1, bias: false}}
      - relu
""" for i in range(4))))
    plain = train_memory(g, batch=1)
    assert plain.totals.saved_bytes == 5 * 256
    ck = train_memory(g, batch=1, checkpoint="blocks")
    c = ck.totals.checkpoint
    assert (c["depth"], c["segments"], c["boundary_bytes"], c["recompute_bytes"]) == (1, 4, 4 * 256, 256)
    assert ck.totals.saved_bytes == 5 * 256  # the same here: this network's blocks are one tensor each
    # and the peak is one tensor higher: the last block's recompute makes a fresh copy of its output while the
    # caller still holds the original (at b3.relu1's backward: 2,560 without checkpointing, 2,816 with)
    assert (plain.totals.peak_bytes, ck.totals.peak_bytes) == (2624, 2816)


def test_checkpoint_lowers_saved_memory_of_a_deep_network():
    m, ck = train_memory(archstat.load("resnet50"), batch=8), train_memory(archstat.load("resnet50"), batch=8,
                                                                               checkpoint="blocks")
    assert ck.totals.checkpoint["segments"] == 23  # stem's 4 layers, 16 bottlenecks, head's 3
    assert ck.totals.saved_bytes < 0.6 * m.totals.saved_bytes and ck.totals.peak_bytes < m.totals.peak_bytes


# ------------------------------------------------------------------------------------------------ the largest batch
def test_max_batch_is_solved_exactly():
    g = archstat.load("resnet18")
    m = train_memory(g, batch=1)
    limit = 8 * 10**9
    b = m.max_batch(limit)
    assert m.peak_at(b) <= limit < m.peak_at(b + 1)
    assert train_memory(g, batch=b).totals.peak_bytes == m.peak_at(b)  # the affine form is the engine's figure
    assert max_batch(m.moments, 10**6) == 0  # not even the parameters fit


def test_parse_bytes():
    assert parse_bytes("80GB") == 80 * 10**9 and parse_bytes("80GiB") == 80 * 2**30
    assert parse_bytes("24576MiB") == 24576 * 2**20 and parse_bytes("1.5TB") == 15 * 10**11
    assert parse_bytes(" 512 ") == 512
    for bad in ("", "80XB", "1e9", "-5GB", "0", "12345678901234567890GB", "8 0GB"):
        with pytest.raises(UsageError):
            parse_bytes(bad)


# ------------------------------------------------------------------------------------------------ the command
def _cli(args):
    r = CliRunner().invoke(app, args, env={"COLUMNS": "200"})
    return r


def test_json_contract_resnet50():
    r = _cli(["memory", "resnet50", "--train", "--batch", "2", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    t = d["totals"]
    for key in ("saved_bytes", "param_bytes", "grad_bytes", "optimizer_bytes", "peak_bytes"):
        assert isinstance(t[key], int) and t[key] > 0, key
    assert t["param_bytes"] == 25_557_032 * 4 and t["grad_bytes"] == t["param_bytes"]
    assert t["optimizer_bytes"] == 2 * t["param_bytes"] and t["complete"] is True
    assert d["train"] is True and d["optimizer"] == "adam" and len(d["layers"]) == 175
    conv1 = d["layers"][0]
    assert conv1["saved"] == [{"what": "input", "bytes": 3 * 224 * 224 * 4 * 2, "dtype": "float32",
                               "shares": "input 0", "counted": True}]


def test_device_memory_and_formats(tmp_path):
    r = _cli(["memory", "vgg16", "--train", "--optimizer", "sgd", "--device-memory", "16GiB", "--format", "json"])
    t = json.loads(r.output)["totals"]
    assert t["device_memory_bytes"] == 16 * 2**30 and t["max_batch"] == train_memory(
        archstat.load("vgg16"), optimizer="sgd").max_batch(16 * 2**30)
    out = tmp_path / "m.csv"
    assert _cli(["memory", "resnet18", "--train", "--output", str(out)]).exit_code == 0
    assert out.read_text().splitlines()[0].startswith("name,kind,output_shape,storage,requires_grad")
    md = _cli(["memory", "resnet18", "--train", "--format", "markdown"]).output
    assert md.startswith("## ResNet-18") and "| conv1 |" in md.replace("  ", " ")
    text = _cli(["memory", "resnet18", "--train", "--batch", "32", "--device-memory", "80GB"]).output
    assert "Saved for backward" in text and "Largest batch in 80.00 GB" in text


@pytest.mark.parametrize("args, message", [
    (["--amp"], "add --train"),
    (["--optimizer", "sgd"], "add --train"),
    (["--train", "--amp", "--dtype", "float32"], "half type"),
    (["--train", "--device-memory", "lots"], "--device-memory must be a size"),
])
def test_usage_errors(args, message):
    r = _cli(["memory", "resnet18", *args])
    assert r.exit_code == 2 and message in r.output


def test_memory_imports_no_torch():
    code = ("import sys; from archstat.cli import main; sys.argv = ['archstat', 'memory', 'resnet50', '--train', "
            "'--format', 'json']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "assert 'torch' not in sys.modules, 'torch imported'")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr


# ------------------------------------------------------------------------------------------------ the README
def test_readme_saved_table_is_current():
    from archstat.render.memory import saved_table

    readme = (ROOT / "README.md").read_text()
    assert saved_table() in readme, "README saved-tensor table is stale: regenerate it with `archstat kinds --saved`"


def test_kinds_saved_prints_the_table():
    from archstat.render.memory import saved_table

    r = _cli(["kinds", "--saved"])
    assert r.exit_code == 0 and r.output == saved_table() and "| `custom` | **unknown**" in r.output


def test_spec_from_stdin():
    text = (ROOT / "specs" / "cifar10_simple.yaml").read_text()
    r = CliRunner().invoke(app, ["memory", "-", "--train", "--format", "json"], input=text)
    assert r.exit_code == 0 and json.loads(r.output)["totals"]["saved_bytes"] > 0


def test_readme_memory_example_is_current():
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"```\n\$ archstat memory resnet50 --train --batch 32 --device-memory 80GB\n(.*?)```", readme,
                  re.S)
    assert m, "README: the 'Training memory' example is missing"
    out = _cli(["memory", "resnet50", "--train", "--batch", "32", "--device-memory", "80GB"]).output
    lines = [x.rstrip() for x in out.splitlines()]
    for shown in m.group(1).splitlines():
        if shown.strip() and not shown.strip().startswith("..."):
            assert shown.rstrip() in lines, f"README example line is not in the output: {shown!r}"

"""Property test: random valid specs, built by the torch backend, agree with the engine layer by layer.

Hypothesis generates chains and branches over every layer kind that has a PyTorch equivalent, with random
(also rectangular) kernels, strides, paddings (symmetric, asymmetric, 'same'), dilations, groups, ceil modes and
input sizes, including sizes where the stride does not fit. For every layer: engine shape == torch shape, engine
parameters == torch's numel, engine buffers == torch's persistent buffers, and on every layer engine MACs ==
fvcore's conv/linear/matmul count and 2 x engine MACs == FlopCounterMode's count.
"""

from __future__ import annotations

import warnings

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")  # installed by .ci/run and the test extra: never skipped in CI
pytest.importorskip("fvcore")

from archstat.core.engine import analyze
from archstat.errors import ArchstatError
from archstat.layers import KINDS
from archstat.language.expand import compile_spec
from archstat.language.yamlio import parse_yaml
from archstat.backend.check import check_graph

EXAMPLES = int(__import__("os").environ.get("ARCHSTAT_PROPERTY_EXAMPLES", "1000"))
SPATIAL_OPS = ["conv", "conv", "conv", "dwconv", "pwconv", "deconv", "maxpool", "maxpool", "avgpool",
               "adaptive_avgpool", "global_avgpool", "batchnorm", "scale", "lrn", "dropout", "prelu", "softmax",
               "channel_shuffle", "upsample", "crop", "zeropad", "identity", "slice", "branch", "branch",
               "relu", "relu6", "leaky_relu", "tanh", "sigmoid", "hardswish", "silu", "gelu"]
FLAT_OPS = ["linear", "rbf", "linear", "batchnorm", "scale", "dropout", "relu", "sigmoid", "softmax", "slice", "prelu",
            "identity"]
NOT_GENERATED = {"custom", "flatten", "add", "mul", "concat"}  # custom has no torch module; the others appear below


def test_every_kind_is_generated():
    generated = set(SPATIAL_OPS) | set(FLAT_OPS) | NOT_GENERATED
    assert set(KINDS) <= generated, set(KINDS) - generated


def _divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def padding(draw, k):
    """int, [h, w] or [t, b, l, r] within what PyTorch allows for this kernel."""
    form = draw(st.sampled_from(["int", "pair", "four"]))
    if form == "int":
        return draw(st.integers(0, 2))
    if form == "pair":
        return [draw(st.integers(0, 2)), draw(st.integers(0, 2))]
    return [draw(st.integers(0, 2)) for _ in range(4)]


@st.composite
def spatial_layer(draw, shape):
    c, h, w = shape
    op = draw(st.sampled_from(SPATIAL_OPS))
    k2 = lambda hi: [draw(st.integers(1, hi)), draw(st.integers(1, hi))]  # noqa: E731
    if op in ("conv", "dwconv", "pwconv"):
        args = {}
        if op != "pwconv":
            args["kernel"] = k2(5) if draw(st.booleans()) else draw(st.integers(1, 5))
        if op != "dwconv":
            args["out"] = draw(st.integers(1, 8))
        if op == "conv":
            g = draw(st.sampled_from(_divisors(c)))
            args["out"] = g * draw(st.integers(1, 3))
            args["groups"] = g
            args["dilation"] = draw(st.integers(1, 2))
        if op == "dwconv":
            args["multiplier"] = draw(st.integers(1, 2))
        stride = draw(st.integers(1, 3))
        if op != "pwconv" and stride == 1 and draw(st.integers(0, 4)) == 0:
            args["padding"] = "same"
        elif op != "pwconv":
            args["padding"] = draw(padding(1))
        args["stride"] = stride
        args["bias"] = draw(st.booleans())
        return {op: args}
    if op == "deconv":
        s, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        k = draw(st.integers(1, 4))
        return {"deconv": {"out": draw(st.integers(1, 6)), "kernel": k, "stride": s, "dilation": d,
                           "padding": draw(st.integers(0, k - 1)),
                           "output_padding": draw(st.integers(0, max(s, d) - 1)), "bias": draw(st.booleans())}}
    if op in ("maxpool", "avgpool"):
        k = draw(st.integers(1, 4))
        args = {"kernel": k, "stride": draw(st.integers(1, 3)), "padding": draw(st.integers(0, k // 2)),
                "ceil_mode": draw(st.booleans())}
        if op == "maxpool" and args["padding"] == 0:
            args["dilation"] = draw(st.integers(1, 2))
        if op == "avgpool":
            args["count_include_pad"] = draw(st.booleans())
        return {op: args}
    if op == "adaptive_avgpool":
        return {op: {"size": [draw(st.integers(1, h)), draw(st.integers(1, w))]}}
    if op == "lrn":
        return {op: {"size": draw(st.integers(1, 5))}}
    if op == "prelu":
        return {op: {"shared": draw(st.booleans())}}
    if op == "dropout":
        return {op: {"p": 0.5}}
    if op == "leaky_relu":
        return {op: {"slope": 0.1}}
    if op == "channel_shuffle":
        return {op: {"groups": draw(st.sampled_from(_divisors(c)))}}
    if op == "upsample":
        mode = draw(st.sampled_from(["nearest", "bilinear"]))
        if draw(st.booleans()):
            return {op: {"scale": draw(st.integers(1, 2)), "mode": mode}}
        return {op: {"size": [draw(st.integers(1, 2 * h)), draw(st.integers(1, 2 * w))], "mode": mode}}
    if op == "crop":
        return {op: {"size": [draw(st.integers(1, h)), draw(st.integers(1, w))]}}
    if op == "zeropad":
        return {op: {"padding": draw(padding(1))}}
    if op == "slice":
        if draw(st.booleans()):
            return {op: {"index": draw(st.lists(st.integers(0, c - 1), min_size=1, max_size=c))}}
        start = draw(st.integers(0, c - 1))
        return {op: {"start": start, "stop": draw(st.integers(start + 1, c))}}
    if op == "branch":
        return "branch"
    return op


@st.composite
def flat_layer(draw, n):
    op = draw(st.sampled_from(FLAT_OPS))
    if op in ("linear", "rbf"):
        args = {"out": draw(st.integers(1, 12))}
        if op == "linear":
            args["bias"] = draw(st.booleans())
        return {op: args}
    if op == "slice":
        start = draw(st.integers(0, n - 1))
        return {op: {"start": start, "stop": draw(st.integers(start + 1, n))}}
    if op == "prelu":
        return {op: {"shared": draw(st.booleans())}}
    if op == "dropout":
        return {op: {"p": 0.2}}
    return op


def _shape_after(doc_layers, input_shape):
    """Compile what we have so far (None when it does not work out)."""
    try:
        g = _compile(doc_layers, input_shape)
        return analyze(g).layers[-1].output_shape
    except ArchstatError:
        return None


def _compile(layers, input_shape):
    text = yaml.safe_dump({"name": "random", "input": list(input_shape), "layers": layers}, sort_keys=False)
    return compile_spec(parse_yaml(text, "random.yaml"), "random.yaml")


@st.composite
def random_spec(draw):
    shape = (draw(st.integers(1, 6)), draw(st.integers(5, 20)), draw(st.integers(5, 20)))
    input_shape = shape
    layers: list = []
    n_spatial = draw(st.integers(1, 6))
    for i in range(n_spatial):
        item = draw(spatial_layer(shape))
        if item == "branch":  # two shape-keeping branches from here, merged by add, mul or concat
            merge = draw(st.sampled_from(["add", "mul", "concat"]))
            a, b = f"b{i}a", f"b{i}b"
            src = layers[-1] if layers else None
            src_name = (list(src.values())[0].get("name") if isinstance(src, dict) else None) if src else None
            if src is not None and src_name is None:
                src_name = f"s{i}"
                layers[-1] = _named(src, src_name)
            src_name = src_name or "input"
            kb = draw(st.integers(1, 2)) * 2 + 1
            cout = shape[0] if merge != "concat" else draw(st.integers(1, 6))
            new = [{"conv": {"name": a, "out": cout, "kernel": kb, "padding": "same", "inputs": [src_name]}},
                   {"maxpool": {"name": b, "kernel": 3, "stride": 1, "padding": 1, "inputs": [src_name]}}
                   if merge != "concat" else {"relu": {"name": b, "inputs": [src_name]}},
                   {merge: {"inputs": [a, b]}}]
            if merge == "concat" or cout == shape[0]:
                out = _shape_after(layers + new, input_shape)
                if out is not None:
                    layers += new
                    shape = out
            continue
        out = _shape_after(layers + [item], input_shape)
        if out is None or len(out) != 3:
            continue
        layers.append(item)
        shape = out
    if draw(st.booleans()):
        layers.append("flatten")
        n = shape[0] * shape[1] * shape[2]
        for _ in range(draw(st.integers(0, 3))):
            item = draw(flat_layer(n))
            out = _shape_after(layers + [item], input_shape)
            if out is None:
                continue
            layers.append(item)
            n = out[0]
    assume(layers)
    return input_shape, layers


def _named(item, name):
    if isinstance(item, str):
        return {item: {"name": name}}
    kind, args = next(iter(item.items()))
    return {kind: {**(args or {}), "name": name}}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(random_spec())
def test_engine_agrees_with_torch_and_fvcore(case):
    input_shape, layers = case
    g = _compile(layers, input_shape)
    a = analyze(g)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc = check_graph(g, a, use_fvcore=True)
    bad = [(r.name, r.kind, r.problems, r.as_dict()) for r in sc.layers if r.problems]
    assert not bad, (yaml.safe_dump({"input": list(input_shape), "layers": layers}), bad)

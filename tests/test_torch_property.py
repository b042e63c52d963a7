"""Property test: random valid specs, built by the torch backend, agree with the engine layer by layer.

Hypothesis generates chains and branches over every layer kind that has a PyTorch equivalent, found through the
registry (a new kind's file is covered with no edit here). Each kind's arguments are drawn from its own schema
(``fields``) by a generic mapping from argument type to a strategy with small bounds: random (also rectangular)
kernels, strides, paddings (symmetric, asymmetric, 'same'), dilations, groups, ceil modes and input sizes,
including sizes where the stride does not fit. The kind's hints decide where it may appear: ``accepts``
(C x H x W maps, flat vectors, L x D token sequences after a map-to-tokens kind), ``min_inputs``/``max_inputs``
(merges take branches); a kind without a torch module (``custom``) is skipped by asking it. Draws the engine
refuses are skipped. For every layer: engine shape == torch shape, engine parameters == torch's numel, engine
buffers == torch's persistent buffers, and on every layer engine MACs == fvcore's conv/linear/matmul count and
2 x engine MACs == FlopCounterMode's count.
"""

from __future__ import annotations

import warnings

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")  # installed by .ci/run and the test extra: never skipped in CI
pytest.importorskip("fvcore")

from archstat.backend.check import check_graph
from archstat.core.engine import analyze
from archstat.errors import ArchstatError
from archstat.language.expand import compile_spec
from archstat.language.yamlio import parse_yaml
from archstat.layers import (
    KINDS,
    REQUIRED,
    Arg,
    Bool,
    Choice,
    Float,
    Int,
    IntList,
    Padding,
    Pair,
    Size,
    elems,
    spatial,
)
from archstat.layers._text import tokens

EXAMPLES = int(__import__("os").environ.get("ARCHSTAT_PROPERTY_EXAMPLES", "1000"))
MAX_ELEMS = 16 * 48 * 48  # keep the maps small, so that a thousand examples run in about a minute

# ---------------------------------------------------------------------------------------------------- arguments
# argument type -> strategy for one value, given the argument (its bounds); small, so that most draws fit
_small_int = lambda lo: st.integers(lo, lo + 3)
STRATEGIES = {
    Int: lambda f: st.integers(f.min, f.min + 5),
    Pair: lambda f: st.one_of(_small_int(f.min), st.lists(_small_int(f.min), min_size=2, max_size=2)),
    Padding: lambda f: st.one_of(st.integers(0, 2), st.lists(st.integers(0, 2), min_size=2, max_size=2),
                                 st.lists(st.integers(0, 2), min_size=4, max_size=4), st.just("same"),
                                 st.just("valid")),
    Float: lambda f: st.floats(-2.0 if f.min is None else f.min,
                               (2.0 if f.min is None else f.min + 2.0) if f.max is None else f.max,
                               allow_nan=False, allow_infinity=False, allow_subnormal=False),
    Bool: lambda f: st.booleans(),
    Choice: lambda f: st.sampled_from(f.options),
    IntList: lambda f: st.lists(st.integers(f.min, f.min + 5), min_size=1, max_size=6),
    Size: lambda f: st.one_of(st.integers(1, 6), st.lists(st.integers(1, 6), min_size=2, max_size=2)),
}


def _strategy(f: Arg):
    for t in type(f).__mro__:
        if t in STRATEGIES:
            return STRATEGIES[t](f)
    return None  # a type of its own: the kind's default is used


def drawable(cls) -> bool:
    """Whether the kind's arguments can be drawn: every required one has a strategy."""
    return all(f.default is not REQUIRED or _strategy(f) is not None for f in cls.fields.values())


@st.composite
def arguments(draw, cls) -> dict:
    """Each argument of the kind: required ones drawn, optional ones drawn or left to their default."""
    args = {}
    for name, f in cls.fields.items():
        s = _strategy(f)
        if s is not None and (f.default is REQUIRED or draw(st.booleans())):
            args[name] = draw(s)
    return args


# ---------------------------------------------------------------------------------------------------- the kinds
TORCH_KINDS = [cls for _, cls in sorted(KINDS.items()) if cls.has_torch_module()]
SINGLE = [cls for cls in TORCH_KINDS if cls.min_inputs == 1 and drawable(cls)]
MERGES = [cls for cls in TORCH_KINDS if (cls.max_inputs is None or cls.max_inputs > 1) and drawable(cls)]
ON_MAPS = [cls for cls in SINGLE if "spatial" in cls.accepts]
ON_FLAT = [cls for cls in SINGLE if "flat" in cls.accepts]
ON_TOKENS = [cls for cls in SINGLE if "tokens" in cls.accepts]


def _flattens(cls) -> bool:
    """Whether the kind, with its defaults, turns a C x H x W map into a flat vector (flatten)."""
    try:
        return len(cls.build({}).output_shape([(2, 4, 4)])) == 1  # flat, not tokens
    except ArchstatError:
        return False


BRIDGES = [cls for cls in ON_MAPS if _flattens(cls)]  # from the maps to the flat vectors


def _tokenizes(cls) -> bool:
    """Whether the kind, with its defaults, turns a C x H x W map into an L x D token sequence (tokens)."""
    try:
        return tokens(cls.build({}).output_shape([(2, 4, 4)]))
    except ArchstatError:
        return False


TOKEN_BRIDGES = [cls for cls in ON_MAPS if _tokenizes(cls)]  # from the maps to the token sequences


def weighted(kinds) -> list:
    """Each kind as often as it has arguments, plus once: more arguments, more combinations to cover (conv has
    seven, relu none). Most arguments first, where hypothesis draws most often."""
    return [cls for cls in sorted(kinds, key=lambda c: -len(c.fields)) for _ in range(1 + len(cls.fields))]


def test_every_kind_with_a_torch_module_is_generated():
    generated = {cls.kind for cls in ON_MAPS + ON_FLAT + MERGES + (ON_TOKENS if TOKEN_BRIDGES else [])}
    assert generated == {cls.kind for cls in TORCH_KINDS}, {cls.kind for cls in TORCH_KINDS} - generated
    assert not [cls.kind for cls in TORCH_KINDS if not drawable(cls)]
    assert set(KINDS) - generated == {kind for kind, cls in KINDS.items() if not cls.has_torch_module()}
    assert BRIDGES and MERGES and ON_FLAT


MAP_POOL, FLAT_POOL, TOKEN_POOL = weighted(ON_MAPS), weighted(ON_FLAT), weighted(ON_TOKENS)


# ---------------------------------------------------------------------------------------------------- specs
def _shape_after(doc_layers, input_shape):
    """Compile what we have so far (None when it does not work out, or grows too large)."""
    try:
        g = _compile(doc_layers, input_shape)
        out = analyze(g).layers[-1].output_shape
    except ArchstatError:
        return None
    return out if elems(out) <= MAX_ELEMS else None


def _compile(layers, input_shape):
    text = yaml.safe_dump({"name": "random", "input": list(input_shape), "layers": layers}, sort_keys=False)
    return compile_spec(parse_yaml(text, "random.yaml"), "random.yaml")


@st.composite
def layer_item(draw, pool, **extra):
    cls = draw(st.sampled_from(pool))
    return {cls.kind: {**draw(arguments(cls)), **extra}}


@st.composite
def merge_block(draw, layers, i, pool):
    """Branches from the last layer (each the layer itself or one more layer on it), joined by a merge kind."""
    src = "input"
    if layers:
        src = _name_of(layers[-1]) or f"s{i}"
        layers = layers[:-1] + [_named(layers[-1], src)]
    cls = draw(st.sampled_from(MERGES))
    hi = 3 if cls.max_inputs is None else cls.max_inputs
    inputs, new = [], []
    for j in range(draw(st.integers(max(2, cls.min_inputs), max(2, min(hi, 3))))):
        if draw(st.integers(0, 2)) == 0:
            inputs.append(src)
        else:
            new.append(draw(layer_item(pool, name=f"m{i}b{j}", inputs=[src])))
            inputs.append(f"m{i}b{j}")
    return layers + new + [{cls.kind: {**draw(arguments(cls)), "inputs": inputs}}]


@st.composite
def random_spec(draw):
    shape = (draw(st.integers(1, 6)), draw(st.integers(5, 20)), draw(st.integers(5, 20)))
    input_shape = shape
    layers: list = []
    for i in range(draw(st.integers(1, 6))):  # on C x H x W maps
        if draw(st.integers(0, 7)) == 0:
            candidate = draw(merge_block(layers, i, MAP_POOL))
        else:
            candidate = layers + [draw(layer_item(MAP_POOL))]
        out = _shape_after(candidate, input_shape)
        if out is None or not spatial(out):  # a bridge to flat vectors comes below
            continue
        layers, shape = candidate, out
    if TOKEN_BRIDGES and draw(st.integers(0, 2)) == 0:  # on token sequences, to the end (or a last layer that
        bridge = layers + [draw(layer_item(TOKEN_BRIDGES))]  # leaves them: a selected token, a map again)
        if _shape_after(bridge, input_shape) is not None:
            layers = bridge
            for i in range(draw(st.integers(1, 4))):
                if draw(st.integers(0, 7)) == 0:
                    candidate = draw(merge_block(layers, 200 + i, TOKEN_POOL))
                else:
                    candidate = layers + [draw(layer_item(TOKEN_POOL))]
                out = _shape_after(candidate, input_shape)
                if out is not None:
                    layers = candidate
                    if not tokens(out):
                        break
    elif draw(st.booleans()):
        bridge = layers + [draw(layer_item(BRIDGES))]
        out = _shape_after(bridge, input_shape)
        if out is not None:
            layers = bridge
            for i in range(draw(st.integers(0, 3))):  # on flat vectors
                if draw(st.integers(0, 7)) == 0:
                    candidate = draw(merge_block(layers, 100 + i, FLAT_POOL))
                else:
                    candidate = layers + [draw(layer_item(FLAT_POOL))]
                if _shape_after(candidate, input_shape) is not None:
                    layers = candidate
    assume(layers)
    return input_shape, layers


def _name_of(item):
    return next(iter(item.values())).get("name") if isinstance(item, dict) else None


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

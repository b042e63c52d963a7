"""The alternatives a claim can name (``because:``): each a computation over the specs, never a number.

A claim archstat does not match may say, in a closed vocabulary, how its source counted; ``verify`` computes that
figure from the engine's results and calls the claim ``explained`` only when the figure reproduces the claim (as
``Value.matches`` decides: to its last written digit, or rounded or cut off at its last non-zero digit, within 5%).
Free text (``explanation``) may describe the alternative; it is never the verdict. Documented, with each
computation, in ``specs/claims/README.md``::

    because:
      measure: connections        # what is counted (default: the claim's quantity), one of MEASURES
      spec: resnet50_original     # another built-in spec (a variant of the claim's)
      input: [3, 224, 224]        # another input
      layer: conv4                # another layer (or block prefix) of the spec
      only: [conv, linear]        # only these layers: CLASSES, layer kinds, or layer-name patterns ("*.se.pool")
      without: [fc8]              # all but these
      plus: [{spec: resnet50_original}]   # further terms, each the same keys but plus/minus/prefixes/rounding
      minus: [{spec: resnet50}]
      prefixes: binary            # the claim's K, M, G are 2^10, 2^20, 2^30
      rounding: up                # the source rounds up at its last written digit

No key takes a number of the claim's choosing but ``input`` (a shape the engine analyses, like a claim's own
``input``): the terms are engine figures of real specs, at most ``MAX_TERMS`` of them, added or subtracted.
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from archstat.claims.values import fmt_figure as _fmt
from archstat.errors import ArchstatError, SpecError

KEYS = ("measure", "spec", "input", "layer", "only", "without", "plus", "minus", "prefixes", "rounding", "note")
TERM_KEYS = ("measure", "spec", "input", "layer", "only", "without")
MEASURES = {
    "params": "parameters",
    "trainable_params": "trainable parameters",
    "weights": "weights (parameters without biases)",
    "params_and_buffers": "parameters and buffers (running statistics counted as parameters)",
    "macs": "MACs",
    "flops": "FLOPs",
    "activations": "activations",
    "connections": "LeCun connections",
    "mults_adds": "multiplications and additions",
    "depth": "depth",
    "weight_layers": "weight layers",
    "output_shape": "output shape",
}
CLASSES = {
    "weight": "conv, deconv, linear and rbf layers (archstat's weight layers)",
    "parametric": "layers with parameters (trainable or frozen)",
    "frozen": "frozen layers",
    "bias": "layers with a bias",
    "pool": "pooling layers (max, average, adaptive, global)",
    "depthwise": "depthwise convolutions (one group per input channel)",
}
POOLS = ("maxpool", "avgpool", "adaptive_avgpool", "adaptive_maxpool", "global_avgpool", "global_maxpool")
MAX_TERMS = 4  # plus and minus together
MAX_ITEMS = 8  # entries of only / without
MAX_PATTERN = 100


def _brief(v) -> str:
    t = repr(v)
    return t if len(t) <= 60 else t[:40] + "..." + t[-10:]


@dataclass(frozen=True)
class Term:
    measure: str | None = None
    spec: str | None = None
    input: tuple | None = None
    layer: str | None = None
    only: tuple = ()
    without: tuple = ()


@dataclass(frozen=True)
class Because:
    term: Term
    plus: tuple = ()
    minus: tuple = ()
    prefixes: str | None = None
    rounding: str | None = None
    note: str | None = None


def _kinds() -> set:
    try:
        from archstat.layers import KINDS

        return set(KINDS)
    except ImportError:  # pragma: no cover - the registry moved
        return set()


def _items(raw, key: str) -> tuple:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise SpecError(f"'because' '{key}' must be a list of layer classes, kinds or name patterns, got {_brief(raw)}")
    if len(raw) > MAX_ITEMS:
        raise SpecError(f"'because' '{key}' has {len(raw)} entries, more than {MAX_ITEMS}")
    out = []
    for x in raw:
        if not isinstance(x, str) or not x.strip() or len(x) > MAX_PATTERN or any(c.isspace() for c in x):
            raise SpecError(f"'because' '{key}' entry must be a class ({', '.join(CLASSES)}), a layer kind or a "
                            f"layer-name pattern (no spaces, at most {MAX_PATTERN} characters), got {_brief(x)}")
        out.append(x)
    return tuple(out)


def _term(raw, keys=TERM_KEYS, what="'because'") -> dict:
    from archstat.claims.store import check_spec
    from archstat.language.yamlio import Map

    if not isinstance(raw, (Map, dict)):
        raise SpecError(f"{what} must be a mapping (keys: {', '.join(keys)}), got {_brief(raw)}")
    for k in raw:
        if k not in keys:
            raise SpecError(f"unknown {what} key {_brief(k)} (keys: {', '.join(keys)})")
    out: dict[str, Any] = {}
    m = raw.get("measure")
    if m is not None and (not isinstance(m, str) or m not in MEASURES):
        raise SpecError(f"unknown 'because' measure {_brief(m)} (measures: {', '.join(MEASURES)})")
    out["measure"] = m
    if raw.get("spec") is not None:
        spec = check_spec(raw["spec"])
        out["spec"] = spec
    for key in ("layer",):
        v = raw.get(key)
        if v is not None and (not isinstance(v, str) or not v.strip() or len(v) > MAX_PATTERN):
            raise SpecError(f"'because' '{key}' must be a layer name, got {_brief(v)}")
        out[key] = v
    inp = raw.get("input")
    if inp is not None:
        if not isinstance(inp, list) or len(inp) != 3 or not all(
                isinstance(x, int) and not isinstance(x, bool) and 0 < x < 1 << 20 for x in inp):
            raise SpecError(f"'because' 'input' must be [C, H, W], got {_brief(inp)}")
        out["input"] = tuple(inp)
    out["only"] = _items(raw.get("only"), "only")
    out["without"] = _items(raw.get("without"), "without")
    return out


def parse_because(raw) -> Because:
    """A claim's ``because`` mapping, checked: every problem is one line (the loader adds file and line)."""
    main = _term(raw, KEYS)
    terms: dict[str, tuple[Term, ...]] = {}
    n = 0
    for key in ("plus", "minus"):
        v = raw.get(key)
        if v is None:
            terms[key] = ()
            continue
        if not isinstance(v, list) or not v:
            raise SpecError(f"'because' '{key}' must be a list of terms (mappings), got {_brief(v)}")
        n += len(v)
        if n > MAX_TERMS:
            raise SpecError(f"'because' has more than {MAX_TERMS} plus and minus terms")
        terms[key] = tuple(Term(**_term(t, TERM_KEYS, f"'because' '{key}' term")) for t in v)
    prefixes = raw.get("prefixes")
    if prefixes is not None and prefixes != "binary":
        raise SpecError(f"'because' 'prefixes' can only be binary (K = 1024), got {_brief(prefixes)}")
    rounding = raw.get("rounding")
    if rounding is not None and rounding != "up":
        raise SpecError(f"'because' 'rounding' can only be up, got {_brief(rounding)}")
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        raise SpecError(f"'because' 'note' must be text, got {_brief(note)}")
    b = Because(Term(**main), terms["plus"], terms["minus"], prefixes, rounding, note)
    if b.term == Term() and not (b.plus or b.minus or b.prefixes or b.rounding):
        raise SpecError("'because' names no alternative (give a measure, spec, input, layer, only, without, "
                        "plus, minus, prefixes or rounding)")
    seen = [b.term]
    for t in b.plus + b.minus:  # no term twice, none the claim's own figure: no multiples of one figure
        if t == Term() or t in seen:
            raise SpecError("a 'because' plus or minus term must differ from the claim's own figure and from "
                            "every other term")
        seen.append(t)
    return b


# ------------------------------------------------------------------------------------------------- computing
class NoFigure(Exception):
    """The alternative cannot be computed (an unknown layer, a spec that does not load, an unknown figure)."""


def _channels_in(r, shapes) -> int | None:
    s = shapes.get(r.inputs[0]) if r.inputs else None
    return s[0] if s else None


def _is(r, item: str, shapes: dict, kinds: set) -> bool:
    if item == "weight":
        return bool(r.node.layer.weight_layer)
    if item == "parametric":
        return r.n_params > 0
    if item == "frozen":
        return bool(r.frozen)
    if item == "bias":
        return "bias" in r.params
    if item == "pool":
        return r.kind in POOLS
    if item == "depthwise":
        if r.kind == "dwconv":
            return True
        g = getattr(r.node.layer, "groups", 1)
        return r.kind == "conv" and isinstance(g, int) and g > 1 and g == _channels_in(r, shapes)
    if item in kinds:
        return r.kind == item
    return fnmatch.fnmatchcase(r.name, item)


def _window_area(r) -> int:
    k = getattr(r.node.layer, "kernel", None)
    if isinstance(k, tuple) and len(k) == 2:
        return int(k[0]) * int(k[1])
    return 0


def _connections(r) -> int:
    """LeCun's connections: a weight layer's MACs, a pooling unit's inputs, and one per output for a bias."""
    n = 0
    if r.node.layer.weight_layer:
        if r.macs is None:
            raise NoFigure("unknown MACs")
        n += r.macs
    if r.kind in ("avgpool", "maxpool"):
        n += r.activations * _window_area(r)
    if "bias" in r.params:
        n += r.activations
    return n


def _mults_adds(r) -> int:
    """A weight layer's multiplications (its MACs) and additions: a sum of k products takes k - 1, a bias one."""
    if not r.node.layer.weight_layer:
        return 0
    if r.macs is None:
        raise NoFigure("unknown MACs")
    return 2 * r.macs - r.activations + (r.activations if "bias" in r.params else 0)


_SUMMED = {
    "params": lambda r: r.n_params,
    "trainable_params": lambda r: 0 if r.frozen else r.n_params,
    "weights": lambda r: r.weights,
    "params_and_buffers": lambda r: r.n_params + sum(r.buffers.values()),
    "macs": lambda r: r.macs,
    "flops": lambda r: r.flops,
    "activations": lambda r: r.activations,
    "connections": _connections,
    "mults_adds": _mults_adds,
    "weight_layers": lambda r: 1 if r.node.layer.weight_layer else 0,
}


def term_value(claim, t: Term, book):
    """The figure of term ``t`` for ``claim``: its measure over its layers of its spec at its input."""
    import dataclasses

    from archstat.claims.compute import compute
    from archstat.core.graph import INPUT

    spec = t.spec or claim.spec
    a = book.get(spec, t.input if t.input is not None else claim.input)
    if isinstance(a, ArchstatError):
        raise NoFigure(f"spec {spec}: {a}")
    q = t.measure or claim.quantity
    layer = t.layer or claim.layer
    if not t.only and not t.without and q not in ("connections", "mults_adds", "params_and_buffers"):
        if q == "depth" and layer:
            raise NoFigure("depth is about a whole network")
        try:
            v = compute(dataclasses.replace(claim, layer=layer), a, q, book.layers(a))
        except (KeyError, AttributeError):
            raise NoFigure(f"spec {spec} has no {q} for layer '{layer}'") from None
        if v is None:
            raise NoFigure("the spec leaves this figure unknown")
        return v
    if layer == INPUT:
        raise NoFigure("the input has no layers to select")
    index = book.layers(a)
    if layer:
        try:
            pos = index.select(layer)
        except KeyError:
            raise NoFigure(f"spec {spec} has no layer '{layer}'") from None
        rs = [a.layers[i] for i in pos]
    else:
        rs = list(a.layers)
    shapes = {INPUT: a.input_shape}
    shapes.update((r.name, r.output_shape) for r in a.layers)
    kinds = _kinds()
    only = t.only or (("weight",) if q in ("depth", "weight_layers") else ())
    chosen = [r for r in rs if (not only or any(_is(r, x, shapes, kinds) for x in only))
              and not any(_is(r, x, shapes, kinds) for x in t.without)]
    if q == "depth":
        if layer:
            raise NoFigure("depth is about a whole network")
        counted = {r.name for r in chosen}
        depth = {INPUT: 0}
        for r in a.layers:
            depth[r.name] = max((depth[i] for i in r.inputs), default=0) + (1 if r.name in counted else 0)
        return max(depth.values())
    if q not in _SUMMED:
        raise NoFigure(f"'{q}' cannot be taken over a selection of layers")
    if not chosen:
        raise NoFigure("no layer is selected")
    vals = [_SUMMED[q](r) for r in chosen]
    if any(v is None for v in vals):
        raise NoFigure("the spec leaves this figure unknown")
    return sum(vals)


def value(claim, b: Because, book):
    """The figure alternative ``b`` gives for ``claim`` (exact), or NoFigure."""
    x = term_value(claim, b.term, book)
    if b.plus or b.minus:
        if isinstance(x, tuple):
            raise NoFigure("shapes cannot be added")
        for t in b.plus:
            y = term_value(claim, t, book)
            if isinstance(y, tuple):
                raise NoFigure("shapes cannot be added")
            x += y
        for t in b.minus:
            y = term_value(claim, t, book)
            if isinstance(y, tuple):
                raise NoFigure("shapes cannot be subtracted")
            x -= y
    return x


def compared(claim, b: Because, x):
    """``x`` as the claim's digits are read under ``b``: binary prefixes, or rounded up at the written digit."""
    v = claim.value
    if isinstance(x, tuple) or v.number is None:
        return x
    if b.prefixes == "binary" and v.power:
        x = Fraction(x) * Fraction(10**(3 * v.power), 2**(10 * v.power))
    if b.rounding == "up":
        x = math.ceil(Fraction(x) / v.unit) * v.unit
    return x


def _term_text(claim, t: Term) -> str:
    q = t.measure or claim.quantity
    parts = [MEASURES.get(q, q)]
    if t.layer:
        parts.append(f"of {t.layer}")
    if t.spec:
        parts.append(f"of spec {t.spec}")
    if t.input is not None:
        parts.append(f"at {'x'.join(map(str, t.input))}")
    if t.only:
        parts.append(f"of {', '.join(t.only)} only")
    if t.without:
        parts.append(f"without {', '.join(t.without)}")
    return " ".join(parts)


def describe(claim, b: Because, x, shown=None) -> str:
    """The verdict text: which alternative, and its computed figure ("LeCun connections: 122,304")."""
    text = _term_text(claim, b.term)
    for t in b.plus:
        text += f" + {_term_text(claim, t)}"
    for t in b.minus:
        text += f" - {_term_text(claim, t)}"
    text = text[0].upper() + text[1:]
    text += f": {_fmt(shown if shown is not None else x)}"
    if b.prefixes == "binary" and claim.value.power:
        text += f" = {_fmt(compared(claim, Because(Term(), prefixes='binary'), x))} in the source's binary " \
                f"{'KMGT'[claim.value.power - 1]} (1{'KMGT'[claim.value.power - 1]} = 2^{10 * claim.value.power})"
    if b.rounding == "up":
        text += f", rounded up to {claim.value.text}"
    return text

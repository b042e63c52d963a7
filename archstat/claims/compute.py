"""The figures claims are about: every spec a run names read and compiled once, analysed once per input (``Book``),
each analysis's layers indexed by name (``_Layers``), and ``compute``, the figure one claim is about."""

from __future__ import annotations

import dataclasses
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from archstat.claims.store import Claim, check_spec
from archstat.core.graph import INPUT
from archstat.errors import ArchstatError, SpecError
from archstat.io.limits import MAX_VERIFY_LAYERS, MAX_VERIFY_SPECS


class Book:
    """Analyses by (spec, input), computed once, each with an index of its layers by name; the claims' rows by
    group. A spec file is read and compiled once (and once only under two spellings of its path), then analysed
    at each input the claims name, as ``archstat sweep`` does: its layers do not depend on the input.

    Verifying ``n`` claims costs O(n log n) lookups plus the analyses, whose layers together are bounded by
    ``MAX_VERIFY_LAYERS``, of at most ``MAX_VERIFY_SPECS`` specs; past either bound, a one-line error."""

    def __init__(self):
        self._cache: dict = {}  # (spec as written, input) -> Analysis or ArchstatError
        self._specs: dict = {}  # spec as written -> the identity of its file, None, or ArchstatError
        self._files: dict = {}  # (identity or spec, input) -> Analysis or ArchstatError
        self._graphs: dict = {}  # (identity or spec, input given) -> Graph or ArchstatError
        self._layers: dict = {}  # id(analysis) -> (analysis, _Layers)
        self._rows: tuple | None = None  # (the claims list, rows by (group, spec), sums by (group, spec, quantity))
        self._exists: dict = {}  # a sibling spec's name -> whether specs/NAME.yaml exists
        self.analysed = 0  # layers analysed so far

    def get(self, spec: str, input_shape=None):
        """The analysis of ``spec`` at ``input_shape`` (None: the spec's own), or the ArchstatError it gives."""
        key = (spec, input_shape)
        if key not in self._cache:
            ident = self._identity(spec)
            if isinstance(ident, ArchstatError):
                self._cache[key] = ident
            else:
                file_key = (ident if ident is not None else spec, input_shape)
                if file_key not in self._files:
                    self._files[file_key] = self._analyze(spec, file_key[0], input_shape)
                self._cache[key] = self._files[file_key]
        return self._cache[key]

    def _identity(self, spec: str):
        """The file ``spec`` names as (device, inode) of the file and of its directory (which includes are
        relative to); None when it cannot be told (the analysis then says why); the error for a name that names
        no spec at all, found without reading anything."""
        if spec not in self._specs:
            if len(self._specs) >= MAX_VERIFY_SPECS:
                raise SpecError(f"the claims name more than {MAX_VERIFY_SPECS:,} different specs (the limit)")
            self._specs[spec] = _identity(spec)
        return self._specs[spec]

    def _analyze(self, spec: str, ident, input_shape):
        from archstat.core.engine import analyze

        if self.analysed > MAX_VERIFY_LAYERS:
            raise SpecError(f"the claims need more than {MAX_VERIFY_LAYERS:,} layers analysed (each spec at each "
                            f"input they name; the limit)")
        try:
            if input_shape is not None and not _plain_input(input_shape):
                from archstat import load

                graph = load(spec, input_shape)  # the loader's own answer to a malformed input
            else:
                graph = self._graph(spec, ident, input_shape)
                if isinstance(graph, ArchstatError):
                    return graph
                if input_shape is not None and graph.input_shape != tuple(input_shape):
                    graph = dataclasses.replace(graph, input_shape=tuple(input_shape))
            a = analyze(graph)
        except ArchstatError as e:
            return e
        self.analysed += len(a.layers)
        return a

    def _graph(self, spec: str, ident, input_shape):
        """``spec`` compiled once with its own input, and once with the first input a claim gives (its layers
        are those of any other input: ``_analyze`` swaps the input in)."""
        from archstat import load

        slot = (ident, input_shape is not None)
        if slot not in self._graphs:
            try:
                self._graphs[slot] = load(spec, input_shape)
            except ArchstatError as e:
                self._graphs[slot] = e
            except (OSError, ValueError) as e:  # a path the system refuses, should the loader let it through
                from archstat.io.reading import path_error

                self._graphs[slot] = SpecError(path_error(e), file=spec)
        return self._graphs[slot]

    def layers(self, a) -> _Layers:
        """The index of analysis ``a``'s layers, built once."""
        got = self._layers.get(id(a))
        if got is None or got[0] is not a:
            got = self._layers[id(a)] = (a, _Layers(a))
        return got[1]

    def rows(self, claims: list[Claim]) -> tuple[dict, dict]:
        """The claims that can be rows of a total, by (group, spec), indexed once per list of claims."""
        if self._rows is None or self._rows[0] is not claims:
            by_group: dict = {}
            for c in claims:
                if c.group is not None and not c.total_of and c.value.number is not None:
                    by_group.setdefault((c.group, c.spec), []).append(c)
            self._rows = (claims, by_group, {})
        return self._rows[1], self._rows[2]

    def spec_exists(self, name: str) -> bool:
        """Whether the built-in spec file ``specs/NAME.yaml`` exists (False for a name no file can have)."""
        if name not in self._exists:
            from archstat.language.catalog import specs_dir

            try:
                self._exists[name] = (specs_dir() / f"{name}.yaml").is_file()
            except (OSError, ValueError):
                self._exists[name] = False
        return self._exists[name]


def _plain_input(shape) -> bool:
    """An input the loader takes as it is: [C, H, W] of positive integers up to MAX_DIM (a claim's always is)."""
    from archstat.io.limits import MAX_DIM

    return (isinstance(shape, tuple) and len(shape) == 3
            and all(isinstance(x, int) and not isinstance(x, bool) and 1 <= x <= MAX_DIM for x in shape))


def _identity(spec: str):
    import os

    from archstat.io.reading import path_error
    from archstat.language.catalog import resolve

    try:
        check_spec(spec)
        path = resolve(spec)
    except ArchstatError as e:
        return e
    except (OSError, ValueError) as e:  # a name the system refuses (too long, say): as one line
        return SpecError(path_error(e), file=spec)
    if path is None:
        return None
    try:
        st, up = os.stat(path), os.stat(path.parent)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino, up.st_dev, up.st_ino


# ------------------------------------------------------------------------------------------------- computing
@dataclass
class _Sums:
    """What a layer claim can ask about its selection: sums over the selected layers, and the last of them."""

    params: int
    weights: int
    macs: int | None
    flops: int | None
    stats: int  # batch-norm running mean and variance elements (Keras counts them as parameters)
    last: Any  # the selection's last LayerResult


class _Layers:
    """One analysis's layers by name: exact names (a dict), block prefixes ("3a" for 3a.*; a bisection of the
    sorted names) and unique dotted suffixes (a bisection of the reversed names). Each distinct layer a claim
    names is selected and summed once."""

    def __init__(self, a):
        self.a = a
        self.exact: dict[str, list[int]] = {}
        for i, r in enumerate(a.layers):
            self.exact.setdefault(r.name, []).append(i)
        self._sorted: tuple | None = None
        self._reversed: tuple | None = None
        self._sums: dict = {}
        self._network_stats: int | None = None

    def select(self, layer: str) -> list[int]:
        """Positions of the layers ``layer`` names, in layer order: the layer of that name, else the layers of
        the block it prefixes, else the one layer whose name ends with it; KeyError when none."""
        if layer in self.exact:
            return self.exact[layer]
        layers = self.a.layers
        if self._sorted is None:
            order = sorted(range(len(layers)), key=lambda i: layers[i].name)
            self._sorted = ([layers[i].name for i in order], order)
        names, order = self._sorted
        prefix = layer + "."
        i = bisect_left(names, prefix)
        hits = []
        while i < len(names) and names[i].startswith(prefix):
            hits.append(order[i])
            i += 1
        if hits:
            return sorted(hits)
        if self._reversed is None:
            order = sorted(range(len(layers)), key=lambda i: layers[i].name[::-1])
            self._reversed = ([layers[i].name[::-1] for i in order], order)
        names, order = self._reversed
        suffix = ("." + layer)[::-1]
        i = bisect_left(names, suffix)
        ends = [order[j] for j in range(i, min(i + 2, len(names))) if names[j].startswith(suffix)]
        if len(ends) == 1:
            return ends
        raise KeyError(layer)

    def sums(self, layer: str) -> _Sums:
        got = self._sums.get(layer)
        if got is None:
            try:
                rs = [self.a.layers[i] for i in self.select(layer)]
            except KeyError:
                got = self._sums[layer] = KeyError(layer)
            else:
                macs = [r.macs for r in rs]
                flops = [r.flops for r in rs]
                got = self._sums[layer] = _Sums(
                    params=sum(r.n_params for r in rs), weights=sum(r.weights for r in rs),
                    macs=None if any(v is None for v in macs) else sum(macs),
                    flops=None if any(v is None for v in flops) else sum(flops),
                    stats=_stats(rs), last=rs[-1])
        if isinstance(got, KeyError):
            raise KeyError(layer)
        return got

    def network_stats(self) -> int:
        if self._network_stats is None:
            self._network_stats = _stats(self.a.layers)
        return self._network_stats


def _stats(rs) -> int:
    """Running-statistics elements (Keras's non-trainable parameters), as each layer kind names its own."""
    return sum(r.buffers[b] for r in rs for b in r.node.layer.statistics_buffers)


def _field_size(field):
    from archstat.layers import GLOBAL

    if field is None:
        return None
    if field is GLOBAL:
        return None
    h, w = field.size
    return int(h) if h == w else (int(h), int(w))


def compute(claim: Claim, a, quantity: str | None = None, layers: _Layers | None = None):
    """The figure ``claim`` is about, from analysis ``a`` (``quantity`` overrides the claim's; ``layers`` is the
    index of ``a``'s layers, built here when not given). KeyError when the spec has no such layer."""
    q = quantity or claim.quantity
    if claim.layer == INPUT:
        from archstat.layers import elems

        vals = {"output_shape": a.input_shape, "activations": elems(a.input_shape),
                "activation_bytes": 4 * elems(a.input_shape), "params": 0, "weights": 0, "macs": 0, "flops": 0}
        if q not in vals:
            raise KeyError(q)
        return vals[q]
    if claim.layer:
        s = (layers or _Layers(a)).sums(claim.layer)
        if q in ("params", "weights", "macs", "flops"):
            return getattr(s, q)
        if q == "activations":
            return s.last.activations
        if q == "activation_bytes":
            return s.last.activations * 4
        if q == "output_shape":
            return s.last.output_shape
        if q == "receptive_field":
            return _field_size(s.last.field)
        raise KeyError(q)
    t = a.totals
    if q == "output_shape":
        return a.layers[-1].output_shape
    if q == "receptive_field":
        return _field_size(t.field)
    if q == "activation_bytes":
        return t.activations * 4
    if q in ("macs", "flops") and getattr(t, f"unknown_{q}"):
        return None
    return getattr(t, q)


def _shape_as_claimed(shape: tuple, claim: Claim) -> tuple:
    if len(shape) == 3 and claim.order == "hwc":
        return (shape[1], shape[2], shape[0])
    if len(shape) == 3 and claim.order == "whc":
        return (shape[2], shape[1], shape[0])
    return tuple(shape)


def _shape_matches(computed: tuple, claim: Claim) -> bool:
    want = claim.value.shape
    assert want is not None  # an output_shape claim always has a shape
    want_chw: tuple
    if len(want) == 3 and claim.order == "hwc":
        want_chw = (want[2], want[0], want[1])
    elif claim.order == "whc" and len(want) in (2, 3):  # width first: "320x280" is 280 tall, 320 wide
        want_chw = (want[2], want[1], want[0]) if len(want) == 3 else (want[1], want[0])
    else:
        want_chw = tuple(want)
    if len(computed) == 1:  # a flat vector: "4096", "1x1x4096", a column "3072 x 1"
        return sorted(want_chw)[-1] == computed[0] and all(d == 1 for d in sorted(want_chw)[:-1])
    if len(computed) != 3:  # no C x H x W map: the shape as it is
        return tuple(computed) == want_chw
    if len(want_chw) == 1:  # "96" or "55": the channels, or the side of a square map ((227-11)/4+1 = 55)
        return want_chw[0] == computed[0] or want_chw[0] == computed[1] == computed[2]
    if len(want_chw) == 2:  # "55x55": height and width only
        return tuple(computed[1:]) == want_chw
    return tuple(computed) == want_chw

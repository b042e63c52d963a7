"""A fuzzer over the spec loader and the engine: valid specs from specs/, mutated at random (a key deleted, an item
duplicated, a value retyped or perturbed, layers spliced in from another spec, names dropped or doubled, kinds
changed, the YAML text cut or garbled), must each end in a valid analysis or a clean ``ArchstatError``: one line,
no newline, naming the file and the line or layer; never another exception, never a hang (hypothesis' deadline).

Mutations reach the included block libraries too: a mutated library is written beside the real ones in a temporary
copy of specs/, and the spec's ``include`` is pointed at it, so every spec loads through the normal path.
In CI the examples are fixed (``derandomize``); ``ARCHSTAT_FUZZ=20 pytest tests/test_fuzz.py`` hunts with twenty
times as many, from a fresh seed.
"""

import atexit
import copy
import os
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archstat
from archstat.core.engine import analyze
from archstat.errors import ArchstatError
from archstat.layers import REGISTRY
from archstat.render import records
from archstat.render.console import summary_table, totals_lines

ROOT = Path(__file__).resolve().parents[1]
SPECS = ["lenet5", "alexnet", "resnet18", "googlenet", "mobilenet_v2", "inception_v3"]
SCALE = int(os.environ.get("ARCHSTAT_FUZZ", "0"))  # ARCHSTAT_FUZZ=20: 20x the examples, a fresh random seed
SETTINGS = dict(max_examples=300 * (SCALE or 1), derandomize=not SCALE, deadline=timedelta(seconds=2),
                database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

_TMP = tempfile.mkdtemp(prefix="archstat-fuzz-")
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
_WORK = Path(_TMP) / "specs"
shutil.copytree(ROOT / "specs", _WORK, ignore=shutil.ignore_patterns("claims"))


def _plain(v):
    """A loaded YAML value as plain dicts and lists (yaml.safe_dump refuses subclasses)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def _load(rel: str):
    return _plain(yaml.safe_load((ROOT / "specs" / rel).read_text()))


DOCS = {name: _load(f"{name}.yaml") for name in SPECS}
LIBS = {rel: _load(rel) for d in DOCS.values() for rel in (d.get("include") or [])}
KINDS = sorted(REGISTRY)


def _paths(v, path=()):
    """Every place in a document: (path of keys and indices) for each mapping entry and list item."""
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            out.append(path + (k,))
            out.extend(_paths(x, path + (k,)))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out.append(path + (i,))
            out.extend(_paths(x, path + (i,)))
    return out


def _get(doc, path):
    for p in path:
        doc = doc[p]
    return doc


def _layer_items(doc):
    """Paths of the lists of layer items: the spec's layers, every group's and every block's."""
    return [p for p in _paths(doc) if p and p[-1] == "layers" and isinstance(_get(doc, p), list)]


def _retype(v, choice):
    if isinstance(v, bool):
        return [str(v).lower(), 1, None][choice % 3]
    if isinstance(v, int):
        return [str(v), float(v) + 0.5, -v, 0, 10**9, 2**31, 10**40, [v], f"$({v} * 2)", f"$({v} / 0)"][choice % 10]
    if isinstance(v, float):
        return [int(v) if v == v and abs(v) != float("inf") else 7, -v, float("nan"), float("inf"), str(v)][choice % 5]
    if isinstance(v, str):
        return [v + "x", "", 3, [v], {v: None}, "$(" + v + ")", "$" + v, v * 50, v + "\n" + v][choice % 9]
    if isinstance(v, list):
        return [v[0] if v else None, len(v), [], v + v, {"x": v}][choice % 5]
    if isinstance(v, dict):
        return [list(v.values()), list(v), None, "text", {}][choice % 5]
    return [1, "x", [], {}][choice % 4]


def _perturb(v, choice):
    if isinstance(v, bool) or not isinstance(v, int):
        return v
    # 10,001: just past a repeat's limit (10,000 repeats of a block make a valid 100,000-layer net: seconds)
    return [v + 1, v - 1, v * 2, v // 2, v * 10, -1, 0, 1, 10_001, 2**31 + 1][choice % 10]


@st.composite
def mutated(draw):
    """A spec name and its documents (the spec, and its block libraries) after one to four mutations."""
    name = draw(st.sampled_from(SPECS))
    docs = {f"{name}.yaml": copy.deepcopy(DOCS[name])}
    for rel in DOCS[name].get("include") or []:
        docs[rel] = copy.deepcopy(LIBS[rel])
    for _ in range(draw(st.integers(1, 4))):
        target = draw(st.sampled_from(sorted(docs)))
        doc = docs[target]
        paths = _paths(doc)
        op = draw(st.sampled_from(["delete", "duplicate", "retype", "perturb", "splice", "name", "kind", "swap"]))
        choice = draw(st.integers(0, 1000))
        if op == "splice":  # layers from another spec (or its library) into some list of layers here
            donor = draw(st.sampled_from(SPECS + sorted(LIBS)))
            src = DOCS.get(donor) or LIBS[donor]
            src_lists, dst_lists = _layer_items(src), _layer_items(doc)
            if not src_lists or not dst_lists:
                continue
            items = _get(src, draw(st.sampled_from(src_lists)))
            if not items:
                continue
            dst = _get(doc, draw(st.sampled_from(dst_lists)))
            k = draw(st.integers(0, len(items) - 1))
            at = choice % (len(dst) + 1)
            dst[at:at] = copy.deepcopy(items[k:k + draw(st.integers(1, 3))])
            if draw(st.booleans()) and isinstance(src.get("blocks"), dict):  # bring the donor's blocks along
                doc.setdefault("blocks", {})
                if isinstance(doc["blocks"], dict):
                    doc["blocks"].update(copy.deepcopy(src["blocks"]))
            continue
        if not paths:
            continue
        path = draw(st.sampled_from(paths))
        parent, key = _get(doc, path[:-1]), path[-1]
        value = parent[key]
        if op == "delete":
            del parent[key]
        elif op == "duplicate":
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(value))
            else:
                parent[f"{key}_copy" if choice % 2 else "name"] = copy.deepcopy(value)
        elif op == "retype":
            parent[key] = _retype(value, choice)
        elif op == "perturb":
            parent[key] = _perturb(value, choice)
        elif op == "name":  # drop a name, or give one layer another's name
            names = [p for p in paths if p[-1] == "name"]
            if isinstance(value, dict) and "name" in value and choice % 2:
                del value["name"]
            elif names and isinstance(value, dict):
                value["name"] = _get(doc, draw(st.sampled_from(names)))
        elif op == "kind":  # rename a `kind: {args}` item to another kind (or a block)
            if isinstance(value, dict) and len(value) == 1:
                (old, args), = value.items()
                blocks = sorted(doc.get("blocks") or {}) if isinstance(doc.get("blocks"), dict) else []
                new = draw(st.sampled_from(KINDS + blocks + [old + "x"]))
                parent[key] = {new: args}
            elif isinstance(value, str):
                parent[key] = draw(st.sampled_from(KINDS))
        elif op == "swap":  # exchange two values anywhere in the document
            other = draw(st.sampled_from(paths))
            if other[:len(path)] != path and path[:len(other)] != other:
                oparent = _get(doc, other[:-1])
                parent[key], oparent[other[-1]] = oparent[other[-1]], parent[key]
    return name, docs


def _write(name: str, docs: dict, garble=None) -> Path:
    """Write the mutated documents into the work copy of specs/ (libraries under new names) and return the spec."""
    spec = docs[f"{name}.yaml"]
    libs = {rel: d for rel, d in docs.items() if rel != f"{name}.yaml"}
    renamed = {rel: f"blocks/_fuzz_{Path(rel).name}" for rel in libs}
    if isinstance(spec, dict) and isinstance(spec.get("include"), list):
        spec["include"] = [renamed.get(x, x) if isinstance(x, str) else x for x in spec["include"]]
    for rel, d in libs.items():
        (_WORK / renamed[rel]).write_text(yaml.safe_dump(d, sort_keys=False))
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    if garble is not None:
        text = garble(text)
    path = _WORK / "_fuzz.yaml"
    path.write_text(text)
    return path


def check(path: Path) -> None:
    """Load, analyse and render; a failure must be a clean, located, one-line ArchstatError."""
    try:
        a = analyze(archstat.load(str(path)))
        records.to_json(a)
        summary_table(a)
        totals_lines(a)
    except ArchstatError as e:
        msg = str(e)
        assert msg and "\n" not in msg and msg.isprintable(), msg
        assert e.file, f"no file in: {msg}"
        assert e.line or e.layer or msg.endswith(("the file is empty", "the file holds only comments")), \
            f"neither line nor layer in: {msg}"


@settings(**SETTINGS)
@given(mutated())
def test_mutated_specs_analyse_or_fail_cleanly(case):
    name, docs = case
    check(_write(name, docs))


@settings(**{**SETTINGS, "max_examples": 200 * (SCALE or 1)})
@given(mutated(), st.data())
def test_garbled_yaml_text_fails_cleanly(case, data):
    """The same mutations, then the YAML text itself damaged: cut short, a line dropped or doubled, bytes
    inserted, indentation broken."""
    name, docs = case
    how = data.draw(st.sampled_from(["cut", "drop_line", "double_line", "insert", "indent"]))
    frac = data.draw(st.floats(0, 1))
    junk = data.draw(st.sampled_from(["{", "[", "]", ":", "- ", "&a ", "*a", "!!python/name:os.system ", "\t", "'",
                                      '"', "\x00", "\ufeff", "$(", "${", "%YAML 1.1\n", "---\n", "? ", "|", "<<: "]))

    def garble(text: str) -> str:
        lines = text.split("\n")
        i = int(frac * (len(lines) - 1))
        at = int(frac * len(text))
        if how == "cut":
            return text[:at]
        if how == "drop_line":
            return "\n".join(lines[:i] + lines[i + 1:])
        if how == "double_line":
            return "\n".join(lines[:i + 1] + lines[i:])
        if how == "insert":
            return text[:at] + junk + text[at:]
        return "\n".join(lines[:i] + [" " + lines[i]] + lines[i + 1:])

    check(_write(name, docs, garble))


HOSTILE_VALUES = [0, 1, 2, 3, 7, -1, 2**31, 2**31 + 1, 10**40, 0.5, 2.0, float("nan"), float("inf"), True, None, "",
                  "same", "valid", "nearest", "bilinear", "x", [1], [2, 3], [0, 0], [1, 2, 3, 4], [-1, 1], [], {},
                  "$(2 ** 64)", "$(1 / 0)", "$(round(2.5))"]


@settings(**SETTINGS)
@given(st.sampled_from(sorted(REGISTRY)), st.dictionaries(st.text("abcdefghijklmnopqrstuvwxyz_", max_size=12),
                                                       st.sampled_from(HOSTILE_VALUES), max_size=3),
       st.sampled_from([[3, 8, 8], [1, 1, 1], [64, 3, 5], [10], [1], [2**31, 1, 1], [1, 2**31, 2**31]]),
       st.data())
def test_every_kind_with_hostile_arguments(kind, args, shape, data):
    """Each layer kind, its own arguments (and some strangers) set to hostile values, on odd input shapes."""
    from archstat.layers import REGISTRY as kinds

    fields = sorted(kinds[kind].fields)
    if fields:
        for name in data.draw(st.lists(st.sampled_from(fields), max_size=len(fields), unique=True)):
            args[name] = data.draw(st.sampled_from(HOSTILE_VALUES))
    two = data.draw(st.booleans())
    spec = {"name": "k", "input": shape, "layers": [{"identity": {"name": "a"}},
                                                    {kind: dict(args, inputs=["a", "input"] if two else ["a"])}]}
    path = _WORK / "_fuzz_kind.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    check(path)

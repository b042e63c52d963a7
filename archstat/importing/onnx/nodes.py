"""What an ONNX node says, in archstat's terms: its attributes, the module path and layer name its scope gives (names: see
``builder.py``), ONNX's argument formats (pads, strides) as archstat writes them, and the two layouts of a 4-d map."""

from __future__ import annotations

_CF, _CL = "channels_first", "channels_last"


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _parts(node) -> list[str]:
    return [p for p in node.name.split("/") if p]


def _scope_path(node) -> str:
    """The module path of the node's scope. ``torch.onnx.export`` writes each scope relative to the nearest one
    whose name it does not extend: ``/features/features.1/features.1.0/block/block.1/Transpose`` is in
    ``features.1.0.block.1``."""
    parts = _parts(node)[:-1]
    full: list[str] = []
    for k, p in enumerate(parts):
        if k == 0:
            full.append(p)
        elif p.startswith(parts[k - 1] + "."):
            base = full[k - 1][: len(full[k - 1]) - len(parts[k - 1])]
            full.append(base + p)
        else:
            full.append(f"{full[k - 1]}.{p}")
    return full[-1] if full else ""


def _scope_name(node) -> str:
    """``/layer1/layer1.0/relu_1/Relu`` -> ``layer1.0.relu_1``; ``/classifier/classifier.1/Flatten`` ->
    ``classifier.1``; ``/layer1/layer1.0/Add`` -> ``layer1.0`` (renamed ``layer1.0.add`` by ``_functional_names``)."""
    parts = _parts(node)
    path = _scope_path(node)
    if not parts or (len(parts) == 1 and (parts[0] == node.op_type or parts[0].startswith(node.op_type + "_"))):
        return node.op_type.lower()
    if parts[-1] != node.op_type and not parts[-1].startswith(node.op_type):
        return f"{path}.{parts[-1]}" if path else parts[-1]
    return path or node.op_type.lower()  # a functional op among other layers: renamed by _functional_names


def _pair(v, n=2):
    return [int(x) for x in v] if v is not None else [1] * n


def _int_or_pair(v: list[int]):
    return v[0] if len(set(v)) == 1 else list(v)


def _padding(pads: list[int] | None):
    """ONNX pads [top, left, bottom, right] as archstat writes them."""
    if not pads:
        return 0
    t, left, b, r = pads
    if t == b and left == r:
        return t if t == left else [t, left]
    return [t, b, left, r]


def _size(dims) -> str:
    return "x".join(str(d) if d > 0 else "?" for d in dims)


def _dims(vi) -> tuple:
    return tuple(d.dim_value if d.HasField("dim_value") else -1 for d in vi.type.tensor_type.shape.dim)


def _camel(text: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in text.replace("-", "_").split("_") if p) or "Module"


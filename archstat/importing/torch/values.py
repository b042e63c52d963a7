"""What the PyTorch front end reads off a traced graph: the layouts a tensor can have, ``Val`` (what a node holds as
the mapping sees it), ``Unmapped`` (a node with no kind: it becomes ``custom``), and small readers of fx nodes
(their arguments, names and op text)."""

from __future__ import annotations

# torch.fx types a node's arguments as a wide union (Argument); the handlers read the shapes the trace gave them
# mypy: disable-error-code="index, arg-type, union-attr, assignment, unused-ignore, func-returns-value, var-annotated"
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import fx

if TYPE_CHECKING:
    from archstat.importing.torch.mapper import Mapper

# ---- layouts ---------------------------------------------------------------------------------------------------------
CF, CL, TOK, FLAT, TOKT, OTHER = "cf", "cl", "tokens", "flat", "tokens_t", "other"


@dataclass
class Val:
    """What a traced node holds, as the mapping sees it."""

    layer: str | None          # the IR layer that computes it (None: a parameter or a constant)
    layout: str = OTHER        # CF, CL, TOK, FLAT; TOKT: (B, D, L), a map flattened but not yet transposed
    param: str | None = None   # a parameter path this value is a view of (``stages.0.gamma``)
    src: str | None = None     # for TOKT: the map layer it flattens


def logical(shape: tuple, layout: str) -> tuple:
    s = tuple(int(d) for d in shape[1:])
    if layout == CL and len(s) == 3:
        return (s[2], s[0], s[1])
    return s


def _layout_of(t: torch.Tensor) -> str:
    return {4: CF, 3: TOK, 2: FLAT}.get(t.dim(), OTHER)


class Unmapped(Exception):
    """This node has no kind here: it becomes ``custom``."""


def _has_tensor(res) -> bool:
    return isinstance(res, torch.Tensor) or (isinstance(res, (tuple, list)) and any(True for _ in _tensors(res)))


def _tensors(res):
    if isinstance(res, torch.Tensor):
        yield res
    elif isinstance(res, (tuple, list)):
        for r in res:
            yield from _tensors(r)


def _flat_args(node: fx.Node) -> list:
    out: list = []
    fx.node.map_arg((node.args, node.kwargs), lambda a: out.append(a) or a)
    return out


def _param_numel(gm: fx.GraphModule, path: str) -> int:
    try:
        return gm.get_parameter(path).numel()
    except AttributeError:
        try:
            return gm.get_buffer(path).numel() * 0
        except AttributeError:
            return 0


def _short(node: fx.Node) -> str:
    t = node.target
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    return str(name).strip("_").replace(".", "_") or "op"


def _op_text(node: fx.Node, gm: fx.GraphModule) -> str:
    if node.op == "call_module":
        m = gm.get_submodule(str(node.target))
        return f"{type(m).__module__}.{type(m).__name__}"
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    t = node.target
    return f"{getattr(t, '__module__', '') or ''}.{getattr(t, '__name__', str(t))}".lstrip(".")


def _pair(v) -> int | list[int]:
    if isinstance(v, (tuple, list)):
        a = [int(x) for x in v]
        return a[0] if len(set(a)) == 1 else a
    return int(v)


def _one(mp: Mapper, node: fx.Node) -> Val:
    return mp.val(node.args[0]) if isinstance(node.args[0], fx.Node) else Val(None)


def _arg(node: fx.Node, i: int, key: str, default=None):
    if len(node.args) > i:
        return node.args[i]
    return node.kwargs.get(key, default)

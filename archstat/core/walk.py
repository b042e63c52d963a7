"""The one walk over a spec's graph, shared by the numeric engine (``engine.analyze``) and the symbolic analysis
(``symbolic.analyze_symbolic``), and the activation rule both apply.

The walk visits the nodes in spec order, hands each one its inputs' shapes, records the shape it produces, and
turns whatever a layer's rules raise into one located error. What differs between the two analyses is passed in:
``step`` (numbers or ``Sym`` values, memoisation, receptive fields) and ``failure`` (which exceptions become which
error). The activation rule (``activation``, ``allocates``, ``stored``) is written here once: every figure of
activation memory, per layer or in total, numeric or symbolic, comes from it (conventions.py states it in words).
"""

from __future__ import annotations

from collections.abc import Callable

from archstat.core.graph import INPUT
from archstat.errors import ArchstatError
from archstat.layers import elems


def allocates(layer) -> bool:
    """Whether a layer's output takes new memory: not for in-place ops (activations, inference dropout) nor for
    views (flatten, crop, identity), whose output shares its input's storage."""
    return not (layer.inplace or layer.view)


def activation(layer, out, batch, nbytes: int | None = None) -> tuple:
    """The activation rule. ``(elements, bytes, new_bytes)`` of a layer's output for the whole batch: elements =
    the output's elements x batch; bytes = elements x ``nbytes`` (the dtype's size), the output's size whether or not
    it is stored anew; new_bytes = bytes for a layer that ``allocates``, else 0. With ``nbytes`` None (symbolic
    sizes, counted in elements) both byte figures are None."""
    n = elems(out) * batch
    if nbytes is None:
        return n, None, None
    b = n * nbytes
    return n, b, (b if allocates(layer) else 0)


def stored(input_shape, batch, outputs) -> list:
    """The terms of the network's activation total: the input's elements x batch, then the elements of each output
    that is stored anew. ``outputs``: ``(layer, elements)`` pairs in order."""
    return [elems(input_shape) * batch] + [n for layer, n in outputs if allocates(layer)]


Step = Callable  # (node, input shapes) -> (output shape, result)
Failure = Callable  # (node, exception, shapes so far) -> the exception to raise, or None: re-raise it as it is


def walk(graph, input_shape, step: Step, failure: Failure) -> list:
    """Run ``step`` on every node in spec order; return its results. Each node's ``step(node, ins)`` gets the
    shapes of its inputs and returns ``(output shape, result)``. An exception is handed to ``failure``, which
    answers the error to raise instead (located at the node) or None; an ``ArchstatError`` it leaves is located at
    the node and raised."""
    shapes: dict = {INPUT: input_shape}
    results: list = []
    append = results.append
    for node in graph.nodes:
        ins = [shapes[i] for i in node.inputs]
        try:
            out, result = step(node, ins)
        except Exception as e:
            err = failure(node, e, shapes)
            if err is None and isinstance(e, ArchstatError):
                err = e.located(file=node.file or graph.file, line=node.line, layer=node.name)
            if err is None or err is e:
                raise
            raise err from None
        shapes[node.name] = out
        append(result)
    return results


def where(graph, node) -> dict:
    """The location of a node, as ``ArchstatError.located`` and the error constructors take it."""
    return {"file": node.file or graph.file, "line": node.line, "layer": node.name}

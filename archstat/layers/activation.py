"""Element-wise activations without parameters. They work in place: no new activation memory.

FLOPs per element, counting each add, multiply, divide, comparison, exp or erf as one:
- relu: 1 (max(x, 0))
- relu6: 2 (min(max(x, 0), 6))
- leaky_relu: 2 (compare, multiply)
- tanh: 5 ((e^2x - 1)/(e^2x + 1): multiply, exp, subtract, add, divide)
- sigmoid: 4 (1/(1 + e^-x): negate, exp, add, divide)
- hardswish: 5 (x * relu6(x + 3)/6: add, max, min, multiply, divide)
- silu: 5 (x * sigmoid(x): sigmoid's 4 and a multiply)
- gelu: 5 (x/2 * (1 + erf(x/sqrt 2)): divide, erf, add, multiply, multiply)
Each is its own layer kind (``relu``, ``tanh``, ...) sharing this class. (``hardsigmoid`` has a file of its own.)
"""

from __future__ import annotations

from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Float

# What autograd saves for each (its derivative's formula, derivatives.yaml): relu, sigmoid and tanh their output;
# the others their input. relu and leaky_relu (slope >= 0) run in place in training where the graph allows
# (``train_storage``): their in-place forms save the result, with no copy; the in-place forms of relu6, hardswish
# and silu save a clone of the input, so they gain nothing and stay out of place.
SAVES_OUTPUT = ("relu", "sigmoid", "tanh")
IN_PLACE = ("relu", "leaky_relu")

# kind -> (FLOPs per element, summary, torch.nn class name, hand-derived examples: elements * FLOPs per element)
ACTIVATIONS = {
    "relu": (1, "max(x, 0)", "ReLU", (
        Example("relu", {}, [(64, 56, 56)], (64, 56, 56), params=0, macs=0, flops=64 * 56 * 56 * 1),
        Example("relu-flat", {}, [(4096,)], (4096,), params=0, macs=0, flops=4096 * 1))),
    "relu6": (2, "min(max(x, 0), 6)", "ReLU6", (
        Example("relu6", {}, [(32, 7, 7)], (32, 7, 7), params=0, macs=0, flops=32 * 7 * 7 * 2),)),
    "leaky_relu": (2, "x if x > 0 else slope*x", "LeakyReLU", (
        Example("leaky_relu", {"slope": 0.2}, [(16, 8, 8)], (16, 8, 8), params=0, macs=0, flops=16 * 8 * 8 * 2),)),
    "tanh": (5, "hyperbolic tangent", "Tanh", (
        Example("tanh", {}, [(100,)], (100,), params=0, macs=0, flops=100 * 5),)),
    "sigmoid": (4, "1/(1 + e^-x)", "Sigmoid", (
        Example("sigmoid", {}, [(8, 3, 3)], (8, 3, 3), params=0, macs=0, flops=8 * 3 * 3 * 4),)),
    "hardswish": (5, "x * relu6(x + 3)/6", "Hardswish", (
        Example("hardswish", {}, [(16, 4, 4)], (16, 4, 4), params=0, macs=0, flops=16 * 4 * 4 * 5),)),
    "silu": (5, "x * sigmoid(x) (swish)", "SiLU", (
        Example("silu", {}, [(24, 5, 5)], (24, 5, 5), params=0, macs=0, flops=24 * 5 * 5 * 5),)),
    "gelu": (5, "x/2 * (1 + erf(x/sqrt 2))", "GELU", (
        Example("gelu", {}, [(768,)], (768,), params=0, macs=0, flops=768 * 5),)),
}


class Activation(Pointwise):
    inplace = True
    torch_name = ""  # the torch.nn class

    def saved(self, ins, out, grad):
        return [Saved.of_output()] if self.kind in SAVES_OUTPUT else [Saved.of_input(0)]

    def train_storage(self):
        if self.kind in IN_PLACE and getattr(self.args, "slope", 0.0) >= 0:
            return "inplace"
        return "new"

    def torch_module(self, ins, out):
        from torch import nn

        cls = getattr(nn, self.torch_name)
        return cls(self.args.slope) if "slope" in self.fields else cls()


def _make(kind: str, per: int, what: str, torch_name: str, examples: tuple) -> type:
    fields = {"slope": Float(0.01)} if kind == "leaky_relu" else {}
    return register(type(f"Activation_{kind}", (Activation,), {
        "kind": kind, "per_element": per, "fields": fields, "summary": f"activation: {what}",
        "flops_rule": f"{per} per element", "aliases": ("swish",) if kind == "silu" else (),
        "torch_name": torch_name, "examples": examples, "__module__": __name__,
        "saved_rule": ("its output" if kind in SAVES_OUTPUT else "its input")
        + ("; in place in training (torch's inplace=True) where the graph allows, so its input's storage"
           if kind in IN_PLACE else ""),
    }))


KINDS = [_make(k, *spec) for k, spec in ACTIVATIONS.items()]

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
Each is its own layer kind (``relu``, ``tanh``, ...) sharing this class.
"""

from __future__ import annotations

from archstat.layers.base import Float, Pointwise

# kind -> (FLOPs per element, summary)
ACTIVATIONS = {
    "relu": (1, "max(x, 0)"),
    "relu6": (2, "min(max(x, 0), 6)"),
    "leaky_relu": (2, "x if x > 0 else slope*x"),
    "tanh": (5, "hyperbolic tangent"),
    "sigmoid": (4, "1/(1 + e^-x)"),
    "hardswish": (5, "x * relu6(x + 3)/6"),
    "silu": (5, "x * sigmoid(x) (swish)"),
    "gelu": (5, "x/2 * (1 + erf(x/sqrt 2))"),
}


TORCH = {"relu": "ReLU", "relu6": "ReLU6", "leaky_relu": "LeakyReLU", "tanh": "Tanh", "sigmoid": "Sigmoid",
         "hardswish": "Hardswish", "silu": "SiLU", "gelu": "GELU"}


class Activation(Pointwise):
    inplace = True

    def torch_module(self, ins, out):
        from torch import nn

        cls = getattr(nn, TORCH[self.kind])
        return cls(self.slope) if self.kind == "leaky_relu" else cls()


def _make(kind: str, per: int, what: str) -> type:
    fields = {"slope": Float(0.01)} if kind == "leaky_relu" else {}
    return type(f"Activation_{kind}", (Activation,), {
        "kind": kind, "per_element": per, "fields": fields, "summary": f"activation: {what}",
        "flops_rule": f"{per} per element", "aliases": ("swish",) if kind == "silu" else (),
        "__module__": __name__,
    })


KINDS = [_make(k, per, what) for k, (per, what) in ACTIVATIONS.items()]

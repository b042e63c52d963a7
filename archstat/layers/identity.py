"""Identity: passes its input through (a named tap, or a no-op shortcut). A view, no arithmetic."""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, register


@register
class Identity(Layer):
    kind = "identity"
    aliases = ("noop",)
    summary = "passes its input through (a view)"
    view = True
    flops_rule = "0"
    examples = (
        Example("identity", {}, [(5, 6, 7)], (5, 6, 7), params=0, macs=0, flops=0),
    )

    def derivation(self, ins, out):
        return {"shape": ["unchanged"], "params": "0", "macs": "0", "flops": "0"}

    saved_rule = "nothing: the input itself; the gradient passes through"

    def saved(self, ins, out, grad):
        return []

    def torch_module(self, ins, out):
        from torch import nn

        return nn.Identity()

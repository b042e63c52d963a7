"""Layer scale (Touvron et al. 2021, CaiT; ConvNeXt): multiplies by a learned vector, one factor per channel of a
map or per feature of tokens or a flat vector.

Param: C factors on a map, shaped ``C x 1 x 1`` exactly as torchvision's CNBlock ``layer_scale``; D (or F) on
tokens or a flat vector, as timm's ``gamma``; with ``vector: true`` a vector of C on a map too (timm's ConvNeXt
``gamma``, applied as ``gamma.reshape(1, -1, 1, 1)``). By default (``param_name`` not given) the tensor is keyed by the
layer's own name on its parent, as torchvision keeps ``layer_scale`` directly on the CNBlock (and timm ``gamma`` on
its ConvNeXt block): name the layer ``layer_scale`` and the state_dict key is ``features.1.0.layer_scale``. With
``param_name: gamma`` it is the module's own parameter (timm's ViT ``ls1.gamma``). ``init`` is the initial value
(torchvision: 1e-6), which counts nothing.
FLOPs: 1 multiply per element.
"""

from __future__ import annotations

import re

from archstat.errors import SpecError
from archstat.layers._contract import Example, Pointwise, register
from archstat.layers._saved import Saved
from archstat.layers._schema import Arg, Bool, Float
from archstat.layers._text import elems_text, features, fmt_shape, spatial

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


class ParamName(Arg):
    """A torch parameter name: a letter, then letters, digits or underscores (at most 64 characters)."""

    def parse(self, name, v):
        if not isinstance(v, str) or not _NAME.fullmatch(v):
            raise SpecError(f"'{name}' must be a parameter name (a letter, then letters, digits or underscores, "
                            f"at most 64), got {v!r}")
        return v

    def describe(self):
        return "name"


@register
class LayerScale(Pointwise):
    kind = "layer_scale"
    aliases = ("layerscale",)
    summary = "learned per-channel (per-feature) factors: C x 1 x 1 on a map (torchvision's CNBlock), D on tokens"
    fields = {"param_name": ParamName(None, doc="the tensor's name; default: keyed by the layer's own name"),
              "init": Float(1e-6, doc="initial value of every factor"),
              "vector": Bool(False, doc="on a map, hold the C factors as a vector of C (timm's ConvNeXt gamma), "
                                        "not C x 1 x 1")}
    per_element = 1
    accepts = ("spatial", "tokens", "flat")
    flops_rule = "1 per element"
    examples = (
        # ConvNeXt-T's stage-1 layer_scale: 96 factors (96 x 1 x 1) on 96x56x56, one multiply per element
        Example("layer_scale-map", {}, [(96, 56, 56)], (96, 56, 56), params=96, macs=0, flops=96 * 56 * 56 * 1,
            tensors={"": 96}),
        # timm's ViT LayerScale ls1.gamma on 197 tokens of 768: 768 factors
        Example("layer_scale-tokens", {"param_name": "gamma", "init": 1e-5}, [(197, 768)], (197, 768),
            params=768, macs=0, flops=197 * 768 * 1, tensors={"gamma": 768}),
        # timm's ConvNeXt-atto stage-1 gamma: 40 factors held as a vector of 40 on a 40x16x16 map
        Example("layer_scale-map-vector", {"vector": True}, [(40, 16, 16)], (40, 16, 16), params=40, macs=0,
            flops=40 * 16 * 16 * 1, tensors={"": 40}),
    )

    def params(self, ins):
        return {self.args.param_name or "": features(ins[0])}

    def derivation(self, ins, out):
        d = features(out)
        shape = f"{d}x1x1" if spatial(out) and not self.args.vector else f"{d}"
        return {"shape": [f"{fmt_shape(out)} (unchanged), times {shape} learned factors"], "params": f"{d}",
                "macs": "0", "flops": f"{elems_text(out)} * 1"}

    saved_rule = "its input when its factors train (x * gamma: gamma's gradient needs x), and its factors"

    def saved(self, ins, out, grad):
        return [Saved.of_input(0)] if grad.params else []

    def torch_module(self, ins, out):
        from torch import nn

        from archstat.layers._torch_positions import LayerScale as TorchLayerScale

        name = self.args.param_name
        if name is not None and hasattr(nn.Module, name):
            raise SpecError(f"layer_scale: 'param_name' {name!r} is an attribute of torch.nn.Module; choose another")
        d = features(ins[0])
        if spatial(ins[0]) and self.args.vector:  # a vector of C, viewed as C x 1 x 1 to multiply the map
            return TorchLayerScale((d,), self.args.init, name, view=(d, 1, 1))
        return TorchLayerScale((d, 1, 1) if spatial(ins[0]) else (d,), self.args.init, name)

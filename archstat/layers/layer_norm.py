"""Layer normalisation over the features of each position: the D features of every token (ViT, Swin), the F
features of a flat vector, or the C channels at every position of a C x H x W map (ConvNeXt's ``LayerNorm2d``,
torchvision's ``Permute -> LayerNorm`` in its CNBlock: a map's shape is logical, see ``_text``).

Params: ``weight`` and ``bias``, one per feature (D, or C), as torch's ``nn.LayerNorm(elementwise_affine, bias)``
names them: none without ``affine``, no ``bias`` with ``bias: false``. No buffers: the statistics are the input's
own, at inference too (unlike batch norm's running statistics, nothing folds them away).
``eps`` is torch's default, 1e-5; torchvision's ConvNeXt and Swin set 1e-6 (``layer_norm: {eps: 1e-6}``).

FLOPs, counting each add, multiply, divide and square root as one (as batch norm's and the activations' rules do):
- per element 5: add it to the sum (mean), subtract the mean, square, add to the sum of squares (variance),
  multiply by the reciprocal standard deviation (normalise);
- per position 5: divide the sum by D, divide the sum of squares by D, add eps, square root, reciprocal;
- per element 1 more for the scale (``weight``) and 1 more for the shift (``bias``) when they exist.
So ``5*N + 5*P (+ N + N)`` for N elements at P positions (P = H*W of a map, L of tokens, 1 of a flat vector).
Receptive field: per position, each output sees its own position (a flat vector's features are all one position).
"""

from __future__ import annotations

from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import STATS, Saved
from archstat.layers._schema import Bool, Float
from archstat.layers._text import elems, elems_text, features, fmt_shape, positions, spatial, tokens


def _positions_text(shape) -> str:
    return f"{shape[1]}*{shape[2]}" if spatial(shape) else (f"{shape[0]}" if tokens(shape) else "1")


@register
class LayerNorm(Layer):
    kind = "layer_norm"
    aliases = ("layernorm", "layernorm2d", "LayerNorm")
    summary = "layer normalisation over the features of each token, of a flat vector, or of each map position (LayerNorm2d)"
    fields = {"eps": Float(1e-5, min=0), "affine": Bool(True, doc="learned weight (and bias): elementwise_affine"),
              "bias": Bool(True, doc="learned shift, when affine")}
    accepts = ("spatial", "tokens", "flat")
    flops_rule = ("5 per element (sum, subtract mean, square, sum of squares, normalise) + 5 per position "
                  "(two divides by D, add eps, square root, reciprocal), plus 1 per element each for the "
                  "affine scale and shift")
    examples = (
        # ConvNeXt-T's stem LayerNorm2d: over the 96 channels at each of the 56*56 positions; weight + bias = 2*96;
        # 5 per element + 5 per position, scale and shift 1 + 1 per element
        Example("layer_norm-map", {"eps": 1e-6}, [(96, 56, 56)], (96, 56, 56), params=96 + 96, macs=0,
            flops=5 * 96 * 56 * 56 + 5 * 56 * 56 + 2 * 96 * 56 * 56, tensors={"weight": 96, "bias": 96}),
        # ViT-B/16's encoder LayerNorm on 197 tokens of 768: weight + bias = 2*768; 197 positions
        Example("layer_norm-tokens", {"eps": 1e-6}, [(197, 768)], (197, 768), params=768 + 768, macs=0,
            flops=5 * 197 * 768 + 5 * 197 + 2 * 197 * 768, tensors={"weight": 768, "bias": 768}),
        # a flat vector is one position; no affine: no parameters, statistics and normalisation only
        Example("layer_norm-flat-no-affine", {"affine": False}, [(512,)], (512,), params=0, macs=0,
            flops=5 * 512 + 5 * 1),
        # affine without the shift (nn.LayerNorm(bias=False)): weight only, 1 per element for the scale
        Example("layer_norm-tokens-no-bias", {"bias": False}, [(49, 96)], (49, 96), params=96, macs=0,
            flops=5 * 49 * 96 + 5 * 49 + 49 * 96, tensors={"weight": 96}),
    )

    def _affine_terms(self) -> int:
        """Per-element FLOPs of the affine part: the scale, and the shift when there is a bias."""
        return (1 + (1 if self.args.bias else 0)) if self.args.affine else 0

    def params(self, ins):
        if not self.args.affine:
            return {}
        d = features(ins[0])
        return {"weight": d, "bias": d} if self.args.bias else {"weight": d}

    def flops(self, ins, out):
        return 5 * elems(out) + 5 * positions(out) + self._affine_terms() * elems(out)

    def derivation(self, ins, out):
        d, p = features(out), _positions_text(out)
        where = (f"over the {d} channels at each of {p} positions" if spatial(out) else
                 f"over the {d} features of each of {out[0]} tokens" if tokens(out) else
                 f"over the {d} features")
        n = self._affine_terms()
        params = "0" if not self.args.affine else (f"{d} + {d}" if self.args.bias else f"{d}")
        return {"shape": [f"{fmt_shape(out)} (unchanged), normalised {where}"], "params": params, "macs": "0",
                "flops": f"5*{elems_text(out)} + 5*{p}" + (f" + {n}*{elems_text(out)}" if n else "")}

    saved_rule = ("its input, and the mean and inverse standard deviation of each position (float32): 2 per token, "
                  "per map position, or per vector")
    autocast = {"cuda": "float32", "cpu": "input"}  # on CUDA autocast's float32 list, not on the CPU's

    def saved(self, ins, out, grad):
        p = positions(out)
        return [Saved.of_input(0), Saved.extra("mean", p, STATS), Saved.extra("inverse std", p, STATS)]

    def torch_module(self, ins, out):
        from torch import nn

        from archstat.layers._torch_positions import LayerNorm as MapLayerNorm

        # torch's own class where it applies as it is (peers such as thop and ptflops look modules up by exact type)
        cls = MapLayerNorm if spatial(ins[0]) else nn.LayerNorm
        return cls(features(ins[0]), eps=self.args.eps, elementwise_affine=self.args.affine, bias=self.args.bias)

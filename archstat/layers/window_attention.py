"""Shifted-window multi-head self-attention on a C x H x W map (Swin Transformer; torchvision's
``ShiftedWindowAttention`` and ``ShiftedWindowAttentionV2``, with their parameter and buffer names).

The map (logical C x H x W; torchvision runs it channels-last, see ``_text``) is zero-padded at the bottom and right
to a multiple of the window, Hp x Wp = ceil(H/wh)*wh x ceil(W/ww)*ww, and cut into nW = (Hp/wh)*(Wp/ww) windows of
L = wh*ww positions. Within each window, h heads of d = C/h features attend over the window's L positions, with a
learned bias for each relative position; the result is projected and the padding cut off: the output is C x H x W.
``shift`` (torchvision's ``shift_size``, w//2 in every second block) first rolls the map up and left by the shift
(torch.roll), so that the windows straddle the previous block's, and rolls it back afterwards; a mask (-100 added
to the scores) keeps apart positions that the roll brought together from opposite edges. Along an axis that one
window covers (H <= wh), torchvision does not shift (``window_size >= pad_H``: shift 0), and neither does this kind.
The zero padding is not masked: its keys carry the qkv bias, and real positions attend to them, as in torchvision.

Versions:
- ``v1`` (Swin): scores (q / sqrt(d)) kᵀ plus ``relative_position_bias_table[relative_position_index]``;
- ``v2`` (Swin V2): cosine attention, normalise(q) normalise(k)ᵀ times exp(min(``logit_scale``, log 100)), plus
  16 sigmoid of a bias that a small network computes from the log-spaced relative coordinates:
  ``cpb_mlp`` = Linear(2, 512) -> ReLU -> Linear(512, h, bias=False) on ``relative_coords_table`` (512 is
  ``cpb_hidden``, torchvision's fixed width). The key's third
  of ``qkv.bias`` is held at zero (torchvision zeroes it in every forward; the parameter still counts 3C).

Parameters (torch names): ``qkv.weight`` 3C x C, ``qkv.bias`` 3C (``qkv_bias``), ``proj.weight`` C x C, ``proj.bias``
C (``proj_bias``); v1 ``relative_position_bias_table`` (2wh-1)(2ww-1) x h; v2 ``logit_scale`` h x 1 x 1,
``cpb_mlp.0.weight`` 512 x 2, ``cpb_mlp.0.bias`` 512, ``cpb_mlp.2.weight`` h x 512.
Buffers, both persistent in torchvision (in its state_dict, counted as torch's persistent buffers): v1 and v2
``relative_position_index``, L*L integers; v2 ``relative_coords_table``, 1 x (2wh-1) x (2ww-1) x 2.

MACs, with N = Hp*Wp padded positions (torchvision computes the projections and the products on the padded map):
the qkv projection N*C*3C, the scores Q Kᵀ nW*h*L*L*d = N*L*C, the weighted sum A V N*L*C, the output projection
N*C*C: 4*N*C*C + 2*N*L*C; v2 adds the position-bias network on its T = (2wh-1)(2ww-1) coordinates, T*(2*512 +
512*h). Products of two activations count as MACs, as for ``self_attention`` (README, "Counting conventions"):
this is what torchvision's ``_ops`` counts (swin_t 4.491G, swin_v2_t 5.94G: 4,490,566,656 and 5,939,690,496 exactly,
FlopCounterMode's 2-per-MAC total halved), and FlopCounterMode and fvcore see the same products in the module.
The position-bias network, the bias gather and the mask are computed once per forward whatever the batch; like
every count here they are given per image (at batch B the engine counts them B times).

FLOPs: 2 x MACs, plus, on the padded map,
- the projections' bias adds, N*3C (``qkv_bias``) and N*C (``proj_bias``);
- v1: the scaling of q by 1/sqrt(d), N*C; v2: normalising q and k (per element square, sum, divide: 3; per vector
  of d square root and clamp: 2) 2*(3*N*C + 2*h*N), the logit scale's clamp and exp (2*h) and its multiply of
  every score, h*N*L;
- per score (h*N*L of them): the relative position bias add (1) and the softmax (5, as ``softmax``);
- with a shift in effect: the mask, built in every forward (per pair of positions in a window one subtract and two
  compares, 3*N*L) and added to every score (h*N*L);
- v2: the bias network's bias adds and ReLU (2*T*512) and the 16 sigmoid of the gathered h*L*L biases (5 each:
  sigmoid 4, as ``sigmoid``, and the multiply).
Dropouts (``attention_dropout``, ``dropout``) are the identity at inference and cost nothing; in training they drop
the softmax weights and the projected output, as torchvision's functional does.

Training memory (``saved``, ``saved_rule``): what torch's autograd saves in torchvision's functional, op by op, on
the padded map; the torch module copies what torchvision copies (``F.pad`` even when nothing is padded, the unpadded
output made contiguous), so that its saved tensors are torchvision's to the byte (tests/test_memory_torch.py
measures both). Its output is a new map of the logical C x H x W, never the padded one.

Receptive field: an output depends on the L positions of its window and no others (the mask shuts out, up to a
weight of e^-100, what the roll wrapped around). So one layer on a translation-invariant input adds exactly what a
wh x ww window adds, stride*(w - 1) per axis: the kind's window is wh x ww, stride 1, centred on the output
(padding (w - 1)/2, a half for an even window; an output's place in its window varies, and centring keeps the
residual path aligned). Where one window covers the whole padded map on both axes (swin_t's last stage: 7 x 7,
window 7) every output sees every position: the field is the whole input (``all``), as after a global pool; on one
axis only, the window on that axis is the centred 2n - 1 that holds all n positions from any of them.
What no (size, stride, padding) can say: windows tile the map instead of sliding, so the layer is translation-
invariant only by whole windows. Stacked on one another with their grids offset (the shifted block after the plain
one, the next stage's windows after a patch merge), each window joins whole windows of the layer below, and the
largest field grows by w positions a layer, one more than the w - 1 a window adds: the field reported is the
exact one for the first window layer and below the largest true field by one position of the map per window
layer after it (swin_t's stage 1: 28 then 52 pixels reported, 28 then 56 the largest; an interval computation
through the whole network). Other outputs see less than the largest (the smallest there: 28 after both).
"""

from __future__ import annotations

from fractions import Fraction

from archstat.errors import ShapeError, SpecError
from archstat.layers._contract import Example, Layer, register
from archstat.layers._saved import ACT, Saved
from archstat.layers._schema import Bool, Choice, Float, Int, Pair
from archstat.layers._text import fmt_shape
from archstat.layers._windows import GLOBAL, Window

SOFTMAX = 5  # FLOPs per element, as the softmax kind counts them
SIGMOID = 4  # ... and the sigmoid kind


def _cdiv(a, b):
    """ceil(a/b) for a, b >= 1, by floor division only (a symbolic size keeps a closed form: floor((a + b - 1)/b))."""
    return (a + b - 1) // b


def _several(n):
    """1 when n >= 2 windows lie along an axis, else 0 (n >= 1): floor(2 - 2/n), by floor division only, so that a
    symbolic size gives a closed form valid at every size instead of a condition decided at the sample."""
    return (2 * n - 2) // n


@register
class WindowAttention(Layer):
    kind = "window_attention"
    aliases = ("shifted_window_attention", "swin_attention")
    summary = ("Swin's (shifted) window multi-head self-attention on a C x H x W map, v1 or v2 (cosine, "
               "continuous position bias): MACs 4*N*C*C + 2*N*L*C on the N padded positions, L per window")
    fields = {
        "heads": Int(doc="number of heads (divides C)"),
        "window": Pair(doc="window size: int or [h, w] (torchvision's window_size)"),
        "shift": Pair(0, min=0, doc="cyclic shift before windowing, less than the window (shift_size)"),
        "version": Choice(("v1", "v2"), "v1", doc="v1: scaled dot product + bias table; v2: cosine + cpb_mlp"),
        "qkv_bias": Bool(True),
        "proj_bias": Bool(True),
        "cpb_hidden": Int(512, doc="v2: hidden width of the continuous position bias network"),
        "attention_dropout": Float(0.0, min=0, max=1, doc="training only: no cost at inference"),
        "dropout": Float(0.0, min=0, max=1, doc="training only: no cost at inference"),
    }
    weight_layer = True
    accepts = ("spatial",)
    flops_rule = ("2 x MACs + bias adds (4C per position) + per score (h*N*L): position bias 1, softmax 5, and "
                  "with a shift the mask (add 1, built 3 per window pair); v1 q scaling (1 per element); v2 "
                  "normalise q, k (3 per element, 2 per vector), logit scale (1 per score), bias network")
    examples = (
        # swin_t features.1.0.attn: 96 x 56 x 56, 3 heads, window 7, not shifted. 56 is 8 windows of 7: no padding,
        # N = 56*56, L = 7*7 = 49, 64 windows.
        # params: qkv 3*96*96 + 3*96, proj 96*96 + 96, bias table (2*7-1)*(2*7-1)*3; buffer: index 49*49
        # MACs: 4*N*C*C + 2*N*L*C; FLOPs: 2*MACs + 4*C bias adds per position + q scaling N*C + (1 + 5) per score
        Example("window_attention-swin_t-stage1", {"heads": 3, "window": 7}, [(96, 56, 56)], (96, 56, 56),
                params=3 * 96 * 96 + 3 * 96 + 96 * 96 + 96 + 13 * 13 * 3,
                macs=4 * 56 * 56 * 96 * 96 + 2 * 56 * 56 * 49 * 96,
                flops=2 * (4 * 56 * 56 * 96 * 96 + 2 * 56 * 56 * 49 * 96) + 56 * 56 * 4 * 96 + 56 * 56 * 96
                + 3 * 56 * 56 * 49 * (1 + 5),
                buffers=49 * 49,
                tensors={"qkv.weight": 3 * 96 * 96, "qkv.bias": 3 * 96, "proj.weight": 96 * 96, "proj.bias": 96,
                         "relative_position_bias_table": 13 * 13 * 3}),
        # features.1.1.attn, shifted by 3: the same MACs; FLOPs add the mask: built 3 per window pair (N*L) and
        # added to the 3*N*L scores
        Example("window_attention-swin_t-stage1-shifted", {"heads": 3, "window": 7, "shift": 3}, [(96, 56, 56)],
                (96, 56, 56),
                params=3 * 96 * 96 + 3 * 96 + 96 * 96 + 96 + 13 * 13 * 3,
                macs=4 * 56 * 56 * 96 * 96 + 2 * 56 * 56 * 49 * 96,
                flops=2 * (4 * 56 * 56 * 96 * 96 + 2 * 56 * 56 * 49 * 96) + 56 * 56 * 4 * 96 + 56 * 56 * 96
                + 3 * 56 * 56 * 49 * (1 + 5) + 3 * 56 * 56 * 49 + 3 * 56 * 56 * 49,
                buffers=49 * 49),
        # swin_t at 3x232x232: stage 1 is 58 x 58, padded to 63 x 63 (9 windows of 7 a side): N = 63*63 counts
        Example("window_attention-padded", {"heads": 3, "window": 7}, [(96, 58, 58)], (96, 58, 58),
                params=3 * 96 * 96 + 3 * 96 + 96 * 96 + 96 + 13 * 13 * 3,
                macs=4 * 63 * 63 * 96 * 96 + 2 * 63 * 63 * 49 * 96,
                flops=2 * (4 * 63 * 63 * 96 * 96 + 2 * 63 * 63 * 49 * 96) + 63 * 63 * 4 * 96 + 63 * 63 * 96
                + 3 * 63 * 63 * 49 * (1 + 5),
                buffers=49 * 49),
        # swin_t features.7.1.attn: 768 x 7 x 7, one window of 7 covers the map, so torchvision drops the shift
        # (no mask); 24 heads
        Example("window_attention-one-window", {"heads": 24, "window": 7, "shift": 3}, [(768, 7, 7)], (768, 7, 7),
                params=3 * 768 * 768 + 3 * 768 + 768 * 768 + 768 + 13 * 13 * 24,
                macs=4 * 49 * 768 * 768 + 2 * 49 * 49 * 768,
                flops=2 * (4 * 49 * 768 * 768 + 2 * 49 * 49 * 768) + 49 * 4 * 768 + 49 * 768
                + 24 * 49 * 49 * (1 + 5),
                buffers=49 * 49),
        # swin_v2_t features.1.1.attn at 256: 96 x 64 x 64, 3 heads, window 8, shift 4. N = 64*64, L = 64,
        # T = 15*15 coordinates. params: qkv, proj, logit_scale 3, cpb_mlp 2*512 + 512 + 512*3;
        # buffers: relative_coords_table 15*15*2, relative_position_index 64*64.
        # MACs: 4*N*C*C + 2*N*L*C + T*(2*512 + 512*3).
        # FLOPs: 2*MACs + bias adds 4*C per position + normalise q and k 2*(3*N*C + 2*3*N) + logit scale 2*3
        # + 3*N*L scores each (multiply 1, bias 1, softmax 5) + mask 3*N*L + 3*N*L + cpb bias and ReLU 2*T*512
        # + 16 sigmoid of the 3*64*64 gathered biases (4 + 1)
        Example("window_attention-swin_v2_t-stage1-shifted",
                {"heads": 3, "window": 8, "shift": 4, "version": "v2"}, [(96, 64, 64)], (96, 64, 64),
                params=3 * 96 * 96 + 3 * 96 + 96 * 96 + 96 + 3 + 2 * 512 + 512 + 512 * 3,
                macs=4 * 64 * 64 * 96 * 96 + 2 * 64 * 64 * 64 * 96 + 15 * 15 * (2 * 512 + 512 * 3),
                flops=2 * (4 * 64 * 64 * 96 * 96 + 2 * 64 * 64 * 64 * 96 + 15 * 15 * (2 * 512 + 512 * 3))
                + 64 * 64 * 4 * 96 + 2 * (3 * 64 * 64 * 96 + 2 * 3 * 64 * 64) + 2 * 3
                + 3 * 64 * 64 * 64 * (1 + 1 + 5) + 3 * 64 * 64 * 64 + 3 * 64 * 64 * 64
                + 2 * 15 * 15 * 512 + 3 * 64 * 64 * (4 + 1),
                buffers=15 * 15 * 2 + 64 * 64,
                tensors={"qkv.weight": 3 * 96 * 96, "qkv.bias": 3 * 96, "proj.weight": 96 * 96, "proj.bias": 96,
                         "logit_scale": 3, "cpb_mlp.0.weight": 2 * 512, "cpb_mlp.0.bias": 512,
                         "cpb_mlp.2.weight": 512 * 3}),
        # a rectangular 2 x 3 window without biases, 2 heads on 4 channels over a 5 x 7 map: padded to 6 x 9
        # (3 x 3 windows), N = 54, L = 6; table (2*2-1)*(2*3-1)*2; shift [1, 1] on both axes (several windows)
        Example("window_attention-rect-nobias",
                {"heads": 2, "window": [2, 3], "shift": [1, 1], "qkv_bias": False, "proj_bias": False},
                [(4, 5, 7)], (4, 5, 7),
                params=3 * 4 * 4 + 4 * 4 + 3 * 5 * 2,
                macs=4 * 54 * 4 * 4 + 2 * 54 * 6 * 4,
                flops=2 * (4 * 54 * 4 * 4 + 2 * 54 * 6 * 4) + 54 * 4 + 2 * 54 * 6 * (1 + 5) + 3 * 54 * 6
                + 2 * 54 * 6,
                buffers=6 * 6),
    )

    # ---- arguments ------------------------------------------------------------------------------------------------
    def check(self):
        a = self.args
        for axis, w, s in (("height", a.window[0], a.shift[0]), ("width", a.window[1], a.shift[1])):
            if s >= w:
                raise SpecError(f"window_attention: shift {s} must be less than the window {w} in {axis} "
                                f"(torchvision shifts by window // 2)")
            if a.version == "v2" and w < 2:
                raise SpecError(f"window_attention: v2 needs a window of at least 2 in {axis}: its position-bias "
                                f"coordinates are divided by window - 1 = 0")

    # ---- geometry -------------------------------------------------------------------------------------------------
    def _geometry(self, shape):
        """(C, windows along H, along W, padded positions N, positions per window L)."""
        c, h, w = shape
        wh, ww = self.args.window
        nh, nw = _cdiv(h, wh), _cdiv(w, ww)
        return c, nh, nw, nh * wh * nw * ww, wh * ww

    def _masked(self, nh, nw):
        """1 when a shift is in effect on some axis (torchvision drops it where one window covers the axis)."""
        sh, sw = self.args.shift
        a = _several(nh) if sh else 0
        b = _several(nw) if sw else 0
        return a + b - a * b

    def _table(self) -> int:
        wh, ww = self.args.window
        return (2 * wh - 1) * (2 * ww - 1)

    def output_shape(self, ins):
        c = self.need_spatial(ins[0])[0]
        if isinstance(c, int) and c % self.args.heads:
            raise ShapeError(f"window_attention: {self.args.heads} heads do not divide the {c} channels")
        return ins[0]

    # ---- counts ---------------------------------------------------------------------------------------------------
    def params(self, ins):
        c, a = ins[0][0], self.args
        p = {"qkv.weight": 3 * c * c}
        if a.qkv_bias:
            p["qkv.bias"] = 3 * c
        p["proj.weight"] = c * c
        if a.proj_bias:
            p["proj.bias"] = c
        if a.version == "v1":
            p["relative_position_bias_table"] = self._table() * a.heads
        else:
            p["logit_scale"] = a.heads
            p["cpb_mlp.0.weight"] = 2 * a.cpb_hidden
            p["cpb_mlp.0.bias"] = a.cpb_hidden
            p["cpb_mlp.2.weight"] = a.cpb_hidden * a.heads
        return p

    def buffers(self, ins):
        wh, ww = self.args.window
        b = {"relative_coords_table": self._table() * 2} if self.args.version == "v2" else {}
        b["relative_position_index"] = (wh * ww) ** 2
        return b

    def _cpb_macs(self) -> int:
        a = self.args
        return self._table() * (2 * a.cpb_hidden + a.cpb_hidden * a.heads) if a.version == "v2" else 0

    def macs(self, ins, out):
        c, _, _, n, ln = self._geometry(ins[0])
        return 4 * n * c * c + 2 * n * ln * c + self._cpb_macs()

    def flops(self, ins, out):
        a = self.args
        c, nh, nw, n, ln = self._geometry(ins[0])
        h, t = a.heads, self._table()
        scores = h * n * ln
        f = 2 * self.macs(ins, out)
        f += n * 3 * c * a.qkv_bias + n * c * a.proj_bias
        f += scores * (1 + SOFTMAX)  # the position bias add and the softmax
        f += self._masked(nh, nw) * (3 * n * ln + scores)  # the mask, built and added
        if a.version == "v1":
            f += n * c  # q / sqrt(d)
        else:
            f += 2 * (3 * n * c + 2 * h * n) + 2 * h + scores  # normalise q and k; clamp, exp, multiply
            f += 2 * t * a.cpb_hidden + h * ln * ln * (SIGMOID + 1)  # bias network's adds and ReLU; 16 sigmoid
        return f

    # ---- receptive field ------------------------------------------------------------------------------------------
    def window(self, ins, out):
        _, h, w = ins[0]
        wh, ww = self.args.window
        covers = (h <= wh, w <= ww)  # one window along the axis (torchvision pads up to it)
        if all(covers):
            return GLOBAL
        ext = tuple(2 * n - 1 if cov else k for n, k, cov in ((h, wh, covers[0]), (w, ww, covers[1])))
        return Window((1, 1), tuple((e - 1) // 2 if e % 2 else Fraction(e - 1, 2) for e in ext), ext)

    # ---- explain --------------------------------------------------------------------------------------------------
    def derivation(self, ins, out):
        a = self.args
        c, h, w = ins[0]
        wh, ww = a.window
        _, nh, nw, n, ln = self._geometry(ins[0])
        hp, wp = nh * wh, nw * ww
        heads, t, hid = a.heads, self._table(), a.cpb_hidden
        npos = f"{hp}*{wp}"
        shape = [f"{fmt_shape(out)} (unchanged): {heads} heads of {c}/{heads} = {c // heads} features, in "
                 f"{nh}*{nw} = {nh * nw} windows of {wh}*{ww} = {ln} positions"]
        if (hp, wp) != (h, w):
            shape.append(f"padded to {hp}x{wp} (a multiple of the window) with zeros at the bottom and right; the "
                         f"projections and products run on all {hp}*{wp} = {n} positions, as torchvision's do")
        sh, sw = a.shift
        eff = (sh if nh > 1 else 0, sw if nw > 1 else 0)
        if any(a.shift):
            if eff == (sh, sw):
                shape.append(f"shifted windows: rolled by {sh}x{sw} first and back after; a mask keeps apart the "
                             f"positions the roll brought together")
            elif any(eff):
                shape.append(f"shifted windows: rolled by {eff[0]}x{eff[1]} (no shift along an axis one window "
                             f"covers, as torchvision); a mask keeps apart the positions the roll brought together")
            else:
                shape.append(f"shift {sh}x{sw} not applied: one window covers the map (torchvision drops it)")
        if a.version == "v2":
            shape.append(f"v2: cosine attention with a learned logit scale; position bias 16*sigmoid of cpb_mlp "
                         f"(2 -> {hid} -> {heads}) on {2 * wh - 1}*{2 * ww - 1} = {t} relative coordinates")
        terms = [f"3*{c}*{c}"] + ([f"3*{c}"] if a.qkv_bias else []) + [f"{c}*{c}"] + ([f"{c}"] if a.proj_bias else [])
        if a.version == "v1":
            terms.append(f"{t}*{heads}")
        else:
            terms += [f"{heads}", f"2*{hid}", f"{hid}", f"{hid}*{heads}"]
        macs = f"4*{npos}*{c}*{c} + 2*{npos}*{ln}*{c}" + (f" + {t}*(2*{hid} + {hid}*{heads})"
                                                          if a.version == "v2" else "")
        scores = f"{heads}*{npos}*{ln}"
        flops = [f"2*({macs})"]
        if a.qkv_bias:
            flops.append(f"{npos}*3*{c}")
        if a.proj_bias:
            flops.append(f"{npos}*{c}")
        flops.append(f"{scores}*(1 + {SOFTMAX})")
        if any(eff):
            flops.append(f"3*{npos}*{ln} + {scores}")
        if a.version == "v1":
            flops.append(f"{npos}*{c}")
        else:
            flops += [f"2*(3*{npos}*{c} + 2*{heads}*{npos})", f"2*{heads}", scores,
                      f"2*{t}*{hid}", f"{heads}*{ln}*{ln}*({SIGMOID} + 1)"]
        return {"shape": shape, "params": " + ".join(terms), "macs": macs, "flops": " + ".join(flops)}

    # ---- training (``archstat memory``) -----------------------------------------------------------------------------
    saved_rule = ("per padded position (N of them; C channels, h heads, L per window): the input's padded, windowed "
                  "copy (N*C, when qkv trains; torchvision's F.pad copies even when nothing is padded); v1: q scaled "
                  "and k's copy (N*C each); v2: the qkv output (3N*C: normalize reads q and k in it), q's and k's "
                  "norms and their clamped copies (4*h*N; float32 under CUDA AMP), normalised q and k (N*C each), the"
                  " scores before the logit scale (h*N*L, when it trains) and the scale (h); the softmax weights "
                  "(h*N*L; float32 under AMP, where the float32 bias promotes the scores) and under AMP their half "
                  "copy; v's copy (N*C; with one head, or one window at batch 1, v and v1's k are views of the qkv "
                  "output, saved instead); the heads' output (N*C, when proj trains). Dropout with p > 0 adds a mask "
                  "(bool on CUDA, float noise on the CPU) on the weights (h*N*L, and the dropped weights) and on the "
                  "output (N*C). Once a batch (v2, when it trains): the bias network's ReLU output (T*512), its "
                  "sigmoid's output (h*L*L) and under AMP the coordinates' half copy (T*2)")
    autocast = "half"  # its projections and products are on autocast's lower-precision list (CUDA and CPU)

    def saved(self, ins, out, grad):
        a = self.args
        c, nh, nw, n, ln = self._geometry(ins[0])
        h, t = a.heads, self._table()
        amp = grad.amp is not None
        # one head, or one window in a batch of one: matmul folds the heads into the batch without copying k and v,
        # views of the qkv output
        views = h == 1 or (grad.batch == 1 and nh * nw == 1)
        wide = "float32" if amp else ACT  # the scores and weights: promoted by the float32 position bias under AMP
        s = [Saved.extra("windowed input", n * c)] if grad.params else []
        if grad.any_grad:
            s.append(Saved.of_param("qkv.weight"))
        if a.version == "v1":
            s.append(Saved.extra("q scaled", n * c))
            if not views:
                s.append(Saved.extra("k copy", n * c))
        else:
            norms = "float32" if amp and grad.device == "cuda" else ACT  # vector norms: CUDA autocast's float32
            s += [Saved.extra("qkv", 3 * n * c)]
            s += [Saved.extra(f"{x} {what}", h * n, norms) for x in ("q", "k") for what in ("norm", "norm clamped")]
            s += [Saved.extra("q normalised", n * c), Saved.extra("k normalised", n * c)]
            if grad.params:
                s.append(Saved.extra("scores", h * n * ln))
            s.append(Saved.extra("logit scale", h, "float32" if amp else ACT, batched=False))
            if grad.params:
                if amp:  # autocast's half copy of the coordinates, read by cpb_mlp.0
                    s.append(Saved.extra("coordinates, half copy", t * 2, batched=False))
                s += [Saved.extra("cpb_mlp ReLU output", t * a.cpb_hidden, batched=False),
                      Saved.of_param("cpb_mlp.2.weight"),
                      Saved.extra("sigmoid output", h * ln * ln, batched=False)]
        if a.version == "v1" and views:
            s.append(Saved.extra("qkv", 3 * n * c))  # k and v are views of it
        s.append(Saved.extra("attention weights", h * n * ln, wide))
        s += self._dropped(a.attention_dropout, h * n * ln, wide, grad, "attention dropout")
        if a.attention_dropout > 0 and not amp:
            s.append(Saved.extra("dropped weights", h * n * ln))
        if amp:
            s.append(Saved.extra("attention weights, half copy", h * n * ln))
        if not views:
            s.append(Saved.extra("v copy", n * c))
        if grad.params:
            s.append(Saved.extra("heads' output", n * c))
        s.append(Saved.of_param("proj.weight"))
        return s + self._dropped(a.dropout, n * c, ACT, grad, "dropout")

    @staticmethod
    def _dropped(p, elements, dtype, grad, what):
        """What torch's F.dropout saves in training (as the dropout kind): nothing at p = 0, a 0-dim zero at p = 1,
        else a bool mask on CUDA (its fused kernel) and the float noise on the CPU."""
        if p == 0:
            return []
        if p == 1:
            return [Saved.extra(f"{what} zero", 1, dtype, batched=False)]
        if grad.device == "cuda":
            return [Saved.extra(f"{what} mask", elements, "bool")]
        return [Saved.extra(f"{what} noise", elements, dtype)]

    def torch_module(self, ins, out):
        from archstat.layers._torch_windows import WindowAttention as Module

        a = self.args
        return Module(ins[0][0], a.heads, a.window, a.shift, a.version, a.qkv_bias, a.proj_bias, a.cpb_hidden,
                      a.attention_dropout, a.dropout)

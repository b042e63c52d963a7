"""An op archstat has no rules for, described by the user: its output shape and whatever counts are known.

``custom: {op: roi_align, shape: [256, 7, 7], params: 0}``. A count that is not given is *unknown*, never zero:
the layer shows ``?`` and the totals are marked partial, naming it (fvcore's "unsupported ops" honesty). Its
receptive field is unknown too, until a global layer makes the field the whole input again.

Honest at every input size:

- ``shape`` and the counts (``params``, ``macs``, ``flops``, each ``buffers`` size) may be written in terms of the
  layer's (first) input: ``in_c``, ``in_h``, ``in_w`` for a C x H x W map, ``in_f`` for a flat vector, ``in_l``,
  ``in_d`` for L x D tokens. ``shape: [$in_c, $(in_h // 2), $(in_w // 2)]`` holds at every input, symbolic sizes
  included (the expression is kept, with the block arguments it names, and evaluated on each input).
- A literal ``shape`` holds for one input of the layer: the one ``at: [C, H, W]`` names, or else the one it
  receives when the spec runs at its own ``input:`` (the compiler binds it, ``bind_input``). Wherever the layer
  receives another input (``--input``, a sweep, symbolic sizes) that is an error naming the layer, never the old
  figure silently kept. ``at: any`` says the literal shape holds for every input (a fixed-size output).
  Literal counts are taken as they are wherever the shape holds.
- ``buffers: {running_mean: 256, running_var: 256}``: non-trainable state by name and size, counted as batch
  norm's running statistics are (the totals' buffers).

It has no PyTorch module: ``to_torch`` and ``bench`` refuse it, naming the layer; ``archstat check`` puts in a
stand-in of its declared shape, parameters and buffers, checks every other layer and marks this one not checked.
"""

from __future__ import annotations

from archstat.errors import ShapeError, SpecError
from archstat.language.expr import Deferred, Evaluator
from archstat.layers._contract import Example, Layer, register
from archstat.layers._schema import Arg, Int, as_int
from archstat.layers._text import fmt_shape

# names a shape or count may use for the layer's input, by the input's rank
INPUT_NAMES = {3: ("in_c", "in_h", "in_w"), 1: ("in_f",), 2: ("in_l", "in_d")}
_LATE = tuple(n for names in INPUT_NAMES.values() for n in names)
_UNREACHED = "unreached"  # bound at a spec input where the network never reaches the layer
INPUT_BOUND = "input_bound"  # the error code of a literal shape applied to another input (sweep reports it)


def _later(name, v):
    """A ``$`` expression naming the input, as the expander keeps it, or as text given in Python: a Deferred; None
    for anything else."""
    if isinstance(v, Deferred):
        return v
    if isinstance(v, str):
        try:
            return Evaluator({}).defer(v, _LATE)
        except SpecError as e:
            raise SpecError(f"'{name}': {e.message}") from None
    return None


class _ShapeField(Arg):
    input_names = _LATE

    def parse(self, name, v):
        items = v if isinstance(v, list) else []
        vals = [_later(name, x) or as_int(x) for x in items]
        if len(vals) not in (1, 3) or any(x is None or (isinstance(x, int) and x < 1) for x in vals):
            raise SpecError(f"'{name}' must be [C, H, W] or [features] of positive integers or expressions of the "
                            f"input (in_c, in_h, in_w, in_f), got {v!r}")
        return tuple(vals)

    def describe(self):
        return "[C, H, W] | [features] (ints, or $expressions of in_c, in_h, in_w, in_f)"


class _Count(Arg):
    input_names = _LATE

    def parse(self, name, v):
        return _later(name, v) or Int(min=0).parse(name, v)

    def describe(self):
        return "int >= 0 | $expression"


class _Text(Arg):
    def parse(self, name, v):
        if not isinstance(v, str) or not v:
            raise SpecError(f"'{name}' must be a name, got {v!r}")
        return v

    def describe(self):
        return "text"


class _Buffers(Arg):
    """``{name: size, ...}``: parsed to ``((name, size), ...)`` (a hashable record)."""

    input_names = _LATE
    mapping = True

    def parse(self, name, v):
        if not isinstance(v, dict) or not v:
            raise SpecError(f"'{name}' must be a mapping of buffer names to sizes, e.g. {{running_mean: 64}}, "
                            f"got {v!r}")
        out = []
        for k, n in v.items():
            if not isinstance(k, str) or not k.isidentifier():
                raise SpecError(f"'{name}': a buffer name must be an identifier, got {k!r}")
            out.append((k, _later(f"{name}.{k}", n) or Int(min=0).parse(f"{name}.{k}", n)))
        return tuple(out)

    def describe(self):
        return "{name: int | $expression, ...}"


class _At(Arg):
    """The input of the layer its literal shape was written for: a shape, or ``any``."""

    def parse(self, name, v):
        if v == "any":
            return "any"
        vals = [as_int(x) for x in v] if isinstance(v, list) else []
        if len(vals) not in (1, 2, 3) or any(x is None or x < 1 for x in vals):
            raise SpecError(f"'{name}' must be the input shape the literal shape was written for ([C, H, W]) or "
                            f"'any', got {v!r}")
        return tuple(vals)

    def describe(self):
        return "[C, H, W] | any"


@register
class Custom(Layer):
    kind = "custom"
    aliases = ("opaque",)
    summary = ("an op without built-in rules: give its output `shape` (literal, or in terms of its input: `in_c`, "
               "`in_h`, `in_w`); `params`, `macs`, `flops`, `buffers` if known")
    fields = {"op": _Text("custom"), "shape": _ShapeField(), "params": _Count(0), "macs": _Count(None),
              "flops": _Count(None), "buffers": _Buffers(None), "at": _At(None)}
    min_inputs, max_inputs = 1, None
    flops_rule = "as given; unknown when not given (reported, never zero)"
    examples = (
        # nothing known: params 0 (default), MACs and FLOPs unknown (None: reported unknown, never 0)
        Example("custom-unknown", {"op": "roi_align", "shape": [256, 7, 7]}, [(256, 50, 50)], (256, 7, 7),
            params=0, macs=None, flops=None),
        # MACs known, FLOPs still unknown
        Example("custom-macs-only", {"shape": [10], "macs": 1000}, [(5, 5, 5)], (10,), params=0, macs=1000,
            flops=None),
        # everything given, including an explicit 0 MACs (known zero, not unknown)
        Example("custom-all-given", {"op": "nms", "shape": [4, 2, 2], "params": 100, "macs": 0, "flops": 12},
            [(4, 8, 8), (4, 2, 2)], (4, 2, 2), params=100, macs=0, flops=12),
        # in terms of its input: a 2x2 space-to-depth, C x H x W -> 4C x H/2 x W/2 = 4*8 x 6/2 x 10/2; a copy:
        # 0 MACs, FLOPs given per element 8*6*10 = 480; two buffers of C = 8 each (16)
        Example("custom-of-input", {"op": "space_to_depth", "shape": ["$(4 * in_c)", "$(in_h // 2)", "$(in_w // 2)"],
                                    "macs": 0, "flops": "$(in_c * in_h * in_w)",
                                    "buffers": {"running_mean": "$in_c", "running_var": "$in_c"}},
            [(8, 6, 10)], (32, 3, 5), params=0, macs=0, flops=8 * 6 * 10, buffers=8 + 8),
        # flat input: a learned 10-way head whose weights scale with its input, in_f*10 + 10 = 64*10 + 10 = 650
        Example("custom-flat", {"shape": [10], "params": "$(in_f * 10 + 10)", "macs": "$(in_f * 10)", "at": "any"},
            [(64,)], (10,), params=650, macs=640, flops=None),
    )

    bound: tuple | None = None  # (its input, the spec's input) when bound by the compiler (``bind_input``)

    # ---- the input's names ------------------------------------------------------------------------------------------
    @staticmethod
    def _names(shape) -> dict:
        return dict(zip(INPUT_NAMES.get(len(shape), ()), shape))

    def _value(self, what: str, v, names: dict, least: int):
        if not isinstance(v, Deferred):
            return v
        x = v.value(names)
        if isinstance(x, (bool, str, list)):
            raise ShapeError(f"custom: {what} {v} is {x!r}, not a number")
        if isinstance(x, float):
            if not x.is_integer():
                raise ShapeError(f"custom: {what} {v} is {x:g}, not a whole number (use //)")
            x = int(x)
        if isinstance(x, int) and x < least:
            raise ShapeError(f"custom: {what} {v} is {x} at input {fmt_shape(tuple(names.values()))}, below {least}")
        return x  # an int, or a symbolic size

    @property
    def literal(self) -> bool:
        """Whether its shape is written as numbers (then it holds for one input), not in terms of its input."""
        return not any(isinstance(d, Deferred) for d in self.args.shape)

    # ---- one input or every input -----------------------------------------------------------------------------------
    def bind_input(self, ins, spec_input):
        """This layer bound to ``ins[0]``, the input it receives at the spec's own input ``spec_input`` (``ins``
        None: the network never reaches it there); None when its shape holds for any input (written in terms of
        the input, or ``at`` given)."""
        if not self.literal or self.args.at is not None:
            return None
        bound = Custom(self.args)
        bound.bound = (tuple(ins[0]) if ins else _UNREACHED, spec_input)
        bound.signature = None if self.signature is None else (self.signature, bound.bound)
        return bound

    def _check_input(self, x) -> None:
        """A literal shape applied to an input it was not written for is an error, never the old figure kept."""
        if not self.literal:
            return
        at = self.args.at if self.args.at is not None else (self.bound[0] if self.bound else None)
        if at is None or at == "any":
            return  # built in Python, never bound: nothing to hold it to
        shape = "x".join(map(str, self.args.shape))
        how = ("write it in terms of the input (in_c, in_h, in_w; README, \"custom\"), or add `at: any` if it holds "
               "for every input")
        if at == _UNREACHED:
            raise ShapeError(f"custom: its shape {shape} is written for the input it receives at the spec's own input "
                             f"{fmt_shape(self.bound[1]) if self.bound and self.bound[1] else '(none)'}, where the "
                             f"network never reaches it: {how}", code=INPUT_BOUND)
        if all(type(d) is int for d in x) and tuple(x) == at:
            return
        given = ("`at`" if self.args.at is not None else
                 f"what it receives at the spec's input {fmt_shape(self.bound[1])}" if self.bound else "")
        raise ShapeError(f"custom: its shape {shape} is written for the input {fmt_shape(at)} ({given}), not for "
                         f"{fmt_shape(x)}: {how}", code=INPUT_BOUND)

    def args_text(self) -> str:
        a = self.args
        parts = [f"op={a.op}"] if a.op != "custom" else []
        parts.append("shape=" + ("x".join(map(str, a.shape)) if self.literal else f"[{', '.join(map(str, a.shape))}]"))
        parts += [f"{k}={v}" for k, v in (("params", a.params), ("macs", a.macs), ("flops", a.flops))
                  if v is not None and not (k == "params" and v == 0)]
        if a.buffers:
            parts.append("buffers={" + ", ".join(f"{k}: {v}" for k, v in a.buffers) + "}")
        if a.at is not None:
            parts.append("at=" + (a.at if a.at == "any" else "x".join(map(str, a.at))))
        return ", ".join(parts)

    # ---- the rules ----------------------------------------------------------------------------------------------------
    def output_shape(self, ins):
        names = self._names(ins[0])
        out = tuple(self._value("shape", d, names, 1) for d in self.args.shape)
        self._check_input(ins[0])
        return out

    def params(self, ins):
        n = self._value("params", self.args.params, self._names(ins[0]), 0)
        return {} if type(n) is int and n == 0 else {"weight": n}  # a symbolic count is kept (no bool() of it)

    def buffers(self, ins):
        names = self._names(ins[0])
        return {k: self._value(f"buffer {k}", v, names, 0) for k, v in self.args.buffers or ()}

    def macs(self, ins, out):
        return self._value("macs", self.args.macs, self._names(ins[0]), 0)

    def flops(self, ins, out):
        return self._value("flops", self.args.flops, self._names(ins[0]), 0)

    def window(self, ins, out):
        return None

    def derivation(self, ins, out):
        names = self._names(ins[0])
        if self.literal:
            shape = f"given: {'x'.join(map(str, self.args.shape))} ({self.args.op})"
            if self.args.at == "any":
                shape += ", for any input"
            elif self.args.at is not None:
                shape += f", for the input {fmt_shape(self.args.at)} (at)"
            elif self.bound and self.bound[0] != _UNREACHED:
                shape += f", for the input {fmt_shape(self.bound[0])} it receives at the spec's input {fmt_shape(self.bound[1])}"
        else:
            captured = {k: v for d in self.args.shape if isinstance(d, Deferred) for k, v in d.env.items()}
            where = ", ".join(f"{k} = {v}" for k, v in {**names, **captured}.items())
            shape = (f"{' x '.join(map(str, self.args.shape))} with {where}: {fmt_shape(out)} ({self.args.op})")
        d = {"shape": [shape], "params": str(sum(self.params(ins).values()))}
        for k in ("macs", "flops"):
            v = getattr(self, k)(ins, out)
            if v is not None:
                d[k] = str(v)
        return d


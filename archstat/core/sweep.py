"""``archstat sweep``: one network at many input sizes, without building anything.

The spec is compiled once; the engine then runs once per size (about 5 ms for ResNet-50). Each row holds the
output shape, parameters (they change with the input when a linear layer follows a flatten), MACs, FLOPs,
activations and their bytes (the engine's totals, in the sweep's dtype), peak activation memory and the final
receptive field, plus three flags: a stride that does not fit (some layer floors a fractional size and never sees
the last rows of real input), a size too small for the network (a size reaches zero: the row records the layer and
the message), and whether the receptive field still covers the whole input.
"""

from __future__ import annotations

import dataclasses

from archstat.core.notes import STRIDE_DOES_NOT_FIT, code_of
from archstat.errors import ArchstatError, UsageError


def parse_sizes(text: str) -> list[int]:
    """``32:1024:32`` (start:stop:step, stop included), ``224,256,299``, or a mix: ``32:64:16,299``. Each number
    is read by ``numbers.parse_count`` (ASCII digits, at most ``MAX_DIM``), and the count of sizes is worked out
    before any range is built, so ``0:1000000000:1`` is refused at once."""
    from archstat.errors import one_line
    from archstat.io.limits import MAX_DIM, MAX_SWEEP_SIZES
    from archstat.language.numbers import is_count, parse_count

    bad = UsageError(f"--sizes must look like 32:1024:32 or 224,256,299, got '{one_line(text, 80)}'")
    ranges: list[tuple[int, int, int]] = []
    count = 0
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        bits = part.split(":")
        if len(bits) > 3 or not all(is_count(b) for b in bits):
            raise bad
        nums = [parse_count(b, "--sizes: each number", minimum=0, maximum=1 << 62) for b in bits]
        start, stop, step = (nums[0], nums[0], 1) if len(nums) == 1 else (nums[0], nums[1], (nums + [1])[2])
        if step < 1 or stop < start:
            raise bad
        if start < 1:
            raise UsageError(f"--sizes must give positive sizes, got '{one_line(text, 80)}'")
        if stop > MAX_DIM:
            raise UsageError(f"--sizes: {stop:,} is above the largest size, {MAX_DIM:,}")
        count += (stop - start) // step + 1
        if count > MAX_SWEEP_SIZES:
            raise UsageError(f"--sizes gives more than {MAX_SWEEP_SIZES:,} sizes (the limit)")
        ranges.append((start, stop, step))
    if not ranges:
        raise bad
    return [s for start, stop, step in ranges for s in range(start, stop + 1, step)]


def sweep(graph, sizes: list[int], batch: int = 1, dtype: str = "float32") -> list[dict]:
    from archstat.core import receptive_field as rf
    from archstat.core.engine import analyze
    from archstat.layers import spatial

    if not spatial(graph.input_shape):
        raise UsageError("sweep needs a spec whose input is C x H x W")
    from archstat.io.run import current

    current().charge_sweep(len(sizes) * len(graph.nodes))  # sizes x layers, before any is analysed
    c = graph.input_shape[0]
    rows = []
    for s in sizes:
        g = dataclasses.replace(graph, input_shape=(c, s, s))
        row = {"size": s, "status": "ok", "failing_layer": "", "output_shape": "", "params": None, "macs": None,
               "flops": None, "activations": None, "activation_bytes": None, "peak_activation_bytes": None,
               "rf_size": None,
               "rf_covers_input": None, "stride_does_not_fit": None, "unfit_layers": ""}
        try:
            a = analyze(g, batch=batch, dtype=dtype)
        except ArchstatError as e:
            row["status"] = {"too_large": "too large", "input_bound": "shape given for another input",
                             "indivisible": "does not divide"}.get(e.code or "", "too small")
            row["failing_layer"] = e.layer or ""
            rows.append(row)
            continue
        t = a.totals
        field = rf.as_json(t.field, (s, s))
        size = field["size"]
        unfit = sorted({name for name, note in a.notes if code_of(note) == STRIDE_DOES_NOT_FIT})
        row.update(output_shape="x".join(map(str, a.layers[-1].output_shape)), params=t.params, macs=t.macs,
                   flops=t.flops, activations=t.activations, activation_bytes=t.activation_bytes,
                   peak_activation_bytes=t.peak_activation_bytes,
                   rf_size=size if not isinstance(size, list) else max(size),
                   stride_does_not_fit=bool(unfit), unfit_layers=" ".join(unfit))
        if isinstance(row["rf_size"], (int, float)):
            row["rf_covers_input"] = row["rf_size"] >= s
        rows.append(row)
    return rows


def findings(rows: list[dict]) -> list[str]:
    """Plain-language summary: where the network fails, where strides do not fit, where the field stops covering."""
    out = []
    ok = [r for r in rows if r["status"] == "ok"]
    small = [r for r in rows if r["status"] == "too small"]
    large = [r["size"] for r in rows if r["status"] == "too large"]
    if large:
        out.append(f"too large from {min(large)}: some layer's output has a size above {2**31:,} (the limit)")
    if small and ok:
        smallest = min(r["size"] for r in ok)
        below = [r for r in small if r["size"] < smallest]
        if below:
            r = max(below, key=lambda r: r["size"])
            out.append(f"fails below {smallest}: at {r['size']} a size reaches zero at layer {r['failing_layer']}")
        above = [r["size"] for r in small if r["size"] > smallest]
        if above:
            out.append(f"also fails at {', '.join(map(str, above[:10]))}{' ...' if len(above) > 10 else ''}")
    elif small:
        out.append(f"fails at every size given (first failing layer: {small[0]['failing_layer']})")
    indivisible = [r for r in rows if r["status"] == "does not divide"]
    if indivisible:  # a size must be a multiple of a window somewhere (maxvit_t's partitions)
        out.append(f"does not divide at {len(indivisible)} size{'s' if len(indivisible) != 1 else ''} "
                   f"({', '.join(str(r['size']) for r in indivisible[:10])}{' ...' if len(indivisible) > 10 else ''}): "
                   f"layer {indivisible[0]['failing_layer']} needs a multiple of its partition")
    bound = [r for r in rows if r["status"] == "shape given for another input"]
    if bound:
        out.append(f"at {len(bound)} size{'s' if len(bound) != 1 else ''} ({', '.join(str(r['size']) for r in bound[:10])}"
                   f"{' ...' if len(bound) > 10 else ''}) layer {bound[0]['failing_layer']} has a literal shape written for "
                   f"another input (write it in terms of in_c, in_h, in_w)")
    unfit = [r["size"] for r in ok if r["stride_does_not_fit"]]
    if unfit:
        out.append(f"a stride does not fit (the last rows of real input are never seen) at {len(unfit)} of {len(ok)} "
                   f"sizes: {', '.join(map(str, unfit[:12]))}{' ...' if len(unfit) > 12 else ''}")
    elif ok:
        out.append("every stride fits at every size given")
    covered = [r["size"] for r in ok if r["rf_covers_input"]]
    if ok and covered and len(covered) < len(ok):
        out.append(f"the receptive field covers the whole input up to size {max(covered)} "
                   f"(final field {next(r['rf_size'] for r in ok if r['size'] == max(covered))})")
    elif ok and not covered:
        out.append("the receptive field never covers the whole input at these sizes")
    elif ok:
        out.append("the receptive field covers the whole input at every size given")
    return out

"""`archstat import timm:resnet50` end to end against fvcore's FlopCountAnalysis of the same model end to end.

Both run as fresh subprocesses, so each is charged for its imports (torch, timm, torchvision, fvcore) and for
building the model: archstat traces on the meta device and writes the spec; fvcore builds the model on the CPU
(it needs real tensors: its jit trace runs the forward) and counts. The two alternate, several repeats; the medians
and their ratio are printed (reports/perf.md, "archstat import vs fvcore").

    python bench/bench_import.py [--repeats 5] [--model resnet50] [--zoo timm|torchvision]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

STAND_IN = """
import sys, types
try:
    import torchvision
except RuntimeError:  # CPU torch 2.13 and torchvision 0.28's meta registrations (archstat.backend.reference)
    for m in [m for m in sys.modules if m.startswith("torchvision")]:
        del sys.modules[m]
    sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
    import torchvision
"""
# fvcore as its users run it: the model built on the CPU (its jit trace runs the forward on real tensors), then
# FlopCountAnalysis. Only the stand-in that lets torchvision import at all against CPU torch is added, so fvcore
# pays torchvision's plain import (archstat's lean one is archstat's own work).
FVCORE = {
    "timm": STAND_IN + """
import timm, torch
from fvcore.nn import FlopCountAnalysis
m = timm.create_model({model!r}, pretrained=False).eval()
size = m.pretrained_cfg['input_size']
with torch.no_grad():
    print(FlopCountAnalysis(m, torch.randn(1, *size)).total())
""",
    "torchvision": STAND_IN + """
import torch
from fvcore.nn import FlopCountAnalysis
m = torchvision.models.get_model({model!r}, weights=None).eval()
with torch.no_grad():
    print(FlopCountAnalysis(m, torch.randn(1, 3, 224, 224)).total())
""",
}


def run(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--zoo", choices=sorted(FVCORE), default="timm")
    a = ap.parse_args()
    ours_cmd = [sys.executable, "-m", "archstat", "import", f"{a.zoo}:{a.model}", "--output", "/dev/null"]
    theirs_cmd = [sys.executable, "-c", FVCORE[a.zoo].format(model=a.model)]
    ours, theirs = [], []
    for _ in range(a.repeats):
        ours.append(run(ours_cmd))
        theirs.append(run(theirs_cmd))
    mo, mt = statistics.median(ours), statistics.median(theirs)
    print(f"archstat import {a.zoo}:{a.model}: median {mo:.2f} s  ({', '.join(f'{x:.2f}' for x in ours)})")
    print(f"fvcore FlopCountAnalysis:       median {mt:.2f} s  ({', '.join(f'{x:.2f}' for x in theirs)})")
    print(f"ratio fvcore / archstat: {mt / mo:.2f}x")


if __name__ == "__main__":
    main()

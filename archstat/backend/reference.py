"""torchvision's own modules, the reference a spec that names a torchvision network is proven against.

``import_torchvision`` is the one place archstat imports torchvision. torchvision 0.28.0, the release paired
with torch 2.13, ships compiled operators (nms, roi_align, ...) built for CUDA; against the CPU build of torch its
import fails with ``RuntimeError: operator torchvision::nms does not exist``, raised while
``torchvision._meta_registrations`` registers meta kernels for those operators. The model definitions need none of
them, so when (and only when) the plain import fails with that error, a stand-in empty module is registered under
that name and the import is retried: the classification models then build and run as usual.
"""

from __future__ import annotations

import sys
import types

NAMES = {  # spec -> (torchvision builder, keyword arguments), where the spec's name is not the builder's
    "alexnet_torchvision": ("alexnet", {}),
    "googlenet_torchvision": ("googlenet", {"aux_logits": False, "init_weights": False}),
    "inception_v3": ("inception_v3", {"aux_logits": False, "init_weights": False}),
    "inception_v3_aux": ("inception_v3", {"aux_logits": True, "init_weights": False}),
}


def import_torchvision():
    """``torchvision``, imported; with the stand-in for its meta registrations only where the CPU build needs it."""
    try:
        import torchvision
    except RuntimeError as e:
        if "torchvision::" not in str(e):
            raise
        for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[name]  # the half-imported package, so the retry starts clean
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
        import torchvision
    return torchvision


def torchvision_model(spec: str, name: str | None = None):
    """torchvision's module for ``spec`` (or the builder ``name``), random init, eval mode; None when torchvision
    has no such builder."""
    tvm = import_torchvision().models
    builder, kw = (name, {}) if name else NAMES.get(spec, (spec, {}))
    if not hasattr(tvm, builder):
        return None
    return getattr(tvm, builder)(weights=None, **kw).eval()

"""``trace``: a PyTorch ``nn.Module`` traced with torch.fx on the meta device and mapped onto archstat's IR (the
front end's entry point; ``archstat.importing.torch`` describes the steps)."""

from __future__ import annotations

# torch.fx types a node's arguments as a wide union (Argument); the handlers read the shapes the trace gave them
# mypy: disable-error-code="index, arg-type, union-attr, assignment, unused-ignore, func-returns-value, var-annotated"
import torch
from torch import fx, nn

from archstat.importing.ir import ImportedModel
from archstat.importing.torch import torchvision_handlers
from archstat.importing.torch.mapper import Mapper
from archstat.importing.torch.modules import _MODULE_BY_NAME, _base_handler


# ---- the tracer --------------------------------------------------------------------------------------------------------
class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        if type(m).__name__ in _MODULE_BY_NAME:
            return True
        if _base_handler(m) is not None:
            return True
        return super().is_leaf_module(m, qualname)


def _register_optional() -> None:
    """timm's and torchvision's handlers, added to the tables when those libraries are imported."""
    import sys

    if "timm" in sys.modules:  # timm's modules and functions: archstat.importing.torch.timm_handlers registers them
        from archstat.importing.torch import timm_handlers

        timm_handlers.register()

    torchvision_handlers.register()


# ---- the entry point --------------------------------------------------------------------------------------------------
class _Recorder(fx.Interpreter):
    def __init__(self, gm: fx.GraphModule):
        super().__init__(gm)
        self.results: dict = {}

    def run_node(self, n: fx.Node):
        r = super().run_node(n)
        self.results[n] = r
        return r


def trace(module: nn.Module, input_shape: tuple, name: str, source: str) -> tuple[ImportedModel, dict[str, str]]:
    """``module`` (on the meta device or the CPU, eval mode) as an ``ImportedModel`` traced at ``input_shape``
    (C, H, W), and the class name of every sub-module path (to name the blocks)."""
    _register_optional()
    module = module.eval()
    gm = fx.GraphModule(module, _Tracer().trace(module), name)
    gm.graph.eliminate_dead_code()  # results nothing reads (res2net's redundant ``spx[0]``) make no layer
    device = next((p.device for p in module.parameters()), torch.device("meta"))
    rec = _Recorder(gm)
    with torch.no_grad():
        rec.run(torch.empty((1, *input_shape), device=device))
    mp = Mapper(gm, rec.results, input_shape)
    layers = mp.run()
    model = ImportedModel(name, source, tuple(input_shape), layers)
    types = {path: type(m).__name__ for path, m in module.named_modules() if path}
    return model, types

"""Import sources: ``torchvision:NAME``, ``timm:NAME``, ``FILE.py:CALLABLE`` and ``FILE.onnx``.

``is_source(text)`` tells, without importing anything heavy, whether a spec argument names one; every command that
reads a spec (``archstat.language.catalog``) asks it first, so ``archstat summary timm:resnet50`` imports the model
and ``archstat summary vgg16`` never imports torch. ``import_model`` builds and traces the model (torch, and timm or
torchvision, imported only here) and returns the intermediate representation; ``import_spec`` returns spec text.

Readers are registered by kind in ``READERS`` (``register_reader``): ``torchvision``, ``timm`` and ``py`` are here;
``onnx`` is the ONNX reader's slot (``archstat.importing.from_onnx`` registers itself there when it exists). A
reader is ``fn(source, input) -> (ImportedModel, scope_types)``, ``input`` a (C, H, W) tuple or None for the model's
own configuration.

The user's factory (``FILE.py:CALLABLE``) is code: it runs only when such a source is given on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import contextmanager

from archstat.errors import SpecError, UsageError

Reader = Callable[[str, "tuple | None"], tuple]
READERS: dict[str, Reader | str] = {  # kind -> reader, or the dotted module that registers it when imported
    "torchvision": "archstat.importing.sources:_torchvision",
    "timm": "archstat.importing.sources:_timm",
    "py": "archstat.importing.sources:_python",
    "onnx": "archstat.importing.from_onnx",  # the ONNX reader registers ``READERS["onnx"]`` when imported
}
_PY = re.compile(r"^(?P<file>.+\.py):(?P<name>[A-Za-z_][A-Za-z0-9_.]*)$")


def source_kind(text: str) -> str | None:
    """``torchvision``, ``timm``, ``py``, ``onnx`` or None (a spec name or a YAML file)."""
    if not isinstance(text, str):
        return None
    if text.startswith("torchvision:"):
        return "torchvision"
    if text.startswith("timm:"):
        return "timm"
    if _PY.match(text):
        return "py"
    if text.lower().endswith(".onnx"):
        return "onnx"
    return None


def is_source(text: str) -> bool:
    return source_kind(text) is not None


def register_reader(kind: str, fn: Reader) -> None:
    READERS[kind] = fn


def _reader(kind: str) -> Reader:
    r = READERS.get(kind)
    if isinstance(r, str):
        import importlib

        mod, _, attr = r.partition(":")
        try:
            m = importlib.import_module(mod)
        except ImportError as e:
            raise UsageError(f"importing a {kind} source needs {e.name or mod} (pip install 'archstat[import]')") \
                from None
        r = getattr(m, attr) if attr else READERS.get(kind)
        if isinstance(r, str) or r is None:
            raise UsageError(f"no reader for {kind} sources is installed")
        READERS[kind] = r
    if r is None:
        raise UsageError(f"no reader for {kind} sources is installed")
    return r


def import_model(source: str, input: tuple | None = None):
    """``(ImportedModel, scope_types)`` of ``source``, traced at ``input`` (C, H, W) or the model's own size."""
    kind = source_kind(source)
    if kind is None:
        raise UsageError(f"'{source}' is not an import source (torchvision:NAME, timm:NAME, FILE.py:CALLABLE, "
                         f"FILE.onnx)")
    return _reader(kind)(source, input)


def import_spec(source: str, input: tuple | None = None, fold: bool = True) -> str:
    from archstat.importing.emit import emit

    model, types = import_model(source, input)
    return emit(model, fold=fold, scope_types=types)


# ---- PyTorch ------------------------------------------------------------------------------------------------------------
def _torch():
    try:
        import torch
    except ImportError:
        raise UsageError("importing a PyTorch model needs torch (pip install 'archstat[import]')") from None
    return torch


def _build(make: Callable, source: str):
    """The module built on the meta device (no memory, no init). Where its builder computes with data (RegNet's
    widths: ``torch.arange(...).tolist()``), it runs on the CPU with each parameter and buffer moved to the meta
    device as it is registered (``weights_on_meta``), so the weights are never initialised either."""
    torch = _torch()
    try:
        with torch.device("meta"):
            return make()
    except (RuntimeError, NotImplementedError, ValueError, TypeError, AssertionError):
        pass
    try:
        with weights_on_meta():
            return make()
    except Exception as e:  # the model's own code failed: one line naming it
        raise SpecError(f"building the model failed: {type(e).__name__}: {_first(e)}", file=source) from None


@contextmanager
def weights_on_meta():
    """While open, a parameter or buffer registered on any module moves to the meta device at once: the builder's
    own arithmetic runs on the CPU, the initialisers that follow run on meta tensors (no memory, no time)."""
    from torch import nn

    reg_p, reg_b = nn.Module.register_parameter, nn.Module.register_buffer

    def register_parameter(self, name, param):
        if param is not None and param.device.type != "meta" and type(param) is nn.Parameter:
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        reg_p(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        if tensor is not None and tensor.device.type != "meta":
            tensor = tensor.to("meta")
        reg_b(self, name, tensor, persistent)

    nn.Module.register_parameter = register_parameter
    nn.Module.register_buffer = register_buffer
    try:
        yield
    finally:
        nn.Module.register_parameter = reg_p
        nn.Module.register_buffer = reg_b


def _first(e: BaseException) -> str:
    from archstat.errors import one_line

    return one_line(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__, 200)


def _trace(module, input: tuple, name: str, source: str, notes: list[str]):
    from archstat.importing.torch.trace import trace

    try:
        model, types = trace(module, input, name, source)
    except SpecError as e:
        raise e.located(file=source) from None
    except Exception as e:
        raise SpecError(f"cannot trace the model with torch.fx at input {'x'.join(map(str, input))}: "
                        f"{type(e).__name__}: {_first(e)}", file=source) from None
    model.notes = notes + model.notes
    _uncalled(module, model)
    return model, types


def _uncalled(module, model) -> None:
    """Modules with tensors that the forward never ran (an auxiliary head in eval mode): named in the notes."""
    names = {la.name for la in model.layers}
    seen: set[str] = set()
    for path, m in module.named_modules():
        if not path or any(path == s or path.startswith(s + ".") for s in seen):
            continue
        if any(n == path or n.startswith(path + ".") or path.startswith(n + ".") for n in names):
            continue  # a layer, holds layers, or is inside one (timm's ``attn.qkv`` in a ``qkv_attention``)
        n = sum(p.numel() for p in m.parameters())
        if n:
            seen.add(path)
    if seen:
        model.notes.append("Not in the spec: modules the forward never runs, with their parameters: "
                           + ", ".join(sorted(seen)) + ".")


def _parse_input(input) -> tuple | None:
    if input is None:
        return None
    if isinstance(input, str):
        from archstat.language.catalog import parse_input

        input = parse_input(input)
    vals = tuple(int(v) for v in input)
    if len(vals) == 1:
        return (3, vals[0], vals[0])
    if len(vals) == 2:
        return (3, *vals)
    return vals


TORCHVISION_KW = {  # as torchvision builds the networks its weights describe (no auxiliary heads)
    "googlenet": {"aux_logits": False, "init_weights": False},
    "inception_v3": {"aux_logits": False, "init_weights": False},
}


def _torchvision(source: str, input):
    from archstat.backend.reference import import_torchvision

    _torch()
    name = source.split(":", 1)[1]
    tv = import_torchvision()
    try:
        builder = tv.models.get_model_builder(name)
    except ValueError:
        import difflib

        close = difflib.get_close_matches(name, tv.models.list_models(module=tv.models), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SpecError(f"torchvision has no classification model '{name}'{hint}", file=source) from None
    shape = _parse_input(input)
    size = 224
    try:
        weights = tv.models.get_model_weights(name)
        w = next(iter(weights))
        crop = getattr(w.transforms, "keywords", {}).get("crop_size")
        size = int(crop[0] if isinstance(crop, (list, tuple)) else crop) if crop else 224
    except (ValueError, KeyError, TypeError, IndexError):
        pass
    kw = TORCHVISION_KW.get(name, {})
    module = _build(lambda: builder(weights=None, **kw), source)
    own = getattr(module, "image_size", None)  # ViT builds for one size (vit_h_14: 224, its first weights' 518)
    shape = shape or (3, int(own or size), int(own or size))
    note = (f"Imported from {source} (torchvision {tv.__version__}{', ' + str(kw) if kw else ''}) by `archstat "
            f"import`: traced with torch.fx on the meta device at input {'x'.join(map(str, shape))}.")
    return _trace(module, shape, name, source, [note])


def _timm(source: str, input):
    from archstat.backend.reference import import_torchvision

    _torch()
    name = source.split(":", 1)[1]
    try:
        import_torchvision()  # timm imports torchvision; against CPU torch that needs the stand-in
    except ImportError:
        pass
    try:
        import timm
    except ImportError:
        raise UsageError("importing a timm model needs timm (pip install 'archstat[import]')") from None
    if not timm.is_model(name):
        import difflib

        close = difflib.get_close_matches(name, timm.list_models(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise SpecError(f"timm {timm.__version__} has no model '{name}'{hint}", file=source)
    kw = timm_kwargs(name, _parse_input(input))
    module = _build(lambda: timm.create_model(name, pretrained=False, **kw), source)
    cfg = getattr(module, "pretrained_cfg", None) or {}
    shape = _parse_input(input) or tuple(int(v) for v in cfg.get("input_size", (3, 224, 224)))
    note = (f"Imported from {source} (timm {timm.__version__}, no weights{', ' + str(kw) if kw else ''}) by "
            f"`archstat import`: traced with torch.fx on the meta device at input {'x'.join(map(str, shape))}.")
    return _trace(module, shape, name.replace(".", "_"), source, [note])


def timm_kwargs(name: str, shape: tuple | None) -> dict:
    """What ``timm.create_model(name)`` needs to run at ``shape`` (C, H, W): a model built for a fixed size (ViT,
    Mixer: ``fixed_input_size`` in its configuration) is built for that size (``img_size``, and ``in_chans``); others
    need nothing."""
    from timm.models import get_pretrained_cfg

    cfg = get_pretrained_cfg(name)
    if shape is None or cfg is None or not getattr(cfg, "fixed_input_size", False):
        return {}
    size = tuple(int(v) for v in getattr(cfg, "input_size", (3, 224, 224)))
    kw: dict = {}
    if tuple(shape[1:]) != size[1:]:
        kw["img_size"] = tuple(int(v) for v in shape[1:])
    if shape[0] != size[0]:
        kw["in_chans"] = int(shape[0])
    return kw


def note_input(path) -> None:
    """A file an import reads is an input of the run: ``--output`` is refused to overwrite it (io/output.py)."""
    import os

    from archstat.io.run import current

    current().add_input(os.stat(path), str(path))


def _python(source: str, input):
    """The user's factory: ``FILE.py:CALLABLE``, a function (or class) of no arguments that returns the module."""
    import importlib.util
    import sys
    from pathlib import Path

    torch = _torch()
    m = _PY.match(source)
    assert m is not None
    path, attr = Path(m["file"]), m["name"]
    if not path.is_file():
        raise SpecError("no such file", file=str(path))
    note_input(path)
    spec = importlib.util.spec_from_file_location(f"archstat_user_{abs(hash(str(path.resolve())))}", path)
    if spec is None or spec.loader is None:
        raise SpecError("cannot load this file as Python", file=str(path))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
    except Exception as e:
        raise SpecError(f"running the file failed: {type(e).__name__}: {_first(e)}", file=str(path)) from None
    obj = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise SpecError(f"'{attr}' is not defined in it", file=str(path))
        obj = getattr(obj, part)
    if not callable(obj):
        raise SpecError(f"'{attr}' is not callable", file=str(path))
    module = _build(obj, str(path))
    if not isinstance(module, torch.nn.Module):
        raise SpecError(f"'{attr}()' returned {type(module).__name__}, not a torch.nn.Module", file=str(path))
    cfg = getattr(module, "pretrained_cfg", None) or {}
    shape = _parse_input(input) or tuple(int(v) for v in (getattr(module, "input_size", None)
                                                          or cfg.get("input_size") or (3, 224, 224)))
    note = (f"Imported from {source} by `archstat import`: traced with torch.fx on the meta device at input "
            f"{'x'.join(map(str, shape))}.")
    return _trace(module, shape, _ident(attr.rpartition(".")[2]), source, [note])


def _ident(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", s) or "model"


# ---- for the spec readers -----------------------------------------------------------------------------------------------
def spec_bytes(source: str, input=None) -> tuple[bytes, str]:
    """The spec text of ``source`` (traced at ``input``, a ``3x224x224`` text or tuple, or its own size) and the
    name to report it under."""
    return import_spec(source, _parse_input(input)).encode(), source

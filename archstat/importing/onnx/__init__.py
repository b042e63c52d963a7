"""The ONNX front end of ``archstat import`` (``FILE.onnx``); ``reader.py`` describes its parts.

Its entry points: ``read_onnx`` (spec text), ``read_onnx_model`` (``ImportedModel``) and ``reader`` (the slot in
``archstat.importing.sources.READERS``).
"""

from archstat.importing.onnx.reader import read_onnx, read_onnx_model, reader

__all__ = ["read_onnx", "read_onnx_model", "reader"]

"""The ONNX reader's slot in ``archstat.importing.sources.READERS``: importing this module registers
``archstat.importing.onnx.reader.reader`` for ``FILE.onnx`` sources."""

from __future__ import annotations

from archstat.importing.onnx.reader import reader
from archstat.importing.sources import register_reader

register_reader("onnx", reader)

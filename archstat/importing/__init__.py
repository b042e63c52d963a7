"""``archstat import``: networks from PyTorch (torchvision, timm, the user's own factory) and ONNX as specs.

- ``ir``: the intermediate representation every front end produces (a flat list of named layers);
- ``emit``: IR -> spec YAML, with repeated submodules folded into blocks and ``repeat``;
- ``sources``: what a source string names (``torchvision:NAME``, ``timm:NAME``, ``FILE.py:CALLABLE``,
  ``FILE.onnx``) and the registered readers; cheap to import (no torch);
- ``torch``: the PyTorch front end (torch.fx on the meta device), imported only to read a PyTorch source
  (``torch.timm_handlers``: timm's modules, added when timm is imported);
- ``onnx``: the ONNX front end (``from_onnx`` registers it as the reader of ``FILE.onnx``).
"""

"""The PyTorch front end of ``archstat import``: an ``nn.Module`` as an ``ImportedModel``, traced with torch.fx on the
meta device and mapped onto kinds.

How (reports/import.md has the measurements behind the choices):

1. ``torch.fx.symbolic_trace`` with a tracer that keeps as leaves the modules archstat has one kind for
   (torch.nn's, and a few of torchvision's and timm's composites: ``StochasticDepth``, ``LayerNorm2d``,
   ``BatchNormAct2d``, ``Conv2dSame``, ...). Every node carries its module path (``nn_module_stack``).
2. The graph runs once on a meta tensor of the input's shape (no memory, no weights); each node's result is kept.
3. Each node maps onto zero or more IR layers: a module by its class (``_MODULES``), a function or method by its
   target (``_FUNCTIONS``). Shapes are archstat's logical ones: a map is C x H x W whether torch holds it channels
   first or last (a ``permute`` changes the layout, not the shape), a (B, L, D) tensor is L x D tokens, (B, F) is F.
   Size arithmetic, ``contiguous`` and the like make no layer.
4. Anything else becomes ``custom``: its traced shape, its parameters and buffers, and the MACs FlopCounterMode
   measures for that node alone on the meta device (FLOPs left unknown: FlopCounterMode counts no elementwise
   work, and a partial figure would read as the whole).

Layer names are module paths (``layer1.0.conv1``); a function's layer is its module's path plus the op
(``layer1.0.add``); a second call of one module gets ``_1``.

Where: ``trace.py`` (the tracer and the entry point ``trace``), ``mapper.py`` (the walk over the nodes, ``custom``),
``modules.py`` and ``functions.py`` (the handler tables), ``torchvision_handlers.py`` (Swin, MaxViT), ``values.py``
(layouts, ``Val``), ``timm_handlers.py`` (timm's modules and idioms, registered when timm is imported).
"""

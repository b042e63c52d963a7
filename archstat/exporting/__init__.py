"""Specs written out as code for other frameworks: ``archstat export SPEC --to torch`` (``exporting.torch``).

Imports torch (``exporting.torch`` and ``exporting.modules``): never imported by ``archstat summary``."""

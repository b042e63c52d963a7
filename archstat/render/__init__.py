"""Renderers and exporters: turn an ``Analysis`` into a rich table, JSON, CSV or Markdown."""

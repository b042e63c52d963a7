"""``archstat view``: the network drawn, Netscope-style. ``model`` turns an analysis into what is drawn; ``page``
writes it as one self-contained HTML page (laid out in the browser by the vendored dagre); ``static`` draws it as
SVG or PNG with Graphviz's dot (the ``view`` extra and the ``dot`` program). Imported only by that command:
``archstat summary`` never loads any of it."""

"""Hard limits on what a spec may ask for, so that any input is answered in bounded time and memory.

The values are documented in the README ("Limits"); change both together.
"""

MAX_SPEC_BYTES = 1 << 20  # 1 MiB: the largest built-in spec is a few KiB
MAX_YAML_DEPTH = 64  # nesting of YAML mappings and lists
MAX_YAML_VALUES = 1_000_000  # values in the document, counting an aliased subtree at every use ("billion laughs")
MAX_LAYERS = 100_000  # layers after expanding blocks and repeats
MAX_EXPANSION = 1_000_000  # expansion steps: values evaluated, layers, inputs, repeat passes (even of nothing)
MAX_NAME_CHARS = 256  # a layer's full dotted name
MAX_REPEAT = 10_000  # one `repeat:` count
MAX_BLOCK_DEPTH = 32  # blocks instantiating blocks
MAX_EXPR_CHARS = 200  # one `$(...)` expression
MAX_EXPR_NODES = 100  # syntax-tree nodes in one expression
MAX_STR_CHARS = 1_000  # text an expression or an interpolation builds
MAX_INT_DIGITS = 30  # no intermediate value in an expression may exceed 10**30
MAX_DIM = 1 << 31  # any channel count, size or kernel

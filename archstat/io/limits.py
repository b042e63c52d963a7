"""Every bound archstat puts on what one run may read, build and compute, so that any input is answered in bounded
time and memory. One table, ``LIMITS``, names each bound with its value and scope; the README's "Limits" section is
``archstat limits --markdown`` and a test keeps the two the same. Change a value here and regenerate the README.

The constants are what the code imports; ``LIMITS`` describes them (a test checks that each constant is described).
"""

from __future__ import annotations

# ---- reading --------------------------------------------------------------------------------------------------------
MAX_SPEC_BYTES = 1 << 20  # one spec file, one block library, one claims file, standard input
MAX_INCLUDE_BYTES = 1 << 20  # a spec's block libraries together
MAX_INCLUDES = 16  # block libraries one spec includes
MAX_READ_BYTES = 64 << 20  # every file one run reads (specs, libraries, claims files, bench results) together
MAX_RESULT_BYTES = 16 << 20  # one archstat bench result file read by plot throughput

# ---- YAML -----------------------------------------------------------------------------------------------------------
MAX_YAML_DEPTH = 64  # nesting of YAML mappings and lists
MAX_YAML_VALUES = 1_000_000  # values in the document, counting an aliased subtree at every use ("billion laughs")
MAX_NUMBER_CHARS = 64  # the text of one YAML integer or float (any base) or one command-line number

# ---- values ---------------------------------------------------------------------------------------------------------
MAX_INT_DIGITS = 30  # no integer a spec writes or an expression builds may exceed 10**30 in magnitude
MAX_STR_CHARS = 1_000  # text an expression or an interpolation builds
MAX_LIST_ITEMS = 100_000  # items of one list value an expression returns (a list of channel counts, say)
MAX_DIM = 1 << 31  # any channel count, size, kernel, batch and sweep size

# ---- expansion ------------------------------------------------------------------------------------------------------
MAX_LAYERS = 100_000  # layers after expanding blocks and repeats
MAX_EXPANSION = 1_000_000  # expansion steps of one spec: expression nodes evaluated, layers, inputs, repeat passes
MAX_NAME_CHARS = 256  # a layer's full dotted name
MAX_REPEAT = 10_000  # one `repeat:` count
MAX_BLOCK_DEPTH = 32  # blocks instantiating blocks
MAX_EXPR_CHARS = 200  # one `$(...)` expression
MAX_EXPR_NODES = 100  # syntax-tree nodes in one expression

# ---- analyses -------------------------------------------------------------------------------------------------------
MAX_SWEEP_SIZES = 10_000  # input sizes one sweep takes
MAX_SWEEP_CELLS = 200_000  # sizes x layers of one sweep (each cell is one layer analysed at one size)
MAX_SYMBOLIC_WORK = 200_000  # symbolic steps of one run: sympy operations plus the size of every expression built
MAX_SYMBOLIC_OPS = 2_000  # operations in any one closed form (a longer one is refused, not printed)
MAX_ASSUMPTIONS = 32  # --assume lines
MAX_CLAIMS = 20_000  # claims one run verifies
MAX_VALUE_CHARS = 200  # a claim value as written ("28x28x192x3x3x256" is 17); longer text is refused unread
MAX_SPEC_CHARS = 4096  # a claim's spec: a built-in name or a path (PATH_MAX)
MAX_VERIFY_LAYERS = 200_000  # layers verify analyses in one run: each spec at each input the claims name
MAX_VERIFY_SPECS = 1_000  # different specs the claims of one run name

LIMITS: list[tuple[str, str, str]] = [
    # (constant, what it bounds, how its value reads: bytes, count, characters, items, 2^n or 10^n)
    ("MAX_SPEC_BYTES", "one spec file, block library, claims file or standard input", "bytes"),
    ("MAX_INCLUDE_BYTES", "a spec's block libraries together", "bytes"),
    ("MAX_INCLUDES", "includes per spec (`archstat:NAME` or relative paths inside the spec's directory, no nested "
                     "includes)", "count"),
    ("MAX_READ_BYTES", "every file one run reads, together", "bytes"),
    ("MAX_RESULT_BYTES", "one bench result file (`plot throughput`)", "bytes"),
    ("MAX_YAML_DEPTH", "YAML nesting depth (also through aliases)", "count"),
    ("MAX_YAML_VALUES", "YAML values, counting an aliased subtree at every use (\"billion laughs\")", "count"),
    ("MAX_NUMBER_CHARS", "the text of one number (YAML in any base, or the command line)", "characters"),
    ("MAX_INT_DIGITS", "any integer a spec writes or an expression builds, in magnitude", "10^n"),
    ("MAX_STR_CHARS", "text an expression or interpolation builds", "characters"),
    ("MAX_LIST_ITEMS", "one list value", "items"),
    ("MAX_DIM", "any size, channel count, kernel, `--batch`, `--input` and sweep size", "2^n"),
    ("MAX_LAYERS", "layers after expanding blocks and repeats", "count"),
    ("MAX_EXPANSION", "expansion steps of one spec (expression nodes evaluated, layers, inputs, repeat passes, "
                      "even of nothing)", "count"),
    ("MAX_NAME_CHARS", "a layer's full dotted name", "characters"),
    ("MAX_REPEAT", "one `repeat` count (refused at once when larger)", "count"),
    ("MAX_BLOCK_DEPTH", "blocks nested in blocks (a block that instantiates itself is an error)", "count"),
    ("MAX_EXPR_CHARS", "one expression", "characters"),
    ("MAX_EXPR_NODES", "one expression's syntax nodes (exponents up to 64)", "count"),
    ("MAX_SWEEP_SIZES", "sizes one sweep takes", "count"),
    ("MAX_SWEEP_CELLS", "sizes x layers of one sweep", "count"),
    ("MAX_SYMBOLIC_WORK", "symbolic steps of one run (sympy operations plus the size of each expression built)",
     "count"),
    ("MAX_SYMBOLIC_OPS", "operations in one closed form", "count"),
    ("MAX_ASSUMPTIONS", "`--assume` lines", "count"),
    ("MAX_CLAIMS", "claims one run verifies", "count"),
    ("MAX_VALUE_CHARS", "one claim value as written", "characters"),
    ("MAX_SPEC_CHARS", "a claim's spec name or path", "characters"),
    ("MAX_VERIFY_LAYERS", "layers verify analyses in one run (each spec at each input the claims name)", "count"),
    ("MAX_VERIFY_SPECS", "different specs the claims of one run name", "count"),
]


def shown(name: str, style: str) -> str:
    """A bound's value as the README writes it."""
    v = globals()[name]
    if style == "bytes":
        return f"{v >> 20} MiB" if v % (1 << 20) == 0 else f"{v:,} bytes"
    if style == "2^n":
        return f"2^{v.bit_length() - 1}"
    if style == "10^n":
        return f"10^{v}"
    return f"{v:,}" + ("" if style == "count" else f" {style}")


def limits_markdown() -> str:
    """The README's "Limits" table."""
    lines = ["| bound | limit | constant |", "|---|---|---|"]
    lines += [f"| {what} | {shown(name, style)} | `{name}` |" for name, what, style in LIMITS]
    return "\n".join(lines) + "\n"

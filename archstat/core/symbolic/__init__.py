"""Symbolic input sizes: every layer's shape, parameters, MACs, FLOPs and activations as closed-form expressions
in the input's symbols (``archstat summary SPEC --input 3xHxW``). sympy is imported only here.

How: each layer's own rules (``layers/``) run unchanged on ``Sym`` values instead of ints. A ``Sym`` carries a
sympy expression and a concrete sample value (the spec's own input size, or the smallest multiple an ``--assume``
allows). Arithmetic (``+ - * // %``) builds the expression exactly, with PyTorch's floor divisions kept as
``floor``; a comparison inside a rule (a window that must fit, a ceil-mode window that must not start in the
padding, two branches that must agree) is decided at the sample and recorded as a condition, so the result states
where it holds. Nested floors are flattened with the identity ``floor((floor(u) + c)/d) = floor((u + c)/d)``
(integers c, d > 0), and ``--assume "H % 32 == 0"`` substitutes ``H = 32k`` so that the floors disappear.

Bounds (README "Limits"): the work is charged to the run's budget (``MAX_SYMBOLIC_WORK`` steps, "work and size"
in ``expressions``), any one closed form is held to ``MAX_SYMBOLIC_OPS`` operations (adaptive pooling over a symbolic size, which
sums its windows one by one, is refused up front when the sum would be longer), numbers on the command line to
``MAX_DIM``, and the ``--assume`` lines to ``MAX_ASSUMPTIONS``; those are combined (``W == H`` merges the two sizes,
congruences by the Chinese remainder theorem, minimums by the largest) and refused, naming the lines, when they
contradict each other. Whatever sympy raises on a hostile spec (deep recursion, overflow) becomes one error line.

The package: ``expressions`` (``Sym``, flattening, the budget), ``assumptions`` (``--assume``), ``analysis`` (the
walk, the closed forms, the totals). sympy is imported only here.
"""

from __future__ import annotations

from archstat.core.symbolic.analysis import SymAnalysis, SymLayer, analyze_symbolic
from archstat.core.symbolic.assumptions import Assumption, parse_assumption, resolve_assumptions
from archstat.core.symbolic.expressions import Sym, _built, _ops, _reset  # noqa: F401  (the private ones: tests)

__all__ = ["Assumption", "Sym", "SymAnalysis", "SymLayer", "analyze_symbolic", "parse_assumption",
           "resolve_assumptions"]

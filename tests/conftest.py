import ast
import operator
import pathlib
from dataclasses import dataclass
from fractions import Fraction

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture
def write_spec(tmp_path):
    """Write a spec text to a temporary file and return its path as a string."""
    def _write(text: str, name: str = "spec.yaml") -> str:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return str(p)
    return _write


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def arith(text: str) -> Fraction:
    """Exact value of plain arithmetic text (the derivations of ``explain``): integers, + - * /, unary minus and
    parentheses; anything else fails. A test-side walker, independent of archstat's own evaluator."""

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant) and type(n.value) is int:
            return Fraction(n.value)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else v
        if isinstance(n, ast.BinOp) and type(n.op) in _OPS:
            return _OPS[type(n.op)](ev(n.left), ev(n.right))
        raise AssertionError(f"not plain arithmetic: {type(n).__name__} in {text!r}")

    return ev(ast.parse(text.strip(), mode="eval"))


HOSTILE_MEMORY_BYTES = 1 << 30  # address space of each hostile run: a blow-up fails instead of hiding


def limit_memory() -> None:
    """``preexec_fn`` of a hostile run: at most HOSTILE_MEMORY_BYTES of address space."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (HOSTILE_MEMORY_BYTES, HOSTILE_MEMORY_BYTES))


def cli_env() -> dict:
    """The environment of a CLI subprocess: this checkout first on the path, 160 columns."""
    import os

    env = dict(os.environ, COLUMNS="160")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


@dataclass
class Outcome:
    """One CLI run of a hostile case."""

    rc: int | None  # None: killed after its timeout
    stdout: str
    stderr: str
    seconds: float

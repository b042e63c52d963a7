"""Symbolic sizes, the assumptions: ``--assume`` lines (``H % 32 == 0``, ``W == H``, ``H >= 64``) read, combined
(``W == H`` merges two sizes, congruences by the Chinese remainder theorem, minimums by the largest) and refused,
naming the lines, when they contradict each other; and the substitution ``H = 32k`` that makes the floors vanish."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from math import gcd

import sympy as sp

from archstat.errors import UsageError
from archstat.io.limits import MAX_ASSUMPTIONS, MAX_DIM
from archstat.language.numbers import clip, parse_count


@dataclass
class Assumption:
    text: str
    name: str
    modulus: int = 1
    residue: int = 0
    same_as: str | None = None
    minimum: int | None = None


_N = r"[A-Za-z_][A-Za-z_0-9]*"  # ASCII, as in --input
_V = r"[^\s%=<>]+"  # a number, read by numbers.parse_count (ASCII digits only, at most MAX_DIM)
_MOD = re.compile(rf"^\s*({_N})\s*%\s*({_V})\s*==\s*({_V})\s*$")
_EQ = re.compile(rf"^\s*({_N})\s*==\s*({_N})\s*$")
_MIN = re.compile(rf"^\s*({_N})\s*>=\s*({_V})\s*$")


def parse_assumption(text: str) -> Assumption:
    """One ``--assume`` line: ``H % 32 == 0``, ``W == H`` or ``H >= 64``. Its text is kept in a normal form."""
    shown = clip(str(text).strip(), 60)
    if m := _MOD.match(text):
        mod = parse_count(m.group(2), f"--assume '{shown}': the modulus")
        res = parse_count(m.group(3), f"--assume '{shown}': the residue", minimum=0)
        if res >= mod:
            raise UsageError(f"--assume '{shown}': the residue must be below the modulus {mod:,}, got {res:,}")
        return Assumption(f"{m.group(1)} % {mod} == {res}", m.group(1), mod, res)
    if m := _EQ.match(text):
        return Assumption(f"{m.group(1)} == {m.group(2)}", m.group(1), same_as=m.group(2))
    if m := _MIN.match(text):
        low = parse_count(m.group(2), f"--assume '{shown}': the minimum", minimum=0)
        return Assumption(f"{m.group(1)} >= {low}", m.group(1), minimum=low)
    raise UsageError(f"--assume '{shown}': write 'H % 32 == 0', 'W == H' or 'H >= 64'")


@dataclass
class _Size:
    """What the assumptions say about one size (a symbol and those equal to it): ``rep % modulus == residue``,
    ``rep >= minimum``, and the lines that said so."""
    rep: str
    modulus: int = 1
    residue: int = 0
    minimum: int = 1
    congruences: list = field(default_factory=list)  # Assumptions with a modulus > 1, in the given order
    minimums: list = field(default_factory=list)


def _distinct(lines) -> list:
    return list({id(a): a for a in lines}.values())


def _quote(lines) -> str:
    q = [f"'{a.text}'" for a in _distinct(lines)]
    return q[0] if len(q) == 1 else f"{', '.join(q[:-1])} and {q[-1]}"


def _contradiction(lines, why: str) -> UsageError:
    n = len(_distinct(lines))
    return UsageError(f"the --assume line{'s' if n > 1 else ''} {_quote(lines)} contradict{'' if n > 1 else 's'} "
                      f"{'each other' if n > 1 else 'itself'} ({why})")


def resolve_assumptions(assumptions, names) -> tuple[dict, dict]:
    """Check the ``--assume`` lines against the symbols of --input and against each other: ``(rep, sizes)``, where
    ``rep`` maps every symbol to the one it equals (``W == H``: W -> H) and ``sizes`` maps each of those to its
    ``_Size``. Contradictory lines (``H % 4 == 1`` with ``H % 2 == 0``, also through ``W == H``; or no size up to
    ``MAX_DIM`` left) are refused, naming the lines. Congruences are pairwise compatible exactly when all of them
    together are (the Chinese remainder theorem), so a conflict is always between two of them."""
    assumptions = list(assumptions)
    if len(assumptions) > MAX_ASSUMPTIONS:
        raise UsageError(f"at most {MAX_ASSUMPTIONS} --assume lines, got {len(assumptions):,}")
    names = list(dict.fromkeys(names))
    for a in assumptions:
        for n in (a.name, a.same_as):
            if n is not None and n not in names:
                raise UsageError(f"--assume '{a.text}' names '{n}', which is not a symbol of --input"
                                 + (f" ({', '.join(names)})" if names else ""))
    parent = {n: n for n in names}

    def find(n):
        while parent[n] != n:
            n = parent[n]
        return n

    edges = []  # (a, b, assumption): the equalities, for naming the path between two symbols
    for a in assumptions:
        if a.same_as:
            edges.append((a.name, a.same_as, a))
            ra, rb = find(a.name), find(a.same_as)
            if ra != rb:
                parent[ra] = rb  # W == H: W is H

    def path(x, y) -> list:
        """The equality lines that make x and y the same size (a breadth-first path)."""
        seen: dict[str, list] = {x: []}
        todo = [x]
        while todo:
            n = todo.pop(0)
            if n == y:
                return seen[n]
            for a, b, line in edges:
                for u, v in ((a, b), (b, a)):
                    if u == n and v not in seen:
                        seen[v] = seen[n] + [line]
                        todo.append(v)
        return []

    rep = {n: find(n) for n in names}
    sizes = {r: _Size(r) for r in dict.fromkeys(rep.values())}
    for a in assumptions:
        z = sizes[rep[a.name]]
        if a.minimum is not None:
            z.minimums.append(a)
            z.minimum = max(z.minimum, a.minimum)
        if a.modulus > 1:
            for b in z.congruences:  # pairwise compatible <=> all compatible
                if (a.residue - b.residue) % gcd(a.modulus, b.modulus):
                    g = gcd(a.modulus, b.modulus)
                    why = (f"no size is {b.residue} modulo {b.modulus} and {a.residue} modulo {a.modulus}" if g in
                           (a.modulus, b.modulus) else f"one says {b.residue % g} modulo {g}, the other "
                           f"{a.residue % g} modulo {g}")
                    raise _contradiction([*path(b.name, a.name), b, a], why)
            m, r = z.modulus, z.residue  # combine: x = r (mod m) and x = a.residue (mod a.modulus)
            g = gcd(m, a.modulus)
            step = (a.residue - r) // g * pow(m // g, -1, a.modulus // g) % (a.modulus // g)
            z.modulus, z.residue = m // g * a.modulus, r + m * step
            z.residue %= z.modulus
            z.congruences.append(a)
            if z.modulus > MAX_DIM:
                lines = [*z.congruences]
                for b in z.congruences:
                    lines[:0] = path(b.name, a.name)
                raise UsageError(f"the --assume lines {_quote(lines)} together ask for a size that is "
                                 f"{z.residue:,} modulo {z.modulus:,}, a modulus above the limit of {MAX_DIM:,} "
                                 f"(at most one size fits; give it as a number)")
    for z in sizes.values():
        lowest = z.minimum + (z.residue - z.minimum) % z.modulus
        if lowest > MAX_DIM:
            low = max(z.minimums, key=lambda a: a.minimum)
            lines = [low, *z.congruences]
            for b in z.congruences:
                lines[:0] = path(b.name, low.name)
            rule = f"{z.residue:,} modulo {z.modulus:,}"
            raise _contradiction(lines, f"the only size allowed, {MAX_DIM:,} (the limit), is not {rule}"
                                 if z.minimum == MAX_DIM else
                                 f"no size from {z.minimum:,} up to the limit of {MAX_DIM:,} is {rule}")
    return rep, sizes


def _substitution(symbols: dict, rep: dict, sizes: dict, assumptions) -> list:
    """(symbol -> m*k + r, k -> (symbol - r)/m) pairs, one per size with a combined modulus above 1, in the order of
    their first ``--assume`` line (W == H is already applied: the analysis never sees W)."""
    subs = []
    for a in assumptions:
        z = sizes[rep[a.name]]
        if a.modulus > 1 and z.congruences and z.congruences[0] is a:
            s = symbols[z.rep]
            k = sp.Symbol(f"_{z.rep}_k", integer=True, nonnegative=True)
            subs.append(({s: z.modulus * k + z.residue}, {k: (s - z.residue) / z.modulus}))
    return subs

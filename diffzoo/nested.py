"""Derivatives inside functions, by nested dual numbers: perturbation confusion, and how tags cure it.

``D(expr, y)`` in the language is the derivative of expr by y. Evaluated by forward mode, each ``D``
perturbs y by its own infinitesimal ε (y ↦ y + 1·ε), evaluates expr on dual numbers and reads off
the coefficient of that ε. When ``D``s nest, two perturbations meet: in ``D(x * D(x + y, y), x)`` the
outer one moves x, the inner one y. Untagged dual numbers have one ε for both, so the inner ``D``
also reads the outer perturbation and answers 2 instead of 1 (Siskind and Pearlmutter's
perturbation confusion). Tagged duals (``backends.Dual``; ForwardDiff.jl's tags) give each ``D`` its
own ε_k and read off only their own: 1.

:func:`evaluate` runs a parsed function's tree as typed (``Function.source``) either way and
records every operation with its dual-number value, so the two traces can be shown side by side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .api import as_function, as_point
from .backends import Dual, apply, split_dual
from .expr import Expr, to_text
from .fmt import short
from .parse import Function
from .primitives import PRIMITIVES

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class Row:
    """One operation of a nested evaluation: how deep inside ``D``s it is, what it does, what it gives."""

    depth: int
    what: str
    value: str


@dataclass(frozen=True)
class Nested:
    """The value of each output, computed with tagged or untagged duals, and the trace of every operation."""

    tagged: bool
    values: tuple[float, ...]
    rows: tuple[Row, ...]

    @property
    def value(self) -> float:
        return self.values[0]


def dual_text(v: Any, tagged: bool = True) -> str:
    """``4 + 1ε₁``; nested parts in parentheses: ``(4 + 1ε₁) + (4 + 1ε₁)ε₂``. Untagged: one ε."""
    if not isinstance(v, Dual):
        return short(v, 10)
    eps = "ε" + (str(v.tag).translate(_SUB) if tagged else "")
    p, t = dual_text(v.primal, tagged), dual_text(v.tangent, tagged)
    p = f"({p})" if isinstance(v.primal, Dual) else p
    t = f"({t})" if isinstance(v.tangent, Dual) else t
    return f"{p} + {t}{eps}"


def evaluate(f: Function | str, point: Mapping[str, Any] | Sequence[Any] | float, tagged: bool = True) -> Nested:
    """Every output of ``f`` at ``point``, each ``D`` evaluated by forward mode on dual numbers.

    ``tagged=True`` gives each ``D`` its own ε (tags 1, 2, ... in the order they are met): the right
    derivative. ``tagged=False`` uses one ε for all, as a naive nesting of dual numbers does.
    """
    function = as_function(f)
    env: dict[str, Any] = dict(zip(function.variables, as_point(function, point)))
    rows: list[Row] = []
    count = [0]

    def run(e: Expr, env: dict[str, Any], depth: int) -> Any:
        if e.op == "const":
            return e.value
        if e.op == "var":
            return env[e.name]
        if e.op == "D":
            inner, y = e.args
            count[0] += 1
            tag = count[0] if tagged else 1
            seeded = Dual(env[y.name], 1.0, tag)
            eps = "ε" + (str(tag).translate(_SUB) if tagged else "")
            rows.append(Row(depth, f"D({to_text(inner)}, {y.name}): perturb {y.name} by {eps}",
                            f"{y.name} = {dual_text(seeded, tagged)}"))
            v = run(inner, {**env, y.name: seeded}, depth + 1)
            d = split_dual(v, tag)[1]
            rows.append(Row(depth, f"D({to_text(inner)}, {y.name}): read off the coefficient of {eps} in "
                                   f"{dual_text(v, tagged)}", dual_text(d, tagged)))
            return d
        args = [run(a, env, depth) for a in e.args]
        out = apply(e.op, *args)
        if any(isinstance(a, Dual) for a in args):
            shown = [dual_text(a, tagged) for a in args]
            sym = PRIMITIVES[e.op].infix
            what = (f" {sym} ".join(f"({s})" if isinstance(a, Dual) else s for s, a in zip(shown, args))
                    if sym and len(args) == 2 else f"{sym or e.op}({', '.join(shown)})")
            rows.append(Row(depth, what, dual_text(out, tagged)))
        return out

    values = []
    for root in function.source or function.outputs:
        v = run(root, env, 0)
        values.append(float(split_dual(v, 0)[0]) if isinstance(v, Dual) else float(v))
    return Nested(tagged, tuple(values), tuple(rows))


__all__ = ["evaluate", "Nested", "Row", "dual_text"]

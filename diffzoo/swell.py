"""Expression swell: how big a derivative is, written out as a tree and with its equal parts shared.

A symbolic derivative written out as a tree can grow exponentially with the depth of the function
(the logistic map l_n), while the same derivative with equal subexpressions shared (a Wengert list)
grows linearly. ``swell_table`` measures both for the families in :mod:`diffzoo.families`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from . import families
from .expr import Expr, const, dag_size, make, tree_size, var
from .parse import parse
from .symbolic import derive

#: Largest n offered for each family (the logistic map's written-out tree doubles per level).
MAX_N = {"logistic map l_n": 14, "nested sin": 40, "product of n factors": 40}


def logistic_expr(n: int, r: float = 4) -> Expr:
    """l_n as a shared expression (l_{k+1} = r l_k (1 - l_k)), built without text."""
    x = var("x")
    e = x
    for _ in range(n - 1):
        e = make("mul", make("mul", const(r), e), make("sub", const(1), e))
    return e


def family_function(family: str, n: int) -> tuple[list[Expr], list[str]]:
    """The outputs and variables of member ``n`` of a family."""
    if family == "logistic map l_n":
        return [logistic_expr(n)], ["x"]
    text = families.FAMILIES[family](n)
    f = parse(text)
    return list(f.outputs), list(f.variables)


def swell_row(family: str, n: int) -> dict[str, Any]:
    """Sizes of f and of its gradient for member ``n``: tree against shared (Wengert) operations."""
    outs, variables = family_function(family, n)
    grads = [derive(y, x) for y in outs for x in variables]
    return {"family": family, "n": n,
            "f tree ops": sum(tree_size(y) for y in outs),
            "f Wengert length": dag_size(*outs),
            "derivative tree ops": sum(tree_size(g) for g in grads),
            "derivative shared ops": dag_size(*grads)}


def swell_table(family: str, ns: Sequence[int]) -> pd.DataFrame:
    """One row per n: (family, n, f tree ops, f Wengert length, derivative tree ops, derivative shared ops)."""
    if family not in families.FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(families.FAMILIES)}")
    top = MAX_N[family]
    return pd.DataFrame([swell_row(family, n) for n in ns if 1 <= n <= top])


def expression_sizes(exprs: Sequence[Expr]) -> dict[str, int]:
    """Tree operations (each written out) and shared operations (all together) of some expressions."""
    return {"tree": sum(tree_size(e) for e in exprs), "shared": dag_size(*exprs) if exprs else 0}


__all__ = ["swell_table", "swell_row", "logistic_expr", "family_function", "expression_sizes", "MAX_N"]

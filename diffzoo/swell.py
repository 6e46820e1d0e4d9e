"""Derivative sizes and higher derivatives: the numbers behind the symbolic and numeric pages.

Expression swell: a symbolic derivative written out as a tree can grow exponentially with the
depth of the function (the logistic map l_n), while the same derivative with equal
subexpressions shared (a Wengert list) grows linearly. ``swell_table`` measures both for the
families in :mod:`diffzoo.families`.

The error model of numeric differentiation needs |f|, |f'|, |f''|, |f'''| and |f^(5)| along one
input; ``bounds_at`` gets them exactly by nesting forward-mode dual numbers five deep (each
level doubles the work, so 32 evaluations of the list), never by differencing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import families
from .expr import Expr, const, dag_size, make, tree_size, var
from .forward import derivative, function_of
from .numeric import Bounds
from .parse import Function, parse
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


# --- higher derivatives along one input ------------------------------------------------------------


def along(function: Function, point: Sequence[float], i: int, output: int = 0) -> Callable[[Any], Any]:
    """t -> f_output(point with x_i = t): the function restricted to one input (floats or duals)."""
    f = function_of(function.wengert)
    m = function.m

    def g(t: Any) -> Any:
        p: list[Any] = list(point)
        p[i] = t
        y = f(*p)
        return y[output] if m > 1 else y

    return g


def derivatives_along(function: Function, point: Sequence[float], i: int, output: int = 0,
                      orders: int = 5) -> list[float]:
    """[f, f', f'', ..., f^(orders)] along input ``i`` at ``point``, by nested forward mode."""
    g = along(function, point, i, output)
    out = []
    x = float(point[i])
    for _ in range(orders + 1):
        try:
            v = float(g(x))
        except (ValueError, ArithmeticError, TypeError):
            v = math.nan
        out.append(v)
        g = derivative(g)
    return out


def bounds_at(function: Function, point: Sequence[float], i: int = 0, output: int = 0) -> Bounds:
    """|f|, |f'|, |f''|, |f'''|, |f^(5)| along input ``i``: what the numeric error model needs.

    A derivative that is exactly zero (a polynomial's high derivatives) is replaced by a tiny
    value so the model's line still shows on a log axis, far below the measured error.
    """
    d = [abs(v) for v in derivatives_along(function, point, i, output, 5)]
    d = [v if v > 0 or math.isnan(v) else 1e-300 for v in d]
    return Bounds(f=d[0], d1=d[1], d2=d[2], d3=d[3], d5=d[5])


def model_best_steps(sweep: pd.DataFrame) -> pd.DataFrame:
    """For each scheme, the step where the error model (truncation + rounding) is smallest.

    Unlike the measured best step, which can land on a lucky cancellation (an error of exactly 0
    at some tiny step), this is the step the theory recommends: (scheme, model_eps, model_error).
    """
    df = sweep.assign(model=sweep["truncation"] + sweep["rounding"])
    df = df[np.isfinite(df["model"])]
    if df.empty:
        return pd.DataFrame(columns=["scheme", "model_eps", "model_error"])
    idx = df.groupby("scheme", sort=False)["model"].idxmin()
    out = df.loc[idx, ["scheme", "eps", "model"]].reset_index(drop=True)
    return out.rename(columns={"eps": "model_eps", "model": "model_error"})


__all__ = ["model_best_steps", "swell_table", "swell_row", "logistic_expr", "family_function", "expression_sizes",
           "derivatives_along", "bounds_at", "MAX_N"]

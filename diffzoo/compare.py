"""Every method on one function, side by side: values, derivatives, errors and costs.

The reference is independent of all four methods' floating point: the symbolic derivative
evaluated with mpmath at 50 significant digits, so even reverse mode's last-bit rounding shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .api import METHODS, Result, as_function, as_point, differentiate
from .expr import Expr, fold
from .parse import Function
from .primitives import CONSTANTS, PRIMITIVES
from .symbolic import jacobian_exprs


def high_precision(exprs: Sequence[Expr], point: Mapping[str, float], digits: int = 50) -> list[Any]:
    """Values of expressions at ``point`` in mpmath arithmetic with ``digits`` significant digits."""
    import mpmath

    with mpmath.workdps(digits):
        def leaf(e: Expr) -> Any:
            if e.op == "var":
                return mpmath.mpf(point[e.name])
            if e.name == "pi":
                return +mpmath.pi
            if e.name == "e":
                return mpmath.e + 0
            return mpmath.mpf(e.value)

        vals = fold(exprs, leaf, lambda e, a: PRIMITIVES[e.op].mpmath(*a))
        return [vals[id(e)] for e in exprs]


def reference_jacobian(function: Function, point: Mapping[str, float]) -> np.ndarray:
    """The Jacobian rounded once, from 50-digit arithmetic."""
    exprs = jacobian_exprs(function.outputs, function.variables)
    flat = [e for row in exprs for e in row]
    vals = high_precision(flat, point) if flat else []
    return np.array([float(v) for v in vals], dtype=float).reshape(function.m, function.n)


def run_all(f: Function | str, point: Mapping[str, Any] | Sequence[Any] | float,
            methods: Sequence[str] = METHODS, **numeric: Any) -> dict[str, Result]:
    function = as_function(f)
    return {m: differentiate(function, point, m, **(numeric if m == "numeric" else {})) for m in methods}


def compare(f: Function | str, point: Mapping[str, Any] | Sequence[Any] | float,
            methods: Sequence[str] = METHODS, **numeric: Any) -> pd.DataFrame:
    """One row per method: value, each partial derivative, max relative error against 50 digits, costs."""
    function = as_function(f)
    x = dict(zip(function.variables, as_point(function, point)))
    ref = reference_jacobian(function, x)
    rows = []
    names = function.wengert.output_names()
    for m, r in run_all(function, x, methods, **numeric).items():
        row: dict[str, Any] = {"method": m, "value": r.value}
        for j, y in enumerate(names):
            for i, v in enumerate(function.variables):
                row[f"∂{y}/∂{v}"] = float(r.jacobian[j, i])
        scale = np.maximum(np.abs(ref), np.finfo(float).tiny)
        row["max rel. error"] = float(np.max(np.abs(r.jacobian - ref) / scale)) if ref.size else 0.0
        row.update({"passes": r.cost.passes, "function evals": r.cost.function_evals,
                    "primitive evals": r.cost.primitive_evals, "derivative rules": r.cost.derivative_evals})
        rows.append(row)
    return pd.DataFrame(rows)


__all__ = ["compare", "run_all", "reference_jacobian", "high_precision", "CONSTANTS"]

"""Higher derivatives along one input, exactly, by nested forward mode.

The error model of numeric differentiation needs |f|, |f'|, |f''|, |f'''| and |f^(5)| along one
input; :func:`bounds_at` gets them by nesting tagged dual numbers five deep (``forward.derivative``
of ``forward.derivative`` ...: each level doubles the work, so 32 evaluations of the list), never by
differencing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .forward import derivative, function_of
from .numeric import Bounds
from .parse import Function


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


__all__ = ["along", "derivatives_along", "bounds_at"]

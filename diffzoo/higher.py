"""Higher derivatives along one input, exactly: by Taylor mode, or by nested forward mode.

The error model of numeric differentiation needs |f|, |f'|, |f''|, |f'''| and |f^(5)| along one
input; :func:`bounds_at` gets them from :func:`derivatives_along`, never by differencing. That
propagates truncated Taylor series through the list (``taylormode.py``: O(k²) per step for k
derivatives) where it is the faster, and otherwise nests tagged dual numbers k deep
(``forward.derivative`` of ``forward.derivative`` ...: each level doubles the components, and a
product is three products one level down: O(3^k)), which stays reachable as ``by="duals"`` for the
comparison of the two.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .errors import EvaluationError
from .forward import derivative, function_of
from .numeric import Bounds
from .parse import Function
from .primitives import PRIMITIVES

#: From this many derivatives on, ``by="auto"`` takes Taylor mode. Measured (median of 5 x 50 calls): for the
#: survey example at (2, 5), 1 derivative 33 µs by duals against 42 µs by Taylor mode, 2: 109 against 48 µs,
#: 5: 3.3 ms against 58 µs, 8: 109 ms against 66 µs; sin(x): 10 against 27 µs for 1, 37 against 34 µs for 2.
TAYLOR_FROM = 2

BY = ("auto", "taylor", "duals")


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
                      orders: int = 5, *, by: str = "auto") -> list[float]:
    """[f, f', f'', ..., f^(orders)] along input ``i`` at ``point``.

    ``by="duals"``: nested forward mode; an order that cannot be evaluated is nan. ``by="taylor"``: one
    Taylor-mode sweep (``taylormode.propagate``), which raises its :class:`EvaluationError` where no expansion
    exists and, at a kink met at the point, gives the one-sided values for increasing x_i. ``by="auto"``
    (the default): Taylor mode from ``TAYLOR_FROM`` derivatives on, where it is the faster; where it
    refuses, warns (a kink, a jump, a domain edge) or overflows, nested duals answer as they always did,
    so the two never differ by more than rounding.
    """
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    if by == "taylor":
        got = _by_taylor(function, point, i, output, orders, strict=False)
        assert got is not None
        return got
    if by == "auto" and orders >= TAYLOR_FROM:
        try:
            got = _by_taylor(function, point, i, output, orders, strict=True)
        except EvaluationError:
            got = None
        if got is not None:
            return got
    return _by_duals(function, point, i, output, orders)


def _by_taylor(function: Function, point: Sequence[float], i: int, output: int, orders: int,
               strict: bool) -> list[float] | None:
    """The derivatives by Taylor mode; None (``strict``) where it warned or a derivative is not finite."""
    from .taylormode import output_series, propagate

    wl = function.wengert
    direction = [float(j == i) for j in range(wl.n)]
    sw = propagate(wl, [float(v) for v in point], direction, orders)
    c = output_series(wl, sw.series)[output]
    d = [float(c[j]) * math.factorial(j) for j in range(orders + 1)]
    if strict and (sw.warnings or not all(math.isfinite(v) for v in d)):
        return None
    return d


def _by_duals(function: Function, point: Sequence[float], i: int, output: int, orders: int) -> list[float]:
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


def dual_ops(function: Function, point: Sequence[float], i: int, output: int = 0, orders: int = 5) -> int:
    """How many float operations of the table (``math.sin``, ``operator.mul``, ...) the nested dual numbers of
    ``derivatives_along(..., by="duals")`` call: counted by a profile hook on this thread while they run."""
    builtin = {id(p.scalar) for p in PRIMITIVES.values() if not hasattr(p.scalar, "__code__")}
    codes = {p.scalar.__code__ for p in PRIMITIVES.values() if hasattr(p.scalar, "__code__")}
    count = 0

    def hook(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "c_call":
            if id(arg) in builtin:
                count += 1
        elif event == "call" and frame.f_code in codes:
            count += 1

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        _by_duals(function, point, i, output, orders)
    finally:
        sys.setprofile(previous)
    return count


def bounds_at(function: Function, point: Sequence[float], i: int = 0, output: int = 0) -> Bounds:
    """|f|, |f'|, |f''|, |f'''|, |f^(5)| along input ``i``: what the numeric error model needs.

    A derivative that is exactly zero (a polynomial's high derivatives) is replaced by a tiny
    value so the model's line still shows on a log axis, far below the measured error.
    """
    d = [abs(v) for v in derivatives_along(function, point, i, output, 5)]
    d = [v if v > 0 or math.isnan(v) else 1e-300 for v in d]
    return Bounds(f=d[0], d1=d[1], d2=d[2], d3=d[3], d5=d[5])


__all__ = ["along", "derivatives_along", "bounds_at", "dual_ops", "TAYLOR_FROM", "BY"]

"""Every method on one function, side by side: values, derivatives, errors and costs.

The reference is independent of all four methods' floating point: the symbolic derivative
evaluated with mpmath at 50 significant digits, so even reverse mode's last-bit rounding shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .api import METHODS, Cost, Result, as_function, as_point, differentiate
from .caveats import no_derivative
from .errors import EvaluationError, LimitError
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
    """The Jacobian rounded once, from 50-digit arithmetic (nan where no real reference exists).

    The reference differentiates symbolically, so past the symbolic limits it is all nan; where f
    has a kink or a jump at the point (abs at 0) the entries it affects are nan too: the symbolic
    derivative gives only the convention there (sign(0) = 0), not a derivative to measure against.
    """
    import mpmath

    try:
        exprs = jacobian_exprs(function.outputs, function.variables)
    except LimitError:
        return np.full((function.m, function.n), np.nan)
    flat = [e for row in exprs for e in row]
    try:
        vals = high_precision(flat, point) if flat else []
    except (ArithmeticError, ValueError):  # some derivative is undefined here even in exact arithmetic:
        vals = []  # then entry by entry, so that one undefined partial does not hide the others
        for e in flat:
            try:
                vals += high_precision([e], point)
            except (ArithmeticError, ValueError):
                vals.append(mpmath.nan)
    real = [float(v) if isinstance(v, mpmath.mpf) else np.nan for v in vals]
    ref = np.array(real, dtype=float).reshape(function.m, function.n)
    wl = function.wengert
    if wl.kink_steps:
        try:
            ref[no_derivative(wl, wl.evaluate([point[v] for v in function.variables]))] = np.nan
        except (ValueError, ArithmeticError):
            pass
    return ref


def run_all(f: Function | str, point: Mapping[str, Any] | Sequence[Any] | float,
            methods: Sequence[str] = METHODS, **numeric: Any) -> dict[str, Result | EvaluationError | LimitError]:
    """Each method's result, or the EvaluationError it raised (a derivative one method cannot compute).

    If the function itself has no value at the point, that error is raised: there is nothing to compare.
    """
    function = as_function(f)
    x = as_point(function, point)
    function.wengert.evaluate(x)
    out: dict[str, Result | EvaluationError | LimitError] = {}
    for m in methods:
        try:
            out[m] = differentiate(function, x, m, **(numeric if m == "numeric" else {}))
        except (EvaluationError, LimitError) as exc:
            out[m] = exc
    return out


@dataclass(frozen=True)
class MethodRow:
    """One method's answer at the point: its Jacobian and error against the reference, or why it has none."""

    method: str
    value: Any  # the method's value of f (a float, or a list for a vector function); None where it failed
    jacobian: np.ndarray  # m x n, nan where the method failed
    max_rel_error: float  # against the 50-digit reference; nan where either is missing
    cost: Cost | None  # None where the method failed
    note: str = ""  # why the method has no derivative here (its error's message)
    warnings: tuple[str, ...] = ()  # its Result.warnings
    error: Exception | None = None  # the error it raised (without its traceback, so a kept row holds no frames)

    @property
    def ok(self) -> bool:
        return self.cost is not None


@dataclass(frozen=True)
class Comparison:
    """Every method on one function at one point, side by side (what :func:`compare` tabulates).

    ``rows`` holds one :class:`MethodRow` per method, ``partials`` the (output, input) pair and label
    ``∂y/∂x`` of each Jacobian entry in row-major order. Where no method has a derivative at the point,
    ``unmeasured`` names the error that stopped them all and there is no reference to measure against.
    """

    variables: tuple[str, ...]
    outputs: tuple[str, ...]
    value: Any  # f at the point: a float, or a list for a vector function
    rows: tuple[MethodRow, ...]
    reference: np.ndarray  # m x n, nan where no real reference exists
    unmeasured: str = ""  # the type of the error every method raised, when all of them failed

    @property
    def partials(self) -> list[tuple[int, int, str]]:
        return [(j, i, f"∂{y}/∂{v}") for j, y in enumerate(self.outputs) for i, v in enumerate(self.variables)]

    def frame(self) -> pd.DataFrame:
        """One row per method: value, each partial derivative, max relative error, costs, note, warnings."""
        rows = []
        for r in self.rows:
            row: dict[str, Any] = {"method": r.method, "value": r.value if r.ok else self.value}
            for j, i, label in self.partials:
                row[label] = float(r.jacobian[j, i])
            c = r.cost
            row["max rel. error"] = r.max_rel_error
            row.update({"passes": c.passes if c else np.nan, "function evals": c.function_evals if c else np.nan,
                        "primitive evals": c.primitive_evals if c else np.nan,
                        "derivative rules": c.derivative_evals if c else np.nan, "note": r.note,
                        "warnings": " ".join(r.warnings)})
            rows.append(row)
        return pd.DataFrame(rows)


def comparison(f: Function | str, point: Mapping[str, Any] | Sequence[Any] | float,
               methods: Sequence[str] = METHODS, **numeric: Any) -> Comparison:
    """Each method's value, Jacobian, max relative error against 50 digits and costs, or its reason for none.

    Never raises for a method that has no derivative here: its row says why (``note``). If the function
    itself has no value at the point, that error is raised: there is nothing to compare.
    """
    function = as_function(f)
    x = dict(zip(function.variables, as_point(function, point)))
    results = run_all(function, x, methods, **numeric)
    failures = [r for r in results.values() if not isinstance(r, Result)]
    unmeasured = type(failures[0]).__name__ if failures and len(failures) == len(results) else ""
    shape = (function.m, function.n)
    ref = np.full(shape, np.nan) if unmeasured else reference_jacobian(function, x)
    rows = []
    for m, r in results.items():
        if isinstance(r, Result):
            rows.append(MethodRow(m, r.value, r.jacobian, max_relative_error(r.jacobian, ref), r.cost,
                                  warnings=tuple(r.warnings)))
        else:
            rows.append(MethodRow(m, None, np.full(shape, np.nan), np.nan, None, note=str(r), error=_bare(r)))
    value = function.wengert(*x.values())
    return Comparison(tuple(function.variables), tuple(function.wengert.output_names()), value, tuple(rows), ref,
                      unmeasured)


def _bare(exc: Exception) -> Exception:
    """``exc`` without the tracebacks of it and the errors it came from: a kept row then holds no frames."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        e.__traceback__ = None
        e = e.__cause__ or e.__context__
    return exc


def compare(f: Function | str, point: Mapping[str, Any] | Sequence[Any] | float,
            methods: Sequence[str] = METHODS, **numeric: Any) -> pd.DataFrame:
    """One row per method: value, each partial derivative, max relative error against 50 digits, costs.

    A method that cannot compute the derivative here gets nan figures and its reason in ``note``; if no
    method can, the first one's error is raised (there is nothing to compare).
    """
    c = comparison(f, point, methods, **numeric)
    if c.unmeasured:
        raise next(r.error for r in c.rows if r.error is not None)  # no method has a derivative here
    return c.frame()


#: The smallest normal float. A reference below it (a subnormal) is itself known only to about 5e-324,
#: so no float can be closer to it than that, relatively: the relative error is measured against this.
TINY = float(np.finfo(np.float64).tiny)


def max_relative_error(J: np.ndarray, ref: np.ndarray) -> float:
    """max |J - ref| / max(|ref|, TINY) over the entries: 0 where both are 0, inf where only the reference is 0.

    (Dividing by a tiny number instead of 0 would turn an error of 1e-13 against an exact 0
    into a meaningless 1e+295; a subnormal reference such as atan' at 1e160, 1e-320, is met by the
    float 0 to within 5e-13 of the normal range.) nan if some entry or its reference is nan.
    """
    if not ref.size:
        return 0.0
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        err = np.abs(J - ref)
        rel = np.where(ref == 0, np.where(err == 0, 0.0, np.inf), err / np.maximum(np.abs(ref), TINY))
    return float(np.max(rel))


__all__ = ["max_relative_error", "compare", "comparison", "Comparison", "MethodRow", "run_all", "reference_jacobian",
           "high_precision", "CONSTANTS"]

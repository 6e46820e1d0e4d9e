"""Derivative sizes and higher derivatives: the numbers behind the symbolic and numeric pages.

Expression swell: a symbolic derivative written out as a tree can grow exponentially with the
depth of the function (the logistic map l_n), while the same derivative with equal
subexpressions shared (a Wengert list) grows linearly. ``swell_table`` measures both for the
families in :mod:`diffzoo.families`.

The error model of numeric differentiation needs |f|, |f'|, |f''|, |f'''| and |f^(5)| along one
input; ``bounds_at`` gets them exactly by nesting forward-mode dual numbers five deep (each
level doubles the work, so 32 evaluations of the list), never by differencing. Each scheme's
best step is read off its measured errors by a robust fit of the V they make against the step
(``fitted_best_steps``), not by their least value, which is often a lucky exact cancellation.
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
from .numeric import Bounds, error_sweep
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


# --- the best step, fitted to the measured errors ---------------------------------------------------

#: The order p of each scheme's truncation error (∝ h^p); all but the complex step also have a
#: rounding error ∝ 1/h (f(x+h) - f(x) cancels), the complex step none (it subtracts nothing).
ORDERS = {"forward": 1, "backward": 1, "central": 2, "complex": 2, "richardson": 4}
#: Fewer usable steps than this (finite, not 0, within half the derivative) are not fitted.
MIN_FIT_POINTS = 6
_GRID = 0.02  # the candidate bottoms of the V, in decades of h


def _v_shape(t: np.ndarray, p: int, rounding: bool) -> np.ndarray:
    """log10 of the error model A h^p + C/h (or A h^p + B), scaled to 1 at its bottom h* (or corner), t = h/h*.

    With a rounding branch the model is least at h*, where C = p A h*^(p+1), and is (1+p) A h*^p there;
    without one (the complex step) h* is the corner where the truncation error reaches the floor B.
    """
    with np.errstate(over="ignore", divide="ignore"):
        return np.log10((t**p + p / t) / (1 + p)) if rounding else np.log10((1 + t**p) / 2)


def fit_best_step(h: Sequence[float], err: Sequence[float], scheme: str,
                  reference: float) -> tuple[float, float, str]:
    """The bottom of the V fitted to the errors ``err`` measured at steps ``h``: (step, typical error, how).

    The fit is in log space by least absolute deviations, so that a few wild or lucky points do not
    move it: for each candidate bottom h* on a grid of 1/50 decade, the level is the median of
    log10(err) minus the V's shape (truncation ∝ h^p, rounding ∝ 1/h), and the h* with the least
    total deviation wins. Left out: errors that are not finite or above half the derivative (f(x+h)
    rounds to f(x), or truncation has taken over: no information), and errors of exactly 0 (lucky
    cancellations). ``how`` is "fit"; "edge" when the fitted bottom lies beyond the steps measured (the
    error is still falling there, and the step is the last usable one); "exact" when almost every
    step gave exactly 0; "too few" below :data:`MIN_FIT_POINTS` usable steps.
    """
    p, rounding = ORDERS[scheme], scheme != "complex"
    h = np.asarray(h, dtype=float)
    err = np.asarray(err, dtype=float)
    usable = np.isfinite(err) & (h > 0)
    if reference != 0 and np.isfinite(reference):
        usable &= err <= 0.5 * abs(reference)
    h, err = h[usable], err[usable]
    nonzero = err > 0
    if nonzero.sum() < MIN_FIT_POINTS:
        return (math.nan, 0.0, "exact") if len(err) >= MIN_FIT_POINTS else (math.nan, math.nan, "too few")
    lh, y = np.log10(h[nonzero]), np.log10(err[nonzero])
    cands = np.arange(lh.min() - 2, lh.max() + 2, _GRID)
    r = y[None, :] - _v_shape(10.0 ** (lh[None, :] - cands[:, None]), p, rounding)
    level = np.median(r, axis=1)
    k = int(np.argmin(np.abs(r - level[:, None]).sum(axis=1)))
    h_star = float(10.0 ** cands[k])
    best = float(np.clip(h_star, h[nonzero].min(), h[nonzero].max()))
    typical = float(10.0 ** (level[k] + _v_shape(np.array(best / h_star), p, rounding)))
    return best, typical, "fit" if best == h_star else "edge"


def fitted_best_steps(sweep: pd.DataFrame, reference: float) -> pd.DataFrame:
    """Each scheme's best step from a robust fit of its error curve (:func:`fit_best_step`).

    Columns: scheme, eps (the step; NaN where there is none), fit_error (the typical error at that
    step, read off the fitted V), how.
    """
    rows = []
    for scheme, g in sweep.groupby("scheme", sort=False):
        eps, fit_error, how = fit_best_step(g["eps"], g["error"], str(scheme), reference)
        rows.append({"scheme": scheme, "eps": eps, "fit_error": fit_error, "how": how})
    return pd.DataFrame(rows, columns=["scheme", "eps", "fit_error", "how"])


def best_steps(function: Function, point: Sequence[float], reference: float, sweep: pd.DataFrame, i: int = 0,
               output: int = 0, dtype: Any = np.float64) -> pd.DataFrame:
    """Each scheme's fitted best step (:func:`fitted_best_steps`) and what the scheme gives at exactly that step.

    Columns: scheme, eps, fit_error, how, and estimate, error, rel_error measured at eps (NaN where
    there is no step).
    """
    best = fitted_best_steps(sweep, reference)
    measured = []
    for _, r in best.iterrows():
        row = {"estimate": math.nan, "error": math.nan, "rel_error": math.nan}
        if np.isfinite(r["eps"]):
            m = error_sweep(function.wengert, point, reference, i, output, eps=[r["eps"]], schemes=[r["scheme"]],
                            dtype=dtype).iloc[0]
            row = {"estimate": float(m["estimate"]), "error": float(m["error"]), "rel_error": float(m["rel_error"])}
        measured.append(row)
    return pd.concat([best, pd.DataFrame(measured, index=best.index, columns=["estimate", "error", "rel_error"])],
                     axis=1)


__all__ = ["fit_best_step", "fitted_best_steps", "best_steps", "ORDERS", "model_best_steps", "swell_table",
           "swell_row", "logistic_expr", "family_function", "expression_sizes", "derivatives_along", "bounds_at",
           "MAX_N"]

"""The best step of each finite-difference scheme: from the error model, and fitted to measured errors.

The model (truncation ∝ h^p, rounding ∝ 1/h, with the exact higher derivatives of ``higher.bounds_at``)
is least at the step :func:`model_best_steps` reads off. The measured errors of a step sweep make a V
against the step; :func:`fitted_best_steps` finds its bottom by a robust fit of that V, not by the
least measured error, which is often a lucky exact cancellation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .numeric import error_sweep
from .parse import Function


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
    step gave exactly 0; "flat" when the errors stay within a factor of 10 at every step (no V: f has a
    kink or a jump, or its differences are exact up to a constant); "too few" below
    :data:`MIN_FIT_POINTS` usable steps.
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
    if y.max() - y.min() < 1:  # within a factor of 10 at every step: no V (a kink, a jump), nothing to fit
        return math.nan, float(np.median(err[nonzero])), "flat"
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


__all__ = ["model_best_steps", "fit_best_step", "fitted_best_steps", "best_steps", "ORDERS", "MIN_FIT_POINTS"]

"""Numeric differentiation: estimate derivatives from function values at nearby points.

Each scheme trades truncation error (too large a step h) against rounding error (too small a
step: f(x+h) - f(x) cancels). Forward and backward differences are first order, central and
complex-step second order, Richardson extrapolation of central differences fourth order; the
complex step has no cancellation at all. ``error_sweep`` evaluates every scheme over many
steps at once (numpy arrays through the Wengert list) for the error-vs-epsilon plot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import EvaluationError
from .wengert import WengertList

SCHEMES = ("forward", "backward", "central", "complex", "richardson")

_EPS64 = float(np.finfo(np.float64).eps)
#: Default relative steps: near the optimum of each scheme's error for a smooth function of size 1.
DEFAULT_EPS = {"forward": math.sqrt(_EPS64), "backward": math.sqrt(_EPS64), "central": _EPS64 ** (1 / 3),
               "complex": 1e-20, "richardson": _EPS64 ** (1 / 5)}


def step(x: float, eps: float, relative: bool = True) -> float:
    """The step for input value ``x``; made exactly representable, (x + h) - x == h.

    A relative step scales with |x| but not below 0.1 (statsmodels' convention), so that it
    stays sensible at and near 0.
    """
    h = eps * max(0.1, abs(x)) if relative else eps
    return (x + h) - x if (x + h) != x else h


def _outputs(wl: WengertList, point: Sequence[Any]) -> np.ndarray:
    return np.asarray(wl.output_values(wl.evaluate(point)))


def estimate(wl: WengertList, point: Sequence[float], i: int, scheme: str, eps: float | None = None,
             relative: bool = True, f0: np.ndarray | None = None) -> tuple[np.ndarray, int, float]:
    """∂f/∂x_i by ``scheme``: (estimate for every output, function evaluations used, the step h)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    eps = DEFAULT_EPS[scheme] if eps is None else float(eps)
    if not eps > 0:
        raise ValueError("the step eps must be positive")
    x = list(map(float, point))
    if scheme != "complex":
        h = step(x[i], eps, relative)
    else:
        # x + ih needs no representable difference (there is no cancellation), so the complex step
        # never grows with |x|: scaled by |x| it would be 1 at x = 1e20 (a 17% error for sin).
        h = eps * min(1.0, max(0.1, abs(x[i]))) if relative else eps

    def at(dx: Any) -> np.ndarray:
        p: list[Any] = list(x)
        p[i] = x[i] + dx
        try:
            return _outputs(wl, p)
        except EvaluationError as exc:  # say that it is the stencil, not the point, that has no value
            sign = "+" if dx > 0 else "-"
            shown = "h" if abs(dx) == h else "h/2"
            what = "Richardson extrapolation needs" if scheme == "richardson" else f"{scheme} differences need"
            raise EvaluationError(f"{what} f at {wl.inputs[i]} {sign} {shown} = {p[i]:.10g} "
                                  f"(h = {h:.3g}), where {exc.message}", exc.step) from None

    if scheme == "forward":
        base = _outputs(wl, x) if f0 is None else f0
        return (at(h) - base) / h, 1 + (f0 is None), h
    if scheme == "backward":
        base = _outputs(wl, x) if f0 is None else f0
        return (base - at(-h)) / h, 1 + (f0 is None), h
    if scheme == "central":
        return (at(h) - at(-h)) / (2 * h), 2, h
    if scheme == "complex":
        p: list[Any] = [np.complex128(v) for v in x]
        p[i] = np.complex128(complex(x[i], h))
        return np.imag(np.asarray(wl.output_values(wl.evaluate(p)), dtype=complex)) / h, 1, h
    d1 = (at(h) - at(-h)) / (2 * h)
    h2 = step(x[i], h / 2, relative=False)  # the half step made representable too
    d2 = (at(h2) - at(-h2)) / (2 * h2)
    return (4 * d2 - d1) / 3, 4, h


def jacobian(wl: WengertList, point: Sequence[float], scheme: str = "central", eps: float | None = None,
             relative: bool = True, f0: Sequence[float] | None = None) -> tuple[np.ndarray, int, list[float]]:
    """The m x n Jacobian column by column: (J, function evaluations, the step used per input).

    ``f0``, the outputs at ``point`` if the caller has them, saves forward and backward differences
    their evaluation at the point (then n evaluations, not n + 1, are counted and made).
    """
    J = np.zeros((wl.m, wl.n))
    evals, steps = 0, []
    if scheme in ("forward", "backward"):
        if f0 is None:
            f0 = _outputs(wl, point)
            evals += 1
        else:
            f0 = np.asarray(f0, dtype=float)
    else:
        f0 = None
    for i in range(wl.n):
        col, k, h = estimate(wl, point, i, scheme, eps, relative, f0)
        J[:, i] = col
        evals += k
        steps.append(h)
    return J, evals, steps


# --- the error-vs-epsilon sweep ------------------------------------------------------------------


@dataclass(frozen=True)
class Bounds:
    """The derivatives that set the error model along one direction, at one point."""

    f: float  # |f|
    d1: float  # |f'|
    d2: float  # |f''|
    d3: float  # |f'''|
    d5: float  # |f^(5)|


def error_model(scheme: str, h: np.ndarray, b: Bounds, unit: float) -> tuple[np.ndarray, np.ndarray]:
    """(truncation bound, rounding bound) of ``scheme`` at steps ``h`` with unit roundoff ``unit``."""
    if scheme in ("forward", "backward"):
        return b.d2 * h / 2, 2 * unit * b.f / h
    if scheme == "central":
        return b.d3 * h**2 / 6, unit * b.f / h
    if scheme == "complex":
        return b.d3 * h**2 / 6, unit * b.d1 + 0 * h
    return b.d5 * h**4 / 480, 3 * unit * b.f / h


def sweep_estimates(wl: WengertList, point: Sequence[float], i: int, output: int, scheme: str,
                    hs: np.ndarray, dtype: Any = np.float64) -> np.ndarray:
    """Estimates of ∂f_output/∂x_i for many steps ``hs`` at once (one vectorised call per stencil point)."""
    x = np.asarray(point, dtype=np.float64)
    real = np.dtype(dtype)

    def at(dx: Any, complex_step: bool = False) -> np.ndarray:
        p: list[Any] = []
        for j, v in enumerate(x):
            base = np.full(hs.shape, v, dtype=real)
            if complex_step:
                base = base.astype(np.complex64 if real == np.float32 else np.complex128)
            p.append(base + dx if j == i else base)
        out = wl.output_values(wl.evaluate(p))[output]
        return np.broadcast_to(np.asarray(out), hs.shape)

    with np.errstate(all="ignore"):
        xi = real.type(x[i])
        h = hs.astype(real) if scheme == "complex" else (xi + hs.astype(real)) - xi  # representable steps
        h = np.where(h == 0, hs.astype(real), h)
        if scheme == "forward":
            return (at(h) - at(0 * h)) / h
        if scheme == "backward":
            return (at(0 * h) - at(-h)) / h
        if scheme == "central":
            return (at(h) - at(-h)) / (2 * h)
        if scheme == "complex":
            return np.imag(at(1j * h, complex_step=True)) / h
        d1 = (at(h) - at(-h)) / (2 * h)
        h2 = (xi + h / 2) - xi  # the half step made representable too
        h2 = np.where(h2 == 0, h / 2, h2)
        d2 = (at(h2) - at(-h2)) / (2 * h2)
        return (4 * d2 - d1) / 3


def error_sweep(wl: WengertList, point: Sequence[float], reference: float, i: int = 0, output: int = 0,
                eps: Sequence[float] | np.ndarray | None = None, schemes: Sequence[str] = SCHEMES,
                dtype: Any = np.float64, bounds: Bounds | None = None) -> pd.DataFrame:
    """Every scheme at every step: (scheme, eps, estimate, error, rel_error, truncation, rounding).

    ``reference`` is the exact derivative (from AD). Steps are absolute: the plot's x axis is h.
    """
    hs = np.logspace(-16, 0, 129) if eps is None else np.asarray(eps, dtype=float)
    unit = float(np.finfo(dtype).eps) / 2
    frames = []
    for scheme in schemes:
        est = sweep_estimates(wl, point, i, output, scheme, hs, dtype).astype(float)
        err = np.abs(est - reference)
        # Against an exact 0 no finite relative error exists (the absolute one is in "error").
        rel = err / abs(reference) if reference != 0 else np.where(err == 0, 0.0, np.inf)
        trunc, rnd = error_model(scheme, hs, bounds, unit) if bounds else (np.nan * hs, np.nan * hs)
        frames.append(pd.DataFrame({"scheme": scheme, "eps": hs, "estimate": est, "error": err,
                                    "rel_error": rel, "truncation": trunc, "rounding": rnd}))
    return pd.concat(frames, ignore_index=True)


def best_steps(sweep: pd.DataFrame) -> pd.DataFrame:
    """For each scheme, the step where the error is smallest in a sweep.

    The error is smoothed (a running median over 5 neighbouring steps) before taking the minimum,
    so a lucky exact result at one step (error 0 by cancellation) is not called the best step.
    """
    rows = []
    for _, g in sweep[np.isfinite(sweep["error"])].groupby("scheme", sort=False):
        g = g.sort_values("eps")
        smooth = g["error"].rolling(5, center=True, min_periods=1).median()
        rows.append(g.loc[smooth.idxmin(), ["scheme", "eps", "estimate", "error", "rel_error"]])
    return pd.DataFrame(rows).reset_index(drop=True)

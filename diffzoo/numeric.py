"""Numeric differentiation: estimate derivatives from function values at nearby points.

Each scheme trades truncation error (too large a step h) against rounding error (too small a
step: f(x+h) - f(x) cancels). Forward and backward differences are first order, central and
complex-step second order, Richardson extrapolation of central differences fourth order; the
complex step has no cancellation at all. The default step of forward, backward and central
differences is chosen for the function at the point (``choose_step``): a pilot difference
estimates the curvature that sets the truncation error, the rounding noise of f is carried along
the Wengert list, and the step balances the two. ``error_sweep`` evaluates every scheme over many
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
from .primitives import FloatBackend
from .wengert import WengertList

SCHEMES = ("forward", "backward", "central", "complex", "richardson")

_EPS64 = float(np.finfo(np.float64).eps)
_MAX = float(np.finfo(np.float64).max)
#: Textbook relative steps, the optimum of each scheme's error for a function whose value and
#: derivatives are all of size 1: what a fixed step means (``timing`` uses them), and the default
#: of the complex step and of Richardson extrapolation. The other schemes choose their own step.
TEXTBOOK_EPS = {"forward": math.sqrt(_EPS64), "backward": math.sqrt(_EPS64), "central": _EPS64 ** (1 / 3),
                "complex": 1e-20, "richardson": _EPS64 ** (1 / 5)}
#: Schemes whose default step is chosen for the function at the point by :func:`choose_step`.
CHOSEN = ("forward", "backward", "central")


def step(x: float, eps: float, relative: bool = True) -> float:
    """The step for input value ``x``; made exactly representable, (x + h) - x == h.

    A relative step scales with |x| but not below 0.1 (statsmodels' convention), so that it
    stays sensible at and near 0.
    """
    h = eps * max(0.1, abs(x)) if relative else eps
    y = x + h
    return y - x if y != x and math.isfinite(y) else h


def _outputs(wl: WengertList, point: Sequence[Any]) -> np.ndarray:
    return np.asarray(wl.output_values(wl.evaluate(point)))


def _at_point(wl: WengertList, x: Sequence[float],
              vals: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """f at the point and its rounding noise: one evaluation (none if the primal trace ``vals`` is given)."""
    vals = wl.evaluate(list(x)) if vals is None else vals
    return np.asarray(wl.output_values(vals), dtype=float), rounding_noise(wl, vals)


def estimate(wl: WengertList, point: Sequence[float], i: int, scheme: str, eps: float | None = None,
             relative: bool = True, f0: np.ndarray | None = None,
             noise: np.ndarray | None = None) -> tuple[np.ndarray, int, float]:
    """∂f/∂x_i by ``scheme``: (estimate for every output, function evaluations used, the step h).

    Without ``eps``, forward, backward and central differences choose their step with
    :func:`choose_step` (its pilot evaluations are counted); ``noise``, the outputs' rounding
    noise at the point (:func:`rounding_noise`), saves it an evaluation.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    x = list(map(float, point))
    pilot_evals = 0
    if eps is None and scheme in CHOSEN:
        if noise is None or f0 is None:
            (f0, noise), pilot_evals = _at_point(wl, x), 1
        choice = choose_step(wl, x, i, scheme, f0=f0, noise=noise)
        eps, relative, pilot_evals = choice.h, False, pilot_evals + choice.evals
    eps = TEXTBOOK_EPS[scheme] if eps is None else float(eps)
    if not eps > 0:
        raise ValueError("the step eps must be positive")
    if scheme != "complex":
        h = step(x[i], eps, relative)
        smallest = h / 2 if scheme == "richardson" else h
        if x[i] + smallest == x[i] or x[i] - smallest == x[i]:
            name = wl.inputs[i]
            raise EvaluationError(f"the step h = {smallest:.3g} is below the spacing of floats at {name} = "
                                  f"{x[i]:.10g} ({math.ulp(x[i]):.3g}): {name} ± h rounds to {name}, so f cannot "
                                  "change; use a larger step, or the default one", f"{name} = {x[i]:.10g}")
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
        return (at(h) - base) / h, 1 + (f0 is None) + pilot_evals, h
    if scheme == "backward":
        base = _outputs(wl, x) if f0 is None else f0
        return (base - at(-h)) / h, 1 + (f0 is None) + pilot_evals, h
    if scheme == "central":
        return (at(h) - at(-h)) / (2 * h), 2 + pilot_evals, h
    if scheme == "complex":
        p: list[Any] = [np.complex128(v) for v in x]
        p[i] = np.complex128(complex(x[i], h))
        return np.imag(np.asarray(wl.output_values(wl.evaluate(p)), dtype=complex)) / h, 1, h
    d1 = (at(h) - at(-h)) / (2 * h)
    h2 = step(x[i], h / 2, relative=False)  # the half step made representable too
    d2 = (at(h2) - at(-h2)) / (2 * h2)
    return (4 * d2 - d1) / 3, 4, h


def jacobian(wl: WengertList, point: Sequence[float], scheme: str = "central", eps: float | None = None,
             relative: bool = True, f0: Sequence[float] | None = None, vals: Sequence[float] | None = None
             ) -> tuple[np.ndarray, int, list[float], list[StepChoice | None]]:
    """The m x n Jacobian column by column: (J, function evaluations, step per input, how each was chosen).

    ``f0``, the outputs at ``point`` if the caller has them, saves forward and backward differences
    their evaluation at the point (then n evaluations, not n + 1, are counted and made); ``vals``,
    the whole primal trace there, likewise saves a chosen step the evaluation its noise needs.
    The choices are ``None`` for a step given by ``eps`` and for schemes whose step is fixed.
    """
    J = np.zeros((wl.m, wl.n))
    evals, steps, choices = 0, [], []
    x = list(map(float, point))
    noise = None
    if eps is None and scheme in CHOSEN:
        f0, noise = _at_point(wl, x, vals)
        evals += vals is None
    if f0 is None and scheme in ("forward", "backward"):
        f0 = _outputs(wl, x)
        evals += 1
    f0 = np.asarray(f0, dtype=float) if f0 is not None else None
    for i in range(wl.n):
        choice = choose_step(wl, x, i, scheme, f0, noise) if noise is not None else None
        if choice is None:
            col, k, h = estimate(wl, x, i, scheme, eps, relative, f0)
        else:
            col, k, h = estimate(wl, x, i, scheme, choice.h, False, f0)
            k += choice.evals
        J[:, i] = col
        evals += k
        steps.append(h)
        choices.append(choice)
    return J, evals, steps, choices


# --- choosing the step -----------------------------------------------------------------------------

#: The pilot step H is kept a few times the step h it predicts, so that the pilot difference's own
#: rounding error is 0.1% to 10% of it (the window of Gill, Murray, Saunders & Wright, 1983):
#: (lowest, aimed-at, highest) h / H. Forward and backward differences estimate |f''| from a second
#: difference, whose rounding share is (h/H)^2; central differences |f'''| from a third, (h/H)^3.
_WINDOW = {"forward": (0.03, 0.1, 0.3), "backward": (0.03, 0.1, 0.3), "central": (0.1, 0.2, 0.46)}
#: At most this many pilot stencils: 2 evaluations each (forward, backward) or 4 (central).
MAX_PILOTS = 8
#: The mean size of one rounding, relative to |v|: a correctly rounded result is off by at most half an
#: ulp, a quarter on average, and one ulp of v is at most eps |v|.
ROUNDING = _EPS64 / 4


@dataclass(frozen=True)
class StepChoice:
    """A step chosen for one input at one point, and the evidence it was chosen on."""

    scheme: str
    h: float  # the step
    noise: float  # the rounding noise of f assumed (for the output that sets the step)
    curvature: float  # |f''| (forward, backward) or |f'''| (central) from the last pilot difference
    pilots: tuple[float, ...]  # the pilot steps H tried, in order
    evals: int  # function evaluations the pilots made
    settled: bool  # the last pilot was in its window (else: f is flat up to the cap, or the best guess left)


def rounding_noise(wl: WengertList, vals: Sequence[float]) -> np.ndarray:
    """The typical rounding error of each output, from the primal trace ``vals``.

    Every active step rounds its result (:data:`ROUNDING` times |v_k|) and carries its arguments'
    noise times |∂v_k/∂v_j| from the primitive table. Taking the largest term rather than the sum
    gives a typical size, not a worst-case bound. ``exp(x) - 1`` near 0 gets the noise of exp(x)
    (about 1), not of its tiny result: that is what cancels when f(x + h) - f(x) is formed.
    """
    off = wl.n - 1
    noise = [0.0] * wl.n  # the inputs are exact
    for st in wl.steps:
        if not st.active:
            noise.append(0.0)  # a constant's rounding is the same at x and x + h: it cancels
            continue
        out = float(vals[st.index + off])
        args = [float(vals[a + off]) if isinstance(a, int) else a.value for a in st.args]
        carried = 0.0
        for j, a in enumerate(st.args):
            if isinstance(a, int) and noise[a + off] > 0:
                try:
                    d = abs(float(st.prim.partials[j](FloatBackend, out, *args)))
                except (ValueError, ArithmeticError):
                    continue  # no partial (a kink): the floor in choose_step still applies
                if math.isfinite(d):
                    carried = max(carried, d * noise[a + off])
        noise.append(max(ROUNDING * abs(out), carried))
    return np.array([noise[o + off] if isinstance(o, int) else 0.0 for o in wl.outputs])


def choose_step(wl: WengertList, point: Sequence[float], i: int, scheme: str, f0: Sequence[float] | None = None,
                noise: Sequence[float] | None = None) -> StepChoice:
    """The step for ``scheme`` in input ``i`` at ``point`` that balances truncation and rounding.

    The error model is |f''| h / 2 + 2 ε_f / h for forward and backward differences (best at
    h = 2 √(ε_f / |f''|)) and |f'''| h² / 6 + ε_f / h for central ones (best at
    h = (3 ε_f / |f'''|)^(1/3)), with ε_f the typical rounding error of f (:func:`rounding_noise`,
    and never below a quarter ulp of the values seen). The curvature comes from a pilot difference
    at a step H kept a few times h: when h / H leaves its window, H moves to the h it predicted
    and the pilot is repeated. The differences are taken on the stencil's values scaled to 1, so
    that neither huge nor subnormal values of f overflow or underflow them.

    The step never exceeds a tenth of max(|x_i|, 1) (nor lets x_i ± 2H overflow), and a stencil
    that leaves f's domain lowers that cap tenfold for good. When no curvature shows up to the cap,
    f is locally a polynomial of low degree and the cap is the step. When the pilots never settle
    (f and its noise both vanishing at the point, as x - sin x at 0), the step is the one whose own
    pilot predicts the least error.
    """
    if scheme not in _WINDOW:
        raise ValueError(f"only {', '.join(CHOSEN)} differences choose their step; {scheme!r} has a fixed one")
    x = list(map(float, point))
    xi, evals = x[i], 0
    if noise is None or f0 is None:
        (f0, noise), evals = _at_point(wl, x), 1
    base = np.abs(np.asarray(noise, dtype=float))
    y0 = np.asarray(f0, dtype=float)
    lo, aim, hi = _WINDOW[scheme]
    cap = min(0.1 * max(abs(xi), 1.0), (_MAX - abs(xi)) / 4)
    # The first pilot: where h / H would be aimed at for a function whose size and derivatives are 1.
    want = min(cap, TEXTBOOK_EPS[scheme] / aim * max(abs(xi), 1.0))
    pilots: list[float] = []
    seen: list[tuple[float, float, float, float]] = []  # (predicted error, h, curvature, noise) per pilot
    ending = "unsettled"

    def at(t: float) -> np.ndarray:
        p = list(x)
        p[i] = xi + t
        return _outputs(wl, p)

    for _ in range(MAX_PILOTS):
        H = step(xi, want, relative=False)
        pilots.append(H)
        offsets = {"central": (2 * H, H, -H, -2 * H), "forward": (H, 2 * H), "backward": (-H, -2 * H)}[scheme]
        ys = []
        try:
            for t in offsets:
                evals += 1
                ys.append(at(t))
        except EvaluationError:
            ys = []
        if not ys or not all(np.isfinite(y).all() for y in ys):
            cap = want = H / 10  # the stencil left f's domain: stay inside it from now on
            continue
        scale = np.max(np.abs(np.vstack([y0, *ys])), axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        u = [y / scale for y in ys]
        rel_noise = np.maximum(base / scale, np.maximum(ROUNDING, np.spacing(scale) / scale / 4))  # no underflow
        with np.errstate(all="ignore"):
            if scheme == "central":
                diff = np.abs(u[0] - 2 * u[1] + 2 * u[2] - u[3])
                ratio = np.where(diff > 0, np.cbrt(6 * rel_noise / diff), math.inf)  # h / H
                curvature = diff * (scale / (2 * H * H * H))
            else:
                diff = np.abs(u[1] - 2 * u[0] + y0 / scale)
                ratio = np.where(diff > 0, 2 * np.sqrt(rel_noise / diff), math.inf)
                curvature = diff * (scale / (H * H))
        k = int(np.argmin(ratio))
        r, h = float(ratio[k]), float(ratio[k]) * H
        eps_f, curv = float(rel_noise[k] * scale[k]), float(curvature[k])
        if math.isfinite(r):  # the error this pilot predicts at its h, in an order that cannot underflow
            rounding = float(rel_noise[k]) * (float(scale[k]) / h) * (1 if scheme == "central" else 2)
            seen.append((curv * h * (h / 6 if scheme == "central" else 0.5) + rounding, h, curv, eps_f))
        if lo <= r <= hi:
            ending = "settled"
            break
        if want >= cap and r > hi:
            ending = "flat"  # no curvature shows above the noise up to the cap: the largest step is the best
            break
        want = min(h / aim, cap)
    if ending == "settled":
        h, curv, eps_f = seen[-1][1:]
    elif ending == "flat" or not seen:
        # flat: the cap; nothing usable (every stencil left the domain): the narrowest, for the message
        h, curv, eps_f = (cap, *seen[-1][2:]) if seen else (pilots[-1], 0.0, float(base.max(initial=0.0)))
    else:
        h, curv, eps_f = min(seen)[1:]
    h = max(min(h, cap), 2 * math.ulp(xi))  # and x ± h must differ from x
    return StepChoice(scheme, step(xi, h, relative=False), eps_f, curv, tuple(pilots), evals, ending == "settled")


def default_steps(wl: WengertList, point: Sequence[float], reference: float, i: int = 0,
                  output: int = 0) -> pd.DataFrame:
    """Each chosen-step scheme at its default step, against the exact ``reference`` derivative.

    Columns: scheme, eps (the step), estimate, error, rel_error, pilots, evals (f at the point, the
    pilots and the estimate), curvature (the pilot's |f''| or |f'''|), noise (ε_f), settled and
    message (why a scheme has no estimate here: its stencil leaves f's domain).
    """
    f0, noise = _at_point(wl, list(map(float, point)))
    rows = []
    for scheme in CHOSEN:
        row: dict[str, Any] = {"scheme": scheme}
        try:
            c = choose_step(wl, point, i, scheme, f0, noise)
            est, k, h = estimate(wl, point, i, scheme, c.h, relative=False, f0=f0)
        except EvaluationError as exc:
            rows.append(row | {"eps": math.nan, "error": math.nan, "message": exc.message})
            continue
        value = float(est[output])
        err = abs(value - reference)
        rows.append(row | {"eps": h, "estimate": value, "error": err,
                           "rel_error": err / abs(reference) if reference else (0.0 if err == 0 else math.inf),
                           "pilots": len(c.pilots), "evals": 1 + c.evals + k,
                           "curvature": c.curvature, "noise": c.noise, "settled": c.settled, "message": ""})
    return pd.DataFrame(rows)


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

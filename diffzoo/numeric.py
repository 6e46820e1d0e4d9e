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

from .caveats import ROUNDING, cancellation, rounding_noise
from .errors import EvaluationError, LimitError
from .program import path_difference
from .wengert import WengertList, vname

SCHEMES = ("forward", "backward", "central", "complex", "richardson")

_EPS64 = float(np.finfo(np.float64).eps)
_MAX = float(np.finfo(np.float64).max)
_SMALLEST = 2.0**-1074  # the smallest subnormal float
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
    path, vals = path_at(wl, point)
    return np.asarray(path.output_values(vals))


def path_at(wl: WengertList, point: Sequence[Any]) -> tuple[WengertList, list[Any]]:
    """The list that computes f at ``point`` and its values there: ``wl`` itself, or for a program's traced
    path (``wl.program``) the path traced again at the point, which may take other branches than ``wl``'s."""
    if wl.program is None or not all(isinstance(v, float | int) for v in point):
        return wl, wl.evaluate(point)
    path = wl.program.trace(point)
    return path, path.__dict__["_traced"][1]


def path_change(wl: WengertList, path: WengertList) -> str | None:
    """How the path of ``path`` differs from ``wl``'s (a guard flips, a loop runs a different number of times)."""
    if path is wl or wl.program is None:
        return None
    return path_difference(wl, path)


def _at_point(wl: WengertList, x: Sequence[float],
              vals: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """f at the point and its rounding noise: one evaluation (none if the primal trace ``vals`` is given)."""
    vals = wl.evaluate(list(x)) if vals is None else vals
    return np.asarray(wl.output_values(vals), dtype=float), rounding_noise(wl, vals)


@dataclass(frozen=True)
class Estimate:
    """One column of the Jacobian by one scheme, and how far to trust it."""

    value: np.ndarray  # ∂f_j/∂x_i for every output j
    evals: int  # evaluations of f made for it (pilots and checks included)
    h: float  # the step used
    choice: StepChoice | None = None  # how a default step was chosen (forward, backward, central)
    trusted: bool = True  # the estimate at h/2 (or 2h) agreed within the error model, or the step was given
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Estimates:
    """Every column: the Jacobian, the evaluations of f they made, and each column's estimate."""

    J: np.ndarray
    evals: int
    columns: list[Estimate]


#: A default step is trusted when its estimate and the one at half the step differ by at most this
#: many times the rounding error predicted for them: far more than rounding's spread, far less than
#: what a stencil across a pole, a jump or a kink gives (orders of magnitude more).
TRUST = 100.0
#: Where truncation shows in the check of a default step, the error it implies must be below this
#: fraction of the estimate, or a smaller step is tried.
ACCURATE = 1e-6
#: At most this many steps are tried (each a pilot search and a check) before an estimate is called untrusted.
MAX_ROUNDS = 8


class _Stencil:
    """f along input i near the point: values at x + dx, the evaluations made, and the kinks crossed.

    Every point of a stencil is checked for the path it takes: if a piecewise step (abs, sign) is on
    another piece than at x, the estimate straddles a kink, and a sentence says so.
    """

    def __init__(self, wl: WengertList, x: list[float], i: int, scheme: str, base: tuple | None = None,
                 precise: bool = True):
        self.wl, self.x, self.i, self.scheme, self.precise = wl, x, i, scheme, precise
        self.evals = 0
        self.base = base if base is not None else (wl.pieces(wl.evaluate(x)) if wl.kink_steps else ())
        self.crossed: dict[Any, str] = {}
        self.noise = np.zeros(wl.m)  # the largest rounding noise of f at the points of the last difference
        self.cache: dict[float, tuple[np.ndarray, np.ndarray]] = {}  # x_i + dx -> (f, its noise)
        self.vals: dict[float, list[float]] = {}  # x_i + dx -> the primal values (when noise is not precise)

    def at(self, dx: float, shown: str) -> np.ndarray:
        if dx in self.cache:
            y, noise = self.cache[dx]
            self.noise = np.maximum(self.noise, noise)
            return y
        p: list[Any] = list(self.x)
        p[self.i] = self.x[self.i] + dx
        name = self.wl.inputs[self.i]
        try:
            path, vals = path_at(self.wl, p)
        except EvaluationError as exc:  # say that it is the stencil, not the point, that has no value
            what = ("Richardson extrapolation needs" if self.scheme == "richardson"
                    else f"{self.scheme} differences need")
            sign = "+" if dx > 0 else "-"
            raise EvaluationError(f"{what} f at {name} {sign} {shown} = {p[self.i]:.10g} ({shown} = {abs(dx):.3g}), "
                                  f"where {exc.message}", exc.step) from None
        self.evals += 1
        y = np.asarray(path.output_values(vals), dtype=float)
        # at least a quarter ulp of f, and at least the smallest float (a quarter ulp of a subnormal is 0)
        noise = np.maximum(np.spacing(np.abs(y)) / 4, _SMALLEST)
        if self.precise:
            noise = np.maximum(rounding_noise(path, vals, accumulate=True), noise)
        else:
            self.vals[dx] = (path, vals)
        self.noise = np.maximum(self.noise, noise)
        self.cache[dx] = (y, noise)
        change = path_change(self.wl, path)
        if change is not None and "path" not in self.crossed:
            sign = "+" if dx > 0 else "-"
            self.crossed["path"] = (f"{name} {sign} h = {p[self.i]:.6g} {change}, unlike {name} = "
                                    f"{self.x[self.i]:.6g}: "
                                    "this estimate straddles a kink (or a jump) and mixes the paths on both sides")
        if self.base and (path is self.wl or len(path.kink_steps) == len(self.base)):
            for k, (a, b) in enumerate(zip(self.base, path.pieces(vals))):
                if a != b and k not in self.crossed:
                    st = self.wl.kink_steps[k]
                    sign = "+" if dx > 0 else "-"
                    self.crossed[k] = (f"{name} {sign} h = {p[self.i]:.6g} is on another side of the kink at "
                                       f"{vname(st.index)} = {self.wl.definition(st)} ({st.prim.kink_text}) than "
                                       f"{name} = {self.x[self.i]:.6g}: this estimate straddles the kink, and mixes "
                                       "the slopes on both sides")
        return y

    def difference(self, scheme: str, h: float, f0: np.ndarray, noise0: np.ndarray) -> np.ndarray:
        """The scheme's formula at step h (made representable by the caller); ``self.noise`` is then the
        rounding noise of f at the points it used (``noise0``, at x, for forward and backward differences):
        across a pole, that at x can be far larger than at x ± h."""
        self.noise = np.array(noise0, dtype=float) if scheme in ("forward", "backward") else np.zeros(self.wl.m)
        with np.errstate(all="ignore"):  # an overflowing estimate is refused by estimate()
            if scheme == "forward":
                return (self.at(h, "h") - f0) / h
            if scheme == "backward":
                return (f0 - self.at(-h, "h")) / h
            d1 = (self.at(h, "h") - self.at(-h, "h")) / (2 * h)
            if scheme == "central":
                return d1
            h2 = step(self.x[self.i], h / 2, relative=False)  # the half step made representable too
            d2 = (self.at(h2, "h/2") - self.at(-h2, "h/2")) / (2 * h2)
            return d2 + (d2 - d1) / 3  # (4 d2 - d1) / 3, without overflowing 4 d2 near 1.8e308

    def measure_noise(self, noise0: np.ndarray) -> None:
        """The precise rounding noise of the points used so far (a stencil made with ``precise=False``)."""
        self.noise = np.array(noise0, dtype=float)
        for dx, (path, vals) in self.vals.items():
            self.noise = np.maximum(self.noise, np.maximum(self.cache[dx][1], rounding_noise(path, vals, True)))
        self.precise = True

    def warnings(self) -> list[str]:
        return [w + "." for w in self.crossed.values()]


def estimate(wl: WengertList, point: Sequence[float], i: int, scheme: str, eps: float | None = None,
             relative: bool = True, f0: np.ndarray | None = None, noise: np.ndarray | None = None) -> Estimate:
    """∂f/∂x_i by ``scheme``, with the evaluations used, the step and what to make of it.

    Without ``eps`` the step is the scheme's default, and it is checked: forward, backward and
    central differences choose it with :func:`choose_step`, Richardson extrapolation and the complex
    step start from their textbook steps; then the estimate at half the step (the complex step: at
    twice) must agree within the error model. A step that fails moves below the scale on which f
    is not smooth (a pole beside the point, 1/x at 1e-20) and is chosen again; when no step passes,
    the estimate says so in its warnings. ``f0`` and ``noise`` (f at the point and its rounding noise,
    :func:`rounding_noise`) save evaluations. A stencil that crosses a kink is named in a warning.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    x = list(map(float, point))
    if eps is not None:
        eps = float(eps)
        if not eps > 0 or not math.isfinite(eps):
            raise ValueError("the step eps must be a positive finite number")
    if scheme == "complex":
        return _complex_step(wl, x, i, eps, relative)
    extra = 0
    if f0 is None or noise is None:
        (f0, noise), extra = _at_point(wl, x), 1
    f0 = np.asarray(f0, dtype=float)
    if eps is None:
        est = _default_step(wl, x, i, scheme, f0, np.asarray(noise, dtype=float))
    else:
        est = _given_step(wl, x, i, scheme, step(x[i], eps, relative), f0, np.asarray(noise, dtype=float))
    if not np.isfinite(est.value).all():
        name = wl.inputs[i]
        raise EvaluationError(f"{scheme} differences overflow at h = {est.h:.3g}: the difference quotient exceeds the "
                              "largest float (about 1.8e308)", f"∂f/∂{name} at {name} = {x[i]:.10g}")
    unseen, evals = _unchanged(wl, x, i, scheme, est, f0, np.asarray(noise, dtype=float))
    if unseen or evals:
        extra += evals
        est = Estimate(est.value, est.evals, est.h, est.choice, est.trusted, (*est.warnings, *unseen))
    return Estimate(est.value, est.evals + extra, est.h, est.choice, est.trusted, est.warnings) if extra else est


def _unchanged(wl: WengertList, x: list[float], i: int, scheme: str, est: Estimate, f0: np.ndarray,
               noise: np.ndarray) -> tuple[list[str], int]:
    """A sentence for each output whose estimate is exactly 0 because f did not change at all between x - h, x and
    x + h, though it rounds (1e20 + x: the rounding of 1e20 hides x), and the evaluations made to see it.

    The rounding check measures the uncertainty against the estimate, or, for an estimate of 0, against the size a
    derivative of f has where f is not flat (|f|/|x|, 1e20 here), which takes any 0 of a large f as sure. A 0
    from f unchanged to the bit only bounds the derivative by the rounding of f over h.
    """
    bound = _NOISE.get(scheme, 1.0) * noise / est.h
    zeros = [k for k in range(wl.m) if est.value[k] == 0 and noise[k] > 0 and bound[k] > FEW_DIGITS]
    if not zeros or scheme == "complex":
        return [], 0
    p, q = list(x), list(x)
    p[i], q[i] = x[i] + est.h, x[i] - est.h
    try:
        up = wl.output_values(path_at(wl, p)[1])
        down = wl.output_values(path_at(wl, q)[1])
    except EvaluationError:
        return [], 0
    names, name = wl.output_names(), wl.inputs[i]
    out = [f"{names[k]} is the same to the last bit at {name} - h, {name} and {name} + h (h = {est.h:.2g}): its "
           f"rounding (about {noise[k]:.1g}) hides any change smaller than that, so this estimate of 0 only says "
           f"that |∂{names[k]}/∂{name}| is below about {bound[k]:.1g}, whatever it is."
           for k in zeros if up[k] == f0[k] == down[k]]
    return out, 2


def _check_spacing(wl: WengertList, x: list[float], i: int, h: float) -> None:
    if x[i] + h == x[i] or x[i] - h == x[i]:
        name = wl.inputs[i]
        raise EvaluationError(f"the step h = {h:.3g} is below the spacing of floats at {name} = "
                              f"{x[i]:.10g} ({math.ulp(x[i]):.3g}): {name} ± h rounds to {name}, so f cannot "
                              "change; use a larger step, or the default one", f"{name} = {x[i]:.10g}")


#: How many times the rounding noise of f each scheme's estimate carries, over h: (f(x+h) - f(x))/h
#: two noises, the central difference one (2 noises over 2h), Richardson's (4 d2 - d1)/3 about three.
_NOISE = {"forward": 2.0, "backward": 2.0, "central": 1.0, "richardson": 3.0}


def _given_step(wl: WengertList, x: list[float], i: int, scheme: str, h: float, f0: np.ndarray,
                noise: np.ndarray) -> Estimate:
    """The scheme at the step the caller chose; a warning when rounding alone swamps the estimate."""
    _check_spacing(wl, x, i, h / 2 if scheme == "richardson" else h)
    st = _Stencil(wl, x, i, scheme, precise=False)  # the noise along the list only where it could matter:
    value = st.difference(scheme, h, f0, noise)
    if _few_digits(wl, x, i, scheme, h, value, 1e3 * np.maximum(st.noise, noise), f0, 1.0):
        st.measure_noise(noise if scheme in ("forward", "backward") else np.zeros(wl.m))
    warnings = st.warnings() + _few_digits(wl, x, i, scheme, h, value, st.noise, f0, 1.0)
    return Estimate(value, st.evals, h, None, True, tuple(warnings))


#: An estimate whose predicted error exceeds this fraction of it has fewer than about six correct digits.
FEW_DIGITS = 1e-6


def _few_digits(wl: WengertList, x: list[float], i: int, scheme: str, h: float, value: np.ndarray,
                noise: np.ndarray, f0: np.ndarray, factor: float) -> list[str]:
    """A sentence where rounding alone (``factor`` times the noise of f over h) swamps an estimate.

    Measured against the estimate, or, where it is 0, against |f| / max(|x|, 1), the size a
    derivative of f has when f is not locally flat (or against 1, where f is 0 too).
    """
    with np.errstate(all="ignore"):
        rounding = factor * _NOISE[scheme] * noise / h
        scale = np.abs(f0) / max(abs(x[i]), 1.0)
        ref = np.where(value != 0, np.abs(value), np.where(scale > 0, scale, 1.0))
        rel = np.where(ref > 0, rounding / ref, 0.0)
    k = int(np.argmax(rel))
    if not rel[k] > FEW_DIGITS:
        return []
    y, name = wl.output_names()[k], wl.inputs[i]
    share = f" ({rel[k]:.0e} of it)" if value[k] != 0 and math.isfinite(rel[k]) else ""
    digits = "no correct digits" if rel[k] >= 1 else f"only about {max(0, int(-math.log10(rel[k])))} correct digits"
    return [f"At h = {h:.3g} the rounding error of f (about {noise[k]:.1g}) alone makes ∂{y}/∂{name} "
            f"uncertain by about {rounding[k]:.1g}{share}: this estimate may have {digits}."]


#: The order p of each scheme's truncation error (∝ h^p): halving h divides it by 2^p.
_ORDER = {"forward": 1, "backward": 1, "central": 2, "richardson": 4}


def _passes(gaps: tuple[np.ndarray, np.ndarray | None], allowed: np.ndarray, order: int,
            most: np.ndarray | None = None) -> float:
    """How far a sequence of estimates at h, h/2 (and h/4) is from passing (at most 1: it passes).

    ``gaps`` are |E(h) - E(h/2)| and, if computed, |E(h/2) - E(h/4)|. It passes where the first is
    within ``allowed`` (rounding), or where truncation shows and shrinks as the order says (the gaps
    in the ratio 2^order, within a factor of 1.5) and, if ``most`` is given, the truncation error it
    implies, gap / (2^order - 1), is at most ``most``.
    """
    gap, gap2 = gaps
    with np.errstate(all="ignore"):
        ratio = float(np.max(np.where(gap > 0, gap / allowed, 0.0)))
        if not math.isfinite(ratio):
            return math.inf
        if ratio <= 1 or gap2 is None:
            return ratio
        shrink = 2.0**order
        rates = np.where(gap > allowed, gap / gap2, shrink)
    ok = bool(np.all((rates >= shrink / 1.5) & (rates <= shrink * 1.5)))
    if most is not None:
        ok = ok and bool(np.all(gap <= most * (shrink - 1)))
    return 1.0 if ok else ratio


def _check(scheme: str, st: _Stencil, h: float, f0: np.ndarray, noise: np.ndarray) -> tuple[np.ndarray, float]:
    """The estimate at h, and how far it is from passing its check (at most 1: it passes).

    The estimate at h/2 must agree with it within :data:`TRUST` times the rounding error that the
    noise of f at the stencil's points predicts, or, where truncation shows, the gaps h -> h/2 -> h/4
    must shrink as the scheme's order says (:func:`_passes`). Central differences never use f(x), so
    their second difference f(x+h) - 2 f(x) + f(x-h) (scaled by (h/h_k)² to compare steps) is checked
    the same way: it sees a pole at x that a symmetric stencil hides (x^-2 at 1e-20: f(x ± 0.1) = 100
    both, f(x) = 1e40). Across a pole, a jump or a kink a gap is orders of magnitude above rounding
    and does not shrink as 2^p (1/x at 1e-20 with h = 0.1: central estimates 100, 400, 1600).
    """
    xi = st.x[st.i]
    st.crossed = {}
    hs = [h, step(xi, h / 2, relative=False)]
    d, dn = [], []
    for hk in hs:
        d.append(st.difference(scheme, hk, f0, noise))
        with np.errstate(all="ignore"):
            dn.append(_NOISE[scheme] * st.noise / hk)
    even = scheme in ("central", "richardson")

    if scheme in ("central", "richardson"):  # one scale for every k: the largest value of the widest stencil
        scale = np.maximum(np.maximum(np.abs(st.at(h, "h")), np.abs(st.at(-h, "h"))), np.abs(f0))
        scale = np.where(scale > 0, scale, 1.0)

    def second(k: int) -> tuple[np.ndarray, np.ndarray]:
        # (f(x+h_k) - f(x)) + (f(x-h_k) - f(x)), times (h/h_k)^2: f'' h^2 at every k for a smooth f. Scaled
        # to the largest value involved (f near 1e308 overflows a plain sum), with its rounding noise.
        up, down = st.at(hs[k], "h"), st.at(-hs[k], "h")
        r = (h / hs[k]) ** 2
        return ((up / scale - f0 / scale) + (down / scale - f0 / scale)) * r, (2 * st.noise + 2 * noise) / scale * r

    with np.errstate(all="ignore"):
        # An output a hundred million times smaller than the largest, over the stencil, does not hold the step back
        # (tanh(y) - y at y = 1e-300 beside tanh(y) + x): its estimate's error is measured against the others'.
        size_k = np.maximum(np.abs(f0), np.abs(d[0]) * h)
        tiny = size_k < 1e-8 * size_k.max()
        keep = ~tiny if tiny.any() and not tiny.all() else np.ones(len(f0), dtype=bool)

        def gap(a: np.ndarray) -> np.ndarray:
            return np.where(keep, a, 0.0)

        s = [second(k) for k in range(2)] if even else []

        def allowed(values: list[np.ndarray], rounding: list[np.ndarray]) -> np.ndarray:
            big = np.maximum(np.abs(values[0]), np.abs(values[1]))
            return TRUST * (rounding[0] + rounding[1]) + 4 * np.spacing(big)

        da = allowed(d, dn)
        ratio = _passes((gap(np.abs(d[0] - d[1])), None), da, _ORDER[scheme])
        if even:
            sv, sn = [v for v, _ in s], [n for _, n in s]
            sa = allowed(sv, sn)
            ratio = max(ratio, _passes((gap(np.abs(sv[0] - sv[1])), None), sa, 2))
        if ratio <= 1 or not math.isfinite(ratio):
            return d[0], ratio
        h4 = step(xi, hs[1] / 2, relative=False)
        if xi + h4 == xi or xi - h4 == xi:
            return d[0], ratio
        hs.append(h4)
        d.append(st.difference(scheme, h4, f0, noise))
        # where truncation shows, what it implies must be small too, else a smaller step is tried: against
        # the extrapolated derivative (x^3 at 0: estimates h^2, h^2/4 extrapolate to 0), or, where that is 0,
        # against |f| / max(|x|, 1), or 1 where f is 0 too (as in _few_digits)
        shrink = 2.0 ** _ORDER[scheme]
        with np.errstate(all="ignore"):
            extrapolated = d[1] + (d[1] - d[0]) / (shrink - 1)  # (2^p d(h/2) - d(h)) / (2^p - 1), no overflow
        size = np.abs(f0) / max(abs(xi), 1.0)
        # an extrapolation that cancels to rounding (|E| ~ 1e-16 |d(h)|) has found a derivative of 0, as an exact 0 has
        found = np.abs(extrapolated) > 1e-8 * np.abs(d[0])
        most = ACCURATE * np.where(found, np.abs(extrapolated), np.where(size > 0, size, 1.0))
        ratio = _passes((gap(np.abs(d[0] - d[1])), gap(np.abs(d[1] - d[2]))), da, _ORDER[scheme], most)
        if even:
            sv.append(second(2)[0])
            ratio = max(ratio, _passes((gap(np.abs(sv[0] - sv[1])), gap(np.abs(sv[1] - sv[2]))), sa, 2))
    return d[0], ratio


def _default_step(wl: WengertList, x: list[float], i: int, scheme: str, f0: np.ndarray,
                  noise: np.ndarray) -> Estimate:
    """The default step, checked (:func:`_check`), and chosen again below the scale where a check fails."""
    xi = x[i]
    st = _Stencil(wl, x, i, scheme)
    evals, cap, tried = 0, None, []
    best: tuple[float, float, np.ndarray, StepChoice | None, list[str]] | None = None
    left: EvaluationError | None = None  # the last stencil that left f's domain
    for _ in range(MAX_ROUNDS):
        if scheme == "richardson":
            c = None
            h = step(xi, TEXTBOOK_EPS[scheme] * max(0.1, abs(xi)) if cap is None else cap, relative=False)
        else:
            c = choose_step(wl, x, i, scheme, f0, noise, cap=cap)
            evals += c.evals
            h = c.h
        if xi + h / 4 == xi or xi - h / 4 == xi:
            break
        try:
            d1, ratio = _check(scheme, st, h, f0, noise)
        except EvaluationError as exc:  # the stencil left f's domain (ln x at 1e-300): a smaller step may not
            left, ratio, d1 = exc, math.inf, None
        tried.append(h)
        if ratio <= 1:
            # at a balanced step truncation is about rounding: twice the rounding is the error to expect
            few = _few_digits(wl, x, i, scheme, h, d1, st.noise, f0, 2.0)
            return Estimate(d1, evals + st.evals, h, c, True, tuple(st.warnings() + few))
        if d1 is not None and (best is None or ratio < best[0]):
            best = (ratio, h, d1, c, st.warnings())
        # Not smooth at this scale: below the scale of x itself first (a pole at 0, 1/x at 1e-20), then
        # three orders of magnitude at a time.
        below_x = 0 < abs(xi) < 1 and 0.1 * abs(xi) < h / 10 and (cap is None or cap > abs(xi))
        nxt = 0.1 * abs(xi) if below_x else h / 1000
        if nxt < 2 * math.ulp(xi) or nxt == 0:
            break
        cap = nxt
    if best is None and left is not None:
        raise left
    if best is None:  # not even the first step is representable (a subnormal x, say)
        raise EvaluationError(f"no step of {scheme} differences is representable at {wl.inputs[i]} = {xi:.10g}",
                              f"{wl.inputs[i]} = {xi:.10g}")
    _, h, d1, c, crossed = best
    name = wl.inputs[i]
    msg = (f"No step of {scheme} differences could be trusted for \u2202f/\u2202{name}: at every step tried "
           f"(h = {tried[0]:.2g} down to {tried[-1]:.2g}) the estimates at h and h/2 disagree by far more than "
           "rounding, and not as a smooth function's would, so f is not smooth at any scale a step can resolve "
           f"here (a pole, a jump or a kink at or beside {name} = {xi:.6g}?). The estimate shown, at "
           f"h = {h:.2g}, is not to be trusted.")
    return Estimate(d1, evals + st.evals, h, c, False, (*crossed, msg))


# --- the complex step -------------------------------------------------------------------------------

#: The smallest normal float: an imaginary part below it keeps fewer than 53 bits.
_TINY = float(np.finfo(np.float64).tiny)
#: The complex step's estimates at h and 2h must agree to this relative tolerance (a few ulps of complex
#: arithmetic each; a singularity near the point or an underflowing imaginary part gives far more).
_COMPLEX_AGREE = 256 * _EPS64


def kink_reason(wl: WengertList, vals: Sequence[float]) -> str | None:
    """Why f has a kink or a jump at the point (a piecewise step such as abs at 0), or None."""
    for st in wl.kink_steps:
        if st.prim.kink(*wl.args_of(st, vals)) == 0:
            return f"{vname(st.index)} = {wl.definition(st)} is at its kink ({st.prim.kink_text})"
    for g in wl.guards or ():
        if g.active and g.margin == 0:
            return f"the point is on the boundary of a branch, {g.describe()}"
    return None


def edge_reason(wl: WengertList, vals: Sequence[float]) -> str | None:
    """Why f is undefined just beside the point, or None.

    A step whose varying argument sits on the edge of its real domain: sqrt at 0, asin at 1, a
    negative base under a varying exponent. There f has at most a one-sided derivative.
    """
    for st in wl.steps:
        if not st.active:
            continue
        a = [float(v) for v in wl.args_of(st, vals)]
        for j, arg in enumerate(st.args):
            if not (isinstance(arg, int) and (arg <= 0 or wl.steps[arg - 1].active)):
                continue
            for side in (-math.inf, math.inf):
                b = list(a)
                b[j] = math.nextafter(a[j], side)
                why = st.prim.domain(*b)
                if why is not None:
                    where = "below" if side < 0 else "above"
                    return (f"{vname(st.index)} = {wl.definition(st)} is at the edge of its domain: just {where} "
                            f"{a[j]:.6g}, {why}")
    return None


def analytic_reason(wl: WengertList, vals: Sequence[float]) -> str | None:
    """Why f is not analytic at the point (so the complex step does not apply), or None: a kink
    (:func:`kink_reason`) or the edge of a domain (:func:`edge_reason`), where f has no derivative
    that the complex plane could reveal, and the real-step schemes' domain checks would fail too."""
    return kink_reason(wl, vals) or edge_reason(wl, vals)


def _complex_step(wl: WengertList, x: list[float], i: int, eps: float | None, relative: bool) -> Estimate:
    """Im f(x + ih) / h, with h checked: no underflow of the imaginary parts, no singularity within reach.

    The default step starts at 1e-20 min(|x|, 1) (far below any scale on which f varies, at 1e-300 as
    at 1) and is checked against twice itself: an imaginary part that underflows into the subnormal
    floats (1e-300 exp(x)) raises h until every one is normal; a disagreement (a pole within reach,
    tan at the float nearest π/2) lowers it. A step given by ``eps`` is checked the same way and
    refused with the reason if it fails. Where f is not analytic (:func:`analytic_reason`) the complex
    step is refused.
    """
    vals0 = wl.evaluate(x)
    reason = analytic_reason(wl, vals0)
    name = wl.inputs[i]
    if reason is not None:
        raise EvaluationError(f"the complex step needs f to be analytic at the point, and here {reason}; "
                              "use central differences, or forward or reverse mode", f"{name} = {x[i]:.10g}")
    xi = x[i]
    off = wl.n - 1
    active = [st.index + off for st in wl.steps if st.active]

    def run(h: float) -> tuple[np.ndarray, float, bool]:
        p: list[Any] = [np.complex128(v) for v in x]
        p[i] = np.complex128(complex(xi, h))
        vals = wl.evaluate(p)
        im = np.abs(np.imag(np.array([vals[k] for k in active], dtype=complex))) if active else np.zeros(0)
        out = np.asarray(wl.output_values(vals), dtype=complex)
        finite = bool(np.isfinite(out).all() and np.isfinite(im).all())
        small = float(im[im > 0].min()) if (im > 0).any() else math.inf
        with np.errstate(all="ignore"):
            return np.imag(out) / h, small, finite and bool(np.isfinite(np.imag(out) / h).all())

    given = eps is not None
    if given:
        h = eps * min(1.0, max(0.1, abs(xi))) if relative else eps
    else:
        h = 1e-20 * (min(1.0, abs(xi)) if xi != 0 else 1.0)
        h = max(h, 2.0**-1074)
    evals, tried = 0, []
    d = np.zeros(wl.m)
    for _ in range(MAX_ROUNDS):
        tried.append(h)
        d, small, finite = run(h)
        evals += 1
        if not finite:
            if given:
                raise EvaluationError(f"the complex step h = {h:.3g} is too large: f({name} + ih) overflows or has no "
                                      "value; use a small step such as 1e-20 (the default)", f"{name} = {xi:.10g}")
            h /= 2.0**20
            continue
        if small < _TINY:  # an imaginary part in the subnormal range: it keeps only a few digits
            if given:
                raise EvaluationError(f"the complex step h = {h:.3g} is too small: some imaginary parts of f({name} + "
                                      f"ih) fall below the normal floats (down to {small:.2g}) and keep only a few "
                                      "digits; use a larger step (the default chooses one)", f"{name} = {xi:.10g}")
            h = h * 2.0 ** math.ceil(math.log2(_TINY / small))  # just enough: truncation grows as h^2
            continue
        d2, small2, finite2 = run(2 * h)
        evals += 1
        agree = finite2 and small2 >= _TINY and bool(
            (np.abs(d - d2) <= _COMPLEX_AGREE * np.maximum(np.abs(d), np.abs(d2)) + 1e-300).all())
        if agree:
            return Estimate(d, evals, h, None, True, ())
        if given:
            break
        h /= 2.0**20
        if h < 2.0**-1074 * 2**20:
            break
    what = (f"the complex step at h = {h:.3g} is not stable: at h and 2h it gives different estimates"
            if given else f"no complex step could be trusted for ∂f/∂{name} (tried h = {tried[0]:.2g} to "
            f"{tried[-1]:.2g})")
    return Estimate(d, evals, tried[-1], None, False,
                    (f"{what[0].upper()}{what[1:]}: f is not smooth on the scale of the step, or its imaginary parts "
                     f"underflow. The estimate shown is not to be trusted.",))


def jacobian(wl: WengertList, point: Sequence[float], scheme: str = "central", eps: float | None = None,
             relative: bool = True, f0: Sequence[float] | None = None, vals: Sequence[float] | None = None
             ) -> Estimates:
    """The m x n Jacobian column by column, with the function evaluations made and each column's :class:`Estimate`.

    ``f0`` and ``vals`` (the outputs and the whole primal trace at ``point``, if the caller has them)
    save the evaluation at the point that forward and backward differences and a chosen step need.
    """
    J = np.zeros((wl.m, wl.n))
    x = list(map(float, point))
    evals = 0
    f0a, noise = None, None
    if scheme != "complex":
        if vals is None:
            vals = wl.evaluate(x)
            evals += 1
        f0a, noise = _at_point(wl, x, vals)
        if f0 is not None:
            f0a = np.asarray(f0, dtype=float)
    columns = []
    edge = edge_reason(wl, vals) if scheme != "complex" else None  # (the complex step refuses there)
    for i in range(wl.n):
        e = estimate(wl, x, i, scheme, eps, relative, f0a, noise)
        J[:, i] = e.value
        evals += e.evals
        columns.append(e)
    if scheme == "complex" and np.isfinite(J).all():
        # The complex step is forward mode in complex arithmetic: where chain-rule terms cancel, it loses
        # what forward mode loses (x/(x^2 + 1e-30) at 1e-15), and says so as forward mode does.
        lost = cancellation(wl, vals if vals is not None else wl.evaluate(x), J)
        if lost:
            columns[0] = Estimate(columns[0].value, columns[0].evals, columns[0].h, columns[0].choice,
                                  columns[0].trusted, (*columns[0].warnings, *lost))
    if edge is not None:
        note = (f"At this point {edge}: f is not defined on both sides, so it has no derivative here, at most a "
                f"one-sided one, which is what {scheme} differences estimate, if their stencil stays inside.")
        columns[0] = Estimate(columns[0].value, columns[0].evals, columns[0].h, columns[0].choice,
                              columns[0].trusted, (note, *columns[0].warnings))
    return Estimates(J, evals, columns)


# --- choosing the step -----------------------------------------------------------------------------

#: The pilot step H is kept a few times the step h it predicts, so that the pilot difference's own
#: rounding error is 0.1% to 10% of it (the window of Gill, Murray, Saunders & Wright, 1983):
#: (lowest, aimed-at, highest) h / H. Forward and backward differences estimate |f''| from a second
#: difference, whose rounding share is (h/H)^2; central differences |f'''| from a third, (h/H)^3.
_WINDOW = {"forward": (0.03, 0.1, 0.3), "backward": (0.03, 0.1, 0.3), "central": (0.1, 0.2, 0.46)}
#: At most this many pilot stencils: 2 evaluations each (forward, backward) or 4 (central).
MAX_PILOTS = 8
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
    curvatures: tuple[float, ...] = ()  # the pilot's curvature for every output
    noises: tuple[float, ...] = ()  # the rounding noise assumed for every output


def choose_step(wl: WengertList, point: Sequence[float], i: int, scheme: str, f0: Sequence[float] | None = None,
                noise: Sequence[float] | None = None, cap: float | None = None) -> StepChoice:
    """The step for ``scheme`` in input ``i`` at ``point`` that balances truncation and rounding.

    The error model is |f''| h / 2 + 2 ε_f / h for forward and backward differences (best at
    h = 2 √(ε_f / |f''|)) and |f'''| h² / 6 + ε_f / h for central ones (best at
    h = (3 ε_f / |f'''|)^(1/3)), with ε_f the typical rounding error of f (:func:`rounding_noise`,
    and never below a quarter ulp of the values seen). The curvature comes from a pilot difference
    at a step H kept a few times h: when h / H leaves its window, H moves to the h it predicted
    and the pilot is repeated. The differences are taken on the stencil's values scaled to 1, so
    that neither huge nor subnormal values of f overflow or underflow them.

    The step never exceeds a tenth of max(|x_i|, 1), nor ``cap`` if given (nor lets x_i ± 2H overflow), and a stencil
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
    cap = min(0.1 * max(abs(xi), 1.0), (_MAX - abs(xi)) / 4, math.inf if cap is None else cap)
    # The first pilot: where h / H would be aimed at for a function whose size and derivatives are 1.
    want = min(cap, TEXTBOOK_EPS[scheme] / aim * max(abs(xi), 1.0))
    pilots: list[float] = []
    seen: list[tuple[float, float, float, float, int]] = []  # (predicted error, h, curvature, noise, #) per pilot
    outs: list[tuple[tuple[float, ...], tuple[float, ...]]] = []  # per pilot: curvature and noise of every output
    ending = "unsettled"

    def at(t: float) -> np.ndarray:
        p = list(x)
        p[i] = xi + t
        return _outputs(wl, p)

    for _ in range(MAX_PILOTS):
        H = step(xi, max(want, 4 * math.ulp(xi)), relative=False)  # a pilot below the spacing of floats sees nothing
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
        # An output a hundred million times smaller than the largest (tanh(y) - y near 0, beside tanh(y) + x) may
        # want ever smaller steps, relative to its own size; the others set the step, where its error is small.
        vanishing = scale < 1e-8 * scale.max()
        scale = np.where(scale > 0, scale, 1.0)
        u = [y / scale for y in ys]
        rel_noise = np.maximum(base / scale, np.maximum(ROUNDING, np.spacing(scale) / scale / 4))  # no underflow
        with np.errstate(all="ignore"):
            if scheme == "central":
                diff = np.abs(u[0] - 2 * u[1] + 2 * u[2] - u[3])
                ratio = np.where(diff > 0, np.cbrt(6 * rel_noise / diff), math.inf)  # h / H
                curvature = diff / (2 * H * H * H) * scale  # (scale / H^3 alone overflows near 1.8e308)
            else:
                diff = np.abs(u[1] - 2 * u[0] + y0 / scale)
                ratio = np.where(diff > 0, 2 * np.sqrt(rel_noise / diff), math.inf)
                curvature = diff / (H * H) * scale
        if vanishing.any() and not vanishing.all():
            ratio = np.where(vanishing, math.inf, ratio)
        k = int(np.argmin(ratio))
        r, h = float(ratio[k]), float(ratio[k]) * H
        eps_f, curv = float(rel_noise[k] * scale[k]), float(curvature[k])
        if math.isfinite(r) and h > 0:  # the error this pilot predicts at its h, in an order that cannot underflow
            rounding = float(rel_noise[k]) * (float(scale[k]) / h) * (1 if scheme == "central" else 2)
            outs.append((tuple(map(float, np.nan_to_num(curvature, posinf=_MAX))),
                         tuple(map(float, rel_noise * scale))))
            seen.append((curv * h * (h / 6 if scheme == "central" else 0.5) + rounding, h, curv, eps_f, len(outs) - 1))
        if lo <= r <= hi:
            ending = "settled"
            break
        if want >= cap and r > hi:
            ending = "flat"  # no curvature shows above the noise up to the cap: the largest step is the best
            break
        want = min(h / aim, cap)
    if ending == "settled":
        h, curv, eps_f, k = seen[-1][1:]
    elif ending == "flat" or not seen:
        # flat: the cap; nothing usable (every stencil left the domain): the narrowest, for the message
        h, curv, eps_f, k = (cap, *seen[-1][2:]) if seen else (pilots[-1], 0.0, float(base.max(initial=0.0)), -1)
    else:
        h, curv, eps_f, k = min(seen)[1:]
    curvatures, noises = outs[k] if k >= 0 else ((0.0,) * len(base), tuple(map(float, base)))
    h = max(min(h, cap), 2 * math.ulp(xi))  # and x ± h must differ from x
    return StepChoice(scheme, step(xi, h, relative=False), eps_f, curv, tuple(pilots), evals, ending == "settled",
                      curvatures, noises)


def default_steps(wl: WengertList, point: Sequence[float], reference: float, i: int = 0,
                  output: int = 0) -> pd.DataFrame:
    """Each chosen-step scheme at its default step, against the exact ``reference`` derivative.

    Columns: scheme, eps (the step), estimate, error, rel_error, pilots, evals (f at the point, the
    pilots, the check and the estimate), curvature (the pilot's |f''| or |f'''|), noise (ε_f), settled,
    trusted (the check at h/2 passed), warnings, and message (why a scheme has no estimate here: its
    stencil leaves f's domain).
    """
    x = list(map(float, point))
    f0, noise = _at_point(wl, x)
    rows = []
    for scheme in CHOSEN:
        row: dict[str, Any] = {"scheme": scheme}
        try:
            e = estimate(wl, x, i, scheme, f0=f0, noise=noise)
        except EvaluationError as exc:
            rows.append(row | {"eps": math.nan, "error": math.nan, "message": exc.message})
            continue
        c = e.choice
        value = float(e.value[output])
        err = abs(value - reference)
        rows.append(row | {"eps": e.h, "estimate": value, "error": err,
                           "rel_error": err / abs(reference) if reference else (0.0 if err == 0 else math.inf),
                           "pilots": len(c.pilots), "evals": 1 + e.evals,
                           "curvature": c.curvature, "noise": c.noise, "settled": c.settled, "trusted": e.trusted,
                           "warnings": " ".join(e.warnings), "message": ""})
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
    """(truncation bound, rounding bound) of ``scheme`` at steps ``h`` with unit roundoff ``unit``.

    Products are ordered so that |f| near 1.8e308 does not overflow on the way (inf where the bound is).
    """
    with np.errstate(over="ignore"):
        if scheme in ("forward", "backward"):
            return b.d2 * (h / 2), 2 * unit * (b.f / h)
        if scheme == "central":
            return b.d3 * (h**2 / 6), unit * (b.f / h)
        if scheme == "complex":
            return b.d3 * (h**2 / 6), unit * b.d1 + 0 * h
        return b.d5 * (h**4 / 480), 3 * unit * (b.f / h)


def _program_at(wl: WengertList, x: np.ndarray, i: int, output: int, hs: np.ndarray, dx: Any, real: Any,
                flips: np.ndarray | None) -> np.ndarray:
    """A program's output at x_i + dx for every step: traced again at each point (its path may differ there);
    ``flips`` marks the steps whose stencil point takes another path than x."""
    out = np.full(hs.shape, np.nan)
    dx = np.broadcast_to(np.asarray(dx), hs.shape)
    for k in range(hs.size):
        p = [float(v) for v in x]
        p[i] = float(real.type(x[i]) + dx.flat[k])
        try:
            path, vals = path_at(wl, p)
        except (EvaluationError, LimitError):
            continue
        out.flat[k] = path.output_values(vals)[output]
        if flips is not None and path_change(wl, path) is not None:
            flips.flat[k] = True
    return out.astype(real)


def sweep_estimates(wl: WengertList, point: Sequence[float], i: int, output: int, scheme: str,
                    hs: np.ndarray, dtype: Any = np.float64, flips: np.ndarray | None = None) -> np.ndarray:
    """Estimates of ∂f_output/∂x_i for many steps ``hs`` at once (one vectorised call per stencil point; a
    program's path is traced again at each point, and ``flips``, if given, marks the steps where it changes)."""
    x = np.asarray(point, dtype=np.float64)
    real = np.dtype(dtype)

    def at(dx: Any, complex_step: bool = False) -> np.ndarray:
        if wl.program is not None and not complex_step:  # a program: traced again at every stencil point
            return _program_at(wl, x, i, output, hs, dx, real, flips)
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
        return d2 + (d2 - d1) / 3  # (4 d2 - d1) / 3, without overflowing 4 d2 near 1.8e308


def error_sweep(wl: WengertList, point: Sequence[float], reference: float, i: int = 0, output: int = 0,
                eps: Sequence[float] | np.ndarray | None = None, schemes: Sequence[str] = SCHEMES,
                dtype: Any = np.float64, bounds: Bounds | None = None) -> pd.DataFrame:
    """Every scheme at every step: (scheme, eps, estimate, error, rel_error, truncation, rounding).

    ``reference`` is the exact derivative (from AD). Steps are absolute: the plot's x axis is h. For a traced
    program (``wl.program``) a column ``other_path`` marks the steps where a stencil point takes another path
    than the point (a guard flips, a loop runs a different number of times): there the estimate straddles a kink.
    """
    hs = np.logspace(-16, 0, 129) if eps is None else np.asarray(eps, dtype=float)
    unit = float(np.finfo(dtype).eps) / 2
    frames = []
    for scheme in schemes:
        flips = np.zeros(hs.shape, dtype=bool)
        est = sweep_estimates(wl, point, i, output, scheme, hs, dtype, flips).astype(float)
        err = np.abs(est - reference)
        # Against an exact 0 no finite relative error exists (the absolute one is in "error").
        rel = err / abs(reference) if reference != 0 else np.where(err == 0, 0.0, np.inf)
        trunc, rnd = error_model(scheme, hs, bounds, unit) if bounds else (np.nan * hs, np.nan * hs)
        frame = pd.DataFrame({"scheme": scheme, "eps": hs, "estimate": est, "error": err,
                              "rel_error": rel, "truncation": trunc, "rounding": rnd})
        if wl.program is not None:  # a traced program: where a stencil point takes another path than x
            frame["other_path"] = flips
        frames.append(frame)
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

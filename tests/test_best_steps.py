"""Each scheme's best step is the bottom of the V its errors make, not a lucky exact cancellation (issue 10, C14).

The expected steps come from the error model with the exact derivatives (``stepsize.model_best_steps``):
for forward differences h* = 2 sqrt(eps_f / |f''|), for central ones (3 eps_f / |f'''|)^(1/3), for
Richardson's fourth order about (eps_f / |f^(5)|)^(1/5). A fit to measured errors scatters around
that, so each test allows a factor of 10 either way; the steps the old smallest-error rule picked
(5.6e-10, 1.8e-13, 5.6e-11, from the issue) are outside every range.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import diffzoo as dz
from diffzoo import higher, numeric, stepsize

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
SIX = "x1*x2*x3 + sin(x4)*x5 - ln(x6) + x1^2/x6"


def fitted(text: str, point: list[float], i: int = 0, dtype: str = "float64"):
    f = dz.parse(text)
    ref = float(dz.differentiate(f, point, "reverse").jacobian[0, i])
    sweep = numeric.error_sweep(f.wengert, point, ref, i, bounds=higher.bounds_at(f, point, i), dtype=np.dtype(dtype))
    best = stepsize.best_steps(f, point, ref, sweep, i, dtype=np.dtype(dtype)).set_index("scheme")
    model = stepsize.model_best_steps(sweep).set_index("scheme")["model_eps"]
    return best, model


def test_survey_example_stars_sit_at_the_bottom_of_the_v():
    # The issue: forward, backward and Richardson reported h = 5.6e-10 and central 1.8e-13, all with an
    # error of exactly 0, where the model's optimum is 1.3e-7 (forward, backward), 2.4e-5 (central) and
    # 3.2e-3 (Richardson): f = 11.65, |f''| = 1/x1^2 = 0.25, |f'''| = 2/x1^3 = 0.25 at x1 = 2.
    best, model = fitted(SURVEY, [2.0, 5.0])
    assert model["forward"] == pytest.approx(1.3e-7, rel=0.1)
    assert model["central"] == pytest.approx(2.4e-5, rel=0.1)
    assert model["richardson"] == pytest.approx(3.2e-3, rel=0.1)
    for scheme in ("forward", "backward", "central", "richardson"):
        h = best.loc[scheme, "eps"]
        assert model[scheme] / 10 <= h <= model[scheme] * 10, (scheme, h, model[scheme])
        assert best.loc[scheme, "how"] == "fit"
    # The typical error at the star is read off the fit: never the lucky 0, and near the model's
    # optimum error (forward: |f''| h / 2 + 2 eps_f / h = 3.3e-8 at 1.3e-7; central: 1.6e-10 at 2.4e-5).
    assert 1e-9 <= best.loc["forward", "fit_error"] <= 1e-7
    assert 1e-12 <= best.loc["central", "fit_error"] <= 1e-9


def test_six_variable_example_is_not_fooled_by_a_lucky_small_step():
    # The issue: central's "best" was h = 5.6e-11 with an error of 3.3e-7, while at h = 1e-6 it is 4.3e-10.
    # Along x1, f''' = 0 (f is quadratic in x1), so central differences have no truncation error: the
    # error is rounding alone, ~ eps_f / h, and falls all the way to the largest steps.
    best, model = fitted(SIX, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert best.loc["central", "eps"] >= 1e-2
    assert best.loc["central", "error"] <= 1e-13  # measured at the star: rounding of f ~ 1e-15 / h
    # Forward differences: |f''| = 2/x6 = 1/3, eps_f ~ 6e-16 give h* = 3.2e-8 (the model's optimum).
    assert model["forward"] == pytest.approx(3.2e-8, rel=0.1)
    assert model["forward"] / 10 <= best.loc["forward", "eps"] <= model["forward"] * 10
    assert best.loc["forward", "error"] <= 1e-7  # the old pick, h = 5.6e-11, measured 1.3e-6


def test_float32_stars_follow_float32_rounding():
    # float32's unit roundoff is 6e-8: the survey example's forward optimum moves to 2 sqrt(6e-8 * 11.65 / 0.25)
    # = 3.2e-3 (the model), central's to 1.8e-2.
    best, model = fitted(SURVEY, [2.0, 5.0], dtype="float32")
    assert model["forward"] == pytest.approx(3.2e-3, rel=0.1)
    for scheme in ("forward", "central"):
        assert model[scheme] / 10 <= best.loc[scheme, "eps"] <= model[scheme] * 10


def test_exact_schemes_and_overflow_are_named_not_starred():
    # f = x: every difference is exact (0 error at every step), so there is no V and no star.
    best, _ = fitted("x", [2.0])
    assert set(best["how"]) == {"exact"} and best["eps"].isna().all()
    # exp(x) at 709 in float32: f overflows (8.2e307 > 3.4e38), no step gives a finite estimate.
    best, _ = fitted("exp(x)", [709.0], dtype="float32")
    assert set(best["how"]) == {"too few"} and best["eps"].isna().all()


def test_fit_ignores_lucky_zeros_and_wild_points():
    # A synthetic V: |f''| h / 2 + 2e-16 / h, bottom at h* = 2 sqrt(2e-16 / 1) = 2.8e-8 for |f''| = 1;
    # a third of the rounding branch replaced by exact zeros and a few points multiplied by 1000.
    h = np.logspace(-16, 0, 129)
    err = h / 2 + 2e-16 / h
    rng = np.random.default_rng(0)
    left = np.flatnonzero(h < 1e-9)
    err[rng.choice(left, len(left) // 3, replace=False)] = 0.0
    err[rng.choice(len(h), 5, replace=False)] *= 1000
    step, typical, how = stepsize.fit_best_step(h, err, "forward", reference=1.0)
    assert how == "fit"
    assert 2.8e-8 / 2 <= step <= 2.8e-8 * 2
    assert typical == pytest.approx(2.8e-8, rel=0.5)  # the model's least error, |f''| h* / 2 + 2e-16 / h* = h*
    assert not math.isnan(typical)

"""The figures of :mod:`diffzoo.plots`: they survive overflow, keep every curve visible, and read well.

Issue 10: B11 (the error plot's y limit became inf and the log axis overflowed), C17 (curves hidden
under each other), C23 (overlapping labels on the scaling chart, ticks at 2.5 on a step axis, a
blurry timing PNG).
"""

from __future__ import annotations

import io
import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread

import diffzoo as dz
from diffzoo import higher, numeric, plots, stepsize

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def sweeps_of(text: str, point: list[float], precisions=("float64",)):
    f = dz.parse(text)
    ref = float(dz.differentiate(f, point, "reverse").jacobian[0, 0])
    b = higher.bounds_at(f, point, 0)
    sweeps = {p: numeric.error_sweep(f.wengert, point, ref, 0, bounds=b, dtype=np.dtype(p)) for p in precisions}
    best = pd.concat([stepsize.best_steps(f, point, ref, s, 0, dtype=np.dtype(p)).assign(precision=p)
                      for p, s in sweeps.items()], ignore_index=True)
    return sweeps, best, numeric.default_steps(f.wengert, point, ref)


def scheme_lines(ax) -> dict[str, object]:
    return {ln.get_label(): ln for ln in ax.get_lines() if ln.get_label() in numeric.SCHEMES}


@pytest.mark.parametrize("text,x", [("exp(x)", 709.0), ("1e300*x^2", 3.0), ("x^300", 10.0)])
@pytest.mark.parametrize("precisions", [("float64",), ("float64", "float32")])
def test_error_figure_survives_overflowing_errors(text, x, precisions):
    # Issue 10, B11: these made ylim(errs.max() * 5) infinite (errors near 1e308) or put decade ticks past
    # 1e308 ("cannot convert float infinity to integer"). The figure must render, its limits finite.
    sweeps, best, default = sweeps_of(text, [x], precisions)
    fig = plots.error_figure(sweeps, best, 1e-6, True, "t", default)
    png = plots.to_png(fig)
    assert png[:4] == b"\x89PNG"
    lo, hi = fig.axes[0].get_ylim()
    assert 0 < lo < hi <= 1.8e308
    assert hi >= 1e300  # the measured errors reach 1e300 and more here: they are on the plot, not cut off
    assert b"<svg" in plots.to_svg(fig)[:3000]


def test_error_figure_draws_no_infinite_values():
    sweeps, best, default = sweeps_of("exp(x)", [709.0])
    fig = plots.error_figure(sweeps, best, 1e-6, True, "t", default)
    for line in fig.axes[0].get_lines():
        y = np.asarray(line.get_ydata(), dtype=float)
        assert not np.isinf(y).any(), line.get_label()


@pytest.mark.parametrize("seed", range(12))
def test_error_figure_survives_any_mix_of_overflow_underflow_and_nan(seed):
    # Issue 10, B11, the class: errors and model bounds anywhere in the float range, or inf, nan, 0 or
    # subnormal, in any mix, must still give a figure (each of these twelve mixes broke the old one).
    rng = np.random.default_rng(seed)
    h = np.logspace(-16, 0, 129)
    specials = np.array([0.0, np.nan, np.inf, 5e-324, 1e-310, 1.7e308, 1e300, 1e-300])

    def column():
        v = 10.0 ** rng.uniform(-320, 308, h.size)
        pick = rng.random(h.size) < 0.3
        v[pick] = rng.choice(specials, int(pick.sum()))
        return v

    frames = {p: pd.concat([pd.DataFrame({"scheme": s, "eps": h, "estimate": column(), "error": column(),
                                          "rel_error": column(), "truncation": column(), "rounding": column()})
                            for s in numeric.SCHEMES], ignore_index=True) for p in ("float64", "float32")}
    best = pd.DataFrame({"scheme": list(numeric.SCHEMES) * 2, "precision": ["float64"] * 5 + ["float32"] * 5,
                         "eps": rng.choice([1e-8, np.nan, 1e-3], 10), "fit_error": rng.choice(specials, 10)})
    default = pd.DataFrame({"scheme": ["forward", "backward", "central"], "eps": [1e-7, np.nan, 1e-5],
                            "error": rng.choice(specials, 3)})
    fig = plots.error_figure(frames, best, 1e-6, True, "t", default)
    assert plots.to_png(fig)[:4] == b"\x89PNG"
    lo, hi = fig.axes[0].get_ylim()
    assert np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi


def test_every_curve_stays_visible():
    # Issue 10, C17: forward lay exactly under backward and central's right branch under complex, all
    # drawn as plain solid lines. Each scheme now has its own dash pattern or marker, and markers at
    # different steps, so coinciding curves still show both.
    sweeps, best, default = sweeps_of(SURVEY, [2.0, 5.0])
    fig = plots.error_figure(sweeps, best, 1e-6, True, "t", default)
    lines = scheme_lines(fig.axes[0])
    assert set(lines) == set(numeric.SCHEMES)
    looks = {s: (str(ln.get_linestyle()), str(ln.get_dashes() if hasattr(ln, "get_dashes") else ""),
                 ln.get_marker()) for s, ln in lines.items()}
    for a, b in itertools.combinations(numeric.SCHEMES, 2):
        assert looks[a] != looks[b], (a, b)
        assert lines[a].get_marker() != lines[b].get_marker(), (a, b)
    offsets = {ln.get_markevery()[0] for ln in lines.values()}
    assert len(offsets) == len(lines)  # markers at different steps: coinciding curves show both marker shapes
    assert lines["forward"].get_linestyle() != lines["backward"].get_linestyle()
    assert lines["central"].get_linestyle() != lines["complex"].get_linestyle()


def test_both_precisions_are_small_multiples_with_their_own_stars():
    # Issue 10, C17 and C16: "both" drew ten curves on one axis and float64's best steps only. Now float64
    # and float32 are side by side on the same y axis, each with five curves and its own stars; the
    # float32 forward star is near float32's optimum (3.2e-3 for the survey example), not float64's (1.3e-7).
    sweeps, best, default = sweeps_of(SURVEY, [2.0, 5.0], ("float64", "float32"))
    fig = plots.error_figure(sweeps, best, 1e-6, True, "t", default)
    panels = [ax for ax in fig.axes if scheme_lines(ax)]
    assert [ax.get_title() for ax in panels] == ["float64", "float32"]
    assert panels[0].get_ylim() == panels[1].get_ylim()
    for ax in panels:
        assert len(scheme_lines(ax)) == 5
    stars32 = [ln for ln in panels[1].get_lines() if ln.get_marker() == "*"]
    xs = sorted(float(ln.get_xdata()[0]) for ln in stars32)
    assert len(stars32) == 5 and min(xs) > 1e-4  # every float32 best step is above 1e-4 here


def test_stars_mark_the_fitted_bottom_not_a_lucky_zero():
    # Issue 10, C14: the stars sat on errors of exactly 0 at h = 5.6e-10. The forward star is now within
    # a factor 10 of the model's optimum 1.3e-7 and drawn at a positive error.
    sweeps, best, default = sweeps_of(SURVEY, [2.0, 5.0])
    fig = plots.error_figure(sweeps, best, None, True, "t", None)
    blue = plots.color("forward")
    star = [ln for ln in fig.axes[0].get_lines() if ln.get_marker() == "*" and ln.get_color() == blue][0]
    fwd = best[(best["precision"] == "float64") & (best["scheme"] == "forward")].iloc[0]
    assert 1.3e-8 <= star.get_xdata()[0] <= 1.3e-6
    # drawn at the fitted V's bottom (its typical error there), not at the one error measured at that step
    assert star.get_ydata()[0] == pytest.approx(fwd["fit_error"])
    assert 1e-9 <= star.get_ydata()[0] <= 1e-7


@pytest.mark.parametrize("sizes", [[1, 2, 4, 8, 16, 32, 64, 128, 256], [2, 4, 8, 16, 32, 64, 128, 256], [2, 4, 8, 16]])
def test_scaling_chart_ticks_are_integers_and_do_not_overlap(sizes):
    # Issue 10, C23: a log x axis over d = 1..256 got minor labels "2x10^0 3x10^0 4x10^0 ..." that ran
    # into each other. The ticks are the measured sizes themselves, labelled as plain integers. Issue 13, A:
    # at projector size (plots.SMALLEST) every other size is labelled, at most five, from the largest down
    # (1, 4, 16, 64, 256 for nine sizes, the logistic-regression page's; 4 ... 256 for the compare page's 2 ... 256).
    n = len(sizes)
    df = pd.DataFrame({"d": sizes * 2, "seconds": np.logspace(-5, -2, 2 * n),
                       "method": ["reverse"] * n + ["forward"] * n})
    fig = plots.lines_figure(df, "d", "seconds", "method", "t", "d features", "seconds")
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    shown = [t for t in ax.get_xticklabels() if t.get_text()]
    labels = [int(t.get_text()) for t in shown]  # integers, or this raises
    assert labels == (sizes if n <= 5 else sizes[::-1][::2][::-1])
    assert 3 <= len(labels) <= 5
    assert labels[-1] == max(sizes) and labels[0] <= sizes[1]  # the labels span the measured range
    assert sorted(ax.get_xticks(minor=True)) == [s for s in sizes if s not in labels]  # the rest marked, unlabelled
    assert not [t for t in ax.get_xticklabels(minor=True) if t.get_text()]
    assert all(t.get_fontsize() == pytest.approx(plots.SMALLEST) for t in shown)
    boxes = [t.get_window_extent() for t in shown]
    assert all(a.x1 + 10 < b.x0 for a, b in itertools.pairwise(boxes))  # no two labels overlap, or nearly touch


def test_gradient_descent_steps_are_whole_numbers():
    # Issue 10, C23: the step axis had ticks at 2.5, 7.5 and so on (the page's default, 20 steps).
    df = pd.DataFrame({"step": range(21), "loss": np.linspace(0.7, 0.3, 21), "grad_norm": np.logspace(0, -2, 21)})
    fig = plots.loss_figure(df)
    fig.canvas.draw()
    ticks = fig.axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks)


def test_pngs_for_the_page_are_sharp_and_small():
    # Issue 10, C23: the timing PNG was blurry when stretched to the page's width (6.6 in at 110 dpi =
    # 726 pixels, shown up to ~1000 pixels wide). Pages get PNGs of at least 1.5x that; sizes stay sane.
    df = pd.DataFrame({"d": [1, 2, 4, 8] * 2, "seconds": np.logspace(-5, -3, 8), "method": ["a"] * 4 + ["b"] * 4})
    png = plots.to_png(plots.lines_figure(df, "d", "seconds", "method", "t", "d", "s"))  # as _ui.plot makes it
    h, w = imread(io.BytesIO(png)).shape[:2]
    assert w >= 1.5 * 726
    assert len(png) < 400_000
    # A wide figure (the numeric page's, 10.5 inches) gets as many pixels, not more: rendering costs time.
    sweeps, best, default = sweeps_of(SURVEY, [2.0, 5.0])
    wide = plots.to_png(plots.error_figure(sweeps, best, 1e-6, True, "t", default))
    assert 1150 <= imread(io.BytesIO(wide)).shape[1] <= 1300 and len(wide) < 400_000

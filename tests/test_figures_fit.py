"""Every figure of :mod:`diffzoo.plots` keeps its text inside itself: issue 13, A (nothing clipped).

Each figure function in ``plots.__all__`` is drawn with small inputs shaped like the pages' (the titles the
pages give, the sizes they measure), and every visible text artist's window extent (after a draw, from the
figure's own renderer) must lie inside the figure's extent: a title wider than the figure, a y label taller
than it, or a legend pushed past its edge would be cut off in the PNG. The memory figure's legend must also
cover no curve.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from diffzoo import higherview, plots, programview, views

ROOT = Path(__file__).resolve().parent.parent

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def _scaling() -> pd.DataFrame:
    ns = [2, 4, 8, 16, 32, 64, 128, 256]
    return pd.DataFrame({"n": ns * 3, "seconds": np.logspace(-5, -2, 24),
                         "method": ["reverse"] * 8 + ["forward"] * 8 + ["numeric"] * 8})


def _taylor() -> Figure:
    x = np.linspace(1.0, 3.0, 101)
    polys = np.array([np.log(2) + (x - 2) / 2 - k * (x - 2) ** 2 / 8 for k in (0, 1, 1, 1)])
    return plots.taylor_figure(x, np.log(x), polys, 2.0, "f along x1", "x1", 1e-3)


def _taylor_of_a_line() -> Figure:
    # f = 2x + 1: every polynomial is f, so nothing is drawn on the log axis and a sentence says why
    x = np.linspace(-0.5, 1.5, 101)
    return plots.taylor_figure(x, 2 * x + 1, np.array([2 * x + 1] * 4), 0.5, "y along x", "x", 2e-3)


def _taylor_at_a_kink() -> Figure:
    # sqrt(x^2) at 0, the expansion of the side t > 0 (p_k = x): f and p_k part on the left only
    x = np.linspace(-1.0, 1.0, 101)
    return plots.taylor_figure(x, np.abs(x), np.array([x] * 4), 0.0, "y along x", "x", 1e-3)


def _higher_cost_of_a_line() -> Figure:
    # f = 2x + 1: every derivative is a number (0 operations), nothing for the left log axis to show
    k = np.arange(1, 7)
    return plots.higher_cost_figure(pd.DataFrame({"k": k, "tree ops": 0.0 * k, "shared ops": 0.0 * k,
                                                  "duals_ops": 2.0**k * 5, "taylor_ops": 5.0 * k**2}), "x")


def _newton() -> Figure:
    X, Y = np.meshgrid(np.linspace(-2, 2, 41), np.linspace(-1, 3, 41))
    Z = (1 - X) ** 2 + 100 * (Y - X**2) ** 2
    path = pd.DataFrame({"x": [-1.2, -1.0, 0.5, 1.0], "y": [1.0, 0.9, 0.2, 1.0]})
    return plots.newton_figure(X, Y, Z, path, path, ("x", "y"), higherview.ROSENBROCK)


def _memory() -> Figure:
    it = np.array([10, 30, 100, 300, 1000])
    return plots.memory_figure(pd.DataFrame({"iterations": it, "reverse_tape_values": 6 * it + 3,
                                             "forward_live_values": np.full(5, 8), "reverse_seconds": 2e-6 * it,
                                             "forward_seconds": 1.5e-6 * it}))


def _higher_cost() -> Figure:
    k = np.arange(1, 7)
    return plots.higher_cost_figure(pd.DataFrame({"k": k, "tree ops": 4.0**k, "shared ops": 3.0 * k,
                                                  "duals_ops": 2.0**k * 5, "taylor_ops": 5.0 * k**2}), "x1")


FIGURES: dict[str, Callable[[], Figure]] = {
    "program_error_figure": lambda: plots.program_error_figure(
        programview.step_errors((ROOT / "assets/programs/step_jump.dz").read_text(), (5e-4,)).frame, "x", 5e-4),
    "error_figure": lambda: views.numeric_figure(SURVEY, (2.0, 5.0), 0, 0, "float64", -6, True, ""),
    "error_figure (both)": lambda: views.numeric_figure(SURVEY, (2.0, 5.0), 0, 0, "both", -6, True, ""),
    "swell_figure": lambda: views.figure("swell", views.swell_sizes("logistic map l_n", 6)),
    # its legend sat inside the axes where "best" put it: for nested sin wider than the axes, which collapsed
    "swell_figure (nested sin)": lambda: views.figure("swell", views.swell_sizes("nested sin", 12)),
    "lines_figure": lambda: views.figure("lines", _scaling(), "n", "seconds", "method",
                                         "Time for the full gradient against n", "n inputs", "seconds"),
    "crossover_figure": lambda: views.figure("crossover", pd.DataFrame(
        {"n": [1, 16, 1, 16], "m": [1, 1, 16, 16], "forward_s": [1.0, 16.0, 1.0, 16.0],
         "reverse_s": [1.0, 1.0, 16.0, 16.0]})),
    "loss_figure": lambda: views.figure("loss", views.descent(100, 3, 0, 0.5, 10)),
    "bar_figure": lambda: views.figure("bar", pd.DataFrame(
        {"method": ["symbolic", "numeric", "forward", "reverse", "reverse (compiled)"],
         "median_s": [3e-4, 5e-5, 2e-5, 2.5e-5, 8e-6]}), "Median time for the full derivative", "seconds (log scale)"),
    "second_difference_figure": lambda: plots.second_difference_figure(higherview.sweep_frame(SURVEY, (2.0, 5.0), 0,
                                                                                              0, 1)),
    "taylor_figure": _taylor,
    "taylor_figure (degree 1)": _taylor_of_a_line,
    "taylor_figure (at a kink)": _taylor_at_a_kink,
    "higher_cost_figure": _higher_cost,
    "higher_cost_figure (degree 1)": _higher_cost_of_a_line,
    "newton_figure": _newton,
    "program_sweep_figure": lambda: plots.program_sweep_figure(
        np.linspace(-1, 1, 41), np.abs(np.linspace(-1, 1, 41)), np.sign(np.linspace(-1, 1, 41)), [(0.0, "kink")],
        0.5, "x"),
    "memory_figure": _memory,
    "ascent_figure": lambda: plots.ascent_figure(pd.DataFrame({"step": range(4), "angle": [0.3, 0.5, 0.7, 0.78],
                                                               "range": [5.6, 8.4, 9.9, 10.2]})),
}


def test_every_figure_function_is_drawn_here():
    made = {name.split(" ")[0] for name in FIGURES}
    assert made == {n for n in plots.__all__ if n.endswith("_figure")}


def renderer_of(fig: Figure):
    """The figure drawn on an Agg canvas (a Figure made without pyplot has none that draws), and its renderer."""
    FigureCanvasAgg(fig).draw()
    return fig.canvas.get_renderer()


def undrawn_tick_labels(fig: Figure) -> set[int]:
    """The labels of ticks outside their axis's view: an axis keeps them, but neither draws nor places them."""
    out = set()
    for ax in fig.axes:
        for axis in ax._axis_map.values():
            lo, hi = sorted(axis.get_view_interval())
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                loc = tick.get_loc()
                if loc is None or not lo - 1e-9 * abs(hi - lo) <= loc <= hi + 1e-9 * abs(hi - lo):
                    out |= {id(tick.label1), id(tick.label2)}
    return out


def drawn_texts(fig: Figure):
    renderer = renderer_of(fig)
    skip = undrawn_tick_labels(fig)
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and id(t) not in skip:
            yield t, t.get_window_extent(renderer)


@pytest.mark.parametrize("name", list(FIGURES))
def test_no_text_is_clipped(name):
    fig = FIGURES[name]()
    box = fig.bbox  # the whole figure in display pixels
    outside = [(t.get_text()[:40], tuple(np.round(b.extents, 1))) for t, b in drawn_texts(fig)
               if b.x0 < box.x0 - 0.5 or b.y0 < box.y0 - 0.5 or b.x1 > box.x1 + 0.5 or b.y1 > box.y1 + 0.5]
    assert not outside, (name, tuple(box.extents), outside)
    small = {t.get_text()[:30]: t.get_fontsize() for t, _ in drawn_texts(fig)
             if t.get_fontsize() < plots.SMALLEST - 1e-9}
    assert not small, small  # and none made to fit by shrinking it below the projector's least size


def test_the_memory_legend_covers_no_curve():
    # It sat inside the axes over the forward curve; every legend is now outside both panels.
    fig = _memory()
    renderer = renderer_of(fig)
    legends = [*fig.legends, *(a.get_legend() for a in fig.axes if a.get_legend() is not None)]
    assert legends
    for leg in legends:
        lb = leg.get_window_extent(renderer)
        for ax in fig.axes:
            assert not lb.overlaps(ax.get_window_extent(renderer)), (lb, ax.get_window_extent(renderer))


def test_crossover_cells_keep_their_numbers_apart():
    # At projector size "0.064×" ran into its neighbours (the compare page, 5 x 5 cells, n and m 1 ... 16); a ratio
    # below 1 is now written as a fraction, 1/16, so no cell's number reaches the next: ratios from 1/10 to 25.
    ns = [1, 2, 4, 8, 16]
    df = pd.DataFrame([{"n": n, "m": m, "forward_s": n * 1e-5, "reverse_s": m * 1e-5 * 0.64} for n in ns for m in ns])
    fig = plots.crossover_figure(df)
    renderer = renderer_of(fig)
    cells = list(fig.axes[0].texts)
    assert len(cells) == 25 and {"1/10", "1/1.3", "25×"} <= {t.get_text() for t in cells}  # 0.098, 0.78, 25
    boxes = [t.get_window_extent(renderer) for t in cells]
    for k, a in enumerate(boxes):
        assert not [b for b in boxes[k + 1:] if a.overlaps(b)], cells[k].get_text()


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_lays_out_without_collapsing(name):
    # Constrained layout warns ("axes sizes collapsed to zero") and draws slivers when a text or legend is wider
    # than its axes: the Taylor figure for 2x + 1 and the swell figure for nested sin did.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        renderer_of(FIGURES[name]())


@pytest.mark.parametrize("make", [_taylor, _taylor_of_a_line, _taylor_at_a_kink])
def test_the_taylor_panels_keep_their_size_and_show_the_tolerance(make):
    # For f = 2x + 1 the sentence "|p_k - f| = 0 everywhere ..." was wider than the axes: constrained layout
    # warned "axes sizes collapsed to zero" and drew both panels as slivers. At a kink the tolerance line sat
    # below the log axis's floor, its label over the x tick labels.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the layout's warning fails the test
        fig = make()
        renderer = renderer_of(fig)
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        assert box.width > 0.5 * fig.bbox.width and box.height > 0.25 * fig.bbox.height, box
    low = fig.axes[1]
    tol = low.lines[-1].get_ydata()[0]  # the tolerance line, drawn last
    lo, hi = low.get_ylim()
    assert lo < tol < hi


def test_an_empty_cost_panel_keeps_the_orders_on_its_axis_and_says_why():
    # f = 2x + 1: the left panel had no point to draw; its x axis fell back to -0.05..0.05 and its labels
    # ran into each other.
    fig = _higher_cost_of_a_line()
    renderer_of(fig)
    left = fig.axes[0]
    assert left.get_xlim() == (0.5, 6.5)
    assert any("0 operations" in t.get_text() for t in left.texts)

"""diffzoo.views: what each page shows, computed without streamlit, part by part.

Every view built for the survey's example ln(x1) + x1*x2 - sin(x2) at (2, 5) carries the survey's
figures (f = 11.652071455223084, ∂f/∂x1 = 5.5, ∂f/∂x2 = 1.7163378145367738); a view whose one part
fails keeps that part's exception and still carries every other part.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from diffzoo import errors, graph, plots, swell, views

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
AT = (2.0, 5.0)
VALUE, D1, D2 = 11.652071455223084, 5.5, 1.7163378145367738


class Counting:
    """A cache that keeps every piece and counts how often each function really ran."""

    def __init__(self) -> None:
        self.kept: dict = {}
        self.runs: dict[str, int] = {}

    def __call__(self, fn, *args):
        key = (fn.__qualname__, args)
        if key not in self.kept:
            self.runs[fn.__qualname__] = self.runs.get(fn.__qualname__, 0) + 1
            self.kept[key] = fn(*args)
        return self.kept[key]


# --- the survey's figures, on every page ---------------------------------------------------------------


def test_traces_view_carries_the_survey_figures():
    v = views.traces_view(SURVEY, AT, seed="x1")
    assert v.value == (VALUE,) and v.jvp == (D1,) and v.gradient == (D1, D2)
    assert v.inputs == ("x1", "x2") and (v.n, v.k) == (2, 5) and v.last == 15
    primal = views.trace_table(SURVEY, AT, "primal")
    assert primal.rows[-1].value == VALUE
    assert list(v.primal.frame["value"])[-1] == "11.6520714552"  # 12 digits, as the tables show it
    assert v.adjoint.ok and v.adjoint.value.title == "Adjoint trace, seed (y\u0304=1)"
    assert v.results.ok and ("Reverse, one sweep:", " ∂y/∂x1 = 5.5, ∂y/∂x2 = 1.71633781454") in v.results.value
    assert v.graph.ok and "digraph" in v.graph.value and v.code.ok and len(v.code.value) == 3
    # the tangent along x2 gives the other partial, in one pass
    assert views.traces_view(SURVEY, AT, seed="x2").jvp == (D2,)


def test_traces_view_walks_both_sweeps():
    first = views.traces_view(SURVEY, AT, position=0)
    assert first.phase == "forward" and first.now.value[0] == "Step 0/15 — Forward sweep: input v₋₁ = x1"
    last = views.traces_view(SURVEY, AT, position=99)  # kept within the walk
    assert last.position == 15 and last.phase == "reverse"
    assert last.now.value[1] == "v̄₋₁ = v̄₋₁ + v̄₁ / v₋₁ = 5.5"
    assert last.adjoint.value.current == 8 and last.primal.current is None


def test_symbolic_view_carries_the_survey_figures():
    v = views.symbolic_view(SURVEY, AT)
    assert v.value == (VALUE,)
    assert v.jacobian == (D1, D2)
    assert v.labels == ("∂y/∂x1", "∂y/∂x2") and not v.missing and not v.warnings
    assert list(v.sizes["value at the point"]) == ["5.5", "1.71633781454"]
    assert r"\;=\; 5.5" in v.raw[0].latex
    assert v.swell.ok and list(v.swell.value["n"])[:3] == [1, 2, 3]


@pytest.mark.parametrize("wrt,derivative", [("x1", D1), ("x2", D2)])
def test_numeric_view_carries_the_survey_figures(wrt, derivative):
    v = views.numeric_view(SURVEY, AT, wrt)
    assert v.value == VALUE and v.reference == derivative and v.wrt == wrt
    assert v.figure.ok and v.figure.value.startswith(b"\x89PNG")
    assert v.defaults.ok and list(v.defaults.value.table["scheme"]) == ["forward", "backward", "central"]
    assert v.estimates.ok and v.best.ok and v.downloads.ok


def test_numeric_view_keeps_an_exact_zero():
    # |f‴| of x^2 + 1 is exactly 0: the view says 0 (no 1e-300 placeholder), and the plot still draws.
    v = views.numeric_view("x^2 + 1", (3.0,), "x")
    assert v.bounds.d2 == 2 and v.bounds.d3 == 0 and v.bounds.d5 == 0
    assert v.figure.ok


def test_compare_view_carries_the_survey_figures():
    v = views.compare_view(SURVEY, AT)
    t = v.comparison.value
    rows = {r.method: r for r in t.source.rows}
    assert list(rows) == ["symbolic", "numeric", "forward", "reverse"]
    for m in ("symbolic", "forward", "reverse"):
        assert rows[m].value == VALUE and list(rows[m].jacobian[0]) == [D1, D2] and rows[m].max_rel_error == 0
    assert abs(rows["numeric"].jacobian[0, 0] - D1) < 1e-9
    assert list(t.derivatives[""]) == ["f (value)", "∂y/∂x1", "∂y/∂x2"]
    assert list(t.derivatives["reverse"]) == ["11.6520714552", "5.5", "1.71633781454"]
    assert list(t.costs["max rel. error"])[2:] == ["0 (exact)", "0 (exact)"]


def test_logreg_view():
    v = views.logreg_view(200, 5, 0)
    assert v.loss == pytest.approx(math.log(2))  # the mean softplus of 0
    assert v.check < 1e-10 and list(v.wengert.columns) == ["equation", "defines", "definition"]
    assert views.logreg_setting("lr", 0.0001) == "Learning rate must be between 0.001 and 10: 0.0001 is too small."
    assert views.logreg_setting("N", 500) == ""


# --- one part fails, the others stay ----------------------------------------------------------------------


def test_a_failing_plot_leaves_the_rest_of_the_numeric_view(monkeypatch):
    def broken(*args, **kwargs):
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(plots, "error_figure", broken)
    v = views.numeric_view(SURVEY, AT, "x1")
    assert isinstance(v.figure.error, OverflowError) and not v.figure.ok
    assert v.value == VALUE and v.reference == D1
    assert v.defaults.ok and v.estimates.ok and v.best.ok and v.downloads.ok


def test_a_failing_graph_leaves_the_rest_of_the_traces_view(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("no layout")

    monkeypatch.setattr(graph, "to_dot", broken)
    v = views.traces_view(SURVEY, AT, position=3)
    assert isinstance(v.graph.error, RuntimeError)
    assert v.value == (VALUE,) and v.gradient == (D1, D2)
    assert v.tangent.ok and v.adjoint.ok and v.results.ok and v.code.ok and v.now.ok


def test_a_derivative_with_no_value_leaves_the_primal_trace():
    # sqrt at 0: f(0) = 0, but no derivative: the tangent and adjoint parts hold the error, the rest stays.
    v = views.traces_view("sqrt(x)", (0.0,))
    assert isinstance(v.tangent.error, errors.EvaluationError) and isinstance(v.adjoint.error, errors.EvaluationError)
    assert v.jvp is None and v.gradient is None and v.value == (0.0,)
    assert v.primal.frame is not None and v.graph.ok and v.code.ok
    assert "not available here" in dict(v.results.value)["Forward, one pass:"]


def test_a_too_large_graph_is_left_out_with_a_reason():
    poly = "+".join(f"x^{k}" for k in range(1, 161))  # 319 steps
    v = views.traces_view(poly, (0.5,), whole_graph=True)
    assert v.graph.value is None and "whole graphs of more than 300 steps are not drawn" in v.graph.reason
    assert views.traces_view(poly, (0.5,)).graph.ok  # the local view draws
    assert v.primal.total == 1 + 319 + 1 and v.primal.windowed and v.tangent.ok and v.adjoint.ok


def test_a_failing_swell_table_leaves_the_rest_of_the_symbolic_view(monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("no family")

    monkeypatch.setattr(swell, "swell_table", broken)
    v = views.symbolic_view(SURVEY, AT, n_max=7)
    assert isinstance(v.swell.error, ValueError)
    assert v.jacobian == (D1, D2) and v.dot is not None


def test_no_method_with_a_derivative_is_said_not_raised():
    t = views.compare_view("sqrt(x)", (0.0,)).comparison.value
    assert t.note.startswith("The 50-digit reference cannot be computed at this point (EvaluationError)")
    assert list(t.costs.columns) == ["method", "note"] and list(t.derivatives.iloc[0])[1:] == ["—"] * 4


# --- the cache: a changed setting recomputes only what depends on it ----------------------------------


def test_a_new_step_reuses_the_sweeps():
    cache = Counting()
    for position in (0, 5, 12):
        views.traces_view(SURVEY, AT, position=position, cache=cache)
    assert cache.runs["_tangent"] == cache.runs["_adjoint"] == cache.runs["_primal"] == 1
    assert cache.runs["_dot"] == 3  # the graph, drawn at each position


def test_a_new_slider_step_reuses_the_sweeps():
    cache = Counting()
    for exponent in (-6, -3):
        views.numeric_view(SURVEY, AT, "x1", exponent=exponent, cache=cache)
    assert cache.runs["_sweep"] == cache.runs["_default_steps"] == cache.runs["_best_steps"] == 1
    assert cache.runs["_at_step"] == cache.runs["_error_png"] == 2


def test_diffzoo_never_imports_streamlit():
    code = "import sys, diffzoo.views; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_output_names_are_subscripted_with_their_bar_over_the_letter():
    # The adjoint trace's seed and rows name the outputs' adjoints: ȳ₁, never ȳ_1 (issue 10, C23).
    v = views.traces_view("x1*x2, cos(x1)", (2.0, 3.0), "x1", output=1)
    t = v.adjoint.value
    assert t.title == "Adjoint trace, seed (y\u0304\u2081=0, y\u0304\u2082=1)"
    assert not [c for c in t.frame.to_string().split() if "_" in c]
    assert v.gradient == (pytest.approx(-0.9092974268256817), 0.0)


def test_the_numeric_view_names_outputs_with_subscripts():
    v = views.numeric_view("x1*x2, cos(x1)", (2.0, 3.0), "x1", output=1)
    assert v.output == "y\u2082" and v.title == "Error of \u2202y\u2082/\u2202x1 at the point against the step"
    assert v.reference == pytest.approx(-0.9092974268256817)


def test_the_symbolic_view_names_outputs_with_subscripts():
    v = views.symbolic_view("x1*x2, cos(x1)", (2.0, 3.0))
    assert list(v.sizes["derivative"]) == ["∂y₁/∂x1", "∂y₁/∂x2", "∂y₂/∂x1", "∂y₂/∂x2"]
    assert "y_1" not in v.dot and "∂y₂/∂x1" in v.dot

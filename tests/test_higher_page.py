"""The Higher order page: its view (``diffzoo.higherview``) against independent figures, then the page in AppTest.

Oracles: closed forms (the survey example's Hessian is [[-1/x1², 1], [1, sin x2]]; exp's Taylor coefficients
are 1/j!; Rosenbrock's gradient is (−2(1−x) − 400x(y−x²), 200(y−x²)) and its minimum (1, 1)), the reference
cases of perturbation confusion (1 and 8 right, 2 and 5 naive), and bisection on the closed-form remainder.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from apptest import no_exception, open_page, page_text

import diffzoo as dz
from diffzoo import higherview as hv

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
SURVEY_H = np.array([[-0.25, 1.0], [1.0, -0.9589242746631385]])  # -1/x1², 1, sin(5) at (2, 5)
CASE2 = list(hv.CASES)[1]


# --- the view -------------------------------------------------------------------------------------------


def test_survey_hessian_by_every_method():
    assert math.sin(5) == pytest.approx(SURVEY_H[1, 1], rel=1e-15)  # the oracle itself
    h = hv.higher_view(SURVEY, (2, 5)).hessians.get()
    assert set(h.hessians) == set(dz.HESSIAN_METHODS)
    np.testing.assert_allclose(h.reference, SURVEY_H, rtol=1e-15)
    for m, H in h.hessians.items():
        np.testing.assert_allclose(H, SURVEY_H, rtol=1e-6 if m == "numeric" else 1e-12, err_msg=m)
    assert list(h.entries.columns) == ["method", "∂²y/∂x1²", "∂²y/∂x1∂x2", "∂²y/∂x2²"]
    assert h.entries.set_index("method").loc["forward-over-reverse", "∂²y/∂x2²"] == "-0.958924274663"
    costs = h.costs.set_index("method")
    assert costs.loc["forward-over-reverse", "passes"] == "2"  # one tangent pass per input
    assert costs.loc["symbolic", "max rel. error"] == "0"
    # the downloads: every entry of every method, and the Hessian in LaTeX with every digit
    full = pd.read_csv(io.StringIO(h.csv()))
    assert len(full) == 3 * (1 + len(dz.HESSIAN_METHODS))
    assert "-0.9589242746631385" in h.latex() and r"\begin{bmatrix}" in h.latex()


@pytest.mark.parametrize("case, naive, right", [(list(hv.CASES)[0], 2.0, 1.0), (CASE2, 5.0, 8.0)])
def test_perturbation_confusion_naive_and_tagged(case, naive, right):
    # d/dx [x · d/dy (x + y)] = d/dx [x] = 1 at x = 1; d/dx [x · d/dy (x y)] = d/dx [x²] = 2x = 8 at x = 4
    cf = hv.higher_view(SURVEY, (2, 5), case=case).confusion.get()
    assert (cf.untagged.value, cf.tagged.value) == (naive, right)
    assert cf.expected == (right, naive)
    mixed = cf.frame().iloc[cf.mixed]
    assert "ε₁" in mixed["tagged: ε₁, ε₂, …"] and "ε₂" in mixed["tagged: ε₁, ε₂, …"]
    assert cf.mixed == 2  # the innermost operation, where x's and y's perturbations first meet


def test_own_d_expression_and_a_bad_one():
    cf = hv.higher_view(SURVEY, (2, 5), case=hv.OWN, own="D(x^2 * D(x * y^2, y), x)",
                        own_point={"x": 3.0, "y": 2.0}).confusion.get()
    # D(x y², y) = 2xy, so d/dx [x² · 2xy] = 6x²y = 108 at (3, 2)
    assert cf.tagged.value == pytest.approx(108.0)
    assert cf.untagged.value != pytest.approx(108.0)
    bad = hv.higher_view(SURVEY, (2, 5), case=hv.OWN, own="D(x + y, 3)").confusion
    assert isinstance(bad.error, dz.ParseError) and bad.error.pos == 9
    no_d = hv.higher_view(SURVEY, (2, 5), case=hv.OWN, own="x * y", own_point={"x": 1.0, "y": 1.0}).confusion
    assert isinstance(no_d.error, ValueError) and "no D" in str(no_d.error)


def test_taylor_coefficients_of_exp_and_where_they_part():
    t = hv.higher_view("exp(x)", (0.0,), order=6, radius=2.0).taylor.get()
    coef = pd.read_csv(io.StringIO(t.csv))
    np.testing.assert_allclose(coef["coefficient"], [1 / math.factorial(j) for j in range(7)], rtol=1e-15)
    np.testing.assert_allclose(coef["derivative"], 1.0, rtol=1e-15)

    def part_at(k: int, sign: float) -> float:  # bisection on |e^t - Σ_{j<=k} t^j/j!| = 1e-3 (scale 1)
        g = lambda s: abs(math.exp(sign * s) - sum((sign * s) ** j / math.factorial(j) for j in range(k + 1))) - 1e-3  # noqa: E731
        lo, hi = 0.0, 2.0
        for _ in range(80):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if g(mid) < 0 else (lo, mid)
        return hi

    step = 4.0 / 800  # the window's grid
    for k in (1, 2, 4):
        row = t.table.iloc[k]
        assert float(row["pₖ parts, t > 0"]) == pytest.approx(part_at(k, 1.0), abs=step)
        assert float(row["pₖ parts, t < 0"]) == pytest.approx(-part_at(k, -1.0), abs=step)


def test_newton_reaches_rosenbrocks_minimum():
    d = hv.descent(hv.ROSENBROCK, hv.ROSENBROCK_START)
    last = d.newton.iloc[-1]
    x, y = float(last["x"]), float(last["y"])
    grad = (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x))  # by hand
    assert d.newton_converged and int(last["step"]) <= 30
    assert math.hypot(*grad) < 1e-8 and last["|∇f|"] == pytest.approx(math.hypot(*grad), rel=1e-3, abs=1e-12)
    assert (x, y) == (pytest.approx(1.0, abs=1e-9), pytest.approx(1.0, abs=1e-9))
    # gradient descent, the same line search, is far from done after many more steps
    assert not d.descent_converged and len(d.descent) > 10 * len(d.newton)
    assert "Newton's method reached" in d.sentence() and f"in {int(last['step'])} steps" in d.sentence()


def test_second_differences_move_the_best_step_and_raise_the_floor():
    s = hv.higher_view(SURVEY, (2, 5), entry=(0, 0)).steps.get()
    first, second = "central (first derivative)", "second difference"
    eps = np.finfo(float).eps
    # the model's best steps sit near ε^(1/3) ≈ 6e-6 and ε^(1/4) ≈ 1.2e-4 (times (f/f''')^(1/3) and (f/f'''')^(1/4))
    assert 0.1 * eps ** (1 / 3) < s.model_best[first] < 10 * eps ** (1 / 3)
    assert 0.1 * eps**0.25 < s.model_best[second] < 10 * eps**0.25
    assert s.measured_best[second] > 3 * s.measured_best[first]
    assert s.floor[second] > 30 * s.floor[first]  # about half the digits: 1e-9 against 1e-11
    assert s.png.startswith(b"\x89PNG")


def test_forward_over_reverse_walk_ends_with_a_column_of_the_hessian():
    w = hv.higher_view(SURVEY, (2, 5), seed=1, position=10_000).trace.get()
    assert w.position == w.last == 14  # kept within range: 2 inputs, 5 steps, 5 adjoint steps, 3 outputs
    assert (w.n_forward, w.n_reverse) == (7, 5)
    assert w.column == pytest.approx((1.0, math.sin(5)), rel=1e-15)  # column 2 of the survey's Hessian
    assert w.table.loc[14, "tangent value"] == "-0.958924274663"
    assert w.table.loc[14, "tangent"].startswith("∂²y/∂x2²")


def test_vector_function_takes_one_output():
    v = hv.higher_view("x1*x2, cos(x1)", (2, 3), output=1)
    h = v.hessians.get()
    np.testing.assert_allclose(h.reference, [[-math.cos(2), 0], [0, 0]], atol=1e-15)  # ∇² cos(x1)
    assert h.inputs == ("x1", "x2") and v.outputs == ("y₁", "y₂")
    t = hv.higher_view("x1*x2, cos(x1)", (2, 3), output=0, along=1).taylor.get()  # x1 x2 along x2: 6 + 2t
    assert list(t.table["cₖ = f⁽ᵏ⁾/k!"][:3]) == ["6", "2", "0"]


def test_a_part_that_fails_leaves_the_others():
    v = hv.higher_view("sqrt(x^2)", (0.0,))  # a kink at 0: the gradient program has no derivative there
    assert v.trace.error is not None and v.steps.error is not None
    assert v.hessians.ok and v.taylor.ok and v.confusion.ok and v.descent.ok


def test_cost_taylor_mode_against_nested_duals():
    s = hv.higher_view(SURVEY, (2, 5)).swell.get()
    ops = s.table.set_index("k")
    # Taylor mode's operations grow like k², nested duals' like 2^k: at k = 6 the duals do far more
    assert int(ops.loc[6, "duals ops"].replace(",", "")) > 20 * int(ops.loc[6, "Taylor ops"].replace(",", ""))
    assert s.agree < 1e-12
    assert int(ops.loc[6, "tree"].replace(",", "")) > int(ops.loc[6, "shared"].replace(",", ""))


# --- the page ---------------------------------------------------------------------------------------------

PAGE = "pages/higher.py"


def test_page_shows_the_survey_example():
    at = open_page(PAGE, timeout=120)
    text = page_text(at)
    for figure in ("-0.958924274663", "-0.25", "Newton's method reached", "they differ"):
        assert figure in text, figure
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["untagged (one ε)"] == "2" and metrics["tagged (ε₁, ε₂, …)"] == "1"
    assert not any("could not be drawn" in t for t in [str(w.value) for w in at.warning])


def test_next_steps_the_trace_and_the_url_keeps_it():
    at = open_page(PAGE, timeout=120)
    assert "Row 1/15" in page_text(at)
    at.button(key="h_next").click().run()
    no_exception(at)
    at.button(key="h_next").click().run()
    no_exception(at)
    assert "Row 3/15" in page_text(at)
    assert at.query_params["h_step"] in (["2"], "2")
    at.button(key="h_prev").click().run()
    assert "Row 2/15" in page_text(at)


def test_second_case_and_url_state():
    at = open_page(PAGE, {"h_case": CASE2, "h_order": "6"}, timeout=120)
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["untagged (one ε)"], metrics["tagged (ε₁, ε₂, …)"], metrics["right answer"]) == ("5", "8", "8")
    assert at.select_slider(key="h_order").value == 6
    assert at.query_params["h_case"] in ([CASE2], CASE2)


def test_vector_function_on_the_page():
    at = open_page(PAGE, timeout=120)
    at.text_area(key="fn").input("x1*x2, cos(x1)").run()
    no_exception(at)
    at.selectbox(key="h_out").set_value(1).run()
    no_exception(at)
    text = page_text(at)
    assert "0.416146836547" in text  # -cos(2), the only nonzero entry of ∇² cos(x1)
    assert "Newton's method reached" in text


def test_a_failing_part_says_why_and_the_rest_renders():
    at = open_page(PAGE, timeout=120)
    at.text_area(key="fn").input("sqrt(x^2)").run()
    at.text_input(key="pt_x").input("0").run()
    no_exception(at)
    text = page_text(at)
    assert "Not shown here: the forward-over-reverse trace" in text
    assert "Not shown here: the error-vs-step plot" in text
    assert "Newton's method reached" in text and "they differ" in text  # the other parts still there
    assert "cₖ = f⁽ᵏ⁾/k!" in text


def test_bad_d_expression_shows_a_caret_and_keeps_the_text():
    at = open_page(PAGE, timeout=120)
    at.radio(key="h_case").set_value(hv.OWN).run()
    no_exception(at)
    at.text_input(key="h_own").input("D(x + y, 3)").run()
    no_exception(at)
    assert at.text_input(key="h_own").value == "D(x + y, 3)"
    codes = [c.value for c in at.main.code]
    assert any("D(x + y, 3)" in c and "^" in c for c in codes), codes
    text = page_text(at)
    assert "This D-expression cannot be read" in text and "Newton's method reached" in text
    at.text_input(key="h_own").input("D(x * D(x * y, y), x)").run()
    no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    # x and y are not the sidebar's variables (x1, x2), so they take 1: d/dx [x · x] = 2x = 2
    assert metrics["tagged (ε₁, ε₂, …)"] == "2"


def test_taylor_part_at_the_overflow_edge_is_drawn():
    # exp at 709.7 is 1.65e308, a quarter of the largest float from overflow: f and its polynomials near 1e308 once
    # made matplotlib refuse "Axis limits cannot be NaN or Inf" (the padding hi - lo overflowed). Coefficient 0 is
    # exp(709.7) itself (math.exp, the closed form), and the figure is drawn.
    t = hv.higher_view("exp(x)", (709.7,), order=4, radius=0.5).taylor.get()
    coef = pd.read_csv(io.StringIO(t.csv))
    assert coef["coefficient"][0] == pytest.approx(math.exp(709.7), rel=1e-15)
    assert t.png[:8] == b"\x89PNG\r\n\x1a\n"

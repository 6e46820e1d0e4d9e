"""The survey's worked example, row by row.

Baydin, Pearlmutter, Radul, Siskind, "Automatic Differentiation in Machine Learning: a Survey"
(JMLR 18, 2018), Tables 2 and 3: f(x1, x2) = ln(x1) + x1*x2 - sin(x2) at (2, 5). Every figure
below is the double nearest the exact value (recomputed with 30-digit arithmetic).
"""

import math
import unicodedata

import numpy as np
import pytest

import diffzoo as dz

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
POINT = {"x1": 2, "x2": 5}

# Table 2, left: the primal trace.
PRIMAL = [
    ("v_-1", "x1", 2.0),
    ("v_0", "x2", 5.0),
    ("v_1", "ln v_-1", 0.6931471805599453),
    ("v_2", "v_-1 * v_0", 10.0),
    ("v_3", "sin v_0", -0.9589242746631385),
    ("v_4", "v_1 + v_2", 10.693147180559945),
    ("v_5", "v_4 - v_3", 11.652071455223084),
    ("y", "v_5", 11.652071455223084),
]

# Table 2, right: the tangent trace with seed (ẋ1, ẋ2) = (1, 0).
TANGENT = [
    ("v̇_-1", "ẋ1", 1.0),
    ("v̇_0", "ẋ2", 0.0),
    ("v̇_1", "v̇_-1 / v_-1", 0.5),
    ("v̇_2", "v̇_-1 * v_0 + v̇_0 * v_-1", 5.0),
    ("v̇_3", "v̇_0 * cos v_0", 0.0),
    ("v̇_4", "v̇_1 + v̇_2", 5.5),
    ("v̇_5", "v̇_4 - v̇_3", 5.5),
    ("ẏ", "v̇_5", 5.5),
]

# Table 3, right: the adjoint trace in the order it is computed (the paper prints it bottom-up).
ADJOINT = [
    ("v̄_5", "ȳ", 1.0),
    ("v̄_4", "v̄_5 * 1", 1.0),
    ("v̄_3", "v̄_5 * (-1)", -1.0),
    ("v̄_1", "v̄_4 * 1", 1.0),
    ("v̄_2", "v̄_4 * 1", 1.0),
    ("v̄_0", "v̄_3 * cos v_0", -0.28366218546322625),
    ("v̄_-1", "v̄_2 * v_0", 5.0),
    ("v̄_0", "v̄_0 + v̄_2 * v_-1", 1.7163378145367738),
    ("v̄_-1", "v̄_-1 + v̄_1 / v_-1", 5.5),
    ("x̄1", "v̄_-1", 5.5),
    ("x̄2", "v̄_0", 1.7163378145367738),
]

CHAIN = ["ȳ = 1", "v̄_5 * ∂v_5/∂v_4", "v̄_5 * ∂v_5/∂v_3", "v̄_4 * ∂v_4/∂v_1", "v̄_4 * ∂v_4/∂v_2",
         "v̄_3 * ∂v_3/∂v_0", "v̄_2 * ∂v_2/∂v_-1", "v̄_0 + v̄_2 * ∂v_2/∂v_0", "v̄_-1 + v̄_1 * ∂v_1/∂v_-1"]


def rows(table):
    return [(r.name, r.rule, r.value) for r in table.rows]


def nfd(table):
    """Dots and bars as combining marks (v̇ = v + U+0307), the form diffzoo writes."""
    return [(unicodedata.normalize("NFD", a), unicodedata.normalize("NFD", b), c) for a, b, c in table]


def test_wengert_list_numbering_matches_table_2():
    wl = dz.parse(SURVEY).wengert
    assert wl.to_text().splitlines() == [f"{n} = {r}" for n, r, _ in PRIMAL]


def test_primal_trace_matches_table_2():
    r = dz.differentiate(SURVEY, POINT, method="forward", seed=[1, 0])
    assert rows(r.trace.tables()["primal"]) == PRIMAL


def test_tangent_trace_matches_table_2():
    r = dz.differentiate(SURVEY, POINT, method="forward", seed=[1, 0])
    tangent = [t for k, t in r.trace.tables().items() if k.startswith("tangent")]
    assert len(tangent) == 1
    assert rows(tangent[0]) == nfd(TANGENT)
    assert r.details["jvp"] == [5.5]


def test_adjoint_trace_matches_table_3_in_order_with_accumulation():
    r = dz.differentiate(SURVEY, POINT, method="reverse")
    (adj,) = [t for k, t in r.trace.tables().items() if k.startswith("adjoint")]
    assert rows(adj) == nfd(ADJOINT)
    assert [row.generic for row in adj.rows[:9]] == [unicodedata.normalize("NFD", c) for c in CHAIN]
    # v̄_0 and v̄_-1 are each updated twice: the multivariable chain rule's sum.
    targets = [row.name for row in adj.rows[:9]]
    assert targets.count("v̄_0") == 2 and targets.count("v̄_-1") == 2


def test_every_method_gives_the_survey_value_and_gradient():
    for method in dz.METHODS:
        r = dz.differentiate(SURVEY, POINT, method=method)
        assert r.value == 11.652071455223084
        if method == "numeric":  # central differences: about 1e-10 relative
            assert r.gradient["x1"] == pytest.approx(5.5, rel=1e-9)
            assert r.gradient["x2"] == pytest.approx(1.7163378145367738, rel=1e-9)
        else:
            assert r.gradient == {"x1": 5.5, "x2": 1.7163378145367738}
        assert r.jacobian.shape == (1, 2)


def test_exact_gradient_closed_form():
    # ∂y/∂x1 = 1/x1 + x2, ∂y/∂x2 = x1 - cos(x2): the closed forms, rounded once.
    g = dz.differentiate(SURVEY, POINT).gradient
    assert g["x1"] == 1 / 2 + 5
    assert g["x2"] == pytest.approx(2 - math.cos(5), abs=0, rel=1e-16)


def test_costs_forward_needs_n_passes_reverse_one():
    f = dz.parse(SURVEY)
    fwd = dz.differentiate(f, POINT, method="forward")
    rev = dz.differentiate(f, POINT, method="reverse")
    assert fwd.cost.passes == 2 and rev.cost.passes == 1
    assert fwd.cost.primitive_evals == rev.cost.primitive_evals == 5


def test_trace_exports():
    r = dz.differentiate(SURVEY, POINT, method="reverse")
    md = r.trace.to_markdown()
    assert "| v̄_0 | v̄_0 + v̄_2 * ∂v_2/∂v_0 | v̄_0 + v̄_2 * v_-1 | 1.7163378145367738 |" in md
    tex = r.trace.to_latex()
    assert r"\bar{v}_{0} + \bar{v}_{2} \cdot v_{-1}" in tex
    assert r"\ln\left(v_{-1}\right)" in tex
    csv = r.trace.tables()["primal"].to_csv()
    assert csv.splitlines()[0] == "variable,rule,value"
    assert "v_5,v_4 - v_3,11.652071455223084" in csv


def test_wengert_list_evaluates_a_batch_of_points():
    wl = dz.parse(SURVEY).wengert
    x1 = np.array([2.0, 1.0, 3.0])
    x2 = np.array([5.0, 0.5, -1.0])
    vals = wl.evaluate([x1, x2])
    expected = np.log(x1) + x1 * x2 - np.sin(x2)
    np.testing.assert_array_equal(wl.output_values(vals)[0], expected)

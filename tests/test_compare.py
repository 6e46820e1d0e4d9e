"""The comparison of every method at one point: its table, its reference Jacobian and its error figures.

Oracles: the survey's worked example (Baydin et al., Tables 2 and 3: ∂f/∂x2 = 2 - cos 5 at (2, 5)),
closed-form derivatives, and central differences' known size of error (rounding, 1e-13 to 1e-9 here).
"""

from __future__ import annotations

import math

import diffzoo as dz
from diffzoo.compare import compare, reference_jacobian


def test_compare_reference_and_errors():
    # The survey's f = ln(x1) + x1*x2 - sin(x2) at (2, 5): forward and reverse are exact to rounding (error 0
    # against the reference); central differences lose digits to rounding (1e-13 .. 1e-9 relative).
    df = compare("ln(x1) + x1*x2 - sin(x2)", {"x1": 2, "x2": 5})
    assert list(df["method"]) == list(dz.METHODS)
    errs = df.set_index("method")["max rel. error"]
    assert errs["reverse"] == 0.0 and errs["forward"] == 0.0
    assert 1e-13 < errs["numeric"] < 1e-9
    ref = reference_jacobian(dz.parse("ln(x1) + x1*x2 - sin(x2)"), {"x1": 2, "x2": 5})
    assert ref[0, 1] == 1.7163378145367738  # 2 - cos 5 = 1.71633781453677373553..., rounded once


def test_an_input_named_y_does_not_share_its_name_with_the_output():
    # f(x, y) = x*y + y at (1, 2): ∂f/∂x = y = 2, ∂f/∂y = x + 1 = 2 (closed form). The columns are ∂f/∂x
    # and ∂f/∂y under the output's own name, never "∂y/∂y".
    f = dz.parse("x*y + y")
    df = compare(f, {"x": 1, "y": 2})
    partial_cols = [c for c in df.columns if c.startswith("∂")]
    assert len(partial_cols) == 2 and "∂y/∂y" not in partial_cols
    assert list(df.set_index("method").loc["reverse", partial_cols]) == [2.0, 2.0]


def test_relative_error_against_an_exact_zero_is_not_a_huge_number():
    # (x^3)' at 0 = 0 exactly (closed form); central differences give about 4e-13: no finite relative error.
    df = compare("x^3", {"x": 0.0}).set_index("method")
    assert df.loc["forward", "max rel. error"] == 0.0
    assert df.loc["numeric", "∂y/∂x"] != 0.0
    assert df.loc["numeric", "max rel. error"] == math.inf


def test_reference_entry_by_entry():
    # sqrt(x) + y at (0, 1): ∂/∂x = 1/(2 sqrt x) does not exist; ∂/∂y = 1 does (closed form).
    ref = reference_jacobian(dz.parse("sqrt(x) + y"), {"x": 0.0, "y": 1.0})
    assert math.isnan(ref[0, 0]) and ref[0, 1] == 1.0

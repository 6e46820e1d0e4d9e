"""Symbolic differentiation: simplification in a worker, the work budget, shared derivatives, edge points.

Oracles: closed-form derivatives worked by hand (checked against sympy's simplified form), and mpmath at
50 digits where floats cancel. Expression swell has its own module, test_swell.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import diffzoo as dz
from diffzoo.compare import compare
from diffzoo.symbolic import derive, jacobian_exprs, simplify


def test_simplify_in_worker_and_its_time_limit():
    # ∂/∂x2 of the survey's ln(x1) + x1*x2 - sin(x2) is x1 - cos(x2) (closed form), as sympy prints it.
    f = dz.parse("ln(x1) + x1*x2 - sin(x2)")
    s = simplify([derive(f.outputs[0], "x2")], timeout=20)
    assert s.status == "ok" and s.text == ("x1 - cos(x2)",)
    slow = simplify([dz.parse("(x1+x2+1)^200 * (x1 - x2 + 3)^150").outputs[0]], timeout=0.5)
    assert slow.status in ("timeout", "ok")  # never hangs past its limit
    assert simplify([derive(f.outputs[0], "x1")], timeout=20).status == "ok"  # the next request works


def test_symbolic_refuses_work_past_its_budget_up_front():
    # 24 outputs x 100 variables = 2,400 partial derivatives: more than MAX_ENTRIES (400).
    # ∂(x1 ... x100)/∂x1 at x = 1.01 everywhere is 1.01^99 (closed form).
    text = ", ".join(["*".join(f"x{i}" for i in range(1, 101))] * 24)
    f = dz.parse(text)
    point = {v: 1.01 for v in f.variables}
    with pytest.raises(dz.LimitError, match="2,400 partial derivatives"):
        dz.differentiate(f, point, method="symbolic")
    df = compare(f, point)  # the other methods still answer; the reference is missing, so no error figure
    row = df.set_index("method")
    assert "2,400 partial derivatives" in row.loc["symbolic", "note"]
    assert row.loc["reverse", "∂y_1/∂x1"] == pytest.approx(1.01**99, rel=1e-13, abs=0)
    assert np.isnan(row.loc["reverse", "max rel. error"])


def test_symbolic_derives_equal_outputs_once():
    # 10 identical outputs share one derivative walk: the shared graph has as many steps as one output's
    # (the very same expression object, not merely an equal one).
    f = dz.parse(", ".join(["sin(x1)*x2"] * 10))
    exprs = jacobian_exprs(f.outputs, f.variables)
    assert all(row[0] is exprs[0][0] for row in exprs)


# --- edge points ------------------------------------------------------------------------------------


def test_x_to_the_zero_at_zero_has_derivative_zero():
    # x^0 = 1 for every x (0^0 = 1, as math.pow and the value here say): d/dx = 0 (closed form).
    r = dz.differentiate("x^0", [0.0], method="symbolic")
    assert r.value == 1.0 and r.derivative == 0.0


@pytest.mark.parametrize("x", [0.9999999999, -0.99999999, 1 - 2**-40, 0.999, -0.5])
@pytest.mark.parametrize(("text", "sign"), [("asin(x)", 1), ("acos(x)", -1)])
def test_asin_acos_derivative_near_plus_minus_one_is_accurate(text, sign, x):
    # asin'(x) = -acos'(x) = 1/sqrt(1 - x^2), evaluated with mpmath at 50 digits (x is exact data).
    # 1 - x*x in floats cancels near ±1 (2.8e-10 relative error at -0.99999999).
    import mpmath

    with mpmath.workdps(50):
        exact = float(sign / mpmath.sqrt(1 - mpmath.mpf(x) ** 2))
    got = dz.differentiate(text, [x], method="symbolic").derivative
    assert got == pytest.approx(exact, rel=4e-16, abs=0)


@pytest.mark.parametrize("x", [20.0, 40.0, 700.0, -20.0, -40.0, 0.5])
def test_sigmoid_derivative_in_both_tails(x):
    # σ'(x) = e^-x / (1 + e^-x)^2, with mpmath at 50 digits: 2.0611536e-09 at ±20, 4.2483543e-18 at ±40,
    # 9.86e-305 at 700. σ(1 - σ) loses it for large positive x (1 - σ cancels).
    import mpmath

    with mpmath.workdps(50):
        t = mpmath.exp(-mpmath.mpf(x))
        exact = float(t / (1 + t) ** 2)
    got = dz.differentiate("sigmoid(x)", [x], method="symbolic").derivative
    assert got == pytest.approx(exact, rel=1e-15, abs=0)

"""Reverse mode (adjoint sweeps, VJPs), interpreted and compiled: results, edge points and traces.

Oracles: closed-form derivatives worked by hand, and mpmath at 50 digits where floats cancel.
Reverse is dz.differentiate's default method, so the point checks that every method shares are here too.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

import diffzoo as dz

# --- a VJP is not a Jacobian --------------------------------------------------------------------


@pytest.mark.parametrize("compiled", [False, True])
def test_reverse_vjp_does_not_pose_as_the_gradient(compiled):
    # f = x^2 at 3: f' = 2x = 6 (closed form); one sweep seeded with ybar = 2 gives ybar * f' = 12.
    r = dz.differentiate("x^2", [3], method="reverse", ybar=[2.0], compiled=compiled)
    assert r.details["vjp"] == [12.0]
    assert r.gradient != {"x": 12.0} and r.derivative != 12.0  # 12 is 2 f', not f'
    assert r.jacobian.shape == (1, 1) and np.isnan(r.jacobian).all()  # unknown, as after one forward pass
    assert dz.differentiate("x^2", [3], method="reverse", compiled=compiled).derivative == 6.0


@pytest.mark.parametrize("compiled", [False, True])
def test_reverse_vjp_of_a_vector_function_keeps_the_m_by_n_shape(compiled):
    # f = (x*y, x*y) at (2, 3), ybar = (1, -1): ybar J = (3 - 3, 2 - 2) = (0, 0) (closed form).
    # f has two outputs: it has no gradient, and its Jacobian is 2 x 2, whatever one sweep computed.
    r = dz.differentiate("x*y, x*y", [2, 3], method="reverse", ybar=[1.0, -1.0], compiled=compiled)
    assert r.details["vjp"] == [0.0, 0.0]
    assert r.jacobian.shape == (2, 2)
    assert r.gradient is None
    # f = (x, x) at 2, ybar = (1, 2): ybar J = 1 + 2 = 3 (closed form).
    r = dz.differentiate("x, x", [2], method="reverse", ybar=[1.0, 2.0], compiled=compiled)
    assert r.details["vjp"] == [3.0]
    assert r.derivative is None  # two outputs: no single f'(x)


# --- names: an input called y ---------------------------------------------------------------------


def _nfd(s):
    return unicodedata.normalize("NFD", s)


def test_an_input_named_y_has_its_own_adjoint():
    # f(x, y) = x*y + y at (1, 2): ∂f/∂x = y = 2, ∂f/∂y = x + 1 = 2 (closed form). The adjoint table's
    # seed (the output's bar) is not named ȳ, which is the input's adjoint only.
    f = dz.parse("x*y + y")
    rev = dz.differentiate(f, [1, 2], method="reverse")
    assert rev.gradient == {"x": 2.0, "y": 2.0}
    (adj,) = [t for k, t in rev.trace.tables().items() if k.startswith("adjoint")]
    seed_rule = adj.rows[0].rule  # the seed row: v̄_k = (output's bar)
    results = [r.name for r in adj.rows if r.generic == "result"]
    assert _nfd(seed_rule) not in {_nfd(n) for n in results}


# --- pow at a zero base ---------------------------------------------------------------------------


def test_x_to_the_zero_at_zero_has_derivative_zero():
    # x^0 = 1 for every x (0^0 = 1, as math.pow and the value here say): d/dx = 0 (closed form).
    r = dz.differentiate("x^0", [0.0], method="reverse")
    assert r.value == 1.0 and r.derivative == 0.0
    assert dz.differentiate("x^0", [0.0], method="reverse", compiled=True).derivative == 0.0


@pytest.mark.parametrize("compiled", [False, True])
def test_x_to_the_y_at_a_zero_base(compiled):
    # 0^y = 0 for every y > 0, so at (0, 2): ∂/∂y = 0, and ∂/∂x = y x^(y-1) = 2 * 0 = 0 (closed form).
    r = dz.differentiate("x^y", [0.0, 2.0], method="reverse", compiled=compiled)
    assert r.gradient == {"x": 0.0, "y": 0.0}
    # 0^x at 2: d/dx = 0 (the function is 0 for x > 0).
    assert dz.differentiate("0^x", [2.0], method="reverse", compiled=compiled).derivative == 0.0


@pytest.mark.parametrize(("point", "fragment"), [([0.0, 0.0], "does not exist"), ([-2.0, 3.0], "does not exist")])
def test_x_to_the_y_still_refuses_where_the_y_partial_does_not_exist(point, fragment):
    # ∂(x^y)/∂y = x^y ln x (closed form) has no value at either point: at (0, 0), 0^y jumps (0 for y > 0,
    # 1 at 0, inf below); at (-2, 3), (-2)^y is not real for y near 3.
    with pytest.raises(dz.EvaluationError, match=fragment):
        dz.differentiate("x^y", point, method="reverse")


# --- accuracy where the textbook formula cancels ----------------------------------------------------


@pytest.mark.parametrize("x", [0.9999999999, -0.99999999, 1 - 2**-40, 0.999, -0.5])
@pytest.mark.parametrize(("text", "sign"), [("asin(x)", 1), ("acos(x)", -1)])
def test_asin_acos_derivative_near_plus_minus_one_is_accurate(text, sign, x):
    # asin'(x) = -acos'(x) = 1/sqrt(1 - x^2), evaluated with mpmath at 50 digits (x is exact data).
    # 1 - x*x in floats cancels near ±1 (2.8e-10 relative error at -0.99999999).
    import mpmath

    with mpmath.workdps(50):
        exact = float(sign / mpmath.sqrt(1 - mpmath.mpf(x) ** 2))
    got = dz.differentiate(text, [x], method="reverse").derivative
    assert got == pytest.approx(exact, rel=4e-16, abs=0)


@pytest.mark.parametrize("x", [20.0, 40.0, 700.0, -20.0, -40.0, 0.5])
def test_sigmoid_derivative_in_both_tails(x):
    # σ'(x) = e^-x / (1 + e^-x)^2, with mpmath at 50 digits: 2.0611536e-09 at ±20, 4.2483543e-18 at ±40,
    # 9.86e-305 at 700. σ(1 - σ) loses it for large positive x (1 - σ cancels).
    import mpmath

    with mpmath.workdps(50):
        t = mpmath.exp(-mpmath.mpf(x))
        exact = float(t / (1 + t) ** 2)
    got = dz.differentiate("sigmoid(x)", [x], method="reverse").derivative
    assert got == pytest.approx(exact, rel=1e-15, abs=0)


# --- points -----------------------------------------------------------------------------------------


def test_an_integer_too_large_for_a_float_is_a_point_error():
    # 10**400 > 1.8e308 (the largest float): like the text '1e400', refused as a PointError (not an
    # OverflowError escaping). Checked with the default method, reverse.
    with pytest.raises(dz.PointError, match="finite"):
        dz.differentiate("x", {"x": 10**400})

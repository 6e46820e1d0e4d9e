"""Forward mode (dual numbers, tangent sweeps), interpreted and compiled: edge points and traces.

Oracles: closed-form derivatives worked by hand, and mpmath at 50 digits where floats cancel.
"""

from __future__ import annotations

import pytest

import diffzoo as dz
from diffzoo.forward import derivative

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


# --- names: an input called y ---------------------------------------------------------------------


def test_an_input_named_y_has_one_tangent_row():
    # f(x, y) = x*y + y at (1, 2), seeded in x: ∂f/∂x = y = 2 (closed form). The tangent table names ẏ
    # once (the input's tangent, not also the output's), and the output is not named like an input.
    f = dz.parse("x*y + y")
    fwd = dz.differentiate(f, [1, 2], method="forward", seed=[1, 0])
    assert fwd.details["jvp"] == [2.0]
    tables = fwd.trace.tables()
    (tangent,) = [t for k, t in tables.items() if k.startswith("tangent")]
    names = [r.name for r in tangent.rows]
    assert len(names) == len(set(names)), names
    primal = [r.name for r in tables["primal"].rows]
    assert primal[-1] not in f.variables
    assert dz.parse(SURVEY).wengert.output_names() == ["y"]  # unchanged where there is no clash


# --- pow at a zero base ---------------------------------------------------------------------------


def test_x_to_the_zero_at_zero_has_derivative_zero():
    # x^0 = 1 for every x (0^0 = 1, as math.pow and the value here say): d/dx = 0 (closed form).
    r = dz.differentiate("x^0", [0.0], method="forward")
    assert r.value == 1.0 and r.derivative == 0.0
    assert dz.differentiate("x^0", [0.0], method="forward", compiled=True).derivative == 0.0


@pytest.mark.parametrize("compiled", [False, True])
def test_x_to_the_y_at_a_zero_base(compiled):
    # 0^y = 0 for every y > 0, so at (0, 2): ∂/∂y = 0, and ∂/∂x = y x^(y-1) = 2 * 0 = 0 (closed form).
    r = dz.differentiate("x^y", [0.0, 2.0], method="forward", compiled=compiled)
    assert r.gradient == {"x": 0.0, "y": 0.0}
    # 0^x at 2: d/dx = 0 (the function is 0 for x > 0).
    assert dz.differentiate("0^x", [2.0], method="forward", compiled=compiled).derivative == 0.0


def test_third_derivative_of_x_squared_at_zero_by_nested_duals():
    # (x^2)''' = 0 everywhere and (x^2)'' = 2 (closed forms); the innermost rule is d/dx x^0, at x = 0.
    assert derivative(derivative(derivative(lambda x: x**2.0)))(0.0) == 0.0
    assert derivative(derivative(lambda x: x**2.0))(0.0) == 2.0


# --- accuracy where the textbook formula cancels ----------------------------------------------------


@pytest.mark.parametrize("x", [0.9999999999, -0.99999999, 1 - 2**-40, 0.999, -0.5])
@pytest.mark.parametrize(("text", "sign"), [("asin(x)", 1), ("acos(x)", -1)])
def test_asin_acos_derivative_near_plus_minus_one_is_accurate(text, sign, x):
    # asin'(x) = -acos'(x) = 1/sqrt(1 - x^2), evaluated with mpmath at 50 digits (x is exact data).
    # 1 - x*x in floats cancels near ±1 (2.8e-10 relative error at -0.99999999).
    import mpmath

    with mpmath.workdps(50):
        exact = float(sign / mpmath.sqrt(1 - mpmath.mpf(x) ** 2))
    got = dz.differentiate(text, [x], method="forward").derivative
    assert got == pytest.approx(exact, rel=4e-16, abs=0)


@pytest.mark.parametrize("x", [20.0, 40.0, 700.0, -20.0, -40.0, 0.5])
def test_sigmoid_derivative_in_both_tails(x):
    # σ'(x) = e^-x / (1 + e^-x)^2, with mpmath at 50 digits: 2.0611536e-09 at ±20, 4.2483543e-18 at ±40,
    # 9.86e-305 at 700. σ(1 - σ) loses it for large positive x (1 - σ cancels).
    import mpmath

    with mpmath.workdps(50):
        t = mpmath.exp(-mpmath.mpf(x))
        exact = float(t / (1 + t) ** 2)
    got = dz.differentiate("sigmoid(x)", [x], method="forward").derivative
    assert got == pytest.approx(exact, rel=1e-15, abs=0)

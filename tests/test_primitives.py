"""Every primitive of the table, by every method, against two independent oracles.

Oracles: sympy's own ``diff`` of the sympy counterpart (built from the checked tree, never from
text), evaluated with mpmath at 30 digits; and central differences with a step of 1e-6, whose
error for these smooth functions is below ~1e-8 relative. Second derivatives are checked the
same way, by differentiating the symbolic derivative again and by nesting dual numbers.
"""

import math

import pytest
import sympy as sp

import diffzoo as dz
from diffzoo.expr import to_text
from diffzoo.forward import derivative, function_of
from diffzoo.symbolic import derive, to_sympy

# Each user-callable function and each operator, with points inside its domain.
CASES = {
    "sin(x)": [-2.0, 0.3, 1.7],
    "cos(x)": [-2.0, 0.3, 1.7],
    "tan(x)": [-1.2, 0.3, 1.0],
    "exp(x)": [-3.0, 0.0, 2.5],
    "ln(x)": [0.1, 1.0, 7.5],
    "log(x)": [0.5, 3.0],
    "sqrt(x)": [0.04, 1.0, 9.0],
    "tanh(x)": [-2.0, 0.0, 1.0],
    "sinh(x)": [-1.5, 0.2, 2.0],
    "cosh(x)": [-1.5, 0.2, 2.0],
    "asin(x)": [-0.9, 0.0, 0.5],
    "acos(x)": [-0.9, 0.0, 0.5],
    "atan(x)": [-3.0, 0.0, 0.7],
    "abs(x)": [-2.5, 0.7],
    "sign(x)": [-1.5, 2.0],
    "sigmoid(x)": [-4.0, 0.0, 2.0],
    "relu(x)": [-1.5, 0.7, 2.0],
    "step(x)": [-1.5, 2.0],
    "max(x, 2 - x)": [-1.5, 2.0],  # x < 1: the second argument (slope -1); x > 1: the first (slope 1)
    "min(x^2, 1)": [-0.5, 0.3, 2.0],  # |x| < 1: x^2 (slope 2x); |x| > 1: the constant 1 (slope 0)
    "x + 2": [-1.0, 3.0],
    "x - 2": [-1.0, 3.0],
    "2 - x": [-1.0, 3.0],
    "3 * x": [-1.0, 3.0],
    "x / 3": [-1.0, 3.0],
    "3 / x": [-1.0, 3.0],
    "-x": [-1.0, 3.0],
    "x^3": [-1.5, 0.5, 2.0],
    "x^2.5": [0.5, 2.0],
    "2^x": [-1.0, 0.5, 3.0],
    "x^x": [0.5, 2.0],
}

ORACLE_DIGITS = 30


def sympy_derivative(text: str, x: float, order: int = 1) -> float:
    f = dz.parse(text)
    e = to_sympy(f.outputs[0])
    (sym,) = e.free_symbols
    return float(sp.diff(e, sym, order).evalf(ORACLE_DIGITS, subs={sym: sp.Rational(repr(x))}))


def central(text: str, x: float, h: float = 1e-6) -> float:
    wl = dz.parse(text).wengert
    return (wl(x + h) - wl(x - h)) / (2 * h)


CASE_LIST = [(t, x) for t, xs in CASES.items() for x in xs]


@pytest.mark.parametrize(("text", "x"), CASE_LIST)
@pytest.mark.parametrize("method", ["forward", "reverse", "symbolic"])
def test_first_derivative_matches_sympy_and_central_differences(text, x, method):
    exact = sympy_derivative(text, x)
    got = dz.differentiate(text, [x], method=method).derivative
    assert got == pytest.approx(exact, rel=1e-14, abs=1e-15)
    assert got == pytest.approx(central(text, x), rel=1e-7, abs=1e-8)


@pytest.mark.parametrize(("text", "x"), CASE_LIST)
def test_all_numeric_schemes_are_close(text, x):
    exact = sympy_derivative(text, x)
    # Error bounds for the default relative steps on these functions and points (ln near 0.1 is the worst).
    tol = {"forward": 1e-6, "backward": 1e-6, "central": 1e-9, "complex": 1e-14, "richardson": 1e-10}
    for scheme, rel in tol.items():
        if scheme == "complex" and text == "abs(x)" and x == 0:
            continue
        got = dz.differentiate(text, [x], method="numeric", scheme=scheme).derivative
        assert got == pytest.approx(exact, rel=rel, abs=rel), scheme


@pytest.mark.parametrize(("text", "x"), CASE_LIST)
def test_second_derivative_symbolic_twice_and_nested_duals(text, x):
    if text == "abs(x)":
        pytest.skip("abs'' is 0 away from 0; sympy leaves it as a derivative of sign")
    exact = sympy_derivative(text, x, order=2)
    f = dz.parse(text)
    d2 = derive(derive(f.outputs[0], "x"), "x")
    from diffzoo.wengert import WengertList

    wl2 = WengertList.from_exprs([d2], ["x"])
    assert wl2(x) == pytest.approx(exact, rel=1e-12, abs=1e-13)
    fx = function_of(f.wengert)
    assert derivative(derivative(fx))(x) == pytest.approx(exact, rel=1e-12, abs=1e-13)


def test_sin_second_derivative_at_half():
    # diff-zoo / reference cases: sin'(0.5) = cos(0.5), sin''(0.5) = -sin(0.5).
    fx = function_of(dz.parse("sin(x)").wengert)
    assert derivative(fx)(0.5) == 0.8775825618903728
    assert derivative(derivative(fx))(0.5) == -0.479425538604203


def test_tanh_derivative_at_one():
    # reference: d/dx tanh(x) at 1.0 = 0.41997434161402603
    assert dz.differentiate("tanh(x)", [1.0]).derivative == pytest.approx(0.41997434161402603, rel=1e-15, abs=0)


def test_perturbation_confusion_is_cured_by_tags():
    # d/dx [x * (d/dy (x + y) at y=1)] at x=1 is 1 (a naive nesting gives 2);
    # d/dx [x * (d/dy (x * y) at y=1)] at x=4 is 8 (naive: 5).
    assert derivative(lambda x: x * derivative(lambda y: x + y)(1.0))(1.0) == 1.0
    assert derivative(lambda x: x * derivative(lambda y: x * y)(1.0))(4.0) == 8.0


def test_every_user_function_is_covered():
    covered = {t.split("(")[0] for t in CASES if "(" in t}
    assert covered == set(dz.FUNCTIONS)


def test_printed_derivative_parses_back_to_the_same_value():
    for text, xs in CASES.items():
        d = derive(dz.parse(text).outputs[0], "x")
        again = dz.parse(to_text(d), variables=["x"])
        for x in xs:
            expect = dz.differentiate(text, [x], method="symbolic").derivative
            assert again.wengert(x) == pytest.approx(expect, rel=1e-15, abs=1e-300)


def test_x_over_1_plus_x2_quotient_rule():
    # reference: d/dx [x / (1 + x^2)] at 5 = -6/169 (diff-zoo's own quotient rule gets this wrong).
    for method in ("forward", "reverse", "symbolic"):
        assert dz.differentiate("x/(1+x^2)", [5], method=method).derivative == pytest.approx(-6 / 169, rel=1e-15, abs=0)


def test_logistic_map_l4_derivative():
    # reference: d l_4/dx at 0.2 = 708288/78125 = 9.0660864 exactly.
    from diffzoo.families import logistic_map

    for method in ("forward", "reverse", "symbolic"):
        assert dz.differentiate(logistic_map(4), [0.2], method=method).derivative == pytest.approx(9.0660864,
                                                                                                   rel=1e-14, abs=0)


def test_squire_trapp_complex_step_example():
    # reference: f(x) = exp(x)/sqrt(sin(x)^3 + cos(x)^3), f'(1.5) = 4.0534278938986207;
    # complex step reaches ~2e-16 relative for any h <= 1e-8.
    text = "exp(x)/sqrt(sin(x)^3+cos(x)^3)"
    exact = 4.0534278938986207
    assert dz.differentiate(text, [1.5]).derivative == pytest.approx(exact, rel=1e-15, abs=0)
    for eps in (1e-8, 1e-20, 1e-100):
        got = dz.differentiate(text, [1.5], method="numeric", scheme="complex", eps=eps).derivative
        assert abs(got - exact) / exact < 1e-15
    assert math.isfinite(dz.differentiate(text, [1.5], method="numeric", scheme="forward").derivative)


def test_relu_and_its_step():
    # relu(x) = max(x, 0): relu'(x) = step(x), 1 for x > 0 and 0 for x < 0 (closed form).
    for method in ("forward", "reverse", "symbolic", "numeric"):
        assert dz.differentiate("relu(x)", [0.7], method=method).derivative == pytest.approx(1.0, rel=1e-9, abs=0)
        assert dz.differentiate("relu(x)", [-0.7], method=method).derivative == 0.0
    # The printed derivative reads back: d/dx relu(sin x) = step(sin x) cos x.
    assert to_text(derive(dz.parse("relu(sin(x))").outputs[0], "x")) == "step(sin(x)) * cos(x)"
    # At its kink the rule's convention relu'(0) = step(0) = 0 is a value, not a derivative: the one-sided
    # derivatives are 0 (left) and 1 (right), and the result says so.
    r = dz.differentiate("relu(x)", [0.0])
    assert r.derivative == 0.0
    assert len(r.warnings) == 1 and "0 from the left and 1 from the right" in r.warnings[0]
    assert "relu′(0) = step(0) = 0" in r.warnings[0]
    # step jumps at 0 as x grows, so f = step(x) has no derivative there.
    assert "jumps" in dz.differentiate("step(x)", [0.0]).warnings[0]

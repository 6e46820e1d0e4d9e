"""A reviewer's cases: edge points, result fields and presentation that no other test reached.

Each expected figure says where it comes from (a closed form, or central differences).
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pytest

import diffzoo as dz
from diffzoo.compare import compare, reference_jacobian
from diffzoo.forward import derivative
from diffzoo.numeric import TEXTBOOK_EPS, error_sweep

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
    r = dz.differentiate("x, x", [2], method="reverse", ybar=[1.0, 2.0], compiled=compiled)
    assert r.details["vjp"] == [3.0]
    assert r.derivative is None  # two outputs: no single f'(x)


# --- names: an input called y ---------------------------------------------------------------------


def _nfd(s):
    return unicodedata.normalize("NFD", s)


def test_an_input_named_y_does_not_share_its_name_with_the_output():
    # f(x, y) = x*y + y at (1, 2): ∂f/∂x = y = 2, ∂f/∂y = x + 1 = 2 (closed form).
    f = dz.parse("x*y + y")
    df = compare(f, {"x": 1, "y": 2})
    partial_cols = [c for c in df.columns if c.startswith("∂")]
    assert len(partial_cols) == 2 and "∂y/∂y" not in partial_cols
    assert list(df.set_index("method").loc["reverse", partial_cols]) == [2.0, 2.0]
    fwd = dz.differentiate(f, [1, 2], method="forward", seed=[1, 0])
    tables = fwd.trace.tables()
    (tangent,) = [t for k, t in tables.items() if k.startswith("tangent")]
    names = [r.name for r in tangent.rows]
    assert len(names) == len(set(names)), names  # ẏ once: the input's tangent, not also the output's
    primal = [r.name for r in tables["primal"].rows]
    assert primal[-1] not in f.variables
    rev = dz.differentiate(f, [1, 2], method="reverse")
    (adj,) = [t for k, t in rev.trace.tables().items() if k.startswith("adjoint")]
    seed_rule = adj.rows[0].rule  # the seed row: v̄_k = (output's bar)
    results = [r.name for r in adj.rows if r.generic == "result"]
    assert _nfd(seed_rule) not in {_nfd(n) for n in results}  # ȳ is the input's adjoint only
    assert dz.parse(SURVEY).wengert.output_names() == ["y"]  # unchanged where there is no clash


SURVEY = "ln(x1) + x1*x2 - sin(x2)"


# --- pow at a zero base ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["forward", "reverse", "symbolic"])
def test_x_to_the_zero_at_zero_has_derivative_zero(method):
    # x^0 = 1 for every x (0^0 = 1, as math.pow and the value here say): d/dx = 0 (closed form).
    r = dz.differentiate("x^0", [0.0], method=method)
    assert r.value == 1.0 and r.derivative == 0.0
    if method != "symbolic":
        assert dz.differentiate("x^0", [0.0], method=method, compiled=True).derivative == 0.0


@pytest.mark.parametrize("method", ["forward", "reverse"])
@pytest.mark.parametrize("compiled", [False, True])
def test_x_to_the_y_at_a_zero_base(method, compiled):
    # 0^y = 0 for every y > 0, so at (0, 2): ∂/∂y = 0, and ∂/∂x = y x^(y-1) = 2 * 0 = 0 (closed form);
    # central differences agree (they give exactly 0).
    r = dz.differentiate("x^y", [0.0, 2.0], method=method, compiled=compiled)
    assert r.gradient == {"x": 0.0, "y": 0.0}
    num = dz.differentiate("x^y", [0.0, 2.0], method="numeric", scheme="central")
    assert num.gradient == {"x": 0.0, "y": 0.0}
    # 0^x at 2: d/dx = 0 (the function is 0 for x > 0).
    assert dz.differentiate("0^x", [2.0], method=method, compiled=compiled).derivative == 0.0


@pytest.mark.parametrize(("point", "fragment"), [([0.0, 0.0], "does not exist"), ([-2.0, 3.0], "does not exist")])
def test_x_to_the_y_still_refuses_where_the_y_partial_does_not_exist(point, fragment):
    # At (0, 0), 0^y jumps (0 for y > 0, 1 at 0, inf below); at (-2, 3), (-2)^y is not real for y near 3.
    with pytest.raises(dz.EvaluationError, match=fragment):
        dz.differentiate("x^y", point, method="reverse")


def test_third_derivative_of_x_squared_at_zero_by_nested_duals():
    # (x^2)''' = 0 everywhere (closed form); the innermost rule is d/dx x^0, at x = 0.
    assert derivative(derivative(derivative(lambda x: x**2.0)))(0.0) == 0.0
    assert derivative(derivative(lambda x: x**2.0))(0.0) == 2.0


def test_negative_base_message_does_not_round_the_exponent_to_an_integer():
    # Forward differences in y at (-2, 3) evaluate (-2)^(3 + h): the message must not say "power 3".
    with pytest.raises(dz.EvaluationError) as info:
        dz.differentiate("x^y", [-2.0, 3.0], method="numeric", scheme="forward")
    shown = re.search(r"no real power (\S+)", str(info.value)).group(1)
    assert float(shown) != int(float(shown)), str(info.value)


# --- numeric ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("x", [0.3, 1.7, -7.1, 123.456, 0.0])
@pytest.mark.parametrize("scheme", ["forward", "backward", "central", "richardson", "complex"])
def test_every_scheme_is_exact_on_the_identity(scheme, x):
    # f(x) = x: f' = 1 (closed form). With representable steps x ± h (and x ± h/2) every stencil
    # point and difference is exact, so every scheme returns exactly 1.
    assert dz.differentiate("x", [x], method="numeric", scheme=scheme).derivative == 1.0


def test_richardson_sweep_is_exact_on_the_identity_for_moderate_steps():
    sweep = error_sweep(dz.parse("x").wengert, [1.7], 1.0, eps=np.logspace(-10, -1, 37), schemes=["richardson"])
    assert (sweep["error"] == 0).all()


@pytest.mark.parametrize(("scheme", "per_input"), [("forward", 1), ("backward", 1), ("central", 2),
                                                   ("richardson", 4), ("complex", 2)])
def test_numeric_cost_counts_f_at_the_point_once(scheme, per_input):
    # n = 3 inputs: forward/backward differences need f(x) and f(x + h e_i): n + 1 evaluations in all,
    # f(x) being the value the result reports anyway; central 2n + 1 (the value), and so on.
    # A fixed step (no pilot evaluations to choose it); the complex step is checked at 2h, even when given.
    r = dz.differentiate("x1*x2*x3", [1, 2, 3], method="numeric", scheme=scheme, eps=TEXTBOOK_EPS[scheme])
    assert r.cost.function_evals == 1 + per_input * 3
    assert r.gradient == pytest.approx({"x1": 6.0, "x2": 3.0, "x3": 2.0}, rel=1e-6)


# --- compare ------------------------------------------------------------------------------------------


def test_relative_error_against_an_exact_zero_is_not_a_huge_number():
    # (x^3)' at 0 = 0 exactly; central differences give about 4e-13: no finite relative error.
    df = compare("x^3", {"x": 0.0}).set_index("method")
    assert df.loc["forward", "max rel. error"] == 0.0
    assert df.loc["numeric", "∂y/∂x"] != 0.0
    assert df.loc["numeric", "max rel. error"] == math.inf


def test_reference_entry_by_entry():
    # sqrt(x) + y at (0, 1): ∂/∂x = 1/(2 sqrt x) does not exist; ∂/∂y = 1 does (closed form).
    ref = reference_jacobian(dz.parse("sqrt(x) + y"), {"x": 0.0, "y": 1.0})
    assert math.isnan(ref[0, 0]) and ref[0, 1] == 1.0


@pytest.mark.parametrize("x", [1e20, 1e18, 1e300, -3e15])
def test_complex_step_stays_small_at_large_x(x):
    # sin'(x) = cos(x) (closed form, math.cos is correctly rounded here to ~1 ulp). The complex step
    # has no cancellation, so a tiny step is exact to rounding at any x; a step of 1e-20 |x| is not
    # small at x = 1e20 (error 17%) and overflows cosh at x = 1e300.
    got = dz.differentiate("sin(x)", [x], method="numeric", scheme="complex").derivative
    assert got == pytest.approx(math.cos(x), rel=1e-14, abs=0)


@pytest.mark.parametrize(("text", "point", "scheme", "eps", "where"), [
    ("sqrt(x)", [0.0], "central", None, "x - h"),  # no step is small enough: sqrt(-h) has no value
    ("ln(x)", [1e-9], "backward", TEXTBOOK_EPS["backward"], "x - h"),  # a fixed step of 1.5e-9
    ("x^y", [-2.0, 3.0], "forward", None, "y + h"),  # (-2)^(3 + h) is not real for any h
])
def test_numeric_domain_error_names_the_stencil_point(text, point, scheme, eps, where):
    # The point itself is inside the domain (the value exists); the stencil point is not. The message
    # must say so rather than report a value such as -6.05545e-07 the user never typed.
    dz.parse(text).wengert(*point)  # the value at the point exists
    with pytest.raises(dz.EvaluationError) as info:
        dz.differentiate(text, point, method="numeric", scheme=scheme, eps=eps)
    assert f"f at {where} = " in info.value.message and "differences need" in info.value.message


@pytest.mark.parametrize("scheme", ["forward", "backward", "central"])
def test_chosen_step_shrinks_to_fit_the_domain(scheme):
    # ln'(x) = 1/x = 1e9 at x = 1e-9 (closed form). A step relative to max(|x|, 0.1) would cross 0;
    # the pilot stencils shrink tenfold until they fit, and the step then follows ln's curvature.
    r = dz.differentiate("ln(x)", [1e-9], method="numeric", scheme=scheme)
    assert r.derivative == pytest.approx(1e9, rel=1e-6)
    assert r.details["steps"][0] < 1e-9


@pytest.mark.parametrize("x", [0.9999999999, -0.99999999, 1 - 2**-40, 0.999, -0.5])
@pytest.mark.parametrize(("text", "sign"), [("asin(x)", 1), ("acos(x)", -1)])
@pytest.mark.parametrize("method", ["forward", "reverse", "symbolic"])
def test_asin_acos_derivative_near_plus_minus_one_is_accurate(text, sign, x, method):
    # asin'(x) = -acos'(x) = 1/sqrt(1 - x^2), evaluated with mpmath at 50 digits (x is exact data).
    # 1 - x*x in floats cancels near ±1 (2.8e-10 relative error at -0.99999999).
    import mpmath

    with mpmath.workdps(50):
        exact = float(sign / mpmath.sqrt(1 - mpmath.mpf(x) ** 2))
    got = dz.differentiate(text, [x], method=method).derivative
    assert got == pytest.approx(exact, rel=4e-16, abs=0)


@pytest.mark.parametrize("x", [20.0, 40.0, 700.0, -20.0, -40.0, 0.5])
@pytest.mark.parametrize("method", ["forward", "reverse", "symbolic"])
def test_sigmoid_derivative_in_both_tails(x, method):
    # σ'(x) = e^-x / (1 + e^-x)^2, with mpmath at 50 digits: 2.0611536e-09 at ±20, 4.2483543e-18 at ±40,
    # 9.86e-305 at 700. σ(1 - σ) loses it for large positive x (1 - σ cancels).
    import mpmath

    with mpmath.workdps(50):
        t = mpmath.exp(-mpmath.mpf(x))
        exact = float(t / (1 + t) ** 2)
    got = dz.differentiate("sigmoid(x)", [x], method=method).derivative
    assert got == pytest.approx(exact, rel=1e-15, abs=0)


def test_an_integer_too_large_for_a_float_is_a_point_error():
    # 10**400 > 1.8e308: like the text '1e400', refused as a PointError (not an OverflowError escaping).
    with pytest.raises(dz.PointError, match="finite"):
        dz.differentiate("x", {"x": 10**400})


def test_error_sweep_relative_error_against_an_exact_zero():
    # (x^3)' at 0 = 0 (closed form): forward differences give h^2 > 0, an absolute error, and no finite
    # relative one; the column must not repeat the absolute error under the name "rel_error".
    sweep = error_sweep(dz.parse("x^3").wengert, [0.0], 0.0, eps=np.array([1e-3, 1e-2]), schemes=["forward"])
    assert (sweep["error"] > 0).all()
    assert (sweep["rel_error"] == math.inf).all()


@pytest.mark.parametrize(("x", "eps", "scheme"), [(1.0, 1e-20, "central"), (1e20, 1e-5, "richardson"),
                                                  (2.0**53, 0.5, "backward")])
def test_a_step_below_the_spacing_of_floats_is_refused(x, eps, scheme):
    # 1 + 1e-20 == 1 in float64 (the spacing at 1 is 2.2e-16): every stencil point would be x itself
    # and the estimate a silent 0. Richardson's half step and the spacing below 2^53 (1.0) count too.
    with pytest.raises(dz.EvaluationError, match="below the spacing of floats"):
        dz.differentiate("sin(x)", [x], method="numeric", scheme=scheme, eps=eps, relative=False)
    # the chosen step is never that small, even where the function cannot be resolved at all
    r = dz.differentiate("sin(x)", [x], method="numeric", scheme=scheme if scheme != "richardson" else "central")
    assert all(x + h != x and x - h != x for h in r.details["steps"])

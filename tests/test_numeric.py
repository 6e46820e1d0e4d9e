"""Numeric differentiation: the schemes, their costs, the chosen step, error sweeps and domain errors.

Oracles: closed-form derivatives (and closed-form f'' and f''' for the step model), the Squire–Trapp
example's published f'(1.5), exact float arithmetic on the identity, and the textbook error model
(truncation plus rounding) for the sizes of steps and errors.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import diffzoo as dz
from diffzoo.numeric import (
    MAX_PILOTS,
    ROUNDING,
    TEXTBOOK_EPS,
    Bounds,
    best_steps,
    choose_step,
    error_sweep,
    estimate,
    rounding_noise,
)

EPS = float(np.finfo(float).eps)

# --- the schemes ----------------------------------------------------------------------------------


def test_numeric_schemes_on_squire_trapp():
    # Squire and Trapp's example (SIAM Review 40, 1998): f = exp(x)/sqrt(sin(x)^3 + cos(x)^3),
    # f'(1.5) = 4.0534278938986207; best float64 errors: forward ~2e-8, central ~1e-10, complex ~2e-16.
    text, exact = "exp(x)/sqrt(sin(x)^3+cos(x)^3)", 4.0534278938986207
    f = dz.parse(text)
    sweep = error_sweep(f.wengert, [1.5], exact)
    best = best_steps(sweep).set_index("scheme")["rel_error"]
    assert best["forward"] < 1e-7
    assert best["central"] < 1e-9
    assert best["complex"] < 1e-15
    assert best["richardson"] < best["central"]
    fwd = sweep[sweep.scheme == "forward"]
    big = fwd.iloc[(fwd.eps - 1e-2).abs().argmin()]["rel_error"]
    assert big > 1e-3  # a step of 1e-2 is all truncation error


@pytest.mark.parametrize("x", [0.3, 1.7, -7.1, 123.456, 0.0])
@pytest.mark.parametrize("scheme", ["forward", "backward", "central", "richardson", "complex"])
def test_every_scheme_is_exact_on_the_identity(scheme, x):
    # f(x) = x: f' = 1 (closed form). With representable steps x ± h (and x ± h/2) every stencil
    # point and difference is exact, so every scheme returns exactly 1.
    assert dz.differentiate("x", [x], method="numeric", scheme=scheme).derivative == 1.0


@pytest.mark.parametrize("x", [1e20, 1e18, 1e300, -3e15])
def test_complex_step_stays_small_at_large_x(x):
    # sin'(x) = cos(x) (closed form, math.cos is correctly rounded here to ~1 ulp). The complex step
    # has no cancellation, so a tiny step is exact to rounding at any x; a step of 1e-20 |x| is not
    # small at x = 1e20 (error 17%) and overflows cosh at x = 1e300.
    got = dz.differentiate("sin(x)", [x], method="numeric", scheme="complex").derivative
    assert got == pytest.approx(math.cos(x), rel=1e-14, abs=0)


def test_x_to_the_y_at_a_zero_base_by_central_differences():
    # 0^y = 0 for every y > 0, so at (0, 2): ∂/∂y = 0 and ∂/∂x = y x^(y-1) = 0 (closed form); central
    # differences give exactly 0 too ((±h)^2 - (±h)^2 cancels exactly; 0^(2 ± h) = 0).
    num = dz.differentiate("x^y", [0.0, 2.0], method="numeric", scheme="central")
    assert num.gradient == {"x": 0.0, "y": 0.0}


# --- costs ------------------------------------------------------------------------------------------


def test_numeric_costs():
    # x1*x2*x3 at (1, 2, 3), a fixed step (no pilots): central differences need f(x) (the value) and
    # f(x ± h e_i) for 3 inputs, 1 + 6; forward differences f(x) and f(x + h e_i), 1 + 3 (counted by hand).
    h = TEXTBOOK_EPS["central"]
    r = dz.differentiate("x1*x2*x3", [1, 2, 3], method="numeric", scheme="central", eps=h)
    assert r.cost.function_evals == 1 + 6
    r = dz.differentiate("x1*x2*x3", [1, 2, 3], method="numeric", scheme="forward", eps=TEXTBOOK_EPS["forward"])
    assert r.cost.function_evals == 1 + 3  # f(x) once (it is also the value), then f(x + h e_i) for 3 inputs


@pytest.mark.parametrize(("scheme", "per_input"), [("forward", 1), ("backward", 1), ("central", 2),
                                                   ("richardson", 4), ("complex", 2)])
def test_numeric_cost_counts_f_at_the_point_once(scheme, per_input):
    # n = 3 inputs: forward/backward differences need f(x) and f(x + h e_i): n + 1 evaluations in all,
    # f(x) being the value the result reports anyway; central 2n + 1 (the value), and so on.
    # A fixed step (no pilot evaluations to choose it); the complex step is checked at 2h, even when given.
    # The gradient of x1*x2*x3 at (1, 2, 3) is (x2 x3, x1 x3, x1 x2) = (6, 3, 2) (closed form).
    r = dz.differentiate("x1*x2*x3", [1, 2, 3], method="numeric", scheme=scheme, eps=TEXTBOOK_EPS[scheme])
    assert r.cost.function_evals == 1 + per_input * 3
    assert r.gradient == pytest.approx({"x1": 6.0, "x2": 3.0, "x3": 2.0}, rel=1e-6)


def test_chosen_step_costs_count_every_pilot():
    # Central differences with a chosen step: 1 (the value) + per input 2 for the estimate, 2 for its check
    # at h/2, and 4 per pilot stencil (every check passes at once on this smooth function). The counts are
    # worked out by hand from the stencils, and the calls to the function are counted as they happen.
    r = dz.differentiate("sin(x1)*x2 + exp(x2)", [0.7, 1.3], method="numeric", scheme="central")
    choices = r.details["choices"]
    assert all(e.trusted for e in r.details["estimates"])
    assert [c.evals for c in choices] == [4 * len(c.pilots) for c in choices]
    assert r.cost.function_evals == 1 + sum(2 + 2 + c.evals for c in choices)
    # forward differences: 2 evaluations per pilot, 1 for the estimate, 1 for its check; f(x) is shared
    r = dz.differentiate("sin(x1)*x2 + exp(x2)", [0.7, 1.3], method="numeric", scheme="forward")
    assert r.cost.function_evals == 1 + sum(2 + 2 * len(c.pilots) for c in r.details["choices"])
    assert "pilot" in r.trace.tables()["estimates"].rows[0].rule
    # one input alone: f at the point once (its noise, and f(x) for the one-sided schemes), the pilots, the
    # estimate and its check at h/2
    wl = dz.parse("sin(x)*exp(x)").wengert
    for scheme, own, per_pilot in (("forward", 2, 2), ("backward", 2, 2), ("central", 4, 4)):
        calls = []
        evaluate = wl.evaluate
        wl.evaluate = lambda p, calls=calls, evaluate=evaluate: calls.append(p) or evaluate(p)
        try:
            evals = estimate(wl, [0.7], 0, scheme).evals
        finally:
            del wl.evaluate
        pilots = len(choose_step(wl, [0.7], 0, scheme).pilots)
        assert evals == len(calls) == 1 + per_pilot * pilots + own, scheme


# --- error sweeps -----------------------------------------------------------------------------------


def test_sweep_is_vectorised_and_matches_scalar_estimates():
    # d/dx x/(1 + x^2) = (1 - x^2)/(1 + x^2)^2 = -24/676 = -6/169 at 5 (closed form); the vectorised
    # sweep's estimates must be the scalar estimates at the same fixed steps, to 1e-12.
    f = dz.parse("x/(1+x^2)")
    hs = np.array([1e-2, 1e-4, 1e-6])
    sweep = error_sweep(f.wengert, [5.0], -6 / 169, eps=hs, schemes=["central"])
    for h, est in zip(hs, sweep["estimate"]):
        scalar = dz.differentiate(f, [5.0], method="numeric", scheme="central", eps=h, relative=False).derivative
        assert est == pytest.approx(scalar, rel=1e-12, abs=0)


def test_richardson_sweep_is_exact_on_the_identity_for_moderate_steps():
    # f(x) = x: f' = 1 (closed form); at 1.7 with steps 1e-10 .. 0.1 every Richardson stencil is exact.
    sweep = error_sweep(dz.parse("x").wengert, [1.7], 1.0, eps=np.logspace(-10, -1, 37), schemes=["richardson"])
    assert (sweep["error"] == 0).all()


def test_float32_rounding_dominates_much_earlier():
    # sin'(0.5) = cos(0.5) (closed form). float32's unit roundoff is 2^29 times float64's, so its best
    # central error is at least 1e3 times larger, at a larger step (the error model: eps^(2/3), eps^(1/3)).
    f = dz.parse("sin(x)")
    s64 = best_steps(error_sweep(f.wengert, [0.5], math.cos(0.5), schemes=["central"])).iloc[0]
    s32 = best_steps(error_sweep(f.wengert, [0.5], math.cos(0.5), schemes=["central"], dtype=np.float32)).iloc[0]
    assert s32["error"] > 1e3 * s64["error"]
    assert s32["eps"] > s64["eps"]


def test_error_model_bounds_are_on_the_right_side():
    # sin at 0.5 with the closed-form bounds f = sin, f' = cos, f'' = sin, f''' = cos, f^(5) = cos; the
    # reference is sin'(0.5) = cos(0.5).
    f = dz.parse("sin(x)")
    b = Bounds(f=abs(math.sin(0.5)), d1=math.cos(0.5), d2=math.sin(0.5), d3=math.cos(0.5), d5=math.cos(0.5))
    sweep = error_sweep(f.wengert, [0.5], math.cos(0.5), bounds=b, schemes=["central"])
    mid = sweep[(sweep.eps > 1e-4) & (sweep.eps < 1e-1)]
    # in the truncation regime the error is close to |f'''| h^2 / 6
    np.testing.assert_allclose(mid["error"], mid["truncation"], rtol=0.05)


def test_error_sweep_relative_error_against_an_exact_zero():
    # (x^3)' at 0 = 0 (closed form): forward differences give h^2 > 0, an absolute error, and no finite
    # relative one; the column must not repeat the absolute error under the name "rel_error".
    sweep = error_sweep(dz.parse("x^3").wengert, [0.0], 0.0, eps=np.array([1e-3, 1e-2]), schemes=["forward"])
    assert (sweep["error"] > 0).all()
    assert (sweep["rel_error"] == math.inf).all()


def test_error_plot_axis_follows_the_measured_errors():
    # x - sin x at 0: f' = 1 - cos 0 = 0 (closed form); f, f' and f'' vanish, so the model's bounds fall
    # to ~1e-100 at small steps; the axis must still show the measured curves (errors between 1e-17 and
    # 0.2 here), not that model.
    from diffzoo import higher, plots

    f = dz.parse("x - sin(x)")
    sweep = error_sweep(f.wengert, [0.0], 0.0, bounds=higher.bounds_at(f, [0.0]))
    fig = plots.error_figure({"float64": sweep}, best_steps(sweep))
    lo, hi = fig.axes[0].get_ylim()
    assert 1e-40 <= lo <= 1e-17 and 0.1 <= hi <= 10


# --- the chosen step -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "x", "f", "third"), [  # closed forms of f and f'''
    ("sin(x)", 0.7, math.sin, lambda x: -math.cos(x)),
    ("exp(x)", 1.3, math.exp, math.exp),
    ("ln(x)", 2.0, math.log, lambda x: 2 / x**3),
    ("x^3 - 2*x", -1.1, lambda x: x**3 - 2 * x, lambda x: 6.0),
])
def test_chosen_central_step_finds_the_curvature_and_a_near_optimal_error(text, x, f, third):
    # f' from reverse mode (exact to rounding); f''' in closed form (the parameters); the bound is the
    # textbook error model's least error.
    f1 = dz.differentiate(text, [x]).derivative
    c = choose_step(dz.parse(text).wengert, [x], 0, "central")
    assert c.settled and len(c.pilots) <= 3
    assert c.curvature == pytest.approx(abs(third(x)), rel=0.02, abs=0)
    assert c.h == pytest.approx((3 * c.noise / c.curvature) ** (1 / 3), rel=1e-6, abs=0)  # the model's best h
    # The textbook error model with the exact f''' and one ulp of noise, at its own best step: the
    # chosen step's error stays below it (it is a bound: a quarter ulp is the typical rounding).
    h = (3 * EPS * abs(f(x)) / abs(third(x))) ** (1 / 3)
    bound = abs(third(x)) * h**2 / 6 + EPS * abs(f(x)) / h
    est = dz.differentiate(text, [x], "numeric").derivative
    assert abs(est - f1) <= bound


@pytest.mark.parametrize(("text", "x", "f", "second"), [  # closed forms of f and f''
    ("sin(x)", 0.7, math.sin, lambda x: -math.sin(x)),
    ("exp(x)", 1.3, math.exp, math.exp),
    ("1/x", 0.2, lambda x: 1 / x, lambda x: 2 / x**3),
])
@pytest.mark.parametrize("scheme", ["forward", "backward"])
def test_chosen_one_sided_step_finds_f2_and_a_near_optimal_error(text, x, f, second, scheme):
    # f' from reverse mode (exact to rounding); f'' in closed form; the bound is the model's least error.
    c = choose_step(dz.parse(text).wengert, [x], 0, scheme)
    # a one-sided second difference at H estimates f'' at x ± H: within H |f'''| of the exact value
    assert c.curvature == pytest.approx(abs(second(x)), rel=0.05, abs=0)
    assert c.h == pytest.approx(2 * math.sqrt(c.noise / c.curvature), rel=1e-6, abs=0)  # the model's best h
    bound = 2 * math.sqrt(abs(second(x)) * EPS * abs(f(x)))  # the model's least error, one ulp of noise
    est = dz.differentiate(text, [x], "numeric", scheme=scheme).derivative
    assert abs(est - dz.differentiate(text, [x]).derivative) <= bound


def test_rounding_noise_follows_what_cancels():
    # Expected noise levels in closed form from the rounding model (a quarter ulp per rounding).
    # (abs=0 throughout: pytest.approx's default absolute tolerance, 1e-12, would pass any noise level)
    assert ROUNDING == 2.0**-54  # a quarter of eps = 2^-52: the mean rounding error, relative
    # exp(x) - 1 at 1e-3: the result is 1e-3, but exp(x) ≈ 1 was rounded: noise ≈ ROUNDING * e^0.001.
    wl = dz.parse("exp(x) - 1").wengert
    assert rounding_noise(wl, wl.evaluate([1e-3]))[0] == pytest.approx(2.0**-54 * math.exp(1e-3), rel=1e-9, abs=0)
    # scaled by 1e-30 after the fact, the noise is scaled too (largest term, carried by the partial 1e-30)
    wl = dz.parse("1e-30*exp(x)").wengert
    assert rounding_noise(wl, wl.evaluate([2.0]))[0] == pytest.approx(1e-30 * 2.0**-54 * math.exp(2.0), rel=1e-9, abs=0)
    # accumulated as independent roundings (a root sum of squares): a sum of 5000 terms has about
    # sqrt(5000/3) times the rounding of its result, the largest term one rounding
    wl = dz.parse("+".join(["x"] * 5000)).wengert
    vals = wl.evaluate([0.5])
    assert rounding_noise(wl, vals)[0] == 2.0**-54 * 2500
    ratio = rounding_noise(wl, vals, accumulate=True)[0] / (2.0**-54 * 2500)
    assert math.sqrt(5000 / 3) * 0.99 < ratio < math.sqrt(5000 / 3) * 1.01
    # a constant subexpression rounds the same way at x and at x + h: it adds nothing
    wl = dz.parse("x + sqrt(2)*1000").wengert
    expect = 2.0**-54 * (0.5 + 1000 * math.sqrt(2))  # the sum's own rounding only
    assert rounding_noise(wl, wl.evaluate([0.5]))[0] == pytest.approx(expect, rel=1e-9, abs=0)
    wl = dz.parse("x*1 + 0*(sin(3)+1e9)").wengert
    assert rounding_noise(wl, wl.evaluate([0.5]))[0] <= 2.0**-54 * 0.5 * (1 + 1e-12)


def test_rounding_noise_carries_each_kind_of_partial():
    # The three kinds of partial the sweep reads off the table once (backends.partial_rules), each in
    # closed form, R = 2^-54 a rounding. A product by a constant: 3 (x y) - 4.5 at (0.5, 3) is exactly 0,
    # and carries the rounding of 3 (x y) = 4.5, as 3 times that of x y = 1.5.
    R = 2.0**-54
    wl = dz.parse("3*(x*y) - 4.5").wengert
    assert rounding_noise(wl, wl.evaluate([0.5, 3.0]))[0] == 4.5 * R
    # A product of two rounded values: each partial is the other factor (0.6 and 2.8), each term
    # 1.68 R, as is the product's own rounding; accumulated, three independent roundings: sqrt(3) 1.68 R.
    wl = dz.parse("(x + 0.1)*(y - 0.2) - 1.68").wengert
    vals = wl.evaluate([0.5, 3.0])
    assert rounding_noise(wl, vals)[0] == pytest.approx(1.68 * R, rel=1e-9, abs=0)
    assert rounding_noise(wl, vals, accumulate=True)[0] == pytest.approx(math.sqrt(3) * 1.68 * R, rel=1e-9, abs=0)
    # A rule to call: sin carries the rounding of x + 100 = 100.5 times |cos(100.5)| = 0.91, far above
    # the rounding of sin's own result (|sin(100.5)| = 0.42).
    wl = dz.parse("sin(x + 100)").wengert
    expect = abs(math.cos(100.5)) * 100.5 * R
    assert expect > 100 * abs(math.sin(100.5)) * R
    assert rounding_noise(wl, wl.evaluate([0.5]))[0] == pytest.approx(expect, rel=1e-9, abs=0)


@pytest.mark.parametrize(("text", "x", "exact"), [  # closed forms of f'
    ("sin(x)", 3e5, math.cos(3e5)),  # a step relative to |x| (1.8 here) spans a third of a period
    ("ln(x)", 1e-6, 1e6),  # ... or crosses 0
    ("(x + 1e8) - 1e8", 0.5, 1.0),  # rounding noise of 1e8, not of the result 0.5
    ("x^2 + 1", 1e-4, 2e-4),  # no third derivative: the largest step allowed
])
def test_chosen_central_step_where_a_relative_step_fails(text, x, exact):
    # exact: the closed-form derivative (parameters); the chosen step must beat the textbook relative step.
    fixed = dz.differentiate(text, [x], "numeric", eps=TEXTBOOK_EPS["central"]).derivative
    chosen = dz.differentiate(text, [x], "numeric").derivative
    assert abs(chosen - exact) < abs(fixed - exact)
    assert chosen == pytest.approx(exact, rel=1e-7, abs=0)


@pytest.mark.parametrize(("text", "x", "exact", "tol"), [
    # f and its rounding noise vanish at 0: the pilots cannot settle, the best one decides (closed forms)
    ("sin(x)", 0.0, 1.0, 1e-15),
    ("x - sin(x)", 0.0, 0.0, 1e-15),  # the textbook step gives 6.1e-14
    ("tan(x) - x", 0.0, 0.0, 1e-15),
    # values near overflow and in the subnormal range: the pilot differences are taken scaled
    ("exp(x)", 709.7, math.exp(709.7), 1e-10 * math.exp(709.7)),  # textbook: 3.1e-6 relative
    ("1e-300*x^3", 1e-5, 3e-310, 1e-5 * 3e-310),  # f ~ 1e-315 is subnormal; textbook: 1.2e-3 relative
    # a domain edge within the cap: the stencil shrinks and stays shrunk (at 0.05, 0.1 crosses 0, 0.01 does not)
    ("x + sqrt(x)^2", 0.003, 2.0, 1e-12),
    ("sqrt(x)^2", 0.05, 1.0, 1e-14),
    # f is 0 around the point: every stencil value is 0, nothing to scale by
    ("x - x", 1.0, 0.0, 0.0),
    # x ± 2H must not overflow
    ("x", 1.7e308, 1.0, 0.0),
    ("x", -1.7e308, 1.0, 0.0),
])
def test_chosen_central_step_at_zeros_extremes_and_domain_edges(text, x, exact, tol):
    # exact: the closed-form derivative (parameters).
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0, overflow or underflow on the way either
        r = dz.differentiate(text, [x], "numeric")
    assert abs(r.derivative - exact) <= tol
    assert math.isfinite(r.details["steps"][0])


@pytest.mark.parametrize("scheme", ["forward", "backward", "central"])
def test_chosen_step_shrinks_to_fit_the_domain(scheme):
    # ln'(x) = 1/x = 1e9 at x = 1e-9 (closed form). A step relative to max(|x|, 0.1) would cross 0;
    # the pilot stencils shrink tenfold until they fit, and the step then follows ln's curvature.
    r = dz.differentiate("ln(x)", [1e-9], method="numeric", scheme=scheme)
    assert r.derivative == pytest.approx(1e9, rel=1e-6)
    assert r.details["steps"][0] < 1e-9


def test_a_stencil_that_left_the_domain_lowers_the_cap_for_good():
    # sqrt(x)^2 = x on x >= 0, at 0.05: the pilot at the cap 0.1 crosses 0, the one at 0.01 does not and
    # sees no curvature (f''' = 0, closed form); the step is then 0.01 at once instead of climbing back
    # to 0.1 and failing again.
    c = choose_step(dz.parse("sqrt(x)^2").wengert, [0.05], 0, "central")
    assert c.pilots[-2:] == pytest.approx([0.1, 0.01], rel=1e-12, abs=0)
    assert c.h == pytest.approx(0.01, rel=1e-12, abs=0)


def test_choose_step_ends_at_the_cap_when_f_is_flat():
    # (x + 1e8) - 1e8 is x with 1e8's rounding noise: no curvature shows (f''' = 0, closed form), the pilot
    # climbs to the cap and stops.
    flat = choose_step(dz.parse("(x + 1e8) - 1e8").wengert, [3.0], 0, "central")
    assert len(flat.pilots) < MAX_PILOTS and flat.evals == 1 + 4 * len(flat.pilots)
    assert flat.h == pytest.approx(0.3, rel=1e-12, abs=0)  # the cap: a tenth of max(|x|, 1)
    with pytest.raises(ValueError, match="fixed one"):
        choose_step(dz.parse("x").wengert, [0.31], 0, "complex")


# --- refusals -----------------------------------------------------------------------------------------


def test_negative_base_message_does_not_round_the_exponent_to_an_integer():
    # Forward differences in y at (-2, 3) evaluate (-2)^(3 + h), not real for h not an integer: the
    # message must not say "power 3".
    with pytest.raises(dz.EvaluationError) as info:
        dz.differentiate("x^y", [-2.0, 3.0], method="numeric", scheme="forward")
    shown = re.search(r"no real power (\S+)", str(info.value)).group(1)
    assert float(shown) != int(float(shown)), str(info.value)


@pytest.mark.parametrize(("text", "point", "scheme", "eps", "where"), [
    ("sqrt(x)", [0.0], "central", None, "x - h"),  # no step is small enough: sqrt(-h) has no value
    ("ln(x)", [1e-9], "backward", TEXTBOOK_EPS["backward"], "x - h"),  # a fixed step of 1.5e-9
    ("x^y", [-2.0, 3.0], "forward", None, "y + h"),  # (-2)^(3 + h) is not real for any h
])
def test_numeric_domain_error_names_the_stencil_point(text, point, scheme, eps, where):
    # The point itself is inside the domain (the value exists); the stencil point is not (the domains
    # in closed form: sqrt and ln need x >= 0 and x > 0, a negative base an integer power). The message
    # must say so rather than report a value such as -6.05545e-07 the user never typed.
    dz.parse(text).wengert(*point)  # the value at the point exists
    with pytest.raises(dz.EvaluationError) as info:
        dz.differentiate(text, point, method="numeric", scheme=scheme, eps=eps)
    assert f"f at {where} = " in info.value.message and "differences need" in info.value.message


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


@pytest.mark.parametrize("y", [0.0, 6.5779544393409066e-254, 2.2250738585e-313])
def test_an_output_that_vanishes_does_not_hold_the_others_step_back(y):
    # f = (tanh(y) tanh(cos(sin(tanh y))) + x, tanh(y) - y) at (1, y ~ 0): the second output is 0 to the last bit
    # and wants ever smaller steps (its values shrink with h). ∂f_1/∂y = tanh(cos(sin 0)) = tanh(1) = 0.7615941559557649
    # (closed form; reverse mode gives the same) must still come from a sound step, and ∂f_2/∂y = 1 - 1 = 0.
    r = dz.differentiate("tanh(y)*tanh(cos(sin(tanh(y)))) + x, tanh(y) - y", {"x": 1.0, "y": y}, "numeric",
                         variables=["x", "y"])
    assert r.jacobian[0, 1] == pytest.approx(math.tanh(1.0), rel=1e-8, abs=0)
    assert abs(r.jacobian[1, 1]) < 1e-9
    assert r.details["estimates"][1].h > 1e-8


@pytest.mark.parametrize("scheme", ["central", "forward", "backward", "richardson"])
def test_an_estimate_of_0_from_f_unchanged_to_the_bit_says_so(scheme):
    # 1e20 + x at 1: d/dx = 1 (closed form), but the rounding of 1e20 (about 6e3) hides x at every step up to the
    # cap: f(x - h) = f(x) = f(x + h) to the bit, and the estimate 0 was given with no warning (the check measured
    # the rounding against |f|/|x| = 1e20, as if a derivative of f had that size). The complex step sees it: 1.
    r = dz.differentiate("1e20 + x", [1.0], "numeric", scheme=scheme)
    assert r.derivative == 0.0
    assert any("same to the last bit" in w and "only says" in w for w in r.warnings), r.warnings
    assert dz.differentiate("1e20 + x", [1.0], "numeric", scheme="complex").derivative == 1.0
    # 1e15 + sqrt(x) at 1e-6: d/dx = 1/(2 sqrt(x)) = 500
    if scheme == "central":
        r = dz.differentiate("1e15 + sqrt(x)", [1e-6], "numeric", scheme=scheme)
        assert r.derivative == 0.0 and any("same to the last bit" in w for w in r.warnings)


@pytest.mark.parametrize(("text", "x"), [("1e20*cos(x)", 0.0), ("x^2", 0.0), ("x - x + 3", 2.0), ("cos(x)", 0.0)])
def test_a_true_0_from_central_differences_is_not_doubted(text, x):
    # The derivative is 0 (closed forms: -1e20 sin 0, 2x, 0, -sin 0) and f changes over the stencil, or does not
    # round at all: the 0 is what the differences should give, and nothing is said of it.
    r = dz.differentiate(text, [x], "numeric", scheme="central")
    assert r.derivative == 0.0 and not [w for w in r.warnings if "same to the last bit" in w]

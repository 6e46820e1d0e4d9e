"""Second derivatives (``diffzoo.hessians``): five methods, Hessian-vector products, the reference, the command.

Oracles: the survey example's closed-form Hessian (Baydin et al.'s f = ln x1 + x1 x2 - sin x2 at (2, 5):
∇²f = [[-1/x1², 1], [1, sin x2]] = [[-0.25, 1], [1, -0.9589242746631385]], sin 5 from the reference cases'
primal trace, v_3 = sin v_0 = -0.9589242746631385), sympy's ``hessian`` at 30 digits on random functions
from the primitive table, closed-form fourth derivatives, and the methods against each other.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import diffzoo as dz
from diffzoo import hessians as hz
from diffzoo.cli import main
from diffzoo.expr import Expr, const, to_text, var
from diffzoo.higher import derivatives_along
from diffzoo.numeric import best_steps
from diffzoo.primitives import PRIMITIVES
from diffzoo.symbolic import to_sympy

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
#: ∇²f at (2, 5) in closed form: -1/x1² = -0.25, ∂²f/∂x1∂x2 = 1, sin 5 = -0.9589242746631385 (reference cases, §1).
SURVEY_H = np.array([[-0.25, 1.0], [1.0, -0.9589242746631385]])
EXACT = hz.EXACT


def _relative(H, ref):
    return float(np.max(np.abs(H - ref) / np.maximum(np.abs(ref), 1e-300)))


def _within_model(r, ref, factor=10.0):
    """The numeric Hessian's error at most ``factor`` times its model's (plus a few ulps of the entry)."""
    err = np.abs(r.hessian - ref)
    allowed = factor * r.details["errors"] + 4 * np.spacing(np.abs(ref))
    return bool(np.all(err <= allowed)), err, allowed


# --- the survey example, every method -----------------------------------------------------------------


@pytest.mark.parametrize("method", EXACT)
def test_survey_hessian_by_every_exact_method(method):
    # [[-1/x1², 1], [1, sin x2]] at (2, 5), to 1e-12 relative; value and gradient as in the survey's Tables 2-3:
    # f = 11.652071455223084, ∂f/∂x1 = 5.5, ∂f/∂x2 = 2 - cos 5 = 1.7163378145367738.
    r = hz.hessian(SURVEY, {"x1": 2, "x2": 5}, method)
    assert r.method == method and r.hessian.shape == (2, 2)
    assert _relative(r.hessian, SURVEY_H) <= 1e-12
    assert r.value == 11.652071455223084
    assert r.gradient == pytest.approx({"x1": 5.5, "x2": 1.7163378145367738}, rel=1e-15)
    assert r.warnings == []
    assert r.point == {"x1": 2.0, "x2": 5.0}


def test_survey_hessian_numeric_within_its_error_model():
    # Second differences at the chosen steps: within the model's error (truncation h²|f''''|/12 + rounding 4ε/h²,
    # about 2e-8 of -0.25 here), so at least 6 correct digits, and no warning.
    r = hz.hessian(SURVEY, [2, 5], "numeric")
    ok, err, allowed = _within_model(r, SURVEY_H)
    assert ok, (err, allowed)
    assert _relative(r.hessian, SURVEY_H) < 1e-6
    assert r.warnings == []
    assert all(e.trusted for e in r.details["estimates"])
    # the steps are of the order of ε^(1/4) ~ 1e-4 (relative), far above central differences' ε^(1/3) ~ 6e-6
    assert all(1e-5 < h < 1e-2 for h in r.details["steps"])


def test_survey_reference_at_50_digits():
    # mpmath over the symbolic second derivatives: exactly the closed form, rounded once.
    ref = hz.hessian_reference(SURVEY, [2, 5])
    assert ref.tolist() == SURVEY_H.tolist()


def test_costs_count_what_each_method_does():
    # n = 2 inputs, k = 5 steps (Table 2): forward-over-forward makes n(n+1)/2 = 3 passes; forward-over-reverse
    # n = 2 tangent passes over the gradient program; reverse-over-reverse n = 2 sweeps; symbolic none.
    costs = {m: hz.hessian(SURVEY, [2, 5], m).cost for m in hz.HESSIAN_METHODS}
    assert costs["forward-over-forward"].passes == 3 and costs["forward-over-forward"].function_evals == 3
    assert costs["forward-over-forward"].primitive_evals == 3 * 5
    assert costs["forward-over-reverse"].passes == 2 and costs["forward-over-reverse"].primitive_evals == 5
    assert costs["reverse-over-reverse"].passes == 2 and costs["reverse-over-reverse"].function_evals == 1
    assert costs["symbolic"].passes == 0 and costs["symbolic"].function_evals == 1
    numeric = hz.hessian(SURVEY, [2, 5], "numeric")
    evals = numeric.details["evals"]
    assert numeric.cost.function_evals == sum(evals.values())  # every walk of f (or G) is counted
    assert evals["second differences"] >= 2 * 2 + 4  # two diagonal stencils, one mixed, each checked at h/2


# --- sympy's Hessian on random functions from the table ------------------------------------------------

#: The table's functions that are smooth on the whole real line (as tests/test_transforms.py enumerates them).
SMOOTH = sorted(p.name for p in PRIMITIVES.values()
                if p.user and p.arity == 1 and p.kink is None and p.name != "tan"
                and all(p.domain(v) is None for v in (-3.0, -0.5, 0.0, 0.5, 3.0)))


def _random_function(rng: random.Random, names: list[str], depth: int = 3) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(names + [str(rng.choice([0.5, 2, 3]))])
    if rng.random() < 0.3:
        return f"{rng.choice(SMOOTH)}({_random_function(rng, names, depth - 1)})"
    op = rng.choice(["+", "-", "*"])
    return f"({_random_function(rng, names, depth - 1)}) {op} ({_random_function(rng, names, depth - 1)})"


def _sympy_hessian(f, x):
    expr = to_sympy(f.outputs[0])
    syms = [sp.Symbol(v, real=True) for v in f.variables]
    H = sp.hessian(expr, syms).subs({s: sp.Float(v, 30) for s, v in zip(syms, x)})
    return np.array(H.evalf(30).tolist(), dtype=float)


def _case(seed):
    rng = random.Random(1000 + seed)
    names = ["x", "y", "z"][: rng.randint(1, 3)]
    text = _random_function(rng, names)
    return dz.parse(text, variables=names), [rng.uniform(-1.5, 1.5) for _ in names], text


def test_the_grammar_draws_from_the_table():
    assert "sin" in SMOOTH and "sigmoid" in SMOOTH and "abs" not in SMOOTH and "log" not in SMOOTH


@pytest.mark.parametrize("seed", range(30))
def test_every_method_against_sympy(seed):
    # sympy's hessian at 30 digits: exact methods to 1e-10 relative (entries near 0 to 1e-12 of the largest),
    # second differences within 10 times their own error model.
    f, x, text = _case(seed)
    H = _sympy_hessian(f, x)
    scale = max(1.0, float(np.max(np.abs(H))))
    for m in EXACT:
        r = hz.hessian(f, x, m)
        np.testing.assert_allclose(r.hessian, H, rtol=1e-10, atol=1e-12 * scale, err_msg=f"{m}: {text}")
    r = hz.hessian(f, x, "numeric")
    assert all(e.trusted for e in r.details["estimates"]), text
    ok, err, allowed = _within_model(r, H)
    assert ok, (text, x, err, allowed)


# --- HVP, symmetry, compiled against interpreted ---------------------------------------------------------


def test_hvp_is_h_times_v():
    # H(2, 5) (1, 2) = (-0.25 + 2, 1 + 2 sin 5) = (1.75, -0.917848549326277) from the closed form
    v = [1.0, 2.0]
    assert hz.hvp(SURVEY, [2, 5], v) == pytest.approx((SURVEY_H @ v).tolist(), rel=1e-15)
    assert hz.hvp(SURVEY, {"x1": 2, "x2": 5}, {"x1": 0, "x2": 1}) == {"x1": 1.0, "x2": -0.9589242746631385}
    product = hz.hvp(SURVEY)
    assert product(np.array([2.0, 5.0]), [1, 0]).tolist() == [-0.25, 1.0]


@pytest.mark.parametrize("seed", range(10))
def test_hvp_against_the_hessian_on_random_functions(seed):
    f, x, text = _case(seed)
    H = hz.hessian(f, x).hessian
    rng = np.random.default_rng(seed)
    v = rng.normal(size=len(x))
    scale = max(1.0, float(np.max(np.abs(H))) * float(np.max(np.abs(v))))
    np.testing.assert_allclose(hz.hvp(f, x, v.tolist()), H @ v, rtol=1e-12, atol=1e-13 * scale, err_msg=text)


def test_hvp_needs_both_point_and_direction():
    with pytest.raises(dz.PointError, match="direction"):
        hz.hvp(SURVEY, [2, 5])
    with pytest.raises(dz.PointError, match="direction's entry for x2"):
        hz.hvp(SURVEY, [2, 5], [1, "a"])


@pytest.mark.parametrize("seed", range(12))
def test_every_method_gives_a_symmetric_hessian(seed):
    # forward-over-forward, symbolic and numeric compute the entries on and above the diagonal (exactly symmetric);
    # forward-over-reverse (columns) and reverse-over-reverse (rows) compute both triangles: equal to rounding.
    f, x, _ = _case(seed)
    for m in hz.HESSIAN_METHODS:
        r = hz.hessian(f, x, m)
        if m in ("symbolic", "numeric", "forward-over-forward"):
            assert np.array_equal(r.hessian, r.hessian.T), m
        else:
            assert r.symmetric_gap <= 1e-13, m


@pytest.mark.parametrize("seed", range(12))
def test_compiled_hessian_equals_interpreted_forward_over_reverse_bit_for_bit(seed):
    f, x, _ = _case(seed)
    compiled = hz.hessian(f)
    assert np.array_equal(compiled(x), hz.hessian(f, x, "forward-over-reverse").hessian)
    assert np.array_equal(compiled(dict(zip(f.variables, x))), compiled(np.array(x)))


def test_compiled_hessian_of_the_survey_example():
    H = hz.hessian(SURVEY)
    assert H([2.0, 5.0]).tolist() == SURVEY_H.tolist()
    assert H({"x2": 5, "x1": 2}).tolist() == SURVEY_H.tolist()


def test_compiled_code_meets_a_missing_second_derivative_with_the_interpreters_error():
    # x^1.5 at 0: f' = 1.5 x^0.5 = 0 exists, f'' = 0.75 x^-0.5 does not; no number, the partial named.
    with pytest.raises(dz.EvaluationError, match="second derivative has no value"):
        hz.hessian("x^1.5")([0.0])
    with pytest.raises(dz.EvaluationError, match="second derivative has no value"):
        hz.hessian("x^1.5", [0.0])
    with pytest.raises(dz.EvaluationError, match="no value"):
        hz.hessian("x^1.5", [0.0], "forward-over-forward")
    with pytest.raises(dz.EvaluationError):
        hz.hessian("x^1.5", [0.0], "numeric")  # its stencils leave f's domain at every step
    # 1.5 * 0.75 * 2^-0.5 ... at x = 2: f'' = 0.75 / sqrt(2) = 0.5303300858899106
    assert hz.hessian("x^1.5")([2.0])[0, 0] == pytest.approx(0.75 / math.sqrt(2), rel=1e-15)


# --- forward over forward, forward over reverse: hypothesis ----------------------------------------------

leaves = st.one_of(st.sampled_from(["x", "y"]).map(var), st.sampled_from([0.5, 2.0, 3.0]).map(const))
exprs = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda op, a: Expr(op, (a,)), st.sampled_from(SMOOTH), inner),
        st.builds(lambda op, a, b: Expr(op, (a, b)), st.sampled_from(["add", "sub", "mul"]), inner, inner),
        st.builds(lambda a, k: Expr("pow", (a, const(k))), inner, st.sampled_from([2.0, 3.0])),
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exprs, st.tuples(st.floats(-2, 2), st.floats(-2, 2)))
def test_forward_over_reverse_forward_over_forward_and_symbolic_agree(e, point):
    # Three ways of computing the same second derivatives in different orders: equal to rounding (1e-10 of the
    # largest entry or of 1).
    f = dz.parse(to_text(e), variables=["x", "y"])
    x = list(point)
    try:
        results = {m: hz.hessian(f, x, m).hessian for m in ("forward-over-reverse", "forward-over-forward", "symbolic")}
    except dz.EvaluationError:
        assume(False)
    scale = max(1.0, *(float(np.max(np.abs(H))) for H in results.values()))
    assume(scale < 1e8)
    base = results["forward-over-reverse"]
    for m, H in results.items():
        np.testing.assert_allclose(H, base, rtol=0, atol=1e-10 * scale, err_msg=f"{m}: {to_text(e)} at {x}")


# --- the step model, the sweep -----------------------------------------------------------------------------


def test_fourth_derivatives_of_the_survey_example():
    # d⁴/dx1⁴ ln x1 = -6/x1⁴ = -0.375 at 2; d⁴/dx2⁴ (-sin x2) = -sin 5 = 0.9589242746631385; the mixed ones vanish.
    c1 = hz.fourth_derivatives(dz.parse(SURVEY).wengert, [2.0, 5.0], 0)
    c2 = hz.fourth_derivatives(dz.parse(SURVEY).wengert, [2.0, 5.0], 1)
    assert c1 == pytest.approx([-0.375, 0.0], abs=1e-15)
    assert c2 == pytest.approx([0.0, 0.9589242746631385], rel=1e-15)
    # the diagonal one is f'''' along the axis, as higher.derivatives_along gives it
    f = dz.parse(SURVEY)
    assert c1[0] == pytest.approx(derivatives_along(f, [2.0, 5.0], 0, orders=4)[4], rel=1e-14)
    assert c2[1] == pytest.approx(derivatives_along(f, [2.0, 5.0], 1, orders=4)[4], rel=1e-14)


def test_chosen_step_balances_truncation_and_rounding():
    # h = (48 ε / |f''''|)^(1/4): with ε = 2^-52 and f'''' = 1, (48 * 2.22e-16)^(1/4) = 3.2e-4
    h = hz.chosen_step(1.0, 1.0, 2.0**-52)
    assert h == pytest.approx((48 * 2.0**-52) ** 0.25, rel=1e-6)
    assert hz.chosen_step(1.0, 0.0, 2.0**-52) == pytest.approx(0.1)  # no fourth derivative: a tenth of max(|x|, 1)


SQUIRE_TRAPP = "exp(x)/sqrt(sin(x)^3+cos(x)^3)"


def test_second_difference_sweep_best_step_near_eps_to_the_quarter():
    # Squire and Trapp's f at 1.5 (reference cases §3: f'(1.5) = 4.0534278938986207, central differences at best
    # about 1e-10 relative). Second differences balance h²|f''''|/12 against 4ε/h²: the best step is near
    # ε^(1/4) = 1.2e-4, central differences' near ε^(1/3) = 6.1e-6, more than ten times smaller.
    sweep = hz.second_difference_sweep(SQUIRE_TRAPP, [1.5])
    best = best_steps(sweep).set_index("scheme")
    second, first = best.loc["second difference", "eps"], best.loc["central (first derivative)", "eps"]
    eps = np.finfo(float).eps
    assert eps ** 0.25 / 10 <= second <= eps ** 0.25 * 10
    assert eps ** (1 / 3) / 10 <= first <= eps ** (1 / 3) * 10
    assert second / first >= 10
    assert best.loc["central (first derivative)", "rel_error"] < 1e-9
    assert best.loc["second difference", "rel_error"] < 1e-6  # about ε^(1/2): second differences lose half the digits
    central = sweep[sweep["scheme"] == "central (first derivative)"]
    assert np.interp(1e-3, central["eps"], central["estimate"]) == pytest.approx(4.0534278938986207, rel=1e-5)
    model = sweep.attrs["model_best"]["second difference"]
    assert 0.1 <= second / model <= 10  # the model's balance point against the measured one
    assert set(sweep.columns) == {"scheme", "eps", "estimate", "error", "rel_error", "truncation", "rounding"}
    # the survey example's mixed entry: its exact value 1, its best error below 1e-8
    mixed = hz.second_difference_sweep(SURVEY, [2, 5], 0, 1)
    assert mixed[mixed["scheme"] == "second difference"]["error"].min() < 1e-8
    assert mixed.attrs["entry"] == "∂²y/∂x1∂x2"


# --- numeric: given steps, warnings ---------------------------------------------------------------------


def test_numeric_given_step():
    # eps = 1e-4 (relative): the survey Hessian to about 1e-7; eps = 1e-9: rounding 4ε/h² swamps it, and says so.
    r = hz.hessian(SURVEY, [2, 5], "numeric", eps=1e-4)
    assert _relative(r.hessian, SURVEY_H) < 1e-5 and r.warnings == []
    assert r.details["steps"] == [pytest.approx(2e-4), pytest.approx(5e-4)]
    noisy = hz.hessian(SURVEY, [2, 5], "numeric", eps=1e-9)
    assert any("correct digits" in w for w in noisy.warnings)
    with pytest.raises(dz.EvaluationError, match="below the spacing of floats"):
        hz.hessian(SURVEY, [2, 5], "numeric", eps=1e-20)
    with pytest.raises(ValueError, match="positive"):
        hz.hessian(SURVEY, [2, 5], "numeric", eps=-1.0)
    with pytest.raises(ValueError, match="numeric method's step"):
        hz.hessian(SURVEY, [2, 5], "symbolic", eps=1e-4)
    with pytest.raises(ValueError, match="compiled forward-over-reverse function"):
        hz.hessian(SURVEY, method="numeric")  # without a point there is only the compiled function


def test_numeric_says_when_no_step_can_be_trusted():
    # x^6 at 0 (f'' = 0): every fourth derivative vanishes at the point, and second differences 2h⁴ shrink as h⁴,
    # not h². With the noise of f measured where the steps reach (f = 0 at x has none), the step is 1e-4 and the
    # estimate 2h⁴ = 2e-16 is within its stated error of the true 0, with a warning that it may have no correct
    # digits; before, the smallest step gave an exact 0 that no check could trust. Either way, never a bare number.
    r = hz.hessian("x^6", [0.0], "numeric")
    assert abs(r.hessian[0, 0]) <= r.details["errors"][0, 0]
    assert any("could be trusted" in w or "no correct digits" in w for w in r.warnings)


# --- kinks: the Hessian is a convention ------------------------------------------------------------------


@pytest.mark.parametrize("method", hz.HESSIAN_METHODS)
def test_a_kink_at_the_point_is_said(method):
    # abs(x) at 0: no first derivative (-1 from the left, 1 from the right), and ∂f/∂x = sign(x) jumps: every
    # method says so; the exact ones name the convention their 0 comes from.
    r = hz.hessian("abs(x)", [0.0], method)
    text = " ".join(r.warnings)
    assert "-1 from the left and 1 from the right" in text
    assert "second derivative" in text
    if method in EXACT:
        assert r.hessian.tolist() == [[0.0]] and "convention" in text
    assert np.isnan(hz.hessian_reference("abs(x)", [0.0])).all()


def test_relu_times_x_second_derivative_at_the_kink():
    # relu(x) x = x² for x > 0, 0 for x < 0: f' = 2 relu(x) is continuous, f'' jumps from 0 to 2 at 0.
    r = hz.hessian("relu(x)*x", [0.0])
    assert r.hessian.tolist() == [[0.0]]
    assert any("relu" in w and "second derivative" in w for w in r.warnings)
    assert hz.hessian("relu(x)*x", [1.0]).warnings == []  # away from the kink nothing is said


@pytest.mark.parametrize("method", EXACT)
def test_cancellation_in_a_second_derivative_is_said(method):
    # exp(x) - x²/2 - x at 1e-12: f'' = e^x - 1 = 1.0000000000005e-12 (closed form, the 50-digit reference), left
    # of terms of size 1 that cancel: in floats 1.0000889e-12 (exp(1e-12) rounded), 4 digits; each exact method says so.
    f = "exp(x) - x^2/2 - x"
    assert hz.hessian_reference(f, [1e-12])[0, 0] == pytest.approx(1.0000000000005e-12, rel=1e-15)
    r = hz.hessian(f, [1e-12], method)
    assert r.hessian[0, 0] == pytest.approx(1e-12, rel=1e-4)
    assert any("cancel" in w for w in r.warnings)


# --- bad input -------------------------------------------------------------------------------------------


def test_vector_function_and_unknown_method_are_refused():
    with pytest.raises(ValueError, match="scalar function; this one has 2 outputs"):
        hz.hessian("x1*x2, cos(x1)", [2, 3])
    with pytest.raises(ValueError, match="scalar function"):
        hz.hessian("x1*x2, cos(x1)")
    with pytest.raises(ValueError, match="unknown method 'backward'"):
        hz.hessian(SURVEY, [2, 5], "backward")
    with pytest.raises(dz.PointError, match="the value of x2"):
        hz.hessian(SURVEY, {"x1": 2, "x2": "five"})
    with pytest.raises(dz.ParseError):
        hz.hessian("x +* 2", [1])


def test_symbolic_limit_is_refused_up_front():
    # 30 variables: 465 second derivatives, past symbolic.MAX_ENTRIES = 400; forward-over-reverse still answers.
    f = dz.parse(" + ".join(f"x{i}*x{i + 1}" for i in range(1, 30)))
    with pytest.raises(dz.LimitError, match="second derivatives"):
        hz.hessian(f, [1.0] * 30, "symbolic")
    H = hz.hessian(f, [1.0] * 30).hessian
    assert H[0, 1] == 1.0 and H[0, 0] == 0.0 and np.array_equal(H, H.T)


# --- traces ----------------------------------------------------------------------------------------------


def test_forward_over_reverse_trace_is_the_tangent_of_the_gradient_program():
    # The gradient program's rows end in ∂y/∂x1 = 5.5 and ∂y/∂x2 = 1.7163378145367738 (Table 3's result);
    # its tangent along e_1 ends in the first column of H: -0.25 and 1.
    r = hz.hessian(SURVEY, [2, 5])
    tables = r.trace.tables()
    grad = tables["gradient program"].frame()
    assert grad["variable"].tolist()[-3:] == ["y", "∂y/∂x1", "∂y/∂x2"]
    assert grad["value"].tolist()[-3:] == [11.652071455223084, 5.5, 1.7163378145367738]
    tangent = r.trace.tangent(0).frame()
    assert tangent["variable"].tolist()[-2:] == ["∂²y/∂x1²", "∂²y/∂x1∂x2"]
    assert tangent["value"].tolist()[-2:] == [-0.25, 1.0]
    assert "def hvp(" in r.trace.code() and "vdot" in r.trace.code()
    assert "\\frac{\\partial^{2} y}{\\partial x_{1}^{2}}" in r.trace.to_latex()


def test_reverse_over_reverse_trace_is_the_adjoint_of_the_gradient_program():
    # Sweep 2 weights ∂y/∂x2 alone: its result rows are the second row of H, 1 and sin 5.
    r = hz.hessian(SURVEY, [2, 5], "reverse-over-reverse")
    rows = r.trace.adjoint(1).frame()
    assert rows["variable"].tolist()[-2:] == ["∂²y/∂x1∂x2", "∂²y/∂x2²"]
    assert rows["value"].tolist()[-2:] == [1.0, -0.9589242746631385]


def test_symbolic_trace_shows_second_derivatives_and_their_sizes():
    # ∂²f/∂x2² = sin(x2): one operation as a tree and shared; ∂²f/∂x1∂x2 = 1: none.
    r = hz.hessian(SURVEY, [2, 5], "symbolic")
    table = r.trace.tables()["second derivatives"].frame()
    assert table["rule"].tolist()[1:] == ["1", "sin(x2)"]
    sizes = r.trace.sizes().set_index("derivative")
    assert sizes.loc["∂²y/∂x2²", "tree operations"] == 1 and sizes.loc["∂²y/∂x1∂x2", "tree operations"] == 0
    assert set(sizes["order"]) == {1, 2}


def test_numeric_and_nested_dual_traces():
    r = hz.hessian(SURVEY, [2, 5], "numeric")
    rows = r.trace.tables()["estimates"].frame()
    assert rows["variable"].tolist() == ["∂²y/∂x1²", "∂²y/∂x1∂x2", "∂²y/∂x2²"]
    assert r.trace.frame()["trusted"].all()
    nested = hz.hessian(SURVEY, [2, 5], "forward-over-forward").trace.tables()["passes"].frame()
    assert nested["value"].tolist() == [-0.25, 1.0, -0.9589242746631385]


# --- the comparison -------------------------------------------------------------------------------------


def test_compare_hessians():
    df = hz.compare_hessians(SURVEY, [2, 5], repeats=1)
    assert df["method"].tolist() == list(hz.HESSIAN_METHODS)
    exact = df[df["method"].isin(EXACT)]
    assert (exact["max rel. error"] <= 1e-15).all()
    numeric = df[df["method"] == "numeric"].iloc[0]
    assert 0 < numeric["max rel. error"] < 1e-6
    assert (df["seconds"] > 0).all()
    assert df.attrs["reference"].tolist() == SURVEY_H.tolist()
    assert {"∂²y/∂x1²", "∂²y/∂x1∂x2", "∂²y/∂x2²", "passes", "function evals", "note", "warnings"} <= set(df.columns)


def test_compare_hessians_keeps_a_method_that_fails():
    # 28 variables: 406 second derivatives, past symbolic.MAX_ENTRIES = 400, so symbolic's row says why it has
    # none and there is no 50-digit reference (nan errors); forward-over-reverse still answers (H[0, 1] = 1).
    f = dz.parse(" + ".join(f"x{i}*x{i + 1}" for i in range(1, 28)))
    df = hz.compare_hessians(f, [1.0] * 28, ["symbolic", "forward-over-reverse"], timed=False).set_index("method")
    assert "seconds" not in df.columns
    assert "406 second derivatives" in df.loc["symbolic", "note"] and np.isnan(df.loc["symbolic", "passes"])
    assert df.loc["forward-over-reverse", "∂²y/∂x1∂x2"] == 1.0 and df.loc["forward-over-reverse", "note"] == ""
    assert np.isnan(df.loc["forward-over-reverse", "max rel. error"])
    # where no method has a second derivative, the first one's error is raised: nothing to compare
    with pytest.raises(dz.EvaluationError):
        hz.compare_hessians("sqrt(x)", [0.0], timed=False)


# --- the command ----------------------------------------------------------------------------------------


def test_cli_hessian(capsys):
    # The survey Hessian by every method: -0.25, 1 and sin 5 = -0.95892427466313845 (17 digits), errors 0.
    assert main(["hessian", SURVEY, "--at", "x1=2", "x2=5"]) == 0
    out = capsys.readouterr().out
    for m in hz.HESSIAN_METHODS:
        assert m in out
    assert "-0.25" in out and "-0.95892427466313845" in out
    assert "reference (50 digits): ∂²y/∂x1² = -0.25, ∂²y/∂x1∂x2 = 1, ∂²y/∂x2² = -0.9589242746631385" in out


def test_cli_hessian_formats_and_methods(capsys):
    assert main(["hessian", SURVEY, "--at", "x1=2", "x2=5", "--method", "symbolic", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| symbolic | -0.25 | 1 | -0.9589242746631385 |" in out and "numeric" not in out
    assert main(["hessian", SURVEY, "--at", "x1=2", "x2=5", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert "H[x1,x2]" in out and out.split("% reference")[0].isascii()


@pytest.mark.parametrize(("args", "fragment"), [
    (["hessian", "x1*x2, cos(x1)", "--at", "x1=2", "x2=3"], "scalar function"),
    (["hessian", "sinn(x)", "--at", "x=1"], "Did you mean 'sin'?"),
    (["hessian", "ln(x)", "--at", "x=-2"], "log is undefined at -2"),
    (["hessian", "x+y", "--at", "x=1"], "no value for y"),
    (["hessian", "x", "--at", "x=abc"], "not a number"),
    (["hessian", "sqrt(x)", "--at", "x=0"], "no value"),
])
def test_cli_hessian_errors_exit_2_without_traceback(capsys, args, fragment):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


@pytest.mark.parametrize(("text", "point", "exact"), [
    ("x*exp(x)", [0.0], [[2.0]]),  # (x + 2) e^x at 0
    ("x*sin(y)", [0.0, 1.5], [[0.0, math.cos(1.5)], [math.cos(1.5), 0.0]]),
    ("y*cos(1 + x)", [0.001, 0.0], [[0.0, -math.sin(1.001)], [-math.sin(1.001), 0.0]]),
    ("x*exp(y)", [0.0, 1.0], [[0.0, math.e], [math.e, 0.0]]),
])
def test_numeric_where_f_vanishes_at_the_point(text, point, exact):
    # f = 0 at x has no rounding noise there: the smallest step was chosen, and its second differences (0, or a
    # few quantised ulps: 2.5 for e) passed their check to the bit, trusted and without a warning. Closed forms.
    r = hz.hessian(text, point, "numeric")
    np.testing.assert_allclose(r.hessian, exact, rtol=1e-7, atol=1e-7)
    assert all(e.trusted for e in r.details["estimates"])

"""Symbolic swell and simplification, numeric schemes and sweeps, the comparison, the command line."""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import sympy as sp

import diffzoo as dz
from diffzoo import families
from diffzoo.cli import main
from diffzoo.compare import compare, reference_jacobian
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
from diffzoo.symbolic import Size, derive, simplify, to_sympy

# --- symbolic ------------------------------------------------------------------------------------

# reference cases, section 2: sympy count_ops of l_n and of its derivative, n = 1..6.
COUNT_OPS = {1: (0, 0), 2: (3, 2), 3: (8, 21), 4: (18, 82), 5: (38, 264), 6: (78, 768)}


@pytest.mark.parametrize("n", sorted(COUNT_OPS))
def test_logistic_map_swell_counts_match_sympy(n):
    x = sp.Symbol("x")
    ln = x
    for _ in range(n - 1):
        ln = 4 * ln * (1 - ln)
    assert (sp.count_ops(ln), sp.count_ops(sp.diff(ln, x))) == COUNT_OPS[n]
    # our derivative of the same function agrees with sympy's, and its tree swells while its graph does not
    f = dz.parse(families.logistic_map(n))
    d = to_sympy(derive(f.outputs[0], "x"))
    ours = float(d.subs({s: sp.Rational(1, 5) for s in d.free_symbols}))
    assert ours == pytest.approx(float(sp.diff(ln, x).subs(x, sp.Rational(1, 5))), rel=1e-14, abs=0)


def test_expression_swell_tree_doubles_graph_grows_linearly():
    sizes = [Size.of(derive(dz.parse(families.logistic_map(n)).outputs[0], "x")) for n in range(2, 9)]
    trees = [s.tree for s in sizes]
    graphs = [s.graph for s in sizes]
    assert all(b > 1.9 * a for a, b in zip(trees[1:], trees[2:]))  # exponential: more than doubles
    assert all(b - a <= 12 for a, b in zip(graphs, graphs[1:]))  # linear: a constant number of steps per level


def test_simplify_in_worker_and_its_time_limit():
    f = dz.parse("ln(x1) + x1*x2 - sin(x2)")
    s = simplify([derive(f.outputs[0], "x2")], timeout=20)
    assert s.status == "ok" and s.text == ("x1 - cos(x2)",)
    slow = simplify([dz.parse("(x1+x2+1)^200 * (x1 - x2 + 3)^150").outputs[0]], timeout=0.5)
    assert slow.status in ("timeout", "ok")  # never hangs past its limit
    assert simplify([derive(f.outputs[0], "x1")], timeout=20).status == "ok"  # the next request works


# --- numeric -------------------------------------------------------------------------------------


def test_numeric_schemes_on_squire_trapp():
    # reference: f'(1.5) = 4.0534278938986207; best float64 errors: forward ~2e-8, central ~1e-10, complex ~2e-16.
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


def test_sweep_is_vectorised_and_matches_scalar_estimates():
    f = dz.parse("x/(1+x^2)")
    hs = np.array([1e-2, 1e-4, 1e-6])
    sweep = error_sweep(f.wengert, [5.0], -6 / 169, eps=hs, schemes=["central"])
    for h, est in zip(hs, sweep["estimate"]):
        scalar = dz.differentiate(f, [5.0], method="numeric", scheme="central", eps=h, relative=False).derivative
        assert est == pytest.approx(scalar, rel=1e-12, abs=0)


def test_float32_rounding_dominates_much_earlier():
    f = dz.parse("sin(x)")
    s64 = best_steps(error_sweep(f.wengert, [0.5], math.cos(0.5), schemes=["central"])).iloc[0]
    s32 = best_steps(error_sweep(f.wengert, [0.5], math.cos(0.5), schemes=["central"], dtype=np.float32)).iloc[0]
    assert s32["error"] > 1e3 * s64["error"]
    assert s32["eps"] > s64["eps"]


def test_error_model_bounds_are_on_the_right_side():
    f = dz.parse("sin(x)")
    b = Bounds(f=abs(math.sin(0.5)), d1=math.cos(0.5), d2=math.sin(0.5), d3=math.cos(0.5), d5=math.cos(0.5))
    sweep = error_sweep(f.wengert, [0.5], math.cos(0.5), bounds=b, schemes=["central"])
    mid = sweep[(sweep.eps > 1e-4) & (sweep.eps < 1e-1)]
    # in the truncation regime the error is close to |f'''| h^2 / 6
    np.testing.assert_allclose(mid["error"], mid["truncation"], rtol=0.05)


def test_numeric_costs():
    h = TEXTBOOK_EPS["central"]  # a fixed step: no pilots
    r = dz.differentiate("x1*x2*x3", [1, 2, 3], method="numeric", scheme="central", eps=h)
    assert r.cost.function_evals == 1 + 6
    r = dz.differentiate("x1*x2*x3", [1, 2, 3], method="numeric", scheme="forward", eps=TEXTBOOK_EPS["forward"])
    assert r.cost.function_evals == 1 + 3  # f(x) once (it is also the value), then f(x + h e_i) for 3 inputs


def test_chosen_step_costs_count_every_pilot():
    # Central differences with a chosen step: 1 (the value) + per input 2 for the estimate, 2 for its check
    # at h/2, and 4 per pilot stencil (every check passes at once on this smooth function).
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


# --- the chosen step -------------------------------------------------------------------------------

EPS = float(np.finfo(float).eps)


@pytest.mark.parametrize(("text", "x", "f", "third"), [  # closed forms of f and f'''
    ("sin(x)", 0.7, math.sin, lambda x: -math.cos(x)),
    ("exp(x)", 1.3, math.exp, math.exp),
    ("ln(x)", 2.0, math.log, lambda x: 2 / x**3),
    ("x^3 - 2*x", -1.1, lambda x: x**3 - 2 * x, lambda x: 6.0),
])
def test_chosen_central_step_finds_the_curvature_and_a_near_optimal_error(text, x, f, third):
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


@pytest.mark.parametrize(("text", "x", "f", "second"), [
    ("sin(x)", 0.7, math.sin, lambda x: -math.sin(x)),
    ("exp(x)", 1.3, math.exp, math.exp),
    ("1/x", 0.2, lambda x: 1 / x, lambda x: 2 / x**3),
])
@pytest.mark.parametrize("scheme", ["forward", "backward"])
def test_chosen_one_sided_step_finds_f2_and_a_near_optimal_error(text, x, f, second, scheme):
    c = choose_step(dz.parse(text).wengert, [x], 0, scheme)
    # a one-sided second difference at H estimates f'' at x ± H: within H |f'''| of the exact value
    assert c.curvature == pytest.approx(abs(second(x)), rel=0.05, abs=0)
    assert c.h == pytest.approx(2 * math.sqrt(c.noise / c.curvature), rel=1e-6, abs=0)  # the model's best h
    bound = 2 * math.sqrt(abs(second(x)) * EPS * abs(f(x)))  # the model's least error, one ulp of noise
    est = dz.differentiate(text, [x], "numeric", scheme=scheme).derivative
    assert abs(est - dz.differentiate(text, [x]).derivative) <= bound


def test_rounding_noise_follows_what_cancels():
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


@pytest.mark.parametrize(("text", "x", "exact"), [
    ("sin(x)", 3e5, math.cos(3e5)),  # a step relative to |x| (1.8 here) spans a third of a period
    ("ln(x)", 1e-6, 1e6),  # ... or crosses 0
    ("(x + 1e8) - 1e8", 0.5, 1.0),  # rounding noise of 1e8, not of the result 0.5
    ("x^2 + 1", 1e-4, 2e-4),  # no third derivative: the largest step allowed
])
def test_chosen_central_step_where_a_relative_step_fails(text, x, exact):
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
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0, overflow or underflow on the way either
        r = dz.differentiate(text, [x], "numeric")
    assert abs(r.derivative - exact) <= tol
    assert math.isfinite(r.details["steps"][0])


def test_a_stencil_that_left_the_domain_lowers_the_cap_for_good():
    # sqrt(x)^2 = x on x >= 0, at 0.05: the pilot at the cap 0.1 crosses 0, the one at 0.01 does not and
    # sees no curvature; the step is then 0.01 at once instead of climbing back to 0.1 and failing again.
    c = choose_step(dz.parse("sqrt(x)^2").wengert, [0.05], 0, "central")
    assert c.pilots[-2:] == pytest.approx([0.1, 0.01], rel=1e-12, abs=0)
    assert c.h == pytest.approx(0.01, rel=1e-12, abs=0)


def test_choose_step_ends_at_the_cap_when_f_is_flat():
    # (x + 1e8) - 1e8 is x with 1e8's rounding noise: no curvature shows, the pilot climbs to the cap and stops.
    flat = choose_step(dz.parse("(x + 1e8) - 1e8").wengert, [3.0], 0, "central")
    assert len(flat.pilots) < MAX_PILOTS and flat.evals == 1 + 4 * len(flat.pilots)
    assert flat.h == pytest.approx(0.3, rel=1e-12, abs=0)  # the cap: a tenth of max(|x|, 1)
    with pytest.raises(ValueError, match="fixed one"):
        choose_step(dz.parse("x").wengert, [0.31], 0, "complex")


# --- comparison and command line ----------------------------------------------------------------


def test_compare_reference_and_errors():
    df = compare("ln(x1) + x1*x2 - sin(x2)", {"x1": 2, "x2": 5})
    assert list(df["method"]) == list(dz.METHODS)
    errs = df.set_index("method")["max rel. error"]
    assert errs["reverse"] == 0.0 and errs["forward"] == 0.0
    assert 1e-13 < errs["numeric"] < 1e-9
    ref = reference_jacobian(dz.parse("ln(x1) + x1*x2 - sin(x2)"), {"x1": 2, "x2": 5})
    assert ref[0, 1] == 1.7163378145367738  # 2 - cos 5 = 1.71633781453677373553..., rounded once


def test_cli_trace(capsys):
    assert main(["trace", "ln(x1)+x1*x2-sin(x2)", "--at", "x1=2", "x2=5"]) == 0
    out = capsys.readouterr().out
    assert "v_5       v_4 - v_3" in out
    assert "11.652071455223084" in out
    assert "v̄_0 + v̄_2 * v_-1" in out and "1.7163378145367738" in out


def test_cli_compare(capsys):
    assert main(["compare", "x1*x2, cos(x1)", "--at", "x1=2", "x2=3"]) == 0
    out = capsys.readouterr().out
    for m in dz.METHODS:
        assert m in out
    assert "-0.90929742682568171" in out


@pytest.mark.parametrize(("args", "fragment"), [
    (["trace", "sinn(x)", "--at", "x=1"], "Did you mean 'sin'?"),
    (["trace", "ln(x)", "--at", "x=-2"], "log is undefined at -2"),
    (["trace", "x+y", "--at", "x=1"], "no value for y"),
    (["trace", "x", "--at", "x=abc"], "not a number"),
])
def test_cli_errors_exit_2_without_traceback(capsys, args, fragment):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_python_dash_m_entry_point():
    p = subprocess.run([sys.executable, "-m", "diffzoo", "trace", "x^2 + 1", "--at", "x=3"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "v̇_1" in p.stdout
    p = subprocess.run([sys.executable, "-m", "diffzoo", "trace", "x^", "--at", "x=3"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "^" in p.stderr and "Traceback" not in p.stderr


def test_symbolic_refuses_work_past_its_budget_up_front():
    # 24 outputs x 100 variables = 2,400 partial derivatives: more than MAX_ENTRIES (400).
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
    # 10 identical outputs share one derivative walk: the shared graph has as many steps as one output's.
    from diffzoo.symbolic import jacobian_exprs

    f = dz.parse(", ".join(["sin(x1)*x2"] * 10))
    exprs = jacobian_exprs(f.outputs, f.variables)
    assert all(row[0] is exprs[0][0] for row in exprs)


def test_error_plot_axis_follows_the_measured_errors():
    # x - sin x at 0: f, f' and f'' vanish, so the model's bounds fall to ~1e-100 at small steps; the
    # axis must still show the measured curves (errors between 1e-17 and 0.2 here), not that model.
    from diffzoo import higher, plots

    f = dz.parse("x - sin(x)")
    sweep = error_sweep(f.wengert, [0.0], 0.0, bounds=higher.bounds_at(f, [0.0]))
    fig = plots.error_figure({"float64": sweep}, best_steps(sweep))
    lo, hi = fig.axes[0].get_ylim()
    assert 1e-40 <= lo <= 1e-17 and 0.1 <= hi <= 10

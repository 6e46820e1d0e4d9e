"""Taylor mode (issue #12): truncated Taylor series through the Wengert list, against sympy.

Oracle: sympy's derivatives in t of the sympy counterpart of the function (built from our own tree by
``symbolic.to_sympy``, never from text) along the line x + t v, with the point and direction as the
exact rationals of their floats, at t = 0 over j!, each coefficient evaluated at 30 digits (a unary function
of an inner expression by composing series, see ``sympy_coefficients``); and, for the survey example and five
primitives, sympy's ``series`` itself. Every coefficient must agree to a relative 1e-12, or, where the exact
coefficient is 0, to 1e-12 of the largest one (absolute).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import sympy as sp

import diffzoo as dz
from diffzoo import forward, higher, series
from diffzoo.expr import Expr
from diffzoo.parse import Function
from diffzoo.primitives import PRIMITIVES
from diffzoo.symbolic import to_sympy
from diffzoo.taylormode import MAX_ORDER, TaylorResult, along, cost_against_duals, polynomial, taylor

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
DIGITS = 30
T = sp.Symbol("t")


def xlogy_of(a: str, b: str, names: list[str]) -> Function:
    """xlogy(a, b) as a function: not in the language (a helper of pow's partial), so built from two parsed trees."""
    ea, eb = dz.parse(a, variables=names).outputs[0], dz.parse(b, variables=names).outputs[0]
    return Function(text=f"xlogy({a}, {b})", outputs=(Expr("xlogy", (ea, eb)),), variables=tuple(names))


# An argument that is no straight line, so that every rule sees coefficients of all orders.
P = "(x + x^2/3 - x^3/7)"

XY = ((0.3, -1.2), (0.7, -1.1))  # a point and a direction in two variables

#: Every primitive of the table: (function text or Function, point, direction), with points inside the domain.
CASES: dict[str, list[tuple]] = {
    "add": [("x + y", *XY), ("x + 2", [1.5], [1.0]), ("sin(x) + x^2", [0.4], [-1.3])],
    "sub": [("x - y", *XY), ("2 - x", [1.5], [1.0]), ("x - 2", [1.5], [0.5])],
    "mul": [("x*y", *XY), ("3*x", [1.5], [1.0]), ("x*x", [-0.7], [1.0]), ("sin(x)*cos(y)", *XY)],
    "div": [("x/y", *XY), ("x/3", [1.5], [1.0]), ("3/x", [-1.5], [1.0]), ("sin(x)/(1 + x^2)", [0.4], [1.0])],
    "neg": [("-x", [1.5], [1.0]), ("-(x*y)", *XY)],
    "pow": [("x^3", [-1.5], [1.0]), ("x^3", [0.0], [1.0]), ("x^2.5", [0.5], [1.0]), ("x^-1.5", [2.0], [0.7]),
            ("2^x", [0.5], [1.0]), ("x^x", [0.5], [1.0]), ("x^x", [2.0], [1.0]), ("x^y", (1.3, 0.7), (0.4, -0.9)),
            ("(x^2 + 1)^(y/3)", (0.4, 1.2), (1.0, 1.0)), (f"{P}^1.5", [0.5], [1.0])],
    # max and min away from a tie: the larger (smaller) argument's series, picked whole.
    "max": [("max(x, y)", *XY), ("max(sin(x), x^2)", [0.4], [1.0]), ("max(x^2, 2)", [1.5], [1.0]),
            ("max(2, x)", [1.5], [1.0]), ("max(x*y, cos(x))", *XY)],
    "min": [("min(x, y)", *XY), ("min(sin(x), x^2)", [0.4], [1.0]), ("min(x^2, 2)", [1.5], [1.0]),
            ("min(exp(x), y^2)", *XY)],
    "xlogy": [(xlogy_of("x", "y", ["x", "y"]), (0.7, 1.6), (0.5, -0.3)), (xlogy_of("x", "3", ["x"]), [0.7], [1.0]),
              (xlogy_of("2", "x", ["x"]), [1.6], [1.0]), (xlogy_of("sin(x)", "1 + x^2", ["x"]), [0.4], [1.0])],
}
_UNARY_POINTS = {
    "sin": [-2.0, 0.3, 1.7], "cos": [-2.0, 0.3, 1.7], "tan": [-1.2, 0.3, 1.0], "exp": [-3.0, 0.0, 2.5],
    "log": [0.1, 1.0, 7.5], "sqrt": [0.04, 1.0, 9.0], "tanh": [-2.0, 0.0, 1.0, 20.0], "sinh": [-1.5, 0.2, 2.0],
    "cosh": [-1.5, 0.2, 2.0], "asin": [-0.9, 0.0, 0.5], "acos": [-0.9, 0.0, 0.5], "atan": [-3.0, 0.0, 0.7],
    "abs": [-2.5, 0.7], "sigmoid": [-4.0, 0.0, 2.0, 40.0], "sign": [-1.5, 2.0], "relu": [-1.5, 0.7],
    "step": [-1.5, 2.0],
}
# Points where P(x) stays inside the domain (P(0.5) = 0.565, P(2) = 2.19, P(0.3) = 0.326, P(-0.8) = -0.514).
_COMPOSED_POINTS = {"log": [0.5, 2.0], "sqrt": [0.5, 2.0]}
for _name, _xs in _UNARY_POINTS.items():
    _call = "ln" if _name == "log" else _name
    CASES[_name] = [(f"{_call}(x)", [x], [1.0]) for x in _xs] + [(f"{_call}(x)", [_xs[-1]], [-1.5])]
    CASES[_name] += [(f"{_call}{P}", [x], [1.0]) for x in _COMPOSED_POINTS.get(_name, [0.3, -0.8])]

CASE_LIST = [(name, *case) for name, cases in CASES.items() for case in cases]
CASE_IDS = [f"{name}:{case[0] if isinstance(case[0], str) else case[0].text}@{case[1]}" for name, *case in CASE_LIST]


def function_of(f: str | Function, n: int) -> Function:
    if isinstance(f, Function):
        return f
    names = ["x", "y", "z"][:n]
    return dz.parse(f, variables=names)


def sympy_coefficients(f: Function, point, direction, order: int, digits: int = DIGITS) -> list[sp.Float]:
    """The coefficients of t -> f(x + t v): sympy's j-th derivative in t of f along the line x = a + t v, at
    t = 0, with a then replaced by the exact rationals of the point's floats (v is the rationals of the
    direction's from the start), over j!, each at ``digits`` digits. (Repeated differentiation is exact like
    ``series`` and some hundred times faster on powers and quotients; the point enters as a symbol, so the
    derivatives do not carry its 53-bit numerators.)

    Where f is a unary function F of an inner expression g (sigmoid(x + x^2/3 - x^3/7)), the derivatives of
    F(g(t)) swell past 10^5 operations by order 8 (10 s for sigmoid); there the coefficients p_j of g come from
    this same oracle at 10 more digits, and F(g(t)) = Σ_k F^(k)(p_0)/k! (g(t) - p_0)^k, truncated at t^order,
    with F^(k) sympy's k-th derivative of F in a plain symbol (Faà di Bruno's formula as a composition of
    series: the chain rule, not the recurrences of series.py).

    sympy's derivatives of Abs and sign leave terms it cannot evaluate (Derivative(sign(u), t), and a
    RecursionError on the way), so away from the kink, where u(0) != 0 and the sign of u is constant near
    t = 0, Abs(u) is replaced by u·sign(u(0)) and sign(u) by the constant sign(u(0)) before differentiating:
    the same function on a neighbourhood of t = 0, hence the same derivatives there."""
    root = f.outputs[0]
    if root.op in PRIMITIVES and PRIMITIVES[root.op].arity == 1 and root.args[0].op not in ("var", "const"):
        inner = Function(text="g", outputs=(root.args[0],), variables=f.variables)
        p = sympy_coefficients(inner, point, direction, order, digits + 10)
        u = sp.Symbol("u", real=True)
        F = _unkinked(PRIMITIVES[root.op].sympy(u), lambda w: w.subs(u, p[0]))
        out = [sp.Float(0, digits + 10)] * (order + 1)
        power = [sp.Float(1, digits + 10)] + [sp.Float(0, digits + 10)] * order  # (g(t) - p_0)^k, truncated
        for k in range(order + 1):
            c = sp.N(F.subs(u, p[0]) / sp.factorial(k), digits + 10)
            out = [o + c * q for o, q in zip(out, power)]
            power = [sum((power[i] * p[j - i] for i in range(j)), sp.Float(0, digits + 10)) for j in range(order + 1)]
            F = sp.diff(F, u)
        return [sp.N(c, digits) for c in out]
    e = to_sympy(root)
    at = {sp.Symbol(f"a_{name}", real=True): sp.Rational(float(x)) for name, x in zip(f.variables, point)}
    line = {sp.Symbol(name, real=True): a + sp.Rational(float(d)) * T
            for name, a, d in zip(f.variables, at, direction)}
    g = _unkinked(e.xreplace(line), lambda w: w.subs(T, 0).xreplace(at))
    out = []
    for j in range(order + 1):
        out.append(sp.N(g.subs(T, 0).xreplace(at) / sp.factorial(j), digits))
        if j < order:
            g = sp.diff(g, T)
    return out


def _unkinked(g: sp.Expr, at_0) -> sp.Expr:
    """g with Abs(u) -> u·sign(u(0)) and sign(u) -> sign(u(0)) (``at_0``: u's value at t = 0), see above."""

    def side(w: sp.Expr) -> sp.Integer:
        s = sp.sign(at_0(w))
        assert s in (1, -1), f"{w} vanishes at t = 0: the oracle's replacement of Abs and sign needs it nonzero"
        return s

    g = g.replace(lambda a: isinstance(a, sp.Abs), lambda a: a.args[0] * side(a.args[0]))
    return g.replace(lambda a: isinstance(a, sp.sign), lambda a: side(a.args[0]))


def sympy_series(f, point, direction, order):
    """The oracle: sympy's own series(f(x + t v), t, 0, order + 1) of the sympy counterpart of the parsed
    tree, the point and direction exact (the tests' floats are dyadic rationals), each coefficient at
    DIGITS digits."""
    line = {sp.Symbol(name, real=True): sp.Rational(x) + sp.Rational(d) * T
            for name, x, d in zip(f.variables, point, direction)}
    s = sp.series(to_sympy(f.outputs[0]).xreplace(line), T, 0, order + 1).removeO()
    return [sp.N(s.coeff(T, j), DIGITS) for j in range(order + 1)]


def assert_coefficients(got, exact, what=""):
    exact = [float(c) for c in exact]
    scale = max(abs(c) for c in exact)
    for j, (g, c) in enumerate(zip(got, exact)):
        if c == 0:
            assert abs(g) <= 1e-12 * scale, f"{what}: coefficient {j} is {g!r}, exactly 0 expected"
        else:
            assert g == pytest.approx(c, rel=1e-12, abs=0), f"{what}: coefficient {j} is {g!r}, {c!r} expected"


# --- the table ----------------------------------------------------------------------------------------


def test_every_entry_of_the_table_has_a_taylor_rule():
    missing = [p.name for p in PRIMITIVES.values() if not callable(p.taylor)]
    assert not missing, f"table entries without taylor=: {missing}"


def test_every_entry_of_the_table_has_a_case():
    assert set(CASES) == set(PRIMITIVES), "add the primitive's cases to CASES in tests/test_taylor.py"


@pytest.mark.parametrize(("name", "f", "point", "direction"), CASE_LIST, ids=CASE_IDS)
def test_coefficients_to_order_8_match_sympys_derivatives(name, f, point, direction):
    # The exact coefficients are sympy's derivatives in t of the same function along the line, over j!, at 30
    # digits (sympy_coefficients; relative 1e-12, absolute 1e-12 of the largest where one is exactly 0).
    fn = function_of(f, len(point))
    assert any(st.prim.name == name for st in fn.wengert.steps), f"the case does not use {name}"
    r = taylor(fn, list(point), order=8, direction=list(direction))
    assert r.warnings == ()
    assert_coefficients(r.coefficients[0], sympy_coefficients(fn, point, direction, 8), f"{fn.text} at {point}")
    assert r.coefficients[0, 0] == fn.wengert(*point)  # coefficient 0 is the value, bit for bit


@pytest.mark.parametrize(("name", "f", "point", "direction"), CASE_LIST, ids=CASE_IDS)
def test_order_1_is_forward_modes_jvp_bit_for_bit(name, f, point, direction):
    # Coefficient 1 is computed as the table's partial and forward mode compute it: the same floats, == on
    # every case (a zero may differ in sign only: -0.0 == 0.0).
    fn = function_of(f, len(point))
    r = taylor(fn, list(point), order=3, direction=list(direction))
    _, jvp = forward.jvp(fn.wengert, list(point), list(direction))
    assert r.coefficients[:, 1].tolist() == jvp


def test_rules_work_on_a_batch_of_series_as_on_each_alone():
    # The interpreter hands a rule every step of one primitive and level at once (leading axis = steps).
    rng = np.random.default_rng(3)
    x = rng.uniform(0.2, 0.9, size=(5, 7))
    y = rng.uniform(0.5, 1.5, size=(5, 7))
    for name, p in PRIMITIVES.items():
        args = (x, y)[: p.arity]
        if name in ("sign", "step"):
            args = (x - 0.5,)
        batch = p.taylor(6, *args)
        alone = np.array([p.taylor(6, *(a[i] for a in args)) for i in range(5)])
        np.testing.assert_array_equal(batch, alone, err_msg=name)


# --- random functions ---------------------------------------------------------------------------------

#: The table's functions that are smooth on the whole real line (no kink, no restricted domain; tan has poles).
SMOOTH = sorted(p.name for p in PRIMITIVES.values()
                if p.user and p.arity == 1 and p.kink is None and p.name != "tan"
                and all(p.domain(v) is None for v in (-3.0, -0.5, 0.0, 0.5, 3.0)))


def random_function(rng: random.Random, names: list[str], depth: int = 3) -> str:
    """A seeded grammar: the smooth functions, + - *, a quotient by 1 + u^2, small powers, ln and sqrt of
    positive forms."""
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(names + [str(rng.choice([0.5, 2, 3]))])
    sub = lambda: random_function(rng, names, depth - 1)  # noqa: E731
    r = rng.random()
    if r < 0.35:
        return f"{rng.choice(SMOOTH)}({sub()})"
    if r < 0.75:
        return f"({sub()}) {rng.choice(['+', '-', '*'])} ({sub()})"
    return rng.choice([f"({sub()}) / (1 + ({sub()})^2)", f"({sub()})^{rng.choice([2, 3])}",
                       f"ln(1 + ({sub()})^2)", f"sqrt(2 + sin({sub()}))"])


def random_case(seed: int):
    rng = random.Random(seed)
    names = ["x", "y", "z"][: rng.randint(1, 3)]
    text = random_function(rng, names)
    f = dz.parse(text, variables=names)
    x = [round(rng.uniform(-1.5, 1.5), 3) for _ in names]
    v = [round(rng.uniform(-1.0, 1.0), 3) for _ in names]
    return f, x, v


@pytest.mark.parametrize("seed", range(20))
def test_random_functions_to_order_6_match_sympy(seed):
    f, x, v = random_case(seed)
    r = taylor(f, x, order=6, direction=v)
    assert_coefficients(r.coefficients[0], sympy_coefficients(f, x, v, 6), f"{f.text} at {x} along {v}")
    # Order 1 is forward mode's JVP, bit for bit.
    assert r.coefficients[:, 1].tolist() == forward.jvp(f.wengert, x, v)[1]
    # Order 2 is half the second derivative along v: ½ vᵀ∇²f v, by sympy's Hessian at 30 digits.
    syms = [sp.Symbol(name, real=True) for name in f.variables]
    H = sp.hessian(to_sympy(f.outputs[0]), syms).xreplace({s: sp.Rational(xi) for s, xi in zip(syms, x)})
    vv = sp.Matrix([sp.Rational(vi) for vi in v])
    half = float(sp.N((vv.T * H * vv)[0] / 2, DIGITS))
    assert r.coefficients[0, 2] == pytest.approx(half, rel=1e-12, abs=1e-12 * np.abs(r.coefficients[0]).max())


def test_the_random_grammar_draws_every_smooth_function():
    drawn = {st.prim.name for seed in range(20) for st in random_case(seed)[0].wengert.steps}
    assert set(SMOOTH) <= drawn | {"cosh"}, set(SMOOTH) - drawn  # the 20 seeds draw all but (possibly) cosh


# --- figures ------------------------------------------------------------------------------------------


def test_survey_example_along_x1():
    # f(2 + t, 5) = ln(2 + t) + 5 (2 + t) - sin 5, and ln(2 + t) = ln 2 + Σ_{j>=1} (-1)^(j+1) t^j / (j 2^j):
    # c_0 = ln 2 + 10 - sin 5 = 11.652071455223084, c_1 = 1/2 + 5 = 11/2, and for j >= 2 the logarithm's
    # (-1)^(j+1)/(j 2^j): -1/8, 1/24, -1/64, 1/160, -1/384, 1/896, -1/2048 (worked out by hand).
    r = dz.taylor(SURVEY, {"x1": 2, "x2": 5}, order=8, direction=[1, 0])
    exact = [Fraction(11, 2)] + [Fraction((-1) ** (j + 1), j * 2**j) for j in range(2, 9)]
    assert r.coefficients[0, 0] == 11.652071455223084 == r.value
    # Every coefficient is the float nearest the exact fraction.
    assert r.coefficients[0, 1:].tolist() == [float(c) for c in exact]
    assert r.coefficients[0, :5].tolist() == [11.652071455223084, 5.5, -0.125, 1 / 24, -1 / 64]
    # derivatives are coefficient × j!: f'' = -1/4 = -1/x1², f''' = 2/x1³ = 1/4.
    assert r.derivatives[0, :4].tolist() == [11.652071455223084, 5.5, -0.25, 0.25]
    assert r.direction == (1.0, 0.0) and r.order == 8 and r.warnings == ()
    # Steps that do not move along x1 (sin x2) are not propagated: ln, the product, the sum, the difference.
    assert r.cost.steps == 4 and r.cost.passes == 1 and r.cost.ops > 0


@pytest.mark.parametrize(("text", "point", "direction"), [
    (SURVEY, [2.0, 5.0], [1.0, 0.0]), ("sin(x)", [0.5], [1.0]), ("exp(x)", [-0.5], [1.0]),
    ("ln(x)", [1.5], [1.0]), ("sqrt(x)", [1.5], [-1.0]), ("atan(x)", [0.5], [1.0])])
def test_coefficients_to_order_8_against_sympys_series(text, point, direction):
    # sympy's own series to t^8 (sympy_series): the oracle, literally (the other tests take
    # repeated differentiation, which agrees and is faster).
    f = dz.parse(text)
    exact = sympy_series(f, point, direction, 8)
    assert all(c != 0 for c in exact[1:]), exact  # no vanishing coefficient: every one is checked relatively
    r = taylor(f, point, order=8, direction=direction)
    assert_coefficients(r.coefficients[0], exact, text)


def test_abs_at_its_kink_gives_the_one_sided_expansion_with_a_warning():
    # |t| = t for t > 0: [0, 1, 0, ...] (closed form), one-sided.
    r = taylor("abs(x)", [0], order=6)
    assert r.coefficients[0].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert len(r.warnings) == 1 and "t > 0 only" in r.warnings[0] and r.warnings[0].startswith("v_1 = abs v_0")
    # Along -1, |-t| = t for t > 0 as well.
    assert taylor("abs(x)", [0], order=3, direction=[-1]).coefficients[0].tolist() == [0.0, 1.0, 0.0, 0.0]
    # Where the argument does not change sign (x^2 >= 0 on both sides), the expansion is two-sided: no warning.
    r = taylor("abs(x^2 - 0*x)", [0], order=4)
    assert r.coefficients[0].tolist() == [0.0, 0.0, 1.0, 0.0, 0.0] and r.warnings == ()


def test_log_at_0_raises_the_primals_error_naming_the_step():
    with pytest.raises(dz.EvaluationError) as exc:
        taylor("ln(x)", [0])
    assert str(exc.value) == "v_1 = ln v_0: log is undefined at 0 (it tends to -infinity)"
    with pytest.raises(dz.EvaluationError) as primal:
        dz.parse("ln(x)").wengert.evaluate([0.0])
    assert str(exc.value) == str(primal.value) and exc.value.index == 1


def test_kinks_jumps_and_domain_edges():
    # relu(t) = t, relu(-t) = 0 for t > 0; both one-sided.
    assert taylor("relu(x)", [0], order=2).coefficients[0].tolist() == [0.0, 1.0, 0.0]
    r = taylor("relu(-x)", [0], order=2)
    assert r.coefficients[0].tolist() == [0.0, 0.0, 0.0] and "t > 0 only" in r.warnings[0]
    # sign jumps: the expansion for t > 0 is the constant 1, while f(x) = sign(0) = 0; the result says so.
    r = taylor("sign(x)", [0], order=3)
    assert r.value == 0.0 and r.coefficients[0].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert any("jumps" in w for w in r.warnings) and any("limit for t > 0" in w for w in r.warnings)
    # sqrt(t²) = |t| = t for t > 0 (one more order of t² is needed: two passes); sqrt(t⁴) = t² on both sides.
    r = taylor("sqrt(x^2)", [0], order=4)
    assert r.coefficients[0].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0] and r.cost.passes == 2
    assert "edge of sqrt's domain" in r.warnings[0]
    r = taylor("sqrt(x^4)", [0], order=4)
    assert r.coefficients[0].tolist() == [0.0, 0.0, 1.0, 0.0, 0.0] and r.warnings == ()
    # sqrt(1 - cos t) = t/√2 (1 - t²/24 + ...) for t > 0 (sympy: sqrt(2)/2 t - sqrt(2)/48 t^3).
    r = taylor("sqrt(1 - cos(x))", [0], order=4)
    assert r.coefficients[0] == pytest.approx([0, math.sqrt(2) / 2, 0, -math.sqrt(2) / 48, 0], rel=1e-12, abs=1e-15)
    # No power series at all: √t, asin(1 + t), 0^t with a moving base, a negative base under a moving exponent.
    for text, x, words in [("sqrt(x)", 0.0, "no Taylor expansion"), ("asin(1 + x)", 0.0, "edge of its domain"),
                           ("x^x", 0.0, "not smooth"), ("(-2)^x", 3.0, "negative base")]:
        with pytest.raises(dz.EvaluationError, match=words):
            taylor(text, [x])
    # max and min at a tie are decided by the first nonzero coefficient of a - b: max(t, -t) = |t| = t for t > 0,
    # min(t, -t) = -t, one-sided; max(t², t⁴) = t² on both sides (no warning); max(t, t) = t.
    r = taylor("max(x, -x)", [0], order=3)
    assert r.coefficients[0].tolist() == [0.0, 1.0, 0.0, 0.0] and "t > 0 only" in r.warnings[0]
    assert r.warnings[0].startswith("v_2 = ") and "max's arguments are equal" in r.warnings[0]
    assert "+2·t" in r.warnings[0]  # t - (-t)
    assert taylor("min(x, -x)", [0], order=3).coefficients[0].tolist() == [0.0, -1.0, 0.0, 0.0]
    r = taylor("max(x^2, x^4)", [0], order=5)
    assert r.coefficients[0].tolist() == [0.0, 0.0, 1.0, 0.0, 0.0, 0.0] and r.warnings == ()
    r = taylor("min(x^2, x^4)", [0], order=5)
    assert r.coefficients[0].tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 0.0] and r.warnings == ()
    assert taylor("max(x, x)", [0], order=2).coefficients[0].tolist() == [0.0, 1.0, 0.0]
    # x^3 at 0 is a polynomial: exact, no warning.
    assert taylor("x^3", [0], order=4).coefficients[0].tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]


def test_a_batch_of_kinks_names_each_step():
    # abs(x), abs(y) and abs(z) are one batch of the abs rule (one level); x and z are at the kink, y is not.
    # (At (0, 1) "abs(x) + abs(y) + abs(x - 1)" has one kink only: y = 1 and x - 1 = -1 are away from it.)
    f = dz.parse("abs(x) + abs(y) + abs(z)", variables=["x", "y", "z"])
    r = taylor(f, [0, 1, 0], order=2, direction=[1, 1, -1])
    assert r.coefficients[0].tolist() == [1.0, 3.0, 0.0]  # |t| + |1 + t| + |-t| = 1 + 3t for small t > 0
    assert len(r.warnings) == 2
    assert r.warnings[0].startswith("v_1 = abs v_-2") and "+1·t" in r.warnings[0]
    assert r.warnings[1].startswith("v_3 = abs v_0") and "-1·t" in r.warnings[1]


def test_a_coefficient_that_overflows_is_refused():
    # exp(700 + 100 t): c_j = e^700 100^j / j! reaches 1e304 * 1e16 / 40320 > 1.8e308 by order 8.
    with pytest.raises(dz.EvaluationError, match="overflows"):
        taylor("exp(x)", [700.0], order=8, direction=[100.0])


# --- the result ---------------------------------------------------------------------------------------


def test_result_fields_trace_and_polynomials():
    r = taylor("x1*x2, cos(x1)", {"x1": 2, "x2": 3}, order=4, direction={"x1": 1, "x2": -1})
    assert isinstance(r, TaylorResult) and r.coefficients.shape == (2, 5) and r.value == [6.0, math.cos(2.0)]
    # (2 + t)(3 - t) = 6 + t - t²; cos(2 + t) = cos 2 - sin 2 t - cos 2 t²/2 + ...
    assert r.coefficients[0].tolist() == [6.0, 1.0, -1.0, 0.0, 0.0]
    np.testing.assert_allclose(r.derivatives, r.coefficients * [1, 1, 2, 6, 24], rtol=0, atol=0)
    frame = r.trace()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["variable", "definition", "t^0", "t^1", "t^2",
                                                                      "t^3", "t^4"]
    assert len(frame) == 2 + len(dz.parse("x1*x2, cos(x1)").wengert.steps)
    assert frame["variable"].tolist()[:2] == ["v_-1", "v_0"] and frame["t^1"].tolist()[:2] == [1.0, -1.0]
    ts = np.linspace(-0.5, 0.5, 11)
    polys = polynomial(r, ts, output=1)
    assert polys.shape == (4, 11)
    np.testing.assert_allclose(polys[3], np.polyval(r.coefficients[1][::-1], ts), rtol=1e-15, atol=1e-15)
    exact = along(r, ts, output=1)
    np.testing.assert_allclose(exact, np.cos(2 + ts), rtol=1e-15)
    # The order-4 polynomial is within Lagrange's remainder |cos^(5)(2 + ξ)| |t|⁵/5! = |sin(2 + ξ)| |t|⁵/120
    # <= |t|⁵/120 (2.6e-4 at |t| = 0.5; the t⁵ term of cos(2 + t) is sin 2 t⁵/120, not 0, so the error there is
    # about 2.4e-4), and the error over t⁵ tends to that coefficient, sin 2/120, as t -> 0.
    assert (np.abs(polys[3] - exact) <= np.abs(ts) ** 5 / 120 + 1e-16).all()
    small = np.array([-1e-2, 1e-2])
    ratio = (polynomial(r, small, output=1)[3] - along(r, small, output=1)) / small**5
    np.testing.assert_allclose(ratio, math.sin(2) / 120, rtol=0.02)


def test_the_public_api_and_forward_modes_jvp():
    # dz.taylor is the module's function (the module is taylormode, so the name does not shadow it), and takes
    # what differentiate takes; its order-1 coefficients are differentiate(method="forward", seed=v)'s JVP,
    # bit for bit, for a vector function too (one row per output).
    import diffzoo.taylormode as tm

    assert dz.taylor is tm.taylor is taylor and dz.TaylorResult is TaylorResult
    f = dz.parse("x*exp(y) - y^2, atan(x/y), sigmoid(x - y)")
    point, v = {"x": 0.7, "y": -1.3}, {"x": 0.25, "y": 2.0}
    r = dz.taylor(f, point, order=5, direction=v)
    jvp = dz.differentiate(f, point, method="forward", seed=v).details["jvp"]
    assert r.coefficients.shape == (3, 6) and r.coefficients[:, 1].tolist() == list(jvp)
    assert r.value == dz.differentiate(f, point, method="forward").value


def test_direction_order_and_point_are_checked():
    with pytest.raises(ValueError, match="a direction is needed for a function of 2 variables"):
        taylor(SURVEY, [2, 5])
    assert taylor("x^2", 3).direction == (1.0,)  # one variable: e_1
    for bad in (-1, 2.5, True, MAX_ORDER + 1):
        with pytest.raises(ValueError, match="order"):
            taylor("x^2", [3], order=bad)
    with pytest.raises(dz.PointError):
        taylor("x^2", ["three"])
    with pytest.raises(dz.PointError):
        taylor(SURVEY, [2, 5], direction=[1, "x"])
    # a zero direction: f is constant along the line
    assert taylor(SURVEY, [2, 5], order=2, direction=[0, 0]).coefficients[0, 1:].tolist() == [0.0, 0.0]
    # order 0: the value alone
    assert taylor(SURVEY, [2, 5], order=0, direction=[1, 0]).coefficients.tolist() == [[11.652071455223084]]


def test_order_0_with_a_constant_exponent_on_a_negative_base():
    # At order 0 a series is one number, as a constant is: the careful sweep used to take the constant exponent 2
    # of (0.5 - x)^2 for a moving one there, and refused the negative base. Now it is the value, as at order 1.
    from diffzoo.taylormode import output_series, propagate

    f = dz.parse("sin(x) + (0.5 - x)^2")
    for order in (0, 1):
        sw = propagate(f.wengert, [2.0], [1.0], order)
        assert output_series(f.wengert, sw.series)[0, 0] == math.sin(2.0) + 2.25
    # and where a batch of steps has constant arguments (two powers on one level)
    f = dz.parse("(0.5 - x)^2 + (0.25 - x)^3")
    sw = propagate(f.wengert, [2.0], [1.0], 0)
    assert output_series(f.wengert, sw.series)[0, 0] == f.wengert(2.0)


def test_text_is_never_executed():
    with pytest.raises(dz.ParseError):
        taylor("__import__('os').system('true')", [1])


# --- against nested duals -----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "x"), [(SURVEY, [2.0, 5.0]), ("exp(x)/sqrt(sin(x)^3+cos(x)^3)", [1.5]),
                                         ("x - sin(x)", [0.0]), ("1e300*x^2", [3.0]), ("x^300", [10.0])])
def test_derivatives_along_by_taylor_matches_nested_duals(text, x):
    f = dz.parse(text)
    auto = higher.derivatives_along(f, x, 0, 0, 5)
    duals = higher.derivatives_along(f, x, 0, 0, 5, by="duals")
    assert auto == pytest.approx(duals, rel=1e-12, abs=1e-13 * max(abs(d) for d in duals))
    assert higher.derivatives_along(f, x, 0, 0, 5, by="taylor") == auto


def test_derivatives_along_keeps_the_nested_duals_answer_where_taylor_mode_would_differ():
    # At a kink the duals give the table's convention (abs'(0) = sign(0) = 0), Taylor mode the one-sided 1;
    # where no value exists (sqrt'(0)), the duals give nan. auto keeps the duals' answers there, as before.
    for text, x in [("abs(x)", 0.0), ("sqrt(x)", 0.0), ("ln(x)", 0.0), ("sign(x)", 0.0)]:
        f = dz.parse(text)
        got = higher.derivatives_along(f, [x], 0, 0, 5)
        want = higher.derivatives_along(f, [x], 0, 0, 5, by="duals")
        assert np.array_equal(got, want, equal_nan=True), text
    assert higher.derivatives_along(dz.parse("abs(x)"), [0.0], 0, 0, 3, by="taylor") == [0.0, 1.0, 0.0, 0.0]
    with pytest.raises(dz.EvaluationError):
        higher.derivatives_along(dz.parse("sqrt(x)"), [0.0], 0, 0, 3, by="taylor")
    with pytest.raises(ValueError, match="by must be"):
        higher.derivatives_along(dz.parse("x"), [0.0], 0, 0, 3, by="symbolic")


def test_cost_against_duals_grows_as_k_squared_against_2_to_the_k():
    table = cost_against_duals(SURVEY, [2, 5], ks=[1, 2, 3, 4, 5, 6], repeats=1)
    assert list(table.columns) == ["k", "taylor_ops", "taylor_s", "duals_ops", "duals_s", "agree"]
    assert table["k"].tolist() == [1, 2, 3, 4, 5, 6] and (table["agree"] < 1e-12).all()
    ops = table.set_index("k")
    # Taylor mode's operations are a quadratic in k (second differences constant), nested duals' at least double
    # with each order.
    second = np.diff(ops["taylor_ops"].to_numpy(), 2)
    assert (second == second[0]).all() and second[0] > 0
    assert (ops["duals_ops"].to_numpy()[1:] >= 2 * ops["duals_ops"].to_numpy()[:-1]).all()
    assert ops.loc[6, "duals_ops"] > 20 * ops.loc[6, "taylor_ops"]


def test_operation_counts_are_counted_per_series():
    with series.tally() as t:
        series.mul(4, np.ones(5), np.ones(5))
        series.mul(4, np.ones((3, 5)), np.ones((3, 5)))
    assert t.ops == 25 + 3 * 25  # a Cauchy product to order k: (k + 1)² operations, per series of a batch
    assert series.mul(3, np.array([1.0, 2, 0, 0]), 2.0).tolist() == [2.0, 4.0, 0.0, 0.0]  # a constant factor


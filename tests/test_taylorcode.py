"""Compiled Taylor programs (``diffzoo/taylorcode.py``) against the careful sweep and against sympy.

``dz.taylor`` runs a list's compiled program first and the careful numpy sweep (``taylormode.propagate``) where
the program hands the point back. The careful answer here is ``dz.taylor`` with the programs switched off
(:func:`careful`); :func:`compiled` is the program's own answer, asserted to exist. The two must agree: value,
warnings, cost.steps, and every coefficient of every variable to 1e-13 relative (where the same operations are
done, the survey example and the chain sums, bit for bit; in practice every case here is bit for bit).
"""

from __future__ import annotations

import dataclasses
import math
import re
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import NAMES, exprs
from test_taylor import (
    CASE_IDS,
    CASE_LIST,
    SURVEY,
    assert_coefficients,
    function_of,
    random_case,
    sympy_coefficients,
    sympy_series,
    xlogy_of,
)

import diffzoo as dz
from diffzoo import families, taylorcode, taylormode
from diffzoo.compile import identifiers
from diffzoo.parse import Function
from diffzoo.primitives import PRIMITIVES
from diffzoo.taylormode import TaylorResult, taylor


def careful(f, x, v, k):
    """dz.taylor by the careful sweep alone (no compiled program)."""
    with mock.patch.object(taylorcode, "program", lambda *a: None):
        return taylor(f, x, order=k, direction=v)


def compiled(f, x, v, k) -> TaylorResult:
    """The compiled program's answer (it must give one), as dz.taylor returns it."""
    f = dz.parse(f) if isinstance(f, str) else f
    r = taylormode._by_program(f, f.wengert, [float(a) for a in x], [float(a) for a in v], k)
    assert r is not None, f"the compiled program handed {f.text} at {x} along {v} (order {k}) back"
    return r


def outcome(fn):
    try:
        return fn()
    except dz.EvaluationError as e:
        return ("EvaluationError", str(e), e.index)


def assert_same(fast: TaylorResult, slow: TaylorResult, bitwise: bool = False) -> None:
    assert fast.value == slow.value and type(fast.value) is type(slow.value)
    assert fast.warnings == slow.warnings == ()
    assert (fast.order, fast.direction, fast.x, fast.function) == (slow.order, slow.direction, slow.x, slow.function)
    assert fast.cost.steps == slow.cost.steps and fast.cost.passes == slow.cost.passes == 1
    for name in ("series", "coefficients", "derivatives"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.shape == b.shape and a.dtype == b.dtype == np.float64, name
        if bitwise:
            assert np.array_equal(a, b), (name, a - b)
        else:  # 1e-13 relative; a coefficient that cancels to about 0 against its row's largest
            scale = np.abs(b).max(axis=1, keepdims=True)
            assert (np.abs(a - b) <= 1e-13 * np.maximum(np.abs(b), 1e-3 * scale)).all(), (name, a - b)


# --- the same answer as the careful sweep -----------------------------------------------------------------


@pytest.mark.parametrize("k", range(11))
def test_survey_example_bit_for_bit(k):
    f = dz.parse(SURVEY)
    fast = compiled(f, [2.0, 5.0], [1.0, 0.0], k)
    assert_same(fast, careful(f, [2.0, 5.0], [1.0, 0.0], k), bitwise=True)
    assert_same(taylor(f, [2.0, 5.0], order=k, direction=[1.0, 0.0]), fast, bitwise=True)
    # Along both inputs too (sin x2 moves then).
    assert_same(compiled(f, [2.0, 5.0], [0.5, -1.5], k), careful(f, [2.0, 5.0], [0.5, -1.5], k), bitwise=True)


@pytest.mark.parametrize("n", [1, 2, 10, 30])
def test_chain_sums_bit_for_bit(n):
    f = dz.parse(families.chain_sum(n), limits=dz.Limits.unbounded())
    x = [0.5 + (i % 7) / 10 for i in range(n)]
    for k in range(1, 11):
        for v in ([1.0] * n, [(-1.0) ** i * (0.25 + i / n) for i in range(n)], [1.0] + [0.0] * (n - 1)):
            assert_same(compiled(f, x, v, k), careful(f, x, v, k), bitwise=True)


@pytest.mark.parametrize("seed", range(40))
def test_random_functions_of_the_grammar_orders_1_to_10(seed):
    # The seeded grammar of test_taylor.py (the smooth functions, + - *, quotients, powers, ln and sqrt of positive
    # forms) at random points and directions.
    f, x, v = random_case(seed)
    for k in range(1, 11):
        assert_same(compiled(f, x, v, k), careful(f, x, v, k))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(exprs, st.lists(st.one_of(st.floats(-3, 3), st.sampled_from([0.0, 1.0, -1.0])), min_size=3, max_size=3),
       st.lists(st.one_of(st.floats(-2, 2), st.just(0.0)), min_size=3, max_size=3), st.integers(0, 10))
def test_every_primitive_at_random_points_the_same_answer_warnings_or_error(e, x, v, k):
    # test_properties.py's grammar draws every user primitive, kinks and restricted domains included, at points
    # that may sit on a kink or outside a domain: dz.taylor (compiled where the program answers, careful where it
    # hands the point back) gives what the careful sweep gives, error or warnings included.
    f = Function(text="e", outputs=(e,), variables=tuple(NAMES))
    slow = outcome(lambda: careful(f, x, v, k))
    got = outcome(lambda: taylor(f, x, order=k, direction=v))
    if isinstance(slow, tuple) or isinstance(got, tuple):
        assert got == slow
        return
    assert got.warnings == slow.warnings
    fast = taylormode._by_program(f, f.wengert, x, v, k)
    if fast is not None:
        assert_same(fast, slow)


def test_vector_functions_constant_outputs_and_inputs_as_outputs():
    f = dz.parse("x*exp(y) - y^2, atan(x/y), 3, x, sigmoid(x - y)")
    for v in ([0.25, 2.0], [1.0, 0.0], [0.0, 0.0]):
        for k in (0, 1, 5):
            fast = compiled(f, [0.7, -1.3], v, k)
            assert_same(fast, careful(f, [0.7, -1.3], v, k), bitwise=True)
            assert fast.coefficients.shape == (5, k + 1) and isinstance(fast.value, list) and len(fast.value) == 5
    r = compiled("x - x + 2", [1.0], [1.0], 3)  # no step moves: x - x is 0 wherever x is
    assert r.cost.steps == 0 and r.coefficients.tolist() == [[2.0, 0.0, 0.0, 0.0]]
    r = compiled("2*3 + 1", [], [], 2)  # no input at all
    assert r.value == 7.0 and r.coefficients.tolist() == [[7.0, 0.0, 0.0]] and r.series.shape == (2, 3)


def test_result_is_a_whole_taylor_result():
    # The compiled path fills TaylorResult's fields at once (not through its __init__): every field is there, and
    # the result behaves as one the constructor made (replace, trace, repr, the polynomials).
    r = compiled("x1*x2, cos(x1)", [2.0, 3.0], [1.0, -1.0], 4)
    assert isinstance(r, TaylorResult)
    assert {f.name for f in dataclasses.fields(TaylorResult)} == set(vars(r))
    again = dataclasses.replace(r)
    assert all(np.array_equal(getattr(again, f.name), getattr(r, f.name)) if isinstance(getattr(r, f.name), np.ndarray)
               else getattr(again, f.name) == getattr(r, f.name) for f in dataclasses.fields(TaylorResult))
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.order = 3
    assert r.trace()["t^1"].tolist()[:2] == [1.0, -1.0] and "TaylorResult(" in repr(r)
    np.testing.assert_array_equal(r.derivatives, r.coefficients * [1, 1, 2, 6, 24])
    # The arrays are writable, as the careful sweep's are, and writing one leaves the others alone.
    before = r.series.copy()
    r.coefficients[0, 0] = 99.0
    assert np.array_equal(r.series, before) and r.derivatives[0, 0] == 6.0


# --- against sympy ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "point", "direction"), [
    (SURVEY, [2.0, 5.0], [1.0, 0.0]), (SURVEY, [2.0, 5.0], [0.5, 0.25]), ("exp(x)*sin(x)", [0.5], [1.0]),
    ("x^2.5", [0.75], [1.0]), ("2^x", [0.5], [-1.0]), ("atan(x)/(1 + x^2)", [0.5], [1.0]),
    ("sqrt(1 + x^2)", [0.75], [1.0])])
def test_compiled_coefficients_to_order_8_against_sympys_series(text, point, direction):
    # sympy's own series to t^8, the point and direction exact (dyadic rationals), at 30 digits.
    f = dz.parse(text)
    exact = sympy_series(f, point, direction, 8)
    assert_coefficients(compiled(f, point, direction, 8).coefficients[0], exact, text)


@pytest.mark.parametrize("text", ["sigmoid(x) * tanh(y)", "x^y + asin(x/2) - acos(y/3)", "cosh(x)/sinh(y) + tan(x*y)",
                                  "max(x*y, exp(x)) + abs(y) - relu(x) + sign(x) * step(y)", "min(x, y^3)"])
def test_compiled_coefficients_to_order_8_against_sympys_derivatives(text):
    # Along a direction that moves both inputs: test_taylor.py's oracle (sympy's derivatives in t, 30 digits).
    f = dz.parse(text, variables=["x", "y"])
    x, v = [0.7, 1.3], [0.4, -0.9]
    assert_coefficients(compiled(f, x, v, 8).coefficients[0], sympy_coefficients(f, x, v, 8), text)


@pytest.mark.parametrize(("name", "f", "point", "direction"), CASE_LIST, ids=CASE_IDS)
def test_the_tables_cases_are_answered_by_the_compiled_program(name, f, point, direction):
    # test_taylor.py checks every one of its cases against sympy through dz.taylor: this says that the compiled
    # program is what answered there (except xlogy, a helper the programs leave to the careful sweep).
    fn = function_of(f, len(point))
    prog = taylorcode.program(fn.wengert, 8, tuple(map(bool, direction)))
    if name == "xlogy":
        assert prog is None
        return
    if (fn.text, tuple(point)) == ("x^3", (0.0,)):  # a power at a zero base: the careful sweep's exact polynomial
        assert taylormode._by_program(fn, fn.wengert, list(point), list(direction), 8) is None
        return
    assert_same(compiled(fn, point, direction, 8), careful(fn, list(point), list(direction), 8))


def test_the_programs_cover_the_table_except_xlogy():
    assert set(taylorcode.RULES) == set(PRIMITIVES) - {"xlogy"}


# --- where the careful sweep answers ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "x", "v", "k"), [
    ("sqrt(x)", [0.0], [1.0], 4),  # no expansion (√t): the careful sweep's error
    ("sqrt(x^2)", [0.0], [1.0], 4),  # |t| = t for t > 0, two passes, a warning
    ("x^2.5", [0.0], [1.0], 4),  # t^2.5: no expansion
    ("x^3", [0.0], [1.0], 4),  # exact by repeated squaring
    ("ln(x)", [0.0], [1.0], 4),  # the primal's error
    ("ln(x)", [-1.0], [1.0], 4),
    ("abs(x)", [0.0], [1.0], 6),  # the one-sided expansion and its warning
    ("abs(x) + abs(y)", [0.0, 1.0], [-1.0, 1.0], 3),
    ("relu(-x)", [0.0], [1.0], 2), ("sign(x)", [0.0], [1.0], 3), ("step(x)", [0.0], [-1.0], 3),
    ("max(x, -x)", [0.0], [1.0], 3), ("min(x^2, x^4)", [0.0], [1.0], 5),
    ("exp(x)", [700.0], [100.0], 8),  # a coefficient overflows
    ("exp(x)", [800.0], [1.0], 2),  # the value overflows
    ("asin(x)", [1.0], [1.0], 3), ("acos(x)", [-1.0], [1.0], 3), ("asin(1 + x)", [0.0], [1.0], 3),
    ("x^x", [0.0], [1.0], 3), ("x^y", [-2.0, 1.5], [1.0, 1.0], 3), ("(2*y)^x", [1.0, 0.0], [1.0, 1.0], 3),
    ("x / y", [1.0, 0.0], [1.0, 1.0], 3), ("x^y", [0.0, 2.0], [1.0, 0.0], 3),
])
def test_kinks_edges_and_math_errors_go_to_the_careful_sweep(text, x, v, k):
    f = dz.parse(text)
    prog = taylorcode.program(f.wengert, k, tuple(map(bool, v)))
    assert prog is not None  # a program exists, and hands this point back
    assert taylormode._by_program(f, f.wengert, x, v, k) is None
    got = outcome(lambda: taylor(f, x, order=k, direction=v))
    slow = outcome(lambda: careful(f, x, v, k))
    if isinstance(slow, tuple):
        assert got == slow
    else:
        assert got.warnings == slow.warnings and got.cost == slow.cost and got.value == slow.value
        assert np.array_equal(got.series, slow.series) and np.array_equal(got.coefficients, slow.coefficients)


def test_the_fallback_cases_answer_as_documented():
    # The cases above, spelled out: the error, the warnings and the one-sided expansions of the careful sweep.
    with pytest.raises(dz.EvaluationError, match="no Taylor expansion"):
        taylor("sqrt(x)", [0.0])
    with pytest.raises(dz.EvaluationError, match="log is undefined at 0"):
        taylor("ln(x)", [0.0])
    r = taylor("abs(x)", [0.0], order=6)
    assert r.coefficients[0].tolist() == [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0] and "t > 0 only" in r.warnings[0]
    with pytest.raises(dz.EvaluationError, match="overflows"):
        taylor("exp(x)", [700.0], order=8, direction=[100.0])
    with pytest.raises(dz.EvaluationError, match="edge of its domain"):
        taylor("asin(x)", [1.0], order=3)
    r = taylor("sqrt(x^2)", [0.0], order=4)
    assert r.cost.passes == 2 and "edge of sqrt's domain" in r.warnings[0]


def test_a_list_without_a_program_is_answered_by_the_careful_sweep():
    f = xlogy_of("x", "y", ["x", "y"])
    assert taylorcode.program(f.wengert, 4, (True, True)) is None
    assert_same(taylor(f, [0.7, 1.6], order=4, direction=[0.5, -0.3]), careful(f, [0.7, 1.6], [0.5, -0.3], 4),
                bitwise=True)


# --- the programs --------------------------------------------------------------------------------------


def test_programs_are_made_once_per_list_order_and_moved_inputs():
    f = dz.parse(SURVEY)
    a = taylorcode.program(f.wengert, 5, (True, False))
    assert taylorcode.program(f.wengert, 5, (True, False)) is a
    assert taylorcode.program(f.wengert, 6, (True, False)) is not a
    assert taylorcode.program(f.wengert, 5, (True, True)) is not a
    # The direction's values do not matter, only which inputs move.
    assert_same(taylor(f, [2.0, 5.0], order=5, direction=[3.0, 0.0]), careful(f, [2.0, 5.0], [3.0, 0.0], 5))
    assert taylorcode.program(f.wengert, 5, (True, False)) is a
    # A list whose steps are replaced gets new programs.
    wl = f.wengert
    wl.steps = tuple(list(wl.steps))
    assert taylorcode.program(wl, 5, (True, False)) is not a


def test_the_largest_program():
    f = dz.parse(families.chain_sum(1000), limits=dz.Limits.unbounded())
    assert taylorcode.program(f.wengert, 10, (True,) * 1000) is None  # ~89,000 operations: the numpy sweep
    prog = taylorcode.program(f.wengert, 1, (True,) * 1000)
    assert prog is not None and prog.ops <= taylorcode.MAX_OPS
    # Few operations but many values to return (every coefficient of 3000 variables to order 20): no program.
    assert taylorcode.program(f.wengert, 20, (True,) + (False,) * 999) is None
    x = [0.5 + (i % 7) / 10 for i in range(1000)]
    v = [1.0] + [0.0] * 999
    assert_same(taylor(f, x, order=20, direction=v), careful(f, x, v, 20), bitwise=True)


def test_zero_propagation_makes_lines_through_inputs_linear_in_k():
    # ln(x1) along x1: x1 has no coefficient beyond t, so each coefficient of ln is one product, not a sum of k;
    # the survey example and the chain sums cost O(k) per step (second difference 0), the careful rules O(k²).
    # exp(sin(x)) has dense series: quadratic.
    def ops(text, x, v, by=compiled):
        f = dz.parse(text)
        return [by(f, x, v, k).cost.ops for k in range(2, 11)]

    for text, x, v in [(SURVEY, [2.0, 5.0], [1.0, 0.0]), (families.chain_sum(5), [0.5] * 5, [1.0] * 5),
                       ("1/(1 + x^2)", [0.5], [1.0])]:
        assert set(np.diff(ops(text, x, v), 2).tolist()) == {0}, text
        second = np.diff(ops(text, x, v, careful), 2)
        assert len(set(second.tolist())) == 1 and second[0] > 0, text
    second = np.diff(ops("exp(sin(x))", [0.3], [1.0]), 2)
    assert len(set(second.tolist())) == 1 and second[0] > 0


def test_generated_text_holds_only_our_names():
    # Inputs are positional; a variable named like the generated code's own names changes nothing.
    names = ["c0", "d0", "x", "v", "taylor", "x0"]
    f = dz.parse("sin(c0) * d0 + x^3 / (1 + v^2) - exp(taylor) + x0", variables=names)
    g = dz.parse("sin(a) * b + c^3 / (1 + d^2) - exp(g) + h", variables=list("abcdgh"))
    x, v = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1.0, -1.0, 0.5, 0.0, 2.0, 1.0]
    a, b = compiled(f, x, v, 6), compiled(g, x, v, 6)
    assert np.array_equal(a.series, b.series) and a.value == b.value
    prog = taylorcode.program(f.wengert, 6, tuple(map(bool, v)))
    allowed = {"def", "taylor", "x", "v", "if", "raise", "return", "_Kink", "or", "else", "True", "inf", "nan"}
    allowed |= {p.name for p in PRIMITIVES.values()}
    own = re.compile(r"[xdvc]\d+")
    assert all(t in allowed or own.fullmatch(t) for t in identifiers(prog.source)), identifiers(prog.source)


def test_order_1_is_forward_modes_jvp_bit_for_bit_through_the_program():
    from diffzoo import forward

    for seed in range(20):
        f, x, v = random_case(seed)
        assert compiled(f, x, v, 3).coefficients[:, 1].tolist() == forward.jvp(f.wengert, x, v)[1]


def test_cost_counts_the_programs_operations():
    # ln(x1) + x1*x2 - sin(x2) along x1 to order 2: ln: its value, 1/x1, ẋ·(1/x1), and for t² one product
    # u_1·ẋ, /2, -, ·(1/x1); x1*x2: its value and ẋ·x2; the sum: its value and one addition (t: the product has no
    # t² term); the difference: its value (sin x2 is constant along x1, so there is nothing to subtract).
    r = compiled(SURVEY, [2.0, 5.0], [1.0, 0.0], 2)
    assert r.cost.steps == 4
    assert r.cost.ops == (1 + 2 + 4) + (1 + 1) + (1 + 1) + 1
    assert math.isclose(r.coefficients[0, 2], -0.125)

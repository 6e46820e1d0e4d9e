"""Fuzzing: whatever text arrives, only diffzoo's own errors ever escape, and quickly.

Three sources of input: arbitrary Unicode text (control characters included), text made of the
language's own tokens in random order (mostly wrong, sometimes right), and grammar-shaped
expressions (every operator and function, nesting, implicit multiplication, unary minus,
powers) at random points. Each goes through ``parse``, every method, and ``compare``.

Run with ``--hypothesis-show-statistics`` to see the counts; the examples per test are set below
and the whole file stays well under a minute.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import diffzoo as dz
from diffzoo import compare
from diffzoo.api import PointError
from diffzoo.primitives import FUNCTIONS, PRIMITIVES

#: The only exceptions that may ever escape, whatever the input.
ALLOWED = (dz.ParseError, dz.EvaluationError, PointError, dz.LimitError)
SECONDS = 2.0
FUZZ = settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GRAMMAR = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def run_everything(text: str, point: dict | None = None, with_compare: bool = True) -> dz.Function | None:
    """parse, then every method and compare; return the function if it parsed. Only ALLOWED may escape."""
    start = time.perf_counter()
    try:
        f = dz.parse(text)
    except dz.ParseError as e:
        _event("refused by parse")
        assert e.text is not None and "^" in str(e) and e.hint, f"unhelpful ParseError for {text!r}:\n{e}"
        assert time.perf_counter() - start < SECONDS
        return None
    point = {v: 0.7 + 0.1 * i for i, v in enumerate(f.variables)} if point is None else point
    results = {}
    for m in dz.METHODS:
        t0 = time.perf_counter()
        try:
            r = dz.differentiate(f, point, method=m)
        except ALLOWED as e:
            assert str(e)
            results[m] = e
        else:
            results[m] = r
            assert np.all(np.isfinite(np.asarray(r.value, dtype=float))), (m, text, r.value)
            if m != "numeric":  # numeric may overflow a difference quotient of a finite derivative
                assert np.all(np.isfinite(r.jacobian)), (m, text, r.jacobian)
        assert time.perf_counter() - t0 < SECONDS, f"{m} took too long on {text!r}"
    _event("parsed; " + ", ".join(f"{m} {'answered' if isinstance(r, dz.Result) else type(r).__name__}"
                                 for m, r in results.items() if m in ("forward", "numeric")))
    if with_compare:
        t0 = time.perf_counter()
        try:
            compare.compare(f, point)
        except ALLOWED:
            pass
        assert time.perf_counter() - t0 < SECONDS, f"compare took too long on {text!r}"
    return f


def _event(what: str) -> None:
    try:
        event(what)
    except InvalidArgument:  # outside a hypothesis test (the parametrized edge cases)
        pass


# --- 1. arbitrary text -----------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=200))
def test_arbitrary_unicode_text(text: str) -> None:
    run_everything(text)


@FUZZ
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=120))
def test_arbitrary_ascii_text_with_control_characters(text: str) -> None:
    run_everything(text)


TOKENS = (["x", "x1", "x2", "y", "theta", "w_2", "pi", "e", "0", "1", "2", "2.5", ".5", "1e-3", "1e308", "9",
           "+", "-", "*", "/", "^", "**", "(", ")", ",", " ", "  ", "1.", "e5", "E"]
          + [f"{name}(" for name in FUNCTIONS] + list(FUNCTIONS))


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_text_from_the_language_alphabet(text: str) -> None:
    run_everything(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=8).map("".join), st.integers(1, 4000))
def test_repeated_token_runs(chunk: str, times: int) -> None:
    """Long inputs: one chunk of tokens repeated up to thousands of times (near and past the limits)."""
    run_everything(chunk * times, with_compare=False)


# --- 2. grammar-shaped expressions ----------------------------------------------------------------

NAMES = ["x", "y", "x1", "x2", "theta"]
UNARY = sorted(name for name, op in FUNCTIONS.items() if PRIMITIVES[op].arity == 1)
CALLS2 = sorted(name for name, op in FUNCTIONS.items() if PRIMITIVES[op].arity == 2)  # max, min


def _number() -> st.SearchStrategy[str]:
    return st.one_of(st.integers(0, 20).map(str), st.sampled_from(["0.5", ".25", "2.5", "1e-3", "3e2", "pi", "e"]),
                     st.floats(0, 100, allow_nan=False).map(lambda v: f"{v:g}"))


ATOMS = st.one_of(st.sampled_from(NAMES), _number())


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binop = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", "**"]), children).map(
        lambda t: f"({t[0]}){t[1]}({t[2]})" if t[1] in ("^", "**") else f"{t[0]} {t[1]} {t[2]}")
    call = st.one_of(st.tuples(st.sampled_from(UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
                     st.tuples(st.sampled_from(CALLS2), children, children).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"))
    paren = children.map(lambda s: f"({s})")
    neg = children.map(lambda s: f"-({s})")
    implicit = st.tuples(st.integers(2, 9), st.one_of(st.sampled_from(NAMES), paren, call)).map(
        lambda t: f"{t[0]}{t[1]}" if not t[1][0].isdigit() else f"{t[0]}*{t[1]}")
    power = st.tuples(st.sampled_from(NAMES), st.sampled_from(["2", "3", "-1", "0.5", "-2", "x"])).map(
        lambda t: f"{t[0]}^{t[1]}")
    return st.one_of(binop, call, paren, neg, implicit, power, st.tuples(children, children).map(
        lambda t: f"{t[0]} - -{t[1]}"))


EXPRESSIONS = st.recursive(ATOMS, _extend, max_leaves=12)
VECTORS = st.lists(EXPRESSIONS, min_size=1, max_size=3).map(", ".join)
COORD = st.floats(-5, 5, allow_nan=False, allow_infinity=False)


@GRAMMAR
@given(VECTORS, st.lists(COORD, min_size=5, max_size=5))
def test_grammar_expressions_every_method(text: str, coords: list[float]) -> None:
    try:
        f = dz.parse(text)
    except dz.ParseError as e:  # e.g. a literal too large; the generator stays inside the grammar otherwise
        assert "too" in e.message, (text, str(e))
        return
    point = dict(zip(f.variables, coords))
    run_everything(text, point)


@GRAMMAR
@given(VECTORS, st.lists(COORD, min_size=5, max_size=5))
def test_grammar_roundtrip(text: str, coords: list[float]) -> None:
    """parse(to_text(tree)) is the same function: the same value at the same point, and text is a fixpoint."""
    f = dz.parse(text)
    g = dz.parse(str(f), variables=f.variables)
    # Not always the same text: "-(0)" is neg(0), printed "-0", which reads back as the number -0 (same value).
    h = dz.parse(str(g), variables=f.variables)
    x = coords[: f.n]
    for other in (g, h):
        a, b = _value(f, x), _value(other, x)
        assert type(a) is type(b)
        if not isinstance(a, Exception):
            assert np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True), (text, str(f), a, b)


def _value(f: dz.Function, x: list[float]):
    try:
        return f.wengert(*x)
    except dz.EvaluationError as e:
        return e


@settings(max_examples=1000, deadline=None)
@given(EXPRESSIONS, st.floats(0.1, 3))
def test_forward_and_reverse_agree_when_both_answer(text: str, x0: float) -> None:
    f = dz.parse(text)
    point = {v: x0 + 0.1 * i for i, v in enumerate(f.variables)}
    try:
        fw = dz.differentiate(f, point, method="forward")
        rv = dz.differentiate(f, point, method="reverse")
    except dz.EvaluationError:
        return
    assume(np.all(np.abs(fw.jacobian) < 1e250))
    np.testing.assert_allclose(fw.jacobian, rv.jacobian, rtol=1e-9, atol=1e-12)


def test_survey_unharmed_after_fuzzing() -> None:
    r = dz.differentiate(SURVEY, {"x1": 2, "x2": 5}, method="reverse")
    assert r.value == 11.652071455223084 and r.gradient == {"x1": 5.5, "x2": 1.7163378145367738}
    assert math.isfinite(r.value)


@pytest.mark.parametrize("text", ["x^-0.5", "1/x", "ln(abs(x))", "x^x", "sqrt(x)", "acos(x)", "tan(x)"])
@pytest.mark.parametrize("x", [0.0, -0.0, 1.0, -1.0, 1e-300, 1e300, -1e300, 5e-324])
def test_edge_points(text: str, x: float) -> None:
    run_everything(text, {"x": x})

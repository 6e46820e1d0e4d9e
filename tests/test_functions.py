"""The function API (``dz.grad``, ``value_and_grad``, ``jacobian``, ``jvp``, ``vjp``): callables kept and
called again, on lists, dicts and arrays, answering in the point's own shape.

Oracles: the survey's Table 3 (∂f/∂x1 = 5.5, ∂f/∂x2 = 1.7163378145367738 at (2, 5)), closed forms, and
the interpreted reverse sweep, which the compiled code must match bit for bit.
"""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest

import diffzoo as dz
from diffzoo import compile as dzc
from diffzoo import families, functions, reverse, transforms
from diffzoo.primitives import PRIMITIVES

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
TABLE3 = [5.5, 1.7163378145367738]  # the survey's adjoints x̄1, x̄2 at (2, 5)
VALUE = math.log(2) + 10 - math.sin(5)  # 11.652071455223084, the survey's y


def test_grad_answers_in_the_shape_of_the_point():
    g = dz.grad(SURVEY)
    assert g([2.0, 5.0]) == pytest.approx(TABLE3, rel=1e-15)
    assert g((2.0, 5.0)) == pytest.approx(TABLE3, rel=1e-15)
    assert g({"x1": 2.0, "x2": 5.0}) == pytest.approx(dict(zip(["x1", "x2"], TABLE3)), rel=1e-15)
    by_name = g({"x2": 5.0, "x1": 2.0})  # any order in, the function's order out
    assert list(by_name) == ["x1", "x2"] and by_name["x2"] == pytest.approx(TABLE3[1], rel=1e-15)
    a = g(np.array([2.0, 5.0]))
    assert isinstance(a, np.ndarray) and a.tolist() == pytest.approx(TABLE3, rel=1e-15)
    assert g(np.array([2, 5])).tolist() == pytest.approx(TABLE3, rel=1e-15)  # an int array
    assert g(np.array([2.0, 5.0], dtype=np.float32)).tolist() == pytest.approx(TABLE3, rel=1e-15)
    ints = g([2, 5])  # ints are numbers: read as floats, answered as floats
    assert all(type(v) is float for v in ints) and ints == pytest.approx(TABLE3, rel=1e-15)


def test_value_and_grad():
    v, g = dz.value_and_grad(SURVEY)({"x1": 2.0, "x2": 5.0})
    assert v == pytest.approx(VALUE, rel=1e-15)
    assert g["x1"] == pytest.approx(5.5, rel=1e-15)


@pytest.mark.parametrize("point, says", [
    ([2.0, True], "bool"),
    ([2.0, "5"], "str"),
    ([2.0, math.nan], "x2"),
    ([2.0, math.inf], "x2"),
    ([2.0], "2"),
    ({"x1": 2.0}, "x2"),
    ({"x1": 2.0, "x3": 5.0}, "x"),
    ({"x1": 2.0, "x2": 5.0, "x3": 1.0}, "x3"),
    (np.array([2.0, np.nan]), "x2"),
    (np.array([[2.0, 5.0]]), "2"),
])
def test_a_bad_point_is_refused_by_name(point, says):
    with pytest.raises(dz.PointError, match=says):
        dz.grad(SURVEY)(point)


def test_where_the_compiled_code_meets_no_value_the_interpreter_says_why():
    g = dz.grad("sqrt(x) + y")
    with pytest.raises(dz.EvaluationError) as info:
        g([0.0, 1.0])
    with pytest.raises(dz.EvaluationError) as interpreted:
        dz.differentiate("sqrt(x) + y", [0.0, 1.0], "reverse")
    assert str(info.value) == str(interpreted.value)


def test_grad_refuses_a_vector_function():
    with pytest.raises(ValueError, match="2 outputs"):
        dz.grad("x*y, x + y")


@pytest.mark.parametrize("mode", ["forward", "reverse", "auto"])
def test_jacobian_modes_agree_with_the_closed_form(mode):
    # f = (x*y, sin(x) + y^2): J = [[y, x], [cos x, 2y]]
    x, y = 0.7, -1.3
    J = dz.jacobian("x*y, sin(x) + y^2", mode=mode)([x, y])
    assert J.shape == (2, 2)
    assert J.ravel().tolist() == pytest.approx([y, x, math.cos(x), 2 * y], rel=1e-15)


def test_jvp_and_vjp_on_the_survey():
    out, jv = dz.jvp(SURVEY)([2.0, 5.0], [1.0, 0.0])
    assert out == pytest.approx([VALUE]) and jv == pytest.approx([5.5], rel=1e-15)  # the survey's ẏ
    out, vj = dz.vjp(SURVEY)({"x1": 2.0, "x2": 5.0}, [1.0])
    assert vj == pytest.approx({"x1": 5.5, "x2": TABLE3[1]}, rel=1e-15)


def test_compiled_gradient_is_the_interpreters_bit_for_bit():
    rng = random.Random(11)
    unary = sorted(p.name for p in PRIMITIVES.values() if p.user and p.arity == 1)  # the whole table

    def gen(depth: int, names: list[str]) -> str:
        if depth == 0 or rng.random() < 0.25:
            return rng.choice(names) if rng.random() < 0.75 else rng.choice(["2", "0.5", "pi", "1"])
        if rng.random() < 0.4:
            return f"{rng.choice(unary)}({gen(depth - 1, names)})"
        return f"({gen(depth - 1, names)}){rng.choice('+-*/^')}({gen(depth - 1, names)})"

    checked = 0
    for _ in range(200):
        names = ["x", "y", "z"][: rng.randint(1, 3)]
        f = dz.parse(gen(4, names), names)
        x = [rng.uniform(0.1, 2) for _ in names]
        try:
            want = reverse.grad(f.wengert, x)
        except dz.EvaluationError:
            continue
        got = dz.grad(f)(x)
        assert [v.hex() for v in got] == [float(v).hex() for v in want], f.text
        checked += 1
    assert checked > 120


@pytest.mark.parametrize("text", ["x, x, y*x, 3", "exp(z)", "y", "2 + 3", "x*0 + y"])
def test_outputs_that_repeat_are_inputs_or_constants(text):
    wl = dz.parse(text).wengert
    code = dzc.Compiled(wl)
    x = [0.25 * (i + 1) for i in range(wl.n)]
    assert code.finite(list(x)) == wl.output_values(wl.evaluate(x))


def test_the_list_form_runs_only_the_tables_names():
    wl = dz.parse(families.chain_sum(5)).wengert
    src = dzc.source(transforms.gradient_of(wl))
    ids = dzc.identifiers(src)
    assert ids <= {"def", "return", "f", "inputs", "out", "check", "sin", "cos"} | {i for i in ids if i[0] in "vr"}
    assert not set(dz.parse(families.chain_sum(5)).variables) & ids


def test_the_gradient_program_folds_the_weight():
    # ȳ = 1 written in: v̄ · 1 is v̄, so the gradient program has fewer steps than the adjoint program
    wl = dz.parse(families.chain_sum(10)).wengert
    full, bound = transforms.vjp_of(wl), transforms.gradient_of(wl)
    assert bound.n == wl.n and len(bound.steps) < len(full.steps)
    assert bound.steps[: len(wl.steps)] == wl.steps  # the primal's own steps, numbers kept
    x = [0.1 * i for i in range(1, 11)]
    assert functions._code(wl, "gradient").finite(x)[1:] == reverse.grad(wl, x)


def test_every_shape_of_point_gets_the_interpreters_gradient_bit_for_bit():
    # The generated entries (list, dict in any order, float64 array) against the interpreted sweep.
    rng = random.Random(12)
    names = ["a", "b", "c", "d"]
    unary = sorted(p.name for p in PRIMITIVES.values() if p.user and p.arity == 1)

    def gen(depth: int) -> str:
        if depth == 0 or rng.random() < 0.25:
            return rng.choice(names)
        if rng.random() < 0.4:
            return f"{rng.choice(unary)}({gen(depth - 1)})"
        return f"({gen(depth - 1)}){rng.choice('+-*/')}({gen(depth - 1)})"

    checked = 0
    for _ in range(120):
        f = dz.parse(gen(4), names)
        x = [rng.uniform(0.1, 2) for _ in names]
        try:
            want = [float(v).hex() for v in reverse.grad(f.wengert, x)]
        except dz.EvaluationError:
            continue
        g = dz.grad(f)
        shuffled = dict(rng.sample(list(zip(names, x)), len(names)))
        for got in (g(x), list(g(dict(zip(names, x))).values()), list(g(shuffled).values()), g(np.array(x)).tolist()):
            assert [v.hex() for v in got] == want, f.text
        assert list(g(shuffled)) == names  # the function's order out, whatever the order in
        checked += 1
    assert checked > 60


@pytest.mark.parametrize("shape", ["list", "dict", "array"])
def test_an_entry_sends_back_what_is_not_plain_finite_floats(shape):
    # None means "read this point carefully": grad then answers through floats() and the interpreter.
    f = dz.parse("x*y*y + sin(y)")  # gradient (y², 2xy + cos y)
    code = functions._code(f.wengert, "gradient")
    entry = code.entry(shape, f.variables)

    def as_shape(values: list) -> object:
        if shape == "dict":
            return dict(zip(f.variables, values))
        return np.array(values) if shape == "array" else list(values)

    got = entry(as_shape([2.0, 3.0]))
    assert list(got.values() if shape == "dict" else got) == [9.0, 12.0 + math.cos(3.0)]
    assert entry(as_shape([2.0, math.inf])) is None  # an input that is not finite
    assert entry(as_shape([2.0, 1e200])) is None  # x*y*y overflows: an output that is not finite
    with pytest.raises(OverflowError):  # a math error is raised as met (grad then asks the interpreter)
        functions._code(dz.parse("exp(y) + x", ["x", "y"]).wengert, "gradient").entry(shape, ["x", "y"])(
            as_shape([1.0, 800.0]))
    if shape == "array":
        assert entry(np.array([2, 3])) is None and entry(np.array([2.0, 3.0], dtype=np.float32)) is None
        assert entry(np.array([[2.0, 3.0]])) is None
    else:
        for odd in ([2, 3.0], [True, 3.0], [np.float64(2.0), 3.0]):  # ints, bools, numpy scalars
            assert entry(as_shape(odd)) is None
        assert entry(as_shape([2.0])) is None
    # and grad answers them as before: ints as floats, bools refused, the overflow by the interpreter
    g = dz.grad(f)
    assert g(as_shape([2, 3])) is not None
    with pytest.raises(dz.PointError):
        g(as_shape([2.0, math.inf]))
    with pytest.raises(dz.EvaluationError, match="overflows"):
        g(as_shape([2.0, 1e200]))


def test_a_dict_entry_writes_names_only_as_string_constants():
    f = dz.parse(families.chain_sum(5))
    src = dzc.source(transforms.gradient_of(f.wengert), entry="dict", names=f.variables)
    ids = dzc.identifiers(src)
    allowed = {"def", "return", "f", "inputs", "both", "False", "out", "check", "value", "xs", "s", "blank",
               "names", "get", "len", "type", "float", "sum", "values", "copy", "if", "else", "is", "not", "or",
               "None", "sin", "cos"}
    assert ids <= allowed | {i for i in ids if re.fullmatch(r"v(_m)?\d+|r\d+", i)}
    assert not set(f.variables) & ids  # x1 ... x5 appear only as 'x1' ... 'x5', keys of the answer
    with pytest.raises(ValueError, match="identifiers"):
        functions._code(f.wengert, "gradient").entry("dict", ["x1", "x2", "x3", "x4", "not a name"])


def test_a_dict_missing_a_name_is_refused_by_name_even_at_the_right_length():
    with pytest.raises(dz.PointError, match="x2"):
        dz.grad(SURVEY)({"x1": 2.0, "y": 5.0})

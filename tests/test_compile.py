"""Compiled (generated straight-line Python) against the interpreter: the same floats, bit for bit.

The generated code performs the very operations the interpreter performs (each partial is the
table's rule written out without simplification), so values, Jacobians, JVPs and VJPs must be
identical, not merely close; errors must be the interpreter's own EvaluationError.
"""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest

import diffzoo as dz
from diffzoo import families, forward, reverse, transforms
from diffzoo.compile import compiled, identifiers, namespace, shown, source
from diffzoo.primitives import PRIMITIVES


def bits(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return [bits(x) for x in np.asarray(v, dtype=float).ravel()]
    return struct.pack("<d", float(v))


def same(a, b) -> bool:
    return bits(a) == bits(b)


SURVEY = "ln(x1) + x1*x2 - sin(x2)"

FUNCTIONS = [
    SURVEY,
    "x^(2*1)",  # an inactive step: the exponent's partial (log of x) is never asked for
    "x*x + sin(x*x)",  # shared subexpression x*x
    "2*3 + x",
    "x - x + 1",
    "x1, x1*x2, sin(x2)",  # a vector function
    "x + y, 3",  # a constant output
    "y, x*y",  # an output that is an input
    "exp(x)/(1 + exp(x)) + sigmoid(x)*tanh(y) - abs(x)*y",
    "sqrt(x^2 + y^2) + atan(y/x) + asin(x/4) + acos(y/5)",
    "cosh(x) - sinh(y) + tan(x*y) + cos(x)^3",
    "x^y + y^x - x/y",
    families.chain_sum(7),
    families.logistic_map(4),
    families.vector_function(3, 4),
    families.product(5),
    "x*0 + y", "-(x*0)*y - y*0", "0*x - (-0.0)*y",  # signed zeros: 0.0 and -0.0 must come out as the interpreter's
]


def _point(f, seed=0):
    rng = random.Random(seed)
    return [rng.uniform(0.3, 1.7) for _ in f.variables]


@pytest.mark.parametrize("text", FUNCTIONS)
@pytest.mark.parametrize("method", ["forward", "reverse"])
def test_compiled_equals_interpreted(text, method):
    f = dz.parse(text)
    for seed in range(3):
        x = _point(f, seed)
        a = dz.differentiate(f, x, method)
        b = dz.differentiate(f, x, method, compiled=True)
        assert same(a.value, b.value)
        assert a.jacobian.shape == b.jacobian.shape == (f.m, f.n)
        assert same(a.jacobian, b.jacobian)
        assert a.cost == b.cost


def test_survey_example():
    r = dz.differentiate(SURVEY, {"x1": 2, "x2": 5}, "reverse", compiled=True)
    assert r.value == 11.652071455223084
    assert r.gradient == {"x1": 5.5, "x2": 1.7163378145367738}
    r = dz.differentiate(SURVEY, {"x1": 2, "x2": 5}, "forward", compiled=True)
    assert r.gradient == {"x1": 5.5, "x2": 1.7163378145367738}


def test_inactive_step_at_negative_base():
    # x^(2*1) at x = -2: the exponent 2*1 is inactive, so log(-2) is never needed.
    r = dz.differentiate("x^(2*1)", {"x": -2}, "reverse", compiled=True)
    assert r.value == 4.0 and r.derivative == -4.0
    assert "log" not in shown(transforms.vjp(dz.parse("x^(2*1)").wengert))


@pytest.mark.parametrize("text", FUNCTIONS)
def test_jvp_and_vjp_match_interpreter(text):
    f = dz.parse(text)
    wl = f.wengert
    rng = random.Random(7)
    x = _point(f, 3)
    seed = [rng.uniform(-1, 1) for _ in range(wl.n)]
    ybar = [rng.uniform(-1, 1) for _ in range(wl.m)]
    out, jv = dz.jvp(f)(x, seed)
    ref_out, ref_jv = forward.jvp(wl, x, seed)
    assert same(out, ref_out) and same(jv, ref_jv)
    out, vj = dz.vjp(f)(x, ybar)
    ref_out, ref_vj = reverse.vjp(wl, x, ybar)
    assert same(out, ref_out) and same(vj, ref_vj)
    r1 = dz.differentiate(f, x, "reverse", ybar=ybar)
    r2 = dz.differentiate(f, x, "reverse", ybar=ybar, compiled=True)
    assert same(r1.details["vjp"], r2.details["vjp"])
    r1 = dz.differentiate(f, x, "forward", seed=seed)
    r2 = dz.differentiate(f, x, "forward", seed=seed, compiled=True)
    assert same(r1.details["jvp"], r2.details["jvp"])


def test_random_functions_bit_for_bit():
    # Every function a user may call, read from the primitive table: a primitive added to the table is
    # drawn here at once. Those with a restricted domain (log, sqrt, asin, acos) refuse some points; a
    # refusal is checked too (the compiled code must raise the interpreter's own error), and enough
    # functions are still differentiated (checked > 100 below).
    rng = random.Random(11)
    calls = sorted((p.name, p.arity) for p in PRIMITIVES.values() if p.user)
    assert ("sign", 1) in calls and ("log", 1) in calls  # read from the table, not a copy of it

    def gen(depth, names):
        r = rng.random()
        if depth == 0 or r < 0.2:
            return rng.choice(names) if rng.random() < 0.7 else rng.choice(["2", "0.5", "3", "pi", "1", "1.5"])
        if r < 0.5:
            name, arity = rng.choice(calls)
            return f"{name}({', '.join(gen(depth - 1, names) for _ in range(arity))})"
        return f"({gen(depth - 1, names)}){rng.choice('+-*/^')}({gen(depth - 1, names)})"

    checked = 0
    for _ in range(150):
        names = ["x", "y", "z"][: rng.randint(1, 3)]
        f = dz.parse(", ".join(gen(4, names) for _ in range(rng.randint(1, 2))), names)
        x = [rng.uniform(-2, 2) for _ in names]
        for method in ("forward", "reverse"):
            try:
                a = dz.differentiate(f, x, method)
            except dz.EvaluationError as e:
                with pytest.raises(dz.EvaluationError) as info:
                    dz.differentiate(f, x, method, compiled=True)
                assert str(info.value) == str(e)
                continue
            b = dz.differentiate(f, x, method, compiled=True)
            assert same(a.value, b.value) and same(a.jacobian, b.jacobian), f.text
            checked += 1
    assert checked > 100


@pytest.mark.parametrize("text,point", [("ln(x)", [-1.0]), ("sqrt(x - 2)", [1.0]), ("1/(x - 1)", [1.0]),
                                        ("exp(x)", [1000.0]), ("x^0.5", [0.0]), ("asin(x)", [2.0]),
                                        # an overflow absorbed later: the interpreter still refuses the step
                                        ("atan(x*1e300*1e300)", [2.0]), ("1/(x*1e300*1e300) + x", [3.0]),
                                        ("sigmoid(x*1e308*10)*y", [1.0, 2.0]), ("tanh(x*1e300*1e300)", [2.0]),
                                        ("x*1e308*10 - x*1e308*10", [1.0]), ("exp(-(x*1e300*1e300)) + x", [2.0]),
                                        ("2^(x*1e300*1e300) + x", [-1.0])])
def test_errors_are_the_interpreters(text, point):
    for method in ("forward", "reverse"):
        with pytest.raises(dz.EvaluationError) as interpreted:
            dz.differentiate(text, point, method)
        with pytest.raises(dz.EvaluationError) as compiled:
            dz.differentiate(text, point, method, compiled=True)
        assert str(compiled.value) == str(interpreted.value)
        assert compiled.value.step  # names the step


def close(a, b) -> bool:
    """numpy's ufuncs (SIMD) and math's functions may differ in the last bit: allow a few ulps."""
    return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=1e-13, atol=1e-300))


def test_arrays_equal_per_point_floats():
    xs = np.linspace(-1.9, 2.3, 41)
    for text in ["x*x + sin(x*x)", "exp(x)/(1 + exp(x)) - abs(x)*cos(x)", "sigmoid(x)*tanh(x) + atan(x)^2",
                 families.logistic_map(3), "ln(x) + sqrt(x)"]:
        f = dz.parse(text)
        wl = f.wengert
        fx, dfx = compiled(transforms.jvp_of(wl)).arrays(1.0, xs)  # f and f' over all the points at once
        (pa,) = compiled(wl).arrays(xs)
        assert same(fx, pa)
        # the same numpy operations as the interpreter on arrays: bit for bit
        assert same(pa, wl.output_values(wl.evaluate([xs]))[0])
        for i, x in enumerate(xs):
            try:
                r = dz.differentiate(f, [x], "forward")
            except dz.EvaluationError:
                assert not np.isfinite(fx[i]) or not np.isfinite(dfx[i])
                continue
            # per point with floats: math's functions instead of numpy's, so equal to a few ulps
            assert close(fx[i], r.value) and close(dfx[i], r.derivative)
            _, vj = compiled(transforms.vjp_of(wl)).arrays(1.0, np.array([x]))
            assert close(vj[0], dz.differentiate(f, [x], "reverse").derivative)


def test_array_sweeps_equal_interpreter_on_arrays():
    for text in [SURVEY, families.vector_function(3, 2), "x*x + sin(x*x) + y^3", "sqrt(x^2 + y^2)*atan(y/x)"]:
        f = dz.parse(text)
        wl = f.wengert
        pts = list(np.random.default_rng(1).uniform(0.2, 2, (wl.n, 23)))
        vals = wl.evaluate(pts)
        seed = [1.0] + [0.0] * (wl.n - 1)
        jv = compiled(transforms.jvp_of(wl)).arrays(*seed, *pts)[wl.m:]
        ref = forward.output_tangents(wl, forward.tangent_sweep(wl, vals, seed))
        assert same(np.broadcast_arrays(*jv), np.broadcast_arrays(*ref))
        ybar = [1.0] * wl.m
        vj = compiled(transforms.vjp_of(wl)).arrays(*ybar, *pts)[wl.m:]
        bar, _ = reverse.adjoint_sweep(wl, vals, ybar)
        assert same(np.broadcast_arrays(*vj), np.broadcast_arrays(*bar[: wl.n]))


def test_vector_arrays():
    f = dz.parse(families.vector_function(3, 2))
    wl = f.wengert
    pts = np.random.default_rng(0).uniform(-1, 1, (3, 17))
    outs = compiled(wl).arrays(*pts)
    vj = compiled(transforms.vjp_of(wl)).arrays(1.0, 0.0, *pts)[wl.m:]
    for k in range(pts.shape[1]):
        x = list(pts[:, k])
        assert close([o[k] for o in outs], compiled(wl)(x))
        assert close([v[k] for v in vj], dz.vjp(f)(x, [1.0, 0.0])[1])


ALLOWED_EXTRA = {"def", "return", "f", "inputs", "out", "check", "inf", "nan"}


def _allowed(ident: str) -> bool:
    import re

    return (ident in ALLOWED_EXTRA or ident in PRIMITIVES
            or re.fullmatch(r"(v|vbar|vdot)(_m[1-9]\d*|\d+)|ybar\d+|r\d+", ident) is not None)


@pytest.mark.parametrize("text", FUNCTIONS + ["theta*alpha + sin(beta_2)", "import_ + exec_*x", "e^pi + x"])
def test_generated_source_has_only_allowed_identifiers(text):
    wl = dz.parse(text).wengert
    lists = [wl, transforms.jvp(wl), transforms.vjp(wl)]
    lists.append(transforms.bind(lists[2], {0: 1.0}))  # the gradient program
    executed = [source(d, checked=c, inplace=c) for d in lists for c in (True, False)]
    for src in ([shown(d) for d in lists] + executed):
        ids = identifiers(src)
        assert all(_allowed(i) for i in ids), sorted(i for i in ids if not _allowed(i))
        for user in dz.parse(text).variables:
            assert user not in ids


def test_namespace_holds_only_primitives():
    for flavour in ("float", "array"):
        ns = namespace(flavour)
        assert ns["__builtins__"] == {}
        assert set(ns) - {"__builtins__", "inf", "nan"} <= set(PRIMITIVES)


def test_code_is_cached_per_list_and_traces_are_lazy():
    f = dz.parse(SURVEY)
    assert compiled(f.wengert) is compiled(f.wengert)
    assert transforms.vjp_of(f.wengert) is transforms.vjp_of(f.wengert)
    r = dz.differentiate(f, [2, 5], "reverse", compiled=True)
    assert r.trace._vals is None  # nothing computed for the explanation yet
    interpreted = dz.differentiate(f, [2, 5], "reverse")
    assert r.trace.to_markdown() == interpreted.trace.to_markdown()
    r = dz.differentiate(f, [2, 5], "forward", compiled=True)
    assert r.trace.to_markdown() == dz.differentiate(f, [2, 5], "forward").trace.to_markdown()


def test_large_list_compiles():
    f = dz.parse(families.chain_sum(3000), limits=dz.Limits.unbounded())
    x = [0.5 + (i % 7) / 10 for i in range(3000)]
    assert same(dz.grad(f)(x), reverse.grad(f.wengert, x))


@pytest.mark.parametrize("method", ["forward", "reverse"])
def test_compiled_traces_are_seeded_like_the_interpreted_ones(method):
    # Forward mode's n passes are seeded with the unit vectors e_1..e_n, reverse mode's m sweeps
    # with e_1..e_m; the compiled result's lazy trace must show the same seeds, as plain floats.
    text, at = "x1*x2, cos(x1), x1 + x2", {"x1": 2, "x2": 3}
    interp = dz.differentiate(text, at, method)
    comp = dz.differentiate(text, at, method, compiled=True)
    seeds = (lambda t: t.seeds) if method == "forward" else (lambda t: t.ybars)
    expect = [[1.0, 0.0], [0.0, 1.0]] if method == "forward" else [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert seeds(comp.trace) == seeds(interp.trace) == expect
    assert all(type(v) is float for row in seeds(comp.trace) for v in row)
    assert comp.trace.tables().keys() == interp.trace.tables().keys()

"""Property-based: random expressions from the grammar, at random points in their domain.

Forward, reverse and symbolic differentiation compute the same numbers in different orders,
so they must agree to rounding (1e-11 of the largest tangent in the sweep); central
differences must fall within their own error model, truncation |f'''| h^2/6 plus rounding
eps |f| / h, with a safety factor of 100 (the model uses f''' at x, not its maximum near x).
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import diffzoo as dz
from diffzoo.expr import Expr, const, to_text, var
from diffzoo.forward import jacobian as forward_jacobian
from diffzoo.forward import tangent_sweep
from diffzoo.primitives import PRIMITIVES
from diffzoo.symbolic import derive
from diffzoo.wengert import WengertList

# Every function a user may call, read from the primitive table by arity: a primitive added to the table is
# drawn here at once. Restricted domains (log, sqrt, asin, acos) and kinks or jumps (abs, sign) need no
# special case: prepare() discards a point where any step or partial has no value, and the bound of the
# central-difference test keeps its stencils off the kinks of the inputs themselves.
USER_UNARY = sorted(p.name for p in PRIMITIVES.values() if p.user and p.arity == 1)
USER_BINARY = sorted(p.name for p in PRIMITIVES.values() if p.user and p.arity == 2)
# The operators are written by the grammar, not called by name (pow is drawn with a constant exponent).
UNARY = [*USER_UNARY, "neg"]
BINARY = ["add", "sub", "mul", "div", *USER_BINARY]
NAMES = ["x", "y", "z"]

leaves = st.one_of(
    st.sampled_from(NAMES).map(var),
    st.sampled_from([0.5, 1.0, 2.0, 3.0, 0.25]).map(const),
    st.just(const(math.pi, "pi")),
)


def _node(op, *args):
    return Expr(op, tuple(args))


exprs = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(_node, st.sampled_from(UNARY), inner),
        st.builds(_node, st.sampled_from(BINARY), inner, inner),
        st.builds(lambda b, k: _node("pow", b, const(k)), inner, st.sampled_from([2.0, 3.0, 0.5, -1.0])),
    ),
    max_leaves=12,
)
points = st.tuples(*[st.floats(-2.0, 2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)] * 3)


def test_every_user_primitive_is_drawn():
    # The table's user-callable primitives take one argument or two (max, min); one of another arity would
    # be left out of `exprs` silently: draw it there first.
    others = sorted(p.name for p in PRIMITIVES.values() if p.user and p.arity not in (1, 2))
    assert not others, f"user primitives the strategy does not draw: {others}"
    assert USER_BINARY == ["max", "min"]  # read from the table
    # the operators are the table's too, not callable by name
    assert all(not PRIMITIVES[op].user for op in ["neg", "add", "sub", "mul", "div", "pow"])
    assert "sign" in USER_UNARY and "log" in USER_UNARY  # read from the table, not a copy of it


def prepare(e, point):
    text = to_text(e)
    f = dz.parse(text, variables=NAMES)
    x = dict(zip(NAMES, point))
    try:
        vals = f.wengert.evaluate(list(point))
        J = forward_jacobian(f.wengert, vals)
        passes = [tangent_sweep(f.wengert, vals, seed) for seed in np.eye(len(NAMES)).tolist()]
    except dz.EvaluationError:
        assume(False)
    scale = max([1.0] + [abs(v) for p in passes for v in p] + [abs(v) for v in vals])
    assume(scale < 1e8)
    return f, x, J, scale


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(exprs, points)
def test_forward_reverse_symbolic_agree(e, point):
    f, x, J, scale = prepare(e, point)
    tol = 1e-11 * scale
    for method in ("reverse", "symbolic"):
        try:
            r = dz.differentiate(f, x, method=method)
        except dz.EvaluationError as exc:
            # Forward mode skips a partial whose tangent is exactly 0; reverse and symbolic cannot know the
            # product will be 0, so at a point where that partial does not exist (sqrt'(0) in ((x-x)^2)^0.5)
            # they refuse. That is the only disagreement allowed. Symbolic mode says it of its derivative
            # expression: asin(x/x) at x = 1 differentiates to 1/sqrt(1 - (x/x)^2) * 0, a division by 0.
            assert "does not exist" in str(exc) or "the derivative has no value here" in str(exc), str(exc)
            continue
        np.testing.assert_allclose(r.jacobian, J, rtol=0, atol=tol, err_msg=f"{method}: {to_text(e)} at {point}")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(exprs, points)
def test_central_differences_within_their_error_bound(e, point):
    f, x, J, scale = prepare(e, point)
    wl = f.wengert
    fx = abs(wl(*point))
    unit = np.finfo(float).eps / 2
    for i, name in enumerate(NAMES):
        d3e = derive(derive(derive(f.outputs[0], name), name), name)
        try:
            d3 = abs(WengertList.from_exprs([d3e], NAMES)(*point))
        except dz.EvaluationError:
            continue
        try:
            r = dz.differentiate(f, x, method="numeric", scheme="central")
        except dz.EvaluationError:
            continue  # the stencil left the domain (x ± h crosses a singularity)
        h, est = r.details["steps"][i], r.jacobian[0, i]
        assume(all(abs(point[i] + s * h) > 1e-3 for s in (-1, 1)))
        bound = 100 * (d3 * h**2 / 6 + unit * (fx + scale) / h) + 1e-12 * scale
        assert abs(est - J[0, i]) <= bound, f"{to_text(e)} at {point}, d/d{name}"


def test_jacobian_of_vector_function_forward_n_passes_reverse_m_passes():
    # reference: J of [x1*x2, cos(x1)] at (2, 3) = [[3, 2], [-sin 2, 0]].
    expect = np.array([[3.0, 2.0], [-0.9092974268256817, 0.0]])
    fwd = dz.differentiate("x1*x2, cos(x1)", {"x1": 2, "x2": 3}, method="forward")
    rev = dz.differentiate("x1*x2, cos(x1)", {"x1": 2, "x2": 3}, method="reverse")
    np.testing.assert_array_equal(fwd.jacobian, expect)
    np.testing.assert_array_equal(rev.jacobian, expect)
    assert fwd.cost.passes == 2 and rev.cost.passes == 2
    assert fwd.gradient is None and fwd.value == [6.0, math.cos(2)]
    sym = dz.differentiate("x1*x2, cos(x1)", {"x1": 2, "x2": 3}, method="symbolic")
    np.testing.assert_array_equal(sym.jacobian, expect)
    num = dz.differentiate("x1*x2, cos(x1)", {"x1": 2, "x2": 3}, method="numeric")
    np.testing.assert_allclose(num.jacobian, expect, rtol=1e-9, atol=1e-10)


def test_jvp_and_vjp_of_vector_function():
    f = "x1*x2, cos(x1)"
    r = dz.differentiate(f, [2, 3], method="forward", seed=[1.0, -1.0])
    assert r.details["jvp"] == [3.0 - 2.0, -math.sin(2)]
    r = dz.differentiate(f, [2, 3], method="reverse", ybar=[2.0, 1.0])
    assert r.details["vjp"] == [2 * 3.0 - math.sin(2), 2 * 2.0]
    with pytest.raises(dz.PointError):
        dz.differentiate(f, [2, 3], method="reverse", ybar=[1.0])


def _bits(xs):
    return [float(v).hex() for v in xs]  # tells -0.0 from 0.0, and every last bit


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(st.lists(exprs, min_size=1, max_size=3), points,
       st.lists(st.sampled_from([1.0, 0.0, -2.5, 0.1]), min_size=3, max_size=3))
def test_prepared_reverse_sweep_is_the_step_by_step_sweep_bit_for_bit(es, point, weights):
    # The prepared sweep (updates two by two, copies written last, partials of one function
    # mapped at once) must perform the same floating-point operations in the same order as the
    # sweep that records every update, for any list of outputs and any weights (zeros skip outputs).
    from diffzoo.reverse import adjoint_sweep

    f = dz.parse(", ".join(to_text(e) for e in es), variables=NAMES)
    wl = f.wengert
    try:
        vals = wl.evaluate(list(point))
        recorded, _ = adjoint_sweep(wl, vals, weights[: wl.m], record=True)
    except dz.EvaluationError:
        assume(False)
    prepared, none = adjoint_sweep(wl, vals, weights[: wl.m])
    assert none == []
    assert _bits(prepared) == _bits(recorded)


@pytest.mark.parametrize("text", [
    "x + y + x + y + x + y + x + y + x + y + x*y",  # x and y take many contributions of exactly 1
    "sin(x)*y + sin(y)*z + sin(z)*x + x*x + y/z - z^3 + x + x + x + x + x + x + x + x + x",
    "x*x*x*x*x*x*x*x*x",  # a chain that reuses one input: an odd number of updates
    "exp(-(x - y)^2) + log(1 + z^2) + atan(x*y*z) + sqrt(x^2 + y^2 + z^2)",
])
def test_prepared_reverse_sweep_on_sums_and_reuse(text):
    from diffzoo.reverse import adjoint_sweep

    wl = dz.parse(text, variables=NAMES).wengert
    rng = np.random.default_rng(4)
    for _ in range(20):
        vals = wl.evaluate(list(rng.uniform(0.3, 2.0, 3)))
        assert _bits(adjoint_sweep(wl, vals, [1.0])[0]) == _bits(adjoint_sweep(wl, vals, [1.0], record=True)[0])

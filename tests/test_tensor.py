"""Tests of diffzoo.tensor: array rules from the scalar table, tensor programs and logistic regression.

Each test states the figure it expects and where that figure comes from.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from diffzoo import tensor, timing
from diffzoo.backends import FLOATS
from diffzoo.primitives import PRIMITIVES
from diffzoo.tensor import ARRAY_PRIMITIVES, Equation, TensorProgram, logistic_regression, timing_vs_d, unbroadcast

#: The array-level primitives, those not in the scalar table, each with its input shapes.
ARRAY_LEVEL = {
    "matvec": [[(4, 3), (3,)]],
    "dot": [[(5,), (5,)]],
    "sum": [[(3, 4)]],
    "mean": [[(3, 4)]],
    "logaddexp": [[(3, 4), (3, 4)], [(3, 4), (4,)], [(), (3, 4)]],
    "softplus": [[(3, 4)]],
}
#: Every element-wise entry of the scalar table, on arrays: the same shape, and for two inputs a matrix
#: with a row, a column with a row (both stretched) and a scalar with a matrix.
SHAPES = {1: [[(3, 4)]], 2: [[(3, 4), (3, 4)], [(3, 4), (4,)], [(3, 1), (1, 4)], [(), (3, 4)]]}
CASES = [(p.name, s) for p in PRIMITIVES.values() for s in SHAPES[p.arity]]
CASES += [(name, s) for name, shapes in ARRAY_LEVEL.items() for s in shapes]
IDS = [f"{name}-{'-'.join(map(str, shapes))}" for name, shapes in CASES]
H = 1e-6  # central-difference step for O(1) inputs


def _positive(name: str) -> bool:
    """Does the scalar table refuse -0.5 as every argument (log, sqrt, pow, xlogy)? Then inputs are positive."""
    p = PRIMITIVES.get(name)
    return p is not None and p.domain(*[-0.5] * p.arity) is not None


def _inputs(name, shapes, seed=0):
    """Random inputs of |x| in [0.2, 0.9]: inside every domain, away from tan's poles, asin's ±1, abs's kink."""
    rng = np.random.default_rng(seed)
    args = [rng.uniform(0.2, 0.9, s) for s in shapes]
    signs = [np.ones(s) if _positive(name) else rng.choice([-1.0, 1.0], s) for s in shapes]
    return [np.array(a * sign) for a, sign in zip(args, signs, strict=True)]  # 0-d arrays, not numpy floats


def test_the_array_rules_are_the_scalar_table_and_five_array_level_ones():
    # Expectation: one array primitive per entry of the scalar table, with the table's own numpy function
    # as its value, plus exactly the array-level ones that ARRAY_LEVEL lists (matvec, dot, sum, mean,
    # logaddexp, and softplus = logaddexp(0, z)); a new table entry appears here by itself.
    assert set(ARRAY_PRIMITIVES) == set(PRIMITIVES) | set(ARRAY_LEVEL)
    for name, p in PRIMITIVES.items():
        assert ARRAY_PRIMITIVES[name].value is p.array and ARRAY_PRIMITIVES[name].elementwise
    assert not any(ARRAY_PRIMITIVES[n].elementwise for n in ("matvec", "dot", "sum", "mean"))
    assert not hasattr(tensor, "_sigmoid")  # no sigmoid of its own: the table's (ARRAYS.sigmoid)


def test_unbroadcast_sums_added_and_stretched_axes():
    # Expectation: a (2, 3, 4) array of ones summed back to (3, 1) adds the leading axis (2) and the
    # stretched last axis (4): every entry 8; to () it is the sum of all 24 entries; to its shape, itself.
    g = np.ones((2, 3, 4))
    np.testing.assert_array_equal(unbroadcast(g, (3, 1)), np.full((3, 1), 8.0))
    assert unbroadcast(g, ()) == 24.0 and unbroadcast(g, ()).shape == ()
    assert unbroadcast(g, (2, 3, 4)) is g


@pytest.mark.parametrize("name, shapes", CASES, ids=IDS)
def test_vjp_matches_central_differences(name, shapes):
    # Expectation: the VJP of a random cotangent u equals the central-difference gradient of
    # <u, f(args)>; with h = 1e-6 the truncation error is O(h^2 f''') <~ 1e-12 * 6/0.2^4 ~ 4e-9 (1/y at
    # y = 0.2) and the rounding error ~ 12 eps/h ~ 3e-9, so agreement to 1e-7 (absolute and relative)
    # leaves a margin; each cotangent has its input's shape (broadcasting undone).
    prim = ARRAY_PRIMITIVES[name]
    args = _inputs(name, shapes)
    out = prim.value(*args)
    u = np.random.default_rng(1).standard_normal(np.shape(out))
    cotangents = prim.vjp(u, tuple(args), out)
    for k, (a, c) in enumerate(zip(args, cotangents, strict=True)):
        assert np.shape(c) == np.shape(a), "broadcasting must be undone"
        numeric = np.zeros(np.shape(a))
        for idx in np.ndindex(np.shape(a)):
            plus, minus = [x.copy() for x in args], [x.copy() for x in args]
            plus[k][idx] += H
            minus[k][idx] -= H
            numeric[idx] = (np.sum(u * prim.value(*plus)) - np.sum(u * prim.value(*minus))) / (2 * H)
        np.testing.assert_allclose(c, numeric, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("name, shapes", CASES, ids=IDS)
def test_jvp_matches_central_differences(name, shapes):
    # Expectation: the JVP along random tangents equals (f(x + h v) - f(x - h v)) / 2h to 1e-7
    # (same error budget as above), with every input active and with one active at a time (the
    # others None, i.e. constants), and it has the output's shape even when only a broadcast input moves.
    prim = ARRAY_PRIMITIVES[name]
    args = _inputs(name, shapes)
    out = prim.value(*args)
    rng = np.random.default_rng(2)
    tangents = [rng.standard_normal(s) for s in shapes]
    patterns = [tuple(range(len(args)))] + ([(k,) for k in range(len(args))] if len(args) > 1 else [])
    for active in patterns:
        ts = tuple(tangents[k] if k in active else None for k in range(len(args)))
        plus = [a + H * t if t is not None else a for a, t in zip(args, ts, strict=True)]
        minus = [a - H * t if t is not None else a for a, t in zip(args, ts, strict=True)]
        numeric = (prim.value(*plus) - prim.value(*minus)) / (2 * H)
        tangent = prim.jvp(tuple(args), ts, out)
        assert np.shape(tangent) == np.shape(out)
        np.testing.assert_allclose(tangent, numeric, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("name", list(PRIMITIVES))
def test_array_rules_are_the_scalar_rules_element_by_element(name):
    # Expectation: for every entry of the scalar table, entry i of the array VJP (cotangent u) is
    # u_i * p.partials[j](FLOATS, p.scalar(x_i), x_i) and entry i of the JVP is sum_j partial_j * t_j,i:
    # the same rule on floats, so equal up to numpy's and math's last-bit differences (4 ulps: 1e-15).
    p, prim = PRIMITIVES[name], ARRAY_PRIMITIVES[name]
    shapes = [(3, 4)] * p.arity
    args = _inputs(name, shapes, seed=7)
    out = prim.value(*args)
    rng = np.random.default_rng(8)
    u, ts = rng.standard_normal((3, 4)), [rng.standard_normal((3, 4)) for _ in shapes]
    cotangents, tangent = prim.vjp(u, tuple(args), out), prim.jvp(tuple(args), tuple(ts), out)
    for idx in np.ndindex(3, 4):
        x = [float(a[idx]) for a in args]
        partials = [float(d(FLOATS, p.scalar(*x), *x)) for d in p.partials]
        for c, d in zip(cotangents, partials, strict=True):
            assert c[idx] == pytest.approx(u[idx] * d, rel=1e-15, abs=1e-300)
        expected = sum(d * t[idx] for d, t in zip(partials, ts, strict=True))
        assert tangent[idx] == pytest.approx(expected, rel=1e-15, abs=1e-15)


@pytest.mark.parametrize("name, shapes", CASES, ids=IDS)
def test_vjp_and_jvp_are_transposes(name, shapes):
    # Expectation: <vjp(u), v> == <u, jvp(v)> in exact arithmetic (both are u^T J v), so to rounding:
    # 1e-12 relative to the size of the terms.
    prim = ARRAY_PRIMITIVES[name]
    args = _inputs(name, shapes, seed=3)
    out = prim.value(*args)
    rng = np.random.default_rng(4)
    u = rng.standard_normal(np.shape(out))
    vs = [rng.standard_normal(s) for s in shapes]
    cotangents = prim.vjp(u, tuple(args), out)
    left = sum(np.sum(c * v) for c, v in zip(cotangents, vs, strict=True))
    right = np.sum(u * prim.jvp(tuple(args), tuple(vs), out))
    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


def test_vjp_skips_inputs_that_are_not_needed():
    # Expectation: with needed = (False, True) the matvec VJP returns None for the matrix (no
    # N x d outer product is formed) and A^T g for the vector: [0 - 3, 1 - 4, 2 - 5] = [-3, -3, -3].
    A, x, g = np.arange(6.0).reshape(2, 3), np.ones(3), np.array([1.0, -1.0])
    dA, dx = ARRAY_PRIMITIVES["matvec"].vjp(g, (A, x), A @ x, (False, True))
    assert dA is None
    np.testing.assert_array_equal(dx, [-3.0, -3.0, -3.0])


# --- numerical stability ---------------------------------------------------------------------------


def test_sigmoid_derivative_is_the_tables_exact_rule_at_20_and_40():
    # Expectation: σ'(x) = σ(x) σ(-x). At x = 40, σ(40) rounds to 1 and σ(-40) = e^-40 / (1 + e^-40) =
    # 4.248354255291589e-18 (closed form, in floats): the derivative, to 1e-12 relative. At x = 20 the
    # 50-digit mpmath value σ(20) σ(-20) = 2.0611536181902037e-09, to 1e-15 relative. The textbook form
    # σ(1 - σ) gives exactly 0 at 40 (1 - σ(40) cancels), which this test would catch.
    prim = ARRAY_PRIMITIVES["sigmoid"]
    x = np.array([20.0, 40.0])
    out = prim.value(x)
    vjp = prim.vjp(np.ones(2), (x,), out)[0]
    jvp = prim.jvp((x,), (np.ones(2),), out)
    closed = (1 / (1 + math.exp(-40))) * (math.exp(-40) / (1 + math.exp(-40)))
    assert closed == pytest.approx(4.248354255291589e-18, rel=1e-15)
    with mpmath.workdps(50):
        s20 = 1 / (1 + mpmath.exp(-20))
        exact20 = float(s20 * (1 - s20))
    assert exact20 == pytest.approx(2.0611536181902037e-09, rel=1e-15)
    for d in (vjp, jvp):
        assert d[1] == pytest.approx(4.248354255291589e-18, rel=1e-12, abs=0)
        assert d[0] == pytest.approx(exact20, rel=1e-15, abs=0)
    assert out[1] * (1 - out[1]) == 0.0  # what the textbook rule would have given


def test_logaddexp_gradient_is_finite_and_exact_at_large_arguments():
    # Expectation: ∂/∂a log(e^a + e^b) = σ(a - b): at (1000, 1000) exactly (0.5, 0.5) (σ(0) = 1/2) where
    # e^1000 overflows; at (1000, -1000) exactly (1, 0) (σ(±2000) rounds to 1 and 0); at (1000, 999)
    # the 50-digit σ(1) = 0.7310585786300049 and σ(-1) = 0.2689414213699951 to 1e-15. The value at
    # (1000, 1000) is 1000 + log 2. No overflow or invalid-value warning.
    prim = ARRAY_PRIMITIVES["logaddexp"]
    a, b = np.array([1000.0, 1000.0, 1000.0]), np.array([1000.0, -1000.0, 999.0])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        out = prim.value(a, b)
        da, db = prim.vjp(np.ones(3), (a, b), out)
        ta = prim.jvp((a, b), (np.ones(3), None), out)
    assert out[0] == 1000 + math.log(2)
    assert (da[0], db[0], da[1], db[1]) == (0.5, 0.5, 1.0, 0.0)
    with mpmath.workdps(50):
        s1 = float(1 / (1 + mpmath.exp(-1)))
        s_1 = float(1 / (1 + mpmath.exp(1)))
    assert da[2] == pytest.approx(s1, rel=1e-15) and db[2] == pytest.approx(s_1, rel=1e-15)
    np.testing.assert_array_equal(ta, da)  # JVP with tangent (1, 0) is the same partial


def test_stable_at_plus_minus_800():
    # Expectation (exact math, rounded to double): softplus(800) = 800 + log1p(e^-800) = 800,
    # softplus(-800) = e^-800 -> 0 (underflow), sigmoid(±800) = 1 and 0, logaddexp(z, -z) = |z| +
    # log1p(e^-2|z|) = (800, log 2, 800); no overflow or invalid-value warnings.
    z = np.array([-800.0, 0.0, 800.0])
    P = ARRAY_PRIMITIVES
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        sp = P["softplus"].value(z)
        sg = P["sigmoid"].value(z)
        la = P["logaddexp"].value(z, -z)
        dsp = P["softplus"].vjp(np.ones(3), (z,), sp)[0]
        dsg = P["sigmoid"].vjp(np.ones(3), (z,), sg)[0]
        da, db = P["logaddexp"].vjp(np.ones(3), (z, -z), la)
    assert sp[2] == 800.0 and sp[0] == 0.0 and sp[1] == pytest.approx(np.log(2), rel=1e-15, abs=0)
    assert sg[2] == 1.0 and 0.0 <= sg[0] < 1e-300 and sg[1] == 0.5
    np.testing.assert_allclose(la, [800.0, np.log(2), 800.0], rtol=1e-15)
    # derivatives: softplus' = sigmoid = (0, 1/2, 1); sigmoid' = (0, 1/4, 0);
    # d/da logaddexp(a, -a) at a = -800, 0, 800 is (0, 1/2, 1) and d/db is (1, 1/2, 0).
    np.testing.assert_array_equal(dsp, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(dsg, [0.0, 0.25, 0.0])
    np.testing.assert_array_equal(da, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(db, [1.0, 0.5, 0.0])


# --- programs ---------------------------------------------------------------------------------------


def test_variable_used_twice_accumulates_both_adjoints():
    # Expectation: loss = sum(x * x) has gradient 2x: x feeds both inputs of mul, and each
    # contributes x to x̄; with '=' instead of '+=' the result would be x, half the truth.
    prog = TensorProgram(("x",), [Equation("q", "mul", ("x", "x")), Equation("L", "sum", ("q",))], "L")
    x = np.array([1.5, -2.0, 0.25])
    grads, trace = prog.vjp({"x": x}, ("x",), record=True)
    np.testing.assert_array_equal(grads["x"], 2 * x)
    assert [row.target for row in trace] == ["q̄", "x̄", "x̄"]
    assert trace[1].rule == "x̄ += q̄ ⊙ x"


def test_variable_used_in_two_equations_and_broadcast_bias():
    # Expectation: L = sum(exp(x) + x * b) with scalar b: x̄ = exp(x) + b from two equations,
    # and b̄ = sum(x), the broadcast summed back to a scalar (for x = (0, 1, 2), b = 3:
    # x̄ = (4, e + 3, e^2 + 3), b̄ = 3); the rules read as the table's partials (exp' = its output e).
    prog = TensorProgram(
        ("x", "b"),
        [
            Equation("e", "exp", ("x",)),
            Equation("p", "mul", ("x", "b")),
            Equation("q", "add", ("e", "p")),
            Equation("L", "sum", ("q",)),
        ],
        "L",
    )
    x = np.array([0.0, 1.0, 2.0])
    grads, trace = prog.vjp({"x": x, "b": 3.0}, ("x", "b"), record=True)
    np.testing.assert_allclose(grads["x"], np.exp(x) + 3.0, rtol=1e-15)
    assert grads["b"].shape == () and grads["b"] == 3.0
    rules = trace.to_frame()["rule"].tolist()
    assert rules[-3:] == ["x̄ += p̄ ⊙ b", "b̄ += unbroadcast(p̄ ⊙ x)", "x̄ += e\u0304 ⊙ e"]  # ē: e, combining macron
    value, tangent = prog.jvp({"x": x, "b": 3.0}, {"b": 1.0})
    assert value == pytest.approx(np.exp(x).sum() + 9.0, rel=1e-15) and tangent == 3.0


def test_program_rejects_bad_lists():
    # Expectation: each name is assigned once, used only after its definition, and names a primitive.
    with pytest.raises(ValueError, match="before being defined"):
        TensorProgram(("x",), [Equation("y", "exp", ("z",))], "y")
    with pytest.raises(ValueError, match="assigned twice"):
        TensorProgram(("x",), [Equation("x", "exp", ("x",))], "x")
    with pytest.raises(ValueError, match="unknown array primitive"):
        TensorProgram(("x",), [Equation("y", "softmax", ("x",))], "y")


# --- logistic regression ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return logistic_regression(N=300, d=7, seed=3)


@pytest.fixture(scope="module")
def w(model):
    return np.random.default_rng(11).standard_normal(model.d) / np.sqrt(model.d)


def test_logistic_data_is_reproducible(model):
    # Expectation: the same seed gives the same data bit for bit; labels are 0/1.
    again = logistic_regression(N=300, d=7, seed=3)
    np.testing.assert_array_equal(model.X, again.X)
    np.testing.assert_array_equal(model.y, again.y)
    assert set(np.unique(model.y)) == {0.0, 1.0}
    assert model.X.shape == (300, 7) and len(model.program.equations) == 5


def test_reverse_equals_handwritten_gradient(model, w):
    # Expectation: reverse mode computes X^T (sigma(z) - y)/N with the same operations up to the
    # order of two N-vector terms, so it matches the hand-written numpy gradient to 1e-12 relative.
    loss, grad = model.loss_and_grad(w)
    ref = model.grad_handwritten(w)
    assert np.linalg.norm(grad - ref) <= 1e-12 * np.linalg.norm(ref)
    z = model.X @ w
    assert loss == pytest.approx(np.mean(np.logaddexp(0, z) - model.y * z), rel=1e-14, abs=0)
    assert loss == model.loss(w)


def test_forward_and_central_agree_with_reverse(model, w):
    # Expectation: forward mode (d = 7 JVP passes) is exact up to rounding: 1e-12 relative;
    # central differences with h = eps^(1/3) ~ 6e-6 carry an error ~ 1e-10: within 1e-6.
    grad = model.loss_and_grad(w)[1]
    np.testing.assert_allclose(model.grad_forward(w), grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.grad_central(w), grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model.grad_central(w, h=1e-4), grad, rtol=1e-6, atol=1e-6)


def test_gradient_descent_reduces_the_loss():
    # Expectation (observed, N=500, d=5, seed=0, w0 = 0, lr = 0.5, 50 steps): the loss starts at
    # log 2 = 0.693147 (z = 0 gives softplus(0) = log 2 for every example), falls every step
    # (the loss is convex and lr is far below 2/L) and ends at 0.412239 (+-1e-6); the gradient
    # norm falls from 0.318479 to 0.022526.
    m = logistic_regression(500, 5, seed=0)
    history = m.gradient_descent(np.zeros(5), lr=0.5, steps=50)
    assert list(history.columns) == ["step", "loss", "grad_norm"] and len(history) == 51
    assert history["loss"].iloc[0] == pytest.approx(np.log(2), rel=1e-15, abs=0)
    assert history["loss"].iloc[-1] == pytest.approx(0.412239, abs=1e-6)
    assert history["grad_norm"].iloc[0] == pytest.approx(0.318479, abs=1e-6)
    assert history["grad_norm"].iloc[-1] == pytest.approx(0.022526, abs=1e-6)
    assert np.all(np.diff(history["loss"]) < 0)


def test_adjoint_trace_is_reverse_ordered_and_ends_with_weights(model, w):
    # Expectation: six updates for the five equations, walking them backwards (5, 4, 4, 3, 2, 1):
    # r̄, s̄, t̄, then z̄ twice (z feeds both t = y * z and s = softplus(z), whose rule is logaddexp's
    # σ(b - a) at a = 0, printed through the expression backend), and last w̄ = X^T z̄, whose norm is
    # the gradient's.
    grads, trace = model.program.vjp(model.env(w), ("w",), record=True)
    frame = trace.to_frame()
    assert list(frame.columns) == ["step", "eq", "target", "rule", "shape", "norm", "head"]
    assert frame["step"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame["eq"].tolist() == [5, 4, 4, 3, 2, 1]
    assert frame["target"].tolist() == ["r̄", "s̄", "t̄", "z̄", "z̄", "w̄"]
    assert frame["rule"].tolist() == [
        "r̄ += ℓ̄ · 1/300",
        "s̄ += r̄",
        "t̄ += -r̄",
        "z̄ += t̄ ⊙ y",
        "z̄ += s̄ ⊙ sigmoid(z)",
        "w̄ += Xᵀ z̄",
    ]
    assert frame["shape"].iloc[-1] == (7,)
    assert frame["norm"].iloc[-1] == pytest.approx(np.linalg.norm(grads["w"]), rel=1e-15, abs=0)
    assert model.program.vjp(model.env(w), ("w",))[1] == []  # nothing recorded unless asked


def test_frames_describe_the_program(model, w):
    # Expectation: the Wengert list reads z = X @ w; s = softplus(z); t = y * z; r = s - t;
    # ell = mean(r), in LaTeX with ⊙ for the element-wise product; the primal table has the 3 inputs
    # and 5 step values with their shapes.
    wengert = model.program.wengert_frame()
    assert wengert["definition"].tolist() == [
        "z = X @ w",
        "s = softplus(z)",
        "t = y * z",
        "r = s - t",
        "ell = mean(r)",
    ]
    assert wengert["latex"].tolist() == [
        r"z = X\,w",
        r"s = \log\left(1 + e^{z}\right)",
        r"t = y \odot z",
        "r = s - t",
        r"\ell = \frac{1}{n} \sum_i r_i",
    ]
    primal = model.program.primal_frame(model.env(w))
    assert primal["name"].tolist() == ["X", "y", "w", "z", "s", "t", "r", "ell"]
    assert primal["shape"].tolist() == [(300, 7), (300,), (7,), (300,), (300,), (300,), (300,), ()]
    assert primal["norm"].iloc[-1] == pytest.approx(model.loss(w), rel=1e-15, abs=0)


def test_jvp_of_program_is_a_directional_derivative(model, w):
    # Expectation: the JVP along v equals <grad, v> (to 1e-12 relative), in one pass with or
    # without precomputed primal values, and returns the loss as its value.
    v = np.random.default_rng(5).standard_normal(model.d)
    env = model.env(w)
    value, tangent = model.program.jvp(env, {"w": v})
    grad = model.loss_and_grad(w)[1]
    assert value == pytest.approx(model.loss(w), rel=1e-15, abs=0)
    assert tangent == pytest.approx(grad @ v, rel=1e-12, abs=0)
    assert model.program.jvp(env, {"w": v}, primals=model.program.evaluate(env))[1] == pytest.approx(tangent)
    with pytest.raises(ValueError, match="shape"):
        model.program.jvp(env, {"w": np.ones(3)})


# --- timing -----------------------------------------------------------------------------------------


def test_timing_goes_through_the_shared_interleaved_timer(monkeypatch):
    # Expectation: timing_vs_d times with diffzoo.timing.interleaved, once per d, with the repeats it
    # was given; each row's seconds is the median of that job's rounds (here given: 1, 3, 2 ms -> 2 ms
    # for every job), and the evaluations are 1, d, 2d, 1.
    calls = []

    def fake(funcs, repeats, **kw):
        calls.append((tuple(funcs), repeats))
        return {name: [1e-3, 3e-3, 2e-3] for name in funcs}

    monkeypatch.setattr(timing, "interleaved", fake)
    table = timing_vs_d([2, 8], N=50, repeats=3)
    methods = ("reverse (1 sweep)", "forward (d passes)", "central differences (2d evals)", "loss only")
    assert calls == [(methods, 3), (methods, 3)]
    assert list(table.columns) == ["d", "method", "seconds", "evaluations"]
    assert table["evaluations"].tolist() == [1, 2, 4, 1, 1, 8, 16, 1]
    assert (table["seconds"] == 2e-3).all()


def test_timing_table_measures_real_times():
    # Expectation: a real run (N = 200, d = 2, one round) gives a positive time for each of the 4 jobs.
    table = timing_vs_d([2], N=200, repeats=1)
    assert len(table) == 4 and (table["seconds"] > 0).all()

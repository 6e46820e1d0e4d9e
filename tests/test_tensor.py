"""Tests of diffzoo.tensor: array primitives, tensor programs and logistic regression.

Each test states the figure it expects and where that figure comes from.
"""

from __future__ import annotations

import numpy as np
import pytest

from diffzoo.tensor import (
    ARRAY_PRIMITIVES,
    Equation,
    TensorProgram,
    logistic_regression,
    time_interleaved,
    timing_vs_d,
)

# (primitive, input shapes, positive inputs?) -- the broadcasting cases pair a vector with a
# scalar, a matrix with a row vector, and a column with a row.
CASES = [
    ("matvec", [(4, 3), (3,)], False),
    ("add", [(5,), (5,)], False),
    ("add", [(5,), ()], False),
    ("add", [(), (3, 4)], False),
    ("add", [(3, 4), (4,)], False),
    ("sub", [(5,), (5,)], False),
    ("sub", [(5,), ()], False),
    ("sub", [(3, 1), (1, 4)], False),
    ("mul", [(5,), (5,)], False),
    ("mul", [(5,), ()], False),
    ("mul", [(2, 3), (3,)], False),
    ("neg", [(5,)], False),
    ("exp", [(5,)], False),
    ("log", [(5,)], True),
    ("sigmoid", [(5,)], False),
    ("logaddexp", [(5,), (5,)], False),
    ("logaddexp", [(5,), ()], False),
    ("softplus", [(5,)], False),
    ("sum", [(3, 4)], False),
    ("mean", [(3, 4)], False),
    ("dot", [(5,), (5,)], False),
]
IDS = [f"{name}-{'-'.join(map(str, shapes))}" for name, shapes, _ in CASES]
H = 1e-6  # central-difference step for O(1) inputs


def _inputs(shapes, positive, seed=0):
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal(s) for s in shapes]
    return [np.abs(a) + 0.5 for a in args] if positive else args


def test_every_primitive_is_covered():
    # Expectation: the case list exercises each of the 13 registered primitives.
    assert {name for name, _, _ in CASES} == set(ARRAY_PRIMITIVES)
    assert len(ARRAY_PRIMITIVES) == 13


@pytest.mark.parametrize("name, shapes, positive", CASES, ids=IDS)
def test_vjp_matches_central_differences(name, shapes, positive):
    # Expectation: the VJP of a random cotangent u equals the central-difference gradient of
    # <u, f(args)>; with h = 1e-6 the truncation error is O(h^2) ~ 1e-12 and the rounding error
    # ~ eps/h ~ 1e-10, so agreement to 1e-7 (absolute and relative) leaves a wide margin.
    prim = ARRAY_PRIMITIVES[name]
    args = _inputs(shapes, positive)
    out = prim.value(*args)
    u = np.random.default_rng(1).standard_normal(np.shape(out))
    cotangents = prim.vjp(u, tuple(args), out, (True,) * len(args))
    for k, (a, c) in enumerate(zip(args, cotangents, strict=True)):
        assert np.shape(c) == np.shape(a), "broadcasting must be undone"
        numeric = np.zeros(np.shape(a))
        for idx in np.ndindex(np.shape(a)):
            plus, minus = [x.copy() for x in args], [x.copy() for x in args]
            plus[k][idx] += H
            minus[k][idx] -= H
            numeric[idx] = (np.sum(u * prim.value(*plus)) - np.sum(u * prim.value(*minus))) / (2 * H)
        np.testing.assert_allclose(c, numeric, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("name, shapes, positive", CASES, ids=IDS)
def test_jvp_matches_central_differences(name, shapes, positive):
    # Expectation: the JVP along random tangents equals (f(x + h v) - f(x - h v)) / 2h to 1e-7
    # (same error budget as above), both with every input active and with one active at a time
    # (the others passed as None, i.e. constants).
    prim = ARRAY_PRIMITIVES[name]
    args = _inputs(shapes, positive)
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


@pytest.mark.parametrize("name, shapes, positive", CASES, ids=IDS)
def test_vjp_and_jvp_are_transposes(name, shapes, positive):
    # Expectation: <vjp(u), v> == <u, jvp(v)> exactly in exact arithmetic (both are u^T J v), so
    # to rounding: 1e-12 relative to the size of the terms.
    prim = ARRAY_PRIMITIVES[name]
    args = _inputs(shapes, positive, seed=3)
    out = prim.value(*args)
    rng = np.random.default_rng(4)
    u = rng.standard_normal(np.shape(out))
    vs = [rng.standard_normal(s) for s in shapes]
    cotangents = prim.vjp(u, tuple(args), out, (True,) * len(args))
    left = sum(np.sum(c * v) for c, v in zip(cotangents, vs, strict=True))
    right = np.sum(u * prim.jvp(tuple(args), tuple(vs), out))
    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


def test_vjp_skips_inputs_that_are_not_needed():
    # Expectation: with active = (False, True) the matvec VJP returns None for the matrix (no
    # N x d outer product is formed) and A^T g for the vector.
    A, x, g = np.arange(6.0).reshape(2, 3), np.ones(3), np.array([1.0, -1.0])
    dA, dx = ARRAY_PRIMITIVES["matvec"].vjp(g, (A, x), A @ x, (False, True))
    assert dA is None
    np.testing.assert_array_equal(dx, [-3.0, -3.0, -3.0])


# --- numerical stability ---------------------------------------------------------------------------


def test_stable_at_plus_minus_800():
    # Expectation (exact math, rounded to double): softplus(800) = 800 + log1p(e^-800) = 800,
    # softplus(-800) = e^-800 -> 0 (underflow), sigmoid(±800) = 1 and 0, logaddexp(800, 800) =
    # 800 + log 2, logaddexp(-800, -800) = -800 + log 2; no overflow or invalid-value warnings.
    z = np.array([-800.0, 0.0, 800.0])
    P = ARRAY_PRIMITIVES
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        sp = P["softplus"].value(z)
        sg = P["sigmoid"].value(z)
        la = P["logaddexp"].value(z, z)
        dsp = P["softplus"].vjp(np.ones(3), (z,), sp, (True,))[0]
        dsg = P["sigmoid"].vjp(np.ones(3), (z,), sg, (True,))[0]
        da, db = P["logaddexp"].vjp(np.ones(3), (z, -z), P["logaddexp"].value(z, -z), (True, True))
    assert sp[2] == 800.0 and sp[0] == 0.0 and sp[1] == pytest.approx(np.log(2), rel=1e-15, abs=0)
    assert sg[2] == 1.0 and 0.0 <= sg[0] < 1e-300 and sg[1] == 0.5
    np.testing.assert_allclose(la, [-800 + np.log(2), np.log(2), 800 + np.log(2)], rtol=1e-15)
    # derivatives: softplus' = sigmoid = (0, 1/2, 1); sigmoid' = (0, 1/4, 0);
    # d/da logaddexp(a, -a) at a = -800, 0, 800 is (0, 1/2, 1) and d/db is (1, 1/2, 0).
    np.testing.assert_allclose(dsp, [0.0, 0.5, 1.0], atol=1e-300)
    np.testing.assert_allclose(dsg, [0.0, 0.25, 0.0], atol=1e-300)
    np.testing.assert_allclose(da, [0.0, 0.5, 1.0], atol=1e-300)
    np.testing.assert_allclose(db, [1.0, 0.5, 0.0], atol=1e-300)
    assert np.all(np.isfinite(np.concatenate([sp, sg, la, dsp, dsg, da, db])))


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
    # x̄ = (4, e + 3, e^2 + 3), b̄ = 3).
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
    assert trace.to_frame()["rule"].tolist()[-2] == "b̄ += unbroadcast(p̄ ⊙ x)"
    value, tangent = prog.jvp({"x": x, "b": 3.0}, {"b": 1.0})
    assert value == pytest.approx(np.exp(x).sum() + 9.0) and tangent == 3.0


def test_program_rejects_bad_lists():
    # Expectation: each name is assigned once and used only after its definition.
    with pytest.raises(ValueError, match="before being defined"):
        TensorProgram(("x",), [Equation("y", "exp", ("z",))], "y")
    with pytest.raises(ValueError, match="assigned twice"):
        TensorProgram(("x",), [Equation("x", "exp", ("x",))], "x")
    with pytest.raises(ValueError, match="unknown array primitive"):
        TensorProgram(("x",), [Equation("y", "tanh", ("x",))], "y")


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
    # r̄, s̄, t̄, then z̄ twice (z feeds both t = y * z and s = softplus(z)), and last w̄ = X^T z̄,
    # whose norm is the gradient's.
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
        "z̄ += s̄ ⊙ σ(z)",
        "w̄ += Xᵀ z̄",
    ]
    assert frame["shape"].iloc[-1] == (7,)
    assert frame["norm"].iloc[-1] == pytest.approx(np.linalg.norm(grads["w"]), rel=1e-15, abs=0)
    assert model.program.vjp(model.env(w), ("w",))[1] == []  # nothing recorded unless asked


def test_frames_describe_the_program(model, w):
    # Expectation: the Wengert list reads z = X @ w; s = softplus(z); t = y * z; r = s - t;
    # ell = mean(r), and the primal table has the 3 inputs and 5 step values with their shapes.
    wengert = model.program.wengert_frame()
    assert wengert["definition"].tolist() == [
        "z = X @ w",
        "s = softplus(z)",
        "t = y * z",
        "r = s - t",
        "ell = mean(r)",
    ]
    assert wengert["latex"].iloc[-1].startswith(r"\ell = ")
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


def test_timing_table_shape():
    # Expectation: 4 methods per d, evaluations 1, d, 2d, 1, positive median times.
    table = timing_vs_d([2, 8], N=200, repeats=2)
    assert list(table.columns) == ["d", "method", "seconds", "evaluations"]
    assert len(table) == 8
    row = table.set_index(["d", "method"])["evaluations"]
    assert row[(8, "reverse (1 sweep)")] == 1
    assert row[(8, "forward (d passes)")] == 8
    assert row[(8, "central differences (2d evals)")] == 16
    assert row[(8, "loss only")] == 1
    assert (table["seconds"] > 0).all()


def test_time_interleaved_calls_each_function_once_per_round_plus_warmup():
    # Expectation: 3 rounds + 1 warm-up call = 4 calls of each function.
    calls = {"a": 0, "b": 0}

    def bump(key):
        calls[key] += 1

    times = time_interleaved({"a": lambda: bump("a"), "b": lambda: bump("b")}, rounds=3)
    assert calls == {"a": 4, "b": 4} and set(times) == {"a", "b"}

"""Tensor-level forward and reverse mode: a Wengert list whose steps are array operations.

Each array primitive is registered ONCE in ``ARRAY_PRIMITIVES`` with its value, its vector-Jacobian
product rule (VJP, reverse mode) and its Jacobian-vector product rule (JVP, forward mode).
Reverse mode is one reversed walk over the equations that accumulates adjoints with ``+=`` (never
``=``), so a variable used twice receives both contributions. Forward mode is one pass per seed
direction, so a gradient with respect to ``d`` inputs costs ``d`` passes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

import numpy as np
import pandas as pd

Array = np.ndarray
Tangent = Array | None  # None marks a constant (inactive) input


@dataclass(frozen=True)
class ArrayPrimitive:
    """One array operation with its value, VJP and JVP rules and how a step is written.

    ``vjp(g, args, out, active)`` gets the output cotangent ``g``, the primal inputs, the primal
    output and one flag per input saying whether its cotangent is needed; it returns one cotangent
    per input (``None`` where not needed), each of its input's shape: broadcasting is undone by
    summing over the broadcast axes. ``jvp(args, tangents, out)`` gets the primal inputs, their
    tangents (``None`` for constant inputs, at least one present) and the primal output, and
    returns the output tangent. ``text``/``latex`` format a step (fields ``{out}``, ``{0}``,
    ``{1}``); ``adjoint`` holds per input the right-hand side of its adjoint update (fields
    ``{ob}`` output adjoint, ``{out}``, ``{0}``, ``{1}``, ``{n}`` size of the first input).
    """

    name: str
    value: Callable[..., Array]
    vjp: Callable[..., tuple[Tangent, ...]]
    jvp: Callable[..., Array]
    latex: str
    text: str
    adjoint: tuple[str, ...]
    broadcasts: bool = False  # element-wise with numpy broadcasting between the inputs

    def __repr__(self) -> str:
        return f"ArrayPrimitive({self.name!r})"


# --- helpers --------------------------------------------------------------------------------------


def _sigmoid(z: Array) -> Array:
    """Logistic function with one exp of a non-positive argument: no overflow at any z."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def _unbroadcast(g: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``g`` over the axes that broadcasting added or stretched, so it gets ``shape``."""
    g = np.asarray(g)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return g.sum(axis=tuple(range(lead)) + stretched).reshape(shape)


def _fit(t: Array, shape: tuple[int, ...]) -> Array:
    """A tangent of a broadcast input, viewed with the output's shape (no copy)."""
    return t if np.shape(t) == shape else np.broadcast_to(t, shape)


def _tsum(*terms: Tangent) -> Array:
    """Sum of the tangent terms that are present (at least one is)."""
    present = [t for t in terms if t is not None]
    total = present[0]
    for t in present[1:]:
        total = total + t
    return total


# --- the rules, one pair per primitive --------------------------------------------------------------


def _matvec_vjp(g, args, out, active):
    A, x = args
    return (np.outer(g, x) if active[0] else None, A.T @ g if active[1] else None)


def _matvec_jvp(args, tangents, out):
    (A, x), (tA, tx) = args, tangents
    return _tsum(None if tA is None else tA @ x, None if tx is None else A @ tx)


def _add_vjp(g, args, out, active):
    a, b = args
    return (
        _unbroadcast(g, np.shape(a)) if active[0] else None,
        _unbroadcast(g, np.shape(b)) if active[1] else None,
    )


def _add_jvp(args, tangents, out):
    ta, tb = tangents
    return _fit(_tsum(ta, tb), np.shape(out))


def _sub_vjp(g, args, out, active):
    a, b = args
    return (
        _unbroadcast(g, np.shape(a)) if active[0] else None,
        _unbroadcast(-g, np.shape(b)) if active[1] else None,
    )


def _sub_jvp(args, tangents, out):
    ta, tb = tangents
    return _fit(_tsum(ta, None if tb is None else -tb), np.shape(out))


def _mul_vjp(g, args, out, active):
    a, b = args
    return (
        _unbroadcast(g * b, np.shape(a)) if active[0] else None,
        _unbroadcast(g * a, np.shape(b)) if active[1] else None,
    )


def _mul_jvp(args, tangents, out):
    (a, b), (ta, tb) = args, tangents
    return _tsum(None if ta is None else ta * b, None if tb is None else a * tb)


def _logaddexp_vjp(g, args, out, active):
    # d/da log(e^a + e^b) = exp(a - out): the exponent is <= 0, so it cannot overflow.
    a, b = args
    return (
        _unbroadcast(g * np.exp(a - out), np.shape(a)) if active[0] else None,
        _unbroadcast(g * np.exp(b - out), np.shape(b)) if active[1] else None,
    )


def _logaddexp_jvp(args, tangents, out):
    (a, b), (ta, tb) = args, tangents
    return _tsum(None if ta is None else ta * np.exp(a - out), None if tb is None else tb * np.exp(b - out))


def _dot_vjp(g, args, out, active):
    a, b = args
    return (g * b if active[0] else None, g * a if active[1] else None)


def _dot_jvp(args, tangents, out):
    (a, b), (ta, tb) = args, tangents
    return _tsum(None if ta is None else ta @ b, None if tb is None else a @ tb)


def _unary(
    name: str,
    value: Callable[[Array], Array],
    deriv: Callable[[Array, Array], Array],
    latex: str,
    text: str,
    adjoint: str,
) -> ArrayPrimitive:
    """An element-wise one-input primitive from its derivative ``deriv(x, out)``."""
    return ArrayPrimitive(
        name=name,
        value=value,
        vjp=lambda g, args, out, active: (g * deriv(args[0], out) if active[0] else None,),
        jvp=lambda args, tangents, out: tangents[0] * deriv(args[0], out),
        latex=latex,
        text=text,
        adjoint=(adjoint,),
    )


ARRAY_PRIMITIVES: dict[str, ArrayPrimitive] = {
    p.name: p
    for p in (
        ArrayPrimitive(
            "matvec",
            lambda A, x: A @ x,
            _matvec_vjp,
            _matvec_jvp,
            r"{out} = {0}\,{1}",
            "{out} = {0} @ {1}",
            ("{ob} {1}ᵀ", "{0}ᵀ {ob}"),
        ),
        ArrayPrimitive(
            "add",
            np.add,
            _add_vjp,
            _add_jvp,
            "{out} = {0} + {1}",
            "{out} = {0} + {1}",
            ("{ob}", "{ob}"),
            broadcasts=True,
        ),
        ArrayPrimitive(
            "sub",
            np.subtract,
            _sub_vjp,
            _sub_jvp,
            "{out} = {0} - {1}",
            "{out} = {0} - {1}",
            ("{ob}", "-{ob}"),
            broadcasts=True,
        ),
        ArrayPrimitive(
            "mul",
            np.multiply,
            _mul_vjp,
            _mul_jvp,
            r"{out} = {0} \odot {1}",
            "{out} = {0} * {1}",
            ("{ob} ⊙ {1}", "{ob} ⊙ {0}"),
            broadcasts=True,
        ),
        ArrayPrimitive(
            "neg",
            np.negative,
            lambda g, args, out, active: (-g if active[0] else None,),
            lambda args, tangents, out: -tangents[0],
            "{out} = -{0}",
            "{out} = -{0}",
            ("-{ob}",),
        ),
        _unary("exp", np.exp, lambda x, out: out, r"{out} = \exp({0})", "{out} = exp({0})", "{ob} ⊙ {out}"),
        _unary("log", np.log, lambda x, out: 1.0 / x, r"{out} = \log({0})", "{out} = log({0})", "{ob} / {0}"),
        _unary(
            "sigmoid",
            _sigmoid,
            lambda x, out: out * (1.0 - out),
            r"{out} = \sigma({0})",
            "{out} = sigmoid({0})",
            "{ob} ⊙ {out} ⊙ (1 - {out})",
        ),
        ArrayPrimitive(
            "logaddexp",
            np.logaddexp,
            _logaddexp_vjp,
            _logaddexp_jvp,
            r"{out} = \log\left(e^{{{0}}} + e^{{{1}}}\right)",
            "{out} = logaddexp({0}, {1})",
            ("{ob} ⊙ exp({0} - {out})", "{ob} ⊙ exp({1} - {out})"),
            broadcasts=True,
        ),
        # softplus(z) = log(1 + e^z); its derivative is sigmoid(z), computed stably with one exp.
        _unary(
            "softplus",
            lambda z: np.logaddexp(0.0, z),
            lambda x, out: _sigmoid(x),
            r"{out} = \log\left(1 + e^{{{0}}}\right)",
            "{out} = softplus({0})",
            "{ob} ⊙ σ({0})",
        ),
        ArrayPrimitive(
            "sum",
            np.sum,
            lambda g, args, out, active: (np.broadcast_to(g, np.shape(args[0])),),
            lambda args, tangents, out: np.sum(tangents[0]),
            r"{out} = \sum_i {0}_i",
            "{out} = sum({0})",
            ("{ob} · 1",),
        ),
        ArrayPrimitive(
            "mean",
            np.mean,
            lambda g, args, out, active: (np.broadcast_to(g / np.size(args[0]), np.shape(args[0])),),
            lambda args, tangents, out: np.mean(tangents[0]),
            r"{out} = \frac{{1}}{{n}} \sum_i {0}_i",
            "{out} = mean({0})",
            ("{ob} · 1/{n}",),
        ),
        ArrayPrimitive(
            "dot",
            np.dot,
            _dot_vjp,
            _dot_jvp,
            r"{out} = {0}^\top {1}",
            "{out} = dot({0}, {1})",
            ("{ob} {1}", "{ob} {0}"),
        ),
    )
}


# --- programs -------------------------------------------------------------------------------------

_DISPLAY = {"ell": "ℓ"}  # how a variable name is shown in adjoint rules
_LATEX = {"ell": r"\ell"}


def _bar(name: str) -> str:
    return _DISPLAY.get(name, name) + "\u0304"


def _summary(a: Array, k: int = 3) -> tuple[float, str]:
    """Euclidean norm and the first ``k`` entries of an array, for tables."""
    flat = np.ravel(a)
    head = ", ".join(f"{v + 0.0:.4g}" for v in flat[:k]) + (", …" if flat.size > k else "")  # + 0.0: no "-0"
    return float(np.linalg.norm(flat)), f"[{head}]"


@dataclass(frozen=True)
class Equation:
    """One step ``out = prim(*args)`` of a Wengert list."""

    out: str
    prim: str
    args: tuple[str, ...]


@dataclass(frozen=True)
class AdjointRow:
    """One adjoint update ``target += rule`` of a reverse sweep, with the adjoint after it."""

    step: int
    eq: int
    target: str
    rule: str
    shape: tuple[int, ...]
    norm: float
    head: str


class AdjointTrace(list[AdjointRow]):
    """The adjoint updates of a reverse sweep, in the order they were computed."""

    def to_frame(self) -> pd.DataFrame:
        """One row per update: step, equation, target, rule, shape, norm, first entries."""
        columns = ["step", "eq", "target", "rule", "shape", "norm", "head"]
        return pd.DataFrame([vars(r) for r in self], columns=columns)


@dataclass
class TensorProgram:
    """A Wengert list of array steps, each name assigned once, evaluated and differentiated."""

    inputs: tuple[str, ...]
    equations: list[Equation]
    output: str
    _order: dict[str, int] = field(init=False, repr=False)  # name -> 0 for inputs, else equation number

    def __post_init__(self) -> None:
        self._order = dict.fromkeys(self.inputs, 0)
        for i, eq in enumerate(self.equations, 1):
            if eq.prim not in ARRAY_PRIMITIVES:
                raise ValueError(f"equation {i}: unknown array primitive {eq.prim!r}")
            missing = [a for a in eq.args if a not in self._order]
            if missing:
                raise ValueError(f"equation {i}: {', '.join(missing)} used before being defined")
            if eq.out in self._order:
                raise ValueError(f"equation {i}: {eq.out!r} is assigned twice; use a new name")
            self._order[eq.out] = i
        if self.output not in self._order:
            raise ValueError(f"output {self.output!r} is never defined")

    def evaluate(self, env: Mapping[str, Array]) -> dict[str, Array]:
        """All primal values: the inputs (as float arrays) and every equation's output."""
        vals = {name: np.asarray(env[name], dtype=np.float64) for name in self.inputs}
        for eq in self.equations:
            vals[eq.out] = ARRAY_PRIMITIVES[eq.prim].value(*(vals[a] for a in eq.args))
        return vals

    def vjp(
        self,
        env: Mapping[str, Array],
        wrt: tuple[str, ...],
        out_bar: float | Array = 1.0,
        record: bool = False,
        primals: Mapping[str, Array] | None = None,
    ) -> tuple[dict[str, Array], AdjointTrace]:
        """Reverse mode: cotangents of ``out_bar · output`` with respect to ``wrt``.

        One reversed walk over the equations; each adjoint is accumulated with ``+=``. Only
        variables that depend on ``wrt`` get adjoints. ``primals`` (from :meth:`evaluate`) avoids
        recomputing the forward values. With ``record`` the trace lists every update.
        """
        unknown = [v for v in wrt if v not in self._order]
        if unknown:
            raise ValueError(f"cannot differentiate with respect to undefined {', '.join(unknown)}")
        vals = self.evaluate(env) if primals is None else primals
        active = set(wrt)
        for eq in self.equations:
            if any(a in active for a in eq.args):
                active.add(eq.out)
        out = vals[self.output]
        bars: dict[str, Array] = {
            self.output: np.broadcast_to(np.asarray(out_bar, np.float64), np.shape(out))
        }
        trace = AdjointTrace()
        for i in range(len(self.equations), 0, -1):
            eq = self.equations[i - 1]
            g = bars.get(eq.out)
            needed = tuple(a in active for a in eq.args)
            if g is None or not any(needed):
                continue
            prim = ARRAY_PRIMITIVES[eq.prim]
            args = tuple(vals[a] for a in eq.args)
            cotangents = prim.vjp(g, args, vals[eq.out], needed)
            for k, (name, c) in enumerate(zip(eq.args, cotangents, strict=True)):
                if c is None:
                    continue
                prev = bars.get(name)
                # += : add to what is there, never overwrite. Out of place, because a cotangent may
                # be shared (add hands g to both inputs) or be a read-only broadcast view.
                bars[name] = c if prev is None else prev + c
                if record:
                    trace.append(self._row(len(trace) + 1, i, eq, k, args, vals[eq.out], bars[name]))
        grads = {
            v: np.array(bars[v], dtype=np.float64) if v in bars else np.zeros(np.shape(vals[v])) for v in wrt
        }
        return grads, trace

    def _row(
        self, step: int, i: int, eq: Equation, k: int, args: tuple[Array, ...], out: Array, bar: Array
    ) -> AdjointRow:
        prim = ARRAY_PRIMITIVES[eq.prim]
        names = [_DISPLAY.get(a, a) for a in eq.args]
        rhs = prim.adjoint[k].format(
            *names, ob=_bar(eq.out), out=_DISPLAY.get(eq.out, eq.out), n=np.size(args[0])
        )
        if prim.broadcasts and np.shape(args[k]) != np.shape(out):
            rhs = f"unbroadcast({rhs})"
        norm, head = _summary(bar)
        target = _bar(eq.args[k])
        return AdjointRow(step, i, target, f"{target} += {rhs}", np.shape(bar), norm, head)

    def jvp(
        self,
        env: Mapping[str, Array],
        tangents: Mapping[str, Array],
        primals: Mapping[str, Array] | None = None,
    ) -> tuple[Array, Array]:
        """Forward mode: the output and its directional derivative along ``tangents``.

        ``tangents`` maps inputs to seed directions; missing inputs are constants. Values and
        tangents are propagated together in one pass, or only tangents if ``primals`` is given.
        """
        vals = (
            {name: np.asarray(env[name], dtype=np.float64) for name in self.inputs}
            if primals is None
            else primals
        )
        tans: dict[str, Array] = {}
        for name, t in tangents.items():
            if name not in self.inputs:
                raise ValueError(f"tangent given for {name!r}, which is not an input")
            tans[name] = np.asarray(t, dtype=np.float64)
            if tans[name].shape != np.shape(vals[name]):
                raise ValueError(
                    f"tangent of {name!r} has shape {tans[name].shape}, not {np.shape(vals[name])}"
                )
        for eq in self.equations:
            prim = ARRAY_PRIMITIVES[eq.prim]
            args = tuple(vals[a] for a in eq.args)
            if primals is None:
                vals[eq.out] = prim.value(*args)
            ts = tuple(tans.get(a) for a in eq.args)
            if any(t is not None for t in ts):
                tans[eq.out] = prim.jvp(args, ts, vals[eq.out])
        out = vals[self.output]
        t = tans.get(self.output)
        return out, np.zeros(np.shape(out)) if t is None else np.asarray(t)

    def wengert_frame(self) -> pd.DataFrame:
        """The equations: number, output, definition as text and as LaTeX."""
        rows = []
        for i, eq in enumerate(self.equations, 1):
            prim = ARRAY_PRIMITIVES[eq.prim]
            latex = prim.latex.format(*(_LATEX.get(a, a) for a in eq.args), out=_LATEX.get(eq.out, eq.out))
            rows.append(
                {"i": i, "out": eq.out, "definition": prim.text.format(*eq.args, out=eq.out), "latex": latex}
            )
        return pd.DataFrame(rows, columns=["i", "out", "definition", "latex"])

    def primal_frame(self, env: Mapping[str, Array]) -> pd.DataFrame:
        """Every primal value: name, where it is defined, shape, norm and first entries."""
        rows = []
        for name, value in self.evaluate(env).items():
            norm, head = _summary(value)
            defined = "input" if self._order[name] == 0 else f"equation {self._order[name]}"
            rows.append(
                {"name": name, "defined": defined, "shape": np.shape(value), "norm": norm, "head": head}
            )
        return pd.DataFrame(rows, columns=["name", "defined", "shape", "norm", "head"])


# --- logistic regression --------------------------------------------------------------------------


@dataclass
class LogReg:
    """Logistic regression on a fixed data set, its loss as a :class:`TensorProgram` and its gradients."""

    X: Array
    y: Array
    w_true: Array
    program: TensorProgram

    @property
    def N(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    def env(self, w: Array) -> dict[str, Array]:
        """The program's inputs for weights ``w``."""
        return {"X": self.X, "y": self.y, "w": np.asarray(w, dtype=np.float64)}

    def loss(self, w: Array) -> float:
        """Mean logistic loss at ``w`` (forward evaluation of the program)."""
        return float(self.program.evaluate(self.env(w))[self.program.output])

    def loss_and_grad(self, w: Array) -> tuple[float, Array]:
        """Loss and gradient by reverse mode: one forward evaluation, one reverse sweep."""
        env = self.env(w)
        vals = self.program.evaluate(env)
        grads, _ = self.program.vjp(env, ("w",), primals=vals)
        return float(vals[self.program.output]), grads["w"]

    def grad_forward(self, w: Array) -> Array:
        """Gradient by forward mode: ``d`` tangent passes, one per basis direction."""
        env = self.env(w)
        vals = self.program.evaluate(env)
        grad = np.empty(self.d)
        seed = np.zeros(self.d)
        for i in range(self.d):
            seed[i] = 1.0
            grad[i] = self.program.jvp(env, {"w": seed}, primals=vals)[1]
            seed[i] = 0.0
        return grad

    def grad_central(self, w: Array, h: float | None = None) -> Array:
        """Gradient by central differences: ``2d`` loss evaluations, step ``h`` (default eps^(1/3))."""
        w = np.asarray(w, dtype=np.float64)
        h = np.finfo(float).eps ** (1 / 3) if h is None else h
        grad = np.empty(self.d)
        wp = w.copy()
        for i in range(self.d):
            wp[i] = w[i] + h
            up = self.loss(wp)
            wp[i] = w[i] - h
            grad[i] = (up - self.loss(wp)) / (2 * h)
            wp[i] = w[i]
        return grad

    def grad_handwritten(self, w: Array) -> Array:
        """Gradient in plain numpy: ``X^T (sigmoid(X w) - y) / N``."""
        return self.X.T @ (_sigmoid(self.X @ w) - self.y) / self.N

    def gradient_descent(self, w0: Array, lr: float, steps: int,
                         progress: Callable[[int], None] | None = None) -> pd.DataFrame:
        """Plain gradient descent with reverse-mode gradients: loss and gradient norm per step.

        ``progress(step)`` is called after each step (a page's progress bar on a long run).
        """
        w = np.array(w0, dtype=np.float64)
        rows = []
        for step in range(steps + 1):
            loss, grad = self.loss_and_grad(w)
            rows.append({"step": step, "loss": loss, "grad_norm": float(np.linalg.norm(grad))})
            w -= lr * grad
            if progress is not None:
                progress(step)
        return pd.DataFrame(rows, columns=["step", "loss", "grad_norm"])


def logistic_regression(N: int, d: int, seed: int = 0) -> LogReg:
    """Synthetic logistic regression: X ~ N(0,1)^(N x d), y ~ Bernoulli(sigmoid(X w_true)).

    The true weights are scaled by 2/sqrt(d), so the true logits have standard deviation about 2.
    The loss ``mean(softplus(X w) - y ⊙ X w)`` is a five-step Wengert list.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, d))
    w_true = 2.0 * rng.standard_normal(d) / np.sqrt(d)
    y = (rng.random(N) < _sigmoid(X @ w_true)).astype(np.float64)
    program = TensorProgram(
        inputs=("X", "y", "w"),
        equations=[
            Equation("z", "matvec", ("X", "w")),
            Equation("s", "softplus", ("z",)),
            Equation("t", "mul", ("y", "z")),
            Equation("r", "sub", ("s", "t")),
            Equation("ell", "mean", ("r",)),
        ],
        output="ell",
    )
    return LogReg(X, y, w_true, program)


# --- timing ---------------------------------------------------------------------------------------


def time_interleaved(funcs: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median wall time (seconds) of each function, measured side by side in interleaved rounds.

    Every function is called once to warm up; then each round calls all of them, starting at a
    different one each round so no function always runs first.
    """
    names = list(funcs)
    for name in names:
        funcs[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = time.perf_counter()
            funcs[name]()
            times[name].append(time.perf_counter() - start)
    return {name: median(ts) for name, ts in times.items()}


def _logreg_methods(model: LogReg, w: Array) -> dict[str, tuple[Callable[[], object], int]]:
    """The gradient methods timed by :func:`timing_vs_d`, with their number of program evaluations."""
    return {
        "reverse (1 sweep)": (lambda: model.loss_and_grad(w), 1),
        "forward (d passes)": (lambda: model.grad_forward(w), model.d),
        "central differences (2d evals)": (lambda: model.grad_central(w), 2 * model.d),
        "loss only": (lambda: model.loss(w), 1),
    }


def timing_vs_d(ds: Sequence[int], N: int = 1000, repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Median time of each gradient method on logistic regression for each dimension in ``ds``."""
    rows = []
    for d in ds:
        model = logistic_regression(N, d, seed)
        w = np.random.default_rng(seed + 1).standard_normal(d) / np.sqrt(d)
        methods = _logreg_methods(model, w)
        seconds = time_interleaved({name: f for name, (f, _) in methods.items()}, repeats)
        rows += [
            {"d": d, "method": name, "seconds": seconds[name], "evaluations": n}
            for name, (_, n) in methods.items()
        ]
    return pd.DataFrame(rows, columns=["d", "method", "seconds", "evaluations"])

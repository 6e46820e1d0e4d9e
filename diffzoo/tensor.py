"""Tensor-level forward and reverse mode: a Wengert list whose steps are array operations.

One rule table for numbers and arrays. Every element-wise step comes from the scalar table
(``primitives.PRIMITIVES``): its value is the entry's numpy function ``p.array``, and its VJP and JVP
multiply the cotangent or tangent by the entry's own partials evaluated on arrays,
``p.partials[j](ARRAYS, out, *args)``; a VJP then sums the broadcast axes back (:func:`unbroadcast`).
So sigmoid's derivative here is the table's σ(x)σ(-x), exact where σ(x)(1 - σ(x)) cancels. The text of
an adjoint update is the same rule evaluated on expressions (``EXPRESSIONS``). Only what is truly
array-level has a rule written here: matvec, dot, sum, mean, and logaddexp, written as a table entry
would be (σ(a - b) and σ(b - a): no exponential of a large argument); softplus(z) is logaddexp(0, z).

Reverse mode is one reversed walk over the equations that accumulates adjoints with ``+=`` (never
``=``), so a variable used twice receives both contributions. Forward mode is one pass per seed
direction, so a gradient with respect to ``d`` inputs costs ``d`` passes.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np
import pandas as pd

from . import timing
from .backends import ARRAYS, EXPRESSIONS
from .expr import Expr, make, to_text, var
from .primitives import PRIMITIVES

Array = np.ndarray
Tangent = Array | None  # None marks a constant (inactive) input


def unbroadcast(g: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``g`` over the axes that broadcasting added or stretched, so that it has ``shape``."""
    g = np.asarray(g)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    return g.sum(axis=tuple(range(lead)) + stretched).reshape(shape)


@dataclass(frozen=True)
class ArrayPrimitive:
    """One array operation: its value, one VJP and one JVP rule per input, and how a step reads.

    ``vjps[j](g, args, out)`` is input ``j``'s cotangent (of its shape) for the output cotangent ``g``;
    ``jvps[j](args, t, out)`` is input ``j``'s contribution to the output tangent for its tangent ``t``.
    ``text`` and ``latex`` format a step's right-hand side (``{0}``, ``{1}``); ``adjoint`` holds per
    input the right-hand side of its adjoint update (``{ob}`` the output's adjoint, ``{out}``, ``{0}``,
    ``{1}``, ``{n}`` the size of the first input).
    """

    name: str
    value: Callable[..., Array]
    vjps: tuple[Callable[..., Array], ...]
    jvps: tuple[Callable[..., Array], ...]
    text: str
    latex: str
    adjoint: tuple[str, ...]
    elementwise: bool = False  # with numpy broadcasting between the inputs

    def __repr__(self) -> str:
        return f"ArrayPrimitive({self.name!r})"

    def vjp(self, g: Array, args: Sequence[Array], out: Array,
            needed: Sequence[bool] | None = None) -> tuple[Tangent, ...]:
        """One cotangent per input, ``None`` where ``needed`` says it is not wanted."""
        needed = (True,) * len(args) if needed is None else needed
        return tuple(f(g, args, out) if n else None for f, n in zip(self.vjps, needed, strict=True))

    def jvp(self, args: Sequence[Array], tangents: Sequence[Tangent], out: Array) -> Array:
        """The output tangent; ``None`` tangents are constants (at least one input has a tangent)."""
        terms = [f(args, t, out) for f, t in zip(self.jvps, tangents, strict=True) if t is not None]
        total = functools.reduce(operator.add, terms)
        return total if np.shape(total) == np.shape(out) else np.broadcast_to(total, np.shape(out))


def elementwise(name: str, value: Callable[..., Array], partials: Sequence[Callable[..., Any]],
                latex: str, text: str | None = None) -> ArrayPrimitive:
    """An element-wise array primitive from partial rules written as the scalar table writes them."""

    def vjp(d: Callable[..., Any], j: int) -> Callable[..., Array]:
        return lambda g, args, out: unbroadcast(g * d(ARRAYS, out, *args), np.shape(args[j]))

    def jvp(d: Callable[..., Any]) -> Callable[..., Array]:
        return lambda args, t, out: d(ARRAYS, out, *args) * t

    names = [var(f"{{{j}}}") for j in range(len(partials))]  # placeholders: rules print as templates
    adjoint = tuple(to_text(make("mul", var("{ob}"), d(EXPRESSIONS, var("{out}"), *names)), mul=" ⊙ ")
                    for d in partials)
    if len(partials) == 1 and latex.startswith("\\") and latex.endswith("{0}"):  # \sigma{0}: \sigma(z)
        latex = latex[:-3] + r"\left({0}\right)"
    latex = latex.replace(r"\cdot", r"\odot")  # on arrays a product is element-wise
    return ArrayPrimitive(name, value, tuple(vjp(d, j) for j, d in enumerate(partials)),
                          tuple(jvp(d) for d in partials), text or to_text(Expr(name, tuple(names))),
                          latex, adjoint, elementwise=True)


#: ∂ logaddexp(a, b)/∂a = e^(a - out) = σ(a - b), and σ(b - a) for b: the table's stable sigmoid of a
#: difference, so no exponential of a large argument (exactly 1/2 each at (1000, 1000)).
LOGADDEXP_PARTIALS = (lambda B, o, a, b: B.sigmoid(B.sub(a, b)), lambda B, o, a, b: B.sigmoid(B.sub(b, a)))


ARRAY_PRIMITIVES: dict[str, ArrayPrimitive] = {
    **{p.name: elementwise(p.name, p.array, p.partials, p.latex) for p in PRIMITIVES.values()},
    "logaddexp": elementwise("logaddexp", np.logaddexp, LOGADDEXP_PARTIALS,
                             r"\log\left(e^{{{0}}} + e^{{{1}}}\right)", "logaddexp({0}, {1})"),
    # softplus(z) = log(1 + e^z) = logaddexp(0, z): its rule is logaddexp's for b, at a = 0 (σ(z)).
    "softplus": elementwise("softplus", functools.partial(np.logaddexp, 0.0),
                            (lambda B, o, z: LOGADDEXP_PARTIALS[1](B, o, 0.0, z),),
                            r"\log\left(1 + e^{{{0}}}\right)", "softplus({0})"),
    "matvec": ArrayPrimitive(
        "matvec", np.matmul,
        (lambda g, a, o: np.outer(g, a[1]), lambda g, a, o: a[0].T @ g),
        (lambda a, t, o: t @ a[1], lambda a, t, o: a[0] @ t),
        "{0} @ {1}", r"{0}\,{1}", ("{ob} {1}ᵀ", "{0}ᵀ {ob}")),
    "dot": ArrayPrimitive(
        "dot", np.dot,
        (lambda g, a, o: g * a[1], lambda g, a, o: g * a[0]),
        (lambda a, t, o: t @ a[1], lambda a, t, o: a[0] @ t),
        "dot({0}, {1})", r"{0}^\top {1}", ("{ob} {1}", "{ob} {0}")),
    "sum": ArrayPrimitive(
        "sum", np.sum, (lambda g, a, o: np.broadcast_to(g, np.shape(a[0])),), (lambda a, t, o: np.sum(t),),
        "sum({0})", r"\sum_i {0}_i", ("{ob} · 1",)),
    "mean": ArrayPrimitive(
        "mean", np.mean, (lambda g, a, o: np.broadcast_to(g / np.size(a[0]), np.shape(a[0])),),
        (lambda a, t, o: np.mean(t),), "mean({0})", r"\frac{{1}}{{n}} \sum_i {0}_i", ("{ob} · 1/{n}",)),
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
        bars: dict[str, Array] = {self.output: np.broadcast_to(np.asarray(out_bar, np.float64), np.shape(out))}
        trace = AdjointTrace()
        for i in range(len(self.equations), 0, -1):
            eq = self.equations[i - 1]
            g = bars.get(eq.out)
            needed = tuple(a in active for a in eq.args)
            if g is None or not any(needed):
                continue
            args = tuple(vals[a] for a in eq.args)
            cotangents = ARRAY_PRIMITIVES[eq.prim].vjp(g, args, vals[eq.out], needed)
            for k, (name, c) in enumerate(zip(eq.args, cotangents, strict=True)):
                if c is None:
                    continue
                prev = bars.get(name)
                # += : add to what is there, never overwrite. Out of place, because a cotangent may
                # be shared (add hands g to both inputs) or be a read-only broadcast view.
                bars[name] = c if prev is None else prev + c
                if record:
                    trace.append(self._row(len(trace) + 1, i, eq, k, args, vals[eq.out], bars[name]))
        grads = {v: np.array(bars[v], dtype=np.float64) if v in bars else np.zeros(np.shape(vals[v])) for v in wrt}
        return grads, trace

    def _row(
        self, step: int, i: int, eq: Equation, k: int, args: tuple[Array, ...], out: Array, bar: Array
    ) -> AdjointRow:
        prim = ARRAY_PRIMITIVES[eq.prim]
        names = [_DISPLAY.get(a, a) for a in eq.args]
        rhs = prim.adjoint[k].format(*names, ob=_bar(eq.out), out=_DISPLAY.get(eq.out, eq.out), n=np.size(args[0]))
        if prim.elementwise and np.shape(args[k]) != np.shape(out):
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
        vals = {name: np.asarray(env[name], dtype=np.float64) for name in self.inputs} if primals is None else primals
        tans: dict[str, Array] = {}
        for name, t in tangents.items():
            if name not in self.inputs:
                raise ValueError(f"tangent given for {name!r}, which is not an input")
            tans[name] = np.asarray(t, dtype=np.float64)
            if tans[name].shape != np.shape(vals[name]):
                raise ValueError(f"tangent of {name!r} has shape {tans[name].shape}, not {np.shape(vals[name])}")
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
            latex = f"{_LATEX.get(eq.out, eq.out)} = " + prim.latex.format(*(_LATEX.get(a, a) for a in eq.args))
            rows.append({"i": i, "out": eq.out, "definition": f"{eq.out} = " + prim.text.format(*eq.args),
                         "latex": latex})
        return pd.DataFrame(rows, columns=["i", "out", "definition", "latex"])

    def primal_frame(self, env: Mapping[str, Array]) -> pd.DataFrame:
        """Every primal value: name, where it is defined, shape, norm and first entries."""
        rows = []
        for name, value in self.evaluate(env).items():
            norm, head = _summary(value)
            defined = "input" if self._order[name] == 0 else f"equation {self._order[name]}"
            rows.append({"name": name, "defined": defined, "shape": np.shape(value), "norm": norm, "head": head})
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
        return self.X.T @ (ARRAYS.sigmoid(self.X @ w) - self.y) / self.N

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
    y = (rng.random(N) < ARRAYS.sigmoid(X @ w_true)).astype(np.float64)
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


def timing_vs_d(ds: Sequence[int], N: int = 1000, repeats: int = 5, seed: int = 0) -> pd.DataFrame:
    """Median time of each gradient method on logistic regression for each dimension in ``ds``.

    Timed side by side by :func:`diffzoo.timing.interleaved`; ``evaluations`` counts the program
    evaluations each method makes (1 sweep, d passes, 2d evaluations, 1).
    """
    rows = []
    for d in ds:
        model = logistic_regression(N, d, seed)
        w = np.random.default_rng(seed + 1).standard_normal(d) / np.sqrt(d)
        methods = {
            "reverse (1 sweep)": (functools.partial(model.loss_and_grad, w), 1),
            "forward (d passes)": (functools.partial(model.grad_forward, w), d),
            "central differences (2d evals)": (functools.partial(model.grad_central, w), 2 * d),
            "loss only": (functools.partial(model.loss, w), 1),
        }
        seconds = timing.interleaved({name: f for name, (f, _) in methods.items()}, repeats)
        rows += [{"d": d, "method": name, "seconds": median(seconds[name]), "evaluations": n}
                 for name, (_, n) in methods.items()]
    return pd.DataFrame(rows, columns=["d", "method", "seconds", "evaluations"])

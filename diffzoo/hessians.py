"""Second derivatives five ways: the Hessian ∇²f of a scalar function, and Hessian-vector products.

The idea: a derivative program is a Wengert list like any other, so differentiating it again is the
same transformation applied twice. ``transforms.gradient_of(wl)`` is the gradient program G (the
adjoint program with ȳ = 1 written in); its tangent program ``transforms.jvp_of(G)`` computes
H·v in one pass (forward-over-reverse), its adjoint program ``transforms.vjp_of(G)`` a row of H in
one sweep (reverse-over-reverse). Forward-over-forward nests two tagged dual numbers
(``backends.Dual``) in one pass per pair of inputs, n(n+1)/2 passes by symmetry; symbolic
differentiation derives the derivative expressions once more; numeric differentiation takes
second differences at a step per input chosen from the error model (truncation h²|f''''|/12,
rounding 4ε_f/h²), whose fourth derivatives come exactly from nested forward mode.

``hessian(f, at, method)`` returns a :class:`HessianResult` (value, gradient, ``.hessian``, cost,
a trace, warnings); ``hessian(f)`` returns a compiled function of the point, n forward-over-reverse
HVPs through generated code; ``hvp(f, at, v)`` is one of them. ``hessian_reference`` is the Hessian
from 50-digit arithmetic and ``compare_hessians`` puts the methods side by side against it.

Costs count what each method does: ``passes`` (tangent passes, adjoint sweeps or nested-dual passes
over a list), ``primitive_evals`` (steps walked, k per walk of f's list), ``derivative_evals``
(partial-derivative rules applied at the steps of a list; a rule applied to a dual number
differentiates itself on the way, which is not counted again) and ``function_evals`` (walks of f
or of a program derived from it, on floats or on dual numbers).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np
import pandas as pd

from . import compile as compile_
from . import forward, functions, numeric, reverse, symbolic, transforms
from .api import Cost, PointError, Trace, as_function, as_point
from .backends import Dual, apply, split_dual
from .caveats import LOST, UNIT, kinks, no_derivative, rounding, rounding_noise
from .compare import high_precision, max_relative_error
from .errors import EvaluationError, LimitError
from .expr import Expr, latex_name, nodes, share
from .fmt import short
from .higher import derivatives_along
from .parse import Function
from .timing import interleaved
from .traces import BAR, Row, TraceTable, adjoint_table, primal_table, seed_label, tangent_table
from .wengert import WengertList, vname

HESSIAN_METHODS = ("symbolic", "numeric", "forward-over-forward", "forward-over-reverse", "reverse-over-reverse")
#: The methods whose Hessian is exact up to rounding (numeric differences have an error model instead).
EXACT = ("symbolic", "forward-over-forward", "forward-over-reverse", "reverse-over-reverse")


class VectorFunctionError(ValueError):
    """A Hessian was asked of a function with more than one output."""


# --- names -----------------------------------------------------------------------------------------


def _output(wl: WengertList) -> str:
    return wl.output_names()[0]


def label(wl: WengertList, i: int, j: int) -> str:
    """``∂²y/∂x1²`` or ``∂²y/∂x1∂x2``: the entry (i, j) of the Hessian, inputs in the list's order."""
    y, a, b = _output(wl), wl.inputs[i], wl.inputs[j]
    return f"∂²{y}/∂{a}²" if i == j else f"∂²{y}/∂{a}∂{b}"


def label_latex(wl: WengertList, i: int, j: int) -> str:
    y, a, b = latex_name(_output(wl)), latex_name(wl.inputs[i]), latex_name(wl.inputs[j])
    bottom = rf"\partial {a}^{{2}}" if i == j else rf"\partial {a} \, \partial {b}"
    return rf"\frac{{\partial^{{2}} {y}}}{{{bottom}}}"


def _pairs(n: int) -> list[tuple[int, int]]:
    """The entries on and above the diagonal, row by row: what symmetry leaves to compute."""
    return [(i, j) for i in range(n) for j in range(i, n)]


# --- the result ------------------------------------------------------------------------------------


@dataclass
class HessianResult:
    """What every Hessian method returns (as :class:`~diffzoo.api.Result` does for first derivatives)."""

    method: str
    function: Function
    x: list[float]  # the point, in the function's variable order
    value: float  # f(x)
    gradient: dict[str, float]  # ∂f/∂x_i by name, as the method computed it
    hessian: np.ndarray  # n x n
    trace: Any
    cost: Cost
    details: dict[str, Any] = field(default_factory=dict)
    #: The sentences of :attr:`warnings`, or a function that finds them when they are first read.
    caveats: list[str] | Callable[[], list[str]] = field(default_factory=list, repr=False)

    @property
    def point(self) -> dict[str, float]:
        return dict(zip(self.function.variables, self.x))

    @property
    def warnings(self) -> list[str]:
        """What the numbers alone would not say: a kink at the point (the Hessian is then a convention),
        digits lost to cancellation or to rounding, a numeric step that could not be trusted."""
        if callable(self.caveats):
            self.caveats = list(self.caveats())
        return self.caveats

    @property
    def symmetric_gap(self) -> float:
        """max |H - Hᵀ| relative to max |H|: the rounding residue of methods that compute both triangles."""
        H = self.hessian
        scale = float(np.max(np.abs(H))) if H.size else 0.0
        return float(np.max(np.abs(H - H.T))) / scale if scale > 0 else 0.0


# --- reading the function and the point -------------------------------------------------------------


def _scalar(f: Function | str, variables: Sequence[str] | None) -> Function:
    function = as_function(f, variables)
    if function.m != 1:
        raise VectorFunctionError(
            f"a Hessian needs a scalar function; this one has {function.m} outputs ({function}): "
            "take its outputs one at a time")
    return function


def _method(method: str) -> str:
    if method not in HESSIAN_METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(HESSIAN_METHODS)}")
    return method


# --- the gradient program and its derivatives, interpreted -------------------------------------------


def gradient_values(wl: WengertList, x: Sequence[float]) -> list[float]:
    """Every value of the gradient program G at ``x`` (f's own steps first, then the adjoints).

    f's failures are named by f's own steps; a partial that does not exist is named in f's terms by
    the adjoint sweep, as reverse mode names it.
    """
    vals = wl.evaluate(list(x))
    G = transforms.gradient_of(wl)
    try:
        return G.extend((), vals)
    except EvaluationError as exc:
        reverse.input_adjoints(wl, vals, [1.0])  # raises the precise error in f's own terms
        raise EvaluationError(f"the gradient has no value here: {exc.message}",
                              f"{exc.step} (a step of the gradient program)", exc.index) from None


def _second(exc: EvaluationError) -> EvaluationError:
    return EvaluationError(f"the second derivative has no value here: {exc.message}",
                           f"{exc.step} (a step of the gradient program)" if exc.step else "", exc.index)


def _hvp_values(G: WengertList, gv: list[float], v: Sequence[float]) -> list[float]:
    """(∇f·v, H v) by the tangent program of G after its values ``gv``: one forward pass over G."""
    try:
        return forward.output_jvp(G, gv, list(v))
    except EvaluationError as exc:
        raise _second(exc) from None


def _row_program(G: WengertList) -> WengertList:
    """The adjoint program of G with weights on its gradient outputs only (f's own output unweighted)."""
    return transforms.vjp_of(G, [False] + [True] * (G.m - 1))


def _row_values(G: WengertList, gv: list[float], w: Sequence[float]) -> list[float]:
    """All values of the adjoint program of G weighted by ``w`` (one per gradient output), a 0 appended."""
    d = _row_program(G)
    try:
        out = transforms.run(d, [float(v) for v in w], gv)
    except EvaluationError as exc:
        raise _second(exc) from None
    out.append(0.0)
    return out


# --- compiled: the HVP program as generated code -----------------------------------------------------


def hvp_code(wl: WengertList) -> compile_.Compiled:
    """The compiled HVP program ``jvp(gradient_of(wl))``: inputs (v, x), outputs (f, ∇f, ∇f·v, H v).

    Where the generated code meets a value that is not finite, the interpreter answers (the same floats)
    or raises its precise error.
    """
    G = transforms.gradient_of(wl)
    n = wl.n

    def fallback(xs: list[float]) -> list[float]:
        gv = gradient_values(wl, xs[n:])
        return G.output_values(gv) + _hvp_values(G, gv, xs[:n])

    return compile_.compiled(transforms.jvp_of(G), fallback)


def hvp(f: Function | str, at: Any = None, v: Any = None, *, variables: Sequence[str] | None = None) -> Any:
    """H(at)·v by one compiled forward-over-reverse pass (a list, or a dict for a dict point).

    ``hvp(f)`` returns the function ``(at, v) -> H(at) v`` instead, compiled once.
    """
    function = _scalar(f, variables)
    wl, names = function.wengert, list(function.variables)
    n = wl.n
    code = hvp_code(wl)

    def product(point: Any, direction: Any) -> Any:
        x = functions.floats(point, names)
        d = functions.floats(direction, names, "direction")
        out = code.finite(d + x)
        return functions._shaped(out[n + 2:], point, names)

    product.__doc__ = f"H v for {function} at a point (list, dict or array of {', '.join(names)}) and a direction v."
    if at is None and v is None:
        return product
    if at is None or v is None:
        raise PointError("give both the point and the direction v, or neither (for the function (at, v) -> H v)")
    return product(at, v)


def _compiled_hessian(function: Function) -> Callable[[Any], np.ndarray]:
    wl, names = function.wengert, list(function.variables)
    n = wl.n
    code = hvp_code(wl)

    def H(point: Any) -> np.ndarray:
        x = functions.floats(point, names)
        out = np.zeros((n, n))
        for i in range(n):
            out[:, i] = code.finite(transforms.unit(n, i) + x)[n + 2:]
        return out

    H.__doc__ = f"The Hessian of {function} at a point (list, dict or array of {', '.join(names)}): n compiled HVPs."
    return H


# --- the methods ----------------------------------------------------------------------------------


def hessian(f: Function | str, at: Any = None, method: str = "forward-over-reverse", *,
            variables: Sequence[str] | None = None, eps: float | None = None) -> Any:
    """The Hessian of a scalar function at ``at`` by ``method`` (one of :data:`HESSIAN_METHODS`).

    With a point, a :class:`HessianResult`; without one, a compiled function ``point -> n x n array``
    (n forward-over-reverse HVPs through generated code, as ``grad(f)`` is compiled). ``eps`` fixes the
    numeric method's relative step (h = eps max(|x_i|, 0.1)) instead of choosing one per input.
    """
    function = _scalar(f, variables)
    _method(method)
    if at is None:
        if method != "forward-over-reverse" or eps is not None:
            raise ValueError("without a point, hessian(f) is the compiled forward-over-reverse function of the point; "
                             f"give a point to use the {method} method" + (" and its step" if eps is not None else ""))
        return _compiled_hessian(function)
    x = as_point(function, at)
    if eps is not None and method != "numeric":
        raise ValueError("eps is the numeric method's step; the other methods take none")
    run = {"symbolic": _symbolic, "forward-over-forward": _forward_forward,
           "forward-over-reverse": _forward_reverse, "reverse-over-reverse": _reverse_reverse}
    if method == "numeric":
        return _numeric(function, x, eps)
    return run[method](function, x)


def _names(wl: WengertList, values: Sequence[float]) -> dict[str, float]:
    return {v: float(g) for v, g in zip(wl.inputs, values)}


def _ad_caveats(wl: WengertList, x: list[float], H: np.ndarray) -> Callable[[], list[str]]:
    def find() -> list[str]:
        gv = gradient_values(wl, x)
        return second_kinks(wl, x, H) + cancellation(wl, gv, H)

    return find


def _forward_reverse(function: Function, x: list[float]) -> HessianResult:
    """n tangent passes over the gradient program: column i of H is the tangent of ∇f along e_i."""
    wl = function.wengert
    n, k = wl.n, len(wl.steps)
    G = transforms.gradient_of(wl)
    gv = gradient_values(wl, x)
    H = np.zeros((n, n))
    for i in range(n):
        H[:, i] = _hvp_values(G, gv, transforms.unit(n, i))[1:]
    out = G.output_values(gv)
    cost = Cost(n, k, wl.partial_count + n * G.partial_count, 1)
    return HessianResult("forward-over-reverse", function, x, float(out[0]), _names(wl, out[1:]), H,
                         HVPTrace(wl, x, transforms.unit_vectors(n), gv), cost,
                         {"program": transforms.jvp_of(G), "gradient program": G,
                          "how": "one run of the gradient program, then one tangent pass over it per input (H e_i)"},
                         caveats=_ad_caveats(wl, x, H))


def _reverse_reverse(function: Function, x: list[float]) -> HessianResult:
    """n adjoint sweeps over the gradient program: row i of H is the adjoint of x for the weight e_i on ∇f."""
    wl = function.wengert
    n, k = wl.n, len(wl.steps)
    G = transforms.gradient_of(wl)
    gv = gradient_values(wl, x)
    d = _row_program(G)
    pick = transforms.picker(d, range(1 - n, 1))
    H = np.zeros((n, n))
    for i in range(n):
        H[i, :] = pick(_row_values(G, gv, transforms.unit(n, i)))
    out = G.output_values(gv)
    rules = sum(1 for u in d.derivation.updates if u.source is not None)
    cost = Cost(n, k, wl.partial_count + n * rules, 1)
    return HessianResult("reverse-over-reverse", function, x, float(out[0]), _names(wl, out[1:]), H,
                         SecondAdjointTrace(wl, x, transforms.unit_vectors(n), gv), cost,
                         {"program": d, "gradient program": G,
                          "how": "one run of the gradient program, then one adjoint sweep over it per input (e_iᵀ H)"},
                         caveats=_ad_caveats(wl, x, H))


# forward over forward: two tags, one pass per pair

def dual_walk(wl: WengertList, point: Sequence[Any]) -> list[Any]:
    """The outputs of ``wl`` at a point of floats or (nested) tagged dual numbers, step by step.

    The walk of ``forward.function_of``, except that a step whose derivative has no value (a domain
    error of a partial rule on dual numbers) is named, and a part that is not finite is refused.
    """
    off = wl.n - 1
    vals = list(point)
    for st in wl.steps:
        args = [vals[a + off] if isinstance(a, int) else a.value for a in st.args]
        try:
            v = apply(st.prim.name, *args)
        except (ValueError, ArithmeticError):
            v = math.nan
        if not all(math.isfinite(p) for p in _parts(v)):
            raise EvaluationError("a derivative of this step is not finite or does not exist here (nested dual "
                                  "numbers)", f"{vname(st.index)} = {wl.definition(st)}", st.index)
        vals.append(v)
    return [vals[o + off] if isinstance(o, int) else o.value for o in wl.outputs]


def _parts(v: Any) -> list[float]:
    if isinstance(v, Dual):
        return _parts(v.primal) + _parts(v.tangent)
    return [float(v)]


def _moves(wl: WengertList) -> list[int]:
    """For each active step and variable argument, the inputs that argument depends on (a bit mask)."""
    off = wl.n - 1
    deps = [1 << i for i in range(wl.n)]
    masks = []
    for st in wl.steps:
        ms = [deps[a + off] if isinstance(a, int) else 0 for a in st.args]
        deps.append(0 if not st.active else (ms[0] | (ms[1] if len(ms) > 1 else 0)))
        if st.active:
            masks += [m for m, a in zip(ms, st.args) if isinstance(a, int)]
    return masks


def _rules_along(masks: list[int], i: int) -> int:
    """Partial rules a pass along input i applies: one per step argument that depends on x_i."""
    bit = 1 << i
    return sum(1 for m in masks if m & bit)


def _forward_forward(function: Function, x: list[float]) -> HessianResult:
    """One pass per pair i <= j with x_i + ε_a and x_j + ε_b (two tags): the ε_a ε_b part is ∂²f/∂x_i∂x_j."""
    wl = function.wengert
    n, k = wl.n, len(wl.steps)
    wl.evaluate(x)  # f's own failures, named by f's steps
    H = np.zeros((n, n))
    grad = [math.nan] * n
    value = math.nan
    masks = _moves(wl)
    rules = 0
    for i, j in _pairs(n):
        ta, tb = next(forward._tags), next(forward._tags)  # tb > ta: the outer perturbation
        p: list[Any] = list(x)
        if i == j:
            p[i] = Dual(Dual(x[i], 1.0, ta), 1.0, tb)
        else:
            p[i], p[j] = Dual(x[i], 1.0, ta), Dual(x[j], 1.0, tb)
        try:
            y = dual_walk(wl, p)[0]
        except EvaluationError as exc:
            raise _second_dual(exc, wl, i, j) from None
        yb, tangent = split_dual(y, tb)  # f + ε_a ∂f/∂x_i, and ∂f/∂x_j + ε_a ∂²f/∂x_i∂x_j
        grad[j], h = (float(v) for v in split_dual(tangent, ta))
        value, gi = (float(v) for v in split_dual(yb, ta))
        grad[i] = gi
        H[i, j] = H[j, i] = h
        rules += _rules_along(masks, i) + _rules_along(masks, j)
    if n == 0:
        value = float(wl(*x))
    passes = len(_pairs(n))
    cost = Cost(passes, passes * k, rules, passes)
    return HessianResult("forward-over-forward", function, x, value, _names(wl, grad), H,
                         NestedDualTrace(wl, x, H), cost,
                         {"how": "one pass of nested dual numbers per pair i <= j (n(n+1)/2 passes): x_i + ε_a, "
                                 "x_j + ε_b, and the ε_a ε_b part of f is ∂²f/∂x_i∂x_j"},
                         caveats=_ad_caveats(wl, x, H))


def _second_dual(exc: EvaluationError, wl: WengertList, i: int, j: int) -> EvaluationError:
    return EvaluationError(f"{label(wl, i, j)} has no value here: {exc.message}", exc.step, exc.index)


# symbolic: the derivative expressions derived again

def second_exprs(function: Function) -> tuple[list[Expr], dict[tuple[int, int], Expr]]:
    """The gradient expressions and the second-derivative expressions on and above the diagonal.

    Raises :class:`LimitError` up front where that would be too much work for an interactive answer.
    """
    grads = symbolic.jacobian_exprs(function.outputs, function.variables)[0] if function.n else []
    n = function.n
    entries = n * (n + 1) // 2
    if entries > symbolic.MAX_ENTRIES:
        raise LimitError(f"symbolic differentiation would build {entries:,} second derivatives ({n} variables; at "
                         f"most {symbolic.MAX_ENTRIES}); use forward-over-reverse, whose cost is n passes")
    grads = share(grads)
    size = sum(1 for _ in nodes(grads))
    if size * n > symbolic.MAX_WORK:
        raise LimitError(f"symbolic differentiation would walk {size:,} operations of the gradient once per variable "
                         f"({n} variables; at most {symbolic.MAX_WORK:,} steps in all); use forward-over-reverse")
    second: dict[tuple[int, int], Expr] = {}
    for j, v in enumerate(function.variables):
        for i, e in enumerate(symbolic.derive_all(grads[: j + 1], v)):
            second[(i, j)] = e
    return grads, second


def _symbolic(function: Function, x: list[float]) -> HessianResult:
    wl = function.wengert
    n, k = wl.n, len(wl.steps)
    vals = wl.evaluate(x)
    grads, second = second_exprs(function)
    pairs = _pairs(n)
    flat = [second[p] for p in pairs] + list(grads)
    H = np.zeros((n, n))
    g = [0.0] * n
    dl = WengertList.from_exprs(flat, function.variables) if flat else None
    dvals: list[float] = []
    if dl is not None:
        dvals = symbolic.evaluate(dl, x)
        out = dl.output_values(dvals)
        for (i, j), v in zip(pairs, out):
            H[i, j] = H[j, i] = v
        g = out[len(pairs):]
    labels = [label(wl, i, j) for i, j in pairs] + [f"∂{_output(wl)}/∂{v}" for v in wl.inputs]

    def found() -> list[str]:
        out = second_kinks(wl, x, H) if wl.kink_steps else []
        return out + (rounding(dl, dvals, labels) if dl is not None else [])

    cost = Cost(0, k, len(dl.steps) if dl is not None else 0, 1)
    return HessianResult("symbolic", function, x, float(wl.output_values(vals)[0]), _names(wl, g), H,
                         SymbolicHessianTrace(wl, grads, second, H), cost,
                         {"expressions": second, "gradient expressions": grads,
                          "how": "the gradient's expressions derived once more (entries on and above the diagonal), "
                                 "then evaluated in floats"},
                         caveats=found)


# numeric: second differences, a step per input from the error model

#: Rounds of the check: the chosen step, then ten times smaller each round, before an entry is called untrusted.
MAX_ROUNDS = 4


def fourth_derivatives(wl: WengertList, x: Sequence[float], i: int) -> list[float]:
    """(∂⁴f/∂x_i³∂x_j)_j at ``x``: the third derivative of ∇f along input i, exactly, by three nested tagged
    dual numbers over the gradient program (one walk). Entry i is f'''' along the axis; nan where a
    derivative on the way does not exist."""
    G = transforms.gradient_of(wl)
    n = wl.n

    def along(t: Any) -> list[Any]:
        p: list[Any] = list(x)
        p[i] = t
        return dual_walk(G, p)[1:]

    def d(fn: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
        def df(t: Any) -> list[Any]:
            tag = next(forward._tags)
            return [split_dual(y, tag)[1] for y in fn(Dual(t, 1.0, tag))]

        return df

    try:
        return [float(v) for v in d(d(d(along)))(float(x[i]))]
    except (EvaluationError, ValueError, ArithmeticError, TypeError):
        return [math.nan] * n


@dataclass(frozen=True)
class EntryEstimate:
    """One entry of the numeric Hessian: the estimate, the steps, the error model and how far to trust it."""

    i: int
    j: int
    value: float
    h: tuple[float, float]  # the steps in x_i and x_j
    truncation: float  # the model's truncation error at these steps (nan for a given step)
    rounding: float  # the model's rounding error: 4 ε_f / h² on the diagonal, ε_f / (h_i h_j) off it
    error: float  # the error to expect: the model's, or what the check measured where truncation showed; inf untrusted
    evals: int  # evaluations of f made for this entry (the check's included)
    trusted: bool
    warnings: tuple[str, ...] = ()


class _Stencil:
    """f at points near x, each evaluated once (a shared cache), with the evaluations counted."""

    def __init__(self, wl: WengertList, x: list[float], f0: float):
        self.wl, self.x = wl, x
        self.cache: dict[tuple[float, ...], float] = {tuple(x): f0}
        self.evals = 0

    def at(self, moves: Sequence[tuple[int, float]], why: str) -> float:
        p = list(self.x)
        for i, dx in moves:
            p[i] = self.x[i] + dx
        key = tuple(p)
        if key not in self.cache:
            try:
                self.cache[key] = float(self.wl.output_values(self.wl.evaluate(p))[0])
            except EvaluationError as exc:
                shown = ", ".join(f"{self.wl.inputs[i]} {'+' if dx > 0 else '-'} {abs(dx):.3g}" for i, dx in moves)
                raise EvaluationError(f"{why} need f at ({shown}), where {exc.message}", exc.step) from None
            self.evals += 1
        return self.cache[key]

    def difference(self, i: int, j: int, hi: float, hj: float) -> float:
        """(f(x+h) - 2 f(x) + f(x-h)) / h² on the diagonal, the 4-point mixed formula off it."""
        why = "second differences"
        with np.errstate(all="ignore"):
            if i == j:
                up, down, f0 = self.at([(i, hi)], why), self.at([(i, -hi)], why), self.cache[tuple(self.x)]
                return float(np.float64((up - f0) + (down - f0)) / (hi * hi))
            pp, pm = self.at([(i, hi), (j, hj)], why), self.at([(i, hi), (j, -hj)], why)
            mp, mm = self.at([(i, -hi), (j, hj)], why), self.at([(i, -hi), (j, -hj)], why)
            return float(np.float64((pp - pm) - (mp - mm)) / (4 * hi * hj))


def _noise(wl: WengertList, vals: list[float], f0: float, accumulate: bool) -> float:
    """ε_f: the rounding noise of f at x (caveats.rounding_noise), at least a quarter ulp of f."""
    return max(float(rounding_noise(wl, vals, accumulate)[0]), math.ulp(abs(f0)) / 4, 2.0**-1074)


def _model(i: int, j: int, hi: float, hj: float, eps_f: float, c: Sequence[Sequence[float]] | None
           ) -> tuple[float, float]:
    """(truncation, rounding) of a second difference: h²|f''''|/12 and 4ε_f/h² on the diagonal;
    (h_i²|f_iiij| + h_j²|f_ijjj|)/6 and ε_f/(h_i h_j) for the 4-point mixed formula."""
    if i == j:
        trunc = hi * hi * abs(c[i][i]) / 12 if c is not None else math.nan
        return trunc, 4 * eps_f / (hi * hi)
    trunc = (hi * hi * abs(c[i][j]) + hj * hj * abs(c[j][i])) / 6 if c is not None else math.nan
    return trunc, eps_f / (hi * hj)


#: At most this many rounds of measuring the noise of f where the steps reach (:func:`_numeric`); from no noise at
#: all (f = 0 at x) the step grows as a fourth root each round: 1e-81, 1e-25, 1e-10, 1e-6, 1e-5.
MAX_NOISE_ROUNDS = 12


def chosen_step(x: float, fourth: float, eps_f: float) -> float:
    """h = (48 ε_f / |f''''|)^(1/4), where truncation h²|f''''|/12 and rounding 4ε_f/h² balance, at most a tenth
    of max(|x|, 1) (where no fourth derivative shows), made representable."""
    cap = 0.1 * max(abs(x), 1.0)
    if math.isfinite(fourth) and fourth > 0:
        h = min(cap, (48 * eps_f / fourth) ** 0.25)
    elif math.isfinite(fourth):
        h = cap
    else:  # the model has no fourth derivative: the textbook step for a function of size 1
        h = numeric._EPS64 ** 0.25 * max(abs(x), 0.1)
    return numeric.step(x, max(h, 4 * math.ulp(x)), relative=False)


def _scale(f0: float, x: list[float], i: int, j: int, value: float) -> float:
    """What an error is measured against: the estimate, or where it is 0, |f| / (max(|x_i|,1) max(|x_j|,1)), or 1."""
    if value != 0 and math.isfinite(value):
        return abs(value)
    s = abs(f0) / (max(abs(x[i]), 1.0) * max(abs(x[j]), 1.0))
    return s if s > 0 else 1.0


def _checked_entry(wl: WengertList, st: _Stencil, i: int, j: int, hi: float, hj: float, eps_acc: float,
                   eps_f: float, c: Sequence[Sequence[float]]) -> EntryEstimate:
    """The entry at the chosen steps, checked against the estimate at half the steps (as numeric.estimate
    checks a first difference); where the check fails, the steps ten times smaller, up to MAX_ROUNDS."""
    x, f0 = st.x, st.cache[tuple(st.x)]
    name = label(wl, i, j)
    before = st.evals
    tried: list[float] = []
    best: tuple[float, float, float, float, float] | None = None  # (ratio, value, hi, hj, implied error)
    left: EvaluationError | None = None
    for _ in range(MAX_ROUNDS):
        half = (numeric.step(x[i], hi / 2, relative=False), numeric.step(x[j], hj / 2, relative=False))
        if x[i] + half[0] / 2 == x[i] or x[j] + half[1] / 2 == x[j]:
            break
        tried.append(hi)
        try:
            d0 = st.difference(i, j, hi, hj)
            d1 = st.difference(i, j, *half)
        except EvaluationError as exc:  # the stencil left f's domain: smaller steps may stay inside
            left = exc
            hi, hj = numeric.step(x[i], hi / 10, relative=False), numeric.step(x[j], hj / 10, relative=False)
            continue
        r0, r1 = _model(i, j, hi, hj, eps_acc, None)[1], _model(i, j, *half, eps_acc, None)[1]
        allowed = numeric.TRUST * (r0 + r1) + 4 * math.ulp(max(abs(d0), abs(d1)))
        gap = abs(d0 - d1)
        trunc, rnd = _model(i, j, hi, hj, eps_f, c)
        model = (trunc if math.isfinite(trunc) else 0.0) + rnd
        if gap <= allowed:
            return _passed(wl, i, j, d0, hi, hj, trunc, rnd, model, st.evals - before, f0, x)
        # truncation shows: it must shrink at least as h² does (the gaps h -> h/2 -> h/4 in a ratio of 4 or more;
        # a pole or a jump makes them grow) and what it implies at h must be small
        quarter = (numeric.step(x[i], half[0] / 2, relative=False), numeric.step(x[j], half[1] / 2, relative=False))
        try:
            d2 = st.difference(i, j, *quarter)
        except EvaluationError as exc:
            left = exc
            d2 = math.nan
        gap2 = abs(d1 - d2)
        implied = 4 * gap / 3  # D(h) - H = c h², D(h) - D(h/2) = 3/4 c h²
        ok = gap2 > 0 and gap / gap2 >= 4 / 1.5
        if ok and implied <= numeric.ACCURATE * _scale(f0, x, i, j, d0):
            return _passed(wl, i, j, d0, hi, hj, trunc, rnd, max(model, implied), st.evals - before, f0, x)
        ratio = gap / allowed if allowed > 0 else math.inf
        if math.isfinite(d0) and (best is None or ratio < best[0]):
            best = (ratio, d0, hi, hj, implied)
        hi, hj = numeric.step(x[i], hi / 10, relative=False), numeric.step(x[j], hj / 10, relative=False)
    if best is None:
        if left is not None:
            raise left
        raise EvaluationError(f"no step of second differences is representable for {name}",
                              f"{wl.inputs[i]} = {x[i]:.10g}")
    _, value, hi, hj, _ = best
    trunc, rnd = _model(i, j, hi, hj, eps_f, c)
    msg = (f"No step of second differences could be trusted for {name}: at every step tried (h = {tried[0]:.2g} "
           f"down to {tried[-1]:.2g}) the estimates at h and h/2 disagree by far more than rounding, and not as a "
           "smooth function's would, so f is not smooth at any scale a step can resolve here (a pole, a jump or "
           f"a kink at or beside the point?). The estimate shown, at h = {hi:.2g}, is not to be trusted.")
    return EntryEstimate(i, j, value, (hi, hj), trunc, rnd, math.inf, st.evals - before, False, (msg,))


def _passed(wl: WengertList, i: int, j: int, value: float, hi: float, hj: float, trunc: float, rnd: float,
            error: float, evals: int, f0: float, x: list[float]) -> EntryEstimate:
    return EntryEstimate(i, j, value, (hi, hj), trunc, rnd, error, evals, True,
                         tuple(_few_digits(wl, i, j, value, hi, error, _scale(f0, x, i, j, value))))


def _few_digits(wl: WengertList, i: int, j: int, value: float, h: float, error: float, scale: float) -> list[str]:
    rel = error / scale if scale > 0 else math.inf
    if not rel > numeric.FEW_DIGITS:
        return []
    digits = "no correct digits" if rel >= 1 else f"only about {max(0, int(-math.log10(rel)))} correct digits"
    return [f"At h = {h:.3g} the error model of second differences (truncation and rounding of f) makes "
            f"{label(wl, i, j)} = {short(value)} uncertain by about {error:.1g}: this estimate may have {digits}."]


def _numeric(function: Function, x: list[float], eps: float | None) -> HessianResult:
    wl = function.wengert
    n, k = wl.n, len(wl.steps)
    vals = wl.evaluate(x)
    f0 = float(wl.output_values(vals)[0])
    st = _Stencil(wl, x, f0)
    eps_f = _noise(wl, vals, f0, accumulate=False)
    eps_acc = max(eps_f, _noise(wl, vals, f0, accumulate=True))
    estimates: list[EntryEstimate] = []
    model_walks, model_steps, model_rules = 0, 0, 0
    if eps is None:
        G = transforms.gradient_of(wl)
        c = [fourth_derivatives(wl, x, i) for i in range(n)]  # c[i][j] = ∂⁴f/∂x_i³∂x_j
        masks = _moves(G)
        model_walks, model_steps = n, n * len(G.steps)
        model_rules = sum(3 * _rules_along(masks, i) for i in range(n))
        curvature = []
        for i in range(n):
            mixed = [abs(c[i][j]) for j in range(n) if j != i and math.isfinite(c[i][j])]
            curvature.append(max([abs(c[i][i])] + [2 * m for m in mixed]) if math.isfinite(c[i][i]) else math.nan)
        steps = [chosen_step(x[i], curvature[i], eps_f) for i in range(n)]
        # The noise of f measured at x is not the noise at x ± h where f vanishes at x: x e^x at 0 has none there,
        # so the smallest step was chosen and its second difference, 0 where f'' = 2, passed its check to the bit.
        # Until the steps settle, the noise is at least a quarter ulp of f at the points the steps reach.
        for _ in range(MAX_NOISE_ROUNDS):
            try:
                reached = [abs(st.at([(i, sign * steps[i])], "second differences"))
                           for i in range(n) for sign in (1, -1)]
            except EvaluationError:
                break  # (the checked entries say where f has no value)
            floor = max((math.ulp(v) / 4 for v in reached if math.isfinite(v)), default=0.0)
            if not floor > 2 * eps_f:
                break
            eps_f, eps_acc = floor, max(eps_acc, floor)
            steps = [chosen_step(x[i], curvature[i], eps_f) for i in range(n)]
        for i, j in _pairs(n):
            estimates.append(_checked_entry(wl, st, i, j, steps[i], steps[j], eps_acc, eps_f, c))
    else:
        eps = float(eps)
        if not eps > 0 or not math.isfinite(eps):
            raise ValueError("the step eps must be a positive finite number")
        steps = [numeric.step(xi, eps) for xi in x]
        for i, h in enumerate(steps):
            if x[i] + h == x[i] or x[i] - h == x[i]:
                name = wl.inputs[i]
                raise EvaluationError(f"the step h = {h:.3g} is below the spacing of floats at {name} = {x[i]:.10g} "
                                      f"({math.ulp(x[i]):.3g}): {name} ± h rounds to {name}; use a larger step, or "
                                      "the default one", f"{name} = {x[i]:.10g}")
        for i, j in _pairs(n):
            before = st.evals
            value = st.difference(i, j, steps[i], steps[j])
            _, rnd = _model(i, j, steps[i], steps[j], eps_acc, None)
            warn = _few_digits(wl, i, j, value, steps[i], rnd, _scale(f0, x, i, j, value))
            estimates.append(EntryEstimate(i, j, value, (steps[i], steps[j]), math.nan, rnd, rnd, st.evals - before,
                                           True, tuple(warn)))
    H = np.zeros((n, n))
    errors = np.zeros((n, n))
    for e in estimates:
        H[e.i, e.j] = H[e.j, e.i] = e.value
        errors[e.i, e.j] = errors[e.j, e.i] = e.error
    notes = [w for e in estimates for w in e.warnings]
    try:  # the gradient beside the Hessian, by central differences at their own checked steps
        grad = numeric.jacobian(wl, x, "central", f0=[f0], vals=vals) if n else None
    except EvaluationError as exc:
        grad = None
        notes.append(f"The gradient has no central-difference estimate here: {exc}")
    g = grad.J[0].tolist() if grad is not None else [math.nan] * n
    grad_evals = grad.evals if grad is not None else 0
    float_evals = 1 + st.evals + grad_evals
    cost = Cost(0, k * float_evals + model_steps, model_rules, float_evals + model_walks)
    notes += [f"The gradient (central differences): {w}" for c_ in (grad.columns if grad else []) for w in c_.warnings]

    def found() -> list[str]:
        return (second_kinks(wl, x, H, exact=False) if wl.kink_steps else []) + list(dict.fromkeys(notes))

    return HessianResult("numeric", function, x, f0, _names(wl, g), H, SecondDifferenceTrace(wl, estimates), cost,
                         {"steps": steps, "estimates": estimates, "errors": errors, "given": eps is not None,
                          "evals": {"f at the point": 1, "second differences": st.evals,
                                    "gradient (central differences)": grad_evals,
                                    "step model (walks of the gradient program on nested duals)": model_walks},
                          "how": "second differences at a step per input chosen from the error model, each entry "
                                 "checked against half its steps"},
                         caveats=found)


# --- warnings --------------------------------------------------------------------------------------


def no_second_derivative(wl: WengertList, x: Sequence[float]) -> np.ndarray:
    """Which entries of the Hessian do not exist at ``x`` because of a kink or a jump (n x n booleans).

    An entry (j, i) exists where ∂f/∂x_j exists and its one-sided derivatives along ±e_i agree
    (``forward.directional`` over the gradient program).
    """
    n = wl.n
    missing = np.zeros((n, n), dtype=bool)
    if not wl.kink_steps:
        return missing
    vals = wl.evaluate(list(x))
    first = no_derivative(wl, vals)
    G = transforms.gradient_of(wl)
    gv = G.extend((), vals)
    if any(st.prim.kink(*G.args_of(st, gv)) == 0 for st in G.kink_steps):
        for i in range(n):
            right = forward.directional(G, gv, transforms.unit(n, i))
            left = forward.directional(G, gv, [-v for v in transforms.unit(n, i)])
            for j in range(n):
                r, lt = right[1 + j], left[1 + j]
                missing[j, i] = r is None or lt is None or r != -lt
    for i in range(n):
        if first[0, i]:
            missing[i, :] = missing[:, i] = True
    return missing | missing.T


def second_kinks(wl: WengertList, x: Sequence[float], H: np.ndarray | None = None, exact: bool = True) -> list[str]:
    """Sentences where f, or its gradient, is at a kink: the Hessian shown is then a convention.

    First the first derivative (``caveats.kinks``, f's own one-sided derivatives); then the gradient
    program's kinks (the sign in abs′, the step in relu′): where the one-sided second derivatives differ,
    or (``exact`` methods) agree but differ from ``H``, the rules' convention is what was computed.
    """
    if not wl.kink_steps:
        return []
    vals = wl.evaluate(list(x))
    out = kinks(wl, vals)
    G = transforms.gradient_of(wl)
    try:
        gv = G.extend((), vals)
    except EvaluationError:
        return out
    at_kink = [st for st in G.kink_steps if st.prim.kink(*G.args_of(st, gv)) == 0]
    if not at_kink:
        return out
    n, y = wl.n, _output(wl)
    sides: list[str] = []
    definite = False  # one-sided values that differ (a jump found by the directional sweep may be multiplied by 0)
    for i, xi in enumerate(wl.inputs):
        right = forward.directional(G, gv, transforms.unit(n, i))
        left = forward.directional(G, gv, [-v for v in transforms.unit(n, i)])
        for j, xj in enumerate(wl.inputs):
            r, lt = right[1 + j], left[1 + j]
            if r is None or lt is None:
                sides.append(f"∂{y}/∂{xj} may jump as {xi} crosses this point")
            elif r != -lt or (exact and H is not None and r != H[j, i]):
                entry = f"∂²{y}/∂{xi}²" if i == j else f"∂²{y}/∂{xj}∂{xi}"
                sides.append(f"{entry} is {short(0.0 - lt)} from the left and {short(r)} from the right")
                definite = definite or r != -lt
    if not sides:
        return out
    where = "; ".join(f"{vname(st.index)} = {G.definition(st)} of the gradient program is at its kink "
                      f"({st.prim.kink_text})" for st in at_kink)
    rules = ", ".join(dict.fromkeys(st.prim.convention for st in at_kink))
    shown = ("The value shown comes from the convention " + rules + "." if exact else
             "Second differences straddle the kink there and mix both sides.")
    has = "has no second derivative" if definite else "may have no second derivative"
    return out + [f"{where}: {'; '.join(dict.fromkeys(sides))}, so f {has} there. {shown}"]


def cancellation(wl: WengertList, gv: list[float], H: np.ndarray) -> list[str]:
    """A sentence for each Hessian entry that is what is left after chain-rule terms cancel.

    The size of the terms is the adjoint sweep over the gradient program with every partial in absolute
    value (``reverse.adjoint_bound``): rounding errs by about 2^-53 of it.
    """
    if not np.isfinite(H).all() or not H.size:
        return []
    G = transforms.gradient_of(wl)
    n = wl.n
    scale = float(np.max(np.abs(H))) or 1.0
    out = []
    for j in range(n):
        bound = reverse.adjoint_bound(G, gv, [0.0] + transforms.unit(n, j))
        for i in range(j, n):
            v, b = float(H[j, i]), bound[i]
            if b * UNIT > LOST * (abs(v) if v != 0 else scale):
                out.append(f"{label(wl, j, i)} = {short(v)} is what is left of chain-rule terms as large as "
                           f"{short(b)}, which cancel: rounding them errs by up to about {b * UNIT:.1g}, so this "
                           "figure may have few or no correct digits.")
    return out


# --- traces ----------------------------------------------------------------------------------------


def _renamed(t: TraceTable, last: int, names: Sequence[str], latex: Sequence[str]) -> TraceTable:
    """The table with its ``last`` rows renamed (the outputs a generic table calls y_1, y_2 ...)."""
    if last:
        head, tail = t.rows[:-last], t.rows[-last:]
        t.rows = head + [dataclasses.replace(r, name=a, name_latex=b) for r, a, b in zip(tail, names, latex)]
    return t


def _gradient_names(wl: WengertList) -> tuple[list[str], list[str]]:
    y = _output(wl)
    names = [y] + [f"∂{y}/∂{v}" for v in wl.inputs]
    latex = [latex_name(y)] + [rf"\frac{{\partial {latex_name(y)}}}{{\partial {latex_name(v)}}}" for v in wl.inputs]
    return names, latex


class _GradientProgramTrace(Trace):
    def __init__(self, wl: WengertList, x: Sequence[float], seeds: list[list[float]], gv: list[float] | None = None):
        self.wl, self.x, self.seeds = wl, list(x), seeds
        self.G = transforms.gradient_of(wl)
        self._gv = gv

    @property
    def vals(self) -> list[float]:
        """Every value of the gradient program at the point (f's steps, then the adjoints)."""
        if self._gv is None:
            self._gv = gradient_values(self.wl, self.x)
        return self._gv

    def gradient_program(self) -> TraceTable:
        """The gradient program's primal trace: f's steps, then the reverse sweep's, outputs f and ∇f."""
        t = primal_table(self.G, self.vals)
        t.title = "Gradient program (the reverse sweep with ȳ = 1 written in)"
        return _renamed(t, self.G.m, *_gradient_names(self.wl))


class HVPTrace(_GradientProgramTrace):
    """Forward over reverse: the gradient program, and its tangent trace for each seed (one HVP each)."""

    method = "forward-over-reverse"

    def tangent(self, k: int = 0, brief: bool = False) -> TraceTable:
        """The tangent trace of the gradient program along seed ``k``: its last rows are H·seed."""
        G, wl = self.G, self.wl
        dots = forward.tangent_sweep(G, self.vals, self.seeds[k])
        t = tangent_table(G, self.vals, dots)
        t.title = f"Tangent of the gradient program, seed {seed_label(wl.inputs, self.seeds[k], brief=brief)}"
        y = _output(wl)
        seed = self.seeds[k]
        unit = [i for i, s in enumerate(seed) if s != 0]
        if len(unit) == 1 and seed[unit[0]] == 1:
            i = unit[0]
            names = [f"∂{y}/∂{wl.inputs[i]}"] + [label(wl, min(i, j), max(i, j)) if i != j else label(wl, i, i)
                                                 for j in range(wl.n)]
            latex = [rf"\frac{{\partial {latex_name(y)}}}{{\partial {latex_name(wl.inputs[i])}}}"] + [
                label_latex(wl, min(i, j), max(i, j)) for j in range(wl.n)]
        else:
            names = [f"∇{y}·ẋ"] + [f"(Hẋ)_{v}" for v in wl.inputs]
            latex = [rf"\nabla {latex_name(y)} \cdot \dot{{x}}"] + [rf"(H \dot{{x}})_{{{latex_name(v)}}}"
                                                                   for v in wl.inputs]
        return _renamed(t, G.m, names, latex)

    def code(self) -> str:
        """The HVP program as the Python people read (``compile.shown``), one line per step and tangent."""
        return compile_.shown(transforms.jvp_of(self.G), "hvp")

    def tables(self) -> dict[str, TraceTable]:
        out = {"gradient program": self.gradient_program()}
        for k, seed in enumerate(self.seeds):
            out[f"tangent {seed_label(self.wl.inputs, seed)}"] = self.tangent(k)
        return out


class SecondAdjointTrace(_GradientProgramTrace):
    """Reverse over reverse: the gradient program, and its adjoint trace for each weight on ∇f (a row of H each)."""

    method = "reverse-over-reverse"

    def adjoint(self, k: int = 0, brief: bool = False) -> TraceTable:
        G, wl = self.G, self.wl
        n = wl.n
        w = _row_values(G, self.vals, self.seeds[k])
        d = _row_program(G)
        off = d.n - 1
        weights = [0.0] + list(self.seeds[k])
        updates = []
        for u in d.derivation.updates:
            p = u.partial
            partial = weights[u.arg] if u.source is None else (w[p + off] if isinstance(p, int) else p.value)
            updates.append(reverse.Update(u.target, u.source, u.arg, u.first, partial, w[u.operand + off]))
        bar = list(transforms.picker(d, range(1 - n, len(G.steps) + 1))(w))
        y = _output(wl)
        ybar = [f"{y[0]}{BAR}{y[1:]}"] + [f"w_{v}" for v in wl.inputs]
        t = adjoint_table(G, updates, bar, ybar_names=ybar)
        t.title = (f"Adjoint of the gradient program, weights {_weights(wl.inputs, self.seeds[k], brief)} "
                   f"on its outputs ∂{y}/∂x")
        seed = self.seeds[k]
        i = next((i for i, s in enumerate(seed) if s == 1), None)
        if i is not None and sum(1 for s in seed if s != 0) == 1:
            names = [label(wl, min(i, j), max(i, j)) for j in range(n)]
            latex = [label_latex(wl, min(i, j), max(i, j)) for j in range(n)]
        else:
            names = [f"(wᵀH)_{v}" for v in wl.inputs]
            latex = [rf"(w^{{T}} H)_{{{latex_name(v)}}}" for v in wl.inputs]
        return _renamed(t, n, names, latex)

    def tables(self) -> dict[str, TraceTable]:
        out = {"gradient program": self.gradient_program()}
        for k, seed in enumerate(self.seeds):
            out[f"adjoint {_weights(self.wl.inputs, seed)}"] = self.adjoint(k)
        return out


def _weights(names: Sequence[str], w: Sequence[float], brief: bool = False) -> str:
    """``(w_x1=1, w_x2=0)``: the weights of a sweep over the gradient program, one per ∂y/∂x_i."""
    ones = [v for v, s in zip(names, w) if s == 1]
    if brief and len(names) > 3 and len(ones) == 1 and all(s in (0, 1) for s in w):
        return f"w_{ones[0]} = 1, others 0"
    return "(" + ", ".join(f"w_{v}={float(s):g}" for v, s in zip(names, w)) + ")"


class NestedDualTrace(Trace):
    """Forward over forward: for each pair i <= j, the perturbed inputs and the ε_a ε_b part of f."""

    method = "forward-over-forward"

    def __init__(self, wl: WengertList, x: Sequence[float], H: np.ndarray):
        self.wl, self.x, self.H = wl, list(x), H

    def tables(self) -> dict[str, TraceTable]:
        wl = self.wl
        t = TraceTable("Nested dual numbers, one pass per pair (tags a < b)")
        for i, j in _pairs(wl.n):
            a, b = wl.inputs[i], wl.inputs[j]
            how = (f"ε_a ε_b part of f at {a} + ε_a + ε_b" if i == j else
                   f"ε_a ε_b part of f at {a} + ε_a, {b} + ε_b")
            la, lb = latex_name(a), latex_name(b)
            at = (rf"{la} + \varepsilon_a + \varepsilon_b" if i == j else
                  rf"{la} + \varepsilon_a,\ {lb} + \varepsilon_b")
            t.rows.append(Row(label(wl, i, j), how, float(self.H[i, j]), 0, label_latex(wl, i, j),
                              rf"[\varepsilon_a \varepsilon_b]\, f({at})"))
        return {"passes": t}


class SymbolicHessianTrace(Trace):
    """The second-derivative expressions, on and above the diagonal, with their sizes (tree and shared)."""

    method = "symbolic"

    def __init__(self, wl: WengertList, grads: list[Expr], second: dict[tuple[int, int], Expr], H: np.ndarray):
        self.wl, self.grads, self.second, self.H = wl, grads, second, H

    def tables(self) -> dict[str, TraceTable]:
        wl = self.wl
        t = TraceTable("Second derivatives (symbolic)")
        for (i, j), e in self.second.items():
            t.rows.append(Row(label(wl, i, j), symbolic.show(e), float(self.H[i, j]), 0, label_latex(wl, i, j),
                              symbolic.show(e, latex=True)))
        return {"second derivatives": t}

    def sizes(self) -> pd.DataFrame:
        """Each first and second derivative's size as a tree and as a shared graph: swell, a second time."""
        y = _output(self.wl)
        rows = []
        for i, e in enumerate(self.grads):
            s = symbolic.Size.of(e)
            rows.append({"derivative": f"∂{y}/∂{self.wl.inputs[i]}", "order": 1, "tree operations": s.tree,
                         "shared operations": s.graph, "depth": s.depth})
        for (i, j), e in self.second.items():
            s = symbolic.Size.of(e)
            rows.append({"derivative": label(self.wl, i, j), "order": 2, "tree operations": s.tree,
                         "shared operations": s.graph, "depth": s.depth})
        return pd.DataFrame(rows, columns=["derivative", "order", "tree operations", "shared operations", "depth"])


class SecondDifferenceTrace(Trace):
    """For each entry: the formula, the steps, the error model and the estimate."""

    method = "numeric"

    def __init__(self, wl: WengertList, estimates: list[EntryEstimate]):
        self.wl, self.estimates = wl, estimates

    def tables(self) -> dict[str, TraceTable]:
        wl = self.wl
        y = _output(wl)
        t = TraceTable("Second differences")
        for e in self.estimates:
            a, b = wl.inputs[e.i], wl.inputs[e.j]
            if e.i == e.j:
                rule = f"({y}({a}+h) - 2 {y}({a}) + {y}({a}-h)) / h², h = {e.h[0]:.3g}"
            else:
                rule = (f"({y}(+,+) - {y}(+,-) - {y}(-,+) + {y}(-,-)) / (4 h_{a} h_{b}), "
                        f"h_{a} = {e.h[0]:.3g}, h_{b} = {e.h[1]:.3g}")
            model = (f" (model: truncation {e.truncation:.1g}, rounding {e.rounding:.1g})"
                     if math.isfinite(e.truncation) else f" (rounding {e.rounding:.1g})")
            t.rows.append(Row(label(wl, e.i, e.j), rule + model + ("" if e.trusted else " untrusted"), e.value, 0,
                              label_latex(wl, e.i, e.j)))
        return {"estimates": t}

    def frame(self) -> pd.DataFrame:
        """One row per entry: the steps, the model's truncation and rounding, the error to expect, evaluations."""
        return pd.DataFrame([{"entry": label(self.wl, e.i, e.j), "h_i": e.h[0], "h_j": e.h[1], "estimate": e.value,
                              "truncation": e.truncation, "rounding": e.rounding, "error": e.error,
                              "evals": e.evals, "trusted": e.trusted} for e in self.estimates])


# --- the error-vs-step sweep -------------------------------------------------------------------------


def second_difference_sweep(f: Function | str, at: Any, i: int = 0, j: int | None = None,
                            eps: Sequence[float] | np.ndarray | None = None, *,
                            variables: Sequence[str] | None = None) -> pd.DataFrame:
    """Error against step of the second difference for ∂²f/∂x_i∂x_j, beside first central differences for
    ∂f/∂x_i, each with its model's truncation and rounding lines (steps absolute: the plot's x axis is h).

    Columns scheme ("second difference", "central (first derivative)"), eps, estimate, error, rel_error,
    truncation, rounding. The reference is forward-over-reverse's exact entry (AD). ``attrs["model_best"]``
    holds each scheme's model-optimal step: about ε^(1/4) for second differences, ε^(1/3) for first central ones.
    """
    function = _scalar(f, variables)
    wl = function.wengert
    x = as_point(function, at)
    j = i if j is None else j
    n = wl.n
    if not (0 <= i < n and 0 <= j < n):
        raise ValueError(f"the entry ({i}, {j}) is not in a {n} x {n} Hessian")
    hs = np.logspace(-12, 0, 121) if eps is None else np.asarray(eps, dtype=float)
    vals = wl.evaluate(x)
    f0 = float(wl.output_values(vals)[0])
    eps_f = _noise(wl, vals, f0, accumulate=False)
    exact = _forward_reverse(function, x)
    ref, ref1 = float(exact.hessian[i, j]), exact.gradient[wl.inputs[i]]
    ci, cj = fourth_derivatives(wl, x, i), fourth_derivatives(wl, x, j)
    d3 = abs(derivatives_along(function, x, i, orders=3)[3])

    def at_steps(moves: Sequence[tuple[int, np.ndarray]]) -> np.ndarray:
        p: list[Any] = [np.full(hs.shape, v) for v in x]
        for k, dx in moves:
            p[k] = x[k] + dx
        return np.asarray(wl.output_values(wl.evaluate(p))[0], dtype=float) * np.ones(hs.shape)

    with np.errstate(all="ignore"):
        hi = (x[i] + hs) - x[i]
        hi = np.where(hi == 0, hs, hi)
        hj = (x[j] + hs) - x[j]
        hj = np.where(hj == 0, hs, hj)
        if i == j:
            est = ((at_steps([(i, hi)]) - f0) + (at_steps([(i, -hi)]) - f0)) / (hi * hi)
            trunc, rnd = hs**2 * abs(ci[i]) / 12, 4 * eps_f / hs**2
            best2 = (48 * eps_f / abs(ci[i])) ** 0.25 if ci[i] else math.nan
        else:
            est = ((at_steps([(i, hi), (j, hj)]) - at_steps([(i, hi), (j, -hj)]))
                   - (at_steps([(i, -hi), (j, hj)]) - at_steps([(i, -hi), (j, -hj)]))) / (4 * hi * hj)
            c4 = abs(ci[j]) + abs(cj[i])
            trunc, rnd = hs**2 * c4 / 6, eps_f / hs**2
            best2 = (12 * eps_f / c4) ** 0.25 if c4 else math.nan
        first = (at_steps([(i, hi)]) - at_steps([(i, -hi)])) / (2 * hi)
        best1 = (3 * eps_f / d3) ** (1 / 3) if d3 else math.nan

    def frame(scheme: str, e: np.ndarray, reference: float, tr: np.ndarray, rd: np.ndarray) -> pd.DataFrame:
        err = np.abs(e - reference)
        with np.errstate(all="ignore"):
            rel = err / abs(reference) if reference != 0 else np.where(err == 0, 0.0, np.inf)
        return pd.DataFrame({"scheme": scheme, "eps": hs, "estimate": e, "error": err, "rel_error": rel,
                             "truncation": tr, "rounding": rd})

    out = pd.concat([frame("second difference", est, ref, trunc, rnd),
                     frame("central (first derivative)", first, ref1, hs**2 * d3 / 6, eps_f / hs)],
                    ignore_index=True)
    out.attrs["model_best"] = {"second difference": best2, "central (first derivative)": best1}
    out.attrs["entry"] = label(wl, min(i, j), max(i, j))
    return out


# --- the reference and the comparison -----------------------------------------------------------------


def hessian_reference(f: Function | str, at: Any, *, variables: Sequence[str] | None = None) -> np.ndarray:
    """The Hessian rounded once from 50-digit arithmetic (mpmath over the symbolic second derivatives).

    nan where no real reference exists: an entry undefined at the point even in exact arithmetic, or one
    that a kink or a jump of f or of its gradient leaves without a derivative. Raises :class:`LimitError`
    past the symbolic limits.
    """
    import mpmath

    function = _scalar(f, variables)
    x = as_point(function, at)
    point = dict(zip(function.variables, x))
    _, second = second_exprs(function)
    n = function.n
    pairs = _pairs(n)
    flat = [second[p] for p in pairs]
    try:
        vals = high_precision(flat, point) if flat else []
    except (ArithmeticError, ValueError):
        vals = []
        for e in flat:
            try:
                vals += high_precision([e], point)
            except (ArithmeticError, ValueError):
                vals.append(mpmath.nan)
    H = np.full((n, n), np.nan)
    for (i, j), v in zip(pairs, vals):
        H[i, j] = H[j, i] = float(v) if isinstance(v, mpmath.mpf) else np.nan
    wl = function.wengert
    if wl.kink_steps:
        try:
            H[no_second_derivative(wl, x)] = np.nan
        except (ValueError, ArithmeticError):
            pass
    return H


def compare_hessians(f: Function | str, at: Any, methods: Sequence[str] = HESSIAN_METHODS, *,
                     variables: Sequence[str] | None = None, timed: bool = True, repeats: int = 3,
                     budget: float = 2.0) -> pd.DataFrame:
    """One row per method: each entry on and above the diagonal, the max relative error against the 50-digit
    reference, costs, the median seconds of ``repeats`` interleaved calls (``timed``), note and warnings.

    A method that has no Hessian here gets nan figures and its reason in ``note``; if none has, the first
    one's error is raised. ``attrs["reference"]`` holds the reference Hessian.
    """
    function = _scalar(f, variables)
    x = as_point(function, at)
    function.wengert.evaluate(x)  # f itself must have a value: otherwise there is nothing to compare
    wl, n = function.wengert, function.n
    results: dict[str, HessianResult | Exception] = {}
    for m in methods:
        try:
            results[m] = hessian(function, x, _method(m))
        except (EvaluationError, LimitError) as exc:
            results[m] = exc.with_traceback(None)
    if results and all(isinstance(r, Exception) for r in results.values()):
        raise next(iter(results.values()))  # type: ignore[misc]
    try:
        ref = hessian_reference(function, x)
    except LimitError:
        ref = np.full((n, n), np.nan)
    seconds: dict[str, float] = {}
    if timed:
        jobs = {m: (lambda m=m: hessian(function, x, m)) for m, r in results.items() if isinstance(r, HessianResult)}
        seconds = {m: median(ts) for m, ts in interleaved(jobs, repeats, min_time=1e-3, budget=budget).items()}
    rows = []
    for m, r in results.items():
        row: dict[str, Any] = {"method": m}
        ok = isinstance(r, HessianResult)
        for i, j in _pairs(n):
            row[label(wl, i, j)] = float(r.hessian[i, j]) if ok else np.nan
        row["max rel. error"] = max_relative_error(r.hessian, ref) if ok else np.nan
        c = r.cost if ok else None
        row.update({"passes": c.passes if c else np.nan, "function evals": c.function_evals if c else np.nan,
                    "primitive evals": c.primitive_evals if c else np.nan,
                    "derivative rules": c.derivative_evals if c else np.nan})
        if timed:
            row["seconds"] = seconds.get(m, np.nan)
        row["note"] = "" if ok else str(r)
        row["warnings"] = " ".join(r.warnings) if ok else ""
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["reference"] = ref
    return out


__all__ = ["HESSIAN_METHODS", "EXACT", "HessianResult", "EntryEstimate", "VectorFunctionError", "hessian", "hvp",
           "hvp_code", "hessian_reference", "compare_hessians", "second_difference_sweep", "fourth_derivatives",
           "chosen_step", "second_exprs", "second_kinks", "no_second_derivative", "cancellation", "gradient_values",
           "dual_walk", "label", "label_latex", "HVPTrace", "SecondAdjointTrace", "NestedDualTrace",
           "SymbolicHessianTrace", "SecondDifferenceTrace"]

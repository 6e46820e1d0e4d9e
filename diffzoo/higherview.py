"""What the Higher order page shows: second derivatives every way, nested duals, Taylor mode, Newton's method.

The idea: second derivatives are where the methods part ways. The page's content is one
:class:`HigherView`, computed by :func:`higher_view` from plain inputs (the function's text, the point
and the page's settings); each of its seven parts is a :class:`~diffzoo.views.Part`, so a part that
cannot be computed here says why and the others stand. The numbers come from the library as it is:
``hessians`` (every Hessian method, the 50-digit reference, second differences' error sweep, the
forward-over-reverse trace), ``nested`` (perturbation confusion), ``taylormode`` (the coefficients,
the polynomials, the cost against nested duals) and ``symbolic``/``swell`` (the k-th derivative's size).
What those modules do not give is computed here: where a Taylor polynomial parts from f, the size of
the k-th symbolic derivative, and the Newton and gradient-descent iterations (each Newton step's
Hessian by ``hessian(..., method="forward-over-reverse")``). diffzoo never imports streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import fmt, nested, plots, swell, symbolic, taylormode
from .errors import EvaluationError
from .expr import Expr, latex_name, to_text
from .graph import pretty, pretty_names
from .hessians import HESSIAN_METHODS, compare_hessians, hessian, label, second_difference_sweep
from .parse import Function, parse
from .views import Cache, Download, Part, direct, left_out, num, part, table_frame, window

#: The perturbation-confusion cases of ``../shared/reference/cases.md``: (expression, point, right, naive).
CASES: dict[str, tuple[str, dict[str, float], float, float]] = {
    "D(x * D(x + y, y), x) at x = 1, y = 1": ("D(x * D(x + y, y), x)", {"x": 1.0, "y": 1.0}, 1.0, 2.0),
    "D(x * D(x * y, y), x) at x = 4, y = 1": ("D(x * D(x * y, y), x)", {"x": 4.0, "y": 1.0}, 8.0, 5.0),
}
OWN = "your own D(…) expression"
ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"
ROSENBROCK_START = (-1.2, 1.0)
SIDEBAR = "the sidebar's function"
ORDERS = range(1, 9)  # Taylor polynomial orders offered
RADII = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)  # half-widths of the Taylor plot's window along the input
PART_TOL = 1e-3  # a polynomial "parts from f" where |p_k - f| > PART_TOL * max(|f(x)|, 1)
SWELL_KS = range(1, 7)
MAX_SWELL_STEPS = 60  # the k-th symbolic derivative is built for lists up to this many steps
MAX_TRACE_INPUTS = 12
NEWTON_STEPS = 50
DESCENT_STEPS = 500
GRADIENT_TOL = 1e-8
EPS = float(np.finfo(float).eps)


# --- the function and its output --------------------------------------------------------------------


def scalar(text: str, output: int = 0) -> Function:
    """Output ``output`` of the function as a scalar function of all the function's variables."""
    f = parse(text)
    if f.m == 1:
        return f
    if not 0 <= output < f.m:
        raise ValueError(f"output {output + 1} of {f.m} does not exist")
    return parse(to_text(f.outputs[output]), variables=list(f.variables))


def _scalar(cache: Cache, text: str, output: int) -> Function:
    return cache(scalar, text, output)


def output_name(text: str, output: int) -> str:
    f = parse(text)
    outs = f.wengert.output_names()
    return pretty_names(outs[output], outs) if f.m > 1 else outs[0]


# --- 1. the Hessian by every method -----------------------------------------------------------------


@dataclass(frozen=True)
class HessianTable:
    """Every method's Hessian at the point: entries, error against the 50-digit reference, costs, time."""

    output: str
    inputs: tuple[str, ...]
    entries: pd.DataFrame  # as shown: one row per method, its entries on and above the diagonal (n <= 3)
    costs: pd.DataFrame  # as shown: one row per method, its error, costs, time and number of warnings
    hessians: dict[str, np.ndarray]  # method -> n x n (nan where it has none)
    reference: np.ndarray
    warnings: dict[str, tuple[str, ...]]  # method -> its Result's warnings
    notes: dict[str, str]  # method -> why it has no Hessian here
    entries_shown: bool  # the table lists the entries (n <= 3); else the matrices are in the downloads

    def csv(self) -> str:
        return self.full().to_csv(index=False)

    def full(self) -> pd.DataFrame:
        """Every entry of every method, with the reference (the CSV)."""
        rows = []
        n = len(self.inputs)
        for m, H in {"50-digit reference": self.reference, **self.hessians}.items():
            for i in range(n):
                for j in range(i, n):
                    rows.append({"method": m, "entry": f"∂²{self.output}/∂{self.inputs[i]}∂{self.inputs[j]}",
                                 "value": float(H[i, j]), "reference": float(self.reference[i, j])})
        return pd.DataFrame(rows)

    def latex(self, method: str = "forward-over-reverse") -> str:
        """The Hessian by ``method`` as a LaTeX document (a bmatrix, every digit)."""
        H = self.hessians.get(method, self.reference)
        body = r" \\ ".join(" & ".join(fmt.exact(v) for v in row) for row in H)
        names = ", ".join(latex_name(v) for v in self.inputs)
        return fmt.document(rf"\[ \nabla^2 {latex_name(self.output)}({names}) = "
                            rf"\begin{{bmatrix}} {body} \end{{bmatrix}} \]" + f"\n% by {method}\n")

    def matrix_latex(self, H: np.ndarray, digits: int = 10) -> str:
        body = r" \\ ".join(" & ".join(fmt.short(v, digits) if np.isfinite(v) else "—" for v in row) for row in H)
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _hessian_table(cache: Cache, text: str, point: tuple[float, ...], output: int) -> HessianTable:
    f = _scalar(cache, text, output)
    df = compare_hessians(f, list(point), HESSIAN_METHODS, timed=True, repeats=3, budget=1.5)
    ref = df.attrs["reference"]
    wl, n = f.wengert, f.n
    hs: dict[str, np.ndarray] = {}
    warns: dict[str, tuple[str, ...]] = {}
    notes: dict[str, str] = {}
    for _, r in df.iterrows():
        m = str(r["method"])
        if r["note"]:
            notes[m] = str(r["note"])
            hs[m] = np.full((n, n), np.nan)
            continue
        res = hessian(f, list(point), m)  # its warnings, each a sentence (the frame joins them)
        hs[m] = res.hessian
        warns[m] = tuple(dict.fromkeys(pretty(w) for w in res.warnings))
    entries = n <= 3
    table = pd.DataFrame({"method": df["method"]})
    if entries:
        for i in range(n):
            for j in range(i, n):
                table[pretty(label(wl, i, j))] = [num(v) for v in df[label(wl, i, j)]]
    shown = pd.DataFrame({"method": df["method"]})
    shown["max rel. error"] = [fmt.sci(v) if v > 0 else ("0" if v == 0 else "—") for v in df["max rel. error"]]
    shown["passes"] = [_int(v) for v in df["passes"]]
    shown["f evals"] = [_int(v) for v in df["function evals"]]
    shown["rules applied"] = [_int(v) for v in df["derivative rules"]]
    shown["time"] = [plots.time_label(v) if np.isfinite(v) else "—" for v in df["seconds"]]
    shown["warnings"] = [str(len(warns.get(str(m), ()))) if str(m) not in notes else "no Hessian"
                         for m in df["method"]]
    return HessianTable(output_name(text, output), tuple(f.variables), table, shown, hs, ref, warns, notes, entries)


def _int(v: Any) -> str:
    return "—" if not np.isfinite(v) else f"{int(v):,}"


# --- 2. second differences against first -------------------------------------------------------------


@dataclass(frozen=True)
class StepFigure:
    """Error against step of second differences beside first central differences."""

    png: bytes
    svg: Callable[[], bytes]
    entry: str
    model_best: dict[str, float]  # scheme -> the model's optimal step
    measured_best: dict[str, float]  # scheme -> the step of least measured error
    floor: dict[str, float]  # scheme -> the least measured error

    def sentence(self) -> str:
        f, s = "central (first derivative)", "second difference"
        return (f"Measured: the least error of first differences is {fmt.sci(self.floor[f])} at h ≈ "
                f"{fmt.sci(self.measured_best[f], 1)} (model {fmt.sci(self.model_best[f], 1)}; ε^(1/3) = "
                f"{fmt.sci(EPS ** (1 / 3), 1)}); of second differences {fmt.sci(self.floor[s])} at h ≈ "
                f"{fmt.sci(self.measured_best[s], 1)} (model {fmt.sci(self.model_best[s], 1)}; ε^(1/4) = "
                f"{fmt.sci(EPS ** 0.25, 1)}).")


def sweep_frame(text: str, point: tuple[float, ...], output: int, i: int, j: int) -> pd.DataFrame:
    return second_difference_sweep(scalar(text, output), list(point), i, j)


def _step_figure(cache: Cache, text: str, point: tuple[float, ...], output: int, i: int, j: int) -> StepFigure:
    df = cache(sweep_frame, text, point, output, i, j)
    fig = lambda: plots.second_difference_figure(df)  # noqa: E731
    best, floor = {}, {}
    for scheme, g in df.groupby("scheme", sort=False):
        e = g["error"].to_numpy(dtype=float)
        ok = np.isfinite(e) & (e > 0)
        k = int(np.argmin(np.where(ok, e, np.inf))) if ok.any() else 0
        best[str(scheme)] = float(g["eps"].iloc[k]) if ok.any() else math.nan
        floor[str(scheme)] = float(e[k]) if ok.any() else math.nan
    return StepFigure(plots.to_png(fig()), lambda: plots.to_svg(fig()), pretty(df.attrs["entry"]),
                      dict(df.attrs["model_best"]), best, floor)


# --- 3. the forward-over-reverse trace ------------------------------------------------------------------


@dataclass(frozen=True)
class HVPWalk:
    """One tangent pass over the gradient program (H e_i), row by row: f's sweep, then the reverse sweep."""

    seed: str
    position: int
    last: int
    caption: str
    now: str
    table: pd.DataFrame  # the gradient program's rows (a window) with their tangents; index: row numbers
    rows: tuple[int, int, int]  # lo, hi, total
    column: tuple[float, ...]  # H e_i
    n_forward: int  # rows of f's own sweep (inputs and steps)
    n_reverse: int  # rows of the reverse sweep


def _hvp_trace(cache: Cache, text: str, point: tuple[float, ...], output: int) -> Any:
    return hessian(_scalar(cache, text, output), list(point), "forward-over-reverse")


def _hvp_walk(cache: Cache, text: str, point: tuple[float, ...], output: int, i: int, position: int) -> HVPWalk:
    r = cache(_hvp_trace, cache, text, point, output)
    wl = r.function.wengert
    if wl.n > MAX_TRACE_INPUTS:
        raise ValueError(f"the trace is shown for functions of up to {MAX_TRACE_INPUTS} inputs (this one has {wl.n})")
    grad, tan = r.trace.gradient_program(), r.trace.tangent(i, brief=True)
    total = len(tan.rows)
    last = total - 1
    pos = max(0, min(last, int(position)))
    n_fwd = wl.n + len(wl.steps)
    n_out = r.trace.G.m
    n_rev = total - n_fwd - n_out
    lo, hi = window(total, pos)
    if pos < wl.n:
        cap = (f"Input {pos + 1} of {wl.n}: its tangent is {'1' if pos == i else '0'}, "
               f"component {pos + 1} of the seed e({wl.inputs[i]})")
    elif pos < n_fwd:
        cap = f"f's own sweep, step {pos - wl.n + 1} of {len(wl.steps)}: each value with its tangent"
    elif pos < n_fwd + n_rev:
        cap = (f"Reverse sweep, adjoint step {pos - n_fwd + 1} of {n_rev}: the adjoint and, beside it, its tangent "
               "(how that adjoint moves along the seed)")
    else:
        cap = f"Output {pos - n_fwd - n_rev + 1} of {n_out}: f, then the gradient's tangents, column {i + 1} of H"
    g, t = grad.rows[pos], tan.rows[pos]
    now = (f"{pretty(g.name)} = {pretty(g.rule)} = {num(g.value)};   "
           f"tangent {pretty(t.name)} = {pretty(t.rule)} = {num(t.value)}")
    gf, tf = table_frame(grad, pos, (lo, hi)), table_frame(tan, pos, (lo, hi))
    table = pd.DataFrame({"variable": gf["variable"], "rule": gf["rule"], "value": gf["value"],
                          "tangent": tf["variable"] + " = " + tf["rule"], "tangent value": tf["value"]},
                         index=gf.index)
    return HVPWalk(wl.inputs[i], pos, last, f"Row {pos + 1}/{total} — {cap}", now, table, (lo, hi, total),
                   tuple(float(v) for v in r.hessian[:, i]), n_fwd, n_rev)


# --- 4. perturbation confusion -----------------------------------------------------------------------


@dataclass(frozen=True)
class Confusion:
    """A nested D(...) evaluated with one ε for every D (untagged) and with a tag per D."""

    expression: str
    point: dict[str, float]
    untagged: nested.Nested
    tagged: nested.Nested
    mixed: int | None  # the row where two perturbations first meet (tagged: two tags in one value)
    expected: tuple[float, float] | None  # (right, naive) from the reference cases, when it is one of them

    def frame(self) -> pd.DataFrame:
        """Both traces row by row (the same operations): depth inside the Ds, then each as "operation → value"."""
        cell = lambda r: f"{r.what} → {r.value}"  # noqa: E731
        return pd.DataFrame({"depth": [r.depth for r in self.tagged.rows],
                             "untagged: one ε": [cell(r) for r in self.untagged.rows],
                             "tagged: ε₁, ε₂, …": [cell(r) for r in self.tagged.rows]})


def _tags(text: str) -> set[str]:
    return {c for c in text if c in "₁₂₃₄₅₆₇₈₉"}


def confusion(expression: str, point: dict[str, float]) -> Confusion:
    """Both evaluations of ``expression`` (text with D) at ``point`` (a value per variable)."""
    f = parse(expression)
    if not any(e.op == "D" for root in f.source for e in _walk(root)):
        raise ValueError("this expression has no D(…, …): type a nested derivative such as D(x * D(x * y, y), x)")
    missing = [v for v in f.variables if v not in point]
    if missing:
        raise ValueError(f"no value for {', '.join(missing)}")
    at = {v: point[v] for v in f.variables}
    un, tg = nested.evaluate(f, at, tagged=False), nested.evaluate(f, at, tagged=True)
    mixed = next((k for k, r in enumerate(tg.rows) if len(_tags(r.value)) >= 2), None)
    expected = next(((right, naive) for e, p, right, naive in CASES.values() if e == expression and p == at), None)
    return Confusion(expression, at, un, tg, mixed, expected)


def _walk(e: Expr) -> list[Expr]:
    out, todo = [], [e]
    while todo:
        x = todo.pop()
        out.append(x)
        todo += list(x.args)
    return out


# --- 5. Taylor polynomials ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaylorPart:
    """f along one input around the point with its Taylor polynomials of orders 1..k, and where each parts."""

    png: bytes
    svg: Callable[[], bytes]
    table: pd.DataFrame  # per order k: c_k, f^(k) along the input, where p_k parts from f on each side
    warnings: tuple[str, ...]
    scale: float
    csv: str


def _parts_at(ts: np.ndarray, gap: np.ndarray, tol: float) -> tuple[float, float]:
    """The smallest t > 0 and the largest t < 0 where ``gap`` exceeds ``tol`` (nan: nowhere in the window)."""
    over = ~(gap <= tol)  # nan (f has no value there) counts as parted
    right = ts[(ts > 0) & over]
    left = ts[(ts < 0) & over]
    return (float(right.min()) if right.size else math.nan, float(left.max()) if left.size else math.nan)


def _taylor_part(cache: Cache, text: str, point: tuple[float, ...], output: int, i: int, order: int,
                 radius: float) -> TaylorPart:
    f = parse(text)
    v = [float(j == i) for j in range(f.n)]
    r = taylormode.taylor(f, list(point), order=order, direction=v)
    ts = np.linspace(-radius, radius, 801)
    with np.errstate(all="ignore"):
        fv = taylormode.along(r, ts, output)
        polys = taylormode.polynomial(r, ts, output)
    f0 = float(r.coefficients[output, 0])
    scale = max(abs(f0), 1.0)
    tol = PART_TOL * scale
    rows = []
    for k in range(1, order + 1):
        with np.errstate(all="ignore"):
            gap = np.abs(polys[k - 1] - fv)
        right, left = _parts_at(ts, gap, tol)
        rows.append((_t(right, radius), _t(left, radius)))
    x, name = f.variables[i], output_name(text, output)
    fig = lambda: plots.taylor_figure(ts + point[i], fv, polys, point[i], f"{name} along {x}", x, tol)  # noqa: E731
    c = r.coefficients[output]
    table = pd.DataFrame({"k": range(order + 1), "cₖ = f⁽ᵏ⁾/k!": [num(a) for a in c],
                          f"f⁽ᵏ⁾ along {x}": [num(a) for a in r.derivatives[output]],
                          "pₖ parts, t > 0": ["—"] + [a for a, _ in rows],
                          "pₖ parts, t < 0": ["—"] + [b for _, b in rows]})
    csv = pd.DataFrame({"j": range(order + 1), "coefficient": c, "derivative": r.derivatives[output]}).to_csv(
        index=False)
    return TaylorPart(plots.to_png(fig()), lambda: plots.to_svg(fig()), table, tuple(pretty(w) for w in r.warnings),
                      scale, csv)


def _t(t: float, radius: float) -> str:
    return f"beyond ±{fmt.exact(radius)}" if math.isnan(t) else fmt.short(t, 3)


# --- 6. swell and cost against k ------------------------------------------------------------------------


@dataclass(frozen=True)
class SwellPart:
    """The k-th derivative's size written out and shared, and Taylor mode's cost against nested duals'."""

    table: pd.DataFrame
    png: bytes
    svg: Callable[[], bytes]
    agree: float  # the largest relative difference between Taylor mode's derivatives and nested duals'


def kth_sizes(f: Function, i: int, output: int, ks: Sequence[int]) -> pd.DataFrame:
    """Tree and shared sizes of ∂ᵏf/∂x_iᵏ, by deriving the expression k times (``symbolic.derive``)."""
    e, x, rows, k = f.outputs[output], f.variables[i], [], 0
    for top in ks:
        while k < top:
            e, k = symbolic.derive(e, x), k + 1
        s = swell.expression_sizes([e])
        rows.append({"k": top, "tree ops": s["tree"], "shared ops": s["shared"]})
    return pd.DataFrame(rows)


def _swell_part(cache: Cache, text: str, point: tuple[float, ...], output: int, i: int) -> SwellPart:
    f = parse(text)
    ks = list(SWELL_KS)
    cost = taylormode.cost_against_duals(f, list(point), ks, i=i, output=output, repeats=2, budget=1.0)
    if len(f.wengert.steps) <= MAX_SWELL_STEPS:
        sizes = kth_sizes(f, i, output, ks)
    else:
        sizes = pd.DataFrame({"k": ks, "tree ops": math.nan, "shared ops": math.nan})
    df = sizes.merge(cost, on="k")
    fig = lambda: plots.higher_cost_figure(df, f.variables[i])  # noqa: E731
    shown = pd.DataFrame({
        "k": df["k"], "tree": [_int(v) for v in df["tree ops"]], "shared": [_int(v) for v in df["shared ops"]],
        "Taylor ops": [_int(v) for v in df["taylor_ops"]], "duals ops": [_int(v) for v in df["duals_ops"]],
        "Taylor time": [plots.time_label(v) if np.isfinite(v) else "—" for v in df["taylor_s"]],
        "duals time": [plots.time_label(v) if np.isfinite(v) else "—" for v in df["duals_s"]]})
    agree = df["agree"].to_numpy(dtype=float)
    worst = float(np.nanmax(agree)) if np.isfinite(agree).any() else math.nan
    return SwellPart(shown, plots.to_png(fig()), lambda: plots.to_svg(fig()), worst)


# --- 7. Newton's method against gradient descent -----------------------------------------------------------


@dataclass(frozen=True)
class Descent:
    """Newton's method and gradient descent from one start, drawn over f's contours."""

    function: str
    start: tuple[float, float]
    newton: pd.DataFrame  # step, x, y, f, |∇f|, direction ("Newton" or "gradient": H not positive definite), t
    descent: pd.DataFrame  # step, x, y, f, |∇f|, t
    newton_converged: bool
    descent_converged: bool
    png: bytes
    svg: Callable[[], bytes]

    def sentence(self) -> str:
        n, d = self.newton.iloc[-1], self.descent.iloc[-1]
        a = (f"Newton's method reached |∇f| = {fmt.sci(n['|∇f|'])} in {int(n['step'])} steps, at "
             f"({num(n['x'], 8)}, {num(n['y'], 8)})" if self.newton_converged else
             f"Newton's method did not converge in {int(n['step'])} steps (|∇f| = {fmt.sci(n['|∇f|'])})")
        b = (f"gradient descent took {int(d['step'])} steps to reach |∇f| < {fmt.sci(GRADIENT_TOL, 0)}"
             if self.descent_converged else
             f"gradient descent, with the same line search, stopped after {int(d['step'])} steps at "
             f"|∇f| = {fmt.sci(d['|∇f|'])}, f = {fmt.sci(d['f'])}")
        return f"{a}; {b}."


def _armijo(fx: float, x: np.ndarray, d: np.ndarray, g: np.ndarray, value: Callable[[np.ndarray], float],
            t: float) -> tuple[np.ndarray, float, float]:
    """A backtracking line search along d from x: t halved until f drops by 1e-4·t·(g·d)."""
    slope = float(g @ d)
    for _ in range(60):
        xn = x + t * d
        fn = value(xn)
        if np.isfinite(fn) and fn <= fx + 1e-4 * t * slope:
            return xn, fn, t
        t /= 2
    return x, fx, 0.0


def _value(f: Function) -> Callable[[np.ndarray], float]:
    wl = f.wengert

    def value(x: np.ndarray) -> float:
        try:
            with np.errstate(all="ignore"):
                return float(wl.output_values(wl.evaluate([float(v) for v in x]))[0])
        except (EvaluationError, ArithmeticError, ValueError):
            return math.nan

    return value


def newton(f: Function, start: Sequence[float], steps: int = NEWTON_STEPS) -> tuple[pd.DataFrame, bool]:
    """Newton's method with a backtracking line search; each step's Hessian by forward-over-reverse.
    Where H is not positive definite the step follows −∇f instead (said in the ``direction`` column)."""
    value = _value(f)
    x = np.asarray(start, dtype=float)
    rows, done = [], False
    for k in range(steps + 1):
        r = hessian(f, list(x), "forward-over-reverse")
        g = np.array([r.gradient[v] for v in f.variables])
        gn = float(np.linalg.norm(g))
        row = {"step": k, "x": x[0], "y": x[1], "f": r.value, "|∇f|": gn, "direction": "", "t": math.nan}
        rows.append(row)
        if gn < GRADIENT_TOL:
            done = True
            break
        if k == steps:
            break
        try:
            np.linalg.cholesky(r.hessian)
            d, kind = -np.linalg.solve(r.hessian, g), "Newton"
        except np.linalg.LinAlgError:
            d, kind = -g, "−∇f (H not positive definite)"
        xn, _, t = _armijo(r.value, x, d, g, value, 1.0)
        row["direction"], row["t"] = kind, t
        if t == 0.0:
            break
        x = xn
    return pd.DataFrame(rows), done


def gradient_descent(f: Function, start: Sequence[float], steps: int = DESCENT_STEPS) -> tuple[pd.DataFrame, bool]:
    """Steepest descent with the same backtracking line search (its trial step doubling after each success)."""
    from .functions import value_and_grad

    vg = value_and_grad(f)
    value = _value(f)
    x = np.asarray(start, dtype=float)
    rows, t, done = [], 1.0, False
    for k in range(steps + 1):
        fx, g = vg(list(x))
        g = np.asarray(g, dtype=float)
        gn = float(np.linalg.norm(g))
        rows.append({"step": k, "x": x[0], "y": x[1], "f": float(fx), "|∇f|": gn, "t": math.nan})
        if gn < GRADIENT_TOL:
            done = True
            break
        if k == steps:
            break
        x, _, t = _armijo(float(fx), x, -g, g, value, min(2 * t, 1e6) if t else 1.0)
        rows[-1]["t"] = t
        if t == 0.0:
            break
    return pd.DataFrame(rows), done


def descent(text: str, start: tuple[float, float]) -> Descent:
    """Newton's method against gradient descent on a function of two variables from ``start``."""
    f = parse(text)
    if f.n != 2 or f.m != 1:
        raise ValueError(f"Newton's method is drawn for a scalar function of 2 variables; this one has {f.n} "
                         f"variable(s) and {f.m} output(s)")
    nt, nd = newton(f, start)
    gd, gdone = gradient_descent(f, start)
    xs = np.concatenate([nt["x"], gd["x"]])
    ys = np.concatenate([nt["y"], gd["y"]])
    if text == ROSENBROCK:
        box = (-2.0, 2.0, -1.0, 3.0)
    else:
        fin = np.isfinite(xs) & np.isfinite(ys)
        x0, x1, y0, y1 = xs[fin].min(), xs[fin].max(), ys[fin].min(), ys[fin].max()
        px, py = max(0.15 * (x1 - x0), 0.5), max(0.15 * (y1 - y0), 0.5)
        box = (x0 - px, x1 + px, y0 - py, y1 + py)
    gx, gy = np.linspace(box[0], box[1], 161), np.linspace(box[2], box[3], 161)
    X, Y = np.meshgrid(gx, gy)
    wl = f.wengert
    with np.errstate(all="ignore"):
        try:
            Z = np.asarray(wl.output_values(wl.evaluate([X, Y]))[0], dtype=float) * np.ones_like(X)
        except (EvaluationError, ArithmeticError, ValueError):
            Z = np.full_like(X, np.nan)
    names = tuple(f.variables)
    fig = lambda: plots.newton_figure(X, Y, Z, nt, gd, names, text)  # noqa: E731
    return Descent(text, (float(start[0]), float(start[1])), nt, gd, nd, gdone, plots.to_png(fig()),
                   lambda: plots.to_svg(fig()))


# --- the page -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HigherView:
    """The Higher order page: seven parts, each standing alone, and the downloads."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]  # as the page writes them (y₁, y₂)
    output: int
    hessians: Part[HessianTable]
    steps: Part[StepFigure]
    trace: Part[HVPWalk]
    confusion: Part[Confusion]
    taylor: Part[TaylorPart]
    swell: Part[SwellPart]
    descent: Part[Descent]
    downloads: tuple[Download, ...] = field(default=())


def has_d(text: str) -> bool:
    """Whether the function as typed has a D(…, …) in it (its source, not its written-out outputs)."""
    try:
        f = parse(text)
    except Exception:  # noqa: BLE001 - a function that does not parse has none
        return False
    return any(e.op == "D" for root in f.source for e in _walk(root))


def higher_view(text: str, point: tuple[float, ...], *, output: int = 0, entry: tuple[int, int] = (0, 0),
                seed: int = 0, position: int = 0, case: str = next(iter(CASES)), own: str = "",
                own_point: dict[str, float] | None = None, along: int = 0, order: int = 4, radius: float = 1.0,
                newton_on: str = ROSENBROCK, cache: Cache = direct) -> HigherView:
    """Everything the Higher order page shows for ``text`` at ``point``.

    ``output``: the output a vector function's Hessian, trace, Taylor polynomials and swell are of;
    ``entry``: the Hessian entry (i, j) of the error-vs-step plot; ``seed``/``position``: the input whose
    column H e_i the forward-over-reverse trace computes, and its current row; ``case``: a key of
    :data:`CASES`, or :data:`OWN` for ``own`` (text with D) at ``own_point``; ``along``, ``order``,
    ``radius``: the Taylor polynomials' input, highest order and half-width of window; ``newton_on``:
    the text of the two-variable function Newton's method runs on (:data:`ROSENBROCK` from
    :data:`ROSENBROCK_START`, or the sidebar's function from the point).
    """
    point = tuple(float(v) for v in point)
    f = cache(parse, text)
    n, m = f.n, f.m
    outs = f.wengert.output_names()
    output = output if 0 <= output < m else 0
    i, j = entry if all(0 <= e < n for e in entry) else (0, 0)
    seed = seed if 0 <= seed < n else 0
    along = along if 0 <= along < n else 0
    order = max(1, min(int(order), max(ORDERS)))
    none = "the function has no variables: every derivative is 0"

    def need(what: str, make: Callable[[], Any]) -> Part[Any]:
        return part(what, make) if n else left_out(what, none)

    hess = need("the Hessian by every method", lambda: cache(_hessian_table, cache, text, point, output))
    steps = need("the error-vs-step plot", lambda: cache(_step_figure, cache, text, point, output, i, j))
    trace = need("the forward-over-reverse trace",
                 lambda: cache(_hvp_walk, cache, text, point, output, seed, int(position)))
    if case == OWN:
        pts = dict(own_point or {})
        conf = part("the perturbation-confusion lab", lambda: cache(_confusion_of, own, tuple(sorted(pts.items()))))
    else:
        expr, p, _, _ = CASES.get(case, next(iter(CASES.values())))
        conf = part("the perturbation-confusion lab", lambda: cache(_confusion_of, expr, tuple(sorted(p.items()))))
    tay = need("the Taylor polynomials",
               lambda: cache(_taylor_part, cache, text, point, output, along, order, float(radius)))
    sw = need("swell and cost against k", lambda: cache(_swell_part, cache, text, point, output, along))
    start = ROSENBROCK_START if newton_on == ROSENBROCK else (point[0], point[1]) if n == 2 else (0.0, 0.0)
    if newton_on != ROSENBROCK and (n != 2 or m != 1):
        dsc = left_out("Newton's method", "Newton's method runs on the sidebar's function when it is a scalar "
                                          "function of 2 variables.")
    else:
        dsc = part("Newton's method against gradient descent",
                   lambda: cache(descent, newton_on if newton_on == ROSENBROCK else text, start))
    files = []
    if hess.ok:
        h = hess.get()
        files += [Download("Hessians (CSV)", h.csv, "hessians.csv", "text/csv"),
                  Download("Hessian (LaTeX)", h.latex, "hessian.tex", "text/x-tex")]
    if tay.ok:
        files.append(Download("Taylor coefficients (CSV)", tay.get().csv, "taylor.csv", "text/csv"))
    if dsc.ok:
        d = dsc.get()
        files.append(Download("Newton iterates (CSV)", d.newton.to_csv(index=False), "newton.csv", "text/csv"))
    return HigherView(tuple(f.variables), tuple(pretty_names(y, outs) for y in outs), output, hess, steps, trace,
                      conf, tay, sw, dsc, tuple(files))


def _confusion_of(expression: str, point: tuple[tuple[str, float], ...]) -> Confusion:
    return confusion(expression, dict(point))


__all__ = ["CASES", "OWN", "ROSENBROCK", "ROSENBROCK_START", "SIDEBAR", "HigherView", "HessianTable", "StepFigure",
           "HVPWalk", "Confusion", "TaylorPart", "SwellPart", "Descent", "higher_view", "scalar", "confusion",
           "kth_sizes", "newton", "gradient_descent", "descent", "has_d", "sweep_frame"]

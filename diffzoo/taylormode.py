"""Taylor mode: the coefficients of t -> f(x + t v) to order k, in one sweep of truncated Taylor series.

The idea (Griewank & Walther, *Evaluating Derivatives*, ch. 13; JAX's ``jet``): where forward mode carries
a value and a tangent through the Wengert list, carry the first k + 1 Taylor coefficients of every
intermediate along the line. Each step maps its arguments' coefficients to its own by its table entry's
``taylor`` rule (``series.py``), O(k²) operations per step, where dual numbers nested k deep
(``higher.py``) cost O(2^k) or more (3^k for a product). The coefficient of t^j is f^(j)(x; v)/j!:
order 1 is forward mode's JVP (bit for bit: coefficient 1 is computed as forward mode computes it),
order 2 is ½ vᵀ∇²f(x) v.

Steps that do not move along the line (no moved input reaches them, or an identity such as ``y - y``)
keep their value with zero coefficients; the steps that move are propagated level by level, every
step of one primitive on one level at once (the rules work on a batch of series). Where the expansion
exists only on one side (abs at 0 moving like t) or not at all (sqrt at 0 moving like t, log at 0),
the result warns or the call raises the :class:`~diffzoo.errors.EvaluationError` the primal raises,
naming the step.

:func:`taylor` runs the list's compiled Taylor program first (``taylorcode.py``: the same recurrences unrolled
into straight-line Python, with the products by coefficients known to be 0 left out), which spares the numpy
overhead of this sweep, some tens of microseconds, for small functions; at a kink or an edge, on a math error
or a coefficient that is not finite, and for a list without a program (a helper primitive, a program beyond
``taylorcode.MAX_OPS`` operations), this sweep answers. Both give the same coefficients (bit for bit wherever
the tests look, ``tests/test_taylorcode.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import series, taylorcode
from .api import as_function, as_point
from .errors import EvaluationError
from .functions import floats
from .parse import Function
from .wengert import Const, Step, WengertList

#: The highest order :func:`taylor` computes (j! overflows a float from j = 171; the page needs far less).
MAX_ORDER = 60


@dataclass(frozen=True)
class TaylorCost:
    """What one Taylor-mode sweep did."""

    steps: int  # Wengert steps propagated as series (the others stay constant along the line)
    #: Operations on coefficients (multiplications, additions, divisions, function values) of the sweep that ran:
    #: the compiled program's own (taylorcode.py; a product with a coefficient known to be 0 is not written, so a
    #: line through the inputs may cost O(k) per step), or the careful rules' O(k²) count (series.py).
    ops: int
    passes: int  # sweeps: more than 1 where a step needed its arguments to a higher order (sqrt(x^2) at 0)


@dataclass(frozen=True, eq=False)
class TaylorResult:
    """f(x + t v) = Σ_j c_j t^j to order k: ``coefficients[i, j]`` is c_j of output i, f_i^(j)(x; v)/j!."""

    coefficients: np.ndarray  # m x (k + 1)
    derivatives: np.ndarray  # m x (k + 1): coefficient j times j!, the j-th derivative along v
    value: Any  # f(x): a float for a scalar function, a list of m floats for a vector function
    order: int
    direction: tuple[float, ...]
    cost: TaylorCost
    warnings: tuple[str, ...]  # one-sided expansions at kinks and jumps, edges of domains
    function: Function = field(repr=False)
    x: tuple[float, ...] = field(repr=False)
    #: Every variable's coefficients, inputs first (row i + n - 1 is v_i): what :meth:`trace` shows.
    series: np.ndarray = field(repr=False)

    def trace(self) -> pd.DataFrame:
        """One row per variable of the Wengert list (inputs, then steps): its definition and coefficients."""
        wl = self.function.wengert
        names = [wl.name_of(i + 1 - wl.n) for i in range(wl.n)] + [wl.name_of(st.index) for st in wl.steps]
        defs = list(wl.inputs) + [wl.definition(st) for st in wl.steps]
        frame = pd.DataFrame({"variable": names, "definition": defs})
        for j in range(self.order + 1):
            frame[f"t^{j}"] = self.series[:, j]
        return frame


# --- the sweep ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """Steps of one primitive on one level, with the same arguments constant: one call of the rule."""

    rule: Callable[..., np.ndarray]
    steps: tuple[Step, ...]
    target: Any  # a row of the working array, or an index array of rows
    args: tuple[Any, ...]  # per argument: a row or an index array of rows
    constant: tuple[bool, ...]  # per argument: constant along the line (passed as numbers)
    #: For one add, sub or neg of series: the numpy function that writes the rule's own arithmetic (coefficient
    #: by coefficient) into the target row without a call of the rule (a sum of n terms is n - 1 such steps).
    inplace: Any = None


class _Plan:
    """The moving steps of a list for one set of moved inputs, grouped by level and primitive (``batch``; else
    one group per step)."""

    def __init__(self, wl: WengertList, moved_inputs: tuple[bool, ...], batch: bool = True):
        n, k = wl.n, len(wl.steps)
        self.n, self.vars = n, n + k
        self.consts: list[float] = []
        const_row: dict[tuple, int] = {}

        def row(a: Any) -> int:
            if isinstance(a, int):
                return a + n - 1
            key = (type(a.value), repr(a.value))
            if key not in const_row:
                const_row[key] = self.vars + len(self.consts)
                self.consts.append(float(a.value))
            return const_row[key]

        # The steps a moved input reaches, but for a value that is the same wherever it is defined (y - y, y / y,
        # y ^ 0): the same decision as the compiled programs'.
        moved = taylorcode.moving(wl, moved_inputs)
        level = [0] * (n + k)
        groups: dict[tuple, list[tuple[Step, list[int]]]] = {}
        for st in wl.steps:
            rows = [row(a) for a in st.args]
            r = st.index + n - 1
            if not moved[r]:
                continue
            am = [isinstance(a, int) and moved[a + n - 1] for a in st.args]
            if st.prim.taylor is None:
                raise ValueError(f"the primitive {st.prim.name!r} has no Taylor rule (its table entry lacks taylor=)")
            level[r] = 1 + max(level[rows[j]] for j in range(len(rows)) if am[j])
            key = (level[r], st.prim.name, tuple(not m for m in am)) + (() if batch else (st.index,))
            groups.setdefault(key, []).append((st, rows))
        self.moving = sum(moved[n:])
        self.groups: list[_Group] = []
        for key in sorted(groups, key=lambda g: (g[0], groups[g][0][0].index)):
            members = groups[key]
            steps = tuple(st for st, _ in members)
            if len(members) == 1:
                target: Any = steps[0].index + n - 1
                args: tuple[Any, ...] = tuple(members[0][1])
            else:
                target = np.array([st.index + n - 1 for st in steps], dtype=np.intp)
                args = tuple(np.array([rows[j] for _, rows in members], dtype=np.intp)
                             for j in range(len(members[0][1])))
            inplace = _INPLACE.get(key[1]) if len(members) == 1 and not any(key[2]) else None
            self.groups.append(_Group(steps[0].prim.taylor, steps, target, args, key[2], inplace))
        # What the sweep runs: (numpy function, target, a, b) for an add, sub or neg written in place (b = -1
        # for neg), else (None, group).
        self.program = tuple((g.inplace, g.target, g.args[0], g.args[1] if len(g.args) > 1 else -1)
                             if g.inplace is not None else (None, g, 0, 0) for g in self.groups)
        self.linear = sum(1 for g in self.groups if g.inplace is not None)


#: The linear rules whose arithmetic on series is one numpy function (the interpreter's fast path).
_INPLACE = {"add": np.add, "sub": np.subtract, "neg": np.negative}


def _plan_of(wl: WengertList, moved: tuple[bool, ...], batch: bool = True) -> _Plan:
    """The plan, built once per list and set of moved inputs (kept on the list, like its interpreter's)."""
    cached = wl.__dict__.get("_taylor_plans")
    if cached is None or cached[0] is not wl.steps:
        cached = (wl.steps, {})
        wl.__dict__["_taylor_plans"] = cached
    plans = cached[1]
    key = (moved, batch)
    if key not in plans:
        if len(plans) > 16:
            plans.clear()
        plans[key] = _Plan(wl, moved, batch)
    return plans[key]


class _Undecided(Exception):
    def __init__(self, extra: int, st: Step, reason: str):
        self.extra, self.st, self.reason = extra, st, reason


def _step_error(wl: WengertList, st: Step, reason: str) -> EvaluationError:
    return EvaluationError(reason, f"{wl.name_of(st.index)} = {wl.definition(st)}", st.index)


def _sweep(wl: WengertList, plan: _Plan, vals: list[float], direction: Sequence[float], order: int,
           tally: series.Tally, notes: list[tuple[Step, str]]) -> np.ndarray:
    """The working array: every variable's coefficients (inputs, steps, then the constants the steps use)."""
    W = np.zeros((plan.vars + len(plan.consts), order + 1))
    W[: plan.vars, 0] = vals
    W[plan.vars:, 0] = plan.consts
    if order >= 1:
        W[: plan.n, 1] = direction
    for fn, g, a, b in plan.program:
        if fn is not None:
            if b < 0:
                fn(W[a], out=W[g])
            else:
                fn(W[a], W[b], out=W[g])
            continue
        args = [(W[r, :1] if order else W[r, 0]) if c else W[r] for r, c in zip(g.args, g.constant)]
        before = len(tally.notes)
        try:
            W[g.target] = g.rule(order, *args)
        except series.MoreTerms as exc:
            raise _Undecided(exc.extra, g.steps[0], exc.reason) from None
        except series.NoExpansion as exc:
            raise _step_error(wl, g.steps[exc.row or 0], exc.reason) from None
        except (ValueError, ArithmeticError) as exc:
            raise _find_failure(wl, g, args, order, exc) from None
        for note in tally.notes[before:]:
            notes.append((g.steps[note.row or 0], note.text))
    tally.ops += plan.linear * (order + 1)
    return W


def _find_failure(wl: WengertList, g: _Group, args: list[Any], order: int, exc: Exception) -> EvaluationError:
    """The step of a group whose rule raised, and why (each step of a batch tried alone)."""
    if len(g.steps) > 1:
        for r, st in enumerate(g.steps):
            try:
                g.rule(order, *[a[r] for a in args])
            except (ValueError, ArithmeticError) as e:
                return _step_error(wl, st, f"{st.prim.name} has no Taylor expansion here ({e})")
    return _step_error(wl, g.steps[0], f"{g.steps[0].prim.name} has no Taylor expansion here ({exc})")


@dataclass(frozen=True)
class Sweep:
    """The raw outcome of :func:`propagate`."""

    series: np.ndarray  # every variable's coefficients, inputs first (rows 0 .. n + k - 1)
    values: list[float]  # the primal values, inputs first
    cost: TaylorCost
    warnings: tuple[str, ...]


def propagate(wl: WengertList, x: Sequence[float], direction: Sequence[float], order: int) -> Sweep:
    """Taylor coefficients of every variable of ``wl`` along t -> x + t direction, to ``order``.

    The primal runs first, so a value that does not exist raises the primal's own
    :class:`EvaluationError`; a step whose expansion does not exist raises one naming that step.
    """
    vals = wl.evaluate(x)
    # At order 0 a series is one number, as a constant is: a rule cannot tell a batch of constants from a batch of
    # series then, so there every step is its own group and a constant argument is passed as a number (W[r, 0]).
    plan = _plan_of(wl, tuple(map(bool, direction)), batch=order > 0)
    cap = min(2 * MAX_ORDER, max(2 * order, order + 16))
    k, passes = order, 0
    # An overflow is refused below (a coefficient that is not finite), not left to numpy's RuntimeWarning.
    with series.tally() as t, np.errstate(over="ignore", invalid="ignore"):
        while True:
            passes += 1
            notes: list[tuple[Step, str]] = []
            t.notes.clear()
            try:
                W = _sweep(wl, plan, vals, direction, k, t, notes)
            except _Undecided as exc:
                if k >= cap:
                    raise _step_error(wl, exc.st, f"{exc.reason or 'its argument is undecided'}: its expansion "
                                      f"needs terms beyond order {k}, so diffzoo cannot give one") from None
                k = min(cap, k + exc.extra)
                continue
            head = W[: plan.vars, : order + 1]
            if np.isfinite(head).all():
                break
            # nan marks a coefficient a rule could not determine at this order (sqrt(t^2 + ...) at 0): go higher.
            undetermined = np.isnan(head)
            if undetermined.any() and not np.isinf(head).any() and k < cap:
                k = min(cap, k + order + 1 - int(np.flatnonzero(undetermined.any(axis=0))[0]))
                continue
            break
        ops = t.ops
    if not np.isfinite(head).all():
        bad = int(np.flatnonzero(~np.isfinite(head[plan.n:]).all(axis=1))[0])
        st = wl.steps[bad]
        j = int(np.flatnonzero(~np.isfinite(head[plan.n + bad]))[0])
        if np.isnan(head[plan.n + bad, j]):
            raise _step_error(wl, st, f"its Taylor coefficient of t^{j} is undefined (or needs terms beyond order {k})")
        raise _step_error(wl, st, f"its Taylor coefficient of t^{j} overflows (no finite 64-bit value)")
    seen: set[str] = set()
    warnings = []
    for st, text in notes:
        sentence = f"{wl.name_of(st.index)} = {wl.definition(st)}: {text}"
        if sentence not in seen:
            seen.add(sentence)
            warnings.append(sentence)
    return Sweep(head, vals, TaylorCost(plan.moving, ops, passes), tuple(warnings))


def output_series(wl: WengertList, W: np.ndarray) -> np.ndarray:
    """The outputs' rows of ``W`` (a constant output: its value, then zeros)."""
    out = np.zeros((wl.m, W.shape[1]))
    for i, o in enumerate(wl.outputs):
        if isinstance(o, Const):
            out[i, 0] = o.value
        else:
            out[i] = W[o + wl.n - 1]
    return out


# --- the public functions ----------------------------------------------------------------------------


def _order(order: Any) -> int:
    if type(order) is int and 0 <= order <= MAX_ORDER:
        return order
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise ValueError(f"order must be a whole number from 0 to {MAX_ORDER}, not {order!r}")
    if not 0 <= int(order) <= MAX_ORDER:
        raise ValueError(f"order must be from 0 to {MAX_ORDER}, not {int(order)}")
    return int(order)


def _direction(function: Function, direction: Any) -> list[float]:
    if direction is None:
        if function.n != 1:
            names = ", ".join(function.variables)
            example = [1] + [0] * (function.n - 1)
            raise ValueError(f"a direction is needed for a function of {function.n} variables ({names}): "
                             f"direction={example} moves {function.variables[0]} alone")
        return [1.0]
    return floats(direction, function.variables, "direction")


_FACTORIALS = np.array([math.factorial(j) for j in range(MAX_ORDER + 1)], dtype=float)


def taylor(f: Function | str, at: Mapping[str, Any] | Sequence[Any] | float, order: int = 5,
           direction: Mapping[str, Any] | Sequence[Any] | float | None = None, *,
           variables: Sequence[str] | None = None) -> TaylorResult:
    """The Taylor coefficients f^(j)(x; v)/j!, j = 0..order, of t -> f(x + t v), by one Taylor-mode sweep.

    ``f`` is text or a parsed function, ``at`` the point (a number, a sequence or a dict by name);
    ``direction`` v likewise, e_1 by default for a function of one variable (required otherwise).
    A kink or jump met at the point gives the expansion for t > 0 and a warning; where no expansion
    exists the :class:`EvaluationError` says which step.

    The sweep is the list's compiled Taylor program where it has one (``taylorcode.py``: the recurrences
    unrolled into Python, made once per list, order and set of moved inputs, and kept on the list); at a
    kink, an edge of a domain, a math error or a coefficient that is not finite, and for a list it has no
    program for, the careful sweep (:func:`propagate`) answers, with its warnings and errors. The two give
    the same coefficients to rounding. ``cost.ops`` counts the operations of the sweep that ran: the
    compiled program's own (the products with a coefficient known to be 0 are not written, so a line
    through a few inputs costs O(k) per step where the careful rules cost O(k²)), or the careful rules'.
    """
    function = as_function(f, variables)
    x = as_point(function, at)
    k = _order(order)
    v = _direction(function, direction)
    wl = function.wengert
    fast = _by_program(function, wl, x, v, k)
    if fast is not None:
        return fast
    sw = propagate(wl, x, v, k)
    coefficients = output_series(wl, sw.series)
    derivatives = coefficients * _FACTORIALS[: k + 1]
    outs = wl.output_values(sw.values)
    value = outs[0] if wl.m == 1 else list(outs)
    warnings = list(sw.warnings)
    jumped = [i for i in range(wl.m) if coefficients[i, 0] != outs[i]]
    if jumped:
        which = ", ".join(wl.output_names()[i] for i in jumped)
        warnings.append(f"{which} jumps at t = 0: coefficient 0 is the limit for t > 0, not the value at t = 0")
    return TaylorResult(coefficients, derivatives, value, k, tuple(v), sw.cost, tuple(warnings), function,
                        tuple(x), sw.series)


def _by_program(function: Function, wl: WengertList, x: list[float], v: list[float], k: int) -> TaylorResult | None:
    """The result by the list's compiled Taylor program; None where the careful sweep must answer (no program,
    or the program handed the point back: a kink, an edge, a math error, a coefficient that is not finite)."""
    prog = taylorcode.program(wl, k, tuple(map(bool, v)))
    if prog is None:
        return None
    try:
        flat = prog.function(x, v)
    except (ValueError, ArithmeticError):
        return None
    s = sum(flat)
    if s - s != 0.0:  # inf - inf and nan - nan are nan (an overflowing sum of finite terms only costs a detour)
        return None
    if prog.cost is None:
        prog.cost = TaylorCost(prog.steps, prog.ops, 1)
    buf = bytearray(prog.pack(*flat))
    (shape, at), (out_shape, c_at), d_at = prog.series, prog.coefficients, prog.derivatives[1]
    first, m, k1 = c_at // 8, prog.outputs, k + 1  # the outputs' coefficients start at flat[first]
    r = object.__new__(TaylorResult)
    # The fields set at once: the frozen dataclass's __init__ sets its ten one by one through object.__setattr__,
    # a microsecond, a tenth of the whole call for a small function. The three arrays are views of one buffer.
    r.__dict__.update(coefficients=np.ndarray(out_shape, float, buf, c_at),
                      derivatives=np.ndarray(out_shape, float, buf, d_at),
                      value=flat[first] if m == 1 else flat[first: first + m * k1: k1], order=k, direction=tuple(v),
                      cost=prog.cost, warnings=(), function=function, x=tuple(x),
                      series=np.ndarray(shape, float, buf, at))
    return r


def polynomial(result: TaylorResult, t: Any, output: int = 0) -> np.ndarray:
    """The Taylor polynomials of orders 1..k of output ``output`` at the values ``t``: row j - 1 is
    Σ_{i<=j} c_i t^i (shape k x len(t); for the plot of the polynomials against f)."""
    ts = np.atleast_1d(np.asarray(t, dtype=float))
    c = result.coefficients[output]
    terms = c[:, None] * ts[None, :] ** np.arange(result.order + 1)[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        return np.cumsum(terms, axis=0)[1:]


def along(result: TaylorResult, t: Any, output: int = 0) -> np.ndarray:
    """f(x + t v) itself at the values ``t`` (nan where it has no value): what the polynomials approximate."""
    ts = np.atleast_1d(np.asarray(t, dtype=float))
    wl = result.function.wengert
    point = [np.asarray(xi + ts * vi) for xi, vi in zip(result.x, result.direction)]
    out = wl.output_values(wl.evaluate(point))[output]
    return np.broadcast_to(np.asarray(out, dtype=float), ts.shape).copy()


def cost_against_duals(f: Function | str, at: Mapping[str, Any] | Sequence[Any] | float,
                       ks: Iterable[int] = range(1, 9), *, i: int = 0, output: int = 0, repeats: int = 5,
                       budget: float = 20.0, variables: Sequence[str] | None = None) -> pd.DataFrame:
    """Taylor mode against nested dual numbers (``higher.derivatives_along``) along input ``i``, for each
    order k in ``ks``: operations counted and seconds per call (median of ``repeats`` interleaved rounds).

    Columns: ``k``, ``taylor_ops``, ``taylor_s``, ``duals_ops``, ``duals_s``, ``agree`` (the largest
    difference between the two's derivatives, relative to the largest derivative). Nested duals cost
    O(2^k): once one of their timings passes ``budget`` seconds, larger k are left out for them (nan).
    Operations: for Taylor mode those of the recurrences as ``series.py`` writes them, O(k²) per step (the
    careful sweep's ``TaylorCost.ops``, which it times too: :func:`propagate`, not the compiled program that
    :func:`taylor` runs first, whose zero propagation can make a line through the inputs O(k)); for nested duals
    the float operations of the table that the dual arithmetic calls (``higher.dual_ops``).
    """
    from . import higher
    from .timing import interleaved

    function = as_function(f, variables)
    x = as_point(function, at)
    wl = function.wengert
    v = [float(j == i) for j in range(function.n)]
    rows = []
    duals_on = True
    for k in ks:
        k = _order(k)
        sw = propagate(wl, x, v, k)
        tay = output_series(wl, sw.series)[output] * _FACTORIALS[: k + 1]
        jobs: dict[str, Callable[[], object]] = {"taylor": lambda k=k: propagate(wl, x, v, k)}
        row: dict[str, float] = {"k": k, "taylor_ops": sw.cost.ops, "duals_ops": math.nan, "duals_s": math.nan,
                                 "agree": math.nan}
        if duals_on:
            start = time.perf_counter()
            duals = higher.derivatives_along(function, x, i, output, k, by="duals")
            row["duals_ops"] = higher.dual_ops(function, x, i, output, k)
            if time.perf_counter() - start > budget:
                duals_on = False
            else:
                jobs["duals"] = lambda k=k: higher.derivatives_along(function, x, i, output, k, by="duals")
            scale = max(1e-300, max(abs(d) for d in duals))
            row["agree"] = float(np.max(np.abs(np.asarray(duals) - tay))) / scale
        times = interleaved(jobs, repeats, min_time=2e-3)
        row["taylor_s"] = float(np.median(times["taylor"]))
        if "duals" in times:
            row["duals_s"] = float(np.median(times["duals"]))
        rows.append(row)
    cols = ["k", "taylor_ops", "taylor_s", "duals_ops", "duals_s", "agree"]
    return pd.DataFrame(rows, columns=cols)


__all__ = ["MAX_ORDER", "TaylorCost", "TaylorResult", "Sweep", "taylor", "polynomial", "along", "propagate",
           "output_series", "cost_against_duals"]

"""Forward mode: carry a tangent beside every primal value, one pass per seed direction.

``tangent_sweep`` walks the Wengert list once, computing ``v̇_k = Σ ∂v_k/∂v_j · v̇_j`` from the
primitive table's partials, so a pass yields one column of the Jacobian (a JVP). ``Dual`` is
the same idea as a number type: it carries a *tag* so that nested derivatives do not mix
their perturbations (the survey's "perturbation confusion").
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import EvaluationError
from .primitives import PRIMITIVES, ArrayBackend, FloatBackend
from .wengert import WengertList, _all_floats, _plan, rule_form, vname


def tangent_sweep(wl: WengertList, vals: list[Any], seed: Sequence[Any]) -> list[Any]:
    """Tangents of every variable (inputs first) for the input direction ``seed``.

    Only the steps that depend on a moved input (a nonzero seed entry) through active steps carry a
    tangent: a partial elsewhere is never needed, so ``∂(x^y)/∂y`` at x < 0 is not asked for along x.
    Along the moved part every partial is evaluated, even where the tangent it multiplies is 0: an
    infinite or undefined partial times 0 is refused, as reverse mode refuses it (``(x^3)^(1/3)`` at 0).
    """
    if _all_floats(vals) or not _arrays(vals):
        dots = [float(s) for s in seed]
        if len(dots) != wl.n:
            raise ValueError(f"the seed needs {wl.n} entries, got {len(dots)}")
        try:
            out = _fast_tangents(wl, vals, dots)
        except (ValueError, ArithmeticError, IndexError, TypeError):
            out = None  # the step-by-step sweep below says precisely which partial failed
        if out is not None and math.isfinite(sum(out)):
            return out
    return _tangent_sweep_steps(wl, vals, seed)


def _forward_plan(wl: WengertList) -> tuple:
    """Per active step: (target, then for each of two arguments: tangent slot, kind, u, v).

    kind 0: the partial is ``ext[u]`` (a variable, or a constant slot); kind 1: it is ``u(ext[v])``;
    kind 2: the table's rule ``u`` called on the floats ``ext[s] for s in v``. A constant argument
    or a missing second argument reads the tangent slot ``n + k``, which is always 0.0 (skipped).
    """
    plan = _plan(wl)
    fp = plan.extra.get("forward")
    if fp is not None:
        return fp
    n, zero = wl.n, plan.size
    rows = []
    for st in wl.steps:
        if not st.active:
            continue
        t = st.index + n - 1
        slots = [plan.slot(x, n) for x in st.args]
        row: list[Any] = [t]
        for j in range(2):
            if j >= len(st.args) or not isinstance(st.args[j], int):
                row += [zero, 0, zero, None]
                continue
            form = rule_form(st.prim, j)
            if form[0] == "const":
                row += [slots[j], 0, plan.const(form[1]), None]
            elif form[0] == "operand":
                row += [slots[j], 0, t if form[1] < 0 else slots[form[1]], None]
            elif form[0] == "map":
                row += [slots[j], 1, getattr(FloatBackend, form[1]), t if form[2] < 0 else slots[form[2]]]
            else:
                row += [slots[j], 2, st.prim.partials[j], (t, *slots)]
        rows.append(tuple(row))
    fp = (tuple(rows),)
    plan.extra["forward"] = fp
    return fp


def _fast_tangents(wl: WengertList, vals: list[Any], dots: list[float]) -> list[float]:
    """The float sweep from the prepared plan; ``None`` marks a tangent that is structurally zero."""
    plan = _plan(wl)
    (rows,) = _forward_plan(wl)
    ext = vals + plan.consts
    tan: list[Any] = [d if d != 0.0 else None for d in dots]
    tan += [None] * (len(plan.blank) + 1)  # steps not reached, and the zero tangent of constants
    B = FloatBackend
    for t, a, ka, ua, va, b, kb, ub, vb in rows:
        acc = None
        d = tan[a]
        if d is not None:
            if ka == 0:  # 0.0 + ...: a tangent is never -0.0, as in the compiled code
                acc = 0.0 + ext[ua] * d
            elif ka == 1:
                acc = 0.0 + ua(ext[va]) * d
            else:
                acc = 0.0 + ua(B, *[ext[s] for s in va]) * d
        d = tan[b]
        if d is not None:
            if kb == 0:
                p = ext[ub] * d
            elif kb == 1:
                p = ub(ext[vb]) * d
            else:
                p = ub(B, *[ext[s] for s in vb]) * d
            acc = 0.0 + p if acc is None else acc + p
        tan[t] = acc
    tan.pop()
    return [0.0 if d is None else d for d in tan]


def _tangent_sweep_steps(wl: WengertList, vals: list[Any], seed: Sequence[Any]) -> list[Any]:
    """The sweep step by step (arrays, and the precise error when a float sweep fails)."""
    n = wl.n
    off = n - 1
    arrays = _arrays(vals)
    dots: list[Any] = list(seed) if arrays else [float(s) for s in seed]
    if len(dots) != n:
        raise ValueError(f"the seed needs {n} entries, got {len(dots)}")
    B = ArrayBackend if arrays else FloatBackend
    if not arrays:  # None: not moved by the seed (no partial along it is needed)
        dots = [d if d != 0.0 else None for d in dots]
    for st in wl.steps:
        if not st.active:
            dots.append(0.0 if arrays else None)
            continue
        a = wl.args_of(st, vals)
        out = vals[st.index + off]
        acc: Any = None
        for j, x in enumerate(st.args):
            if isinstance(x, int):
                d = dots[x + off]
                if d is None:
                    continue
                try:
                    p = st.prim.partials[j](B, out, *a) * d
                except (ValueError, ArithmeticError):
                    raise _derivative_error(wl, st, j, a) from None
                acc = 0.0 + p if acc is None else acc + p
        dots.append(acc if acc is not None or not arrays else 0.0)
    if arrays:
        return dots
    dots = [0.0 if d is None else d for d in dots]
    if not all(math.isfinite(d) for d in dots):
        st = next(s for s in wl.steps if not math.isfinite(dots[s.index + off]))
        raise EvaluationError("the tangent is not finite (the derivative overflows or does not exist here)",
                              f"{_dot(st.index)} at {vname(st.index)} = {wl.definition(st)}")
    return dots


def directional(wl: WengertList, vals: list[float], seed: Sequence[float]) -> list[float | None]:
    """The outputs' directional derivatives along ``seed`` at a point where kinks may be (floats).

    As a tangent sweep, except that a piecewise step at its kink takes the table's ``one_sided``
    rule (abs'(0; d) = |d|) instead of its partial: the result is exact for functions built from
    smooth and piecewise smooth primitives. ``None`` for an output that jumps in this direction.
    Seeding +e_i and -e_i gives the right and (minus) the left derivative in x_i.
    """
    off = wl.n - 1
    jump = object()
    dots: list[Any] = [float(s) for s in seed]
    for st in wl.steps:
        a = wl.args_of(st, vals)
        d = [dots[x + off] if isinstance(x, int) else 0.0 for x in st.args]
        if any(v is jump for v in d):
            dots.append(jump)
        elif st.prim.kink is not None and st.prim.kink(*a) == 0:
            v = st.prim.one_sided(*a, *d)
            dots.append(jump if v is None else v)
        elif not st.active:
            dots.append(0.0)
        else:
            out = vals[st.index + off]
            acc = 0.0
            for j, x in enumerate(st.args):
                if isinstance(x, int) and d[j] != 0.0:
                    try:
                        acc = acc + st.prim.partials[j](FloatBackend, out, *a) * d[j]
                    except (ValueError, ArithmeticError):
                        acc = math.nan
            dots.append(acc)
    outs = [dots[o + off] if isinstance(o, int) else 0.0 for o in wl.outputs]
    return [None if v is jump else v for v in outs]


def _arrays(vals: list[Any]) -> bool:
    return any(isinstance(v, np.ndarray | np.generic) for v in vals)


def _dot(i: int) -> str:
    return f"v\u0307_{i}"


def _derivative_error(wl: WengertList, st: Any, j: int, a: list[float]) -> EvaluationError:
    from .traces import partial_text

    shown = ", ".join(f"{v:.6g}" for v in a)
    return EvaluationError(
        f"the partial derivative ∂{vname(st.index)}/∂{wl.operand_text(st.args[j])} = {partial_text(wl, st, j)} "
        f"does not exist at ({shown})", f"{vname(st.index)} = {wl.definition(st)}")


def jvp(wl: WengertList, point: Sequence[float], direction: Sequence[float]) -> tuple[list[Any], list[Any]]:
    """One forward pass: outputs ``f(x)`` and ``J(x) · direction``."""
    vals = wl.evaluate(point)
    dots = tangent_sweep(wl, vals, direction)
    return wl.output_values(vals), output_tangents(wl, dots)


def output_tangents(wl: WengertList, dots: list[Any]) -> list[Any]:
    return [dots[o + wl.n - 1] if isinstance(o, int) else 0.0 for o in wl.outputs]


def jacobian(wl: WengertList, vals: list[Any]) -> tuple[np.ndarray, list[list[Any]]]:
    """The m x n Jacobian column by column: n passes seeded with the unit vectors."""
    J = np.zeros((wl.m, wl.n))
    passes = []
    for i in range(wl.n):
        seed = [0.0] * wl.n
        seed[i] = 1.0
        dots = tangent_sweep(wl, vals, seed)
        J[:, i] = output_tangents(wl, dots)
        passes.append(dots)
    return J, passes


# --- dual numbers, tagged ------------------------------------------------------------------------

_tags = itertools.count(1)


@dataclass(frozen=True)
class Dual:
    """``primal + tangent·ε`` with ``ε² = 0``; ``tag`` names the derivative the ε belongs to.

    Arithmetic goes through the primitive table, and primal and tangent may themselves be
    duals of another tag, so derivatives nest (second derivatives, derivatives of functions
    that take derivatives) without confusing one ε for another.
    """

    primal: Any
    tangent: Any
    tag: int

    def __add__(self, o: Any) -> Any:
        return apply("add", self, o)

    def __radd__(self, o: Any) -> Any:
        return apply("add", o, self)

    def __sub__(self, o: Any) -> Any:
        return apply("sub", self, o)

    def __rsub__(self, o: Any) -> Any:
        return apply("sub", o, self)

    def __mul__(self, o: Any) -> Any:
        return apply("mul", self, o)

    def __rmul__(self, o: Any) -> Any:
        return apply("mul", o, self)

    def __truediv__(self, o: Any) -> Any:
        return apply("div", self, o)

    def __rtruediv__(self, o: Any) -> Any:
        return apply("div", o, self)

    def __pow__(self, o: Any) -> Any:
        return apply("pow", self, o)

    def __rpow__(self, o: Any) -> Any:
        return apply("pow", o, self)

    def __neg__(self) -> Any:
        return apply("neg", self)


def _top_tag(args: Sequence[Any]) -> int:
    return max((a.tag for a in args if isinstance(a, Dual)), default=0)


def _split(a: Any, tag: int) -> tuple[Any, Any]:
    """The primal and the tangent of ``a`` with respect to ``tag`` (0 if it has none)."""
    if isinstance(a, Dual):
        if a.tag == tag:
            return a.primal, a.tangent
        if a.tag > tag:  # an outer-tag dual whose parts may carry ``tag`` deeper down
            p0, t0 = _split(a.primal, tag)
            p1, t1 = _split(a.tangent, tag)
            return Dual(p0, p1, a.tag), Dual(t0, t1, a.tag)
    return a, 0.0


class Generic:
    """A backend whose operations accept floats and duals alike (so partials can be nested)."""


for _name in PRIMITIVES:
    setattr(Generic, _name, staticmethod(lambda *args, _n=_name: apply(_n, *args)))


def apply(name: str, *args: Any) -> Any:
    """Apply a primitive to floats or duals: the dual number's whole arithmetic."""
    prim = PRIMITIVES[name]
    tag = _top_tag(args)
    if tag == 0:
        return prim.scalar(*args)
    parts = [_split(a, tag) for a in args]
    primals = [p for p, _ in parts]
    out = apply(name, *primals)
    tangent: Any = 0.0
    for j, (_, t) in enumerate(parts):
        if isinstance(t, Dual) or t != 0.0:
            tangent = apply("add", tangent, apply("mul", prim.partials[j](Generic, out, *primals), t))
    return Dual(out, tangent, tag)


def derivative(fn: Callable[[Any], Any]) -> Callable[[float], Any]:
    """``derivative(f)(x)`` = f'(x) by forward mode, with a fresh tag for each call."""

    def df(x: Any) -> Any:
        tag = next(_tags)
        y = fn(Dual(x, 1.0, tag))
        return _split(y, tag)[1]

    return df


def function_of(wl: WengertList) -> Callable[..., Any]:
    """The Wengert list as a Python function of floats or duals (for nesting derivatives)."""

    def f(*point: Any) -> Any:
        off = wl.n - 1
        vals = list(point)
        for st in wl.steps:
            vals.append(apply(st.prim.name, *[vals[x + off] if isinstance(x, int) else x.value for x in st.args]))
        outs = [vals[o + off] if isinstance(o, int) else o.value for o in wl.outputs]
        return outs[0] if wl.m == 1 else outs

    return f

"""Reverse mode: one forward sweep records the primals, one reverse sweep spreads adjoints.

The adjoint ``v̄_j = ∂y/∂v_j`` collects one contribution ``v̄_k · ∂v_k/∂v_j`` from every step
``k`` that uses ``v_j``, so adjoints are accumulated with ``+=``: a variable used twice (the
survey's ``v_0`` and ``v_-1``) is updated twice. One sweep gives a whole row of the Jacobian
(a VJP): the full gradient of a scalar function for a small constant times its own cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import transforms
from .backends import FLOATS
from .errors import EvaluationError
from .wengert import WengertList, _all_floats


@dataclass(frozen=True)
class Update:
    """One line of the adjoint trace: ``target`` gets ``contribution`` from step ``source``."""

    target: int  # the variable whose adjoint changes
    source: int | None  # the step k whose adjoint flows back (None for the seed)
    arg: int  # position of the target among the step's arguments (or the output number)
    first: bool  # the first contribution (v̄ = ...) or an accumulation (v̄ = v̄ + ...)
    partial: float  # ∂v_k/∂v_target (the seed value ȳ for a seed row)
    value: float  # the adjoint after the update


def adjoint_sweep(wl: WengertList, vals: list[Any], ybar: Sequence[float],
                  record: bool = False) -> tuple[list[Any], list[Update]]:
    """Adjoints of every variable (inputs first) for the output weights ``ybar``: one reverse sweep.

    The sweep is the adjoint program ``transforms.vjp(wl)`` run after the primal values ``vals``:
    steps no weighted output depends on are left out, so their partials are never needed. With
    ``record=True`` every update is also returned, in the order it is computed (the adjoint trace).
    """
    d, w = _sweep(wl, vals, ybar)
    bar = list(transforms.picker(d, range(1 - wl.n, len(wl.steps) + 1))(w))
    if not record:
        return bar, []
    off = d.n - 1
    log = []
    for u in d.derivation.updates:
        p = u.partial
        partial = ybar[u.arg] if u.source is None else (w[p + off] if isinstance(p, int) else p.value)
        log.append(Update(u.target, u.source, u.arg, u.first, partial, w[u.operand + off]))
    return bar, log


def input_adjoints(wl: WengertList, vals: list[Any], ybar: Sequence[float]) -> list[Any]:
    """``ȳ · J(x)`` alone, after the primal values ``vals``: only the inputs' adjoints are read."""
    d, w = _sweep(wl, vals, ybar)
    return list(transforms.picker(d, range(1 - wl.n, 1))(w))


def _gradient(wl: WengertList, vals: list[Any]) -> list[float] | None:
    """∂f/∂x of a scalar function after its primal values, by the gradient program (ȳ = 1 written in, so
    fewer steps); None where any value on the way is not finite, and the full sweep answers or says why."""
    if _arrays(vals):
        return None
    g = transforms.gradient_of(wl)
    try:
        return g.output_values(g.extend((), vals, strict=True))[1:]
    except EvaluationError:
        return None


def primal_and_gradient(wl: WengertList, x: list[float]) -> tuple[list[float], list[float]]:
    """The primal values and ∂f/∂x of a scalar function at the floats ``x``: one run of the gradient
    program (its first steps are the primal list's) where every value is finite; elsewhere the primal
    values, then the full sweep, which answers or says in the primal's terms what failed."""
    g = transforms.gradient_of(wl)
    try:
        w = g.evaluate(x)
    except EvaluationError:
        vals = wl.evaluate(x)
        return vals, jacobian(wl, vals)[0].tolist()
    return w[: wl.n + len(wl.steps)], g.output_values(w)[1:]


def _sweep(wl: WengertList, vals: list[Any], ybar: Sequence[float]) -> tuple[WengertList, list[Any]]:
    """The adjoint program that ran, and all its values (a zero appended, for what has no adjoint)."""
    n, m = wl.n, wl.m
    if len(ybar) != m:
        raise ValueError(f"ybar needs {m} entries, got {len(ybar)}")
    if _arrays(vals):
        d = transforms.vjp_of(wl)
        w = d.evaluate([*ybar, *vals[:n]])
    else:
        ybar = [float(v) for v in ybar]
        try:  # one program for every weighting (a Jacobian's m sweeps share it) ...
            d = transforms.vjp_of(wl)
            w = transforms.run(d, ybar, vals)
        except EvaluationError:  # ... and where it fails, the one that leaves unweighted outputs out
            weighted = [v != 0.0 for v in ybar]
            d = transforms.vjp_of(wl, weighted)
            w = transforms.run(d, [v for v, on in zip(ybar, weighted) if on], vals)
    w.append(0.0 * abs(w[0]) if w else 0.0)  # the adjoint of what has none: 0.0 (or zeros of the arrays' shape)
    return d, w


def _arrays(vals: list[Any]) -> bool:
    return not _all_floats(vals) and any(isinstance(v, np.ndarray | np.generic) for v in vals)


def adjoint_bound(wl: WengertList, vals: list[float], ybar: Sequence[float]) -> list[float]:
    """Σ |v̄_k · ∂v_k/∂v_j| per input: the size of the chain-rule terms that sum to each gradient entry.

    The reverse sweep with every partial and seed taken in absolute value. Rounding errs by about
    2^-53 of it, so an adjoint much smaller than its bound is what is left after cancellation, and
    may have few or no correct digits.
    """
    off = wl.n - 1
    bar = [0.0] * len(vals)
    for o, w in zip(wl.outputs, ybar):
        if isinstance(o, int):
            bar[o + off] += abs(w)
    for st in reversed(wl.steps):
        k = st.index + off
        if not st.active or bar[k] == 0.0:
            continue
        a = wl.args_of(st, vals)
        for j, x in enumerate(st.args):
            if isinstance(x, int) and (x <= 0 or wl.steps[x - 1].active):
                try:
                    p = abs(st.prim.partials[j](FLOATS, vals[k], *a))
                except (ValueError, ArithmeticError):
                    p = math.inf
                bar[x + off] += bar[k] * p
    return bar[: wl.n]


def vjp(wl: WengertList, point: Sequence[float], ybar: Sequence[float]) -> tuple[list[Any], list[Any]]:
    """One forward and one reverse sweep: outputs ``f(x)`` and ``ȳ · J(x)``."""
    vals = wl.evaluate(point)
    return wl.output_values(vals), input_adjoints(wl, vals, ybar)


def grad(wl: WengertList, point: Sequence[float]) -> list[float]:
    """The gradient of a scalar function: one reverse sweep seeded with ȳ = 1."""
    if wl.m != 1:
        raise ValueError(f"grad needs a scalar function; this one has {wl.m} outputs (use vjp or jacobian)")
    return vjp(wl, point, [1.0])[1]


def jacobian(wl: WengertList, vals: list[Any]) -> np.ndarray:
    """The m x n Jacobian row by row: m reverse sweeps seeded with the unit vectors (the inputs' adjoints read)."""
    J = np.zeros((wl.m, wl.n))
    if wl.m == 1 and (g := _gradient(wl, vals)) is not None:
        J[0] = g
        return J
    for j in range(wl.m):
        J[j, :] = input_adjoints(wl, vals, transforms.unit(wl.m, j))
    return J


__all__ = ["Update", "adjoint_sweep", "input_adjoints", "primal_and_gradient", "adjoint_bound", "vjp", "grad",
           "jacobian"]

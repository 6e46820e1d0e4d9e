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
from typing import Any

import numpy as np

from . import transforms
from .backends import FLOATS, Dual, apply, split_dual
from .errors import EvaluationError
from .wengert import WengertList, _all_floats


def tangent_sweep(wl: WengertList, vals: list[Any], seed: Sequence[Any]) -> list[Any]:
    """Tangents of every variable (inputs first) for the input direction ``seed``: one forward pass.

    The pass is the tangent program ``transforms.jvp(wl)`` run after the primal values ``vals``. An
    input the seed does not move has no tangent and no partial along it is evaluated (``∂(x^y)/∂y``
    at x < 0 is not asked for along x); every other partial is, even where the tangent it multiplies
    is 0, so that an infinite or undefined one is refused, as reverse mode refuses it.
    """
    return _tangents(wl, vals, seed, range(1 - wl.n, len(wl.steps) + 1))


def _tangents(wl: WengertList, vals: list[Any], seed: Sequence[Any], variables: Sequence[int]) -> list[Any]:
    """The tangents of ``variables`` (numbers of the primal list) along ``seed``."""
    n = wl.n
    if len(seed) != n:
        raise ValueError(f"the seed needs {n} entries, got {len(seed)}")
    if _arrays(vals):  # arrays of points, complex numbers, float32: element-wise, nan where no value
        d = transforms.jvp_of(wl)
        w = d.evaluate([*seed, *vals[:n]])
    else:
        seed = [float(v) for v in seed]
        try:  # one program for every direction (a Jacobian's n passes share it) ...
            d = transforms.jvp_of(wl)
            w = transforms.run(d, seed, vals)
        except EvaluationError:  # ... and where it fails, the one that leaves unmoved inputs out
            moved = [v != 0.0 for v in seed]
            d = transforms.jvp_of(wl, moved)
            w = transforms.run(d, [v for v, on in zip(seed, moved) if on], vals)
    w.append(0.0 * abs(w[0]) if w else 0.0)  # the tangent of what has none: 0.0 (or zeros of the arrays' shape)
    return list(transforms.picker(d, variables)(w))


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
                        acc = acc + st.prim.partials[j](FLOATS, out, *a) * d[j]
                    except (ValueError, ArithmeticError):
                        acc = math.nan
            dots.append(acc)
    outs = [dots[o + off] if isinstance(o, int) else 0.0 for o in wl.outputs]
    return [None if v is jump else v for v in outs]


def _arrays(vals: list[Any]) -> bool:
    return not _all_floats(vals) and any(isinstance(v, np.ndarray | np.generic) for v in vals)


def jvp(wl: WengertList, point: Sequence[float], direction: Sequence[float]) -> tuple[list[Any], list[Any]]:
    """One forward pass: outputs ``f(x)`` and ``J(x) · direction``."""
    vals = wl.evaluate(point)
    return wl.output_values(vals), output_jvp(wl, vals, direction)


def output_jvp(wl: WengertList, vals: list[Any], direction: Sequence[float]) -> list[Any]:
    """``J(x) · direction`` alone, after the primal values ``vals``: only the outputs' tangents are read."""
    outs = [o if isinstance(o, int) else 10**9 for o in wl.outputs]  # a constant output has no tangent
    return _tangents(wl, vals, direction, outs)


def output_tangents(wl: WengertList, dots: list[Any]) -> list[Any]:
    return [dots[o + wl.n - 1] if isinstance(o, int) else 0.0 for o in wl.outputs]


def jacobian(wl: WengertList, vals: list[Any]) -> np.ndarray:
    """The m x n Jacobian column by column: n passes seeded with the unit vectors (the outputs' tangents read)."""
    J = np.zeros((wl.m, wl.n))
    for i in range(wl.n):
        J[:, i] = output_jvp(wl, vals, transforms.unit(wl.n, i))
    return J


_tags = itertools.count(1)


def derivative(fn: Callable[[Any], Any]) -> Callable[[float], Any]:
    """``derivative(f)(x)`` = f'(x) by forward mode, with a fresh tag for each call."""

    def df(x: Any) -> Any:
        tag = next(_tags)
        y = fn(Dual(x, 1.0, tag))
        return split_dual(y, tag)[1]

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

"""What a result must say beside its numbers: the sentences that go into ``Result.warnings``.

A derivative can be right by the rules and still mislead: at a kink (abs at 0) the rules give a
convention, not a derivative; a gradient entry far smaller than the chain-rule terms that sum to
it is what is left after cancellation. Each check here is cheap where nothing is wrong (no kink at
the point, no adjoint much larger than the result) and says in one sentence what is wrong, where,
and what the number shown is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import forward, reverse
from .backends import FLOATS, partial_rules
from .fmt import short
from .transforms import unit
from .wengert import WengertList, vname

#: Unit roundoff of float64: rounding a result errs by at most this fraction of it.
UNIT = 2.0**-53
#: A gradient entry whose rounding bound exceeds this fraction of it has fewer than about six correct digits.
LOST = 1e-6


fmt = short


def kinks_at(wl: WengertList, vals: Sequence[float]) -> list[Any]:
    """The piecewise steps of ``wl`` that are exactly at their kink at the point whose values are ``vals``."""
    return [st for st in wl.kink_steps if st.prim.kink(*wl.args_of(st, vals)) == 0]


def kinks(wl: WengertList, vals: Sequence[float], J: np.ndarray | None = None,
          seed: Sequence[float] | None = None) -> list[str]:
    """A sentence when f has no derivative at the point because a piecewise step is at its kink.

    The one-sided derivatives come from directional sweeps (:func:`forward.directional`) along
    +e_i and -e_i (or, for one forward pass, along ±``seed``); where they agree and match ``J``, the
    kink does not matter (``x * abs(x)`` at 0) and nothing is said.
    """
    at_kink = kinks_at(wl, vals)
    if not at_kink:
        return []
    names = wl.output_names()
    directions = ([(f"along the seed {list(map(float, seed))}", list(map(float, seed)), None)] if seed is not None else
                  [(x, unit(wl.n, i), i) for i, x in enumerate(wl.inputs)])
    sides: list[str] = []
    for label, d, i in directions:
        right = forward.directional(wl, list(vals), d)
        left = [None if v is None else 0.0 - v for v in forward.directional(wl, list(vals), [-v for v in d])]
        for j, y in enumerate(names):
            r, lt = right[j], left[j]
            what = f"\u2202{y}/\u2202{label}" if i is not None else f"the slope of {y} {label}"
            if r is None or lt is None:
                sides.append(f"{y} jumps as {label} crosses this point" if i is not None
                             else f"{y} jumps {label}")
            elif r != lt or (J is not None and i is not None and r != J[j, i]):
                sides.append(f"{what} is {fmt(lt)} from the left and {fmt(r)} from the right")
    if not sides:
        return []
    where = "; ".join(f"{vname(st.index)} = {wl.definition(st)} is at its kink ({st.prim.kink_text})" for st in at_kink)
    rules = ", ".join(dict.fromkeys(st.prim.convention for st in at_kink))
    return [f"{where}: {'; '.join(sides)}, so f has no derivative there. The value shown comes from the "
            f"convention {rules}."]


def no_derivative(wl: WengertList, vals: Sequence[float]) -> np.ndarray:
    """Which entries of the Jacobian do not exist at the point because of a kink or a jump (m x n booleans).

    An entry exists where the one-sided derivatives along +e_i and -e_i agree (:func:`forward.directional`);
    without a piecewise step at its kink every entry does (nothing is computed then).
    """
    missing = np.zeros((wl.m, wl.n), dtype=bool)
    if not any(st.prim.kink(*wl.args_of(st, vals)) == 0 for st in wl.kink_steps):
        return missing
    for i in range(wl.n):
        d = unit(wl.n, i)
        right = forward.directional(wl, list(vals), d)
        left = forward.directional(wl, list(vals), [-v for v in d])
        for j in range(wl.m):
            missing[j, i] = right[j] is None or left[j] is None or right[j] != -left[j]
    return missing


def _lost(values: Sequence[float], bounds: Sequence[float]) -> list[int]:
    """Entries whose rounding bound (``UNIT`` times the size of their terms) exceeds ``LOST`` of them."""
    scale = max((abs(v) for v in values), default=0.0) or 1.0
    return [k for k, (v, b) in enumerate(zip(values, bounds))
            if b * UNIT > LOST * (abs(v) if v != 0 else scale)]


def cancellation(wl: WengertList, vals: Sequence[float], J: np.ndarray) -> list[str]:
    """A sentence for each Jacobian entry that is what is left after chain-rule terms cancel.

    The size of the terms is :func:`reverse.adjoint_bound` (one more sweep per output, taken when the
    warnings are read): ``x/(x^2 + 1e-30)`` at 1e-15 sums terms of 5e29 to -1.8e13.
    """
    if not np.isfinite(J).all() or not J.size:
        return []
    out = []
    names = wl.output_names()
    for j, y in enumerate(names):
        bound = reverse.adjoint_bound(wl, list(vals), unit(wl.m, j))
        for i in _lost(list(J[j]), bound):
            err = bound[i] * UNIT
            out.append(f"\u2202{y}/\u2202{wl.inputs[i]} = {fmt(J[j, i])} is what is left of chain-rule terms as "
                       f"large as {fmt(bound[i])}, which cancel: rounding them errs by up to about {err:.1g}, "
                       "so this figure may have few or no correct digits.")
    return out


#: The mean size of one rounding, relative to |v|: a correctly rounded result is off by at most half an
#: ulp, a quarter on average, and one ulp of v is at most eps |v|.
ROUNDING = 2.0**-54


def _noise_plan(wl: WengertList) -> list[tuple[int, tuple[Any, ...], tuple[tuple[int, Any], ...]] | None]:
    """Per step of ``wl``, in order: None for a constant step, else its slot in the trace, its operands (slots, or
    :class:`Const`) and, per variable operand, (its slot, its partial): a float, the slot whose value it is, or the
    table's rule to call (:func:`~diffzoo.backends.partial_rules`). Read off once and kept on the list."""
    kept = wl.__dict__.get("_noise_plan")
    if kept is not None and kept[0] is wl.steps and len(kept[1]) == len(wl.steps):
        return kept[1]
    off = wl.n - 1
    plan: list[tuple[int, tuple[Any, ...], tuple[tuple[int, Any], ...]] | None] = []
    for st in wl.steps:
        if not st.active:
            plan.append(None)
            continue
        ops = tuple(a + off if type(a) is int else a for a in st.args)
        terms = []
        for j, r in enumerate(partial_rules(st.prim)):
            if type(st.args[j]) is int:
                if type(r) is int:  # the value of operand r: a slot, or a constant's own value
                    r = ops[r] if type(ops[r]) is int else float(ops[r].value)
                terms.append((ops[j], r))
        plan.append((st.index + off, ops, tuple(terms)))
    wl.__dict__["_noise_plan"] = (wl.steps, plan)
    return plan


def rounding_noise(wl: WengertList, vals: Sequence[float], accumulate: bool = False) -> np.ndarray:
    """The typical rounding error of each output, from the primal trace ``vals``.

    Every active step rounds its result (:data:`ROUNDING` times |v_k|) and carries its arguments'
    noise times |∂v_k/∂v_j| from the primitive table. Taking the largest term gives the typical size
    that the step choice balances (tuned on the benchmark's functions). With ``accumulate`` the terms
    add as independent roundings do, as a root sum of squares: what a check must allow for, since a
    sum of 5000 terms has about √(5000/3) times the noise of its last rounding. ``exp(x) - 1`` near 0
    gets the noise of exp(x) (about 1), not of its tiny result: that is what cancels when f(x + h) - f(x)
    is formed.
    """
    off = wl.n - 1
    noise = [0.0] * wl.n  # the inputs are exact
    hypot, isfinite = math.hypot, math.isfinite
    for item in _noise_plan(wl):
        if item is None:
            noise.append(0.0)  # a constant's rounding is the same at x and x + h: it cancels
            continue
        s, ops, terms = item
        out = float(vals[s])
        args = None
        carried = 0.0
        for a, r in terms:
            na = noise[a]
            if not na > 0:
                continue
            if type(r) is float:  # a constant partial (add, sub, neg; a product by a constant)
                d = abs(r)
            elif type(r) is int:  # the partial is the value in slot r (a product)
                d = abs(float(vals[r]))
            else:
                if args is None:
                    args = [float(vals[b]) if type(b) is int else b.value for b in ops]
                try:
                    d = abs(float(r(FLOATS, out, *args)))
                except (ValueError, ArithmeticError):
                    continue  # no partial (a kink): the floor in choose_step still applies
            if isfinite(d):
                term = d * na
                carried = hypot(carried, term) if accumulate else max(carried, term)
        own = ROUNDING * abs(out)
        noise.append(hypot(own, carried) if accumulate else max(own, carried))
    return np.array([noise[o + off] if isinstance(o, int) else 0.0 for o in wl.outputs])


def rounding(dl: WengertList, vals: Sequence[float], names: Sequence[str]) -> list[str]:
    """A sentence for each output of an evaluated expression list whose rounding error swamps it.

    For symbolic differentiation: the derivative expressions ``dl`` evaluated in floats, with the
    typical rounding error carried along their list (:func:`rounding_noise`).
    """
    values = dl.output_values(list(vals))
    noise = rounding_noise(dl, vals)
    out = []
    for k in _lost(values, list(noise / UNIT)):
        out.append(f"{names[k]} = {fmt(values[k])} is evaluated from terms whose rounding errs by about "
                   f"{noise[k]:.1g}: this figure may have few or no correct digits (they cancel).")
    return out


__all__ = ["kinks", "kinks_at", "cancellation", "rounding", "rounding_noise", "no_derivative", "UNIT", "LOST",
           "ROUNDING"]

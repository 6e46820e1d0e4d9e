"""Truncated Taylor series: their arithmetic, and one rule per primitive of the table.

The idea: carry along a line t -> x + t v, instead of a value and a tangent, the first k + 1 Taylor
coefficients of every intermediate, u(t) = u_0 + u_1 t + ... + u_k t^k. Each primitive maps its
arguments' coefficients to its own by a classic recurrence read off the differential equation it
satisfies (Griewank & Walther, *Evaluating Derivatives*, ch. 13; JAX's ``jet``): u = exp(x) has
u' = u x', whose coefficients give u_k = (1/k) Σ_{j=1..k} j x_j u_{k-j}. Every rule costs O(k²)
operations, where dual numbers nested k deep carry 2^k components and cost O(2^k) or more (a product
is three products one level down: 3^k, as ``benchmarks/bench_taylor.py`` measures).

A *series* is a float numpy array whose last axis holds the coefficients u_0..u_k; leading axes, if
any, are a batch of independent series (``taylormode.py`` propagates the steps of a Wengert list that share
a primitive and a level all at once). An argument that is constant along the line may be given as a
*constant*: a number, or an array whose last axis has length 1 (one number per series of the batch),
so that ``pow(k, x, 2.0)`` is known to have a constant exponent. Every rule has the shape
``(order, *args) -> series`` and is the ``taylor`` field of its entry in ``primitives.py``.

Coefficient 0 comes from the table's own float function, and coefficient 1 is computed exactly as
the table's partial rule and forward mode compute it (``ẋ * cos(x)``), so that order 1 *is* forward
mode, bit for bit; the recurrences take over from order 2.

Where a series cannot be trusted, a rule says so instead of returning a believable wrong number:

- at the kink of abs or relu, or the jump of sign or step, the side is decided by the argument's
  first nonzero coefficient (the expansion for t > 0) and a :class:`Note` says when it is one-sided;
- where f has no power series in t at all (sqrt at 0 of an argument growing like t, a negative base
  under a varying exponent), :class:`NoExpansion`;
- where a rule's top coefficients depend on its arguments' beyond the order at hand
  (sqrt(t² + ...) = t sqrt(1 + ...) needs one more), they are nan, "not determined at this order";
  where an argument vanishes to the order at hand at a singular point, so that nothing can be
  decided, :class:`MoreTerms`. Either way the interpreter propagates again to a higher order and
  truncates.

Operations are counted (coefficient multiplications, additions, divisions and function values, as
the recurrences are written: a sum of j products is 2j - 1 of them) in the :class:`Tally` of
:func:`tally`, with the notes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Series = np.ndarray

#: j as floats, for the products j x_j of the recurrences.
_J = np.arange(0.0, 1025.0)


# --- what a rule can report --------------------------------------------------------------------------


class NoExpansion(ArithmeticError):
    """f(x + t v) has no Taylor expansion in t here: the rule says why (``row``: which series of a batch)."""

    def __init__(self, reason: str, row: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.row = row


class MoreTerms(ArithmeticError):
    """The rule needs its arguments to ``extra`` more orders than its result has."""

    def __init__(self, extra: int, reason: str = ""):
        super().__init__(reason or f"needs its arguments to {extra} more orders")
        self.extra = max(1, int(extra))
        self.reason = reason


@dataclass(frozen=True)
class Note:
    """A sentence about a series: a one-sided expansion, a jump (``row``: which series of a batch)."""

    text: str
    row: int | None = None


@dataclass
class Tally:
    """Operations done on coefficients, and the notes of the rules, while :func:`tally` is open."""

    ops: int = 0
    notes: list[Note] = field(default_factory=list)


_TALLY: ContextVar[Tally | None] = ContextVar("diffzoo_series_tally", default=None)


@contextmanager
def tally() -> Iterator[Tally]:
    """Count the operations and collect the notes of every rule called inside (per thread and task)."""
    t = Tally()
    token = _TALLY.set(t)
    try:
        yield t
    finally:
        _TALLY.reset(token)


def _count(u: Series, ops: int) -> None:
    t = _TALLY.get()
    if t is not None:
        t.ops += ops * (u.size // u.shape[-1])


def _note(text: str) -> None:
    t = _TALLY.get()
    if t is not None:
        t.notes.append(Note(text))


# --- helpers -----------------------------------------------------------------------------------------


def is_constant(a: Any, order: int) -> bool:
    """Is ``a`` a constant (a number, or an array whose last axis has length 1) rather than a series?"""
    return not isinstance(a, np.ndarray) or a.ndim == 0 or (a.shape[-1] == 1 and order > 0)


def _value(a: Any) -> Any:
    """A constant's value: a float, or an array of one number per series of the batch."""
    if not isinstance(a, np.ndarray):
        return float(a)
    return float(a.reshape(-1)[0]) if a.ndim <= 1 else a[..., 0]


def lift(a: Any, order: int) -> Series:
    """``a`` as a series of order ``order`` (a constant gets zero coefficients beyond the first)."""
    if not is_constant(a, order):
        return np.asarray(a, dtype=float)[..., : order + 1]
    v = np.asarray(_value(a), dtype=float)
    u = np.zeros(v.shape + (order + 1,))
    u[..., 0] = v
    return u


def constant(value: float, order: int) -> Series:
    """The series of a number: ``[value, 0, ..., 0]``."""
    return lift(float(value), order)


def line(x0: float, v: float, order: int) -> Series:
    """The series of an input along the line: ``[x0, v, 0, ..., 0]``."""
    u = constant(x0, order)
    if order >= 1:
        u[1] = v
    return u


def _blank(x: Series, order: int) -> Series:
    return np.zeros(x.shape[:-1] + (order + 1,))


def _map(fn: Callable[[float], float], v: Any) -> Any:
    """``fn`` (a float function of the table) applied to a float or to each number of an array."""
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return fn(float(v))
        return np.fromiter(map(fn, v.ravel().tolist()), float, v.size).reshape(v.shape)
    return fn(float(v))


def _map2(fn: Callable[[float, float], float], a: Any, b: Any) -> Any:
    if isinstance(a, np.ndarray) and a.ndim or isinstance(b, np.ndarray) and b.ndim:
        a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        return np.fromiter(map(fn, a.ravel().tolist(), b.ravel().tolist()), float, a.size).reshape(a.shape)
    return fn(float(a), float(b))


def _scalar(name: str) -> Callable[..., float]:
    """The table's float function ``name`` (imported when first needed: the table imports this module)."""
    from .primitives import PRIMITIVES

    return PRIMITIVES[name].scalar


def _dot(a: Series, b: Series) -> Any:
    """Σ a_j b_j over the last axis (a batch of sums for a batch of series)."""
    return np.vecdot(a, b)


def _ode(jx: Series, w: Series, m: int) -> Any:
    """(1/m) Σ_{j=1..m} j x_j w_{m-j}: coefficient m of u where u' = w x' (``jx`` holds j x_j from j = 1)."""
    return _dot(jx[..., :m], w[..., m - 1::-1]) / m


def _jx(x: Series, order: int) -> Series:
    return x[..., 1: order + 1] * _J[1: order + 1]


def _rec(order: int) -> int:
    """Operations of one recurrence to order k: sums of 1..k products, their scalings, the j x_j: (k + 1)² - 1."""
    return (order + 1) ** 2 - 1


def _per_row(rule: Callable[..., Series], order: int, *args: Any) -> Series:
    """``rule`` applied to each series of a batch (one leading axis) in turn, where some need a case of their
    own; notes and errors say which row they are about."""
    count = max(a.shape[0] for a in args if isinstance(a, np.ndarray) and a.ndim == 2)
    out = np.empty((count, order + 1))
    t = _TALLY.get()
    for r in range(count):
        before = len(t.notes) if t is not None else 0
        row_args = [a[r] if isinstance(a, np.ndarray) and a.ndim == 2 else a for a in args]
        try:
            out[r] = rule(order, *row_args)
        except NoExpansion as exc:
            exc.row = r
            raise
        if t is not None:
            t.notes[before:] = [Note(n.text, r) for n in t.notes[before:]]
    return out


def _first_nonzero(x: Series, order: int) -> int | None:
    """The first j >= 1 with x_j != 0 (one series), or None if x_1..x_order all vanish; an undetermined
    coefficient (nan, see :func:`_power_at_zero`) before any nonzero one asks for more terms."""
    nz = np.flatnonzero(x[1: order + 1])
    if not nz.size:
        return None
    m = int(nz[0]) + 1
    if math.isnan(x[m]):
        raise MoreTerms(1, "its argument's coefficients are undetermined at this order")
    return m


def _moves(c: float, m: int) -> str:
    power = "t" if m == 1 else f"t^{m}"
    return f"{c:+.6g}·{power}"


# --- arithmetic --------------------------------------------------------------------------------------


def add(order: int, a: Any, b: Any) -> Series:
    """a + b."""
    if is_constant(a, order):
        if is_constant(b, order):
            return lift(_value(a) + _value(b), order)
        u = lift(b, order).copy()
        u[..., 0] = _value(a) + b[..., 0]
    elif is_constant(b, order):
        u = lift(a, order).copy()
        u[..., 0] = a[..., 0] + _value(b)
    else:
        u = a + b
    _count(u, order + 1)
    return u


def sub(order: int, a: Any, b: Any) -> Series:
    """a - b."""
    if is_constant(a, order):
        if is_constant(b, order):
            return lift(_value(a) - _value(b), order)
        u = -lift(b, order)
        u[..., 0] = _value(a) - b[..., 0]
    elif is_constant(b, order):
        u = lift(a, order).copy()
        u[..., 0] = a[..., 0] - _value(b)
    else:
        u = a - b
    _count(u, order + 1)
    return u


def neg(order: int, x: Any) -> Series:
    """-x."""
    u = -lift(x, order)
    _count(u, order + 1)
    return u


def mul(order: int, a: Any, b: Any) -> Series:
    """a b: the Cauchy product u_k = Σ_j a_j b_{k-j}, (k + 1)² operations (a constant factor: k + 1)."""
    ca, cb = is_constant(a, order), is_constant(b, order)
    if ca or cb:
        if ca and cb:
            return lift(_value(a) * _value(b), order)
        s, c = (b, _value(a)) if ca else (a, _value(b))
        u = lift(s, order) * np.asarray(c)[..., None] if isinstance(c, np.ndarray) else lift(s, order) * c
        _count(u, order + 1)
        return u
    u = _blank(a if a.ndim >= b.ndim else b, order)
    u[..., 0] = a[..., 0] * b[..., 0]
    if order >= 1:
        u[..., 1] = a[..., 1] * b[..., 0] + b[..., 1] * a[..., 0]  # ẋ y + ẏ x, as forward mode sums it
    for m in range(2, order + 1):  # one sum per coefficient, the same for a series alone and in a batch
        u[..., m] = _dot(a[..., : m + 1], b[..., m::-1])
    _count(u, (order + 1) ** 2)
    return u


def _ipow(order: int, x: Series, n: int) -> Series:
    """x^n for an integer n >= 0 by repeated squaring: exact where x_0 = 0 too (a polynomial of x)."""
    result: Series | None = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else mul(order, result, base)
        n >>= 1
        if n:
            base = mul(order, base, base)
    return lift(1.0, order) + 0 * x if result is None else result


def div(order: int, a: Any, b: Any) -> Series:
    """a / b: u_k = (a_k - Σ_{j=1..k} b_j u_{k-j}) / b_0. A zero b_0 raises ZeroDivisionError, as the value does."""
    if is_constant(b, order):
        bv = _value(b)
        if np.any(np.asarray(bv) == 0):
            raise ZeroDivisionError("division by zero")
        a = lift(a, order)
        bb = np.asarray(bv)[..., None] if isinstance(bv, np.ndarray) else bv
        u = a / bb
        u[..., 0] = a[..., 0] / bv
        if order >= 1:
            u[..., 1] = a[..., 1] * (1.0 / bv)  # ẋ (1/y), as forward mode multiplies
        _count(u, order + 1)
        return u
    b0 = b[..., 0]
    if np.any(b0 == 0):
        raise ZeroDivisionError("division by zero")
    const_a = is_constant(a, order)
    av = _value(a) if const_a else a[..., 0]
    u = _blank(b if const_a or b.ndim >= a.ndim else a, order)
    u[..., 0] = u0 = av / b0
    if order >= 1:
        dy = -(u0 / b0)
        u[..., 1] = b[..., 1] * dy if const_a else a[..., 1] * (1.0 / b0) + b[..., 1] * dy
    for m in range(2, order + 1):
        s = _dot(b[..., 1: m + 1], u[..., m - 1::-1])
        u[..., m] = (-s if const_a else a[..., m] - s) / b0
    _count(u, (order + 1) ** 2)
    return u


# --- exp, log, powers --------------------------------------------------------------------------------


def exp(order: int, x: Any) -> Series:
    """exp x: u' = u x', so u_k = (1/k) Σ j x_j u_{k-j}."""
    x = lift(x, order)
    u = _blank(x, order)
    u[..., 0] = u0 = _map(math.exp, x[..., 0])
    if order >= 1:
        u[..., 1] = x[..., 1] * u0
        jx = _jx(x, order)
        for m in range(2, order + 1):
            u[..., m] = _ode(jx, u, m)
    _count(u, _rec(order) + 1)
    return u


def log(order: int, x: Any) -> Series:
    """ln x: x u' = x', so u_k = (x_k - (1/k) Σ_{j=1..k-1} j u_j x_{k-j}) / x_0."""
    x = lift(x, order)
    u = _blank(x, order)
    x0 = x[..., 0]
    u[..., 0] = _map(math.log, x0)  # raises at x_0 <= 0, as the value does
    if order >= 1:
        r = 1.0 / x0
        u[..., 1] = x[..., 1] * r
        ju = _blank(x, order - 1) if order >= 2 else None
        for m in range(2, order + 1):
            ju[..., m - 2] = (m - 1) * u[..., m - 1]
            u[..., m] = (x[..., m] - _dot(ju[..., : m - 1], x[..., m - 1:0:-1]) / m) * r
    _count(u, _rec(order) + 2)
    return u


def _pow_const(order: int, x: Series, a: Any) -> Series:
    """x^a for a constant a and x_0 != 0: x u' = a x' u, so
    u_k = (1 / (k x_0)) Σ_{j=1..k} (a j - k + j) x_j u_{k-j}."""
    u = _blank(x, order)
    x0 = x[..., 0]
    u[..., 0] = _map2(math.pow, x0, a)
    if order >= 1:
        u[..., 1] = x[..., 1] * (a * _map2(math.pow, x0, np.asarray(a) - 1.0 if isinstance(a, np.ndarray) else a - 1))
        av = np.asarray(a)[..., None] if isinstance(a, np.ndarray) else a
        for m in range(2, order + 1):
            coef = av * _J[1: m + 1] + (_J[1: m + 1] - m)
            u[..., m] = _dot(coef * x[..., 1: m + 1], u[..., m - 1::-1]) / (m * x0)
    _count(u, _rec(order) + order + 2)
    return u


def _power_at_zero(order: int, x: Series, a: float, what: str, name: str) -> Series:
    """x^a (a > 0 not an integer) where x_0 = 0, one series: x = t^m q(t) with q_0 = x_m > 0 gives
    t^(m a) q^a, a power series when m a is an integer p (one-sided unless m and p are even)."""
    m = _first_nonzero(x, order)
    if m is None:
        raise MoreTerms(max(order, 1), f"{what} is 0 and stays 0 to order {order} along the line")
    xm = float(x[m])
    if xm < 0:
        raise NoExpansion(f"{what} is 0 at t = 0 and negative for small t > 0 (it moves like {_moves(xm, m)}): "
                          f"{name} has no real value there")
    p = m * a
    if abs(p - round(p)) > 1e-12 * max(1.0, abs(p)):
        raise NoExpansion(f"{what} is 0 at t = 0 and moves like {_moves(xm, m)}, so {name} grows like "
                          f"t^{p:g}: there is no Taylor expansion in t (an infinite derivative)")
    p = int(round(p))
    u = _blank(x, order)
    if p <= order:
        # q^a to order - p is wanted, from q known to order - m: where m > p the top m - p coefficients
        # cannot be determined at this order, and are nan (the interpreter then propagates to a higher order).
        known = min(order - p, order - m)
        u[p: p + known + 1] = _pow_const(known, x[m: m + known + 1], a)
        u[p + known + 1:] = math.nan
    if m % 2 or p % 2:
        _note(f"{what} is 0 at t = 0, the edge of {name}'s domain, and moves like {_moves(xm, m)}: the "
              f"expansion holds for t > 0 only")
    return u


def sqrt(order: int, x: Any) -> Series:
    """√x: 2 u u' = x', so u_k = (x_k - Σ_{j=1..k-1} u_j u_{k-j}) / (2 u_0); at x_0 = 0 see _power_at_zero."""
    x = lift(x, order)
    x0 = x[..., 0]
    if order >= 1 and np.any(x0 == 0):
        if x.ndim > 1:
            return _per_row(sqrt, order, x)
        return _power_at_zero(order, x, 0.5, "sqrt's argument", "sqrt")
    u = _blank(x, order)
    u[..., 0] = u0 = _map(math.sqrt, x0)
    if order >= 1:
        r = 1.0 / (2 * u0)
        u[..., 1] = x[..., 1] * r
        for m in range(2, order + 1):
            u[..., m] = (x[..., m] - _dot(u[..., 1:m], u[..., m - 1:0:-1])) * r
    _count(u, _rec(order) + 2)
    return u


def pow(order: int, x: Any, y: Any) -> Series:  # noqa: A001 - the table's name
    """x^y: with a constant exponent by its recurrence (by repeated squaring at x_0 = 0 for an integer
    exponent), otherwise as exp(y ln x) (x_0 > 0; a negative or zero base under a varying exponent has
    no expansion)."""
    cx, cy = is_constant(x, order), is_constant(y, order)
    if cy:
        if cx:
            return lift(_map2(math.pow, _value(x), _value(y)), order)
        a = _value(y)
        x0 = x[..., 0]
        if isinstance(a, np.ndarray) or x.ndim > 1:
            if np.any(x0 == 0) or np.any(np.asarray(a) == 0):
                return _per_row(pow, order, x, y)
            return _pow_const(order, x, a)
        if a == 0:  # x^0 = 1 (0^0 = 1 too, as math.pow says)
            return lift(1.0, order) + 0 * x
        if x0 == 0:
            if a == int(a) and a > 0:
                return _ipow(order, x, int(a))
            if a < 0:
                math.pow(0.0, a)  # raises, as the value does
            return _power_at_zero(order, x, a, "the base of x^a", f"x^{a:.6g}")
        return _pow_const(order, x, a)
    # a varying exponent
    if cx:
        c = _value(x)
        if isinstance(c, np.ndarray):
            if np.any(c <= 0):
                return _per_row(pow, order, x, y)
        elif c <= 0:
            y0 = float(y[0])
            if c == 0 and y0 > 0:
                return _blank(y, order)  # 0^y = 0 for every y near y_0 > 0
            raise NoExpansion(_base_reason(c, y0))
        lnc = _map(math.log, c)
        u = _blank(y, order)
        u[..., 0] = u0 = _map2(math.pow, c, y[..., 0])
        if order >= 1:
            xlogy_ = _scalar("xlogy")
            u[..., 1] = y[..., 1] * _map2(xlogy_, u0, c)
            jz = _jx(y, order) * (lnc[..., None] if isinstance(lnc, np.ndarray) else lnc)
            for m in range(2, order + 1):
                u[..., m] = _ode(jz, u, m)
        _count(u, _rec(order) + order + 2)
        return u
    x0 = x[..., 0]
    if np.any(x0 <= 0):
        if x.ndim > 1 or y.ndim > 1:
            return _per_row(pow, order, x, y)
        if x0 == 0 and _first_nonzero(x, order) is None:
            raise MoreTerms(max(order, 1), "the base of a power is 0 and stays 0 to this order along the line")
        raise NoExpansion(_base_reason(float(x0), float(y[0])))
    y0 = y[..., 0]
    u = _blank(x if x.ndim >= y.ndim else y, order)
    u[..., 0] = u0 = _map2(math.pow, x0, y0)
    if order >= 1:
        dx = y0 * _map2(math.pow, x0, y0 - 1)
        dy = _map2(_scalar("xlogy"), u0, x0)
        u[..., 1] = x[..., 1] * dx + y[..., 1] * dy
        z = mul(order, y, log(order, x))
        jz = _jx(z, order)
        for m in range(2, order + 1):
            u[..., m] = _ode(jz, u, m)
    _count(u, _rec(order) + 6)
    return u


def _base_reason(x0: float, y0: float) -> str:
    if x0 < 0:
        return (f"a negative base ({x0:.6g}) has no real power for the exponents near {y0:.6g} that the line "
                f"passes through")
    return f"the base of the power is 0 where its exponent varies (near {y0:.6g}): 0^y is not smooth in y there"


def xlogy(order: int, a: Any, b: Any) -> Series:
    """a ln b, 0 where a = 0 and b >= 0 (the helper of pow's partial): a times the series of ln b."""
    ca, cb = is_constant(a, order), is_constant(b, order)
    av = _value(a) if ca else a[..., 0]
    bv = _value(b) if cb else b[..., 0]
    f = _scalar("xlogy")
    if ca and cb:
        return lift(_map2(f, av, bv), order)
    if np.all(np.asarray(bv) > 0):  # the regular case
        if cb:
            lnb = _map(math.log, bv)
            u = lift(a, order) * (lnb[..., None] if isinstance(lnb, np.ndarray) else lnb)
            u[..., 0] = _map2(f, av, bv)
            if order >= 1:
                u[..., 1] = a[..., 1] * lnb  # ȧ ln b, as forward mode multiplies
            _count(u, order + 2)
            return u
        L = log(order, b)
        ratio = av / bv
        if ca:
            u = L * (np.asarray(av)[..., None] if isinstance(av, np.ndarray) else av)
            _count(u, order + 2)
        else:
            u = mul(order, a, L)
        u[..., 0] = _map2(f, av, bv)
        if order >= 1:
            u[..., 1] = b[..., 1] * ratio if ca else a[..., 1] * L[..., 0] + b[..., 1] * ratio  # ȧ ln b + ḃ a/b
        return u
    if any(isinstance(v, np.ndarray) and v.ndim == 2 for v in (a, b)):
        return _per_row(xlogy, order, a, b)
    av, bv = float(av), float(bv)
    if av != 0 or bv < 0:
        f(av, bv)  # raises, as the value does
    if ca:  # 0 ln b = 0 wherever b >= 0
        _note("0 · ln b with b = 0 at t = 0, the edge of ln's domain: 0 wherever b >= 0 along the line")
        return _blank(b, order)
    if _first_nonzero(a, order) is None:
        raise MoreTerms(max(order, 1), "a ln b with a = 0 and b = 0 stays undecided to this order along the line")
    raise NoExpansion("a ln b with a and b both 0 at t = 0 and a moving: ln 0 is -infinity, t ln t has no "
                      "Taylor expansion")


# --- trigonometric and hyperbolic functions ----------------------------------------------------------


def _sin_cos(order: int, x: Any, hyperbolic: bool) -> tuple[Series, Series]:
    """sin and cos together (s' = c x', c' = -s x'), or sinh and cosh (s' = c x', c' = s x')."""
    x = lift(x, order)
    s, c = _blank(x, order), _blank(x, order)
    x0 = x[..., 0]
    s[..., 0] = s0 = _map(math.sinh if hyperbolic else math.sin, x0)
    c[..., 0] = c0 = _map(math.cosh if hyperbolic else math.cos, x0)
    if order >= 1:
        s[..., 1] = x[..., 1] * c0
        c[..., 1] = x[..., 1] * (s0 if hyperbolic else -s0)
        jx = _jx(x, order)
        for m in range(2, order + 1):
            s[..., m] = _ode(jx, c, m)
            c[..., m] = _ode(jx, s, m) if hyperbolic else -_ode(jx, s, m)
    _count(s, 2 * _rec(order) + 2)
    return s, c


def sin(order: int, x: Any) -> Series:
    """sin x, computed with cos x: s_k = (1/k) Σ j x_j c_{k-j}, c_k = -(1/k) Σ j x_j s_{k-j}."""
    return _sin_cos(order, x, False)[0]


def cos(order: int, x: Any) -> Series:
    """cos x, computed with sin x."""
    return _sin_cos(order, x, False)[1]


def sinh(order: int, x: Any) -> Series:
    """sinh x, computed with cosh x."""
    return _sin_cos(order, x, True)[0]


def cosh(order: int, x: Any) -> Series:
    """cosh x, computed with sinh x."""
    return _sin_cos(order, x, True)[1]


def _riccati(order: int, x: Series, u0: Any, w0: Any, sign: float) -> Series:
    """u with u' = w x' and w = 1 + sign u² beyond its first coefficient ``w0``: tan (sign +1), tanh (-1)."""
    u = _blank(x, order)
    u[..., 0] = u0
    if order >= 1:
        u[..., 1] = x[..., 1] * w0
        w = _blank(x, order)
        w[..., 0] = w0
        jx = _jx(x, order)
        for m in range(2, order + 1):
            w[..., m - 1] = sign * _dot(u[..., :m], u[..., m - 1::-1])
            u[..., m] = _ode(jx, w, m)
    _count(u, 2 * _rec(order) + 2)
    return u


def tan(order: int, x: Any) -> Series:
    """tan x: u' = (1 + u²) x'."""
    x = lift(x, order)
    u0 = _map(math.tan, x[..., 0])
    return _riccati(order, x, u0, 1 + u0 * u0, 1.0)


def tanh(order: int, x: Any) -> Series:
    """tanh x: u' = (1 - u²) x', with 1 - u_0² written 4 σ(2x) σ(-2x) as the table's partial (no cancellation
    where tanh rounds to ±1)."""
    x = lift(x, order)
    x0 = x[..., 0]
    sig = _scalar("sigmoid")
    w0 = 4 * (_map(sig, 2 * x0) * _map(sig, -2 * x0))
    return _riccati(order, x, _map(math.tanh, x0), w0, -1.0)


def sigmoid(order: int, x: Any) -> Series:
    """σ(x): u' = u (1 - u) x', with 1 - u written as the series of σ(-x) (no cancellation for large x)."""
    x = lift(x, order)
    sig = _scalar("sigmoid")
    x0 = x[..., 0]
    u, q = _blank(x, order), _blank(x, order)
    u[..., 0] = p0 = _map(sig, x0)
    q[..., 0] = q0 = _map(sig, -x0)
    if order >= 1:
        w = _blank(x, order)
        w[..., 0] = w0 = p0 * q0
        u[..., 1] = x[..., 1] * w0
        q[..., 1] = -u[..., 1]
        jx = _jx(x, order)
        for m in range(2, order + 1):
            w[..., m - 1] = _dot(u[..., :m], q[..., m - 1::-1])
            u[..., m] = _ode(jx, w, m)
            q[..., m] = -u[..., m]
    _count(u, 2 * _rec(order) + 3)
    return u


def atan(order: int, x: Any) -> Series:
    """atan x: u' = g x' with g = 1 / (1 + x²), itself a division recurrence."""
    x = lift(x, order)
    x0 = x[..., 0]
    u, d, g = _blank(x, order), _blank(x, order), _blank(x, order)
    u[..., 0] = _map(math.atan, x0)
    d[..., 0] = d0 = 1 + x0 * x0
    g[..., 0] = g0 = 1 / d0
    if order >= 1:
        u[..., 1] = x[..., 1] * g0
        jx = _jx(x, order)
        for m in range(2, order + 1):
            k = m - 1
            d[..., k] = _dot(x[..., : k + 1], x[..., k::-1])
            g[..., k] = -_dot(d[..., 1: k + 1], g[..., k - 1::-1]) / d0
            u[..., m] = _ode(jx, g, m)
    _count(u, 3 * _rec(order) + 3)
    return u


class _Edge(Exception):
    """asin or acos at ±1 (an infinite slope)."""


def _arcsine(order: int, x: Any) -> tuple[Series, Any]:
    """The coefficients of asin x beyond the first, and 1/√(1 - x_0²): u' s = x' with s = √((1 - x)(1 + x))."""
    x = lift(x, order)
    x0 = x[..., 0]
    r0 = (1 - x0) * (1 + x0)
    if order >= 1 and np.any(r0 == 0):
        raise _Edge
    u, s = _blank(x, order), _blank(x, order)
    dd = None
    if order >= 1:
        s[..., 0] = s0 = _map(math.sqrt, r0)
        dd = 1 / s0
        u[..., 1] = x[..., 1] * dd
        for m in range(2, order + 1):
            k = m - 1  # s_k from r_k = -(x²)_k
            rk = -_dot(x[..., : k + 1], x[..., k::-1])
            s[..., k] = (rk - _dot(s[..., 1:k], s[..., k - 1:0:-1])) / (2 * s0)
            ju = u[..., 1:m] * _J[1:m]
            u[..., m] = (x[..., m] - _dot(ju, s[..., m - 1:0:-1]) / m) * dd
    _count(u, 3 * _rec(order) + 4)
    return u, dd


def _arc(order: int, x: Any, name: str) -> Series:
    x = lift(x, order)
    x0 = x[..., 0]
    if order >= 1 and x.ndim > 1 and np.any(np.abs(x0) == 1):
        return _per_row(asin if name == "asin" else acos, order, x)
    try:
        u, dd = _arcsine(order, x)
    except _Edge:
        if _first_nonzero(x, order) is None:
            raise MoreTerms(max(order, 1), f"{name}'s argument is ±1 and stays so to order {order}") from None
        raise NoExpansion(f"{name}'s argument is {float(x0):+g} at t = 0, the edge of its domain, where its slope "
                          f"is infinite: there is no Taylor expansion in t") from None
    if name == "asin":
        u[..., 0] = _map(math.asin, x0)
        return u
    u = -u
    u[..., 0] = _map(math.acos, x0)
    if order >= 1:
        u[..., 1] = x[..., 1] * -dd  # ẋ · (-1/√(1 - x²)), as the table's partial
    return u


def asin(order: int, x: Any) -> Series:
    """asin x: u' √(1 - x²) = x', with 1 - x² written (1 - x)(1 + x) as the table's partial."""
    return _arc(order, x, "asin")


def acos(order: int, x: Any) -> Series:
    """acos x = π/2 - asin x: the same coefficients, negated, beyond the first."""
    return _arc(order, x, "acos")


# --- piecewise primitives: the side is decided by the first nonzero coefficient ----------------------


def _kink_side(order: int, x: Series, name: str, what: str) -> tuple[int | None, float]:
    """At x_0 = 0 (one series): the first moving order m and the sign of x_m; a note where x changes sign."""
    m = _first_nonzero(x, order)
    if m is None:
        return None, 0.0
    xm = float(x[m])
    if m % 2:
        _note(f"{name}'s argument is 0 at t = 0 and changes sign there (it moves like {_moves(xm, m)}): this is the "
              f"expansion for t > 0 only ({what})")
    return m, math.copysign(1.0, xm)


def abs_(order: int, x: Any) -> Series:
    """|x|: ±x by the sign of x_0, or at x_0 = 0 of the first nonzero coefficient (one-sided if it changes sign)."""
    x = lift(x, order)
    x0 = x[..., 0]
    if order >= 1 and np.any(x0 == 0):
        if x.ndim > 1:
            return _per_row(abs_, order, x)
        m, side = _kink_side(order, x, "abs", "abs has a kink at 0")
        u = x * side if m is not None else _blank(x, order)  # |O(t^(k+1))| vanishes to order k too
    else:
        u = x * np.where(x0 < 0, -1.0, 1.0)[..., None]
    u[..., 0] = _map(abs, x0)
    _count(u, order + 1)
    return u


def relu(order: int, x: Any) -> Series:
    """max(x, 0): x or 0 by the sign of x_0, or at x_0 = 0 of the first nonzero coefficient."""
    x = lift(x, order)
    x0 = x[..., 0]
    if order >= 1 and np.any(x0 == 0):
        if x.ndim > 1:
            return _per_row(relu, order, x)
        m, side = _kink_side(order, x, "relu", "relu has a kink at 0")
        u = x.copy() if m is not None and side > 0 else _blank(x, order)
    else:
        u = np.where((x0 > 0)[..., None], x, 0.0)
    u[..., 0] = _map(_scalar("relu"), x0)
    _count(u, order + 1)
    return u


def sign(order: int, x: Any) -> Series:
    """sign x: a constant series; at x_0 = 0 the sign of the first nonzero coefficient (the limit for t > 0)."""
    x = lift(x, order)
    x0 = x[..., 0]
    if order >= 1 and np.any(x0 == 0):
        if x.ndim > 1:
            return _per_row(sign, order, x)
        m = _first_nonzero(x, order)
        if m is None:
            raise MoreTerms(max(order, 1), f"sign's argument is 0 and stays 0 to order {order} along the line")
        xm = float(x[m])
        s = math.copysign(1.0, xm)
        _note(f"sign jumps at 0: its argument is 0 at t = 0 and moves like {_moves(xm, m)}, so sign is {s:+g} for "
              f"small t > 0 but 0 at t = 0 (these coefficients are the expansion for t > 0)")
        return constant(s, order)
    u = _blank(x, order)
    u[..., 0] = _map(_scalar("sign"), x0)
    return u


def step(order: int, x: Any) -> Series:
    """step x (1 for x > 0, else 0): a constant series; at x_0 = 0 decided by the first nonzero coefficient."""
    x = lift(x, order)
    x0 = x[..., 0]
    if order >= 1 and np.any(x0 == 0):
        if x.ndim > 1:
            return _per_row(step, order, x)
        m = _first_nonzero(x, order)
        if m is None:
            raise MoreTerms(max(order, 1), f"step's argument is 0 and stays 0 to order {order} along the line")
        xm = float(x[m])
        if xm > 0:
            _note(f"step jumps at 0: its argument is 0 at t = 0 and moves like {_moves(xm, m)}, so step is 1 for "
                  f"small t > 0 but 0 at t = 0 (these coefficients are the expansion for t > 0)")
            return constant(1.0, order)
        if m % 2:
            _note(f"step's argument is 0 at t = 0 and moves like {_moves(xm, m)}: step is 0 for t >= 0 but jumps to 1 "
                  f"for t < 0 (this is the expansion for t > 0 only)")
        return constant(0.0, order)
    u = _blank(x, order)
    u[..., 0] = _map(_scalar("step"), x0)
    return u


def _extremum(order: int, a: Any, b: Any, name: str) -> Series:
    """max or min of two series: the argument that is the larger (smaller) one for small t > 0, picked whole;
    at a tie (a_0 = b_0) decided by the first nonzero coefficient of a - b, one-sided if that order is odd."""
    scalar = _scalar(name)
    if is_constant(a, order) and is_constant(b, order):
        return lift(_map2(scalar, _value(a), _value(b)), order)
    A, B = lift(a, order), lift(b, order)
    a0, b0 = A[..., 0], B[..., 0]
    if order >= 1 and np.any(a0 == b0):
        if A.ndim > 1 or B.ndim > 1:
            return _per_row(max_ if name == "max" else min_, order, a, b)
        d = A - B
        m = _first_nonzero(d, order)
        if m is None:  # equal to order k: either is the answer
            u = A.copy()
        else:
            dm = float(d[m])
            u = (A if (dm > 0) == (name == "max") else B).copy()
            if m % 2:
                _note(f"{name}'s arguments are equal at t = 0 and their difference changes sign there (it moves like "
                      f"{_moves(dm, m)}): this is the expansion for t > 0 only ({name} has a kink where its arguments "
                      f"are equal)")
    else:
        u = np.where(((a0 >= b0) if name == "max" else (a0 <= b0))[..., None], A, B)
    u[..., 0] = _map2(scalar, a0, b0)
    _count(u, order + 1)
    return u


def max_(order: int, a: Any, b: Any) -> Series:
    """max(a, b): the series of the larger argument (coefficient 1 is then forward mode's ȧ·1 + ḃ·0, bit for bit)."""
    return _extremum(order, a, b, "max")


def min_(order: int, a: Any, b: Any) -> Series:
    """min(a, b): the series of the smaller argument."""
    return _extremum(order, a, b, "min")


__all__ = ["Series", "Note", "Tally", "NoExpansion", "MoreTerms", "tally", "is_constant", "lift", "constant", "line",
           "add", "sub", "neg", "mul", "div", "exp", "log", "sqrt", "pow", "xlogy", "sin", "cos", "sinh", "cosh",
           "tan", "tanh", "sigmoid", "atan", "asin", "acos", "abs_", "relu", "sign", "step", "max_", "min_"]

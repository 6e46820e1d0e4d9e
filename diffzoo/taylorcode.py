"""Taylor mode compiled: the truncated-series recurrences of a Wengert list unrolled into straight-line Python.

``taylormode.py`` propagates numpy series level by level (``series.py``'s rules on batches of steps). That costs
some tens of microseconds of numpy calls whatever the function, far more than a small function itself costs.
This module writes, once per list, order and set of moved inputs, a Python function of floats that does the
same recurrences (Griewank & Walther, *Evaluating Derivatives*, ch. 13) coefficient by coefficient:
``c17 = (d0 * c12) / 3.0``. It is what :func:`taylormode.taylor` runs first.

**Zeros known when the code is written.** An input moves as x + t v, so its coefficients of order 2 and
more are exactly 0; a step no moved input reaches is a constant, all of whose coefficients beyond the
first are 0. Every coefficient is known to be 0 or not before any number is seen, and the generator
drops each product with such a zero from its sums (zero propagation, as a compiler propagates constants):
the Cauchy product of a series with a moving input costs O(k) per coefficient instead of O(k²), and
ln(x1) along x1 costs O(k) in all. Where nothing is known to vanish (a product of two curved series),
the recurrences stay O(k²).

**The same numbers as the careful sweep.** Each coefficient is computed by the formula of ``series.py`` for
it, in the same order of operations (coefficient 0 by the table's float function, coefficient 1 as forward
mode computes it, so that order 1 is forward mode's JVP bit for bit); only terms that are exactly 0 are
left out, and sums run left to right where numpy's dot products may group theirs otherwise: the two
agree to rounding (``tests/test_taylorcode.py``).

**Anything delicate goes to the careful sweep.** The code handles the smooth primitives (+ - * /, neg,
exp, log, sqrt, powers, sin, cos, tan, sinh, cosh, tanh, sigmoid, atan, asin, acos) and, away from their
kinks, abs, relu, sign, step, max and min. Where the careful rules would decide something (the side of
a kink at 0, sqrt or a power at a zero base, asin at ±1, a zero or negative base under a moving
exponent), the code raises :class:`Kink`; a math error (log of a negative number, exp overflowing)
raises too; and the caller checks that every coefficient is finite. Any of these sends the call to
``taylormode.propagate``, which gives its careful answer, its warnings or its precise error. A list
with a primitive the generator does not know (xlogy) gets no program at all.

The text is built from our own names only (``x0`` the inputs, ``d0`` the direction, ``v3`` the step values,
``c12`` coefficients and temporaries), the table's function names and float literals (``repr(float)``), as
``compile.py``'s is; it runs in ``compile.namespace("float")``, which holds the table's float functions and
nothing else, and :class:`Kink` (as ``_Kink``: a user's variable may not start with ``_``).
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .compile import _no_gc, literal, namespace
from .wengert import Const, WengertList

#: The largest program generated, in operations on coefficients. The generated code costs some 20 ns an
#: operation, the batched numpy sweep some microseconds per batch of steps whatever its size: beyond this the
#: sweep is as fast for a wide list (sum sin(x_i) x_(i+1), n = 300, order 10: 27,000 operations, 0.56 ms a call
#: against the sweep's 0.41 ms; n = 100: 8,900 operations, 0.18 ms against 0.2 ms), and a larger program takes
#: longer to write and compile (0.2 s at 27,000) than it would save. The generator stops once it passes it.
#: A program returns at most twice as many values (every coefficient of every variable, a few nanoseconds each).
MAX_OPS = 20_000


_TEMP = re.compile(r"\bc\d+\b")
_FUSE = 120  # characters of an expression at most, after which a temporary keeps its local


class Kink(ArithmeticError):
    """Raised by generated code where the careful rules have a case of their own (a kink, an edge)."""


class Unsupported(Exception):
    """No program for this list: a step the generator has no code for, or more than :data:`MAX_OPS` operations
    (the careful sweep does it all)."""


def moving(wl: WengertList, moved_inputs: Sequence[bool]) -> list[bool]:
    """Which variables move along the line, inputs first: an input with a nonzero direction, or a step with a
    moving argument, unless it is a value that is the same wherever it is defined (y - y, y / y, y ^ 0).
    The careful sweep (``taylormode._Plan``) propagates exactly these."""
    n = wl.n
    moved = [bool(m) for m in moved_inputs] + [False] * len(wl.steps)
    for st in wl.steps:
        if not any(isinstance(a, int) and moved[a + n - 1] for a in st.args):
            continue
        if not st.active and st.prim.kink is None and wl.varies(st):
            continue
        moved[st.index + n - 1] = True
    return moved


# --- the generator -----------------------------------------------------------------------------------

Coef = str | None  # a coefficient: a name or literal of generated code, or None where it is exactly 0
Arg = str | list  # a constant argument (its value's name or literal), or a series (a list of k + 1 coefficients)


class _Gen:
    """Lines of generated code, with a count of the operations they do on coefficients."""

    def __init__(self, order: int):
        self.k = order
        self.lines: list[tuple[str, str]] = []  # (name, expression), or ("", a guard's statement)
        self.ops = 0
        self.count = 0

    def let(self, expr: str, ops: int = 0) -> str:
        """A new local holding ``expr`` (``ops`` operations); a bare name or literal needs none."""
        self.ops += ops
        if self.ops > MAX_OPS:
            raise Unsupported(f"a program of more than {MAX_OPS} operations")
        if expr.isidentifier() or _is_literal(expr):
            return expr
        name = f"c{self.count}"
        self.count += 1
        self.lines.append((name, expr))
        return name

    def assign(self, name: str, expr: str) -> None:
        """``name = expr`` for a value of the list (``v3 = sin(x0)``)."""
        self.lines.append((name, expr))

    def guard(self, condition: str) -> None:
        """Hand the call to the careful sweep where ``condition`` holds."""
        self.lines.append(("", f"if {condition}: raise _Kink"))

    def text(self, keep: set[str]) -> list[str]:
        """The statements, each temporary that is read once written into the expression that reads it
        (``c4 = d0 * c3; c5 = c4 / 2.0`` becomes ``c5 = (d0 * c3) / 2.0``): the same operations on the same
        operands, without a local's store and load. ``keep``: names read elsewhere (the returned lists)."""
        uses: dict[str, int] = {}
        for name, expr in self.lines:
            for v in _TEMP.findall(expr):
                uses[v] = uses.get(v, 0) + 1
            if not name:
                keep.update(_TEMP.findall(expr))
        pending: dict[str, str] = {}
        out = []

        def inline(m: re.Match[str]) -> str:
            v = m.group(0)
            return f"({pending.pop(v)})" if v in pending else v

        for name, expr in self.lines:
            if pending:
                expr = _TEMP.sub(inline, expr)
            if name.startswith("c") and uses.get(name) == 1 and name not in keep and len(expr) < _FUSE:
                pending[name] = expr
                continue
            out.append(f"    {name} = {expr}" if name else f"    {expr}")
        return out

    # Arithmetic on coefficients, None being an exact 0. Each returns a local's name (or None).

    def add(self, p: Coef, q: Coef) -> Coef:
        if p is None:
            return q
        if q is None:
            return p
        return self.let(f"{p} + {q}", 1)

    def sub(self, p: Coef, q: Coef) -> Coef:
        if q is None:
            return p
        if p is None:
            return self.let(f"-{q}", 1)
        return self.let(f"{p} - {q}", 1)

    def neg(self, p: Coef) -> Coef:
        return None if p is None else self.let(f"-{p}", 1)

    def mul(self, p: Coef, q: Coef) -> Coef:
        if p is None or q is None:
            return None
        return self.let(f"{p} * {q}", 1)

    def div(self, p: Coef, q: str) -> Coef:
        return None if p is None else self.let(f"{p} / {q}", 1)

    def dot(self, pairs: list[tuple[Coef, Coef]]) -> Coef:
        """Σ p q over the pairs, left to right, leaving out every product with an exact 0."""
        terms = [f"{p} * {q}" for p, q in pairs if p is not None and q is not None]
        if not terms:
            return None
        return self.let(" + ".join(terms), 2 * len(terms) - 1)

    def jx(self, x: list[Coef]) -> list[Coef]:
        """j x_j for j = 0..k (index 0 unused), as ``series._jx``: x_1 * 1.0 is x_1 itself."""
        return [None, x[1]] + [self.let(f"{x[j]} * {float(j)!r}", 1) if x[j] is not None else None
                               for j in range(2, self.k + 1)] if self.k >= 1 else [None]

    def ode(self, jx: list[Coef], w: list[Coef], m: int) -> Coef:
        """(1/m) Σ_{j=1..m} j x_j w_{m-j}, as ``series._ode``: coefficient m of u where u' = w x'."""
        return self.div(self.dot([(jx[j], w[m - j]) for j in range(1, m + 1)]), f"{float(m)!r}")


def _is_literal(s: str) -> bool:
    try:
        float(s.strip("()"))
    except ValueError:
        return False
    return True


def _series(a: Arg) -> bool:
    return isinstance(a, list)


def _lift(g: _Gen, a: Arg) -> list[Coef]:
    return a if isinstance(a, list) else [a] + [None] * g.k


# --- one function per primitive: (generator, value's name, arguments) -> the step's coefficients ------------
# Each follows the rule of the same name in series.py, formula for formula.


def _add(g: _Gen, val: str, a: Arg, b: Arg) -> list[Coef]:
    A, B = _lift(g, a), _lift(g, b)
    return [val] + [g.add(A[j], B[j]) for j in range(1, g.k + 1)]


def _sub(g: _Gen, val: str, a: Arg, b: Arg) -> list[Coef]:
    A, B = _lift(g, a), _lift(g, b)
    return [val] + [g.sub(A[j], B[j]) for j in range(1, g.k + 1)]


def _neg(g: _Gen, val: str, x: Arg) -> list[Coef]:
    return [val] + [g.neg(c) for c in x[1:]]


def _mul(g: _Gen, val: str, a: Arg, b: Arg) -> list[Coef]:
    if not _series(a) or not _series(b):
        s, c = (b, a) if not _series(a) else (a, b)
        return [val] + [g.mul(s[j], c) for j in range(1, g.k + 1)]
    u: list[Coef] = [val]
    if g.k >= 1:
        u.append(g.add(g.mul(a[1], b[0]), g.mul(b[1], a[0])))  # ẋ y + ẏ x, as forward mode sums it
    for m in range(2, g.k + 1):
        u.append(g.dot([(a[i], b[m - i]) for i in range(m + 1)]))
    return u


def _div(g: _Gen, val: str, a: Arg, b: Arg) -> list[Coef]:
    A = _lift(g, a)
    if not _series(b):
        u: list[Coef] = [val]
        if g.k >= 1:
            u.append(g.mul(A[1], g.let(f"1.0 / {b}", 1)))  # ẋ (1/y), as forward mode multiplies
        u += [g.div(A[j], b) for j in range(2, g.k + 1)]
        return u
    b0 = b[0]
    u = [val]
    if g.k >= 1:
        dy = g.let(f"-({val} / {b0})", 2)
        if _series(a):
            u.append(g.add(g.mul(a[1], g.let(f"1.0 / {b0}", 1)), g.mul(b[1], dy)))
        else:
            u.append(g.mul(b[1], dy))
    for m in range(2, g.k + 1):
        s = g.dot([(b[j], u[m - j]) for j in range(1, m + 1)])
        top = g.sub(A[m], s) if _series(a) else g.neg(s)
        u.append(g.div(top, b0))
    return u


def _exp(g: _Gen, val: str, x: Arg) -> list[Coef]:
    u: list[Coef] = [val]
    if g.k >= 1:
        u.append(g.mul(x[1], val))
        jx = g.jx(x)
        for m in range(2, g.k + 1):
            u.append(g.ode(jx, u, m))
    return u


def _log_series(g: _Gen, val: str, x: list[Coef]) -> list[Coef]:
    u: list[Coef] = [val]
    if g.k >= 1:
        r = g.let(f"1.0 / {x[0]}", 1)
        u.append(g.mul(x[1], r))
        ju: list[Coef] = [None]
        for m in range(2, g.k + 1):
            ju.append(u[m - 1] if m == 2 or u[m - 1] is None else g.let(f"{float(m - 1)!r} * {u[m - 1]}", 1))
            s = g.dot([(ju[j], x[m - j]) for j in range(1, m)])
            u.append(g.mul(g.sub(x[m], g.div(s, f"{float(m)!r}")), r))
    return u


def _log(g: _Gen, val: str, x: Arg) -> list[Coef]:
    return _log_series(g, val, x)


def _sqrt(g: _Gen, val: str, x: Arg) -> list[Coef]:
    u: list[Coef] = [val]
    if g.k >= 1:
        r = g.let(f"1.0 / (2.0 * {val})", 2)  # 0 at x_0 = 0: ZeroDivisionError, the careful sweep's case
        u.append(g.mul(x[1], r))
        for m in range(2, g.k + 1):
            u.append(g.mul(g.sub(x[m], g.dot([(u[j], u[m - j]) for j in range(1, m)])), r))
    return u


def _pow(g: _Gen, val: str, x: Arg, y: Arg) -> list[Coef]:
    if not _series(y):
        return _pow_const(g, val, x, y)
    if not _series(x):
        return _pow_const_base(g, val, x, y)
    x0, y0 = x[0], y[0]
    g.guard(f"{x0} <= 0.0")  # a zero or negative base under a moving exponent: the careful sweep decides
    u: list[Coef] = [val]
    if g.k >= 1:
        dx = g.let(f"{y0} * pow({x0}, {y0} - 1.0)", 3)
        dy = g.let(f"xlogy({val}, {x0})", 1)
        u.append(g.add(g.mul(x[1], dx), g.mul(y[1], dy)))
        z = _mul(g, "0.0", y, _log_series(g, g.let(f"log({x0})", 1), x))  # (z_0 is not needed)
        jz = g.jx(z)
        for m in range(2, g.k + 1):
            u.append(g.ode(jz, u, m))
    return u


def _pow_const(g: _Gen, val: str, x: list[Coef], a: str) -> list[Coef]:
    """x^a for a constant a: ``series._pow_const``; at x_0 = 0 (or a runtime a = 0) the careful sweep decides."""
    known = _is_literal(a)
    av = float(a.strip("()")) if known else None
    if av == 0:  # x^0 = 1 (0^0 = 1 too): a constant series
        return [val] + [None] * g.k
    g.guard(f"{x[0]} == 0.0" if known else f"{x[0]} == 0.0 or {a} == 0.0")
    u: list[Coef] = [val]
    if g.k >= 1:
        am1 = literal(av - 1) if known else f"({a} - 1.0)"
        u.append(g.mul(x[1], g.let(f"{a} * pow({x[0]}, {am1})", 2 if known else 3)))
        aj = [None] + [None if known else g.let(f"{a} * {float(j)!r}", 1) for j in range(1, g.k + 1)]
        for m in range(2, g.k + 1):
            terms = []
            for j in range(1, m + 1):
                if x[j] is None or u[m - j] is None:
                    continue
                if known:
                    c = av * float(j) + (float(j) - m)  # the careful rule's a j + (j - m), the same float
                    if c == 0:
                        continue  # an exact 0 (x^2: the series ends)
                    terms.append(f"{literal(c)} * {x[j]} * {u[m - j]}")
                else:
                    terms.append(f"({aj[j]} + {literal(float(j) - m)}) * {x[j]} * {u[m - j]}")
            if not terms:
                u.append(None)
                continue
            g.ops += (2 if known else 3) * len(terms) - 1 + 2
            u.append(g.let(f"({' + '.join(terms)}) / ({float(m)!r} * {x[0]})"))
    return u


def _pow_const_base(g: _Gen, val: str, c: str, y: list[Coef]) -> list[Coef]:
    """c^y for a constant c > 0 and a moving y (c <= 0: the careful sweep)."""
    known = _is_literal(c)
    if known and float(c.strip("()")) <= 0:
        raise Unsupported("a base <= 0 under a moving exponent")
    if not known:
        g.guard(f"{c} <= 0.0")
    u: list[Coef] = [val]
    if g.k >= 1:
        lnc = literal(math.log(float(c.strip("()")))) if known else g.let(f"log({c})", 1)
        u.append(g.mul(y[1], g.let(f"xlogy({val}, {c})", 1)))
        jz: list[Coef] = [None, g.mul(y[1], lnc)] + [  # (y_1 * 1.0) * ln c is y_1 * ln c
            None if y[j] is None else g.let(f"{y[j]} * {float(j)!r} * {lnc}", 2) for j in range(2, g.k + 1)]
        for m in range(2, g.k + 1):
            u.append(g.ode(jz, u, m))
    return u


def _sin_cos(g: _Gen, x: list[Coef], s0: str, c0: str, hyperbolic: bool, want_sin: bool) -> list[Coef]:
    """sin and cos together (s' = c x', c' = ∓s x'), each to the order the wanted one needs."""
    k = g.k
    s: list[Coef] = [s0]
    c: list[Coef] = [c0]
    if k >= 1:
        s.append(g.mul(x[1], c0))
        c.append(g.mul(x[1], s0 if hyperbolic or x[1] is None else g.let(f"-{s0}", 1)))
        jx = g.jx(x)
        for m in range(2, k + 1):
            if want_sin or m < k:
                s.append(g.ode(jx, c, m))
            if not want_sin or m < k:
                t = g.ode(jx, s, m)
                c.append(t if hyperbolic else g.neg(t))
    return s if want_sin else c


def _sin(g: _Gen, val: str, x: Arg) -> list[Coef]:
    return _sin_cos(g, x, val, g.let(f"cos({x[0]})", 1) if g.k >= 1 else "0.0", False, True)


def _cos(g: _Gen, val: str, x: Arg) -> list[Coef]:
    return _sin_cos(g, x, g.let(f"sin({x[0]})", 1) if g.k >= 1 else "0.0", val, False, False)


def _sinh(g: _Gen, val: str, x: Arg) -> list[Coef]:
    return _sin_cos(g, x, val, g.let(f"cosh({x[0]})", 1) if g.k >= 1 else "0.0", True, True)


def _cosh(g: _Gen, val: str, x: Arg) -> list[Coef]:
    return _sin_cos(g, x, g.let(f"sinh({x[0]})", 1) if g.k >= 1 else "0.0", val, True, False)


def _riccati(g: _Gen, val: str, x: list[Coef], w0: str, sign: float) -> list[Coef]:
    """u' = w x' with w = 1 + sign u²: ``series._riccati`` (tan, tanh)."""
    u: list[Coef] = [val]
    if g.k >= 1:
        u.append(g.mul(x[1], w0))
        w: list[Coef] = [w0]
        jx = g.jx(x)
        for m in range(2, g.k + 1):
            d = g.dot([(u[i], u[m - 1 - i]) for i in range(m)])
            w.append(d if sign > 0 else g.neg(d))
            u.append(g.ode(jx, w, m))
    return u


def _tan(g: _Gen, val: str, x: Arg) -> list[Coef]:
    return _riccati(g, val, x, g.let(f"1.0 + {val} * {val}", 2) if g.k >= 1 else "0.0", 1.0)


def _tanh(g: _Gen, val: str, x: Arg) -> list[Coef]:
    w0 = g.let(f"4.0 * (sigmoid(2.0 * {x[0]}) * sigmoid(-2.0 * {x[0]}))", 6) if g.k >= 1 else "0.0"
    return _riccati(g, val, x, w0, -1.0)


def _sigmoid(g: _Gen, val: str, x: Arg) -> list[Coef]:
    u: list[Coef] = [val]
    if g.k >= 1:
        q: list[Coef] = [g.let(f"sigmoid(-{x[0]})", 2)]
        w: list[Coef] = [g.let(f"{val} * {q[0]}", 1)]
        u.append(g.mul(x[1], w[0]))
        q.append(g.neg(u[1]))
        jx = g.jx(x)
        for m in range(2, g.k + 1):
            w.append(g.dot([(u[i], q[m - 1 - i]) for i in range(m)]))
            u.append(g.ode(jx, w, m))
            q.append(g.neg(u[m]))
    return u


def _atan(g: _Gen, val: str, x: Arg) -> list[Coef]:
    u: list[Coef] = [val]
    if g.k >= 1:
        d: list[Coef] = [g.let(f"1.0 + {x[0]} * {x[0]}", 2)]
        gg: list[Coef] = [g.let(f"1.0 / {d[0]}", 1)]
        u.append(g.mul(x[1], gg[0]))
        jx = g.jx(x)
        for m in range(2, g.k + 1):
            kk = m - 1
            d.append(g.dot([(x[i], x[kk - i]) for i in range(kk + 1)]))
            gg.append(g.div(g.neg(g.dot([(d[j], gg[kk - j]) for j in range(1, kk + 1)])), d[0]))
            u.append(g.ode(jx, gg, m))
    return u


def _arcsine(g: _Gen, val: str, x: list[Coef]) -> tuple[list[Coef], str]:
    """asin's coefficients (from 1) and 1/√(1 - x_0²): ``series._arcsine``; at ±1 1/0 raises."""
    u: list[Coef] = [val]
    dd = "0.0"
    if g.k >= 1:
        s0 = g.let(f"sqrt((1.0 - {x[0]}) * (1.0 + {x[0]}))", 4)
        dd = g.let(f"1.0 / {s0}", 1)
        u.append(g.mul(x[1], dd))
        s: list[Coef] = [s0]
        two_s0 = g.let(f"2.0 * {s0}", 1)
        ju: list[Coef] = [None]
        for m in range(2, g.k + 1):
            kk = m - 1
            rk = g.neg(g.dot([(x[i], x[kk - i]) for i in range(kk + 1)]))
            s.append(g.div(g.sub(rk, g.dot([(s[j], s[kk - j]) for j in range(1, kk)])), two_s0))
            ju.append(u[kk] if kk == 1 or u[kk] is None else g.let(f"{u[kk]} * {float(kk)!r}", 1))
            t = g.div(g.dot([(ju[j], s[m - j]) for j in range(1, m)]), f"{float(m)!r}")
            u.append(g.mul(g.sub(x[m], t), dd))
    return u, dd


def _asin(g: _Gen, val: str, x: Arg) -> list[Coef]:
    return _arcsine(g, val, x)[0]


def _acos(g: _Gen, val: str, x: Arg) -> list[Coef]:
    u, dd = _arcsine(g, val, x)
    out: list[Coef] = [val]
    if g.k >= 1:
        out.append(g.mul(x[1], g.let(f"-{dd}", 1)))  # ẋ · (-1/√(1 - x²)), as the table's partial
    return out + [g.neg(c) for c in u[2:]]


def _kinked(g: _Gen, x0: str) -> None:
    if g.k >= 1:
        g.guard(f"{x0} == 0.0")  # at the kink the careful sweep decides the side (and warns)


def _abs(g: _Gen, val: str, x: Arg) -> list[Coef]:
    _kinked(g, x[0])
    side = g.let(f"(-1.0 if {x[0]} < 0.0 else 1.0)") if g.k >= 1 else "1.0"
    return [val] + [g.mul(c, side) for c in x[1:]]


def _relu(g: _Gen, val: str, x: Arg) -> list[Coef]:
    _kinked(g, x[0])
    on = g.let(f"({x[0]} > 0.0)") if g.k >= 1 else "True"
    return [val] + [None if c is None else g.let(f"({c} if {on} else 0.0)", 1) for c in x[1:]]


def _flat(g: _Gen, val: str, x: Arg) -> list[Coef]:
    _kinked(g, x[0])
    return [val] + [None] * g.k


def _extremum(g: _Gen, val: str, a: Arg, b: Arg, op: str) -> list[Coef]:
    A, B = _lift(g, a), _lift(g, b)
    if g.k >= 1:
        g.guard(f"{A[0]} == {B[0]}")  # a tie: the careful sweep decides by the first differing coefficient
    first = g.let(f"({A[0]} {op} {B[0]})") if g.k >= 1 else "True"
    u: list[Coef] = [val]
    for j in range(1, g.k + 1):
        if A[j] is None and B[j] is None:
            u.append(None)
        else:
            u.append(g.let(f"({A[j] or '0.0'} if {first} else {B[j] or '0.0'})", 1))
    return u


def _max(g: _Gen, val: str, a: Arg, b: Arg) -> list[Coef]:
    return _extremum(g, val, a, b, ">=")


def _min(g: _Gen, val: str, a: Arg, b: Arg) -> list[Coef]:
    return _extremum(g, val, a, b, "<=")


RULES: dict[str, Callable[..., list[Coef]]] = {
    "add": _add, "sub": _sub, "neg": _neg, "mul": _mul, "div": _div, "exp": _exp, "log": _log, "sqrt": _sqrt,
    "pow": _pow, "sin": _sin, "cos": _cos, "sinh": _sinh, "cosh": _cosh, "tan": _tan, "tanh": _tanh,
    "sigmoid": _sigmoid, "atan": _atan, "asin": _asin, "acos": _acos, "abs": _abs, "relu": _relu, "sign": _flat,
    "step": _flat, "max": _max, "min": _min,
}

_BINOP = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


# --- the program ---------------------------------------------------------------------------------------


@dataclass
class TaylorProgram:
    """One generated Taylor program. ``function(x, v)`` returns one list of floats: the coefficients of every
    variable of the list, row after row (inputs first, k + 1 per row: ``taylormode.Sweep.series`` flattened),
    then the outputs' rows, then the outputs' derivatives (coefficient j times j!)."""

    source: str
    function: Callable[[list[float], list[float]], list[float]]
    order: int
    rows: int  # n + the number of steps
    outputs: int  # m
    steps: int  # the steps that move (are propagated as series)
    ops: int  # operations on coefficients the program does (the moving steps' values count one each)
    #: The returned list packed as 64-bit floats, ``pack(*values)``: numpy reads packed bytes a few times faster
    #: than it converts a list of floats. The three arrays are views of them: (shape, byte offset) of each.
    pack: Callable[..., bytes] = field(repr=False)
    series: tuple[tuple[int, int], int] = ((0, 0), 0)
    coefficients: tuple[tuple[int, int], int] = ((0, 0), 0)
    derivatives: tuple[tuple[int, int], int] = ((0, 0), 0)
    cost: Any = None  # the TaylorCost that taylormode reports for it (made there on first use)


def generate(wl: WengertList, order: int, moved_inputs: Sequence[bool]) -> tuple[str, int, int]:
    """The program's text for ``wl`` along a line moving the inputs ``moved_inputs``, to ``order``; with the
    number of moving steps and of operations. Raises :class:`Unsupported` for a step it has no code for."""
    n, k = wl.n, order
    g = _Gen(k)
    moves = moving(wl, moved_inputs)
    xs = [f"x{i}" for i in range(n)]
    ds = [f"d{i}" for i in range(n)]
    rows: list[list[Coef] | str] = []  # per variable: its series if it moves, else its value's name
    for i in range(n):
        rows.append(([xs[i], ds[i]] + [None] * (k - 1))[: k + 1] if moves[i] else xs[i])
    head = ["def taylor(x, v):"]
    if n:
        head += [f"    {', '.join(xs)}{',' if n == 1 else ''} = x", f"    {', '.join(ds)}{',' if n == 1 else ''} = v"]

    def operand(a: Any) -> Arg:
        if isinstance(a, Const):
            return literal(float(a.value))
        return rows[a + n - 1]

    def value(a: Any) -> str:
        o = operand(a)
        return o[0] if isinstance(o, list) else o

    steps = 0
    for st in wl.steps:
        vname = f"v{st.index}"
        vals = [value(a) for a in st.args]
        name = st.prim.name
        if name in _BINOP:
            g.assign(vname, f"{vals[0]} {_BINOP[name]} {vals[1]}")
        elif name == "neg":
            g.assign(vname, f"-{vals[0]}")
        else:
            g.assign(vname, f"{name}({', '.join(vals)})")
        if not moves[st.index + n - 1]:
            rows.append(vname)
            continue
        rule = RULES.get(name)
        if rule is None:
            raise Unsupported(f"no generated code for {name}")
        steps += 1
        g.ops += 1  # the value
        coefs = rule(g, vname, *[operand(a) for a in st.args])
        rows.append(coefs)
    flat: list[str] = []
    for r in rows:
        flat += [c or "0.0" for c in r] if isinstance(r, list) else [r] + ["0.0"] * k
    outs: list[str] = []
    for o in wl.outputs:
        if isinstance(o, Const):
            outs += [literal(float(o.value))] + ["0.0"] * k
        else:
            outs += flat[(o + n - 1) * (k + 1): (o + n) * (k + 1)]
    if len(flat) + 2 * len(outs) > 2 * MAX_OPS:  # every value is loaded and packed: some 10 ns each
        raise Unsupported(f"a program returning more than {2 * MAX_OPS} values")
    derivatives = [c if c == "0.0" or j < 2 else f"{c} * {float(math.factorial(j))!r}"
                   for i in range(0, len(outs), k + 1) for j, c in enumerate(outs[i: i + k + 1])]
    lines = head + g.text(set(flat)) + [f"    return [{', '.join(flat + outs + derivatives)}]"]
    return "\n".join(lines) + "\n", steps, g.ops


def program(wl: WengertList, order: int, moved_inputs: tuple[bool, ...]) -> TaylorProgram | None:
    """The compiled program, made on first use and kept on the list (None where the careful sweep does it all:
    a step without generated code, or a program beyond :data:`MAX_OPS` operations)."""
    store = wl.__dict__.get("_taylor_code")
    if store is None or store[0] is not wl.steps or store[1] is not wl.outputs:
        store = (wl.steps, wl.outputs, {})
        wl.__dict__["_taylor_code"] = store
    cache = store[2]
    key = (order, moved_inputs)
    made = cache.get(key, cache)  # (the dict itself: not made yet)
    if made is not cache:
        return made
    if len(cache) > 32:
        cache.clear()
    made = None
    try:
        with _no_gc():
            src, steps, ops = generate(wl, order, moved_inputs)
    except Unsupported:
        src = ""
    if src:
        ns = namespace("float")
        ns["_Kink"] = Kink
        with _no_gc():
            code = compile(src, "<diffzoo taylor>", "exec")
        exec(code, ns)  # noqa: S102 - our own text, see the module doc
        rows, m, k1 = wl.n + len(wl.steps), wl.m, order + 1
        pack = struct.Struct(f"{(rows + 2 * m) * k1}d").pack
        made = TaylorProgram(src, ns["taylor"], order, rows, m, steps, ops, pack, ((rows, k1), 0),
                             ((m, k1), 8 * rows * k1), ((m, k1), 8 * (rows + m) * k1))
    cache[key] = made
    return made


__all__ = ["Kink", "Unsupported", "TaylorProgram", "MAX_OPS", "RULES", "moving", "generate", "program"]

"""THE table of primitives: each operation once, with its value and its partial derivatives.

Every method reads its rules from here. A partial derivative is written once, as a small
function of a *backend* ``B`` (an object offering ``add, sub, mul, div, neg, pow, sin, ...``),
the primal output ``out`` and the arguments. Given float arithmetic it computes a number
(forward and reverse mode); given expression builders it builds a derivative expression
(symbolic differentiation, trace rules); given dual numbers it differentiates again.
So adding a primitive (``atan``, say) is one entry here plus its tests.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .fmt import short

Partial = Callable[..., Any]  # (B, out, *args) -> partial derivative w.r.t. one argument


@dataclass(frozen=True)
class Primitive:
    """One operation: how to compute it, differentiate it, print it and hand it to sympy."""

    name: str
    arity: int
    scalar: Callable[..., float]  # float -> float, raises on a domain error
    array: Callable[..., Any]  # numpy: arrays, complex numbers (complex step), float32
    partials: tuple[Partial, ...]  # one rule per argument
    latex: str  # format string with {0}, {1}
    sympy: str  # name of the sympy counterpart (attribute of the sympy module or of SYMPY_EXTRA)
    mpmath: Callable[..., Any]  # high-precision reference
    domain: Callable[..., str | None] = field(default=lambda *a: None)  # why the value is undefined
    text: str = ""  # how a step is written in a trace: "{0} * {1}", "sin {0}"
    user: bool = True  # may users call it by name?
    #: Piecewise primitives (abs, sign): which piece the arguments are on (-1, 0 at the kink itself, 1).
    #: A stencil whose points are on different pieces straddles the kink.
    kink: Callable[..., float] | None = None
    #: The directional derivative at the kink, (args, tangents) -> number, or None where the value
    #: jumps in that direction: abs'(0; d) = |d|. Gives the one-sided derivatives of f.
    one_sided: Callable[..., float | None] | None = None
    #: What happens at the kink, for messages: "abs has a kink at 0".
    kink_text: str = ""
    #: The derivative the table's rule gives at the kink, for messages: "abs'(0) = sign(0) = 0".
    convention: str = ""
    #: How a step is shown, as other primitives (``make(name, *args)``): a helper such as xlogy reads
    #: as the formula a student knows (``o * ln(x)``).
    shown_as: Callable[..., Any] | None = None
    #: Every partial is 0 where the primitive is defined (sign): a step of it is locally constant.
    piecewise_constant: bool = False
    #: Given an inf or nan argument, the float function returns inf or nan or raises: a non-finite value
    #: passes through (not so atan, tanh, sigmoid, exp of -inf, a denominator, pow, sign: they can turn
    #: inf into a finite number). Compiled code checks only the arguments of the others.
    passes_nonfinite: bool = False

    def __repr__(self) -> str:
        return f"Primitive({self.name!r})"


# --- scalar helpers that numpy or math do not offer directly -------------------------------------


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)  # no overflow for very negative x
    return z / (1.0 + z)


def _sigmoid_np(x: Any) -> Any:
    if np.iscomplexobj(x):  # exp of a non-positive real part only (exp(800) overflows, then inf/inf is nan)
        with np.errstate(all="ignore"):
            e = np.exp(np.where(np.real(x) < 0, x, -x))
            return np.where(np.real(x) < 0, e / (1.0 + e), 1.0 / (1.0 + e))
    e = np.exp(-np.abs(x))
    return np.where(np.asarray(x) >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _abs_np(x: Any) -> Any:
    # For the complex step, |x| must stay analytic near the real axis: x * sign(Re x).
    return np.where(np.real(x) < 0, -x, x) if np.iscomplexobj(x) else np.abs(x)


def _sign(x: float) -> float:
    return float((x > 0) - (x < 0))


def _xlogy(a: float, b: float) -> float:
    """a ln b, and 0 where a = 0 (the limit of x^y ln x as x -> 0 for y > 0)."""
    return 0.0 if a == 0 and b >= 0 else a * math.log(b)


def _xlogy_np(a: Any, b: Any) -> Any:
    with np.errstate(all="ignore"):
        return np.where((np.asarray(a) == 0) & (np.real(b) >= 0), 0.0 * a, a * np.log(b))


def _mp_xlogy(a: Any, b: Any) -> Any:
    import mpmath

    return mpmath.mpf(0) if a == 0 else a * mpmath.log(b)


def _mp_sigmoid(x: Any) -> Any:
    import mpmath

    return 1 / (1 + mpmath.exp(-x))


def _mp(name: str) -> Callable[..., Any]:
    def f(*args: Any) -> Any:
        import mpmath

        return getattr(mpmath, name)(*args)

    f.__name__ = name
    return f


_fmt = short


# --- domain messages: why a real value does not exist --------------------------------------------


def _log_domain(x: float) -> str | None:
    if x == 0:
        return "log is undefined at 0 (it tends to -infinity)"
    return f"log is undefined at {_fmt(x)} (needs a positive argument)" if x < 0 else None


def _sqrt_domain(x: float) -> str | None:
    return f"sqrt is undefined at {_fmt(x)} (needs a non-negative argument)" if x < 0 else None


def _unit_domain(name: str) -> Callable[[float], str | None]:
    def check(x: float) -> str | None:
        return f"{name} is undefined at {_fmt(x)} (needs -1 <= x <= 1)" if abs(x) > 1 else None

    return check


def _div_domain(x: float, y: float) -> str | None:
    return f"division by zero ({_fmt(x)} / 0)" if y == 0 else None


def _xlogy_domain(a: float, b: float) -> str | None:
    return None if a == 0 and b >= 0 else _log_domain(b)


def _pow_domain(x: float, y: float) -> str | None:
    if x == 0 and y < 0:
        return f"0 cannot be raised to the negative power {_fmt(y)}"
    if x < 0 and y != int(y):
        shown = _fmt(y)
        if float(shown) == int(float(shown)):  # 3.0000000447 would read "3": show every digit
            shown = repr(float(y))
        return f"a negative base {_fmt(x)} has no real power {shown} (the exponent is not an integer)"
    return None


# --- the two partials of pow, with their limits at a zero base -----------------------------------


def _zero(v: Any) -> bool:
    """Is ``v`` the plain number 0? (Expressions, duals and arrays are never taken for one.)"""
    return type(v) in (int, float) and v == 0


def _pow_dx(B: Any, o: Any, x: Any, y: Any) -> Any:
    """∂(x^y)/∂x = y x^(y-1); 0 when y = 0, where x^0 is the constant 1 (0^0 = 1 too, as math.pow says),
    even at x = 0, where the formula's 0 * 0^-1 does not exist."""
    if _zero(y):
        return 0
    return B.mul(y, B.pow(x, B.sub(y, 1)))


def _pow_dy(B: Any, o: Any, x: Any, y: Any) -> Any:
    """∂(x^y)/∂y = x^y ln x, written ``xlogy(x^y, x)``: 0 at x = 0 with y > 0, where 0^y is 0 for every
    nearby y (the formula's 0 * ln 0 does not exist). As in PyTorch's and JAX's rules for pow; a
    helper primitive rather than a test on the value, so that derivative expressions have it too."""
    return B.xlogy(o, x)


# --- the table -----------------------------------------------------------------------------------

_TABLE = [
    # name, arity, scalar, array, partials (B, out, *args), latex, sympy, mpmath, domain, text
    Primitive("add", 2, operator.add, np.add,
              (lambda B, o, x, y: 1, lambda B, o, x, y: 1),
              "{0} + {1}", "Add", lambda x, y: x + y, text="{0} + {1}", user=False, passes_nonfinite=True),
    Primitive("sub", 2, operator.sub, np.subtract,
              (lambda B, o, x, y: 1, lambda B, o, x, y: -1),
              "{0} - {1}", "Sub", lambda x, y: x - y, text="{0} - {1}", user=False, passes_nonfinite=True),
    Primitive("mul", 2, operator.mul, np.multiply,
              (lambda B, o, x, y: y, lambda B, o, x, y: x),
              r"{0} \cdot {1}", "Mul", lambda x, y: x * y, text="{0} * {1}", user=False, passes_nonfinite=True),
    Primitive("div", 2, operator.truediv, np.divide,
              (lambda B, o, x, y: B.div(1, y), lambda B, o, x, y: B.neg(B.div(o, y))),
              r"\frac{{{0}}}{{{1}}}", "Div", lambda x, y: x / y, _div_domain, text="{0} / {1}", user=False),
    Primitive("neg", 1, operator.neg, np.negative,
              (lambda B, o, x: -1,),
              "-{0}", "Neg", lambda x: -x, text="-{0}", user=False, passes_nonfinite=True),
    Primitive("pow", 2, math.pow, np.power,
              (_pow_dx, _pow_dy),
              "{{{0}}}^{{{1}}}", "Pow", lambda x, y: x**y, _pow_domain, text="{0} ^ {1}", user=False),
    Primitive("sin", 1, math.sin, np.sin, (lambda B, o, x: B.cos(x),),
              r"\sin{0}", "sin", _mp("sin"), text="sin {0}", passes_nonfinite=True),
    Primitive("cos", 1, math.cos, np.cos, (lambda B, o, x: B.neg(B.sin(x)),),
              r"\cos{0}", "cos", _mp("cos"), text="cos {0}", passes_nonfinite=True),
    Primitive("tan", 1, math.tan, np.tan, (lambda B, o, x: B.add(1, B.mul(o, o)),),
              r"\tan{0}", "tan", _mp("tan"), text="tan {0}", passes_nonfinite=True),
    Primitive("exp", 1, math.exp, np.exp, (lambda B, o, x: o,),
              r"\exp{0}", "exp", _mp("exp"), text="exp {0}"),
    Primitive("log", 1, math.log, np.log, (lambda B, o, x: B.div(1, x),),
              r"\ln{0}", "log", _mp("log"), _log_domain, text="ln {0}", passes_nonfinite=True),
    Primitive("sqrt", 1, math.sqrt, np.sqrt, (lambda B, o, x: B.div(1, B.mul(2, o)),),
              r"\sqrt{{{0}}}", "sqrt", _mp("sqrt"), _sqrt_domain, text="sqrt {0}", passes_nonfinite=True),
    # tanh'(x) = 1 - tanh(x)^2 = 4 σ(2x) σ(-2x): the textbook form cancels to 0 from x = 19.1, where tanh
    # rounds to 1 (the exact 1.7e-17 at x = 20 is lost), and sech^2 = 1/cosh^2 overflows from x = 710.
    Primitive("tanh", 1, math.tanh, np.tanh,
              (lambda B, o, x: B.mul(4, B.mul(B.sigmoid(B.mul(2, x)), B.sigmoid(B.mul(-2, x)))),),
              r"\tanh{0}", "tanh", _mp("tanh"), text="tanh {0}"),
    Primitive("sinh", 1, math.sinh, np.sinh, (lambda B, o, x: B.cosh(x),),
              r"\sinh{0}", "sinh", _mp("sinh"), text="sinh {0}", passes_nonfinite=True),
    Primitive("cosh", 1, math.cosh, np.cosh, (lambda B, o, x: B.sinh(x),),
              r"\cosh{0}", "cosh", _mp("cosh"), text="cosh {0}", passes_nonfinite=True),
    # 1 - x^2 as (1 - x)(1 + x): near x = ±1, 1 - x*x cancels (1e-10 relative error at x = 1 - 1e-8),
    # while 1 - x is exact there and 1 + x rounds once.
    Primitive("asin", 1, math.asin, np.arcsin,
              (lambda B, o, x: B.div(1, B.sqrt(B.mul(B.sub(1, x), B.add(1, x)))),),
              r"\arcsin{0}", "asin", _mp("asin"), _unit_domain("asin"), text="asin {0}", passes_nonfinite=True),
    Primitive("acos", 1, math.acos, np.arccos,
              (lambda B, o, x: B.neg(B.div(1, B.sqrt(B.mul(B.sub(1, x), B.add(1, x))))),),
              r"\arccos{0}", "acos", _mp("acos"), _unit_domain("acos"), text="acos {0}", passes_nonfinite=True),
    Primitive("atan", 1, math.atan, np.arctan, (lambda B, o, x: B.div(1, B.add(1, B.mul(x, x))),),
              r"\arctan{0}", "atan", _mp("atan"), text="atan {0}"),
    Primitive("abs", 1, abs, _abs_np, (lambda B, o, x: B.sign(x),),
              r"\left|{0}\right|", "Abs", _mp("fabs"), text="abs {0}", kink=lambda x: _sign(x),
              one_sided=lambda x, dx: abs(dx) if x == 0 else (dx if x > 0 else -dx), kink_text="abs has a kink at 0",
              convention="abs′(0) = sign(0) = 0", passes_nonfinite=True),
    # σ'(x) = σ(x) σ(-x), which is σ(x)(1 - σ(x)) without the cancellation of 1 - σ(x) for large x
    # (3.6e-8 relative error at x = 20, and 0 instead of 4.2e-18 at x = 40).
    Primitive("sigmoid", 1, _sigmoid, _sigmoid_np, (lambda B, o, x: B.mul(o, B.sigmoid(B.neg(x))),),
              r"\sigma{0}", "sigmoid", _mp_sigmoid, text="sigmoid {0}"),
    # sign is the derivative of abs (0 at 0, by convention); its own derivative is 0 almost everywhere.
    # It is callable so that a printed derivative of abs reads back.
    Primitive("sign", 1, _sign, lambda x: np.sign(np.real(x)), (lambda B, o, x: 0,),
              r"\operatorname{{sign}}{0}", "sign", _mp("sign"), text="sign {0}", user=True, kink=lambda x: _sign(x),
              one_sided=lambda x, dx: None if x == 0 and dx != 0 else 0.0, kink_text="sign jumps at 0",
              convention="sign′ = 0", piecewise_constant=True),
    # a ln b, 0 where a = 0: the partial ∂(x^y)/∂y at a zero base. A helper of the rules, not for users;
    # shown as the product it is.
    Primitive("xlogy", 2, _xlogy, _xlogy_np, (lambda B, o, a, b: B.log(b), lambda B, o, a, b: B.div(a, b)),
              r"{0} \ln {1}", "xlogy", _mp_xlogy, _xlogy_domain, text="{0} * ln {1}", user=False,
              shown_as=lambda make, a, b: make("mul", a, make("log", b))),
]

PRIMITIVES: dict[str, Primitive] = {p.name: p for p in _TABLE}

#: Names a user may call, with aliases (``ln`` is the natural logarithm, as is ``log``).
FUNCTIONS: dict[str, str] = {p.name: p.name for p in _TABLE if p.user} | {"ln": "log"}

#: Binary operators of the language and the primitive each one means.
OPERATORS: dict[str, str] = {"+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow"}

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

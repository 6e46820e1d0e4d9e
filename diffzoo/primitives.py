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

from . import series
from .fmt import short

Partial = Callable[..., Any]  # (B, out, *args) -> partial derivative w.r.t. one argument


@dataclass(frozen=True, kw_only=True)
class Primitive:
    """One operation: how to compute it, differentiate it, print it, and hand it to sympy and mpmath."""

    name: str
    arity: int
    scalar: Callable[..., float]  # float -> float, raises on a domain error
    array: Callable[..., Any]  # numpy: arrays, complex numbers (complex step), float32
    partials: tuple[Partial, ...]  # one rule per argument: (B, out, *args) -> the partial derivative
    latex: str  # format string with {0}, {1}
    text: str  # how a step is written in a trace: "{0} * {1}", "sin {0}"
    sympy: Callable[..., Any]  # the same function of sympy expressions (sympy imported when first called)
    mpmath: Callable[..., Any]  # the same function of mpmath numbers: the 50-digit reference
    domain: Callable[..., str | None] = field(default=lambda *a: None)  # why the value is undefined
    #: The language's operator for it (``+``, ``^``; ``-`` for neg) and how tightly it binds when printed
    #: (add and sub 1, mul and div 2, neg 3, pow 4); a function call binds tightest.
    infix: str = ""
    precedence: int = 5
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
    #: Taylor mode's rule, ``(order, *args) -> series``: the coefficients u_0..u_order of the primitive along a
    #: line from its arguments' (``series.py``: an O(order²) recurrence; a constant argument may be a number).
    #: Every entry has one (``tests/test_taylor.py`` checks it against sympy's derivatives along a line).
    taylor: Callable[..., Any] | None = None

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


def _relu(x: float) -> float:
    return 0.0 if x < 0 else x  # nan stays nan


def _relu_np(x: Any) -> Any:
    return np.where(np.real(x) < 0, 0.0 * x, x)  # for the complex step, x itself where Re x > 0


def _step(x: float) -> float:
    return 1.0 if x > 0 else (0.0 if x <= 0 else x)  # nan stays nan


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


def _sp(name: str) -> Callable[..., Any]:
    def f(*args: Any) -> Any:
        import sympy

        return getattr(sympy, name)(*args)

    f.__name__ = name
    return f


def _sp_sigmoid(x: Any) -> Any:
    import sympy

    return 1 / (1 + sympy.exp(-x))


def _sp_xlogy(a: Any, b: Any) -> Any:
    import sympy

    return a * sympy.log(b)


def _sp_relu(x: Any) -> Any:
    import sympy

    return sympy.Max(x, 0)


def _sp_step(x: Any) -> Any:
    import sympy

    return sympy.Heaviside(x, 0)


def _mp_relu(x: Any) -> Any:
    return x if x > 0 else 0 * x


def _mp_step(x: Any) -> Any:
    return 1 + 0 * x if x > 0 else 0 * x


def _mp(name: str) -> Callable[..., Any]:
    def f(*args: Any) -> Any:
        import mpmath

        return getattr(mpmath, name)(*args)

    f.__name__ = name
    return f


_fmt = short


def _max_np(a: Any, b: Any) -> Any:
    return np.where(np.real(a) >= np.real(b), a, b)  # for the complex step, the argument that is larger in Re


def _min_np(a: Any, b: Any) -> Any:
    return np.where(np.real(a) <= np.real(b), a, b)


def _mp_max(a: Any, b: Any) -> Any:
    return a if a >= b else b


def _mp_min(a: Any, b: Any) -> Any:
    return a if a <= b else b


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

def _one(B: Any, o: Any, *args: Any) -> Any:
    return 1


_TABLE = [
    Primitive(name="add", arity=2, scalar=operator.add, array=np.add, partials=(_one, _one),
              latex="{0} + {1}", text="{0} + {1}", sympy=operator.add, mpmath=operator.add,
              infix="+", precedence=1, user=False, passes_nonfinite=True, taylor=series.add),
    Primitive(name="sub", arity=2, scalar=operator.sub, array=np.subtract,
              partials=(_one, lambda B, o, x, y: -1),
              latex="{0} - {1}", text="{0} - {1}", sympy=operator.sub, mpmath=operator.sub,
              infix="-", precedence=1, user=False, passes_nonfinite=True, taylor=series.sub),
    Primitive(name="mul", arity=2, scalar=operator.mul, array=np.multiply,
              partials=(lambda B, o, x, y: y, lambda B, o, x, y: x),
              latex=r"{0} \cdot {1}", text="{0} * {1}", sympy=operator.mul, mpmath=operator.mul,
              infix="*", precedence=2, user=False, passes_nonfinite=True, taylor=series.mul),
    Primitive(name="div", arity=2, scalar=operator.truediv, array=np.divide,
              partials=(lambda B, o, x, y: B.div(1, y), lambda B, o, x, y: B.neg(B.div(o, y))),
              latex=r"\frac{{{0}}}{{{1}}}", text="{0} / {1}", sympy=operator.truediv, mpmath=operator.truediv,
              domain=_div_domain, infix="/", precedence=2, user=False, taylor=series.div),
    Primitive(name="neg", arity=1, scalar=operator.neg, array=np.negative, partials=(lambda B, o, x: -1,),
              latex="-{0}", text="-{0}", sympy=operator.neg, mpmath=operator.neg,
              infix="-", precedence=3, user=False, passes_nonfinite=True, taylor=series.neg),
    Primitive(name="pow", arity=2, scalar=math.pow, array=np.power, partials=(_pow_dx, _pow_dy),
              latex="{{{0}}}^{{{1}}}", text="{0} ^ {1}", sympy=operator.pow, mpmath=operator.pow,
              domain=_pow_domain, infix="^", precedence=4, user=False, taylor=series.pow),
    Primitive(name="sin", arity=1, scalar=math.sin, array=np.sin, partials=(lambda B, o, x: B.cos(x),),
              latex=r"\sin{0}", text="sin {0}", sympy=_sp("sin"), mpmath=_mp("sin"), passes_nonfinite=True,
              taylor=series.sin),
    Primitive(name="cos", arity=1, scalar=math.cos, array=np.cos, partials=(lambda B, o, x: B.neg(B.sin(x)),),
              latex=r"\cos{0}", text="cos {0}", sympy=_sp("cos"), mpmath=_mp("cos"), passes_nonfinite=True,
              taylor=series.cos),
    Primitive(name="tan", arity=1, scalar=math.tan, array=np.tan, partials=(lambda B, o, x: B.add(1, B.mul(o, o)),),
              latex=r"\tan{0}", text="tan {0}", sympy=_sp("tan"), mpmath=_mp("tan"), passes_nonfinite=True,
              taylor=series.tan),
    Primitive(name="exp", arity=1, scalar=math.exp, array=np.exp, partials=(lambda B, o, x: o,),
              latex=r"\exp{0}", text="exp {0}", sympy=_sp("exp"), mpmath=_mp("exp"), taylor=series.exp),
    Primitive(name="log", arity=1, scalar=math.log, array=np.log, partials=(lambda B, o, x: B.div(1, x),),
              latex=r"\ln{0}", text="ln {0}", sympy=_sp("log"), mpmath=_mp("log"), domain=_log_domain,
              passes_nonfinite=True, taylor=series.log),
    Primitive(name="sqrt", arity=1, scalar=math.sqrt, array=np.sqrt, partials=(lambda B, o, x: B.div(1, B.mul(2, o)),),
              latex=r"\sqrt{{{0}}}", text="sqrt {0}", sympy=_sp("sqrt"), mpmath=_mp("sqrt"), domain=_sqrt_domain,
              passes_nonfinite=True, taylor=series.sqrt),
    # tanh'(x) = 1 - tanh(x)^2 = 4 σ(2x) σ(-2x): the textbook form cancels to 0 from x = 19.1, where tanh
    # rounds to 1 (the exact 1.7e-17 at x = 20 is lost), and sech^2 = 1/cosh^2 overflows from x = 710.
    Primitive(name="tanh", arity=1, scalar=math.tanh, array=np.tanh,
              partials=(lambda B, o, x: B.mul(4, B.mul(B.sigmoid(B.mul(2, x)), B.sigmoid(B.mul(-2, x)))),),
              latex=r"\tanh{0}", text="tanh {0}", sympy=_sp("tanh"), mpmath=_mp("tanh"), taylor=series.tanh),
    Primitive(name="sinh", arity=1, scalar=math.sinh, array=np.sinh, partials=(lambda B, o, x: B.cosh(x),),
              latex=r"\sinh{0}", text="sinh {0}", sympy=_sp("sinh"), mpmath=_mp("sinh"), passes_nonfinite=True,
              taylor=series.sinh),
    Primitive(name="cosh", arity=1, scalar=math.cosh, array=np.cosh, partials=(lambda B, o, x: B.sinh(x),),
              latex=r"\cosh{0}", text="cosh {0}", sympy=_sp("cosh"), mpmath=_mp("cosh"), passes_nonfinite=True,
              taylor=series.cosh),
    # 1 - x^2 as (1 - x)(1 + x): near x = ±1, 1 - x*x cancels (1e-10 relative error at x = 1 - 1e-8),
    # while 1 - x is exact there and 1 + x rounds once.
    Primitive(name="asin", arity=1, scalar=math.asin, array=np.arcsin,
              partials=(lambda B, o, x: B.div(1, B.sqrt(B.mul(B.sub(1, x), B.add(1, x)))),),
              latex=r"\arcsin{0}", text="asin {0}", sympy=_sp("asin"), mpmath=_mp("asin"),
              domain=_unit_domain("asin"), passes_nonfinite=True, taylor=series.asin),
    Primitive(name="acos", arity=1, scalar=math.acos, array=np.arccos,
              partials=(lambda B, o, x: B.neg(B.div(1, B.sqrt(B.mul(B.sub(1, x), B.add(1, x))))),),
              latex=r"\arccos{0}", text="acos {0}", sympy=_sp("acos"), mpmath=_mp("acos"),
              domain=_unit_domain("acos"), passes_nonfinite=True, taylor=series.acos),
    Primitive(name="atan", arity=1, scalar=math.atan, array=np.arctan,
              partials=(lambda B, o, x: B.div(1, B.add(1, B.mul(x, x))),),
              latex=r"\arctan{0}", text="atan {0}", sympy=_sp("atan"), mpmath=_mp("atan"), taylor=series.atan),
    Primitive(name="abs", arity=1, scalar=abs, array=_abs_np, partials=(lambda B, o, x: B.sign(x),),
              latex=r"\left|{0}\right|", text="abs {0}", sympy=_sp("Abs"), mpmath=_mp("fabs"),
              kink=_sign, one_sided=lambda x, dx: abs(dx) if x == 0 else (dx if x > 0 else -dx),
              kink_text="abs has a kink at 0", convention="abs′(0) = sign(0) = 0", passes_nonfinite=True,
              taylor=series.abs_),
    # σ'(x) = σ(x) σ(-x), which is σ(x)(1 - σ(x)) without the cancellation of 1 - σ(x) for large x
    # (3.6e-8 relative error at x = 20, and 0 instead of 4.2e-18 at x = 40).
    Primitive(name="sigmoid", arity=1, scalar=_sigmoid, array=_sigmoid_np,
              partials=(lambda B, o, x: B.mul(o, B.sigmoid(B.neg(x))),),
              latex=r"\sigma{0}", text="sigmoid {0}", sympy=_sp_sigmoid, mpmath=_mp_sigmoid, taylor=series.sigmoid),
    # sign is the derivative of abs (0 at 0, by convention); its own derivative is 0 almost everywhere.
    # It is callable so that a printed derivative of abs reads back.
    Primitive(name="sign", arity=1, scalar=_sign, array=lambda x: np.sign(np.real(x)), partials=(lambda B, o, x: 0,),
              latex=r"\operatorname{{sign}}{0}", text="sign {0}", sympy=_sp("sign"), mpmath=_mp("sign"),
              kink=_sign, one_sided=lambda x, dx: None if x == 0 and dx != 0 else 0.0, kink_text="sign jumps at 0",
              convention="sign′ = 0", piecewise_constant=True, taylor=series.sign),
    # relu(x) = max(x, 0), the rectifier of neural networks; its derivative is step (0 at 0, by convention,
    # as PyTorch and JAX have it). step is callable so that a printed derivative of relu reads back.
    Primitive(name="relu", arity=1, scalar=_relu, array=_relu_np, partials=(lambda B, o, x: B.step(x),),
              latex=r"\operatorname{{relu}}{0}", text="relu {0}", sympy=_sp_relu, mpmath=_mp_relu,
              kink=_sign, one_sided=lambda x, dx: max(dx, 0.0) if x == 0 else (dx if x > 0 else 0.0),
              kink_text="relu has a kink at 0", convention="relu′(0) = step(0) = 0", taylor=series.relu),
    Primitive(name="step", arity=1, scalar=_step, array=lambda x: np.where(np.real(x) > 0, 1.0, 0.0),
              partials=(lambda B, o, x: 0,), latex=r"\operatorname{{step}}{0}", text="step {0}", sympy=_sp_step,
              mpmath=_mp_step, kink=_sign, one_sided=lambda x, dx: None if x == 0 and dx > 0 else 0.0,
              kink_text="step jumps at 0", convention="step′ = 0", piecewise_constant=True, taylor=series.step),
    # max(a, b) and min(a, b): kinks where a = b. At a tie each argument gets half the slope (JAX's convention), so
    # max(x, x) has the derivative 1 it should; the one-sided rule max(da, db) gives the slopes on either side.
    Primitive(name="max", arity=2, scalar=lambda a, b: a if a >= b else b, array=_max_np,
              partials=(lambda B, o, a, b: B.div(B.add(1, B.sign(B.sub(a, b))), 2),
                        lambda B, o, a, b: B.div(B.sub(1, B.sign(B.sub(a, b))), 2)),
              latex=r"\max\left({0}, {1}\right)", text="max({0}, {1})", sympy=_sp("Max"), mpmath=_mp_max,
              kink=lambda a, b: _sign(a - b),
              one_sided=lambda a, b, da, db: max(da, db) if a == b else (da if a > b else db),
              kink_text="max has a kink where its arguments are equal", convention="∂max/∂a = ∂max/∂b = 1/2 at a tie",
              taylor=series.max_),
    Primitive(name="min", arity=2, scalar=lambda a, b: a if a <= b else b, array=_min_np,
              partials=(lambda B, o, a, b: B.div(B.sub(1, B.sign(B.sub(a, b))), 2),
                        lambda B, o, a, b: B.div(B.add(1, B.sign(B.sub(a, b))), 2)),
              latex=r"\min\left({0}, {1}\right)", text="min({0}, {1})", sympy=_sp("Min"), mpmath=_mp_min,
              kink=lambda a, b: _sign(a - b),
              one_sided=lambda a, b, da, db: min(da, db) if a == b else (da if a < b else db),
              kink_text="min has a kink where its arguments are equal", convention="∂min/∂a = ∂min/∂b = 1/2 at a tie",
              taylor=series.min_),
    # a ln b, 0 where a = 0: the partial ∂(x^y)/∂y at a zero base. A helper of the rules, not for users;
    # shown as the product it is.
    Primitive(name="xlogy", arity=2, scalar=_xlogy, array=_xlogy_np,
              partials=(lambda B, o, a, b: B.log(b), lambda B, o, a, b: B.div(a, b)),
              latex=r"{0} \ln {1}", text="{0} * ln {1}", sympy=_sp_xlogy, mpmath=_mp_xlogy, domain=_xlogy_domain,
              user=False, shown_as=lambda make, a, b: make("mul", a, make("log", b)), taylor=series.xlogy),
]

PRIMITIVES: dict[str, Primitive] = {p.name: p for p in _TABLE}

#: Names a user may call, with aliases (``ln`` is the natural logarithm, as is ``log``).
FUNCTIONS: dict[str, str] = {p.name: p.name for p in _TABLE if p.user} | {"ln": "log"}

#: Binary operators of the language and the primitive each one means.
OPERATORS: dict[str, str] = {p.infix: p.name for p in _TABLE if p.infix and p.arity == 2}

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

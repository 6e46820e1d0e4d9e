"""Source-to-source compilation: the Wengert list written out as straight-line Python.

``generate(wl)`` writes three functions, as Tapenade and Zygote do for their languages:

- the primal, one line per step (``v2 = v_m1 * v0``);
- the tangent sweep (JVP): each step followed by its tangent (``vdot2 = vdot_m1 * v0 + vdot0 * v_m1``);
- the adjoint sweep (VJP): the primal, then one ``+=`` line per adjoint update, in the order of
  the adjoint trace (``vbar0 += vbar2 * v_m1``).

The text is built only from diffzoo's own names (``v_m1`` is v_{-1}, ``vbar0``, ``vdot3``,
``ybar0``), the names of the primitive table (``sin``, ``pow``) and float literals written
with ``repr(float)``; the user's variable names never appear (inputs are positional). Each
partial derivative is the table's rule applied to a recording backend that keeps every
operation (no simplification), so the compiled code performs the very operations the
interpreter performs, and gives the same floats bit for bit. The text is compiled once with
``compile`` and run by ``exec`` in a namespace holding only the primitive functions: math's
for floats, numpy's for arrays (element-wise, so a whole plot or step sweep is one call).

On floats a failure (a log of a negative number, an overflow) is handed to the interpreter,
which raises :class:`~diffzoo.EvaluationError` naming the step, exactly as without compilation.

What is shown (``primal_src``, ``jvp_src``, ``vjp_src``) follows the traces line for line. What
runs is the same program after three rewrites that change no float: copies are propagated
(``vbar4 = vbar5`` renames; with the seed ȳ = 1 written as a literal, ``1.0 * x`` is ``x``),
statements are scheduled depth first (each adjoint still summed in the trace's order), and
values live in a few reused registers (``r0``, ``r1``...), because a frame with thousands of
locals is what makes long straight-line Python slow. Float code also sums the values that
could be inf or nan into ``check``, so that a non-finite value sends the call to the
interpreter, as the interpreter would have raised.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import forward, reverse
from .primitives import PRIMITIVES, Primitive
from .wengert import Const, Step, WengertList

#: Python operators for the arithmetic primitives: ``x + y`` computes what ``np.add``/``x + y`` do.
_BINOP = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
#: Binary primitives written as calls.
_CALL2 = {"pow"}
_CHUNK = 40  # names per line in long sums and assignments (keeps every line and expression short)


def name(i: int, kind: str = "v") -> str:
    """``v_m1`` for v_{-1}, ``v0``, ``v12``; ``vbar``/``vdot`` likewise."""
    return f"{kind}_m{-i}" if i < 0 else f"{kind}{i}"


def literal(x: float) -> str:
    """A float literal (``repr(float)``); negative ones in parentheses; inf and nan by name."""
    v = float(x)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "(-inf)"
    s = repr(v)
    return f"({s})" if s.startswith("-") else s


def namespace(flavour: str) -> dict[str, Any]:
    """The only names the generated code can see: the primitive table's functions (and inf, nan)."""
    ns: dict[str, Any] = {"__builtins__": {}, "inf": math.inf, "nan": math.nan}
    for p in PRIMITIVES.values():
        if p.name in _BINOP or p.name == "neg":
            continue
        ns[p.name] = p.scalar if flavour == "float" else p.array
    ns["pow"] = math.pow if flavour == "float" else np.power
    return ns


# --- rendering the table's partial rules ---------------------------------------------------------


class _Raw:
    """A backend that writes each operation as Python text, keeping all of them (no simplifying)."""


def _raw(op: str) -> Callable[..., str]:
    def f(*args: Any) -> str:
        a = [x if isinstance(x, str) else literal(x) for x in args]
        if op in _BINOP:
            return f"({a[0]} {_BINOP[op]} {a[1]})"
        if op == "neg":
            return f"(-{a[0]})"
        return f"{op}({', '.join(a)})"

    return f


for _n in PRIMITIVES:
    setattr(_Raw, _n, staticmethod(_raw(_n)))

_TEMPLATES: dict[tuple[str, int], Any] = {}


def partial_template(prim: Primitive, j: int) -> Any:
    """The rule for ∂/∂(argument j) as text over ``{o}``, ``{a0}``, ``{a1}``; a number if it is one."""
    key = (prim.name, j)
    if key not in _TEMPLATES or PRIMITIVES.get(prim.name) is not prim:
        args = [f"{{a{i}}}" for i in range(prim.arity)]
        r = prim.partials[j](_Raw, "{o}", *args)
        _TEMPLATES[key] = r if isinstance(r, str) else float(r)
    return _TEMPLATES[key]


def _strip(s: str) -> str:
    """Drop one pair of outer parentheses if they enclose the whole text."""
    if not (s.startswith("(") and s.endswith(")")):
        return s
    depth = 0
    for i, c in enumerate(s):
        depth += c == "("
        depth -= c == ")"
        if depth == 0 and i < len(s) - 1:
            return s
    return s[1:-1]


# --- the generator -----------------------------------------------------------------------------


@dataclass
class Generated:
    """Generated source texts and their compiled functions, for one Wengert list."""

    wl: WengertList
    primal_src: str
    jvp_src: str
    vjp_src: str
    partials: int  # partial-derivative rules per sweep (for Cost)
    _fns: dict[Any, Callable[..., Any]] = field(default_factory=dict, repr=False)
    _grad: Callable[..., Any] | None = field(default=None, repr=False)

    # -- compiled functions (built on first use, then kept) --
    def function(self, kind: str, flavour: str = "float", mask: tuple[bool, ...] | None = None,
                 unit: int | None = None) -> Callable:
        """The compiled function ``kind`` (primal, jvp, vjp) for floats or arrays, made on first use."""
        key = (kind, flavour, mask, unit)
        fn = self._fns.get(key)
        if fn is None:
            src = _source(self.wl, kind, checked=flavour == "float", mask=mask, inplace=flavour == "float",
                          unit=unit)
            ns = namespace(flavour)
            with _no_gc():
                code = compile(src, f"<diffzoo {kind}>", "exec")
            exec(code, ns)  # noqa: S102 - our own text, see module doc
            fn = ns[kind]
            self._fns[key] = fn
        return fn

    # -- floats: results identical to the interpreter, errors re-raised by it --
    def primal(self, x: Sequence[float]) -> list[float]:
        """The outputs at ``x`` (floats)."""
        x = list(map(float, x))
        fn = self._fns.get(("primal", "float", None, None)) or self.function("primal")
        try:
            out, check = fn(*x)
            if _finite(check, x, out):
                return list(out)
        except (ValueError, ArithmeticError):
            pass
        return self.wl.output_values(self.wl.evaluate(x))  # raises the interpreter's precise error

    def jvp(self, x: Sequence[float], seed: Sequence[float]) -> tuple[list[float], list[float]]:
        """(outputs, J · seed): one forward pass."""
        x, seed = list(map(float, x)), list(map(float, seed))
        fn = self._fns.get(("jvp", "float", None, None)) or self.function("jvp")
        try:
            out, dot, check = fn(*x, *seed)
            if _finite(check, x, out, dot, seed):
                return list(out), list(dot)
        except (ValueError, ArithmeticError):
            pass
        return forward.jvp(self.wl, x, seed)

    def vjp(self, x: Sequence[float], ybar: Sequence[float]) -> tuple[list[float], list[float]]:
        """(outputs, ȳ · J): one reverse sweep (the primal, then the adjoint updates)."""
        x, ybar = list(map(float, x)), list(map(float, ybar))
        mask = tuple(map(bool, ybar))  # bool(w) is w != 0
        fn = self._fns.get(("vjp", "float", mask, None)) or self.function("vjp", mask=mask)
        try:
            out, bar, check = fn(*x, *ybar)
            if _finite(check, x, out, bar):
                return list(out), list(bar)
        except (ValueError, ArithmeticError):
            pass
        return reverse.vjp(self.wl, x, ybar)

    def unit_vjp(self, x: Sequence[float], j: int) -> tuple[list[float], list[float]]:
        """(outputs, row j of J): one reverse sweep seeded with ȳ = e_j (the seed a literal 1.0)."""
        x = list(map(float, x))
        fn = self._fns.get(("vjp", "float", None, j)) or self.function("vjp", unit=j)
        try:
            out, bar, check = fn(*x)
            if _finite(check, x, out, bar):
                return list(out), list(bar)
        except (ValueError, ArithmeticError):
            pass
        ybar = [0.0] * self.wl.m
        ybar[j] = 1.0
        return reverse.vjp(self.wl, x, ybar)

    def gradient(self, x: Sequence[float]) -> list[float]:
        """The gradient of a scalar function: one compiled reverse sweep."""
        fn = self._grad
        if fn is None:
            if self.wl.m != 1:
                raise ValueError(f"gradient needs a scalar function; this one has {self.wl.m} outputs")
            fn = self._grad = self.function("vjp", unit=0)
        try:
            xs = list(map(float, x))
            out, bar, check = fn(*xs)
            s = check + sum(xs) + sum(out) + sum(bar)
            if s - s == 0.0:  # finite (inf - inf and nan - nan are nan; an overflowing sum only costs a detour)
                return list(bar)
        except (ValueError, ArithmeticError):
            pass
        return self.unit_vjp(x, 0)[1]  # the interpreter: the same numbers, or its precise error

    def jacobian_forward(self, x: Sequence[float]) -> tuple[list[float], np.ndarray]:
        """(outputs, J) by n compiled forward passes."""
        n, m = self.wl.n, self.wl.m
        J = np.zeros((m, n))
        out = None
        for i in range(n):
            seed = [0.0] * n
            seed[i] = 1.0
            out, J[:, i] = self.jvp(x, seed)
        return (out if out is not None else self.primal(x)), J

    def jacobian_reverse(self, x: Sequence[float]) -> tuple[list[float], np.ndarray]:
        """(outputs, J) by m compiled reverse sweeps.

        One output: the sweep with the seed a literal 1.0. Several: one function seeded by ȳ for all m
        sweeps (e_1 .. e_m), so the code is generated once, not m times (32 outputs of a 3,400-step list:
        3.6 s of generation before). A 0.0 weight adds only zeros to the adjoints, so the figures are the
        interpreter's, bit for bit; a partial that is inf or nan where only an unseeded output needs it
        makes a nan, and the interpreter, which skips it, answers instead.
        """
        n, m = self.wl.n, self.wl.m
        if m == 1:
            out, bar = self.unit_vjp(x, 0)
            return out, np.array([bar])
        xs = list(map(float, x))
        full = tuple(True for _ in range(m))
        fn = self._fns.get(("vjp", "float", full, None)) or self.function("vjp", mask=full)
        J = np.zeros((m, n))
        out: list[float] = []
        for j in range(m):
            ybar = [0.0] * m
            ybar[j] = 1.0
            try:
                out, bar, check = fn(*xs, *ybar)
                if _finite(check, xs, out, bar):
                    J[j, :] = bar
                    continue
            except (ValueError, ArithmeticError):
                pass
            out, J[j, :] = reverse.vjp(self.wl, xs, ybar)
        return list(out), J

    # -- arrays: element-wise, nan where a value does not exist --
    def primal_array(self, *x: Any) -> list[Any]:
        """The outputs at arrays of points (one array per input, broadcast together)."""
        with np.errstate(all="ignore"):
            return [np.asarray(v) for v in self.function("primal", "array")(*x)]

    def jvp_array(self, x: Sequence[Any], seed: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        with np.errstate(all="ignore"):
            out, dot = self.function("jvp", "array")(*x, *seed)[:2]
        return list(out), list(dot)

    def vjp_array(self, x: Sequence[Any], ybar: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        mask = tuple(True for _ in range(self.wl.m))
        with np.errstate(all="ignore"):
            out, bar = self.function("vjp", "array", mask)(*x, *ybar)[:2]
        return list(out), list(bar)

    def derivative_array(self, x: Any) -> tuple[Any, Any]:
        """f and f' of a function of one variable over an array of points (for plots)."""
        if self.wl.n != 1:
            raise ValueError("derivative_array needs a function of one variable")
        out, dot = self.jvp_array([np.asarray(x, dtype=float)], [1.0])
        return out[0], dot[0]


def _finite(check: float, *parts: Sequence[float]) -> bool:
    """Are ``check`` and every number of ``parts`` finite? (A sum overflowing to inf says no: then
    the interpreter is asked, which gives the same numbers.)"""
    s = check + sum(map(sum, parts))
    return s - s == 0.0


def generate(wl: WengertList) -> Generated:
    """The generated code of ``wl``, made once per list and kept on it."""
    cached = wl.__dict__.get("_generated")
    if cached is not None and cached[0] is wl.steps and cached[1] is wl.outputs and cached[2] is wl.inputs:
        return cached[3]
    full = tuple(not isinstance(o, Const) for o in wl.outputs)
    partials = sum(1 for st in wl.steps if st.active for a in st.args if isinstance(a, int))
    g = Generated(wl, _source(wl, "primal", shown=True), _source(wl, "jvp", shown=True),
                  _source(wl, "vjp", mask=full, shown=True), partials)
    wl.__dict__["_generated"] = (wl.steps, wl.outputs, wl.inputs, g)
    return g


def _operand(a: Any, kind: str = "v") -> str:
    return name(a, kind) if isinstance(a, int) else literal(a.value)


def _step_line(st: Step) -> str:
    a = [_operand(x) for x in st.args]
    op = st.prim.name
    if op in _BINOP:
        rhs = f"{a[0]} {_BINOP[op]} {a[1]}"
    elif op == "neg":
        rhs = f"-{a[0]}"
    else:
        rhs = f"{op}({', '.join(a)})"
    return f"    {name(st.index)} = {rhs}"


def _partial(st: Step, j: int) -> Any:
    """The partial ∂v_k/∂(argument j) as text, or as a float if the rule returns a number."""
    t = partial_template(st.prim, j)
    if isinstance(t, float):
        return t
    subs = {"o": name(st.index)} | {f"a{i}": _operand(x) for i, x in enumerate(st.args)}
    return t.format(**subs)


def _times(d: str, p: Any) -> tuple[str, str]:
    """(sign, term) for ``d * p``: ``+ d`` when p is 1, ``- d`` when p is -1 (exact in IEEE arithmetic)."""
    if isinstance(p, float):
        if p == 1.0:
            return "+", d
        if p == -1.0:
            return "-", d
        return "+", f"{d} * {literal(p)}"
    inner = _strip(p)
    return "+", f"{d} * {inner if _is_atom(inner) else '(' + inner + ')'}"


def _is_atom(s: str) -> bool:
    """A name, a positive literal, or a call ``f(...)`` whose parentheses close at the end."""
    if s.replace("_", "").isalnum() or s.replace(".", "", 1).replace("e-", "", 1).isdigit():
        return True
    i = s.find("(")
    return i > 0 and s[:i].isidentifier() and _strip(s[i:]) != s[i:]


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


#: Primitives whose float function, given an inf or nan argument, returns inf or nan or raises:
#: a non-finite value passes through them. (Not so atan, tanh, sigmoid, exp (of -inf), a
#: denominator, pow, sign: they can turn inf into a finite number.)
_PASS_NONFINITE = {"add", "sub", "mul", "neg", "sin", "cos", "tan", "log", "sqrt", "sinh", "cosh", "asin", "acos",
                   "abs"}


@functools.cache
def passes_nonfinite(prim_name: str) -> bool:
    """True if a non-finite argument of this primitive can never give a finite value.

    The set above, confirmed on the primitive itself: every combination of inf, -inf or nan
    with typical finite values must raise or give a non-finite result.
    """
    prim = PRIMITIVES.get(prim_name)
    if prim is None or prim_name not in _PASS_NONFINITE:
        return False
    odd = [math.inf, -math.inf, math.nan]
    finite = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.5, -2.5, 1e-300, 1e300, -1e300]
    combos = [(a,) for a in odd] if prim.arity == 1 else (
        [(a, b) for a in odd for b in odd + finite] + [(b, a) for a in odd for b in finite])
    for args in combos:
        try:
            v = prim.scalar(*args)
        except (ValueError, ArithmeticError):
            continue
        if math.isfinite(v):
            return False
    return True


@dataclass
class Program:
    """A generated function as statements: ``targets op rhs`` with op ``=``, ``+=`` or ``-=``."""

    fname: str
    params: list[str]
    stmts: list[tuple[list[str], str, str]]
    returns: list[str]  # the returned tuples, as text
    checks: list[str]  # variables whose finiteness the float code checks (in definition order)

    def text(self) -> str:
        """The text shown to people: one line per step and per update, as in the traces."""
        lines = [f"def {self.fname}({', '.join(self.params)}):"]
        lines += [f"    {' = '.join(t)} {op} {rhs}" for t, op, rhs in self.stmts]
        lines.append(f"    return {', '.join(self.returns)}")
        return "\n".join(lines) + "\n"


def _program(wl: WengertList, kind: str, mask: tuple[bool, ...] | None = None, unit: int | None = None) -> Program:
    """The statements of ``primal``, ``jvp`` or ``vjp`` (``unit=j``: the VJP seeded with ȳ = e_j,
    the seed written as the literal 1.0 so that multiplying by it can be dropped)."""
    n, off = wl.n, wl.n - 1
    ins = [name(i - off) for i in range(n)]
    active = {st.index for st in wl.steps if st.active}
    outs = [_operand(o) for o in wl.outputs]
    # The float code returns the outputs (and adjoints), and its caller checks them and the inputs.
    # A non-finite value met on the way either reaches those, or is absorbed by a step that can
    # turn it finite (atan(inf) = pi/2): the arguments of such steps are summed into ``check``.
    # Math's functions raise rather than make inf or nan from finite numbers; +, -, *, / may
    # overflow, but into values that then reach the outputs or an absorbing step.
    odd_consts = any(isinstance(a, Const) and not math.isfinite(a.value) for st in wl.steps for a in st.args)
    checks = [a for st in wl.steps if odd_consts or not passes_nonfinite(st.prim.name)
              for a in dict.fromkeys(_operand(x) for x in st.args if isinstance(x, int))]
    stmts: list[tuple[list[str], str, str]] = []

    def step(st: Step) -> None:
        stmts.append(([name(st.index)], "=", _step_line(st).split(" = ", 1)[1]))

    if kind == "primal":
        for st in wl.steps:
            step(st)
        return Program("primal", ins, stmts, [_tuple(outs)], checks)
    if kind == "jvp":
        dins = [name(i - off, "vdot") for i in range(n)]
        for st in wl.steps:
            step(st)
            if not st.active:
                continue
            terms = []
            for j, x in enumerate(st.args):
                if not isinstance(x, int) or (x > 0 and x not in active):
                    continue  # a constant or an inactive step: its tangent is zero
                terms.append(_times(name(x, "vdot"), _partial(st, j)))
            rhs = ("-" if terms[0][0] == "-" else "") + terms[0][1]
            rhs += "".join(f" {s} {t}" for s, t in terms[1:])
            stmts.append(([name(st.index, "vdot")], "=", rhs))
            checks.append(name(st.index, "vdot"))
        douts = []
        for o in wl.outputs:
            if isinstance(o, Const) or (o > 0 and o not in active):
                douts.append("0.0")
            elif o > 0:
                douts.append(f"{name(o, 'vdot')} + 0.0")  # the interpreter's 0.0 + ... (never -0.0)
            else:
                douts.append(name(o, "vdot"))
        return Program("jvp", ins + dins, stmts, [_tuple(outs), _tuple(douts)], checks)
    # vjp: the primal, then the adjoint updates in the interpreter's order, for the seeded outputs.
    mask = mask if mask is not None else tuple(True for _ in wl.outputs)
    ybars = [f"ybar{j}" for j in range(wl.m)]
    if unit is not None:
        mask, ybars = tuple(j == unit for j in range(wl.m)), []
    for st in wl.steps:
        step(st)
    reached: set[int] = set()
    updates: list[tuple[list[str], str, str]] = []

    def update(target: str, sign: str, term: str, first: bool) -> None:
        # The first contribution assigns (the interpreter's 0.0 + c differs from c only for c = -0.0,
        # which the final + 0.0 undoes); later ones accumulate, one line per update.
        if first:
            updates.append(([target], "=", f"{'-' if sign == '-' else ''}{term}"))
        else:
            updates.append(([target], f"{sign}=", term))

    for j, (o, on) in enumerate(zip(wl.outputs, mask)):
        if isinstance(o, Const) or not on:
            continue
        update(name(o, "vbar"), "+", "1.0" if unit is not None else f"ybar{j}", o not in reached)
        reached.add(o)
    for st in reversed(wl.steps):
        if st.index not in reached or not st.active:
            continue
        src = name(st.index, "vbar")
        for j, x in enumerate(st.args):
            if isinstance(x, Const) or (x > 0 and x not in active):
                continue
            sign, term = _times(src, _partial(st, j))
            update(name(x, "vbar"), sign, term, x not in reached)
            reached.add(x)
    zeros = [name(i - off, "vbar") for i in range(n) if i - off not in reached]
    for i in range(0, len(zeros), _CHUNK):
        stmts.append((zeros[i: i + _CHUNK], "=", "0.0"))
    stmts += updates
    bars = [name(i - off, "vbar") + (" + 0.0" if i - off in reached else "") for i in range(n)]
    return Program("vjp", ins + ybars, stmts, [_tuple(outs), _tuple(bars)], checks)


_VAR = re.compile(r"\b(?:vbar|vdot|v)(?:_m\d+|\d+)\b|\bybar\d+\b")


def _executable(prog: Program, checked: bool, inplace: bool) -> str:
    """The text that runs: the shown text with copies propagated and variables kept in few registers.

    A line ``vbar4 = vbar5`` only renames, so later lines read vbar5 instead; every value is
    kept in a register (``r12``) that is reused once the value is dead, so the function's locals
    stay few however long the list is (a large frame is what makes long straight-line Python
    slow). With ``checked``, the sum of the values that could be inf or nan is accumulated in
    ``check`` a chunk at a time. ``inplace=False`` writes ``a = a + b`` (numpy arrays: ``+=``
    would modify an array another name may share).
    """
    stmts = [(list(t), op, rhs) for t, op, rhs in prog.stmts]
    # 1. copy propagation (a target assigned once from a bare variable becomes that variable)
    assigned: dict[str, int] = {}
    for t, _op, _ in stmts:
        for v in t:
            assigned[v] = assigned.get(v, 0) + 1
    alias: dict[str, str] = {}

    def sub(text: str) -> str:
        text = _VAR.sub(lambda m: alias.get(m.group(0), m.group(0)), text) if alias else text
        if text.startswith("1.0 * "):  # 1.0 * x is x, bit for bit (a nan is caught by the check)
            text = text[6:]
            text = _strip(text) if text.startswith("(") else text
        return text

    out_stmts: list[tuple[list[str], str, str]] = []
    for t, op, rhs in stmts:
        rhs = sub(rhs)
        if op == "=" and len(t) == 1 and assigned[t[0]] == 1 and (_VAR.fullmatch(rhs) or rhs == "1.0"):
            alias[t[0]] = rhs
            continue
        out_stmts.append((t, op, rhs))
    returns = [sub(r) for r in prog.returns]
    checks = [c2 for c in prog.checks if _VAR.fullmatch(c2 := alias.get(c, c))]
    out_stmts = _schedule(out_stmts)
    # 2. finiteness: add each checked value to ``check`` soon after it is defined
    if checked:
        pending = {c for c in checks}
        with_checks: list[tuple[list[str], str, str]] = []
        group: list[str] = [c for c in prog.params if c in pending]
        pending -= set(group)
        first = True

        def flush() -> None:
            nonlocal first, group
            for k in range(0, len(group), _CHUNK):
                rhs = " + ".join(group[k: k + _CHUNK])
                with_checks.append((["check"], "=", rhs if first else f"check + ({rhs})"))
                first = False
            group = []

        for t, op, rhs in out_stmts:
            with_checks.append((t, op, rhs))
            for v in t:
                if v in pending and op == "=" and not v.startswith("vbar"):
                    group.append(v)
                    pending.discard(v)
            if len(group) >= _CHUNK:
                flush()
        group += [c for c in checks if c in pending]  # adjoints: final only at the end
        flush()
        if first:
            with_checks.append((["check"], "=", "0.0"))
        out_stmts = with_checks
        returns = returns + ["check"]
    # 3. registers: liveness, then reuse of dead registers
    last: dict[str, int] = {}
    for i, (t, op, rhs) in enumerate(out_stmts):
        for v in _VAR.findall(rhs):
            last[v] = i
        if op != "=":
            for v in t:
                last[v] = i
    end = len(out_stmts)
    for r in returns:
        for v in _VAR.findall(r):
            last[v] = end
    reg: dict[str, str] = {p: p for p in prog.params}
    free: list[str] = []
    count = 0
    lines = [f"def {prog.fname}({', '.join(prog.params)}):"]
    for i, (t, op, rhs) in enumerate(out_stmts):
        text = _VAR.sub(lambda m: reg[m.group(0)], rhs)
        used = set(_VAR.findall(rhs))
        for v in used:
            if last.get(v) == i and v not in t:
                free.append(reg[v])
        names = []
        for v in t:
            if v == "check":
                names.append(v)
                continue
            if v in reg:
                names.append(reg[v])
                continue
            if free:
                r = free.pop()
            else:
                r, count = f"r{count}", count + 1
            reg[v] = r
            names.append(r)
        if op == "=":
            if names != [text]:  # a value that stays in its register needs no copy
                lines.append(f"    {' = '.join(names)} = {text}")
        elif inplace:
            lines.append(f"    {names[0]} {op} {text}")
        else:
            lines.append(f"    {names[0]} = {names[0]} {op[0]} {text}")
        for v in t:
            if last.get(v, -1) <= i and v != "check":
                free.append(reg[v])  # defined but never read again
    lines.append(f"    return {', '.join(_VAR.sub(lambda m: reg[m.group(0)], r) for r in returns)}")
    return "\n".join(lines) + "\n"


def _schedule(stmts: list[tuple[list[str], str, str]]) -> list[tuple[list[str], str, str]]:
    """Reorder statements depth first, so that a value is used soon after it is made.

    A statement waits for the last writer of every variable it reads, for the previous writer
    of a variable it accumulates into (so every adjoint is summed in the same order), and for
    the readers of a value it overwrites. Among the statements ready to run, the one made ready
    most recently runs first (Kahn's algorithm with a stack): the primal and the adjoint
    updates that consume it interleave, and few values are alive at any time. Each statement
    computes the same float from the same operands, so results do not change.
    """
    k = len(stmts)
    deps: list[set[int]] = [set() for _ in range(k)]
    writer: dict[str, int] = {}
    readers: dict[str, list[int]] = {}
    for i, (t, _op, rhs) in enumerate(stmts):
        for v in _VAR.findall(rhs):
            if v in writer:
                deps[i].add(writer[v])
            readers.setdefault(v, []).append(i)
        for v in t:
            if v in writer:
                deps[i].add(writer[v])
            deps[i].update(r for r in readers.get(v, ()) if r != i)
            writer[v] = i
            readers[v] = []
    users: list[list[int]] = [[] for _ in range(k)]
    waiting = [len(d) for d in deps]
    for i, d in enumerate(deps):
        for j in d:
            users[j].append(i)
    stack = [i for i in range(k - 1, -1, -1) if waiting[i] == 0]
    order: list[int] = []
    while stack:
        i = stack.pop()
        order.append(i)
        ready = []
        for u in users[i]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
        stack.extend(sorted(ready, reverse=True))
    if len(order) != k:  # cannot happen for straight-line code; keep the original order if it does
        return stmts
    return [stmts[i] for i in order]


def _source(wl: WengertList, kind: str, checked: bool = False, mask: tuple[bool, ...] | None = None,
            inplace: bool = True, shown: bool = False, unit: int | None = None) -> str:
    """The text of ``primal``, ``jvp`` or ``vjp``: as shown (``shown=True``) or as executed."""
    with _no_gc():  # many small objects, none of them garbage: collecting would only scan them
        prog = _program(wl, kind, mask, unit)
        return prog.text() if shown else _executable(prog, checked, inplace)


@contextlib.contextmanager
def _no_gc() -> Any:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- the api's compiled path -------------------------------------------------------------------


def compiled_result(function: Any, x: Sequence[float], method: str, seed: Sequence[float] | None = None,
                    ybar: Sequence[float] | None = None) -> Any:
    """What ``differentiate(f, x, method, compiled=True)`` returns: the interpreted path's fields.

    The trace (primal values, tangents or adjoint updates) is computed by the interpreter only
    when it is asked for, so the compiled gradient costs the compiled sweep alone.
    """
    from .api import Cost, Result, unit_vectors

    wl = function.wengert
    g = generate(wl)
    x = [float(v) for v in x]
    pt = dict(zip(function.variables, x))
    k = len(wl.steps)

    def value(out: list[float]) -> Any:
        out = [float(v) for v in out]
        return out[0] if wl.m == 1 else out

    if method == "forward":
        if seed is not None:
            seed = [float(s) for s in seed]
            out, jv = g.jvp(x, seed)
            trace = LazyForwardTrace(wl, x, [seed])
            return Result(method, function, pt, value(out), np.full((wl.m, wl.n), np.nan), trace,
                          Cost(1, k, g.partials, 1), {"jvp": jv, "seed": seed, "compiled": True})
        out, J = g.jacobian_forward(x)
        return Result(method, function, pt, value(out), J, LazyForwardTrace(wl, x, unit_vectors(wl.n)),
                      Cost(wl.n, k, wl.n * g.partials, 1), {"compiled": True})
    if method == "reverse":
        if ybar is not None:
            ybar = [float(s) for s in ybar]
            out, bar = g.vjp(x, ybar)
            unknown = np.full((wl.m, wl.n), np.nan)  # one sweep gives ȳ·J, not J (see api.differentiate)
            return Result(method, function, pt, value(out), unknown, LazyReverseTrace(wl, x, [ybar]),
                          Cost(1, k, g.partials, 1), {"vjp": bar, "ybar": ybar, "compiled": True})
        out, J = g.jacobian_reverse(x)
        return Result(method, function, pt, value(out), J, LazyReverseTrace(wl, x, unit_vectors(wl.m)),
                      Cost(wl.m, k, wl.m * g.partials, 1), {"compiled": True})
    raise ValueError(f"only forward and reverse mode are compiled, not {method!r}")


@functools.cache
def _lazy_traces() -> tuple[type, type]:
    from .api import ForwardTrace, ReverseTrace

    class _LazyForward(ForwardTrace):
        """The interpreted forward trace, computed when first asked for."""

        def __init__(self, wl: WengertList, x: list[float], seeds: list[list[float]]):
            self.wl, self.x, self.seeds = wl, x, seeds
            self._vals: list[float] | None = None
            self._dots: list[list[float]] | None = None

        @property
        def vals(self) -> list[float]:
            if self._vals is None:
                self._vals = self.wl.evaluate(self.x)
            return self._vals

        @property
        def dots(self) -> list[list[float]]:
            if self._dots is None:
                self._dots = [forward.tangent_sweep(self.wl, self.vals, s) for s in self.seeds]
            return self._dots

    class _LazyReverse(ReverseTrace):
        """The interpreted reverse trace (primal values, then recorded sweeps) when first asked for."""

        def __init__(self, wl: WengertList, x: list[float], ybars: list[list[float]]):
            self.wl, self.x, self.ybars = wl, x, ybars
            self._vals: list[float] | None = None

        @property
        def vals(self) -> list[float]:
            if self._vals is None:
                self._vals = self.wl.evaluate(self.x)
            return self._vals

    return _LazyForward, _LazyReverse


def LazyForwardTrace(wl: WengertList, x: list[float], seeds: list[list[float]]) -> Any:  # noqa: N802
    return _lazy_traces()[0](wl, x, seeds)


def LazyReverseTrace(wl: WengertList, x: list[float], ybars: list[list[float]]) -> Any:  # noqa: N802
    return _lazy_traces()[1](wl, x, ybars)


def identifiers(src: str) -> set[str]:
    """Every identifier in a generated text (for checking that no user text got in)."""
    import io
    import tokenize

    return {t.string for t in tokenize.generate_tokens(io.StringIO(src).readline) if t.type == tokenize.NAME}


__all__ = ["Generated", "generate", "compiled_result", "namespace", "identifiers", "name", "literal"]

"""The Wengert list: a function as a straight-line sequence of primitive steps.

Inputs are numbered ``v_{1-n} .. v_0`` and steps ``v_1 .. v_k`` as in Baydin et al.'s survey.
Equal subexpressions become one step (value numbering), and each step is scheduled as soon as
its inputs are ready, left to right, which reproduces the survey's Table 2. A step that depends
on no input is *inactive*: it has a value but no derivative, so no method differentiates it
(``x^(2*1)`` never asks for ``log(x)``, the exponent's partial).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import EvaluationError
from .expr import Expr, format_number, latex_name, nodes, to_latex, to_text, var
from .primitives import PRIMITIVES, Primitive


@dataclass(frozen=True)
class Const:
    """A number used directly as an argument of a step (``2`` in ``v_1 = v_0 ^ 2``)."""

    value: float
    name: str | None = None


Operand = int | Const  # an int is a variable index: inputs 1-n..0, steps 1..k


@dataclass(frozen=True)
class Step:
    index: int  # k in v_k
    prim: Primitive
    args: tuple[Operand, ...]
    active: bool  # depends on some input


def vname(i: int) -> str:
    return f"v_{i}"


def _known_value(op: str, args: tuple, known: list[float | None]) -> float | None:
    """The value of a step that is the same at every point where it is defined, or None.

    Constants fold; so do the identities ``a - a = 0``, ``a / a = 1``, ``a * 0 = 0``, ``0 / a = 0`` and
    ``a ^ 0 = 1`` (``y - y`` is 0 wherever y is, so nothing in it needs a derivative).
    """
    def value(a: Any) -> float | None:
        if isinstance(a, Const):
            return a.value
        return known[a[1]] if isinstance(a, tuple) else None

    vals = [value(a) for a in args]
    if len(args) == 2 and args[0] == args[1] and op in ("sub", "div"):
        return 0.0 if op == "sub" else 1.0
    if (op == "mul" and 0 in vals) or (op == "div" and vals[0] == 0):
        return 0.0
    if op == "pow" and vals[1] == 0:
        return 1.0
    if all(v is not None for v in vals):
        try:
            v = PRIMITIVES[op].scalar(*vals)
        except (ValueError, ArithmeticError):
            return None
        return float(v) if math.isfinite(v) else None
    return None


def _locally_constant(prim: Primitive) -> bool:
    """A primitive whose every partial is the constant 0 (sign): it is piecewise constant."""
    return prim.piecewise_constant


@dataclass
class WengertList:
    """Inputs, steps and outputs of one function; evaluates on floats and on numpy arrays."""

    inputs: tuple[str, ...]
    steps: tuple[Step, ...]
    outputs: tuple[Operand, ...]  # what y_1..y_m are: a step, an input, or a constant
    #: Display names of variables that are not plain ``v_i``: a derivative's seeds and tangents (``v̇_2``),
    #: its adjoints (``v̄_0``, every version of an accumulated one).
    names: dict[int, str] = field(default_factory=dict, repr=False, compare=False)
    #: How a derived list (``transforms.jvp``, ``transforms.vjp``) relates to the list it came from.
    derivation: Any = field(default=None, repr=False, compare=False)
    #: A program's traced path (``program.py``): where each step came from, one :class:`~diffzoo.program.Origin`
    #: per step (its source line and loop iterations); None for an expression's list.
    origins: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)
    #: The branch decisions of that run, in order (:class:`~diffzoo.program.Guard`: comparison, values, outcome,
    #: margin); None for an expression's list.
    guards: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)
    #: The :class:`~diffzoo.program.Program` this list is a path of: numeric differences trace it again at
    #: x ± h (``program.trace``), where the path may differ. None for an expression's list.
    program: Any = field(default=None, repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.inputs)

    @property
    def m(self) -> int:
        return len(self.outputs)

    @classmethod
    def build(cls, function: Any) -> WengertList:
        """Number a parsed :class:`~diffzoo.parse.Function`'s tree as a Wengert list."""
        return cls.from_exprs(function.outputs, function.variables)

    @classmethod
    def from_exprs(cls, outputs: Sequence[Expr], inputs: Sequence[str]) -> WengertList:
        n = len(inputs)
        index_of_input = {name: i + 1 - n for i, name in enumerate(inputs)}
        # Provisional step ids ("s", p) in left-to-right discovery order; real indices come after scheduling.
        seen: dict[tuple, tuple] = {}
        operand: dict[int, Any] = {}
        found: list[tuple[str, tuple]] = []
        level: list[int] = []
        active: list[bool] = []
        known: list[float | None] = []  # the value a step has wherever it is defined, if it never varies
        for e in nodes(outputs):
            if e.op == "var":
                operand[id(e)] = index_of_input[e.name]
            elif e.op == "const":
                operand[id(e)] = Const(e.value, e.name)
            else:
                args = tuple(operand[id(a)] for a in e.args)
                key = (e.op, args)
                if key not in seen:
                    seen[key] = ("s", len(found))
                    found.append(key)
                    level.append(1 + max((level[a[1]] for a in args if isinstance(a, tuple)), default=0))
                    value = _known_value(e.op, args, known)
                    known.append(value)
                    varies = any(active[a[1]] if isinstance(a, tuple) else isinstance(a, int) for a in args)
                    active.append(varies and value is None and not _locally_constant(PRIMITIVES[e.op]))
                operand[id(e)] = seen[key]
        # Schedule each step as soon as its inputs are ready (its level), then left to right.
        order = sorted(range(len(found)), key=lambda p: (level[p], p))
        index = {p: i + 1 for i, p in enumerate(order)}

        def resolve(a: Any) -> Operand:
            return index[a[1]] if isinstance(a, tuple) else a

        steps = tuple(Step(index[p], PRIMITIVES[found[p][0]], tuple(resolve(a) for a in found[p][1]), active[p])
                      for p in order)
        outs = tuple(resolve(operand[id(e)]) for e in outputs)
        return cls(tuple(inputs), steps, outs)

    # -- evaluation ---------------------------------------------------------------------------

    def evaluate(self, point: Sequence[float] | np.ndarray) -> list[Any]:
        """Primal values of every variable, inputs first: ``vals[i + n - 1]`` is ``v_i``.

        On floats a value that does not exist raises :class:`EvaluationError` naming the step;
        on numpy arrays (a batch of points, complex steps, float32) it becomes nan, element-wise.
        """
        vals: list[Any] = list(point)
        n = self.n
        if len(vals) != n:
            raise ValueError(f"expected {n} input values, got {len(vals)}")
        if not _all_floats(vals) and any(isinstance(v, np.ndarray | np.generic) for v in vals):
            return self._evaluate_array(vals)
        return self._run(list(map(float, vals)), 0, strict=True)

    def extend(self, extra: Sequence[float], primal: Sequence[float], strict: bool = False) -> list[float]:
        """Every value of a list whose first steps are another list's, those values known already: a
        derived list (``transforms.jvp``/``vjp``) after its primal list's values.

        ``extra`` are its new inputs (tangents ẋ or weights ȳ; none for a bound gradient program),
        ``primal`` the primal list's values (inputs first): only the steps after them are computed. Their
        partials may overflow on the way where the derivative does not (1/(1 + x²) at 1e160 is 0); a nan
        anywhere, or a tangent or adjoint that is not finite, raises an :class:`EvaluationError` naming the
        step (``strict``: any value that is not finite).
        """
        w = [float(v) for v in extra]
        w += primal
        k = len(w) - self.n
        if not 0 <= k <= len(self.steps):
            raise ValueError(f"expected {self.n} inputs and up to {len(self.steps)} known values, got {len(w)}")
        return self._run(w, k, strict=strict)

    def _run(self, w: list[float], start: int, strict: bool) -> list[float]:
        """The interpreter: steps from number ``start`` on, over the working list ``w`` (the values before)."""
        plan = _plan(self)
        n = self.n
        w += plan.blank[start:]
        w += plan.consts
        t = 0
        ops = plan.ops if start == 0 else plan.ops[start:]
        try:
            for t, fn, a, b in ops:
                if b < 0:
                    w[t] = fn(w[a])
                else:
                    w[t] = fn(w[a], w[b])
        except (ValueError, ArithmeticError):
            st = self.steps[t - n]
            raise self.domain_error(st, [w[x + n - 1] if isinstance(x, int) else x.value for x in st.args]) from None
        if plan.consts:
            del w[plan.size:]
        # A sum of floats is finite only if every term is: one C-level pass instead of a loop.
        if not math.isfinite(sum(w)):
            off = n - 1
            if strict:  # (None: every value is finite, and only their sum overflowed)
                bad = next((s for s in self.steps if not math.isfinite(w[s.index + off])), None)
            else:  # a nan anywhere; an inf only where a derivative is named or read off
                need = set(self.names) | {o for o in self.outputs if isinstance(o, int)}
                bad = next((s for s in self.steps[start:] if math.isnan(w[s.index + off])
                            or (s.index in need and math.isinf(w[s.index + off]))), None)
            if bad is not None:
                raise self.domain_error(bad, [w[x + off] if isinstance(x, int) else x.value for x in bad.args])
        return w

    def _evaluate_array(self, vals: list[Any]) -> list[Any]:
        off = self.n - 1
        with np.errstate(all="ignore"):
            for st in self.steps:
                vals.append(st.prim.array(*[vals[x + off] if isinstance(x, int) else x.value for x in st.args]))
        return vals

    def domain_error(self, st: Step, args: list[float]) -> EvaluationError:
        reason = st.prim.domain(*args) if st.prim.arity == len(args) else None
        if reason is None:
            shown = ", ".join(f"{a:.6g}" for a in args)
            reason = f"{st.prim.name}({shown}) overflows or is undefined (no finite 64-bit result)"
        return EvaluationError(reason, f"{self.name_of(st.index)} = {self.definition(st)}", st.index)

    @property
    def kink_steps(self) -> tuple[Step, ...]:
        """The steps of piecewise primitives (abs, sign) whose argument varies: where f may have a kink or jump.

        (A sign step is locally constant, so inactive, but it jumps where its argument crosses 0.)
        """
        cached = self.__dict__.get("_kinks")
        if cached is None or cached[0] is not self.steps:
            cached = (self.steps, tuple(st for st in self.steps if st.prim.kink is not None and self.varies(st)))
            self.__dict__["_kinks"] = cached
        return cached[1]

    @property
    def partial_count(self) -> int:
        """How many partial-derivative rules one sweep evaluates: one per active step and variable argument."""
        cached = self.__dict__.get("_partials")
        if cached is None or cached[0] is not self.steps:
            count = sum(1 for st in self.steps if st.active for a in st.args if isinstance(a, int))
            cached = (self.steps, count)
            self.__dict__["_partials"] = cached
        return cached[1]

    def varies(self, st: Step) -> bool:
        """Does some argument of ``st`` depend on the inputs (an input, or an active step)?"""
        return any(isinstance(x, int) and (x <= 0 or self.steps[x - 1].active) for x in st.args)

    def args_of(self, st: Step, vals: Sequence[Any]) -> list[Any]:
        """The values of a step's arguments, from the primal values ``vals`` (inputs first)."""
        off = self.n - 1
        return [vals[x + off] if isinstance(x, int) else x.value for x in st.args]

    def pieces(self, vals: Sequence[Any]) -> tuple[float, ...]:
        """Which piece every kink step is on at these values (-1, 0 at the kink, 1): the path taken."""
        return tuple(st.prim.kink(*self.args_of(st, vals)) for st in self.kink_steps)

    def output_values(self, vals: list[Any]) -> list[Any]:
        off = len(self.inputs) - 1
        return [vals[o + off] if type(o) is int else o.value for o in self.outputs]

    def __call__(self, *point: float) -> Any:
        """f(point): a float for a scalar function, a list for a vector function."""
        out = self.output_values(self.evaluate(point))
        return out[0] if self.m == 1 else out

    # -- presentation ---------------------------------------------------------------------------

    def name_of(self, i: int) -> str:
        """``v_i``, or what a derived list calls the variable (``v̇_2``, ``v̄_0``)."""
        return self.names.get(i) or vname(i)

    def operand_text(self, a: Operand) -> str:
        if isinstance(a, int):
            return self.name_of(a)
        return _const_text(a)

    def step_expr(self, st: Step) -> Expr:
        """The step as an expression over named variables ``v_i`` and constants."""
        args = tuple(var(self.name_of(a)) if isinstance(a, int) else _const_expr(a) for a in st.args)
        return Expr(st.prim.name, args)

    def definition(self, st: Step) -> str:
        """``ln v_-1``, ``v_-1 * v_0``: the step as the survey writes it."""
        return to_text(self.step_expr(st), compact_calls=True)

    def definition_latex(self, st: Step) -> str:
        return to_latex(self.step_expr(st))

    def output_names(self) -> list[str]:
        """``y`` (or ``y_1 .. y_m``), unless an input is called so: then ``f``, ``g``... the first free letter.

        (With an input ``y``, ``ẏ``, ``ȳ`` and ``∂y/∂y`` would name two different things.)
        """
        bases = {name.partition("_")[0].rstrip("0123456789") for name in self.inputs}
        letter = next((c for c in "yfgzuwhq" if c not in bases), "out")
        return [letter] if self.m == 1 else [f"{letter}_{j + 1}" for j in range(self.m)]

    def __len__(self) -> int:
        return len(self.steps)

    def to_text(self) -> str:
        lines = [f"{self.name_of(i + 1 - self.n)} = {name}" for i, name in enumerate(self.inputs)]
        lines += [f"{self.name_of(st.index)} = {self.definition(st)}" for st in self.steps]
        lines += [f"{y} = {self.operand_text(o)}" for y, o in zip(self.output_names(), self.outputs)]
        return "\n".join(lines)


# --- the interpreter's plan: operand slots precomputed once per list ------------------------------

def _all_floats(vals: Sequence[Any]) -> bool:
    """True if ``vals`` surely holds no numpy value: their sum is a plain Python float.

    (A numpy scalar or array anywhere makes the sum a numpy object; one C-level pass.)
    """
    try:
        return type(sum(vals, 0.0)) is float
    except Exception:  # noqa: BLE001 - not numbers we can add: let the careful path decide
        return False

class Plan:
    """A list prepared for the interpreter: every operand is a slot of one working list.

    Slots ``0 .. n+k-1`` hold the variables (``v_i`` at ``i + n - 1``), followed by the constants
    the steps use. ``ops`` holds ``(target slot, scalar function, slot a, slot b or -1)``, so that
    the interpreter's loop does nothing but call the table's scalar functions (C functions such as
    ``operator.mul`` and ``math.sin``).
    """

    def __init__(self, wl: WengertList):
        n, k = wl.n, len(wl.steps)
        self.n, self.size = n, n + k
        self.blank = [0.0] * k
        self.consts: list[Any] = []
        slot_of: dict[tuple, int] = {}

        def slot(x: Operand) -> int:
            if isinstance(x, int):
                return x + n - 1
            key = (type(x.value), repr(x.value))
            if key not in slot_of:
                slot_of[key] = self.size + len(self.consts)
                self.consts.append(x.value)
            return slot_of[key]

        ops = []
        for st in wl.steps:
            if len(st.args) > 2:
                raise NotImplementedError("primitives of more than two arguments")
            slots = [slot(x) for x in st.args]
            ops.append((st.index + n - 1, st.prim.scalar, slots[0], slots[1] if len(slots) > 1 else -1))
        self.ops = tuple(ops)


def _plan(wl: WengertList) -> Plan:
    """The list's plan, built once and kept on the instance (rebuilt if its steps are replaced)."""
    cached = wl.__dict__.get("_plan")
    if cached is not None and cached[0] is wl.steps and cached[1] is wl.outputs and cached[2] is wl.inputs:
        return cached[3]
    plan = Plan(wl)
    wl.__dict__["_plan"] = (wl.steps, wl.outputs, wl.inputs, plan)
    return plan


def vlatex(i: int) -> str:
    return latex_name(vname(i))


def _const_text(c: Const) -> str:
    return c.name if c.name is not None else format_number(c.value)


def _const_expr(c: Const) -> Expr:
    return Expr("const", value=c.value, name=c.name)

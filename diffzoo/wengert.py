"""The Wengert list: a function as a straight-line sequence of primitive steps.

Inputs are numbered ``v_{1-n} .. v_0`` and steps ``v_1 .. v_k`` as in Baydin et al.'s survey.
Equal subexpressions become one step (value numbering), and each step is scheduled as soon as
its inputs are ready, left to right, which reproduces the survey's Table 2. A step that depends
on no input is *inactive*: it has a value but no derivative, so no method differentiates it
(``x^(2*1)`` never asks for ``log(x)``, the exponent's partial).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .errors import EvaluationError
from .expr import Expr, latex_name, nodes, to_latex, to_text, var
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


@dataclass
class WengertList:
    """Inputs, steps and outputs of one function; evaluates on floats and on numpy arrays."""

    inputs: tuple[str, ...]
    steps: tuple[Step, ...]
    outputs: tuple[Operand, ...]  # what y_1..y_m are: a step, an input, or a constant

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
                    active.append(any(active[a[1]] if isinstance(a, tuple) else isinstance(a, int) for a in args))
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
        if len(vals) != self.n:
            raise ValueError(f"expected {self.n} input values, got {len(vals)}")
        if any(isinstance(v, np.ndarray | np.generic) for v in vals):
            return self._evaluate_array(vals)
        vals = [float(v) for v in vals]
        off = self.n - 1
        for st in self.steps:
            a = [vals[x + off] if isinstance(x, int) else x.value for x in st.args]
            try:
                v = st.prim.scalar(*a)
            except (ValueError, ArithmeticError):
                raise self.domain_error(st, a) from None
            vals.append(v)
        if not all(math.isfinite(v) for v in vals[self.n:]):
            st = next(s for s in self.steps if not math.isfinite(vals[s.index + off]))
            raise self.domain_error(st, [vals[x + off] if isinstance(x, int) else x.value for x in st.args])
        return vals

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
        return EvaluationError(reason, f"{vname(st.index)} = {self.definition(st)}")

    def output_values(self, vals: list[Any]) -> list[Any]:
        return [vals[o + self.n - 1] if isinstance(o, int) else o.value for o in self.outputs]

    def __call__(self, *point: float) -> Any:
        """f(point): a float for a scalar function, a list for a vector function."""
        out = self.output_values(self.evaluate(point))
        return out[0] if self.m == 1 else out

    # -- presentation ---------------------------------------------------------------------------

    def operand_text(self, a: Operand) -> str:
        if isinstance(a, int):
            return vname(a)
        return _const_text(a)

    def step_expr(self, st: Step) -> Expr:
        """The step as an expression over named variables ``v_i`` and constants."""
        args = tuple(var(vname(a)) if isinstance(a, int) else _const_expr(a) for a in st.args)
        return Expr(st.prim.name, args)

    def definition(self, st: Step) -> str:
        """``ln v_-1``, ``v_-1 * v_0``: the step as the survey writes it."""
        return to_text(self.step_expr(st), compact_calls=True)

    def definition_latex(self, st: Step) -> str:
        return to_latex(self.step_expr(st))

    def output_names(self) -> list[str]:
        return ["y"] if self.m == 1 else [f"y_{j + 1}" for j in range(self.m)]

    def step_exprs(self) -> dict[int, Expr]:
        """Each variable as an expression in the inputs (shared, so it costs one node a step)."""
        off = self.n - 1
        table: list[Expr] = [var(name) for name in self.inputs]
        for st in self.steps:
            args = tuple(table[a + off] if isinstance(a, int) else _const_expr(a) for a in st.args)
            table.append(Expr(st.prim.name, args))
        return {i - off: e for i, e in enumerate(table)}

    def __len__(self) -> int:
        return len(self.steps)

    def to_text(self) -> str:
        lines = [f"{vname(i + 1 - self.n)} = {name}" for i, name in enumerate(self.inputs)]
        lines += [f"{vname(st.index)} = {self.definition(st)}" for st in self.steps]
        lines += [f"{y} = {self.operand_text(o)}" for y, o in zip(self.output_names(), self.outputs)]
        return "\n".join(lines)


def vlatex(i: int) -> str:
    return latex_name(vname(i))


def _const_text(c: Const) -> str:
    from .expr import format_number

    return c.name if c.name is not None else format_number(c.value)


def _const_expr(c: Const) -> Expr:
    return Expr("const", value=c.value, name=c.name)

"""Forward and reverse mode as transformations: a Wengert list in, the derivative's Wengert list out.

``jvp(wl)`` writes the tangent program and ``vjp(wl)`` the adjoint program, each a new list whose
steps are the primitive table's partial rules applied to an :class:`Emitter`, the backend that,
instead of computing, writes every operation as a step (as diff-zoo's ``derive(w)`` and autodidax's
staging interpreters do). The primal steps keep their numbers ``v_1 .. v_k``; the tangents ``ẋ``
and output weights ``ȳ`` are new inputs placed before ``x``, so ``v_{1-n} .. v_0`` stay ``x``.

Evaluating the new list is the derivative; its steps, read through the :class:`Derivation` that
says which step is which tangent or adjoint update, are the trace tables; written out, it is the
generated code. A derived list is a list like any other: ``jvp(vjp(wl))`` is a Hessian-vector
program, with no code of its own.

Structural zeros are never written: the tangent of an input the seed does not move, the adjoint of
a step no weighted output depends on, a partial that the rule gives as the number 0 (sign), every
inactive step. Anywhere else each partial is a step, so an infinite or undefined one is met when the
list is evaluated, even where the tangent or adjoint it multiplies is 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .primitives import PRIMITIVES, Primitive
from .wengert import Const, Operand, Step, WengertList

DOT, BAR = "\u0307", "\u0304"
MUL, ADD = PRIMITIVES["mul"], PRIMITIVES["add"]


def dotted(name: str) -> str:
    """``x1`` -> ``ẋ1``: the mark on the first letter, where the survey puts it."""
    return name[0] + DOT + name[1:]


def barred(name: str) -> str:
    return name[0] + BAR + name[1:]


@dataclass(frozen=True)
class Update:
    """One adjoint update of a reverse sweep: v̄_target (+)= v̄_source · ∂v_source/∂v_target."""

    target: int  # the variable whose adjoint changes (of the primal list)
    source: int | None  # the step whose adjoint flows back, or None for an output's weight ȳ_j
    arg: int  # the target's position among the source's arguments (the output number for a weight)
    operand: Operand  # the step of the derived list that holds the adjoint after the update
    partial: Operand | None  # the step (or constant) holding ∂v_source/∂v_target
    first: bool  # the first contribution (v̄ = ...) or an accumulation (v̄ = v̄ + ...)


@dataclass(frozen=True)
class Derivation:
    """How a derived list relates to its primal list: which of its variables is which derivative.

    ``seeds`` are the derived list's new inputs (ẋ_i or ȳ_j, by primal input or output number);
    ``tangents`` maps a primal variable to the operand holding its tangent (jvp); ``updates`` are the
    adjoint updates in the order the sweep makes them (vjp), and ``adjoints`` the final adjoint of
    every primal variable reached.
    """

    kind: str  # "jvp" or "vjp"
    primal: WengertList
    seeds: dict[int, int]
    tangents: dict[int, Operand]
    updates: tuple[Update, ...]
    adjoints: dict[int, Operand]


@dataclass(frozen=True)
class Ref:
    """A variable of the list being written, as a partial rule sees it (a bare int there is a number)."""

    index: int


def _ref(a: Operand) -> Ref | Const:
    return Ref(a) if isinstance(a, int) else a


def _operand(a: Any) -> Operand:
    """A rule's result as an operand: a variable, or a number as a constant."""
    if isinstance(a, Ref):
        return a.index
    return a if isinstance(a, Const) else Const(float(a))


class Emitter:
    """The step-emitting backend: each operation becomes a step of a new Wengert list.

    A partial rule such as ``B.mul(o, B.sigmoid(B.neg(x)))`` called with an Emitter as ``B`` and
    operands (step numbers, :class:`Const`) as arguments appends ``neg``, ``sigmoid`` and ``mul``
    steps and returns the last one's operand. Constants fold to the float the step would compute,
    and equal steps are written once; nothing else is simplified, so that ``v̄_5 · 1`` stays the row
    the survey prints.
    """

    def __init__(self, wl: WengertList, extra: Sequence[str]):
        self.inputs = tuple(extra) + tuple(wl.inputs)
        self.n = len(self.inputs)
        self.steps: list[Step] = list(wl.steps)
        self.seen: dict[tuple, Operand] = {(st.prim.name, st.args): st.index for st in wl.steps}
        self.active: dict[int, bool] = {i: True for i in range(1 - self.n, 1)}
        self.active.update({st.index: st.active for st in wl.steps})

    def input(self, k: int) -> int:
        """The operand of input ``k`` of the new list (the extra inputs come first)."""
        return k + 1 - self.n

    def __getattr__(self, name: str) -> Callable[..., Operand]:
        prim = PRIMITIVES.get(name)
        if prim is None:
            raise AttributeError(name)
        return lambda *args: self.apply(prim, *args)

    def apply(self, prim: Primitive, *args: Any, fresh: bool = False) -> Ref | Const:
        """The step ``prim(*args)``: a constant if every argument is one, an equal earlier step unless
        ``fresh`` (each tangent and each adjoint update is a step of its own, a row of its trace)."""
        ops = tuple(_operand(a) for a in args)
        if all(isinstance(a, Const) for a in ops):
            try:
                v = prim.scalar(*(a.value for a in ops))
            except (ValueError, ArithmeticError):
                v = math.nan
            if math.isfinite(v):
                return Const(float(v))
        key = (prim.name, ops)
        if key in self.seen and not fresh:
            return Ref(self.seen[key])
        index = len(self.steps) + 1
        active = any(isinstance(a, int) and self.active[a] for a in ops)
        self.steps.append(Step(index, prim, ops, active))
        self.active[index] = active
        self.seen[key] = index
        return Ref(index)

    def finish(self, outputs: Sequence[Operand], names: dict[int, str], derivation: Derivation) -> WengertList:
        return WengertList(self.inputs, tuple(self.steps), tuple(outputs), names=names, derivation=derivation)


def _is_zero(p: Any) -> bool:
    """Is the partial the number 0 (a rule's literal 0, or a constant folded to 0)?"""
    return (isinstance(p, Const) and p.value == 0) or (type(p) in (int, float) and p == 0)


def _partial(E: Emitter, st: Step, j: int) -> Any:
    """The rule for ∂v_k/∂(argument j), written as steps: a Ref, a Const, or a plain number."""
    return st.prim.partials[j](E, Ref(st.index), *map(_ref, st.args))


def _varies(wl: WengertList, a: Operand) -> bool:
    return isinstance(a, int) and (a <= 0 or wl.steps[a - 1].active)


def jvp(wl: WengertList, moved: Sequence[bool] | None = None) -> WengertList:
    """The tangent program: inputs ``ẋ`` then ``x``, outputs ``f(x)`` then ``J(x) ẋ``.

    ``moved`` says which inputs the tangent moves (all, by default): only those get a tangent input,
    and no partial along another is written.
    """
    moved = tuple(True for _ in wl.inputs) if moved is None else tuple(map(bool, moved))
    E = Emitter(wl, [dotted(x) for x, on in zip(wl.inputs, moved) if on])
    names: dict[int, str] = {}
    tangent: dict[int, Operand] = {}
    seeds: dict[int, int] = {}
    for k, i in enumerate(i for i, on in enumerate(moved) if on):
        var = i + 1 - wl.n
        tangent[var] = seeds[i] = E.input(k)
        names[E.input(k)] = f"v{DOT}_{var}"
    for st in wl.steps:
        if not st.active:
            continue
        acc: Operand | None = None
        for j, a in enumerate(st.args):
            if not isinstance(a, int) or a not in tangent:
                continue
            p = _partial(E, st, j)
            if _is_zero(p):
                continue
            term = _operand(E.apply(MUL, Ref(tangent[a]), p, fresh=True))
            acc = term if acc is None else _operand(E.apply(ADD, Ref(acc), Ref(term), fresh=True))
        if acc is not None:
            tangent[st.index] = acc
            if isinstance(acc, int) and acc not in names:
                names[acc] = f"v{DOT}_{st.index}"
    outs = list(wl.outputs) + [tangent.get(o, Const(0.0)) if isinstance(o, int) else Const(0.0)
                               for o in wl.outputs]
    return E.finish(outs, names, Derivation("jvp", wl, seeds, tangent, (), {}))


def vjp(wl: WengertList, weighted: Sequence[bool] | None = None) -> WengertList:
    """The adjoint program: inputs ``ȳ`` then ``x``, outputs ``f(x)`` then ``ȳ J(x)``.

    Every adjoint update is its own step, in the order of the reverse sweep, and the ``+=`` of an
    accumulation is a new step ``v̄_j + contribution``: a variable used twice gets two.
    ``weighted`` says which outputs have a weight (all, by default).
    """
    weighted = tuple(True for _ in wl.outputs) if weighted is None else tuple(map(bool, weighted))
    ys = wl.output_names()
    E = Emitter(wl, [barred(y) for y, on in zip(ys, weighted) if on])
    names: dict[int, str] = {}
    adjoint: dict[int, Operand] = {}
    seeds: dict[int, int] = {}
    updates: list[Update] = []

    def update(target: int, source: int | None, arg: int, term: Operand, partial: Operand | None) -> None:
        first = target not in adjoint
        value = term if first else _operand(E.apply(ADD, Ref(adjoint[target]), Ref(term), fresh=True))
        adjoint[target] = value
        if isinstance(value, int) and value > 0:
            names.setdefault(value, f"v{BAR}_{target}")
        updates.append(Update(target, source, arg, value, partial, first))

    for k, j in enumerate(j for j, on in enumerate(weighted) if on):
        seeds[j] = E.input(k)
        names[E.input(k)] = barred(ys[j])
        if isinstance(wl.outputs[j], int):
            update(wl.outputs[j], None, j, E.input(k), None)
    for st in reversed(wl.steps):
        if st.index not in adjoint or not st.active:
            continue
        vbar = adjoint[st.index]
        for j, a in enumerate(st.args):
            if not _varies(wl, a):
                continue
            p = _partial(E, st, j)
            if _is_zero(p):
                continue
            update(a, st.index, j, _operand(E.apply(MUL, Ref(vbar), p, fresh=True)), _operand(p))
    outs = list(wl.outputs) + [adjoint.get(i + 1 - wl.n, Const(0.0)) for i in range(wl.n)]
    return E.finish(outs, names, Derivation("vjp", wl, seeds, {}, tuple(updates), adjoint))


__all__ = ["jvp", "vjp", "Emitter", "Derivation", "Update", "dotted", "barred"]

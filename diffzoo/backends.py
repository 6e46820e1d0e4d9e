"""Backends: what the primitive table's rules compute with.

A partial rule is written once, as a function of a backend ``B`` (``lambda B, o, x: B.cos(x)``); which
backend it is given decides what it computes. Every backend offers every primitive of the table by
name, and they all live here:

=================  ======================================  ==============================================
backend            ``B.mul(y, B.cos(x))`` gives             used for
=================  ======================================  ==============================================
``FLOATS``         a float (math, operator)                 bounds and curvatures from partials at a point
``ARRAYS``         a numpy array, element-wise               batches of points, complex step, float32
``EXPRESSIONS``    an :class:`~diffzoo.expr.Expr`            symbolic derivatives, the rules in the traces
``DUALS``          a float or a tagged :class:`Dual`         nested forward mode (``forward.derivative``)
:class:`Emitter`   a new step of a Wengert list              ``transforms.jvp`` and ``vjp``
=================  ======================================  ==============================================

The interpreter and the generated code do not go through a backend: they call the table's
``scalar`` (or ``array``) functions directly, one step at a time.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .expr import make, var
from .primitives import PRIMITIVES, Primitive
from .wengert import Const, Operand, Step, WengertList


class Backend:
    """The table's primitives as attributes (``B.sin``, ``B.mul``), each computing by ``op(primitive)``."""

    def __init__(self, name: str, op: Callable[[Primitive], Callable[..., Any]]):
        self.name = name
        self.__dict__.update({p.name: op(p) for p in PRIMITIVES.values()})

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"


FLOATS = Backend("floats", lambda p: p.scalar)
ARRAYS = Backend("arrays", lambda p: p.array)
EXPRESSIONS = Backend("expressions", lambda p: functools.partial(make, p.name))



#: Each primitive's partial rules as the sweeps use them (:func:`partial_rules`), by ``id``, kept with the primitive.
_PARTIALS: dict[int, tuple[Primitive, tuple[Any, ...]]] = {}


def partial_rules(prim: Primitive) -> tuple[Any, ...]:
    """The table's partial rules of ``prim`` read off once, one per argument, for the float sweeps: an int ``j``
    where the rule returns its argument ``j`` itself, a float where it returns a number, else the rule to call
    with :data:`FLOATS` (read off with expressions as arguments: ``lambda B, o, x, y: y`` is argument 1,
    ``_one`` is 1.0, ``B.cos(x)`` a rule to call)."""
    got = _PARTIALS.get(id(prim))
    if got is None:
        names = [var(f"a{j}") for j in range(prim.arity)]
        out: list[Any] = []
        for rule in prim.partials:
            r = rule(EXPRESSIONS, var("o"), *names)
            if any(r is a for a in names):
                out.append(next(j for j, a in enumerate(names) if r is a))
            elif type(r) in (int, float) and math.isfinite(r):
                out.append(float(r))
            else:
                out.append(rule)
        got = _PARTIALS[id(prim)] = (prim, tuple(out))
    return got[1]

# --- dual numbers, tagged ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dual:
    """``primal + tangent·ε`` with ``ε² = 0``; ``tag`` names the derivative the ε belongs to.

    Arithmetic goes through the primitive table, and primal and tangent may themselves be
    duals of another tag, so derivatives nest (second derivatives, derivatives of functions
    that take derivatives) without confusing one ε for another.
    """

    primal: Any
    tangent: Any
    tag: int

    def __add__(self, o: Any) -> Any:
        return apply("add", self, o)

    def __radd__(self, o: Any) -> Any:
        return apply("add", o, self)

    def __sub__(self, o: Any) -> Any:
        return apply("sub", self, o)

    def __rsub__(self, o: Any) -> Any:
        return apply("sub", o, self)

    def __mul__(self, o: Any) -> Any:
        return apply("mul", self, o)

    def __rmul__(self, o: Any) -> Any:
        return apply("mul", o, self)

    def __truediv__(self, o: Any) -> Any:
        return apply("div", self, o)

    def __rtruediv__(self, o: Any) -> Any:
        return apply("div", o, self)

    def __pow__(self, o: Any) -> Any:
        return apply("pow", self, o)

    def __rpow__(self, o: Any) -> Any:
        return apply("pow", o, self)

    def __neg__(self) -> Any:
        return apply("neg", self)


def _top_tag(args: Sequence[Any]) -> int:
    return max((a.tag for a in args if isinstance(a, Dual)), default=0)


def split_dual(a: Any, tag: int) -> tuple[Any, Any]:
    """The primal and the tangent of ``a`` with respect to ``tag`` (0 if it has none)."""
    if isinstance(a, Dual):
        if a.tag == tag:
            return a.primal, a.tangent
        if a.tag > tag:  # an outer-tag dual whose parts may carry ``tag`` deeper down
            p0, t0 = split_dual(a.primal, tag)
            p1, t1 = split_dual(a.tangent, tag)
            return Dual(p0, p1, a.tag), Dual(t0, t1, a.tag)
    return a, 0.0


def apply(name: str, *args: Any) -> Any:
    """Apply a primitive to floats or duals: the dual number's whole arithmetic."""
    prim = PRIMITIVES[name]
    tag = _top_tag(args)
    if tag == 0:
        return prim.scalar(*args)
    parts = [split_dual(a, tag) for a in args]
    primals = [p for p, _ in parts]
    out = apply(name, *primals)
    tangent: Any = 0.0
    for j, (_, t) in enumerate(parts):
        if isinstance(t, Dual) or t != 0.0:
            tangent = apply("add", tangent, apply("mul", prim.partials[j](DUALS, out, *primals), t))
    return Dual(out, tangent, tag)


DUALS = Backend("duals", lambda p: functools.partial(apply, p.name))


# --- the step emitter ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A variable of the list being written, as a partial rule sees it (a bare int there is a number)."""

    index: int


def as_ref(a: Operand) -> Ref | Const:
    return Ref(a) if isinstance(a, int) else a


def as_operand(a: Any) -> Operand:
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
        self.origin: dict[int, tuple[int, int | None, str]] = {}
        self.context: tuple[int, int | None, str] = (0, None, "sum")  # what the steps being written are for

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
        ops = tuple(as_operand(a) for a in args)
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
        self.origin[index] = self.context
        return Ref(index)

    def finish(self, outputs: Sequence[Operand], names: dict[int, str], derivation: Any) -> WengertList:
        return WengertList(self.inputs, tuple(self.steps), tuple(outputs), names=names, derivation=derivation)


__all__ = ["Backend", "FLOATS", "ARRAYS", "EXPRESSIONS", "partial_rules", "DUALS", "Dual", "apply", "split_dual",
           "Emitter", "Ref", "as_ref", "as_operand"]

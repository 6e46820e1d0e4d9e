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

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .backends import EXPRESSIONS, Emitter, Ref, as_operand, as_ref
from .errors import EvaluationError
from .expr import Expr, const, to_text, var
from .primitives import PRIMITIVES
from .wengert import Const, Operand, Step, WengertList, vname

DOT, BAR = "\u0307", "\u0304"
MUL, ADD = PRIMITIVES["mul"], PRIMITIVES["add"]


def unit(n: int, i: int) -> list[float]:
    """The seed e_i of n entries: a forward pass along input i, or a reverse sweep weighting output i alone."""
    e = [0.0] * n
    e[i] = 1.0
    return e


def unit_vectors(n: int) -> list[list[float]]:
    """The seeds of n forward passes (or n reverse sweeps): the rows of the n x n identity, as floats."""
    return [unit(n, i) for i in range(n)]


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
    #: What each new step computes, for messages: (primal step k, argument j, "partial") of a partial
    #: ∂v_k/∂(arg j), (k, j, "term") of its product with a tangent or adjoint, (variable, None, "sum") of
    #: an accumulated tangent or adjoint.
    origin: dict[int, tuple[int, int | None, str]] = field(default_factory=dict)


def _is_zero(p: Any) -> bool:
    """Is the partial the number 0 (a rule's literal 0, or a constant folded to 0)?"""
    return (isinstance(p, Const) and p.value == 0) or (type(p) in (int, float) and p == 0)


def _partial(E: Emitter, st: Step, j: int) -> Any:
    """The rule for ∂v_k/∂(argument j), written as steps: a Ref, a Const, or a plain number."""
    return st.prim.partials[j](E, Ref(st.index), *map(as_ref, st.args))


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
            E.context = (st.index, j, "partial")
            p = _partial(E, st, j)
            if _is_zero(p):
                continue
            E.context = (st.index, j, "term")
            term = as_operand(E.apply(MUL, Ref(tangent[a]), p, fresh=True))
            E.context = (st.index, None, "sum")
            acc = term if acc is None else as_operand(E.apply(ADD, Ref(acc), Ref(term), fresh=True))
        if acc is not None:
            tangent[st.index] = acc
            if isinstance(acc, int) and acc not in names:
                names[acc] = f"v{DOT}_{st.index}"
    outs = list(wl.outputs) + [tangent.get(o, Const(0.0)) if isinstance(o, int) else Const(0.0)
                               for o in wl.outputs]
    return E.finish(outs, names, Derivation("jvp", wl, seeds, tangent, (), {}, E.origin))


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
        E.context = (target, None, "sum")
        value = term if first else as_operand(E.apply(ADD, Ref(adjoint[target]), Ref(term), fresh=True))
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
            E.context = (st.index, j, "partial")
            p = _partial(E, st, j)
            if _is_zero(p):
                continue
            E.context = (st.index, j, "term")
            update(a, st.index, j, as_operand(E.apply(MUL, Ref(vbar), p, fresh=True)), as_operand(p))
    outs = list(wl.outputs) + [adjoint.get(i + 1 - wl.n, Const(0.0)) for i in range(wl.n)]
    return E.finish(outs, names, Derivation("vjp", wl, seeds, {}, tuple(updates), adjoint, E.origin))


def bind(wl: WengertList, values: dict[int, float], keep: int = 0) -> WengertList:
    """``wl`` with some inputs fixed (``{input position: value}``): those become constants, and every step
    whose arguments are then all constants folds, as does a product with 1 (exactly the other factor).
    Partial evaluation: ``bind(vjp(wl), {0: 1.0})`` is the gradient program of a scalar function, its
    weight ȳ = 1 written in. The first ``keep`` steps (a derived list's primal steps, which read no bound
    input) are kept as they are, numbers included, so that the primal list's values carry over.
    """
    keep_inputs = [i for i in range(wl.n) if i not in values]
    inputs = tuple(wl.inputs[i] for i in keep_inputs)
    new_n = len(inputs)
    mapped: dict[int, Operand] = {}
    for i in range(wl.n):
        mapped[i + 1 - wl.n] = Const(float(values[i])) if i in values else keep_inputs.index(i) + 1 - new_n
    E = Emitter(WengertList(inputs, (), ()), ())
    for st in wl.steps[:keep]:
        args = tuple(mapped[a] if isinstance(a, int) else a for a in st.args)
        if any(isinstance(a, Const) and isinstance(b, int) for a, b in zip(args, st.args)):
            raise ValueError(f"step {st.index} reads a bound input and cannot be kept")
        E.steps.append(Step(st.index, st.prim, args, st.active))
        E.seen[(st.prim.name, args)] = mapped[st.index] = st.index
        E.active[st.index] = st.active
    for st in wl.steps[keep:]:
        args = tuple(mapped[a] if isinstance(a, int) else a for a in st.args)
        ones = [isinstance(a, Const) and a.value == 1.0 for a in args]
        if st.prim is MUL and any(ones):
            mapped[st.index] = args[1] if ones[0] else args[0]
            continue
        mapped[st.index] = as_operand(E.apply(st.prim, *(as_ref(a) for a in args), fresh=True))
    outs = tuple(mapped[o] if isinstance(o, int) else o for o in wl.outputs)
    return WengertList(inputs, tuple(E.steps), outs)


def gradient_of(wl: WengertList) -> WengertList:
    """The gradient program of a scalar function: ``vjp(wl)`` with ȳ = 1 bound in, its primal steps as
    ``wl``'s (so ``extend``-style evaluation after the primal values works); outputs f, then ∂f/∂x."""
    if wl.m != 1:
        raise ValueError(f"a gradient needs a scalar function; this one has {wl.m} outputs (use jacobian or vjp)")
    return _cached(wl, ("gradient",), lambda: bind(vjp_of(wl), {0: 1.0}, keep=len(wl.steps)))


# --- evaluating a derived list, and saying what failed in the primal list's own terms ----------------


def partial_expr(wl: WengertList, st: Step, j: int) -> Expr:
    """``∂v_k/∂(argument j)`` as the table's rule over named variables (``cos v_0``, ``v_-1``)."""
    args = [var(vname(a)) if isinstance(a, int) else Expr("const", value=a.value, name=a.name) for a in st.args]
    p = st.prim.partials[j](EXPRESSIONS, var(vname(st.index)), *args)
    return p if isinstance(p, Expr) else const(p)


def partial_text(wl: WengertList, st: Step, j: int) -> str:
    return to_text(partial_expr(wl, st, j), compact_calls=True)


def derivative_error(wl: WengertList, st: Step, j: int, args: Sequence[float]) -> EvaluationError:
    """The partial ``∂v_k/∂(argument j)`` has no value at these arguments."""
    shown = ", ".join(f"{v:.6g}" for v in args)
    return EvaluationError(
        f"the partial derivative ∂{vname(st.index)}/∂{wl.operand_text(st.args[j])} = {partial_text(wl, st, j)} "
        f"does not exist at ({shown})", f"{vname(st.index)} = {wl.definition(st)}", st.index)


def run(d: WengertList, extra: Sequence[float], vals: list[float]) -> list[float]:
    """Every value of the derived list ``d``, its primal values ``vals`` known (:meth:`WengertList.extend`).

    A failure is said in the primal list's terms: the partial ∂v_k/∂v_j that does not exist, or the
    tangent v̇_k or adjoint v̄_j that is not finite (the derivative overflows, or 0 met an infinity).
    """
    try:
        return d.extend(extra, vals)
    except EvaluationError as exc:
        origin = d.derivation.origin.get(exc.index) if exc.index is not None else None
        if origin is None:
            raise
        wl, (k, j, kind) = d.derivation.primal, origin
        if kind == "partial":
            st = wl.steps[k - 1]
            raise derivative_error(wl, st, j, wl.args_of(st, vals)) from None
        what = "tangent" if d.derivation.kind == "jvp" else "adjoint"
        target = k if kind == "sum" or what == "tangent" else wl.steps[k - 1].args[j]
        mark = DOT if what == "tangent" else BAR
        where = f"v{mark}_{target}" + (f" at {vname(target)} = {wl.definition(wl.steps[target - 1])}" if target > 0
                                      else f" ({wl.inputs[target + wl.n - 1]})")
        raise EvaluationError(f"the {what} is not finite (the derivative overflows or does not exist here)",
                              where, exc.index) from None


def picker(d: WengertList, variables: Sequence[int]) -> Callable[[list[Any]], tuple[Any, ...]]:
    """A C-level function from a derived list's values (with a 0 appended) to the tangents or adjoints of
    the primal ``variables`` (the zero where a variable has none): made once per list and variables."""
    key = tuple(variables)
    store = d.__dict__.setdefault("_pickers", {})
    if key not in store:
        table = d.derivation.tangents if d.derivation.kind == "jvp" else d.derivation.adjoints
        off = d.n - 1
        slots = [t + off if isinstance(t := table.get(v), int) else -1 for v in key]  # -1: the appended zero
        if len(slots) == 1:
            store[key] = lambda w, i=slots[0]: (w[i],)
        else:
            store[key] = operator.itemgetter(*slots) if slots else (lambda w: ())
    return store[key]


def _cached(wl: WengertList, key: tuple, build: Callable[[], WengertList]) -> WengertList:
    """A derived list kept on the list it comes from (rebuilt if the steps are replaced); the last 16."""
    store = wl.__dict__.setdefault("_derived", {})
    if store.get("_steps") is not wl.steps:
        store.clear()
        store["_steps"] = wl.steps
    if key not in store:
        if len(store) > 16:
            store.pop(next(k for k in store if k != "_steps"))
        store[key] = build()
    return store[key]


def jvp_of(wl: WengertList, moved: Sequence[bool] | None = None) -> WengertList:
    """:func:`jvp`, built once per list and mask of moved inputs."""
    key = ("jvp", None if moved is None else tuple(map(bool, moved)))
    return _cached(wl, key, lambda: jvp(wl, moved))


def vjp_of(wl: WengertList, weighted: Sequence[bool] | None = None) -> WengertList:
    """:func:`vjp`, built once per list and mask of weighted outputs."""
    key = ("vjp", None if weighted is None else tuple(map(bool, weighted)))
    return _cached(wl, key, lambda: vjp(wl, weighted))


__all__ = ["jvp", "vjp", "jvp_of", "vjp_of", "bind", "gradient_of", "run", "picker", "partial_expr", "partial_text",
           "derivative_error", "unit", "unit_vectors", "Derivation", "Update", "dotted", "barred"]

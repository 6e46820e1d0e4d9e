"""Symbolic differentiation: derivative expressions built from the primitive table, over the tree.

``derive`` applies the chain rule node by node (as diff-zoo's ``derive`` does), taking each
partial from the same table forward and reverse mode use. Because the rule for ``exp(u)``
reuses the node ``exp(u)`` itself, the result is a graph with shared subexpressions; written
out as a tree it can be exponentially larger (expression swell). Both sizes are reported.
sympy is used only to simplify, in a worker process with a time limit, and in tests as oracle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backends import EXPRESSIONS
from .errors import EvaluationError, LimitError
from .expr import Expr, const, dag_size, depth, fold, make, nodes, share, to_latex, to_text, tree_size
from .guard import run_limited
from .primitives import PRIMITIVES

#: Beyond this many tree operations an expression is summarised instead of printed.
MAX_PRINT_OPS = 4_000


def derive(root: Expr, wrt: str) -> Expr:
    """d root / d wrt, as an expression sharing subexpressions with ``root``."""
    return derive_all([root], wrt)[0]


def derive_all(roots: Sequence[Expr], wrt: str) -> list[Expr]:
    """The derivatives of several expressions in one walk (their shared parts are derived once)."""
    zero, one = const(0), const(1)
    d: dict[int, Expr] = {}
    for e in nodes(roots):
        if e.op == "var":
            d[id(e)] = one if e.name == wrt else zero
        elif e.op == "const":
            d[id(e)] = zero
        else:
            prim = PRIMITIVES[e.op]
            total: Expr = zero
            for j, a in enumerate(e.args):
                da = d[id(a)]
                if da.op == "const" and da.value == 0:
                    continue
                total = make("add", total, make("mul", prim.partials[j](EXPRESSIONS, e, *e.args), da))
            d[id(e)] = total
    return [d[id(r)] for r in roots]


@dataclass(frozen=True)
class Size:
    """How big an expression is, written out (tree) and with equal parts shared (graph)."""

    tree: int  # operations in the written-out tree
    graph: int  # operations once equal subexpressions are computed once (Wengert list length)
    depth: int

    @classmethod
    def of(cls, e: Expr) -> Size:
        return cls(tree_size(e), dag_size(e), depth(e))


def show(e: Expr, latex: bool = False, limit: int = MAX_PRINT_OPS) -> str:
    """Text or LaTeX of an expression, or a note that it is too large to print."""
    size = tree_size(e)
    if size > limit:
        return (rf"\text{{({size:,} operations as a tree: too large to print)}}" if latex
                else f"({size:,} operations as a tree: too large to print)")
    return to_latex(e) if latex else to_text(e)


#: Symbolic differentiation walks the shared function once per variable: at most this many node visits.
MAX_WORK = 200_000
#: At most this many partial derivatives (outputs x variables) are built as expressions.
MAX_ENTRIES = 400


def jacobian_exprs(outputs: Sequence[Expr], variables: Sequence[str]) -> list[list[Expr]]:
    """The m x n derivative expressions: one walk over the shared outputs per variable.

    Raises :class:`LimitError` up front when that would be too much work for an interactive
    answer (forward and reverse mode have no such limit: their cost is a few sweeps).
    """
    entries = len(outputs) * len(variables)
    if entries > MAX_ENTRIES:
        raise LimitError(f"symbolic differentiation would build {entries:,} partial derivatives "
                         f"({len(outputs)} outputs x {len(variables)} variables; at most {MAX_ENTRIES}); "
                         "use forward or reverse mode, whose cost is a few sweeps")
    outputs = share(outputs)
    size = sum(1 for _ in nodes(outputs))
    if size * len(variables) > MAX_WORK:
        raise LimitError(f"symbolic differentiation would walk {size:,} operations once per variable "
                         f"({len(variables)} variables; at most {MAX_WORK:,} steps in all); "
                         "use forward or reverse mode, whose cost is a few sweeps")
    columns = [derive_all(outputs, x) for x in variables]
    return [[columns[i][j] for i in range(len(variables))] for j in range(len(outputs))]


def evaluate(dl: Any, x: Sequence[float]) -> list[float]:
    """Every value of the derivative list ``dl`` at ``x`` (see :func:`values`)."""
    try:
        return dl.evaluate(list(x))
    except EvaluationError as exc:
        out = _overflowing(dl, x, whole=True)
        if out is not None:
            return out
        raise EvaluationError(f"the derivative has no value here: {exc.message}",
                              f"{exc.step} (a step of the derivative expression)") from None


def values(dl: Any, x: Sequence[float]) -> list[float]:
    """The derivative list ``dl`` evaluated at ``x``, as forward and reverse mode evaluate the same partials.

    An intermediate value may overflow to ±inf when the outputs still come out finite: the partial
    of atan, 1/(1 + x x), is 0 at x = 1e160 in float arithmetic, as forward and reverse mode compute
    it (the exact 1e-320 is below the normal floats). A value that does not exist (a log of 0, a
    division by 0, nan) is refused, naming the step of the derivative's own list.
    """
    try:
        return dl.output_values(dl.evaluate(list(x)))
    except EvaluationError as exc:
        out = _overflowing(dl, x)
        if out is not None:
            return out
        raise EvaluationError(f"the derivative has no value here: {exc.message}",
                              f"{exc.step} (a step of the derivative expression)") from None


def _overflowing(dl: Any, x: Sequence[float], whole: bool = False) -> list[float] | None:
    """IEEE values where every step is defined (no domain error, no nan) and the outputs are finite."""
    vals: list[Any] = [np.float64(v) for v in x]
    off = dl.n - 1
    with np.errstate(all="ignore"):
        for st in dl.steps:
            a = dl.args_of(st, vals)
            if all(np.isfinite(v) for v in a) and st.prim.domain(*map(float, a)) is not None:
                return None
            v = np.float64(st.prim.array(*a))
            if np.isnan(v):
                return None
            vals.append(v)
    out = [float(vals[o + off]) if isinstance(o, int) else o.value for o in dl.outputs]
    if not all(math.isfinite(v) for v in out):
        return None
    return [float(v) for v in vals] if whole else out


# --- sympy: conversion from our own checked tree, and simplification under a time limit ----------


def to_sympy(root: Expr) -> Any:
    """A sympy expression built node by node from the tree (never from text)."""
    import sympy as sp

    def leaf(e: Expr) -> Any:
        if e.op == "var":
            return sp.Symbol(e.name, real=True)
        if e.name == "pi":
            return sp.pi
        if e.name == "e":
            return sp.E
        v = e.value
        return sp.Integer(int(v)) if v == int(v) and abs(v) < 1e15 else sp.Float(v)

    def apply(e: Expr, a: list) -> Any:
        return PRIMITIVES[e.op].sympy(*a)

    return fold([root], leaf, apply)[id(root)]


def serialize(roots: Sequence[Expr]) -> list[tuple]:
    """A flat, picklable form of a DAG (for the worker process): (op, value, name, arg indices)."""
    index: dict[int, int] = {}
    out: list[tuple] = []
    for e in nodes(roots):
        index[id(e)] = len(out)
        out.append((e.op, e.value, e.name, tuple(index[id(a)] for a in e.args)))
    return out + [("roots", None, None, tuple(index[id(r)] for r in roots))]


def deserialize(flat: list[tuple]) -> list[Expr]:
    built: list[Expr] = []
    for op, value, name, args in flat[:-1]:
        built.append(Expr(op, tuple(built[i] for i in args), value, name))
    return [built[i] for i in flat[-1][3]]


def _simplify_worker(flat: list[tuple]) -> list[tuple[str, str, int]]:
    import sympy as sp

    results = []
    for e in deserialize(flat):
        s = sp.simplify(to_sympy(e))
        results.append((sp.sstr(s), sp.latex(s), int(sp.count_ops(s))))
    return results


@dataclass(frozen=True)
class Simplified:
    """The outcome of a bounded simplification: ``status`` is "ok", "timeout", "memory" or "error"."""

    status: str
    text: tuple[str, ...] = ()
    latex: tuple[str, ...] = ()
    ops: tuple[int, ...] = ()
    message: str = ""


def simplify(exprs: Sequence[Expr], timeout: float = 3.0, memory_mb: int = 400) -> Simplified:
    """sympy's ``simplify`` of each expression, in a worker process that is ended on timeout."""
    if sum(tree_size(e) for e in exprs) > 2_000:
        return Simplified("error", message="the expression is too large to simplify "
                          f"({sum(tree_size(e) for e in exprs):,} operations as a tree; at most 2,000)")
    outcome = run_limited(_simplify_worker, serialize(exprs), timeout=timeout, memory_mb=memory_mb)
    if outcome.ok:
        t, lt, ops = zip(*outcome.value) if outcome.value else ((), (), ())
        return Simplified("ok", tuple(t), tuple(lt), tuple(ops))
    return Simplified(outcome.status, message=outcome.message)

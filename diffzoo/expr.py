"""Expression trees: the one representation every method works from.

An ``Expr`` is a constant, a variable, or a primitive applied to argument expressions. Trees
built by differentiation share subtrees, so they are really DAGs; every walk here is iterative
and visits a shared node once, so a derivative whose *tree* has a million nodes is still cheap
to measure. :func:`make` applies a primitive with light simplification: it is what the
``EXPRESSIONS`` backend (``backends.py``) does with the table's partial rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from . import fmt
from .fmt import latex_name
from .primitives import PRIMITIVES

Number = int | float


class Expr:
    """A node: ``op`` is ``"const"``, ``"var"`` or the name of a primitive."""

    __slots__ = ("op", "args", "value", "name", "pos")

    def __init__(self, op: str, args: tuple[Expr, ...] = (), value: float | None = None,
                 name: str | None = None, pos: int = -1):
        self.op, self.args, self.value, self.name, self.pos = op, args, value, name, pos

    def __repr__(self) -> str:
        return f"Expr({to_text(self)!r})"


def const(value: float, name: str | None = None, pos: int = -1) -> Expr:
    return Expr("const", value=float(value), name=name, pos=pos)


def var(name: str, pos: int = -1) -> Expr:
    return Expr("var", name=name, pos=pos)


def nodes(roots: Iterable[Expr]) -> Iterator[Expr]:
    """Every distinct node (by identity) reachable from ``roots``, children before parents."""
    seen: set[int] = set()
    for root in roots:
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            e, expanded = stack.pop()
            if id(e) in seen:
                continue
            if expanded or not e.args:
                seen.add(id(e))
                yield e
            else:
                stack.append((e, True))
                stack.extend((a, False) for a in reversed(e.args))


def fold(roots: Iterable[Expr], leaf: Callable[[Expr], Any], apply: Callable[[Expr, list], Any]) -> dict:
    """Bottom-up evaluation over a DAG, each node once: returns ``{id(node): result}``."""
    out: dict[int, Any] = {}
    for e in nodes(roots):
        out[id(e)] = leaf(e) if not e.args else apply(e, [out[id(a)] for a in e.args])
    return out


def variables(roots: Iterable[Expr]) -> set[str]:
    return {e.name for e in nodes(roots) if e.op == "var"}


# --- sizes: what expression swell looks like ---------------------------------------------------


def tree_size(root: Expr) -> int:
    """Operations in the expression written out as a tree (a shared subtree counts each time)."""
    counts = fold([root], lambda e: 0, lambda e, c: 1 + sum(c))
    return counts[id(root)]


def value_numbers(roots: Iterable[Expr]) -> dict[int, int]:
    """Structural hash-consing: equal subexpressions get the same number (``{id: number}``)."""
    table: dict[tuple, int] = {}
    number: dict[int, int] = {}
    for e in nodes(roots):
        key = (e.op, e.value, e.name, tuple(number[id(a)] for a in e.args))
        number[id(e)] = table.setdefault(key, len(table))
    return number


def share(roots: Sequence[Expr]) -> list[Expr]:
    """The same expressions with equal subexpressions made one object (so each is walked once)."""
    canon: dict[tuple, Expr] = {}
    out: dict[int, Expr] = {}
    for e in nodes(roots):
        args = tuple(out[id(a)] for a in e.args)
        key = (e.op, e.value, e.name, tuple(id(a) for a in args))
        if key not in canon:
            canon[key] = e if all(a is b for a, b in zip(args, e.args)) else Expr(e.op, args, e.value, e.name, e.pos)
        out[id(e)] = canon[key]
    return [out[id(r)] for r in roots]


def dag_size(*roots: Expr) -> int:
    """Operations once equal subexpressions are shared: the length of a Wengert list."""
    number = value_numbers(roots)
    return len({number[id(e)] for e in nodes(roots) if e.args})


def depth(root: Expr) -> int:
    return fold([root], lambda e: 0, lambda e, c: 1 + max(c))[id(root)]


# --- the symbolic backend: smart constructors that keep derivatives readable --------------------


def _lift(x: Expr | Number) -> Expr:
    return x if isinstance(x, Expr) else const(x)


def _is(e: Expr, v: float) -> bool:
    return e.op == "const" and e.value == v


def _number(e: Expr) -> bool:
    return e.op == "const" and e.name is None


def _integral(v: float) -> bool:
    return math.isfinite(v) and v == int(v) and abs(v) < 1e15


def _try_fold(name: str, args: list[Expr]) -> Expr | None:
    """Fold numbers when the result stays readable (2*3 -> 6, but 1/3 stays a fraction)."""
    if not all(_number(a) for a in args):
        return None
    try:
        v = PRIMITIVES[name].scalar(*(a.value for a in args))
    except (ValueError, ArithmeticError):
        return None
    if not math.isfinite(v):
        return None
    if _integral(v) or (name in ("add", "sub", "mul", "neg") and not all(_integral(a.value) for a in args)):
        return const(v)
    return None


def make(name: str, *args: Expr | Number) -> Expr:
    """Apply a primitive, simplifying only the trivial cases (0 and 1, numbers, double negation)."""
    a = [_lift(x) for x in args]
    folded = _try_fold(name, a)
    if folded is not None:
        return folded
    if name == "add":
        if _is(a[0], 0):
            return a[1]
        if _is(a[1], 0):
            return a[0]
        if a[1].op == "neg":
            return make("sub", a[0], a[1].args[0])
    elif name == "sub":
        if _is(a[1], 0):
            return a[0]
        if _is(a[0], 0):
            return make("neg", a[1])
        if a[1].op == "neg":
            return make("add", a[0], a[1].args[0])
    elif name == "mul":
        if _is(a[0], 0) or _is(a[1], 0):
            return const(0)
        if _is(a[0], 1):
            return a[1]
        if _is(a[1], 1):
            return a[0]
        if _is(a[0], -1):
            return make("neg", a[1])
        if _is(a[1], -1):
            return make("neg", a[0])
    elif name == "div":
        if _is(a[1], 1):
            return a[0]
        if _is(a[0], 0):
            return const(0)
    elif name == "neg":
        if a[0].op == "neg":
            return a[0].args[0]
    elif name == "pow":
        if _is(a[1], 1):
            return a[0]
        if _is(a[1], 0):
            return const(1)
    return Expr(name, tuple(a))


# --- printing ------------------------------------------------------------------------------------

#: How tightly each operator binds, and its symbol, from the table (a function call binds tightest).
_PREC = {p.name: p.precedence for p in PRIMITIVES.values() if p.infix}
_SYM = {p.name: p.infix for p in PRIMITIVES.values() if p.infix}


format_number = fmt.exact


def _prec(e: Expr) -> int:
    if e.op == "const":
        return 3 if e.value < 0 and e.name is None else 5
    return _PREC.get(e.op, 5)


def _atomic(e: Expr) -> bool:
    return e.op == "var" or (e.op == "const" and (e.name is not None or e.value >= 0))


def shown(root: Expr) -> Expr:
    """The tree as it is printed: helper primitives (xlogy) replaced by the formulas they stand for."""
    if not any(e.op in PRIMITIVES and PRIMITIVES[e.op].shown_as for e in nodes([root]) if e.args):
        return root

    def raw(name: str, *args: Expr) -> Expr:
        return Expr(name, tuple(args))

    def apply(e: Expr, a: list[Expr]) -> Expr:
        p = PRIMITIVES.get(e.op)
        return p.shown_as(raw, *a) if p and p.shown_as else Expr(e.op, tuple(a), e.value, e.name, e.pos)

    return fold([root], lambda e: e, apply)[id(root)]


def to_text(root: Expr, compact_calls: bool = False, names: dict[str, str] | None = None,
            mul: str = " * ", pow_sym: str = "^") -> str:
    """Plain text that ``diffzoo.parse`` reads back as the same tree (a helper primitive such as
    xlogy as the formula it stands for, which has the same value except at its limit).

    ``compact_calls`` writes ``sin v_0`` for a function of an atom, as the survey's tables do;
    ``names`` renames variables (``{"x1": "v_-1"}``).
    """
    root = shown(root)

    def leaf(e: Expr) -> str:
        if e.op == "var":
            return names.get(e.name, e.name) if names else e.name
        return e.name if e.name is not None else format_number(e.value)

    def apply(e: Expr, s: list[str]) -> str:
        p = _PREC.get(e.op)
        if e.op == "D":  # the derivative operator, as typed (parse.py)
            return f"D({s[0]}, {s[1]})"
        if p is None:  # a function call
            if len(s) > 1:  # max(a, b), min(a, b)
                return f"{_fname(e.op)}({', '.join(s)})"
            if compact_calls and _atomic(e.args[0]):
                return f"{PRIMITIVES[e.op].text.split()[0]} {s[0]}"
            return f"{_fname(e.op)}({s[0]})"
        if e.op == "neg":
            return "-" + (f"({s[0]})" if _prec(e.args[0]) < 3 or e.args[0].op == "neg" else s[0])
        left, right = e.args
        if e.op == "pow":
            ls = f"({s[0]})" if _prec(left) <= 4 else s[0]
            rs = f"({s[1]})" if _prec(right) < 3 else s[1]
            return f"{ls}{pow_sym}{rs}"
        ls = f"({s[0]})" if _prec(left) < p else s[0]
        rs = f"({s[1]})" if _prec(right) <= p or _prec(right) == 3 else s[1]
        op = mul if e.op == "mul" else f" {_SYM[e.op]} "
        return f"{ls}{op}{rs}"

    return fold([root], leaf, apply)[id(root)]


def _fname(op: str) -> str:
    return "ln" if op == "log" else op


def to_latex(root: Expr, names: dict[str, str] | None = None) -> str:
    """LaTeX for an expression, built from each primitive's ``latex`` template."""
    root = shown(root)

    def leaf(e: Expr) -> str:
        if e.op == "var":
            return latex_name(names.get(e.name, e.name) if names else e.name)
        if e.name == "pi":
            return r"\pi"
        return e.name if e.name is not None else format_number(e.value)

    def apply(e: Expr, s: list[str]) -> str:
        p = _PREC.get(e.op)
        if e.op == "D":
            return rf"\frac{{\partial}}{{\partial {s[1]}}}\left({s[0]}\right)"
        tpl = PRIMITIVES[e.op].latex
        if p is None:
            if len(s) > 1:  # max(a, b), min(a, b): the template brackets its arguments
                return tpl.format(*s)
            arg = s[0]
            if tpl.endswith("{0}") and not tpl.endswith("{{{0}}}"):
                arg = rf"\left({arg}\right)"
            return tpl.format(arg)
        if e.op == "neg":
            return "-" + (rf"\left({s[0]}\right)" if _prec(e.args[0]) < 3 or e.args[0].op == "neg" else s[0])
        left, right = e.args
        if e.op == "div":
            return tpl.format(s[0], s[1])
        if e.op == "pow":
            ls = rf"\left({s[0]}\right)" if _prec(left) <= 4 or left.op not in ("var", "const") else s[0]
            return tpl.format(ls, s[1])
        ls = rf"\left({s[0]}\right)" if _prec(left) < p else s[0]
        rs = rf"\left({s[1]}\right)" if _prec(right) <= p or _prec(right) == 3 else s[1]
        return tpl.format(ls, rs)

    return fold([root], leaf, apply)[id(root)]

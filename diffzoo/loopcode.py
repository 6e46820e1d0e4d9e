"""Loop-keeping source-to-source AD: a program's primal, JVP and VJP as Python that keeps its loops and branches.

:mod:`diffzoo.compile` writes a *traced* path out as straight-line code, one line per step; here the
program's own AST (:mod:`diffzoo.program`) is written out, so ``for``, ``while`` and ``if`` stay what they
are, in the style of Tangent and clad:

- **primal**: the program itself, as Python;
- **jvp**: each assignment ``y = e`` is preceded by ``y_dot = ...``, the tangent of ``e`` from the tangents
  of the variables it reads (forward mode carries tangents beside values, loops unchanged);
- **vjp**: a *forward sweep* runs the program and pushes onto a tape (a Python list) what the reverse
  sweep needs: the old value of a variable about to be overwritten (only of variables whose values the
  reverse sweep reads), which branch each ``if`` took and how many times each ``while`` ran. The
  *reverse sweep* then visits the statements backwards (a ``for`` loop over ``reversed(range(...))``, a
  ``while`` loop as many times as the popped count), popping, and accumulates adjoints
  (``x_bar += y_bar * cos(x)``).

Every partial derivative is written by the primitive table's own rule (``primitives.py``), given a
backend whose operations print text instead of computing numbers, as the other derivative programs
are. Each statement's expression is split into the same steps, in the same order, as the tracer
records them, so the code computes the same floats as the traced interpreter (``program.tangents`` and
``program.adjoints``), bit for bit; where the interpreter shares one node between names (a copy
``z = y``) the adjoints are summed in another order and agree to rounding. Intermediate values are
not stored: the reverse sweep recomputes those its partials need from the restored variables.

Activity is decided statically (a variable is active if it may depend on an input), so constant
statements get no derivative code. Names in the generated text come from the validated AST (a user
variable that would clash with a function, a keyword or a derived name is renamed ``_u_name``);
scaffolding names start with ``_``, which no program name may. The text is ours, compiled with
``compile`` and run by ``exec`` in :func:`diffzoo.compile.namespace` (the table's functions only, with
a ``range`` that refuses a loop longer than the program's limit).

**Never a believable wrong number**: a math error in the generated code, an output, tangent or adjoint
that is not finite, a value that could have absorbed an overflow (the arguments of ``tanh``, ``/``,
``max``... summed into ``_chk``), a ``while`` loop past the program's iteration limit: each hands the
call to the interpreter, which answers or raises its precise error. (An overflow in a value that no
output depends on, or inside a branch condition, is not refused as the tracer refuses it: the code
answers what the program computes in floats.)
"""

from __future__ import annotations

import dataclasses
import keyword
import math
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .backends import Backend
from .compile import _call, _strip, literal, namespace
from .expr import Expr, const
from .primitives import PRIMITIVES, Primitive
from .program import (
    Assign,
    BoolOp,
    Compare,
    For,
    If,
    Program,
    ProgramLimits,
    Return,
    While,
    adjoints,
    tangents,
    traced_values,
)


def _printer(p: Primitive) -> Callable[..., Any]:
    def op(*args: Any) -> Any:
        if not any(isinstance(a, str) for a in args):  # numbers only: the number FLOATS would compute
            return p.scalar(*args)
        return _call(p.name, [a if isinstance(a, str) else literal(a) for a in args])
    return op


#: Partial rules written as text: ``B.mul(o, B.cos(x))`` gives ``"(o * cos(x))"``; numbers alone give a number.
TEXT = Backend("text", _printer)

_AUG = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div"}
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
_TEMP = re.compile(r"\b_t(\d+)\b")
_CMP_OPS = {"<", "<=", ">", ">=", "==", "!="}


class _Interpret(Exception):
    """Raised by generated code to hand a call to the interpreter (a loop past the program's limit)."""


# --- expressions as trees of steps ------------------------------------------------------------------


class _N:
    """A node of a statement's expression: a variable, a loop variable, a constant or one step (``op``)."""

    __slots__ = ("kind", "name", "value", "prim", "args", "active", "live", "id")

    def __init__(self, kind: str, name: str = "", value: float = 0.0, prim: Primitive | None = None,
                 args: tuple[_N, ...] = ()):
        self.kind, self.name, self.value, self.prim, self.args = kind, name, value, prim, args
        self.active = False
        self.live = False  # active, and its value reaches the statement's result through active steps
        self.id = 0


def _tree(e: Expr, loops: frozenset[str]) -> _N:
    if e.op == "var":
        return _N("loop" if e.name in loops else "var", name=e.name)
    if e.op == "const":
        return _N("const", value=float(e.value))
    return _N("op", prim=PRIMITIVES[e.op], args=tuple(_tree(a, loops) for a in e.args))


def _steps(root: _N) -> list[_N]:
    """The op nodes in the tracer's order (post-order, arguments left to right), numbered from 1."""
    out: list[_N] = []

    def walk(n: _N) -> None:
        if n.kind == "op":
            for a in n.args:
                walk(a)
            out.append(n)
            n.id = len(out)

    walk(root)
    return out


def _mark(n: _N, active: set[str]) -> bool:
    """Static activity, as the tracer decides it step by step: a step is active if an argument is, unless
    it is piecewise constant, or ``y - y``, ``y / y``, ``y * 0``, ``y ^ 0`` (constant wherever defined)."""
    if n.kind == "var":
        n.active = n.name in active
    elif n.kind == "op":
        flags = [_mark(a, active) for a in n.args]
        a = n.args
        p = n.prim.name
        dead = n.prim.piecewise_constant or (
            len(a) == 2 and ((p in ("sub", "div") and a[0].kind == a[1].kind == "var" and a[0].name == a[1].name)
                             or (p == "mul" and any(x.kind == "const" and x.value == 0 for x in a))
                             or (p == "pow" and a[1].kind == "const" and a[1].value == 0)))
        n.active = any(flags) and not dead
    else:
        n.active = False
    return n.active


def _loop_int(n: _N) -> bool:
    """Made of loop variables by + - * only: a Python int in the generated code (the tracer's is a float)."""
    if n.kind == "loop":
        return True
    return n.kind == "op" and n.prim.name in ("add", "sub", "mul", "neg") and all(_loop_int(a) for a in n.args)


# --- statements ---------------------------------------------------------------------------------------


@dataclass
class _Stmt:
    """What one assignment (or the return) becomes: its steps and, for derivatives, its partials' texts."""

    root: _N
    steps: list[_N]
    partials: dict[tuple[int, int], Any]  # (step id, argument) -> text or number, active arguments only


class _Gen:
    def __init__(self, program: Program):
        self.p = program
        self.limit = program.limits.iterations
        loops: list[str] = []
        assigned: list[str] = []
        _collect(program.body, assigned, loops)
        self.vars = list(dict.fromkeys(list(program.inputs) + assigned))
        self.loops_all = list(dict.fromkeys(loops))
        self.names = _rename(self.vars)
        # a loop variable is its own name, apart from a program variable of the same name (the tracer keeps them apart)
        used = set(self.names.values()) | {f"{v}_{k}" for v in self.names.values() for k in ("dot", "bar")}
        self.lnames = {k: k if k not in used and k not in _RESERVED else f"_l_{k}" for k in self.loops_all}
        # activity: a fixed point over the assignments (flow-insensitive, so safe for every path)
        self.active: set[str] = set(program.inputs)
        while True:
            before = len(self.active)
            self._activity(program.body, frozenset())
            if len(self.active) == before:
                break
        self.info: dict[int, _Stmt] = {}
        self.saved: set[str] = set()
        self._analyse(program.body, frozenset())
        self.fresh = _fresh(program.body)
        taken = used | set(self.lnames.values()) | _RESERVED
        self.fname = program.name if program.name not in taken and not program.name.startswith("_") else "f"

    # -- analysis
    def expr_of(self, s: Assign, loops: frozenset[str]) -> _N:
        e = s.expr
        if s.op != "=":
            e = Expr(_AUG[s.op], (Expr("var", name=s.target), e))
        return _tree(e, loops)

    def _activity(self, body: Sequence[Any], loops: frozenset[str]) -> None:
        for s in body:
            if isinstance(s, Assign):
                if _mark(self.expr_of(s, loops), self.active):
                    self.active.add(s.target)
            elif isinstance(s, For):
                self._activity(s.body, loops | {s.var})
            elif isinstance(s, While):
                self._activity(s.body, loops)
            elif isinstance(s, If):
                for b in _bodies(s):
                    self._activity(b, loops)

    def _analyse(self, body: Sequence[Any], loops: frozenset[str]) -> None:
        """Each assignment's steps and partials; ``saved``: the variables whose values the reverse sweep reads."""
        for s in body:
            if isinstance(s, Assign):
                self.info[id(s)] = self._stmt(self.expr_of(s, loops))
            elif isinstance(s, Return):
                for e in s.outputs:
                    self.info[id(e)] = self._stmt(_tree(e, loops))
            elif isinstance(s, For):
                self._analyse(s.body, loops | {s.var})
            elif isinstance(s, While):
                self._analyse(s.body, loops)
            elif isinstance(s, If):
                for b in _bodies(s):
                    self._analyse(b, loops)

    def _stmt(self, root: _N) -> _Stmt:
        _mark(root, self.active)
        steps = _steps(root)

        def live(n: _N) -> None:
            n.live = True
            if n.kind == "op":
                for a in n.args:
                    if a.active:
                        live(a)

        if root.active:
            live(root)
        partials: dict[tuple[int, int], Any] = {}
        for n in steps:
            if not n.live:
                continue
            args = [self.ref(a) for a in n.args]
            for j, a in enumerate(n.args):
                if a.active:
                    partials[(n.id, j)] = n.prim.partials[j](TEXT, f"_t{n.id}", *args)
        st = _Stmt(root, steps, partials)
        back = {v: k for k, v in self.names.items()}
        texts = [d for d in partials.values() if isinstance(d, str)]
        texts += [self.value(steps[i - 1], set(), define=True) for i in self.needed(st)]
        for text in texts:  # the variables the reverse sweep reads: partials and recomputed intermediates
            self.saved.update(back[name] for name in _IDENT.findall(text) if name in back)
        return st

    def ref(self, a: _N) -> Any:
        """An argument as a partial rule sees it: a constant as its number, anything else by name."""
        if a.kind == "const":
            return a.value
        if a.kind == "op":
            return f"_t{a.id}"
        return self.name(a)

    def name(self, a: _N) -> str:
        return self.lnames[a.name] if a.kind == "loop" else self.names[a.name]

    @staticmethod
    def needed(st: _Stmt) -> list[int]:
        """The steps whose values the partials read (``_t3``), in order."""
        ids: set[int] = set()
        for d in st.partials.values():
            if isinstance(d, str):
                ids.update(int(m) for m in _TEMP.findall(d))
        return sorted(ids)

    # -- text
    def value(self, n: _N, temps: set[int], define: bool = False) -> str:
        """The text computing ``n`` (``define``: the step itself, for its temporary), the steps in ``temps`` read
        from their temporaries; a statement's integer value (``y = k``) as a float, as the tracer has it."""
        def vt(m: _N) -> str:
            if m.kind in ("var", "loop"):
                return self.name(m)
            if m.kind == "const":
                return literal(m.value)
            if m.id in temps:
                return f"_t{m.id}"
            return _call(m.prim.name, [vt(a) for a in m.args])

        if define:
            return _strip(_call(n.prim.name, [vt(a) for a in n.args]))
        text = _strip(vt(n))
        return f"float({text})" if _loop_int(n) else text

    def checks(self, st: _Stmt, temps: set[int]) -> list[str]:
        """Values that could turn an overflow into a finite number: the arguments of the table's primitives that
        do not pass inf and nan through (``tanh``, ``/``, ``max``...); compound ones become temporaries."""
        out: list[str] = []
        for n in st.steps:
            if n.prim.passes_nonfinite:
                continue
            for a in n.args:
                if a.kind == "var":
                    out.append(self.name(a))
                elif a.kind == "op":
                    temps.add(a.id)
                    out.append(f"_t{a.id}")
        return list(dict.fromkeys(out))

    def cond(self, c: Any, loops: frozenset[str]) -> str:
        if isinstance(c, Compare):
            return f"{self.value(_tree(c.left, loops), set())} {c.op} {self.value(_tree(c.right, loops), set())}"
        if isinstance(c, BoolOp):
            return f" {c.op} ".join(f"({self.cond(it, loops)})" if isinstance(it, BoolOp) else self.cond(it, loops)
                                    for it in c.items)
        inner = self.cond(c.item, loops)
        return f"not ({inner})" if isinstance(c.item, Compare | BoolOp) else f"not {inner}"

    def bound(self, e: Expr) -> str:
        """A bound of range: integer arithmetic on loop variables (``_ipow`` refuses a power past 2^64)."""
        if e.op == "const":
            return str(int(e.value))
        if e.op == "var":
            return self.lnames[e.name]
        a = [self.bound(x) for x in e.args]
        if e.op == "neg":
            return f"(-{a[0]})"
        if e.op == "pow":
            return f"_ipow({a[0]}, {a[1]})"
        return f"({a[0]} {dict(add='+', sub='-', mul='*')[e.op]} {a[1]})"

    def range_text(self, s: For) -> str:
        return "range(" + ", ".join(_strip(self.bound(b)) for b in s.bounds) + ")"


def _collect(body: Sequence[Any], assigned: list[str], loops: list[str]) -> None:
    for s in body:
        if isinstance(s, Assign):
            assigned.append(s.target)
        elif isinstance(s, For):
            loops.append(s.var)
            _collect(s.body, assigned, loops)
        elif isinstance(s, While):
            _collect(s.body, assigned, loops)
        elif isinstance(s, If):
            for b in _bodies(s):
                _collect(b, assigned, loops)


def _bodies(s: If) -> list[tuple[Any, ...]]:
    return [b for _, _, b in s.branches] + [s.orelse or ()]


_RESERVED = set(namespace("float")) | set(keyword.kwlist) | set(keyword.softkwlist) | {
    "range", "reversed", "float", "print", "len", "list"}


def _rename(user: list[str]) -> dict[str, str]:
    """Program names as generated names: themselves unless they clash with a function, a keyword or another
    name's ``_dot``/``_bar``; then ``_u_name`` (no program name starts with ``_``), or ``_u3`` if even that clashes."""
    taken = set(user)
    out = {}
    for v in user:
        clash = v in _RESERVED or f"{v}_dot" in taken or f"{v}_bar" in taken
        out[v] = f"_u_{v}" if clash else v
    made = [w for v in out.values() for w in (v, f"{v}_dot", f"{v}_bar")]
    if len(set(made)) != len(made) or set(made) & _RESERVED:
        out = {v: f"_u{i}" for i, v in enumerate(user)}
    return out


# --- writing the three programs -------------------------------------------------------------------


class _Out:
    """Lines of generated code, each with the program line it comes from (None for scaffolding)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, int | None]] = []

    def add(self, indent: int, text: str, line: int | None) -> None:
        self.lines.append(("    " * indent + text, line))

    def text(self) -> str:
        return "\n".join(t for t, _ in self.lines) + "\n"

    def map(self) -> tuple[int | None, ...]:
        return tuple(line for _, line in self.lines)


def _primal(g: _Gen) -> _Out:
    o = _Out()
    o.add(0, f"def {g.fname}({', '.join(g.names[v] for v in g.p.inputs)}):", None)
    o.add(1, "_start()", None)
    o.add(1, "_chk = 0.0", None)
    _forward(g, o, g.p.body, 1, "primal", frozenset())
    return o


def _jvp(g: _Gen) -> _Out:
    o = _Out()
    params = [g.names[v] for v in g.p.inputs] + [f"{g.names[v]}_dot" for v in g.p.inputs]
    o.add(0, f"def {g.fname}_jvp({', '.join(params)}):", None)
    o.add(1, "_start()", None)
    o.add(1, "_chk = 0.0", None)
    _forward(g, o, g.p.body, 1, "jvp", frozenset())
    return o


def _forward(g: _Gen, o: _Out, body: Sequence[Any], ind: int, mode: str, loops: frozenset[str]) -> None:
    """The program's statements as Python (``mode``: primal; jvp with tangents; vjp's forward sweep with pushes)."""
    for s in body:
        if isinstance(s, Assign):
            st = g.info[id(s)]
            y = g.names[s.target]
            temps: set[int] = set(g.needed(st)) if mode == "jvp" else set()
            chk = g.checks(st, temps)
            for i in sorted(temps):
                o.add(ind, f"_t{i} = {g.value(st.steps[i - 1], temps, define=True)}", s.line)
            if mode == "jvp" and s.target in g.active:
                o.add(ind, f"{y}_dot = {_dot(g, st)}", s.line)
            if mode == "vjp" and s.target in g.saved and id(s) not in g.fresh:
                o.add(ind, f"_push({y})", s.line)
            o.add(ind, f"{y} = {g.value(st.root, temps)}", s.line)
            if chk:
                o.add(ind, f"_chk += {' + '.join(chk)}", None)
        elif isinstance(s, For):
            o.add(ind, f"for {g.lnames[s.var]} in {g.range_text(s)}:", s.line)
            _forward(g, o, s.body, ind + 1, mode, loops | {s.var})
        elif isinstance(s, While):
            n = f"_n{s.line}"
            o.add(ind, f"{n} = 0", None)
            o.add(ind, f"while {g.cond(s.cond, loops)}:", s.line)
            o.add(ind + 1, f"{n} += 1", None)
            o.add(ind + 1, f"if {n} > {g.limit}:", None)
            o.add(ind + 2, "raise _Interpret", None)
            _forward(g, o, s.body, ind + 1, mode, loops)
            o.add(ind, f"_count({n})", None)
            if mode == "vjp" and _has_reverse(g, s.body):
                o.add(ind, f"_push({n})", None)
        elif isinstance(s, If):
            push = mode == "vjp" and any(_has_reverse(g, b) for b in _bodies(s))
            for k, (line, c, b) in enumerate(s.branches):
                o.add(ind, f"{'if' if k == 0 else 'elif'} {g.cond(c, loops)}:", line)
                _forward(g, o, b, ind + 1, mode, loops)
                if push:
                    o.add(ind + 1, f"_push({k})", None)
            if s.orelse or push:
                o.add(ind, "else:", None)
                if s.orelse:
                    _forward(g, o, s.orelse, ind + 1, mode, loops)
                if push:
                    o.add(ind + 1, f"_push({len(s.branches)})", None)
        else:  # Return
            outs, dots = [], []
            for e in s.outputs:
                st = g.info[id(e)]
                temps = set(g.needed(st)) if mode == "jvp" else set()
                chk = g.checks(st, temps)
                for i in sorted(temps):
                    o.add(ind, f"_t{i} = {g.value(st.steps[i - 1], temps, define=True)}", s.line)
                if chk:
                    o.add(ind, f"_chk += {' + '.join(chk)}", None)
                outs.append(g.value(st.root, temps))
                dots.append(_dot(g, st))
            o.add(ind, f"_out = [{', '.join(outs)}]", s.line)
            if mode == "primal":
                o.add(ind, "return _out, _chk", None)
            elif mode == "jvp":
                o.add(ind, f"return _out, [{', '.join(dots)}], _chk", s.line)


def _dot(g: _Gen, st: _Stmt) -> str:
    """The tangent of a statement's value: per step, the sum over active arguments of partial times tangent, in
    argument order, as ``program.tangents`` adds them (a partial of 1 or -1 leaves no product)."""
    root = st.root
    if not root.active:
        return "0.0"
    if root.kind == "var":
        return f"{g.names[root.name]}_dot"
    dots: dict[int, str] = {}
    for n in st.steps:
        if not n.live:
            continue
        terms = [_times(st.partials[(n.id, j)], f"{g.names[a.name]}_dot" if a.kind == "var" else dots[a.id], False)
                 for j, a in enumerate(n.args) if a.active]
        acc = terms[0]
        for t in terms[1:]:
            acc = f"({acc} + {t})"
        dots[n.id] = acc
    return _strip(dots[root.id])


def _times(d: Any, a: str, reverse: bool = True) -> str:
    """``a`` (an adjoint or a tangent) times a partial ``d``: a partial of 1 is ``a`` itself, of -1 its negation
    (the same floats as multiplying by 1.0 and -1.0)."""
    if not isinstance(d, str):
        if d == 1:
            return a
        if d == -1:
            return f"(-{a})"
        d = literal(d)
    return f"({a} * {d})" if reverse else f"({d} * {a})"


def _simple(a: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_]\w*", a))


def _has_reverse(g: _Gen, body: Sequence[Any]) -> bool:
    """Does the reverse sweep have anything to do for these statements (an adjoint, a restored value)?"""
    for s in body:
        if isinstance(s, Assign):
            if s.target in g.active or s.target in g.saved:
                return True
        elif isinstance(s, For | While):
            if _has_reverse(g, s.body):
                return True
        elif isinstance(s, If):
            if any(_has_reverse(g, b) for b in _bodies(s)):
                return True
    return False


def _vjp(g: _Gen) -> _Out:
    o = _Out()
    ret = g.p.body[-1]
    m = len(ret.outputs)
    params = [g.names[v] for v in g.p.inputs] + [f"_ybar{i}" for i in range(m)]
    o.add(0, f"def {g.fname}_vjp({', '.join(params)}, _seen=None):", None)
    o.add(1, "_start()", None)
    o.add(1, "_tape = []", None)
    o.add(1, "_push, _pop = _tape.append, _tape.pop", None)
    o.add(1, "_chk = 0.0", None)
    maybe = _maybe_unset(g)
    if maybe:
        o.add(1, f"{' = '.join(g.names[v] for v in maybe)} = None", None)
    o.add(1, "# forward sweep", None)
    _forward(g, o, g.p.body, 1, "vjp", frozenset())
    o.add(1, "if _seen is not None:", None)
    o.add(2, "_seen.append(list(_tape))", None)
    o.add(1, "# reverse sweep", None)
    bars = [g.names[v] for v in g.vars if v in g.active]
    o.add(1, " = ".join(f"{b}_bar" for b in bars) + " = 0.0", None)
    # the outputs' weights, in output order, then the return's steps backwards
    for i, e in enumerate(ret.outputs):
        st = g.info[id(e)]
        if st.root.kind == "var" and st.root.active:
            o.add(1, f"{g.names[st.root.name]}_bar += _ybar{i}", ret.line)
    for i, e in reversed(list(enumerate(ret.outputs))):
        st = g.info[id(e)]
        if st.root.kind == "op" and st.root.active:
            _adjoint(g, o, st, 1, ret.line, f"_ybar{i}", None)
    _reverse(g, o, g.p.body[:-1], 1)
    o.add(1, "if _seen is not None:", None)
    o.add(2, "_seen.append(list(_tape))", None)
    o.add(1, f"return _out, [{', '.join(g.names[v] + '_bar' for v in g.p.inputs)}], _chk", None)
    return o


def _fresh(body: Sequence[Any]) -> set[int]:
    """The assignments that can only meet their variable unset (its first, outside any loop that assigns it
    again): nothing to save before them."""
    fresh: set[int] = set()

    def walk(body: Sequence[Any], possible: set[str]) -> set[str]:
        for s in body:
            if isinstance(s, Assign):
                if s.target not in possible:
                    fresh.add(id(s))
                possible = possible | {s.target}
            elif isinstance(s, For | While):
                assigned: list[str] = []
                _collect(s.body, assigned, [])
                possible = possible | set(assigned)
                walk(s.body, possible)
            elif isinstance(s, If):
                possible = set().union(*[walk(b, set(possible)) for b in _bodies(s)])
        return possible

    walk(body, set())
    return fresh


def _maybe_unset(g: _Gen) -> list[str]:
    """Saved variables that a push can meet before their first assignment: they start as None, which the reverse
    sweep restores and nothing reads (the interpreter refuses to read a variable before it has a value)."""
    out: list[str] = []

    def walk(body: Sequence[Any], defined: set[str]) -> set[str]:
        for s in body:
            if isinstance(s, Assign):
                if s.target in g.saved and s.target not in defined and s.target not in out and id(s) not in g.fresh:
                    out.append(s.target)
                defined = defined | {s.target}
            elif isinstance(s, For | While):
                walk(s.body, set(defined))
            elif isinstance(s, If):
                defined = set.intersection(*[walk(b, set(defined)) for b in _bodies(s)])
        return defined

    walk(g.p.body, set(g.p.inputs))
    return out


def _reverse(g: _Gen, o: _Out, body: Sequence[Any], ind: int) -> None:
    """The statements backwards: pops restore what the forward sweep pushed, in the opposite order."""
    before = len(o.lines)
    _reverse_block(g, o, body, ind)
    if len(o.lines) == before and ind > 1:  # x = x + 1 leaves x's adjoint as it is: nothing to do
        o.add(ind, "pass", None)


def _reverse_block(g: _Gen, o: _Out, body: Sequence[Any], ind: int) -> None:
    for s in reversed(body):
        if isinstance(s, Assign):
            y = g.names[s.target]
            if s.target in g.saved and id(s) not in g.fresh:
                o.add(ind, f"{y} = _pop()", s.line)
            if s.target in g.active:
                _adjoint(g, o, g.info[id(s)], ind, s.line, f"{y}_bar", y)
        elif isinstance(s, For):
            if _has_reverse(g, s.body):
                o.add(ind, f"for {g.lnames[s.var]} in reversed({g.range_text(s)}):", s.line)
                _reverse(g, o, s.body, ind + 1)
        elif isinstance(s, While):
            if _has_reverse(g, s.body):
                o.add(ind, "for _ in range(_pop()):", s.line)
                _reverse(g, o, s.body, ind + 1)
        elif isinstance(s, If):
            bodies = _bodies(s)
            if not any(_has_reverse(g, b) for b in bodies):
                continue
            b = f"_br{s.line}"
            o.add(ind, f"{b} = _pop()", s.line)
            first = True
            for k, body_k in enumerate(bodies):
                if not _has_reverse(g, body_k):
                    continue
                line = s.branches[k][0] if k < len(s.branches) else None
                o.add(ind, f"{'if' if first else 'elif'} {b} == {k}:", line)
                first = False
                _reverse(g, o, body_k, ind + 1)


def _adjoint(g: _Gen, o: _Out, st: _Stmt, ind: int, line: int, bar: str, target: str | None) -> None:
    """One statement backwards: recompute the intermediates its partials read, then send the new value's
    adjoint ``bar`` back through its steps (reverse order, arguments in order, as ``program.adjoints`` does).
    The target's own adjoint restarts: contributions to its old value come last (``y_bar = y_bar * 0.5``)."""
    root = st.root
    if not root.active:
        if target is not None:
            o.add(ind, f"{bar} = 0.0", line)
        return
    need = g.needed(st)
    uses: dict[int, int] = {}
    for d in st.partials.values():
        if isinstance(d, str):
            for m in _TEMP.findall(d):
                uses[int(m)] = uses.get(int(m), 0) + 1
    inner = {i for k in need for i in _inner(st.steps[k - 1])}
    temps = {i for i in need if uses.get(i, 0) > 1 or i in inner}
    inline = {i: g.value(st.steps[i - 1], temps, define=True) for i in need if i not in temps}
    for i in sorted(temps):
        o.add(ind, f"_t{i} = {g.value(st.steps[i - 1], temps, define=True)}", line)

    def sub(d: Any) -> Any:
        if not isinstance(d, str):
            return d
        return _TEMP.sub(lambda m: f"({inline[int(m.group(1))]})" if int(m.group(1)) in inline else m.group(0), d)

    own = sum(1 for n in st.steps if n.live for a in n.args if a.active and a.kind == "var"
              and target is not None and g.names[a.name] == target)
    top = bar
    if own > 1:  # the old value's adjoint restarts while the new one's is still being read
        o.add(ind, f"_g = {bar}", line)
        top = "_g"
    contributions: list[tuple[str, str]] = []  # (variable, text), in the interpreter's order
    if root.kind == "var":  # a copy, y = x: x's node is y's (the interpreter sums into one adjoint; here, two)
        contributions.append((g.names[root.name], top))
    bars: dict[int, str] = {root.id: top}
    for n in reversed(st.steps):
        if not n.live:
            continue
        b = bars[n.id]
        act = [j for j, a in enumerate(n.args) if a.active]
        if len(act) > 1 and not _simple(b):
            o.add(ind, f"_b{n.id} = {_strip(b)}", line)
            b = f"_b{n.id}"
        for j in act:
            a = n.args[j]
            c = _times(sub(st.partials[(n.id, j)]), b)
            if a.kind == "var":
                contributions.append((g.names[a.name], c))
            else:
                bars[a.id] = c
    mine = [c for v, c in contributions if v == target]
    for v, c in contributions:
        if v != target:
            o.add(ind, _accumulate(v, c), line)
    if target is not None:
        if not mine:
            o.add(ind, f"{bar} = 0.0", line)
        for k, c in enumerate(mine):
            if k > 0:
                o.add(ind, _accumulate(target, c), line)
            elif _strip(c) != bar:  # y = y + t leaves y's adjoint as it is
                o.add(ind, f"{bar} = {_strip(c)}", line)


def _inner(n: _N) -> set[int]:
    """The steps below ``n``."""
    out: set[int] = set()
    for a in n.args:
        if a.kind == "op":
            out.add(a.id)
            out |= _inner(a)
    return out


def _accumulate(v: str, c: str) -> str:
    """``v_bar += c``; a negated contribution as ``v_bar -= ...`` (x - y and x + (-y) are the same float)."""
    c = _strip(c)
    if c.startswith("-") and _simple(c[1:]):
        return f"{v}_bar -= {c[1:]}"
    return f"{v}_bar += {c}"


# --- the result ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TapeStats:
    """What one run of the VJP put on its tape: entries pushed and popped, the tape's longest length, and how many
    of the entries are saved values (the others are branch decisions and while-loop counts)."""

    pushes: int
    pops: int
    peak: int
    values: int


@dataclass(frozen=True)
class LoopCode:
    """The generated primal, JVP and VJP of a program (text and runnable functions), with a line map.

    ``line_map["vjp"][i]`` is the program line that line ``i`` of ``vjp_source`` comes from (None for
    scaffolding: the tape, counters, checks). Each call runs the generated code and hands the call to the
    interpreter where it cannot answer (see the module doc), so results and errors are the interpreter's.
    """

    program: Program = field(repr=False)
    primal_source: str
    jvp_source: str
    vjp_source: str
    line_map: dict[str, tuple[int | None, ...]]
    _fns: dict[str, Callable[..., Any]] = field(repr=False, compare=False)

    def _fn(self, kind: str) -> Callable[..., Any]:
        fn = self._fns.get(kind)
        if fn is None:  # unpickled: compiled again from its text
            fn = self._fns[kind] = _function(kind, getattr(self, f"{kind}_source"), self.program.limits)
        return fn

    def __getstate__(self) -> dict[str, Any]:
        """Pickled as its texts and program, without the compiled functions (made again when first called)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "_fns"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_fns", {})

    def _x(self, x: Sequence[float]) -> list[float]:
        x = [float(v) for v in x]
        if len(x) != len(self.program.inputs):
            raise ValueError(f"expected {len(self.program.inputs)} input values ({', '.join(self.program.inputs)}), "
                             f"got {len(x)}")
        return x

    def primal(self, x: Sequence[float]) -> list[float]:
        """The outputs at ``x``."""
        x = self._x(x)
        try:
            out, chk = self._fn("primal")(*x)
            if _finite(out, chk):
                return [float(v) for v in out]
        except (ValueError, ArithmeticError, TypeError, NameError, _Interpret):
            pass
        wl = self.program.trace(x)
        return wl.output_values(traced_values(wl, x))

    def jvp(self, x: Sequence[float], xdot: Sequence[float]) -> tuple[list[float], list[float]]:
        """The outputs and their tangents ``J·ẋ`` at ``x``."""
        x, xdot = self._x(x), self._x(xdot)
        try:
            out, dot, chk = self._fn("jvp")(*x, *xdot)
            if _finite(out, chk + sum(dot)):
                return [float(v) for v in out], [float(v) for v in dot]
        except (ValueError, ArithmeticError, TypeError, NameError, _Interpret):
            pass
        wl = self.program.trace(x)
        vals = traced_values(wl, x)
        return wl.output_values(vals), tangents(wl, vals, xdot)

    def vjp(self, x: Sequence[float], ybar: Sequence[float]) -> tuple[list[float], list[float]]:
        """The outputs and the inputs' adjoints ``ȳ·J`` at ``x``."""
        return self._vjp(x, ybar, None)

    def _vjp(self, x: Sequence[float], ybar: Sequence[float], seen: list | None
             ) -> tuple[list[float], list[float]]:
        x = self._x(x)
        w = [float(v) for v in ybar]
        if len(w) != self.program.m:
            raise ValueError(f"expected {self.program.m} output weights, got {len(w)}")
        try:
            out, bar, chk = self._fn("vjp")(*x, *w, _seen=seen)
            if _finite(out, chk + sum(bar)):
                return [float(v) for v in out], [float(v) for v in bar]
        except (ValueError, ArithmeticError, TypeError, NameError, IndexError, _Interpret):
            if seen is not None:
                seen.clear()
        wl = self.program.trace(x)
        vals = traced_values(wl, x)
        return wl.output_values(vals), adjoints(wl, vals, w)

    def vjp_stats(self, x: Sequence[float], ybar: Sequence[float]) -> TapeStats:
        """What the VJP's tape held at ``x``: pushes, pops, peak length, saved values (the rest is control)."""
        seen: list[list[Any]] = []
        self._vjp(x, ybar, seen)
        if len(seen) != 2:
            raise ValueError("the generated VJP could not run at this point (the interpreter answered instead), so "
                             "its tape was not measured")
        mid, end = seen
        return TapeStats(len(mid), len(mid) - len(end), len(mid), sum(1 for v in mid if type(v) is not int))

    def memory_profile(self, point: Sequence[float], counts: Sequence[int],
                       program_for: Callable[[int], Program] | None = None) -> Any:
        """:func:`memory_profile` of this program (its first ``range(N)`` scaled), or of ``program_for(n)``."""
        return memory_profile(program_for or self.program, point, counts)


def _finite(out: Sequence[float], extra: float) -> bool:
    s = extra + sum(out)
    return s - s == 0.0


def _ipow(a: int, b: int) -> int:
    if b < 0 or (abs(a) > 1 and b > 64):
        raise _Interpret
    return a**b


def _budget(limits: ProgramLimits, sweeps: int) -> dict[str, Callable[..., Any]]:
    """``range`` and ``_count`` for generated code: a loop longer than the program's limit per loop, or more
    iterations in one call than its limit in all (``_start`` resets the count, per thread), go to the interpreter,
    which raises its :class:`~diffzoo.LimitError`. A VJP runs its ranges twice (forward and backwards)."""
    local = threading.local()

    def start() -> None:
        local.left = limits.total_iterations * sweeps

    def count(n: int) -> None:
        local.left -= n
        if local.left < 0:
            raise _Interpret

    def checked(*bounds: int) -> range:
        r = range(*bounds)
        if len(r) > limits.iterations:
            raise _Interpret
        count(len(r))
        return r

    return {"range": checked, "_count": count, "_start": start}


def _function(kind: str, text: str, limits: ProgramLimits) -> Callable[..., Any]:
    """Our generated ``text`` compiled and run in the table's namespace: its function."""
    ns = namespace("float")
    ns.update({"reversed": reversed, "float": float, "list": list, "_ipow": _ipow, "_Interpret": _Interpret})
    ns.update(_budget(limits, 2 if kind == "vjp" else 1))
    exec(compile(text, f"<diffzoo {kind}>", "exec"), ns)  # noqa: S102 - our own text, see the module doc
    return ns[text[4:text.index("(")]]


def generate(program: Program) -> LoopCode:
    """The loop-keeping primal, JVP and VJP of ``program`` (a :class:`~diffzoo.program.Program`)."""
    cached = program.__dict__.get("_loopcode")
    if cached is not None and cached.program is program and cached._fns.get("body") is program.body:
        return cached
    g = _Gen(program)
    outs = {"primal": _primal(g), "jvp": _jvp(g), "vjp": _vjp(g)}
    fns: dict[str, Callable[..., Any]] = {"body": program.body}  # type: ignore[dict-item]
    for kind, o in outs.items():
        fns[kind] = _function(kind, o.text(), program.limits)
    code = LoopCode(program, outs["primal"].text(), outs["jvp"].text(), outs["vjp"].text(),
                    {k: o.map() for k, o in outs.items()}, fns)
    program.__dict__["_loopcode"] = code
    return code


# --- memory: the tape against live values ----------------------------------------------------------------


def scaled(program: Program, n: int) -> Program:
    """``program`` with its first ``for`` loop over a constant ``range(N)`` (or ``range(a, N)``) running ``n``
    times, and limits that allow it."""
    done = [False]

    def walk(body: tuple[Any, ...]) -> tuple[Any, ...]:
        out = []
        for s in body:
            if not done[0] and isinstance(s, For) and len(s.bounds) <= 2 and all(b.op == "const" for b in s.bounds):
                start = int(s.bounds[0].value) if len(s.bounds) == 2 else 0
                bounds = (const(start + n),) if len(s.bounds) == 1 else (s.bounds[0], const(start + n))
                s = dataclasses.replace(s, bounds=bounds)
                done[0] = True
            elif isinstance(s, For | While):
                s = dataclasses.replace(s, body=walk(s.body))
            elif isinstance(s, If):
                s = dataclasses.replace(s, branches=tuple((ln, c, walk(b)) for ln, c, b in s.branches),
                                        orelse=walk(s.orelse) if s.orelse else s.orelse)
            out.append(s)
        return tuple(out)

    body = walk(program.body)
    if not done[0]:
        raise ValueError("the program has no for loop over a constant range(N) to scale; pass program_for(n) instead")
    return dataclasses.replace(program, body=body, limits=ProgramLimits.unbounded())


def memory_profile(program: Program | Callable[[int], Program], point: Sequence[float],
                   counts: Sequence[int]) -> Any:
    """Reverse mode's tape against forward mode's live values, and their times, as the iterations grow.

    ``program`` is a callable ``program_for(n) -> Program``, or a :class:`Program` whose first ``for`` loop over a
    constant ``range(N)`` is scaled to ``n`` iterations (:func:`scaled`). For each ``n`` in ``counts``, one row:

    - ``reverse_tape_values``: the VJP's tape at its longest (saved values, branch decisions, loop counts);
    - ``forward_live_values``: what the JVP keeps, a value and a tangent per variable, whatever ``n`` is;
    - ``reverse_seconds``, ``forward_seconds``: one VJP and one JVP with all weights and seeds 1 (best of 3).
    """
    import pandas as pd

    rows = []
    for n in counts:
        prog = program(n) if callable(program) and not isinstance(program, Program) else scaled(program, n)
        code = generate(prog)
        ones_in = [1.0] * len(prog.inputs)
        ones_out = [1.0] * prog.m
        stats = code.vjp_stats(point, ones_out)
        g = _Gen(prog)
        live = len(g.vars) + len(g.loops_all) + sum(1 for v in g.vars if v in g.active)
        rows.append({"iterations": n, "reverse_tape_values": stats.peak, "forward_live_values": live,
                     "reverse_seconds": _best(code.vjp, point, ones_out),
                     "forward_seconds": _best(code.jvp, point, ones_in)})
    return pd.DataFrame(rows, columns=["iterations", "reverse_tape_values", "forward_live_values",
                                       "reverse_seconds", "forward_seconds"])


def _best(f: Callable[..., Any], *args: Any, repeats: int = 3) -> float:
    best = math.inf
    for _ in range(repeats):
        t = time.perf_counter()
        f(*args)
        best = min(best, time.perf_counter() - t)
    return best


__all__ = ["LoopCode", "TapeStats", "generate", "memory_profile", "scaled", "TEXT"]

"""Programs: loops and branches, traced at a point into a Wengert list (eager tracing, as PyTorch does).

The language grows from the expression language (``parse.py``) by statements, one a line, blocks by
indentation with spaces::

    def f(x, n):                      # optional header: the inputs and their order
        s = 0                         # name = expr, and += -= *= /=
        for k in range(1, 10):        # range(a), range(a, b), range(a, b, step): integer bounds made of
            s += x^k / k              #   integer constants and enclosing loop variables, never inputs
        while abs(s) > 1 and not s < 0:   # conditions: < <= > >= == != with and, or, not
            s = s / 2
        if s > 0.5:                   # if / elif / else
            s = s - 1
        elif s < -0.5:
            s = s + 1
        else:
            s = 2 * s
        return s, x * s               # one or more outputs (a vector function)

Expressions are ``parse.py``'s (``max(a, b)`` and ``min(a, b)`` included), parsed by its parser at their
column so that carets point into the program. Nothing is ever evaluated as Python: the text is read by
a recursive descent over these tokens into the small AST below (:class:`Program` of :class:`Assign`,
:class:`For`, :class:`While`, :class:`If`, :class:`Return`; conditions :class:`Compare`, :class:`BoolOp`,
:class:`Not`), which the tracer walks.

**Tracing** (:meth:`Program.trace`) runs the AST at a point through the table's primitives and records
the path taken as a :class:`~diffzoo.wengert.WengertList` whose extra fields say where each step came
from: ``origins[k]`` is the step's :class:`Origin` (source line and the loop iterations it belongs to,
``(("k", 3),)`` or ``(("while@4", 2),)``), ``guards`` every branch decision as a :class:`Guard` (the
comparison's text, its two values, the outcome and the margin), and ``program`` the program itself, so
that numeric differences can run it again at x ± h and see a guard flip. Every method then works on
that list as it is (``Function.at(x)`` is the path as a function). For speed the tracer compiles the program
into closures once (:class:`_Tracer`), an assignment run often gets generated straight-line code that appends
its steps at once and sweeps them in reverse (:func:`_template`), and the list keeps the compact record,
making :class:`~diffzoo.wengert.Step` and :class:`Origin` objects only when they are read; the steps, values,
origins, guards, errors and derivatives are the same, bit for bit.

For the loop-keeping compiler (part 2), the AST keeps every statement's line and its expressions as
``Expr`` trees (targets by name; ``For`` bounds as integer ``Expr`` trees over loop variables), and a
traced list numbers its steps in execution order, so a statement's steps in iteration ``k`` are
contiguous and ``origins`` maps them back to their statement.
"""

from __future__ import annotations

import gc
import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import parse as _parse
from .backends import FLOATS, partial_rules
from .errors import EvaluationError, LimitError, ParseError
from .expr import Expr, const, fold, make, nodes, var
from .primitives import CONSTANTS, FUNCTIONS, PRIMITIVES, Primitive
from .wengert import Const, Operand, Step, WengertList, vname

# --- limits ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramLimits:
    """How much a program may be and do; each is refused with a message naming the line and the limit."""

    length: int = 100_000  # characters of text
    statements: int = 1_000
    depth: int = 20  # nested blocks
    iterations: int = 50_000  # per loop (each entry into a loop counts from 0)
    total_iterations: int = 1_000_000  # all loops together, in one run
    steps: int = 50_000  # steps recorded in one trace
    symbolic: int = 5_000  # steps of a path that symbolic differentiation takes (its expressions swell)

    @classmethod
    def unbounded(cls) -> ProgramLimits:
        """For trusted, program-built text (benchmarks)."""
        big = 10**9
        return cls(big, big, 1_000, big, big, big, big)


DEFAULT_PROGRAM_LIMITS = ProgramLimits()

# --- the AST -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """``left op right``: one comparison, the unit of a guard."""

    line: int
    op: str  # < <= > >= == !=
    left: Expr
    right: Expr
    text: str  # as written


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    item: Any


@dataclass(frozen=True)
class Assign:
    line: int
    target: str
    op: str  # "=", "+=", "-=", "*=", "/="
    expr: Expr


@dataclass(frozen=True)
class For:
    line: int
    var: str
    bounds: tuple[Expr, ...]  # range's 1 to 3 arguments, integer expressions over enclosing loop variables
    body: tuple[Any, ...]


@dataclass(frozen=True)
class While:
    line: int
    cond: Any
    body: tuple[Any, ...]


@dataclass(frozen=True)
class If:
    line: int
    branches: tuple[tuple[int, Any, tuple[Any, ...]], ...]  # (line, condition, body) for if and each elif
    orelse: tuple[Any, ...] | None


@dataclass(frozen=True)
class Return:
    line: int
    outputs: tuple[Expr, ...]


@dataclass(frozen=True)
class Origin:
    """Where a step of a traced list comes from: its source line and the loop iterations around it."""

    line: int
    loops: tuple[tuple[str, int], ...]  # (loop variable, value) or ("while@LINE", iteration), outermost first

    def __str__(self) -> str:
        return f"line {self.line}" + (f" ({loops_text(self.loops)})" if self.loops else "")


@dataclass(frozen=True)
class Guard:
    """One branch decision of a traced run: the comparison, its two values, the outcome and the margin."""

    line: int
    kind: str  # "if", "elif", "while"
    text: str  # the comparison as written, e.g. "x > 0"
    left: float
    right: float
    outcome: bool
    active: bool  # does either side depend on the inputs? (if not, no input can flip it)
    loops: tuple[tuple[str, int], ...] = ()

    @property
    def margin(self) -> float:
        """How far the two sides are apart: 0 is on the boundary, where the branch may change."""
        return abs(self.left - self.right)

    def describe(self) -> str:
        return (f"line {self.line} ({self.kind} {self.text}: {self.left:.6g} vs {self.right:.6g}, "
                f"{'true' if self.outcome else 'false'}, margin {self.margin:.3g})")


def loops_text(loops: Sequence[tuple[str, int]]) -> str:
    """``k = 3, iteration 2 of the while loop at line 5``."""
    parts = []
    for name, v in loops:
        if name.startswith("while@"):
            parts.append(f"iteration {v} of the while loop at line {name[6:]}")
        else:
            parts.append(f"{name} = {v}")
    return ", ".join(parts)


# --- deciding: a program or an expression? ------------------------------------------------------

_STATEMENT_START = re.compile(r"^[ \t]*(def|return|for|while|if|elif|else)\b", re.M)
_ASSIGNMENT = re.compile(r"^[ \t]*[A-Za-z_]\w*[ \t]*[-+*/]?=(?!=)", re.M)


def is_program(text: str) -> bool:
    """A program has a statement keyword starting a line (``return``, ``def``, ``for``, ``while``, ``if``), or
    several lines with an assignment. One line such as ``x = 3`` stays an expression (refused as before)."""
    if not isinstance(text, str):
        return False
    if _STATEMENT_START.search(text):
        return True
    lines = [ln for ln in text.split("\n") if ln.strip() and not ln.strip().startswith("#")]
    return len(lines) > 1 and bool(_ASSIGNMENT.search(text))


# --- lexing ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>[ \t]+)
  | (?P<comment>\#.*)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|\+=|-=|\*=|/=|<=|>=|==|!=|:=|->|//|[-+*/^(),:<>=])
""", re.VERBOSE)

_KEYWORDS = {"def", "for", "in", "while", "if", "elif", "else", "return", "and", "or", "not", "range"}
_NOT_LANGUAGE = {
    "lambda": "lambdas are not part of the program language; write the expression where it is used",
    "import": "imports are not part of the program language: only the built-in functions are available",
    "from": "imports are not part of the program language: only the built-in functions are available",
    "global": "'global' is not part of the program language: every name is local to the program",
    "nonlocal": "'nonlocal' is not part of the program language",
    "with": "'with' is not part of the program language",
    "try": "'try' is not part of the program language: an error stops the program with its line",
    "except": "'except' is not part of the program language",
    "finally": "'finally' is not part of the program language",
    "raise": "'raise' is not part of the program language",
    "yield": "'yield' is not part of the program language: return the outputs at the end",
    "class": "classes are not part of the program language",
    "del": "'del' is not part of the program language",
    "pass": "'pass' is not part of the program language: a block needs a statement",
    "break": "'break' is not part of the program language: write the condition into a while loop",
    "continue": "'continue' is not part of the program language: use if/else in the loop's body",
    "assert": "'assert' is not part of the program language",
    "async": "'async' is not part of the program language",
    "await": "'await' is not part of the program language",
    "is": "'is' is not part of the program language: compare numbers with == or !=",
    "None": "None is not part of the program language: every value is a number",
    "True": "True is not part of the program language: compare numbers, e.g. x > 0",
    "False": "False is not part of the program language: compare numbers, e.g. x > 0",
    "match": "'match' is not part of the program language: use if/elif/else",
    "case": "'case' is not part of the program language: use if/elif/else",
    "type": "'type' is not part of the program language",
    "print": "printing is not part of the program language: return what you want to see",
}
_HELP = ("A program has one statement a line: name = expr (or += -= *= /=), for k in range(...):, "
         "while cond:, if cond: / elif cond: / else:, and return expr, ... at the end.")


@dataclass(frozen=True)
class _Tok:
    kind: str  # num, name, op
    text: str
    pos: int  # column

    @property
    def end(self) -> int:
        return self.pos + len(self.text)


def _fail(lineno: int, line: str, pos: int, msg: str, hint: str = _HELP) -> ParseError:
    err = ParseError(f"line {lineno}: {msg}", line, pos, hint)
    err.line = lineno  # type: ignore[attr-defined]
    return err


def _lex(lineno: int, line: str) -> list[_Tok]:
    toks, pos = [], 0
    while pos < len(line):
        m = _TOKEN.match(line, pos)
        if m is None:
            try:
                _parse._refuse_char(line, pos)
            except ParseError as exc:
                raise _fail(lineno, line, exc.pos, exc.message, exc.hint or _HELP) from None
        kind = m.lastgroup
        if kind == "comment":
            break
        if kind != "ws":
            tok = m.group()
            if tok == ":=":
                raise _fail(lineno, line, pos, "the walrus operator ':=' is not part of the program language",
                            "Assign on a line of its own: name = expr.")
            if tok in ("->", "//"):
                raise _fail(lineno, line, pos, f"'{tok}' is not part of the program language")
            toks.append(_Tok(kind, tok, pos))
        pos = m.end()
    return toks


# --- parsing -----------------------------------------------------------------------------------------


@dataclass
class _Line:
    no: int
    indent: int
    text: str
    toks: list[_Tok]


def _lines(text: str, limits: ProgramLimits) -> list[_Line]:
    out = []
    for no, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        lead = line[: len(line) - len(stripped)]
        if "\t" in lead:
            raise _fail(no, line, lead.index("\t"), "a tab in the indentation",
                        "Indent with spaces only (4 a level, say); tabs are not guessed at.")
        toks = _lex(no, line)
        if not toks:
            continue
        out.append(_Line(no, len(lead), line, toks))
        if len(out) > limits.statements:
            raise _fail(no, line, len(lead), f"too many statements (at most {limits.statements:,})",
                        "Write a shorter program; loops repeat statements without writing them out.")
    return out


class _Parser:
    """Statements by recursive descent over lines; expressions by ``parse.py`` at their columns."""

    def __init__(self, text: str, limits: ProgramLimits, expr_limits: Any):
        self.text, self.limits, self.expr_limits = text, limits, expr_limits
        self.lines = _lines(text, limits)
        self.i = 0
        self.loop_vars: list[str] = []

    # -- expressions
    def expr(self, ln: _Line, toks: list[_Tok], what: str, outputs: bool = False) -> list[Expr]:
        if not toks:
            pos = len(ln.text.rstrip())
            raise _fail(ln.no, ln.text, pos, f"{what} is missing", "Write an expression, e.g. x^2 + 1.")
        depth = 0
        for t in toks:
            if t.text == "(":
                depth += 1
            elif t.text == ")":
                depth -= 1
            if t.kind == "name" and t.text in _KEYWORDS and t.text != "range":
                raise _fail(ln.no, ln.text, t.pos, f"'{t.text}' cannot stand inside an expression")
            if t.kind == "name" and t.text in _NOT_LANGUAGE:
                raise _fail(ln.no, ln.text, t.pos, _NOT_LANGUAGE[t.text])
            if t.text in ("=", "+=", "-=", "*=", "/="):
                raise _fail(ln.no, ln.text, t.pos, "an assignment inside an expression",
                            "Assign once a line: name = expr.")
            if t.text in ("<", "<=", ">", ">=", "==", "!="):
                raise _fail(ln.no, ln.text, t.pos, "a comparison is not a number",
                            "Comparisons go in if and while conditions: if x > 0:")
            if t.text == ":":
                raise _fail(ln.no, ln.text, t.pos, "an unexpected ':'", _HELP)
            if t.text == "," and depth == 0 and not outputs:
                raise _fail(ln.no, ln.text, t.pos, "a comma here", "Only return lists several outputs: return a, b.")
        try:
            exprs = _parse.expression_at(ln.text, toks[0].pos, toks[-1].end, self.expr_limits)
        except ParseError as exc:
            raise _fail(ln.no, ln.text, exc.pos, exc.message, exc.hint) from None
        try:
            return _parse.written_out(exprs, ln.text, self.expr_limits)
        except ParseError as exc:
            raise _fail(ln.no, ln.text, exc.pos, exc.message, exc.hint) from None

    def cond(self, ln: _Line, toks: list[_Tok]) -> Any:
        self._ctoks, self._ci, self._cline = toks, 0, ln
        if not toks:
            raise _fail(ln.no, ln.text, len(ln.text.rstrip()), "the condition is missing",
                        "Write a comparison, e.g. x > 0.")
        c = self._or()
        if self._ci < len(toks):
            t = toks[self._ci]
            raise _fail(ln.no, ln.text, t.pos, f"unexpected '{t.text}' in the condition",
                        "Join comparisons with and, or, not: x > 0 and y < 1.")
        return c

    def _peek(self) -> _Tok | None:
        return self._ctoks[self._ci] if self._ci < len(self._ctoks) else None

    def _or(self) -> Any:
        items = [self._and()]
        while (t := self._peek()) is not None and t.text == "or":
            self._ci += 1
            items.append(self._and())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def _and(self) -> Any:
        items = [self._not()]
        while (t := self._peek()) is not None and t.text == "and":
            self._ci += 1
            items.append(self._not())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def _not(self) -> Any:
        t = self._peek()
        if t is not None and t.text == "not":
            self._ci += 1
            return Not(self._not())
        return self._comparison()

    def _comparison(self) -> Any:
        ln, toks = self._cline, self._ctoks
        start = self._ci
        t = self._peek()
        if t is None:
            raise _fail(ln.no, ln.text, len(ln.text.rstrip()), "the condition ends too early",
                        "Write a comparison, e.g. x > 0.")
        if t.text == "(":  # a parenthesised condition, if it holds a comparison or and/or/not at its top level
            depth, j, boolean = 0, start, False
            while j < len(toks):
                if toks[j].text == "(":
                    depth += 1
                elif toks[j].text == ")":
                    depth -= 1
                    if depth == 0:
                        break
                elif depth == 1 and (toks[j].text in _CMP or toks[j].text in ("and", "or", "not")):
                    boolean = True
                j += 1
            if boolean:
                inner = toks[start + 1:j]
                saved = (self._ctoks, self._ci)
                sub = self.cond(ln, inner)
                self._ctoks, self._ci, self._cline = saved[0], j + 1, ln
                return sub
        # the left side: up to a comparison operator at depth 0
        depth, j = 0, start
        while j < len(toks) and not (depth == 0 and (toks[j].text in _CMP or toks[j].text in ("and", "or"))):
            depth += toks[j].text == "("
            depth -= toks[j].text == ")"
            j += 1
        if j >= len(toks) or toks[j].text not in _CMP:
            where = toks[j].pos if j < len(toks) else len(ln.text.rstrip())
            raise _fail(ln.no, ln.text, where, "a condition must compare two numbers",
                        "Write a comparison with < <= > >= == or !=, e.g. x > 0 (a bare number is not a condition).")
        op = toks[j]
        left = self.expr(ln, toks[start:j], "the left side of the comparison")[0]
        k = j + 1
        depth = 0
        while k < len(toks) and not (depth == 0 and (toks[k].text in _CMP or toks[k].text in ("and", "or"))):
            depth += toks[k].text == "("
            depth -= toks[k].text == ")"
            k += 1
        if k < len(toks) and toks[k].text in _CMP:
            raise _fail(ln.no, ln.text, toks[k].pos, "chained comparisons are not part of the language",
                        "Write a < b and b < c.")
        right_toks = toks[j + 1:k]
        if not right_toks:
            raise _fail(ln.no, ln.text, op.end, "the right side of the comparison is missing",
                        "Write a comparison, e.g. x > 0.")
        right = self.expr(ln, right_toks, "the right side of the comparison")[0]
        self._ci = k
        text = ln.text[toks[start].pos:right_toks[-1].end]
        return Compare(ln.no, op.text, left, right, text)

    # -- statements
    def program(self) -> tuple[tuple[str, ...] | None, str, tuple[Any, ...]]:
        if not self.lines:
            raise ParseError("the program is empty", self.text, 0, "Type a program ending in return, or an expression.")
        first = self.lines[0]
        header, name = None, "f"
        if first.toks[0].text == "def":
            header, name = self.header(first)
            self.i = 1
            if self.i >= len(self.lines) or self.lines[1].indent <= first.indent:
                raise _fail(first.no, first.text, len(first.text.rstrip()), "the header has no body",
                            "Indent the program's lines under def f(x):.")
            body = self.block(self.lines[1].indent, 1)
            if self.i < len(self.lines):
                ln = self.lines[self.i]
                raise _fail(ln.no, ln.text, ln.indent, "a statement after the function's body",
                            "Everything belongs inside def, ending in return.")
        else:
            if first.indent:
                raise _fail(first.no, first.text, 0, "the first line is indented", "Start the program at column 1.")
            body = self.block(0, 0)
        if not body or not isinstance(body[-1], Return):
            ln = self.lines[-1]
            raise _fail(ln.no, ln.text, ln.indent, "the program must end with return",
                        "End it with return and the outputs, e.g. return y.")
        return header, name, body

    def header(self, ln: _Line) -> tuple[tuple[str, ...], str]:
        t = ln.toks
        usage = "Write the header as def f(x, y): with the inputs' names."
        if len(t) < 5 or t[1].kind != "name" or t[2].text != "(" or t[-1].text != ":" or t[-2].text != ")":
            raise _fail(ln.no, ln.text, t[min(1, len(t) - 1)].pos, "a malformed header", usage)
        names = []
        for j, tok in enumerate(t[3:-2]):
            if j % 2 == 1:
                if tok.text != ",":
                    raise _fail(ln.no, ln.text, tok.pos, "expected ',' between the inputs", usage)
                continue
            if tok.kind != "name" or tok.text in _KEYWORDS or tok.text in FUNCTIONS or tok.text in CONSTANTS \
                    or tok.text.startswith("_") or tok.text in _NOT_LANGUAGE:
                raise _fail(ln.no, ln.text, tok.pos, f"'{tok.text}' cannot be an input's name", usage)
            if tok.text in names:
                raise _fail(ln.no, ln.text, tok.pos, f"the input '{tok.text}' is named twice", usage)
            names.append(tok.text)
        if len(t[3:-2]) % 2 == 0 and len(t) > 5:
            raise _fail(ln.no, ln.text, t[-3].pos, "a trailing ',' in the header", usage)
        return tuple(names), t[1].text

    def block(self, indent: int, depth: int) -> tuple[Any, ...]:
        if depth > self.limits.depth:
            ln = self.lines[self.i]
            raise _fail(ln.no, ln.text, ln.indent, f"blocks nested too deeply (more than {self.limits.depth} levels)",
                        "Flatten the program.")
        out: list[Any] = []
        while self.i < len(self.lines):
            ln = self.lines[self.i]
            if ln.indent < indent:
                break
            if ln.indent > indent:
                raise _fail(ln.no, ln.text, indent, "unexpected indentation",
                            "Indent only the body of a for, while, if, elif or else.")
            out.append(self.statement(ln, depth))
        return tuple(out)

    def body(self, ln: _Line, colon: int, depth: int) -> tuple[Any, ...]:
        """The block after ``:`` at token index ``colon``: a statement on the same line, or an indented block."""
        rest = ln.toks[colon + 1:]
        self.i += 1
        if rest:
            sub = _Line(ln.no, ln.indent, ln.text, rest)
            if rest[0].text in ("for", "while", "if", "elif", "else", "def", "return"):
                raise _fail(ln.no, ln.text, rest[0].pos, f"'{rest[0].text}' after ':' on the same line",
                            "Put the block on its own lines, indented.")
            self.i -= 1
            stmt = self.simple(sub)
            self.i += 1
            return (stmt,)
        if self.i >= len(self.lines) or self.lines[self.i].indent <= ln.indent:
            raise _fail(ln.no, ln.text, len(ln.text.rstrip()), "a block is missing after ':'",
                        "Indent the block's lines under it (with spaces).")
        inner = self.lines[self.i].indent
        block = self.block(inner, depth + 1)
        if self.i < len(self.lines) and ln.indent < self.lines[self.i].indent < inner:
            bad = self.lines[self.i]
            raise _fail(bad.no, bad.text, bad.indent, "inconsistent indentation: this line is indented less than "
                        "its block but more than the line that opened it", "Line the block's statements up exactly.")
        return block

    def colon(self, ln: _Line) -> int:
        depth = 0
        for j, t in enumerate(ln.toks):
            depth += t.text == "("
            depth -= t.text == ")"
            if t.text == ":" and depth == 0:
                return j
        raise _fail(ln.no, ln.text, len(ln.text.rstrip()), f"'{ln.toks[0].text}' needs a ':' at the end",
                    f"Write {ln.toks[0].text} ...: and indent its block below.")

    def statement(self, ln: _Line, depth: int) -> Any:
        word = ln.toks[0].text
        if word == "for":
            return self.for_(ln, depth)
        if word == "while":
            c = self.colon(ln)
            cond = self.cond(ln, ln.toks[1:c])
            return While(ln.no, cond, self.body(ln, c, depth))
        if word == "if":
            return self.if_(ln, depth)
        if word in ("elif", "else"):
            raise _fail(ln.no, ln.text, ln.toks[0].pos, f"'{word}' without an if before it at this indentation",
                        "Line elif and else up with their if.")
        if word == "def":
            raise _fail(ln.no, ln.text, ln.toks[0].pos, "a nested def: only one header, on the first line",
                        "Write the work inline; the language has no functions of its own.")
        stmt = self.simple(ln)
        self.i += 1
        return stmt

    def simple(self, ln: _Line) -> Any:
        t = ln.toks
        word = t[0].text
        if t[0].kind == "name" and word in _NOT_LANGUAGE and not (len(t) > 1 and t[1].text in _ASSIGN_OPS):
            raise _fail(ln.no, ln.text, t[0].pos, _NOT_LANGUAGE[word])
        if word == "return":
            outs = self.expr(ln, t[1:], "the value to return", outputs=True)
            return Return(ln.no, tuple(outs))
        if len(t) >= 2 and t[1].text in _ASSIGN_OPS:
            if t[0].kind != "name" or word in _KEYWORDS:
                raise _fail(ln.no, ln.text, t[0].pos, f"cannot assign to '{word}'", "Assign to a name: y = x^2.")
            if word in FUNCTIONS or word in CONSTANTS or word == "D":
                raise _fail(ln.no, ln.text, t[0].pos, f"'{word}' is a built-in name and cannot be assigned",
                            "Choose another name.")
            if word.startswith("_"):
                raise _fail(ln.no, ln.text, t[0].pos, f"names may not start with '_' ('{word}')",
                            "Choose another name.")
            if word in _NOT_LANGUAGE:
                raise _fail(ln.no, ln.text, t[0].pos, _NOT_LANGUAGE[word])
            if word in self.loop_vars:
                raise _fail(ln.no, ln.text, t[0].pos, f"'{word}' is the variable of an enclosing for loop",
                            "Use another name: the loop variable takes the range's values.")
            if len(word) > self.expr_limits.name_chars:
                raise _fail(ln.no, ln.text, t[0].pos, f"the name '{word[:20]}...' is too long",
                            "Use a shorter name.")
            expr = self.expr(ln, t[2:], "the value assigned")[0]
            return Assign(ln.no, word, t[1].text, expr)
        for tok in t:
            if tok.text in _ASSIGN_OPS or tok.text == ":":
                raise _fail(ln.no, ln.text, tok.pos, f"unexpected '{tok.text}'",
                            "Assign to a plain name (no attributes, subscripts or tuples): y = expr.")
        raise _fail(ln.no, ln.text, t[0].pos, "a line that does nothing (an expression alone)",
                    "Assign it (y = ...) or return it (return ...).")

    def for_(self, ln: _Line, depth: int) -> For:
        t = ln.toks
        usage = "Write for k in range(n):, range(a, b): or range(a, b, step):, with integer bounds."
        c = self.colon(ln)
        if len(t) < 6 or t[1].kind != "name" or t[2].text != "in":
            raise _fail(ln.no, ln.text, t[min(1, len(t) - 1)].pos, "a malformed for loop", usage)
        name = t[1].text
        if name in _KEYWORDS or name in FUNCTIONS or name in CONSTANTS or name.startswith("_") or name in _NOT_LANGUAGE:
            raise _fail(ln.no, ln.text, t[1].pos, f"'{name}' cannot be a loop variable", usage)
        if name in self.loop_vars:
            raise _fail(ln.no, ln.text, t[1].pos, f"'{name}' is already the variable of an enclosing loop", usage)
        if t[3].text != "range" or t[4].text != "(" or t[c - 1].text != ")":
            raise _fail(ln.no, ln.text, t[3].pos, "a for loop runs over range(...) only", usage)
        args = t[5:c - 1]
        parts: list[list[_Tok]] = [[]]
        depth_p = 0
        for tok in args:
            if tok.text == "," and depth_p == 0:
                parts.append([])
                continue
            depth_p += tok.text == "("
            depth_p -= tok.text == ")"
            parts[-1].append(tok)
        if len(parts) > 3 or not all(parts):
            raise _fail(ln.no, ln.text, t[4].pos, "range takes one, two or three bounds", usage)
        bounds = []
        for p in parts:
            e = self.expr(ln, p, "a bound of range")[0]
            for node in nodes([e]):
                if node.op == "var" and node.name not in self.loop_vars:
                    raise _fail(ln.no, ln.text, node.pos if node.pos >= 0 else p[0].pos,
                                f"the bound of range uses '{node.name}', which is not a loop variable",
                                "Loop bounds are made of integers and enclosing loop variables, never of the inputs "
                                "(for a number of iterations that depends on the inputs, use while).")
                if node.op == "const" and (node.name is not None or node.value != int(node.value)):
                    raise _fail(ln.no, ln.text, node.pos if node.pos >= 0 else p[0].pos,
                                "the bounds of range must be integers", usage)
                if node.op not in ("var", "const", "add", "sub", "mul", "neg", "pow"):
                    raise _fail(ln.no, ln.text, node.pos if node.pos >= 0 else p[0].pos,
                                f"'{node.op}' in a bound of range",
                                "Bounds use + - * ^ on integers and loop variables.")
            bounds.append(e)
        if len(bounds) == 3 and bounds[2].op == "const" and bounds[2].value == 0:
            raise _fail(ln.no, ln.text, parts[2][0].pos, "range's step is 0: the loop would never end",
                        "Give a step of 1 (or -1, or any integer but 0): for k in range(a, b, 1):")
        self.loop_vars.append(name)
        try:
            body = self.body(ln, c, depth)
        finally:
            self.loop_vars.pop()
        return For(ln.no, name, tuple(bounds), body)

    def if_(self, ln: _Line, depth: int) -> If:
        branches = []
        c = self.colon(ln)
        branches.append((ln.no, self.cond(ln, ln.toks[1:c]), self.body(ln, c, depth)))
        orelse = None
        while self.i < len(self.lines):
            nxt = self.lines[self.i]
            if nxt.indent != ln.indent or nxt.toks[0].text not in ("elif", "else"):
                break
            c = self.colon(nxt)
            if nxt.toks[0].text == "elif":
                branches.append((nxt.no, self.cond(nxt, nxt.toks[1:c]), self.body(nxt, c, depth)))
            else:
                if c != 1:
                    raise _fail(nxt.no, nxt.text, nxt.toks[1].pos, "else takes no condition",
                                "Write else:, or elif cond:.")
                orelse = self.body(nxt, c, depth)
                break
        return If(ln.no, tuple(branches), orelse)


_CMP = ("<", "<=", ">", ">=", "==", "!=")
_ASSIGN_OPS = ("=", "+=", "-=", "*=", "/=")


# --- static checks -------------------------------------------------------------------------------


def _walk_reads(body: Sequence[Any], assigned: set[str], loops: set[str], found: list[str],
                returned: list[int]) -> None:
    """Names read before any assignment to them, in reading order (the inputs when there is no header)."""
    def reads(e: Expr) -> None:
        for node in nodes([e]):
            if node.op == "var" and node.name not in assigned and node.name not in loops and node.name not in found:
                found.append(node.name)

    def cond_reads(c: Any) -> None:
        if isinstance(c, Compare):
            reads(c.left)
            reads(c.right)
        elif isinstance(c, BoolOp):
            for it in c.items:
                cond_reads(it)
        else:
            cond_reads(c.item)

    for s in body:
        if isinstance(s, Assign):
            reads(s.expr)
            if s.op != "=":
                reads(var(s.target))
            assigned.add(s.target)
        elif isinstance(s, For):
            _walk_reads(s.body, assigned, loops | {s.var}, found, returned)
        elif isinstance(s, While):
            cond_reads(s.cond)
            _walk_reads(s.body, assigned, loops, found, returned)
        elif isinstance(s, If):
            for _, c, b in s.branches:
                cond_reads(c)
                _walk_reads(b, assigned, loops, found, returned)
            if s.orelse:
                _walk_reads(s.orelse, assigned, loops, found, returned)
        elif isinstance(s, Return):
            returned.append(s.line)
            for e in s.outputs:
                reads(e)


# --- the program -----------------------------------------------------------------------------------


@dataclass
class Program:
    """A parsed program: its inputs (in order), its statements, and how much it may do."""

    text: str
    inputs: tuple[str, ...]
    body: tuple[Any, ...]
    name: str = "f"
    header: bool = False
    limits: ProgramLimits = field(default=DEFAULT_PROGRAM_LIMITS, repr=False)

    @property
    def m(self) -> int:
        return len(self.body[-1].outputs)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the tracer's generated code (made again when needed)."""
        state = dict(self.__dict__)
        for key in ("_templates", "_templated", "_tracers"):
            state.pop(key, None)
        return state

    def trace(self, point: Sequence[float]) -> WengertList:
        """Run the program at ``point`` (floats in input order), recording the path taken as a Wengert list.

        The list's ``origins``, ``guards`` and ``program`` say where each step comes from and which branches
        were taken. An operation without a real value raises :class:`EvaluationError` naming the line, the
        iteration and the step; a limit passed raises :class:`LimitError` naming the line and the limit.
        """
        x = list(map(float, point))
        if len(x) != len(self.inputs):
            raise ValueError(f"expected {len(self.inputs)} input values, got {len(x)}")
        pool = self.__dict__.get("_tracers")
        if pool is None:
            pool = self.__dict__.setdefault("_tracers", [])
        try:
            t = pool.pop()  # a tracer no other thread is using
        except IndexError:
            t = _Tracer(self)
        t.start(x)
        collect = gc.isenabled()
        if collect:  # the record is many small objects, none of them garbage: collecting would only scan them
            gc.disable()
        try:
            outs = t.run()  # (a tracer that raised is not used again)
        finally:
            if collect:
                gc.enable()
        n, k = len(x), len(t.prims)
        keep = k <= 4096 and len(pool) < 2  # a long trace takes the tracer's lists (compiling again costs less)
        guards = tuple(t.guards)
        if keep:
            vals, act, prims, args, marks, runs = map(list.copy, t.copied)
        else:
            vals, act, prims, args, marks, runs = t.copied
        steps = _Steps(n, prims, args, act, runs)
        wl = WengertList(self.inputs, steps, tuple(outs), origins=_Origins(marks, n, k, runs),  # type: ignore[arg-type]
                         guards=guards, program=self)
        # (WengertList.partial_count without the steps: the inputs count 1 each in act)
        wl.__dict__.update(_traced=(tuple(x), vals), _partials=(steps, sum(act) - n))
        if keep:
            for lst in t.lists:
                lst.clear()  # (holds no trace's lists while it waits)
            pool.append(t)
        return wl

    def mp_run(self, point: Sequence[Any], guards: Sequence[Guard] | None = None, dps: int = 50) -> list[Any]:
        """The outputs at ``point`` in mpmath at ``dps`` digits: the 50-digit reference.

        With ``guards`` (a float trace's), every branch takes the recorded outcome, so the reference
        follows the same path; without, mpmath's own comparisons decide.
        """
        import mpmath

        with mpmath.workprec(max(mpmath.mp.prec, int(dps * 3.33) + 8)):  # never below a caller's (mpmath.diff)
            env: dict[str, Any] = {k: mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else v
                                   for k, v in zip(self.inputs, point)}
            queue = list(guards) if guards is not None else None
            state = {"g": 0}
            return list(_mp_block(self.body, env, queue, state, self.limits))


def _mp_expr(e: Expr, env: dict[str, Any]) -> Any:
    import mpmath

    def leaf(n: Expr) -> Any:
        if n.op == "var":
            if n.name not in env:
                raise EvaluationError(f"'{n.name}' has no value here")
            return env[n.name]
        return mpmath.mpf(n.value) if n.name is None else (mpmath.pi if n.name == "pi" else mpmath.e)

    done = fold([e], leaf, lambda n, a: PRIMITIVES[n.op].mpmath(*a))
    return done[id(e)]


def _mp_cond(c: Any, env: dict[str, Any], queue: list[Guard] | None, state: dict[str, int]) -> bool:
    if isinstance(c, Compare):
        if queue is not None:
            if state["g"] >= len(queue):
                raise EvaluationError("the mpmath run takes more branch decisions than the float trace")
            g = queue[state["g"]]
            state["g"] += 1
            return g.outcome
        a, b = _mp_expr(c.left, env), _mp_expr(c.right, env)
        return _compare(c.op, a, b)
    if isinstance(c, BoolOp):
        if c.op == "and":
            return all(_mp_cond(it, env, queue, state) for it in c.items)
        return any(_mp_cond(it, env, queue, state) for it in c.items)
    return not _mp_cond(c.item, env, queue, state)


def _mp_block(body: Sequence[Any], env: dict[str, Any], queue: list[Guard] | None, state: dict[str, int],
              limits: ProgramLimits) -> list[Any]:
    import mpmath

    for s in body:
        if isinstance(s, Assign):
            v = _mp_expr(s.expr, env)
            if s.op != "=":
                v = PRIMITIVES[_AUG[s.op]].mpmath(env[s.target], v)
            env[s.target] = v
        elif isinstance(s, For):
            ints = {k: int(v) for k, v in env.items() if isinstance(v, _LoopInt)}
            for k in _range([_int_bound(b, ints, s.line, "", limits) for b in s.bounds], s.line):
                env[s.var] = _LoopInt(k)
                out = _mp_block(s.body, env, queue, state, limits)
                if out:
                    return out
            env.pop(s.var, None)
        elif isinstance(s, While):
            count = 0
            while _mp_cond(s.cond, env, queue, state):
                count += 1
                if count > limits.iterations:
                    raise LimitError(f"line {s.line}: the while loop ran more than {limits.iterations:,} times")
                out = _mp_block(s.body, env, queue, state, limits)
                if out:
                    return out
        elif isinstance(s, If):
            for _, c, b in s.branches:
                if _mp_cond(c, env, queue, state):
                    out = _mp_block(b, env, queue, state, limits)
                    break
            else:
                out = _mp_block(s.orelse, env, queue, state, limits) if s.orelse else []
            if out:
                return out
        elif isinstance(s, Return):
            return [_mp_expr(e, env) for e in s.outputs]
    _ = mpmath
    return []


class _LoopInt(int):
    """A loop variable's value in the mpmath run: an int that mpmath arithmetic takes as an exact number."""


_AUG = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "div"}


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "==":
        return a == b
    return a != b


def _int_bound(e: Expr, ints: dict[str, int], line: int, where: str, limits: ProgramLimits) -> int:
    """An integer bound of range, in exact integers; refused if it grows past any sensible loop."""
    big = 10**18

    def ev(n: Expr) -> int:
        if n.op == "const":
            r = int(n.value)
        elif n.op == "var":
            return ints[n.name]
        else:
            r = op(n, [ev(x) for x in n.args])
        if abs(r) > big:
            raise LimitError(f"line {line}: a bound of range is astronomically large ({r:.3g}); "
                             f"at most {limits.iterations:,} iterations per loop")
        return r

    def op(n: Expr, a: list[int]) -> int:
        if n.op == "add":
            r = a[0] + a[1]
        elif n.op == "sub":
            r = a[0] - a[1]
        elif n.op == "mul":
            r = a[0] * a[1]
        elif n.op == "neg":
            r = -a[0]
        else:
            if a[1] < 0:
                raise EvaluationError(f"line {line}: a bound of range has a negative power, which is not an integer")
            if a[0] not in (0, 1, -1) and a[1] > 64:
                raise LimitError(f"line {line}: a bound of range is astronomically large (a power beyond 2^64); "
                                 f"at most {limits.iterations:,} iterations per loop")
            r = a[0] ** a[1]
        return r

    return ev(e)


def _range(bounds: list[int], line: int) -> range:
    """``range(*bounds)``, refused with the line where a computed step is 0 (the loop would never end)."""
    if len(bounds) == 3 and bounds[2] == 0:
        raise EvaluationError(f"line {line}: range's step is 0 here ({', '.join(map(str, bounds))}), so the loop "
                              "would never end; a step must be a nonzero integer")
    return range(*bounds)


# --- the tracer --------------------------------------------------------------------------------------


# --- the tracer's fast path: a hot assignment's steps as generated straight-line code ------------------

_TEMPLATE_NODES = 200  # larger expressions (as trees) always take the closures
_TEMPLATE_KINDS = 4  # operand patterns per statement given generated code; others take the closures
_TEMPLATES = 32  # generated code per program at most (each costs a compile(): up to a few ms)
_HOT = 32  # runs of a statement in one trace before code is generated for it (code made earlier is used at once)
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/"}  # operator.add etc.: the table's scalar functions


class _NoTemplate(Exception):
    """The expression is too large for generated code."""


def _template(s: Assign, names: tuple[str, ...], kinds: tuple[int, ...], loop_names: set[str],
              fixed: set[str]) -> tuple | None:
    """Generated code for one assignment and one pattern of what its names hold, or None.

    ``kinds`` says, per name read (``names``): 3 a loop variable's value, 4 a loop variable at 0 (where ``y * k``
    and ``y ^ k`` are identities, known as the code is made), 2 an active variable, 1 an inactive one, 0 a
    constant. For that pattern every decision the closures take per step is known at once: which
    operations fold into constants, which are steps, and each step's activity and operands. So the code
    computes the values as plain float arithmetic through the table's scalar functions (the operators for
    + - * / and unary -, which compute the same floats), appends the values, primitives and activities
    together, and records one *run* ``(b, entry, operands...)``: its first step ``b`` and what its names
    held. It declines (returns None, and the closures run the statement, raising the precise error if there
    is one) where the pattern does not hold, a value is not finite or raises, a constant operand makes an
    identity (``y * 0``, ``y ^ 0``), two names hold the same variable under ``-`` or ``/``, or the steps would
    pass the limit. An input the program never assigns (``fixed``) needs no check: its index, the same in every
    trace, is read when the code is bound, and its value at each run.

    The entry is ``(make, reverse, operands, k, line)``: ``make`` binds the forward code to a tracer's lists (for
    the tracer's life: the bound code keeps nothing of one trace);
    ``reverse`` is the reverse sweep over a run's k steps, with the very operations and order of
    :func:`adjoints`; ``operands`` gives the steps' operand tuples when they are read. The text holds only
    generated names and numbers; the program's names, constants and the table's functions are in the
    namespace it runs in.
    """
    ns: dict[str, Any] = {"__builtins__": {}, "isfinite": math.isfinite, "Const": Const, "len": len, "type": type,
                          "int": int, "float": float, "ValueError": ValueError, "ArithmeticError": ArithmeticError,
                          "FLOATS": FLOATS, "nan": math.nan}
    slot = {nm: i for i, nm in enumerate(names)}
    fields = ["b", "_", "_frame", "_it"]  # the run's record: first step, entry, where (frame, it), operands
    head: list[str] = []
    pre: list[str] = []  # once, when the code is bound to a tracer
    for i, (nm, kind) in enumerate(zip(names, kinds)):
        ns[f"N{i}"] = nm
        fields.append(f"o{i}")
        if nm in fixed and kind == 2:
            pre.append(f"o{i} = env[N{i}]")  # (its index, the same in every trace)
            head.append(f"x{i} = vals[o{i} + off]")  # (its value: this trace's)
            continue
        if kind == 3:
            head += [f"o{i} = ints.get(N{i})", f"if o{i} is None: return fallback()", f"x{i} = float(o{i})"]
            continue
        if kind == 4:  # a loop variable at 0
            head += [f"o{i} = ints.get(N{i})", f"if o{i} is None or o{i}: return fallback()", f"x{i} = 0.0"]
            continue
        if nm in loop_names:
            head.append(f"if N{i} in ints: return fallback()")
        head.append(f"o{i} = env.get(N{i})")
        if kind == 0:
            head += [f"if type(o{i}) is not Const: return fallback()", f"x{i} = o{i}.value"]
        else:
            head += [f"if type(o{i}) is not int or {'not ' if kind == 2 else ''}act[o{i} + off]: return fallback()",
                     f"x{i} = vals[o{i} + off]"]
    code: list[str] = []
    post: list[str] = []  # conditions under which the closures must decide (identities), once values are known
    values: list[str] = []  # every value computed (steps and folded constants): their sum must be finite
    # A step: (primitive, operands, act, value's name); an operand: a dict of what it is and its code.
    steps: list[tuple[Primitive, list[dict[str, Any]], int, str]] = []
    size = [0]

    def leaf(nm: str) -> dict[str, Any]:
        i, kind = slot[nm], kinds[slot[nm]]
        if kind >= 3:
            return {"var": False, "active": False, "x": f"x{i}", "obj": f"kc(o{i})", "back": f"float(o{i})",
                    "name": nm, "zero": kind == 4}
        if kind == 0:
            return {"var": False, "active": False, "x": f"x{i}", "obj": f"o{i}", "back": f"o{i}.value",
                    "check": True, "name": nm}
        return {"var": True, "active": kind == 2, "x": f"x{i}", "obj": f"o{i}", "back": f"vals[o{i} + off]",
                "slot": f"o{i} + off", "check": True, "name": nm}

    def node(e: Expr) -> dict[str, Any]:
        size[0] += 1
        if size[0] > _TEMPLATE_NODES:
            raise _NoTemplate
        if e.op == "const":
            if not math.isfinite(e.value):
                raise _NoTemplate
            c = len(ns)
            ns[f"K{c}"], ns[f"V{c}"] = Const(e.value, e.name), e.value
            return {"var": False, "active": False, "x": f"V{c}", "obj": f"K{c}", "back": f"V{c}"}
        if e.op == "var":
            return leaf(e.name)
        prim = PRIMITIVES[e.op]
        if prim.arity != len(e.args) or prim.arity > 2:
            raise _NoTemplate
        return apply(prim, [node(a) for a in e.args])

    def apply(prim: Primitive, ops: list[dict[str, Any]]) -> dict[str, Any]:
        v = f"v{len(values)}"
        xs = [o["x"] for o in ops]
        if prim.name in _INFIX:
            code.append(f"{v} = {xs[0]} {_INFIX[prim.name]} {xs[1]}")
        elif prim.name == "neg":
            code.append(f"{v} = -{xs[0]}")
        else:
            ns[f"F_{prim.name}"] = prim.scalar
            code.append(f"{v} = F_{prim.name}({', '.join(xs)})")
        values.append(v)
        if not any(o["var"] for o in ops):  # constants only: folded (recorded if a step uses it)
            return {"var": False, "active": False, "x": v, "obj": f"Const({v})", "folded": v}
        active = not prim.piecewise_constant and any(o["var"] and o["active"] for o in ops)
        if active and len(ops) == 2:
            a, b = ops
            if prim.name in ("sub", "div") and a["var"] and b["var"] and a.get("name") and b.get("name"):
                if a["name"] == b["name"]:
                    active = False  # y - y, y / y
                else:
                    post.append(f"{a['obj']} == {b['obj']}")
            if active and prim.name == "mul":
                if any(o.get("zero") for o in ops if not o["var"]):
                    active = False  # y * k with k at 0 (known from the pattern): constant, as the closures find
                else:
                    post.extend(f"{o['x']} == 0" for o in ops if not o["var"])
            if active and prim.name == "pow" and not b["var"]:
                if b.get("zero"):
                    active = False  # y ^ k with k at 0
                else:
                    post.append(f"{b['x']} == 0")
        for o in ops:
            if "folded" in o and "back" not in o:
                fields.append(f"c{len(fields)}")
                code.append(f"{fields[-1]} = {o['folded']}")
                o["obj"], o["back"] = f"Const({fields[-1]})", fields[-1]
        j = len(steps)
        steps.append((prim, ops, sum(o["var"] for o in ops) if active else 0, v))
        return {"var": True, "active": active, "x": v, "obj": f"b + {j}", "back": f"vals[u + {j}]",
                "slot": f"u + {j}", "step": j}

    try:
        root = node(s.expr)
        if s.op != "=":
            root = apply(PRIMITIVES[_AUG[s.op]], [leaf(s.target), root])
    except _NoTemplate:
        return None
    k = len(steps)
    ns["P"], ns["A"], ns["NONE"], ns["T"] = tuple(st[0] for st in steps), tuple(st[2] for st in steps), (None,) * k, \
        s.target
    fwd = ["def make(vals, act, prims_extend, args_extend, act_extend, vals_extend, runs_append, env, ints, kconst, "
           "off, most, tracer, fallback):", "    def run():"]
    fwd[1:1] = [f"    {ln}" for ln in pre]
    fwd += [f"        {ln}" for ln in head]
    fwd += ["        ok = True", "        try:"] + [f"            {ln}" for ln in code or ["pass"]]
    fwd += ["        except (ValueError, ArithmeticError):", "            ok = False"]
    fwd.append(f"        if not ok{''.join(f' or {c}' for c in post)}: return fallback()")
    if values:
        fwd += [f"        t = {' + '.join(values)}", "        if t - t: return fallback()"]
    if steps:
        fwd += ["        b = len(vals) - off", f"        if b + {k - 1} > most: return fallback()",
                f"        vals_extend(({', '.join(st[3] for st in steps)},))", "        prims_extend(P)",
                "        act_extend(A)", "        args_extend(NONE)",
                f"        runs_append((b, E, tracer.frame, tracer.it, {', '.join(fields[4:])},))"]
    obj = root["obj"]
    if obj.startswith("kc("):  # a loop variable's value itself: its shared constant
        obj = f"kconst.get({obj[3:-1]}) or kconst.setdefault({obj[3:-1]}, Const(float({obj[3:-1]})))"
    fwd += [f"        env[T] = {obj}", "    return run"]
    # The reverse sweep over the run's steps, last first: as adjoints() does for each step and argument. Only the
    # last step (the value assigned) is seen outside the run: the others' adjoints and marks live in locals, which
    # start at 0.0 and add the same terms in the same order as the lists would.
    rev = ["def reverse(bar, need, vals, off, fail, rec):", f"    {', '.join(fields)} = rec", "    u = b + off"]
    rev += [f"    a{j} = 0.0; n{j} = False" for j in range(k - 1) if steps[j][2]]
    for j in range(k - 1, -1, -1):
        prim, ops, act, _ = steps[j]
        if not act:
            continue
        rules = partial_rules(prim)
        rev += [f"    s = u + {j}", "    if need[s]:", "        g = bar[s]"] if j == k - 1 else \
            [f"    s = u + {j}", f"    if n{j}:", f"        g = a{j}"]
        for p, o in enumerate(ops):
            if not (o["var"] and o["active"]):
                continue
            r = rules[p]
            if "step" in o:
                target, mark = f"a{o['step']}", f"n{o['step']}"
            else:
                target, mark = f"bar[{o['slot']}]", f"need[{o['slot']}]"
            if type(r) is float:  # g * 1.0 is g and g * -1.0 is -g, bit for bit
                c = len(ns)
                ns[f"D{c}"] = r
                rev += [f"        {target} {'+= g' if r == 1 else '-= g' if r == -1 else f'+= g * D{c}'}",
                        f"        {mark} = True"]
                continue
            if type(r) is int:
                rev.append(f"        d = {ops[r]['back']}")
                if ops[r].get("check") or ops[r]["back"].startswith("vals"):
                    rev.append(f"        if d - d: fail(b + {j}, {p})")
            else:
                c = len(ns)
                ns[f"R{c}"] = r
                args = ", ".join(x["back"] for x in ops)
                rev += ["        try:", f"            d = float(R{c}(FLOATS, vals[s], {args}))",
                        "        except (ValueError, ArithmeticError):", "            d = nan",
                        f"        if d - d: fail(b + {j}, {p})"]
            rev += [f"        {target} += g * d", f"        {mark} = True"]
    rev.append("    return None")
    ops_text = ", ".join("(" + ", ".join(o["obj"] for o in st[1]) + ("," if len(st[1]) == 1 else "") + ")"
                         for st in steps)
    opsf = ["def operands(rec, kc):", f"    {', '.join(fields)} = rec",
            f"    return ({ops_text}{',' if k == 1 else ''})"]
    exec(compile("\n".join(fwd + rev + opsf), "<diffzoo trace>", "exec"), ns)  # noqa: S102 - generated, see above
    ns["E"] = (ns["make"], ns["reverse"], ns["operands"], k, s.line)
    return ns["E"]


def _names_read(s: Assign) -> tuple[str, ...]:
    """The names an assignment reads, in first-reading order (an update reads its target too)."""
    out = list(dict.fromkeys(e.name for e in nodes([s.expr]) if e.op == "var"))
    if s.op != "=" and s.target not in out:
        out.append(s.target)
    return tuple(out)


class _Return(Exception):
    def __init__(self, outs: list[Operand]):
        self.outs = outs


_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
            "!=": operator.ne}


def _const(value: float) -> Const:
    """``Const(value)``, made without a frozen dataclass's ``object.__setattr__`` calls (a fold while tracing)."""
    c = object.__new__(Const)
    c.__dict__.update(value=value, name=None)
    return c


def _loops_at(frame: tuple[Any, ...], it: int | None) -> tuple[tuple[str, int], ...]:
    """The loop iterations a tracer's ``(frame, it)`` stand for: ``frame`` itself where ``it`` is None, else
    ``frame`` is ``(outer loops, name)`` of an innermost loop and ``it`` its iteration."""
    return frame if it is None else frame[0] + ((frame[1], it),)


class _Tracer:
    """Runs the AST on floats, recording every primitive applied to a value that varies as a step.

    The program is first compiled into closures, one per statement and per expression node (so that tracing
    an iteration only runs them), over a compact record: parallel lists of primitives, operands and
    ``act`` (per variable, inputs first: True for an input, for a step the number of its variable operands
    if it is active, else 0), the values, and a mark ``(first slot, line, frame, it)`` per statement run, from
    which the origins are built when they are read. Where it is, ``(frame, it)``, says its loop iterations
    without a tuple per iteration (:func:`_loops_at`; :attr:`loops` builds them): an innermost loop sets ``it``
    to its variable's value and ``frame`` once to ``(outer loops, name)``; elsewhere ``it`` is None and ``frame``
    is the loop iterations. An operation on constants alone folds into a
    :class:`Const`; the identities ``y - y``, ``y / y``, ``y * 0`` and ``y ^ 0`` are inactive steps, as in
    ``WengertList.from_exprs``.

    A tracer is kept by its program and used again (a trace copies its lists out and empties them in place: the
    closures hold them), so that a short loop does not pay for the compiling every time; the generated code
    bound to it stays bound, and each assignment remembers which code its first run took and which code ran after
    one that declined, to try first on the next trace (each checks what its names hold, and declines where that
    does not fit).
    """

    def __init__(self, program: Program):
        self.p = program
        self.limits = program.limits
        self.n = len(program.inputs)
        self.vals: list[float] = []
        self.act: list[Any] = []
        self.prims: list[Primitive] = []
        self.args: list[tuple[Operand, ...]] = []
        self.marks: list[tuple[int, int, tuple[Any, ...], int | None]] = []
        self.guards: list[Guard] = []
        self.frame: tuple[Any, ...] = ()  # where the tracer is, with it (see the class's doc)
        self.it: int | None = None
        self.ints: dict[str, int] = {}
        self.total = 0
        self.env: dict[str, Operand] = {}
        self.loop_names = _loop_names(program.body)
        self.fixed = set(program.inputs) - self.loop_names - _assigned(program.body)  # inputs never assigned
        self.made: dict[tuple[int, tuple[int, ...]], Any] = program.__dict__.setdefault("_templates", {})
        self.templated: set[int] = program.__dict__.setdefault("_templated", set())  # statements with code made
        self.kconst: dict[int, Const] = {}  # a loop variable's value as a constant, one object per value
        self.compiled: dict[int, Callable[[], Operand]] = {}  # expression node (by id) -> its closure
        self.names_read: dict[int, tuple[str, ...]] = {}
        self.runs: list[tuple[Any, ...]] = []  # (first step, template entry, operands...) per generated-code run
        self.bound: dict[tuple[int, tuple[int, ...]], Callable[[], Any]] = {}  # generated code bound to this tracer
        self.body: list[Callable[[], None]] | None = None
        self.final: tuple[int, list[Callable[[], Operand]]] | None = None  # the closing return: line, outputs
        self.slots: list[tuple[list[Callable[[], None]], int, Callable[[], None]]] = []  # each assignment's place
        self.inputs = {name: i + 1 - self.n for i, name in enumerate(program.inputs)}  # each input's index
        self.inputs_act = (True,) * self.n
        self.lists = (self.vals, self.act, self.prims, self.args, self.marks, self.guards, self.runs)
        self.copied = (self.vals, self.act, self.prims, self.args, self.marks, self.runs)  # what a trace takes
        # What generated code is bound to (the lists are this tracer's for its life, emptied in place).
        self.binding = (self.vals, self.act, self.prims.extend, self.args.extend, self.act.extend, self.vals.extend,
                        self.runs.append, self.env, self.ints, self.kconst, self.n - 1, self.limits.steps, self)

    def start(self, x: list[float]) -> None:
        """Begin a trace at ``x``: the record's lists are empty (a new tracer's, or emptied in place when the last
        trace was copied out of them: the closures hold these lists)."""
        self.vals += x
        self.act += self.inputs_act
        self.env.clear()
        self.env.update(self.inputs)
        self.ints.clear()
        self.frame, self.it = (), None
        self.total = 0
        for home, at, enter in self.slots:  # (the code bound stays bound: it reads this trace's values as it runs)
            home[at] = enter

    # -- origins and errors
    @property
    def loops(self) -> tuple[tuple[str, int], ...]:
        """The loop iterations the tracer is in, outermost first."""
        return _loops_at(self.frame, self.it)

    @property
    def origin(self) -> Origin:
        """Where the tracer is: the statement (or condition) running, and its loop iterations."""
        if not self.marks:
            return Origin(0, ())
        _, line, frame, it = self.marks[-1]
        return Origin(line, _loops_at(frame, it))

    def error(self, prim: Primitive, ops: Sequence[Operand], args: list[float]) -> EvaluationError:
        reason = prim.domain(*args) if prim.arity == len(args) else None
        if reason is None:
            shown = ", ".join(f"{a:.6g}" for a in args)
            reason = f"{prim.name}({shown}) overflows or is undefined (no finite 64-bit result)"
        index = len(self.prims) + 1
        st = Step(index, prim, tuple(ops), True)
        shell = WengertList(self.p.inputs, (), ())
        return EvaluationError(reason, f"{self.origin}: {vname(index)} = {shell.definition(st)}", index)

    def too_many(self) -> LimitError:
        return LimitError(f"{self.origin}: the trace has reached {self.limits.steps:,} steps, the limit; "
                          "the program does too much work to be traced (fewer iterations, or a smaller point)")

    # -- expressions: a closure per node, returning its operand (a step's index, an input's, or a Const)
    def apply(self, prim: Primitive) -> Callable[..., Operand]:
        """``prim`` applied to operands: its value checked, folded if constant, else recorded as a step."""
        fn, pc, name = prim.scalar, prim.piecewise_constant, prim.name
        vals, act = self.vals, self.act
        prims_append, args_append, act_append, vals_append = (self.prims.append, self.args.append, act.append,
                                                              vals.append)
        n, off = self.n, self.n - 1
        cap = self.limits.steps + n  # more values than this: more steps than the limit
        isfinite, nan = math.isfinite, math.nan
        tracer = self
        if prim.arity == 1:
            def unary(a: Operand) -> Operand:
                var = type(a) is int
                va = vals[a + off] if var else a.value
                try:
                    v = fn(va)
                except (ValueError, ArithmeticError):
                    v = nan
                if not isfinite(v):
                    raise tracer.error(prim, (a,), [va])
                if not var:
                    return _const(float(v))
                prims_append(prim)
                args_append((a,))
                act_append(0 if pc or not act[a + off] else 1)
                vals_append(float(v))
                if len(vals) > cap:
                    raise tracer.too_many()
                return len(vals) - n
            return unary
        same, mul, pow_ = name in ("sub", "div"), name == "mul", name == "pow"

        def binary(a: Operand, b: Operand) -> Operand:
            ia, ib = type(a) is int, type(b) is int
            va = vals[a + off] if ia else a.value
            vb = vals[b + off] if ib else b.value
            try:
                v = fn(va, vb)
            except (ValueError, ArithmeticError):
                v = nan
            if not isfinite(v):
                raise tracer.error(prim, (a, b), [va, vb])
            if not (ia or ib):
                return _const(float(v))
            active = not pc and ((ia and act[a + off]) or (ib and act[b + off]))
            if active and ((same and a == b) or (mul and (va == 0 and not ia or vb == 0 and not ib))
                           or (pow_ and not ib and vb == 0)):
                active = False  # y - y, y / y, y * 0, y ^ 0: constant wherever defined (as WengertList.from_exprs)
            prims_append(prim)
            args_append((a, b))
            act_append(ia + ib if active else 0)
            vals_append(float(v))
            if len(vals) > cap:
                raise tracer.too_many()
            return len(vals) - n
        return binary

    def expr(self, e: Expr) -> Callable[[], Operand]:
        done = self.compiled.get(id(e))
        if done is not None:
            return done
        op = e.op
        if op == "const":
            c = Const(e.value, e.name)

            def run() -> Operand:
                return c
        elif op == "var":
            run = self.load(e.name)
        else:
            subs = [self.expr(a) for a in e.args]
            prim = PRIMITIVES[op]
            if len(subs) != prim.arity or prim.arity > 2:
                raise NotImplementedError(f"{op} with {len(subs)} arguments")
            app = self.apply(prim)
            if prim.arity == 1:
                fa = subs[0]

                def run() -> Operand:
                    return app(fa())
            else:
                fa, fb = subs

                def run() -> Operand:
                    return app(fa(), fb())
        self.compiled[id(e)] = run
        return run

    def load(self, name: str) -> Callable[[], Operand]:
        env, ints, kconst, tracer = self.env, self.ints, self.kconst, self

        def missing() -> EvaluationError:
            return EvaluationError(f"'{name}' has no value here: it is assigned only on a path not taken, or only "
                                   "later", str(tracer.origin))

        if name not in self.loop_names:
            def run() -> Operand:
                try:
                    return env[name]
                except KeyError:
                    raise missing() from None
            return run

        def run_loop() -> Operand:
            k = ints.get(name)
            if k is not None:
                c = kconst.get(k)
                if c is None:
                    c = kconst[k] = _const(float(k))
                return c
            try:
                return env[name]
            except KeyError:
                raise missing() from None
        return run_loop

    def cond(self, c: Any, kind: str) -> Callable[[], bool]:
        if isinstance(c, Compare):
            fa, fb, cmp = self.expr(c.left), self.expr(c.right), _COMPARE[c.op]
            vals, act, off, guards_append, tracer = self.vals, self.act, self.n - 1, self.guards.append, self
            line, text = c.line, c.text

            def compare() -> bool:
                a, b = fa(), fb()
                ia, ib = type(a) is int, type(b) is int
                va = vals[a + off] if ia else a.value
                vb = vals[b + off] if ib else b.value
                out = cmp(va, vb)
                active = (ia and act[a + off]) or (ib and act[b + off])
                guards_append(Guard(line, kind, text, va, vb, out, bool(active), tracer.loops))
                return out
            return compare
        if isinstance(c, BoolOp):
            items = [self.cond(it, kind) for it in c.items]
            if c.op == "and":
                return lambda: all(f() for f in items)
            return lambda: any(f() for f in items)
        inner = self.cond(c.item, kind)
        return lambda: not inner()

    # -- statements: a closure each
    def block(self, body: Sequence[Any], looped: bool = False) -> list[Callable[[], None]]:
        """The statements' closures, in a list where a hot assignment puts its generated code in its own place
        (``looped``: the statements are in a loop's body, so may run again in one trace)."""
        out: list[Callable[[], None]] = []
        for s in body:
            out.append(self.statement(s, out, len(out), looped))
        return out

    def statement(self, s: Any, home: list[Callable[[], None]], at: int, looped: bool = False) -> Callable[[], None]:
        tracer, vals, env, marks_append = self, self.vals, self.env, self.marks.append
        kind = type(s)
        if kind is Assign:
            fe, target, line = self.expr(s.expr), s.target, s.line
            if s.op == "=":
                def slow() -> None:
                    env[target] = fe()
            else:
                app, op = self.apply(PRIMITIVES[_AUG[s.op]]), s.op

                def slow() -> None:
                    v = fe()
                    if target not in env:
                        raise EvaluationError(f"'{target}' has no value yet, so '{op}' cannot update it",
                                              str(tracer.origin))
                    env[target] = app(env[target], v)
            if not looped:  # runs once a trace: generated code would never pay for itself
                def once() -> None:
                    marks_append((len(vals), line, tracer.frame, tracer.it))
                    slow()
                return once
            runs = [0]

            def assign() -> None:  # the closures' run; once hot, generated code runs in its place and falls back here
                marks_append((len(vals), line, tracer.frame, tracer.it))
                slow()
                runs[0] += 1
                if runs[0] >= _HOT or id(s) in tracer.templated:
                    home[at] = tracer.fast(s, switch, runs[0] >= _HOT) or assign

            # The code the last trace's first run took, and after each code the code that ran next when it declined:
            # tried first (each checks what its names hold and declines again where it does not fit), then fast().
            entry: list[Callable[[], Any] | None] = [None]
            after: dict[Callable[[], Any], Callable[[], Any]] = {}
            guessed: list[Callable[[], Any] | None] = [None]  # the code that declined, while its guess runs

            def switch() -> None:  # generated code declined: the code made for what the names hold now, else assign
                now = home[at]
                first = guessed[0]
                if first is None:
                    guess = after.get(now)
                    if guess is not None:
                        home[at] = guess
                        guessed[0] = now  # (a guess that declines comes back here and takes the way below)
                        try:
                            return guess()
                        finally:
                            guessed[0] = None
                run = tracer.fast(s, switch, runs[0] >= _HOT)
                if run is None or run is now:  # none, or this very code declined (a value, not a pattern)
                    return assign()
                after[first or now] = home[at] = run
                return run()

            def enter() -> None:  # a trace's first run: the code made for what the names hold, else assign
                run = entry[0]
                if run is None:
                    if runs[0] < _HOT and id(s) not in tracer.templated:
                        return assign()
                    run = tracer.fast(s, switch, runs[0] >= _HOT)
                    if run is None:
                        return assign()
                    entry[0] = run
                home[at] = run
                return run()
            self.slots.append((home, at, enter))
            return enter
        if kind is For:
            return self.for_(s)
        if kind is While:
            return self.while_(s)
        if kind is If:
            branches = [(line, self.cond(c, "if" if line == s.line else "elif"), self.block(b, looped))
                        for line, c, b in s.branches]
            orelse = self.block(s.orelse, looped) if s.orelse else ()

            def if_() -> None:
                for line, c, b in branches:
                    marks_append((len(vals), line, tracer.frame, tracer.it))
                    if c():
                        for st in b:
                            st()
                        return
                for st in orelse:
                    st()
            return if_
        outs, line = [self.expr(e) for e in s.outputs], s.line

        def return_() -> None:
            marks_append((len(vals), line, tracer.frame, tracer.it))
            raise _Return([f() for f in outs])
        return return_

    def fast(self, s: Assign, fallback: Callable[[], None], make: bool) -> Callable[[], Any] | None:
        """The generated code (:func:`_template`) for ``s`` and what its names hold now, bound to this trace
        (and generated first if ``make`` and the program has room for it), or None."""
        names = self.names_read.get(id(s))
        if names is None:
            names = self.names_read[id(s)] = _names_read(s)
        ints, env, act, off = self.ints, self.env, self.act, self.n - 1
        kinds = []
        for nm in names:
            k = ints.get(nm)  # (ints holds the loop variables of the loops running)
            if k is not None:
                kinds.append(3 if k else 4)
                continue
            o = env.get(nm)
            if o is None:
                return None
            kinds.append((2 if act[o + off] else 1) if type(o) is int else 0)
        key = (id(s), tuple(kinds))
        run = self.bound.get(key)
        if run is None:
            made = self.made
            if key not in made:
                keys = list(made)  # (another thread may be adding to it)
                if not make or len(keys) >= _TEMPLATES or sum(1 for k in keys if k[0] == id(s)) >= _TEMPLATE_KINDS:
                    return None
                made[key] = _template(s, names, key[1], self.loop_names, self.fixed)
                self.templated.add(id(s))
            if made[key] is None:
                return None
            run = self.bound[key] = made[key][0](*self.binding, fallback)
        return run

    def for_(self, s: For) -> Callable[[], None]:
        tracer, ints, limits, body, name, line = self, self.ints, self.limits, self.block(s.body, True), s.var, s.line
        most = limits.total_iterations
        innermost = not _loop_names(s.body) and not _has_while(s.body)
        fixed = None  # range(5), range(1, 100): the bounds are numbers, the same at every run (and within limits)
        if all(b.op == "const" and abs(b.value) <= 10**15 for b in s.bounds):
            fixed = _range([_int_bound(b, ints, line, "", limits) for b in s.bounds], line)
            if len(fixed) > limits.iterations:
                fixed = None  # (refused when the loop runs, as any other)

        def loop() -> None:
            if fixed is not None:
                r = fixed
            else:
                bounds = [_int_bound(b, ints, line, "", limits) for b in s.bounds]
                r = _range(bounds, line)
                if len(r) > limits.iterations:
                    raise LimitError(f"line {line}: for {name} in range({', '.join(map(str, bounds))}) would run "
                                     f"{len(r):,} iterations; at most {limits.iterations:,} per loop")
            outer = tracer.frame  # (the loop iterations: no loop runs inside an innermost one, so it is None here)
            if innermost and tracer.total + len(r) <= most:  # no loop inside, no limit reached: counted at once
                tracer.total += len(r)
                tracer.frame = (outer, name)  # (each iteration sets it alone: no tuple per iteration)
                if len(body) == 1:
                    for k in r:
                        ints[name] = k
                        tracer.it = k
                        body[0]()
                else:
                    for k in r:
                        ints[name] = k
                        tracer.it = k
                        for st in body:
                            st()
                tracer.frame, tracer.it = outer, None
                ints.pop(name, None)
                return
            for k in r:
                tracer.total += 1
                if tracer.total > most:
                    raise LimitError(f"line {line}: the loops have run {most:,} iterations in all, the limit")
                ints[name] = k
                tracer.frame = outer + ((name, k),)
                for st in body:
                    st()
            tracer.frame = outer
            ints.pop(name, None)
        return loop

    def while_(self, s: While) -> Callable[[], None]:
        tracer, limits, body, line, vals = self, self.limits, self.block(s.body, True), s.line, self.vals
        cond, marks_append, tag, most = self.cond(s.cond, "while"), self.marks.append, f"while@{s.line}", \
            limits.total_iterations

        def loop() -> None:
            outer = tracer.frame  # (as in for_: it is None)
            it = 0
            while True:
                tracer.frame = outer + ((tag, it + 1),)
                marks_append((len(vals), line, outer, None))
                if not cond():
                    break
                it += 1
                if it > limits.iterations:
                    raise LimitError(f"line {line}: the while loop has run {limits.iterations:,} times, the "
                                     "limit per loop: it may never end (does its condition ever become false?)")
                tracer.total += 1
                if tracer.total > most:
                    raise LimitError(f"line {line}: the loops have run {most:,} iterations in all, the limit")
                for st in body:
                    st()
            tracer.frame = outer
        return loop

    def run(self) -> list[Operand]:
        if self.body is None:
            body, last = list(self.p.body), None
            if body and type(body[-1]) is Return:  # the closing return, run in line (a return inside raises _Return)
                last = body.pop()
                self.final = (last.line, [self.expr(e) for e in last.outputs])
            self.body = self.block(body)
        try:
            for st in self.body:
                st()
        except _Return as r:
            return r.outs
        if self.final is not None:
            line, outs = self.final
            self.marks.append((len(self.vals), line, self.frame, self.it))
            return [f() for f in outs]
        raise EvaluationError("the program ended without reaching return")  # (the parser requires one)


def _assigned(body: Sequence[Any]) -> set[str]:
    """The names assigned anywhere in ``body``."""
    out: set[str] = set()
    for s in body:
        if isinstance(s, Assign):
            out.add(s.target)
        elif isinstance(s, For | While):
            out |= _assigned(s.body)
        elif isinstance(s, If):
            for _, _, b in s.branches:
                out |= _assigned(b)
            out |= _assigned(s.orelse or ())
    return out


def _has_while(body: Sequence[Any]) -> bool:
    """Is there a while loop in ``body``, however deep?"""
    for s in body:
        if isinstance(s, While):
            return True
        if isinstance(s, For) and _has_while(s.body):
            return True
        if isinstance(s, If) and (any(_has_while(b) for _, _, b in s.branches) or _has_while(s.orelse or ())):
            return True
    return False


def _loop_names(body: Sequence[Any]) -> set[str]:
    """The variables of every for loop in ``body``, however deep."""
    out: set[str] = set()
    for s in body:
        if isinstance(s, For):
            out.add(s.var)
            out |= _loop_names(s.body)
        elif isinstance(s, While):
            out |= _loop_names(s.body)
        elif isinstance(s, If):
            for _, _, b in s.branches:
                out |= _loop_names(b)
            if s.orelse:
                out |= _loop_names(s.orelse)
    return out


class _Steps(Sequence):
    """A traced list's steps, kept as the tracer's compact record and made :class:`Step` objects when first read
    (a sweep reads the record itself: tracing and differentiating need no object per step). The operands of
    the steps that generated code recorded (``runs``) are None in ``raw`` until they are read."""

    def __init__(self, n: int, prims: list[Primitive], raw: list[Any], act: list[Any], runs: list[tuple[Any, ...]]):
        self.n, self.prims, self.raw, self.act, self.runs = n, prims, raw, act, runs
        self._steps: tuple[Step, ...] | None = None
        self._filled = not runs

    @property
    def args(self) -> list[tuple[Operand, ...]]:
        """Every step's operands (those of the runs written in when first read)."""
        if not self._filled:
            consts: dict[int, Const] = {}

            def kc(k: int) -> Const:
                c = consts.get(k)
                if c is None:
                    c = consts[k] = Const(float(k))
                return c
            for rec in self.runs:
                b, entry = rec[0], rec[1]
                self.raw[b - 1:b - 1 + entry[3]] = entry[2](rec, kc)
            self._filled = True
        return self.raw

    def all(self) -> tuple[Step, ...]:
        if self._steps is None:
            self._steps = tuple(map(Step, range(1, len(self.prims) + 1), self.prims, self.args,
                                    map(bool, self.act[self.n:])))
        return self._steps

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with every operand written in and without the runs (their code is not picklable)."""
        self.args  # noqa: B018 - fills the runs' operands in
        return {**self.__dict__, "runs": []}

    def __len__(self) -> int:
        return len(self.prims)

    def __getitem__(self, k: Any) -> Any:
        return self.all()[k]

    def __iter__(self) -> Any:
        return iter(self.all())

    def __reversed__(self) -> Any:
        return reversed(self.all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Steps):
            other = other.all()
        return self.all() == other

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Any) -> Any:
        return self.all() + tuple(other)

    def __radd__(self, other: Any) -> Any:
        return tuple(other) + self.all()

    def __repr__(self) -> str:
        return repr(self.all())


class _Origins(Sequence):
    """A traced list's origins, one per step, built when first read from the tracer's marks and the runs of
    generated code (one shared :class:`Origin` per statement run)."""

    def __init__(self, marks: list[tuple[int, int, tuple[Any, ...], int | None]], n: int, k: int,
                 runs: list[tuple[Any, ...]] = ()):  # type: ignore[assignment]
        self.marks, self.n, self.k, self.runs = marks, n, k, runs
        self._origins: tuple[Origin, ...] | None = None

    def all(self) -> tuple[Origin, ...]:
        if self._origins is None:
            out: list[Origin] = []
            ends = [m[0] for m in self.marks[1:]] + [self.n + self.k]
            first = self.marks[0][0] if self.marks else self.n + self.k
            if first > self.n:
                out += [Origin(0, ())] * (first - self.n)
            for (start, line, frame, it), end in zip(self.marks, ends):
                if end > start:
                    out += [Origin(line, _loops_at(frame, it))] * (end - start)
            for rec in self.runs:  # (first step, entry (.., k, line), frame, it, ...): a mark's steps end at a run
                b, entry = rec[0], rec[1]
                out[b - 1:b - 1 + entry[3]] = [Origin(entry[4], _loops_at(rec[2], rec[3]))] * entry[3]
            self._origins = tuple(out)
        return self._origins

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_origins": self.all(), "runs": []}

    def __len__(self) -> int:
        return self.k

    def __getitem__(self, k: Any) -> Any:
        return self.all()[k]

    def __iter__(self) -> Any:
        return iter(self.all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Origins):
            other = other.all()
        return self.all() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.all())


# --- parsing entry point -----------------------------------------------------------------------------


def parse_program(text: str, variables: Sequence[str] | None = None,
                  limits: ProgramLimits = DEFAULT_PROGRAM_LIMITS, expr_limits: Any = None) -> Program:
    """Read a program's text into a :class:`Program` (a :class:`ParseError` with line and caret if it is not one).

    The inputs are the header's (``def f(x, y):``), or ``variables``, or the names read before any
    assignment to them, in natural order (x2 before x10).
    """
    if not isinstance(text, str):
        raise ParseError(f"the program must be text, not {type(text).__name__}")
    if len(text) > limits.length:
        raise ParseError(f"the program is too long ({len(text):,} characters; at most {limits.length:,})", text[:200],
                         0, "Type a shorter program.")
    if "\x00" in text:
        at = text.index("\x00")
        no = text.count("\n", 0, at) + 1
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        raise _fail(no, text[start:end if end >= 0 else len(text)], at - start, "the text contains a NUL character")
    p = _Parser(text, limits, expr_limits or _parse.DEFAULT_LIMITS)
    header, name, body = p.program()
    found: list[str] = []
    returned: list[int] = []
    _walk_reads(body, set(), set(), found, returned)
    if len(returned) > 1:
        ln = next(x for x in p.lines if x.no == returned[0])
        raise _fail(ln.no, ln.text, ln.indent, "return may appear only once, as the last line",
                    "Compute the outputs in the branches and return them at the end.")
    if header is not None:
        inputs = header
        missing = [v for v in found if v not in inputs]
        if missing:
            ln = p.lines[0]
            raise _fail(ln.no, ln.text, ln.indent, f"'{missing[0]}' is read before it is assigned, and is not an input",
                        f"Add it to the header (def {name}({', '.join(inputs + tuple(missing))}):) or assign it first.")
        if variables is not None and tuple(variables) != tuple(inputs):
            raise ParseError("the variable order differs from the program's header",
                             hint=f"The header says {', '.join(inputs)}.")
    elif variables is not None:
        inputs = tuple(variables)
        missing = [v for v in found if v not in inputs]
        if missing:
            raise ParseError(f"the variable order does not include {', '.join(missing)}",
                             hint="Give an order that lists every input: "
                             f"{', '.join(sorted(found, key=_parse.natural_key))}.")
    else:
        inputs = tuple(sorted(found, key=_parse.natural_key))
    for v in inputs:
        if v in FUNCTIONS or v in CONSTANTS:
            raise ParseError(f"'{v}' cannot be an input's name", text[:200], 0, "Name inputs like x, x1, theta.")
    return Program(text, tuple(inputs), body, name, header is not None, limits)


# --- sweeps over a traced list: one pass each, whatever its length ---------------------------------


def _where(wl: WengertList, index: int) -> str:
    origins = wl.origins
    st = wl.steps[index - 1]
    head = f"{origins[index - 1]}: " if origins else ""
    return f"{head}{wl.name_of(index)} = {wl.definition(st)}"


def _partial(wl: WengertList, st: Step, j: int, out: float, args: list[float]) -> float:
    try:
        d = float(st.prim.partials[j](FLOATS, out, *args))
    except (ValueError, ArithmeticError):
        d = math.nan
    if not math.isfinite(d):
        a = st.args[j]
        raise EvaluationError(f"∂{wl.name_of(st.index)}/∂{wl.name_of(a)} does not exist here (it is infinite or "
                              "undefined), so f has no derivative at this point", _where(wl, st.index), st.index)
    return d


def _record(wl: WengertList) -> tuple[list[Primitive], list[tuple[Operand, ...]], list[Any]]:
    """A list's primitives, operands and activity (inputs first) as parallel lists: a trace's own record, or
    read off the steps of any other list."""
    steps = wl.steps
    if isinstance(steps, _Steps) and steps.n == wl.n:
        return steps.prims, steps.args, steps.act
    return [st.prim for st in steps], [st.args for st in steps], [True] * wl.n + [st.active for st in steps]


def _no_partial(wl: WengertList, k: int, j: int) -> EvaluationError:
    st = wl.steps[k - 1]
    return EvaluationError(f"∂{wl.name_of(k)}/∂{wl.name_of(st.args[j])} does not exist here (it is infinite or "
                           "undefined), so f has no derivative at this point", _where(wl, k), k)


def _sweep(wl: WengertList, prims: list[Primitive], args: list[Any], act: list[Any], vals: Sequence[float],
           bar: list[float], need: list[bool], top: int, bottom: int) -> None:
    """:func:`adjoints` over the steps in slots top, top - 1, ..., bottom + 1, one at a time."""
    n = len(wl.inputs)
    off, isfinite = n - 1, math.isfinite
    for s in range(top, bottom, -1):
        if not need[s] or not act[s]:
            continue
        g = bar[s]
        ops = args[s - n]
        prim = prims[s - n]
        rules = partial_rules(prim)
        for j, a in enumerate(ops):
            if type(a) is not int or not act[a + off]:
                continue
            r = rules[j]
            t = type(r)
            if t is float:
                d = r
            elif t is int:
                b = ops[r]
                d = vals[b + off] if type(b) is int else float(b.value)
            else:
                try:
                    d = float(r(FLOATS, vals[s], *[vals[b + off] if type(b) is int else b.value for b in ops]))
                except (ValueError, ArithmeticError):
                    d = math.nan
            if not isfinite(d):
                raise _no_partial(wl, s - off, j)
            bar[a + off] += g * d
            need[a + off] = True


def adjoints(wl: WengertList, vals: Sequence[float], ybar: Sequence[float]) -> list[float]:
    """``ȳ·J``: the inputs' adjoints by one reverse sweep over the list (a tape), partials from the table.

    As the adjoint program does, it visits only the steps a weighted output depends on, and evaluates a
    partial only along a step and argument that vary; an infinite or undefined partial there is refused.
    """
    steps = wl.steps
    n = len(wl.inputs)
    off = n - 1
    if type(steps) is _Steps and steps.n == n:  # a trace's record: the runs of generated code sweep themselves
        prims, args, act, runs = steps.prims, steps.raw, steps.act, steps.runs
    else:
        (prims, args, act), runs = _record(wl), []
    size = n + len(prims)
    bar = [0.0] * size
    need = [False] * size
    for o, w in zip(wl.outputs, ybar):
        if type(o) is int and w != 0:
            bar[o + off] += w
            need[o + off] = True
    top = size - 1
    if runs:
        def fail(k: int, j: int) -> None:
            raise _no_partial(wl, k, j)

        for rec in reversed(runs):  # a run of generated code sweeps its own steps; the steps between, one at a time
            first = rec[0] + off
            entry = rec[1]
            if top >= first + entry[3]:
                _sweep(wl, prims, args, act, vals, bar, need, top, first + entry[3] - 1)
            entry[1](bar, need, vals, off, fail, rec)
            top = first - 1
    if top > off:
        _sweep(wl, prims, args, act, vals, bar, need, top, off)
    return bar[:n]


def tangents(wl: WengertList, vals: Sequence[float], seed: Sequence[float]) -> list[float]:
    """``J·ẋ``: the outputs' tangents by one forward sweep over the list; partials only where the seed moves."""
    prims, args, act = _record(wl)
    n, off = wl.n, wl.n - 1
    dot: list[float | None] = [float(s) if s != 0 else None for s in seed] + [None] * len(prims)
    isfinite, nan = math.isfinite, math.nan
    for s in range(n, n + len(prims)):
        if not act[s]:
            continue
        ops = args[s - n]
        prim = prims[s - n]
        rules = partial_rules(prim)
        acc = None
        for j, a in enumerate(ops):
            if type(a) is not int or dot[a + off] is None:
                continue
            r = rules[j]
            t = type(r)
            if t is float:
                d = r
            elif t is int:
                b = ops[r]
                d = vals[b + off] if type(b) is int else float(b.value)
            else:
                try:
                    d = float(r(FLOATS, vals[s], *[vals[b + off] if type(b) is int else b.value for b in ops]))
                except (ValueError, ArithmeticError):
                    d = nan
            if not isfinite(d):
                raise _no_partial(wl, s - off, j)
            term = d * dot[a + off]
            acc = term if acc is None else acc + term
        dot[s] = acc
    out = []
    for o in wl.outputs:
        d = dot[o + off] if type(o) is int else None
        out.append(0.0 if d is None else d)
    return out


def traced_values(wl: WengertList, x: Sequence[float]) -> list[float]:
    """The primal values of a traced list at ``x``: those recorded while tracing there, else evaluated."""
    cached = wl.__dict__.get("_traced")
    if cached is not None and cached[0] == tuple(float(v) for v in x):
        return cached[1]
    return wl.evaluate(list(x))


# --- paths and their caveats -------------------------------------------------------------------------


def path_signature(wl: WengertList) -> tuple[bool, ...]:
    """The branch decisions of a traced list, in order (with the loop counts they imply): its path."""
    return tuple(g.outcome for g in (wl.guards or ()))


def path_difference(base: WengertList, other: WengertList) -> str | None:
    """How ``other``'s path differs from ``base``'s, in words, or None where they take the same path."""
    a, b = base.guards or (), other.guards or ()
    for g, h in zip(a, b):
        if g.outcome != h.outcome or g.line != h.line:
            if g.kind == "while" and g.line == h.line:
                return f"runs the while loop at line {g.line} a different number of times ({g.text})"
            return f"takes the other branch at line {g.line} ({g.kind} {g.text})"
    if len(a) != len(b):
        g = (a or b)[min(len(a), len(b)) - 1] if min(len(a), len(b)) else (a or b)[0]
        return f"makes a different number of branch decisions (after line {g.line})"
    return None


def on_boundary(wl: WengertList) -> list[Guard]:
    """The guards at margin 0 whose sides depend on the inputs: where the path may change at the point."""
    return [g for g in (wl.guards or ()) if g.active and g.margin == 0]


def nearest_guards(wl: WengertList, k: int = 3) -> list[Guard]:
    """The ``k`` active guards with the smallest margins (the branch decisions closest to flipping)."""
    return sorted((g for g in (wl.guards or ()) if g.active), key=lambda g: g.margin)[:k]


def path_note(wl: WengertList) -> list[str]:
    """A sentence for a result on a traced list with input-dependent branch decisions: it is the derivative of
    the path taken, which holds only where the same branches are taken."""
    near = nearest_guards(wl)
    if not near:
        return []
    total = sum(1 for g in (wl.guards or ()) if g.active)
    shown = "; ".join(dict.fromkeys(g.describe() for g in near))  # (one line's test in three iterations: said once)
    return [f"This is the derivative of the path the program takes at this point, which holds only where the same "
            f"branches are taken: {total} branch decision{'s' if total != 1 else ''} depend{'s' if total == 1 else ''} "
            f"on the inputs, the closest to flipping being {shown}."]


def boundary_warnings(wl: WengertList, x: Sequence[float], J: Any = None) -> list[str]:
    """At a guard with margin 0 (x on a branch boundary): the one-sided derivatives, from the paths traced on
    each side (their lists evaluated at x itself), or the jump where the two paths' values differ at x."""
    at = on_boundary(wl)
    if not at or wl.program is None:
        return []
    x = [float(v) for v in x]
    vals = traced_values(wl, x)
    f0 = wl.output_values(vals)
    names = wl.output_names()
    sides: list[str] = []
    for i, name in enumerate(wl.inputs):
        d = 1e-7 * max(abs(x[i]), 1.0)
        one = {}
        for sign in (1, -1):
            p = list(x)
            p[i] = x[i] + sign * d
            try:
                side = wl.program.trace(p)
                sv = side.evaluate(x)  # the other side's path, evaluated at x itself
                one[sign] = (side.output_values(sv), tangents(side, sv, [1.0 if k == i else 0.0 for k in range(wl.n)]))
            except (EvaluationError, LimitError):
                one[sign] = None
        for j, y in enumerate(names):
            r, lt = one[1], one[-1]
            if r is None or lt is None:
                sides.append(f"{y} has no value, or no path, just beside {name} = {x[i]:.6g} on one side")
                continue
            if r[0][j] != f0[j] or lt[0][j] != f0[j]:
                sides.append(f"{y} jumps as {name} crosses {x[i]:.6g} (from {lt[0][j]:.6g} to {r[0][j]:.6g}), yet AD "
                             f"differentiates only the branch taken and says {_num(J, j, i)}: the jump is invisible "
                             "to it")
            elif r[1][j] != lt[1][j] or (J is not None and np.isfinite(J[j, i]) and r[1][j] != J[j, i]):
                sides.append(f"∂{y}/∂{name} is {lt[1][j]:.6g} from the left and {r[1][j]:.6g} from the right")
    if not sides:
        return []
    where = "; ".join(g.describe() for g in at[:3])
    return [f"The point is on a branch boundary, {where}: {'; '.join(sides)}, so f has no derivative there. "
            "The value shown is the derivative of the branch taken at the point."]


def _num(J: Any, j: int, i: int) -> str:
    if J is None:
        return "the derivative of that branch"
    try:
        return f"{float(J[j, i]):.6g}"
    except (TypeError, ValueError, IndexError):
        return "the derivative of that branch"


# --- the path as expressions (symbolic differentiation's input) -------------------------------------


def path_exprs(wl: WengertList) -> tuple[Expr, ...]:
    """The traced list's outputs as an expression DAG over its inputs (each step one shared node)."""
    ins = [var(name) for name in wl.inputs]
    built: list[Expr] = []
    off = wl.n - 1

    def operand(a: Operand) -> Expr:
        if type(a) is int:
            return ins[a + off] if a <= 0 else built[a - 1]
        return const(a.value, a.name)

    for st in wl.steps:
        built.append(make(st.prim.name, *[operand(a) for a in st.args]))
    return tuple(operand(o) for o in wl.outputs)


class PathOutputs(Sequence):
    """A traced list's outputs as expressions, built when first read (tracing alone need not pay for them)."""

    def __init__(self, wl: WengertList):
        self.wl = wl
        self._exprs: tuple[Expr, ...] | None = None

    def _all(self) -> tuple[Expr, ...]:
        if self._exprs is None:
            self._exprs = path_exprs(self.wl)
        return self._exprs

    def __len__(self) -> int:
        return self.wl.m

    def __getitem__(self, k: Any) -> Any:
        return self._all()[k]

    def __iter__(self) -> Any:
        return iter(self._all())


def at(function: Any, point: Any) -> Any:
    """The path of a program function at ``point`` as a :class:`~diffzoo.parse.Function` whose ``wengert`` is the
    traced list (guards and origins included) and whose outputs are that path's expressions."""
    wl = function.program.trace(point)  # (which reads the point as floats)
    f = _parse.Function(function.text, PathOutputs(wl), function.variables, function.limits, path_of=function)
    f.__dict__["wengert"] = wl
    return f


__all__ = ["Program", "ProgramLimits", "DEFAULT_PROGRAM_LIMITS", "Guard", "Origin", "Assign", "For", "While", "If",
           "Return", "Compare", "BoolOp", "Not", "is_program", "parse_program", "adjoints", "tangents",
           "path_exprs", "path_note", "boundary_warnings", "path_difference", "path_signature", "on_boundary",
           "nearest_guards", "traced_values", "loops_text", "at"]
_ = Callable

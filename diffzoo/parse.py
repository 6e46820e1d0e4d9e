"""User text -> expression trees, by an allow-list: nothing typed is ever evaluated as code.

The language is arithmetic (``+ - * / ^ **``, implicit multiplication after a number), the
functions of the primitive table, the constants ``pi`` and ``e``, variables made of ASCII
letters, digits and ``_``, the derivative ``D(expr, y)`` of an expression with respect to one of
its variables (the others held fixed; nested as deep as wanted), and commas between the outputs of
a vector function. A ``D`` is written out as its symbolic derivative, so every method sees a plain
function; the tree as typed stays in ``Function.source`` (``nested.py`` evaluates it with dual
numbers, to show perturbation confusion). Everything
else is refused with a message that says what is wrong, shows where, and suggests a fix;
limits on length, nesting and size are checked before any tree is built.
"""

from __future__ import annotations

import difflib
import keyword
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from . import program as _program
from .errors import ParseError
from .expr import Expr, const, dag_size, fold, make, nodes, share, to_text, tree_size, var
from .points import floats
from .primitives import CONSTANTS, FUNCTIONS, OPERATORS, PRIMITIVES
from .symbolic import MAX_PRINT_OPS, derive
from .wengert import WengertList


@dataclass(frozen=True)
class Limits:
    """How much text and structure one function may have; checked before anything is built."""

    length: int = 10_000
    depth: int = 100
    nodes: int = 5_000
    number_chars: int = 40
    name_chars: int = 32
    outputs: int = 32
    variables: int = 100

    @classmethod
    def unbounded(cls) -> Limits:
        """For trusted, program-built text (benchmarks): only Python's own limits remain."""
        big = 10**9
        return cls(big, 10**6, big, big, big, big, big)


DEFAULT_LIMITS = Limits()

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n]+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^(),])
""", re.VERBOSE)

# Characters that mean the user typed something other than a formula, and what to say about them.
_REFUSED = {
    "'": "strings are not part of the function language",
    '"': "strings are not part of the function language",
    "[": "brackets are not allowed (no lists or subscripts); use ( ) for grouping",
    "]": "brackets are not allowed (no lists or subscripts); use ( ) for grouping",
    "{": "braces are not allowed; use ( ) for grouping",
    "}": "braces are not allowed; use ( ) for grouping",
    "=": "'=' is not allowed: type only the expression, e.g. 'x^2 + 1' rather than 'y = x^2 + 1'",
    "<": "comparisons are not part of the function language",
    ">": "comparisons are not part of the function language",
    "!": "'!' is not part of the function language (no factorial or 'not')",
    ":": "':' is not part of the function language (no lambdas, slices or dictionaries)",
    ";": "';' is not allowed: type a single expression (separate outputs with commas)",
    "@": "'@' (matrix multiplication) is not part of the function language",
    "%": "'%' (remainder) is not part of the function language",
    "&": "bitwise operators are not part of the function language",
    "|": "bitwise operators are not part of the function language; use abs(x) for |x|",
    "~": "bitwise operators are not part of the function language",
    "#": "comments are not allowed",
    "\\": "backslashes are not allowed",
    "$": "'$' is not allowed; type plain text such as 'sin(x)^2', not LaTeX",
    "`": "backticks are not allowed",
    "?": "'?' is not part of the function language",
}

_HINTS = {"=": "Type only the right-hand side.", "$": "Write sin(x)^2, not \\sin^2 x.",
          "|": "Write abs(x) for the absolute value."}

_HELP = "Use numbers, variables such as x or x1, + - * / ^, parentheses and functions such as sin(x)."


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "op", "end"
    text: str
    pos: int


def tokenize(text: str, limits: Limits = DEFAULT_LIMITS) -> list[Token]:
    """Split text into tokens, refusing anything outside the language at its position."""
    if len(text) > limits.length:
        raise ParseError(f"the function is too long ({len(text):,} characters; at most {limits.length:,})",
                         text, limits.length, "Type a shorter function.")
    if not text.strip():
        raise ParseError("the function is empty", text, 0, "Type a function such as 'x^2 + 1' or 'ln(x1) + x1*x2'.")
    tokens: list[Token] = []
    depth, opened = 0, []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            _refuse_char(text, pos)
        kind = m.lastgroup
        tok = m.group()
        if kind == "num":
            _check_number(text, pos, tok, limits)
        elif kind == "name":
            _check_name(text, pos, tok, limits)
        elif tok == "(":
            depth += 1
            opened.append(pos)
            if depth > limits.depth:
                raise ParseError(f"parentheses nested too deeply (more than {limits.depth} levels)", text, pos,
                                 "Simplify the function or split it up.")
        elif tok == ")":
            if depth == 0:
                raise ParseError("unbalanced ')': there is no '(' for it to close", text, pos,
                                 "Remove it or add the matching '('.")
            depth -= 1
            opened.pop()
        if kind != "ws":
            tokens.append(Token(kind, tok, pos))
        pos = m.end()
    if opened:
        raise ParseError("unbalanced '(': it is never closed", text, opened[-1], "Add the matching ')'.")
    tokens.append(Token("end", "", len(text)))
    return tokens


# Non-ASCII characters people paste from textbooks, and what to type instead.
_LOOKALIKE = {"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*", "\u22c5": "*", "\u00b7": "*",
              "\u2217": "*", "\u00f7": "/", "\u2044": "/", "\u03c0": "pi", "\u00b2": "^2", "\u00b3": "^3",
              "\u00b9": "^1", "\u221a": "sqrt(...)", "\u2032": "a plain name (no primes)"}


def _refuse_char(text: str, pos: int) -> None:
    c = text[pos]
    if c == "\x00":
        raise ParseError("the text contains a NUL character", text, pos, _HELP)
    if ord(c) > 127:
        name = unicodedata.name(c, "unnamed character")
        ascii_like = unicodedata.normalize("NFKC", text)
        hint = "Type plain ASCII letters, digits and symbols."
        if c in _LOOKALIKE:
            hint = f"Type '{_LOOKALIKE[c]}' instead. " + hint
        elif ascii_like.isascii() and ascii_like != text:
            hint = f"Did you mean '{ascii_like}'? Type plain ASCII letters, digits and symbols."
        elif unicodedata.normalize("NFKD", c).encode("ascii", "ignore"):
            plain = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
            hint = f"This looks like '{plain}' but is not; type plain ASCII letters, digits and symbols."
        raise ParseError(f"non-ASCII character '{c}' (U+{ord(c):04X} {name})", text, pos, hint)
    if c == ".":
        after_name = pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "_)")
        if after_name and pos + 1 < len(text) and (text[pos + 1].isalpha() or text[pos + 1] == "_"):
            raise ParseError("attribute access ('.') is not allowed", text, pos, _HELP)
        raise ParseError("a stray '.' (a decimal point needs digits, as in 0.5 or .5)", text, pos, _HELP)
    if c in _REFUSED:
        raise ParseError(_REFUSED[c], text, pos, _HINTS.get(c, _HELP))
    if not c.isprintable():
        raise ParseError(f"a control character (code {ord(c)}) is not allowed", text, pos, _HELP)
    raise ParseError(f"unexpected character '{c}'", text, pos, _HELP)


def _check_number(text: str, pos: int, tok: str, limits: Limits) -> None:
    if len(tok) > limits.number_chars:
        raise ParseError(f"number literal too long ({len(tok):,} characters; at most {limits.number_chars})",
                         text, pos, "Write large or small numbers with an exponent, e.g. 1.5e20.")
    if float(tok) == float("inf"):
        raise ParseError(f"the number {tok} is too large for a 64-bit float (at most about 1.8e308)", text, pos,
                         "Use a smaller number; the largest is about 1.8e308.")
    end = pos + len(tok)
    if tok == "0" and end + 1 < len(text) and text[end] in "xXbBoO" and text[end + 1].isalnum():
        raise ParseError("hexadecimal, octal and binary literals are not supported", text, pos,
                         "Write the number in decimal.")


def _check_name(text: str, pos: int, tok: str, limits: Limits) -> None:
    if tok.startswith("_"):
        raise ParseError(f"names may not start with '_' ('{tok}')", text, pos,
                         "Variable names start with a letter, e.g. x, x1, theta, w_2.")
    if keyword.iskeyword(tok) or keyword.issoftkeyword(tok):
        raise ParseError(f"'{tok}' is a Python keyword, not part of the function language", text, pos, _HELP)
    if len(tok) > limits.name_chars:
        raise ParseError(f"the name '{tok[:20]}...' is too long ({len(tok)} characters; at most "
                         f"{limits.name_chars})", text, pos, "Use a shorter variable name.")


@dataclass
class Function:
    """A parsed function R^n -> R^m: its output trees, its ordered variables and its text."""

    text: str
    outputs: tuple[Expr, ...]
    variables: tuple[str, ...]
    limits: Limits = field(default=DEFAULT_LIMITS, repr=False)
    #: The trees as typed, ``D(expr, y)`` nodes included (the outputs have them written out).
    source: tuple[Expr, ...] = field(default=(), repr=False)
    #: For a program (``program.py``): its :class:`~diffzoo.program.Program`; its outputs and Wengert list
    #: exist only at a point, as the path taken there (:meth:`at`).
    program: Any = field(default=None, repr=False, compare=False)
    #: For a path (``f.at(x)`` of a program function): the program function it is the path of.
    path_of: Any = field(default=None, repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.variables)

    @property
    def m(self) -> int:
        return self.program.m if self.program is not None else len(self.outputs)

    @cached_property
    def wengert(self) -> WengertList:
        if self.program is not None:
            raise ParseError("a program has a Wengert list only at a point, as the path it takes there",
                             hint="Trace it first: f.at(x).wengert (dz.differentiate does this for you).")
        return WengertList.build(self)

    def at(self, point: Any) -> Function:
        """The function as differentiated at ``point``: for a program, the path it takes there (a Function whose
        ``wengert`` is the traced list, guards and origins included, and whose outputs are that path's
        expressions); for an expression, the function itself (no cost).

        ``point`` is floats in variable order, a dict by name, or one number."""
        if self.program is None:
            return self
        return _program.at(self, floats(point, self.variables))

    def __str__(self) -> str:
        if self.program is not None or self.path_of is not None:
            return "the program " + " ".join(self.text.split())[:60] + ("..." if len(" ".join(self.text.split())) > 60
                                                                        else "")
        if self.source and any(tree_size(e) > MAX_PRINT_OPS for e in self.outputs):
            return ", ".join(to_text(e) for e in self.source)  # as typed, D(...) kept: written out it would not fit
        return ", ".join(to_text(e) for e in self.outputs)

    def _repr_html_(self) -> str:  # how Jupyter shows it: diffzoo/notebook.py
        from .notebook import to_html
        return to_html(self)


def natural_key(name: str) -> tuple:
    """Sort key that puts x2 before x10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p)


def parse(text: str, variables: list[str] | tuple[str, ...] | None = None,
          limits: Limits = DEFAULT_LIMITS) -> Function:
    """Parse a function such as ``"ln(x1) + x1*x2 - sin(x2)"`` into a :class:`Function`.

    ``variables`` fixes the order of the inputs (and may add inputs the text does not use);
    otherwise they are sorted naturally (``x2`` before ``x10``). Raises :class:`ParseError`.
    """
    if not isinstance(text, str):
        raise ParseError(f"the function must be text, not {type(text).__name__}")
    if _program.is_program(text):
        prog = _program.parse_program(text, variables, expr_limits=limits)
        if len(prog.inputs) > limits.variables:
            raise ParseError(f"too many inputs ({len(prog.inputs)}; at most {limits.variables})",
                             hint="Use fewer inputs.")
        return Function(text, (), prog.inputs, limits, (), program=prog)
    source = _Parser(text, tokenize(text, limits), limits).parse()
    used = {e.name for e in nodes(source) if e.op == "var"}
    outputs = written_out(source, text, limits)
    if variables is None:
        order = tuple(sorted(used, key=natural_key))
    else:
        order = tuple(variables)
        for v in order:
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", v) or v in FUNCTIONS or v in CONSTANTS:
                raise ParseError(f"'{v}' cannot be a variable name", hint="Variables look like x, x1, theta, w_2.")
        if len(set(order)) != len(order):
            raise ParseError("the variable order names a variable twice")
        missing = sorted(used - set(order), key=natural_key)
        if missing:
            every = ", ".join(sorted(used, key=natural_key))
            raise ParseError(f"the variable order does not include {', '.join(missing)}",
                             hint=f"Give an order that lists every variable: {every}.")
    if len(order) > limits.variables:
        raise ParseError(f"too many variables ({len(order)}; at most {limits.variables})", text, 0,
                         "Use fewer variables.")
    return Function(text, tuple(outputs), order, limits, tuple(source))


def expression_at(text: str, start: int, end: int, limits: Limits = DEFAULT_LIMITS) -> list[Expr]:
    """The expression (or comma-separated outputs) in ``text[start:end]``, positions and carets in ``text``:
    how a program's statements have their expressions read (a line of the program as ``text``)."""
    part = text[start:end]
    try:
        tokens = tokenize(part, limits)
    except ParseError as exc:
        raise ParseError(exc.message, text, start + exc.pos, exc.hint) from None
    shifted = [Token(t.kind, t.text, t.pos + start) for t in tokens]
    return _Parser(text, shifted, limits).parse()


def written_out(source: list[Expr], text: str = "", limits: Limits = DEFAULT_LIMITS) -> list[Expr]:
    """The trees with every ``D(expr, y)`` replaced by the symbolic derivative of ``expr`` by ``y``,
    innermost first; refused if the derivatives grow past the size limit."""
    if not any(e.op == "D" for e in nodes(source)):
        return source

    def too_large() -> ParseError:
        return ParseError(f"the derivatives written with D are too large (more than {limits.nodes:,} operations "
                          "once written out)", text, 0,
                          "Nest fewer derivatives, or differentiate a smaller expression.")

    def apply(e: Expr, a: list[Expr]) -> Expr:
        if e.op == "D":
            # Shared at once (equal subexpressions made one object): written out, D(D(D(...))) grows as a power of
            # the nesting, and without sharing so did the objects the next derivative walks.
            d = share([derive(a[0], e.args[1].name)])[0]
            if dag_size(d) > limits.nodes:
                raise too_large()
            return d
        return make(e.op, *a) if a else e

    done = fold(source, lambda e: e, apply)
    out = [done[id(e)] for e in source]
    if dag_size(*out) > limits.nodes:
        raise too_large()
    return out


class _Parser:
    """Recursive descent over the tokens; depth and node counts are bounded."""

    def __init__(self, text: str, tokens: list[Token], limits: Limits):
        self.text, self.toks, self.limits = text, tokens, limits
        self.i = 0
        self.depth = 0
        self.count = 0

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def next(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def fail(self, msg: str, pos: int | None = None, hint: str = "") -> ParseError:
        return ParseError(msg, self.text, self.tok.pos if pos is None else pos, hint)

    def node(self, op: str, args: tuple[Expr, ...], pos: int) -> Expr:
        self.count += 1
        if self.count > self.limits.nodes:
            raise self.fail(f"the function is too large (more than {self.limits.nodes:,} operations)", pos,
                            "Type a smaller function.")
        return Expr(op, args, pos=pos)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.depth:
            raise self.fail(f"the expression is nested too deeply (more than {self.limits.depth} levels)",
                            hint="Simplify the function or split it up.")

    # -- grammar
    def parse(self) -> list[Expr]:
        outputs = [self.expr()]
        while self.tok.text == ",":
            self.next()
            if self.tok.kind == "end":
                raise self.fail("a comma must be followed by another output",
                                hint="Remove the trailing comma, or add an output after it.")
            start = self.tok.pos
            outputs.append(self.expr())
            if len(outputs) > self.limits.outputs:
                raise self.fail(f"too many outputs (at most {self.limits.outputs})", start,
                                hint="Split the vector function into smaller ones.")
        if self.tok.kind != "end":
            raise self._unexpected()
        return outputs

    def expr(self) -> Expr:
        left = self.term()
        while self.tok.text in ("+", "-"):
            op = self.next()
            right = self.term()
            left = self.node(OPERATORS[op.text], (left, right), op.pos)
        return left

    def term(self) -> Expr:
        left = self.unary()
        while True:
            t = self.tok
            if t.text in ("*", "/"):
                self.next()
                right = self.unary()
                left = self.node(OPERATORS[t.text], (left, right), t.pos)
            elif self.toks[self.i - 1].kind == "num" and (t.kind == "name" or t.text == "("):
                right = self.unary()  # implicit multiplication after a number: 2x, 3(x+1), 2 sin(x)
                left = self.node("mul", (left, right), t.pos)
            else:
                return left

    def unary(self) -> Expr:
        t = self.tok
        if t.text in ("-", "+"):
            self.enter()
            self.next()
            operand = self.unary()
            self.depth -= 1
            if t.text == "+":
                return operand
            if operand.op == "const" and operand.name is None and operand.pos == t.pos + 1 + _gap(self.text, t.pos):
                return const(-operand.value, pos=t.pos)  # a negative literal, -3, is one number
            return self.node("neg", (operand,), t.pos)
        return self.power()

    def power(self) -> Expr:
        base = self.atom()
        t = self.tok
        if t.text in ("^", "**"):
            self.enter()
            self.next()
            exponent = self.unary()  # right-associative; x^-2 is allowed
            self.depth -= 1
            return self.node("pow", (base, exponent), t.pos)
        return base

    def atom(self) -> Expr:
        t = self.tok
        if t.kind == "num":
            self.next()
            return const(float(t.text), pos=t.pos)
        if t.text == "(":
            self.enter()
            self.next()
            if self.tok.text == ")":
                raise self.fail("empty parentheses", hint="Put an expression inside, e.g. (x + 1).")
            inner = self.expr()
            if self.tok.text == ",":
                raise self.fail("a comma inside parentheses", hint="Separate the outputs of a vector "
                                "function at the top level: 'x1*x2, cos(x1)'.")
            self.expect(")")
            self.depth -= 1
            return inner
        if t.kind == "name":
            return self.name()
        if t.kind == "end":
            prev = self.toks[self.i - 1].text if self.i else ""
            after = f" after '{prev}'" if prev else ""
            raise self.fail(f"the function ends too early: expected a number, variable, function or '('{after}",
                            hint="Complete the expression, e.g. 'x + 1'.")
        raise self._unexpected()

    def name(self) -> Expr:
        t = self.next()
        word = t.text
        if word == "D" and self.tok.text == "(":
            return self.derivative(t)
        if self.tok.text == "(":
            if word not in FUNCTIONS:
                close = difflib.get_close_matches(word, list(FUNCTIONS), n=1)
                hint = f"Did you mean '{close[0]}'? " if close else ""
                raise self.fail(f"unknown function '{word}'", t.pos,
                                hint + "Functions: " + ", ".join(sorted(FUNCTIONS)) + "; and D(expr, x), "
                                "the derivative of expr by x.")
            self.enter()
            self.next()
            arity = PRIMITIVES[FUNCTIONS[word]].arity
            if self.tok.text == ")":
                if arity == 2:
                    raise self.fail(f"{word} needs two arguments", hint=f"Write {word}(a, b).")
                raise self.fail(f"{word} needs one argument", hint=f"Write {word}(x), with an argument.")
            args = [self.expr()]
            if arity == 2:
                if self.tok.text != ",":
                    raise self.fail(f"{word} takes two arguments", hint=f"Write {word}(a, b).")
                self.next()
                args.append(self.expr())
            if self.tok.text == ",":
                many = "one argument" if arity == 1 else "two arguments"
                raise self.fail(f"{word} takes {many}", hint=f"Write {word}({'x' if arity == 1 else 'a, b'}); "
                                "separate outputs at the top level: 'sin(x1), cos(x2)'.")
            self.expect(")")
            self.depth -= 1
            return self.node(FUNCTIONS[word], tuple(args), t.pos)
        if word in FUNCTIONS:
            raise self.fail(f"the function '{word}' needs parentheses", t.pos,
                            f"Write {word}(x), with the argument in parentheses.")
        if word in CONSTANTS:
            return const(CONSTANTS[word], name=word, pos=t.pos)
        if self.tok.kind == "name" or self.tok.kind == "num":
            nxt = self.tok.text
            raise self.fail(f"missing operator between '{word}' and '{nxt}'", self.tok.pos,
                            f"Write '{word}*{nxt}' to multiply.")
        return var(word, pos=t.pos)

    def derivative(self, t: Token) -> Expr:
        """``D(expr, y)``: the derivative of expr with respect to the variable y."""
        usage = "Write D(expr, y): an expression, a comma, and the variable to differentiate by, e.g. D(x*y, y)."
        self.enter()
        self.next()
        if self.tok.text == ")":
            raise self.fail("D needs an expression and a variable", hint=usage)
        inner = self.expr()
        if self.tok.text != ",":
            raise self.fail("D needs a second argument: the variable to differentiate by", hint=usage)
        self.next()
        w = self.tok
        if w.kind != "name" or w.text in FUNCTIONS or w.text in CONSTANTS or w.text == "D" \
                or self.toks[self.i + 1].text != ")":
            raise self.fail("the second argument of D must be a variable name", w.pos, usage)
        self.next()
        self.expect(")")
        self.depth -= 1
        return self.node("D", (inner, var(w.text, pos=w.pos)), t.pos)

    def expect(self, text: str) -> None:
        if self.tok.text != text:
            raise self._unexpected(f"expected '{text}'")
        self.next()

    def _unexpected(self, want: str = "") -> ParseError:
        t = self.tok
        prev = self.toks[self.i - 1] if self.i else None
        if t.kind == "end":
            return self.fail(f"the function ends too early{': ' + want if want else ''}",
                             hint="Complete the expression, e.g. 'x + 1'.")
        if prev is not None and prev.text == ")" and (t.text == "(" or t.kind in ("name", "num")):
            return self.fail(f"missing operator between ')' and '{t.text}'",
                             hint="Write '*' to multiply, e.g. (x+1)*(x-1).")
        if prev is not None and prev.kind in ("name", "num") and t.text == "(":
            return self.fail(f"missing operator between '{prev.text}' and '('",
                             hint=f"Write '{prev.text}*(...)' to multiply.")
        if t.kind in ("name", "num") and prev is not None and prev.kind in ("name", "num"):
            return self.fail(f"missing operator between '{prev.text}' and '{t.text}'",
                             hint=f"Write '{prev.text}*{t.text}' to multiply.")
        what = f"'{t.text}'"
        msg = f"unexpected {what}" + (f" ({want})" if want else "")
        return self.fail(msg, hint=_HELP)


def _gap(text: str, pos: int) -> int:
    """Spaces between a unary minus at ``pos`` and what follows it."""
    i = pos + 1
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i - pos - 1


def as_function(f: Function | str, variables: Sequence[str] | None = None) -> Function:
    """``f`` itself if it is a parsed function, else its text parsed (a :class:`ParseError` for anything else)."""
    if isinstance(f, Function):
        return f
    if isinstance(f, str):
        return parse(f, variables)
    raise ParseError(f"expected a function or its text, not {type(f).__name__}")

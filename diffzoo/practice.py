"""Exercises with feedback: the student fills in the primal, tangent and adjoint traces, cell by cell.

An :class:`Exercise` is a function at a point, a seed direction ẋ and an output weight ȳ, with the
three trace tables diffzoo computes itself (:mod:`diffzoo.traces`) as the expected answers.
:func:`check` reads each typed number by an allow-list (never evaluated) and to the precision it was
typed: ``-0.284`` is right for -0.28366 (read to 3 decimals), ``-0.3`` is right as far as it goes
but too short (3 significant digits are asked for). A wrong number is matched against what each
common mistake would give, each computed from the table of primitives' own partials with that one
mistake made: forgetting to accumulate (``=`` instead of ``+=``), the sign of a subtraction's
partial, sin′ taken as −cos, the quotient rule without brackets, a dropped chain-rule factor, an
adjoint sent to the wrong parent; and a number that follows rightly from the student's own wrong
number above is said to. :func:`exercise_set` generates a reproducible set by level from a seed;
:func:`answer_key_latex` and :func:`answer_key_csv` write the teacher's key; :func:`practice_view` is
all the Practice page shows.
"""

from __future__ import annotations

import csv
import io
import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import fmt
from .api import differentiate
from .backends import FLOATS
from .expr import Expr, const, to_text, var
from .graph import pretty
from .parse import Function, parse
from .traces import list_latex
from .views import Part, part, shown_names
from .wengert import Step, WengertList

TABLES = ("primal", "tangent", "adjoint")
TITLES = {"primal": "Primal trace", "tangent": "Tangent trace", "adjoint": "Adjoint trace"}
LEVELS = {1: "two variables, four steps, + − × only", 2: "with sin, exp and log",
          3: "a variable used three times, or a vector function"}
SET_SIZE = 5  # exercises in a generated set
MIN_DIGITS = 3  # significant digits asked for, unless the number typed is exact
#: The common mistakes a hint can name (kind -> what it is called).
MISTAKES = {
    "accumulate": "forgetting to accumulate (= instead of +=)",
    "sign": "the sign of a subtraction's partial",
    "sin": "sin′ taken as −cos",
    "quotient": "the quotient rule without brackets",
    "chain": "a dropped chain-rule factor",
    "parent": "an adjoint sent to the wrong parent",
}


# --- the exercise -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One row of a trace to fill in: the student types its value (``given`` rows are filled already)."""

    table: str  # primal, tangent or adjoint
    row: int  # its position in the exercise's table
    name: str  # v₂, v̇₂, v̄₀ (as shown)
    rule: str  # v₋₁ * v₀, v̄₀ + v̄₂ * v₋₁
    value: float  # diffzoo's own value: the answer
    given: bool
    node: int  # the Wengert variable: for an adjoint row, the variable whose adjoint changes
    source: int | None = None  # adjoint rows: the step whose adjoint flows back (None: a seed ȳ)
    arg: int = 0  # adjoint rows: the target's place among the source step's arguments
    first: bool = True  # adjoint rows: the first contribution, or an accumulation
    name_latex: str = field(default="", compare=False, repr=False)
    rule_latex: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True)
class Exercise:
    """A function at a point with its seeds, and the three traces diffzoo computes for it."""

    text: str
    variables: tuple[str, ...]
    point: tuple[float, ...]
    seed: tuple[float, ...]  # ẋ, the tangent's direction
    ybar: tuple[float, ...]  # ȳ, the output weights of the reverse sweep
    wengert: tuple[str, ...]  # the list, one line per input, step and output
    primal: tuple[Cell, ...]
    tangent: tuple[Cell, ...]
    adjoint: tuple[Cell, ...]
    level: int = 0
    function: Function | None = field(default=None, compare=False, repr=False)

    def cells(self, table: str) -> tuple[Cell, ...]:
        if table not in TABLES:
            raise ValueError(f"no table '{table}': the tables are {', '.join(TABLES)}")
        return getattr(self, table)

    @property
    def wl(self) -> WengertList:
        assert self.function is not None
        return self.function.wengert

    @property
    def to_fill(self) -> int:
        return sum(1 for t in TABLES for c in self.cells(t) if not c.given)

    def seeds_text(self) -> str:
        """``ẋ = (1, 0) for (x1, x2); ȳ = 1``: what the tangent and adjoint traces are seeded with."""
        outs = self.wl.output_names()
        xs = ", ".join(fmt.exact(v) for v in self.seed)
        ys = ", ".join(fmt.exact(v) for v in self.ybar)
        x_part = f"ẋ = ({xs}) along ({', '.join(self.variables)})" if len(self.seed) > 1 else f"ẋ = {xs}"
        y_part = f"ȳ = ({ys}) on ({', '.join(outs)})" if len(self.ybar) > 1 else f"ȳ = {ys}"
        return shown_names(f"{x_part}; {y_part}", outs)


def exercise(text: str, point: Sequence[float], seed: Sequence[float] | None = None,
             ybar: Sequence[float] | None = None, level: int = 0) -> Exercise:
    """The exercise of filling in the traces of ``text`` at ``point`` (by default ẋ = e₁ and ȳ = e₁).

    The answers are diffzoo's own traces: ``differentiate(..., "forward", seed=...)`` and
    ``differentiate(..., "reverse", ybar=...)``. Inputs, their tangents and the seed rows ȳ are given.
    """
    f = parse(text)
    x = [float(v) for v in point]
    seed = [1.0] + [0.0] * (f.n - 1) if seed is None else [float(v) for v in seed]
    ybar = [1.0] + [0.0] * (f.m - 1) if ybar is None else [float(v) for v in ybar]
    fw = differentiate(f, x, "forward", seed=seed)
    rv = differentiate(f, x, "reverse", ybar=ybar)
    wl = f.wengert
    outs = wl.output_names()
    n, k = wl.n, len(wl.steps)

    def show(t: str) -> str:
        return shown_names(pretty(t), outs)

    def rows(table: str, tt: Any, count: int) -> tuple[Cell, ...]:
        return tuple(Cell(table, i, show(r.name), show(r.rule), float(r.value), i < n, r.node,
                          name_latex=r.name_latex, rule_latex=r.rule_latex) for i, r in enumerate(tt.rows[:count]))

    updates = rv.trace.sweep()[1]
    adj = tuple(Cell("adjoint", i, show(r.name), show(r.rule), float(r.value), u.source is None, u.target,
                     u.source, u.arg, u.first, r.name_latex, r.rule_latex)
                for i, (r, u) in enumerate(zip(rv.trace.adjoint().rows, updates)))
    return Exercise(text, tuple(f.variables), tuple(x), tuple(seed), tuple(ybar),
                    tuple(show(wl.to_text()).split("\n")), rows("primal", fw.trace.primal(), n + k),
                    rows("tangent", fw.trace.tangent(), n + k), adj, level, f)


# --- reading a typed number, to the precision typed ---------------------------------------------------

_TYPED = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?")


@dataclass(frozen=True)
class Reading:
    """A number as typed: its value, the unit of its last digit, and how that precision reads."""

    value: float
    unit: float  # 0.001 for "-0.284"
    precision: str  # "to 3 decimals"


def read(text: str) -> Reading:
    """Read a typed answer by an allow-list (never evaluated); ValueError says what would work."""
    t = str(text).strip().replace("\u2212", "-").replace(" ", "")
    if not t:
        raise ValueError("nothing typed")
    shown = t if len(t) <= 20 else t[:20] + "…"
    if len(t) > 40:
        raise ValueError(f"'{shown}' is too long for an answer (at most 40 characters)")
    m = _TYPED.fullmatch(t)
    if m is None or not (m.group(2) or m.group(3)):
        if re.fullmatch(r"[+-]?\d+,\d+", t):
            raise ValueError(f"'{shown}' has a comma: write {t.replace(',', '.')} (a decimal point)")
        raise ValueError(f"'{shown}' is not a number: type digits with an optional point and exponent, "
                         "such as -0.284 or 1.5e-3")
    value = float(t)
    if not math.isfinite(value):
        raise ValueError(f"'{shown}' is beyond the largest float")
    decimals = len(m.group(3) or "")
    exp = int(m.group(4) or 0)
    unit = 10.0 ** (exp - decimals)
    if m.group(4):
        digits = len((m.group(2) + (m.group(3) or "")).lstrip("0")) or 1
        precision = f"to {digits} significant digit{'s' * (digits != 1)}"
    elif decimals:
        precision = f"to {decimals} decimal{'s' * (decimals != 1)}"
    else:
        precision = "as a whole number"
    return Reading(value, unit, precision)


def _exact(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


def agrees(r: Reading, target: float) -> bool:
    """Is ``target`` rounded to the typed precision the typed number (a tie either way)?"""
    return abs(r.value - target) <= r.unit / 2 * (1 + 1e-9) or _exact(r.value, target)


def enough_digits(r: Reading, target: float) -> bool:
    """Exact, or at least :data:`MIN_DIGITS` significant digits of ``target``."""
    if _exact(r.value, target):
        return True
    if target == 0:
        return r.unit <= 10.0 ** -MIN_DIGITS
    return r.unit <= 10.0 ** (math.floor(math.log10(abs(target))) - MIN_DIGITS + 1) * (1 + 1e-9)


# --- what each common mistake gives -------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    kind: str  # a key of MISTAKES (or "carried": right from the student's own wrong number above)
    value: float
    hint: str  # names the mistake


def _partial(st: Step, j: int, vals: Callable[[Any], float]) -> float:
    """∂v_k/∂(argument j), from the table of primitives, at the values ``vals`` gives."""
    args = [vals(a) for a in st.args]
    out = st.prim.scalar(*args)
    return float(st.prim.partials[j](FLOATS, out, *args))


def _varying(wl: WengertList, st: Step) -> list[int]:
    return [j for j, a in enumerate(st.args) if isinstance(a, int) and (a <= 0 or wl.steps[a - 1].active)]


def _nm(i: int, mark: str = "") -> str:
    """``v₋₁``, ``v̇₂``, ``v̄₀``: a Wengert variable as the tables show it."""
    return pretty(f"v{mark}_{i}")


DOT, BAR = "\u0307", "\u0304"


def _value_of(wl: WengertList, vals: Sequence[float]) -> Callable[[Any], float]:
    off = wl.n - 1
    return lambda a: vals[a + off] if isinstance(a, int) else a.value


def primal_mistakes(ex: Exercise, c: Cell) -> list[Mistake]:
    """sin and cos of degrees, log as log₁₀: the slips of a calculator."""
    wl = ex.wl
    st = wl.steps[c.node - 1]
    x = _value_of(wl, _primal_values(ex))(st.args[0]) if st.args else 0.0
    out: list[Mistake] = []
    if st.prim.name in ("sin", "cos"):
        v = getattr(math, st.prim.name)(math.radians(x))
        out.append(Mistake("degrees", v, f"is {st.prim.name} of {fmt.short(x, 4)} "
                           "degrees: the argument is in radians (switch the calculator to RAD)"))
    if st.prim.name == "log" and x > 0:
        v = math.log10(x)
        out.append(Mistake("log10", v, f"is log₁₀ {fmt.short(x, 4)}: ln is the natural "
                           "logarithm, to base e"))
    return out


def tangent_mistakes(ex: Exercise, c: Cell) -> list[Mistake]:
    """The tangent rule with one mistake made, every other value right."""
    wl = ex.wl
    st = wl.steps[c.node - 1]
    P = _value_of(wl, _primal_values(ex))
    D = _value_of(wl, _tangent_values(ex))
    js = _varying(wl, st)
    p = {j: _partial(st, j, P) for j in range(len(st.args))}
    terms = {j: p[j] * D(st.args[j]) for j in js}
    name, op = c.name, st.prim.name
    out: list[Mistake] = []
    if op == "sub" and 1 in js:
        out.append(Mistake("sign", terms.get(0, 0.0) + D(st.args[1]),
                           f"has the sign of a subtraction's partial wrong: ∂{_nm(st.index)}/∂{_nm(st.args[1])} = −1, "
                           f"so {_nm(st.args[1], DOT)} is subtracted: {name} = {c.rule}"))
    if op == "sin":
        out.append(Mistake("sin", -terms[0], "has the wrong sign: sin′ = +cos (it is cos′ that is −sin)"))
    if op == "cos":
        out.append(Mistake("sin", -terms[0], "has the wrong sign: cos′ = −sin (and sin′ = +cos)"))
    if op == "div":
        a, b = (P(x) for x in st.args)
        da, db = (D(x) if j in js else 0.0 for j, x in enumerate(st.args))
        out.append(Mistake("quotient", da * b - a * db / b ** 2,
                           "looks like the quotient rule without brackets, ȧ·b − a·ḃ/b²: it is "
                           "(ȧ·b − a·ḃ)/b², the whole numerator over b²"))
    for j in js:
        rest = sum(t for i, t in terms.items() if i != j)
        a = st.args[j]
        if D(a) != 1:
            out.append(Mistake("chain", rest + p[j], f"drops a chain-rule factor: the partial "
                               f"∂{_nm(st.index)}/∂{_nm(a)} is multiplied by {_nm(a, DOT)}"))
        if p[j] != 1:
            out.append(Mistake("chain", rest + D(a), f"drops a chain-rule factor: {_nm(a, DOT)} is "
                               f"multiplied by the partial ∂{_nm(st.index)}/∂{_nm(a)}"))
    if len(js) == 2:
        for j in js:
            out.append(Mistake("accumulate", terms[j], f"keeps one term only: {_nm(st.index)} depends on "
                               f"both {_nm(st.args[0])} and {_nm(st.args[1])}, so add both terms: {c.rule}"))
        swapped = p[1] * D(st.args[0]) + p[0] * D(st.args[1])
        out.append(Mistake("parent", swapped, f"swaps the partials: {_nm(st.args[0], DOT)} goes with "
                           f"∂{_nm(st.index)}/∂{_nm(st.args[0])}, {_nm(st.args[1], DOT)} with "
                           f"∂{_nm(st.index)}/∂{_nm(st.args[1])}"))
    return out


def adjoint_mistakes(ex: Exercise, c: Cell) -> list[Mistake]:
    """The adjoint update with one mistake made, every other value right."""
    wl = ex.wl
    assert c.source is not None
    st = wl.steps[c.source - 1]
    P = _value_of(wl, _primal_values(ex))
    prev = _previous(ex, c.row)
    old = ex.adjoint[prev].value if prev is not None else 0.0
    src = ex.adjoint[_final(ex, c.row, c.source)].value
    p = _partial(st, c.arg, P)
    t, k = c.node, c.source
    gen = f"{_nm(k, BAR)} · ∂{_nm(k)}/∂{_nm(t)}"
    out: list[Mistake] = []
    if not c.first:
        out.append(Mistake("accumulate", src * p, f"is {gen} alone: forgetting to accumulate; this row "
                           f"adds to {_nm(t, BAR)} (+=), it does not replace it"))
        out.append(Mistake("accumulate", old, f"is what you get if you forget that {_nm(t)} is used "
                           f"{_times(ex, t)}: add {gen}"))
    if st.prim.name == "sub" and c.arg == 1:
        out.append(Mistake("sign", old + src, f"has the sign of a subtraction's partial wrong: "
                           f"∂{_nm(k)}/∂{_nm(t)} = −1, as {_nm(t)} is subtracted"))
    if st.prim.name == "sin":
        out.append(Mistake("sin", old - src * p, "takes sin′ as −cos: sin′ = +cos (it is cos′ that is −sin)"))
    if st.prim.name == "cos":
        out.append(Mistake("sin", old - src * p, "takes cos′ as +sin: cos′ = −sin (and sin′ = +cos)"))
    if st.prim.name == "div" and c.arg == 0:
        b = P(st.args[1])
        out.append(Mistake("quotient", old + src * b, "looks like the quotient rule without brackets "
                           "(ȧ·b − a·ḃ/b²): ∂(a/b)/∂a = 1/b, from (ȧ·b − a·ḃ)/b²"))
    if src != 1:
        out.append(Mistake("chain", old + p, f"drops a chain-rule factor: the partial ∂{_nm(k)}/∂{_nm(t)} "
                           f"is multiplied by {_nm(k, BAR)}"))
    if p != 1:
        out.append(Mistake("chain", old + src, f"drops a chain-rule factor: {_nm(k, BAR)} is multiplied by "
                           f"the partial ∂{_nm(k)}/∂{_nm(t)}"))
    if len(st.args) == 2:
        other = st.args[1 - c.arg]
        q = _partial(st, 1 - c.arg, P)
        shown = _nm(other) if isinstance(other, int) else fmt.exact(other.value)
        out.append(Mistake("parent", old + src * q, f"uses ∂{_nm(k)}/∂{shown}, the partial for the other "
                           f"parent: an adjoint sent to the wrong parent; {_nm(t, BAR)} gets "
                           f"{_nm(k, BAR)} · ∂{_nm(k)}/∂{_nm(t)}"))
    return out


def _times(ex: Exercise, t: int) -> str:
    uses = sum(1 for c in ex.adjoint if c.node == t and c.source is not None)
    return {2: "twice", 3: "three times"}.get(uses, f"{uses} times")


def _previous(ex: Exercise, row: int) -> int | None:
    """The adjoint row before ``row`` that last updated the same variable."""
    t = ex.adjoint[row].node
    return next((i for i in range(row - 1, -1, -1) if ex.adjoint[i].node == t), None)


def _final(ex: Exercise, row: int, k: int) -> int:
    """The adjoint row before ``row`` that gave v̄_k its final value (the sweep finishes v̄_k before using it)."""
    return next(i for i in range(row - 1, -1, -1) if ex.adjoint[i].node == k)


def _primal_values(ex: Exercise) -> list[float]:
    return [c.value for c in ex.primal]


def _tangent_values(ex: Exercise) -> list[float]:
    return [c.value for c in ex.tangent]


def _recompute(ex: Exercise, c: Cell, mine: Mapping[int, float]) -> tuple[float, list[int]] | None:
    """The cell's rule applied to the student's own numbers above it (``mine``: row -> value, the right
    value where the student has none), and the rows it read; None where that cannot be computed."""
    wl = ex.wl
    truth = ex.cells(c.table)

    def val(row: int) -> float:
        return mine.get(row, truth[row].value)

    try:
        if c.table == "adjoint":
            if c.source is None:
                return None
            st = wl.steps[c.source - 1]
            prev, fin = _previous(ex, c.row), _final(ex, c.row, c.source)
            p = _partial(st, c.arg, _value_of(wl, _primal_values(ex)))
            used = [fin] + ([prev] if prev is not None and not c.first else [])
            return (val(prev) if prev is not None and not c.first else 0.0) + val(fin) * p, used
        st = wl.steps[c.node - 1]
        rows = [a + wl.n - 1 for a in st.args if isinstance(a, int)]
        own = [val(i) for i in range(len(truth))]
        if c.table == "primal":
            return st.prim.scalar(*[_value_of(wl, own)(a) for a in st.args]), rows
        P, D = _value_of(wl, _primal_values(ex)), _value_of(wl, own)
        return sum(_partial(st, j, P) * D(st.args[j]) for j in _varying(wl, st)), rows
    except (ValueError, ArithmeticError):
        return None


# --- checking ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feedback:
    """What :func:`check` says about one cell."""

    row: int
    name: str
    typed: str
    status: str  # right, digits (right but too short), wrong, unreadable, empty, given
    message: str
    precision: str = ""  # how the number was read: "to 3 decimals"
    mistake: str = ""  # the kind of mistake named (a key of MISTAKES, "carried", "degrees", "log10")

    @property
    def right(self) -> bool:
        return self.status in ("right", "given")


def check(exercise: Exercise, table: str, answers: Mapping[int, str] | Sequence[str]) -> tuple[Feedback, ...]:
    """Each cell of ``table`` against diffzoo's value, read to the precision typed; a wrong one with the hint
    that names its mistake. ``answers``: the typed texts by row (a sequence, or a mapping row -> text)."""
    cells = exercise.cells(table)
    typed = dict(enumerate(answers)) if not isinstance(answers, Mapping) else dict(answers)
    readings: dict[int, Reading] = {}
    for i, t in typed.items():
        try:
            if 0 <= int(i) < len(cells) and str(t if t is not None else "").strip():
                readings[int(i)] = read(str(t))
        except ValueError:
            pass
    out = []
    for c in cells:
        text = "" if typed.get(c.row) is None else str(typed.get(c.row)).strip()
        out.append(_one(exercise, c, text, readings))
    return tuple(out)


def _one(ex: Exercise, c: Cell, text: str, readings: Mapping[int, Reading]) -> Feedback:
    r = readings.get(c.row)
    if c.given:
        return Feedback(c.row, c.name, text, "given", f"{c.name} = {fmt.exact(c.value)} is given")
    if not text:
        return Feedback(c.row, c.name, text, "empty", f"{c.name}: not filled in yet")
    if r is None:
        try:
            read(text)
        except ValueError as exc:
            return Feedback(c.row, c.name, text, "unreadable", f"{c.name}: {exc}")
    assert r is not None
    said = f"{c.name} = {text} (read {r.precision})"
    if agrees(r, c.value) and enough_digits(r, c.value):
        return Feedback(c.row, c.name, text, "right", f"{said} is right", r.precision)
    makers = {"primal": primal_mistakes, "tangent": tangent_mistakes, "adjoint": adjoint_mistakes}
    try:
        candidates = makers[c.table](ex, c)
    except (ValueError, ArithmeticError):
        candidates = []
    short = agrees(r, c.value)  # too short to tell, unless it is exactly what a mistake gives (2 for 1.716)
    matches = (lambda v: _exact(r.value, v)) if short else (lambda v: agrees(r, v) and not agrees(r, c.value))
    again = _recompute(ex, c, {i: x.value for i, x in readings.items()})
    if again is not None:
        value, used = again
        cells = ex.cells(c.table)
        wrong = [cells[i] for i in used if i in readings and not cells[i].given
                 and not (agrees(readings[i], cells[i].value) and enough_digits(readings[i], cells[i].value))]
        if wrong and matches(value):
            names = " and ".join(f"{w.name} = {fmt.short(readings[w.row].value, 6)}" for w in wrong)
            return Feedback(c.row, c.name, text, "wrong", f"{said} follows rightly from your {names}, which is "
                            "not right: fix that first.", r.precision, "carried")
    for m in candidates:
        if matches(m.value):
            return Feedback(c.row, c.name, text, "wrong", f"{said} {m.hint}.", r.precision, m.kind)
    if short:
        return Feedback(c.row, c.name, text, "digits", f"{said} is right as far as it goes; give at least "
                        f"{MIN_DIGITS} significant digits", r.precision)
    return Feedback(c.row, c.name, text, "wrong", f"{said} is not right; none of the common mistakes gives this "
                    f"number. Work it out again from {c.name} = {c.rule}.", r.precision)


# --- generated exercises -------------------------------------------------------------------------------

_FRIENDLY = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, -0.5, -1.0, -1.5, -2.0)
_BINARY = {"add": "+", "sub": "-", "mul": "*"}
_SILLY = {("exp", "log"), ("log", "exp"), ("log", "log")}  # (inner, outer): ln(exp(u)) is u


def _tree(rng: random.Random, leaves: Sequence[str], ops: int, unary: Sequence[str], binary: Sequence[str]) -> Expr:
    """A random expression with ``ops`` operations over ``leaves`` (a digit is a constant)."""
    if ops == 0:
        name = rng.choice(leaves)
        return const(float(name)) if name.isdigit() else var(name)
    if unary and rng.random() < 0.35:
        return Expr(rng.choice(unary), (_tree(rng, leaves, ops - 1, unary, binary),))
    left = rng.randint(0, ops - 1)
    return Expr(rng.choice(binary), (_tree(rng, leaves, left, unary, binary),
                                     _tree(rng, leaves, ops - 1 - left, unary, binary)))


def _uses(wl: WengertList) -> dict[int, int]:
    """How many step arguments each input is (a variable used three times has 3)."""
    count = {i + 1 - wl.n: 0 for i in range(wl.n)}
    for st in wl.steps:
        for a in st.args:
            if isinstance(a, int) and a <= 0:
                count[a] += 1
    return count


def _friendly(ex: Exercise, level: int) -> bool:
    """Every step in its domain with room to spare, and numbers of a size one works with by hand."""
    wl = ex.wl
    vals = _primal_values(ex)
    for st in wl.steps:
        if not st.active:
            return False
        args = _value_of(wl, vals)
        if st.prim.name == "log" and args(st.args[0]) < 0.2:
            return False
        if st.prim.name == "div" and abs(args(st.args[1])) < 0.5:
            return False
        if st.prim.name == "exp" and args(st.args[0]) > 3:
            return False
    every = [c.value for t in TABLES for c in ex.cells(t)]
    return all(abs(v) <= 60 for v in every) and len(set(round(v, 9) for v in every)) > 3


def generate(level: int, rng: random.Random, number: int = 0) -> Exercise:
    """One exercise of ``level`` (1, 2 or 3) drawn from ``rng``; the ``number`` in its set varies its kind."""
    if level not in LEVELS:
        raise ValueError(f"no level {level}: the levels are 1, 2 and 3")
    xs = ("x1", "x2")
    for _ in range(2000):
        if level == 1:
            e = [_tree(rng, ["x1", "x2", "x1", "x2", "2", "3"][: 6 if rng.random() < 0.3 else 4], 4, (),
                       ("add", "sub", "mul"))]
        elif level == 2:
            must = ("sin", "exp", "log")[number % 3]
            e = [_tree(rng, list(xs), rng.randint(4, 5), ("sin", "exp", "log"), ("add", "sub", "mul", "div"))]
        elif number % 2 == 0:  # a variable used three times
            e = [_tree(rng, ["x1", "x2", "x1"], rng.randint(5, 6), ("sin", "exp", "log", "cos"),
                       ("add", "sub", "mul", "div"))]
        else:  # a vector function: two outputs sharing their inputs
            e = [_tree(rng, list(xs), rng.randint(2, 3), ("sin", "exp", "cos"), ("add", "sub", "mul")),
                 _tree(rng, list(xs), rng.randint(2, 3), ("log", "sin"), ("add", "sub", "mul", "div"))]
        text = ", ".join(to_text(t) for t in e)
        try:
            f = parse(text, variables=list(xs))
        except Exception:  # noqa: BLE001 - a draw the parser refuses is drawn again
            continue
        wl = f.wengert
        uses = _uses(wl)
        if min(uses.values()) == 0 or any(not isinstance(o, int) or o <= 0 for o in wl.outputs):
            continue
        if any(st.prim.name != "mul" and len(st.args) == 2 and st.args[0] == st.args[1] for st in wl.steps):
            continue  # x1 + x1, x2 / x2: not what anyone writes
        if any(st.prim.arity == 1 and isinstance(st.args[0], int) and st.args[0] > 0
               and (wl.steps[st.args[0] - 1].prim.name, st.prim.name) in _SILLY for st in wl.steps):
            continue
        ops = {st.prim.name for st in wl.steps}
        if level == 1 and (len(wl.steps) != 4 or not ops <= set(_BINARY)):
            continue
        if level == 2 and (must not in ops or len(wl.steps) < 4):
            continue
        if level == 3 and not (max(uses.values()) >= 3 if number % 2 == 0 else wl.m == 2):
            continue
        point = [rng.choice(_FRIENDLY) for _ in xs]
        seed = [0.0, 0.0]
        seed[rng.randrange(2)] = 1.0
        ybar = [1.0] if wl.m == 1 else rng.choice(([1.0, 0.0], [0.0, 1.0], [1.0, 1.0]))
        try:
            ex = exercise(text, point, seed, ybar, level)
        except (ValueError, ArithmeticError):
            continue
        if _friendly(ex, level) and abs(differentiate(f, point, "reverse").jacobian).min() > 1e-6:
            return ex  # (an input that cancels out, as in x1 + x2 - x2, is refused by the last test)
    raise RuntimeError(f"no friendly exercise of level {level} found")  # pragma: no cover


def exercise_set(level: int, seed: int, count: int = SET_SIZE) -> tuple[Exercise, ...]:
    """The set of ``count`` exercises of ``level`` for ``seed``: the same seed gives every student the same set."""
    if level not in LEVELS:
        raise ValueError(f"no level {level}: the levels are 1, 2 and 3")
    rng = random.Random(f"diffzoo practice, level {level}, seed {int(seed)}")
    out: list[Exercise] = []
    while len(out) < count:
        ex = generate(level, rng, len(out))
        if all(ex.text != o.text for o in out):
            out.append(ex)
    return tuple(out)


# --- the teacher's answer key -------------------------------------------------------------------------


def _key_table(ex: Exercise, table: str) -> str:
    lines = [r"\begin{array}{lll}", rf"\multicolumn{{3}}{{l}}{{\text{{{TITLES[table]}}}}} \\ \hline"]
    lines += [rf"{c.name_latex} &= {c.rule_latex} &= {fmt.latex_number(c.value, 6)} \\" for c in ex.cells(table)]
    lines.append(r"\end{array}")
    return "\n".join(lines)


def answer_key_latex(exercises: Sequence[Exercise], title: str = "Answer key") -> str:
    """The traces of every exercise as a LaTeX document that plain ``pdflatex`` compiles (ASCII only)."""
    body = [rf"\section*{{{fmt.latex_text(title)}}}"]
    for i, ex in enumerate(exercises, 1):
        point = ", ".join(f"{fmt.latex_name(v)} = {fmt.latex_number(x)}" for v, x in zip(ex.variables, ex.point))
        body.append(rf"\subsection*{{Exercise {i}: \texttt{{{fmt.latex_text(ex.text)}}}}}")
        body.append(rf"At ${point}$; " + fmt.latex_text(ex.seeds_text()) + ".")
        body.append(rf"\[ {list_latex(ex.wl)} \]")
        for t in TABLES:
            body.append(rf"\[ {_key_table(ex, t)} \]")
    return fmt.document("\n\n".join(body))


def answer_key_csv(exercises: Sequence[Exercise]) -> str:
    """Every cell of every exercise: exercise, function, point, table, variable, rule, value (exact), given."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["exercise", "function", "point", "seeds", "table", "variable", "rule", "value", "given"])
    for i, ex in enumerate(exercises, 1):
        point = ", ".join(f"{v}={fmt.exact(x)}" for v, x in zip(ex.variables, ex.point))
        for t in TABLES:
            for c in ex.cells(t):
                w.writerow([i, ex.text, point, ex.seeds_text(), t, c.name, c.rule, fmt.exact(c.value),
                            "yes" if c.given else ""])
    return buf.getvalue()


# --- the Practice page's view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeView:
    """All the Practice page shows: the exercise, its tables to fill, the feedback on what was checked."""

    level: int
    seed: int
    index: int  # the exercise's place in the set, from 0
    count: int
    exercise: Part[Exercise]
    wengert_latex: Part[str]
    feedback: dict[str, tuple[Feedback, ...]]  # by table: what check() said, when answers were given
    key_latex: Callable[[], str]
    key_csv: Callable[[], str]

    @property
    def right(self) -> int:
        return sum(1 for fb in self.feedback.values() for f in fb if f.status == "right")

    @property
    def solved(self) -> bool:
        return self.exercise.ok and self.right == self.exercise.get().to_fill


def practice_view(level: int, seed: int, index: int = 0, answers: Mapping[str, Mapping[int, str]] | None = None,
                  *, cache: Callable[..., Any] | None = None) -> PracticeView:
    """Everything the Practice page shows for exercise ``index`` of the set (``level``, ``seed``), and the
    feedback on ``answers`` (table -> row -> typed text) when given. ``cache(fn, *args)`` keeps the set."""
    level = level if level in LEVELS else 1
    call = cache or (lambda fn, *a: fn(*a))
    sets = part("the exercise set", lambda: call(exercise_set, level, int(seed)))
    count = len(sets.value) if sets.ok else SET_SIZE
    index = int(index) % count
    ex = part("the exercise", lambda: sets.get()[index])
    wl_latex = part("the Wengert list", lambda: list_latex(ex.get().wl))
    feedback: dict[str, tuple[Feedback, ...]] = {}
    if answers is not None and ex.ok:
        for t in TABLES:
            feedback[t] = check(ex.get(), t, answers.get(t, {}))
    name = f"level {level}, seed {int(seed)}"
    return PracticeView(level, int(seed), index, count, ex, wl_latex, feedback,
                        lambda: answer_key_latex(sets.get(), f"diffzoo practice: answer key, {name}"),
                        lambda: answer_key_csv(sets.get()))


__all__ = ["Cell", "Exercise", "Feedback", "Mistake", "PracticeView", "Reading", "MISTAKES", "LEVELS", "TABLES",
           "exercise", "exercise_set", "generate", "read", "agrees", "enough_digits", "check", "answer_key_latex",
           "answer_key_csv", "practice_view", "primal_mistakes", "tangent_mistakes", "adjoint_mistakes"]

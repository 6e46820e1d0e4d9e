"""What each page of the workbench shows, computed in one place; drawing it is the app's job.

One frozen dataclass per page (:class:`TracesView`, :class:`SymbolicView`, :class:`NumericView`,
:class:`CompareView`, :class:`LogregView`), each built by one function of plain inputs: the function's
text, the point and the page's settings. A page reads its state, calls that function and draws the
view; it computes nothing itself. A view is made of parts: a :class:`Part` holds what it shows, or the
exception that stopped it, or nothing and the reason it is left out, so a part that fails here (a graph
too large to draw, a derivative with no value at the point) leaves every other part standing.

The expensive pieces are computed through ``cache(fn, *args)``, which the caller gives (the app passes
its byte-bounded memo; by default nothing is kept): a changed setting recomputes only the pieces that
depend on it, and an error, raised by the piece, is never kept. diffzoo never imports streamlit, and
``plots`` (matplotlib, a second to import) is imported only where a figure is drawn.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from . import compare as _compare
from . import (
    compile,
    fmt,
    graph,
    higher,
    linebreak,
    numeric,
    stepsize,
    swell,
    symbolic,
    tensor,
    timing,
    transforms,
    walk,
)
from .api import ForwardTrace, SymbolicTrace, differentiate
from .errors import EvaluationError
from .expr import latex_name
from .graph import pretty, pretty_names
from .numeric import Bounds
from .parse import Function, parse
from .traces import Row, TraceTable, list_latex
from .wengert import WengertList

T = TypeVar("T")
log = logging.getLogger("diffzoo.views")

#: Significant digits of a number in a table or a sentence (``fmt.short``); nan is written "—".
DIGITS = 12


def num(v: Any, digits: int = DIGITS) -> str:
    """A number as the pages' tables and sentences write it (``fmt.short``, nan as "—")."""
    return fmt.short(v, digits, missing="—")


# --- parts and the cache ------------------------------------------------------------------------------


Cache = Callable[..., Any]


def direct(fn: Callable[..., T], *args: Any) -> T:
    """The default ``cache``: compute, keep nothing."""
    return fn(*args)


@dataclass(frozen=True)
class Part(Generic[T]):
    """One part of a page: its ``value``; or the ``error`` that stopped it; or no value and the ``reason``."""

    what: str  # "the computational graph": names the part in a sentence
    value: T | None = None
    error: Exception | None = None
    reason: str = ""  # why the part is left out, when that is no error (a graph too large to read)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.reason

    def get(self) -> T:
        """The value; the error, raised, where there is none (a part built on this one then fails too)."""
        if self.error is not None:
            raise self.error
        if self.reason:
            raise LookupError(self.reason)
        return self.value  # type: ignore[return-value]


def part(what: str, make: Callable[[], T]) -> Part[T]:
    """``make()`` as a part: whatever it raises is kept in the part, and the other parts go on."""
    try:
        return Part(what, make())
    except Exception as exc:  # the page says why, for this part alone
        return Part(what, error=exc)


def left_out(what: str, reason: str) -> Part[Any]:
    return Part(what, reason=reason)


@dataclass(frozen=True)
class Download:
    """A file a page offers: its data (or a function that makes it when the button is pressed)."""

    label: str
    data: bytes | str | Callable[[], bytes | str]
    name: str
    mime: str


def _function(cache: Cache, text: str) -> Function:
    return cache(parse, text)


# --- Traces ------------------------------------------------------------------------------------------

MAX_LATEX_ROWS = 80  # the Wengert list and a trace typeset as mathematics up to this many rows
MAX_GRAPH_STEPS = 300  # whole graphs up to this many steps
WINDOW = 30  # rows of a long table shown around the current step
BIG = 24  # lists with more nodes than this get scrolling boxes and a local graph
CODE_LINES = 400  # lines of generated code shown (the download has all)
LIST_LINES = 200  # lines of a long Wengert list shown around the current step
ALL_ONES = "all ones"


@dataclass(frozen=True)
class _Structure:
    wl: WengertList
    outputs: tuple[str, ...]
    shown_outputs: tuple[str, ...]
    lines: tuple[str, ...]
    latex: str | None


@dataclass(frozen=True)
class _Primal:
    table: TraceTable
    vals: list[float]
    value: tuple[float, ...]


@dataclass(frozen=True)
class Sweep:
    """One tangent pass or one adjoint sweep: its trace, what it gives (a JVP, or a row of the Jacobian)."""

    table: TraceTable
    values: tuple[float, ...]  # the outputs' tangents (forward) or the inputs' adjoints (reverse)
    dots: tuple[float, ...] = ()  # forward: every variable's tangent
    updates: tuple[Any, ...] = ()  # reverse: every adjoint update, in order


@dataclass(frozen=True)
class ShownTable:
    """A trace as the page shows it: a window of rows (or all of them), as a table or as mathematics."""

    key: str  # primal, tangent, adjoint: the downloads' file names
    title: str
    frame: pd.DataFrame | None  # the rows shown (now, variable, rule, value), or None when typeset
    latex: str | None  # the rows shown as an array, when shown as mathematics
    current: int | None  # the index of the current row (its label in ``frame``)
    rows: tuple[int, int]  # [lo, hi) of ``total`` rows
    total: int
    too_many_to_typeset: bool = False  # asked for as mathematics, shown as a table

    @property
    def windowed(self) -> bool:
        return self.rows != (0, self.total)


@dataclass(frozen=True)
class Code:
    """The generated code of one sweep: the lines shown, and how many there are in all."""

    name: str  # primal, forward (JVP), reverse (VJP)
    shown: str
    lines: int


@dataclass(frozen=True)
class TracesView:
    """The Traces page: the Wengert list, its graph, the three traces, the walk through both sweeps, the code."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]  # y, or y_1, y_2, ...
    shown_outputs: tuple[str, ...]  # y₁, y₂, ... as the page writes them
    n: int  # inputs
    k: int  # steps
    seed: tuple[float, ...]
    ybar: tuple[float, ...]
    value: tuple[float, ...]  # f at the point, one value per output
    jvp: tuple[float, ...] | None  # the forward pass's output tangents (None where it cannot run here)
    gradient: tuple[float, ...] | None  # the reverse sweep's input adjoints: the seeded output's gradient
    position: int  # the walk's position, within its range
    last: int  # the walk's last position (-1: a constant, nothing to walk through)
    n_reverse: int  # adjoint updates in the walk
    phase: str  # the current position's sweep: forward or reverse
    now: Part[tuple[str, str]]  # the current step: (caption, what it computes)
    wengert: tuple[str, ...]  # lines of the Wengert list shown (a window of a long one)
    wengert_rows: tuple[int, int, int]  # lo, hi, total lines
    wengert_latex: str | None  # the list as mathematics, for a short list
    big: bool  # more nodes than fit readably on a projector: scrolling boxes, a local graph by default
    local: bool  # the graph shows only the current step's neighbourhood
    graph: Part[str]  # DOT text
    results: Part[tuple[tuple[str, str], ...]]  # (bold, rest) lines: values, the JVP, the gradient
    warnings: tuple[str, ...]
    long_tables: bool  # some table has more rows than a window
    primal: ShownTable
    tangent: Part[ShownTable]
    adjoint: Part[ShownTable]
    code: Part[tuple[Code, ...]]
    upcoming: tuple[str, float] | None = None  # what Next reveals: (name, value), for "predict the next value"

    @property
    def constant(self) -> bool:
        return self.last < 0


@dataclass(frozen=True)
class Prediction:
    """A student's guess at the value Next reveals, checked to the precision typed."""

    right: bool | None  # None: the text was not read as a number
    message: str


def check_prediction(typed: str, name: str, value: float) -> Prediction:
    """Is ``typed`` the value ``name = value`` rounded to the precision typed (``practice.read``, never evaluated)?

    ``-0.28`` is right for -0.28366 (read to 2 decimals); ``-0.29`` is not."""
    from .practice import agrees, read  # practice builds on this module

    try:
        r = read(typed)
    except ValueError as exc:
        return Prediction(None, f"Your prediction was not read: {exc}.")
    if agrees(r, value):
        return Prediction(True, f"Right: {name} = {num(value)} (your {typed.strip()}, read {r.precision}).")
    return Prediction(False, f"Not this time: {name} = {num(value)}; you predicted {typed.strip()} "
                             f"(read {r.precision}).")


def _structure(cache: Cache, text: str) -> _Structure:
    wl = _function(cache, text).wengert
    outs = tuple(wl.output_names())
    return _Structure(wl, outs, tuple(pretty_names(y, outs) for y in outs),
                      tuple(pretty_names(pretty(wl.to_text()), outs).split("\n")),
                      list_latex(wl) if len(wl.steps) <= MAX_LATEX_ROWS else None)


def _primal(cache: Cache, text: str, point: tuple[float, ...]) -> _Primal:
    wl = cache(_structure, cache, text).wl
    trace = ForwardTrace(wl, point, [])
    return _Primal(trace.primal(), trace.vals, tuple(float(v) for v in wl.output_values(trace.vals)))


def _tangent(cache: Cache, text: str, point: tuple[float, ...], seed: tuple[float, ...]) -> Sweep:
    """One forward pass along ``seed`` (``differentiate(..., "forward", seed=...)``) and its trace."""
    r = differentiate(_function(cache, text), list(point), "forward", seed=list(seed))
    return Sweep(r.trace.tangent(brief=True), tuple(r.details["jvp"]), tuple(r.trace.dots[0]))


def _adjoint(cache: Cache, text: str, point: tuple[float, ...], ybar: tuple[float, ...]) -> Sweep:
    """One reverse sweep seeded with ``ybar`` (``differentiate(..., "reverse", ybar=...)``), every update recorded."""
    r = differentiate(_function(cache, text), list(point), "reverse", ybar=list(ybar))
    table = r.trace.adjoint(brief=True)
    return Sweep(table, tuple(float(v) for v in r.details["vjp"]), updates=tuple(r.trace.sweep()[1]))


def _caveats(cache: Cache, text: str, point: tuple[float, ...]) -> tuple[str, ...]:
    """``Result.warnings`` of reverse mode's whole Jacobian, which the traces shown are part of."""
    try:
        return tuple(dict.fromkeys(differentiate(_function(cache, text), list(point), "reverse").warnings))
    except (EvaluationError, ArithmeticError, ValueError):  # the sweeps' own parts say why
        return ()


def _dot(cache: Cache, text: str, point: tuple[float, ...], seed: tuple[float, ...], ybar: tuple[float, ...],
         position: int, local: bool) -> str:
    """The graph's DOT text at one position of the walk (``local``: the current step's neighbourhood)."""
    s, p = cache(_structure, cache, text), cache(_primal, cache, text, point)
    w = _walk(cache, text, point, ybar)
    try:
        dots: Sequence[float] | None = cache(_tangent, cache, text, point, seed).dots
    except (EvaluationError, ArithmeticError, ValueError):
        dots = None
    state = w.state(position, p.vals, dots, s.wl.n)
    focus = state["highlight"] if local else None
    return graph.to_dot(s.wl, p.vals, max_steps=MAX_GRAPH_STEPS, focus=focus, radius=2, fixed=True, **state)


def _walk(cache: Cache, text: str, point: tuple[float, ...], ybar: tuple[float, ...]) -> walk.Walk:
    """Both sweeps, position by position; only the forward sweep when the reverse sweep cannot run here."""
    try:
        updates = cache(_adjoint, cache, text, point, ybar).updates
    except (EvaluationError, ArithmeticError, ValueError):
        updates = ()
    return walk.walk(cache(_structure, cache, text).wl, updates)


def generated_code(text: str, *, cache: Cache = direct) -> dict[str, str]:
    """The straight-line Python that :mod:`diffzoo.compile` writes for the list and its tangent and adjoint
    programs, line for line with the traces."""
    return cache(_sources, cache, text)


def _sources(cache: Cache, text: str) -> dict[str, str]:
    wl = cache(_structure, cache, text).wl
    return {"primal": compile.shown(wl, "primal"), "forward (JVP)": compile.shown(transforms.jvp_of(wl), "jvp"),
            "reverse (VJP)": compile.shown(transforms.vjp_of(wl), "vjp")}


def shown_names(text: str, outputs: Sequence[str]) -> str:
    """Text as the page writes it: ``v₋₁`` and the outputs ``y₁``, with a dot or bar over the letter however it
    came (``ȳ_1`` from a seed's label as well as ``y_1̄``), never a literal underscore (``graph.pretty_names``)."""
    for y in sorted((y for y in outputs if "_" in y), key=len, reverse=True):
        text = re.sub(f"{re.escape(y[0])}([\u0304\u0307]){re.escape(y[1:])}(?![0-9A-Za-z_])", f"{y}\\1", text)
    return pretty_names(text, outputs)


def window(n_rows: int, current: int | None, size: int = WINDOW) -> tuple[int, int]:
    """Rows [lo, hi) to show of a long table: a window around the current row."""
    if n_rows <= size:
        return 0, n_rows
    lo = max(0, min((current or 0) - size // 3, n_rows - size))
    return lo, lo + size


def table_frame(tt: TraceTable, current: int | None, rows: tuple[int, int] | None = None,
                outputs: Sequence[str] = ()) -> pd.DataFrame:
    """Rows [lo, hi) of a trace as the page's table: values to 12 digits, names with subscripts, the current
    row marked ▶ in a first column (the index holds the row numbers)."""
    lo, hi = rows if rows is not None else (0, len(tt.rows))
    df = TraceTable(tt.title, tt.rows[lo:hi]).frame()
    df.index = range(lo, lo + len(df))
    df["value"] = [num(v) for v in df["value"]]
    for col in ("variable", "rule", "chain rule"):
        if col in df:
            df[col] = [shown_names(str(v), outputs) for v in df[col]]
    df.insert(0, "now", ["▶" if i == current else "" for i in df.index])
    return df


def table_latex(tt: TraceTable, current: int | None, rows: tuple[int, int] | None = None) -> str:
    """Rows [lo, hi) of a trace as an aligned array; the current row in colour."""
    lo, hi = rows if rows is not None else (0, len(tt.rows))
    lines = []
    for i in range(lo, hi):
        r: Row = tt.rows[i]
        row = rf"{r.name_latex} &= {r.rule_latex} &= {num(r.value)}"
        if i == current:
            row = r"\color{#c2410c}{\blacktriangleright}\; " + row.replace("&=", r"&= \color{#c2410c}", 2)
        lines.append(row)
    return r"\begin{array}{rll}" + r"\\ ".join(lines) + r"\end{array}"


def _shown(key: str, tt: TraceTable, current: int | None, mathematics: bool, every_row: bool,
           outputs: Sequence[str]) -> ShownTable:
    rows = (0, len(tt.rows)) if every_row else window(len(tt.rows), current)
    shown = rows[1] - rows[0]
    title = shown_names(tt.title, outputs)
    if mathematics and shown <= MAX_LATEX_ROWS:
        return ShownTable(key, title, None, table_latex(tt, current, rows), current, rows, len(tt.rows))
    return ShownTable(key, title, table_frame(tt, current, rows, outputs), None, current, rows, len(tt.rows),
                      too_many_to_typeset=mathematics)


def trace_table(text: str, point: tuple[float, ...], which: str, seed: str = ALL_ONES, output: int = 0, *,
                cache: Cache = direct) -> TraceTable:
    """The whole primal, tangent or adjoint trace (``which``) of the Traces page, as downloaded."""
    s = cache(_structure, cache, text)
    if which == "primal":
        return cache(_primal, cache, text, point).table
    if which == "tangent":
        return cache(_tangent, cache, text, point, _seed(s.wl.inputs, seed)).table
    return cache(_adjoint, cache, text, point, _ybar(len(s.outputs), output)).table


def _seed(inputs: Sequence[str], seed: str) -> tuple[float, ...]:
    return tuple(1.0 for _ in inputs) if seed == ALL_ONES else tuple(float(v == seed) for v in inputs)


def _ybar(m: int, output: int) -> tuple[float, ...]:
    return tuple(float(j == output) for j in range(m))


def traces_view(text: str, point: tuple[float, ...], seed: str = ALL_ONES, output: int = 0, position: int = 0,
                whole_graph: bool = False, mathematics: bool = False, every_row: bool = False, *,
                cache: Cache = direct) -> TracesView:
    """Everything the Traces page shows for ``text`` at ``point``.

    ``seed``: the input whose tangent the forward pass carries (or ``"all ones"``); ``output``: the output
    whose gradient the reverse sweep gives; ``position``: the step of the walk (forward sweep, then reverse
    sweep) that the tables and the graph highlight, kept within range; ``whole_graph``: a big list's whole
    graph rather than the current step's neighbours; ``mathematics``: the traces typeset rather than
    tabled; ``every_row``: long tables whole rather than a window around the current step. The function
    must have a value at the point (the primal trace is the page's base; it raises otherwise).
    """
    s = cache(_structure, cache, text)
    wl = s.wl
    point = tuple(map(float, point))
    output = output if 0 <= output < len(s.outputs) else 0
    sd, yb = _seed(wl.inputs, seed), _ybar(len(s.outputs), output)
    p = cache(_primal, cache, text, point)
    tan = part("the tangent trace", lambda: cache(_tangent, cache, text, point, sd))
    adj = part("the adjoint trace", lambda: cache(_adjoint, cache, text, point, yb))
    w = _walk(cache, text, point, yb)
    last = len(w) - 1
    position = max(0, min(last, int(position)))
    step = w.steps[position] if last >= 0 else None
    phase = step.phase if step is not None else "forward"
    n, k = wl.n, len(wl.steps)
    big = n + k > BIG
    local = big and not whole_graph

    def now() -> tuple[str, str]:
        assert step is not None
        pr = lambda t: shown_names(pretty(str(t)), s.outputs)  # noqa: E731
        head = f"Step {position}/{last} — {step.caption}"
        if step.phase == "forward":
            prow = p.table.rows[step.row]
            line = f"value {pr(prow.name)} = {num(prow.value)}, "
            if not tan.ok:
                return head, line + f"tangent not available here: {pr(tan.error)}"
            trow = tan.get().table.rows[step.row]
            return head, line + f"tangent {pr(trow.name)} = {pr(trow.rule)} = {num(trow.value)}"
        arow = adj.get().table.rows[step.row]
        return head, f"{pr(arow.name)} = {pr(arow.rule)} = {num(arow.value)}"

    def results() -> tuple[tuple[str, str], ...]:
        ys = s.shown_outputs
        lines = [(y, f" = {num(v)}") for y, v in zip(ys, p.value, strict=True)]
        if tan.ok:
            dots = ", ".join(f"{y[0]}\u0307{y[1:]}" for y in ys)
            lines.append(("Forward, one pass", f" (along the seed): {dots} = "
                                               + ", ".join(num(v) for v in tan.get().values)))
        else:
            lines.append(("Forward, one pass:", f" not available here ({pretty(str(tan.error))})"))
        if adj.ok:
            yb_name = ys[output] if len(ys) > 1 else ys[0]
            pairs = list(zip(wl.inputs, adj.get().values, strict=True))
            gr = ", ".join(f"∂{yb_name}/∂{x} = {num(v)}" for x, v in pairs[:4])
            more = f" … ({len(pairs) - 4} more in the adjoint table's last rows)" if len(pairs) > 4 else ""
            lines.append(("Reverse, one sweep:", f" {gr}{more}"))
        else:
            lines.append(("Reverse, one sweep:", f" not available here ({pretty(str(adj.error))})"))
        return tuple(lines)

    def graph_part() -> Part[str]:
        if k > MAX_GRAPH_STEPS and not local:
            return left_out("the computational graph",
                            f"The list has {k} steps; whole graphs of more than {MAX_GRAPH_STEPS} steps are not "
                            "drawn (too large to read). Switch the whole graph off to see the current step's "
                            "neighbours.")
        return part("the computational graph", lambda: cache(_dot, cache, text, point, sd, yb, position, local))

    def code() -> tuple[Code, ...]:
        out = []
        for name, src in generated_code(text, cache=cache).items():
            lines = src.split("\n")
            out.append(Code(name, "\n".join(lines[:CODE_LINES]), len(lines)))
        return tuple(out)

    def upcoming() -> tuple[str, float] | None:
        """The value the next position reveals: a primal value in the forward sweep, an adjoint in the reverse."""
        if step is None or position >= last:
            return None
        nxt = w.steps[position + 1]
        pr = lambda t: shown_names(pretty(str(t)), s.outputs)  # noqa: E731
        if nxt.phase == "forward":
            row = p.table.rows[nxt.row]
        elif adj.ok:
            row = adj.get().table.rows[nxt.row]
        else:
            return None
        return pr(row.name), float(row.value)

    fwd_row = step.row if step is not None and step.phase == "forward" else None
    rev_row = step.row if step is not None and step.phase == "reverse" else None
    node_line = (step.node if step is not None else 0) + n - 1  # the list's lines: inputs, steps, outputs
    lo, hi = window(len(s.lines), node_line, LIST_LINES)
    return TracesView(
        inputs=tuple(wl.inputs), outputs=s.outputs, shown_outputs=s.shown_outputs, n=n, k=k, seed=sd, ybar=yb,
        value=p.value, jvp=tan.get().values if tan.ok else None, gradient=adj.get().values if adj.ok else None,
        position=position, last=last, n_reverse=len(w) - n - k, phase=phase,
        now=part("the current step", now) if step is not None else left_out("the current step", "no steps"),
        wengert=s.lines[lo:hi], wengert_rows=(lo, hi, len(s.lines)), wengert_latex=s.latex, big=big, local=local,
        graph=graph_part() if step is not None else left_out("the computational graph", "no steps"),
        results=part("the results", results), warnings=cache(_caveats, cache, text, point),
        long_tables=len(p.table.rows) > WINDOW or (adj.ok and len(adj.get().table.rows) > WINDOW),
        primal=_shown("primal", p.table, fwd_row, mathematics, every_row, s.outputs),
        tangent=part("the tangent trace", lambda: _shown("tangent", tan.get().table, fwd_row, mathematics,
                                                          every_row, s.outputs)),
        adjoint=part("the adjoint trace", lambda: _shown("adjoint", adj.get().table, rev_row, mathematics,
                                                          every_row, s.outputs)),
        code=part("the generated code", code), upcoming=upcoming())


# --- Symbolic ------------------------------------------------------------------------------------------

MAX_DERIVATIVE_GRAPH = 150  # steps of the shared derivative drawn as a graph
MANY = 8  # more partial derivatives than this are shown in scrolling boxes
FORMULA_WIDTH = 34  # characters of formula per line in the full-width column (about 530 pixels at 1024)


@dataclass(frozen=True)
class Formula:
    """``lhs = rhs`` broken into lines of about the width asked for (``linebreak.latex_lines``)."""

    latex: str
    too_wide: bool  # a piece could not be broken: the formula scrolls sideways


@dataclass(frozen=True)
class Simplification:
    """sympy's simplification of every partial derivative, or why there is none (status and message)."""

    status: str  # ok, timeout, memory, or another outcome of ``symbolic.simplify``
    message: str = ""
    formulas: tuple[Formula, ...] = ()
    ops: tuple[int, ...] = ()


class Unfinished(Exception):
    """A simplification that ran out of time or memory: raised, so that no cache keeps it (a quieter server,
    or a warm worker, may finish it next time)."""

    def __init__(self, outcome: symbolic.Simplified) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


@dataclass(frozen=True)
class _Derivative:
    labels: tuple[str, ...]
    latex_labels: tuple[str, ...]
    raw: tuple[str, ...]
    sizes: pd.DataFrame
    shared: dict[str, int]
    shared_steps: int
    dot: str | None
    values: tuple[float, ...]
    f_steps: int
    text: tuple[str, ...]
    value: tuple[float, ...]
    warnings: tuple[str, ...]
    missing: str


@dataclass(frozen=True)
class SymbolicView:
    """The Symbolic page: the derivative raw (as formulas and sizes), as a shared graph, simplified; swell."""

    value: tuple[float, ...]  # f at the point
    f_steps: int  # f's Wengert list length
    tree_ops: int  # the derivative written out as trees
    shared_ops: int  # the derivative with equal subexpressions shared
    shared_steps: int
    labels: tuple[str, ...]  # ∂y/∂x for every partial derivative
    jacobian: tuple[float, ...]  # their values at the point, row by row (nan where one has none)
    raw: tuple[Formula, ...]  # each partial as mathematics, with its value at the point where it has one
    sizes: pd.DataFrame  # per partial: tree and shared operations, depth, value at the point
    warnings: tuple[str, ...]
    missing: str  # why the derivative has no value at the point ("" where it has one)
    dot: str | None  # the shared derivative as a graph (None: too many steps to draw)
    downloads: tuple[Download, ...]
    swell: Part[pd.DataFrame]  # the family's sizes against n
    simplification: Callable[[], Part[Simplification]] = field(repr=False)  # run when asked for: it may be slow

    @property
    def many(self) -> bool:
        return len(self.labels) > MANY


def _derivative(cache: Cache, text: str, point: tuple[float, ...]) -> _Derivative:
    f = _function(cache, text)
    try:
        r = differentiate(f, point, "symbolic")
        exprs, J, warnings, missing = r.details["expressions"], r.jacobian, tuple(r.warnings), ""
        sizes = r.trace.sizes()
    except EvaluationError as exc:
        # The derivative exists as an expression even where it has no value (sqrt(x) at 0): show it, and say why
        # its value is missing.
        exprs = symbolic.jacobian_exprs(f.outputs, f.variables)
        J = np.full((f.m, f.n), np.nan)
        warnings, missing = (), str(exc)
        sizes = SymbolicTrace(f, exprs, J).sizes()
    flat = [e for row in exprs for e in row]
    names = f.wengert.output_names()
    labels = tuple(f"∂{y}/∂{x}" for y in names for x in f.variables)
    latex_labels = tuple(rf"\frac{{\partial {latex_name(y)}}}{{\partial {latex_name(x)}}}"
                         for y in names for x in f.variables)
    shown = [pretty_names(lab, names) for lab in labels]  # ∂y₁/∂x1 on the page, never ∂y_1/∂x1
    sizes["derivative"] = shown
    sizes.insert(len(sizes.columns), "value at the point",
                 [num(v) if np.isfinite(v) else "no value here" for v in J.ravel()])
    dl = WengertList.from_exprs(flat, f.variables) if flat else None
    dot = None
    if dl is not None and len(dl.steps) <= MAX_DERIVATIVE_GRAPH:
        dot = graph.to_dot(dl, output_labels=shown, rankdir="TB" if len(dl.steps) > 30 else "LR")
    value = f.wengert(*point)
    return _Derivative(labels, latex_labels, tuple(symbolic.show(e, latex=True, limit=400) for e in flat), sizes,
                       swell.expression_sizes(flat), len(dl.steps) if dl else 0, dot,
                       tuple(float(v) for v in J.ravel()), len(f.wengert.steps), tuple(symbolic.show(e) for e in flat),
                       tuple(value) if isinstance(value, list) else (value,), warnings, missing)


def _simplified(cache: Cache, text: str, timeout: float) -> symbolic.Simplified:
    """sympy's simplification; a timeout or a memory stop is raised (:class:`Unfinished`), so never kept."""
    f = _function(cache, text)
    exprs = [e for row in symbolic.jacobian_exprs(f.outputs, f.variables) for e in row]
    s = symbolic.simplify(exprs, timeout=timeout)
    if s.status in ("timeout", "memory"):
        raise Unfinished(s)
    return s


def _formula(lhs: str, rhs: str, width: float) -> Formula:
    tex, too_wide = linebreak.latex_lines(lhs, rhs, width)
    return Formula(tex, too_wide)


def swell_sizes(family: str, n_max: int) -> pd.DataFrame:
    """The derivative's size against n for a family of functions (``swell.swell_table``), n = 1 … n_max,
    at most to the family's own limit."""
    return swell.swell_table(family, range(1, min(int(n_max), swell.MAX_N[family]) + 1))


def symbolic_view(text: str, point: tuple[float, ...], family: str = "logistic map l_n", n_max: int = 12,
                  timeout: float = 2.0, width: float = FORMULA_WIDTH, *, cache: Cache = direct) -> SymbolicView:
    """Everything the Symbolic page shows: the derivative of ``text`` raw, its sizes and shared graph, its value
    at ``point``; the swell of ``family`` up to ``n_max``; and sympy's simplification within ``timeout`` seconds,
    computed when ``view.simplification()`` is called (so the page can draw everything else first)."""
    point = tuple(map(float, point))
    d = cache(_derivative, cache, text, point)
    raw = []
    for lab, tex, v in zip(d.latex_labels, d.raw, d.values, strict=True):
        raw.append(_formula(lab, rf"{tex} \;=\; {num(v)}" if np.isfinite(v) else tex, width))
    tree = int(d.sizes["tree operations"].sum()) if len(d.sizes) else 0
    downloads = (
        Download("Derivatives (text)", "\n".join(f"{a} = {b}" for a, b in zip(d.labels, d.text, strict=True)),
                 "derivatives.txt", "text/plain"),
        Download("Derivatives (LaTeX)", fmt.document("\n".join(rf"\[ {a} = {b} \]" for a, b in
                                                               zip(d.latex_labels, d.raw, strict=True))),
                 "derivatives.tex", "text/x-tex"),
        Download("Sizes (CSV)", d.sizes.to_csv(index=False), "sizes.csv", "text/csv"))

    def simplification() -> Part[Simplification]:
        def make() -> Simplification:
            try:
                s = cache(_simplified, cache, text, float(timeout))
            except Unfinished as exc:
                return Simplification(exc.outcome.status, exc.outcome.message)
            if s.status != "ok":
                return Simplification(s.status, s.message)
            return Simplification("ok", s.message, tuple(_formula(lab, tex, width) for lab, tex in
                                                         zip(d.latex_labels, s.latex, strict=True)), tuple(s.ops))
        return part("the simplified derivative", make)

    return SymbolicView(d.value, d.f_steps, tree, d.shared["shared"], d.shared_steps, d.labels, d.values, tuple(raw),
                        d.sizes,
                        d.warnings, d.missing, d.dot, downloads,
                        part("the swell of " + family, lambda: cache(swell_sizes, family, int(n_max))), simplification)


# --- Numeric -------------------------------------------------------------------------------------------

EXPONENTS = tuple(range(-16, 1))  # the slider's steps, 1e-16 … 1e0
PRECISIONS = ("float64", "float32", "both")
HOW = {"fit": "", "edge": "error still falling at the last usable step",
       "exact": "exactly 0 at almost every step: no V to fit", "too few": "too few usable steps (overflow, or f "
       "did not change)", "flat": "about the same error at every step: no V to fit"}


@dataclass(frozen=True)
class _Basics:
    value: float
    reference: float
    warnings: tuple[str, ...]
    missing: str
    bounds: Bounds


@dataclass(frozen=True)
class DefaultSteps:
    """How each scheme chose its default step, what it achieved, and the warnings of its Result."""

    table: pd.DataFrame
    warnings: dict[str, list[str]]  # scheme -> the warnings of its default-step Result


@dataclass(frozen=True)
class NumericView:
    """The Numeric page: the error of every scheme against the step, the default and best steps, the estimates."""

    output: str  # the output's name as the page writes it (y, y₁)
    wrt: str  # the input differentiated with respect to
    value: float  # f_output at the point
    reference: float  # the exact derivative (reverse-mode AD); nan where it has none
    warnings: tuple[str, ...]  # reverse mode's
    missing: str  # why there is no exact derivative here ("" where there is one)
    bounds: Bounds  # |f|, |f'|, |f''|, |f'''|, |f^(5)| along wrt, exactly (0 where they vanish)
    exponent: int  # the slider's step, 1e{exponent}
    precision: str
    title: str
    figure: Part[bytes]  # PNG of the error against the step
    svg: Callable[[], bytes] = field(repr=False)  # the same figure as SVG, made when called (a download)
    defaults: Part[DefaultSteps]
    estimates: Part[pd.DataFrame]  # every scheme at the slider's step
    best: Part[pd.DataFrame]  # each scheme's fitted and model best steps
    downloads: Part[tuple[Download, ...]]


def dtypes(precision: str) -> list[str]:
    return ["float64", "float32"] if precision == "both" else [precision]


def _bounds(f: Function, point: tuple[float, ...], i: int, output: int) -> Bounds:
    """The error model's inputs, exactly: an exact 0 stays 0 (the plot clamps what it draws)."""
    d = [abs(v) for v in higher.derivatives_along(f, point, i, output, 5)]
    return Bounds(f=d[0], d1=d[1], d2=d[2], d3=d[3], d5=d[5])


def _basics(cache: Cache, text: str, point: tuple[float, ...], i: int, output: int) -> _Basics:
    f = _function(cache, text)
    value = float(f.wengert.output_values(f.wengert.evaluate(list(point)))[output])
    bounds = _bounds(f, point, i, output)
    try:
        r = differentiate(f, point, "reverse")
    except EvaluationError as exc:  # no derivative here (sqrt(x) at 0): nothing for the estimates to approach
        return _Basics(value, math.nan, (), str(exc), bounds)
    return _Basics(value, float(r.jacobian[output, i]), tuple(r.warnings), "", bounds)


def _sweep(cache: Cache, text: str, point: tuple[float, ...], i: int, output: int, dtype: str) -> pd.DataFrame:
    b = cache(_basics, cache, text, point, i, output)
    return numeric.error_sweep(_function(cache, text).wengert, point, b.reference, i, output, bounds=b.bounds,
                               dtype=np.dtype(dtype))


def _best_steps(cache: Cache, text: str, point: tuple[float, ...], i: int, output: int, dtype: str) -> pd.DataFrame:
    """Each scheme's fitted best step in this precision, and the model's best step in the same precision (none
    where the model predicts no error at any step: f and the derivative it needs both vanish)."""
    sw = cache(_sweep, cache, text, point, i, output, dtype)
    ref = cache(_basics, cache, text, point, i, output).reference
    best = stepsize.best_steps(_function(cache, text), point, ref, sw, i, output, dtype=np.dtype(dtype))
    model = stepsize.model_best_steps(sw)
    model.loc[model["model_error"] == 0, "model_eps"] = math.nan
    return best.merge(model, on="scheme", how="left").assign(precision=dtype)


def _all_best(cache: Cache, text: str, point: tuple[float, ...], i: int, output: int, precision: str) -> pd.DataFrame:
    return pd.concat([cache(_best_steps, cache, text, point, i, output, dt) for dt in dtypes(precision)],
                     ignore_index=True)


def _default_steps(cache: Cache, text: str, point: tuple[float, ...], i: int, output: int) -> pd.DataFrame:
    ref = cache(_basics, cache, text, point, i, output).reference
    return numeric.default_steps(_function(cache, text).wengert, point, ref, i, output)


def _scheme_warnings(cache: Cache, text: str, point: tuple[float, ...]) -> dict[str, list[str]]:
    """The warnings of each default-step numeric Result (forward, backward, central) at the point."""
    f = _function(cache, text)
    out = {}
    for scheme in numeric.CHOSEN:
        try:
            out[scheme] = list(differentiate(f, point, "numeric", scheme=scheme).warnings)
        except (EvaluationError, ValueError, ArithmeticError):
            out[scheme] = []  # no estimate at all: the default-step table says why
    return out


def _overlay(what: str, get: Callable[[], pd.DataFrame]) -> pd.DataFrame | None:
    """What the plot can do without (its stars and diamonds): None when it cannot be had."""
    try:
        return get()
    except Exception:  # the table of the same numbers says why, in its own part of the page
        log.exception("numeric view: the %s are left out of the plot", what)
        return None


def numeric_figure(text: str, point: tuple[float, ...], i: int, output: int, precision: str, exponent: int,
                   model: bool, title: str, *, cache: Cache = direct) -> Any:
    """The matplotlib Figure of the error against the step (PNG on the page, SVG on request)."""
    from . import plots

    sweeps = {dt: cache(_sweep, cache, text, point, i, output, dt) for dt in dtypes(precision)}
    best = _overlay("best steps", lambda: _all_best(cache, text, point, i, output, precision))
    default = (_overlay("default steps", lambda: cache(_default_steps, cache, text, point, i, output))
               if "float64" in sweeps else None)
    return plots.error_figure(sweeps, best, 10.0**exponent, model, title, default)


def _error_png(cache: Cache, text: str, point: tuple[float, ...], i: int, output: int, precision: str, exponent: int,
               model: bool, title: str) -> bytes:
    from . import plots

    return plots.to_png(numeric_figure(text, point, i, output, precision, exponent, model, title, cache=cache))


def _at_step(cache: Cache, text: str, point: tuple[float, ...], i: int, output: int, precision: str,
             exponent: int) -> pd.DataFrame:
    ref = cache(_basics, cache, text, point, i, output).reference
    wl = _function(cache, text).wengert
    frames = [numeric.error_sweep(wl, point, ref, i, output, eps=[10.0**exponent], dtype=np.dtype(dt))
              .assign(precision=dt) for dt in dtypes(precision)]
    return pd.concat(frames, ignore_index=True)[["precision", "scheme", "eps", "estimate", "error", "rel_error"]]


def _default_table(d: pd.DataFrame, b: Bounds) -> pd.DataFrame:
    rows = []
    for _, r in d.iterrows():
        if r.get("message"):
            rows.append({"scheme": r["scheme"], "h": "–", "relative error": "–", "pilots, evaluations": "–",
                         "curvature (pilot)": r["message"], "curvature (exact)": "", "noise ε_f": ""})
            continue
        exact = b.d3 if r["scheme"] == "central" else b.d2
        which = "|f‴|" if r["scheme"] == "central" else "|f″|"
        rows.append({"scheme": r["scheme"], "h": fmt.sci(r["eps"]), "relative error": fmt.sci(r["rel_error"], 1),
                     "pilots, evaluations": f"{int(r['pilots'])}" + ("" if r["settled"] else " (not settled)")
                     + f", {int(r['evals'])}", "curvature (pilot)": f"{which} ≈ {fmt.short(r['curvature'], 3)}",
                     "curvature (exact)": fmt.short(exact, 3), "noise ε_f": fmt.sci(r["noise"], 1)})
    return pd.DataFrame(rows)


def _estimates_table(cur: pd.DataFrame, precision: str) -> pd.DataFrame:
    show = cur.assign(estimate=[num(v) for v in cur["estimate"]], error=[fmt.sci(v) for v in cur["error"]],
                      rel_error=[fmt.sci(v) for v in cur["rel_error"]]).drop(columns=["eps"])
    if precision != "both":
        show = show.drop(columns=["precision"])
    return show.rename(columns={"rel_error": "relative error"})


def _best_table(best: pd.DataFrame, precision: str) -> pd.DataFrame:
    notes = [("any smaller step is as good" if r["scheme"] == "complex" and r["how"] == "fit" else HOW[r["how"]])
             for _, r in best.iterrows()]
    show = pd.DataFrame({"precision": best["precision"], "scheme": best["scheme"],
                         "best h (fitted V)": [fmt.sci(v, 1) for v in best["eps"]],
                         "typical error there": [fmt.sci(v) for v in best["fit_error"]],
                         "error measured at that h": [fmt.sci(v) for v in best["error"]],
                         "best h (model)": [fmt.sci(v, 1) for v in best["model_eps"]], "note": notes})
    if precision != "both":
        show = show.drop(columns=["precision"])
    if not any(notes):
        show = show.drop(columns=["note"])
    return show


def numeric_view(text: str, point: tuple[float, ...], wrt: str, output: int = 0, exponent: int = -6,
                 precision: str = "float64", model: bool = True, *, cache: Cache = direct) -> NumericView:
    """Everything the Numeric page shows for ∂f_output/∂wrt at ``point``: the error of every scheme against the
    step in ``precision`` (float64, float32 or both), the slider's step 1e{exponent} marked, the error model
    drawn when ``model``; each scheme's default step and best step; the estimates at the slider's step.

    The function's value at the point is the page's base (it raises where f has none); where f has no
    derivative, only the default steps are computed (there is no exact value for the estimates to approach).
    """
    f = _function(cache, text)
    point = tuple(map(float, point))
    i = list(f.variables).index(wrt)
    outs = f.wengert.output_names()
    y = pretty_names(outs[output], outs)
    b = cache(_basics, cache, text, point, i, output)
    title = f"Error of ∂{y}/∂{wrt} at the point against the step"

    def defaults() -> DefaultSteps:
        table = _default_table(cache(_default_steps, cache, text, point, i, output), b.bounds)
        return DefaultSteps(table, cache(_scheme_warnings, cache, text, point))

    def downloads() -> tuple[Download, ...]:
        sweeps = pd.concat([cache(_sweep, cache, text, point, i, output, dt).assign(precision=dt)
                            for dt in dtypes(precision)])
        files = [Download("Sweep (CSV)", sweeps.to_csv(index=False), "error-sweep.csv", "text/csv")]
        best = _overlay("best steps", lambda: _all_best(cache, text, point, i, output, precision))
        if best is not None:
            files.append(Download("Best steps (CSV)", best.to_csv(index=False), "best-steps.csv", "text/csv"))
        return tuple(files)

    names = ("the plot of error against step", "the table of estimates at the slider's step", "the best-step table",
             "the downloads")
    if b.missing:
        no = "f has no derivative at this point"
        figure, estimates, best, files = (left_out(w, no) for w in names)
    else:
        figure = part(names[0], lambda: cache(_error_png, cache, text, point, i, output, precision, exponent,
                                              bool(model), title))
        estimates = part(names[1], lambda: _estimates_table(cache(_at_step, cache, text, point, i, output, precision,
                                                                  exponent), precision))
        best = part(names[2], lambda: _best_table(_all_best(cache, text, point, i, output, precision), precision))
        files = part(names[3], downloads)
    def svg() -> bytes:
        from . import plots

        return plots.to_svg(numeric_figure(text, point, i, output, precision, exponent, bool(model), title,
                                           cache=cache))

    return NumericView(y, wrt, b.value, b.reference, b.warnings, b.missing, b.bounds, int(exponent), precision, title,
                       figure, svg, part("the default-step table", defaults), estimates, best, files)


# --- Compare -------------------------------------------------------------------------------------------

COSTS = ["max rel. error", "passes", "function evals", "primitive evals", "derivative rules", "note", "warnings"]
WARNED = "⚠ below"


@dataclass(frozen=True)
class CompareTables:
    """Every method side by side: values and partials by method, accuracy and work by method, warnings."""

    note: str  # why no error is measured ("" where the 50-digit reference is there)
    derivatives: pd.DataFrame  # one row per value and partial derivative, one column per method
    costs: pd.DataFrame  # one row per method: error, passes, evaluations, note, a mark where it warns
    warnings: tuple[str, ...]  # "forward, reverse: <sentence>": methods that say the same thing together
    source: _compare.Comparison  # the figures themselves

    def csv(self) -> str:
        """The comparison as downloaded: ``compare``'s table, or each method's reason where none has a derivative."""
        c = self.source
        if c.unmeasured:
            return pd.DataFrame({"method": [r.method for r in c.rows], "value": ["—"] * len(c.rows),
                                 "note": [pretty(r.note)[:120] for r in c.rows]}).to_csv(index=False)
        return c.frame().to_csv(index=False)


@dataclass(frozen=True)
class CompareView:
    """The Compare page's comparison of the four methods (timings are measured on request, never kept)."""

    comparison: Part[CompareTables]


def _comparison(cache: Cache, text: str, point: tuple[float, ...]) -> _compare.Comparison:
    return _compare.comparison(_function(cache, text), list(point))


def _compare_tables(c: _compare.Comparison) -> CompareTables:
    methods = [r.method for r in c.rows]
    outs = list(c.outputs)
    nothing = bool(c.unmeasured)  # no method has a derivative here
    rows: list[dict[str, str]] = []
    m = len(outs)
    for j in range(m):
        label = pretty_names(outs[j], outs) if m > 1 else "f"
        cells = {}
        for r in c.rows:
            v = r.value if r.ok else c.value  # a method without a derivative still has f's value
            cells[r.method] = "—" if nothing else num(v[j] if m > 1 else v)
        rows.append({"": f"{label} (value)", **cells})
    if not nothing:
        for j, i, lab in c.partials:
            rows.append({"": pretty_names(lab, outs), **{r.method: num(r.jacobian[j, i]) for r in c.rows}})
    derivatives = pd.DataFrame(rows, columns=["", *methods])
    costs: dict[str, list[str]] = {"method": methods}
    if not nothing:
        costs["max rel. error"] = ["—" if math.isnan(r.max_rel_error) else fmt.sci(r.max_rel_error, 1)
                                   if r.max_rel_error else "0 (exact)" for r in c.rows]
        costs["passes"] = [str(r.cost.passes) if r.cost else "—" for r in c.rows]
        costs["function evals"] = [str(r.cost.function_evals) if r.cost else "—" for r in c.rows]
        costs["primitive evals"] = [str(r.cost.primitive_evals) if r.cost else "—" for r in c.rows]
        costs["derivative rules"] = [str(r.cost.derivative_evals) if r.cost else "—" for r in c.rows]
    notes = [pretty(r.note)[:120] if nothing else pretty(r.note) for r in c.rows]
    if any(n.strip() for n in notes):
        costs["note"] = notes
    if any(r.warnings for r in c.rows):  # the sentences go under the table; the table says which rows
        costs["warnings"] = [WARNED if " ".join(r.warnings).strip() else "" for r in c.rows]
    said: dict[str, list[str]] = {}
    for r in c.rows:
        w = " ".join(r.warnings)
        if w.strip():
            said.setdefault(w, []).append(r.method)
    note = (f"The 50-digit reference cannot be computed at this point ({c.unmeasured}); "
            "the methods' own answers are shown without errors.") if nothing else ""
    return CompareTables(note, derivatives, pd.DataFrame(costs),
                         tuple(f"{', '.join(ms)}: {w}" for w, ms in said.items()), c)


def compare_view(text: str, point: tuple[float, ...], *, cache: Cache = direct) -> CompareView:
    """Every method on ``text`` at ``point``: value and partials by method, error against a 50-digit reference,
    passes and evaluations, and each method's warnings."""
    point = tuple(map(float, point))
    return CompareView(part("the comparison of the methods",
                            lambda: _compare_tables(cache(_comparison, cache, text, point))))


@dataclass(frozen=True)
class Timings:
    """Every method timed on the function now: the measurement, the table as shown, and what was left out."""

    frame: pd.DataFrame  # method, median_s, min_s, repeats
    table: pd.DataFrame  # the same in microseconds, as shown
    note: str  # the compiled methods' reason for being left out, if they were


def timings(text: str, point: tuple[float, ...], repeats: int, *, cache: Cache = direct) -> Timings:
    """Time every method now (never kept: this machine, now; ``cache`` only finds the parsed function); the
    compiled rows are left out, with a note, if the code cannot be generated for this function."""
    f = _function(cache, text)
    note = ""
    try:
        t = timing.time_methods(f, list(point), repeats=repeats, compiled=True)
    except Exception as exc:  # compiled code is an extra: time the interpreters
        note = f"Compiled methods not timed ({type(exc).__name__})."
        t = timing.time_methods(f, list(point), repeats=repeats, compiled=False)
    table = t.assign(median_s=[f"{v * 1e6:,.1f} µs" for v in t["median_s"]],
                     min_s=[f"{v * 1e6:,.1f} µs" for v in t["min_s"]]).rename(columns={"median_s": "median",
                                                                                      "min_s": "min"})
    return Timings(t, table, note)


SCALING_NS = (2, 4, 8, 16, 32, 64, 128, 256)


def scaling(n_top: int) -> pd.DataFrame:
    """The full gradient of Σ sin(xᵢ)·xᵢ₊₁ timed by every method for n = 2, 4, … up to ``n_top``."""
    return timing.scaling(ns=[n for n in SCALING_NS if n <= n_top], repeats=3)


def crossover() -> pd.DataFrame:
    """Forward (n passes) against reverse (m sweeps) on vector functions, n and m from 1 to 16."""
    return timing.crossover(ns=(1, 2, 4, 8, 16), ms=(1, 2, 4, 8, 16), repeats=3)


# --- figures of measured data ------------------------------------------------------------------------------


def figure(kind: str, data: pd.DataFrame, *args: Any) -> Any:
    """A matplotlib Figure of ``data`` (:mod:`diffzoo.plots`): ``bar`` (timings), ``lines``, ``loss``,
    ``crossover`` or ``swell``; matplotlib is loaded when the first figure is drawn."""
    from . import plots

    if kind == "bar":
        return plots.bar_figure(list(data["method"]), list(data["median_s"]), *args)
    return {"lines": plots.lines_figure, "loss": plots.loss_figure, "crossover": plots.crossover_figure,
            "swell": plots.swell_figure}[kind](data, *args)


# --- Logistic regression -------------------------------------------------------------------------------

#: The range of each number box of the page: (label, smallest, largest).
LOGREG_LIMITS: dict[str, tuple[str, float, float]] = {
    "N": ("N samples", 10, 20_000), "d": ("d features", 1, 500), "dseed": ("Data seed", 0, 10_000),
    "lr": ("Learning rate", 0.001, 10.0), "gd": ("Steps", 1, 200)}
#: Gradient descent runs without being asked when it should take less than this.
BUDGET_SECONDS = 1.0
#: Seconds per entry of X per step of gradient descent (X w forward, X^T g back): 20,000 x 500 data took
#: 19-25 ms a step on the 2-core server (3.4 s for 200 steps), 2.5e-9 s per entry. A cost model, not a
#: timing, so that the same inputs always get the same page.
ENTRY_SECONDS = 2.5e-9


def logreg_setting(key: str, value: float | None) -> str:
    """Why a number box's value cannot be used ("" when it can): missing, or out of its range."""
    label, lo, hi = LOGREG_LIMITS[key]
    if value is not None and lo <= value <= hi:
        return ""
    why = "is needed" if value is None else f"{value:g} is too {'small' if value < lo else 'large'}"
    return f"{label} must be between {lo:,g} and {hi:,g}: {why}."


def descent_seconds(N: int, d: int, steps: int) -> float:
    """What ``steps`` steps of gradient descent on N x d data take, by the cost model (never a timing)."""
    return N * d * (steps + 1) * ENTRY_SECONDS


def descent_note(N: int, d: int, steps: int) -> str:
    """Why gradient descent waits for a button: what it would take."""
    return (f"{steps} steps on {N:,} × {d} data take about {descent_seconds(N, d, steps):.1f} s, so they run "
            "when asked.")


@dataclass(frozen=True)
class LogregView:
    """The Logistic regression page at w = 0: the Wengert list of array steps, primal values, adjoint trace."""

    wengert_latex: str
    wengert: pd.DataFrame  # equation, defines, definition
    primal: pd.DataFrame
    adjoint: pd.DataFrame
    loss: float
    grad_norm: float
    check: float  # max |reverse-mode gradient - hand-written gradient|
    downloads: tuple[Download, ...]


def _arrays(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "shape" in out:
        out["shape"] = [str(tuple(s)) for s in out["shape"]]
    if "norm" in out:
        out["norm"] = [fmt.short(v, 6) for v in out["norm"]]
    return out


def _logreg(N: int, d: int, seed: int) -> LogregView:
    model = tensor.logistic_regression(N, d, seed)
    w0 = np.zeros(d)
    env = model.env(w0)
    _, trace = model.program.vjp(env, ("w",), record=True)
    loss, grad = model.loss_and_grad(w0)
    check = float(np.max(np.abs(grad - model.grad_handwritten(w0))))
    wf = model.program.wengert_frame()
    adjoint = trace.to_frame()
    latex = r"\begin{aligned}" + r"\\ ".join(x.replace("=", "&=", 1) for x in wf["latex"]) + r"\end{aligned}"
    return LogregView(latex, wf[["i", "out", "definition"]].rename(columns={"i": "equation", "out": "defines"}),
                      _arrays(model.program.primal_frame(env)), _arrays(adjoint).rename(columns={"eq": "equation"}),
                      float(loss), float(np.linalg.norm(grad)), check,
                      (Download("Adjoint trace (CSV)", adjoint.to_csv(index=False), "logreg-adjoint.csv", "text/csv"),
                       Download("Wengert list (CSV)", wf.to_csv(index=False), "logreg-wengert.csv", "text/csv")))


def logreg_view(N: int, d: int, seed: int, *, cache: Cache = direct) -> LogregView:
    """Everything the Logistic regression page shows about a generated data set of N samples and d features at
    w = 0 (the data set itself is not kept: at N = 20,000 and d = 500 it is 80 MB)."""
    return cache(_logreg, int(N), int(d), int(seed))


def descent(N: int, d: int, seed: int, lr: float, steps: int,
            progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Gradient descent from w = 0 on the data set (made again: it is never kept): loss per step."""
    return tensor.logistic_regression(N, d, seed).gradient_descent(np.zeros(d), lr, steps, progress)


def timing_against_d(d_max: int, N: int, seed: int) -> pd.DataFrame:
    """One reverse sweep against d forward passes and 2d evaluations, for d = 1, 2, 4, … up to ``d_max``."""
    ds = [v for v in (1, 2, 4, 8, 16, 32, 64, 128, 256) if v <= d_max]
    return tensor.timing_vs_d(ds, N=int(N), repeats=3, seed=seed)


__all__ = ["Part", "Download", "Cache", "direct", "TracesView", "SymbolicView", "NumericView", "CompareView",
           "LogregView", "traces_view", "symbolic_view", "numeric_view", "compare_view", "logreg_view", "timings",
           "scaling", "crossover", "figure", "descent"]

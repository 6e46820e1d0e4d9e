"""One interface, four methods: ``differentiate(f, point, method=...)`` returns a ``Result``.

Every method answers with the same fields (value, Jacobian, gradient, cost) and a trace that
shows how it got there. Traces are built lazily, when asked for, so a gradient costs what
the method costs and not the price of its explanation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import caveats, forward, functions, loopcode, numeric, program, reverse, symbolic
from .errors import LimitError
from .expr import nodes, to_text
from .fmt import latex_name
from .parse import Function, as_function, written_out
from .points import PointError, floats, number, vector  # noqa: F401  (re-exported: the API of points)
from .traces import Row, TraceTable, adjoint_table, primal_table, seed_label, tangent_rules, tangent_table
from .transforms import unit_vectors
from .wengert import WengertList

METHODS = ("symbolic", "numeric", "forward", "reverse")


@dataclass(frozen=True)
class Cost:
    """What a method spent: sweeps over the list, primitive evaluations, whole evaluations of f."""

    passes: int  # forward passes (forward mode), reverse sweeps (reverse mode), or 0
    primitive_evals: int  # primitive values computed (the primal steps, for every evaluation of f)
    derivative_evals: int  # partial-derivative rules evaluated
    function_evals: int  # evaluations of the whole function


_COSTS: dict[tuple[int, int, int, int], Cost] = {}  # (a Cost is frozen: one object serves every result it describes)


def _cost(passes: int, primitive_evals: int, derivative_evals: int, function_evals: int) -> Cost:
    """``Cost(passes, ...)``, one object per distinct cost (the paths whose fixed cost is measured: a short
    program's gradient, again and again)."""
    key = (passes, primitive_evals, derivative_evals, function_evals)
    c = _COSTS.get(key)
    if c is None:
        if len(_COSTS) >= 256:
            _COSTS.clear()
        c = _COSTS[key] = Cost(passes, primitive_evals, derivative_evals, function_evals)
    return c


@dataclass
class Result:
    """What every method returns."""

    method: str
    function: Function
    x: list[float]  # the point, in the function's variable order (``point`` names it)
    value: Any  # float for a scalar function, list of m floats for a vector function
    jacobian: np.ndarray  # m x n
    trace: Any
    cost: Cost
    details: dict[str, Any] = field(default_factory=dict)
    #: The sentences of :attr:`warnings`, or a function that finds them the first time they are read
    #: (the checks of forward and reverse mode cost a sweep, which a bare gradient need not pay for).
    caveats: list[str] | Callable[[], list[str]] = field(default_factory=list, repr=False)

    @property
    def point(self) -> dict[str, float]:
        """``{variable: value}``: where the derivatives were taken."""
        return dict(zip(self.function.variables, self.x))

    @property
    def warnings(self) -> list[str]:
        """Sentences a reader must see beside the numbers: a kink at the point, a step that could not be
        trusted, digits lost to cancellation. Every page, the CLI and ``compare`` show them."""
        if callable(self.caveats):
            self.caveats = list(self.caveats())
        return self.caveats

    @property
    def gradient(self) -> dict[str, float] | None:
        """``{variable: ∂f/∂variable}`` for a scalar function (None for a vector function)."""
        if self.jacobian.shape[0] != 1:
            return None
        return {v: float(d) for v, d in zip(self.function.variables, self.jacobian[0])}

    @property
    def derivative(self) -> float | None:
        """f'(x) for a function of one variable with one output."""
        return float(self.jacobian[0, 0]) if self.jacobian.shape == (1, 1) else None

    def _repr_html_(self) -> str:  # how Jupyter shows it: diffzoo/notebook.py
        from .notebook import to_html
        return to_html(self)


# --- traces --------------------------------------------------------------------------------------


class Trace:
    """A method's explanation: named tables, each with DataFrame, Markdown, LaTeX and CSV forms."""

    method = ""

    def tables(self) -> dict[str, TraceTable]:
        raise NotImplementedError

    def frames(self) -> dict[str, pd.DataFrame]:
        return {k: t.frame() for k, t in self.tables().items()}

    def to_markdown(self) -> str:
        return "\n\n".join(t.to_markdown() for t in self.tables().values())

    def to_latex(self) -> str:
        return "\n\n".join(t.to_latex() for t in self.tables().values())

    def _repr_html_(self) -> str:  # how Jupyter shows it: diffzoo/notebook.py
        from .notebook import to_html
        return to_html(self)


class ForwardTrace(Trace):
    """The primal trace and one tangent trace per forward pass (per seed direction).

    Built from the point alone, it computes the primal values and tangents when first asked for
    (a compiled result costs its compiled passes, not their explanation); the interpreted path
    hands over what it has already computed.
    """

    method = "forward"

    def __init__(self, wl: WengertList, x: Sequence[float], seeds: list[list[float]],
                 vals: list[float] | None = None, dots: list[list[float]] | None = None):
        self.wl, self.x, self.seeds = wl, list(x), seeds
        self._vals, self._dots = vals, dots

    @property
    def vals(self) -> list[float]:
        if self._vals is None:
            self._vals = self.wl.evaluate(self.x)
        return self._vals

    @property
    def dots(self) -> list[list[float]]:
        if self._dots is None:
            self._dots = [forward.tangent_sweep(self.wl, self.vals, s) for s in self.seeds]
        return self._dots

    def primal(self) -> TraceTable:
        """The primal trace: every input and step with its value."""
        return primal_table(self.wl, self.vals)

    def tangent(self, k: int = 0, brief: bool = False) -> TraceTable:
        """The tangent trace of pass ``k``, titled by its seed (``brief``: a short title for many inputs)."""
        t = tangent_table(self.wl, self.vals, self.dots[k], tangent_rules(self.wl))
        t.title = f"Tangent trace, seed {seed_label(self.wl.inputs, self.seeds[k], brief=brief)}"
        return t

    def tables(self) -> dict[str, TraceTable]:
        out = {"primal": self.primal()}
        for k, seed in enumerate(self.seeds):
            out[f"tangent {seed_label(self.wl.inputs, seed)}"] = self.tangent(k)
        return out


class ReverseTrace(Trace):
    """The primal trace and one adjoint trace per reverse sweep; updates are recorded when asked for."""

    method = "reverse"

    def __init__(self, wl: WengertList, x: Sequence[float], ybars: list[list[float]], vals: list[float] | None = None):
        self.wl, self.x, self.ybars = wl, list(x), ybars
        self._vals = vals
        self._sweeps: dict[int, tuple[list[float], list[reverse.Update]]] = {}

    @property
    def vals(self) -> list[float]:
        if self._vals is None:
            self._vals = self.wl.evaluate(self.x)
        return self._vals

    def sweep(self, k: int = 0) -> tuple[list[float], list[reverse.Update]]:
        """Sweep ``k`` recorded: the adjoints of every variable (inputs first) and every update in order."""
        if k not in self._sweeps:
            self._sweeps[k] = reverse.adjoint_sweep(self.wl, self.vals, self.ybars[k], record=True)
        return self._sweeps[k]

    def primal(self) -> TraceTable:
        """The primal trace: every input and step with its value."""
        return primal_table(self.wl, self.vals)

    def adjoint(self, k: int = 0, brief: bool = False) -> TraceTable:
        """The adjoint trace of sweep ``k``, titled by its seed (``brief``: a short title for many outputs)."""
        bar, updates = self.sweep(k)
        t = adjoint_table(self.wl, updates, bar)
        t.title = f"Adjoint trace, seed {seed_label(self.wl.output_names(), self.ybars[k], bar=True, brief=brief)}"
        return t

    def tables(self) -> dict[str, TraceTable]:
        out = {"primal": self.primal()}
        for k, ybar in enumerate(self.ybars):
            out[f"adjoint {seed_label(self.wl.output_names(), ybar, bar=True)}"] = self.adjoint(k)
        return out


class SymbolicTrace(Trace):
    """The derivative expressions, their sizes (tree against shared graph) and values."""

    method = "symbolic"

    def __init__(self, function: Function, exprs: list[list[Any]], J: np.ndarray):
        self.function, self.exprs, self.J = function, exprs, J

    def tables(self) -> dict[str, TraceTable]:
        t = TraceTable("Symbolic derivatives")
        names = self.function.wengert.output_names()
        for j, row in enumerate(self.exprs):
            for i, e in enumerate(row):
                x = self.function.variables[i]
                t.rows.append(Row(f"∂{names[j]}/∂{x}", symbolic.show(e), float(self.J[j, i]), 0,
                                  rf"\frac{{\partial {latex_name(names[j])}}}{{\partial {latex_name(x)}}}",
                                  symbolic.show(e, latex=True)))
        return {"derivatives": t}

    def sizes(self) -> pd.DataFrame:
        rows = []
        names = self.function.wengert.output_names()
        for j, row in enumerate(self.exprs):
            for i, e in enumerate(row):
                s = symbolic.Size.of(e)
                rows.append({"derivative": f"∂{names[j]}/∂{self.function.variables[i]}",
                             "tree operations": s.tree, "shared operations": s.graph, "depth": s.depth})
        return pd.DataFrame(rows)


class NumericTrace(Trace):
    """For each input: the step used and the estimate of every output's partial derivative."""

    method = "numeric"

    def __init__(self, function: Function, scheme: str, steps: list[float], J: np.ndarray,
                 choices: Sequence[numeric.StepChoice | None] = ()):
        self.function, self.scheme, self.steps, self.J = function, scheme, steps, J
        self.choices = list(choices) or [None] * len(steps)

    def tables(self) -> dict[str, TraceTable]:
        t = TraceTable(f"{self.scheme.capitalize()} differences")
        names = self.function.wengert.output_names()
        for i, x in enumerate(self.function.variables):
            c = self.choices[i]
            how = "" if c is None else f" (chosen: {_plural(len(c.pilots), 'pilot')}, {_plural(c.evals, 'evaluation')})"
            for j, y in enumerate(names):
                t.rows.append(Row(f"∂{y}/∂{x}", f"{_formula(self.scheme, y, x)}, h = {self.steps[i]:.3g}{how}",
                                  float(self.J[j, i]), 0))
        return {"estimates": t}


def _plural(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "s")


def _formula(scheme: str, y: str, x: str) -> str:
    return {"forward": f"({y}({x}+h) - {y}({x})) / h", "backward": f"({y}({x}) - {y}({x}-h)) / h",
            "central": f"({y}({x}+h) - {y}({x}-h)) / 2h", "complex": f"Im {y}({x}+ih) / h",
            "richardson": "(4 D(h/2) - D(h)) / 3, D = central"}[scheme]


# --- the one entry point -------------------------------------------------------------------------


def as_point(function: Function, point: Mapping[str, Any] | Sequence[Any] | float) -> list[float]:
    """The point as floats in the function's variable order (a :class:`PointError` naming what is wrong).

    O(n): plain floats are taken at once (``functions.floats``), anything else is read entry by entry.
    """
    return floats(point, function.variables)


def differentiate(f: Function | str, point: Mapping[str, Any] | Sequence[Any] | float, method: str = "reverse",
                  *, variables: Sequence[str] | None = None, seed: Any = None, ybar: Any = None,
                  scheme: str = "central", eps: float | None = None, relative: bool = True,
                  compiled: bool = False, _path: bool = False) -> Result:
    """Value and derivatives of ``f`` at ``point`` by ``method`` (one of :data:`METHODS`).

    forward: ``seed`` gives one pass in that direction (a JVP, ``details["jvp"]``); otherwise
    n passes give the Jacobian. reverse: ``ybar`` gives one sweep (a VJP, ``details["vjp"]``);
    otherwise m sweeps. numeric: ``scheme`` and ``eps`` (a relative step unless
    ``relative=False``). ``compiled=True`` runs forward/reverse through generated code.
    Points, seeds and ybar may be a number, a sequence or a dict by name; whatever is not a
    number raises a :class:`PointError` naming the entry. ``Result.warnings`` says what the numbers
    alone would not: a kink at the point, a step that could not be trusted, digits lost to cancellation.
    """
    function = _parsed(f, variables) if type(f) is str else as_function(f, variables)
    x = as_point(function, point)
    r = _differentiate(function, x, method, seed, ybar, scheme, eps, relative, compiled, _path)
    # (a D written out rebuilds its output's tree: without one the outputs are the trees as typed, nothing to walk)
    if function.program is None and any(a is not b for a, b in zip(function.source, function.outputs)):
        base = r.caveats
        r.caveats = lambda: _d_kinks(function, x) + list(base() if callable(base) else base)
    return r


def _d_kinks(function: Function, x: list[float]) -> list[str]:
    """A sentence for each ``D(expr, y)`` taken where ``expr`` has no derivative (a kink or a jump at the point):
    written out, the derivative has no trace of it (step′ is 0, abs′ is sign), so the value D gives there is the
    convention, which the function's own list cannot tell."""
    out = []
    for e in nodes(function.source):
        if e.op != "D":
            continue
        inner = written_out([e.args[0]])[0]
        wl = WengertList.from_exprs([inner], function.variables)
        if not wl.kink_steps:
            continue
        vals = wl.evaluate(x)
        at = caveats.kinks_at(wl, vals)
        if at and caveats.kinks(wl, vals):  # one-sided derivatives that differ: no derivative to write out
            typed, y = to_text(e.args[0]), e.args[1].name
            kinks = "; ".join(dict.fromkeys(st.prim.kink_text for st in at))
            rules = ", ".join(dict.fromkeys(st.prim.convention for st in at))
            out.append(f"D({typed}, {y}) is taken where {typed} has no derivative ({kinks}, and its one-sided "
                       f"derivatives differ here): the value D gives there is the convention {rules}, "
                       "not a derivative.")
    return out


def _differentiate(function: Function, x: list[float], method: str, seed: Any, ybar: Any, scheme: str,
                   eps: float | None, relative: bool, compiled: bool, _path: bool) -> Result:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if function.program is not None:  # a program: differentiate the path it takes at x (x is floats already)
        function = program.at(function, x)
    wl = function.wengert
    seed = floats(seed, function.variables, "seed") if seed is not None else None
    ybar = floats(ybar, wl.output_names(), "ybar") if ybar is not None else None
    if wl.program is not None and not _path:
        if compiled and method in ("forward", "reverse"):
            return _loop_compiled(function, x, method, seed, ybar)
        return _traced(function, x, method, seed, ybar, scheme, eps, relative)
    if compiled and method in ("forward", "reverse"):
        return _compiled(function, x, method, seed, ybar)
    k = len(wl.steps)
    partials = wl.partial_count
    if method == "reverse" and ybar is None and wl.m == 1:  # a gradient: one run of the gradient program
        vals, g = reverse.primal_and_gradient(wl, x)
        J = np.array([g])
        return Result(method, function, x, _value(wl, vals), J,
                      ReverseTrace(wl, x, [[1.0]], vals), Cost(1, k, partials, 1),
                      caveats=lambda: _ad_warnings(wl, vals, J))
    vals = wl.evaluate(x)
    value = _value(wl, vals)
    if method == "forward":
        if seed is not None:
            dots = forward.tangent_sweep(wl, vals, seed)
            jv = forward.output_tangents(wl, dots)
            trace = ForwardTrace(wl, x, [seed], vals, [dots])
            return Result(method, function, x, value, np.full((wl.m, wl.n), np.nan), trace,
                          Cost(1, k, partials, 1), {"jvp": jv, "seed": seed},
                          caveats=lambda: caveats.kinks(wl, vals, seed=seed) if wl.kink_steps else [])
        J = forward.jacobian(wl, vals)
        return Result(method, function, x, value, J,
                      ForwardTrace(wl, x, unit_vectors(wl.n), vals), Cost(wl.n, k, wl.n * partials, 1),
                      caveats=lambda: _ad_warnings(wl, vals, J))
    if method == "reverse":
        if ybar is not None:
            bar = reverse.input_adjoints(wl, vals, ybar)
            trace = ReverseTrace(wl, x, [ybar], vals)
            # One sweep gives ȳ·J, not J: like a forward pass's JVP, it goes in details, and the
            # Jacobian (so gradient and derivative) stays unknown rather than being ȳ·J mislabelled.
            return Result(method, function, x, value, np.full((wl.m, wl.n), np.nan), trace,
                          Cost(1, k, partials, 1), {"vjp": bar, "ybar": ybar},
                          caveats=lambda: caveats.kinks(wl, vals) if wl.kink_steps else [])
        J = reverse.jacobian(wl, vals)
        return Result(method, function, x, value, J,
                      ReverseTrace(wl, x, unit_vectors(wl.m), vals), Cost(wl.m, k, wl.m * partials, 1),
                      caveats=lambda: _ad_warnings(wl, vals, J))
    if method == "symbolic":
        exprs = symbolic.jacobian_exprs(function.outputs, function.variables)
        flat = [e for row in exprs for e in row]
        dl = WengertList.from_exprs(flat, function.variables) if flat else None
        if dl is not None:
            dvals = symbolic.evaluate(dl, x)
            J = np.array(dl.output_values(dvals), dtype=float).reshape(wl.m, wl.n)
        else:
            J = np.zeros((wl.m, wl.n))
        labels = [f"\u2202{y}/\u2202{v}" for y in wl.output_names() for v in function.variables]

        def symbolic_caveats() -> list[str]:
            out = caveats.kinks(wl, vals, J) if wl.kink_steps else []
            return out + (caveats.rounding(dl, dvals, labels) if dl is not None else [])

        cost = Cost(0, k, len(dl.steps) if dl is not None else 0, 1)
        return Result(method, function, x, value, J, SymbolicTrace(function, exprs, J), cost,
                      {"expressions": exprs}, caveats=symbolic_caveats)
    # f(x) is already known (the value): forward and backward differences reuse it, so they cost
    # n evaluations besides it (n + 1 in all), central 2n, Richardson 4n, complex step n; a step
    # chosen for the function adds its pilots and its check (one or two pilots per input on smooth functions).
    est = numeric.jacobian(wl, x, scheme, eps, relative, f0=wl.output_values(vals), vals=vals)
    J = est.J
    steps = [e.h for e in est.columns]
    choices = [e.choice for e in est.columns]
    warnings = [w for e in est.columns for w in e.warnings]
    return Result(method, function, x, value, J, NumericTrace(function, scheme, steps, J, choices),
                  Cost(0, k * (est.evals + 1), 0, est.evals + 1),
                  {"scheme": scheme, "steps": steps, "choices": choices, "estimates": est.columns},
                  caveats=list(dict.fromkeys(warnings)))


_PARSED: dict[tuple[str, tuple[str, ...] | None], Function] = {}


def _parsed(text: str, variables: Sequence[str] | None) -> Function:
    """``text`` parsed (as :func:`as_function` does), once per text and variable order: the work that does not
    depend on the point, kept for the next call (a program keeps its tracer and generated code, a list its
    compiled code)."""
    try:
        key = (text, None if variables is None else tuple(variables))
        function = _PARSED.get(key)
    except TypeError:  # (variables that cannot be a key: as_function says what is wrong with them)
        return as_function(text, variables)
    if function is None:
        function = as_function(text, variables)
        if len(_PARSED) >= 64:
            del _PARSED[next(iter(_PARSED))]  # the oldest: a text in use stays
        _PARSED[key] = function
    return function


def _traced(function: Function, x: list[float], method: str, seed: list[float] | None, ybar: list[float] | None,
            scheme: str, eps: float | None, relative: bool) -> Result:
    """A program's path at x: forward and reverse mode by one sweep each over the traced list (its values
    recorded while tracing), symbolic and numeric as for any list; the warnings add what the path means
    (the branches it holds on, a point on a branch boundary, a stencil that takes another path).

    Only what the numbers need is computed here (one sweep per output or input, over the values recorded while
    tracing): the trace's tables are built when read (:class:`ReverseTrace`, :class:`ForwardTrace`), and the
    warnings when :attr:`Result.warnings` is first read, from the list, the values and J, which the result keeps.
    """
    wl = function.wengert
    traced = wl.__dict__.get("_traced")  # (the values recorded while tracing at x, as program.traced_values finds)
    vals = traced[1] if traced is not None and traced[0] == tuple(x) else program.traced_values(wl, x)
    m, n = len(wl.outputs), len(wl.inputs)
    if method == "reverse" and ybar is None:  # the gradient (or Jacobian): one sweep per output
        if m == 1:
            ybars = [[1.0]]
            J = np.array([program.adjoints(wl, vals, ybars[0])])
        else:
            ybars = unit_vectors(m)
            J = np.array([program.adjoints(wl, vals, e) for e in ybars]).reshape(m, n)
        return Result(method, function, x, _value(wl, vals), J, ReverseTrace(wl, x, ybars, vals),
                      _cost(m, len(wl.steps), m * wl.partial_count, 1), caveats=_PathNotes(wl, x, J, vals))
    k, partials = len(wl.steps), wl.partial_count
    value = _value(wl, vals)

    def notes(J: np.ndarray | None, base: Callable[[], list[str]]) -> Callable[[], list[str]]:
        def found() -> list[str]:
            return program.boundary_warnings(wl, x, J) + base() + program.path_note(wl)
        return found

    if method == "forward":
        nan = np.full((m, n), np.nan)
        if seed is not None:
            jv = program.tangents(wl, vals, seed)
            return Result(method, function, x, value, nan, ForwardTrace(wl, x, [seed], vals), Cost(1, k, partials, 1),
                          {"jvp": jv, "seed": seed},
                          caveats=notes(None, lambda: caveats.kinks(wl, vals, seed=seed) if wl.kink_steps else []))
        J = np.array([program.tangents(wl, vals, e) for e in unit_vectors(n)]).T.reshape(m, n)
        return Result(method, function, x, value, J, ForwardTrace(wl, x, unit_vectors(n), vals),
                      Cost(n, k, n * partials, 1), caveats=notes(J, lambda: _ad_warnings(wl, vals, J)))
    if method == "reverse":  # one sweep weighted by ybar: a VJP
        bar = program.adjoints(wl, vals, ybar)
        return Result(method, function, x, value, np.full((m, n), np.nan), ReverseTrace(wl, x, [ybar], vals),
                      Cost(1, k, partials, 1), {"vjp": bar, "ybar": ybar},
                      caveats=notes(None, lambda: caveats.kinks(wl, vals) if wl.kink_steps else []))
    cap = function.path_of.program.limits.symbolic if function.path_of is not None else None
    if method == "symbolic" and cap is not None and k > cap:
        raise LimitError(f"symbolic differentiation of this program's path is refused: it has {k:,} steps, more than "
                         f"{cap:,} (its derivative expressions would swell past any use); forward and reverse mode "
                         "differentiate the same path in one sweep")
    r = differentiate(function, x, method, scheme=scheme, eps=eps, relative=relative, _path=True)
    base = r.caveats

    def path_caveats() -> list[str]:
        first = program.boundary_warnings(wl, x, r.jacobian) if method == "symbolic" else []
        return first + list(base() if callable(base) else base) + program.path_note(wl)

    r.caveats = path_caveats
    return r


class _PathNotes:
    """The warnings of a traced path's gradient or Jacobian J, found when first read (as ``notes`` in
    :func:`_traced` finds them): a branch boundary at x, kinks and cancellation, and the path note."""

    __slots__ = ("wl", "x", "J", "vals")

    def __init__(self, wl: WengertList, x: list[float], J: np.ndarray, vals: list[float]):
        self.wl, self.x, self.J, self.vals = wl, x, J, vals

    def __call__(self) -> list[str]:
        wl, J = self.wl, self.J
        return program.boundary_warnings(wl, self.x, J) + _ad_warnings(wl, self.vals, J) + program.path_note(wl)


def _loop_compiled(function: Function, x: list[float], method: str, seed: list[float] | None,
                   ybar: list[float] | None) -> Result:
    """``compiled=True`` on a program (issue #14, part 2): values and derivatives from its loop-keeping generated
    code (:mod:`diffzoo.loopcode`: loops and branches kept, a tape for the reverse sweep); the trace shown and the
    warnings are those of the path traced at x, as the interpreted branch gives them."""
    wl = function.wengert
    code = loopcode.generate(wl.program)
    n, m, k = wl.n, wl.m, len(wl.steps)
    partials = wl.partial_count
    vals = program.traced_values(wl, x)
    details: dict[str, Any] = {"compiled": True, "loopcode": code}

    def notes(J: np.ndarray | None, base: Callable[[], list[str]]) -> Callable[[], list[str]]:
        return lambda: program.boundary_warnings(wl, x, J) + base() + program.path_note(wl)

    kinks = (lambda: caveats.kinks(wl, vals)) if wl.kink_steps else list
    nan = np.full((m, n), np.nan)
    if method == "forward":
        if seed is not None:
            out, jv = code.jvp(x, seed)
            return Result(method, function, x, _outputs(wl, out), nan, ForwardTrace(wl, x, [seed], vals),
                          Cost(1, k, partials, 1), details | {"jvp": jv, "seed": seed},
                          caveats=notes(None, lambda: caveats.kinks(wl, vals, seed=seed) if wl.kink_steps else []))
        runs = [code.jvp(x, e) for e in unit_vectors(n)]
        J = np.array([d for _, d in runs]).T.reshape(m, n)
        return Result(method, function, x, _outputs(wl, runs[0][0]), J, ForwardTrace(wl, x, unit_vectors(n), vals),
                      Cost(n, k, n * partials, 1), details, caveats=notes(J, lambda: _ad_warnings(wl, vals, J)))
    if ybar is not None:
        out, bar = code.vjp(x, ybar)
        return Result(method, function, x, _outputs(wl, out), nan, ReverseTrace(wl, x, [ybar], vals),
                      Cost(1, k, partials, 1), details | {"vjp": bar, "ybar": ybar}, caveats=notes(None, kinks))
    runs = [code.vjp(x, e) for e in unit_vectors(m)]
    J = np.array([b for _, b in runs]).reshape(m, n)
    return Result(method, function, x, _outputs(wl, runs[0][0]), J, ReverseTrace(wl, x, unit_vectors(m), vals),
                  Cost(m, k, m * partials, 1), details, caveats=notes(J, lambda: _ad_warnings(wl, vals, J)))


def _compiled(function: Function, x: list[float], method: str, seed: list[float] | None,
              ybar: list[float] | None) -> Result:
    """What ``differentiate(..., compiled=True)`` returns: the interpreted result's fields, from compiled code.

    The trace (primal values, tangents or adjoint updates) is computed by the interpreter only when it is
    asked for, and the warnings only when they are read.
    """
    wl = function.wengert
    n, m, k = wl.n, wl.m, len(wl.steps)
    partials = wl.partial_count
    details: dict[str, Any] = {"compiled": True}
    if method == "forward":
        code = functions._code(wl, "tangent")
        if seed is not None:
            out = code.finite(seed + x)
            r = Result(method, function, x, _outputs(wl, out[:m]), np.full((m, n), np.nan),
                       ForwardTrace(wl, x, [seed]), Cost(1, k, partials, 1), details | {"jvp": out[m:], "seed": seed})
            r.caveats = lambda: caveats.kinks(wl, wl.evaluate(x), seed=seed) if wl.kink_steps else []
            return r
        J = np.zeros((m, n))
        out = None
        for i, e in enumerate(unit_vectors(n)):
            out = code.finite(e + x)
            J[:, i] = out[m:]
        value = _outputs(wl, out[:m] if out is not None else wl.output_values(wl.evaluate(x)))
        trace, cost = ForwardTrace(wl, x, unit_vectors(n)), Cost(n, k, n * partials, 1)
    else:
        if ybar is not None:
            out = functions._code(wl, "adjoint").finite(ybar + x)
            r = Result(method, function, x, _outputs(wl, out[:m]), np.full((m, n), np.nan),
                       ReverseTrace(wl, x, [ybar]), Cost(1, k, partials, 1), details | {"vjp": out[m:], "ybar": ybar})
            r.caveats = lambda: caveats.kinks(wl, wl.evaluate(x)) if wl.kink_steps else []
            return r
        if m == 1:
            out = functions._code(wl, "gradient").finite(x)
            J = np.array([out[1:]])
        else:
            J = np.zeros((m, n))
            code = functions._code(wl, "adjoint")
            for j, e in enumerate(unit_vectors(m)):
                out = code.finite(e + x)
                J[j] = out[m:]
        value = _outputs(wl, out[:m])
        trace, cost = ReverseTrace(wl, x, unit_vectors(m)), Cost(m, k, m * partials, 1)
    return Result(method, function, x, value, J, trace, cost, details,
                  caveats=lambda: _ad_warnings(wl, wl.evaluate(x), J))


def _ad_warnings(wl: WengertList, vals: list[float], J: np.ndarray) -> list[str]:
    """Kinks at the point and digits lost to cancellation, for forward and reverse mode."""
    out = caveats.kinks(wl, vals, J) if wl.kink_steps else []
    return out + caveats.cancellation(wl, vals, J)


def _value(wl: WengertList, vals: list[float]) -> Any:
    """f's value from all the primal values ``vals``."""
    outs = wl.outputs
    if len(outs) == 1:  # (a scalar function: its one output)
        o = outs[0]
        return float(vals[o + len(wl.inputs) - 1] if type(o) is int else o.value)
    return _outputs(wl, wl.output_values(vals))


def _outputs(wl: WengertList, out: list[float]) -> Any:
    """f's value from its outputs: a float for a scalar function, a list for a vector function."""
    out = [float(v) for v in out]
    return out[0] if wl.m == 1 else out


__all__ = ["METHODS", "Cost", "Result", "differentiate", "as_point", "as_function", "PointError"]

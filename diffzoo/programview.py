"""What the Programs page shows: a program with loops and branches, traced at a point and walked step by step.

The idea: AD differentiates programs, not formulas. A program (``program.py``) run at a point records the path it
takes as a Wengert list whose steps keep their source line and loop iterations (:class:`~diffzoo.program.Origin`)
and whose branch decisions are kept as guards. This module turns that into the page's parts, each a
:class:`~diffzoo.views.Part` so that one that cannot be computed here says why while the others stand: the source
with the current line marked, the walk over both sweeps (``walk.py``) with the trace grouped by loop iteration, the
graph (collapsed by origin for a long trace: each statement's steps across iterations become one node "×N"), every
method's derivative with its warnings, f and its AD derivative across a range (kinks and jumps), the loop-keeping
compiler's code and memory profile (``loopcode.py``, when it is there), and gradient ascent for the projectile.
diffzoo never imports streamlit.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import program, walk
from .api import METHODS, differentiate
from .errors import EvaluationError, LimitError
from .graph import HIGHLIGHT, INPUT, KNOWN, escape, pretty
from .parse import Function, parse
from .transforms import Update
from .views import Cache, Download, Part, direct, left_out, num, part, window
from .wengert import WengertList, vname

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "programs"
NO_COMPILER = "the loop-keeping compiler is not available"
COLLAPSE_STEPS = 40  # traces longer than this draw their graph collapsed by origin (the loop body once)
MAX_GRAPH_STEPS = 120  # an uncollapsed graph up to this many steps
GROUP_WINDOW = 8  # iteration groups listed around the current one
ROWS_PER_GROUP = 40  # rows of one group shown (the CSV has them all)
SWEEP_POINTS = 241  # points of the kinks-and-jumps plot
MEMORY_COUNTS = (10, 30, 100, 300, 1000)
FIGURE_DPI = 120  # a 8-10 inch figure at 960-1200 pixels: sharp in the page's column, half the time of 182 dpi
SOURCE_COLUMNS = 30  # characters of a source line beside its generated code (cut with …; the source is above)
ASCENT_STEPS = 6
ASCENT_RATE = 0.005


# --- examples -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    name: str
    file: str
    point: dict[str, float]
    note: str
    text: str


def examples() -> tuple[Example, ...]:
    """The programs in ``assets/programs`` (``index.json``: name, file, point, note) with their text."""
    rows = json.loads((ASSETS / "index.json").read_text(encoding="utf-8"))
    return tuple(Example(r["name"], r["file"], {k: float(v) for k, v in r["point"].items()}, r["note"],
                         (ASSETS / r["file"]).read_text(encoding="utf-8")) for r in rows)


def example_named(name: str) -> Example | None:
    return next((e for e in examples() if e.name == name), None)


# --- the source with its current line ---------------------------------------------------------------------


def numbered(text: str, current: int | None = None) -> str:
    """The program with line numbers, the line ``current`` marked with ``▶``."""
    lines = text.rstrip("\n").split("\n")
    w = len(str(len(lines)))
    return "\n".join(f"{'▶' if k == current else ' '} {k:>{w}} │ {ln}" for k, ln in enumerate(lines, start=1))


def parse_program_text(text: str) -> Function:
    """The program (or expression) typed: a :class:`~diffzoo.parse.Function` (a ParseError with line and caret)."""
    return parse(text)


# --- the walk: where each position is in the source -------------------------------------------------------


@dataclass(frozen=True)
class Now:
    """The walk's current position: its sweep, caption, the step it is at and where that step comes from."""

    position: int
    last: int
    phase: str
    caption: str
    node: int  # the Wengert variable computed or updated
    step: int | None  # the step (1-based index) whose source line is marked; None for an input or the seed
    line: int | None
    iteration: str  # "k = 3", "" outside loops

    @property
    def where(self) -> str:
        if self.line is None:
            return "an input" if self.phase == "forward" else "the output's seed"
        return f"line {self.line}" + (f" ({self.iteration})" if self.iteration else "")


def _origin(wl: WengertList, step: int | None) -> program.Origin | None:
    if step is None or step < 1 or not wl.origins:
        return None
    return wl.origins[step - 1]


def now(wl: WengertList, w: walk.Walk, position: int) -> Now:
    last = len(w) - 1
    p = max(0, min(int(position), last))
    s = w.step(p)
    if s.phase == "forward":
        step = s.node if s.node >= 1 else None
    else:  # the adjoint flows back from the step ``source`` (its line is where that update comes from)
        step = s.source if s.source is not None else None
    o = _origin(wl, step)
    return Now(p, last, s.phase, s.caption, s.node, step, o.line if o else None,
               program.loops_text(o.loops) if o else "")


# --- the trace, grouped by iteration ----------------------------------------------------------------------


def group_key(o: program.Origin | None) -> str:
    """The group a step belongs to: the outermost loop's iteration it runs in, or the line outside loops."""
    if o is None:
        return "inputs"
    if not o.loops:
        return "outside loops"
    name, v = o.loops[0]
    return program.loops_text(((name, v),))


@dataclass(frozen=True)
class Group:
    """Consecutive steps of one outermost iteration (or outside any loop): rows [lo, hi) of the trace."""

    title: str
    lo: int
    hi: int
    current: bool


@dataclass(frozen=True)
class TraceGroups:
    frame: pd.DataFrame  # every row: step, line, iteration, definition, value, tangent, adjoint
    groups: tuple[Group, ...]  # the groups listed (a window around the current one)
    total_groups: int
    first_group: int  # index of the first group listed
    current_row: int | None


def trace_frame(wl: WengertList, vals: Sequence[float], dots: Sequence[float] | None,
                bars: Sequence[float] | None) -> pd.DataFrame:
    """One row per input and step: its name, source line and iterations, definition, value, tangent, adjoint."""
    off = wl.n - 1
    rows = []
    for k, name in enumerate(wl.inputs):
        i = k - off
        rows.append((vname(i), "", "", f"input {name}", vals[k], dots[k] if dots else math.nan,
                     bars[k] if bars else math.nan))
    for st in wl.steps:
        o = _origin(wl, st.index)
        j = st.index + off
        rows.append((vname(st.index), str(o.line) if o else "", program.loops_text(o.loops) if o else "",
                     wl.definition(st), vals[j], dots[j] if dots else math.nan, bars[j] if bars else math.nan))
    return pd.DataFrame(rows, columns=["step", "line", "iteration", "definition", "value", "tangent", "adjoint"])


def groups(wl: WengertList) -> list[tuple[str, int, int]]:
    """(title, lo, hi) of consecutive rows sharing a group key (rows: the inputs, then the steps)."""
    keys = ["inputs"] * wl.n + [group_key(_origin(wl, st.index)) for st in wl.steps]
    out: list[tuple[str, int, int]] = []
    lo = 0
    for r in range(1, len(keys) + 1):
        if r == len(keys) or keys[r] != keys[lo]:
            out.append((keys[lo], lo, r))
            lo = r
    return out


# --- the graph, collapsed by origin -----------------------------------------------------------------------


@dataclass(frozen=True)
class Collapsed:
    """The graph with each statement's steps across iterations as one node: key (line, position in the statement)."""

    nodes: tuple[tuple[Any, str, int], ...]  # (key, label, count): inputs keyed ("in", i)
    edges: tuple[tuple[Any, Any], ...]
    of_step: dict[int, Any]  # variable index -> node key


def collapse(wl: WengertList) -> Collapsed:
    """Steps with the same (source line, position within the statement's run) across iterations become one node."""
    of: dict[int, Any] = {}
    order: dict[Any, list[int]] = {}
    for k in range(wl.n):
        key = ("in", k - wl.n + 1)
        of[k - wl.n + 1] = key
        order[key] = [k - wl.n + 1]
    prev: program.Origin | None = None
    pos = 0
    for st in wl.steps:
        o = _origin(wl, st.index)
        pos = pos + 1 if (o is not None and o == prev) else 0
        prev = o
        key = (o.line if o else 0, pos)
        of[st.index] = key
        order.setdefault(key, []).append(st.index)
    nodes = []
    for key, members in order.items():
        if key[0] == "in":
            nodes.append((key, f"{wl.inputs[key[1] + wl.n - 1]}", 1))
            continue
        st = wl.steps[members[0] - 1]
        head = f"line {key[0]}: {st.prim.name}"
        nodes.append((key, head, len(members)))
    edges = dict.fromkeys((of[a], of[st.index]) for st in wl.steps for a in st.args if isinstance(a, int))
    return Collapsed(tuple(nodes), tuple(edges), of)


def collapsed_dot(c: Collapsed, highlight: Any = None) -> str:
    """DOT text of a collapsed graph; a node run N times says "×N"; an edge back to an earlier node (dashed) carries
    a value from one iteration to the next."""
    def nid(key: Any) -> str:
        return "in" + str(key[1]).replace("-", "m") if key[0] == "in" else f"s{key[0]}_{key[1]}"

    lines = ["digraph G {", "  rankdir=LR;", '  bgcolor="transparent";',
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=12.5, fillcolor="#ffffff"];',
             '  edge [color="#555555", arrowsize=0.6];', "  nodesep=0.15; ranksep=0.3;"]
    for key, label, count in c.nodes:
        text = label + (f"\n×{count}" if count > 1 else "")
        fill = HIGHLIGHT if key == highlight else (INPUT if key[0] == "in" else KNOWN if count > 1 else "#ffffff")
        lines.append(f'  {nid(key)} [label="{escape(text)}", fillcolor="{fill}"];')
    rank = {key: k for k, (key, _, _) in enumerate(c.nodes)}
    for a, b in c.edges:  # an edge back to an earlier node carries a value into the next iteration
        style = ' [style=dashed, color="#999999", constraint=false]' if rank[a] >= rank[b] else ""
        lines.append(f"  {nid(a)} -> {nid(b)}{style};")
    lines.append("}")
    return "\n".join(lines)


# --- every method --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Methods:
    table: pd.DataFrame  # method, the derivatives, value
    warnings: dict[str, tuple[str, ...]]  # method -> its warnings (guards, margins, other paths)
    errors: dict[str, str]  # method -> why it has no answer here


def methods(text: str, point: tuple[float, ...]) -> Methods:
    f = parse(text)
    rows, warns, errs = [], {}, {}
    for m in METHODS:
        try:
            r = differentiate(f, list(point), m)
        except (EvaluationError, LimitError, ValueError, ArithmeticError) as exc:
            errs[m] = pretty(str(exc))
            continue
        row: dict[str, Any] = {"method": m}
        names = r.function.wengert.output_names()
        for j, y in enumerate(names):
            for i, v in enumerate(f.variables):
                row[f"∂{y}/∂{v}"] = num(float(r.jacobian[j, i]), 16)
        rows.append(row)
        warns[m] = tuple(dict.fromkeys(pretty(w) for w in r.warnings))
    return Methods(pd.DataFrame(rows), warns, errs)


# --- kinks and jumps: f and its AD derivative across a range ---------------------------------------------


@dataclass(frozen=True)
class Boundary:
    """Where the path changes between two neighbouring points of the sweep, found by bisection."""

    at: float
    line: int | None
    jump: float  # f's change across it (0 at a kink)
    slopes: tuple[float, float]  # AD's derivative just left and right

    @property
    def kind(self) -> str:
        """jump (f changes across it), kink (f continuous, AD's derivative changes), or seam (neither, to 1e-6)."""
        scale = max(1.0, abs(self.slopes[0]) + abs(self.slopes[1]))
        if abs(self.jump) > 1e-6 * scale:
            return "jump"
        return "kink" if abs(self.slopes[1] - self.slopes[0]) > 1e-6 * scale else "seam"


@dataclass(frozen=True)
class Sweep:
    input: str
    frame: pd.DataFrame  # x, f, ad (nan where the program has no value)
    boundaries: tuple[Boundary, ...]
    png: bytes
    svg: Callable[[], bytes]
    unresolved: int = 0  # path changes between neighbouring points not bisected within the time budget
    smooth: int = 0  # of those, where f changes as its slope predicts (no jump at the sampling's resolution)

    def sentence(self) -> str:
        if not self.boundaries and not self.unresolved and not self.smooth:
            return (f"No branch decision changes across this range of {self.input}: every point takes the same "
                    "path, and AD's derivative is that path's derivative everywhere here.")
        out = []
        for b in [b for b in self.boundaries if b.kind == "jump"][:3]:
            out.append(f"At {self._at(b)} f jumps by {b.jump:.4g}, yet AD says {b.slopes[0]:.4g} on the left and "
                       f"{b.slopes[1]:.4g} on the right: it differentiates only the branch taken, and a jump is "
                       "invisible to it (f has no derivative there; its derivative would be a Dirac spike).")
        for b in [b for b in self.boundaries if b.kind == "kink"][:3]:
            out.append(f"At {self._at(b)} f has a kink: f is continuous, but the branch changes and AD's derivative "
                       f"changes from {b.slopes[0]:.4g} to {b.slopes[1]:.4g}; exactly there AD gives the derivative of "
                       "the branch taken, although f has none.")
        seams = sum(b.kind == "seam" for b in self.boundaries)
        if seams:
            out.append(f"At {seams} place{'s' if seams > 1 else ''} the path changes (a loop runs a different number "
                       "of times, or another branch gives the same formula) while f and AD's derivative agree on both "
                       "sides to 1e-6: no kink that matters.")
        shown = sum(b.kind != "seam" for b in self.boundaries)
        more = shown - min(3, sum(b.kind == "jump" for b in self.boundaries)) - min(
            3, sum(b.kind == "kink" for b in self.boundaries))
        tail = f" ({more} more kinks or jumps in this range.)" if more > 0 else ""
        if self.smooth:
            pairs = "pairs" if self.smooth > 1 else "pair"
            tail += (f" Between {self.smooth} {pairs} of neighbouring points of the plot the path changes too "
                     "(a loop runs a different number of times, or a branch flips), and f changes "
                     "there as its slope predicts: no jump shows at this resolution, though each such change may be a "
                     "small kink (a narrower range narrows them down).")
        if self.unresolved:
            tail += (f" Between {self.unresolved} more pairs the path changes and f does not follow its slope: a kink "
                     "or a jump, not narrowed down in time (a narrower range shows it).")
        return " ".join(out) + tail

    def _at(self, b: Boundary) -> str:
        return f"{self.input} ≈ {b.at:.6g}" + (f" (line {b.line})" if b.line else "")

    def csv(self) -> str:
        return self.frame.to_csv(index=False)


def _at(f: Function, x: list[float], i: int) -> tuple[float, float, tuple[bool, ...], list[program.Guard]]:
    wl = f.at(x).wengert
    vals = program.traced_values(wl, x)
    seed = [1.0 if k == i else 0.0 for k in range(len(x))]
    return (float(wl.output_values(vals)[0]), float(program.tangents(wl, vals, seed)[0]),
            program.path_signature(wl), list(wl.guards or ()))


def sweep(text: str, point: tuple[float, ...], i: int = 0, radius: float = 1.0, budget: float = 0.5) -> Sweep:
    """f and forward mode's derivative (output 1) across [x_i - r, x_i + r], the program traced again at each x
    (fewer points for a long trace); where two neighbours take different paths, the boundary is found by
    bisection while ``budget`` seconds last (then it is placed midway between them)."""
    import time

    from . import plots

    f = parse(text)
    x0 = list(point)
    k0 = len(f.at(x0).wengert.steps) if f.program is not None else len(f.wengert.steps)
    xs = np.linspace(x0[i] - radius, x0[i] + radius, max(41, min(SWEEP_POINTS, 40_000 // max(k0, 1))))
    fs, ds, sigs = [], [], []
    for xv in xs:
        p = list(x0)
        p[i] = float(xv)
        try:
            v, d, sig, _ = _at(f, p, i)
        except (EvaluationError, LimitError, ValueError, ArithmeticError):
            v, d, sig = math.nan, math.nan, None
        fs.append(v)
        ds.append(d)
        sigs.append(sig)
    deadline = time.perf_counter() + budget
    bounds = []
    unresolved = smooth = 0
    for k in range(len(xs) - 1):
        if sigs[k] is None or sigs[k + 1] is None or sigs[k] == sigs[k + 1]:
            continue
        lo, hi = float(xs[k]), float(xs[k + 1])
        while True:  # bisect to the float where the path changes
            mid = 0.5 * (lo + hi)
            if mid in (lo, hi):
                break
            if time.perf_counter() > deadline:
                break
            p = list(x0)
            p[i] = mid
            try:
                same = _at(f, p, i)[2] == sigs[k]
            except (EvaluationError, LimitError, ValueError, ArithmeticError):
                break
            lo, hi = (mid, hi) if same else (lo, mid)
        if 0.5 * (lo + hi) not in (lo, hi):  # out of time: is f's change between the neighbours its slope's?
            dx = float(xs[k + 1] - xs[k])
            step = fs[k + 1] - fs[k]
            if abs(step - 0.5 * dx * (ds[k] + ds[k + 1])) <= 0.1 * abs(step) + 1e-12 * max(1.0, abs(fs[k])):
                smooth += 1
            else:
                unresolved += 1
            continue
        pl, pr = list(x0), list(x0)
        pl[i], pr[i] = lo, hi
        try:
            vl, dl, _, gl = _at(f, pl, i)
            vr, dr, _, gr = _at(f, pr, i)
        except (EvaluationError, LimitError, ValueError, ArithmeticError):
            continue
        line = next((a.line for a, b in zip(gl, gr) if a.outcome != b.outcome or a.line != b.line), None)
        at = 0.5 * (lo + hi)
        bounds.append(Boundary(0.0 if abs(at) < 1e-15 * radius else at, line, vr - vl, (dl, dr)))
    name = f.variables[i]
    frame = pd.DataFrame({name: xs, "f": fs, "AD derivative": ds})
    marks = [(b.at, b.kind) for b in bounds if b.kind != "seam"]
    fig = plots.program_sweep_figure(xs, np.array(fs), np.array(ds), marks, x0[i], name)
    png = plots.to_png(fig, FIGURE_DPI)
    return Sweep(name, frame, tuple(bounds), png, lambda: plots.to_svg(
        plots.program_sweep_figure(xs, np.array(fs), np.array(ds), marks, x0[i], name)), unresolved, smooth)


# --- the loop-keeping compiler (loopcode.py) ---------------------------------------------------------------


def compiler() -> Any:
    """``diffzoo.loopcode``, or a LookupError saying the loop-keeping compiler is not available."""
    if importlib.util.find_spec("diffzoo.loopcode") is None:
        raise LookupError(NO_COMPILER)
    return importlib.import_module("diffzoo.loopcode")


@dataclass(frozen=True)
class Generated:
    """The generated primal, JVP and VJP programs, and each as a table: source line | generated lines."""

    sources: dict[str, str]  # name -> code
    beside: dict[str, pd.DataFrame]  # name -> (line, source, generated)

    def side_by_side(self, name: str) -> str:
        """Source line | generated lines, as monospace text: each source line beside the code made from it."""
        df = self.beside[name]
        cap = SOURCE_COLUMNS

        def cut(t: str) -> str:
            return t if len(t) <= cap else t[:cap - 1] + "…"

        width = max([len(cut(str(s))) for s in df["source"]] + [6])
        out = []
        for _, r in df.iterrows():
            gen = str(r["generated"]).rstrip("\n").split("\n")
            for k, g in enumerate(gen):
                left = f"{r['line']:>3} {cut(str(r['source'])):<{width}}" if k == 0 else " " * (4 + width)
                out.append(f"{left} │ {g}")
        return "\n".join(out)


def _beside(src: str, code: str, line_map: dict[str, tuple[int | None, ...]], key: str) -> pd.DataFrame:
    """Generated code line for line beside the source: each generated line in the row of its source line."""
    lines = src.split("\n")
    gen = code.split("\n")
    where = tuple(line_map.get(key, ()))
    rows: list[list[Any]] = []
    cur: int | None = -1
    for j, g in enumerate(gen):
        s = where[j] if j < len(where) else None
        if s != cur or not rows:
            shown = lines[s - 1].rstrip() if isinstance(s, int) and 1 <= s <= len(lines) else ""
            rows.append([str(s) if isinstance(s, int) else "", shown, g])
            cur = s
        else:
            rows[-1][2] += "\n" + g
    return pd.DataFrame(rows, columns=["line", "source", "generated"])


def generated(text: str) -> Generated:
    lc = compiler()
    f = parse(text)
    if f.program is None:
        raise ValueError("the loop-keeping compiler takes programs; an expression is compiled on the Traces page")
    g = lc.generate(f.program)
    sources = {"primal": g.primal_source, "JVP": g.jvp_source, "VJP": g.vjp_source}
    keys = {"primal": "primal", "JVP": "jvp", "VJP": "vjp"}
    beside = {k: _beside(text, code, g.line_map, keys[k]) for k, code in sources.items()}
    return Generated(sources, beside)


@dataclass(frozen=True)
class Memory:
    frame: pd.DataFrame
    png: bytes
    svg: Callable[[], bytes]

    def shown(self) -> pd.DataFrame:
        """The profile as the page's table: values stored, and times in microseconds."""
        d = self.frame.sort_values("iterations")
        return pd.DataFrame({"iterations": d["iterations"].astype(int),
                             "reverse: tape": d["reverse_tape_values"].astype(int),
                             "forward: live": d["forward_live_values"].astype(int),
                             "reverse µs": [f"{1e6 * t:.1f}" for t in d["reverse_seconds"]],
                             "forward µs": [f"{1e6 * t:.1f}" for t in d["forward_seconds"]]})

    def sentence(self) -> str:
        d = self.frame.sort_values("iterations")
        a, b = d.iloc[0], d.iloc[-1]
        return (f"From {int(a['iterations'])} to {int(b['iterations'])} iterations reverse mode's tape grows from "
                f"{int(a['reverse_tape_values']):,} to {int(b['reverse_tape_values']):,} values stored, while forward "
                f"mode keeps {int(a['forward_live_values']):,} to {int(b['forward_live_values']):,} live values: "
                "reverse mode needs every intermediate result the reverse sweep reads, forward mode only the current "
                "ones (it pays instead with one pass per input).")


def memory(text: str, point: tuple[float, ...], counts: tuple[int, ...] = MEMORY_COUNTS) -> Memory:
    from . import plots

    lc = compiler()
    f = parse(text)
    if f.program is None:
        raise ValueError("the memory profile is of a program with a loop")
    df = pd.DataFrame(lc.memory_profile(f.program, list(point), list(counts)))
    return Memory(df, plots.to_png(plots.memory_figure(df), FIGURE_DPI), lambda: plots.to_svg(plots.memory_figure(df)))


# --- numeric differences against the step, guard flips marked ------------------------------------------


STEP_SCHEMES = ("central", "forward")


@dataclass(frozen=True)
class StepErrors:
    """Central and forward differences of output 1 along one input at every step h, against reverse mode's
    derivative; ``other_path`` marks the steps whose stencil point x ± h takes another path than x."""

    input: str
    at: float
    reference: float
    frame: pd.DataFrame  # numeric.error_sweep's: scheme, eps, estimate, error, ..., other_path
    first_flip: float | None  # the smallest step h whose stencil takes another path
    flip: str | None  # how that stencil point's path differs, in words (its line named)
    png: bytes
    svg: Callable[[], bytes]

    def sentence(self) -> str:
        if self.first_flip is None:
            return (f"No stencil point {self.input} ± h, for h from 1e-16 to 1, takes another path than "
                    f"{self.input} = {self.at:.6g}: every difference differentiates the same branches as AD, and the "
                    "error falls with h (truncation) until rounding makes it rise again.")
        return (f"From h = {self.first_flip:.3g} a stencil point {self.input} ± h {self.flip}: the difference "
                "straddles a branch boundary (red crosses), so it measures the jump or kink there, not the "
                "derivative of the path AD differentiates, and its error no longer falls with h.")

    def csv(self) -> str:
        return self.frame.to_csv(index=False)


def step_errors(text: str, point: tuple[float, ...], i: int = 0) -> StepErrors:
    """``numeric.error_sweep`` of the path at ``point`` (central and forward differences, output 1 along input
    ``i``), against reverse mode's derivative there."""
    from . import numeric, plots

    f = parse(text)
    x = list(point)
    g = f.at(x)
    reference = float(differentiate(g, x, "reverse").jacobian[0, i])
    df = numeric.error_sweep(g.wengert, x, reference, i=i, output=0, schemes=STEP_SCHEMES)
    first = flip = None
    if "other_path" in df and df["other_path"].any():
        first = float(df.loc[df["other_path"], "eps"].min())
        for sign in (1.0, -1.0):
            p = list(x)
            p[i] = x[i] + sign * first
            try:
                flip = program.path_difference(g.wengert, f.at(p).wengert)
            except (EvaluationError, LimitError, ValueError, ArithmeticError):
                continue
            if flip is not None:
                break
        flip = flip or "takes another path"
    name = f.variables[i]
    return StepErrors(name, x[i], reference, df, first, flip,
                      plots.to_png(plots.program_error_figure(df, name, x[i]), FIGURE_DPI),
                      lambda: plots.to_svg(plots.program_error_figure(df, name, x[i])))


# --- symbolic swell as the iterations grow --------------------------------------------------------------


SWELL_COUNTS = (1, 2, 4, 8, 16)
NO_SCALABLE_LOOP = "no for loop"


@dataclass(frozen=True)
class LoopSwell:
    """The symbolic gradient of the traced path, written out as a tree and shared, as the first for loop runs
    N times."""

    frame: pd.DataFrame  # n, f Wengert length, derivative tree ops, derivative shared ops
    png: bytes
    svg: Callable[[], bytes]
    stopped: bool  # the counts were cut short by the time budget

    def growth(self) -> str:
        """How the written-out tree grows: "exponentially" when its growth rate per doubling of N itself keeps
        growing, else "polynomially (about N^p)" with p the last doubling's exponent."""
        d = self.frame[self.frame["derivative tree ops"] > 0]
        t, n = d["derivative tree ops"].to_numpy(float), d["n"].to_numpy(float)
        if len(d) < 3:
            return "too little to tell how"
        slopes = np.log(t[1:] / t[:-1]) / np.log(n[1:] / n[:-1])
        if slopes[-1] > 1.5 * max(slopes[-2], 1.0) and slopes[-1] > 4:
            return "exponentially"
        return f"polynomially (about N^{slopes[-1]:.1f})"

    def per_iteration(self) -> list[float]:
        """The shared DAG's operations added per added iteration, between neighbouring counts."""
        d = self.frame
        s, n = d["derivative shared ops"].to_numpy(float), d["n"].to_numpy(float)
        return list(np.diff(s) / np.diff(n))

    def sentence(self) -> str:
        d = self.frame
        a, b = d.iloc[0], d.iloc[-1]
        cut = " (larger N were not built: past the time budget)" if self.stopped else ""
        if int(b["derivative tree ops"]) == 0:
            return (f"Up to N = {int(b['n'])} iterations the traced path's derivative is a constant: written out it "
                    "has no operations, so there is no swell to show at these N (the output does not yet depend "
                    "on the inputs through the loop).")
        inc = self.per_iteration()
        linear = len(inc) >= 2 and inc[-1] <= 1.25 * max(inc[-2], 1.0)
        shared = (f"linearly, about {inc[-1]:.3g} operations per added iteration" if linear else
                  "faster than linearly")
        return (f"From N = {int(a['n'])} to {int(b['n'])} iterations{cut}, the symbolic derivative of the traced path "
                f"written out as a tree grows from {int(a['derivative tree ops']):,} to "
                f"{int(b['derivative tree ops']):,} operations, {self.growth()}, while with its equal parts shared "
                f"(a DAG, as AD keeps it) it grows from {int(a['derivative shared ops']):,} to "
                f"{int(b['derivative shared ops']):,}: {shared}.")


def loop_swell(text: str, point: tuple[float, ...], counts: tuple[int, ...] = SWELL_COUNTS,
               budget: float = 0.5) -> LoopSwell:
    """For N in ``counts`` (stopping once ``budget`` seconds have passed): the program with its first for loop
    over a constant range scaled to N iterations (``loopcode.scaled``, as the memory profile), traced at
    ``point``, and the sizes of its path's symbolic gradient (``swell.expression_sizes``)."""
    import time

    from . import plots
    from .swell import expression_sizes
    from .symbolic import derive_all

    lc = compiler()
    f = parse(text)
    if f.program is None:
        raise ValueError("the swell with the iterations is of a program with a for loop")
    rows, start, stopped = [], time.perf_counter(), False
    for k, n in enumerate(counts):
        if k and time.perf_counter() - start > budget:
            stopped = True
            break
        wl = lc.scaled(f.program, n).trace(list(point))
        outs = list(program.path_exprs(wl))
        grads = [d for v in f.variables for d in derive_all(outs[:1], v)]
        sizes = expression_sizes(grads)
        rows.append({"n": n, "f Wengert length": len(wl.steps), "derivative tree ops": sizes["tree"],
                     "derivative shared ops": sizes["shared"]})
    df = pd.DataFrame(rows)
    def fig() -> Any:
        return plots.swell_figure(df, "Swell of the path's derivative", "N (iterations of the first for loop)")

    return LoopSwell(df, plots.to_png(fig(), FIGURE_DPI), lambda: plots.to_svg(fig()), stopped)


# --- projectile: gradient ascent on the angle ------------------------------------------------------------


@dataclass(frozen=True)
class Ascent:
    frame: pd.DataFrame  # step, angle, range, d(range)/d(angle)
    png: bytes
    svg: Callable[[], bytes]
    rate: float


def ascent(text: str, start: float, steps: int = ASCENT_STEPS, rate: float = ASCENT_RATE) -> Ascent:
    """A few steps angle ← angle + rate · d(range)/d(angle), each derivative by reverse mode through the loop."""
    from . import plots

    f = parse(text)
    a, rows = float(start), []
    for k in range(steps + 1):
        r = differentiate(f, [a], "reverse")
        g = float(r.jacobian[0, 0])
        rows.append({"step": k, "angle": a, "range": float(r.value[0] if np.ndim(r.value) else r.value),
                     "d(range)/d(angle)": g})
        a = a + rate * g
    df = pd.DataFrame(rows)
    return Ascent(df, plots.to_png(plots.ascent_figure(df), FIGURE_DPI), lambda: plots.to_svg(plots.ascent_figure(df)),
                  rate)


# --- the view -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramView:
    """Everything the Programs page shows for one program at one point and one position of the walk."""

    text: str
    inputs: tuple[str, ...]
    point: tuple[float, ...]
    steps: int  # steps traced
    value: tuple[float, ...]
    now: Part[Now]
    source: str  # the numbered program, the current line marked
    trace: Part[TraceGroups]
    graph: Part[str]
    collapsed: bool
    methods: Part[Methods]
    sweep: Callable[[], Part[Sweep]]  # the heavier parts are computed when the page reaches them
    code: Part[Generated]
    memory: Callable[[], Part[Memory]]
    ascent: Callable[[], Part[Ascent]] | None  # the projectile only
    swell_link: bool  # the logistic map: point at the Symbolic page's swell chart
    downloads: tuple[Download, ...]
    step_errors: Callable[[], Part[StepErrors]]  # numeric differences against h, guard flips marked
    loop_swell: Callable[[], Part[LoopSwell]]  # the symbolic derivative's size as the first for loop grows


@dataclass(frozen=True)
class _Traced:
    wl: WengertList
    vals: list[float]
    dots: list[float] | None
    bars: list[float] | None
    updates: tuple[Update, ...]


def traced(text: str, point: tuple[float, ...], i: int) -> _Traced:
    """The path at the point, its values, tangents along input i and the first output's adjoints (every update)."""
    f = parse(text)
    g = f.at(list(point)) if f.program is not None else f
    wl = g.wengert
    vals = program.traced_values(wl, list(point)) if wl.program is not None else wl.evaluate(list(point))
    seed = [1.0 if k == i else 0.0 for k in range(wl.n)]
    try:
        dots = list(differentiate(g, list(point), "forward", seed=seed).trace.dots[0])
    except (EvaluationError, ValueError, ArithmeticError):
        dots = None
    try:
        ybar = [1.0] + [0.0] * (wl.m - 1)
        bars, updates = differentiate(g, list(point), "reverse", ybar=ybar).trace.sweep()
        bars, updates = list(bars), tuple(updates)
    except (EvaluationError, ValueError, ArithmeticError):
        bars, updates = None, ()
    return _Traced(wl, vals, dots, bars, updates)


def _trace_groups(t: _Traced, current_row: int | None) -> TraceGroups:
    frame = trace_frame(t.wl, t.vals, t.dots, t.bars)
    gs = groups(t.wl)
    cur = next((k for k, (_, lo, hi) in enumerate(gs) if current_row is not None and lo <= current_row < hi), 0)
    lo, hi = window(len(gs), cur, GROUP_WINDOW)
    shown = tuple(Group(title, a, b, k == cur) for k, (title, a, b) in enumerate(gs) if lo <= k < hi)
    return TraceGroups(frame, shown, len(gs), lo, current_row)


def _graph(t: _Traced, w: walk.Walk, position: int) -> tuple[str, bool]:
    from . import graph

    s = w.step(max(0, min(position, len(w) - 1)))
    if len(t.wl.steps) > COLLAPSE_STEPS:
        c = collapse(t.wl)
        return collapsed_dot(c, c.of_step.get(s.node)), True
    state = w.state(position, t.vals, t.dots, t.wl.n)
    return graph.to_dot(t.wl, t.vals, max_steps=MAX_GRAPH_STEPS, fixed=True, **state), False


def program_view(text: str, point: tuple[float, ...], *, position: int = 0, wrt: int = 0, radius: float = 1.0,
                 cache: Cache = direct) -> ProgramView:
    """Everything the Programs page shows for ``text`` at ``point``: ``position`` is the walk's (inputs, steps,
    then adjoint updates), ``wrt`` the input the tangents and the kinks-and-jumps plot move, ``radius`` that
    plot's half-width."""
    point = tuple(float(v) for v in point)
    f = cache(parse, text)
    n = len(f.variables)
    wrt = wrt if 0 <= wrt < n else 0
    t = cache(traced, text, point, wrt)
    wl = t.wl
    w = walk.walk(wl, t.updates)
    nw = now(wl, w, position)
    position = nw.position
    current_row = nw.node + wl.n - 1 if nw.phase == "forward" else (
        nw.step + wl.n - 1 if nw.step is not None else nw.node + wl.n - 1)
    trace = part("the trace", lambda: _trace_groups(t, current_row))
    g = part("the computational graph", lambda: _graph(t, w, position))
    collapsed = g.ok and g.get()[1]
    graph_part = Part(g.what, g.value[0], g.error) if g.ok else Part(g.what, error=g.error, reason=g.reason)
    meth = part("the derivatives by every method", lambda: cache(methods, text, point))
    def sw() -> Part[Sweep]:
        if not n:
            return left_out("f across a range", "The program has no inputs.")
        return part("f and its AD derivative across a range", lambda: cache(sweep, text, point, wrt, float(radius)))

    if f.program is None:
        reason = "An expression has no loops: the Traces page shows its generated code."
        code: Part[Generated] = left_out("the generated code", reason)
        mem_out: Part[Memory] = left_out("the memory trade-off", "An expression has no loop whose iterations could "
                                         "grow.")
    elif importlib.util.find_spec("diffzoo.loopcode") is None:
        code = left_out("the generated code", f"Not shown here: {NO_COMPILER} yet (diffzoo/loopcode.py), so the "
                        "primal, JVP and VJP programs that keep the loops cannot be generated.")
        mem_out = left_out("the memory trade-off", f"Not shown here: {NO_COMPILER} yet, and the memory profile "
                       "(values stored and time against the iteration count) is measured on its code.")
    else:
        code = part("the generated code", lambda: cache(generated, text))
        mem_out = None
    projectile = f.program is not None and f.program.name == "projectile" and n == 1
    def mem() -> Part[Memory]:
        if mem_out is not None:
            return mem_out
        got: Part[Memory] = part("the memory trade-off", lambda: cache(memory, text, point))
        if isinstance(got.error, ValueError) and "no for loop" in str(got.error):
            return left_out("the memory trade-off", "Not shown for this program: the memory profile runs it with a "
                            "for loop over range(N) made longer and longer, and this program has no such loop (its "
                            "loops are while loops, or it has none). The Taylor-sin, logistic-map, projectile and "
                            "log-sum-exp examples have one.")
        return got

    def errs() -> Part[StepErrors]:
        if not n:
            return left_out("differences against the step", "The program has no inputs.")
        return part("differences against the step", lambda: cache(step_errors, text, point, wrt))

    def swl() -> Part[LoopSwell]:
        what = "the symbolic swell with the iterations"
        if f.program is None:
            return left_out(what, "An expression has no loop whose iterations could grow: the Symbolic page shows "
                            "expression swell.")
        if importlib.util.find_spec("diffzoo.loopcode") is None:
            return left_out(what, f"Not shown here: {NO_COMPILER} yet, and the loop is made longer by it "
                            "(loopcode.scaled).")
        got: Part[LoopSwell] = part(what, lambda: cache(loop_swell, text, point))
        if isinstance(got.error, ValueError) and NO_SCALABLE_LOOP in str(got.error):
            return left_out(what, "Not shown for this program: the swell is measured by running its first for loop "
                            "over a constant range(N) N = 1, 2, 4, 8, 16 times, and this program has no such loop "
                            "(a while loop runs as often as its condition says, which depends on the inputs, so "
                            "its iterations cannot be set).")
        return got

    def asc() -> Part[Ascent]:
        return part("gradient ascent on the angle", lambda: cache(ascent, text, point[0]))

    logistic = f.program is not None and f.program.name == "logistic"
    value = tuple(float(v) for v in wl.output_values(t.vals))

    files = [Download("Program (.dz)", text, f"{f.program.name if f.program else 'f'}.dz", "text/plain")]
    if trace.ok:
        tg = trace.get()
        files += [Download("Trace (CSV)", lambda: tg.frame.to_csv(index=False), "program-trace.csv", "text/csv"),
                  Download("Trace (LaTeX)", lambda: trace_latex(t), "program-trace.tex", "text/x-tex")]
    if code.ok:
        gen = code.get()
        files += [Download(f"{k} (.py)", src, f"{k.lower()}.py", "text/x-python") for k, src in gen.sources.items()]
    return ProgramView(text, tuple(f.variables), point, len(wl.steps), value, Part("the current step", nw),
                       numbered(text, nw.line), trace, graph_part, collapsed, meth, sw, code, mem,
                       asc if projectile else None, logistic,
                       tuple(files), errs, swl)


def trace_latex(t: _Traced) -> str:
    """The primal trace as a LaTeX document (plain ``pdflatex`` compiles it), each row with its source line and
    loop iterations."""
    from . import fmt
    from .traces import primal_table

    table = primal_table(t.wl, t.vals)
    where = ["input"] * t.wl.n + [str(o) for o in (t.wl.origins or ())]
    lines = [r"\begin{array}{llll}", rf"\multicolumn{{4}}{{l}}{{\text{{{fmt.latex_text(table.title)}}}}} \\ \hline"]
    for r, w in zip(table.rows, where + [""] * (len(table.rows) - len(where))):
        where_tex = rf"\text{{{fmt.latex_text(w)}}}"
        lines.append(rf"{r.name_latex} &= {r.rule_latex} &= {fmt.latex_number(r.value)} & {where_tex} \\")
    lines.append(r"\end{array}")
    return fmt.document(rf"\[ {chr(10).join(lines)} \]")


__all__ = ["Example", "examples", "example_named", "numbered", "Now", "now", "collapse", "collapsed_dot",
           "Collapsed", "methods", "Methods", "sweep", "Sweep", "Boundary", "generated", "Generated", "memory",
           "Memory",
           "step_errors", "StepErrors", "loop_swell", "LoopSwell", "ascent", "Ascent",
           "ProgramView", "program_view", "trace_frame", "groups", "NO_COMPILER"]

"""Traces page: the Wengert list, its graph, and the primal, tangent and adjoint traces, step by step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

import diffzoo as dz
from diffzoo import forward, graph, reverse, walk
from diffzoo.traces import TraceTable, adjoint_table, primal_table, tangent_rules, tangent_table
from pages import _cache, _ui

HL = "#fde2c8"
INTRO = (
    "A function is evaluated as a **Wengert list**: a straight line of primitive steps "
    "v₁, v₂, … over the inputs v₋ₙ₊₁ … v₀. **Forward mode** carries a tangent v̇ next to every value "
    "(one pass per seed direction); **reverse mode** first computes the values, then sweeps backwards "
    "accumulating adjoints v̄ = ∂y/∂v, giving the whole gradient in one sweep. Use the step control to "
    "walk through both sweeps: the current row is highlighted in its table and in the graph."
)
MAX_LATEX_ROWS = 80  # the Wengert list typeset as mathematics up to this many steps
MAX_GRAPH_STEPS = 300  # whole graphs up to this many steps
WINDOW = 30  # rows of a long table shown around the current step
BIG = 24  # lists longer than this get scrolling boxes and a local graph
CODE_LINES = 400  # lines of generated code shown (the download has all)
LIST_LINES = 200  # lines of a long Wengert list shown around the current step


# --- what the page shows, computed once per function, point and seed (shared by sessions, bounded by bytes) ---


@_cache.memo
def structure(text: str) -> dict[str, Any]:
    """What depends on the function only: the list, its tangent rules, its text and mathematics."""
    wl = _ui.parsed(text).wengert
    outs = wl.output_names()
    return {"wl": wl, "rules": tangent_rules(wl), "n": wl.n, "k": len(wl.steps), "inputs": list(wl.inputs),
            "outputs": outs, "shown_outputs": [graph.pretty_names(y, outs) for y in outs],
            "wengert": graph.pretty_names(graph.pretty(wl.to_text()), outs).split("\n"),
            "wengert_latex": wengert_latex(wl) if len(wl.steps) <= MAX_LATEX_ROWS else None}


@_cache.memo
def primal(text: str, point: tuple[float, ...]) -> dict[str, Any]:
    """The forward sweep's values and the primal trace."""
    wl = structure(text)["wl"]
    vals = wl.evaluate(list(point))
    return {"vals": vals, "table": primal_table(wl, vals), "value": wl.output_values(vals)}


@_cache.memo
def tangent(text: str, point: tuple[float, ...], seed: tuple[float, ...]) -> dict[str, Any]:
    """The tangent sweep along ``seed`` and its trace."""
    s = structure(text)
    wl, vals = s["wl"], primal(text, point)["vals"]
    dots = forward.tangent_sweep(wl, vals, list(seed))
    tt = tangent_table(wl, vals, dots, s["rules"])
    tt.title = "Tangent trace, seed " + short_seed(wl.inputs, seed, "\u0307")
    return {"dots": dots, "table": tt, "jvp": forward.output_tangents(wl, dots)}


@_cache.memo
def adjoint(text: str, point: tuple[float, ...], ybar: tuple[float, ...]) -> dict[str, Any]:
    """The reverse sweep seeded with ``ybar``, every update recorded, and its trace."""
    s = structure(text)
    wl, vals = s["wl"], primal(text, point)["vals"]
    bar, updates = reverse.adjoint_sweep(wl, vals, list(ybar), record=True)
    at = adjoint_table(wl, updates, bar)
    at.title = "Adjoint trace, seed " + graph.pretty_names(short_seed(s["outputs"], ybar, "\u0304"), s["outputs"])
    return {"updates": updates, "table": at, "gradient": bar[: wl.n]}


@_cache.memo
def caveats(text: str, point: tuple[float, ...]) -> list[str]:
    """``Result.warnings`` at the point (a kink, digits lost): those of reverse mode's whole Jacobian, which
    the traces shown are part of (the same sentences forward mode gives)."""
    try:
        return list(dict.fromkeys(dz.differentiate(_ui.parsed(text), list(point), "reverse").warnings))
    except (dz.EvaluationError, ArithmeticError, ValueError):  # the sweeps' own parts say why
        return []


@_cache.memo
def dot_at(text: str, point: tuple[float, ...], seed: tuple[float, ...], ybar: tuple[float, ...],
           position: int, local: bool) -> str:
    """The graph's DOT text at one position of the walk (``local``: only the current step's neighbourhood)."""
    s, p = structure(text), primal(text, point)
    w = walk_of(text, point, ybar)
    dots = _try(lambda: tangent(text, point, seed)["dots"])
    state = w.state(position, p["vals"], dots, s["n"])
    focus = state["highlight"] if local else None
    return graph.to_dot(s["wl"], p["vals"], max_steps=MAX_GRAPH_STEPS, focus=focus, radius=2, fixed=True, **state)


def walk_of(text: str, point: tuple[float, ...], ybar: tuple[float, ...]) -> walk.Walk:
    """Both sweeps, position by position; only the forward sweep when the reverse sweep cannot run here."""
    updates = _try(lambda: adjoint(text, point, ybar)["updates"]) or []
    return walk.walk(structure(text)["wl"], updates)


def _try(make: Any) -> Any:
    try:
        return make()
    except (dz.EvaluationError, ArithmeticError, ValueError):
        return None


def short_seed(names: Any, seed: Any, mark: str) -> str:
    """``(ẋ1=1, ẋ2=0)`` for a few inputs; ``ẋ3 = 1, others 0`` or ``all 1`` for many."""
    if len(names) <= 3:
        return dz.api.seed_label(names, seed, bar=mark == "\u0304")
    ones = [n for n, s in zip(names, seed, strict=True) if s == 1]
    if len(ones) == len(names):
        return "all 1"
    if len(ones) == 1 and all(s in (0, 1) for s in seed):
        return f"{ones[0][0]}{mark}{ones[0][1:]} = 1, others 0"
    return dz.api.seed_label(names, seed, bar=mark == "\u0304")


def wengert_latex(wl: Any) -> str:
    from diffzoo.wengert import vlatex

    rows = [rf"{vlatex(i + 1 - wl.n)} &= {dz.expr.latex_name(name)}" for i, name in enumerate(wl.inputs)]
    rows += [rf"{vlatex(st_.index)} &= {wl.definition_latex(st_)}" for st_ in wl.steps]
    return r"\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}"


# --- drawing -------------------------------------------------------------------------------------------


def window(n_rows: int, current: int | None, size: int = WINDOW) -> tuple[int, int]:
    """Rows [lo, hi) to show of a long table: a window around the current row."""
    if n_rows <= size:
        return 0, n_rows
    lo = max(0, min((current or 0) - size // 3, n_rows - size))
    return lo, lo + size


def table_frame(tt: TraceTable, current: int | None, rows: tuple[int, int] | None = None,
                outputs: tuple[str, ...] = ()) -> Any:
    """The trace as a styled table: values formatted, the current row marked and highlighted."""
    if rows is not None:
        part = TraceTable(tt.title, tt.rows[rows[0]: rows[1]])
        offset = rows[0]
    else:
        part, offset = tt, 0
    df = part.frame()
    df.index = range(offset, offset + len(df))
    df["value"] = [_ui.fmt(v) for v in df["value"]]
    for col in ("variable", "rule", "chain rule"):
        if col in df:
            df[col] = [graph.pretty_names(str(v), outputs) for v in df[col]]
    df.insert(0, "now", ["▶" if i == current else "" for i in df.index])

    def paint(row: pd.Series) -> list[str]:
        on = row.name == current
        return [f"background-color: {HL}; font-weight: 700" if on else "" for _ in row]

    return df.style.apply(paint, axis=1)


def table_latex(tt: TraceTable, current: int | None, rows: tuple[int, int] | None = None) -> str:
    """The trace (or rows [lo, hi) of it) as an aligned array; the current row in colour."""
    lo, hi = rows if rows is not None else (0, len(tt.rows))
    lines = []
    for i in range(lo, hi):
        r = tt.rows[i]
        row = rf"{r.name_latex} &= {r.rule_latex} &= {_ui.fmt(r.value)}"
        if i == current:
            row = r"\color{#c2410c}{\blacktriangleright}\; " + row.replace("&=", r"&= \color{#c2410c}", 2)
        lines.append(row)
    return r"\begin{array}{rll}" + r"\\ ".join(lines) + r"\end{array}"


def show_table(tt: TraceTable, current: int | None, view: str, key: str, outputs: tuple[str, ...],
               fetch: Callable[[], TraceTable]) -> None:
    """A trace as a table (or mathematics), a window of it when long, with CSV and LaTeX downloads.

    ``fetch`` gets the table again when a download is asked for: a download holds the cache's key, never
    the table, so a closed session keeps no megabytes alive (issue 10, A10)."""
    st.subheader(graph.pretty_names(tt.title, outputs))
    every = bool(st.session_state.get("allrows"))
    rows = None if every else window(len(tt.rows), current)
    if rows is not None and rows != (0, len(tt.rows)):
        st.caption(f"Rows {rows[0] + 1}–{rows[1]} of {len(tt.rows)}, around the current step "
                   "(all rows: the switch above the tables, or the CSV).")
    shown = len(tt.rows) if rows is None else rows[1] - rows[0]
    if view == "Mathematics" and shown <= MAX_LATEX_ROWS:
        st.latex(table_latex(tt, current, rows))
    else:
        if view == "Mathematics":
            st.caption(f"{shown} rows: too many to typeset; shown as a table.")
        st.table(table_frame(tt, current, rows, outputs), hide_index=True)
    _ui.downloads([("CSV", lambda: fetch().to_csv(), f"{key}.csv", "text/csv"),
                   ("LaTeX", lambda: fetch().latex_document(), f"{key}.tex", "text/x-tex")], key=key)


def _move(delta: int, last: int) -> None:
    st.session_state["step"] = max(0, min(last, int(st.session_state.get("step", 0)) + delta))


def body(c: _ui.Ctx) -> None:
    text, point = c.text, c.point
    s = structure(text)
    names = list(c.variables)
    seed_options = [*names, "all ones"] if names else ["all ones"]
    seed_name = _ui.url_setting("seed", seed_options[0], str, lambda v: v in seed_options)
    if seed_name not in seed_options:
        st.session_state["seed"] = seed_name = seed_options[0]
    outs, shown_outs = s["outputs"], s["shown_outputs"]
    out_i = _ui.url_setting("out", 0, int, lambda v: 0 <= v < len(outs))
    if not 0 <= out_i < len(outs):
        st.session_state["out"] = out_i = 0
    view = _ui.url_setting("view", "Tables", str, lambda v: v in ("Tables", "Mathematics"))

    col1, col2, col3 = st.columns([2, 2, 2])
    col1.selectbox("Seed direction for the tangent trace (ẋ)", seed_options, key="seed",
                   format_func=lambda s: "ẋ = (1, 1, …)" if s == "all ones" else f"ẋ = e({s}): ∂/∂{s}",
                   help="Forward mode computes the derivative along this direction in one pass.")
    if len(outs) > 1:
        col2.selectbox("Output seeded in the reverse sweep (ȳ)", list(range(len(outs))), key="out",
                       format_func=lambda j: f"ȳ = e({shown_outs[j]}): gradient of {shown_outs[j]}",
                       help="Reverse mode computes one row of the Jacobian (the gradient of one output) per sweep.")
    else:
        col2.markdown("**Reverse sweep seed:** ȳ = 1 (one output)")
    col3.radio("Show the traces as", ["Tables", "Mathematics"], key="view", horizontal=True)

    seed = tuple(1.0 for _ in names) if seed_name == "all ones" else tuple(float(v == seed_name) for v in names)
    ybar = tuple(float(j == out_i) for j in range(len(outs)))
    p = primal(text, point)
    tan = _try_part(lambda: tangent(text, point, seed))
    adj = _try_part(lambda: adjoint(text, point, ybar))
    w = walk_of(text, point, ybar)
    if len(w) == 0:
        st.info("This function is a constant: it has no inputs and no steps, so there is nothing to walk "
                "through and every derivative is 0.", icon=":material/info:")
        show_table(p["table"], None, view, "primal", tuple(outs), lambda: primal(text, point)["table"])
        return
    last = len(w) - 1
    _ui.url_setting("step", 0, int)
    if not 0 <= int(st.session_state["step"]) <= last:
        st.session_state["step"] = max(0, min(last, int(st.session_state["step"])))

    st.markdown("### Step through the sweeps")
    b1, sl, b2 = st.columns([2.4, 6.2, 2.4], vertical_alignment="bottom")  # "◀ Previous" whole at 1024 px
    b1.button("◀ Previous", on_click=_move, args=(-1, last), key="prev", width="stretch")
    b2.button("Next ▶", on_click=_move, args=(1, last), key="next", width="stretch")
    if last > 0:
        n_rev = len(w) - s["n"] - s["k"]
        sl.slider(f"Step (0 … {last}): forward sweep first ({s['n'] + s['k']} steps), then the reverse sweep "
                  f"({n_rev} adjoint updates)", 0, last, key="step")
    pos = int(st.session_state["step"])
    _ui._write_qp("step", pos)
    step = w.steps[pos]
    with _ui.part("the current step"):
        st.info(now_line(step, pos, last, p, tan, adj, tuple(outs)), icon=":material/arrow_forward:")

    g, wcol = st.columns([5, 2])
    # The right-hand column is sent first: the browser lays out the graph in the same thread that draws
    # what follows it, so the results then appear before the graph's layout is done (about 0.25 s sooner).
    with wcol:
        st.subheader("Wengert list")
        with _ui.part("the Wengert list"):
            draw_list(s, step)
        st.subheader("Results")
        with _ui.part("the results"):
            draw_results(s, p, tan, adj, out_i)
            _ui.warnings_block(caveats(text, point))
    with g:
        st.subheader("Computational graph")
        with _ui.part("the computational graph"):
            draw_graph(text, point, seed, ybar, pos, s)

    fwd_row = step.row if step.phase == "forward" else None
    rev_row = step.row if step.phase == "reverse" else None
    if len(p["table"].rows) > WINDOW or (isinstance(adj, dict) and len(adj["table"].rows) > WINDOW):
        _ui.url_setting("allrows", False, _ui.as_bool)
        st.toggle("Show every row of the tables", key="allrows")
    st.markdown("### Forward mode: primal and tangent traces (the survey's Table 2)")
    a, b = st.columns(2)
    with a, _ui.part("the primal trace"):
        show_table(p["table"], fwd_row, view, "primal", tuple(outs), lambda: primal(text, point)["table"])
    with b, _ui.part("the tangent trace"):
        show_table(_need(tan)["table"], fwd_row, view, "tangent", tuple(outs),
                   lambda: tangent(text, point, seed)["table"])
    st.markdown("### Reverse mode: the adjoint trace (the survey's Table 3, read top-down)")
    with _ui.part("the adjoint trace"):
        show_table(_need(adj)["table"], rev_row, view, "adjoint", tuple(outs),
                   lambda: adjoint(text, point, ybar)["table"])
    st.caption("Each adjoint update adds v̄ₖ · ∂vₖ/∂vⱼ to v̄ⱼ: a variable used twice is updated twice. "
               "The last rows read the gradient off the input adjoints.")
    with _ui.part("the generated code"):
        _generated_code(c)


def _try_part(make: Any) -> Any:
    """A sweep's data, or the exception that stopped it (its parts then say why)."""
    try:
        return make()
    except (dz.EvaluationError, ArithmeticError, ValueError) as exc:
        return exc


def _need(data: Any) -> Any:
    """Data of a sweep for a part that needs it; its exception, raised, becomes the part's note."""
    if isinstance(data, Exception):
        raise data
    return data


def now_line(step: walk.WalkStep, pos: int, last: int, p: dict, tan: Any, adj: Any, outs: tuple[str, ...]) -> str:
    """The current step in one line: what is computed, its value, and its tangent or adjoint."""
    pr, md = (lambda t: graph.pretty_names(graph.pretty(str(t)), outs)), _ui.md
    head = f"**Step {pos}/{last} — {md(step.caption)}** — "
    if step.phase == "forward":
        prow = p["table"].rows[step.row]
        line = head + f"value {md(pr(prow.name))} = {md(_ui.fmt(prow.value))}, "
        if isinstance(tan, Exception):
            return line + f"tangent not available here: {md(pr(tan))}"
        trow = tan["table"].rows[step.row]
        return line + f"tangent {md(pr(trow.name))} = {md(pr(trow.rule))} = {md(_ui.fmt(trow.value))}"
    arow = _need(adj)["table"].rows[step.row]
    return head + f"{md(pr(arow.name))} = {md(pr(arow.rule))} = {md(_ui.fmt(arow.value))}"


def draw_graph(text: str, point: tuple[float, ...], seed: tuple[float, ...], ybar: tuple[float, ...], pos: int,
               s: dict[str, Any]) -> None:
    local = False
    if s["n"] + s["k"] > BIG:  # nodes drawn: inputs and steps; more than fit readably on a projector
        _ui.url_setting("whole", False, _ui.as_bool)
        st.toggle(f"Draw the whole graph ({s['n']} inputs, {s['k']} steps)", key="whole",
                  help="Off: only the current step and its neighbours, large enough to read on a projector.")
        local = not st.session_state["whole"]
    if s["k"] > MAX_GRAPH_STEPS and not local:
        st.caption(f"The list has {s['k']} steps; whole graphs of more than {MAX_GRAPH_STEPS} steps are not "
                   "drawn (too large to read). Switch the whole graph off to see the current step's neighbours.")
        return
    dot = dot_at(text, point, seed, ybar, pos, local)
    st.graphviz_chart(dot, width="stretch")
    more = " A dashed “+k more” stands for neighbours left out of this local view." if local else ""
    st.caption("Blue: inputs. Green: values known so far. Orange: the current step (and, in the reverse sweep, "
               "the edge its adjoint flows along). Dashed box: no derivative needed. “?”: not computed yet."
               + more)
    _ui.downloads([("Graph (DOT)", dot, "graph.dot", "text/vnd.graphviz")], key="graph")


def draw_list(s: dict[str, Any], step: walk.WalkStep) -> None:
    lines = s["wengert"]
    box = st.container(height=420, border=False) if s["n"] + s["k"] > BIG else st.container()
    with box:
        if s["wengert_latex"] is not None:
            st.latex(s["wengert_latex"])
            return
        node_line = step.node + s["n"] - 1  # the list's lines: inputs, then steps, then outputs
        lo, hi = window(len(lines), node_line, LIST_LINES)
        if (lo, hi) != (0, len(lines)):
            st.caption(f"Lines {lo + 1}–{hi} of {len(lines)}, around the current step.")
        st.code("\n".join(lines[lo:hi]), language=None)


def draw_results(s: dict[str, Any], p: dict, tan: Any, adj: Any, out_i: int) -> None:
    md, ys = _ui.md, s["shown_outputs"]
    lines = [f"**{md(y)}** = {md(_ui.fmt(v))}" for y, v in zip(ys, p["value"], strict=True)]
    if isinstance(tan, Exception):
        lines.append(f"**Forward, one pass:** not available here ({md(graph.pretty(str(tan)))})")
    else:
        jv = ", ".join(md(_ui.fmt(v)) for v in tan["jvp"])
        dots = ", ".join(md(f"{y[0]}\u0307{y[1:]}") for y in ys)
        lines.append(f"**Forward, one pass** (along the seed): {dots} = {jv}")
    if isinstance(adj, Exception):
        lines.append(f"**Reverse, one sweep:** not available here ({md(graph.pretty(str(adj)))})")
    else:
        yb = ys[out_i] if len(ys) > 1 else ys[0]
        pairs = list(zip(s["inputs"], adj["gradient"], strict=True))
        gr = ", ".join(f"∂{md(yb)}/∂{md(x)} = {md(_ui.fmt(v))}" for x, v in pairs[:4])
        more = f" … ({len(pairs) - 4} more in the adjoint table's last rows)" if len(pairs) > 4 else ""
        lines.append(f"**Reverse, one sweep:** {gr}{more}")
    st.markdown("\n\n".join(lines))


@_cache.memo
def generated_sources(text: str) -> dict[str, str] | None:
    """The straight-line Python that diffzoo.compile writes for this list and its tangent and adjoint programs."""
    from diffzoo import compile, transforms

    wl = structure(text)["wl"]
    return {"primal": compile.shown(wl, "primal"), "forward (JVP)": compile.shown(transforms.jvp_of(wl), "jvp"),
            "reverse (VJP)": compile.shown(transforms.vjp_of(wl), "vjp")}


def _generated_code(c: _ui.Ctx) -> None:
    """The compiled primal, tangent and adjoint code, line for line with the traces."""
    src = generated_sources(c.text)
    if src is None:
        return
    st.markdown("### Generated code (source-to-source compilation)")
    st.caption("The same sweeps written out as straight-line Python from the Wengert list and the primitive table "
               "(never from your text): one line per primal step, tangent, or adjoint update.")
    # One tab per sweep, each the page's full width: three side-by-side columns cut the long lines off.
    tabs = st.tabs([f"{name}" for name in src])
    for tab, code in zip(tabs, src.values(), strict=True):
        with tab:
            lines = code.split("\n")
            if len(lines) > CODE_LINES:
                st.caption(f"The first {CODE_LINES} of {len(lines):,} lines; the download below has them all.")
                code = "\n".join(lines[:CODE_LINES])
            st.code(code, language="python", line_numbers=True,
                    height=min(640, 28 * (code.count("\n") + 2)))
    text = c.text
    _ui.downloads([(f"{name} (.py)", lambda name=name: (generated_sources(text) or {}).get(name, ""),
                    f"{name.split()[0]}.py", "text/x-python") for name in src], key="gen")


_ui.run_page("Traces: forward and reverse mode", INTRO, body)

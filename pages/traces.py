"""Traces page: the Wengert list, its graph, and the primal, tangent and adjoint traces, step by step.

What it shows is ``diffzoo.views.traces_view``: this page reads the settings, draws the controls and the view.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from diffzoo import graph, views
from diffzoo.graph import pretty_names
from diffzoo.traces import TraceTable
from pages import _cache, _frame, _render, _sidebar, _url
from pages._render import md

HL = "#fde2c8"
INTRO = (
    "A function is evaluated as a **Wengert list**: a straight line of primitive steps "
    "v₁, v₂, … over the inputs v₋ₙ₊₁ … v₀. **Forward mode** carries a tangent v̇ next to every value "
    "(one pass per seed direction); **reverse mode** first computes the values, then sweeps backwards "
    "accumulating adjoints v̄ = ∂y/∂v, giving the whole gradient in one sweep. Use the step control to "
    "walk through both sweeps: the current row is highlighted in its table and in the graph."
)
VIEWS = ("Tables", "Mathematics")


def table_header(t: views.ShownTable) -> None:
    """A trace's title, and which rows are shown when it is long."""
    st.subheader(t.title)
    if t.windowed:
        st.caption(f"Rows {t.rows[0] + 1}–{t.rows[1]} of {t.total}, around the current step "
                   "(all rows: the switch above the tables, or the CSV).")


def show_table(t: views.ShownTable, fetch: Callable[[], TraceTable], header: bool = True) -> None:
    """A trace as a table (or mathematics), a window of it when long, with CSV and LaTeX downloads.

    ``fetch`` gets the table again when a download is asked for: a download holds the cache's key, never
    the table, so a closed session keeps no megabytes alive (issue 10, A10)."""
    if header:
        table_header(t)
    if t.latex is not None:
        st.latex(t.latex)
    else:
        if t.too_many_to_typeset:
            st.caption(f"{t.rows[1] - t.rows[0]} rows: too many to typeset; shown as a table.")

        def paint(row: pd.Series) -> list[str]:
            on = row.name == t.current
            return [f"background-color: {HL}; font-weight: 700" if on else "" for _ in row]

        st.table(t.frame.style.apply(paint, axis=1), hide_index=True)  # type: ignore[union-attr]
    _render.downloads([("CSV", lambda: fetch().to_csv(), f"{t.key}.csv", "text/csv"),
                       ("LaTeX", lambda: fetch().latex_document(), f"{t.key}.tex", "text/x-tex")], key=t.key)


def show_pair(primal: views.ShownTable, tangent: views.ShownTable, fetch_primal: Callable[[], TraceTable],
              fetch_tangent: Callable[[], TraceTable]) -> None:
    """The primal and tangent traces as one table, as the survey's Table 2 is: row k of one is row k of the other
    on any screen (two tables side by side drift apart as soon as one cell wraps)."""
    st.subheader(f"{primal.title} | {tangent.title}")
    if primal.windowed:
        st.caption(f"Rows {primal.rows[0] + 1}–{primal.rows[1]} of {primal.total}, around the current step "
                   "(all rows: the switch above the tables, or the CSV).")
    left = primal.frame
    right = tangent.frame.drop(columns=["now"]).rename(columns={"variable": "tangent variable",
                                                                 "rule": "tangent rule", "value": "tangent"})
    both = pd.concat([left, right], axis=1)

    def paint(row: pd.Series) -> list[str]:
        on = row.name == primal.current
        return [f"background-color: {HL}; font-weight: 700" if on else "" for _ in row]

    st.table(both.style.apply(paint, axis=1), hide_index=True)  # type: ignore[union-attr]
    a, b = st.columns(2)
    with a:
        st.caption("Primal trace")
        _render.downloads([("CSV", lambda: fetch_primal().to_csv(), f"{primal.key}.csv", "text/csv"),
                           ("LaTeX", lambda: fetch_primal().latex_document(), f"{primal.key}.tex", "text/x-tex")],
                          key=primal.key)
    with b:
        st.caption("Tangent trace")
        _render.downloads([("CSV", lambda: fetch_tangent().to_csv(), f"{tangent.key}.csv", "text/csv"),
                           ("LaTeX", lambda: fetch_tangent().latex_document(), f"{tangent.key}.tex", "text/x-tex")],
                          key=tangent.key)


def _move(delta: int, last: int) -> None:
    st.session_state["step"] = max(0, min(last, int(st.session_state.get("step", 0)) + delta))


def _next(last: int) -> None:
    """Next: first check the prediction typed for the value it reveals (score kept in this session only)."""
    typed, target = str(st.session_state.get("predict") or ""), st.session_state.get("_predict_target")
    if typed.strip() and target is not None:
        said = views.check_prediction(typed, *target)
        st.session_state["_predict_said"] = said
        if said.right is not None:
            right, tried = st.session_state.get("predict_score", (0, 0))
            st.session_state["predict_score"] = (right + bool(said.right), tried + 1)
        st.session_state["predict"] = ""
    else:
        st.session_state.pop("_predict_said", None)
    _move(1, last)


def _back(last: int) -> None:
    st.session_state.pop("_predict_said", None)
    _move(-1, last)


def step_controls(v: views.TracesView, row: Sequence[Any] | None = None, predict: Any = None) -> None:
    """Previous and Next (arrow keys; a presenter's clicker sends PageUp/PageDown), the step slider, and a box
    to predict the value Next reveals; in ``row`` (three columns) and ``predict`` (a column) when given."""
    b1, sl, b2 = row or st.columns([3, 5, 3], vertical_alignment="bottom")  # "◀ Previous" whole at 1024 px
    b1.button("◀ Previous", on_click=_back, args=(v.last,), key="prev", width="stretch", shortcut="Left",
              help="Or the left arrow key (PageUp on a clicker).")
    b2.button("Next ▶", on_click=_next, args=(v.last,), key="next", width="stretch", shortcut="Right",
              help="Or the right arrow key (PageDown on a clicker).")
    with st.container(key="dz_clicker"):  # the clicker's keys: a second pair, not shown
        st.button("Previous", on_click=_back, args=(v.last,), key="prev_page", shortcut="PageUp")
        st.button("Next", on_click=_next, args=(v.last,), key="next_page", shortcut="PageDown")
    if v.last > 0:
        sl.slider(f"Step (0 … {v.last}): forward sweep first ({v.n + v.k} steps), then the reverse sweep "
                  f"({v.n_reverse} adjoint updates)", 0, v.last, key="step",
                  label_visibility="collapsed" if predict is not None else "visible")
    st.session_state["_predict_target"] = v.upcoming
    said = st.session_state.get("_predict_said")
    if v.upcoming is None and said is None:
        return
    p1, p2 = (predict, predict) if predict is not None else st.columns([4, 6], vertical_alignment="bottom")
    if v.upcoming is not None:
        p1.text_input(f"Predict {v.upcoming[0]}, then press Next", key="predict", max_chars=40,
                      placeholder="e.g. -0.284", help="Checked to the precision you type (-0.28 is right for "
                      "-0.28366). Leave it empty to just step.")
    if said is not None:
        right, tried = st.session_state.get("predict_score", (0, 0))
        note = f"{md(said.message)} Predictions right this session: {right} of {tried}."
        if said.right:
            p2.success(note, icon=":material/check:")
        elif said.right is False:
            p2.error(note, icon=":material/close:")
        else:
            p2.warning(note, icon=":material/edit:")


def body(c: _sidebar.Ctx) -> None:
    text, point, names, outs = c.text, c.point, list(c.variables), c.outputs
    seed_options = [*names, views.ALL_ONES] if names else [views.ALL_ONES]
    seed = _url.setting("seed", seed_options[0], str, lambda v: v in seed_options)
    if seed not in seed_options:
        st.session_state["seed"] = seed_options[0]
    out_i = _url.setting("out", 0, int, lambda v: 0 <= v < len(outs))
    if not 0 <= out_i < len(outs):
        st.session_state["out"] = 0
    _url.setting("view", VIEWS[0], str, lambda v: v in VIEWS)
    shown_outs = [pretty_names(y, outs) for y in outs]

    # Presentation mode: a fixed layout that puts the step walk and the graph on the first screen (1024 x 768):
    # the seed and view settings folded into a popover beside Previous and Next, the prediction beside the step.
    present = _frame.presenting()
    if present:
        row = st.columns([2.4, 5.2, 2.4, 2.2], vertical_alignment="bottom")
        box = row[3].popover("Seed, view", icon=":material/tune:", width="stretch")
        col1, col2, col3 = box, box, box
    else:
        col1, col2, col3 = st.columns([2, 2, 2])
    col1.selectbox("Seed direction for the tangent trace (ẋ)", seed_options, key="seed",
                   format_func=lambda s: "ẋ = (1, 1, …)" if s == views.ALL_ONES else f"ẋ = e({s}): ∂/∂{s}",
                   help="Forward mode computes the derivative along this direction in one pass.")
    if len(outs) > 1:
        col2.selectbox("Output seeded in the reverse sweep (ȳ)", list(range(len(outs))), key="out",
                       format_func=lambda j: f"ȳ = e({shown_outs[j]}): gradient of {shown_outs[j]}",
                       help="Reverse mode computes one row of the Jacobian (the gradient of one output) per sweep.")
    else:
        col2.markdown("**Reverse sweep seed:** ȳ = 1 (one output)")
    col3.radio("Show the traces as", list(VIEWS), key="view", horizontal=True)

    # What the controls above show (read after they are drawn), and those drawn further down (read from the
    # session, or the address on a fresh page); the view keeps the step within the walk.
    seed, out_i = st.session_state["seed"], int(st.session_state["out"]) if len(outs) > 1 else 0
    position = _url.setting("step", 0, int, noted=False)
    whole = _url.setting("whole", False, _url.as_bool, noted=False)
    every = _url.setting("allrows", False, _url.as_bool, noted=False)
    v = views.traces_view(text, point, seed, out_i, int(position), bool(whole),
                          st.session_state["view"] == "Mathematics", bool(every), cache=_cache.call)

    def fetch(which: str) -> Callable[[], TraceTable]:
        return lambda: views.trace_table(text, point, which, seed, out_i, cache=_cache.call)

    if v.constant:
        st.info("This function is a constant: it has no inputs and no steps, so there is nothing to walk "
                "through and every derivative is 0.", icon=":material/info:")
        show_table(v.primal, fetch("primal"))
        return
    if int(st.session_state["step"]) != v.position:
        st.session_state["step"] = v.position
    _url.note("step", v.position)

    if present:
        now_at, predict_at = st.columns([6.5, 3.5])
        step_controls(v, row[:3], predict_at)
    else:
        st.markdown("### Step through the sweeps")
        step_controls(v)
        now_at = st.container()
    with now_at:
        _frame.show(v.now, lambda now: st.info(f"**{md(now[0])}** — {md(now[1])}", icon=":material/arrow_forward:"))

    # presentation mode: the graph the page's whole width, the list and results under it
    g, wcol = (st.container(), st.container()) if present else st.columns([5, 2])
    # The right-hand column is sent first: the browser lays out the graph in the same thread that draws
    # what follows it, so the results then appear before the graph's layout is done (about 0.25 s sooner).
    with wcol:
        st.subheader("Wengert list")
        with _frame.part("the Wengert list"):
            draw_list(v)
        st.subheader("Results")
        _frame.show(v.results, lambda lines: st.markdown("\n\n".join(f"**{md(a)}**{md(b)}" for a, b in lines)))
        _render.warnings_block(v.warnings)
    with g:
        st.subheader("Computational graph")
        if v.big:  # nodes drawn: inputs and steps; more than fit readably on a projector
            _url.note("whole", bool(whole))
            st.toggle(f"Draw the whole graph ({v.n} inputs, {v.k} steps)", key="whole",
                      help="Off: only the current step and its neighbours, large enough to read on a projector.")
        _frame.show(v.graph, lambda dot: draw_graph(dot, v.local, f"{file_stem(text)}-step{v.position}"))

    if v.long_tables:
        _url.note("allrows", bool(every))
        st.toggle("Show every row of the tables", key="allrows")
    st.markdown("### Forward mode: primal and tangent traces (the survey's Table 2)")
    if v.tangent.ok and v.primal.latex is None and len(v.primal.frame) == len(v.tangent.value.frame):
        show_pair(v.primal, v.tangent.value, fetch("primal"), fetch("tangent"))
    else:  # mathematics, or a tangent trace that failed: side by side, each on its own
        a, b = st.columns(2)
        with a, _frame.part("the primal trace"):
            show_table(v.primal, fetch("primal"))
        with b:
            _frame.show(v.tangent, lambda t: show_table(t, fetch("tangent")))
    st.markdown("### Reverse mode: the adjoint trace (the survey's Table 3, read top-down)")
    _frame.show(v.adjoint, lambda t: show_table(t, fetch("adjoint")))
    st.caption("Each adjoint update adds v̄ₖ · ∂vₖ/∂vⱼ to v̄ⱼ: a variable used twice is updated twice. "
               "The last rows read the gradient off the input adjoints.")
    _frame.show(v.code, lambda code: draw_code(code, text))


def file_stem(text: str) -> str:
    """A file name's part for a function: ``ln(x1) + x1*x2`` -> ``ln_x1_x1_x2`` (letters, digits, _; 40 at most)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")[:40].strip("_") or "f"


def draw_graph(dot: str, local: bool, name: str) -> None:
    """The graph (laid out by the browser), its legend, and downloads: the DOT, and for slides SVG and PNG at this
    step in diffzoo's own layout (:func:`diffzoo.graph.export`, made when asked for; dark with the dark theme)."""
    st.graphviz_chart(dot, width="stretch")
    more = " A dashed “+k more” stands for neighbours left out of this local view." if local else ""
    st.caption("Blue: inputs. Green: values known so far. Orange: the current step (and, in the reverse sweep, "
               "the edge its adjoint flows along). Dashed box: no derivative needed. “?”: not computed yet."
               + more)
    theme = str(st.session_state.get("theme", "light"))
    _render.downloads([("SVG", lambda: graph.export(dot, "svg", theme), f"graph-{name}.svg", "image/svg+xml"),
                       ("PNG", lambda: graph.export(dot, "png", theme), f"graph-{name}.png", "image/png"),
                       ("DOT", dot, f"graph-{name}.dot", "text/vnd.graphviz")], key="graph")
    st.caption("The graph at this step, for slides: SVG and PNG in diffzoo's own layout of it (the page's is the "
               "browser's Graphviz), DOT as the page draws it.")


def draw_list(v: views.TracesView) -> None:
    box = st.container(height=420, border=False) if v.big else st.container()
    with box:
        if v.wengert_latex is not None:
            st.latex(v.wengert_latex)
            return
        lo, hi, total = v.wengert_rows
        if (lo, hi) != (0, total):
            st.caption(f"Lines {lo + 1}–{hi} of {total}, around the current step.")
        st.code("\n".join(v.wengert), language=None)


def draw_code(code: tuple[views.Code, ...], text: str) -> None:
    """The compiled primal, tangent and adjoint code, line for line with the traces."""
    st.markdown("### Generated code (source-to-source compilation)")
    st.caption("The same sweeps written out as straight-line Python from the Wengert list and the primitive table "
               "(never from your text): one line per primal step, tangent, or adjoint update.")
    # One tab per sweep, each the page's full width: three side-by-side columns cut the long lines off.
    tabs = st.tabs([c.name for c in code])
    for tab, c in zip(tabs, code, strict=True):
        with tab:
            if c.lines > views.CODE_LINES:
                st.caption(f"The first {views.CODE_LINES} of {c.lines:,} lines; the download below has them all.")
            st.code(c.shown, language="python", line_numbers=True, height=min(640, 28 * (c.shown.count("\n") + 2)))
    _render.downloads([(f"{c.name} (.py)", lambda name=c.name: views.generated_code(text, cache=_cache.call)[name],
                        f"{c.name.split()[0]}.py", "text/x-python") for c in code], key="gen")


_frame.run_page("Traces: forward and reverse mode", INTRO, body)

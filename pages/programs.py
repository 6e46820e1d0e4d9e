"""Programs page: a program with loops and branches, traced at a point, walked step by step, differentiated every way.

What it shows is ``diffzoo.programview.program_view``: this page reads its own program box, example and point
(not the sidebar's function), draws the controls and the view's parts, each of which, if it cannot be drawn here,
says why in a sentence while the others still show.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import diffzoo as dz
from diffzoo import programview as pv
from diffzoo.points import read_number
from pages import _cache, _frame, _render, _sidebar, _url
from pages._render import md

HL = "#fde2c8"
CUSTOM = "(your own program)"
RADII = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
INTRO = (
    "AD differentiates **programs**, not only formulas: loops and branches included. Run at a point, the program "
    "records the path it takes as a Wengert list; each step keeps its source line and loop iteration, each branch "
    "decision is kept as a guard. Every method then differentiates that path, which holds only where the same "
    "branches are taken: at a kink AD gives the derivative of the branch taken, and at a jump it says 0. Type a "
    "program below or pick an example; the sidebar's function is not used here."
)
CSS = """<style>
.st-key-p_text textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace !important;
  font-size: 0.9rem !important; white-space: pre !important; }
</style>"""


def _pick() -> None:
    ex = pv.example_named(str(st.session_state.get("p_ex")))
    if ex is not None:
        st.session_state["p_text"] = ex.text
        for v, x in ex.point.items():
            st.session_state[f"p_at_{v}"] = repr(float(x))
        st.session_state["p_step"] = 0


def _move(delta: int, last: int) -> None:
    st.session_state["p_step"] = max(0, min(last, int(st.session_state.get("p_step", 0)) + delta))


def body(_: _sidebar.Ctx) -> None:
    st.html(CSS)
    exs = pv.examples()
    names = [e.name for e in exs]
    ss = st.session_state
    _url.setting("p_ex", names[0], str, lambda v: v in (*names, CUSTOM))
    first = pv.example_named(str(ss["p_ex"]))
    _url.setting("p_text", first.text if first else exs[0].text, str, lambda v: len(v) <= 20_000, noted=False)
    if ss["p_ex"] != CUSTOM and first is not None and ss["p_text"] != first.text:
        ss["p_ex"] = CUSTOM
    _url.note("p_ex", ss["p_ex"])
    if ss["p_ex"] == CUSTOM:
        _url.note("p_text", ss["p_text"])

    c1 = st.container()
    c2 = st.container()
    with c1:
        st.selectbox("Example program", [*names, CUSTOM], key="p_ex", on_change=_pick,
                     help="Ready programs from assets/programs; pick one to load its text and point.")
        st.text_area("Program (one statement a line, blocks by indentation with spaces)", key="p_text", height=300,
                     help="Press Ctrl+Enter (or click outside) to apply. Statements: name = expr, += -= *= /=, "
                     "for k in range(...):, while cond:, if/elif/else, return at the end.")
    text = str(ss["p_text"])
    try:
        f = _cache.call(pv.parse_program_text, text)
    except dz.ParseError as exc:
        with c2:
            _render.parse_error(exc, "This program cannot be read:")
        return
    example = pv.example_named(str(ss["p_ex"]))
    point, bad = [], {}
    with c1:
        cols = st.columns(max(2, min(4, len(f.variables))))
        for k, v in enumerate(f.variables):
            key = f"p_at_{v}"
            if not isinstance(ss.get(key), str):
                raw = _url.qp(key)
                ss[key] = raw[:200] if raw is not None else repr(example.point.get(v, 1.0)) if example else "1"
            cols[k % len(cols)].text_input(v, key=key, help=_sidebar.POINT_HELP, max_chars=200)
            _url.note(key, str(ss[key]).strip())
            try:
                point.append(read_number(ss[key]))
            except ValueError as exc:
                bad[v] = str(exc)
        for v, msg in bad.items():
            st.error(f"**{md(v)}**: {md(msg)}", icon=":material/edit:")
        if example is not None:
            st.caption(md(example.note))
    if bad:
        return
    n = len(f.variables)
    _url.setting("p_wrt", 0, int, lambda v: 0 <= v < max(n, 1))
    if not 0 <= int(ss["p_wrt"]) < max(n, 1):
        ss["p_wrt"] = 0
    default_r = 0.25 if f.program is not None and f.program.name == "projectile" else 1.0
    _url.setting("p_radius", default_r, _url.finite_float, lambda v: v in RADII)
    position = _url.setting("p_step", 0, int, noted=False)
    try:
        v = pv.program_view(text, tuple(point), position=int(position), wrt=int(ss["p_wrt"]),
                            radius=float(ss["p_radius"]), cache=_cache.call)
    except (dz.EvaluationError, dz.LimitError) as exc:
        with c2:
            st.warning("The program cannot run at this point. diffzoo says:", icon=":material/warning:")
            st.code(str(exc), language=None, wrap_lines=True)
        return
    nw = v.now.get()
    if int(ss.get("p_step", 0)) != nw.position:
        ss["p_step"] = nw.position
    _url.note("p_step", nw.position)
    value = ", ".join(f"{y:.15g}" for y in v.value)
    with c1:
        st.caption(f"{v.steps:,} steps traced at this point; f = {md(value)}.")

    st.markdown("### 1. Step through the sweeps")
    b1, sl, b2 = st.columns([3, 5, 3], vertical_alignment="bottom")
    b1.button("◀ Previous", on_click=_move, args=(-1, nw.last), key="p_prev", width="stretch")
    b2.button("Next ▶", on_click=_move, args=(1, nw.last), key="p_next", width="stretch")
    if nw.last > 0:
        sl.slider(f"Step (0 … {nw.last}): inputs and steps forward, then the adjoint updates", 0, nw.last,
                  key="p_step")
    st.info(f"**{md(nw.where)}** — {md(nw.caption)}", icon=":material/arrow_forward:")
    st.markdown("**The program, line by line** (▶ marks the current step's line)")
    st.code(v.source, language=None, height=min(420, 26 * (v.source.count("\n") + 2)))
    st.markdown("**The trace, by loop iteration**")
    _frame.show(v.trace, draw_trace)
    st.markdown("**Computational graph**")
    _frame.show(v.graph, lambda dot: draw_graph(dot, v.collapsed))

    st.markdown("### 2. The derivative by every method")
    _frame.show(v.methods, draw_methods)

    st.markdown("### 3. Kinks and jumps")
    k1, k2 = st.columns([1, 2])
    if n > 1:
        k1.selectbox("Move the input", list(range(n)), key="p_wrt", format_func=lambda i: f.variables[i])
    k2.select_slider("Range: the input ± r", list(RADII), key="p_radius", format_func=lambda r: f"r = {r:g}")
    _frame.show(v.sweep(), draw_sweep)

    st.markdown("### 4. The generated code (loops kept)")
    _frame.show(v.code, draw_code)

    st.markdown("### 5. Memory: reverse mode's tape against forward mode's live values")
    _frame.show(v.memory(), draw_memory)

    st.markdown("### 6. Numeric differences against the step, where a guard flips")
    _frame.show(v.step_errors(), draw_step_errors)

    st.markdown("### 7. Symbolic swell as the iterations grow")
    _frame.show(v.loop_swell(), draw_loop_swell)

    if v.ascent is not None:
        st.markdown("### 8. Gradient ascent to the best angle")
        _frame.show(v.ascent(), draw_ascent)
    if v.swell_link:
        st.markdown("### 8. Expression swell by family")
        st.page_link("pages/symbolic.py", label="The Symbolic page's swell chart: the logistic map's derivative "
                     "written out grows with every iteration", icon=":material/functions:")
        st.caption("Traced, each iteration adds three steps; written out as one expression, the derivative of the "
                   "path doubles in size with every iteration (set the sidebar to the logistic map).")

    if v.downloads:
        st.markdown("#### Downloads")
        for k in range(0, len(v.downloads), 3):
            _render.downloads(v.downloads[k:k + 3], key="programs")


def draw_graph(dot: str, collapsed: bool) -> None:
    st.graphviz_chart(dot, width="stretch")
    if collapsed:
        st.caption("A long trace, collapsed: the steps with the same source line and position within their statement "
                   "are one node across all iterations, labelled “×N” with how often it ran (green). Dashed: a value "
                   "carried from one iteration to the next. Orange: the current step's node.")
    else:
        st.caption("Blue: inputs. Green: values known so far. Orange: the current step.")


def draw_trace(tg: pv.TraceGroups) -> None:
    fr = tg.frame
    if tg.total_groups > len(tg.groups):
        st.caption(f"Groups {tg.first_group + 1}–{tg.first_group + len(tg.groups)} of {tg.total_groups}, around the "
                   "current step (the CSV has them all).")
    box = st.container(height=460, border=False)
    for gr in tg.groups:
        with box.expander(f"{gr.title} — rows {gr.lo + 1}–{gr.hi}", expanded=gr.current):
            lo = gr.lo
            hi = min(gr.hi, lo + pv.ROWS_PER_GROUP)
            if gr.current and tg.current_row is not None and tg.current_row >= hi:
                lo, hi = max(gr.lo, tg.current_row - pv.ROWS_PER_GROUP // 2), min(gr.hi, tg.current_row + 20)
            rows = fr.iloc[lo:hi].copy()
            for col in ("value", "tangent", "adjoint"):
                rows[col] = [pv.num(x, 8) for x in rows[col]]
            rows = rows.drop(columns=["iteration"])

            def paint(row: pd.Series) -> list[str]:
                on = row.name == tg.current_row
                return [f"background-color: {HL}; font-weight: 700" if on else "" for _ in row]

            st.table(rows.style.apply(paint, axis=1), hide_index=True)  # type: ignore[arg-type]
            if hi - lo < gr.hi - gr.lo:
                st.caption(f"Rows {lo + 1}–{hi} of this group's {gr.lo + 1}–{gr.hi}.")
    st.caption("tangent: forward mode along the chosen input; adjoint: the reverse sweep's v̄ with ȳ = 1.")


def draw_methods(m: pv.Methods) -> None:
    if not m.table.empty:
        st.table(m.table, hide_index=True)
    for meth, why in m.errors.items():
        st.info(f"**{md(meth)}**: no answer here. {md(why)}", icon=":material/info:")
    carried: dict[str, list[str]] = {}
    for meth, ws in m.warnings.items():
        for w in ws:
            carried.setdefault(w, []).append(meth)
    for w, ms in carried.items():
        who = "every method" if len(ms) == len(m.warnings) > 1 else ", ".join(ms)
        st.warning(f"**{md(who)}**: {md(w)}", icon=":material/warning:")
    if not carried:
        st.caption("No method carries a warning here: no branch decision depends on the inputs.")


def draw_sweep(s: pv.Sweep) -> None:
    _render.figure_block(s.png, s.svg, "program-kinks", "Above: f, the program run again at each point. Below: AD's "
                         "derivative there (forward mode along the path taken). Dashed red: where a guard flips, "
                         "labelled kink or jump; dotted grey: the point.")
    st.markdown(md(s.sentence()))
    _render.downloads([("Sweep (CSV)", s.csv, "program-sweep.csv", "text/csv")], key="sweep")


def draw_code(gen: pv.Generated) -> None:
    st.caption("The compiler writes the primal, JVP and VJP programs with their loops and branches kept: the forward "
               "sweep pushes what the reverse sweep needs (branch decisions, loop counts, overwritten values) onto a "
               "tape, and the reverse sweep runs each loop backwards, popping. Left: the source line; right of │: the "
               "generated lines that come from it (scroll sideways in the box for long lines).")
    tabs = st.tabs(list(gen.beside))
    for tab, name in zip(tabs, gen.beside, strict=True):
        with tab:
            text = gen.side_by_side(name)
            st.code(text, language=None, height=min(480, 24 * (text.count("\n") + 2)))
            with st.expander(f"The whole {name} program, with line numbers"):
                st.code(gen.sources[name], language="python", line_numbers=True)


def draw_memory(m: pv.Memory) -> None:
    _render.figure_block(m.png, m.svg, "program-memory", "Left: values stored against the iteration count; right: "
                         "time of one reverse sweep and one forward pass (logarithmic axes).")
    st.markdown(md(m.sentence()))
    st.table(m.shown(), hide_index=True)


def draw_step_errors(s: pv.StepErrors) -> None:
    _render.figure_block(s.png, s.svg, "program-step-errors", f"Central and forward differences of f along "
                         f"{s.input}, their error against reverse mode's derivative ({s.reference:.15g}) at each step "
                         "h (logarithmic axes; an error of exactly 0 is left out). Red crosses: steps whose stencil "
                         "point takes another path than the point.")
    st.markdown(md(s.sentence()))
    _render.downloads([("Errors (CSV)", s.csv, "program-step-errors.csv", "text/csv")], key="step_errors")


def draw_loop_swell(w: pv.LoopSwell) -> None:
    st.markdown(md(w.sentence()))
    c1, c2 = st.columns([1, 2])
    c1.table(w.frame.rename(columns={"n": "N", "f Wengert length": "steps traced"}), hide_index=True)
    with c2:
        _render.figure_block(w.png, w.svg, "program-loop-swell", "Operations of the path's symbolic gradient against "
                             "N (logarithmic y): written out as a tree, and with equal parts shared.")


def draw_ascent(a: pv.Ascent) -> None:
    last = a.frame.iloc[-1]
    st.markdown(md(f"Each step moves the angle by {a.rate:g} × d(range)/d(angle), the derivative by reverse mode "
                   f"through the loop of Euler steps. After {len(a.frame) - 1} steps the angle is "
                   f"{last['angle']:.5f} (π/4 = 0.78540 without air) and the range {last['range']:.4f}."))
    df = a.frame.copy()
    for col in ("angle", "range", "d(range)/d(angle)"):
        df[col] = [f"{x:.6g}" for x in df[col]]
    st.table(df, hide_index=True)
    _render.figure_block(a.png, a.svg, "projectile-ascent", "The range at each step, against the angle.")


_frame.run_page("Programs: loops and branches", INTRO, body, needs_function=False)

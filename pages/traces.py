"""Traces page: the Wengert list, its graph, and the primal, tangent and adjoint traces, step by step."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

import diffzoo as dz
from diffzoo import forward, graph, reverse
from diffzoo.traces import TraceTable, adjoint_table, primal_table, tangent_table
from pages import _ui

HL = "#fde2c8"
INTRO = (
    "A function is evaluated as a **Wengert list**: a straight line of primitive steps "
    "v₁, v₂, … over the inputs v₋ₙ₊₁ … v₀. **Forward mode** carries a tangent v̇ next to every value "
    "(one pass per seed direction); **reverse mode** first computes the values, then sweeps backwards "
    "accumulating adjoints v̄ = ∂y/∂v, giving the whole gradient in one sweep. Use the step control to "
    "walk through both sweeps: the current row is highlighted in its table and in the graph."
)
MAX_LATEX_ROWS = 80
MAX_GRAPH_STEPS = 300
WINDOW = 30  # rows of a long table shown around the current step
BIG = 24  # lists longer than this get scrolling boxes instead of shrinking


@st.cache_data(max_entries=64, show_spinner=False)
def trace_data(text: str, point: tuple[float, ...], seed: tuple[float, ...], ybar: tuple[float, ...]) -> dict[str, Any]:
    """Everything the page shows for one function, point, seed direction and output seed."""
    f = dz.parse(text)
    wl = f.wengert
    vals = wl.evaluate(list(point))
    dots = forward.tangent_sweep(wl, vals, list(seed))
    bar, updates = reverse.adjoint_sweep(wl, vals, list(ybar), record=True)
    tan = tangent_table(wl, vals, dots)
    tan.title = "Tangent trace, seed " + short_seed(wl.inputs, seed, "\u0307")
    adj = adjoint_table(wl, updates, bar)
    adj.title = "Adjoint trace, seed " + short_seed(wl.output_names(), ybar, "\u0304")
    w = graph.walk(wl, updates)
    return {"primal": primal_table(wl, vals), "tangent": tan, "adjoint": adj, "vals": vals, "dots": dots,
            "walk": w, "n": wl.n, "k": len(wl.steps), "wengert": wl.to_text(),
            "wengert_latex": wengert_latex(wl), "value": wl.output_values(vals),
            "jvp": forward.output_tangents(wl, dots), "gradient": bar[: wl.n], "inputs": wl.inputs,
            "outputs": wl.output_names()}


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


@st.cache_data(max_entries=256, show_spinner=False)
def dot_at(text: str, point: tuple[float, ...], seed: tuple[float, ...], ybar: tuple[float, ...],
           position: int, local: bool) -> str:
    """The graph's DOT text at one position of the walk (``local``: only the current step's neighbourhood)."""
    d = trace_data(text, point, seed, ybar)
    wl = dz.parse(text).wengert
    state = d["walk"].state(position, d["vals"], d["dots"], d["n"])
    focus = state["highlight"] if local else None
    return graph.to_dot(wl, d["vals"], max_steps=MAX_GRAPH_STEPS, focus=focus, radius=2, **state)


def window(n_rows: int, current: int | None, size: int = WINDOW) -> tuple[int, int]:
    """Rows [lo, hi) to show of a long table: a window around the current row."""
    if n_rows <= size:
        return 0, n_rows
    lo = max(0, min((current or 0) - size // 3, n_rows - size))
    return lo, lo + size


def table_frame(tt: TraceTable, current: int | None, rows: tuple[int, int] | None = None) -> Any:
    """The trace as a styled table: values formatted, the current row marked and highlighted."""
    df = tt.frame()
    df["value"] = [_ui.fmt(v) for v in df["value"]]
    for col in ("variable", "rule", "chain rule"):
        if col in df:
            df[col] = [graph.pretty(str(v)) for v in df[col]]
    df.insert(0, "now", ["▶" if i == current else "" for i in range(len(df))])
    if rows is not None:
        df = df.iloc[rows[0]: rows[1]]

    def paint(row: pd.Series) -> list[str]:
        on = row.name == current
        return [f"background-color: {HL}; font-weight: 700" if on else "" for _ in row]

    return df.style.apply(paint, axis=1)


def table_latex(tt: TraceTable, current: int | None) -> str:
    """The trace as an aligned array; the current row in colour."""
    lines = []
    for i, r in enumerate(tt.rows):
        row = rf"{r.name_latex} &= {r.rule_latex} &= {_ui.fmt(r.value)}"
        if i == current:
            row = r"\color{#c2410c}{\blacktriangleright}\; " + row.replace("&=", r"&= \color{#c2410c}", 2)
        lines.append(row)
    return r"\begin{array}{rll}" + r"\\ ".join(lines) + r"\end{array}"


def show_table(tt: TraceTable, current: int | None, view: str, key: str) -> None:
    st.subheader(tt.title)
    if view == "Mathematics" and len(tt.rows) <= MAX_LATEX_ROWS:
        st.latex(table_latex(tt, current))
    else:
        if view == "Mathematics":
            st.caption(f"{len(tt.rows)} rows: too many to typeset; shown as a table.")
        rows = None if st.session_state.get("allrows") else window(len(tt.rows), current)
        if rows is not None and rows != (0, len(tt.rows)):
            st.caption(f"Rows {rows[0] + 1}–{rows[1]} of {len(tt.rows)}, around the current step "
                       "(all rows: the switch above the tables, or the CSV).")
        st.table(table_frame(tt, current, rows), hide_index=True)
    _ui.downloads([("CSV", tt.to_csv(), f"{key}.csv", "text/csv"),
                   ("LaTeX", tt.to_latex(), f"{key}.tex", "text/x-tex")], key=key)


def _move(delta: int, last: int) -> None:
    st.session_state["step"] = max(0, min(last, int(st.session_state.get("step", 0)) + delta))


def body(c: _ui.Ctx) -> None:
    wl = c.function.wengert
    names = list(c.variables)
    seed_options = [*names, "all ones"] if names else ["all ones"]
    seed_name = _ui.url_setting("seed", seed_options[0], str, lambda v: v in seed_options)
    if seed_name not in seed_options:
        st.session_state["seed"] = seed_name = seed_options[0]
    outs = wl.output_names()
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
                       format_func=lambda j: f"ȳ = e({outs[j]}): gradient of {outs[j]}",
                       help="Reverse mode computes one row of the Jacobian (the gradient of one output) per sweep.")
    else:
        col2.markdown("**Reverse sweep seed:** ȳ = 1 (one output)")
    col3.radio("Show the traces as", ["Tables", "Mathematics"], key="view", horizontal=True)

    seed = tuple(1.0 for _ in names) if seed_name == "all ones" else tuple(float(v == seed_name) for v in names)
    ybar = tuple(float(j == out_i) for j in range(len(outs)))
    d = trace_data(c.text, c.point, seed, ybar)
    w = d["walk"]
    if len(w) == 0:
        st.info("This function is a constant: it has no inputs and no steps, so there is nothing to walk "
                "through and every derivative is 0.", icon=":material/info:")
        show_table(d["primal"], None, view, "primal")
        return
    last = len(w) - 1
    _ui.url_setting("step", 0, int)
    if not 0 <= int(st.session_state["step"]) <= last:
        st.session_state["step"] = max(0, min(last, int(st.session_state["step"])))

    st.markdown("### Step through the sweeps")
    b1, sl, b2 = st.columns([1.8, 7.4, 1.8], vertical_alignment="bottom")  # "◀ Previous" whole at 1280 px
    b1.button("◀ Previous", on_click=_move, args=(-1, last), key="prev", width="stretch")
    b2.button("Next ▶", on_click=_move, args=(1, last), key="next", width="stretch")
    if last > 0:
        sl.slider(f"Step (0 … {last}): forward sweep first ({d['n'] + d['k']} steps), then the reverse sweep "
                  f"({len(w) - d['n'] - d['k']} adjoint updates)", 0, last, key="step")
    pos = int(st.session_state["step"])
    _ui._write_qp("step", pos)
    s = w.steps[pos]
    p, md = graph.pretty, _ui.md
    if s.phase == "forward":
        prow, trow = d["primal"].rows[s.row], d["tangent"].rows[s.row]
        now = (f"**Step {pos}/{last} — {md(s.caption)}** — value {md(p(prow.name))} = {md(_ui.fmt(prow.value))}, "
               f"tangent {md(p(trow.name))} = {md(p(trow.rule))} = {md(_ui.fmt(trow.value))}")
    else:
        arow = d["adjoint"].rows[s.row]
        now = (f"**Step {pos}/{last} — {md(s.caption)}** — {md(p(arow.name))} = {md(p(arow.rule))} "
               f"= {md(_ui.fmt(arow.value))}")
    st.info(now, icon=":material/arrow_forward:")

    g, wcol = st.columns([5, 2])
    with g:
        st.subheader("Computational graph")
        local = False
        if d["n"] + d["k"] > BIG:  # nodes drawn: inputs and steps; more than fit readably on a projector
            _ui.url_setting("whole", False, _ui.as_bool)
            st.toggle(f"Draw the whole graph ({d['n']} inputs, {d['k']} steps)", key="whole",
                      help="Off: only the current step and its neighbours, large enough to read on a projector.")
            local = not st.session_state["whole"]
        if d["k"] > MAX_GRAPH_STEPS and not local:
            st.caption(f"The list has {d['k']} steps; whole graphs of more than {MAX_GRAPH_STEPS} are not drawn.")
        else:
            dot = dot_at(c.text, c.point, seed, ybar, pos, local)
            st.graphviz_chart(dot, width="stretch")
            st.caption("Blue: inputs. Green: values known so far. Orange: the current step "
                       "(and, in the reverse sweep, the edge its adjoint flows along). Dashed: no derivative needed.")
            _ui.downloads([("Graph (DOT)", dot, "graph.dot", "text/vnd.graphviz")], key="graph")
    with wcol:
        st.subheader("Wengert list")
        box = st.container(height=420, border=False) if d["n"] + d["k"] > BIG else st.container()
        with box:
            if d["k"] <= MAX_LATEX_ROWS:
                st.latex(d["wengert_latex"])
            else:
                st.code(graph.pretty(d["wengert"]), language=None)
        st.subheader("Results")
        ys = d["outputs"]
        lines = [f"**{md(y)}** = {md(_ui.fmt(v))}" for y, v in zip(ys, d["value"], strict=True)]
        jv = ", ".join(md(_ui.fmt(v)) for v in d["jvp"])
        dots = ", ".join(md(f"{y[0]}\u0307{y[1:]}") for y in ys)
        lines.append(f"**Forward, one pass** (along the seed): {dots} = {jv}")
        yb = ys[out_i] if len(ys) > 1 else ys[0]
        pairs = list(zip(d["inputs"], d["gradient"], strict=True))
        gr = ", ".join(f"∂{md(yb)}/∂{md(x)} = {md(_ui.fmt(v))}" for x, v in pairs[:4])
        more = f" … ({len(pairs) - 4} more in the adjoint table's last rows)" if len(pairs) > 4 else ""
        lines.append(f"**Reverse, one sweep:** {gr}{more}")
        st.markdown("\n\n".join(lines))

    fwd_row = s.row if s.phase == "forward" else None
    rev_row = s.row if s.phase == "reverse" else None
    if len(d["primal"].rows) > WINDOW or len(d["adjoint"].rows) > WINDOW:
        _ui.url_setting("allrows", False, _ui.as_bool)
        st.toggle("Show every row of the tables", key="allrows")
    st.markdown("### Forward mode: primal and tangent traces (the survey's Table 2)")
    a, b = st.columns(2)
    with a:
        show_table(d["primal"], fwd_row, view, "primal")
    with b:
        show_table(d["tangent"], fwd_row, view, "tangent")
    st.markdown("### Reverse mode: the adjoint trace (the survey's Table 3, read top-down)")
    show_table(d["adjoint"], rev_row, view, "adjoint")
    st.caption("Each adjoint update adds v̄ₖ · ∂vₖ/∂vⱼ to v̄ⱼ: a variable used twice is updated twice. "
               "The last rows read the gradient off the input adjoints.")
    _generated_code(c)


@st.cache_data(max_entries=32, show_spinner=False)
def generated_sources(text: str) -> dict[str, str] | None:
    """The straight-line Python that diffzoo.compile writes for this list (None if it is not available)."""
    try:
        from diffzoo.compile import generate
    except ImportError:
        return None
    g = generate(dz.parse(text).wengert)
    return {"primal": g.primal_src, "forward (JVP)": g.jvp_src, "reverse (VJP)": g.vjp_src}


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
            st.code(code, language="python", line_numbers=True,
                    height=min(640, 28 * (code.count("\n") + 2)))
    _ui.downloads([(f"{name} (.py)", code, f"{name.split()[0]}.py", "text/x-python") for name, code in src.items()],
                  key="gen")

_ui.run_page("Traces: forward and reverse mode", INTRO, body)

"""Higher order page: Hessians by every method, second differences, forward over reverse, perturbation confusion,
Taylor polynomials, swell and cost against k, and Newton's method against gradient descent.

What it shows is ``diffzoo.higherview.higher_view``: this page reads the settings, draws the controls and the
view's seven parts, each of which, if it cannot be drawn here, says why in a sentence while the others still show.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

import diffzoo as dz
from diffzoo import higherview as hv
from diffzoo.graph import pretty
from pages import _cache, _frame, _render, _sidebar, _url
from pages._render import md

HL = "#fde2c8"
INTRO = (
    "Second derivatives are where the four ways of differentiating part most. **Symbolic** derivatives swell "
    "again with every order; **finite differences** lose half their digits (the best step moves from about "
    "ε^(1/3) to ε^(1/4)); **forward over reverse** (Pearlmutter) gives a Hessian-vector product H·v for a "
    "small multiple of the gradient's cost; and **nested dual numbers** can give a wrong answer without any "
    "warning (perturbation confusion) unless each derivative tags its own ε. **Taylor mode** carries truncated "
    "power series through the Wengert list instead of nesting duals. The function and point are the sidebar's; "
    "a function of several outputs is taken one output at a time."
)
CASE_NAMES = [*hv.CASES, hv.OWN]


def _move(delta: int, last: int) -> None:
    st.session_state["h_step"] = max(0, min(last, int(st.session_state.get("h_step", 0)) + delta))


def _table(df: pd.DataFrame, current: int | None = None) -> None:
    """A table, with the row labelled ``current`` highlighted."""
    if current is None:
        st.table(df, hide_index=True)
        return

    def paint(row: pd.Series) -> list[str]:
        return [f"background-color: {HL}; font-weight: 700" if row.name == current else "" for _ in row]

    st.table(df.style.apply(paint, axis=1), hide_index=True)  # type: ignore[arg-type]


def body(c: _sidebar.Ctx) -> None:
    names, outs = list(c.variables), c.outputs
    n = len(names)
    ss = st.session_state
    _url.setting("h_out", 0, int, lambda v: 0 <= v < len(outs))
    if not 0 <= int(ss["h_out"]) < len(outs):
        ss["h_out"] = 0
    entries = [(i, j) for i in range(n) for j in range(i, n)] or [(0, 0)]
    entry_keys = [f"{i},{j}" for i, j in entries]
    _url.setting("h_entry", entry_keys[0], str, lambda v: v in entry_keys)
    if ss["h_entry"] not in entry_keys:
        ss["h_entry"] = entry_keys[0]
    for key in ("h_seed", "h_along"):
        _url.setting(key, 0, int, lambda v: 0 <= v < max(n, 1))
        if not 0 <= int(ss[key]) < max(n, 1):
            ss[key] = 0
    _url.setting("h_case", CASE_NAMES[0], str, lambda v: v in CASE_NAMES)
    _url.setting("h_own", c.text if hv.has_d(c.text) else "D(x * D(x * y, y), x)", str, lambda v: len(v) <= 500)
    _url.setting("h_order", 4, int, lambda v: v in hv.ORDERS)
    _url.setting("h_radius", 1.0, _url.finite_float, lambda v: v in hv.RADII)
    newton_choices = [hv.ROSENBROCK, hv.SIDEBAR] if n == 2 and len(outs) == 1 else [hv.ROSENBROCK]
    _url.setting("h_newton", hv.ROSENBROCK, str, lambda v: v in (hv.ROSENBROCK, hv.SIDEBAR))
    if ss["h_newton"] not in newton_choices:
        ss["h_newton"] = hv.ROSENBROCK
    position = _url.setting("h_step", 0, int, noted=False)

    shown_outs = _shown_outputs(c)
    if len(outs) > 1:
        st.selectbox("Output whose second derivatives are shown (a Hessian belongs to one output)",
                     list(range(len(outs))), key="h_out", format_func=lambda j: shown_outs[j])
    out = int(ss["h_out"]) if len(outs) > 1 else 0
    # The controls drawn further down are read from the session (or the address on a fresh page).
    entry = tuple(int(a) for a in str(ss["h_entry"]).split(","))
    own_point = {}
    if ss["h_case"] == hv.OWN:
        own_point = _own_point(c)
    v = hv.higher_view(c.text, c.point, output=out, entry=entry, seed=int(ss["h_seed"]), position=int(position),
                       case=ss["h_case"], own=str(ss["h_own"]), own_point=own_point, along=int(ss["h_along"]),
                       order=int(ss["h_order"]), radius=float(ss["h_radius"]),
                       newton_on=hv.ROSENBROCK if ss["h_newton"] == hv.ROSENBROCK else c.text, cache=_cache.call)

    st.markdown("### 1. The Hessian by every method")
    _frame.show(v.hessians, hessian_part)

    st.markdown("### 2. Second differences beside first differences")
    if n > 1:
        st.selectbox("Hessian entry", entry_keys, key="h_entry",
                     format_func=lambda k: _entry_name(names, k), help="The plot's right panel estimates this entry.")
    _frame.show(v.steps, steps_part)

    st.markdown("### 3. Forward over reverse, step by step")
    _frame.show(v.trace, lambda w: trace_part(w, names))

    st.markdown("### 4. Perturbation confusion")
    confusion_controls(c)
    if isinstance(v.confusion.error, dz.ParseError):  # the user's own expression: its caret, the text kept
        _render.parse_error(v.confusion.error, "This D-expression cannot be read:")
    else:
        _frame.show(v.confusion, confusion_part)

    st.markdown("### 5. Taylor polynomials")
    t1, t2, t3 = st.columns([2, 3, 3])
    if n:
        t1.selectbox("Along the input", list(range(n)), key="h_along", format_func=lambda i: names[i],
                     help="The polynomials are in t, moving this input alone: f(x + t e_i).")
    t2.select_slider("Highest order k", list(hv.ORDERS), key="h_order")
    t3.select_slider("Window: t from −r to r", list(hv.RADII), key="h_radius", format_func=lambda r: f"r = {r:g}")
    _frame.show(v.taylor, taylor_part)

    st.markdown("### 6. Swell and cost against the order k")
    _frame.show(v.swell, swell_part)

    st.markdown("### 7. Newton's method against gradient descent")
    if len(newton_choices) > 1:
        st.radio("Function", newton_choices, key="h_newton", horizontal=True,
                 format_func=lambda s: "Rosenbrock's, from (−1.2, 1)" if s == hv.ROSENBROCK
                 else "the sidebar's, from its point")
    else:
        st.caption("Rosenbrock's function (1 − x)² + 100(y − x²)² from (−1.2, 1). A scalar function of two "
                   "variables in the sidebar can be chosen here instead.")
    _frame.show(v.descent, descent_part)

    if v.downloads:
        st.markdown("#### Downloads")
        for k in range(0, len(v.downloads), 2):  # two a row: whole labels at 1024 px
            _render.downloads(v.downloads[k:k + 2], key="higher")


def _shown_outputs(c: _sidebar.Ctx) -> list[str]:
    from diffzoo.graph import pretty_names

    return [pretty_names(y, c.outputs) for y in c.outputs]


def _entry_name(names: list[str], key: str) -> str:
    i, j = (int(a) for a in key.split(","))
    return f"∂²f/∂{names[i]}²" if i == j else f"∂²f/∂{names[i]}∂{names[j]}"


def _own_point(c: _sidebar.Ctx) -> dict[str, float]:
    """The point of the user's own D-expression: the sidebar's values for its variables, else 1."""
    try:
        f = dz.parse(str(st.session_state["h_own"]))
    except dz.ParseError:
        return {}
    known = c.point_dict
    return {v: float(known.get(v, 1.0)) for v in f.variables}


def hessian_part(h: hv.HessianTable) -> None:
    if h.entries_shown:
        st.markdown(f"**Entries of ∇²{md(h.output)}** on and above the diagonal (the Hessian is symmetric)")
        st.table(h.entries, hide_index=True)
    else:
        st.caption(f"A Hessian of {len(h.inputs)} inputs: every method's entries are in the CSV below.")
    st.markdown("**Error and cost**")
    st.table(h.costs, hide_index=True)
    st.caption("max rel. error: the largest error of any entry, relative to the largest entry of the Hessian from "
               "50-digit arithmetic. passes: tangent passes, adjoint sweeps or nested-dual passes over a list; "
               "f evals: walks of f or of a program derived from it; rules applied: partial-derivative rules; "
               "time: the median of three interleaved runs.")
    if len(h.inputs) <= 6:
        st.latex(r"\nabla^2 f \text{ (50-digit reference)} = " + h.matrix_latex(h.reference))
    for m, note in h.notes.items():
        st.info(f"**{md(m)}**: no Hessian here. {md(pretty(note))}", icon=":material/info:")
    carried: dict[str, list[str]] = {}  # each sentence once, with the methods that carry it
    for m, ws in h.warnings.items():
        for w in ws:
            carried.setdefault(w, []).append(m)
    for w, ms in carried.items():
        who = "every method" if len(ms) == len(h.warnings) > 1 else ", ".join(ms)
        st.warning(f"**{md(who)}**: {md(w)}", icon=":material/warning:")
    if not carried:
        st.caption("No method carries a warning here (no kink at the point, no digits lost to cancellation).")


def steps_part(s: hv.StepFigure) -> None:
    _render.figure_block(s.png, s.svg, "second-differences",
                         "Left: the first derivative by central differences; right: a Hessian entry by second "
                         "differences, on the same error axis. Dotted: the error model (truncation h² against "
                         "rounding ε/h, then ε/h²). Stars: the model's best step. Dashed: the least error "
                         "measured, the floor. Grey: ε^(1/3) and ε^(1/4).")
    st.markdown(md(s.sentence()) + " Dividing by h² instead of h moves the best step up and the floor with it: "
                "about half the digits are left.")


def trace_part(w: hv.HVPWalk, names: list[str]) -> None:
    st.caption("The gradient program (f's sweep, then the reverse sweep with ȳ = 1) run once more in forward "
               "mode: every value carries a tangent along e_i, so the gradient's tangents at the end are column "
               "i of the Hessian, H e_i. One such pass per input gives all of H.")
    c1, c2 = st.columns([2, 5])
    c1.selectbox("Seed e_i: the input i", list(range(len(names))), key="h_seed", format_func=lambda i: names[i])
    c2.markdown(f"**Rows:** f's sweep ({w.n_forward}), then the reverse sweep ({w.n_reverse}), then the outputs: "
                "f, ∇f and their tangents, column i of H.")
    b1, sl, b2 = st.columns([3, 5, 3], vertical_alignment="bottom")  # "◀ Previous" whole at 1024 px and 125 %
    b1.button("◀ Previous", on_click=_move, args=(-1, w.last), key="h_prev", width="stretch")
    b2.button("Next ▶", on_click=_move, args=(1, w.last), key="h_next", width="stretch")
    if int(st.session_state.get("h_step", 0)) != w.position:
        st.session_state["h_step"] = w.position
    _url.note("h_step", w.position)
    sl.slider(f"Row (0 … {w.last})", 0, w.last, key="h_step")
    st.info(f"**{md(w.caption)}** — {md(w.now)}", icon=":material/arrow_forward:")
    lo, hi, total = w.rows
    if (lo, hi) != (0, total):
        st.caption(f"Rows {lo + 1}–{hi} of {total}, around the current row.")
    _table(w.table, w.position)
    col = ", ".join(f"{x:.12g}" for x in w.column)
    st.caption(md(f"H e({w.seed}) = ({col})"))


def confusion_controls(c: _sidebar.Ctx) -> None:
    st.caption("D(expr, y) in the language is the derivative of expr by y. Evaluated by forward mode, each D "
               "perturbs its variable by an infinitesimal ε. Nested, two perturbations meet: with one ε for both "
               "(untagged duals) the inner D also reads the outer one's perturbation; with a tag per D "
               "(ForwardDiff.jl's fix) each reads only its own.")
    st.radio("Case", CASE_NAMES, key="h_case", horizontal=True)
    if st.session_state["h_case"] == hv.OWN:
        st.text_input("Your D-expression (its variables take the sidebar's values where they share a name, else 1)",
                      key="h_own", max_chars=500)


def confusion_part(cf: hv.Confusion) -> None:
    at = ", ".join(f"{k} = {v:g}" for k, v in cf.point.items())
    m1, m2, m3 = st.columns(3)
    m1.metric("untagged (one ε)", f"{cf.untagged.value:g}", help="Naive nested dual numbers: one ε for every D.")
    m2.metric("tagged (ε₁, ε₂, …)", f"{cf.tagged.value:g}", help="Each D perturbs by its own ε and reads only it.")
    if cf.expected is not None:
        right, naive = cf.expected
        m3.metric("right answer", f"{right:g}", help=f"By hand; a naive nesting gives {naive:g}.")
    st.markdown(md(f"{cf.expression} at {at}: ")
                + ("**they differ: the untagged answer is wrong.**" if cf.untagged.value != cf.tagged.value
                   else "they agree here (no two perturbations meet in a way that matters)."))
    if cf.mixed is not None:
        st.caption(f"Highlighted: row {cf.mixed + 1}, where the two perturbations first meet in one value. Tagged, "
                   "they stay apart (ε₁ and ε₂); untagged, they add up into one ε, and the inner D reads both.")
    _table(cf.frame(), cf.mixed)


def taylor_part(t: hv.TaylorPart) -> None:
    _render.warnings_block(t.warnings)
    _render.figure_block(t.png, t.svg, "taylor", "Above: f (black) and its Taylor polynomials of orders 1…k, from one "
                         "Taylor-mode sweep (Griewank and Walther, ch. 13; JAX's jet). Below: how far each is from f.")
    st.markdown(f"**Coefficients, and where each polynomial parts from f**: the nearest t at which |pₖ − f| exceeds "
                f"10⁻³ · {t.scale:g} (10⁻³ · max(|f(x)|, 1)); “beyond” when it stays within the window.")
    st.table(t.table, hide_index=True)


def swell_part(s: hv.SwellPart) -> None:
    _render.figure_block(s.png, s.svg, "higher-cost",
                         "Left: the k-th derivative along the chosen input written out as a tree against the same "
                         "expression with equal parts shared. Right: operations for all derivatives up to order k "
                         "by Taylor mode (truncated series) against nested dual numbers (2ᵏ parts each).")
    st.table(s.table, hide_index=True)
    agree = "" if s.agree != s.agree else f" Their derivatives agree to {s.agree:.1e} (relative) at every k."
    st.caption("tree, shared: operations of the k-th symbolic derivative (left out, —, for lists of more than "
               f"{hv.MAX_SWELL_STEPS} steps). Taylor, duals: operations and median time of Taylor mode and of "
               "nested dual numbers, along the input chosen for the Taylor polynomials." + agree)


def descent_part(d: hv.Descent) -> None:
    st.markdown(md(d.sentence()))
    _render.figure_block(d.png, d.svg, "newton", "Both methods take the same backtracking line search; "
                         "Newton's direction is −H⁻¹∇f, each H by forward over reverse.")
    st.markdown("**Newton's iterates**")
    df = d.newton.copy()
    for col in ("x", "y"):
        df[col] = [f"{v:.8g}" for v in df[col]]
    for col in ("f", "|∇f|"):
        df[col] = [f"{v:.3e}" for v in df[col]]
    df["t"] = ["" if pd.isna(v) else f"{v:g}" for v in df["t"]]
    df = df.rename(columns={"t": "line-search t"})
    st.dataframe(df, hide_index=True, height=min(420, 36 * (len(df) + 1) + 4), width="stretch")


_frame.run_page("Higher order: Hessians, nested derivatives, Taylor mode", INTRO, body)

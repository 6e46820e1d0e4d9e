"""Symbolic page: the derivative as mathematics (raw, simplified, shared) and expression swell.

What it shows is ``diffzoo.views.symbolic_view``. Long formulas come broken into lines a column can hold;
a piece that cannot be broken scrolls sideways inside its formula box. Simplification runs in a worker
(``guard``), whose forkserver the page warms up as it loads; it is drawn last, as it may take up to its time
limit, and a simplification that ran out of time is never cached.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from diffzoo import fmt, guard, swell, views
from diffzoo.families import FAMILIES
from pages import _cache, _frame, _render, _sidebar, _url
from pages._render import md

INTRO = (
    "**Symbolic differentiation** applies the chain rule to the expression itself and returns a new "
    "expression. Written out as a tree the derivative can be far larger than the function "
    "(**expression swell**); with equal subexpressions computed once (a shared graph, i.e. a Wengert list) "
    "it stays small — which is what automatic differentiation exploits. Below: the raw derivative, "
    "sympy's simplification (in a worker process with a time limit), the shared graph, and swell "
    "against depth for families of functions."
)


def box(scroll: bool) -> Any:
    return st.container(height=440, border=True) if scroll else st.container()


def formulas(fs: tuple[views.Formula, ...], scroll: bool, ops: tuple[int, ...] = ()) -> bool:
    """The formulas, in a scrolling box when there are many; whether one is too wide to break (it scrolls)."""
    with box(scroll):
        for k, f in enumerate(fs):
            st.latex(f.latex)
            if ops:
                st.caption(f"{ops[k]} operations after simplification")
    return any(f.too_wide for f in fs)


def body(c: _sidebar.Ctx) -> None:
    guard.warm_up()  # sympy's worker starts loading now, in the background, and stays while the page is used
    fams = list(FAMILIES)
    family = _url.setting("family", fams[0], str, lambda v: v in fams, noted=False)
    top = max(swell.MAX_N.values())
    n_max = _url.setting("nmax", 12, int, lambda v: 2 <= v <= top, noted=False)
    timeout = _url.setting("timeout", 2.0, _url.finite_float, lambda v: 0.5 <= v <= 10, noted=False)
    v = views.symbolic_view(c.text, c.point, family, int(n_max), float(timeout), cache=_cache.call)

    st.markdown("**f at the point:** " + ", ".join(fmt.short(x, views.DIGITS, missing="—") for x in v.value))
    st.markdown("### The derivative, raw (straight from the chain rule)")
    m1, m2, m3 = st.columns(3)
    m1.metric("f: Wengert list length", v.f_steps)
    m2.metric("derivative as trees", f"{v.tree_ops:,} ops", help="Every partial derivative written out as a tree: "
              "a subexpression used twice is counted twice.")
    m3.metric("derivative with sharing", f"{v.shared_ops:,} ops")
    if v.many:
        st.caption(f"{len(v.labels)} partial derivatives: scroll inside the boxes to see them all.")
    _render.warnings_block(v.warnings)
    if v.missing:
        st.warning(md("The derivative below has no value at this point; diffzoo says: " + v.missing),
                   icon=":material/warning:")
    if formulas(v.raw, v.many):  # many partials scroll in a box, so the rest of the page stays near the top
        st.caption("Some pieces of this derivative are too wide to break: scroll sideways inside the formula.")
    st.markdown("**Sizes per partial derivative** (tree: every shared part counted each time it appears)")
    with box(v.many):
        st.table(v.sizes, hide_index=True)
    _render.downloads(v.downloads, key="deriv")

    # The simplified derivative gets the full width (a fraction cannot be broken into lines), but it is
    # drawn last: simplification may take up to its time limit, and the rest of the page is shown first.
    simplified_box = st.container()
    st.markdown("### The derivative as a shared graph")
    g, notes = st.columns([2, 1])
    if v.dot is None:
        g.caption(f"The shared derivative has {v.shared_steps} steps; graphs of more than "
                  f"{views.MAX_DERIVATIVE_GRAPH} are not drawn.")
    else:
        g.graphviz_chart(v.dot, width="stretch")
        notes.caption(f"{v.shared_steps} steps once equal subexpressions are shared; "
                      "each ellipse is one partial derivative.")
        with notes:
            _render.downloads([("Graph (DOT)", v.dot, "derivative.dot", "text/vnd.graphviz")], key="dgraph")

    st.markdown("### Expression swell against depth")
    _url.note("family", family)
    a, b = st.columns([1, 2])
    a.selectbox("Family", fams, key="family",
                help="logistic map: l₁ = x, lₙ₊₁ = 4 lₙ (1 − lₙ); nested sin: sin(sin(…x…)); product x1·x2·…·xn")
    _url.note("nmax", n_max)
    b.slider("Largest n", 2, top, key="nmax",
             help=f"The logistic map stops at n = {swell.MAX_N['logistic map l_n']}: its tree doubles with each level.")
    _frame.show(v.swell, draw_swell)

    # Simplification runs last (it may take up to its time limit); everything above is already on the page.
    with simplified_box:
        st.markdown("### Simplified by sympy")
        _url.note("timeout", timeout)
        st.columns(2)[0].slider("Time limit for simplification (seconds)", 0.5, 10.0, step=0.5, key="timeout",
                                help="sympy's own working time, counted from when its worker has started.")
        with st.spinner("Simplifying with sympy…"):
            s = v.simplification()
        _frame.show(s, lambda s: draw_simplified(s, float(timeout)))


def draw_swell(df: Any) -> None:
    p, _ = st.columns([3, 1])
    with p:
        _render.plot("swell", df, name="swell",
                     caption="Operations against n (log scale): the tree grows, the shared graph does not.")
    # Under the plot, at full width: five columns of numbers beside it were cut off at 1024 pixels.
    st.table(df.drop(columns=["family"]), hide_index=True)
    _render.downloads([("Table (CSV)", df.to_csv(index=False), "swell.csv", "text/csv")], key="swell")


def draw_simplified(s: views.Simplification, timeout: float) -> None:
    if s.status == "ok":
        if formulas(s.formulas, len(s.formulas) > views.MANY, s.ops):
            st.caption("Scroll sideways inside a formula to see all of it.")
    elif s.status == "timeout":
        st.warning(f"Simplification cut short: sympy did not finish within {fmt.short(timeout)} s of work "
                   f"({md(s.message)}). The raw derivative above is still exact; a longer time "
                   "limit may finish it.", icon=":material/timer:")
    else:
        st.warning(f"Not simplified: {md(s.message)}", icon=":material/info:")


_frame.run_page("Symbolic differentiation & swell", INTRO, body)

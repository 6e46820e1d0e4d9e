"""Symbolic page: the derivative as mathematics (raw, simplified, shared) and expression swell.

Long formulas are broken into lines a column can hold (``linebreak.latex_lines``); a piece that cannot be
broken scrolls sideways inside its formula box. Simplification runs in a worker (``guard``), whose
forkserver the page warms up as it loads; a simplification that ran out of time is never cached.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import diffzoo as dz
from diffzoo import fmt, graph, guard, linebreak, swell, symbolic
from diffzoo.families import FAMILIES
from diffzoo.wengert import WengertList
from pages import _ui

INTRO = (
    "**Symbolic differentiation** applies the chain rule to the expression itself and returns a new "
    "expression. Written out as a tree the derivative can be far larger than the function "
    "(**expression swell**); with equal subexpressions computed once (a shared graph, i.e. a Wengert list) "
    "it stays small — which is what automatic differentiation exploits. Below: the raw derivative, "
    "sympy's simplification (in a worker process with a time limit), the shared graph, and swell "
    "against depth for families of functions."
)
MAX_GRAPH = 150
MANY = 8  # more partial derivatives than this are shown in scrolling boxes
RAW_WIDTH = 34  # characters of formula per line in the full-width column (about 530 pixels at 1024)


def box(scroll: bool) -> Any:
    return st.container(height=440, border=True) if scroll else st.container()


@st.cache_data(max_entries=64, show_spinner=False)
def derivative_data(text: str, point: tuple[float, ...]) -> dict[str, Any]:
    f = dz.parse(text)
    try:
        r = dz.differentiate(f, point, "symbolic")
        exprs, J, warnings, missing = r.details["expressions"], r.jacobian, list(r.warnings), ""
        sizes = r.trace.sizes()
    except dz.EvaluationError as exc:
        # The derivative exists as an expression even where it has no value (sqrt(x) at 0): show it, and say why
        # its value is missing, rather than leaving the page.
        exprs = symbolic.jacobian_exprs(f.outputs, f.variables)
        J = np.full((f.m, f.n), np.nan)
        warnings, missing = [], str(exc)
        sizes = dz.api.SymbolicTrace(f, exprs, J).sizes()
    flat = [e for row in exprs for e in row]
    names = f.wengert.output_names()
    labels = [f"∂{y}/∂{x}" for y in names for x in f.variables]
    latex_labels = [rf"\frac{{\partial {dz.expr.latex_name(y)}}}{{\partial {dz.expr.latex_name(x)}}}"
                    for y in names for x in f.variables]
    raw = [symbolic.show(e, latex=True, limit=400) for e in flat]
    sizes.insert(len(sizes.columns), "value at the point",
                 [_ui.fmt(v) if np.isfinite(v) else "no value here" for v in J.ravel()])
    dl = WengertList.from_exprs(flat, f.variables) if flat else None
    dot = None
    if dl is not None and len(dl.steps) <= MAX_GRAPH:
        dot = graph.to_dot(dl, output_labels=labels, rankdir="TB" if len(dl.steps) > 30 else "LR")
    return {"labels": labels, "latex_labels": latex_labels, "raw": raw, "sizes": sizes,
            "shared": swell.expression_sizes(flat), "shared_steps": len(dl.steps) if dl else 0, "dot": dot,
            "values": [float(v) for v in J.ravel()], "f_steps": len(f.wengert.steps),
            "text": [symbolic.show(e) for e in flat], "value": f.wengert(*point), "warnings": warnings,
            "missing": missing}


class Unfinished(Exception):
    """A simplification that ran out of time or memory: raised, so that ``st.cache_data`` never keeps it."""

    def __init__(self, outcome: symbolic.Simplified) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


@st.cache_data(max_entries=32, show_spinner=False)
def simplified(text: str, timeout: float) -> dict[str, Any]:
    """sympy's simplification, cached only when it finished: a timeout may not recur on a quieter server."""
    f = dz.parse(text)
    exprs = [e for row in symbolic.jacobian_exprs(f.outputs, f.variables) for e in row]
    s = symbolic.simplify(exprs, timeout=timeout)
    if s.status in ("timeout", "memory"):
        raise Unfinished(s)
    return {"status": s.status, "latex": list(s.latex), "text": list(s.text), "ops": list(s.ops),
            "message": s.message}


def formula(lhs: str, rhs: str, width: float) -> bool:
    """``lhs = rhs`` broken into lines of about ``width`` characters; whether a line is still wider."""
    tex, too_wide = linebreak.latex_lines(lhs, rhs, width)
    st.latex(tex)
    return too_wide


@st.cache_data(max_entries=16, show_spinner=False)
def swell_data(family: str, n_max: int) -> pd.DataFrame:
    return swell.swell_table(family, range(1, n_max + 1))


def body(c: _ui.Ctx) -> None:
    guard.warm_up()  # sympy's worker starts loading now, in the background, and stays while the page is used
    d = derivative_data(c.text, c.point)
    vals = d["value"] if isinstance(d["value"], list) else [d["value"]]
    st.markdown("**f at the point:** " + ", ".join(_ui.fmt(v) for v in vals))
    st.markdown("### The derivative, raw (straight from the chain rule)")
    m1, m2, m3 = st.columns(3)
    tree_total = int(d["sizes"]["tree operations"].sum()) if len(d["sizes"]) else 0
    m1.metric("f: Wengert list length", d["f_steps"])
    m2.metric("derivative written out as trees", f"{tree_total:,} ops")
    m3.metric("derivative with sharing", f"{d['shared']['shared']:,} ops")
    many = len(d["labels"]) > MANY
    if many:
        st.caption(f"{len(d['labels'])} partial derivatives: scroll inside the boxes to see them all.")
    _ui.warnings_block(d["warnings"])
    if d["missing"]:
        st.warning(_ui.md("The derivative below has no value at this point; diffzoo says: " + d["missing"]),
                   icon=":material/warning:")
    wide = False
    with box(many):  # many partials scroll in a box, so the rest of the page stays near the top
        for lab, raw, v in zip(d["latex_labels"], d["raw"], d["values"], strict=True):
            shown = rf"{raw} \;=\; {_ui.fmt(v)}" if np.isfinite(v) else raw
            wide |= formula(lab, shown, RAW_WIDTH)
    if wide:
        st.caption("Some pieces of this derivative are too wide to break: scroll sideways inside the formula.")
    st.markdown("**Sizes per partial derivative** (tree: every shared part counted each time it appears)")
    with box(many):
        st.table(d["sizes"], hide_index=True)
    _ui.downloads([("Derivatives (text)", "\n".join(f"{a} = {b}" for a, b in zip(d["labels"], d["text"],
                                                                                      strict=True)),
                    "derivatives.txt", "text/plain"),
                   ("Derivatives (LaTeX)", fmt.document("\n".join(rf"\[ {a} = {b} \]" for a, b in
                                                                   zip(d["latex_labels"], d["raw"], strict=True))),
                    "derivatives.tex", "text/x-tex"),
                   ("Sizes (CSV)", d["sizes"].to_csv(index=False), "sizes.csv", "text/csv")], key="deriv")

    # The simplified derivative gets the full width (a fraction cannot be broken into lines), but it is
    # drawn last: simplification may take up to its time limit, and the rest of the page is shown first.
    simplified_box = st.container()
    st.markdown("### The derivative as a shared graph")
    g, notes = st.columns([2, 1])
    if d["dot"] is None:
        g.caption(f"The shared derivative has {d['shared_steps']} steps; graphs of more than {MAX_GRAPH} "
                  "are not drawn.")
    else:
        g.graphviz_chart(d["dot"], width="stretch")
        notes.caption(f"{d['shared_steps']} steps once equal subexpressions are shared; "
                      "each ellipse is one partial derivative.")
        with notes:
            _ui.downloads([("Graph (DOT)", d["dot"], "derivative.dot", "text/vnd.graphviz")], key="dgraph")

    st.markdown("### Expression swell against depth")
    fams = list(FAMILIES)
    fam = _ui.url_setting("family", fams[0], str, lambda v: v in fams)
    a, b = st.columns([1, 2])
    a.selectbox("Family", fams, key="family",
                help="logistic map: l₁ = x, lₙ₊₁ = 4 lₙ (1 − lₙ); nested sin: sin(sin(…x…)); product x1·x2·…·xn")
    top = max(swell.MAX_N.values())
    _ui.url_setting("nmax", 12, int, lambda v: 2 <= v <= top)
    b.slider("Largest n", 2, top, key="nmax",
             help=f"The logistic map stops at n = {swell.MAX_N['logistic map l_n']}: its tree doubles with each level.")
    df = swell_data(fam, min(int(st.session_state["nmax"]), swell.MAX_N[fam]))
    p, _ = st.columns([3, 1])
    with p:
        _ui.plot("swell", df, name="swell",
                 caption="Operations against n (log scale): the tree grows, the shared graph does not.")
    # Under the plot, at full width: five columns of numbers beside it were cut off at 1024 pixels.
    st.table(df.drop(columns=["family"]), hide_index=True)
    _ui.downloads([("Table (CSV)", df.to_csv(index=False), "swell.csv", "text/csv")], key="swell")

    # Simplification runs last (it may take up to its time limit); everything above is already on the page.
    with simplified_box:
        st.markdown("### Simplified by sympy")
        timeout = _ui.url_setting("timeout", 2.0, _ui.finite_float, lambda v: 0.5 <= v <= 10)
        st.columns(2)[0].slider("Time limit for simplification (seconds)", 0.5, 10.0, step=0.5, key="timeout",
                  help="sympy's own working time, counted from when its worker has started.")
        with st.spinner("Simplifying with sympy…"):
            try:
                s = simplified(c.text, float(timeout))
            except Unfinished as exc:
                s = {"status": exc.outcome.status, "message": exc.outcome.message}
        if s["status"] == "ok":
            wide = False
            with box(len(s["latex"]) > MANY):
                for lab, lx, ops in zip(d["latex_labels"], s["latex"], s["ops"], strict=True):
                    wide |= formula(lab, lx, RAW_WIDTH)
                    st.caption(f"{ops} operations after simplification")
            if wide:
                st.caption("Scroll sideways inside a formula to see all of it.")
        elif s["status"] == "timeout":
            st.warning(f"Simplification cut short: sympy did not finish within {timeout:g} s of work "
                       f"({_ui.md(s['message'])}). The raw derivative above is still exact; a longer time "
                       "limit may finish it.", icon=":material/timer:")
        else:
            st.warning(f"Not simplified: {_ui.md(s['message'])}", icon=":material/info:")


_ui.run_page("Symbolic differentiation & swell", INTRO, body)

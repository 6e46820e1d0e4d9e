"""Numeric page: the error of every finite-difference scheme against the step, on log-log axes.

What it shows is ``diffzoo.views.numeric_view``: this page reads the settings, draws the controls and the
view's parts (the plot, the default-step table, the estimates at the slider's step, the best-step table),
each of which, if it cannot be drawn here, says why in a sentence while the others still show.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from diffzoo import fmt, views
from diffzoo.graph import pretty, pretty_names
from pages import _cache, _frame, _render, _sidebar, _url
from pages._render import md

INTRO = (
    "**Numeric differentiation** estimates a derivative from function values at nearby points, "
    "e.g. (f(x+h) − f(x−h)) / 2h. A large step h makes the formula wrong (**truncation error**, falling "
    "like h, h² or h⁴); a small one makes f(x+h) − f(x) cancel in floating point (**rounding error**, "
    "growing like 1/h). The plot shows both against the exact value from automatic differentiation, with "
    "the theoretical model as dotted lines and each scheme's best step as a star. The complex step "
    "Im f(x+ih)/h has no subtraction, so no cancellation. Without a step given, forward, backward and "
    "central differences **choose their own step** for the function (diamonds): a pilot difference "
    "estimates the curvature, the rounding noise of f is carried along the Wengert list, and the step "
    "balances the two."
)
BEST_CAPTION = (
    "**How the star is placed.** The measured errors are fitted in log space by a V: a truncation branch "
    "∝ hᵖ (p = 1 forward and backward, 2 central and complex, 4 Richardson) and a rounding branch ∝ 1/h, "
    "by least absolute deviations, so a few lucky or wild points do not move it; errors of exactly 0 "
    "(lucky cancellations) and errors above half the derivative are left out. The star sits at the bottom "
    "of the fitted V, at the typical error read off the fit; the complex step has no rounding branch, so its "
    "star marks the corner where truncation meets the rounding floor (any smaller step is as good). The "
    "error measured at exactly that step is beside it, and the model's best step (from the exact "
    "derivatives) for comparison.")
PLOT_CAPTION = (
    "Each scheme has its own colour, dash pattern and markers (curves that coincide stay visible); float32 and "
    "float64 side by side in “both”. Dotted: the error model. Stars: each scheme's best step, the bottom of a V "
    "fitted to its errors (see under the best-step table). Diamonds: the step each scheme chooses by default. "
    "Ticks at the bottom: an error of exactly 0.")


def default_step_table(d: views.DefaultSteps, wrt: str) -> None:
    """How each scheme chose its default step here, what it achieved, and the warnings of its Result."""
    st.table(d.table, hide_index=True)
    st.caption(f"Along {md(wrt)}: a pilot difference with a step H a few times the h it predicts estimates "
               "|f″| (forward, backward) or |f‴| (central); ε_f is the rounding error of f, carried along the "
               "Wengert list. Then h = 2√(ε_f/|f″|) or (3ε_f/|f‴|)^⅓, which balances truncation against "
               "rounding; the pilot is repeated until h/H settles. The exact curvature is by nested forward "
               "mode, for comparison only.")
    for scheme, ws in d.warnings.items():
        if ws:
            st.markdown(f"**{scheme} differences at their default step** (every input):")
            _render.warnings_block(ws)


def body(c: _sidebar.Ctx) -> None:
    names = list(c.variables)
    outs = c.outputs
    if not names:
        st.info("This function has no variables: its derivative is zero and there is nothing to estimate.")
        return
    wrt = _url.setting("wrt", names[0], str, lambda v: v in names)
    if wrt not in names:
        st.session_state["wrt"] = names[0]
    out_i = _url.setting("out", 0, int, lambda v: 0 <= v < len(outs))
    if not 0 <= out_i < len(outs):
        st.session_state["out"] = 0
    _url.setting("eps", -6, int, lambda v: v in views.EXPONENTS)
    _url.setting("prec", "float64", str, lambda v: v in views.PRECISIONS)
    _url.setting("model", True, _url.as_bool)

    # No empty column for a function of one output: at 1024 pixels the precision's three choices then fit a line.
    if len(outs) > 1:
        c1, c2, c3, c4 = st.columns([2, 2, 3, 2])
    else:
        c1, c3, c4 = st.columns([2, 3, 3])
    c1.selectbox("Differentiate with respect to", names, key="wrt")
    if len(outs) > 1:
        shown = [pretty_names(y, outs) for y in outs]  # y₁, never y_1
        c2.selectbox("Output", list(range(len(outs))), key="out", format_func=lambda j: shown[j])
    c3.select_slider("Step h (ε), absolute", list(views.EXPONENTS), key="eps", format_func=lambda e: f"1e{e}")
    c4.radio("Floating point", list(views.PRECISIONS), key="prec", horizontal=True,
             help="float32 has a unit roundoff of 6e-8 instead of 1.1e-16: rounding error takes over much sooner.")
    st.checkbox("Show the error model (truncation + rounding bounds)", key="model")

    ss = st.session_state  # what the controls show, read after they are drawn
    wrt = ss["wrt"]
    v = views.numeric_view(c.text, c.point, wrt, int(ss["out"]) if len(outs) > 1 else 0, int(ss["eps"]), ss["prec"],
                           bool(ss["model"]), cache=_cache.call)
    m1, m2, m3 = st.columns(3)
    m1.metric(f"{md(v.output)} at the point", fmt.fitting(v.value), help=f"All digits: {fmt.exact(v.value)}")
    m2.metric(f"exact ∂{md(v.output)}/∂{md(wrt)}", fmt.fitting(v.reference),  # a short label: whole at 1024 px
              help=f"By reverse-mode AD. All digits: {fmt.exact(v.reference)}")
    m3.metric("step h on the slider", f"1e{v.exponent}")
    _render.warnings_block(v.warnings)
    if v.missing:
        st.warning(md("f has no derivative at this point, so there is no exact value for the estimates to "
                      "approach: the error plot and the best steps need one. Below, what each scheme does with "
                      "its default step. Reverse mode says: " + pretty(v.missing)), icon=":material/warning:")
        st.markdown("#### The default step, chosen for this function")
        _frame.show(v.defaults, lambda d: default_step_table(d, wrt))
        return

    _frame.show(v.figure, lambda png: _render.figure_block(png, v.svg, "numeric-error", PLOT_CAPTION))
    st.markdown("#### The default step, chosen for this function")
    _frame.show(v.defaults, lambda d: default_step_table(d, wrt))
    # The two tables one above the other: side by side, the best-step table is cut off at 1280 pixels.
    st.markdown(f"#### Estimates at h = 1e{v.exponent}")
    _frame.show(v.estimates, lambda t: st.table(t, hide_index=True))
    st.markdown("#### Best step of each scheme")
    _frame.show(v.best, best_table)
    b = v.bounds
    st.caption(f"Model inputs along {md(wrt)} (exact, by nested forward mode): |f| = {fmt.short(b.f, 3)}, "
               f"|f′| = {fmt.short(b.d1, 3)}, |f″| = {fmt.short(b.d2, 3)}, |f‴| = {fmt.short(b.d3, 3)}, "
               f"|f⁽⁵⁾| = {fmt.short(b.d5, 3)}.")
    _frame.show(v.downloads, lambda files: _render.downloads(files, key="sweep"))


def best_table(t: pd.DataFrame) -> None:
    st.table(t, hide_index=True)
    st.caption(BEST_CAPTION)


_frame.run_page("Numeric differentiation: error against step", INTRO, body)

"""Compare & timing page: every method on the typed function, side by side, and what each costs.

What it shows is ``diffzoo.views.compare_view`` (from ``diffzoo.compare.comparison``); timings are measured
by ``diffzoo.views.timings``, ``scaling`` and ``crossover`` only when asked for, and never cached.
"""

from __future__ import annotations

import streamlit as st

from diffzoo import views
from pages import _cache, _frame, _render, _sidebar, _url

INTRO = (
    "All four methods on the same function and point. **Symbolic** differentiates the expression, "
    "**numeric** (central differences) estimates from nearby values, **forward** mode makes one pass "
    "per input, **reverse** mode one sweep per output. Errors are measured against the derivative "
    "evaluated with 50 significant digits. Timings are measured only when you ask (median of repeated, "
    "interleaved rounds) and are never cached: they are this machine, now."
)
SCALE_NS = [16, 32, 64, 128, 256]


def _ask(flag: str) -> None:
    st.session_state[flag] = True


def show_comparison(t: views.CompareTables, text: str, point: tuple[float, ...]) -> None:
    # Two tables instead of one: methods as columns for the numbers (a function of 12 variables adds rows,
    # not columns that run off the page), and one row per method for accuracy and cost.
    if t.note:
        st.warning(t.note, icon=":material/info:")
    st.markdown("#### Value and derivatives, by method")
    st.table(t.derivatives, hide_index=True)
    st.markdown("#### Accuracy and work")
    st.table(t.costs, hide_index=True)
    for w in t.warnings:  # the methods that say the same thing, together
        _render.warnings_block([w])
    csv = lambda: views.compare_view(text, point, cache=_cache.call).comparison.get().csv()  # noqa: E731
    _render.downloads([("Comparison (CSV)", csv, "comparison.csv", "text/csv")], key="cmp")


def body(c: _sidebar.Ctx) -> None:
    st.markdown("### Every method, side by side")
    v = views.compare_view(c.text, c.point, cache=_cache.call)
    _frame.show(v.comparison, lambda t: show_comparison(t, c.text, c.point))
    st.caption("passes: forward passes or reverse sweeps; function evals: whole evaluations of f (numeric: the "
               "value, 2 per input for the central differences, and 4 per pilot that chose each input's step); "
               "primitive evals: primitive values computed; derivative rules: partial-derivative rules applied.")

    st.markdown("### Timing")
    # One under the other, each the main column's full width: in half columns (259 px at 1024 pixels with the
    # sidebar open) the figures' text was 12.4 px; at full width it is 16 px or more on a projector.
    st.markdown("#### This function, every method")
    _url.setting("repeats", 7, int, lambda v: 3 <= v <= 51 and v % 2 == 1)
    repeats = st.slider("Repeats (median of interleaved rounds)", 3, 51, step=2, key="repeats")
    # A callback, not the button's return value: a rerun of the script (a URL update) cannot swallow the press.
    st.button("Measure timings", key="measure", type="primary", on_click=_ask, args=("_measure_now",))
    if st.session_state.pop("_measure_now", False):
        with st.spinner("Measuring…"), _frame.part("the timings"):
            t = views.timings(c.text, c.point, repeats, cache=_cache.call)
            st.session_state["_timings"] = (c.text, c.point, t)
    res = st.session_state.get("_timings")
    if res and res[0] == c.text and res[1] == c.point:
        t = res[2]
        if t.note:
            st.caption(t.note)
        _render.plot("bar", t.frame, "Median time for the full derivative", "seconds (log scale)", name="timings")
        st.table(t.table, hide_index=True)
        st.caption("Each time is one whole call of diffzoo.differentiate: the derivative and the result around "
                   "it (value, Jacobian, counts). For a function of a few steps those fixed microseconds "
                   "dominate, so compiled and interpreted code come out close; the scaling chart shows them apart.")
        _render.downloads([("Timings (CSV)", t.frame.to_csv(index=False), "timings.csv", "text/csv")],
                          key="timings")
    else:
        st.caption("Press the button to measure (takes a moment; nothing is cached).")
    st.markdown("#### Scaling: full gradient of Σ sin(xᵢ)·xᵢ₊₁ as n grows")
    _url.setting("scale_n", 64, int, lambda v: v in SCALE_NS)
    n_top = st.select_slider("Largest n", SCALE_NS, key="scale_n")
    st.button("Measure scaling", key="scale", on_click=_ask, args=("_scale_now",))
    if st.session_state.pop("_scale_now", False):
        with st.spinner("Measuring…"), _frame.part("the scaling measurement"):
            st.session_state["_scaling"] = views.scaling(n_top)
    sc = st.session_state.get("_scaling")
    if sc is not None:
        _render.plot("lines", sc, "n", "seconds", "method", "Time for the full gradient against n", "n inputs",
                     "seconds", name="scaling", caption="Reverse mode stays a small multiple of one evaluation; "
                                                        "forward and numeric grow as n.")
        _render.downloads([("Scaling (CSV)", sc.to_csv(index=False), "scaling.csv", "text/csv")], key="scaling")
    st.markdown("#### Vector functions: forward against reverse as n and m change")
    st.button("Measure the crossover", key="cross", on_click=_ask, args=("_cross_now",))
    if st.session_state.pop("_cross_now", False):
        with st.spinner("Measuring…"), _frame.part("the crossover"):
            st.session_state["_cross"] = views.crossover()
    cr = st.session_state.get("_cross")
    if cr is not None:
        _render.plot("crossover", cr, name="crossover",
                     caption="Forward mode needs n passes, reverse mode m sweeps: reverse wins when m < n.")
        _render.downloads([("Crossover (CSV)", cr.to_csv(index=False), "crossover.csv", "text/csv")], key="cross")


_frame.run_page("Compare the methods, and time them", INTRO, body)

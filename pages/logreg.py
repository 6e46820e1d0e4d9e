"""Logistic regression page: a loss as a five-step Wengert list of array operations, its adjoints, training.

What it shows is ``diffzoo.views.logreg_view``. The work a page run may do is bounded: the data set and one
reverse sweep (well under a second at the largest N and d) always run; gradient descent runs at once when its
cost model says it takes less than ``views.BUDGET_SECONDS``, and otherwise on request, with a progress bar.
No data set is kept in a cache (at N = 20,000 and d = 500 it is 80 MB), only the small tables drawn from it.
Every number box keeps what was typed; a value out of range gets its reason beside the box.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from diffzoo import fmt, views
from pages import _cache, _frame, _render, _sidebar, _url

INTRO = (
    "Reverse mode works on arrays just as on numbers. The mean logistic loss "
    "ℓ(w) = mean(softplus(Xw) − y ⊙ Xw) of a generated data set (N samples, d features) is a Wengert list "
    "of five **array** steps. One reverse sweep gives the whole gradient ∂ℓ/∂w — the same work as about "
    "two evaluations of the loss, whatever d is — where forward mode needs d passes and central "
    "differences 2d evaluations. Below: the list, its adjoint trace, gradient descent, and timings against d. "
    "This page does not use the function in the sidebar."
)


def number(where: Any, key: str, cast: type, **kw: Any) -> Any:
    """A number box that keeps what was typed; the value, or None with the reason beside the box."""
    _url.setting(key, kw.pop("default"), _url.finite_float if cast is float else cast)  # out of range: kept
    where.number_input(views.LOGREG_LIMITS[key][0], key=key, **kw)  # no min/max: the browser would refuse silently
    v = st.session_state[key]
    why = views.logreg_setting(key, v)
    if why:
        where.error(why)
        return None
    return cast(v)


def gradient_descent(c1: Any, c2: Any, N: int, d: int, seed: int, lr: float | None, steps: int | None) -> None:
    if lr is None or steps is None:
        c2.info("Gradient descent waits for a learning rate and a number of steps in range (see beside the boxes).",
                icon=":material/edit:")
        return
    params = (N, d, seed, float(lr), int(steps))
    runs = st.session_state.setdefault("_lr_runs", {})
    gd = runs.get(params)
    if gd is None and views.descent_seconds(N, d, steps) <= views.BUDGET_SECONDS:
        gd = _cache.call(views.descent, *params)  # the runs under the budget, shared by every session
    if gd is None:
        with c2:
            st.info(views.descent_note(N, d, steps), icon=":material/timer:")
            if st.button(f"Run {steps} steps of gradient descent", key="lr_run", type="primary"):
                bar = st.progress(0.0, text="Gradient descent…")
                gd = views.descent(*params, progress=lambda k: bar.progress(
                    (k + 1) / (steps + 1), text=f"Gradient descent: step {k} of {steps}"))
                bar.empty()
                st.session_state["_lr_runs"] = {params: gd}  # one run kept per session: the one shown
    if gd is None:
        return
    with c1:
        loss = gd["loss"]
        st.metric("final loss", fmt.short(loss.iloc[-1]), fmt.short(loss.iloc[-1] - loss.iloc[0], 3),
                  delta_color="inverse")
    with c2:
        _render.plot("loss", gd, name="gradient-descent")


def body(c: _sidebar.Ctx) -> None:
    a, b, s = st.columns(3)
    N = number(a, "N", int, default=1000, step=100)
    d = number(b, "d", int, default=10, step=1)
    seed = number(s, "dseed", int, default=0, step=1)
    if N is None or d is None or seed is None:
        st.info("The page waits for a data set in range: see the message beside the box.", icon=":material/edit:")
        return

    v = views.logreg_view(N, d, seed, cache=_cache.call)
    m1, m2, m3 = st.columns(3)
    m1.metric("loss at w = 0", fmt.short(v.loss))
    # Short labels, whole at 1024 pixels; what they mean in their help.
    m2.metric("‖∂ℓ/∂w‖ at w = 0", fmt.short(v.grad_norm), help="The gradient's norm, from one reverse sweep.")
    m3.metric("gradient check", fmt.sci(v.check, 1),
              help="max |reverse-mode gradient − hand-written gradient|: the two agree to rounding.")

    # Full-width sections: in half a 1280-pixel window the array tables wrap every cell onto three lines.
    st.markdown("### The Wengert list of array steps")
    left, right = st.columns(2, vertical_alignment="center")
    left.latex(v.wengert_latex)
    right.table(v.wengert, hide_index=True)
    st.markdown("### Primal values at w = 0")
    st.table(v.primal, hide_index=True)
    st.markdown("### The adjoint trace (reverse sweep, array level)")
    st.table(v.adjoint, hide_index=True)
    st.caption("Each row adds a contribution to an adjoint; `unbroadcast` sums a broadcast dimension back. "
               "norm and head describe the adjoint after the update.")
    _render.downloads(v.downloads, key="logreg")

    st.markdown("### Gradient descent")
    g1, g2 = st.columns([1, 2])  # wide enough at 1024 pixels for a box's reason to read as words
    lr = number(g1, "lr", float, default=0.5, step=0.1, format="%g")
    steps = number(g1, "gd", int, default=20, step=5)
    gradient_descent(g1, g2, N, d, seed, lr, steps)

    st.markdown("### Timing against d: one reverse sweep against d forward passes and 2d evaluations")
    t1, t2 = st.columns([1, 2])  # wide enough at 1024 pixels for the button's label
    with t1:
        _url.setting("tN", 1000, int, lambda v: v in (100, 300, 1000, 3000))
        _url.setting("tdmax", 64, int, lambda v: v in (16, 32, 64, 128, 256))
        tN = st.select_slider("N for timing", [100, 300, 1000, 3000], key="tN")
        dmax = st.select_slider("Largest d", [16, 32, 64, 128, 256], key="tdmax")
        go = st.button("Measure timings", key="tmeasure", type="primary")
    if go:
        with st.spinner("Measuring…"), _frame.part("the timings"):
            st.session_state["_lr_timing"] = views.timing_against_d(dmax, tN, seed)
    with t2:
        tv = st.session_state.get("_lr_timing")
        if tv is not None:
            _render.plot("lines", tv, "d", "seconds", "method", "Time for the gradient against d", "d features",
                         "seconds (median)", name="logreg-timing")
            _render.downloads([("Timings (CSV)", tv.to_csv(index=False), "logreg-timing.csv", "text/csv")],
                              key="lrt")
        else:
            st.caption("Press the button to measure (never cached).")


_frame.run_page("Logistic regression: reverse mode on arrays", INTRO, body, needs_function=False)

"""Logistic regression page: a loss as a five-step Wengert list of array operations, its adjoints, training.

The work a page run may do is bounded: the data set and one reverse sweep (well under a second at the
largest N and d) always run; gradient descent runs at once when its cost model says it takes less
than :data:`BUDGET_SECONDS`, and otherwise on request, with a progress bar. No data set is
kept in a cache (at N = 20,000 and d = 500 it is 80 MB), only the small tables drawn from it.
Every number box keeps what was typed; a value out of range gets its reason beside the box.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from diffzoo import tensor
from pages import _cache, _ui

INTRO = (
    "Reverse mode works on arrays just as on numbers. The mean logistic loss "
    "ℓ(w) = mean(softplus(Xw) − y ⊙ Xw) of a generated data set (N samples, d features) is a Wengert list "
    "of five **array** steps. One reverse sweep gives the whole gradient ∂ℓ/∂w — the same work as about "
    "two evaluations of the loss, whatever d is — where forward mode needs d passes and central "
    "differences 2d evaluations. Below: the list, its adjoint trace, gradient descent, and timings against d. "
    "This page does not use the function in the sidebar."
)
#: The range of each number box: (label, smallest, largest).
LIMITS: dict[str, tuple[str, float, float]] = {
    "N": ("N samples", 10, 20_000), "d": ("d features", 1, 500), "dseed": ("Data seed", 0, 10_000),
    "lr": ("Learning rate", 0.001, 10.0), "gd": ("Steps", 1, 200)}
#: Gradient descent runs without being asked when it should take less than this.
BUDGET_SECONDS = 1.0
#: Seconds per entry of X per step of gradient descent (X w forward, X^T g back): 20,000 x 500 data took
#: 19-25 ms a step on the 2-core server (3.4 s for 200 steps), 2.5e-9 s per entry. A cost model, not a
#: timing, so that the same inputs always get the same page.
ENTRY_SECONDS = 2.5e-9


@_cache.memo
def model_data(N: int, d: int, seed: int) -> dict[str, Any]:
    """Everything the page shows about the data set at w = 0 (the data set itself is not kept)."""
    model = tensor.logistic_regression(N, d, seed)
    w0 = np.zeros(d)
    env = model.env(w0)
    _, trace = model.program.vjp(env, ("w",), record=True)
    loss, grad = model.loss_and_grad(w0)
    check = float(np.max(np.abs(grad - model.grad_handwritten(w0))))
    return {"wengert": model.program.wengert_frame(), "primal": model.program.primal_frame(env),
            "adjoint": trace.to_frame(), "loss": loss, "grad_norm": float(np.linalg.norm(grad)),
            "check": check, "grad_head": [float(v) for v in grad[:5]]}


def descent(N: int, d: int, seed: int, lr: float, steps: int, progress: Any = None) -> pd.DataFrame:
    """Gradient descent from w = 0 on the data set (made again: it is never kept)."""
    return tensor.logistic_regression(N, d, seed).gradient_descent(np.zeros(d), lr, steps, progress)


quick_descent = _cache.memo(descent)  # the runs under the budget, shared by every session


def _table(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "shape" in out:
        out["shape"] = [str(tuple(s)) for s in out["shape"]]
    if "norm" in out:
        out["norm"] = [f"{v:.6g}" for v in out["norm"]]
    return out


def number(where: Any, key: str, cast: type, **kw: Any) -> Any:
    """A number box that keeps what was typed; the value, or None with the reason beside the box."""
    label, lo, hi = LIMITS[key]
    _ui.url_setting(key, kw.pop("default"), _ui.finite_float if cast is float else cast)  # out of range: kept
    where.number_input(label, key=key, **kw)  # no min_value/max_value: the browser would refuse silently
    v = st.session_state[key]
    if v is None or not lo <= v <= hi:
        why = "is needed" if v is None else f"{v:g} is too {'small' if v < lo else 'large'}"
        where.error(f"{label} must be between {lo:,g} and {hi:,g}: {why}.")
        return None
    return cast(v)


def gradient_descent(c1: Any, c2: Any, N: int, d: int, seed: int, lr: float | None, steps: int | None) -> None:
    if lr is None or steps is None:
        c2.info("Gradient descent waits for a learning rate and a number of steps in range (see beside the boxes).",
                icon=":material/edit:")
        return
    params = (N, d, seed, float(lr), int(steps))
    estimate = N * d * (steps + 1) * ENTRY_SECONDS
    runs = st.session_state.setdefault("_lr_runs", {})
    gd = runs.get(params)
    if gd is None and estimate <= BUDGET_SECONDS:
        gd = quick_descent(*params)
    if gd is None:
        with c2:
            st.info(f"{steps} steps on {N:,} × {d} data take about {estimate:.1f} s, so they run when asked.",
                    icon=":material/timer:")
            if st.button(f"Run {steps} steps of gradient descent", key="lr_run", type="primary"):
                bar = st.progress(0.0, text="Gradient descent…")
                gd = descent(*params, progress=lambda k: bar.progress((k + 1) / (steps + 1),
                                                                      text=f"Gradient descent: step {k} of {steps}"))
                bar.empty()
                st.session_state["_lr_runs"] = {params: gd}  # one run kept per session: the one shown
    if gd is None:
        return
    with c1:
        st.metric("final loss", f"{gd['loss'].iloc[-1]:.6g}", f"{gd['loss'].iloc[-1] - gd['loss'].iloc[0]:.3g}",
                  delta_color="inverse")
    with c2:
        _ui.plot("loss", gd, name="gradient-descent")


def body(c: _ui.Ctx) -> None:
    a, b, s = st.columns(3)
    N = number(a, "N", int, default=1000, step=100)
    d = number(b, "d", int, default=10, step=1)
    seed = number(s, "dseed", int, default=0, step=1)
    if N is None or d is None or seed is None:
        st.info("The page waits for a data set in range: see the message beside the box.", icon=":material/edit:")
        return

    data = model_data(N, d, seed)
    m1, m2, m3 = st.columns(3)
    m1.metric("loss at w = 0", f"{data['loss']:.6g}")
    m2.metric("‖∂ℓ/∂w‖ at w = 0 (one reverse sweep)", f"{data['grad_norm']:.6g}")
    m3.metric("max |reverse − handwritten gradient|", f"{data['check']:.1e}")

    # Full-width sections: in half a 1280-pixel window the array tables wrap every cell onto three lines.
    st.markdown("### The Wengert list of array steps")
    wf = data["wengert"]
    left, right = st.columns(2, vertical_alignment="center")
    left.latex(r"\begin{aligned}" + r"\\ ".join(x.replace("=", "&=", 1) for x in wf["latex"]) + r"\end{aligned}")
    right.table(wf[["i", "out", "definition"]].rename(columns={"i": "equation", "out": "defines"}), hide_index=True)
    st.markdown("### Primal values at w = 0")
    st.table(_table(data["primal"]), hide_index=True)
    st.markdown("### The adjoint trace (reverse sweep, array level)")
    st.table(_table(data["adjoint"]).rename(columns={"eq": "equation"}), hide_index=True)
    st.caption("Each row adds a contribution to an adjoint; `unbroadcast` sums a broadcast dimension back. "
               "norm and head describe the adjoint after the update.")
    _ui.downloads([("Adjoint trace (CSV)", data["adjoint"].to_csv(index=False), "logreg-adjoint.csv", "text/csv"),
                   ("Wengert list (CSV)", wf.to_csv(index=False), "logreg-wengert.csv", "text/csv")],
                  key="logreg")

    st.markdown("### Gradient descent")
    g1, g2 = st.columns([1, 2])  # wide enough at 1024 pixels for a box's reason to read as words
    lr = number(g1, "lr", float, default=0.5, step=0.1, format="%g")
    steps = number(g1, "gd", int, default=20, step=5)
    gradient_descent(g1, g2, N, d, seed, lr, steps)

    st.markdown("### Timing against d: one reverse sweep against d forward passes and 2d evaluations")
    t1, t2 = st.columns([1, 3])
    with t1:
        _ui.url_setting("tN", 1000, int, lambda v: v in (100, 300, 1000, 3000))
        _ui.url_setting("tdmax", 64, int, lambda v: v in (16, 32, 64, 128, 256))
        tN = st.select_slider("N for timing", [100, 300, 1000, 3000], key="tN")
        dmax = st.select_slider("Largest d", [16, 32, 64, 128, 256], key="tdmax")
        go = st.button("Measure timings", key="tmeasure", type="primary")
    if go:
        ds = [v for v in (1, 2, 4, 8, 16, 32, 64, 128, 256) if v <= dmax]
        with st.spinner("Measuring…"):
            st.session_state["_lr_timing"] = tensor.timing_vs_d(ds, N=int(tN), repeats=3, seed=seed)
    with t2:
        tv = st.session_state.get("_lr_timing")
        if tv is not None:
            _ui.plot("lines", tv, "d", "seconds", "method", "Time for the gradient against d", "d features",
                     "seconds (median)", name="logreg-timing")
            _ui.downloads([("Timings (CSV)", tv.to_csv(index=False), "logreg-timing.csv", "text/csv")],
                          key="lrt")
        else:
            st.caption("Press the button to measure (never cached).")


_ui.run_page("Logistic regression: reverse mode on arrays", INTRO, body, needs_function=False)

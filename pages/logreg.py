"""Logistic regression page: a loss as a five-step Wengert list of array operations, its adjoints, training."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from diffzoo import tensor
from pages import _ui

INTRO = (
    "Reverse mode works on arrays just as on numbers. The mean logistic loss "
    "ℓ(w) = mean(softplus(Xw) − y ⊙ Xw) of a generated data set (N samples, d features) is a Wengert list "
    "of five **array** steps. One reverse sweep gives the whole gradient ∂ℓ/∂w — the same work as about "
    "two evaluations of the loss, whatever d is — where forward mode needs d passes and central "
    "differences 2d evaluations. Below: the list, its adjoint trace, gradient descent, and timings against d. "
    "This page does not use the function in the sidebar."
)


@st.cache_data(max_entries=32, show_spinner=False)
def model_data(N: int, d: int, seed: int, lr: float, steps: int) -> dict[str, Any]:
    model = tensor.logistic_regression(N, d, seed)
    w0 = np.zeros(d)
    env = model.env(w0)
    _, trace = model.program.vjp(env, ("w",), record=True)
    loss, grad = model.loss_and_grad(w0)
    gd = model.gradient_descent(w0, lr, steps)
    check = float(np.max(np.abs(grad - model.grad_handwritten(w0))))
    return {"wengert": model.program.wengert_frame(), "primal": model.program.primal_frame(env),
            "adjoint": trace.to_frame(), "loss": loss, "grad_norm": float(np.linalg.norm(grad)), "gd": gd,
            "check": check, "grad_head": [float(v) for v in grad[:5]]}


def _table(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    if "shape" in out:
        out["shape"] = [str(tuple(s)) for s in out["shape"]]
    if "norm" in out:
        out["norm"] = [f"{v:.6g}" for v in out["norm"]]
    return out


def body(c: _ui.Ctx) -> None:
    N = _ui.url_setting("N", 1000, int, lambda v: 10 <= v <= 20000)
    d = _ui.url_setting("d", 10, int, lambda v: 1 <= v <= 500)
    seed = _ui.url_setting("dseed", 0, int, lambda v: 0 <= v <= 10_000)
    a, b, s = st.columns(3)
    a.number_input("N samples", 10, 20000, step=100, key="N")
    b.number_input("d features", 1, 500, step=1, key="d")
    s.number_input("Data seed", 0, 10_000, step=1, key="dseed")
    lr = _ui.url_setting("lr", 0.5, _ui.finite_float, lambda v: 0.001 <= v <= 10)
    steps = _ui.url_setting("gd", 20, int, lambda v: 1 <= v <= 200)
    N, d, seed = int(st.session_state["N"]), int(st.session_state["d"]), int(st.session_state["dseed"])

    data = model_data(N, d, seed, float(lr), int(steps))
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
    g1, g2 = st.columns([1, 3])
    with g1:
        st.number_input("Learning rate", 0.001, 10.0, step=0.1, key="lr", format="%.3f")
        st.number_input("Steps", 1, 200, step=5, key="gd")
        gd = data["gd"]
        st.metric("final loss", f"{gd['loss'].iloc[-1]:.6g}", f"{gd['loss'].iloc[-1] - gd['loss'].iloc[0]:.3g}",
                  delta_color="inverse")
    with g2:
        _ui.plot("loss", data["gd"], name="gradient-descent")

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

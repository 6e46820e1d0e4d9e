"""Numeric page: the error of every finite-difference scheme against the step, on log-log axes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import diffzoo as dz
from diffzoo import numeric, plots, swell
from pages import _ui

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
EXPONENTS = list(range(-16, 1))
PRECISIONS = ["float64", "float32", "both"]


@st.cache_data(max_entries=64, show_spinner=False)
def numeric_data(text: str, point: tuple[float, ...], i: int, output: int, precision: str) -> dict[str, Any]:
    f = dz.parse(text)
    wl = f.wengert
    ref = float(dz.differentiate(f, point, "reverse").jacobian[output, i])
    b = swell.bounds_at(f, point, i, output)
    dtypes = ["float64", "float32"] if precision == "both" else [precision]
    sweeps = {dt: numeric.error_sweep(wl, point, ref, i, output, bounds=b, dtype=np.dtype(dt)) for dt in dtypes}
    best = pd.concat([numeric.best_steps(df).assign(precision=dt) for dt, df in sweeps.items()], ignore_index=True)
    value = wl.output_values(wl.evaluate(list(point)))[output]
    default = numeric.default_steps(wl, point, ref, i, output)
    return {"sweeps": sweeps, "best": best, "reference": ref, "bounds": b, "value": float(value), "default": default}


def error_figure(d: dict[str, Any], exponent: int, model: bool, title: str) -> Any:
    first = next(iter(d["sweeps"]))
    default = d["default"] if first == "float64" else None  # the default steps are float64 ones
    return plots.error_figure(d["sweeps"], d["best"][d["best"]["precision"] == first], 10.0**exponent, model, title,
                              default)


@st.cache_data(max_entries=64, show_spinner=False)
def error_png(text: str, point: tuple[float, ...], i: int, output: int, precision: str, exponent: int,
              model: bool, title: str) -> bytes:
    return plots.to_png(error_figure(numeric_data(text, point, i, output, precision), exponent, model, title))


@st.cache_data(max_entries=128, show_spinner=False)
def at_step(text: str, point: tuple[float, ...], i: int, output: int, precision: str, exponent: int) -> pd.DataFrame:
    d = numeric_data(text, point, i, output, precision)
    wl = dz.parse(text).wengert
    dtypes = ["float64", "float32"] if precision == "both" else [precision]
    frames = []
    for dt in dtypes:
        df = numeric.error_sweep(wl, point, d["reference"], i, output, eps=[10.0**exponent], dtype=np.dtype(dt))
        frames.append(df.assign(precision=dt))
    out = pd.concat(frames, ignore_index=True)
    return out[["precision", "scheme", "eps", "estimate", "error", "rel_error"]]


def bound(v: float) -> str:
    """A model input for display: ``swell.bounds_at`` stores an exact 0 as 1e-300 (to draw it on a log axis)."""
    return "0" if v <= 1e-290 else f"{v:.3g}"


def default_step_table(d: dict[str, Any], wrt: str) -> None:
    """How each scheme chose its default step here, and what it achieved."""
    st.markdown("#### The default step, chosen for this function")
    b = d["bounds"]
    rows = []
    for _, r in d["default"].iterrows():
        if r["message"]:
            rows.append({"scheme": r["scheme"], "h": "–", "relative error": "–", "pilots": "–", "evaluations": "–",
                         "curvature (pilot)": r["message"], "curvature (exact)": "", "noise ε_f": ""})
            continue
        exact = b.d3 if r["scheme"] == "central" else b.d2
        which = "|f‴|" if r["scheme"] == "central" else "|f″|"
        rows.append({"scheme": r["scheme"], "h": f"{r['eps']:.2e}", "relative error": f"{r['rel_error']:.1e}",
                     "pilots": f"{int(r['pilots'])}" + ("" if r["settled"] else " (not settled)"),
                     "evaluations": int(r["evals"]), "curvature (pilot)": f"{which} ≈ {r['curvature']:.3g}",
                     "curvature (exact)": bound(exact), "noise ε_f": f"{r['noise']:.1e}"})
    st.table(pd.DataFrame(rows), hide_index=True)
    st.caption(f"Along {_ui.md(wrt)}: a pilot difference with a step H a few times the h it predicts estimates "
               "|f″| (forward, backward) or |f‴| (central); ε_f is the rounding error of f, carried along the "
               "Wengert list. Then h = 2√(ε_f/|f″|) or (3ε_f/|f‴|)^⅓, which balances truncation against "
               "rounding; the pilot is repeated until h/H settles. The exact curvature is by nested forward "
               "mode, for comparison only.")


def body(c: _ui.Ctx) -> None:
    names = list(c.variables)
    outs = c.outputs
    if not names:
        st.info("This function has no variables: its derivative is zero and there is nothing to estimate.")
        return
    wrt = _ui.url_setting("wrt", names[0], str, lambda v: v in names)
    if wrt not in names:
        st.session_state["wrt"] = wrt = names[0]
    out_i = _ui.url_setting("out", 0, int, lambda v: 0 <= v < len(outs))
    if not 0 <= out_i < len(outs):
        st.session_state["out"] = out_i = 0
    exponent = _ui.url_setting("eps", -6, int, lambda v: v in EXPONENTS)
    precision = _ui.url_setting("prec", "float64", str, lambda v: v in PRECISIONS)
    _ui.url_setting("model", True, _ui.as_bool)

    c1, c2, c3, c4 = st.columns([2, 2, 3, 2])
    c1.selectbox("Differentiate with respect to", names, key="wrt")
    if len(outs) > 1:
        c2.selectbox("Output", list(range(len(outs))), key="out", format_func=lambda j: outs[j])
    else:
        c2.markdown(" ")
    c3.select_slider("Step h (ε), absolute", EXPONENTS, key="eps", format_func=lambda e: f"1e{e}")
    c4.radio("Floating point", PRECISIONS, key="prec", horizontal=True,
             help="float32 has a unit roundoff of 6e-8 instead of 1.1e-16: rounding error takes over much sooner.")
    st.checkbox("Show the error model (truncation + rounding bounds)", key="model")

    i = names.index(st.session_state["wrt"])
    out_i = int(st.session_state["out"]) if len(outs) > 1 else 0
    exponent, precision = int(st.session_state["eps"]), st.session_state["prec"]
    d = numeric_data(c.text, c.point, i, out_i, precision)
    y = outs[out_i]
    m1, m2, m3 = st.columns(3)
    m1.metric(f"{_ui.md(y)} at the point", _ui.fmt(d["value"]))
    m2.metric(f"exact ∂{_ui.md(y)}/∂{_ui.md(wrt)} (reverse-mode AD)", _ui.fmt(d["reference"]))
    m3.metric("step h on the slider", f"1e{exponent}")

    title = f"Error of ∂{y}/∂{wrt} at the point against the step"
    show_model = bool(st.session_state["model"])
    png = error_png(c.text, c.point, i, out_i, precision, exponent, show_model, title)
    svg = lambda: plots.to_svg(error_figure(d, exponent, show_model, title))  # noqa: E731 - made when downloaded
    _ui.figure_block(png, svg, "numeric-error",
                     "Solid: float64 (dashed: float32). Dotted: the error model. Stars: each scheme's best step. "
                     "Diamonds: the step each scheme chooses by default.")
    default_step_table(d, wrt)
    # The two tables one above the other: side by side, the best-step table is cut off at 1280 pixels.
    left, right = st.container(), st.container()
    with left:
        st.markdown(f"#### Estimates at h = 1e{exponent}")
        cur = at_step(c.text, c.point, i, out_i, precision, exponent)
        show = cur.assign(estimate=[_ui.fmt(v) for v in cur["estimate"]],
                          error=[f"{v:.2e}" for v in cur["error"]],
                          rel_error=[f"{v:.2e}" for v in cur["rel_error"]]).drop(columns=["eps"])
        if precision != "both":
            show = show.drop(columns=["precision"])
        st.table(show.rename(columns={"rel_error": "relative error"}), hide_index=True)
    with right:
        st.markdown("#### Best step of each scheme")
        model_best = swell.model_best_steps(d["sweeps"][next(iter(d["sweeps"]))])
        best = d["best"].merge(model_best, on="scheme", how="left")
        best = best.assign(model_eps=[f"{v:.1e}" for v in best["model_eps"]])
        best = best.drop(columns=["model_error"])
        best = best.assign(eps=[f"{v:.1e}" for v in best["eps"]],
                                estimate=[_ui.fmt(v) for v in d["best"]["estimate"]],
                                error=[f"{v:.2e}" for v in d["best"]["error"]],
                                rel_error=[f"{v:.2e}" for v in d["best"]["rel_error"]])
        if precision != "both":
            best = best.drop(columns=["precision"])
        st.table(best.rename(columns={"eps": "best h (measured)", "rel_error": "relative error",
                                      "model_eps": "best h (model)"}), hide_index=True)
        st.caption("The measured best step can be a lucky cancellation (an error of exactly 0); "
                   "the model's best step is what the theory recommends.")
    b = d["bounds"]
    st.caption(f"Model inputs along {_ui.md(wrt)} (exact, by nested forward mode): |f| = {bound(b.f)}, "
               f"|f′| = {bound(b.d1)}, |f″| = {bound(b.d2)}, |f‴| = {bound(b.d3)}, |f⁽⁵⁾| = {bound(b.d5)}.")
    sweep_csv = pd.concat([df.assign(precision=dt) for dt, df in d["sweeps"].items()]).to_csv(index=False)
    _ui.downloads([("Sweep (CSV)", sweep_csv, "error-sweep.csv", "text/csv"),
                   ("Best steps (CSV)", d["best"].to_csv(index=False), "best-steps.csv", "text/csv")], key="sweep")


_ui.run_page("Numeric differentiation: error against step", INTRO, body)

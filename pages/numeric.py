"""Numeric page: the error of every finite-difference scheme against the step, on log-log axes.

Each part of the page (the plot, the default-step table, the estimates at the slider's step, the
best-step table) is drawn by :func:`part`, so a part that cannot be drawn here says why in a
sentence and the others still show.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import diffzoo as dz
from diffzoo import graph, higher, numeric, plots, stepsize
from pages import _cache, _ui

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
log = logging.getLogger("diffzoo.app")
HOW = {"fit": "", "edge": "error still falling at the last usable step",
       "exact": "exactly 0 at almost every step: no V to fit", "too few": "too few usable steps (overflow, or f "
       "did not change)", "flat": "about the same error at every step: no V to fit"}
BEST_CAPTION = (
    "**How the star is placed.** The measured errors are fitted in log space by a V: a truncation branch "
    "∝ hᵖ (p = 1 forward and backward, 2 central and complex, 4 Richardson) and a rounding branch ∝ 1/h, "
    "by least absolute deviations, so a few lucky or wild points do not move it; errors of exactly 0 "
    "(lucky cancellations) and errors above half the derivative are left out. The star sits at the bottom "
    "of the fitted V, at the typical error read off the fit; the complex step has no rounding branch, so its "
    "star marks the corner where truncation meets the rounding floor (any smaller step is as good). The "
    "error measured at exactly that step is beside it, and the model's best step (from the exact "
    "derivatives) for comparison.")


def part(what: str, draw: Callable[[], None]) -> None:
    """Draw one part of the page; where it cannot be drawn here, say why in a sentence and let the rest go on."""
    try:
        draw()
    except dz.LimitError as exc:
        st.warning(f"{what} is not shown: this function is too large for it. diffzoo says: {_ui.md(exc)}",
                   icon=":material/warning:")
    except (dz.EvaluationError, dz.PointError, dz.ParseError) as exc:
        st.warning(f"{what} cannot be shown at this point. diffzoo says: {_ui.md(exc)}", icon=":material/warning:")
    except Exception as exc:  # no traceback ever reaches a page, and the other parts still show
        log.exception("numeric page: %s failed", what)
        detail = f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
        st.warning(f"{what} could not be drawn here ({_ui.md(detail)}); the rest of the page is unaffected.",
                   icon=":material/warning:")


def dtypes(precision: str) -> list[str]:
    return ["float64", "float32"] if precision == "both" else [precision]


# --- data (each piece cached on plain arguments, so one that fails leaves the others) -------------------


@_cache.memo
def basics(text: str, point: tuple[float, ...], i: int, output: int) -> dict[str, Any]:
    """f at the point, the exact derivative by reverse mode (with its warnings) and the error model's inputs."""
    f = dz.parse(text)
    value = f.wengert.output_values(f.wengert.evaluate(list(point)))[output]
    try:
        r = dz.differentiate(f, point, "reverse")
    except dz.EvaluationError as exc:  # no derivative here (sqrt(x) at 0): nothing for the estimates to approach
        return {"reference": math.nan, "warnings": [], "value": float(value), "missing": str(exc),
                "bounds": higher.bounds_at(f, point, i, output)}
    return {"reference": float(r.jacobian[output, i]), "warnings": list(r.warnings), "value": float(value),
            "missing": "", "bounds": higher.bounds_at(f, point, i, output)}


@_cache.memo
def sweep(text: str, point: tuple[float, ...], i: int, output: int, dtype: str) -> pd.DataFrame:
    b = basics(text, point, i, output)
    return numeric.error_sweep(dz.parse(text).wengert, point, b["reference"], i, output, bounds=b["bounds"],
                               dtype=np.dtype(dtype))


@_cache.memo
def best_steps(text: str, point: tuple[float, ...], i: int, output: int, dtype: str) -> pd.DataFrame:
    """Each scheme's fitted best step in this precision, and the model's best step in the same precision."""
    sw = sweep(text, point, i, output, dtype)
    best = stepsize.best_steps(dz.parse(text), point, basics(text, point, i, output)["reference"], sw, i, output,
                            dtype=np.dtype(dtype))
    model = stepsize.model_best_steps(sw)
    return best.merge(model, on="scheme", how="left").assign(precision=dtype)


@_cache.memo
def default_steps(text: str, point: tuple[float, ...], i: int, output: int) -> pd.DataFrame:
    return numeric.default_steps(dz.parse(text).wengert, point, basics(text, point, i, output)["reference"], i,
                                 output)


@_cache.memo
def numeric_warnings(text: str, point: tuple[float, ...]) -> dict[str, list[str]]:
    """The warnings of each default-step numeric Result (forward, backward, central) at the point."""
    f = dz.parse(text)
    out = {}
    for scheme in numeric.CHOSEN:
        try:
            out[scheme] = list(dz.differentiate(f, point, "numeric", scheme=scheme).warnings)
        except (dz.EvaluationError, ValueError, ArithmeticError):
            out[scheme] = []  # no estimate at all: the default-step table says why
    return out


@_cache.memo
def error_png(text: str, point: tuple[float, ...], i: int, output: int, precision: str, exponent: int,
              model: bool, title: str) -> bytes:
    return plots.to_png(error_figure(text, point, i, output, precision, exponent, model, title))


def overlay(what: str, get: Callable[[], pd.DataFrame]) -> pd.DataFrame | None:
    """What a part can do without (the plot's stars and diamonds, a download): None when it cannot be had."""
    try:
        return get()
    except Exception:  # the table of the same numbers says why, in its own part of the page
        log.exception("numeric page: the %s are left out", what)
        return None


def error_figure(text: str, point: tuple[float, ...], i: int, output: int, precision: str, exponent: int,
                 model: bool, title: str) -> Any:
    sweeps = {dt: sweep(text, point, i, output, dt) for dt in dtypes(precision)}
    best = overlay("best steps", lambda: pd.concat([best_steps(text, point, i, output, dt) for dt in sweeps],
                                                   ignore_index=True))
    default = overlay("default steps", lambda: default_steps(text, point, i, output)) if "float64" in sweeps else None
    return plots.error_figure(sweeps, best, 10.0**exponent, model, title, default)


@_cache.memo
def at_step(text: str, point: tuple[float, ...], i: int, output: int, precision: str, exponent: int) -> pd.DataFrame:
    ref = basics(text, point, i, output)["reference"]
    wl = dz.parse(text).wengert
    frames = [numeric.error_sweep(wl, point, ref, i, output, eps=[10.0**exponent], dtype=np.dtype(dt))
              .assign(precision=dt) for dt in dtypes(precision)]
    return pd.concat(frames, ignore_index=True)[["precision", "scheme", "eps", "estimate", "error", "rel_error"]]


# --- formatting ----------------------------------------------------------------------------------------


def bound(v: float) -> str:
    """A model input for display: ``higher.bounds_at`` stores an exact 0 as 1e-300 (to draw it on a log axis)."""
    return "0" if v <= 1e-290 else f"{v:.3g}"


def short(v: float) -> str:
    """A number for a metric, whose box cuts off text past about nine characters at 1024 pixels."""
    for digits in (12, 9, 7, 5, 3):
        text = _ui.fmt(v, digits)
        if len(text) <= 9:
            return text
    return text


def full(v: float) -> str:
    return f"All digits: {float(v)!r}"


def sci(v: Any, digits: int = 2) -> str:
    """A step or an error as the tables show it; nan (no value) as a dash."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return "–"
    return "–" if np.isnan(x) else f"{x:.{digits}e}"


# --- the parts -------------------------------------------------------------------------------------


def default_step_table(text: str, point: tuple[float, ...], i: int, output: int, wrt: str) -> None:
    """How each scheme chose its default step here, what it achieved, and the warnings of its Result."""
    st.markdown("#### The default step, chosen for this function")
    d = default_steps(text, point, i, output)
    b = basics(text, point, i, output)["bounds"]
    rows = []
    for _, r in d.iterrows():
        if r.get("message"):
            rows.append({"scheme": r["scheme"], "h": "–", "relative error": "–", "pilots, evaluations": "–",
                         "curvature (pilot)": r["message"], "curvature (exact)": "", "noise ε_f": ""})
            continue
        exact = b.d3 if r["scheme"] == "central" else b.d2
        which = "|f‴|" if r["scheme"] == "central" else "|f″|"
        rows.append({"scheme": r["scheme"], "h": sci(r["eps"]), "relative error": sci(r["rel_error"], 1),
                     "pilots, evaluations": f"{int(r['pilots'])}" + ("" if r["settled"] else " (not settled)")
                     + f", {int(r['evals'])}", "curvature (pilot)": f"{which} ≈ {r['curvature']:.3g}",
                     "curvature (exact)": bound(exact), "noise ε_f": sci(r["noise"], 1)})
    st.table(pd.DataFrame(rows), hide_index=True)
    st.caption(f"Along {_ui.md(wrt)}: a pilot difference with a step H a few times the h it predicts estimates "
               "|f″| (forward, backward) or |f‴| (central); ε_f is the rounding error of f, carried along the "
               "Wengert list. Then h = 2√(ε_f/|f″|) or (3ε_f/|f‴|)^⅓, which balances truncation against "
               "rounding; the pilot is repeated until h/H settles. The exact curvature is by nested forward "
               "mode, for comparison only.")
    for scheme, ws in numeric_warnings(text, point).items():
        if ws:
            st.markdown(f"**{scheme} differences at their default step** (every input):")
            _ui.warnings_block(ws)


def estimates_table(text: str, point: tuple[float, ...], i: int, output: int, precision: str, exponent: int) -> None:
    st.markdown(f"#### Estimates at h = 1e{exponent}")
    cur = at_step(text, point, i, output, precision, exponent)
    show = cur.assign(estimate=[_ui.fmt(v) for v in cur["estimate"]], error=[sci(v) for v in cur["error"]],
                      rel_error=[sci(v) for v in cur["rel_error"]]).drop(columns=["eps"])
    if precision != "both":
        show = show.drop(columns=["precision"])
    st.table(show.rename(columns={"rel_error": "relative error"}), hide_index=True)


def best_step_table(text: str, point: tuple[float, ...], i: int, output: int, precision: str) -> None:
    st.markdown("#### Best step of each scheme")
    best = pd.concat([best_steps(text, point, i, output, dt) for dt in dtypes(precision)], ignore_index=True)
    notes = [("any smaller step is as good" if r["scheme"] == "complex" and r["how"] == "fit" else HOW[r["how"]])
             for _, r in best.iterrows()]
    show = pd.DataFrame({"precision": best["precision"], "scheme": best["scheme"],
                         "best h (fitted V)": [sci(v, 1) for v in best["eps"]],
                         "typical error there": [sci(v) for v in best["fit_error"]],
                         "error measured at that h": [sci(v) for v in best["error"]],
                         "best h (model)": [sci(v, 1) for v in best["model_eps"]], "note": notes})
    if precision != "both":
        show = show.drop(columns=["precision"])
    if not any(notes):
        show = show.drop(columns=["note"])
    st.table(show, hide_index=True)
    st.caption(BEST_CAPTION)


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
    text, point = c.text, c.point
    y = outs[out_i]
    b = basics(text, point, i, out_i)  # without an exact derivative there is no error to show: run_page says why
    m1, m2, m3 = st.columns(3)
    m1.metric(f"{_ui.md(y)} at the point", short(b["value"]), help=full(b["value"]))
    m2.metric(f"exact ∂{_ui.md(y)}/∂{_ui.md(wrt)} (reverse-mode AD)", short(b["reference"]), help=full(b["reference"]))
    m3.metric("step h on the slider", f"1e{exponent}")
    _ui.warnings_block(b["warnings"])
    if b["missing"]:
        st.warning(_ui.md("f has no derivative at this point, so there is no exact value for the estimates to "
                          "approach: the error plot and the best steps need one. Below, what each scheme does with "
                          "its default step. Reverse mode says: " + graph.pretty(b["missing"])),
                   icon=":material/warning:")
        part("The default-step table", lambda: default_step_table(text, point, i, out_i, wrt))
        return

    title = f"Error of ∂{y}/∂{wrt} at the point against the step"
    show_model = bool(st.session_state["model"])

    def plot() -> None:
        png = error_png(text, point, i, out_i, precision, exponent, show_model, title)
        _ui.figure_block(png, lambda: plots.to_svg(error_figure(text, point, i, out_i, precision, exponent,
                                                                show_model, title)), "numeric-error",
                         "Each scheme has its own colour, dash pattern and markers (curves that coincide stay "
                         "visible); float32 and float64 side by side in “both”. Dotted: the error model. Stars: each "
                         "scheme's best step, the bottom of a V fitted to its errors (see under the best-step "
                         "table). Diamonds: the step each scheme chooses by default. Ticks at the bottom: an error "
                         "of exactly 0.")

    part("The plot of error against step", plot)
    part("The default-step table", lambda: default_step_table(text, point, i, out_i, wrt))
    # The two tables one above the other: side by side, the best-step table is cut off at 1280 pixels.
    part("The table of estimates at the slider's step", lambda: estimates_table(text, point, i, out_i, precision,
                                                                                exponent))
    part("The best-step table", lambda: best_step_table(text, point, i, out_i, precision))
    bd = b["bounds"]
    st.caption(f"Model inputs along {_ui.md(wrt)} (exact, by nested forward mode): |f| = {bound(bd.f)}, "
               f"|f′| = {bound(bd.d1)}, |f″| = {bound(bd.d2)}, |f‴| = {bound(bd.d3)}, |f⁽⁵⁾| = {bound(bd.d5)}.")

    def downloads() -> None:
        sweeps = pd.concat([sweep(text, point, i, out_i, dt).assign(precision=dt) for dt in dtypes(precision)])
        files = [("Sweep (CSV)", sweeps.to_csv(index=False), "error-sweep.csv", "text/csv")]
        best = overlay("best steps", lambda: pd.concat([best_steps(text, point, i, out_i, dt)
                                                        for dt in dtypes(precision)], ignore_index=True))
        if best is not None:
            files.append(("Best steps (CSV)", best.to_csv(index=False), "best-steps.csv", "text/csv"))
        _ui.downloads(files, key="sweep")

    part("The downloads", downloads)


_ui.run_page("Numeric differentiation: error against step", INTRO, body)

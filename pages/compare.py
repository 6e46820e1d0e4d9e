"""Compare & timing page: every method on the typed function, side by side, and what each costs."""

from __future__ import annotations

import importlib.util
from typing import Any

import pandas as pd
import streamlit as st

import diffzoo as dz
from diffzoo import compare, graph
from pages import _cache, _ui

INTRO = (
    "All four methods on the same function and point. **Symbolic** differentiates the expression, "
    "**numeric** (central differences) estimates from nearby values, **forward** mode makes one pass "
    "per input, **reverse** mode one sweep per output. Errors are measured against the derivative "
    "evaluated with 50 significant digits. Timings are measured only when you ask (median of repeated, "
    "interleaved rounds) and are never cached: they are this machine, now."
)


@_cache.memo
def comparison(text: str, point: tuple[float, ...]) -> tuple[pd.DataFrame, str]:
    """The side-by-side table, and a note when the 50-digit reference cannot be computed here."""
    f = _ui.parsed(text)
    try:
        return compare.compare(f, list(point)), ""
    except (ArithmeticError, TypeError, ValueError) as exc:
        note = (f"The 50-digit reference cannot be computed at this point ({type(exc).__name__}); "
                "the methods' own answers are shown without errors.")
    rows = []
    for m in dz.METHODS:
        try:
            r = dz.differentiate(f, list(point), m)
        except (dz.EvaluationError, ArithmeticError, ValueError) as exc:
            rows.append({"method": m, "value": "—", "note": graph.pretty(str(exc))[:120]})
            continue
        row: dict[str, Any] = {"method": m, "value": r.value}
        for j, y in enumerate(f.wengert.output_names()):
            for i, v in enumerate(f.variables):
                row[f"∂{y}/∂{v}"] = float(r.jacobian[j, i])
        row.update({"passes": r.cost.passes, "function evals": r.cost.function_evals,
                    "warnings": " ".join(r.warnings)})
        rows.append(row)
    return pd.DataFrame(rows), note


def _timing() -> Any:
    try:
        from diffzoo import timing
    except ImportError:
        return None
    return timing


def _has_compiler() -> bool:
    return importlib.util.find_spec("diffzoo.compile") is not None


def measure(timing: Any, c: _ui.Ctx, repeats: int, compiled: bool) -> pd.DataFrame:
    """Time every method now (never cached); without the compiled rows if compilation fails."""
    if compiled:
        try:
            return timing.time_methods(c.function, list(c.point), repeats=repeats, compiled=True)
        except Exception as exc:  # compiled code is an extra; fall back to the interpreters
            st.caption(f"Compiled methods not timed ({type(exc).__name__}).")
    return timing.time_methods(c.function, list(c.point), repeats=repeats, compiled=False)


def _ask(flag: str) -> None:
    st.session_state[flag] = True


COSTS = ["max rel. error", "passes", "function evals", "primitive evals", "derivative rules", "note", "warnings"]
WARNED = "⚠ below"


def derivative_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Values and partial derivatives with one column per method: as many rows as partials, never too wide.

    Output names y_1, y_2 are written y₁, y₂ (``graph.pretty_names``)."""
    methods = [str(m) for m in df["method"]]
    rows: list[dict[str, str]] = []
    values = [v if isinstance(v, list) else [v] for v in df["value"]]
    n_out = max((len(v) for v in values), default=0)
    names = [c[1:].split("/∂")[0] for c in df.columns if str(c).startswith("∂")]
    outs = list(dict.fromkeys(names)) if names else ["y"]
    for j in range(n_out):
        label = graph.pretty_names(outs[j], outs) if j < len(outs) and n_out > 1 else "f"
        rows.append({"": f"{label} (value)", **{m: _ui.fmt(v[j]) if j < len(v) else "—"
                                                 for m, v in zip(methods, values, strict=True)}})
    for col in [c for c in df.columns if str(c).startswith("∂")]:
        rows.append({"": graph.pretty_names(col, outs),
                     **{m: _ui.fmt(v) for m, v in zip(methods, df[col], strict=True)}})
    return pd.DataFrame(rows)


def cost_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Accuracy and work of each method (one row per method)."""
    show = df[["method", *[c for c in COSTS if c in df]]].copy()
    for col in ("note", "warnings"):
        if col in show and not show[col].fillna("").astype(str).str.strip().any():
            show = show.drop(columns=[col])
    if "note" in show:  # v₁ = ln v₋₁, as the other pages write the steps
        show["note"] = [graph.pretty(str(v)) if pd.notna(v) else "" for v in show["note"]]
    if "warnings" in show:  # the sentences go under the table, beside the numbers; the table says which rows
        show["warnings"] = [WARNED if str(w).strip() else "" for w in show["warnings"].fillna("")]
    for col in show.columns:
        if col == "max rel. error":
            show[col] = ["—" if pd.isna(v) else f"{v:.1e}" if v else "0 (exact)" for v in show[col]]
        elif col in ("passes", "function evals", "primitive evals", "derivative rules"):
            show[col] = [str(int(v)) if pd.notna(v) else "—" for v in show[col]]
    return show


def show_comparison(df: pd.DataFrame) -> None:
    # Two tables instead of one: methods as columns for the numbers (a function of 12 variables adds rows,
    # not columns that run off the page), and one row per method for accuracy and cost.
    st.markdown("#### Value and derivatives, by method")
    st.table(derivative_rows(df), hide_index=True)
    st.markdown("#### Accuracy and work")
    st.table(cost_rows(df), hide_index=True)
    show_warnings(df)


def show_warnings(df: pd.DataFrame) -> None:
    """Each method's ``Result.warnings`` (the ``warnings`` column), the methods that say the same thing together."""
    if "warnings" not in df:
        return
    said: dict[str, list[str]] = {}
    for m, w in zip(df["method"], df["warnings"].fillna(""), strict=True):
        if str(w).strip():
            said.setdefault(str(w), []).append(str(m))
    for w, methods in said.items():
        _ui.warnings_block([f"{', '.join(methods)}: {w}"])


def body(c: _ui.Ctx) -> None:
    st.markdown("### Every method, side by side")
    with _ui.part("the comparison of the methods"):
        df, note = comparison(c.text, c.point)
        if note:
            st.warning(note, icon=":material/info:")
        show_comparison(df)
        _ui.downloads([("Comparison (CSV)", lambda: df.to_csv(index=False), "comparison.csv", "text/csv")],
                      key="cmp")
    st.caption("passes: forward passes or reverse sweeps; function evals: whole evaluations of f (numeric: the "
               "value, 2 per input for the central differences, and 4 per pilot that chose each input's step); "
               "primitive evals: primitive values computed; derivative rules: partial-derivative rules applied.")

    timing = _timing()
    st.markdown("### Timing")
    if timing is None:
        st.info("Timings need the module diffzoo.timing, which is not installed in this version.",
                icon=":material/timer:")
        return
    compiled = _has_compiler()
    left, right = st.columns(2)
    with left:
        st.markdown("#### This function, every method")
        _ui.url_setting("repeats", 7, int, lambda v: 3 <= v <= 51 and v % 2 == 1)
        repeats = st.slider("Repeats (median of interleaved rounds)", 3, 51, step=2, key="repeats")
        # A callback, not the button's return value: a rerun of the script (a URL update) cannot swallow the press.
        st.button("Measure timings", key="measure", type="primary", on_click=_ask, args=("_measure_now",))
        if st.session_state.pop("_measure_now", False):
            with st.spinner("Measuring…"), _ui.part("the timings"):
                st.session_state["_timings"] = (c.text, c.point, measure(timing, c, repeats, compiled))
        res = st.session_state.get("_timings")
        if res and res[0] == c.text and res[1] == c.point:
            t = res[2]
            _ui.plot("bar", t, "Median time for the full derivative", "seconds (log scale)", name="timings")
            st.table(t.assign(median_s=[f"{v * 1e6:,.1f} µs" for v in t["median_s"]],
                              min_s=[f"{v * 1e6:,.1f} µs" for v in t["min_s"]])
                     .rename(columns={"median_s": "median", "min_s": "min"}), hide_index=True)
            st.caption("Each time is one whole call of diffzoo.differentiate: the derivative and the result around "
                       "it (value, Jacobian, counts). For a function of a few steps those fixed microseconds "
                       "dominate, so compiled and interpreted code come out close; the scaling chart shows them apart.")
            _ui.downloads([("Timings (CSV)", lambda: t.to_csv(index=False), "timings.csv", "text/csv")],
                          key="timings")
        else:
            st.caption("Press the button to measure (takes a moment; nothing is cached).")
    with right:
        st.markdown("#### Scaling: full gradient of Σ sin(xᵢ)·xᵢ₊₁ as n grows")
        _ui.url_setting("scale_n", 64, int, lambda v: v in (16, 32, 64, 128, 256))
        n_top = st.select_slider("Largest n", [16, 32, 64, 128, 256], key="scale_n")
        st.button("Measure scaling", key="scale", on_click=_ask, args=("_scale_now",))
        if st.session_state.pop("_scale_now", False):
            if not compiled:
                st.info("The scaling chart needs diffzoo.compile (source-to-source compilation), "
                        "which is not installed in this version.")
            else:
                ns = [n for n in (2, 4, 8, 16, 32, 64, 128, 256) if n <= n_top]
                with st.spinner("Measuring…"):
                    try:
                        st.session_state["_scaling"] = timing.scaling(ns=ns, repeats=3)
                    except Exception as exc:  # the timing module is optional here; say so, keep the page
                        st.warning(f"The scaling measurement failed ({type(exc).__name__}).")
        sc = st.session_state.get("_scaling")
        if sc is not None:
            _ui.plot("lines", sc, "n", "seconds", "method", "Time for the full gradient against n", "n inputs",
                     "seconds", name="scaling",
                     caption="Reverse mode stays a small multiple of one evaluation; forward and numeric grow as n.")
            _ui.downloads([("Scaling (CSV)", sc.to_csv(index=False), "scaling.csv", "text/csv")], key="scaling")
        st.markdown("#### Vector functions: forward against reverse as n and m change")
        st.button("Measure the crossover", key="cross", on_click=_ask, args=("_cross_now",))
        if st.session_state.pop("_cross_now", False):
            with st.spinner("Measuring…"), _ui.part("the crossover"):
                st.session_state["_cross"] = timing.crossover(ns=(1, 2, 4, 8, 16), ms=(1, 2, 4, 8, 16), repeats=3)
        cr = st.session_state.get("_cross")
        if cr is not None:
            _ui.plot("crossover", cr, name="crossover",
                     caption="Forward mode needs n passes, reverse mode m sweeps: reverse wins when m < n.")
            _ui.downloads([("Crossover (CSV)", cr.to_csv(index=False), "crossover.csv", "text/csv")], key="cross")


_ui.run_page("Compare the methods, and time them", INTRO, body)

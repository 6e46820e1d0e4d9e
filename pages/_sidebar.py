"""The sidebar every page shares: the examples, the function box and one box per variable for the point.

``app.py`` calls :func:`sidebar` on every run, before the chosen page runs: it parses the function
(through the shared cache), reads the point and checks that f has a value there, and leaves a :class:`Ctx`
in the session state for the page (:func:`ctx`). What was typed always stays in its box: a function that
does not parse keeps its text and gets the parser's message with a caret under the box, and a point box is
read by :func:`read_number`, an allow-list of decimal numbers (never evaluated), with a sentence under the
boxes saying what is wrong. Errors are kept as the exceptions diffzoo raised, and drawn from them.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st

import diffzoo as dz
from diffzoo import fmt
from diffzoo.api import as_point
from diffzoo.graph import pretty
from diffzoo.parse import Function
from diffzoo.points import read_number
from pages import _cache, _url
from pages._render import md, parse_error

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_FILE = ROOT / "assets" / "examples.json"
CUSTOM = "(your own function)"
log = logging.getLogger("diffzoo.app")


@st.cache_data
def examples() -> list[dict[str, Any]]:
    """The ready examples, from ``assets/examples.json`` (name, text, point, note)."""
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))["examples"]


@dataclass
class Ctx:
    """The function and point every page works on, or why there is none.

    ``error`` is the exception itself: the :class:`~diffzoo.errors.ParseError` of a function that does not
    parse (its caret drawn from it), or the error of evaluating f at the point. ``point_errors`` says, per
    variable, what is wrong with its box; ``function`` is set only once the point is complete.
    """

    text: str
    function: Function | None = None
    point: tuple[float, ...] = ()
    error: Exception | None = None
    note: str = ""
    variables: tuple[str, ...] = field(default_factory=tuple)
    point_errors: dict[str, str] = field(default_factory=dict)  # variable -> what is wrong with its box

    @property
    def ok(self) -> bool:
        return self.function is not None and self.error is None and not self.point_errors

    @property
    def point_dict(self) -> dict[str, float]:
        return dict(zip(self.variables, self.point, strict=True))

    @property
    def outputs(self) -> list[str]:
        return self.function.wengert.output_names() if self.function else []


def ctx() -> Ctx:
    """What the sidebar left for this run (a note to type a function if it has not run)."""
    c = st.session_state.get("_ctx")
    return c if isinstance(c, Ctx) else Ctx(text="", error=dz.ParseError("no function yet"))


# --- the point boxes -------------------------------------------------------------------------------

POINT_HELP = ("A decimal number with a point: 2, -0.5, 1e-3, 6.02e23; or pi or e (with a sign). A comma is "
              "not read (1,5 could mean 1.5 or 15): write 1.5. Press Enter to apply.")


# --- the sidebar ----------------------------------------------------------------------------------


def _pick_example() -> None:
    """Callback of the examples selector: load the example's text and point."""
    name = st.session_state.get("example")
    for ex in examples():
        if ex["name"] == name:
            st.session_state["fn"] = ex["text"]
            for v, x in ex["point"].items():
                st.session_state[f"pt_{v}"] = fmt.exact(float(x))
            st.session_state["_example_point"] = {k: float(x) for k, x in ex["point"].items()}


def _initial_text(v: str) -> str:
    """What the point box of ``v`` holds on a fresh page: the URL's text as it is (a wrong one is shown with its
    message, never replaced), else the example's value, else 1."""
    raw = _url.qp(f"at_{v}")
    if raw is not None:
        return raw[:200]
    pts = st.session_state.get("_example_point") or {}
    if v in pts:
        return fmt.exact(pts[v])
    for ex in examples():
        if ex["text"] == st.session_state.get("fn") and v in ex["point"]:
            return fmt.exact(float(ex["point"][v]))
    return "1"


def parsed(text: str) -> Function:
    """The function typed (shared by every session and page; a parse error is raised each time, never kept)."""
    return _cache.call(dz.parse, text)


def sidebar() -> Ctx:
    """Draw the examples selector, the function box and the point; return the parsed context."""
    from pages._frame import leave_multipage_v1

    leave_multipage_v1()
    _url.follow_history()
    exs = examples()
    if "fn" not in st.session_state:
        st.session_state["fn"] = _url.qp("fn") if _url.qp("fn") is not None else exs[0]["text"]
    text = st.session_state["fn"]
    names = [e["name"] for e in exs]
    match = next((e for e in exs if e["text"] == text), None)
    st.session_state["example"] = match["name"] if match else CUSTOM

    sb = st.sidebar
    sb.selectbox("Example", [CUSTOM, *names], key="example", on_change=_pick_example,
                 help="Ready examples; pick one to load its function and point.")
    sb.text_area("Function f(x) — separate outputs with commas", key="fn", height=110,
                 help="Arithmetic + - * / ^, functions such as sin, cos, exp, ln, sqrt, sigmoid; "
                      "variables such as x, x1, w_2. Press Ctrl+Enter (or click outside) to apply.")
    ctx = Ctx(text=text, note=match["note"] if match else "")
    fn: Function | None = None
    try:
        fn = parsed(text)
    except dz.ParseError as exc:
        ctx.error = exc
    except Exception as exc:  # the parser should only raise ParseError; never show a traceback
        log.exception("parse failed")
        ctx.error = dz.ParseError(f"this function cannot be read ({type(exc).__name__})")
    if isinstance(ctx.error, dz.ParseError):  # a narrow window around the caret (the sidebar is narrow)
        parse_error(ctx.error, "This is not a function diffzoo can read:", sidebar=True)
    variables = tuple(fn.variables) if fn else tuple(st.session_state.get("_last_vars", ()))
    if fn:
        st.session_state["_last_vars"] = variables
        _url.note("fn", text)
    ctx.variables = variables
    values: list[float] = []
    if variables:
        sb.markdown("**Point**")
        cols = sb.columns(2) if len(variables) > 1 else [sb]
        for k, v in enumerate(variables[:100]):
            key = f"pt_{v}"
            if not isinstance(st.session_state.get(key), str):
                st.session_state[key] = _initial_text(v)
            col = cols[k % len(cols)]
            col.text_input(v, key=key, help=POINT_HELP, max_chars=200)
            typed = st.session_state[key]
            try:
                values.append(read_number(typed))
            except ValueError as exc:
                ctx.point_errors[v] = str(exc)
                values.append(math.nan)
            if fn:
                _url.note(f"at_{v}", typed.strip())
        for v, message in ctx.point_errors.items():  # under the boxes, the sidebar's whole width: readable
            sb.error(f"**{md(v)}**: {md(message)}", icon=":material/edit:")
    if fn and not ctx.point_errors:
        ctx.function, ctx.point = fn, tuple(values)
        try:
            fn.wengert.evaluate(as_point(fn, ctx.point_dict))
        except (dz.EvaluationError, dz.PointError, ValueError) as exc:
            ctx.error = exc
            sb.error("f cannot be evaluated at this point:", icon=":material/warning:")
            sb.code(pretty(str(exc)), language=None, wrap_lines=True)
    if ctx.note and ctx.ok:
        sb.caption(ctx.note)
    st.session_state["_ctx"] = ctx
    return ctx

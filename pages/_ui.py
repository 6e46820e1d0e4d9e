"""What every page shares: the sidebar's function and point, URL state, page framing and downloads.

``app.py`` calls :func:`sidebar` on every run, before the chosen page runs; it parses the
function, checks the point and leaves a :class:`Ctx` in the session state. A page calls
:func:`run_page` with its body: the body gets a ready ``Ctx`` or is replaced by a friendly note
when the function needs fixing, and any unexpected exception becomes a short message rather
than a traceback; inside a body, :func:`part` does the same for one part of the page, so a graph that
cannot be drawn leaves the tables and the code standing. Settings live in the URL (``st.query_params``)
so a shared link reopens the view. The point is typed as text and read by :func:`read_number`, an
allow-list of decimal numbers: what was typed stays in its box, and a message under it says what is wrong.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import diffzoo as dz
from diffzoo.api import as_point
from diffzoo.errors import caret
from diffzoo.graph import pretty
from diffzoo.parse import Function
from pages import _cache

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_FILE = ROOT / "assets" / "examples.json"
CUSTOM = "(your own function)"
SIDEBAR_CARET = 20  # columns of the function shown around the caret in the sidebar (no sideways scrolling)
log = logging.getLogger("diffzoo.app")


@st.cache_data
def examples() -> list[dict[str, Any]]:
    """The ready examples, from ``assets/examples.json`` (name, text, point, note)."""
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))["examples"]


@dataclass
class Ctx:
    """The function and point every page works on (or why there is none)."""

    text: str
    function: Function | None = None
    point: tuple[float, ...] = ()
    error: str | None = None  # a parse error (with its caret) or an evaluation error
    error_kind: str = ""
    error_parts: tuple[str, str, int, str] | None = None  # a parse error's message, text, position, hint
    note: str = ""
    variables: tuple[str, ...] = field(default_factory=tuple)
    point_errors: dict[str, str] = field(default_factory=dict)  # variable -> what is wrong with its box

    @property
    def ok(self) -> bool:
        return self.function is not None and self.error is None

    @property
    def point_dict(self) -> dict[str, float]:
        return dict(zip(self.variables, self.point, strict=True))

    @property
    def outputs(self) -> list[str]:
        return self.function.wengert.output_names() if self.function else []


# --- URL state ---------------------------------------------------------------------------------------


def _qp(key: str) -> str | None:
    try:
        v = st.query_params.get(key)
    except Exception:  # a malformed query string is ignored, never shown
        return None
    return v if isinstance(v, str) and len(v) <= 20_000 else None


def url_setting(key: str, default: Any, cast: Callable[[str], Any] = str,
                allowed: Callable[[Any], bool] | None = None) -> Any:
    """A widget key initialised from the URL on first load, and written back to the URL on every run.

    Call before the widget with ``key=key`` (and no ``value=``) is drawn.
    """
    if key not in st.session_state:
        value = default
        raw = _qp(key)
        if raw is not None:
            try:
                v = cast(raw)
                if allowed is None or allowed(v):
                    value = v
            except (ValueError, TypeError):
                pass
        st.session_state[key] = value
    value = st.session_state[key]
    _write_qp(key, value)
    return value


def _write_qp(key: str, value: Any) -> None:
    """Note ``key=value`` for the URL; :func:`flush_url` writes the whole view at once, at the end of the run."""
    want = st.session_state.setdefault("_qp_want", {})
    want[key] = _fmt_qp(value)


def _url_now() -> dict[str, str]:
    try:
        return {k: v for k, v in st.query_params.to_dict().items() if isinstance(v, str)}
    except Exception:  # a malformed query string is ignored, never shown
        return {}


def follow_history() -> None:
    """Adopt the URL when the browser's Back or Forward button changed it, so the previous view comes back.

    Streamlit reruns the script with the old address after Back, but the widgets keep their state;
    in a run that Streamlit marks as a history navigation, the URL differing from what the last run
    wrote tells that the address was navigated to, so the settings it holds are read again, as on a
    fresh page.
    """
    written = st.session_state.get("_qp_written")
    st.session_state["_qp_want"] = {}
    now = _url_now()
    if written is None or not now or now == written:  # a page change arrives with an empty query string
        return
    if not is_history_navigation():
        # Any other run may carry the address from before the last run's URL update reached the browser
        # (a key press 0.15 s after the last one, over a slow network): taking that stale address for
        # Back reset every setting to it, and arrow presses on a slider were lost (issue 10, C20).
        return
    for k in set(now) | set(written):
        if k == "fn":
            continue
        key = f"pt_{k[3:]}" if k.startswith("at_") else k
        if key in st.session_state and not key.startswith("_"):
            del st.session_state[key]
    if "fn" in now and len(now["fn"]) <= 20_000:
        st.session_state["fn"] = now["fn"]
        st.session_state.pop("_example_point", None)
    st.session_state["_qp_written"] = now


def is_history_navigation() -> bool:
    """Whether this run was asked for by the browser's Back or Forward button (Streamlit says so)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    run = get_script_run_ctx()
    return bool(getattr(run, "is_history_navigation", False))


def flush_url(points_set: bool = True, write: bool = True) -> None:
    """Write the view's settings to the URL in one change (one entry in the browser's history).

    What the URL holds and this run did not set stays (another page's settings, so a shared link keeps
    them), except the point's ``at_`` entries when this run set the point (``points_set``): those of
    variables the function no longer has go.

    ``write=False`` (the run after a page switch) leaves the URL alone. A page switch arrives with no query
    string, and the browser moves to the new page's address around this run: a query written in it reached
    the browser either before the move (at the old page's address) or after it, a second history entry
    either way, so Back needed two presses (issue 10, C24). Streamlit keeps across a switch only the
    parameters bound to widgets (``bind="query-params"``), so the new page's address holds the function and
    the point again from the next change on (the session holds them meanwhile).
    """
    now = _url_now()
    if not write:
        st.session_state["_qp_written"] = now
        return
    want = dict(st.session_state.get("_qp_want") or {})
    merged = {k: v for k, v in now.items() if not (points_set and k.startswith("at_"))}
    merged.update(want)
    if merged != now:
        st.query_params.from_dict(merged)
    st.session_state["_qp_written"] = merged


def _fmt_qp(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def as_bool(s: str) -> bool:
    return s.strip().lower() in ("1", "true", "yes", "on")


def finite_float(s: str) -> float:
    v = float(s)
    if not math.isfinite(v):
        raise ValueError("not finite")
    return v


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_CONSTANTS = {"pi": math.pi, "π": math.pi, "e": math.e}
MAX_NUMBER_CHARS = 60
POINT_HELP = ("A decimal number with a point: 2, -0.5, 1e-3, 6.02e23; or pi or e (with a sign). A comma is "
              "not read (1,5 could mean 1.5 or 15): write 1.5. Press Enter to apply.")


def read_number(text: str) -> float:
    """The number typed in a point box, by an allow-list (never evaluated); ValueError says what would work.

    Read: decimals with an optional sign and exponent (``-0.5``, ``.5``, ``1e-3``), a Unicode minus,
    ``pi``/``π``/``e`` with an optional sign. Refused, with a sentence: nothing, a decimal comma,
    ``nan``, infinities and numbers beyond the largest float, numbers so small they would become 0,
    and anything else.
    """
    t = str(text).strip().replace("\u2212", "-")
    if not t:
        raise ValueError("this box is empty: type a number, such as 2 or -0.5")
    shown = t if len(t) <= 20 else t[:20] + "…"
    if len(t) > MAX_NUMBER_CHARS:
        raise ValueError(f"'{shown}' is too long for a number (at most {MAX_NUMBER_CHARS} characters)")
    sign, body = (-1.0, t[1:].strip()) if t[0] == "-" else (1.0, t[1:].strip()) if t[0] == "+" else (1.0, t)
    if body.lower() in _CONSTANTS:
        return sign * _CONSTANTS[body.lower()]
    if _NUMBER.fullmatch(t) is None:
        low = t.lower().lstrip("+-")
        if low in ("nan", "inf", "infinity", "∞"):
            raise ValueError(f"'{shown}' is not a finite number; f and its derivatives need one, such as 2.5")
        if "," in t and _NUMBER.fullmatch(t.replace(",", ".", 1)) and t.count(",") == 1:
            raise ValueError(f"'{shown}' has a comma: write the decimal with a point, e.g. "
                             f"{t.replace(',', '.', 1)} (a comma is not read, as 1,5 could mean 1.5 or 15)")
        raise ValueError(f"'{shown}' is not a number: type digits with an optional point and exponent, "
                         "such as 2, -0.5 or 1e-3 (or pi)")
    v = float(t)
    if not math.isfinite(v):
        raise ValueError(f"'{shown}' is beyond the largest float (about 1.8e308): type a smaller number")
    if v == 0 and any(c in "123456789" for c in t.lower().split("e")[0]):
        raise ValueError(f"'{shown}' is below the smallest float (about 4.9e-324) and would become 0: "
                         "type 0 if you mean 0, or a larger number")
    return v


def number_text(x: float) -> str:
    """A point coordinate as its box shows it: ``2`` for 2.0, ``0.2``, ``1e-300`` (repr, shortest)."""
    r = repr(float(x))
    return r[:-2] if r.endswith(".0") else r


# --- the sidebar ----------------------------------------------------------------------------------


def _pick_example() -> None:
    """Callback of the examples selector: load the example's text and point."""
    name = st.session_state.get("example")
    for ex in examples():
        if ex["name"] == name:
            st.session_state["fn"] = ex["text"]
            for v, x in ex["point"].items():
                st.session_state[f"pt_{v}"] = number_text(float(x))
            st.session_state["_example_point"] = {k: float(x) for k, x in ex["point"].items()}


def _initial_text(v: str) -> str:
    """What the point box of ``v`` holds on a fresh page: the URL's text as it is (a wrong one is shown with its
    message, never replaced), else the example's value, else 1."""
    raw = _qp(f"at_{v}")
    if raw is not None:
        return raw[:200]
    pts = st.session_state.get("_example_point") or {}
    if v in pts:
        return number_text(pts[v])
    for ex in examples():
        if ex["text"] == st.session_state.get("fn") and v in ex["point"]:
            return number_text(float(ex["point"][v]))
    return "1"


@_cache.memo
def parsed(text: str) -> Function:
    """The function typed (shared by every session and page; a parse error is raised each time, never kept)."""
    return dz.parse(text)


def leave_multipage_v1() -> None:
    """Make sure ``app.py`` and its ``st.navigation`` run, even on a fresh server's first request.

    A ``pages/`` folder beside the entrypoint makes Streamlit start in its old multipage mode,
    which runs a page file on its own (no sidebar, no function) when the first request after a
    start is a deep link such as ``/numeric``. ``st.navigation`` switches that mode off for good;
    this switches it off before anything is drawn and reruns, so the entrypoint runs first.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def sidebar() -> Ctx:
    """Draw the examples selector, the function box and the point; return the parsed context."""
    leave_multipage_v1()
    follow_history()
    exs = examples()
    if "fn" not in st.session_state:
        st.session_state["fn"] = _qp("fn") if _qp("fn") is not None else exs[0]["text"]
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
    try:
        fn = parsed(text)
    except dz.ParseError as exc:
        ctx.error, ctx.error_kind = str(exc), "parse"
        if isinstance(getattr(exc, "text", None), str):
            ctx.error_parts = (str(exc.message), exc.text, int(exc.pos), str(exc.hint or ""))
            ctx.error = parse_error_text(ctx.error_parts)
        fn = None
    except Exception as exc:  # the parser should only raise ParseError; never show a traceback
        log.exception("parse failed")
        ctx.error, ctx.error_kind = f"this function cannot be read ({type(exc).__name__})", "parse"
        fn = None
    if ctx.error:
        sb.error("This is not a function diffzoo can read:", icon=":material/warning:")
        if ctx.error_parts:  # a narrow window around the caret (the sidebar is narrow), the words wrapped
            message, bad, pos, hint = ctx.error_parts
            sb.code(caret(bad, pos, width=SIDEBAR_CARET), language=None)
            sb.caption(md(f"{message} (at position {pos + 1}). {hint}".strip()))
        else:
            sb.code(ctx.error, language=None, wrap_lines=True)
    variables = tuple(fn.variables) if fn else tuple(st.session_state.get("_last_vars", ()))
    if fn:
        st.session_state["_last_vars"] = variables
        _write_qp("fn", text)
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
                _write_qp(f"at_{v}", typed.strip())
        for v, message in ctx.point_errors.items():  # under the boxes, the sidebar's whole width: readable
            sb.error(f"**{md(v)}**: {md(message)}", icon=":material/edit:")
    if fn and ctx.point_errors:
        bad = ", ".join(md(v) for v in ctx.point_errors)
        ctx.error, ctx.error_kind = f"the point is not complete: fix {bad} in the sidebar", "value"
    elif fn:
        ctx.function, ctx.point = fn, tuple(values)
        try:
            pt = as_point(fn, ctx.point_dict)
            fn.wengert.evaluate(pt)
        except (dz.EvaluationError, dz.PointError, ValueError) as exc:
            ctx.error, ctx.error_kind = pretty(str(exc)), "point"
            sb.error("f cannot be evaluated at this point:", icon=":material/warning:")
            sb.code(ctx.error, language=None, wrap_lines=True)
    if ctx.note and not ctx.error:
        sb.caption(ctx.note)
    st.session_state["_ctx"] = ctx
    return ctx


def parse_error_text(parts: tuple[str, str, int, str], width: int = 70) -> str:
    """A parse error as the main area shows it: message, the text with a caret under the position, hint."""
    message, bad, pos, hint = parts
    return "\n".join(x for x in (f"{message} (at position {pos + 1})", caret(bad, pos, width), hint) if x)


def ctx() -> Ctx:
    c = st.session_state.get("_ctx")
    return c if isinstance(c, Ctx) else Ctx(text="", error="no function yet", error_kind="parse")


# --- page framing -------------------------------------------------------------------------------------


def run_page(title: str, intro: str, body: Callable[[Ctx], None], needs_function: bool = True) -> None:
    """Title, a plain explanation, then the body; bad input and unexpected errors become short notes."""
    leave_multipage_v1()
    st.title(title)
    st.markdown(intro)
    c = ctx()
    if needs_function and not c.ok:
        if c.error_kind == "parse":
            if c.error_parts:  # the words wrap; the function and its caret stay on their own unwrapped lines
                message, bad, pos, hint = c.error_parts
                st.warning(md(f"Fix the function in the sidebar to see this page. diffzoo says: {message} "
                              f"(at position {pos + 1})"), icon=":material/edit:")
                st.code(caret(bad, pos, 70), language=None)
                if hint:
                    st.markdown(md(hint))
            else:
                st.warning("Fix the function in the sidebar to see this page. diffzoo says:", icon=":material/edit:")
                st.code(c.error or "", language=None, wrap_lines=True)
        elif c.error_kind == "value":
            st.warning("Fix the point in the sidebar to see this page: "
                       + "; ".join(f"{md(v)}: {md(e)}" for v, e in c.point_errors.items()) + ".",
                       icon=":material/edit:")
        else:
            st.warning("Choose another point in the sidebar: f has no value here. diffzoo says:",
                       icon=":material/edit:")
            st.code(c.error or "", language=None, wrap_lines=True)
        return
    try:
        body(c)
    except dz.LimitError as exc:
        st.warning("This function is too large for part of this page (the other pages and methods still work). "
                   "diffzoo says:", icon=":material/warning:")
        st.code(pretty(str(exc)), language=None, wrap_lines=True)
    except (dz.EvaluationError, dz.PointError, dz.ParseError) as exc:
        st.warning("diffzoo could not finish this page at this point (f may have a value here but no derivative): "
                   "choose another point in the sidebar. diffzoo says:", icon=":material/warning:")
        st.code(pretty(str(exc)), language=None, wrap_lines=True)
    except Exception as exc:  # no traceback ever reaches a page
        log.exception("page %s failed", title)
        st.error(f"Something went wrong while drawing this page ({type(exc).__name__}). "
                 "Try another function or point.", icon=":material/error:")


@contextlib.contextmanager
def part(what: str) -> Iterator[None]:
    """One part of a page (a graph, a table, the generated code): drawn, or a sentence saying why not.

    ``with _ui.part("the computational graph"): ...`` draws what the block draws; if the block raises,
    what it drew so far stays, a short note says why ``what`` is missing, and the rest of the page goes
    on. diffzoo's own errors give their message; anything else is logged and named, never a traceback.
    (Streamlit's reruns and stops are not exceptions of this kind and pass through.)
    """
    try:
        yield
    except dz.LimitError as exc:
        st.info(f"Not shown here: {md(what)}, as the function is too large for it. diffzoo says: "
                f"{md(pretty(str(exc)))}", icon=":material/info:")
    except (dz.EvaluationError, dz.PointError, dz.ParseError, ValueError, ArithmeticError) as exc:
        st.info(f"Not shown here: {md(what)}. diffzoo says: {md(pretty(str(exc)))}", icon=":material/info:")
    except Exception as exc:  # no traceback ever reaches a page
        log.exception("part %r failed", what)
        st.warning(f"Not shown here: {md(what)}, which could not be drawn ({type(exc).__name__}); "
                   "the rest of the page is unaffected.", icon=":material/warning:")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$])")


def md(text: Any) -> str:
    """Text with Markdown's special characters escaped: names like w_1 stay names, never formatting."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def fmt(v: Any, digits: int = 12) -> str:
    """A number as the tables show it (up to ``digits`` significant digits)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "—"
    return f"{x:.{digits}g}"


Data = bytes | str | Callable[[], bytes | str]


def downloads(items: list[tuple[str, Data, str, str]], key: str) -> None:
    """A row of download buttons: (label, data, file name, mime); data given as a function is made on click."""
    cols = st.columns(max(len(items), 1))
    for col, (label, data, name, mime) in zip(cols, items, strict=True):
        col.download_button(label, data, file_name=name, mime=mime, key=f"dl_{key}_{name}",
                            width="stretch", on_click="ignore")


def figure_block(png: bytes, svg: bytes | Callable[[], bytes], name: str, caption: str = "") -> None:
    """A figure as an image with PNG and SVG downloads under it (the SVG may be made only when asked for)."""
    st.image(png, caption=caption or None, width="stretch")
    downloads([("Download PNG", png, f"{name}.png", "image/png"),
               ("Download SVG", svg, f"{name}.svg", "image/svg+xml")], key=name)


def _figure(kind: str) -> Callable[..., Any]:
    """The maker of a figure in :mod:`diffzoo.plots`, imported when first drawn: matplotlib takes a second to
    load, and the first page after a start (Traces) draws no figure."""
    from diffzoo import plots

    if kind == "bar":
        return lambda df, title, xlabel: plots.bar_figure(list(df["method"]), list(df["median_s"]), title, xlabel)
    return {"lines": plots.lines_figure, "loss": plots.loss_figure, "crossover": plots.crossover_figure,
            "swell": plots.swell_figure}[kind]


@st.cache_data(max_entries=64, show_spinner=False)
def figure_png(kind: str, data: pd.DataFrame, args: tuple) -> bytes:
    """The PNG of a figure of given data (a picture of a measurement, not the measurement itself)."""
    from diffzoo import plots

    return plots.to_png(_figure(kind)(data, *args))


def plot(kind: str, data: pd.DataFrame, *args: Any, name: str, caption: str = "") -> None:
    """Draw a figure from :mod:`diffzoo.plots` with PNG/SVG downloads; the SVG is rendered on click."""
    from diffzoo import plots

    figure_block(figure_png(kind, data, tuple(args)), lambda: plots.to_svg(_figure(kind)(data, *args)), name,
                 caption)


def warnings_block(warnings: list[str] | tuple[str, ...], where: Any = None) -> None:
    """A method's ``Result.warnings`` (a kink, an untrusted step, lost digits), shown beside its numbers."""
    target = where if where is not None else st
    for w in dict.fromkeys(warnings):  # each sentence once, in order
        target.warning(md(pretty(str(w))), icon=":material/warning:")

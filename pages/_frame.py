"""A page's frame and its error policy: title, explanation, then the body; never a traceback.

:func:`run_page` draws the title and the plain explanation, then the body with the sidebar's
:class:`~pages._sidebar.Ctx`, or instead a note saying what to fix in the sidebar (the function that does
not parse, with its caret; the point box that is wrong; the point where f has no value). Inside a body,
each part of the page is drawn by :func:`show` (a part of a ``diffzoo.views`` view) or within :func:`part`
(a block that draws): a part that fails says why in one sentence and the rest of the page goes on.
diffzoo's own errors give their message; anything else is logged and named, as "X could not be drawn
here (...); the rest of the page is unaffected."
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import streamlit as st

import diffzoo as dz
from diffzoo.graph import FONT_SIZE, pretty
from diffzoo.views import Part
from pages import _sidebar
from pages._render import md, parse_error

T = TypeVar("T")
log = logging.getLogger("diffzoo.app")
#: diffzoo's own errors: a part they stop says what diffzoo says. Anything else is a defect, logged.
OWN = (dz.EvaluationError, dz.PointError, dz.ParseError)


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


# --- presentation mode and the projector's stylesheet ------------------------------------------------------

FONT_SIZES = (100, 125, 150, 200)  # per cent: the main area's zoom
THEMES = ("light", "dark")
#: Always: graph labels at the size the graph was laid out for (diffzoo.graph.FONT_SIZE), the graph at its
#: natural size, scrolling sideways inside its own box when wider than its column (never shrunk to 6 px).
BASE_CSS = f"""
[data-testid="stGraphVizChart"] {{ overflow-x: auto; overflow-y: hidden; }}
[data-testid="stGraphVizChart"] svg {{ max-width: none !important; width: auto !important; height: auto !important; }}
[data-testid="stGraphVizChart"] svg text {{ font-size: {FONT_SIZE}px !important; }}
.st-key-dz_clicker {{ display: none !important; }}
"""
#: Presentation mode: no sidebar (nor its arrow), no header, the page's introduction gone (run_page).
PRESENT_CSS = """
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1rem !important; max-width: 100% !important; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.9rem !important; padding: 0 !important; }
"""
#: High contrast: the whole app inverted (white on black), hues turned back; figures and graphs follow.
DARK_CSS = """
.stApp { filter: invert(1) hue-rotate(180deg); background: #ffffff; }
"""


def presenting() -> bool:
    """Whether this run is in presentation mode (``?present=1``)."""
    return bool(st.session_state.get("present", False))


def _noted(key: str, value: Any, default: Any) -> None:
    """Note a display setting for the URL only when it is not the default (or the URL already has it)."""
    from pages import _url

    if value != default or _url.qp(key) is not None:
        _url.note(key, value)


def _mirrored(key: str, where: str) -> str:
    """A widget key for the setting ``key`` drawn at ``where`` (sidebar or main), starting from the setting."""
    wk = f"_{key}_{where}"
    st.session_state[wk] = st.session_state[key]
    return wk


def presentation_controls() -> None:
    """Read presentation mode, font size and theme (URL on a fresh page), draw their controls, add the CSS.

    Outside presentation mode the controls are in the sidebar; in it (the sidebar hidden) a row on top of the
    page has them with the button that leaves it (Esc)."""
    from pages import _url

    _url.setting("present", False, _url.as_bool, noted=False)
    _url.setting("font", 100, int, lambda v: v in FONT_SIZES, noted=False)
    _url.setting("theme", "light", str, lambda v: v in THEMES, noted=False)

    def copy(key: str, wk: str) -> Callable[[], None]:
        return lambda: st.session_state.update({key: st.session_state[wk]})

    def font_and_theme(font_at: Any, theme_at: Any, tag: str) -> None:
        wf, wt = _mirrored("font", tag), _mirrored("theme", tag)
        font_at.selectbox("Font size", FONT_SIZES, key=wf, format_func=lambda p: f"{p} %", on_change=copy("font", wf),
                          help="The main area's size, for a projector at the back of a room.")
        theme_at.radio("Theme", THEMES, key=wt, horizontal=True, on_change=copy("theme", wt),
                       format_func=lambda t: "dark (high contrast)" if t == "dark" else t)

    if presenting():  # one short row: the way out, and the display settings folded in a popover
        c1, c2, _ = st.columns([3, 2, 5], vertical_alignment="bottom")
        c1.button("✕ Exit presentation (Esc)", key="present_exit", shortcut="Esc", width="stretch",
                  on_click=lambda: st.session_state.update(present=False))
        box = c2.popover("Display", icon=":material/text_increase:", width="stretch")
        font_and_theme(box, box, "main")
    else:
        sb = st.sidebar
        sb.markdown("### Presenting")
        sb.button("Presentation mode", key="present_enter", icon=":material/slideshow:", width="stretch",
                  help="Hide this sidebar and the introductions; step with the arrow keys or a clicker.",
                  on_click=lambda: st.session_state.update(present=True))
        font_and_theme(sb, sb, "side")
    present, font, theme = presenting(), int(st.session_state["font"]), st.session_state["theme"]
    _noted("present", present, False)
    _noted("font", font, 100)
    _noted("theme", theme, "light")
    css = "/* diffzoo: base */" + BASE_CSS
    if present:
        css += "/* diffzoo: present */" + PRESENT_CSS
    if font != 100:
        css += f"/* diffzoo: font {font} */ [data-testid=\"stMainBlockContainer\"] {{ zoom: {font / 100}; }}"
    if theme == "dark":
        css += "/* diffzoo: dark */" + DARK_CSS
    st.html(f"<style>{css}</style>")


def run_page(title: str, intro: str, body: Callable[[_sidebar.Ctx], None], needs_function: bool = True) -> None:
    """Title, a plain explanation (not in presentation mode), then the body; bad input and unexpected errors
    become short notes."""
    leave_multipage_v1()
    st.title(title)
    if not presenting():
        st.markdown(intro)
    c = _sidebar.ctx()
    if needs_function and not c.ok:
        waiting(c)
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


def waiting(c: _sidebar.Ctx) -> None:
    """What a page says instead of its body while the sidebar's function or point needs fixing."""
    if isinstance(c.error, dz.ParseError):
        parse_error(c.error, "Fix the function in the sidebar to see this page. diffzoo says:")
    elif c.point_errors:
        st.warning("Fix the point in the sidebar to see this page: "
                   + "; ".join(f"{md(v)}: {md(e)}" for v, e in c.point_errors.items()) + ".",
                   icon=":material/edit:")
    else:
        st.warning("Choose another point in the sidebar: f has no value here. diffzoo says:", icon=":material/edit:")
        st.code(pretty(str(c.error or "")), language=None, wrap_lines=True)


def failed(what: str, exc: BaseException) -> None:
    """One part of a page could not be drawn: say so in a sentence, for that part alone."""
    if isinstance(exc, dz.LimitError):
        st.info(f"Not shown here: {md(what)}, as the function is too large for it. diffzoo says: "
                f"{md(pretty(str(exc)))}", icon=":material/info:")
    elif isinstance(exc, OWN):
        st.info(f"Not shown here: {md(what)}. diffzoo says: {md(pretty(str(exc)))}", icon=":material/info:")
    else:  # no traceback ever reaches a page
        log.error("part %r failed", what, exc_info=exc)
        detail = f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
        st.warning(f"{md(what[:1].upper() + what[1:])} could not be drawn here ({md(detail)}); "
                   "the rest of the page is unaffected.", icon=":material/warning:")


def show(p: Part[T], draw: Callable[[T], Any]) -> None:
    """Draw a view's part with ``draw``; a part that failed or was left out says why, and the page goes on."""
    if p.error is not None:
        failed(p.what, p.error)
    elif p.reason:
        st.caption(p.reason)
    else:
        with part(p.what):
            draw(p.value)  # type: ignore[arg-type]


@contextlib.contextmanager
def part(what: str) -> Iterator[None]:
    """A block that draws one part of a page: what it drew so far stays, and if it raises, a sentence says why
    ``what`` is missing and the rest of the page goes on. (Streamlit's reruns and stops are not exceptions
    of this kind and pass through.)"""
    try:
        yield
    except Exception as exc:
        failed(what, exc)

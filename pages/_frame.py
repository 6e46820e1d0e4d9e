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
from diffzoo.graph import pretty
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


def run_page(title: str, intro: str, body: Callable[[_sidebar.Ctx], None], needs_function: bool = True) -> None:
    """Title, a plain explanation, then the body; bad input and unexpected errors become short notes."""
    leave_multipage_v1()
    st.title(title)
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

"""Drawing what a view holds: escaped text, download rows, figures with their downloads, warnings, errors.

Everything typed by a user reaches the page through :func:`md` (Markdown's special characters escaped,
so ``w_1`` stays a name and nothing becomes a link or HTML). Numbers are written by :mod:`diffzoo.fmt`
before they get here. A figure is drawn as a PNG with PNG and SVG downloads under it, the SVG made only
when asked for; a download's data may be a function, called when its button is pressed, so a page holds
no copy of what it offers. A parse error is drawn once, from the error itself, with its caret.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from diffzoo import views
from diffzoo.errors import ParseError, caret
from diffzoo.graph import pretty

SIDEBAR_CARET = 20  # columns of the function shown around the caret in the sidebar (no sideways scrolling)
MAIN_CARET = 70  # and in the main area
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$])")

Data = bytes | str | Callable[[], bytes | str]


def md(text: Any) -> str:
    """Text with Markdown's special characters escaped: names like w_1 stay names, never formatting."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def downloads(items: Sequence[tuple[str, Data, str, str] | views.Download], key: str) -> None:
    """A row of download buttons: (label, data, file name, mime); data given as a function is made on click."""
    rows = [(d.label, d.data, d.name, d.mime) if isinstance(d, views.Download) else d for d in items]
    cols = st.columns(max(len(rows), 1))
    for col, (label, data, name, mime) in zip(cols, rows, strict=True):
        col.download_button(label, data, file_name=name, mime=mime, key=f"dl_{key}_{name}",
                            width="stretch", on_click="ignore")


def figure_block(png: bytes, svg: bytes | Callable[[], bytes], name: str, caption: str = "") -> None:
    """A figure as an image with PNG and SVG downloads under it (the SVG may be made only when asked for)."""
    st.image(png, caption=caption or None, width="stretch")
    downloads([("Download PNG", png, f"{name}.png", "image/png"),
               ("Download SVG", svg, f"{name}.svg", "image/svg+xml")], key=name)


@st.cache_data(max_entries=64, show_spinner=False)
def figure_png(kind: str, data: pd.DataFrame, args: tuple) -> bytes:
    """The PNG of a figure of given data (a picture of a measurement, not the measurement itself)."""
    from diffzoo import plots

    return plots.to_png(views.figure(kind, data, *args))


def plot(kind: str, data: pd.DataFrame, *args: Any, name: str, caption: str = "") -> None:
    """A figure of ``data`` (``views.figure``) with PNG/SVG downloads; the SVG is rendered on click."""
    from diffzoo import plots

    figure_block(figure_png(kind, data, tuple(args)), lambda: plots.to_svg(views.figure(kind, data, *args)), name,
                 caption)


def warnings_block(warnings: Sequence[str], where: Any = None) -> None:
    """A method's ``Result.warnings`` (a kink, an untrusted step, lost digits), shown beside its numbers."""
    target = where if where is not None else st
    for w in dict.fromkeys(warnings):  # each sentence once, in order
        target.warning(md(pretty(str(w))), icon=":material/warning:")


def parse_error(exc: ParseError, lead: str, sidebar: bool = False) -> None:
    """A function that does not parse, drawn from the error itself: ``lead``, then the function around the
    position with a caret under it (on its own unwrapped lines), and diffzoo's message and hint as words.

    In the sidebar (narrow: a window of :data:`SIDEBAR_CARET` columns) the lead is the alarm and the message
    follows the caret; in the main area the lead and the message make one note above the caret, the hint below.
    """
    if sidebar:
        st.sidebar.error(lead, icon=":material/warning:")
    if not isinstance(exc.text, str):  # no position to point at: the message alone
        if not sidebar:
            st.warning(lead, icon=":material/edit:")
        (st.sidebar if sidebar else st).code(str(exc), language=None, wrap_lines=True)
        return
    at = f" (at position {exc.pos + 1})"
    if sidebar:
        st.sidebar.code(caret(exc.text, exc.pos, width=SIDEBAR_CARET), language=None)
        st.sidebar.caption(md(f"{exc.message}{at}. {exc.hint or ''}".strip()))
        return
    st.warning(md(f"{lead} {exc.message}{at}"), icon=":material/edit:")
    st.code(caret(exc.text, exc.pos, MAIN_CARET), language=None)
    if exc.hint:
        st.markdown(md(exc.hint))

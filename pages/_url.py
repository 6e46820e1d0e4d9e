"""The view in the address: settings read from the URL on a fresh page and written back in one change per run.

A page's settings (a widget's key) start from the URL's query string when the session has none yet
(:func:`setting`), so a shared link reopens exactly that view; every run notes what the view is now
(:func:`note`) and ``app.py`` writes it all at once at the end of the run (:func:`flush_url`), one entry
in the browser's history per change. When the browser's Back or Forward button changed the address,
:func:`follow_history` takes the settings from it again. Nothing read from the URL is ever evaluated: a
value that does not cast or is not allowed is ignored.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import streamlit as st

MAX_VALUE = 20_000  # characters of a query value read at all (a function's text may be long)


def qp(key: str) -> str | None:
    """The URL's value of ``key`` as typed, or None (missing, too long, or a malformed query string)."""
    try:
        v = st.query_params.get(key)
    except Exception:  # a malformed query string is ignored, never shown
        return None
    return v if isinstance(v, str) and len(v) <= MAX_VALUE else None


def setting(key: str, default: Any, cast: Callable[[str], Any] = str, allowed: Callable[[Any], bool] | None = None,
            noted: bool = True) -> Any:
    """A widget key initialised from the URL on first load (``default`` where the URL has no usable value).

    Call before the widget with ``key=key`` (and no ``value=``) is drawn. With ``noted`` the value is also
    noted for the URL; without, :func:`note` notes it where (and if) the widget is drawn.
    """
    if key not in st.session_state:
        value = default
        raw = qp(key)
        if raw is not None:
            try:
                v = cast(raw)
                if allowed is None or allowed(v):
                    value = v
            except (ValueError, TypeError):
                pass
        st.session_state[key] = value
    value = st.session_state[key]
    if noted:
        note(key, value)
    return value


def note(key: str, value: Any) -> None:
    """Note ``key=value`` for the URL; :func:`flush_url` writes the whole view at once, at the end of the run."""
    want = st.session_state.setdefault("_qp_want", {})
    want[key] = _text(value)


def _text(value: Any) -> str:
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
    if "fn" in now and len(now["fn"]) <= MAX_VALUE:
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

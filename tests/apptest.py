"""Opening the app's pages in Streamlit's ``AppTest``, and reading what a reader sees: for the page tests.

``open_page(path, query)`` runs the entrypoint with the query as its address (the sidebar every page
shares), switches to the page and checks that no exception reached it; ``page_text`` is everything
the main area shows, tables included, as one string. The timeout is generous: sympy is slow to import.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["pages/traces.py", "pages/symbolic.py", "pages/numeric.py", "pages/compare.py"]


def app(query: dict[str, str] | None = None, timeout: float = 60) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


def open_page(path: str, query: dict[str, str] | None = None, timeout: float = 60) -> AppTest:
    at = app(query, timeout)
    at.run()
    if path != "pages/traces.py":
        at.switch_page(path).run()
    no_exception(at)
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def page_text(at: AppTest) -> str:
    """Everything a reader sees in the main area, as one string (tables included)."""
    parts: list[str] = []
    for kind in ("title", "markdown", "caption", "info", "warning", "error", "code", "latex", "subheader"):
        parts += texts(at, kind)
    parts += [str(m.value) + " " + str(m.label) for m in at.metric]
    parts += [t.value.to_string() for t in at.table]
    parts += [d.value.to_string() for d in at.dataframe]
    return "\n".join(parts)

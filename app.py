"""diffzoo's workbench in the browser: one function and point in the sidebar, one page per view.

Run with ``streamlit run app.py``. This entrypoint draws what every page shares (examples,
function box, point) and hands over to the chosen page through ``st.navigation``; the pages
only read that state, call :mod:`diffzoo` and render.
"""

from __future__ import annotations

import streamlit as st

from pages import _frame, _sidebar, _url

st.set_page_config(page_title="diffzoo — four ways to differentiate", page_icon="🦓", layout="wide",
                   initial_sidebar_state="expanded")

PAGES = [
    st.Page("pages/traces.py", title="Traces: forward & reverse", icon=":material/account_tree:", url_path="traces",
            default=True),
    st.Page("pages/symbolic.py", title="Symbolic & swell", icon=":material/functions:", url_path="symbolic"),
    st.Page("pages/numeric.py", title="Numeric: error vs step", icon=":material/show_chart:", url_path="numeric"),
    st.Page("pages/compare.py", title="Compare & timing", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("pages/logreg.py", title="Logistic regression", icon=":material/model_training:", url_path="logreg"),
    st.Page("pages/practice.py", title="Practice", icon=":material/school:", url_path="practice"),
    st.Page("pages/higher.py", title="Higher order", icon=":material/stacked_line_chart:", url_path="higher"),
    st.Page("pages/programs.py", title="Programs", icon=":material/code:", url_path="programs"),
]

page = st.navigation(PAGES, position="sidebar")
# The first run after a page switch leaves the URL alone (see _url.flush_url).
arrived = st.session_state.get("_page", page.url_path) != page.url_path
st.session_state["_page"] = page.url_path
st.sidebar.markdown("### Function and point")
_sidebar.sidebar()
_frame.presentation_controls()  # presentation mode, font size, theme: the sidebar's foot, or the page's top row
#: Pages that do not read the sidebar's function: say so where the function is, not only in the page's text.
OWN_INPUT = {"logreg": "The logistic-regression page uses its own generated data set, not this function.",
             "practice": "The Practice page draws its own exercises (level and set on the page), not this function.",
             "programs": "The Programs page differentiates the program in its own code box, not this function."}
if page.url_path in OWN_INPUT:
    st.sidebar.info(OWN_INPUT[page.url_path], icon=":material/info:")
page.run()
_url.flush_url(points_set=_sidebar.ctx().function is not None, write=not arrived)
# The parsed function lives in the shared, byte-bounded cache; a session (kept two minutes after its tab
# closes) holds only its text between runs, not a second copy of a 5,000-step list.
st.session_state.pop("_ctx", None)

"""Presentation mode on the Traces page (issue 13, A), in Streamlit's AppTest.

``?present=1`` hides the sidebar, the header and the introduction (the page's stylesheet says so, and the
introduction is not drawn); Previous and Next carry the arrow keys, and a hidden pair carries a presenter's
clicker (PageUp/PageDown); the font size and the dark theme live in the address. The keys themselves are
pressed in a real browser in ``tests/test_projector_browser.py``. "Predict the next value" is checked against
the traces' own numbers for the survey's example f = ln(x1) + x1·x2 − sin(x2) at (2, 5) (values by hand:
v₁ = ln 2 = 0.693147, v₂ = x1·x2 = 10).
"""

from __future__ import annotations

import math

from apptest import app, no_exception, page_text

from diffzoo import views

SURVEY = {"fn": "ln(x1) + x1*x2 - sin(x2)", "at_x1": "2", "at_x2": "5"}


def css(at) -> str:
    """The stylesheet the app injected (st.html), as one string."""
    return "\n".join(str(getattr(e, "proto", e).body) for e in at.get("html"))


def open_traces(query: dict[str, str]):
    at = app({**SURVEY, **query}, timeout=90)
    at.run()
    no_exception(at)
    return at


def button(at, key: str):
    return next(b for b in at.button if b.key == key)


def test_present_1_hides_the_sidebar_and_the_introduction():
    normal, present = open_traces({}), open_traces({"present": "1"})
    assert "diffzoo: present" not in css(normal) and "diffzoo: present" in css(present)
    assert '[data-testid="stSidebar"]' in css(present).split("diffzoo: present")[1]
    assert "Wengert list" in page_text(normal) and "straight line of primitive steps" in page_text(normal)
    assert "straight line of primitive steps" not in page_text(present)  # the introduction is not drawn
    # the way out is on the page (the sidebar is hidden), with Esc; the way in is in the sidebar
    assert button(present, "present_exit").proto.shortcut == "escape"
    assert "present_enter" in [b.key for b in normal.sidebar.button]
    button(present, "present_exit").click().run()
    assert "diffzoo: present" not in css(present) and present.query_params["present"] == "0"
    button(present, "present_enter").click().run()
    assert "diffzoo: present" in css(present) and present.query_params["present"] == "1"


def test_previous_and_next_carry_the_keys_and_step():
    at = open_traces({"present": "1", "step": "3"})
    keys = {b.key: b.proto.shortcut for b in at.button}
    assert (keys["prev"], keys["next"], keys["prev_page"], keys["next_page"]) == ("left", "right", "pageup",
                                                                                    "pagedown")
    assert "display: none" in css(at).split(".st-key-dz_clicker")[1].split("}")[0]  # the clicker's pair hidden
    button(at, "next").click().run()
    assert at.slider(key="step").value == 4 and at.query_params["step"] == "4"
    button(at, "next_page").click().run()
    button(at, "prev").click().run()
    button(at, "prev").click().run()
    assert at.slider(key="step").value == 3


def test_font_size_and_theme_are_in_the_address():
    at = open_traces({"present": "1", "font": "150", "theme": "dark"})
    assert "zoom: 1.5" in css(at) and "diffzoo: dark" in css(at) and "invert(1)" in css(at)
    at.selectbox(key="_font_main").set_value(200).run()
    assert "zoom: 2.0" in css(at) and at.query_params["font"] == "200"
    at.radio(key="_theme_main").set_value("light").run()
    assert "diffzoo: dark" not in css(at) and at.query_params["theme"] == "light"
    plain = open_traces({"font": "33", "theme": "<script>"})  # not one of the choices: ignored
    assert "zoom" not in css(plain) and "diffzoo: dark" not in css(plain)
    assert (plain.query_params["font"], plain.query_params["theme"]) == ("100", "light")  # put right
    fresh = open_traces({})
    assert not {"present", "font", "theme"} & set(fresh.query_params)  # defaults are not written


def test_a_prediction_is_checked_to_the_precision_typed():
    at = open_traces({"step": "1"})  # Next reveals v₁ = ln 2 = 0.693147
    at.text_input(key="predict").input("0.69").run()
    button(at, "next").click().run()
    assert at.success and "0.69" in at.success[0].value and "1 of 1" in at.success[0].value
    at.text_input(key="predict").input("11").run()  # Next reveals v₂ = 10
    button(at, "next").click().run()
    assert at.error and "10" in at.error[0].value and "1 of 2" in at.error[0].value
    assert at.slider(key="step").value == 3


def test_check_prediction_reads_the_precision_typed():
    v = math.log(2)  # 0.693147...
    assert views.check_prediction("0.69", "v₁", v).right is True  # 2 decimals: 0.69 is ln 2 rounded
    assert views.check_prediction("0.7", "v₁", v).right is True
    assert views.check_prediction("0.694", "v₁", v).right is False  # 3 decimals: ln 2 is 0.693
    assert views.check_prediction("ln(2)", "v₁", v).right is None  # not a number: never evaluated
    assert views.traces_view(SURVEY["fn"], (2.0, 5.0), position=1).upcoming == ("v₁", v)
    assert views.traces_view(SURVEY["fn"], (2.0, 5.0), position=2).upcoming == ("v₂", 10.0)

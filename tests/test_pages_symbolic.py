"""The Symbolic page: warnings beside the derivative, a warm worker, no cached timeouts, formulas in lines.

Issue 10: C15 (a timeout was cached, so reopening x^6 still said "cut short"; the worker was cold),
C25 (the raw derivative's LaTeX ran off the right edge), and the symbolic Result's warnings.
"""

from __future__ import annotations

import re

import pytest
from apptest import open_page, texts
from streamlit.testing.v1 import AppTest

import diffzoo as dz
from diffzoo import linebreak, symbolic


def symbolic_page(query: dict[str, str]) -> AppTest:
    return open_page("pages/symbolic.py", query, timeout=90)


def test_the_symbolic_results_warnings_are_shown():
    # abs(x) at 0: the derivative's value, 0, is the convention sign(0) at a kink; the Result says so.
    at = symbolic_page({"fn": "abs(x)", "at_x": "0"})
    assert any("kink" in w and "convention" in w for w in texts(at, "warning"))


def test_a_timeout_is_never_cached(monkeypatch):
    # Issue 10, C15: st.cache_data kept the "timeout" outcome, so the page said "cut short" on every later
    # visit although sympy would finish in milliseconds once the worker was warm.
    calls = []
    real = symbolic.simplify

    def first_times_out(exprs, timeout=3.0, memory_mb=400):
        calls.append(timeout)
        if len(calls) == 1:
            return symbolic.Simplified("timeout", message=f"stopped after {timeout:g} s")
        return real(exprs, timeout=timeout, memory_mb=memory_mb)

    monkeypatch.setattr(symbolic, "simplify", first_times_out)
    at = symbolic_page({"fn": "x^6 + 0.25", "at_x": "1"})
    assert any("cut short" in w for w in texts(at, "warning"))
    at.run()  # the same function again, as when the page is reopened
    assert not [w for w in texts(at, "warning") if "cut short" in w]
    assert any("6 x^{5}" in tex for tex in texts(at, "latex")), texts(at, "latex")  # sympy's 6*x^5
    assert len(calls) == 2


def test_the_page_warms_the_worker_up(monkeypatch):
    # Issue 10, C15: the forkserver (sympy loaded) is started in the background as the page loads, so that
    # the first simplification does not pay for it; every run keeps it alive.
    from diffzoo import guard

    calls = []
    monkeypatch.setattr(guard, "warm_up", lambda: calls.append(1))
    symbolic_page({"fn": "x^5 + 0.5", "at_x": "1"})
    assert calls


README = "exp(x)/sqrt(sin(x)^3+cos(x)^3)"


def raw_latex(text: str) -> str:
    f = dz.parse(text)
    return symbolic.show(symbolic.jacobian_exprs(f.outputs, f.variables)[0][0], latex=True)


def unbroken(tex: str) -> str:
    """The formula without the line-breaking markup latex_lines adds, and without spaces."""
    tex = tex.replace(r"\begin{aligned}", "").replace(r"\end{aligned}", "").replace(r"&\quad", "")
    tex = tex.replace(r"\\", "").replace("&=", "=").replace(r"\right.", "").replace(r"\left.", "")
    return re.sub(r"\s+", "", tex)


@pytest.mark.parametrize("width", [20, 34, 60])
def test_long_formulas_are_broken_into_lines_of_the_width_asked_for(width):
    # The README's example: its raw derivative prints about 125 characters wide (linebreak.latex_width), far
    # wider than a column at 1024 pixels holds (about 40).
    raw = raw_latex(README)
    assert linebreak.latex_width(raw) > 100
    tex, too_wide = linebreak.latex_lines(r"\frac{\partial y}{\partial x}", raw, width)
    lines = tex.split(r"\\")
    assert len(lines) >= 2
    if width >= 34:  # at 20, pieces such as 1/sqrt(sin(x)^3 + cos(x)^3) (22 wide) cannot be cut further
        assert not too_wide and all(linebreak.latex_width(ln) <= 1.25 * width for ln in lines[1:])
    # Nothing is lost or changed: the same formula, with every \left matched by a \right on its line.
    assert unbroken(tex) == re.sub(r"\s+", "", r"\frac{\partial y}{\partial x}=" + raw)
    for line in lines:
        assert line.count(r"\left") == line.count(r"\right"), line


def test_short_formulas_stay_on_one_line():
    assert linebreak.latex_lines("y", r"x_{3} + 1", 40) == ("y = x_{3} + 1", False)


def test_a_piece_that_cannot_be_broken_is_reported():
    # One fraction 50 characters wide (numerator) cannot be cut: it keeps its line, and the page says the
    # formula box scrolls.
    wide = r"\frac{" + " + ".join(f"x_{{{k}}}" for k in range(12)) + "}{2}"
    tex, too_wide = linebreak.latex_lines("y", wide, 20)
    assert too_wide and tex == f"y = {wide}"

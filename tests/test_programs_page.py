"""The Programs page: its view (``diffzoo.programview``) against independent figures, then the page in AppTest.

Oracles: closed forms (Taylor sin's derivative is cos x, Newton's square root's 1/(2√x)), the step function's jump
of 1 at 0 (its definition), a 100-iteration loop written here whose body has a known number of steps, and
central differences for the projectile's d(range)/d(angle).
"""

from __future__ import annotations

import math

import pytest
from apptest import no_exception, open_page, page_text

from diffzoo import programview as pv
from diffzoo.parse import parse

EX = {e.file: e for e in pv.examples()}


def _gradient(view: pv.ProgramView, method: str) -> float:
    t = view.methods.get().table.set_index("method")
    return float(t.iloc[:, 0][method])


@pytest.mark.parametrize("x", [0.5, -0.9, 1.0])
def test_taylor_sin_derivative_is_cos(x):
    v = pv.program_view(EX["taylor_sin.dz"].text, (x,))
    for m in ("forward", "reverse", "symbolic"):
        assert _gradient(v, m) == pytest.approx(math.cos(x), abs=1e-12), m  # cos x, closed form


@pytest.mark.parametrize("x", [2.0, 0.3, 10.0])
def test_newton_sqrt_derivative(x):
    v = pv.program_view(EX["newton_sqrt.dz"].text, (x,))
    for m in ("forward", "reverse"):
        assert _gradient(v, m) == pytest.approx(1 / (2 * math.sqrt(x)), rel=1e-12), m


def test_step_function_ad_zero_and_the_jump_said():
    v = pv.program_view(EX["step_jump.dz"].text, (0.0,), radius=1.0)
    assert _gradient(v, "forward") == 0.0 and _gradient(v, "reverse") == 0.0
    s = v.sweep().get()
    jumps = [b for b in s.boundaries if b.kind == "jump"]
    assert len(jumps) == 1 and jumps[0].jump == 1.0 and abs(jumps[0].at) < 1e-12  # 0 -> 1 at x = 0
    assert jumps[0].slopes == (0.0, 0.0)
    assert "jumps by 1" in s.sentence() and "AD says 0" in s.sentence()
    warned = " ".join(w for ws in v.methods.get().warnings.values() for w in ws)
    assert "jumps" in warned and "holds only where the same branches are taken" in warned


def test_piecewise_kink_slopes():
    s = pv.program_view(EX["piecewise_kink.dz"].text, (0.5,), radius=1.0).sweep().get()
    (b,) = s.boundaries
    assert b.kind == "kink" and b.at == pytest.approx(1.0, abs=1e-12)
    assert b.slopes == pytest.approx((2.0, -1.0), abs=1e-9)  # d(x²)/dx at 1 and d(2 - x)/dx


def test_collapsed_graph_of_a_100_iteration_loop_is_the_body():
    # line 4 is three primitives (s * x, sin(x), their sum), run 100 times: 300 steps; s = 1 records none
    text = "def f(x):\n    s = 1\n    for k in range(100):\n        s = s * x + sin(x)\n    return s"
    wl = parse(text).at([0.3]).wengert
    assert len(wl.steps) == 300
    c = pv.collapse(wl)
    steps_nodes = [nd for nd in c.nodes if nd[0][0] != "in"]
    assert [(key, count) for key, _, count in steps_nodes] == [((4, 0), 100), ((4, 1), 100), ((4, 2), 100)]
    assert len(c.nodes) == 1 + 3  # the input x and the body once
    dot = pv.collapsed_dot(c)
    assert dot.count("×100") == 3
    assert "s4_2 -> s4_0 [style=dashed" in dot  # s carried from one iteration's sum to the next one's product


def test_walk_marks_the_source_line():
    text = EX["taylor_sin.dz"].text
    v0 = pv.program_view(text, (0.5,), position=0)
    assert v0.now.get().line is None and "▶" not in v0.source  # an input: no line yet
    v1 = pv.program_view(text, (0.5,), position=1)  # v_1 = 0 + v_0: s += term, line 6, k = 1
    nw = v1.now.get()
    assert (nw.line, nw.iteration) == (6, "k = 1")
    assert [ln for ln in v1.source.split("\n") if ln.startswith("▶")] == ["▶ 6 │         s += term"]
    v2 = pv.program_view(text, (0.5,), position=2)  # v_2 = -v_0: the next statement, line 7
    assert v2.now.get().line == 7
    tex = next(d for d in v2.downloads if d.name == "program-trace.tex").data()
    assert tex.isascii() and r"v_{1} &= 0 + v_{0} &= 0.5 & \text{line 6 (k = 1)} \\" in tex  # x = 0.5, k = 1


def test_projectile_ascent_against_central_differences():
    text = EX["projectile.dz"].text
    a = pv.ascent(text, 0.6, steps=2)
    f = parse(text)
    h = 1e-6
    central = (f.at([0.6 + h]).wengert(0.6 + h) - f.at([0.6 - h]).wengert(0.6 - h)) / (2 * h)
    assert a.frame["d(range)/d(angle)"][0] == pytest.approx(central, rel=1e-5)
    assert a.frame["range"].iloc[-1] > a.frame["range"].iloc[0]  # ascent climbs


def test_without_the_compiler_its_parts_say_so_alone(monkeypatch):
    real = pv.importlib.util.find_spec
    monkeypatch.setattr(pv.importlib.util, "find_spec",
                        lambda name, *a: None if name == "diffzoo.loopcode" else real(name, *a))
    v = pv.program_view(EX["logistic_map.dz"].text, (0.2, 3.7))
    assert pv.NO_COMPILER in v.code.reason and pv.NO_COMPILER in v.memory().reason
    assert v.trace.ok and v.graph.ok and v.methods.ok and v.sweep().ok and v.swell_link


def test_generated_code_beside_its_source_and_the_memory_trade_off():
    pytest.importorskip("diffzoo.loopcode")
    text = EX["taylor_sin.dz"].text
    v = pv.program_view(text, (0.5,))
    gen = v.code.get()
    assert set(gen.sources) == {"primal", "JVP", "VJP"}
    beside = gen.side_by_side("VJP")
    # the reverse sweep runs the loop backwards, beside the source's for loop (line 5)
    assert any(ln.startswith("  5 ") and "reversed(range(1, 12))" in ln for ln in beside.split("\n")), beside
    assert {d.name for d in v.downloads} >= {"primal.py", "jvp.py", "vjp.py", "taylor_sin.dz", "program-trace.csv"}
    m = v.memory().get().shown()
    # the tape grows with the iterations (one pushed term each), forward mode's live values stay put
    assert list(m["reverse: tape"]) == list(m["iterations"])
    assert m["forward: live"].nunique() == 1 and m["forward: live"].iloc[0] < 20


# --- the page ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [e.name for e in pv.examples()])
def test_each_example_renders(name):
    at = open_page("pages/programs.py", {"p_ex": name}, timeout=120)
    no_exception(at)
    text = page_text(at)
    assert "The derivative by every method" in text
    assert not at.error, [e.value for e in at.error]


def test_parse_error_keeps_text_and_shows_caret():
    at = open_page("pages/programs.py", timeout=120)
    bad = "def f(x):\n    y = x +\n    return y"
    at.text_area(key="p_text").set_value(bad).run()
    no_exception(at)
    assert at.text_area(key="p_text").value == bad
    codes = [str(c.value) for c in at.code]
    assert any("^" in c and "y = x +" in c for c in codes), codes
    assert "line 2" in page_text(at)


def test_next_moves_the_highlighted_line():
    at = open_page("pages/programs.py", timeout=120)  # Taylor sin: position 0 is the input x, no line marked

    def marked() -> list[str]:
        return [ln for c in at.code for ln in str(c.value).split("\n") if ln.startswith("▶")]

    assert marked() == []
    at.button(key="p_next").click().run()  # v_1 = 0 + v_0: s += term, line 6
    assert marked() == ["▶ 6 │         s += term"]
    at.button(key="p_next").click().run()  # v_2 = -v_0: term = -term * ..., line 7
    no_exception(at)
    assert [m[:4] for m in marked()] == ["▶ 7 "]
    assert at.slider(key="p_step").value == 2

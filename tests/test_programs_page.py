"""The Programs page: its view (``diffzoo.programview``) against independent figures, then the page in AppTest.

Oracles: closed forms (Taylor sin's derivative is cos x, Newton's square root's 1/(2√x)), the step function's jump
of 1 at 0 (its definition), a 100-iteration loop written here whose body has a known number of steps, and
central differences for the projectile's d(range)/d(angle).
"""

from __future__ import annotations

import importlib.util
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


# --- differences against the step; symbolic swell with the iterations -------------------------------------


def test_step_errors_mark_the_flips_of_the_step_function_near_its_jump():
    x = 5e-4  # within 1e-3 of the jump at 0
    v = pv.program_view(EX["step_jump.dz"].text, (x,))
    s = v.step_errors().get()
    assert s.reference == 0.0  # AD: the branch y = 1 taken has derivative 0
    df = s.frame
    # the stencil's lower point x - h crosses 0 exactly when h > x (central only; forward's x + h stays right)
    expected = (df["scheme"] == "central") & (df["eps"] > x)
    assert (df["other_path"] == expected).all()
    flipped = df[df["other_path"]]
    assert flipped["error"].to_numpy() == pytest.approx(1 / (2 * flipped["eps"].to_numpy()), rel=1e-12)  # jump 1 / 2h
    assert s.first_flip == pytest.approx(df.loc[expected, "eps"].min()) and s.first_flip > x
    assert "line 3" in s.sentence() and "if x > 0" in s.sentence()  # the step function's if, line 3 of its file
    legend = [t.get_text() for leg in pv_figure(s).legends for t in leg.get_texts()]
    assert "another path at x ± h" in legend


def pv_figure(s: pv.StepErrors):
    from diffzoo import plots

    return plots.program_error_figure(s.frame, s.input, s.at)


def test_step_errors_of_taylor_sin_take_no_other_path():
    x = 0.5
    s = pv.program_view(EX["taylor_sin.dz"].text, (x,)).step_errors().get()
    assert not s.frame["other_path"].any() and s.first_flip is None
    assert s.reference == pytest.approx(math.cos(x), abs=1e-12)
    assert "No stencil point" in s.sentence()
    # central differences' truncation error h²/6 |sin'''(x)| = h²/6 cos x at h near 1e-3 (closed form)
    c = s.frame[(s.frame["scheme"] == "central")]
    row = c.iloc[(c["eps"] - 1e-3).abs().argmin()]
    assert row["error"] == pytest.approx(row["eps"] ** 2 / 6 * math.cos(x), rel=0.01)
    assert not any(t.get_text().startswith("another path") for leg in pv_figure(s).legends for t in leg.get_texts())


def test_loop_swell_of_taylor_sin():
    pytest.importorskip("diffzoo.loopcode")
    w = pv.program_view(EX["taylor_sin.dz"].text, (0.5,)).loop_swell().get()
    d = w.frame
    assert list(d["n"]) == [1, 2, 4, 8, 16]
    assert list(d["f Wengert length"]) == [5 * n for n in d["n"]]  # the loop body is 5 primitives (s +=: 1, term: 4)
    tree, shared = d["derivative tree ops"].to_numpy(), d["derivative shared ops"].to_numpy()
    assert all(a <= b for a, b in zip(tree, tree[1:])) and tree[-1] > 20 * shared[-1]  # the tree swells
    # shared grows at most linearly: each doubling of N (from the first with any operation: N = 1's derivative is
    # the constant 1) at most doubles it, within a factor 2; measured 9, 29, 69, 149 (about 10 N - 11)
    n = d["n"].to_numpy()
    assert shared[0] == 0 and all(shared[1:] > 0)
    assert all(shared[j + 1] / shared[j] <= 2 * n[j + 1] / n[j] for j in range(1, len(n) - 1))
    # and per added iteration it adds a constant number of operations (no N² term)
    inc = w.per_iteration()
    assert max(inc[1:]) <= 1.25 * min(inc[1:])
    assert "polynomially" in w.sentence() and "linearly" in w.sentence()


def test_loop_swell_of_the_logistic_map_is_exponential():
    pytest.importorskip("diffzoo.loopcode")
    w = pv.loop_swell(EX["logistic_map.dz"].text, (0.2, 3.7), counts=(1, 2, 4, 8))
    assert "exponentially" in w.sentence()


def test_loop_swell_says_why_not_for_a_while_loop():
    pytest.importorskip("diffzoo.loopcode")
    p = pv.program_view(EX["newton_sqrt.dz"].text, (2.0,)).loop_swell()
    assert not p.ok and "while loop" in p.reason and "range(N)" in p.reason


@pytest.mark.parametrize("file, x", [("step_jump.dz", 5e-4), ("taylor_sin.dz", 0.5)])
def test_step_error_and_swell_figures_keep_their_text_inside(file, x):
    # test_figures_fit's check (every text inside the figure, none below plots.SMALLEST) on this page's two figures
    from test_figures_fit import drawn_texts

    from diffzoo import plots

    s = pv.step_errors(EX[file].text, (x,))
    figs = [pv_figure(s)]
    if file == "taylor_sin.dz" and importlib.util.find_spec("diffzoo.loopcode") is not None:
        figs.append(plots.swell_figure(pv.loop_swell(EX[file].text, (x,)).frame, "Symbolic swell of the traced path"))
    for fig in figs:
        box = fig.bbox
        texts = list(drawn_texts(fig))
        assert not [t.get_text() for t, b in texts if b.x0 < box.x0 - 0.5 or b.y0 < box.y0 - 0.5
                    or b.x1 > box.x1 + 0.5 or b.y1 > box.y1 + 0.5]
        assert all(t.get_fontsize() >= plots.SMALLEST - 1e-9 for t, _ in texts)

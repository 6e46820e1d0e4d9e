"""The Practice page and its library: answers read to the precision typed, hints that name the mistake, generated
sets reproducible from a seed, the teacher's answer key.

The mistaken values are worked out here by hand from the survey's example ln(x1) + x1*x2 - sin(x2) at (2, 5)
(its Tables 2 and 3: v̄₃ = −1, v̄₂ = 1, v̄₁ = 1, v₋₁ = 2, v₀ = 5), not taken from the library.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
import subprocess

import pytest
from apptest import app, no_exception, page_text

from diffzoo import fmt, parse
from diffzoo import practice as P

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
COS5 = math.cos(5.0)  # 0.28366218546322625


@pytest.fixture(scope="module")
def survey():
    return P.exercise(SURVEY, [2, 5])  # ẋ = (1, 0), ȳ = 1


def answers(ex, table, **typed):
    """Every cell right to 6 significant digits, except the rows given (row number -> text)."""
    out = {c.row: fmt.short(c.value, 6) for c in ex.cells(table)}
    out.update({int(k[1:]): v for k, v in typed.items()})
    return out


def fb(ex, table, row, text):
    return P.check(ex, table, answers(ex, table, **{f"r{row}": text}))[row]


def test_the_survey_tables_are_diffzoos_and_match_the_survey(survey):
    # Table 3 of the survey, by hand: v̄₀ = v̄₃ cos v₀ + v̄₂ v₋₁ = -cos 5 + 2, v̄₋₁ = v̄₂ v₀ + v̄₁/v₋₁ = 5 + 1/2
    adj = {(c.name, c.row): c.value for c in survey.adjoint}
    assert adj[("v̄₀", 5)] == pytest.approx(-COS5)
    assert adj[("v̄₀", 7)] == pytest.approx(2 - COS5)
    assert adj[("v̄₋₁", 8)] == pytest.approx(5.5)
    assert [c.value for c in survey.primal][2:] == pytest.approx([math.log(2), 10, math.sin(5), math.log(2) + 10,
                                                                  math.log(2) + 10 - math.sin(5)])
    assert [c.given for c in survey.adjoint] == [True] + [False] * 8
    assert survey.to_fill == 5 + 5 + 8


# --- the named mistakes --------------------------------------------------------------------------------------


def test_forgetting_that_v0_is_used_twice(survey):
    # row 7 is v̄₀ = v̄₀ + v̄₂ · v₋₁; stopping at the first contribution leaves v̄₀ = v̄₃ cos v₀ = -cos 5 = -0.2837
    f = fb(survey, "adjoint", 7, f"{-COS5:.4f}")
    assert f.status == "wrong" and f.mistake == "accumulate"
    assert f.message == ("v̄₀ = -0.2837 (read to 4 decimals) is what you get if you forget that v₀ is used twice: "
                         "add v̄₂ · ∂v₂/∂v₀.")


def test_assigning_instead_of_accumulating(survey):
    # = instead of +=: v̄₀ = v̄₂ · v₋₁ = 1 · 2 = 2
    f = fb(survey, "adjoint", 7, "2")
    assert (f.status, f.mistake) == ("wrong", "accumulate") and "alone" in f.message and "+=" in f.message


def test_the_sign_of_a_subtractions_partial(survey):
    # v̄₃ = v̄₅ · ∂(v₄ - v₃)/∂v₃ = -1; with +1: 1
    f = fb(survey, "adjoint", 2, "1")
    assert (f.status, f.mistake) == ("wrong", "sign") and "subtraction" in f.message
    # forward, along x2: v̇₅ = v̇₄ - v̇₃ = v₋₁ - cos 5 = 1.71634; with + it is 2 + cos 5 = 2.28366
    ex = P.exercise(SURVEY, [2, 5], seed=[0, 1])
    assert ex.tangent[6].value == pytest.approx(2 - COS5)
    f = fb(ex, "tangent", 6, f"{2 + COS5:.5f}")
    assert (f.status, f.mistake) == ("wrong", "sign")


def test_sin_derivative_taken_as_minus_cos(survey):
    # v̄₀ = v̄₃ · cos v₀ = -cos 5; with sin' = -cos it is v̄₃ · (-cos 5) = +cos 5 = 0.2837
    f = fb(survey, "adjoint", 5, f"{COS5:.4f}")
    assert (f.status, f.mistake) == ("wrong", "sin") and "sin′ as −cos" in f.message


def test_the_quotient_rule_without_brackets():
    # x1/x2 at (3, 2), ẋ = (1, 1): ẏ = (ȧ b - a ḃ)/b² = (2 - 3)/4 = -0.25; without brackets ȧ b - a ḃ/b² = 2 - 0.75
    ex = P.exercise("x1/x2", [3, 2], seed=[1, 1])
    assert ex.tangent[2].value == pytest.approx(-0.25)
    f = fb(ex, "tangent", 2, "1.25")
    assert (f.status, f.mistake) == ("wrong", "quotient")
    # reverse: v̄₋₁ = v̄₁ ∂(a/b)/∂a = 1/b = 0.5; the bracketless rule's ȧ·b gives b = 2
    row = next(c.row for c in ex.adjoint if c.name == "v̄₋₁")
    f = fb(ex, "adjoint", row, "2")
    assert (f.status, f.mistake) == ("wrong", "quotient") and "brackets" in f.message


def test_a_dropped_chain_rule_factor(survey):
    # v̄₋₁ = v̄₋₁ + v̄₁ / v₋₁ = 5 + 1/2; without the partial 1/v₋₁: 5 + 1 = 6
    f = fb(survey, "adjoint", 8, "6")
    assert (f.status, f.mistake) == ("wrong", "chain") and "chain-rule factor" in f.message
    # v̇₁ = v̇₋₁ / v₋₁ = 1/2; without the partial: v̇₋₁ = 1
    f = fb(survey, "tangent", 2, "1")
    assert (f.status, f.mistake) == ("wrong", "chain")


def test_an_adjoint_sent_to_the_wrong_parent(survey):
    # v̄₋₁ = v̄₂ · ∂(v₋₁ v₀)/∂v₋₁ = v₀ = 5; the other parent's partial v₋₁ gives 2
    f = fb(survey, "adjoint", 6, "2")
    assert (f.status, f.mistake) == ("wrong", "parent") and "wrong parent" in f.message


def test_a_number_that_follows_from_an_earlier_wrong_one(survey):
    # v̇₁ typed 1 (wrong); v̇₄ = v̇₁ + v̇₂ = 1 + 5 = 6 is then right from it (the truth is 5.5)
    fbs = P.check(survey, "tangent", answers(survey, "tangent", r2="1", r5="6"))
    assert fbs[2].mistake == "chain"
    assert fbs[5].status == "wrong" and fbs[5].mistake == "carried" and "v̇₁ = 1" in fbs[5].message


def test_a_wrong_number_no_mistake_explains(survey):
    f = fb(survey, "adjoint", 6, "17")
    assert f.status == "wrong" and f.mistake == "" and "Work it out again from v̄₋₁ = v̄₂ * v₀" in f.message


# --- precision -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "status", "precision"), [
    ("-0.284", "right", "to 3 decimals"),  # -0.28366 rounds to -0.284
    ("-0.2837", "right", "to 4 decimals"),
    ("−0.28366", "right", "to 5 decimals"),  # a Unicode minus
    ("-2.84e-1", "right", "to 3 significant digits"),
    ("-0.283", "wrong", "to 3 decimals"),  # 0.00066 off, more than half a unit of 0.001
    ("-0.2836", "wrong", "to 4 decimals"),
    ("-0.28", "digits", "to 2 decimals"),  # right as far as it goes, but 2 significant digits
    ("-0.3", "digits", "to 1 decimal"),
])
def test_answers_are_read_to_the_precision_typed(survey, typed, status, precision):
    f = fb(survey, "adjoint", 5, typed)  # v̄₀ = -cos 5 = -0.28366218546
    assert (f.status, f.precision) == (status, precision)
    if status == "right":
        assert f"(read {precision}) is right" in f.message


def test_exact_numbers_need_no_more_digits_and_ties_go_either_way(survey):
    assert fb(survey, "adjoint", 8, "5.5").status == "right"  # exact
    assert fb(survey, "primal", 3, "10").status == "right"  # v₂ = 10 exactly
    ex = P.exercise("x1*x2", [0.5, 0.25])  # y = 0.125: 0.12 and 0.13 are both half a unit away, 2 digits only
    assert fb(ex, "primal", 2, "0.125").status == "right"
    assert fb(ex, "primal", 2, "0.13").status == "digits"


def test_unreadable_and_empty_answers_say_so(survey):
    f = fb(survey, "adjoint", 8, "5,5")
    assert f.status == "unreadable" and "write 5.5" in f.message
    assert fb(survey, "adjoint", 8, "5.5*2").status == "unreadable"
    assert fb(survey, "adjoint", 8, "").status == "empty"
    assert P.check(survey, "adjoint", {})[0].status == "given"
    with pytest.raises(ValueError, match="no table"):
        P.check(survey, "hessian", {})


# --- generated sets ------------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_set_and_another_seed_another():
    a, b = P.exercise_set(2, 7), P.exercise_set(2, 7)
    assert a == b and [e.text for e in a] == [e.text for e in b]
    assert [e.text for e in P.exercise_set(2, 8)] != [e.text for e in a]
    assert len({e.text for e in a}) == P.SET_SIZE


def _central(ex, j, i, h=1e-6):
    """∂y_j/∂x_i by central differences, the oracle for the generated traces."""
    wl = parse(ex.text, list(ex.variables)).wengert
    up, down = list(ex.point), list(ex.point)
    up[i] += h
    down[i] -= h
    f = lambda x: wl.output_values(wl.evaluate(x))[j]  # noqa: E731
    return (f(up) - f(down)) / (2 * h)


@pytest.mark.parametrize("seed", [0, 1, 7, 123])
def test_the_levels_constraints_hold(seed):
    for level in (1, 2, 3):
        for k, ex in enumerate(P.exercise_set(level, seed)):
            wl = ex.wl
            ops = {st.prim.name for st in wl.steps}
            uses = {i: sum(a == i for st in wl.steps for a in st.args if isinstance(a, int)) for i in (-1, 0)}
            assert ex.variables == ("x1", "x2") and min(uses.values()) >= 1, ex.text
            if level == 1:
                assert len(wl.steps) == 4 and ops <= {"add", "sub", "mul"}, ex.text
            if level == 2:
                assert ops & {"sin", "exp", "log"}, ex.text
                assert ("sin", "exp", "log")[k % 3] in ops, ex.text
            if level == 3:
                assert max(uses.values()) >= 3 or wl.m == 2, ex.text
            # every step in its domain with room, friendly sizes, and the traces right against central differences
            for st in wl.steps:
                args = [ex.primal[a + 1].value if isinstance(a, int) else a.value for a in st.args]
                assert st.prim.name != "log" or args[0] >= 0.2
            assert all(abs(c.value) <= 60 for t in P.TABLES for c in ex.cells(t))
            assert all(x in (0.5, 1, 1.5, 2, 2.5, 3, -0.5, -1, -1.5, -2) for x in ex.point)
            j = next(i for i, y in enumerate(ex.ybar) if y)  # the weights are e_j or (1, 1)
            grad = {c.node: c.value for c in ex.adjoint}  # the last row of each input is its final adjoint
            for i in (0, 1):
                want = sum(w * _central(ex, jj, i) for jj, w in enumerate(ex.ybar) if w)
                assert grad[i - 1] == pytest.approx(want, rel=1e-6, abs=1e-7), (ex.text, i, j)


# --- the answer key -----------------------------------------------------------------------------------------


def test_the_csv_key_holds_every_cell():
    exs = P.exercise_set(3, 5)
    rows = list(csv.DictReader(io.StringIO(P.answer_key_csv(exs))))
    assert len(rows) == sum(len(e.cells(t)) for e in exs for t in P.TABLES)
    first = exs[0].adjoint[-1]
    row = [r for r in rows if r["exercise"] == "1" and r["table"] == "adjoint"][-1]
    assert (row["variable"], float(row["value"])) == (first.name, first.value)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is missing: apt-get install texlive-latex-base")
def test_the_latex_key_compiles_with_plain_pdflatex(tmp_path):
    for level in (1, 2, 3):
        tex = P.answer_key_latex(P.exercise_set(level, 7), f"Answer key, level {level}")
        assert fmt.is_ascii_latex(tex)
        (tmp_path / "key.tex").write_text(tex, encoding="ascii")
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "key.tex"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:]


# --- the page ------------------------------------------------------------------------------------------------


def open_practice(query: dict[str, str]):
    at = app(query, timeout=90)
    at.switch_page("pages/practice.py").run()  # straight to the page, as a shared link opens it
    no_exception(at)
    return at


def fill(at, level, seed, index, typed):
    for t in P.TABLES:
        at.session_state[f"pr_{t}_{level}_{seed}_{index}"] = {
            "edited_rows": {i: {"your value": v} for i, v in typed[t].items()}, "added_rows": [], "deleted_rows": []}


def metric(at, label):
    return next(str(m.value) for m in at.metric if m.label == label)


def test_a_full_exercise_on_the_page():
    at = open_practice({"level": "1", "set": "3"})
    ex = P.exercise_set(1, 3)[0]
    assert ex.text in page_text(at)
    typed = {t: {c.row: fmt.short(c.value, 6) for c in ex.cells(t) if not c.given} for t in P.TABLES}
    # one wrong adjoint: the first update whose named mistake check() recognises
    cell, hint = next((c, f) for c in ex.adjoint if not c.given for m in P.adjoint_mistakes(ex, c)
                      if (f := P.check(ex, "adjoint", {c.row: fmt.short(m.value, 6)})[c.row]).mistake == m.kind)
    typed["adjoint"][cell.row] = hint.typed
    fill(at, 1, 3, 0, typed)
    at.button(key="pr_check").click().run()
    no_exception(at)
    errors = [str(e.value) for e in at.error]
    assert len(errors) == 1 and errors[0].replace("\\", "") == hint.message and P.MISTAKES.get(hint.mistake, "?")
    assert metric(at, "Cells right") == f"{ex.to_fill - 1} / {ex.to_fill}"
    assert (metric(at, "Streak"), metric(at, "Solved this session")) == ("0", "0")
    assert "✗ wrong" in list(at.dataframe[2].value["check"])  # the cell marked in its table
    typed["adjoint"][cell.row] = fmt.short(cell.value, 6)  # put right
    fill(at, 1, 3, 0, typed)
    at.button(key="pr_check").click().run()
    assert not at.error and at.success
    assert metric(at, "Cells right") == f"{ex.to_fill} / {ex.to_fill}"
    assert (metric(at, "Streak"), metric(at, "Solved this session")) == ("1", "1")
    at.button(key="pr_next").click().run()
    assert P.exercise_set(1, 3)[1].text in page_text(at) and at.query_params["ex"] == "1"


def test_the_seed_in_the_address_gives_every_student_the_same_set():
    texts = [P.exercise_set(2, 7)[0].text, P.exercise_set(2, 8)[0].text]
    first, second, other = (open_practice({"level": "2", "set": s}) for s in ("7", "7", "8"))
    assert texts[0] in page_text(first) and texts[0] in page_text(second)
    assert texts[1] in page_text(other) and texts[0] not in page_text(other)
    assert first.query_params["set"] == "7" and first.query_params["level"] == "2"
    # the Traces page's seed direction (``seed=x``) is another parameter: it does not choose the set
    traces = open_practice({"level": "2", "set": "7", "seed": "x"})
    assert texts[0] in page_text(traces) and traces.query_params["seed"] == "x"
    # a seed or level that is not one is ignored, never evaluated
    bad = open_practice({"level": "__import__('os')", "set": "-3"})
    assert P.exercise_set(1, 1)[0].text in page_text(bad)

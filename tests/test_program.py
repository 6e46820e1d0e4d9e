"""Programs (issue #14, part 1): the language, tracing, and every method on traced programs.

Oracles: each example program run in mpmath at 50 digits taking the same branches as the float trace
(``Program.mp_run`` with the trace's guards), its gradient by mpmath's own differentiation of that run;
closed forms (cos for the Taylor series of sin, 1/(2√x) for Newton's square root, n·x^(n-1) for
repeated squaring); and for random programs, agreement of forward, reverse and symbolic mode with each
other to 1e-12 and with central differences within their error bound.
"""

from __future__ import annotations

import json
import math
import pathlib

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffzoo as dz
from diffzoo import numeric
from diffzoo.program import Guard, is_program, parse_program

ASSETS = pathlib.Path(__file__).resolve().parent.parent / "assets" / "programs"
INDEX = json.loads((ASSETS / "index.json").read_text())
#: Three points per example, inside each one's domain and away from its branch boundaries.
POINTS = {
    "taylor_sin.dz": [[0.5], [-0.9], [0.1]],
    "newton_sqrt.dz": [[2.0], [0.3], [17.0]],
    "pow_squaring.dz": [[1.1], [-0.7], [0.3]],
    "logistic_map.dz": [[0.2, 3.7], [0.5, 2.5], [0.9, 3.9]],
    "piecewise_kink.dz": [[0.5], [1.5], [-2.0]],
    "step_jump.dz": [[0.5], [-0.5], [3.0]],
    "projectile.dz": [[0.6], [0.3], [1.1]],
    "logsumexp.dz": [[1.5], [-0.4], [0.05]],
}


def _src(name: str) -> str:
    return (ASSETS / name).read_text()


def _reference(f: dz.Function, x: list[float]) -> tuple[list, np.ndarray]:
    """Value and Jacobian at 50 digits: the program in mpmath along the float trace's path."""
    guards = f.at(x).wengert.guards
    prog = f.program
    with mpmath.workdps(60):
        value = prog.mp_run([mpmath.mpf(v) for v in x], guards, dps=60)
        J = np.zeros((prog.m, len(x)))
        for i in range(len(x)):
            def along(t: mpmath.mpf, i: int = i) -> list:
                p = [mpmath.mpf(v) for v in x]
                p[i] += t
                return prog.mp_run(p, guards, dps=60)
            for j in range(prog.m):
                J[j, i] = float(mpmath.diff(lambda t, j=j: along(t)[j], 0))
    return [float(v) for v in value], J


def test_index_lists_every_example_with_a_first_line_comment():
    files = sorted(p.name for p in ASSETS.glob("*.dz"))
    assert sorted(e["file"] for e in INDEX) == files and len(files) == 8
    for e in INDEX:
        text = _src(e["file"])
        assert text.startswith("# ") and e["name"] and e["note"]
        f = dz.parse(text)
        assert set(e["point"]) == set(f.variables)
        dz.differentiate(text, e["point"], "reverse")  # the index's point is a good one


@pytest.mark.parametrize("name", sorted(POINTS))
def test_examples_against_a_50_digit_run_on_the_same_path(name):
    f = dz.parse(_src(name))
    assert f.program is not None
    for x in POINTS[name]:
        value, J = _reference(f, x)
        for method in ("forward", "reverse"):
            r = dz.differentiate(f, x, method)
            got = [r.value] if f.m == 1 else r.value
            np.testing.assert_allclose(got, value, rtol=1e-12, atol=1e-300)
            np.testing.assert_allclose(r.jacobian, J, rtol=1e-12, atol=1e-14)


def test_mp_run_without_guards_decides_its_own_branches():
    # Newton's square root at 50 digits, its own while loop: sqrt(2) to 1e-12 (its stopping rule).
    f = dz.parse(_src("newton_sqrt.dz"))
    assert abs(float(f.program.mp_run([2])[0]) - math.sqrt(2)) < 1e-12


def test_taylor_sin_against_cos():
    # d/dx of the series of sin is the series of cos: cos(x) to 1e-13 for |x| <= 1 (11 terms; closed form).
    for x in (-1.0, -0.3, 0.0, 0.4, 1.0):
        for method in ("forward", "reverse", "symbolic"):
            assert dz.differentiate(_src("taylor_sin.dz"), [x], method).derivative == pytest.approx(math.cos(x),
                                                                                                   abs=1e-13)


def test_newton_sqrt_against_its_closed_form():
    # d/dx sqrt(x) = 1/(2 sqrt(x)); Newton's iterates carry their derivative along, converging with them.
    for x in (0.3, 2.0, 17.0, 1e4):
        for method in ("forward", "reverse"):
            r = dz.differentiate(_src("newton_sqrt.dz"), [x], method)
            assert r.value == pytest.approx(math.sqrt(x), rel=1e-12)
            assert r.derivative == pytest.approx(0.5 / math.sqrt(x), rel=1e-9)


@pytest.mark.parametrize("n", [1, 2, 5, 13, 16])
def test_repeated_squaring_against_n_x_to_the_n_minus_1(n):
    text = _src("pow_squaring.dz").replace("n = 13", f"n = {n}")
    f = dz.parse(text)
    path = f.at([1.1]).wengert
    # partial evaluation: the loops over n depend on no input, only multiplications are traced
    assert {st.prim.name for st in path.steps} <= {"mul"}
    assert not any(g.active for g in path.guards)
    for x in (1.1, -0.7):
        for method in ("forward", "reverse", "symbolic"):
            assert dz.differentiate(f, [x], method).derivative == pytest.approx(n * x ** (n - 1), rel=1e-14)


def test_traced_list_keeps_origins_and_guards():
    src = "def f(x):\n    s = 0\n    for k in range(3):\n        if x > k:\n            s += x * k\n    return s\n"
    wl = dz.parse(src).at([1.5]).wengert
    # x > 0 true, x > 1 true, x > 2 false: three guards, margins 1.5, 0.5, 0.5
    assert [(g.line, g.outcome) for g in wl.guards] == [(4, True), (4, True), (4, False)]
    assert [g.margin for g in wl.guards] == [1.5, 0.5, 0.5]
    assert isinstance(wl.guards[0], Guard) and wl.guards[0].text == "x > k" and wl.guards[1].loops == (("k", 1),)
    assert len(wl.origins) == len(wl.steps) and all(o.line == 5 for o in wl.origins)
    assert [o.loops for o in wl.origins] == [(("k", 0),), (("k", 0),), (("k", 1),), (("k", 1),)]
    assert wl(1.5) == 1.5  # 0*x + 1*x


def test_an_expression_is_still_an_expression():
    f = dz.parse("ln(x1) + x1*x2 - sin(x2)")
    assert f.program is None and f.at([2, 5]) is f
    assert not is_program("x = 3") and not is_program("x # canary()") and is_program("y = x\nreturn y")
    with pytest.raises(dz.ParseError, match="'=' is not allowed"):
        dz.parse("x = 3")


def test_inputs_from_header_or_in_natural_order():
    assert dz.parse("y = x10 + x2\nreturn y * a").variables == ("a", "x2", "x10")
    assert dz.parse("def f(x10, x2):\n    return x10 - x2").variables == ("x10", "x2")
    with pytest.raises(dz.ParseError, match="'z' is read before it is assigned"):
        dz.parse("def f(x):\n    return x + z")


def test_vector_outputs_and_augmented_assignment():
    src = "y = x\ny *= 3\ny -= 1\ny /= 2\ny += x\nreturn y, x * y"
    r = dz.differentiate(src, [2.0], "reverse")
    y = (3 * 2 - 1) / 2 + 2  # 4.5; dy/dx = 3/2 + 1 = 2.5; d(x y)/dx = y + x * 2.5 = 9.5
    assert r.value == [y, 2 * y] and r.jacobian[:, 0].tolist() == [2.5, 9.5]


def test_evaluation_error_names_line_iteration_and_step():
    src = "s = 0\nfor k in range(4):\n    s = s + log(x - k)\nreturn s"
    with pytest.raises(dz.EvaluationError) as e:
        dz.differentiate(src, [1.5], "reverse")
    assert str(e.value).startswith("line 3 (k = 2): v_") and "log is undefined at -0.5" in str(e.value)


def test_symbolic_of_the_path_warns_with_the_guards():
    r = dz.differentiate(_src("piecewise_kink.dz"), [0.5], "symbolic")
    assert r.derivative == 1.0  # d/dx x^2 at 0.5 (closed form)
    assert any("holds only where the same branches are taken" in w and "line 3" in w and "margin 0.5" in w
               for w in r.warnings)


def test_kink_on_a_guard_boundary_gives_one_sided_derivatives():
    # piecewise: x^2 left of 1 (slope 2), 2 - x right of it (slope -1): closed form.
    for method in ("forward", "reverse", "symbolic"):
        r = dz.differentiate(_src("piecewise_kink.dz"), [1.0], method)
        assert any("branch boundary" in w and "2 from the left and -1 from the right" in w for w in r.warnings), method


def test_a_jump_is_said_where_ad_says_zero():
    for method in ("forward", "reverse"):
        r = dz.differentiate(_src("step_jump.dz"), [0.0], method)
        assert r.derivative == 0.0
        assert any("jumps" in w and "invisible" in w for w in r.warnings)


def test_numeric_says_when_a_stencil_point_takes_the_other_branch():
    r = dz.differentiate(_src("piecewise_kink.dz"), [1.0], "numeric")
    # x = 1 takes the else branch (x < 1 is false); x - h takes the other one
    assert any("x - h" in w and "takes the other branch at line 3" in w and "straddles a kink" in w
               for w in r.warnings)
    # away from the boundary no stencil point flips, and central differences agree with AD (2 x = 1 at 0.5)
    r = dz.differentiate(_src("piecewise_kink.dz"), [0.5], "numeric")
    assert r.derivative == pytest.approx(1.0, rel=1e-8) and not any("other branch" in w for w in r.warnings)


def test_numeric_sees_a_while_loop_run_a_different_number_of_times():
    src = "y = x\nwhile y > 1:\n    y = y / 2\nreturn y"
    wl = dz.parse(src).at([4.0]).wengert  # 4 -> 2 -> 1: two halvings; 4 + h needs three
    est = numeric.estimate(wl, [4.0], 0, "forward", eps=1e-3)
    assert any("while loop at line 2 a different number of times" in w for w in est.warnings)


def test_error_sweep_marks_the_steps_whose_stencil_takes_another_path():
    wl = dz.parse(_src("piecewise_kink.dz")).at([0.9]).wengert
    sweep = numeric.error_sweep(wl, [0.9], 1.8, schemes=["central"], eps=[1e-6, 1e-3, 0.05, 0.2, 0.5])
    # x + h crosses 1 exactly when h > 0.1
    assert sweep["other_path"].tolist() == [False, False, False, True, True]


def test_max_and_min_kinks():
    # max(x, 2x - 1): slope 1 left of x = 1, 2 right of it (closed form); at the tie the one-sided slopes are named.
    assert dz.differentiate("max(x, 2*x - 1)", [0.5], "reverse").derivative == 1.0
    assert dz.differentiate("max(x, 2*x - 1)", [2.0], "forward").derivative == 2.0
    assert dz.differentiate("min(x, 2*x - 1)", [2.0], "forward").derivative == 1.0
    r = dz.differentiate("max(x, 2*x - 1)", [1.0], "reverse")
    assert r.derivative == 1.5 and any("1 from the left and 2 from the right" in w for w in r.warnings)
    assert dz.differentiate("max(x, x)", [1.0], "reverse").derivative == 1.0  # half the slope to each argument
    with pytest.raises(dz.ParseError, match="max takes two arguments"):
        dz.parse("max(x)")


def test_cli_reads_a_program_file(tmp_path, capsys):
    from diffzoo.cli import main

    path = tmp_path / "prog.dz"
    path.write_text(_src("taylor_sin.dz"))
    assert main(["trace", "--file", str(path), "--at", "x=1"]) == 0
    out = capsys.readouterr().out
    assert "steps by source line" in out and "line 6 (k = 1)" in out
    assert main(["compare", "--file", str(path), "--at", "x=1"]) == 0
    assert "reverse" in capsys.readouterr().out
    path.write_text("y = x\n\ty = 2\nreturn y")
    assert main(["trace", "--file", str(path), "--at", "x=1"]) == 2
    assert "a tab in the indentation" in capsys.readouterr().err
    assert main(["trace", "--file", str(tmp_path / "missing.dz"), "--at", "x=1"]) == 2


# --- random programs ---------------------------------------------------------------------------------

_SMOOTH = ["sin", "cos", "exp", "tanh", "atan", "sigmoid"]


@st.composite
def _expr(draw: st.DrawFn, names: list[str], depth: int = 2) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(names + ["0.5", "1.5", "2"]))
    kind = draw(st.integers(0, 3))
    a, b = draw(_expr(names, depth - 1)), draw(_expr(names, depth - 1))
    if kind == 0:
        return f"{draw(st.sampled_from(_SMOOTH))}({a})"
    return f"({a} {draw(st.sampled_from(['+', '-', '*']))} {b})"


@st.composite
def _program(draw: st.DrawFn) -> str:
    lines = ["def f(x, y):", "    a = x", "    b = y"]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 3))
        e = draw(_expr(["a", "b", "x", "y"]))
        tgt = draw(st.sampled_from(["a", "b"]))
        if kind == 0:
            lines.append(f"    {tgt} = tanh({e})")
        elif kind == 1:
            lines += [f"    for k in range({draw(st.integers(0, 3))}):", f"        {tgt} = sin({e}) + k / 4"]
        elif kind == 2:
            lines += [f"    if {e} > {draw(st.sampled_from(['0', '0.5', '-1']))}:", f"        {tgt} = atan({e})",
                      "    else:", f"        {tgt} = cos({e}) * 0.5"]
        else:
            lines += ["    n = 0", f"    while n < 3 and tanh({e}) > -0.5:", f"        {tgt} = 0.9 * tanh({e})",
                      "        n += 1"]
    lines.append("    return a * b + x, a - y")
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_program(), st.floats(-2, 2), st.floats(-2, 2))
def test_random_programs_methods_agree(src, x, y):
    f = dz.parse(src)
    point = [x, y]
    path = f.at(point).wengert
    if any(g.active and g.margin < 1e-6 for g in path.guards):
        return  # near a guard the methods may rightly differ
    fwd = dz.differentiate(f, point, "forward").jacobian
    rev = dz.differentiate(f, point, "reverse").jacobian
    sym = dz.differentiate(f, point, "symbolic").jacobian
    scale = max(1.0, float(np.abs(fwd).max()))
    np.testing.assert_allclose(rev, fwd, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(sym, fwd, rtol=1e-12, atol=1e-12 * scale)
    num = dz.differentiate(f, point, "numeric")
    if not any("other branch" in w or "different number" in w for w in num.warnings):
        for i, e in enumerate(num.details["estimates"]):
            if e.trusted:
                np.testing.assert_allclose(num.jacobian[:, i], fwd[:, i], rtol=1e-5, atol=1e-6 * scale)


def test_program_limits_are_reported_with_the_line():
    prog = parse_program("s = 0\nfor i in range(3):\n    s = s + x\nreturn s")
    assert prog.inputs == ("x",) and prog.trace([1.0])(1.0) == 3.0


def test_the_path_note_names_a_guard_once():
    # if x > 1 inside a loop of 50 iterations at x = 1: the three closest decisions are the same test of line 6 in
    # three iterations, and the note said "line 6 (...); line 6 (...); line 6 (...)".
    text = ("def f(x):\n    s = x\n    i = 0\n    while i < 50:\n        i = i + 1\n        if x > 1:\n"
            "            s = s\n    return s\n")
    notes = [w for w in dz.differentiate(text, [1.0], "reverse").warnings if "closest to flipping" in w]
    assert len(notes) == 1 and notes[0].count("line 6 (if x > 1") == 1, notes

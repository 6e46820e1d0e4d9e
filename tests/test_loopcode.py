"""The loop-keeping compiler (issue #14, part 2): generated primal, JVP and VJP against the traced interpreter.

Oracle: the traced interpreter (``dz.differentiate(program, x, "forward"/"reverse")``: ``program.tangents`` and
``program.adjoints`` over the traced Wengert list), which the part 1 tests check against 50-digit mpmath runs. The
generated code splits every expression into the tracer's steps, in the tracer's order, with partials from the same
rules, so the numbers are compared with ``==`` (bit for bit, a zero's sign aside). One exception, said where it
applies: a copy ``a = x`` makes ``a`` and ``x`` one node of the trace, whose adjoint the interpreter sums in one
accumulator in reverse order of the reads, while the generated code keeps ``a_bar`` and ``x_bar`` apart and adds
``a_bar`` into ``x_bar`` at the copy: the same terms summed in another order, equal to rounding (1e-14 relative to
the largest entry).
"""

from __future__ import annotations

import json
import keyword
import math
import pathlib
import re
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffzoo as dz
from diffzoo import loopcode
from diffzoo.compile import identifiers, namespace
from diffzoo.program import Assign, parse_program

ASSETS = pathlib.Path(__file__).resolve().parent.parent / "assets" / "programs"
INDEX = json.loads((ASSETS / "index.json").read_text())
#: Three points per example (as tests/test_program.py), and each one's index point.
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


def _copies(prog) -> bool:
    """Does the program copy a variable (``a = x``), making two names one node of the trace?"""
    def walk(body) -> bool:
        for s in body:
            if isinstance(s, Assign) and s.op == "=" and s.expr.op == "var":
                return True
            for b in [getattr(s, "body", ())] + [b for _, _, b in getattr(s, "branches", ())] + [
                    getattr(s, "orelse", None) or ()]:
                if walk(b):
                    return True
        return False
    return walk(prog.body)


def _same(got, want, exact: bool) -> None:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if exact:
        assert got.tolist() == want.tolist()
    else:  # a copy: the same terms summed in another order (see the module doc)
        scale = max(1.0, float(np.abs(want).max(initial=0.0)))
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14 * scale)


def _check(text: str, x: list[float]) -> None:
    """primal, JVP (every unit seed and a mixed one) and VJP (every unit weight and a mixed one) against the
    traced interpreter."""
    prog = parse_program(text)
    code = loopcode.generate(prog)
    exact = not _copies(prog)
    n, m = len(prog.inputs), prog.m
    wl = prog.trace(x)
    value = wl.output_values(wl.evaluate(x))
    assert code.primal(x) == value  # the same operations, in the same order
    seeds = [[1.0 if i == j else 0.0 for i in range(n)] for j in range(n)] + [[0.5 - i for i in range(n)]]
    for seed in seeds:
        r = dz.differentiate(text, x, "forward", seed=seed)
        out, dot = code.jvp(x, seed)
        assert out == value
        _same(dot, r.details["jvp"], exact)
    weights = [[1.0 if i == j else 0.0 for i in range(m)] for j in range(m)] + [[1.5 - i for i in range(m)]]
    for w in weights:
        r = dz.differentiate(text, x, "reverse", ybar=w)
        out, bar = code.vjp(x, w)
        assert out == value
        _same(bar, r.details["vjp"], exact)


@pytest.mark.parametrize("name", sorted(POINTS))
def test_every_example_equals_the_traced_interpreter(name):
    text = (ASSETS / name).read_text()
    entry = next(e for e in INDEX if e["file"] == name)
    prog = parse_program(text)
    for x in POINTS[name] + [[float(entry["point"][v]) for v in prog.inputs]]:
        _check(text, x)


def test_which_examples_copy_a_variable():
    # these four are compared to rounding (y = x, base = x, px_old = px, term = x); the other four with ==.
    # Taylor's sin at x = -0.9 is one where the order matters: its adjoint differs in the last bits.
    copying = [n for n in sorted(POINTS) if _copies(parse_program((ASSETS / n).read_text()))]
    assert copying == ["newton_sqrt.dz", "pow_squaring.dz", "projectile.dz", "taylor_sin.dz"]
    text = (ASSETS / "taylor_sin.dz").read_text()
    got = loopcode.generate(parse_program(text)).vjp([-0.9], [1.0])[1][0]
    want = dz.differentiate(text, [-0.9], "reverse").derivative
    assert got != want and got == pytest.approx(want, rel=1e-15) and want == pytest.approx(math.cos(-0.9), abs=1e-13)


def test_loops_are_kept_not_unrolled():
    # the logistic map for 8 and for 5,000 iterations: the same generated text but for the bound
    src = (ASSETS / "logistic_map.dz").read_text()
    small, big = (loopcode.generate(parse_program(src.replace("range(8)", f"range({n})"))) for n in (8, 5000))
    for kind in ("primal_source", "jvp_source", "vjp_source"):
        assert getattr(small, kind).replace("range(8)", "range(5000)") == getattr(big, kind)
    vjp = small.vjp_source
    assert "for k in range(8):" in vjp and "for k in reversed(range(8)):" in vjp
    assert "_push(x)" in vjp and "x = _pop()" in vjp  # x is overwritten, and its partials read it
    # the partials come from the table's rules: ∂(r x)/∂x = r, ∂(u (1 - x))/∂x through sub's -1
    assert "r_bar +=" in vjp and "x_bar" in vjp


def test_the_readme_shows_the_generated_vjp_as_it_is():
    readme = (ASSETS.parent.parent / "README.md").read_text()
    part = readme[readme.index("**Programs compiled with their loops.**"):]
    shown = part[part.index("```python\n") + 10:part.index("```\n", part.index("```python"))]
    assert shown == loopcode.generate(parse_program((ASSETS / "logistic_map.dz").read_text())).vjp_source


def test_line_map_points_each_line_at_its_statement():
    code = loopcode.generate(parse_program((ASSETS / "taylor_sin.dz").read_text()))
    for kind, text in (("primal", code.primal_source), ("jvp", code.jvp_source), ("vjp", code.vjp_source)):
        lines = text.rstrip("\n").split("\n")
        assert len(code.line_map[kind]) == len(lines)
        for line, src in zip(lines, code.line_map[kind]):
            s = line.strip()
            if s.startswith(("term =", "term_dot =", "term_bar =")) and "_pop" not in s:
                assert src in (4, 7), (kind, line)  # term = x (line 4), term = -term * x^2 / ... (line 7)
            if s.startswith(("s = s", "s_dot = s_dot")):
                assert src == 6
            if s.startswith(("_tape", "_chk", "_push, _pop", "if _seen", "_start")):
                assert src is None
    vjp = code.vjp_source.split("\n")
    assert code.line_map["vjp"][vjp.index("    for k in reversed(range(1, 12)):")] == 5


def test_tape_stats_count_overwritten_values_decisions_and_trip_counts():
    # Newton at x = 2: the if at line 4 is taken (y = x / 2 overwrites y: one value and one decision), then the
    # while loop runs as many times as the trace's true guards at line 6 say, saving y each time, and its count.
    text = (ASSETS / "newton_sqrt.dz").read_text()
    prog = parse_program(text)
    trips = sum(1 for g in prog.trace([2.0]).guards if g.line == 6 and g.outcome)
    assert trips == 5
    stats = loopcode.generate(prog).vjp_stats([2.0], [1.0])
    assert stats == loopcode.TapeStats(pushes=1 + 1 + trips + 1, pops=8, peak=8, values=1 + trips)
    # the logistic map: x overwritten once an iteration, 8 values; nothing else
    logistic = loopcode.generate(parse_program((ASSETS / "logistic_map.dz").read_text()))
    assert logistic.vjp_stats([0.2, 3.7], [1.0]) == loopcode.TapeStats(8, 8, 8, 8)


def test_memory_profile_tape_grows_with_iterations_live_values_do_not():
    prog = parse_program((ASSETS / "logistic_map.dz").read_text())
    df = loopcode.memory_profile(prog, [0.2, 3.7], [10, 100, 1000])
    assert list(df.columns) == ["iterations", "reverse_tape_values", "forward_live_values", "reverse_seconds",
                                "forward_seconds"]
    assert df["reverse_tape_values"].tolist() == [10, 100, 1000]  # one saved x an iteration
    assert df["forward_live_values"].tolist() == [5, 5, 5]  # x, r, k, x_dot, r_dot
    assert (df["reverse_seconds"] > 0).all() and (df["forward_seconds"] > 0).all()
    # a callable program_for(n) works the same
    src = "def f(x):\n    y = x\n    for k in range({n}):\n        y = sin(y) * x\n    return y"
    df2 = loopcode.memory_profile(lambda n: parse_program(src.format(n=n)), [0.5], [5, 50])
    assert df2["reverse_tape_values"].tolist() == [5, 50]
    with pytest.raises(ValueError, match="no for loop over a constant range"):
        loopcode.memory_profile(parse_program("y = x\nwhile y > 1:\n    y = y / 2\nreturn y"), [4.0], [3])


def test_if_elif_else_augmented_assignment_overwrites_and_vector_outputs():
    src = """def f(x, y):
    s = 0
    t = x * y
    for k in range(6):
        if sin(x * k) > 0.3:
            s += t * x
            t = t * cos(y)
        elif sin(x * k) < -0.3:
            s -= t / (1 + y^2)
            t *= 0.9
        else:
            s *= 1.1
            t /= 1 + x^2
    w = 0
    while abs(t) > 1e-3:
        t = t / 3 + s * 1e-6
        w += t
    return s, t * w, x
"""
    for x in ([0.7, 0.4], [1.9, -0.8], [-2.5, 1.3]):
        _check(src, x)
    # every branch is taken somewhere across these points, and the while loop's count varies with the point
    trips = set()
    for x in ([0.7, 0.4], [1.9, -0.8], [-2.5, 1.3]):
        guards = parse_program(src).trace(x).guards
        trips.add(sum(1 for g in guards if g.line == 15 and g.outcome))
    assert len(trips) > 1


def test_names_that_clash_are_renamed_and_generated_text_has_only_known_names():
    # variables named after a table function (pow, xlogy: not callable by users), and x_bar / y_dot themselves
    src = "def f(x, y):\n    pow = x * y\n    x_bar = pow + sin(x)\n    y_dot = x_bar * y\n    xlogy = y_dot^2\n" \
          "    return xlogy + pow"
    _check(src, [0.3, 1.7])
    code = loopcode.generate(parse_program(src))
    allowed = set(namespace("float")) | {"range", "reversed", "float", "list", "None", "append", "pop", "pass", "f",
                                         "f_jvp", "f_vjp"} | set(keyword.kwlist)
    for text in (code.primal_source, code.jvp_source, code.vjp_source):
        names = identifiers(text)
        user = {n for n in names if n not in allowed and not n.startswith("_")}
        # x and y are renamed (x_bar and y_dot are taken), pow and xlogy too (functions of the namespace)
        assert user <= {f"{v}{d}" for v in ("x_bar", "y_dot") for d in ("", "_dot", "_bar")}, user
        assert {"_u_x", "_u_y", "_u_pow", "_u_xlogy"} <= names


def test_a_loop_variable_does_not_clobber_a_variable_of_the_same_name():
    # the tracer keeps loop variables apart from variables: after the loop, k is the variable again (x + 1)
    src = "def f(x):\n    k = x + 1\n    s = 0\n    for k in range(3):\n        s += x * k\n    return s * k"
    assert loopcode.generate(parse_program(src)).primal([2.0]) == [(0 + 2 + 4) * 3.0]
    _check(src, [2.0])


def test_domain_errors_fall_back_to_the_interpreter_and_its_precise_error():
    src = "def f(x):\n    s = 0\n    for k in range(4):\n        s = s + log(x - k)\n    return s"
    code = loopcode.generate(parse_program(src))
    for call in (lambda: code.primal([1.5]), lambda: code.jvp([1.5], [1.0]), lambda: code.vjp([1.5], [1.0])):
        with pytest.raises(dz.EvaluationError, match=r"line 4 \(k = 2\).*log is undefined at -0.5"):
            call()
    # an overflow that atan would turn into a finite pi/2: the interpreter refuses it, and so does the code
    over = loopcode.generate(parse_program("def f(x):\n    y = atan(x * 1e308 * 10)\n    return y"))
    with pytest.raises(dz.EvaluationError):
        over.vjp([1.0], [1.0])
    with pytest.raises(dz.EvaluationError):
        over.primal([1.0])


def test_an_endless_while_loop_is_refused_with_the_interpreters_limit():
    code = loopcode.generate(parse_program("def f(x):\n    while x > 0:\n        x = x + 1\n    return x"))
    t = time.perf_counter()
    with pytest.raises(dz.LimitError, match="while loop"):
        code.vjp([1.0], [1.0])
    assert time.perf_counter() - t < 2.0


def test_differentiate_compiled_runs_the_loop_code_with_the_paths_warnings():
    text = (ASSETS / "piecewise_kink.dz").read_text()
    for method in ("forward", "reverse"):
        r = dz.differentiate(text, [1.0], method, compiled=True)
        assert r.details["compiled"] and isinstance(r.details["loopcode"], loopcode.LoopCode)
        assert r.derivative == -1.0  # the else branch, 2 - x (closed form)
        assert any("2 from the left and -1 from the right" in w for w in r.warnings)
    text = (ASSETS / "logistic_map.dz").read_text()
    for method in ("forward", "reverse"):
        got = dz.differentiate(text, [0.2, 3.7], method, compiled=True)
        want = dz.differentiate(text, [0.2, 3.7], method)
        assert got.jacobian.tolist() == want.jacobian.tolist() and got.value == want.value
    r = dz.differentiate(text, [0.2, 3.7], "reverse", compiled=True, ybar=[2.0])
    assert r.details["vjp"] == dz.differentiate(text, [0.2, 3.7], "reverse", ybar=[2.0]).details["vjp"]


def test_a_program_with_its_code_pickles():
    # Streamlit's caches pickle programs: the generated functions are left out and compiled again from their text
    import pickle

    prog = parse_program((ASSETS / "logistic_map.dz").read_text())
    code = loopcode.generate(prog)
    prog2 = pickle.loads(pickle.dumps(prog))
    code2 = pickle.loads(pickle.dumps(code))
    assert code2.vjp_source == code.vjp_source
    assert code2.vjp([0.2, 3.7], [1.0]) == code.vjp([0.2, 3.7], [1.0])
    assert loopcode.generate(prog2).jvp([0.2, 3.7], [1.0, 0.0]) == code.jvp([0.2, 3.7], [1.0, 0.0])


def test_generated_vjp_reads_as_an_adjoint_program():
    code = loopcode.generate(parse_program("def f(x):\n    y = 0\n    for k in range(3):\n"
                                           "        y = 0.5 * y + sin(x * k)\n    return y"))
    rev = code.vjp_source.split("# reverse sweep")[1]
    # y is never read by a partial, so nothing is pushed; each iteration backwards: x's contribution through cos,
    # then y's adjoint times 0.5 (the partial of 0.5 * y)
    assert "_push" not in code.vjp_source.split("# reverse sweep")[0].replace("_push, _pop", "")
    assert re.search(r"for k in reversed\(range\(3\)\):\n\s+x_bar \+= \(?y_bar \* cos\(\(?x \* k\)?\)\)? \* k\n"
                     r"\s+y_bar = y_bar \* 0\.5\n", rev), rev


# --- random programs (the generator of tests/test_program.py, mirrored, with elif and augmented assignment) ---

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
def _program(draw: st.DrawFn, copies: bool) -> str:
    start = ["    a = x", "    b = y"] if copies else ["    a = 1 * x", "    b = y + 0"]
    lines = ["def f(x, y):"] + start
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.integers(0, 5))
        e = draw(_expr(["a", "b", "x", "y"]))
        tgt = draw(st.sampled_from(["a", "b"]))
        if kind == 0:
            lines.append(f"    {tgt} = tanh({e})")
        elif kind == 1:
            lines += [f"    for k in range({draw(st.integers(0, 3))}):", f"        {tgt} = sin({e}) + k / 4"]
        elif kind == 2:
            lines += [f"    if {e} > {draw(st.sampled_from(['0', '0.5', '-1']))}:", f"        {tgt} = atan({e})",
                      "    else:", f"        {tgt} = cos({e}) * 0.5"]
        elif kind == 3:
            lines += ["    n = 0", f"    while n < 3 and tanh({e}) > -0.5:", f"        {tgt} = 0.9 * tanh({e})",
                      "        n += 1"]
        elif kind == 4:
            lines.append(f"    {tgt} {draw(st.sampled_from(['+=', '-=', '*=']))} sin({e})")
        else:
            lines += [f"    if {e} > 0.5:", f"        {tgt} = sin({e})", f"    elif {e} < -0.5:",
                      f"        {tgt} *= cos({e})", "    else:", f"        {tgt} -= {e} * 0.25"]
    lines.append("    return a * b + x, a - y")
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_program(copies=False), st.floats(-2, 2), st.floats(-2, 2))
def test_random_programs_bit_for_bit(src, x, y):
    _check(src, [x, y])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_program(copies=True), st.floats(-2, 2), st.floats(-2, 2))
def test_random_programs_with_copies_to_rounding(src, x, y):
    _check(src, [x, y])  # a = x, b = y: the interpreter's one node, two adjoints here (module doc)


def test_an_output_that_is_an_input_and_a_constant_output():
    src = "def f(x, y):\n    z = x * y\n    return x, 3, z, z"
    _check(src, [1.5, -2.0])
    assert loopcode.generate(parse_program(src)).vjp([1.5, -2.0], [1.0, 5.0, 2.0, 0.5])[1] == [
        1.0 + 2.0 * -2.0 + 0.5 * -2.0, 2.0 * 1.5 + 0.5 * 1.5]  # closed form: d(x, 3, xy, xy)
    assert math.isfinite(loopcode.generate(parse_program(src)).primal([1.5, -2.0])[2])

"""The traced program's fast path (issue #14, speed): what it leaves out or builds later changes nothing shown.

Tracing keeps a program's tracer (and the generated code bound to it) from one trace to the next, records where
each step comes from without a tuple per iteration, runs the closing return in line and pauses the garbage
collector while it records; ``differentiate`` assembles a program's gradient without its tables, which are built
when read. Each is checked here against an independent computation: plain Python floats, origins and guards
worked out by hand, a fresh program, and the loop-compiled (generated) code.
"""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest

import diffzoo as dz
from diffzoo.errors import EvaluationError
from diffzoo.program import Origin, parse_program

LOOP = "y = 0\nfor k in range({n}):\n    y = 0.5 * y + sin(x * k)\nreturn y"


def plain(x: float, n: int) -> float:
    y = 0.0
    for k in range(n):
        y = 0.5 * y + math.sin(x * k)
    return y


def plain_derivative(x: float, n: int) -> float:
    """d/dx of the loop above, by hand: y' = 0.5 y' + k cos(x k)."""
    d = 0.0
    for k in range(n):
        d = 0.5 * d + k * math.cos(x * k)
    return d


@pytest.mark.parametrize("n", [1, 2, 3, 40, 300, 2000])
def test_a_kept_tracer_reads_each_traces_own_inputs(n):
    """Generated code stays bound to the tracer between traces; the input it reads is this trace's, not the one
    it was bound at."""
    prog = parse_program(LOOP.format(n=n))
    for x in (0.3, 0.3, 0.3, 0.7, -1.25, 0.3, 2.0):
        wl = prog.trace([x])
        assert wl.output_values(wl.__dict__["_traced"][1]) == [plain(x, n)]
        fresh = parse_program(LOOP.format(n=n)).trace([x])  # a tracer of its own, never used before
        assert wl.__dict__["_traced"][1] == fresh.__dict__["_traced"][1]
        assert list(wl.steps) == list(fresh.steps) and list(wl.origins) == list(fresh.origins)
        r = dz.differentiate(LOOP.format(n=n), [x])
        assert r.value == plain(x, n)
        assert r.derivative == pytest.approx(plain_derivative(x, n), rel=1e-12, abs=1e-12)


def test_origins_and_guards_of_nested_loops_worked_out_by_hand():
    """Every step's origin (line and loop iterations) and every guard's loops, for loops nested two deep with a
    branch in the inner one, against the iterations written out by hand; the same on every trace."""
    src = ("def f(x):\n"
           "    y = x\n"
           "    for i in range(3):\n"
           "        for k in range(50):\n"
           "            y = y * 0.5 + sin(x * k)\n"
           "            if y > 100:\n"
           "                y = y / 2\n"
           "    return y\n")
    prog = parse_program(src)
    expected = [Origin(5, (("i", i), ("k", k))) for i in range(3) for k in range(50) for _ in range(4)]
    for _ in range(4):  # the first trace runs the closures, later ones the generated code bound to the tracer
        wl = prog.trace([0.4])
        assert list(wl.origins) == expected
        assert [g.loops for g in wl.guards] == [(("i", i), ("k", k)) for i in range(3) for k in range(50)]
        assert all(g.line == 6 and not g.outcome for g in wl.guards)


def test_origins_of_a_while_loop_and_a_loop_after_it():
    src = ("def f(x):\n"
           "    y = x\n"
           "    while y < 10:\n"
           "        y = y * 3\n"
           "    for k in range(40):\n"
           "        y = y + x\n"
           "    return y\n")
    prog = parse_program(src)
    for _ in range(3):
        wl = prog.trace([1.0])  # 1 -> 3 -> 9 -> 27: three iterations
        assert list(wl.origins) == ([Origin(4, (("while@3", i),)) for i in (1, 2, 3)]
                                    + [Origin(6, (("k", k),)) for k in range(40)])
        assert [g.loops for g in wl.guards] == [(("while@3", i),) for i in (1, 2, 3, 4)]


def test_an_error_names_its_iteration_after_generated_code_ran():
    """Generated code declines where a value is not finite; the closures then raise the precise error, which
    names the iteration from the tracer's record."""
    src = "def f(x):\n    y = x\n    for k in range(200):\n        y = y * 2 + x\n    return y\n"
    prog = parse_program(src)
    prog.trace([1.0])
    with pytest.raises(EvaluationError, match=r"line 4 \(k = \d+\)"):
        prog.trace([1e300])
    y = 1.0
    for _ in range(200):
        y = y * 2 + 1.0
    wl = prog.trace([1.0])  # (the tracer that raised is not used again; a new one answers)
    assert wl.output_values(wl.__dict__["_traced"][1]) == [y]


@pytest.mark.parametrize("n", [5, 100, 3000])
def test_the_gradient_is_the_generated_codes_and_its_trace_is_built_when_read(n):
    """A program's gradient by the interpreted sweep equals the loop-compiled code's (generated independently, in
    loopcode); its tables are not built until read, and are then those of the trace."""
    src = LOOP.format(n=n)
    r = dz.differentiate(src, [0.3], "reverse")
    c = dz.differentiate(src, [0.3], "reverse", compiled=True)
    assert r.value == c.value == plain(0.3, n)
    assert r.jacobian.shape == (1, 1) and r.jacobian.dtype == np.float64
    assert r.jacobian.tolist() == c.jacobian.tolist()
    assert r.cost == c.cost
    assert r.trace._sweeps == {}  # nothing of the tables yet
    assert r.warnings == c.warnings
    assert r.trace._sweeps == {}  # the warnings need none of them
    tables = r.trace.tables()
    assert list(tables) == list(c.trace.tables())
    assert tables["primal"].to_markdown() == c.trace.tables()["primal"].to_markdown()


def test_a_vector_programs_jacobian_has_its_shape():
    src = "def f(x, y):\n    s = 0\n    for k in range(30):\n        s = s + x * sin(y * k)\n    return s, s * y, 3\n"
    r = dz.differentiate(src, [0.3, 0.7], "reverse")
    c = dz.differentiate(src, [0.3, 0.7], "reverse", compiled=True)
    f = dz.differentiate(src, [0.3, 0.7], "forward")
    assert r.jacobian.shape == (3, 2)
    assert r.jacobian.tolist() == c.jacobian.tolist()
    assert np.allclose(r.jacobian, f.jacobian, rtol=1e-13, atol=0)
    assert r.jacobian[2].tolist() == [0.0, 0.0]
    assert r.value == c.value and r.cost == c.cost


def test_warnings_are_complete_before_any_table_is_read():
    """At a branch boundary the warnings say so (one-sided derivatives from the paths on each side) and add the
    path note; read first, they are complete, and reading the tables changes none of them."""
    src = ("def f(x):\n    y = x\n    for k in range(40):\n        if x > 0.5:\n            y = y + 2 * x * x\n"
           "        else:\n            y = y + x\n    return y\n")  # continuous at 0.5, with a kink: 41 and 81
    r = dz.differentiate(src, [0.5], "reverse")
    first = list(r.warnings)
    assert r.trace._sweeps == {}
    assert any("branch boundary" in w and "is 41 from the left and 81 from the right" in w for w in first)
    assert any("derivative of the path the program takes" in w for w in first)
    r.trace.tables()
    assert r.warnings == first
    assert dz.differentiate(src, [0.5], "reverse", compiled=True).warnings == first


def test_tracing_pauses_the_collector_and_gives_it_back():
    prog = parse_program(LOOP.format(n=200))
    assert gc.isenabled()
    prog.trace([0.3])
    assert gc.isenabled()
    bad = parse_program("def f(x):\n    y = x\n    for k in range(50):\n        y = y * y\n    return y\n")
    with pytest.raises(EvaluationError):
        bad.trace([3.0])
    assert gc.isenabled()
    gc.disable()
    try:
        prog.trace([0.3])
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


BODIES = ["y = 0.5 * y + sin(x * k)", "y = y + x ** k", "y = y * k + x", "y = k * x + y * 0.5", "y = y + x * k * k",
          "y = y - k * y + x", "y = y + (x - k) ** 2", "y = y * 0.5 + x / (k * k + 1)", "y = y + k"]


def _record(wl):
    return (wl.__dict__["_traced"][1], list(wl.steps), list(wl.steps.act), list(wl.origins), wl.guards, wl.outputs)


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("bounds", ["60", "3, 60", "40, -1, -1", "-5, 45"])
def test_generated_code_records_what_the_closures_record(body, bounds, monkeypatch):
    """Generated code (the loop variable at 0 included, where y * k and y ^ k are identities: inactive steps)
    records the very values, steps, activities, origins and guards as the closures alone, trace after trace."""
    src = f"def f(x):\n    y = x\n    for k in range({bounds}):\n        {body}\n    return y\n"
    fast = parse_program(src)
    got = [_record(fast.trace([x])) for x in (0.7, 0.7, 0.7, -0.3, 0.7)]
    assert fast.__dict__.get("_templates")  # (generated code was made and run)
    import diffzoo.program as program
    monkeypatch.setattr(program, "_TEMPLATES", 0)  # no generated code: the closures run every statement
    slow = parse_program(src)
    assert got == [_record(slow.trace([x])) for x in (0.7, 0.7, 0.7, -0.3, 0.7)]
    assert not slow.__dict__.get("_templates")


def test_generated_code_that_no_longer_fits_hands_over():
    """The code a statement took first, and the code that followed a code that declined, are tried first on the
    next trace; where what the names hold differs (another branch taken before the loop), they decline and the
    code that fits (or the closures) answers, with the same record as a fresh program's."""
    src = ("def f(x):\n    y = 0\n    if x > 0:\n        y = x\n    for k in range(50):\n"
           "        if k > 25:\n            y = y * 0.5 + x\n        else:\n            y = y + k * x\n    return y\n")
    prog = parse_program(src)
    for x in (0.5, 0.5, -0.5, 0.5, -0.5, -0.5, 0.5):
        assert _record(prog.trace([x])) == _record(parse_program(src).trace([x]))


def test_a_text_is_parsed_once_for_its_variable_order():
    """differentiate(text, ...) keeps the parse (what does not depend on the point: a program's tracer and
    generated code with it) for the next call with the same text and variables; the answers are those of a
    function parsed afresh, and another variable order is another function."""
    src = "def f(x, y):\n    s = 0\n    for k in range(40):\n        s = s + x * sin(y * k)\n    return s\n"
    r1 = dz.differentiate(src, [0.3, 0.7])
    r2 = dz.differentiate(src, {"x": 0.5, "y": 0.2})
    assert r1.function.path_of is r2.function.path_of  # (the same parsed program)
    for r, p in ((r1, [0.3, 0.7]), (r2, [0.5, 0.2])):
        fresh = dz.differentiate(dz.parse(src), p)
        assert r.value == fresh.value and r.jacobian.tolist() == fresh.jacobian.tolist()
        assert r.warnings == fresh.warnings and r.cost == fresh.cost
    expr = dz.differentiate("x * y + sin(x)", [1.0, 2.0])
    swapped = dz.differentiate("x * y + sin(x)", [2.0, 1.0], variables=["y", "x"])
    assert expr.function is dz.differentiate("x * y + sin(x)", [3.0, 4.0]).function
    assert swapped.function is not expr.function and swapped.function.variables == ("y", "x")
    assert swapped.gradient == pytest.approx({"y": 1.0, "x": 2.0 + math.cos(1.0)})
    with pytest.raises(dz.ParseError):
        dz.differentiate("def f(x):\n    return lambda: x\n", [1.0])

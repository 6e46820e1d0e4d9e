"""The command line: `diffzoo trace` and `diffzoo compare`, its errors, and `python -m diffzoo`.

Oracles: the survey's worked example (Baydin et al., Tables 2 and 3: f = 11.652071455223084 and
∂f/∂x2 = 2 - cos 5 = 1.7163378145367738 at (2, 5)) and closed-form derivatives.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import diffzoo as dz
from diffzoo.cli import main


def test_cli_trace(capsys):
    # The survey's Tables 2 and 3: v_5 = v_4 - v_3, f(2, 5) = 11.652071455223084, the adjoint rule
    # v̄_-1 = v̄_0 + v̄_2 * v_-1 ... and ∂f/∂x2 = 2 - cos 5 = 1.7163378145367738.
    assert main(["trace", "ln(x1)+x1*x2-sin(x2)", "--at", "x1=2", "x2=5"]) == 0
    out = capsys.readouterr().out
    assert "v_5       v_4 - v_3" in out
    assert "11.652071455223084" in out
    assert "v̄_0 + v̄_2 * v_-1" in out and "1.7163378145367738" in out


def test_cli_compare(capsys):
    # (x1*x2, cos x1) at (2, 3): ∂cos(x1)/∂x1 = -sin 2 = -0.90929742682568171 (closed form), in every method's row.
    assert main(["compare", "x1*x2, cos(x1)", "--at", "x1=2", "x2=3"]) == 0
    out = capsys.readouterr().out
    for m in dz.METHODS:
        assert m in out
    assert "-0.90929742682568171" in out


@pytest.mark.parametrize(("args", "fragment"), [
    (["trace", "sinn(x)", "--at", "x=1"], "Did you mean 'sin'?"),
    (["trace", "ln(x)", "--at", "x=-2"], "log is undefined at -2"),
    (["trace", "x+y", "--at", "x=1"], "no value for y"),
    (["trace", "x", "--at", "x=abc"], "not a number"),
    # --at reads numbers as the app's boxes do (diffzoo.points.read_number), never with float()
    (["trace", "sqrt(x)", "--at", "x=1e-400"], "below the smallest float"),  # float() made it 0, silently
    (["trace", "x", "--at", "x=1e400"], "beyond the largest float"),
    (["trace", "x", "--at", "x=1_000"], "not a number"),
    (["trace", "x", "--at", "x=nan"], "not a finite number"),
    (["trace", "x1*x2", "--at", "x1=1", "x1=2", "x2=3"], "--at gives x1 twice"),  # the last one won, silently
    (["trace", "x1*x2", "--at", "1", "x2=2"], "mixes name=value with bare values"),
    (["trace", "x1*x2"], "--at gives no value for x1, x2: e.g. --at x1=1 x2=1"),
    (["trace", "--at", "x=1", "x^2"], "came after --at"),  # the function taken for a point value
    (["trace", "-x", "--at", "x=1"], "put it after -- at the end"),  # argparse's own message gave no way out
])
def test_cli_errors_exit_2_without_traceback(capsys, args, fragment):
    # No figures: each mistake is named in one line on stderr, with exit status 2 (argparse's own
    # errors, as for a function that starts with '-', exit 2 through SystemExit).
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_python_dash_m_entry_point():
    # x^2 + 1 at 3 traces (its tangent rows v̇_1 ...); "x^" is a syntax error, exit status 2 and no traceback.
    p = subprocess.run([sys.executable, "-m", "diffzoo", "trace", "x^2 + 1", "--at", "x=3"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "v̇_1" in p.stdout
    p = subprocess.run([sys.executable, "-m", "diffzoo", "trace", "x^", "--at", "x=3"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "^" in p.stderr and "Traceback" not in p.stderr


def test_cli_reads_pi_and_a_unicode_minus_as_the_app_does(capsys):
    # x^2 at pi: 9.869604401089358 (pi^2) and 2 pi = 6.283185307179586; at −1 (U+2212): 1 and -2.
    assert main(["trace", "x^2", "--at", "x=pi"]) == 0
    out = capsys.readouterr().out
    assert "9.869604401089358" in out and "6.283185307179586" in out
    assert main(["trace", "x^2", "--at", "x=\u22121"]) == 0
    assert "x = -1" in capsys.readouterr().out


def test_cli_hessian_of_a_program(capsys, tmp_path):
    # It refused every program ("Trace it first", a message for library users). Newton's square root along
    # its path: d2/dx2 sqrt(x) = -x^(-3/2)/4 = -0.08838834764831845 at 2 (closed form).
    prog = tmp_path / "sqrt.dz"
    prog.write_text("def f(x):\n    y = x\n    while abs(y*y - x) > 1e-12*x:\n        y = (y + x/y)/2\n    return y\n")
    assert main(["hessian", "--file", str(prog), "--at", "x=2", "--method", "forward-over-reverse"]) == 0
    out = capsys.readouterr().out
    assert "-0.08838834764831845" in out


@pytest.mark.parametrize(("loop", "fragment"), [
    ("range(0, 10, 0)", "range's step is 0: the loop would never end"),  # ValueError from Python's range
    ("range(0, 99999999999999999999999999999)", "astronomically large"),  # OverflowError from len(range)
    ("range(-99999999999999999999999, 0)", "astronomically large"),
])
def test_cli_refuses_a_range_that_cannot_run(capsys, tmp_path, loop, fragment):
    prog = tmp_path / "loop.dz"
    prog.write_text(f"def f(x):\n    s = 0\n    for k in {loop}:\n        s += x\n    return s\n")
    assert main(["trace", "--file", str(prog), "--at", "x=0.5"]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_a_computed_range_step_of_0_is_refused_with_its_line():
    text = ("def f(x):\n    s = 0\n    for i in range(3):\n        for k in range(0, 3, i):\n            s += x\n"
            "    return s\n")
    with pytest.raises(dz.EvaluationError, match="line 4: range's step is 0 here"):
        dz.differentiate(text, [0.5], "reverse")


def test_cli_seed_reads_numbers_as_at_does(capsys):
    # --seed took float(): 'nan' became a seed of nan. Now the same reader as --at: refused by argparse (exit 2).
    with pytest.raises(SystemExit) as exc:
        main(["trace", "x*y", "--at", "x=1", "y=2", "--seed", "1", "nan"])
    assert exc.value.code == 2 and "not a finite number" in capsys.readouterr().err

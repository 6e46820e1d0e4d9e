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
])
def test_cli_errors_exit_2_without_traceback(capsys, args, fragment):
    # No figures: each mistake is named in one line on stderr, with exit status 2.
    assert main(args) == 2
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

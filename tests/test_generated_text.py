"""No user text reaches ``exec``: every source diffzoo compiles, captured while functions and programs whose
variable names are a canary go through every path that generates code (the compiled gradient and its entries
for a list, a dict and an array, Taylor mode's program, the tracer's statement code, the loop-keeping primal,
JVP and VJP). The canary may appear only as a plain variable the parser checked (the loop compiler keeps the
program's names, readable, as locals, with their ``_dot`` and ``_bar``: never called, never followed by an
attribute) or as the ``repr`` of a checked identifier, the key of a dict answer; never as code of its own.
"""

from __future__ import annotations

import builtins
import io
import re
import tokenize

import numpy as np
import pytest

import diffzoo as dz
from diffzoo import loopcode, taylormode
from diffzoo.program import parse_program

CANARY = "zzcanary"


@pytest.fixture
def sources(monkeypatch):
    """Every text passed to ``compile`` while the test runs (diffzoo compiles its own text, then execs it)."""
    seen: list[str] = []
    real = builtins.compile

    def spy(src, *args, **kwargs):
        if isinstance(src, str):
            seen.append(src)
        return real(src, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", spy)
    return seen


def _check(src: str) -> None:
    toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
    for tok, after in zip(toks, toks[1:]):
        if CANARY not in tok.string:
            continue
        if tok.type == tokenize.NAME:  # a local of the loop-keeping code: read and assigned, nothing more
            assert re.fullmatch(r"(_u_)?zzcanary[12](_dot|_bar)*", tok.string), (tok.string, src[:400])
            assert after.string not in ("(", ".", "["), (tok.string, after.string, src[:400])
        else:  # a dict answer's key: the repr of a checked identifier, nothing else
            assert tok.type == tokenize.STRING and re.fullmatch(r"'zzcanary\d*'", tok.string), (tok.string, src[:400])


def test_no_variable_name_becomes_code(sources):
    a, b = CANARY + "1", CANARY + "2"
    f = dz.parse(f"ln({a}) + {a}*{b} - sin({b}) + exp({a}/{b})")
    for method in dz.METHODS:
        dz.differentiate(f, {a: 2.0, b: 5.0}, method)
    dz.differentiate(f, [2.0, 5.0], "reverse", compiled=True)
    g = dz.grad(f)
    g([2.0, 5.0]), g({a: 2.0, b: 5.0}), g({b: 5.0, a: 2.0}), g(np.array([2.0, 5.0]))
    dz.hessian(f, [2.0, 5.0], "forward-over-reverse")
    taylormode.taylor(f, [2.0, 5.0], order=6, direction=[1.0, 0.5])
    prog = (f"def f({a}, {b}):\n    s = 0\n    for k in range(1, 6):\n        if {a} > k:\n"
            f"            s += {a} * sin({b} * k)\n        else:\n            s -= {b} / k\n    return s\n")
    dz.differentiate(prog, [3.5, 0.7], "reverse")
    dz.differentiate(prog, [3.5, 0.7], "forward")
    dz.differentiate(prog, [3.5, 0.7], "reverse", compiled=True)
    code = loopcode.generate(parse_program(prog))
    code.primal([3.5, 0.7])
    generated = [s for s in sources if "def " in s]
    assert len(generated) >= 6, len(generated)  # the paths above did generate code
    assert any(CANARY in s for s in generated)  # and the canary came near it
    for src in generated + [code.primal_source, code.jvp_source, code.vjp_source]:
        _check(src)

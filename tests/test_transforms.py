"""Forward and reverse mode as transformations of the Wengert list (``diffzoo.transforms``).

Oracles: the survey's Tables 2 and 3 (reference cases, section 1), sympy's Hessian, and the
primal list itself (a derived list must leave it unchanged).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import sympy as sp

import diffzoo as dz
from diffzoo import transforms
from diffzoo.primitives import PRIMITIVES
from diffzoo.symbolic import to_sympy

SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def _values(wl, point):
    return wl.output_values(wl.evaluate(point))


def test_the_tangent_program_of_the_survey_example():
    wl = dz.parse(SURVEY).wengert
    t = transforms.jvp(wl)
    assert t.inputs == ("x\u03071", "x\u03072", "x1", "x2")  # ẋ1, ẋ2 (a combining dot), then x
    assert t.steps[: len(wl.steps)] == wl.steps  # the primal keeps its steps and numbers
    # Table 2: seed (1, 0) gives y = 11.652071455223084 and ẏ = 5.5; seed (0, 1) gives 1.7163378145367738
    assert _values(t, [1, 0, 2, 5]) == [11.652071455223084, 5.5]
    assert _values(t, [0, 1, 2, 5]) == [11.652071455223084, 1.7163378145367738]
    vals = t.evaluate([1, 0, 2, 5])
    tangents = {k: vals[op + t.n - 1] for k, op in t.derivation.tangents.items()}
    assert tangents == {-1: 1.0, 0: 0.0, 1: 0.5, 2: 5.0, 3: 0.0, 4: 5.5, 5: 5.5}  # v̇_-1 .. v̇_5 of Table 2


def test_the_adjoint_program_of_the_survey_example_makes_table_3():
    wl = dz.parse(SURVEY).wengert
    a = transforms.vjp(wl)
    assert a.inputs == ("y\u0304", "x1", "x2")  # ȳ (a combining bar), then x
    vals = a.evaluate([1, 2, 5])
    assert a.output_values(vals) == [11.652071455223084, 5.5, 1.7163378145367738]
    # Table 3 in the order computed: (target, source, value); v̄_0 and v̄_-1 are each updated twice
    rows = [(u.target, u.source, vals[u.operand + a.n - 1]) for u in a.derivation.updates]
    assert rows == [(5, None, 1.0), (4, 5, 1.0), (3, 5, -1.0), (1, 4, 1.0), (2, 4, 1.0),
                    (0, 3, -0.28366218546322625), (-1, 2, 5.0), (0, 2, 1.7163378145367738), (-1, 1, 5.5)]
    assert [u.first for u in a.derivation.updates] == [True] * 7 + [False, False]


def test_structural_zeros_are_not_written():
    # an input the seed does not move has no tangent input, so (-2)^y's partial in y is never written
    wl = dz.parse("x^y").wengert
    t = transforms.jvp(wl, moved=[True, False])
    assert t.inputs == ("x\u0307", "x", "y")
    assert _values(t, [1, -2, 3]) == [-8.0, 12.0]  # 3 (-2)^2
    # sign has the partial 0: nothing flows through it
    a = transforms.vjp(dz.parse("acos(sign(x)) + x").wengert)
    assert _values(a, [1, -3])[1] == 1.0


#: The table's functions that are smooth on the whole real line (no kink, no restricted domain; tan has
#: poles), so that sympy's Hessian exists at any random point.
SMOOTH = sorted(p.name for p in PRIMITIVES.values()
                if p.user and p.arity == 1 and p.kink is None and p.name != "tan"
                and all(p.domain(v) is None for v in (-3.0, -0.5, 0.0, 0.5, 3.0)))


def _random_function(rng: random.Random, names: list[str], depth: int = 3) -> str:
    unary = SMOOTH
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(names + [str(rng.choice([0.5, 2, 3]))])
    if rng.random() < 0.3:
        return f"{rng.choice(unary)}({_random_function(rng, names, depth - 1)})"
    op = rng.choice(["+", "-", "*"])
    return f"({_random_function(rng, names, depth - 1)}) {op} ({_random_function(rng, names, depth - 1)})"


def _hvp_by_nesting(wl, x, v):
    """H v from jvp(vjp(wl)): inputs (ȳ̇, ẋ, ȳ, x); the tangents of the gradient outputs."""
    h = transforms.jvp(transforms.vjp(wl))
    out = _values(h, [0.0, *v, 1.0, *x])
    m, n = wl.m, wl.n
    return np.array(out[2 * (m + n) - n:])  # the last n outputs: tangents of the gradient


def _sympy_hessian(f, x):
    expr = to_sympy(f.outputs[0])
    syms = [sp.Symbol(v, real=True) for v in f.variables]
    H = sp.hessian(expr, syms).subs(dict(zip(syms, x)))
    return np.array(H.evalf(30).tolist(), dtype=float)


@pytest.mark.parametrize("seed", range(20))
def test_jvp_of_vjp_is_a_hessian_vector_program(seed):
    rng = random.Random(seed)
    names = ["x", "y", "z"][: rng.randint(1, 3)]
    text = _random_function(rng, names)
    f = dz.parse(text, variables=names)
    x = [rng.uniform(-1.5, 1.5) for _ in names]
    H = _sympy_hessian(f, x)
    for k in range(len(names)):
        v = [float(i == k) for i in range(len(names))]
        np.testing.assert_allclose(_hvp_by_nesting(f.wengert, x, v), H @ v, rtol=1e-10, atol=1e-12, err_msg=text)


def test_jvp_of_vjp_on_the_survey_example():
    # ∇²f = [[-1/x1², 1], [1, sin x2]] at (2, 5): closed form
    f = dz.parse(SURVEY)
    hv = _hvp_by_nesting(f.wengert, [2.0, 5.0], [1.0, 0.0])
    assert hv.tolist() == [-0.25, 1.0]
    hv = _hvp_by_nesting(f.wengert, [2.0, 5.0], [0.0, 1.0])
    assert hv.tolist() == pytest.approx([1.0, np.sin(5.0)], rel=1e-15)

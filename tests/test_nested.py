"""The derivative operator ``D(expr, y)`` of the language, and perturbation confusion.

Oracles: the reference cases (d/dx [x · d/dy (x + y)] at x = 1 is 1, a naive nesting of dual numbers
gives 2; d/dx [x · d/dy (x y)] at x = 4, y = 1 is 8, naive 5), and closed forms.
"""

from __future__ import annotations

import math

import pytest

import diffzoo as dz
from diffzoo import nested
from diffzoo.expr import to_text
from diffzoo.parse import Limits

CONFUSION = [  # text, point, right (tagged), naive (untagged): the reference cases
    ("D(x * D(x + y, y), x)", {"x": 1.0, "y": 1.0}, 1.0, 2.0),
    ("D(x * D(x*y, y), x)", {"x": 4.0, "y": 1.0}, 8.0, 5.0),
]


@pytest.mark.parametrize(("text", "point", "right", "naive"), CONFUSION)
def test_tags_cure_perturbation_confusion(text, point, right, naive):
    assert nested.evaluate(text, point, tagged=True).value == right
    assert nested.evaluate(text, point, tagged=False).value == naive


@pytest.mark.parametrize(("text", "point", "right", "naive"), CONFUSION)
@pytest.mark.parametrize("method", dz.METHODS)
def test_every_method_differentiates_the_written_out_derivative(text, point, right, naive, method):
    # D is written out symbolically, so the value of f is the right derivative by every method
    r = dz.differentiate(text, point, method=method)
    assert r.value == right


def test_the_traces_show_where_the_perturbations_mix():
    tagged = nested.evaluate("D(x * D(x + y, y), x)", {"x": 1, "y": 1}, tagged=True)
    naive = nested.evaluate("D(x * D(x + y, y), x)", {"x": 1, "y": 1}, tagged=False)
    # tagged: x + y carries two infinitesimals apart, and the inner D reads only its own (1)
    assert ("(1 + 1ε₁) + (1 + 1ε₂)", "(2 + 1ε₁) + 1ε₂") in [(r.what, r.value) for r in tagged.rows]
    # untagged: one ε for both, so x + y = 2 + 2ε and the inner D reads 2
    assert ("(1 + 1ε) + (1 + 1ε)", "2 + 2ε") in [(r.what, r.value) for r in naive.rows]
    assert [r.depth for r in tagged.rows] == [0, 1, 2, 1, 1, 0]


def test_D_is_the_partial_derivative_holding_the_others_fixed():
    # D(sin(x)^2, x) = 2 sin x cos x = sin(2x); D(D(exp(x y), x), y) = exp(x y)(1 + x y)
    f = dz.parse("D(sin(x)^2, x)")
    assert f.wengert(0.3) == pytest.approx(math.sin(0.6), rel=1e-15)
    g = dz.parse("D(D(exp(x*y), x), y)")
    assert g.wengert(0.5, 2.0) == pytest.approx(math.exp(1.0) * 2.0, rel=1e-15)
    # the variable of D is an input even where the derivative no longer mentions it
    h = dz.parse("D(x^2, y) + x")
    assert h.variables == ("x", "y") and h.wengert(3.0, 7.0) == 3.0
    # its gradient: ∂/∂x [x · D(x·y, y)] = ∂/∂x x² = 2x, at x = 4: 8; ∂/∂y = 0
    r = dz.differentiate("x * D(x*y, y)", {"x": 4, "y": 1})
    assert r.gradient == {"x": 8.0, "y": 0.0}


def test_the_tree_as_typed_is_kept():
    f = dz.parse("D(x * D(x + y, y), x)")
    assert to_text(f.source[0]) == "D(x * D(x + y, y), x)"
    assert str(f) == "1"


@pytest.mark.parametrize(("text", "message", "pos"), [
    ("D(x)", "D needs a second argument", 3),
    ("D(x, 2)", "the second argument of D must be a variable name", 5),
    ("D(x, sin)", "the second argument of D must be a variable name", 5),
    ("D(x, x + 1)", "the second argument of D must be a variable name", 5),
    ("D()", "D needs an expression and a variable", 2),
    ("D(x, pi)", "the second argument of D must be a variable name", 5),
])
def test_a_malformed_D_is_refused_with_a_caret(text, message, pos):
    with pytest.raises(dz.ParseError) as info:
        dz.parse(text)
    assert message in str(info.value) and info.value.pos == pos
    assert "D(x*y, y)" in str(info.value)  # the usage, in the hint


def test_derivatives_that_swell_past_the_limit_are_refused():
    text = "D(D(D(D(sin(x*y)*cos(x/y)*exp(x+y), x), y), x), y)"
    with pytest.raises(dz.ParseError, match="the derivatives written with D are too large"):
        dz.parse(text, limits=Limits(nodes=60))
    assert dz.parse(text).n == 2  # within the default limit


def test_D_alone_is_a_variable():
    assert dz.parse("D + 1").variables == ("D",)


# --- D at a kink, and D nested deep -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "x", "value"), [
    ("D(step(x), x)", 0.0, 0.0),  # step jumps at 0: written out, step' is the constant 0
    ("D(sign(x), x)", 0.0, 0.0),
    ("D(D(abs(x), x), x)", 0.0, 0.0),  # abs' = sign, and sign jumps at 0
    ("D(max(x, 1), x)", 1.0, 0.5),  # the tie's convention 1/2: max(x, 1) has slopes 0 and 1 there
])
@pytest.mark.parametrize("method", dz.METHODS)
def test_D_at_a_kink_says_its_value_is_a_convention(text, x, value, method):
    # These gave the convention's number with no warning at all: the written-out derivative has no kink step
    # left to be found at the point (step' = 0), so only the tree as typed can tell.
    r = dz.differentiate(text, [x], method)
    assert r.value == value
    assert any(w.startswith(f"D({to_text(dz.parse(text).source[0].args[0])}") and "not a derivative" in w
               for w in r.warnings), r.warnings


@pytest.mark.parametrize(("text", "x"), [("D(x*abs(x), x)", 0.0), ("D(abs(x), x)", 0.5), ("D(sin(x), x)", 0.0),
                                         ("D(max(x, 1), x)", 2.0)])
def test_D_where_its_expression_is_smooth_says_nothing_of_it(text, x):
    # x |x| has the derivative 2|x|, 0 at 0; abs at 0.5 and max(x, 1) at 2 are away from their kinks.
    assert not [w for w in dz.differentiate(text, [x], "reverse").warnings if w.startswith("D(")]


def test_D_nested_deep_stays_shared_and_right():
    # Nested ten deep, the derivative is built shared (equal subexpressions one object): before, its objects
    # grew 2.2 times per level (a 79-character text used gigabytes). Value against sympy's 6th derivative.
    import sympy as sp

    from diffzoo.expr import nodes, value_numbers

    inner = "sin(x)*exp(x)*x^5/(1+x^2)"
    f = dz.parse("D(" * 10 + inner + ", x)" * 10)
    objects = list(nodes(f.outputs))
    assert len(objects) == len(set(value_numbers(f.outputs).values()))  # one object per distinct subexpression
    X = sp.Symbol("x")
    exact = sp.diff(sp.sin(X) * sp.exp(X) * X**5 / (1 + X**2), X, 6).subs(X, sp.Rational(1, 2))
    got = dz.differentiate("D(" * 6 + inner + ", x)" * 6, [0.5], "reverse").value
    assert got == pytest.approx(float(sp.N(exact, 30)), rel=1e-12)
    with pytest.raises(dz.ParseError, match="too large"):
        dz.parse("D(" * 16 + inner + ", x)" * 16)
    assert str(f).startswith("D(D(")  # written out it is too large to print: the text as typed instead

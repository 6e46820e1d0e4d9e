"""The function language: what it accepts, what it means, and how it refuses the rest."""

import math

import pytest

import diffzoo as dz
from diffzoo.expr import to_text


def value(text, *point):
    return dz.parse(text).wengert(*point)


@pytest.mark.parametrize(("text", "point", "expected"), [
    ("2", (), 2.0),
    ("2.5 + .5", (), 3.0),
    ("1e-3 * 1000", (), 1.0),
    ("2^3^2", (), 512.0),  # right-associative: 2^(3^2)
    ("2**3**2", (), 512.0),
    ("-x^2", (3,), -9.0),  # power binds tighter than unary minus
    ("(-x)^2", (3,), 9.0),
    ("x^-2", (2,), 0.25),
    ("2x", (4,), 8.0),  # implicit multiplication after a number
    ("3(x+1)", (1,), 6.0),
    ("2 sin(x)", (0.5,), 2 * math.sin(0.5)),
    ("2x^2", (3,), 18.0),
    ("1/2/4", (), 0.125),  # left-associative division
    ("8 - 2 - 1", (), 5.0),
    ("pi", (), math.pi),
    ("e", (), math.e),
    ("2e", (), 2 * math.e),
    ("ln(e)", (), 1.0),
    ("log(e^2)", (), 2.0),
    ("sigmoid(0)", (), 0.5),
    ("abs(-3)", (), 3.0),
    ("--x", (2,), 2.0),
    ("+x", (2,), 2.0),
    ("theta * w_2", (2, 3), 6.0),
])
def test_meaning(text, point, expected):
    assert value(text, *point) == pytest.approx(expected, rel=1e-15, abs=0)


def test_variables_are_ordered_naturally_unless_given():
    assert dz.parse("x10 + x2 + x1").variables == ("x1", "x2", "x10")
    assert dz.parse("b + a").variables == ("a", "b")
    assert dz.parse("b + a", variables=["b", "a", "c"]).variables == ("b", "a", "c")
    with pytest.raises(dz.ParseError, match="does not include x"):
        dz.parse("x + y", variables=["y"])


def test_vector_function():
    f = dz.parse("x1*x2, cos(x1)")
    assert f.m == 2 and f.n == 2
    assert f.wengert(2, 3) == [6.0, math.cos(2)]


def test_shared_subexpressions_are_computed_once():
    wl = dz.parse("sin(x)*sin(x) + sin(x)").wengert
    assert [s.prim.name for s in wl.steps] == ["sin", "mul", "add"]


def test_printing_roundtrips():
    for text in ["-x^2", "(-x)^2", "x^-2", "2^3^2", "(2^3)^2", "x - (y - z)", "x / (y * z)", "-(x + y)",
                 "sin(x)^2", "x - -y", "2 * pi * x"]:
        f = dz.parse(text)
        again = dz.parse(to_text(f.outputs[0]), variables=f.variables)
        pt = [1.3, 0.7, 2.1][: f.n]
        assert again.wengert(*pt) == f.wengert(*pt), text


def error(text, **kw):
    with pytest.raises(dz.ParseError) as info:
        dz.parse(text, **kw)
    return info.value


@pytest.mark.parametrize(("text", "fragment", "pos"), [
    ("", "empty", 0),
    ("   ", "empty", 0),
    ("sin(x", "never closed", 3),
    ("x)", "no '(' for it to close", 1),
    ("x +", "ends too early", 3),
    ("sinn(x)", "unknown function 'sinn'", 0),
    ("sin x", "needs parentheses", 0),
    ("x 2", "missing operator between 'x' and '2'", 2),
    ("(x+1)(x-1)", "missing operator between ')' and '('", 5),
    ("x.real", "attribute access", 1),
    ("x[0]", "brackets", 1),
    ("'x'", "strings", 0),
    ("lambda: 0", "Python keyword", 0),
    ("import os", "Python keyword", 0),
    ("x = 3", "'=' is not allowed", 2),
    ("__import__('os')", "may not start with '_'", 0),
    ("ｓｉｎ(x)", "non-ASCII", 0),
    ("x\x00", "NUL", 1),
    ("1" * 41, "number literal too long", 0),
    ("1e400", "too large", 0),
    ("()", "empty parentheses", 1),
    ("sin()", "needs one argument", 4),
    ("sin(x, y)", "takes one argument", 5),
    ("x,", "followed by another output", 2),
    ("(x, y)", "comma inside parentheses", 2),
    ("0x10", "hexadecimal", 0),
    ("x // 2", "unexpected '/'", 3),
    ("x % 2", "remainder", 2),
    ("x $", "LaTeX", 2),
])
def test_refusals_say_what_and_where(text, fragment, pos):
    err = error(text)
    assert fragment in str(err)
    assert err.pos == pos
    assert isinstance(err, ValueError)


def test_error_message_has_a_caret_under_the_position_and_a_suggestion():
    err = error("x + sinn(x)")
    lines = str(err).splitlines()
    assert lines[0] == "unknown function 'sinn' (at position 5)"
    assert lines[1] == "  x + sinn(x)"
    assert lines[2] == "      ^"
    assert lines[3].startswith("Did you mean 'sin'?")


def test_full_width_letters_suggest_the_ascii_text():
    assert "Did you mean 'sin(x)'?" in str(error("ｓｉｎ(x)"))


def test_limits_are_checked_before_building():
    assert "too long" in str(error("x+" * 6000 + "x"))
    deep = "(" * 100_000 + "x" + ")" * 100_000
    assert "too long" in str(error(deep))
    assert "nested too deeply" in str(error(deep, limits=dz.Limits(length=10**6)))
    assert "nested too deeply" in str(error("sin(" * 300 + "x" + ")" * 300))
    assert "nested too deeply" in str(error("-" * 5000 + "4"))
    assert "too large" in str(error("+".join(["x"] * 6000), limits=dz.Limits(length=100_000)))


def test_evaluation_errors_name_the_step():
    with pytest.raises(dz.EvaluationError) as info:
        dz.differentiate("ln(x)", {"x": -2})
    assert str(info.value) == "v_1 = ln v_0: log is undefined at -2 (needs a positive argument)"
    for text, point, fragment in [("1/(x-x)", [1.0], "division by zero"), ("sqrt(x)", [-1.0], "sqrt is undefined"),
                                  ("asin(x)", [2.0], "needs -1 <= x <= 1"), ("exp(x)", [1000.0], "overflows"),
                                  ("ln(x)", [0.0], "log is undefined at 0"), ("x^0.5", [-4.0], "negative base")]:
        with pytest.raises(dz.EvaluationError, match=fragment):
            dz.differentiate(text, point)


def test_derivative_that_does_not_exist_is_an_evaluation_error():
    # sqrt is defined at 0 but its derivative 1/(2 sqrt(x)) is not.
    with pytest.raises(dz.EvaluationError, match="does not exist"):
        dz.differentiate("sqrt(x)", [0.0], method="reverse")


def test_inactive_steps_are_not_differentiated():
    # x^(2*1) at x = -2: the exponent is a constant step; its partial would need log(-2).
    for method in ("forward", "reverse", "symbolic"):
        assert dz.differentiate("x^(2*1)", [-2.0], method=method).derivative == -4.0


def test_point_errors():
    with pytest.raises(dz.PointError, match="no value for x2"):
        dz.differentiate("x1 + x2", {"x1": 1})
    with pytest.raises(dz.PointError, match="no variable y"):
        dz.differentiate("x", {"x": 1, "y": 2})
    with pytest.raises(dz.PointError, match="not a number"):
        dz.differentiate("x", {"x": "abc"})
    with pytest.raises(dz.PointError, match="finite"):
        dz.differentiate("x", {"x": float("nan")})

"""Issue #10, part A: the library defects users found, each as the input that showed it and the class it stands for.

Each test failed before its fix (the figures in the comments are what was returned then). The
oracles: closed forms, reverse mode where it is exact, the 50-digit reference of ``compare``.
"""

from __future__ import annotations

import decimal
import fractions
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest

import diffzoo as dz
from diffzoo import fmt
from diffzoo.cli import main
from diffzoo.compare import compare, reference_jacobian

# --- A2: the complex step --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "x", "exact"), [
    ("1e-300*exp(x)", 1.0, 1e-300 * math.e),  # was 2.5e-5 off: the imaginary part fell into the subnormals
    ("ln(x)", 1e-300, 1e300),  # was 1.57e21: h = 1e-21 was far larger than x
    ("sigmoid(x)", -800.0, 0.0),  # was nan (exp(800) overflowed); exact e^-800 = 3.6e-348 is below every float
    ("tan(x)", 1.5707963267948966, 2.6670937881135714e32),  # sec^2 at 6.1e-17 below the pole (reverse mode)
])
def test_complex_step_is_scaled_to_the_function_and_the_point(text, x, exact):
    r = dz.differentiate(text, [x], "numeric", scheme="complex")
    assert not r.warnings
    assert r.derivative == pytest.approx(exact, rel=1e-15, abs=1e-320)


@pytest.mark.parametrize(("text", "x", "fragment"), [
    ("sqrt(x)", 0.0, "edge of its domain"),  # gave 2.2e10; sqrt has no derivative at 0
    ("asin(x)", 1.0, "edge of its domain"),  # gave 1e10
    ("(-2)^x", 3.0, "edge of its domain"),  # gave 2.9e5: (-2)^x is not real beside 3
    ("abs(x)", 0.0, "kink"),  # gave 1, where the library's convention says 0
])
def test_complex_step_refuses_where_f_is_not_analytic(text, x, fragment):
    with pytest.raises(dz.EvaluationError, match=fragment):
        dz.differentiate(text, [x], "numeric", scheme="complex")


def test_complex_step_refuses_a_step_that_is_too_small_or_too_large():
    # eps = 5e-324 gave [1.0, 4.0] for sin(x)*x, exp(x) at 1.5 (exact 1.1036, 4.4817); eps = 1e10 gave inf.
    with pytest.raises(dz.EvaluationError, match="too small"):
        dz.differentiate("sin(x)*x, exp(x)", [1.5], "numeric", scheme="complex", eps=5e-324)
    with pytest.raises(dz.EvaluationError, match="too large"):
        dz.differentiate("sin(x)*x, exp(x)", [1.5], "numeric", scheme="complex", eps=1e10)


def test_complex_step_below_any_step_says_so():
    # sqrt at the subnormal 1e-320: h would have to be far below x, which no float is: a warning, not a silent
    # 2.2e10 (the exact 5.0000278e159 is reverse mode's)
    r = dz.differentiate("sqrt(x)", [1e-320], "numeric", scheme="complex")
    assert r.warnings and "trusted" in r.warnings[-1]


# --- A3: symbolic at a zero base, and overflow inside a derivative ------------------------------------


@pytest.mark.parametrize(("text", "point", "grad"), [
    ("x^y", [0.0, 2.0], [0.0, 0.0]),  # 0^y = 0 for y > 0: ∂/∂y = 0, ∂/∂x = 2*0 = 0
    ("x^y", [0.0, 1.0], [1.0, 0.0]),  # x^1: ∂/∂x = 1
    ("x^y", [-0.0, 3.0], [0.0, 0.0]),
    ("0^x", [0.5], [0.0]),
])
@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse"])
def test_zero_base_powers_by_every_exact_method(text, point, grad, method):
    # symbolic raised "log is undefined at 0" on all four: its rule built x^y * ln(x)
    r = dz.differentiate(text, point, method)
    assert r.jacobian[0].tolist() == grad
    assert not r.warnings


def test_symbolic_derivative_may_overflow_on_the_way_when_its_value_is_finite():
    # atan'(x) = 1/(1 + x*x) at 1e160: x*x overflows; 1/inf = 0, as forward and reverse mode compute it
    # (the exact 1e-320 is subnormal). Symbolic raised "overflows".
    for method in ("symbolic", "forward", "reverse"):
        assert dz.differentiate("atan(x)", [1e160], method).derivative == 0.0
    # a value that does not exist is still refused, naming the derivative's own step
    with pytest.raises(dz.EvaluationError, match="derivative has no value"):
        dz.differentiate("sqrt(x)", [0.0], "symbolic")


def test_printed_derivative_of_a_power_reads_as_the_formula():
    # ∂(x^y)/∂y is written with a helper (xlogy) so that it is 0 at x = 0; it still reads x^y * ln(x)
    r = dz.differentiate("x^y", [2.0, 3.0], "symbolic")
    text = dz.symbolic.show(r.details["expressions"][0][1])
    assert text == "x^y * ln(x)"
    assert dz.differentiate(text, [2.0, 3.0], "reverse").value == pytest.approx(8 * math.log(2), rel=1e-15)


# --- A4: one rule for 0 times a partial that does not exist --------------------------------------------


@pytest.mark.parametrize(("text", "point"), [
    ("(x^3)^(1/3)", [0.0]), ("(x^2)^(1/3)", [0.0]), ("abs(x)^0.5", [0.0]), ("sqrt(abs(x))", [0.0]),
])
@pytest.mark.parametrize("compiled", [False, True])
def test_zero_times_an_undefined_partial_is_refused_by_every_method(text, point, compiled):
    # forward mode skipped a tangent that was exactly 0 and returned 0.0, where reverse and symbolic refuse
    for method in ("forward", "reverse", "symbolic"):
        with pytest.raises(dz.EvaluationError):
            dz.differentiate(text, point, method, **({"compiled": True} if compiled and method != "symbolic" else {}))


@pytest.mark.parametrize(("text", "point", "grad"), [
    ("acos(sign(x))", [-3.0], [0.0]),  # sign is locally constant: acos's infinite slope at -1 is never needed
    ("sqrt(y-y)+x", [1.0, 2.0], [1.0, 0.0]),  # y - y is 0 wherever y is
    ("(-2)^(x*0)", [1.0], [0.0]),  # x*0 likewise
])
@pytest.mark.parametrize("compiled", [False, True])
def test_structurally_constant_parts_need_no_partial(text, point, grad, compiled):
    # reverse mode refused these ("the partial does not exist"), while forward and symbolic gave 0
    for method in ("forward", "reverse", "symbolic"):
        kw = {"compiled": True} if compiled and method != "symbolic" else {}
        assert dz.differentiate(text, point, method, **kw).jacobian[0].tolist() == grad, method
    wl = dz.parse(text).wengert
    assert not all(st.active for st in wl.steps)  # the constant part is marked inactive, and drawn so


# --- A5: a small derivative lost in a large adjoint ------------------------------------------------------


def test_reverse_mode_keeps_a_small_derivative_behind_a_structural_zero():
    # An adjoint of 6.6e205 passed through y - y, and reverse mode returned 0.0 (exact -1.0887e-91)
    r = dz.differentiate("((y-y)+tan(1e-300))^(y*sigmoid(y))*y", [0.5], "reverse")
    assert r.derivative == pytest.approx(-1.0887134325232397e-91, rel=1e-14)


def test_compare_explains_what_cancellation_costs():
    # ∂/∂x (sin(x) 1e16 - x 1e16) at 1e-9 = 1e16 (cos x - 1) = -0.005: every float method gets 0, and every
    # row of the comparison says why instead of showing a bare relative error of 1
    df = compare("sin(x)*1e16 - x*1e16", [1e-9]).set_index("method")
    assert (df["max rel. error"] == 1.0).all()
    for method in dz.METHODS:
        assert "correct digits" in df.loc[method, "warnings"], method
    assert "terms as large as 2e+16" in df.loc["reverse", "warnings"]


def test_x_over_x_squared_plus_tiny_warns_in_forward_reverse_and_complex():
    # 1/v - 2x^2/v^2 with v = 2e-30: two terms of 5e29 cancel to -1.8e13; forward gave -7.0e13, silently
    for method, kw in (("forward", {}), ("reverse", {}), ("numeric", {"scheme": "complex"})):
        r = dz.differentiate("x/(x^2 + 1e-30)", [1e-15], method, **kw)
        assert any("cancel" in w for w in r.warnings), method


# --- A6: points and seeds ---------------------------------------------------------------------------


@pytest.mark.parametrize(("point", "value"), [
    (fractions.Fraction(1, 3), 1 / 3), (decimal.Decimal("3"), 3.0), (np.array(3.0), 3.0), (3 + 0j, 3.0),
    (np.float32(0.5), 0.5), (np.int64(4), 4.0),
])
def test_numbers_of_every_kind_are_points(point, value):
    # Fraction, Decimal, a 0-d array and 3+0j raised "TypeError: ... not iterable"
    assert dz.differentiate("x^2", point).derivative == pytest.approx(2 * value, rel=1e-15)


@pytest.mark.parametrize(("point", "fragment"), [
    (None, "no point given"),
    (b"3", "bytes"),  # was taken as x = 51
    ("25", "str"),  # was taken as (2, 5)
    (3 + 1j, "imaginary part"),
    (True, "bool"),
    ({"x": "3"}, "the value of x is str"),
])
def test_what_is_not_a_number_is_a_point_error_naming_it(point, fragment):
    with pytest.raises(dz.PointError, match=fragment):
        dz.differentiate("x^2", point)


def test_seeds_and_weights_are_read_like_points():
    assert dz.differentiate("x^2", 3, "forward", seed=1).details["jvp"] == [6.0]  # "has no len()" before
    assert dz.differentiate("x*y", [2, 3], "forward", seed={"x": 1, "y": 0}).details["jvp"] == [3.0]
    # (the outputs are f_1, f_2: y is an input)
    assert dz.differentiate("x*y, x+y", [2, 3], "reverse", ybar={"f_1": 0, "f_2": 1}).details["vjp"] == [1.0, 1.0]
    with pytest.raises(dz.PointError, match="seed's entry for y is str"):
        dz.differentiate("x*y", [2, 3], "forward", seed=[1, "a"])
    with pytest.raises(dz.PointError, match="ybar gives no value for f_2"):
        dz.differentiate("x*y, x+y", [2, 3], "reverse", ybar={"f_1": 1})


def test_a_million_extra_keys_make_a_short_message_quickly():
    point = {"x": 1.0} | {f"k{i}": 1.0 for i in range(1_000_000)}
    with pytest.raises(dz.PointError) as info:
        dz.differentiate("x", point)
    assert len(str(info.value)) < 200 and "999,995 more" in str(info.value)  # was 8.9 MB


# --- A7: the first compiled call on a function of many outputs ---------------------------------------------


def test_a_compiled_jacobian_of_many_outputs_generates_one_sweep():
    # 32 outputs: each unit VJP re-emitted the whole primal (3.6 s for 3,400 steps); now one function, m calls
    f = dz.parse(",".join(f"sin({k}*x)*y + x^{k % 5 + 1}" for k in range(1, 33)))
    r = dz.differentiate(f, [0.3, 0.7], "reverse", compiled=True)
    made = {k for k in f.wengert.__dict__.get("_code", {}) if k != "_steps"}
    assert made == {"adjoint"}  # one adjoint program, weighted by ȳ = e_1 .. e_32 in turn
    assert np.array_equal(r.jacobian, dz.differentiate(f, [0.3, 0.7], "reverse").jacobian)


# --- A8: the command line -----------------------------------------------------------------------------------


def test_cli_markdown_and_latex_need_no_extra_package(capsys):
    # --format markdown failed with "ImportError: Import tabulate failed" and exit status 1
    assert main(["compare", "x^2", "--at", "x=3", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("| method | value | ∂y/∂x |") and "| reverse | 9 | 6 |" in out
    assert main(["compare", "abs(x)", "--at", "x=0", "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert fmt.is_ascii_latex(out) and "kink" in out
    assert main(["trace", "abs(x)", "--at", "x=0"]) == 0
    assert "warning: v_1 = abs v_0 is at its kink" in capsys.readouterr().out


def test_cli_ends_quietly_on_a_closed_pipe():
    text = "+".join(f"sin({k}*x)" for k in range(1, 400))
    cmd = f"{sys.executable} -m diffzoo trace '{text}' --at x=1 | head -1"
    done = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("f = sin(1 * x)")
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr


# --- A9: LaTeX and exports ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "latex"), [
    ("x_1_", r"\mathrm{x\_1\_}"),  # was x_{1_}, which KaTeX cannot parse
    ("x_", r"\mathrm{x\_}"),  # was x, the same as the variable x
    ("e_", r"\mathrm{e\_}"),  # was e, the same as the constant
    ("x1", "x_{1}"), ("w_2", "w_{2}"), ("theta", r"\theta"), ("x_max", "x_{max}"),
])
def test_every_accepted_name_has_its_own_latex(name, latex):
    assert fmt.latex_name(name) == latex
    assert dz.differentiate(f"{name}^2", [1.0]).trace.to_latex().count(latex) >= 1


def test_exports_write_large_integral_floats_with_an_exponent():
    # exp(x) at 700 wrote a 305-digit number; x*1e20 wrote 100000000000000000000
    r = dz.differentiate("exp(x)", [700], "reverse")
    assert "1.0142320547350045e+304" in r.trace.to_markdown()
    assert r"1.0142320547350045 \times 10^{304}" in r.trace.to_latex()
    r = dz.differentiate("x*1e20", [1], "reverse")
    assert "100000000000000000000" not in r.trace.to_markdown() + r.trace.to_latex()


def _traces_and_tables():
    for text, point in (("ln(x1) + x1*x2 - sin(x2)", [2, 5]), ("x_1_*y_, x_ + e_", [1, 2, 3, 4]), ("abs(x)", [0])):
        for method in ("forward", "reverse", "symbolic", "numeric"):
            yield from dz.differentiate(text, point, method).trace.tables().values()


def test_latex_exports_are_ascii():
    # the adjoint table's title put a Unicode ȳ inside \text{}, which pdflatex rejects
    for t in _traces_and_tables():
        assert fmt.is_ascii_latex(t.to_latex()), t.title


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is missing: apt-get install texlive-latex-base")
def test_latex_exports_compile_with_plain_pdflatex(tmp_path):
    body = "\n".join(rf"\[ {t.to_latex()} \]" for t in _traces_and_tables())
    body += "\n\n" + fmt.latex_table(["method", "∂y/∂x1", "note"], [["reverse", 5.5, "ȳ = 1, 50% & more"]])
    docs = {"all.tex": fmt.document(body), "one.tex": next(iter(_traces_and_tables())).latex_document()}
    for name, text in docs.items():  # the tables as the pages download them, each a whole document
        (tmp_path / name).write_text(text, encoding="ascii")
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-2000:]


# --- the reference for a subnormal derivative ----------------------------------------------------------------


def test_relative_error_against_a_subnormal_reference_is_measured_against_the_normal_floats():
    # atan' at 1e160 is 1e-320: the float 0 is within 5e-13 of the smallest normal float; it was "1.0"
    f = dz.parse("atan(x)")
    assert reference_jacobian(f, {"x": 1e160})[0, 0] == pytest.approx(1e-320, rel=1e-3)
    df = compare(f, [1e160]).set_index("method")
    assert df.loc["reverse", "max rel. error"] < 1e-12


def test_compare_has_no_error_to_measure_where_f_has_no_derivative():
    # Issue #10, C22: abs(x) at 0 showed "0 (exact)" for every method: the 50-digit reference was the symbolic
    # derivative's convention sign(0) = 0. There is no derivative there, so there is no error to measure;
    # where the kink does not matter (x |x| at 0, derivative 0) the error is measured as usual.
    df = compare("abs(x)", [0.0]).set_index("method")
    assert df["max rel. error"].isna().all()
    assert all("kink" in w or "straddles" in w or "trusted" in w for w in df["warnings"])
    df = compare("x*abs(x)", [0.0]).set_index("method")
    assert df.loc["reverse", "max rel. error"] == 0.0

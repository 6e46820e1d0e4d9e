"""The Numeric page through ``AppTest``: it never fails whole, its best steps are fitted, it shows warnings.

Issue 10: B11 (three ordinary inputs took the whole page down), C14 (best steps on lucky zeros),
C16 (float32 rows showed float64's model step), and every Result's warnings beside its numbers.
"""

from __future__ import annotations

import pytest
from apptest import open_page, texts
from streamlit.testing.v1 import AppTest


def numeric_page(query: dict[str, str]) -> AppTest:
    return open_page("pages/numeric.py", query, timeout=90)


def table(at: AppTest, column: str):
    """The first table on the page with this column."""
    return next(t.value for t in at.table if column in t.value.columns)


def parts_shown(at: AppTest) -> list[str]:
    heads = "\n".join(texts(at, "markdown"))
    return [p for p in ("The default step", "Estimates at h", "Best step of each scheme") if p in heads]


@pytest.mark.parametrize("fn,x", [("exp(x)", "709"), ("1e300*x^2", "3"), ("x^300", "10")])
def test_overflowing_functions_show_the_whole_page(fn, x):
    # Issue 10, B11: these showed "Something went wrong" (ValueError, OverflowError) instead of the page.
    at = numeric_page({"fn": fn, "at_x": x, "prec": "both"})
    assert not [e for e in texts(at, "error") if "Something went wrong" in e]
    notes = texts(at, "warning") + texts(at, "info")  # a part that fails says so in one or the other
    assert not [w for w in notes if "could not be drawn" in w or "cannot be shown" in w or "Not shown here" in w]
    assert parts_shown(at) == ["The default step", "Estimates at h", "Best step of each scheme"]
    assert len(at.get("image")) == 1  # the plot (both precisions, side by side)
    # exp(709) = 8.2e307 overflows float32 (largest 3.4e38): the float32 rows say so instead of a star
    if fn == "exp(x)":
        best = table(at, "best h (fitted V)")
        f32 = best[best["precision"] == "float32"]
        assert (f32["best h (fitted V)"] == "–").all() and f32["note"].str.contains("too few usable").all()


def test_a_part_that_fails_says_why_and_the_others_still_show(monkeypatch):
    # Issue 10, B11: "each part of the page must fail alone with a sentence while the rest renders".
    from diffzoo import plots

    def broken(*args, **kwargs):
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(plots, "error_figure", broken)
    at = numeric_page({"fn": "x^2 + 1", "at_x": "3.25"})
    assert any(w.startswith("The plot of error against step could not be drawn here (OverflowError")
               for w in texts(at, "warning"))
    assert parts_shown(at) == ["The default step", "Estimates at h", "Best step of each scheme"]
    assert "6.5" in table(at, "estimate").to_string()  # f'(3.25) = 6.5, at the slider's step


def test_the_best_step_table_fails_alone(monkeypatch):
    from diffzoo import stepsize

    def broken(*args, **kwargs):
        raise ArithmeticError("the fit found no V")

    monkeypatch.setattr(stepsize, "best_steps", broken)
    at = numeric_page({"fn": "x^2 + 1", "at_x": "3.5"})
    assert [w for w in texts(at, "warning") if "could not be drawn" in w] == [
        "The best-step table could not be drawn here (ArithmeticError: the fit found no V); the rest of the page is "
        "unaffected."]
    assert len(at.get("image")) == 1  # the plot is still drawn, without its stars
    assert parts_shown(at) == ["The default step", "Estimates at h", "Best step of each scheme"]  # its heading stays


def test_best_steps_are_fitted_not_lucky_zeros():
    # Issue 10, C14: for the survey example w.r.t. x1 the table gave h = 5.6e-10 (forward, backward,
    # Richardson) and 1.8e-13 (central), each with an error of exactly 0. The model's optimum with the
    # exact derivatives is 1.3e-7 (forward) and 2.4e-5 (central); the fitted steps are within 10x of it.
    at = numeric_page({})
    best = table(at, "best h (fitted V)").set_index("scheme")
    for scheme, model in (("forward", 1.3e-7), ("backward", 1.3e-7), ("central", 2.4e-5), ("richardson", 3.2e-3)):
        h = float(best.loc[scheme, "best h (fitted V)"])
        assert model / 10 <= h <= model * 10, (scheme, h)
        assert float(best.loc[scheme, "typical error there"]) > 0
    assert any("fitted in log space by a V" in c for c in texts(at, "caption"))


def test_both_precisions_show_each_precisions_own_model_step():
    # Issue 10, C16: "both" showed float64's model best step (1.3e-7) in the float32 rows, where float32
    # alone shows 3.2e-3 (2 sqrt(6e-8 * 11.65 / 0.25), the model's optimum with float32's unit roundoff).
    at = numeric_page({"prec": "both"})
    best = table(at, "best h (model)")
    forward = best[best["scheme"] == "forward"].set_index("precision")["best h (model)"]
    assert forward["float64"] == "1.3e-07"
    assert forward["float32"] == "3.2e-03"
    alone = table(numeric_page({"prec": "float32"}), "best h (model)")
    assert alone[alone["scheme"] == "forward"]["best h (model)"].iloc[0] == "3.2e-03"


def test_warnings_of_the_results_are_shown_beside_the_numbers():
    # abs(x) at 0: reverse mode's value (0) is a convention at a kink, and central differences find no step
    # they can trust there; both Results carry warnings, and the page shows them.
    at = numeric_page({"fn": "abs(x)", "at_x": "0"})
    warnings = texts(at, "warning")
    assert any("kink" in w and "convention" in w for w in warnings)
    assert any("central differences at their default step" in m for m in texts(at, "markdown"))

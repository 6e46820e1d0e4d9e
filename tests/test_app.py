"""Every page of the Streamlit app through ``AppTest``: default view, changed input, bad input, step control.

The assertions read the figures the pages actually show (table cells, metrics, text), so a page
that renders without an exception but shows the wrong numbers fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apptest import APP, PAGES, app, no_exception, open_page, page_text  # noqa: F401 - used by the tests below
from streamlit.testing.v1 import AppTest

SURVEY = ["11.652", "5.5", "1.716"]


# --- every page: default, changed function and point, bad function ------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_default_shows_survey_figures(path):
    at = open_page(path)
    text = page_text(at)
    expected = SURVEY if path != "pages/numeric.py" else ["11.652", "5.5"]  # numeric: one partial at a time
    for figure in expected:
        assert figure in text, f"{figure} missing on {path}"
    assert at.text_area(key="fn").value == "ln(x1) + x1*x2 - sin(x2)"
    assert [n.label for n in at.sidebar.text_input][:2] == ["x1", "x2"]


@pytest.mark.parametrize("path", PAGES)
def test_changing_function_and_point_changes_figures(path):
    at = open_page(path)
    at.text_area(key="fn").input("x^2 + 1").run()
    no_exception(at)
    assert [n.label for n in at.sidebar.text_input] == ["x"]  # one input per variable, as the function changes
    at.text_input(key="pt_x").input("3").run()
    no_exception(at)
    text = page_text(at)
    assert "10" in text and "6" in text  # f(3) = 10, f'(3) = 6
    assert "11.652" not in text
    at.text_input(key="pt_x").input("4").run()
    no_exception(at)
    text = page_text(at)
    assert "17" in text and "8" in text  # f(4) = 17, f'(4) = 8
    assert at.query_params["at_x"] in (["4"], "4")  # as typed


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("bad", ["sin(x", "sinn(x)", "x1 +* x2", "__import__('os')", "<img src=x onerror=alert(1)>"])
def test_bad_function_shows_error_with_caret(path, bad):
    at = open_page(path)
    at.text_area(key="fn").input(bad).run()
    no_exception(at)
    assert at.text_area(key="fn").value == bad  # the text stays in the box
    sidebar_codes = [c.value for c in at.sidebar.code]
    assert sidebar_codes and "^" in sidebar_codes[0], sidebar_codes
    text = page_text(at)
    assert "Fix the function" in text
    assert "11.652" not in text
    # fixing it brings the page back
    at.text_area(key="fn").input("ln(x1) + x1*x2 - sin(x2)").run()
    no_exception(at)
    assert "5.5" in page_text(at)


def test_point_where_f_is_undefined_shows_a_note():
    at = open_page("pages/traces.py")
    at.text_input(key="pt_x1").input("-1").run()
    no_exception(at)
    text = page_text(at)
    assert "Choose another point" in text and "ln" in text


# --- traces: the step control ---------------------------------------------------------------------------


def _marked_rows(at: AppTest) -> list[tuple[int, int]]:
    """(table number, row number) of every row marked as the current one."""
    out = []
    for k, t in enumerate(at.table):
        df = t.value
        if "now" in df:
            out += [(k, i) for i, v in enumerate(df["now"]) if v == "▶"]
    return out


def test_step_control_walks_forward_then_reverse():
    at = open_page("pages/traces.py")
    assert _marked_rows(at) == [(0, 0)]  # row v_-1 of the primal | tangent table
    at.button(key="next").click().run()
    assert _marked_rows(at) == [(0, 1)]
    assert "v₀ = x2" in at.info[0].value
    at.slider(key="step").set_value(6).run()  # v_5 = v_4 - v_3, the last forward step
    assert _marked_rows(at) == [(0, 6)]
    assert "11.652" in at.info[0].value
    at.button(key="next").click().run()  # first adjoint row: the seed
    assert _marked_rows(at) == [(1, 0)]
    at.slider(key="step").set_value(15).run()  # last update: v̄_-1 += v̄_1 / v_-1 = 5.5
    assert _marked_rows(at) == [(1, 8)]
    assert "5.5" in at.info[0].value
    at.button(key="next").click().run()  # stays at the end
    assert at.slider(key="step").value == 15
    at.button(key="prev").click().run()
    assert _marked_rows(at) == [(1, 7)]
    assert "1.716" in at.info[0].value  # v̄_0 = v̄_0 + v̄_2 * v_-1
    assert at.query_params["step"] in (["14"], "14")


def test_graph_highlights_current_node_and_shows_known_values():
    at = open_page("pages/traces.py")
    charts = at.get("graphviz_chart")
    assert charts, "no graph drawn"
    spec = charts[0].proto.spec
    assert "nm1 [" in spec and "#f4a261" in spec.split("nm1 [", 1)[1].split("];")[0]
    assert "= 11.6521" not in spec  # v_5 not known yet
    at.slider(key="step").set_value(6).run()
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "= 11.6521" in spec
    at.slider(key="step").set_value(15).run()
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "v̄ = 5.5" in spec  # adjoint of v_-1 after the last update


def test_seed_direction_and_vector_output():
    at = open_page("pages/traces.py")
    at.selectbox(key="seed").set_value("x2").run()
    tangent = at.table[1].value
    assert tangent["value"].iloc[-1].startswith("1.716")
    at.selectbox(key="example").set_value("Vector function: x1*x2, cos(x1)").run()
    no_exception(at)
    assert at.text_area(key="fn").value == "x1*x2, cos(x1)"
    assert [n.value for n in at.sidebar.text_input] == ["2", "3"]
    at.selectbox(key="out").set_value(1).run()
    text = page_text(at)
    assert "-0.909297426826" in text  # ∂y2/∂x1 = -sin(2)


def test_traces_as_mathematics():
    at = open_page("pages/traces.py", {"view": "Mathematics"})
    latex = "\n".join(e.value for e in at.latex)
    assert r"\dot{v}" in latex and r"\bar{v}" in latex and "11.652" in latex


def test_url_opens_exact_view():
    at = open_page("pages/traces.py", {"fn": "x/(1+x^2)", "at_x": "5", "step": "3"})
    assert at.text_area(key="fn").value == "x/(1+x^2)"
    assert at.text_input(key="pt_x").value == "5"
    assert at.slider(key="step").value == 3
    assert "0.192307692308" in page_text(at)  # 5/26


def test_bad_url_settings_are_ignored():
    at = open_page("pages/traces.py", {"step": "many", "seed": "<script>"})
    no_exception(at)
    assert at.slider(key="step").value == 0
    assert at.selectbox(key="seed").value == "x1"


# --- the point boxes keep what was typed and say what is wrong (issue 10, C18) ------------------------------

# What each refused text must be told (the sentence read_number gives), from the examples.
BAD_POINTS = [("abc", "not a number"), ("1e400", "beyond the largest float"), ("nan", "not a finite number"),
              ("inf", "not a finite number"), ("-inf", "not a finite number"),
              ("1,5", "write the decimal with a point"), ("", "empty"), ("1e-400", "would become 0"),
              ("2*3", "not a number"), ("__import__('os')", "not a number")]


@pytest.mark.parametrize("typed,says", BAD_POINTS)
def test_point_box_keeps_a_bad_number_and_says_why(typed, says):
    at = open_page("pages/traces.py")
    at.text_input(key="pt_x1").input(typed).run()
    no_exception(at)
    assert at.text_input(key="pt_x1").value == typed  # the text stays in the box, never 0 or 15
    sidebar = " ".join(e.value for e in at.sidebar.error)
    assert says in sidebar.replace("\\", ""), sidebar  # the message under the box says what is wrong
    text = page_text(at)
    assert "Fix the point in the sidebar" in text  # the page waits, as for a bad function
    assert "11.652" not in text and "undefined at 0" not in text  # no figures for a point nobody typed
    at.text_input(key="pt_x1").input("2").run()  # fixing it brings the page back
    assert "5.5" in page_text(at) and not at.sidebar.error


@pytest.mark.parametrize("path", ["pages/symbolic.py", "pages/numeric.py", "pages/compare.py"])
def test_every_page_waits_for_a_bad_point(path):
    at = open_page(path)
    at.text_input(key="pt_x2").input("1,5").run()
    no_exception(at)
    assert at.text_input(key="pt_x2").value == "1,5"
    assert "Fix the point in the sidebar" in page_text(at) and "11.652" not in page_text(at)


@pytest.mark.parametrize("raw", ["nan", "1e400", "abc"])
def test_shared_address_with_a_bad_point_keeps_it(raw):
    at = open_page("pages/traces.py", {"fn": "x^2 + 1", "at_x": raw})
    no_exception(at)
    assert at.text_input(key="pt_x").value == raw  # never silently 1
    assert at.sidebar.error and "Fix the point in the sidebar" in page_text(at)
    assert at.query_params["at_x"] in ([raw], raw)  # the address still says what the box says


@pytest.mark.parametrize("typed,value", [("-0.5", "-0.5"), ("\u22123", "-3"), (".5", "0.5"), ("1e-3", "0.001"),
                                         (" 2.5 ", "2.5"), ("pi", "3.14159265359"), ("-e", "-2.71828182846")])
def test_point_box_reads_what_its_help_promises(typed, value):
    # x^2 + 1 at x: the primal trace's x row shows x itself, formatted with 12 digits as the tables do.
    at = open_page("pages/traces.py", {"fn": "x + 0", "at_x": "1"})
    at.text_input(key="pt_x").input(typed).run()
    no_exception(at)
    assert not at.sidebar.error
    assert at.table[0].value["value"].iloc[0] == value


def test_examples_selector_loads_every_example():
    import json

    examples = json.loads((Path(APP).parent / "assets" / "examples.json").read_text())["examples"]
    assert len(examples) >= 7
    at = open_page("pages/traces.py")
    for ex in examples:
        at.selectbox(key="example").set_value(ex["name"]).run()
        no_exception(at)
        assert at.text_area(key="fn").value == ex["text"]
        assert "Fix the function" not in page_text(at)


# --- the other pages' own controls ------------------------------------------------------------------------


def table_with(at, column: str):
    """The first table on the page that has ``column``."""
    return next(t.value for t in at.table if column in t.value.columns)


def test_numeric_eps_control_changes_estimates():
    at = open_page("pages/numeric.py")
    at.select_slider(key="eps").set_value(-1).run()
    est1 = table_with(at, "estimate")
    at.select_slider(key="eps").set_value(-8).run()
    est2 = table_with(at, "estimate")
    assert not est1.equals(est2)
    assert at.query_params["eps"] in (["-8"], "-8")
    at.radio(key="prec").set_value("both").run()
    no_exception(at)
    assert set(table_with(at, "estimate")["precision"]) == {"float64", "float32"}
    assert at.get("imgs") or at.get("image")


def test_numeric_page_shows_the_default_steps():
    # The survey's function at (2, 5), d/dx1 = 5.5 (Table 2): each scheme's own step and its error.
    at = open_page("pages/numeric.py")
    df = table_with(at, "curvature (pilot)")
    assert list(df["scheme"]) == ["forward", "backward", "central"]
    errors = dict(zip(df["scheme"], df["relative error"].astype(float)))
    assert errors["central"] < 1e-10 and errors["forward"] < 1e-7 and errors["backward"] < 1e-7
    # |f'''| along x1 is 2/x1^3 = 0.25 exactly; the pilot's estimate is within 1%.
    assert df["curvature (exact)"].iloc[2] == "0.25"
    assert abs(float(df["curvature (pilot)"].iloc[2].split("≈")[1]) - 0.25) < 0.0025


def test_numeric_page_says_why_a_scheme_has_no_default_step():
    # sqrt at 5e-324, the smallest float: the derivative exists (1.5e161), but every stencil that central
    # differences can place crosses 0 (no float lies between 0 and x to step by).
    at = open_page("pages/numeric.py", {"fn": "sqrt(x)", "at_x": "5e-324"})
    df = table_with(at, "curvature (pilot)").set_index("scheme")
    assert "sqrt is undefined" in df.loc["central", "curvature (pilot)"]
    assert df.loc["forward", "h"] != "–"  # forward differences only look right of 0


def test_symbolic_swell_family_control():
    at = open_page("pages/symbolic.py")
    at.selectbox(key="family").set_value("nested sin").run()
    no_exception(at)
    swell = at.table[-1].value
    assert list(swell["n"])[:3] == [1, 2, 3]


def test_compare_measures_timings_on_request():
    at = open_page("pages/compare.py")
    at.slider(key="repeats").set_value(3).run()
    at.button(key="measure").click().run(timeout=120)
    no_exception(at)
    timings = table_with(at, "median")  # the intro says "median" too: read the table, not the text
    assert list(timings["method"])[:4] == ["symbolic", "numeric", "forward", "reverse"]
    assert all(r == 3 for r in timings["repeats"])  # 3 rounds fit easily in the 5 s budget


def test_logistic_regression_page():
    at = open_page("pages/logreg.py", {"N": "200", "d": "5"})
    no_exception(at)
    text = page_text(at)
    assert "softplus" in text and "ℓ̄" in text  # the loss and its adjoint ℓ̄ are named on the page
    assert float(at.metric[2].value) < 1e-10  # reverse-mode gradient equals the hand-written one
    at.number_input(key="d").set_value(8).run()
    no_exception(at)


def test_big_function_gets_windows_and_a_local_graph():
    from diffzoo.families import chain_sum

    at = open_page("pages/traces.py", {"fn": chain_sum(67)})  # 200 operations
    no_exception(at)
    assert len(at.sidebar.text_input) == 67
    assert all(len(t.value) <= 30 for t in at.table)
    at.slider(key="step").set_value(100).run()
    no_exception(at)
    assert any((t.value["now"] == "▶").any() for t in at.table)
    spec = at.get("graphviz_chart")[0].proto.spec
    assert spec.count("->") < 40  # only the neighbourhood of the current step
    at.toggle(key="whole").set_value(True).run()
    assert at.get("graphviz_chart")[0].proto.spec.count("->") > 200
    at.toggle(key="allrows").set_value(True).run()
    assert max(len(t.value) for t in at.table) > 200


@pytest.mark.parametrize("path", ["pages/numeric.py", "pages/compare.py", "pages/symbolic.py"])
def test_vector_function_on_other_pages(path):
    at = open_page(path, {"fn": "x1*x2, cos(x1)", "at_x1": "2", "at_x2": "3"})
    no_exception(at)
    text = page_text(at)
    assert "6" in text and "-0.416146836547" in text or path == "pages/numeric.py"
    if path == "pages/numeric.py":
        at.selectbox(key="out").set_value(1).run()
        no_exception(at)
        assert "-0.909297426826" in page_text(at)
        assert [m.label for m in at.metric][:2] == ["y₂ at the point", "exact ∂y₂/∂x1"]  # y₂, never y_2 (C23)


def test_names_with_markdown_characters_stay_names():
    at = open_page("pages/traces.py", {"fn": "w_1*w_2 + w_3", "at_w_1": "2", "at_w_2": "3", "at_w_3": "1"})
    no_exception(at)
    assert "w\\_1" in "\n".join(m.value for m in at.markdown)  # escaped, so never italics
    assert "7" in page_text(at)


@pytest.mark.parametrize("path", [*PAGES, "pages/logreg.py"])
def test_whatever_is_typed_no_exception_reaches_the_page(path):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    at = open_page(path)
    alphabet = st.sampled_from(list("x12+-*/^()., esinlogqrtpw_") + ["sin(", "ln(", "exp(", "x1", "x2", "1e308"])
    texts = st.lists(alphabet, max_size=12).map("".join) | st.text(max_size=25)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(texts)
    def check(text):
        if not text.strip() and text != "":
            text = text.strip()
        at.text_area(key="fn").input(text).run()
        assert not at.exception, (text, [e.value for e in at.exception])
        assert at.text_area(key="fn").value == text
        assert not [e for e in at.error if "Something went wrong" in e.value], text

    check()


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("text", ["1", "pi*2", "x, 1", "x - x", "0*x", "exp(x)^2, x"])
def test_constants_and_degenerate_functions(path, text):
    at = open_page(path)
    at.text_area(key="fn").input(text).run()
    no_exception(at)
    assert not [e for e in at.error if "Something went wrong" in e.value], [e.value for e in at.error]


@pytest.mark.parametrize("path", PAGES)
def test_derivative_undefined_where_f_is_defined(path):
    at = open_page(path, {"fn": "sqrt(x)", "at_x": "0"})  # f(0) = 0, f'(0) does not exist
    no_exception(at)
    assert not [e for e in at.error if "Something went wrong" in e.value], [e.value for e in at.error]
    assert "Fix the function" not in page_text(at)


# --- review fixes: narrow sidebar errors, wide code, readable tables and figures -------------------------


def test_sidebar_error_fits_the_sidebar_and_keeps_its_caret():
    long = "sin(x1)*x2+" * 700 + "(x +"  # 7,704 characters, an error near the end
    at = open_page("pages/traces.py")
    at.text_area(key="fn").input(long).run()
    no_exception(at)
    code = at.sidebar.code[0].value
    lines = code.split("\n")
    assert len(lines) == 2 and max(len(x) for x in lines) <= 30, code  # no sideways scrolling in the sidebar
    assert lines[1].index("^") == lines[0].index("(x +")  # under the '(' that is never closed
    assert "position 7701" in at.sidebar.caption[0].value  # the words wrap as text under the code
    assert at.text_area(key="fn").value == long
    main = [c.value for c in at.main.code]
    assert main and max(len(x) for x in main[0].split("\n")) <= 80  # main area: the function window and caret


def test_caret_stays_under_fullwidth_characters():
    from diffzoo.errors import caret

    text, line = caret("x + ｓｉｎ(x)", 6).split("\n")
    assert line.rstrip().endswith("^")
    pad = line[2:line.index("^")]
    assert pad == "    \u3000\u3000"  # 4 ASCII columns, then one ideographic space per fullwidth letter
    assert caret("x+" * 10_000, 10_000, width=20).split("\n")[0].startswith("  ...")
    text, line = caret("a\tb", 2).split("\n")
    assert text == "  a?b" and line == "    ^"


def test_generated_code_in_full_width_tabs():
    at = open_page("pages/traces.py")
    tabs = at.tabs
    assert [t.label for t in tabs] == ["primal", "forward (JVP)", "reverse (VJP)"]
    codes = [c.value for c in at.main.code if "def " in c.value]
    assert any("def vjp" in c for c in codes) and any("def jvp" in c for c in codes)


def test_many_inputs_start_with_the_local_graph():
    text = "+".join(f"x{i}*x{i + 1}" for i in range(1, 12))  # 12 inputs, 21 steps: 33 nodes
    at = open_page("pages/traces.py", {"fn": text})
    no_exception(at)
    assert not at.toggle(key="whole").value
    assert at.get("graphviz_chart")[0].proto.spec.count("->") < 10
    at.toggle(key="whole").set_value(True).run()
    assert at.get("graphviz_chart")[0].proto.spec.count("->") > 30


def test_compare_tables_grow_down_not_sideways():
    text = "+".join(f"x{i}*x{i + 1}" for i in range(1, 12))
    at = open_page("pages/compare.py", {"fn": text})
    no_exception(at)
    deriv, cost = at.table[0].value, at.table[1].value
    assert list(deriv.columns) == ["", "symbolic", "numeric", "forward", "reverse"]
    assert len(deriv) == 1 + 12 and deriv.iloc[0, 0] == "f (value)"
    assert list(cost["method"]) == ["symbolic", "numeric", "forward", "reverse"]
    assert "∂y/∂x1" not in cost.columns


def test_compare_vector_function_values_by_output():
    at = open_page("pages/compare.py", {"fn": "x1*x2, cos(x1)", "at_x1": "2", "at_x2": "3"})
    deriv = at.table[0].value
    # Output names with real subscripts, never a literal underscore (issue 10, C23).
    assert list(deriv[""])[:2] == ["y₁ (value)", "y₂ (value)"]
    assert deriv.set_index("").loc["∂y₂/∂x1", "reverse"] == "-0.909297426826"  # -sin(2)


def test_compare_settings_in_the_url():
    at = open_page("pages/compare.py", {"repeats": "11", "scale_n": "128"})
    assert at.slider(key="repeats").value == 11
    assert at.select_slider(key="scale_n").value == 128
    at.slider(key="repeats").set_value(5).run()
    assert at.query_params["repeats"] in (["5"], "5")


def test_logreg_says_the_sidebar_function_is_not_used():
    at = open_page("pages/logreg.py", {"N": "200", "d": "5"})
    no_exception(at)
    assert any("not this function" in i.value for i in at.sidebar.info)
    assert "equation" in at.table[-1].value.columns  # the adjoint trace, full width, its columns named


def test_swell_figure_leaves_out_zero_operations():
    import math

    from diffzoo import plots, swell

    fig = plots.swell_figure(swell.swell_table("logistic map l_n", range(1, 5)))
    for line in fig.axes[0].get_lines():
        y = list(line.get_ydata())
        assert math.isnan(y[0]) and all(v > 0 for v in y[1:])  # n = 1 (f = x, 0 ops) is not drawn at 0


def test_url_changed_by_back_button_restores_that_view(monkeypatch):
    from pages import _url

    at = open_page("pages/traces.py", {"fn": "x/(1+x^2)", "at_x": "5"})
    at.button(key="next").click().run()
    at.button(key="next").click().run()
    assert at.slider(key="step").value == 2
    at.text_input(key="pt_x").input("2").run()
    # the browser's Back button: Streamlit reruns with the older address, the widgets still hold the newer view
    # (AppTest cannot press Back; the run says it is a history navigation, as Streamlit's would)
    at.query_params["step"] = "1"
    at.query_params["at_x"] = "5.0"
    monkeypatch.setattr(_url, "is_history_navigation", lambda: True)
    at.run()
    monkeypatch.setattr(_url, "is_history_navigation", lambda: False)
    no_exception(at)
    assert at.slider(key="step").value == 1
    assert at.text_input(key="pt_x").value == "5.0"
    assert "0.192307692308" in page_text(at)  # f(5) = 5/26, shown again
    at.button(key="next").click().run()  # and the page goes on from there
    assert at.slider(key="step").value == 2


def test_timing_bars_carry_their_values():
    from diffzoo import plots

    fig = plots.bar_figure(["forward", "reverse"], [1.5e-5, 2.5e-3], "t", "seconds (log scale)")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["15 µs", "2.5 ms"]


def test_many_partials_scroll_in_boxes_on_the_symbolic_page():
    from diffzoo.families import chain_sum

    at = open_page("pages/symbolic.py", {"fn": chain_sum(20)})
    no_exception(at)
    assert any("20 partial derivatives" in c.value for c in at.caption)
    assert len(at.latex) >= 20 and "Expression swell" in page_text(at)


@pytest.mark.parametrize("path", PAGES)
def test_every_example_on_every_page(path):
    import json

    examples = json.loads((Path(APP).parent / "assets" / "examples.json").read_text())["examples"]
    at = open_page(path)
    for ex in examples:
        at.selectbox(key="example").set_value(ex["name"]).run()
        no_exception(at)
        text = page_text(at)
        for bad in ("Fix the function", "Choose another point", "could not finish", "Something went wrong"):
            assert bad not in text, (path, ex["name"], bad)
        shown = {n.label: float(n.value) for n in at.sidebar.text_input if n.label in ex["point"]}
        assert shown == {k: float(v) for k, v in ex["point"].items()}, (path, ex["name"])  # its point, loaded


def test_twenty_thousand_characters_are_refused_politely():
    at = open_page("pages/traces.py")
    text = "x+" * 10_000
    at.text_area(key="fn").input(text).run()
    no_exception(at)
    assert at.text_area(key="fn").value == text
    assert "too long" in at.sidebar.caption[0].value
    assert max(len(x) for x in at.sidebar.code[0].value.split("\n")) <= 30
    assert "fn" not in at.query_params or len(at.query_params["fn"]) < 100  # the refused text is not put in the URL


def test_symbolic_page_says_a_function_is_too_large_rather_than_blaming_the_point():
    # 24 outputs x 100 variables = 2,400 partial derivatives: past symbolic's budget (LimitError).
    text = ", ".join(["*".join(f"x{i}" for i in range(1, 101))] * 24)
    at = open_page("pages/symbolic.py")
    at.text_area(key="fn").input(text).run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "too large" in warnings and "another point" not in warnings
    assert any("2,400 partial derivatives" in c.value for c in at.code)


# --- issue 10: parts of a page, warnings, notation, long functions ----------------------------------------


POLY_160 = "+".join(f"x^{k}" for k in range(1, 161))  # 319 steps: more than the 300 a whole graph draws
PRODUCT_302 = "*".join(["x"] * 302)  # 301 steps, x used 302 times


@pytest.mark.parametrize("text", [POLY_160, PRODUCT_302])
def test_a_graph_that_cannot_be_drawn_leaves_the_rest_of_the_traces_page(text):
    # Issue 10, B12: "graph.to_dot: at most 300 are drawn" took the tables and the generated code down with it.
    at = open_page("pages/traces.py", {"fn": text, "at_x": "0.5", "whole": "1"})
    no_exception(at)
    assert not [e for e in at.error if "Something went wrong" in e.value]
    assert any("not drawn" in c.value for c in at.caption)  # the graph says in a sentence why it is missing
    # two tables: primal | tangent as one (the survey's Table 2), and the adjoint trace
    assert len(at.table) == 2 and [t.label for t in at.tabs] == ["primal", "forward (JVP)", "reverse (VJP)"]
    # The primal trace's x row: 0.5, as typed; the tables and the code are all there.
    assert at.table[0].value["value"].iloc[0] == "0.5"
    at.toggle(key="whole").set_value(False).run()  # the local view draws around the current step
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "more" in spec and spec.count("->") < 50


def test_local_graph_of_a_variable_with_many_uses_is_capped():
    # Issue 10, C25: at step 0 a variable with 18 uses drew one column of 18 nodes, taller than the screen.
    # local_view keeps at most 6 neighbours of each node (graph.local_view's default fan) and counts the rest.
    text = " + ".join(f"sin({k}*x)*y" for k in range(2, 16)) + " + " + " + ".join(f"{k}*x" for k in range(16, 20))
    at = open_page("pages/traces.py", {"fn": text, "at_x": "0.5", "at_y": "2"})
    spec = at.get("graphviz_chart")[0].proto.spec
    assert spec.count(" -> nm1;") == 0 and spec.count("nm1 -> n") == 6  # x (v_-1): 6 of its 18 uses drawn
    assert 'morenm1 [label="+12 more"' in spec


def test_every_part_of_the_traces_page_is_there_or_says_why():
    # sqrt at 0: f(0) = 0 but no derivative, so the tangent and adjoint traces cannot be computed; the primal
    # trace, the graph and the code still show, and each missing part says why in a sentence.
    at = open_page("pages/traces.py", {"fn": "sqrt(x)", "at_x": "0"})
    no_exception(at)
    notes = [i.value for i in at.info]
    assert any("tangent trace" in n and "does not exist" in n for n in notes), notes
    assert any("adjoint trace" in n for n in notes), notes
    assert len(at.table) == 1 and at.get("graphviz_chart") and at.tabs


@pytest.mark.parametrize("path", ["pages/traces.py", "pages/compare.py"])
def test_kink_warning_beside_the_numbers(path):
    # Issue 10, C22: abs(x) at 0 gave "0 (exact)" with no note. Result.warnings names the kink, the one-sided
    # derivatives (-1 and 1) and the convention abs'(0) = sign(0) = 0; every page shows it.
    at = open_page(path, {"fn": "abs(x)", "at_x": "0"})
    no_exception(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "kink" in warnings and "-1 from the left and 1 from the right" in warnings, warnings
    assert "v₁ = abs v₀" in warnings  # the step written as the page writes it (C23), never v_1 = abs v_0
    if path == "pages/compare.py":
        cost = at.table[1].value.set_index("method")
        assert cost.loc["reverse", "warnings"] == "⚠ below"  # the sentences follow the table


def test_vector_outputs_are_subscripted_on_the_traces_page():
    # Issue 10, C23: y_1 with a literal underscore, and the tangent's dot over the "1".
    at = open_page("pages/traces.py", {"fn": "x1*x2, cos(x1)", "at_x1": "2", "at_x2": "3"})
    text = page_text(at)
    assert "y_1" not in text and "y\\_1" not in text
    assert "y\u0307₁, y\u0307₂" in text and "y₁" in at.table[0].value["variable"].to_list()
    assert "y\u0307₁" in at.table[0].value["tangent variable"].to_list()  # the dot over the y, not over the 1


def test_errors_on_pages_write_subscripts():
    # Issue 10, C23: the message said "v_1 = ln v_-1" where the pages write v₁ = ln v₋₁.
    at = open_page("pages/traces.py", {"fn": "ln(x)", "at_x": "-1"})
    message = " ".join(c.value for c in at.sidebar.code)
    assert "v₁ = ln v₀" in message and "v_1" not in message, message


def test_compare_caption_reads_apart():
    at = open_page("pages/compare.py")
    at.slider(key="repeats").set_value(3).run()
    at.button(key="measure").click().run(timeout=120)
    captions = " ".join(c.value for c in at.caption)
    assert "shows them apart" in captions and "shows them part" not in captions


def test_a_stale_address_in_an_ordinary_run_is_not_taken_for_back():
    # Issue 10, C20: a run that is not a history navigation can carry the address from before the last
    # URL update reached the browser; it must not reset the view to that address.
    at = open_page("pages/traces.py", {"fn": "x/(1+x^2)", "at_x": "5"})
    at.button(key="next").click().run()
    at.button(key="next").click().run()
    at.query_params["step"] = "1"  # the address one update behind
    at.button(key="next").click().run()
    assert at.slider(key="step").value == 3  # 2 + 1: the press counted, the stale step=1 ignored


# --- the hard-points corpus (tests/test_hardpoints.py) through the pages this file owns ----------------------


def _hard_cases():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_hardpoints import CASES

    return CASES


@pytest.mark.parametrize("path", ["pages/traces.py", "pages/compare.py"])
def test_hard_points_on_the_pages_are_shown_refused_or_warned(path):
    # Poles, overflow edges, subnormals, kinks and zero bases: the page never fails, never blames the point
    # box, and where f has no derivative it never shows a bare number (a warning or a refusal is beside it).
    import diffzoo as dz

    at = open_page(path)
    for text, point, exists in _hard_cases():
        names = dz.parse(text).variables
        at.text_area(key="fn").input(text).run()
        for v, x in zip(names, point, strict=True):
            at.text_input(key=f"pt_{v}").input(repr(float(x)))
        at.run()
        where = f"{text} at {point} on {path}"
        no_exception(at)
        page = page_text(at)
        assert "Something went wrong" not in page and "Fix the point" not in page, where
        if exists or "Choose another point" in page:  # f itself has no value there: the page says so
            continue
        warned = bool(at.warning) or any("Not shown here" in i.value for i in at.info)
        if path == "pages/compare.py":
            cost = at.table[1].value
            marks = cost["warnings"] if "warnings" in cost else [""] * len(cost)
            notes = cost["note"] if "note" in cost else [""] * len(cost)
            bare = [m for m, w, n in zip(cost["method"], marks, notes, strict=True) if not w and not str(n).strip()]
            assert not bare, f"{where}: {bare} show a derivative that does not exist without a word"
        assert warned, f"{where}: no warning or refusal beside the numbers"

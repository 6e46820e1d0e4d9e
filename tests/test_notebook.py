"""diffzoo in Jupyter: a Result, its trace, a trace table and a Function render as HTML; the tour notebook runs.

The figures expected are the survey's example ln(x1) + x1*x2 - sin(x2) at (2, 5) worked out by hand:
v̄₀ = -cos 5 + 2 = 1.71633781454 (to 12 digits), v₂ = x1 x2 = 10.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import diffzoo as dz
from diffzoo import notebook
from diffzoo.traces import TraceTable

ROOT = Path(__file__).resolve().parent.parent
TOUR = ROOT / "examples" / "tour.ipynb"
SURVEY = "ln(x1) + x1*x2 - sin(x2)"


def test_the_html_of_a_result_holds_its_value_jacobian_and_trace_tables():
    r = dz.differentiate(SURVEY, [2, 5], "reverse")
    h = r._repr_html_()
    assert h.startswith('<div class="diffzoo">') and h.count("<table>") == 3  # values, primal, adjoint
    assert "<caption>Primal trace</caption>" in h and "<caption>Adjoint trace, seed (y\u0304=1)</caption>" in h
    assert f"<td>{2 - math.cos(5):.12g}</td>" in h  # v̄₀ = v̄₃ cos v₀ + v̄₂ v₋₁ = -cos 5 + 2
    assert "<td>v₂</td><td>v₋₁ * v₀</td><td>10</td>" in h  # a primal row, names with subscripts
    assert "<td>v̄₀</td><td>v̄₀ + v̄₂ * ∂v₂/∂v₀</td>" in h  # the accumulation, its chain rule written out


def test_every_method_and_a_vector_function_render():
    for method in dz.METHODS:
        h = dz.differentiate("x1/x2", [1, 2], method)._repr_html_()
        assert "<th>∂/∂x2</th>" in h and "<td>-0.25</td>" in h, method  # ∂(x1/x2)/∂x2 = -x1/x2² = -1/4
    h = dz.differentiate("x*y, sin(x)", [2, 3], "forward")._repr_html_()
    # (y is an input, so the outputs are f₁, f₂): f₁ = x y = 6, ∂f₁/∂x = y = 3, ∂f₁/∂y = x = 2; its tangent ḟ₁
    assert "<td>f₁</td><td>6</td><td>3</td><td>2</td>" in h and "<td>f\u0307₁</td><td>v\u0307₁</td>" in h


def test_warnings_show_beside_the_numbers():
    h = dz.differentiate("abs(x)", [0], "reverse")._repr_html_()
    assert '<p class="warn">⚠ v₁ = abs v₀ is at its kink' in h


def test_function_trace_and_table_render_and_text_is_escaped():
    f = dz.parse("x*y, sin(x)")
    h = f._repr_html_()
    assert "<code>x*y, sin(x)</code>" in h and "<td>v₁</td><td>v₋₁ * v₀</td>" in h
    trace = dz.differentiate(f, [1, 2], "forward").trace
    assert trace._repr_html_().count("<table>") == 1 + 2  # the primal and one tangent per input
    t = TraceTable("<script>alert(1)</script> & more")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in t._repr_html_() and "<script>" not in t._repr_html_()
    with pytest.raises(TypeError, match="cannot draw a int"):
        notebook.to_html(3)


def test_long_tables_are_cut_with_a_note():
    f = dz.parse(" + ".join(f"sin(x{i})" for i in range(40)))
    h = dz.differentiate(f, [0.5] * 40, "reverse").trace.primal()._repr_html_()
    assert h.count("<tr>") == 1 + notebook.MAX_ROWS + 1  # the header, the rows shown, the note
    assert f"… {40 + 79 + 1 - notebook.MAX_ROWS} more rows" in h  # 40 inputs, 40 sines and 39 sums, y


def test_the_tour_notebook_runs():
    nbformat = pytest.importorskip("nbformat", reason="nbformat is missing: pip install nbformat")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is missing: pip install nbclient ipykernel")
    pytest.importorskip("ipykernel", reason="ipykernel is missing: pip install ipykernel")
    nb = nbformat.read(TOUR, as_version=4)
    stored = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs for c in stored)  # the notebook is kept with its outputs
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "data" in o and "text/html" in o["data"]]
    adjoint = "<caption>Adjoint trace, seed (y\u0304=1)</caption>"
    assert any(adjoint in h and f"{2 - math.cos(5):.12g}" in h for h in html)
    text = "".join(o.get("text", "") for o in outputs)
    assert "forgot" not in text and "is what you get if you forget that v₀ is used twice" in text

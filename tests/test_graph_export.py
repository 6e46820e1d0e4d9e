"""The computational graph for slides (issue 13, A): diffzoo's own layered layout, as SVG and PNG.

The graph is the page's own DOT text (``views.traces_view(...).graph``), read back by ``graph.parse_dot``.
Expected figures: the survey's example ln(x1) + x1·x2 − sin(x2) has 2 inputs, 5 steps and one output
(8 nodes, 9 edges, by hand from the survey's Table 2); its layers by longest path from the inputs, by hand:
v₋₁, v₀: 0; v₁, v₂, v₃: 1; v₄ = v₁ + v₂: 2; v₅ = v₄ − v₃: 3; y: 4. The PNG's pixel size is the layout's
size in points (plus the margin) x PNG_DPI / 72, from the PNG's own IHDR header.
"""

from __future__ import annotations

import itertools
import struct
import xml.etree.ElementTree as ET

import pytest
from apptest import app, no_exception

from diffzoo import graph, views

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
AT = (2.0, 5.0)
#: 60 steps by construction: 20 terms sin(xj + k), two steps each (no two alike, so none is shared), 19 sums,
#: and the last term times x1
SIXTY = " + ".join(f"sin(x{1 + k % 3} + {k + 1})" for k in range(20)) + " * x1"


def dot_at(text: str, point: tuple[float, ...], position: int) -> str:
    v = views.traces_view(text, point, position=position, whole_graph=True)
    return v.graph.value


def test_the_dot_text_is_read_back_as_drawn():
    g = graph.parse_dot(dot_at(SURVEY, AT, 3))
    assert len(g.nodes) == 8 and len(g.edges) == 9  # 2 inputs + 5 steps + y; edges 1 + 2 + 1 + 2 + 2 + 1 (v₁..y)
    by_id = {n.id: n for n in g.nodes}
    assert by_id["n2"].label.splitlines() == ["v₂ = v₋₁ * v₀", "= 10", "v̇ = 7", "v̄ = ?"]  # x1·x2 = 10, 1·5 + 2·1
    assert by_id["n2"].fill == graph.HIGHLIGHT and by_id["n3"].fill == graph.PLAIN
    assert by_id["out0"].shape == "ellipse"
    assert graph.layers(g) == {"nm1": 0, "n0": 0, "n1": 1, "n2": 1, "n3": 1, "n4": 2, "n5": 3, "out0": 4}


def test_the_svg_has_every_label_and_the_current_highlight():
    dot = dot_at(SURVEY, AT, 3)
    svg = graph.export(dot, "svg")
    root = ET.fromstring(svg)  # parses as XML
    texts = "\n".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for n in graph.parse_dot(dot).nodes:
        for line in n.label.splitlines():
            assert line in texts, line
    assert graph.HIGHLIGHT in svg.decode()  # the current step, v₂, in orange
    later = graph.export(dot_at(SURVEY, AT, 9), "svg").decode()  # the reverse sweep: an edge lights too
    assert later.count(graph.HIGHLIGHT) >= 2
    dark = graph.export(dot, "svg", "dark").decode()
    assert graph.HIGHLIGHT not in dark and graph.dark(graph.HIGHLIGHT) in dark


def test_dark_is_the_pages_inversion():
    # CSS invert(1) then hue-rotate(180deg): white becomes black and black white (greys keep no hue)
    assert graph.dark("#ffffff") == "#000000" and graph.dark("#000000") == "#ffffff"
    r, g, b = (int(graph.dark(graph.HIGHLIGHT)[i:i + 2], 16) for i in (1, 3, 5))
    assert r > g > b and r < 0xf4  # orange stays orange, darker


def test_the_png_header_and_size():
    dot = dot_at(SURVEY, AT, 3)
    png = graph.export(dot, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    lay = graph.layout(graph.parse_dot(dot))
    k = graph.PNG_DPI / 72
    assert width == pytest.approx((lay.size[0] + 2 * graph.MARGIN) * k, abs=1)
    assert height == pytest.approx((lay.size[1] + 2 * graph.MARGIN) * k, abs=1)
    assert graph.FONT_SIZE * k >= 16  # a label's size in the PNG's own pixels: 25 px


def overlaps(lay: graph.Layout) -> list[tuple[str, str]]:
    return [(a, b) for (a, (xa, ya, wa, ha)), (b, (xb, yb, wb, hb)) in itertools.combinations(lay.boxes.items(), 2)
            if abs(xa - xb) < (wa + wb) / 2 and abs(ya - yb) < (ha + hb) / 2]


@pytest.mark.parametrize(("text", "point", "steps"), [(SURVEY, AT, 5), (SIXTY, (0.5, 1.5, 2.5), 60)])
def test_no_two_node_boxes_overlap(text, point, steps):
    v = views.traces_view(text, point, position=2, whole_graph=True)
    assert v.k == steps
    lay = graph.layout(graph.parse_dot(v.graph.value))
    assert len(lay.boxes) == v.n + v.k + 1
    assert not overlaps(lay)
    for (x, y, w, h) in lay.boxes.values():  # and all of them inside the drawing
        assert 0 <= x - w / 2 and x + w / 2 <= lay.size[0] + 1e-9
        assert 0 <= y - h / 2 and y + h / 2 <= lay.size[1] + 1e-9


def test_overlap_check_can_fail():
    box = (0.0, 0.0, 10.0, 10.0)
    lay = graph.Layout(graph.Graph((), ()), {"a": box, "b": (5.0, 5.0, 10.0, 10.0)}, (), (20.0, 20.0))
    assert overlaps(lay) == [("a", "b")]


def test_a_format_other_than_svg_or_png_is_refused():
    with pytest.raises(ValueError, match="svg or png"):
        graph.export(dot_at(SURVEY, AT, 0), "pdf")


def test_the_traces_page_offers_the_graph_as_svg_and_png():
    at = app({"fn": SURVEY, "at_x1": "2", "at_x2": "5", "step": "3"}, timeout=90)
    at.run()
    no_exception(at)
    ids = {e.proto.label: e.proto.id for e in at.get("download_button")}
    assert "graph-ln_x1_x1_x2_sin_x2-step3.svg" in ids["SVG"]
    assert "graph-ln_x1_x1_x2_sin_x2-step3.png" in ids["PNG"]
    assert any("diffzoo's own layout of it" in c.value for c in at.caption)

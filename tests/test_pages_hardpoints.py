"""The hard-points corpus on every page (AppTest): each page renders, and says what the library says.

A case from ``test_hardpoints`` opened on the Traces, Symbolic, Numeric and Compare pages by its
address must: raise nothing, never show "Something went wrong", show a figure or a reason, and,
where the library's methods warn or refuse, show the warning or the refusal on the page. One case
of each kind, so that the suite stays quick (the library test runs all of them through every method).
"""

from __future__ import annotations

import pytest
from apptest import PAGES, open_page, page_text

import diffzoo as dz

# (kind, function, point): one of each kind of hard point
CASES = [
    ("pole", "1/x", {"x": 1e-20}),
    ("pole under float resolution", "tan(x)", {"x": 1.5707963267948966}),
    ("overflow edge", "exp(x)", {"x": 709.0}),
    ("overflow in a partial", "atan(x)", {"x": 1e160}),
    ("subnormal", "1e-300*exp(x)", {"x": 1.0}),
    ("kink", "abs(x)", {"x": 0.0}),
    ("jump", "sign(x) + x", {"x": 0.0}),
    ("infinite slope", "sqrt(x)", {"x": 0.0}),
    ("zero base", "x^y", {"x": 0.0, "y": 2.0}),
    ("structural zero", "sqrt(y-y)+x", {"x": 1.0, "y": 2.0}),
    ("cancellation", "sin(x)*1e16 - x*1e16", {"x": 1e-9}),
]


def _query(text: str, point: dict[str, float]) -> dict[str, str]:
    return {"fn": text} | {f"at_{k}": repr(v) for k, v in point.items()}


def _library_says(text: str, point: dict[str, float]) -> list[str]:
    """What the library's methods say here: each warning's first words, or that a method refuses."""
    said = []
    for method in dz.METHODS:
        try:
            said += [w.split(":")[0][:40] for w in dz.differentiate(text, point, method).warnings]
        except (dz.EvaluationError, dz.LimitError):
            said.append("REFUSED")
    return said


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("kind", "text", "point"), CASES, ids=[c[0] for c in CASES])
def test_every_page_renders_and_says_what_the_library_says(kind, text, point, path):
    at = open_page(path, _query(text, point), timeout=90)
    shown = page_text(at)
    assert "Something went wrong" not in shown, (kind, path)
    assert "could not finish this page" not in shown or path == "pages/traces.py", (kind, path, shown[:500])
    said = _library_says(text, point)
    if path == "pages/compare.py" and said:  # every method's warnings and refusals are on the Compare page
        warned = [w for w in said if w != "REFUSED"]
        assert not warned or any(w in shown for w in warned), (kind, warned, shown[-1500:])

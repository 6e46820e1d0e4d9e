"""The Practice page in a real browser (headless Chromium) at 1024 x 768: a student types a number in a cell of the
editable table, presses Check and reads the hint that names the mistake; nothing runs off the right edge.

The exercise and the hint expected are the library's (``diffzoo.practice``), whose hints ``tests/test_practice.py``
checks against values worked out by hand; here it is the page's wiring that is tested: the typed text reaching
``check`` from the grid, and the hint reaching the screen.
"""

from __future__ import annotations

import pytest
from browser import settle

from diffzoo import fmt
from diffzoo import practice as P

pytestmark = pytest.mark.browser
LEVEL, SEED = 1, 3




def type_in_cell(page, grid: int, row: int, text: str) -> None:
    """Type ``text`` in the "your value" column (the third of four) of data row ``row`` of editor ``grid``."""
    g = page.locator('[data-testid="stDataFrame"]').nth(grid)
    g.scroll_into_view_if_needed()
    box = g.bounding_box()
    n_rows = len(P.exercise_set(LEVEL, SEED)[0].cells(P.TABLES[grid]))
    height = box["height"] / (n_rows + 1)  # the header and the rows are as tall
    x, y = box["x"] + box["width"] * 0.71, box["y"] + height * (row + 1.5)
    editor = page.locator("textarea.gdg-input")
    for _ in range(3):  # a click selects the cell, a double click opens its editor
        page.mouse.click(x, y)
        page.wait_for_timeout(200)
        page.mouse.dblclick(x, y)
        try:
            editor.wait_for(timeout=3_000)
            break
        except Exception:  # noqa: BLE001 - the grid was redrawn under the click: again
            settle(page)
    editor.fill(text)
    page.keyboard.press("Enter")
    settle(page)


def test_a_typed_mistake_gets_its_named_hint_at_1024_pixels(server, browser):
    ex = P.exercise_set(LEVEL, SEED)[0]
    # a tangent cell and a number that check() explains by a named mistake
    cell, hint = next((c, f) for c in ex.tangent if not c.given for m in P.tangent_mistakes(ex, c)
                      if (f := P.check(ex, "tangent", {c.row: fmt.short(m.value, 6)})[c.row]).mistake == m.kind)
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(f"{server}/practice?level={LEVEL}&set={SEED}", timeout=60_000)
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    settle(page)
    assert ex.text in page.inner_text('[data-testid="stMain"]')
    type_in_cell(page, 1, cell.row, hint.typed)
    page.get_by_role("button", name="Check").click()
    settle(page)
    page.locator('[data-testid="stAlert"]').first.wait_for(timeout=20_000)
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
    assert any(hint.message in " ".join(a.split()) for a in alerts), (hint.message, alerts)
    assert hint.mistake in P.MISTAKES  # a named mistake, not the fallback sentence
    # nothing wider than the main column: no sideways scrolling, no table or button past the edge
    widths = page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        const edge = main.getBoundingClientRect().right;
        const over = [...main.querySelectorAll('[data-testid="stDataFrame"], [data-testid="stAlert"], button, '
                       + '[data-testid="stCode"], [data-testid="stMarkdownContainer"]')]
            .filter(e => e.getBoundingClientRect().right > edge + 1).map(e => e.dataset.testid || e.tagName);
        return {scroll: main.scrollWidth, client: main.clientWidth, doc: document.documentElement.scrollWidth,
                view: window.innerWidth, over};
    }""")
    assert widths["scroll"] <= widths["client"] and widths["doc"] <= widths["view"], widths
    assert not widths["over"], widths
    page.close()

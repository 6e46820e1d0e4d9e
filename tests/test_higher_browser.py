"""The Higher order page in a real browser (headless Chromium) at 1024 x 768, a classroom projector's width.

It opens /higher on the survey example, checks that no part shows an exception, that the page never scrolls
sideways and that no table is cut off at its box's edge, and steps the forward-over-reverse trace with Next.
"""

from __future__ import annotations

import pytest
from browser import settle

pytestmark = pytest.mark.browser




def test_higher_page_fits_1024_pixels_and_steps_the_trace(server, browser):
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try:
        page.goto(f"{server}/higher", timeout=90_000)
        page.wait_for_function("() => document.body.innerText.includes(\"Newton's method reached\")", timeout=90_000)
        settle(page)
        assert not page.query_selector('[data-testid="stException"]')
        main = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
            return [m.scrollWidth, m.clientWidth]; }""")
        assert main[0] <= main[1] + 1, main  # the page never scrolls sideways
        wide = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stTable"]')]
            .map(e => [Math.max(e.scrollWidth, ...[...e.querySelectorAll('*')].map(c => c.scrollWidth)),
                       Math.ceil(e.getBoundingClientRect().width)])
            .filter(([inner, outer]) => inner > outer + 1)""")
        assert not wide, f"tables cut off at 1024 pixels: {wide}"
        assert page.locator('[data-testid="stImage"] img').count() >= 4  # steps, Taylor, cost, Newton
        body = page.inner_text('[data-testid="stMain"]')
        assert "Row 1/15" in body
        page.get_by_role("button", name="Next ▶").click()
        page.wait_for_function("() => document.body.innerText.includes('Row 2/15')", timeout=30_000)
        settle(page)
        assert "h_step=1" in page.evaluate("document.location.search")
        assert not page.query_selector('[data-testid="stException"]')
    finally:
        page.close()

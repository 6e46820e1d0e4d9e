"""The Programs page in a real browser (headless Chromium) at 1024 x 768, a classroom projector's width.

It opens /programs on the Taylor-series sin example, checks that no part shows an exception and that the page never
scrolls sideways, steps the walk with Next (the marked source line moves to line 6, the address says p_step=1), and
saves a screenshot of the walk after that step in the temporary directory (the README's
assets/screenshots/programs.png is refreshed by hand, never by a test run).
"""

from __future__ import annotations

import pytest
from browser import settle

pytestmark = pytest.mark.browser




def test_programs_page_fits_1024_pixels_and_steps(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try:
        page.goto(f"{server}/programs", timeout=90_000)
        page.wait_for_function("() => document.body.innerText.includes('Kinks and jumps')", timeout=90_000)
        settle(page)
        assert not page.query_selector('[data-testid="stException"]')
        main = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
            return [m.scrollWidth, m.clientWidth]; }""")
        assert main[0] <= main[1] + 1, main  # the page never scrolls sideways
        body = page.inner_text('[data-testid="stMain"]')
        assert "The derivative by every method" in body and "0.8775825618903728" in body  # cos(0.5)
        page.get_by_role("button", name="Next ▶").click()
        page.wait_for_function("() => document.body.innerText.includes('▶ 6 │')", timeout=30_000)
        settle(page)
        page.get_by_text("1. Step through the sweeps").scroll_into_view_if_needed()
        page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]'); m.scrollBy(0, 330); }""")
        page.wait_for_timeout(500)
        page.screenshot(path=str(tmp_path / "programs.png"))
        assert "p_step=1" in page.evaluate("document.location.search")
        assert not page.query_selector('[data-testid="stException"]')
    finally:
        page.close()

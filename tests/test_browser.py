"""The app in a real browser: start ``streamlit run app.py``, open every page in headless Chromium.

For each page: type the survey's function into the box, read 11.652, 5.5 and 1.716 off the page,
check that the graph (an svg inside the graphviz element) and the plots (img elements) are drawn
and that no exception box appears; save a screenshot of each page in the test's temporary directory (the
README's ``assets/screenshots/`` are refreshed by hand, never by a test run).
Skips, saying how to install the browser, where Debian's chromium or playwright is missing.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from browser import chromium, served

pytestmark = pytest.mark.browser

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
# page path, screenshot name, what must be drawn: "graph" (graphviz svg) and/or "plot" (img)
# The first request to the fresh server is a deep link (/numeric): with a pages/ folder beside app.py,
# Streamlit starts in its old multipage mode, and the page must still get the entrypoint's sidebar.
PAGES = [("numeric", "numeric", ["plot"]), ("", "traces", ["graph"]), ("symbolic", "symbolic", ["graph", "plot"]),
         ("compare", "compare", ["plot"]), ("logreg", "logreg", ["plot"])]
FIGURES = {"traces": ["11.652", "5.5", "1.716"], "symbolic": ["11.652", "5.5", "1.716"],
           "numeric": ["11.652", "5.5"], "compare": ["11.652", "5.5", "1.716"], "logreg": []}


@pytest.fixture(scope="module")
def server():
    with served() as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


def _settle(page, timeout_s: float = 30) -> None:
    """Wait until the script has finished running (no status widget, no spinner)."""
    end = time.time() + timeout_s
    page.wait_for_timeout(500)
    quiet = 0
    while time.time() < end and quiet < 2:  # two quiet checks in a row: no run in progress, nothing stale
        busy = page.query_selector('[data-testid="stStatusWidget"], [data-testid="stSpinner"], [data-stale="true"]')
        quiet = 0 if busy else quiet + 1
        page.wait_for_timeout(250)


@contextlib.contextmanager
def _opened(browser, url: str, width: int = 1280, height: int = 800):
    """A new page at ``url`` once the app has drawn its sidebar and finished running; closed afterwards."""
    page = browser.new_page(viewport={"width": width, "height": height})
    try:
        page.goto(url, timeout=60_000)
        page.wait_for_selector('[data-testid="stSidebar"] textarea', timeout=60_000)
        _settle(page)
        yield page
    finally:
        page.close()


def _type_function(page, text: str) -> None:
    box = page.locator('[data-testid="stSidebar"] textarea').first
    box.click()
    box.fill(text)
    box.press("Control+Enter")
    _settle(page)


@pytest.mark.parametrize("path,name,drawn", PAGES)
def test_page_in_browser(server, browser, path, name, drawn, tmp_path):
    with _opened(browser, f"{server}/{path}?fn=x%5E2%2B1", 1440, 2400) as page:
        _type_function(page, SURVEY)
        # x1, x2 appear with their example values (2, 5) once the survey text is typed
        page.wait_for_function("() => document.body.innerText.includes('11.652')", timeout=30_000) \
            if FIGURES[name] else None
        _settle(page)
        text = page.inner_text("body")
        for figure in FIGURES[name]:
            assert figure in text, f"{figure} not on the {name} page"
        if name == "traces":  # walk into the reverse sweep with the keyboard: the screenshot shows adjoints
            thumb = page.locator('[data-testid="stSlider"] input[type="range"]').first
            thumb.focus()
            thumb.press("End")
            _settle(page)
            for _ in range(3):
                thumb.press("ArrowLeft")
            _settle(page)
            page.wait_for_function("() => document.body.innerText.includes('Reverse sweep')", timeout=30_000)
        if name == "compare":  # measure timings (never cached) so the screenshot shows them
            page.get_by_role("button", name="Measure timings").click()
            page.wait_for_selector('[data-testid="stImage"] img', timeout=60_000)
            _settle(page)
        if "graph" in drawn:
            page.wait_for_selector('[data-testid="stGraphVizChart"] svg', timeout=30_000)
        if "plot" in drawn:
            page.wait_for_selector('[data-testid="stImage"] img', timeout=30_000)
        if name == "numeric":  # the SVG is rendered only when asked for: download it
            with page.expect_download(timeout=30_000) as dl:
                page.get_by_role("button", name="Download SVG").first.click()
            svg = Path(dl.value.path()).read_text(encoding="utf-8", errors="replace")
            assert "<svg" in svg[:2000]
            _settle(page)
        assert not page.query_selector('[data-testid="stException"]'), "an exception box is on the page"
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def test_bad_function_in_browser(server, browser, tmp_path):
    with _opened(browser, f"{server}/?fn=sin(x", 1440, 1200) as page:
        text = page.inner_text("body")
        assert "^" in text and "Fix the function" in text
        assert page.locator('[data-testid="stSidebar"] textarea').first.input_value() == "sin(x"
        assert not page.query_selector('[data-testid="stException"]')
        page.screenshot(path=str(tmp_path / "bad-function.png"), full_page=True)


# What a projector shows: a 1280-pixel window. Nothing may run off the side of its box there.
NARROW = [("numeric", ""), ("compare", "?fn=" + "%2B".join(f"x{i}*x{i + 1}" for i in range(1, 12))),
          ("logreg", ""), ("", "?fn=" + "sin(x1)*x2%2B" * 700 + "(x%20%2B")]


@pytest.mark.parametrize("path,query", NARROW)
def test_nothing_overflows_at_1280_pixels(server, browser, path, query):
    with _opened(browser, f"{server}/{path}{query}") as page:
        page.wait_for_selector('[data-testid="stTable"], [data-testid="stSidebar"] pre', timeout=30_000)
        wide = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stTable"], pre')]
            .map(e => [e.getAttribute('data-testid') || e.tagName,
                       Math.max(e.scrollWidth, ...[...e.querySelectorAll('*')].map(c => c.scrollWidth)),
                       Math.ceil(e.getBoundingClientRect().width)])
            .filter(([, inner, outer]) => inner > outer + 1)""")
        assert not wide, f"cut off at 1280 pixels on /{path}: {wide}"
        assert not page.query_selector('[data-testid="stException"]')


def test_back_button_restores_the_previous_view(server, browser):
    with _opened(browser, f"{server}/?fn=x%2F(1%2Bx%5E2)&at_x=5") as page:
        start = page.evaluate("history.length")
        for _ in range(2):
            page.get_by_role("button", name="Next ▶").click()
            _settle(page)
        assert "step=2" in page.url
        assert page.evaluate("history.length") == start + 2  # one history entry per change, not one per setting
        shared = page.url
        page.go_back()
        _settle(page)
        assert "step=1" in page.url and "Step 1/" in page.inner_text('[data-testid="stMain"]')
        page.go_forward()
        _settle(page)
        assert "Step 2/" in page.inner_text('[data-testid="stMain"]')
        with _opened(browser, shared) as fresh:  # the copied address opens that view
            assert "Step 2/" in fresh.inner_text('[data-testid="stMain"]')
        assert not page.query_selector('[data-testid="stException"]')


def _node_boxes(page) -> tuple[dict[str, tuple[float, float]], tuple[float, float]]:
    """Centre of every node of the drawn graph (by its DOT id), and the drawing's width and height, in px."""
    return page.evaluate("""() => {
        const svg = document.querySelector('[data-testid="stGraphVizChart"] svg');
        const r0 = svg.getBoundingClientRect();
        const nodes = {};
        for (const g of svg.querySelectorAll('g.node')) {
            const r = g.getBoundingClientRect();
            nodes[g.querySelector('title').textContent] = [r.x + r.width / 2 - r0.x, r.y + r.height / 2 - r0.y];
        }
        return [nodes, [r0.width, r0.height]];
    }""")


def test_graph_stays_still_while_stepping(server, browser):
    # Issue 10, C21: stepping moved nodes by up to 31 px and the drawing grew from 190 to 221 px high, as
    # labels gained lines. Every node now carries its value, tangent and adjoint lines from the start ("?"),
    # at a fixed size, so across all 16 steps of the survey example nothing may move by more than 1 px.
    with _opened(browser, f"{server}/?fn=ln(x1)%2Bx1*x2-sin(x2)&at_x1=2&at_x2=5", 1280, 1400) as page:
        page.wait_for_selector('[data-testid="stGraphVizChart"] svg g.node', timeout=30_000)
        first, size = _node_boxes(page)
        assert len(first) == 8  # 2 inputs, 5 steps, 1 output
        worst, sizes = 0.0, {tuple(round(v) for v in size)}
        for step in range(1, 16):
            page.get_by_role("button", name="Next ▶").click()
            page.wait_for_function(f"() => document.body.innerText.includes('Step {step}/15')", timeout=30_000)
            _settle(page)
            nodes, size = _node_boxes(page)
            assert set(nodes) == set(first)
            worst = max(worst, *(abs(nodes[k][i] - first[k][i]) for k in first for i in (0, 1)))
            sizes.add(tuple(round(v) for v in size))
        assert worst <= 1.0, f"a node moved by {worst:.1f} px"
        assert len(sizes) == 1, f"the drawing changed size: {sizes}"


def test_back_after_a_page_switch_takes_one_press(server, browser):
    # Issue 10, C24: the page switch added two history entries (the new page's settings were written to the
    # URL before the browser had moved to the new page's address), so Back needed two presses.
    with _opened(browser, f"{server}/?fn=x%5E2%2B1&at_x=3") as page:
        page.wait_for_function("() => location.search.includes('step=0')", timeout=30_000)  # the view is written
        before = page.evaluate("history.length")
        page.locator('[data-testid="stSidebarNav"] a', has_text="Compare").click()
        page.wait_for_function("() => document.body.innerText.includes('Every method, side by side')",
                               timeout=30_000)
        _settle(page)
        assert page.evaluate("history.length") == before + 1  # one entry for one page switch
        page.go_back()
        page.wait_for_function("() => document.body.innerText.includes('Step through the sweeps')", timeout=30_000)
        _settle(page)
        assert "/compare" not in page.url and "Traces" in page.inner_text("h1")
        assert "fn=x%5E2%2B1" in page.url  # the traces view it came from, function and point included
        page.go_forward()
        page.wait_for_function("() => document.body.innerText.includes('Every method, side by side')",
                               timeout=30_000)
        _settle(page)
        page.get_by_role("button", name="Measure the crossover").wait_for()
        thumb = page.locator('[data-testid="stSlider"] input[type="range"]').first  # the next change on the page
        thumb.focus()
        thumb.press("ArrowRight")
        page.wait_for_function("() => location.search.includes('repeats=9')", timeout=30_000)
        assert "fn=x%5E2%2B1" in page.url and "at_x=3" in page.url  # the function and point are back in it
        assert not page.query_selector('[data-testid="stException"]')

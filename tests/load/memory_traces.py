"""Server memory and load time on the Traces page for long functions, one distinct function after another.

Issue 10, A10: distinct 4999-step functions (within the parser's limits) opened one after another on the
Traces page raised the server's RSS from 186 MB to 800-910 MB, and each took 4-10 s to load. This script
starts ``streamlit run app.py`` on 127.0.0.1, opens ``/?fn=<function k>`` for k = 1..N in headless Chromium
(``--sessions`` browser pages at a time, each page a new session), waits until the page shows that
function's gradient and its run is over, and prints, per load, the seconds from opening the address to
the figure shown and to the run's end, and the server's RSS (the server and all its children, from
/proc). At the end: RSS at start, peak and end.

    .venv/bin/python tests/load/memory_traces.py                    # 20 functions, one at a time
    .venv/bin/python tests/load/memory_traces.py --loads 60 --sessions 3
    .venv/bin/python tests/load/memory_traces.py --query "&whole=1"  # extra settings in every address

Every function is ``a ± b ± c ...`` over 50 one-letter variables with a random sign pattern (seeded by k):
9,999 characters, 4,999 steps, each prefix new, so no cache can serve one load from another.
Loopback only; every wait is bounded. Needs Debian's /usr/bin/chromium and playwright.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_test  # noqa: E402  (the server, its RSS and the browser flags)

import diffzoo as dz  # noqa: E402

LETTERS = [c for c in "abcdfghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "e"][:50]


def long_function(k: int, steps: int = 4999) -> str:
    """``steps`` additions and subtractions over one-letter variables, different for every ``k``."""
    r = random.Random(k)
    return r.choice(LETTERS) + "".join(r.choice("+-") + r.choice(LETTERS) for _ in range(steps))


def expected_figure(text: str) -> str:
    """What the Results box shows first for reverse mode: ``∂<output>/∂<first input> = <gradient>``."""
    f = dz.parse(text)
    point = {v: 1.0 for v in f.variables}
    r = dz.differentiate(f, point, method="reverse")
    x, y = f.variables[0], f.wengert.output_names()[0]
    return f"∂{y}/∂{x} = {load_test.fmt(r.gradient[x])}"


def settle(page, wait_s: float) -> None:
    """Wait until the script run is over: no running indicator and nothing stale, twice in a row."""
    end, quiet = time.monotonic() + wait_s, 0
    while time.monotonic() < end and quiet < 2:
        busy = page.query_selector('[data-testid="stStatusWidget"], [data-stale="true"]')
        quiet = 0 if busy else quiet + 1
        page.wait_for_timeout(100)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loads", type=int, default=20, help="distinct functions to open")
    ap.add_argument("--sessions", type=int, default=1, help="browser pages open at the same time")
    ap.add_argument("--steps", type=int, default=4999)
    ap.add_argument("--query", default="", help="extra URL settings, e.g. '&whole=1'")
    ap.add_argument("--wait", type=float, default=120, help="seconds to wait for one load")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    port = load_test.free_port()
    log_path = Path(tempfile.gettempdir()) / f"memory_traces_{port}.log"
    proc = load_test.start_server(port, log_path)
    base = f"http://{load_test.HOST}:{port}"
    rows: list[tuple[int, float, float]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=load_test.CHROMIUM, args=load_test.ARGS)
            warm = browser.new_page()
            warm.goto(f"{base}/?fn=x%5E2", timeout=120_000)  # the first page after a start loads the libraries
            warm.wait_for_selector('[data-testid="stSidebar"] textarea', timeout=120_000)
            warm.wait_for_function("() => document.body.innerText.includes('Reverse, one sweep')", timeout=120_000)
            warm.close()
            time.sleep(2)
            start_mb, _ = load_test.tree_rss_mb(proc.pid)
            print(f"server RSS after the first page: {start_mb:.0f} MB")
            print(f"{'load':>4s} {'steps':>6s} {'figure s':>8s} {'done s':>8s} {'RSS MB':>7s}")
            pages = [browser.new_page(viewport={"width": 1280, "height": 900}) for _ in range(args.sessions)]
            k = 0
            while k < args.loads:
                batch = []
                for page in pages[: args.loads - k]:
                    k += 1
                    text = long_function(k, args.steps)
                    want = expected_figure(text)
                    url = f"{base}/?fn={urllib.parse.quote(text)}{args.query}"
                    batch.append((k, page, want, time.perf_counter()))
                    page.goto(url, timeout=args.wait * 1000, wait_until="commit")
                for j, page, want, t0 in batch:
                    page.wait_for_function("w => document.body.innerText.includes(w)", arg=want,
                                           timeout=args.wait * 1000, polling=100)
                    shown = time.perf_counter() - t0
                    settle(page, args.wait)
                    dt = time.perf_counter() - t0
                    mb, _ = load_test.tree_rss_mb(proc.pid)
                    rows.append((j, dt, mb))
                    print(f"{j:4d} {args.steps:6d} {shown:8.2f} {dt:8.2f} {mb:7.0f}", flush=True)
                    if page.query_selector('[data-testid="stException"]'):
                        print("  an exception box is on the page")
                    errs = [e.inner_text()[:160] for e in page.query_selector_all('[data-testid="stAlert"]')
                            if "went wrong" in e.inner_text()]
                    if errs:
                        print("  ", errs)
            for page in pages:
                page.close()
            browser.close()
        time.sleep(3)
        end_mb, _ = load_test.tree_rss_mb(proc.pid)
    finally:
        load_test.stop_server(proc)
    secs = [r[1] for r in rows]
    print(f"\nloads {len(rows)}, seconds from the address to the page done: "
          f"median {statistics.median(secs):.2f}, max {max(secs):.2f}")
    print(f"server RSS: after the first page {start_mb:.0f} MB, peak {max(r[2] for r in rows):.0f} MB, "
          f"end {end_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The app served for the browser tests: ``streamlit run app.py`` on a free port, and Debian's Chromium.

``served()`` starts the server and waits for its health check, skipping the test (with how to
install what is missing) where Chromium or Playwright is not there; ``chromium()`` launches the browser
with the flags this machine needs. Each test module starts its own server, so that its first request
is the first the server sees.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_browser() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is missing: apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is missing: pip install playwright (and apt-get install -y chromium)")


@contextlib.contextmanager
def served() -> Iterator[int]:
    """The app on a free port (yielded), stopped afterwards."""
    require_browser()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(60):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start within 30 s")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def chromium() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def settle(page, timeout_s: float = 90) -> None:
    """Wait until the script has finished running: no status widget, no spinner, nothing stale, four checks in a row."""
    end = time.time() + timeout_s
    page.wait_for_timeout(800)
    quiet = 0
    while time.time() < end and quiet < 4:
        busy = page.query_selector('[data-testid="stStatusWidget"], [data-testid="stSpinner"], [data-stale="true"]')
        quiet = 0 if busy else quiet + 1
        page.wait_for_timeout(300)

"""Test-wide settings and the browser tests' shared fixtures (``server``, ``browser``; a module may define its own).

Hypothesis draws the same examples on every run (a fresh clone and CI see what was seen here).

Set ``HYPOTHESIS_EXPLORE=1`` to draw new random examples instead, to look for failures nobody has seen yet.
"""

import os
from collections.abc import Iterator

import pytest
from browser import chromium, served
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("explore" if os.environ.get("HYPOTHESIS_EXPLORE") else "repeatable")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The app's address, served for the test module that uses it ."""
    with served() as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator:
    """Chromium for the test module (after the server, so that a missing browser skips before it starts)."""
    with chromium() as b:
        yield b


"""A small version of the load test (tests/load/load_test.py): a few concurrent browser sessions, loopback only."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

sys.path.insert(0, str(Path(__file__).resolve().parent))


def test_a_few_concurrent_sessions_get_their_figures(tmp_path):
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Debian's chromium is missing: apt-get install -y chromium")
    pytest.importorskip("playwright.async_api")
    import load_test

    args = argparse.Namespace(sessions=4, rounds=1, wait=60, settle=2, think=1, arrive=1, log_dir=str(tmp_path))
    row = load_test.one_phase(args, phase=0, with_hostile=False)
    assert row["sessions with all figures correct"] == 4, row["errors"]
    assert row["figures correct"] == row["figures wanted"] == 8
    assert row["rss peak MB"] < 2_000

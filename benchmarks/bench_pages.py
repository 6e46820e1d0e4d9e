"""Server time of every page after a change: a new function, then a new point.

Goals (issue #3): the survey's example ready within 1 s of a change, a 200-operation function
within 3 s. Measured with Streamlit's AppTest (the script's run on the server, no browser), with
a text and a point that no earlier run has seen, so nothing is served from the cache.

    python benchmarks/bench_pages.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

import diffzoo as dz  # noqa: E402
from diffzoo import families  # noqa: E402

PAGES = ["pages/traces.py", "pages/symbolic.py", "pages/numeric.py", "pages/compare.py"]
CASES = {"survey": ("ln(x1) + x1*x2 - sin(x2) + 0", 1.0), "200 ops (chain_sum(67))": (families.chain_sum(67), 3.0)}


def measure(page: str, text: str, i: int) -> tuple[float, float]:
    """(new function, new point) seconds; ``i`` makes the text and point new to every cache."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    if page != "pages/traces.py":
        at.switch_page(page).run()
    text = f"{text} + {i}*0"
    t = time.perf_counter()
    at.text_area(key="fn").input(text).run()
    new_function = time.perf_counter() - t
    assert not at.exception, at.exception
    key = at.sidebar.text_input[0].key  # the point boxes are text, read by an allow-list
    t = time.perf_counter()
    at.text_input(key=key).input(repr(0.7 + i / 1000)).run()
    new_point = time.perf_counter() - t
    assert not at.exception, at.exception
    return new_function, new_point


def main() -> int:
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"{'page':20s} {'function':26s} {'ops':>4s} {'new function s':>15s} {'new point s':>12s}  goal")
    ok = True
    counter = itertools.count(1)
    for page in PAGES:
        for name, (text, goal) in CASES.items():
            runs = [measure(page, text, next(counter)) for _ in range(args.repeats)]
            fn = statistics.median(r[0] for r in runs)
            pt = statistics.median(r[1] for r in runs)
            verdict = "PASS" if max(fn, pt) <= goal else "FAIL"
            ok &= verdict == "PASS"
            ops = len(dz.parse(text).wengert.steps)
            print(f"{page:20s} {name:26s} {ops:4d} {fn:15.2f} {pt:12.2f}  <= {goal:g} s {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""First compiled call on a function of many outputs: code generation, measured through the public API.

A vector function of 32 outputs and about 3,400 steps (random chains of + - * over four inputs,
seeded): the first ``differentiate(..., compiled=True)`` generates the code, later calls reuse it.
Issue #10, A7: each of the 32 unit VJPs generated the whole primal again (3.6 s for the first call,
against 0.03 s interpreted); now one sweep seeded by ȳ serves every row.

    python benchmarks/bench_compile.py
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import diffzoo as dz  # noqa: E402


def function(outputs: int = 32, length: int = 150, seed: int = 3) -> str:
    rng = random.Random(seed)
    rows = []
    for _ in range(outputs):
        text = rng.choice("abcd")
        for _ in range(length):
            text += rng.choice("*+-") + rng.choice("abcd")
        rows.append(text)
    return ",".join(rows)


def main() -> int:
    x = [0.3, 0.5, 0.7, 0.9]
    print(f"{'method':10s} {'steps':>6s} {'interpreted s':>14s} {'compiled, first call s':>23s} {'next call s':>12s}")
    ok = True
    for method in ("reverse", "forward"):
        f = dz.parse(function())  # a new function each time: nothing generated yet
        t = time.perf_counter()
        interpreted = dz.differentiate(f, x, method)
        t_interp = time.perf_counter() - t
        t = time.perf_counter()
        first = dz.differentiate(f, x, method, compiled=True)
        t_first = time.perf_counter() - t
        t = time.perf_counter()
        dz.differentiate(f, x, method, compiled=True)
        t_next = time.perf_counter() - t
        same = (first.jacobian == interpreted.jacobian).all()
        ok &= bool(same) and t_first < 1.0
        print(f"{method:10s} {len(f.wengert.steps):6d} {t_interp:14.3f} {t_first:23.3f} {t_next:12.4f}"
              f"  {'same Jacobian' if same else 'DIFFERENT Jacobian'}")
    print("goal: the first compiled call within 1 s:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The timing budget counts the warm-up (issue 10, A7/B: "Measure timings" took 5.25 s against a 5 s budget)."""

from __future__ import annotations

import time

from diffzoo import timing


def test_budget_counts_the_warm_up_and_never_starts_a_round_it_cannot_finish():
    # A job whose first call costs 0.6 s (code generation, say), then 0.1 s a call, beside a 0.1 s job.
    # Warm-up: 0.6 + 0.1 = 0.7 s; round 0: 0.2 s, so 0.9 s. Round 1 would end at 1.1 s, past the 1.0 s budget:
    # it must not start. (Before the fix it started, since 0.9 s < 1.0 s, and the call took 1.1 s.)
    calls = {"first": 0}

    def slow_first() -> None:
        calls["first"] += 1
        time.sleep(0.6 if calls["first"] == 1 else 0.1)

    t0 = time.perf_counter()
    times = timing.interleaved({"codegen": slow_first, "plain": lambda: time.sleep(0.1)}, repeats=50, budget=1.0)
    took = time.perf_counter() - t0
    assert took <= 1.0, took
    assert [len(v) for v in times.values()] == [1, 1]  # one timed round, as a median needs a sample


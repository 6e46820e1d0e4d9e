"""The timing helpers: the shape of what they return (timings themselves are checked by the benchmarks)."""

from __future__ import annotations

import time

import pandas as pd

import diffzoo as dz
from diffzoo import timing


def test_time_methods_columns_and_rows():
    df = timing.time_methods("ln(x1) + x1*x2 - sin(x2)", {"x1": 2, "x2": 5}, repeats=3)
    assert list(df.columns) == ["method", "median_s", "min_s", "repeats"]
    assert list(df["method"]) == list(dz.METHODS) + ["forward (compiled)", "reverse (compiled)"]
    assert (df["repeats"] == 3).all()
    assert (df["min_s"] <= df["median_s"]).all() and (df["min_s"] > 0).all()


def test_time_methods_without_compiled_and_subset():
    df = timing.time_methods(dz.parse("x^2"), 3.0, repeats=2, methods=("forward", "reverse"), compiled=False)
    assert list(df["method"]) == ["forward", "reverse"]


def test_scaling_shape_and_speed():
    start = time.perf_counter()
    df = timing.scaling(ns=(2, 8), repeats=2)
    assert time.perf_counter() - start < 30  # generous: the machine may be busy
    assert list(df.columns) == ["n", "method", "seconds", "evals"]
    assert set(df["n"]) == {2, 8}
    row = df.set_index(["n", "method"])
    assert row.loc[(8, "forward"), "evals"] == 8
    assert row.loc[(8, "numeric central"), "evals"] == 16
    assert row.loc[(8, "reverse"), "evals"] == 1
    assert {"primal", "reverse", "forward", "numeric central", "symbolic"} <= set(df["method"])
    assert (df["seconds"] > 0).all()
    ratios = timing.ratios(df)
    assert (ratios[ratios["method"] == "primal"]["ratio"] == 1).all()


def test_crossover_shape():
    df = timing.crossover(ns=(1, 4), ms=(1, 4), repeats=2)
    assert list(df.columns) == ["n", "m", "forward_s", "reverse_s", "ratio"]
    assert len(df) == 4
    assert ((df["forward_s"] / df["reverse_s"] - df["ratio"]).abs() < 1e-12).all()


def test_interleaved_rotates_and_never_caches():
    calls: list[str] = []
    times = timing.interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, repeats=4,
                               min_time=0)
    assert all(len(v) == 4 for v in times.values())
    assert calls.count("a") == calls.count("b") >= 5  # warm-ups, then every round
    # a second measurement is a new measurement
    t1 = timing.time_methods("x*y", [1, 2], repeats=2, compiled=False)
    t2 = timing.time_methods("x*y", [1, 2], repeats=2, compiled=False)
    assert isinstance(t1, pd.DataFrame) and t1 is not t2


def test_interleaved_stops_when_its_budget_is_spent():
    # 100 rounds of a 20 ms job would take 2 s; a 0.2 s budget stops after about 10 rounds.
    import time as _time

    from diffzoo.timing import interleaved

    start = _time.perf_counter()
    times = interleaved({"sleep": lambda: _time.sleep(0.02)}, repeats=100, budget=0.2)
    assert 1 <= len(times["sleep"]) < 20
    assert _time.perf_counter() - start < 1.0


def test_interleaved_warmup_rounds_run_but_are_not_counted():
    # 2 warm-up rounds and 3 counted rounds: each job runs 1-2 sizing calls + 5 rounds, 3 samples kept.
    calls: list[str] = []
    times = timing.interleaved({"a": lambda: calls.append("a")}, repeats=3, min_time=0, warmup=2)
    assert len(times["a"]) == 3
    assert calls.count("a") in (6, 7)


def test_interleaved_collects_only_the_young_generation_between_rounds(monkeypatch):
    # A full collection empties the allocator's free lists and the next job pays to fault memory
    # back in (see interleaved); the rounds ask for generation 0 only.
    import gc

    asked: list[tuple] = []
    real = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: asked.append(a) or real(*a))
    timing.interleaved({"a": lambda: None}, repeats=3, min_time=0)
    assert asked and all(a == (0,) for a in asked)

"""Timing the methods: what a derivative costs, measured side by side, never cached.

Every measurement here is taken in *interleaved rounds*: each round calls every contender once,
in a rotating order, so that a slow moment of the machine hits all of them alike; the figure
reported is the median over rounds (and the minimum, for reference). Times come from
``time.perf_counter`` and are recomputed on every call.

- :func:`time_methods`: one function at one point, every method's full gradient or Jacobian.
- :func:`scaling`: ``families.chain_sum(n)`` as n grows: reverse mode stays a small multiple of
  one evaluation, forward mode and central differences grow as n (the cheap gradient principle).
- :func:`crossover`: ``families.vector_function(n, m)``: forward mode's n passes against reverse
  mode's m sweeps.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Mapping, Sequence
from statistics import median
from typing import Any

import pandas as pd

from . import families, forward, numeric, reverse, symbolic
from .api import METHODS, as_function, as_point, differentiate
from .functions import grad
from .parse import Function, Limits, parse
from .wengert import WengertList

COMPILED = ("forward (compiled)", "reverse (compiled)")


def interleaved(funcs: Mapping[str, Callable[[], object]], repeats: int, min_time: float = 1e-3,
                clock: Callable[[], float] = time.perf_counter, budget: float | None = None,
                warmup: int = 0) -> dict[str, list[float]]:
    """Seconds per call of each function, one sample per round; rounds interleave the functions.

    A warm-up call of each function also sets how many calls make one sample (enough to last
    ``min_time``, so that microsecond jobs are not lost in the clock's noise). Each round calls
    every function once per sample, starting at a different one each round; garbage collection
    waits between rounds, as timeit does. ``clock`` is ``time.perf_counter`` (wall time); the
    benchmarks may pass ``time.process_time`` to count only this process's CPU time on a busy
    machine. With a ``budget`` (seconds of wall time from the call), no round starts that would end
    past it, judged by the last round's length (or, before the first, by the warm-up calls): so a
    user asking for many repeats of a slow function cannot hold the server for long. The budget
    counts everything, the warm-up calls with their one-off costs (code generation) included; one
    timed round always runs, as a median needs a sample.
    ``warmup`` rounds run first and are not counted: a fresh process reaches its steady state (the
    allocator's memory grown, caches filled) only after some dozens of calls.
    """
    began = time.perf_counter()
    names = list(funcs)
    inner: dict[str, int] = {}
    round_s = 0.0  # wall seconds one round is expected to take
    for name in names:
        start, wall = clock(), time.perf_counter()
        funcs[name]()  # warm-up: one-off costs (code generation, caches) stay out of the figures
        t, w = clock() - start, time.perf_counter() - wall
        if t < 20 * min_time:  # not a slow job: time it again without its one-off costs to size the samples
            start, wall = clock(), time.perf_counter()
            funcs[name]()
            t, w = clock() - start, time.perf_counter() - wall
        inner[name] = max(1, min(10_000, int(min_time / t) if t > 0 else 10_000))
        round_s += inner[name] * w
    times: dict[str, list[float]] = {name: [] for name in names}
    enabled = gc.isenabled()
    try:
        warm = max(0, int(warmup))
        for r in range(-warm, max(1, int(repeats))):
            elapsed = time.perf_counter() - began
            if r != 0 and budget is not None and elapsed + round_s > budget:
                if r > 0:
                    break
                continue  # a warm-up round that does not fit: straight to the one timed round
            k = r % len(names)
            # The last round's cyclic garbage is collected here, not in some job's time. Only the
            # young generation (all of it, as collection is off during rounds): a full collection
            # also empties the allocator's free lists, and the next job would then pay to fault
            # fresh memory in (the interpreted gradient of chain_sum(1000) measured 2.3-2.9x its
            # primal with full collections here, 2.1-2.2x with young ones, as when timing single calls).
            gc.collect(0)
            gc.disable()
            round_start = time.perf_counter()
            for name in names[k:] + names[:k]:
                fn, reps = funcs[name], inner[name]
                start = clock()
                for _ in range(reps):
                    fn()
                if r >= 0:
                    times[name].append((clock() - start) / reps)
            round_s = time.perf_counter() - round_start
            if enabled:
                gc.enable()
    finally:
        if enabled:
            gc.enable()
    return times


def time_methods(f: Function | str, point: Any, repeats: int = 7, methods: Sequence[str] = METHODS,
                 compiled: bool = True, budget: float | None = 5.0) -> pd.DataFrame:
    """Each method's full gradient/Jacobian of ``f`` at ``point``: columns method, median_s, min_s, repeats.

    ``repeats`` rounds at most, stopping early once ``budget`` seconds are spent (``repeats`` in the
    result says how many ran).

    With ``compiled=True`` the rows "forward (compiled)" and "reverse (compiled)" are added (their
    one-off code generation happens in the warm-up call, not in the timed rounds, but within the budget).
    """
    function = as_function(f)
    x = as_point(function, point)
    funcs: dict[str, Callable[[], object]] = {}
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"unknown method {m!r}; choose among {', '.join(METHODS)}")
        funcs[m] = lambda m=m: differentiate(function, x, m)
    if compiled:
        funcs["forward (compiled)"] = lambda: differentiate(function, x, "forward", compiled=True)
        funcs["reverse (compiled)"] = lambda: differentiate(function, x, "reverse", compiled=True)
    times = interleaved(funcs, repeats, budget=budget)
    rows = [{"method": m, "median_s": median(ts), "min_s": min(ts), "repeats": len(ts)} for m, ts in times.items()]
    return pd.DataFrame(rows, columns=["method", "median_s", "min_s", "repeats"])


def chain_point(n: int) -> list[float]:
    """The fixed point the scaling measurements use: x_i = 0.5 + (i mod 7) / 10."""
    return [0.5 + (i % 7) / 10 for i in range(n)]


def chain_function(n: int) -> Function:
    """``families.chain_sum(n)`` parsed without the interactive size limits (program-built text)."""
    return parse(families.chain_sum(n), limits=Limits.unbounded())


def _gradient_jobs(wl: WengertList, fn: Function, x: list[float]) -> dict[str, tuple[Callable[[], object], int]]:
    """The jobs compared by :func:`scaling`, each with the number of passes/evaluations it makes."""
    n = wl.n
    gradient = grad(fn)

    def fwd() -> object:
        return forward.jacobian(wl, wl.evaluate(x))

    def rev() -> object:
        return reverse.input_adjoints(wl, wl.evaluate(x), [1.0])

    def central() -> object:
        return numeric.jacobian(wl, x, "central", numeric.TEXTBOOK_EPS["central"])  # 2n evaluations

    def sym() -> object:
        exprs = [symbolic.derive(fn.outputs[0], v) for v in fn.variables]
        dl = WengertList.from_exprs(exprs, fn.variables)
        return dl.output_values(dl.evaluate(x))

    return {
        "primal": (lambda: wl.evaluate(x), 1),
        "reverse": (rev, 1),
        "reverse (compiled)": (lambda: gradient(x), 1),
        "forward": (fwd, n),
        "numeric central": (central, 2 * n),
        "symbolic": (sym, 1),
    }


def scaling(ns: Sequence[int] = (2, 4, 8, 16, 32, 64, 128), repeats: int = 5) -> pd.DataFrame:
    """Full-gradient time of each method on ``chain_sum(n)``: columns n, method, seconds, evals.

    ``evals`` counts what the method repeats: 1 for the primal, one reverse sweep, n forward
    passes, 2n function evaluations for central differences, and one evaluation of the list of n
    derivative expressions for symbolic differentiation (whose time includes deriving them).
    """
    rows = []
    for n in ns:
        fn = chain_function(int(n))
        wl = fn.wengert
        x = chain_point(int(n))
        jobs = _gradient_jobs(wl, fn, x)
        times = interleaved({k: f for k, (f, _) in jobs.items()}, repeats)
        rows += [{"n": int(n), "method": k, "seconds": median(times[k]), "evals": e} for k, (_, e) in jobs.items()]
    return pd.DataFrame(rows, columns=["n", "method", "seconds", "evals"])


def crossover(ns: Sequence[int] = (1, 2, 4, 8, 16, 32), ms: Sequence[int] = (1, 2, 4, 8, 16, 32),
              repeats: int = 3) -> pd.DataFrame:
    """Forward (n passes) against reverse (m sweeps) on ``vector_function(n, m)``.

    Columns n, m, forward_s, reverse_s, ratio (= forward_s / reverse_s: above 1 reverse wins).
    """
    rows = []
    for n in ns:
        for m in ms:
            wl = parse(families.vector_function(int(n), int(m)), limits=Limits.unbounded()).wengert
            x = chain_point(int(n))
            vals = wl.evaluate(x)
            times = interleaved({"forward": lambda wl=wl, vals=vals: forward.jacobian(wl, vals),
                                 "reverse": lambda wl=wl, vals=vals: reverse.jacobian(wl, vals)}, repeats)
            f, r = median(times["forward"]), median(times["reverse"])
            rows.append({"n": int(n), "m": int(m), "forward_s": f, "reverse_s": r, "ratio": f / r})
    return pd.DataFrame(rows, columns=["n", "m", "forward_s", "reverse_s", "ratio"])


def ratios(frame: pd.DataFrame, base: str = "primal") -> pd.DataFrame:
    """A :func:`scaling` frame with each time divided by the ``base`` method's time at the same n."""
    b = frame[frame["method"] == base].set_index("n")["seconds"]
    out = frame.copy()
    out["ratio"] = out["seconds"] / out["n"].map(b)
    return out


__all__ = ["time_methods", "scaling", "crossover", "interleaved", "ratios", "chain_point", "chain_function",
           "COMPILED"]

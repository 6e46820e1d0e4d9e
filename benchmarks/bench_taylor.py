"""Taylor mode against plain Python f, and its cost against k beside nested dual numbers' (issue #12).

Functions: f(x) = sum_i sin(x_i) * x_{i+1} (cyclic, ``families.chain_sum(n)``, n = 10, 100, 1000) along
v = (1, ..., 1), so that every step moves; the survey example ln(x1) + x1*x2 - sin(x2) at (2, 5) along
(1, 0); and, for the growth in k only, exp(sin(x)) at 0.3, whose every series is dense. Plain Python f is
written by hand (``bench_scalar.plain_f``; ``survey_f`` and ``dense_f`` below). Jobs, each through what a user
calls, timed side by side in interleaved rounds (median over rounds, after warm-up rounds) in fresh worker
processes that import diffzoo only, three per function by default:

- plain f;
- ``dz.taylor(f, x, order=k, direction=v)`` for k = 1..10: the coefficients to order k, one sweep;
- for the survey example, nested dual numbers, ``higher.derivatives_along(f, x, 0, 0, k, by="duals")``
  for k = 1..8 (the same k derivatives along x1; k = 8 alone takes about 0.1 s a call).

``dz.taylor`` runs the list's compiled Taylor program (``diffzoo/taylorcode.py``: the recurrences unrolled
into straight-line Python, made on the first call and kept) where it has one, and the batched numpy sweep
(``taylormode.propagate``) otherwise: the table marks each k with the path that answered ("*": the numpy
sweep; a program is made up to ``taylorcode.MAX_OPS`` operations, so n = 1000 takes the sweep beyond k = 2).

Goal: Taylor mode to order 10 <= 100 x plain f. Reported: Taylor mode's time against k with a least-squares
fit a + b k + c k², and its operations. The recurrences cost O(k²) per step in general (the careful rules'
count, reported too: exactly quadratic), but the compiled program leaves out every product with a coefficient
known to be 0: an input moving as x + t v has no coefficient beyond t, so ln(x1), sin(x_i) and the products
with a moving input cost O(k) per step, and the survey example and the chain sums grow *linearly* in k (the
fit's c is about 0, and their program's operations are linear from k = 2 on). exp(sin(x)) shows the quadratic
growth where every series is dense, in its operations (its time to k = 10 is mostly the call's fixed cost).
Nested duals' time against k is reported with the fitted factor per order: a dual number nested k deep has 2^k
components, and a product of two costs three products one level down (ac, ad + bc; bd is dropped), so the work
grows as 3^k. Run as
``python benchmarks/bench_taylor.py [--sizes 10 100 1000 --rounds 7 --processes 3]``.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import diffzoo as dz  # noqa: E402
from diffzoo import families, higher, taylorcode, taylormode  # noqa: E402
from diffzoo.timing import chain_point, interleaved  # noqa: E402

CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
KS = range(1, 11)  # Taylor mode's orders
DUAL_KS = range(1, 9)  # nested duals' orders (each doubles the time)
SURVEY = "ln(x1) + x1*x2 - sin(x2)"
DENSE = "exp(sin(x))"


def survey_f(x1: float, x2: float) -> float:
    """The survey example written by hand."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


def dense_f(x: float) -> float:
    """exp(sin(x)) written by hand."""
    return math.exp(math.sin(x))


def measure(case: str, rounds: int, clock: str) -> dict[str, Any]:
    """Seconds per call of every job for one function (``"survey"`` or a size n), side by side here."""
    from bench_scalar import plain_f

    jobs: dict[str, Any] = {}
    if case == "survey":
        f, x, v = dz.parse(SURVEY), [2.0, 5.0], [1.0, 0.0]
        jobs["plain f"] = lambda: survey_f(2.0, 5.0)
        want = dz.taylor(f, x, order=max(DUAL_KS), direction=v).derivatives[0]
        got = higher.derivatives_along(f, x, 0, 0, max(DUAL_KS), by="duals")
        agree = float(np.max(np.abs(want - got)) / np.max(np.abs(got)))
        for k in DUAL_KS:
            jobs[f"duals {k}"] = lambda k=k: higher.derivatives_along(f, x, 0, 0, k, by="duals")
    elif case == "dense":
        f, x, v = dz.parse(DENSE), [0.3], [1.0]
        jobs["plain f"] = lambda: dense_f(0.3)
        agree = 0.0
    else:
        n = int(case)
        f = dz.parse(families.chain_sum(n), limits=dz.Limits.unbounded())
        x, v = chain_point(n), [1.0] * n
        jobs["plain f"] = lambda: plain_f(x)
        agree = 0.0
    assert dz.taylor(f, x, order=1, direction=v).coefficients[0, 0] == jobs["plain f"]()  # the same value
    ops, rules, path = {}, {}, {}
    for k in KS:
        ops[k] = dz.taylor(f, x, order=k, direction=v).cost.ops
        rules[k] = taylormode.propagate(f.wengert, x, v, k).cost.ops  # the careful rules' count, O(k²) per step
        compiled = taylorcode.program(f.wengert, k, tuple(map(bool, v))) is not None
        path[k] = "program" if compiled and taylormode._by_program(f, f.wengert, x, v, k) is not None else "sweep"
        jobs[f"taylor {k}"] = lambda k=k: dz.taylor(f, x, order=k, direction=v)
    times = interleaved(jobs, rounds, min_time=2e-3, clock=CLOCKS[clock], warmup=3)
    return {"times": {k: median(t) for k, t in times.items()}, "ops": ops, "rules": rules, "path": path,
            "agree": agree}


def in_workers(case: str, rounds: int, clock: str, processes: int) -> list[dict[str, Any]]:
    if processes <= 0:
        return [measure(case, rounds, clock)]
    out = []
    for _ in range(processes):
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", case, "--rounds",
                               str(rounds), "--clock", clock], capture_output=True, text=True, check=True)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def quadratic_fit(ks: list[int], ts: list[float]) -> tuple[np.ndarray, float]:
    """Least squares t = a + b k + c k²: the coefficients (a, b, c) and the largest relative residual."""
    k = np.asarray(ks, dtype=float)
    A = np.stack([np.ones_like(k), k, k * k], axis=1)
    coef, *_ = np.linalg.lstsq(A, np.asarray(ts), rcond=None)
    return coef, float(np.max(np.abs(A @ coef - ts) / np.asarray(ts)))


def run(sizes: list[int], rounds: int = 7, clock: str = "cpu", processes: int = 3) -> list[dict[str, Any]]:
    """Measure, print the tables and the goals; return the goal rows."""
    cases = ["survey"] + [str(n) for n in sizes] + ["dense"]
    got = {c: in_workers(c, rounds, clock, processes) for c in cases}
    names = ({"survey": "survey example"} | {str(n): f"sum sin(x_i) x_(i+1), n={n}" for n in sizes}
             | {"dense": "exp(sin(x)) (dense series)"})

    def med(c: str, job: str) -> float:
        return median(r["times"][job] for r in got[c])

    def ratio(c: str, job: str, base: str = "plain f") -> tuple[float, float, float]:
        q = [r["times"][job] / r["times"][base] for r in got[c]]
        return median(q), min(q), max(q)

    print(f"median of {max(processes, 1)} fresh processes, {rounds} interleaved rounds each, {clock} clock")
    print(f"{'k':>3} " + "".join(f"{names[c]:>34}" for c in cases) + "   (dz.taylor time / plain f; ops)")
    print(f"{'f':>3} " + "".join(f"{_time(med(c, 'plain f')):>34}" for c in cases))
    for k in KS:
        cells = [f"{_time(med(c, f'taylor {k}'))} = {ratio(c, f'taylor {k}')[0]:.0f}x; "
                 f"{got[c][0]['ops'][str(k)]} ops{'*' if got[c][0]['path'][str(k)] == 'sweep' else ' '}"
                 for c in cases]
        print(f"{k:>3} " + "".join(f"{cell:>34}" for cell in cells))
    print("  (*: answered by the batched numpy sweep; otherwise by the compiled Taylor program)")
    print("\nTaylor mode's time against k, fitted by a + b k + c k² (least squares over k = 1..10), and its operations")
    print("(the compiled program's where it ran: products with a coefficient known to be 0 are not written; the")
    print("careful rules' count for comparison, O(k²) per step):")
    for c in cases:
        coef, resid = quadratic_fit(list(KS), [med(c, f"taylor {k}") for k in KS])
        print(f"  {names[c]:<30} a = {_time(coef[0])}, b = {_time(coef[1])}, c = {_time(coef[2])}; largest "
              f"residual {100 * resid:.1f}%")
        paths = [got[c][0]["path"][str(k)] for k in KS]
        ks = [k for k, p in zip(KS, paths) if p == "program"]
        if len(ks) >= 4:
            ops = [got[c][0]["ops"][str(k)] for k in ks]
            second = np.diff(ops, 2).tolist()
            growth = (f"linear in k from k = {ks[1]} on (zero propagation)" if set(second[1:]) == {0}
                      else "quadratic in k" if len(set(second[1:])) == 1 else "")
            print(f"  {'':<30} program's ops (k = {ks[0]}..{ks[-1]}): {ops[0]} .. {ops[-1]}, second difference "
                  f"{second}: {growth}")
        rules = [got[c][0]["rules"][str(k)] for k in KS]
        second = sorted(set(np.diff(rules, 2).tolist()))
        print(f"  {'':<30} careful rules' ops: {rules[0]} .. {rules[-1]}, second difference {second}"
              f"{' (constant: quadratic)' if len(second) == 1 else ''}")
    print("\nNested dual numbers against Taylor mode, survey example along x1 (the same k derivatives; agree to "
          f"{max(r['agree'] for r in got['survey']):.1e} relative at k = {max(DUAL_KS)}):")
    print(f"{'k':>3} {'duals':>12} {'x previous':>11} {'taylor':>12} {'duals / taylor':>15}")
    dual_t = [med("survey", f"duals {k}") for k in DUAL_KS]
    for i, k in enumerate(DUAL_KS):
        step = f"{dual_t[i] / dual_t[i - 1]:.2f}" if i else ""
        tay = med("survey", f"taylor {k}")
        print(f"{k:>3} {_time(dual_t[i]):>12} {step:>11} {_time(tay):>12} {dual_t[i] / tay:>15.1f}")
    slope = float(np.polyfit(list(DUAL_KS)[2:], np.log2(dual_t[2:]), 1)[0])
    print(f"  nested duals: log2(time) against k has slope {slope:.2f} over k = 3..{max(DUAL_KS)} "
          f"(a factor {2 ** slope:.2f} per order: 2^k components, 3^k work for a product)")
    goals: list[dict[str, Any]] = []
    for c in cases[:-1]:
        v, lo, hi = ratio(c, f"taylor {max(KS)}")
        goals.append({"goal": f"dz.taylor to order {max(KS)} / plain f, {names[c]}", "measured": v,
                      "spread": (lo, hi, len(got[c])), "target": "<= 100", "pass": v <= 100})
    v, lo, hi = ratio("dense", f"taylor {max(KS)}")
    goals.append({"goal": f"dz.taylor to order {max(KS)} / plain f, {names['dense']}", "measured": v,
                  "spread": (lo, hi, len(got["dense"])), "target": "reported", "pass": True})
    goals.append({"goal": "nested duals: time factor per order, k = 3..8", "measured": 2 ** slope,
                  "target": "reported", "pass": True})
    k = max(DUAL_KS)
    v, lo, hi = ratio("survey", f"duals {k}", f"taylor {k}")
    goals.append({"goal": f"nested duals / Taylor mode at k = {k}, survey example", "measured": v,
                  "spread": (lo, hi, len(got["survey"])), "target": "reported", "pass": True})
    print()
    for g in goals:
        verdict = "info" if g["target"] == "reported" else ("PASS" if g["pass"] else "FAIL")
        spread = f"({g['spread'][0]:.1f}-{g['spread'][1]:.1f})" if "spread" in g else ""
        print(f"{g['goal']:<62} {g['measured']:>8.1f} {spread:<14} ({g['target']})  {verdict}")
    return goals


def _time(s: float) -> str:
    return f"{s * 1e6:.1f} us" if s < 1e-3 else (f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--processes", type=int, default=3)
    p.add_argument("--clock", choices=tuple(CLOCKS), default="cpu")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    if args.worker:
        print(json.dumps(measure(args.worker, args.rounds, args.clock)))
        return 0
    goals = run(args.sizes, args.rounds, args.clock, args.processes)
    return 0 if all(g["pass"] for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Second derivatives at the cost of first ones: a compiled Hessian-vector product against a compiled gradient.

f(x) = sum_i sin(x_i) * x_{i+1} (cyclic), ``families.chain_sum(n)``, n = 10, 100, 1000. Jobs, each through
what a user calls, timed side by side in interleaved rounds (median over rounds, after warm-up rounds) in
fresh worker processes that import diffzoo only, three per size by default:

- ``g = dz.grad(f)`` once, then ``g(x)``: one compiled gradient (the gradient program);
- ``p = hessian.hvp(f)`` once, then ``p(x, v)``: one compiled HVP (the tangent program of the gradient
  program, forward over reverse);
- ``H = hessian.hessian(f)`` once, then ``H(x)``: the full n x n Hessian, n compiled HVPs.

Goals: one HVP <= 5 x one gradient; the full Hessian's time is reported with its ratio to n x one HVP
(it is n HVPs, so about 1). Run as ``python benchmarks/bench_hessian.py [--sizes 10 100 1000 --rounds 7
--processes 3]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run without installing

import numpy as np  # noqa: E402

import diffzoo as dz  # noqa: E402
from diffzoo import families  # noqa: E402
from diffzoo import hessians as hz  # noqa: E402
from diffzoo.timing import chain_point, interleaved  # noqa: E402

JOBS = ("gradient", "hvp", "hessian")
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(n: int, rounds: int, clock: str) -> dict[str, float]:
    """Seconds per call of every job at size n, side by side in this process."""
    f = dz.parse(families.chain_sum(n), limits=dz.Limits.unbounded())
    x = chain_point(n)
    v = [1.0 / (1 + i % 3) for i in range(n)]
    g, p, H = dz.grad(f), hz.hvp(f), hz.hessian(f)
    # one answer: the HVP is the full Hessian times v, and every one is finite
    full = H(x)
    assert np.allclose(full @ np.array(v), p(x, v), rtol=1e-12, atol=1e-12) and np.isfinite(g(x)).all()
    jobs = {"gradient": lambda: g(x), "hvp": lambda: p(x, v), "hessian": lambda: H(x)}
    times = interleaved(jobs, rounds, min_time=2e-3, clock=CLOCKS[clock], warmup=3)
    return {k: median(t) for k, t in times.items()}


def in_workers(n: int, rounds: int, clock: str, processes: int) -> list[dict[str, float]]:
    if processes <= 0:
        return [measure(n, rounds, clock)]
    out = []
    for _ in range(processes):
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(n), "--rounds",
                               str(rounds), "--clock", clock], capture_output=True, text=True, check=True)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def run(sizes: list[int], rounds: int = 7, clock: str = "cpu", processes: int = 3) -> list[dict[str, Any]]:
    """Measure, print the times and ratios and the goals; return the goal rows."""
    got = {n: in_workers(n, rounds, clock, processes) for n in sizes}

    def med(n: int, job: str) -> float:
        return median(r[job] for r in got[n])

    def ratio(n: int, job: str, base: str, times: int = 1) -> tuple[float, float, float]:
        """The median over processes of job / (times x base), and the spread (min, max)."""
        q = [r[job] / (times * r[base]) for r in got[n]]
        return median(q), min(q), max(q)

    print(f"f(x) = sum_i sin(x_i) x_(i+1); median of {max(processes, 1)} fresh processes, {rounds} interleaved "
          f"rounds each, {clock} clock")
    print(f"{'job':<28}" + "".join(f"{'n=' + str(n):>14}" for n in sizes))
    for job, what in (("gradient", "one gradient (dz.grad)"), ("hvp", "one HVP (hvp)"),
                      ("hessian", "full Hessian (n HVPs)")):
        print(f"{what:<28}" + "".join(f"{_time(med(n, job)):>14}" for n in sizes))
    print(f"{'HVP / gradient':<28}" + "".join(f"{ratio(n, 'hvp', 'gradient')[0]:>14.2f}" for n in sizes))
    print(f"{'Hessian / (n x HVP)':<28}" + "".join(f"{ratio(n, 'hessian', 'hvp', n)[0]:>14.2f}" for n in sizes))
    goals: list[dict[str, Any]] = []
    for n in sizes:
        v, lo, hi = ratio(n, "hvp", "gradient")
        goals.append({"goal": f"one compiled HVP / one compiled gradient, n={n}", "measured": v,
                      "spread": (lo, hi, len(got[n])), "target": "<= 5", "pass": v <= 5})
    for n in sizes:
        v, lo, hi = ratio(n, "hessian", "hvp", n)
        goals.append({"goal": f"full Hessian ({_time(med(n, 'hessian'))}) / (n x one HVP), n={n}", "measured": v,
                      "spread": (lo, hi, len(got[n])), "target": "reported", "pass": True})
    print()
    for g in goals:
        verdict = "info" if g["target"] == "reported" else ("PASS" if g["pass"] else "FAIL")
        lo, hi, _ = g["spread"]
        print(f"{g['goal']:<62} {g['measured']:>7.2f} ({lo:.2f}-{hi:.2f})  ({g['target']})  {verdict}")
    return goals


def _time(s: float) -> str:
    return f"{s * 1e6:.1f} us" if s < 1e-3 else (f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--processes", type=int, default=3)
    p.add_argument("--clock", choices=tuple(CLOCKS), default="cpu")
    p.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    if args.worker:
        print(json.dumps(measure(args.worker, args.rounds, args.clock)))
        return 0
    goals = run(args.sizes, args.rounds, args.clock, args.processes)
    return 0 if all(g["pass"] for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main())

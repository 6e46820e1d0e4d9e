"""The public API against plain Python f, as a user calls it (issue #11's goals).

f(x) = sum_i sin(x_i) * x_{i+1} (cyclic), n = 10, 100, 1000, 10000: ``families.chain_sum(n)``, and
plain Python f written by hand (``bench_scalar.plain_f``). Every job goes through what a user calls:

- ``g = dz.grad(f)`` once, then ``g(x)`` with a list, a dict by name and a numpy array point;
- ``dz.differentiate(f, x, method="reverse", compiled=True)`` with a list and a dict point;
- ``dz.differentiate(f, x, method="reverse")``, the interpreted (traced, explaining) path, with a dict
  point, and the interpreter's primal ``wl.evaluate(x)`` beside it (the old goal's denominator);
- for scale, building a dict of n floats by name (``dict(zip(names, x))``): what a dict answer costs by itself;
  and the gradient written by hand (``bench_scalar.plain_grad``, one fused loop), with a list and with a dict
  in and out: how close to hand-written Python the generated code is.

Jobs are timed side by side in interleaved rounds (median over rounds, after warm-up rounds) in fresh
worker processes that import diffzoo only, three per size by default; the goals take the median over
processes. Run as ``python benchmarks/bench_api.py [--sizes 10 100 1000 10000 --rounds 7 --processes 3]``.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import diffzoo as dz  # noqa: E402
from diffzoo import families  # noqa: E402
from diffzoo.timing import chain_point, interleaved  # noqa: E402

JOBS = ("plain f", "grad, list", "grad, dict", "grad, numpy", "differentiate compiled, list",
        "differentiate compiled, dict", "differentiate interpreted, dict", "interpreted primal",
        "a dict of n floats by name", "hand-written gradient, list", "hand-written gradient, dict")
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(n: int, rounds: int, clock: str) -> dict[str, float]:
    """Seconds per call of every job at size n, side by side in this process."""
    from bench_scalar import plain_f, plain_grad

    f = dz.parse(families.chain_sum(n), limits=dz.Limits.unbounded())
    x = chain_point(n)
    d = dict(zip(f.variables, x))
    a = np.array(x)
    g = dz.grad(f)
    want = g(x)
    assert g(d) == dict(zip(f.variables, want)) and g(a).tolist() == want  # one answer, three shapes
    assert dz.differentiate(f, d, "reverse").gradient == g(d)  # interpreted and compiled agree
    names = list(f.variables)
    assert plain_grad(x) == want  # the hand-written loop adds the same two terms per input
    jobs = {
        "plain f": lambda: plain_f(x),
        "grad, list": lambda: g(x),
        "grad, dict": lambda: g(d),
        "grad, numpy": lambda: g(a),
        "differentiate compiled, list": lambda: dz.differentiate(f, x, "reverse", compiled=True),
        "differentiate compiled, dict": lambda: dz.differentiate(f, d, "reverse", compiled=True),
        "differentiate interpreted, dict": lambda: dz.differentiate(f, d, "reverse"),
        "interpreted primal": lambda: f.wengert.evaluate(x),
        # what any dict answer costs by itself: the floor under "grad, dict" beside "grad, list"
        "a dict of n floats by name": lambda: dict(zip(f.variables, x)),
        # the gradient as a Python programmer writes it by hand (one fused loop), list in and out, and
        # dict in and out at its cheapest (values in order, keys not checked): what "3x plain f" asks of Python
        "hand-written gradient, list": lambda: plain_grad(x),
        "hand-written gradient, dict": lambda: dict(zip(names, plain_grad([*d.values()]))),
    }
    times = interleaved(jobs, rounds, min_time=2e-3, clock=CLOCKS[clock], warmup=3)
    return {k: median(v) for k, v in times.items()}


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
    """Measure, print the table of ratios to plain f and the goals; return the goal rows."""
    got = {n: in_workers(n, rounds, clock, processes) for n in sizes}

    def ratio(n: int, job: str, base: str = "plain f") -> float:
        return median(r[job] / r[base] for r in got[n])

    print(f"f(x) = sum_i sin(x_i) x_(i+1); median of {max(processes, 1)} fresh processes, {rounds} interleaved "
          f"rounds each, {clock} clock")
    print(f"{'job':<46}" + "".join(f"{'n=' + str(n):>12}" for n in sizes))
    print(f"{'plain f (time)':<46}" + "".join(f"{median(r['plain f'] for r in got[n]) * 1e6:>10.1f}us"
                                               for n in sizes))
    for job in JOBS[1:]:
        print(f"{job + ' / plain f':<46}" + "".join(f"{ratio(n, job):>12.2f}" for n in sizes))
    goals: list[dict[str, Any]] = []

    def goal(name: str, value: float, target: str, ok: bool) -> None:
        goals.append({"goal": name, "measured": value, "target": target, "pass": ok})

    for n in sizes:
        for shape in ("list", "dict", "numpy"):
            v = ratio(n, f"grad, {shape}")
            goal(f"dz.grad(f)(x), {shape} point / plain f, n={n}", v, "<= 3", v <= 3)
    for n in sizes:
        for shape in ("list", "dict"):
            v = ratio(n, f"differentiate compiled, {shape}")
            if n >= 100:
                goal(f"differentiate(compiled=True), {shape} point / plain f, n={n}", v, "<= 5", v <= 5)
            else:
                goal(f"differentiate(compiled=True), {shape} point / plain f, n={n}", v, "reported", True)
    for n in sizes:
        v = ratio(n, "differentiate interpreted, dict")
        goal(f"differentiate(reverse) interpreted, dict point / plain f, n={n}", v, "<= 25", v <= 25)
    if len(sizes) >= 2:
        lo, hi = min(sizes), max(sizes)
        q = ratio(hi, "differentiate interpreted, dict") / ratio(lo, "differentiate interpreted, dict")
        goal(f"interpreted, n={hi} against n={lo} (factor)", q, "<= 1.5 (flat)", q <= 1.5)
    for n in sizes:
        v = ratio(n, "differentiate interpreted, dict", "interpreted primal")
        goal(f"differentiate(reverse) interpreted / interpreted primal, n={n}", v, "reported", True)
    print()
    for g in goals:
        verdict = "info" if g["target"] == "reported" else ("PASS" if g["pass"] else "FAIL")
        print(f"{g['goal']:<72} {g['measured']:>8.2f}  ({g['target']})  {verdict}")
    return goals


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
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

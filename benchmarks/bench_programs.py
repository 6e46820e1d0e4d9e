"""Programs (issue #14): a loop traced and differentiated in reverse mode against the same loop in plain Python.

The program is ``y = 0; for k in range(N): y = 0.5*y + sin(x*k)`` (four primitives an iteration), and plain
Python runs the same loop on floats. Jobs, side by side in interleaved rounds (median of rounds) in fresh
worker processes that import diffzoo only:

- plain Python, the loop on floats;
- traced reverse: ``dz.differentiate(program, x, "reverse")``, which traces the path (eager tracing into a
  Wengert list with origins and guards) and sweeps it backwards;
- tracing alone;
- compiled reverse: the loop-keeping VJP that ``loopcode.generate(program)`` writes (its forward sweep, then the
  loop run backwards), called as ``code.vjp(x, [1.0])``; generating and compiling it once is not timed.

Goals (issue #14): traced reverse ≤ 25 × plain Python at N = 10,000; tracing plus reverse costs the same per
iteration within 1.5 × from N = 100 to 100,000; the compiled reverse program ≤ 4 × plain Python at N = 10,000.
Run as ``python benchmarks/bench_programs.py [--sizes 100 1000 10000 100000 --rounds 5 --processes 3]``.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run without installing

import diffzoo as dz  # noqa: E402
from diffzoo.loopcode import generate  # noqa: E402
from diffzoo.program import ProgramLimits, parse_program  # noqa: E402
from diffzoo.timing import interleaved  # noqa: E402

SOURCE = "y = 0\nfor k in range({n}):\n    y = 0.5 * y + sin(x * k)\nreturn y"


def plain(x: float, n: int) -> float:
    y = 0.0
    for k in range(n):
        y = 0.5 * y + math.sin(x * k)
    return y


def measure(n: int, rounds: int) -> dict[str, float]:
    """Seconds per call of each job at N = n, in this process (CPU time)."""
    prog = parse_program(SOURCE.format(n=n), limits=ProgramLimits.unbounded())
    f = dz.Function(prog.text, (), prog.inputs, program=prog)
    x = [0.3]
    r = dz.differentiate(f, x, "reverse")
    assert r.value == plain(0.3, n)  # the same floats, the same order
    code = generate(prog)
    assert code.vjp(x, [1.0]) == ([r.value], [r.derivative])  # the generated code gives the interpreter's floats
    jobs = {"plain Python": lambda: plain(0.3, n), "traced reverse": lambda: dz.differentiate(f, x, "reverse"),
            "tracing": lambda: prog.trace(x), "compiled reverse": lambda: code.vjp(x, [1.0])}
    times = interleaved(jobs, rounds, clock=time.process_time, warmup=1)
    return {k: median(v) for k, v in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=[100, 1000, 10000, 100000])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--processes", type=int, default=3)
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker is not None:
        print(json.dumps(measure(args.worker, args.rounds)))
        return
    results: dict[int, list[dict[str, float]]] = {}
    for n in args.sizes:
        for _ in range(args.processes):
            out = subprocess.run([sys.executable, __file__, "--worker", str(n), "--rounds", str(args.rounds)],
                                 capture_output=True, text=True, check=True).stdout
            results.setdefault(n, []).append(json.loads(out))
    print(f"{'N':>8} {'plain Python':>14} {'traced reverse':>16} {'ratio':>8} {'per iteration':>15} {'tracing':>10} "
          f"{'compiled reverse':>18} {'ratio':>8}")
    per_iter = {}
    ratios = {}
    compiled = {}
    for n, runs in results.items():
        p = median(r["plain Python"] for r in runs)
        t = median(r["traced reverse"] for r in runs)
        tr = median(r["tracing"] for r in runs)
        c = median(r["compiled reverse"] for r in runs)
        ratios[n] = median(r["traced reverse"] / r["plain Python"] for r in runs)
        compiled[n] = median(r["compiled reverse"] / r["plain Python"] for r in runs)
        per_iter[n] = t / n
        print(f"{n:>8} {p * 1e3:>11.3f} ms {t * 1e3:>13.2f} ms {ratios[n]:>7.1f}x {per_iter[n] * 1e6:>12.2f} µs "
              f"{tr * 1e3:>7.2f} ms {c * 1e3:>15.3f} ms {compiled[n]:>7.2f}x")
    if 10000 in ratios:
        r = ratios[10000]
        print(f"{'PASS' if r <= 25 else 'FAIL'}: traced reverse at N = 10,000 is {r:.1f} x plain Python (goal <= 25)")
    if len(per_iter) > 1:
        spread = max(per_iter.values()) / min(per_iter.values())
        lo, hi = min(per_iter), max(per_iter)
        print(f"{'PASS' if spread <= 1.5 else 'FAIL'}: tracing plus reverse per iteration varies {spread:.2f} x from "
              f"N = {lo:,} to {hi:,} (goal <= 1.5)")
    if 10000 in compiled:
        r = compiled[10000]
        print(f"{'PASS' if r <= 4 else 'FAIL'}: compiled reverse (loop-keeping VJP) at N = 10,000 is {r:.2f} x plain "
              "Python (goal <= 4)")


if __name__ == "__main__":
    main()

"""Every benchmark in one run, and one summary table of every goal of issue #4.

Run as ``python benchmarks/run_all.py`` (add ``--quick`` for a fast, smaller run). The process
pins itself to one core and asks numpy's BLAS for one thread before anything is imported, so
that every figure is a one-core figure (the worker processes of ``bench_scalar`` inherit the pin).
The summary table at the end (Markdown) is what the README shows, with the machine it ran on.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core: set before numpy is imported

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def pin_one_core() -> str:
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[-1]})
        return f"pinned to CPU {cpus[-1]} (of {len(cpus)} available)"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity here)"


def machine() -> list[str]:
    import numpy as np

    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return [f"platform: {platform.platform()}", f"cpu: {cpu}", f"nproc: {os.cpu_count()}",
            f"python: {platform.python_version()} ({platform.python_implementation()}), numpy {np.__version__}",
            f"load average at start (1, 5, 15 min): {load}"]


def logreg_goals(N: int, d: int, rounds: int, clock: str) -> list[dict[str, Any]]:
    """Run bench_logreg (unchanged, its timer given the chosen clock) and read its verdict lines."""
    from statistics import median

    import bench_logreg
    import bench_scalar

    from diffzoo.timing import interleaved

    def timer(funcs: Any, rounds: int) -> dict[str, float]:
        times = interleaved(funcs, rounds, min_time=0, clock=bench_scalar.CLOCKS[clock])
        return {k: median(v) for k, v in times.items()}

    bench_logreg.time_interleaved = timer

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        bench_logreg.main(["--N", str(N), "--d", str(d), "--rounds", str(rounds)])
    out = buf.getvalue()
    print(out, end="")
    goals = []
    stated = (N, d) == (10000, 1000)  # the size the issue states its goals at; --quick is a smoke run
    for m in re.finditer(r"^\s*(.+?): ([0-9.]+)\s+\(goal <= ([0-9.]+)\)\s+(PASS|FAIL)", out, re.M):
        goals.append({"goal": f"logistic regression N={N} d={d}: {m.group(1)}"
                      + ("" if stated else f" (goal <= {m.group(3)} is stated at N=10000, d=1000)"),
                      "measured": float(m.group(2)), "target": f"<= {m.group(3)}" if stated else "reported",
                      "pass": m.group(4) == "PASS" if stated else True})
    return goals


def section(title: str) -> None:
    print("\n" + "=" * 100 + f"\n{title}\n" + "=" * 100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few rounds (a smoke run)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="cpu",
                        help="cpu (default): this process's CPU time, so other load on the machine does not "
                             "count; wall: time.perf_counter")
    args = parser.parse_args(argv)
    pinned = pin_one_core()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    start = time.perf_counter()

    import bench_api
    import bench_hessian
    import bench_numeric
    import bench_scalar
    import bench_symbolic
    import bench_taylor

    info = machine() + [f"process: {pinned}; BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}; "
                        f"clock: {'process CPU time' if args.clock == 'cpu' else 'wall (perf_counter)'}; "
                        "interleaved rounds, median"]
    section("machine")
    print("\n".join(info))
    rows: list[tuple[str, dict[str, Any]]] = []

    section("bench_scalar: f(x) = sum_i sin(x_i) x_(i+1)")
    sizes = [10, 100, 1000] if args.quick else [10, 100, 1000, 10000]
    rows += [("scalar", g) for g in bench_scalar.run(sizes, 3 if args.quick else 7, args.clock,
                                                     processes=1 if args.quick else 3)]

    section("bench_api: the public API against plain Python f (issue #11)")
    rows += [("api", g) for g in bench_api.run(sizes, 3 if args.quick else 7, args.clock,
                                               processes=1 if args.quick else 3)]

    section("bench_logreg: logistic regression, tensor-level reverse mode")
    N, d = (2000, 200) if args.quick else (10000, 1000)
    rows += [("logreg", g) for g in logreg_goals(N, d, 5 if args.quick else 15, args.clock)]

    section("bench_symbolic: expression swell of the logistic map")
    rows += [("symbolic", g) for g in bench_symbolic.run(8 if args.quick else 10, 3 if args.quick else 5,
                                                        bench_scalar.CLOCKS[args.clock])]

    section("bench_numeric: default steps against a 50-digit reference")
    rows += [("numeric", g) for g in bench_numeric.run()]

    section("bench_hessian: Hessian-vector products and full Hessians against the gradient (issue #12)")
    rows += [("hessian", g) for g in bench_hessian.run(sizes[:3], 3 if args.quick else 7, args.clock,
                                                       processes=1 if args.quick else 3)]

    section("bench_taylor: Taylor mode against plain Python f and nested duals (issue #12)")
    rows += [("taylor", g) for g in bench_taylor.run(sizes[:3], 3 if args.quick else 7, args.clock,
                                                     processes=1 if args.quick else 3)]

    section("summary (Markdown)")
    print("Command: `python benchmarks/run_all.py" + (" --quick" if args.quick else "")
          + (" --clock wall" if args.clock == "wall" else "") + "`")
    print()
    for line in info:
        print(f"- {line}")
    print()
    print("| benchmark | goal | measured | target | verdict |")
    print("|---|---|---:|---|---|")
    for bench, g in rows:
        verdict = "info" if g["target"] == "reported" else ("PASS" if g["pass"] else "FAIL")
        v = g["measured"]
        shown = f"{v:.3g}" if abs(v) >= 1e-3 else f"{v:.2e}"
        shown = f"{shown} {bench_scalar.spread_text(g)}".strip()
        print(f"| {bench} | {g['goal']} | {shown} | {g['target']} | {verdict} |")
    checked = [g for _, g in rows if g["target"] != "reported"]
    passed = sum(g["pass"] for g in checked)
    print(f"\n{passed} of {len(checked)} goals met; {time.perf_counter() - start:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

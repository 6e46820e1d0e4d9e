"""The cheap gradient principle on a scalar benchmark, in diffzoo's own numbers.

f(x) = sum_i sin(x_i) * x_{i+1} (cyclic), n = 10, 100, 1000, 10000 inputs: ``families.chain_sum(n)``.
Run as ``python benchmarks/bench_scalar.py [--sizes 10 100 1000 10000 --rounds 7 --processes 3]``.

Every job is timed side by side in interleaved rounds (median over rounds, after warm-up rounds;
each sample repeats a job until it lasts two milliseconds). diffzoo's own jobs and plain Python
run in fresh worker processes that load diffzoo only, several per size (the goals take the median
over processes); the other libraries run together in this process, beside diffzoo's compiled
gradient. The jobs:

- plain Python f, and a hand-written gradient of it (for reference);
- diffzoo's interpreter: the primal (``wl.evaluate``), and the full gradient by reverse mode
  (``reverse.primal_and_gradient(wl, x)``: one run of the gradient program, whose first steps are
  the primal's and whose weight ȳ = 1 is written in);
- diffzoo's compiled reverse mode (generated straight-line Python), and its one-off compile time;
- forward mode's full gradient (n passes) and central differences (2n evaluations), up to
  n = 1000 only: both are O(n^2), so at n = 10000 they would take minutes and are not measured;
- a micrograd-style scalar ``Value`` class written here; HIPS autograd, PyTorch eager, JAX eager
  and ``jax.jit`` when importable (the optional ``bench`` extra), skipped with a note otherwise.

Goals (issue #4) are printed with PASS/FAIL.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run without installing

import diffzoo as dz  # noqa: E402
from diffzoo import families, forward, numeric, reverse, transforms  # noqa: E402
from diffzoo.compile import Compiled  # noqa: E402
from diffzoo.timing import chain_point, interleaved  # noqa: E402

QUADRATIC_MAX = 1000  # forward mode and central differences are measured up to this n


# --- the function written by hand -----------------------------------------------------------------


def plain_f(x: list[float]) -> float:
    n, sin = len(x), math.sin
    s = 0.0
    for i in range(n - 1):
        s += sin(x[i]) * x[i + 1]
    return s + sin(x[n - 1]) * x[0]


def plain_grad(x: list[float]) -> list[float]:
    """The gradient written by hand: df/dx_i = cos(x_i) x_{i+1} + sin(x_{i-1})."""
    n, sin, cos = len(x), math.sin, math.cos
    g = [0.0] * n
    s = 0.0
    for i in range(n):
        j = (i + 1) % n
        si = sin(x[i])
        s += si * x[j]
        g[i] += cos(x[i]) * x[j]
        g[j] += si
    return g


# --- a micrograd-style scalar reverse mode (Karpathy's design, written here) ----------------------


class Value:
    """A scalar that records how it was computed, and back-propagates through that graph."""

    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data: float, prev: tuple = ()):
        self.data, self.grad, self._prev = data, 0.0, prev
        self._backward: Callable[[], None] = lambda: None

    def __add__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    __radd__ = __add__

    def __mul__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def sin(self) -> Value:
        out = Value(math.sin(self.data), (self,))

        def backward() -> None:
            self.grad += math.cos(self.data) * out.grad

        out._backward = backward
        return out

    def backward(self) -> None:
        order, seen = [], set()
        stack = [(self, False)]
        while stack:  # iterative topological sort (n = 10000 would overflow recursion)
            v, done = stack.pop()
            if done:
                order.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((p, False) for p in v._prev)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


def micrograd_grad(x: list[float]) -> list[float]:
    xs = [Value(v) for v in x]
    n = len(xs)
    s = xs[0].sin() * xs[1 % n]
    for i in range(1, n):
        s = s + xs[i].sin() * xs[(i + 1) % n]
    s.backward()
    return [v.grad for v in xs]


# --- other libraries, when installed ---------------------------------------------------------------


#: Scalar-style jobs of the other libraries are run up to this n (JAX eager takes seconds per call past it,
#: and jax.jit's compile time of the unrolled loop grows with n).
LIBRARY_SCALAR_MAX = 1000


def optional_jobs(x: list[float]) -> tuple[dict[str, Callable[[], object]], list[str], dict[str, float]]:
    """Jobs for the libraries that import; notes for those that do not; one-off compile times.

    The scalar benchmark writes f as the loop over scalars that diffzoo's Wengert list and the
    micrograd-style Value see: one sin, one product and one sum per element. The rows marked
    "(vectorised)" write f with whole-array operations instead (one sin, one roll, one product,
    one sum), which is not the same program: array libraries win there as n grows, and the
    table shows it as information, not as a goal.
    """
    import numpy as np

    jobs: dict[str, Callable[[], object]] = {}
    notes: list[str] = []
    compile_s: dict[str, float] = {}
    n = len(x)
    scalar = n <= LIBRARY_SCALAR_MAX
    if not scalar:
        notes.append(f"other libraries' scalar-style jobs run up to n = {LIBRARY_SCALAR_MAX} only")
    try:
        import autograd
        import autograd.numpy as anp

        def af_scalar(v: Any) -> Any:
            total = 0.0
            for i in range(n):
                total = total + anp.sin(v[i]) * v[(i + 1) % n]
            return total

        def af_vector(v: Any) -> Any:
            return anp.sum(anp.sin(v) * anp.roll(v, -1))

        xa = np.array(x)
        if scalar:
            ags = autograd.grad(af_scalar)
            jobs["HIPS autograd"] = lambda: ags(xa)
        agv = autograd.grad(af_vector)
        jobs["HIPS autograd (vectorised)"] = lambda: agv(xa)
    except ImportError:
        notes.append("HIPS autograd: not installed (pip install 'diffzoo[bench]'), skipped")
    try:
        import torch

        torch.set_num_threads(1)

        def tgrad_scalar() -> Any:
            v = [torch.tensor(xi, dtype=torch.float64, requires_grad=True) for xi in x]
            total = torch.zeros((), dtype=torch.float64)
            for i in range(n):
                total = total + torch.sin(v[i]) * v[(i + 1) % n]
            total.backward()
            return [t.grad for t in v]

        def tgrad_vector() -> Any:
            v = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            (torch.sin(v) * torch.roll(v, -1)).sum().backward()
            return v.grad

        if scalar:
            jobs["PyTorch eager"] = tgrad_scalar
        jobs["PyTorch eager (vectorised)"] = tgrad_vector
    except ImportError:
        notes.append("PyTorch: not installed, skipped")
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def jf_scalar(v: Any) -> Any:
            total = 0.0
            for i in range(n):
                total = total + jnp.sin(v[i]) * v[(i + 1) % n]
            return total

        def jf_vector(v: Any) -> Any:
            return jnp.sum(jnp.sin(v) * jnp.roll(v, -1))

        xj = jnp.array(x)
        for label, fn, run_eager in (("", jf_scalar, scalar), (" (vectorised)", jf_vector, True)):
            if not run_eager:
                continue
            jg = jax.grad(fn)
            jobs[f"JAX eager{label}"] = lambda jg=jg: jg(xj).block_until_ready()
            jj = jax.jit(jg)
            start = time.perf_counter()
            jj(xj).block_until_ready()
            compile_s[f"jax.jit{label}"] = time.perf_counter() - start
            jobs[f"jax.jit{label}"] = lambda jj=jj: jj(xj).block_until_ready()
    except ImportError:
        notes.append("JAX: not installed, skipped")
    return jobs, notes, compile_s


# --- measuring -------------------------------------------------------------------------------------


def compile_time(wl: dz.WengertList) -> float:
    """Seconds to derive, write and compile the float gradient code of ``wl`` (what the first ``dz.grad`` call
    does): the adjoint program, its weight bound to 1, its text, Python's compile."""
    start = time.perf_counter()
    program = transforms.bind(transforms.vjp(wl), {0: 1.0})
    Compiled(program).float_function  # noqa: B018 - compiles
    return time.perf_counter() - start


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}

#: diffzoo's own jobs and plain Python, measured in fresh worker processes (see :func:`own_in_workers`).
OWN = ("plain f", "hand-written gradient", "interpreted primal", "interpreted reverse gradient",
       "compiled reverse gradient")
QUADRATIC = ("forward gradient (n passes)", "central differences (2n evals)")
WARMUP = 3  # discarded rounds before the counted ones: a fresh process needs dozens of calls to settle


def _setup(n: int) -> tuple[dz.WengertList, list[float], Any, float]:
    """The Wengert list of f for n inputs, the point, its compiled gradient, and its compile time."""
    fn = dz.parse(families.chain_sum(n), limits=dz.Limits.unbounded())
    wl = fn.wengert
    x = chain_point(n)
    g = dz.grad(fn)
    g(x)
    ct = compile_time(wl)
    # all methods agree before anything is timed
    ref = plain_grad(x)
    got = reverse.grad(wl, x)
    assert max(abs(a - b) for a, b in zip(got, ref)) <= 1e-12 * max(1.0, max(map(abs, ref)))
    assert g(x) == got
    return wl, x, g, ct


def measure_own(n: int, rounds: int, clock: str = "wall") -> dict[str, Any]:
    """diffzoo's own jobs beside plain Python, side by side in this process."""
    wl, x, g, ct = _setup(n)
    jobs: dict[str, Callable[[], object]] = {
        "plain f": lambda: plain_f(x),
        "hand-written gradient": lambda: plain_grad(x),
        "interpreted primal": lambda: wl.evaluate(x),
        "interpreted reverse gradient": lambda: reverse.primal_and_gradient(wl, x),
        "compiled reverse gradient": lambda: g(x),
    }
    times = interleaved(jobs, rounds, min_time=2e-3, clock=CLOCKS[clock], warmup=WARMUP)
    med = {k: median(v) for k, v in times.items()}
    if n <= QUADRATIC_MAX:
        # Each O(n^2) job runs in its own interleaved group, with the primal it is compared against:
        # their long runs would leave the quick jobs' caches cold, and central differences' many
        # allocations slowed a primal timed beside them by up to 2x, which read as forward mode
        # growing only half as fast as n.
        h = numeric.TEXTBOOK_EPS["central"]  # a fixed step: 2n evaluations
        slow = {QUADRATIC[0]: lambda: forward.jacobian(wl, wl.evaluate(x)),
                QUADRATIC[1]: lambda: numeric.jacobian(wl, x, "central", h)}
        for job, run in slow.items():
            group = {"interpreted primal": lambda: wl.evaluate(x), job: run}
            st = {k: median(v) for k, v in interleaved(group, rounds, min_time=2e-3, clock=CLOCKS[clock],
                                                         warmup=1).items()}
            med[job] = st[job] * med["interpreted primal"] / st["interpreted primal"]  # on the same scale
    return {"n": n, "steps": len(wl.steps), "seconds": med, "compile_s": ct}


def own_in_workers(n: int, rounds: int, clock: str, processes: int) -> list[dict[str, Any]]:
    """:func:`measure_own` in ``processes`` fresh Python processes, one after another.

    Each worker imports diffzoo and nothing else, as the app does; the libraries compared below
    are never loaded into it. A process's memory layout moves its large-n figures by 10-30 %, so
    the goals take the median over processes, and the spread is printed (pyperf does the same).
    With ``processes=0`` the jobs run in this process instead.
    """
    if processes <= 0:
        return [measure_own(n, rounds, clock)]
    out = []
    for _ in range(processes):
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(n),
                               "--rounds", str(rounds), "--clock", clock],
                              capture_output=True, text=True, check=True)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def measure_libraries(n: int, rounds: int, clock: str = "wall") -> dict[str, Any]:
    """diffzoo's compiled gradient side by side with the libraries a user would pick instead."""
    wl, x, g, _ = _setup(n)
    jobs: dict[str, Callable[[], object]] = {
        "compiled reverse gradient": lambda: g(x),
        "micrograd-style Value": lambda: micrograd_grad(x),
    }
    extra, notes, compile_s = optional_jobs(x)
    jobs.update(extra)
    times = interleaved(jobs, rounds, min_time=2e-3, clock=CLOCKS[clock], warmup=1)
    return {"n": n, "seconds": {k: median(v) for k, v in times.items()}, "notes": notes,
            "jit_compile_s": compile_s}


def fmt_time(s: float) -> str:
    return f"{s * 1e6:,.1f} us" if s < 1e-2 else f"{s * 1e3:,.1f} ms"


def run(sizes: list[int], rounds: int, clock: str = "wall", processes: int = 3) -> list[dict[str, Any]]:
    """Measure every size; print the tables, the ratios and the goals; return the goal rows."""
    own = {n: own_in_workers(n, rounds, clock, processes) for n in sizes}
    libs = {n: measure_libraries(n, rounds, clock) for n in sizes}

    def per_process(n: int, job: str, base: str) -> list[float]:
        return [r["seconds"][job] / r["seconds"][base] for r in own[n] if job in r["seconds"]]

    where = f"median of {processes} fresh processes" if processes > 0 else "in this process"
    print(f"f(x) = sum_i sin(x_i) x_(i+1);  {rounds} interleaved rounds after {WARMUP} warm-up rounds, median, "
          f"{clock} clock;  Python {platform.python_version()}")
    print(f"\ndiffzoo and plain Python ({where}, each process loading diffzoo only)")
    header = f"{'job':<32}" + "".join(f"{'n=' + str(n):>14}" for n in sizes)
    print(header)
    for k in OWN + QUADRATIC:
        row = f"{k:<32}"
        for n in sizes:
            t = [r["seconds"][k] for r in own[n] if k in r["seconds"]]
            row += f"{fmt_time(median(t)) if t else 'not run':>14}"
        print(row)
    print("\nratio to plain f")
    for k in OWN + QUADRATIC:
        row = f"{k:<32}"
        for n in sizes:
            q = per_process(n, k, "plain f")
            row += f"{median(q):>14.2f}" if q else f"{'-':>14}"
        print(row)
    print(f"(forward mode and central differences are O(n^2): measured up to n = {QUADRATIC_MAX} only)")
    for n in sizes:
        steps = own[n][0]["steps"]
        ct = median(r["compile_s"] for r in own[n])
        print(f"compile time, n={n}: {ct * 1e3:.1f} ms for {steps} steps ({ct / steps * 1e6:.2f} ms per 1000 steps)")

    print("\nthe libraries a user would pick instead, side by side with diffzoo's compiled gradient in one process")
    names = list(dict.fromkeys(k for n in sizes for k in libs[n]["seconds"]))
    print(header)
    for k in names:
        row = f"{k:<32}"
        for n in sizes:
            s = libs[n]["seconds"]
            row += f"{fmt_time(s[k]) if k in s else 'not run':>14}"
        print(row)
    print("\nratio to diffzoo's compiled reverse gradient")
    for k in names:
        row = f"{k:<32}"
        for n in sizes:
            s = libs[n]["seconds"]
            row += f"{s[k] / s['compiled reverse gradient']:>14.2f}" if k in s else f"{'-':>14}"
        print(row)
    for n in sizes:
        for lib, sec in libs[n]["jit_compile_s"].items():
            print(f"{lib} compile time, n={n}: {sec:.3f} s")
    for note in sorted({note for n in sizes for note in libs[n]["notes"]}):
        print("note:", note)

    goals: list[dict[str, Any]] = []

    def goal(name: str, values: list[float] | float, limit: str, ok: Callable[[float], bool]) -> None:
        vs = values if isinstance(values, list) else [values]
        m = median(vs)
        row = {"goal": name, "measured": m, "target": limit, "pass": ok(m)}
        if len(vs) > 1:
            row["spread"] = (min(vs), max(vs), len(vs))
        goals.append(row)

    for n in sizes:
        goal(f"interpreted reverse / interpreted primal, n={n}",
             per_process(n, "interpreted reverse gradient", "interpreted primal"), "<= 2.5", lambda v: v <= 2.5)
        goal(f"interpreted reverse / plain f, n={n}", per_process(n, "interpreted reverse gradient", "plain f"),
             "<= 25", lambda v: v <= 25)
        goal(f"compiled reverse / plain f, n={n}", per_process(n, "compiled reverse gradient", "plain f"),
             "<= 3", lambda v: v <= 3)
        s = libs[n]["seconds"]
        for lib in ("micrograd-style Value", "HIPS autograd", "PyTorch eager", "JAX eager", "jax.jit"):
            if lib in s:
                goal(f"{lib} / compiled reverse, n={n}", s[lib] / s["compiled reverse gradient"],
                     "> 1 (diffzoo faster)", lambda v: v > 1)
    for n in sizes:
        per = median(r["compile_s"] for r in own[n]) / own[n][0]["steps"] * 1000
        goal(f"compile time per 1000 steps (s), n={n}", per, "reported", lambda v: True)
    rp = {n: median(per_process(n, "interpreted reverse gradient", "interpreted primal")) for n in sizes}
    if len(sizes) >= 2:
        lo, hi = min(sizes), max(sizes)
        q = max(rp[lo], rp[hi]) / min(rp[lo], rp[hi])
        goal(f"reverse/primal ratio at n={hi} vs n={lo} (factor)", q, "within 1.5x", lambda v: v <= 1.5)
    quad = sorted(n for n in sizes if n <= QUADRATIC_MAX)
    for job in QUADRATIC:
        for lo, hi in zip(quad, quad[1:]):
            if lo < 100:
                continue  # below ~100 inputs fixed per-call costs dominate: growth is not yet linear
            cost = {m: median(per_process(m, job, "interpreted primal")) for m in (lo, hi)}
            growth = cost[hi] / cost[lo]
            goal(f"{job}: (cost/primal) growth n={lo}->{hi} / (n growth)", growth / (hi / lo), "1 +- 20%",
                 lambda v: 0.8 <= v <= 1.2)
    print()
    print_goals(goals)
    return goals


def spread_text(g: dict[str, Any]) -> str:
    """``(lo-hi over k processes)`` for a goal measured in several processes, else ''."""
    if "spread" not in g:
        return ""
    lo, hi, k = g["spread"]
    return f"({lo:.2f}-{hi:.2f} over {k} processes)"


def print_goals(goals: list[dict[str, Any]]) -> None:
    width = max(len(g["goal"]) for g in goals)
    for g in goals:
        verdict = "PASS" if g["pass"] else "FAIL"
        if g["target"] == "reported":
            verdict = "info"
        print(f"{g['goal']:<{width}}  {g['measured']:>9.3f}  {g['target']:<22} {verdict}  {spread_text(g)}".rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: time.perf_counter; cpu: this process's CPU time (for a busy machine)")
    parser.add_argument("--processes", type=int, default=3,
                        help="fresh processes measuring diffzoo's own jobs, per size (0: in this process)")
    parser.add_argument("--worker", type=int, metavar="N", help=argparse.SUPPRESS)  # one size, JSON out
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    if args.worker is not None:
        print(json.dumps(measure_own(args.worker, args.rounds, args.clock)))
        return 0
    run(args.sizes, args.rounds, args.clock, args.processes)
    return 0


if __name__ == "__main__":
    sys.exit(main())

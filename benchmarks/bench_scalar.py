"""The cheap gradient principle on a scalar benchmark, in diffzoo's own numbers.

f(x) = sum_i sin(x_i) * x_{i+1} (cyclic), n = 10, 100, 1000, 10000 inputs: ``families.chain_sum(n)``.
Run as ``python benchmarks/bench_scalar.py [--sizes 10 100 1000 10000 --rounds 7]``.

Every job is timed side by side in interleaved rounds (median over rounds; each sample repeats
a job until it lasts a millisecond), on one core:

- plain Python f, and a hand-written gradient of it (for reference);
- diffzoo's interpreter: the primal (``wl.evaluate``), and the full gradient by reverse mode
  (``adjoint_sweep(wl, wl.evaluate(x), [1.0])``: the primal values, then one sweep);
- diffzoo's compiled reverse mode (generated straight-line Python), and its one-off compile time;
- forward mode's full gradient (n passes) and central differences (2n evaluations), up to
  n = 1000 only: both are O(n^2), so at n = 10000 they would take minutes and are not measured;
- a micrograd-style scalar ``Value`` class written here; HIPS autograd, PyTorch eager, JAX eager
  and ``jax.jit`` when importable (the optional ``bench`` extra), skipped with a note otherwise.

Goals (issue #4) are printed with PASS/FAIL.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run without installing

import diffzoo as dz  # noqa: E402
from diffzoo import families, forward, numeric, reverse  # noqa: E402
from diffzoo.compile import _no_gc, _source, generate, namespace  # noqa: E402
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
    """Seconds to write and compile the float gradient code of ``wl`` (what the first gradient call does)."""
    start = time.perf_counter()
    src = _source(wl, "vjp", checked=True, unit=0)
    with _no_gc():
        code = compile(src, "<bench>", "exec")
    exec(code, namespace("float"))  # noqa: S102 - diffzoo's own generated text
    return time.perf_counter() - start


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def measure(n: int, rounds: int, clock: str = "wall") -> dict[str, Any]:
    fn = dz.parse(families.chain_sum(n), limits=dz.Limits.unbounded())
    wl = fn.wengert
    x = chain_point(n)
    build = time.perf_counter()
    g = generate(wl)
    g.gradient(x)
    ct = compile_time(wl)
    del build
    # all methods agree before anything is timed
    ref = plain_grad(x)
    got = reverse.grad(wl, x)
    assert max(abs(a - b) for a, b in zip(got, ref)) <= 1e-12 * max(1.0, max(map(abs, ref)))
    assert g.gradient(x) == got

    jobs: dict[str, Callable[[], object]] = {
        "plain f": lambda: plain_f(x),
        "hand-written gradient": lambda: plain_grad(x),
        "interpreted primal": lambda: wl.evaluate(x),
        "interpreted reverse gradient": lambda: reverse.adjoint_sweep(wl, wl.evaluate(x), [1.0])[0][:n],
        "compiled reverse gradient": lambda: g.gradient(x),
        "micrograd-style Value": lambda: micrograd_grad(x),
    }
    extra, notes, compile_s = optional_jobs(x)
    jobs.update(extra)
    times = interleaved(jobs, rounds, min_time=2e-3, clock=CLOCKS[clock])
    med = {k: median(v) for k, v in times.items()}
    if n <= QUADRATIC_MAX:
        # The O(n^2) jobs run in their own interleaved group, with the primal they are compared
        # against, so that their long runs do not leave the quick jobs' caches cold.
        h = numeric.TEXTBOOK_EPS["central"]  # a fixed step: 2n evaluations
        slow = {"interpreted primal": lambda: wl.evaluate(x),
                "forward gradient (n passes)": lambda: forward.jacobian(wl, wl.evaluate(x)),
                "central differences (2n evals)": lambda: numeric.jacobian(wl, x, "central", h)}
        st = {k: median(v) for k, v in interleaved(slow, rounds, min_time=2e-3, clock=CLOCKS[clock]).items()}
        primal = st.pop("interpreted primal")
        med.update({k: v * med["interpreted primal"] / primal for k, v in st.items()})  # on the same scale
    return {"n": n, "steps": len(wl.steps), "seconds": med, "compile_s": ct, "notes": notes,
            "jit_compile_s": compile_s}


def fmt_time(s: float) -> str:
    return f"{s * 1e6:,.1f} us" if s < 1e-2 else f"{s * 1e3:,.1f} ms"


def run(sizes: list[int], rounds: int, clock: str = "wall") -> list[dict[str, Any]]:
    """Measure every size; print the table, the ratios and the goals; return the goal rows."""
    results = [measure(n, rounds, clock) for n in sizes]
    names = list(dict.fromkeys(k for r in results for k in r["seconds"]))
    print(f"f(x) = sum_i sin(x_i) x_(i+1);  {rounds} interleaved rounds, median, {clock} clock;  "
          f"Python {platform.python_version()}")
    header = f"{'job':<32}" + "".join(f"{'n=' + str(r['n']):>14}" for r in results)
    print(header)
    for k in names:
        row = f"{k:<32}"
        for r in results:
            row += f"{fmt_time(r['seconds'][k]) if k in r['seconds'] else 'not run':>14}"
        print(row)
    print("\nratio to plain f")
    for k in names:
        row = f"{k:<32}"
        for r in results:
            s = r["seconds"]
            row += f"{s[k] / s['plain f']:>14.2f}" if k in s else f"{'-':>14}"
        print(row)
    print(f"(forward mode and central differences are O(n^2): measured up to n = {QUADRATIC_MAX} only)")
    for r in results:
        per = r["compile_s"] / r["steps"] * 1000
        print(f"compile time, n={r['n']}: {r['compile_s'] * 1e3:.1f} ms for {r['steps']} steps "
              f"({per * 1e3:.2f} ms per 1000 steps)")
        for lib, s in r["jit_compile_s"].items():
            print(f"{lib} compile time, n={r['n']}: {s:.3f} s")
    notes = sorted({note for r in results for note in r["notes"]})
    for note in notes:
        print("note:", note)

    goals: list[dict[str, Any]] = []

    def goal(name: str, value: float, limit: str, ok: bool) -> None:
        goals.append({"goal": name, "measured": value, "target": limit, "pass": ok})

    for r in results:
        s, n = r["seconds"], r["n"]
        rp = s["interpreted reverse gradient"] / s["interpreted primal"]
        goal(f"interpreted reverse / interpreted primal, n={n}", rp, "<= 2.5", rp <= 2.5)
        rf = s["interpreted reverse gradient"] / s["plain f"]
        goal(f"interpreted reverse / plain f, n={n}", rf, "<= 25", rf <= 25)
        cf = s["compiled reverse gradient"] / s["plain f"]
        goal(f"compiled reverse / plain f, n={n}", cf, "<= 3", cf <= 3)
        for lib in ("micrograd-style Value", "HIPS autograd", "PyTorch eager", "JAX eager", "jax.jit"):
            if lib in s:
                ratio = s[lib] / s["compiled reverse gradient"]
                goal(f"{lib} / compiled reverse, n={n}", ratio, "> 1 (diffzoo faster)", ratio > 1)
    for r in results:
        per = r["compile_s"] / r["steps"] * 1000
        goal(f"compile time per 1000 steps (s), n={r['n']}", per, "reported", True)
    by_n = {r["n"]: r["seconds"] for r in results}
    if len(by_n) >= 2:
        lo, hi = min(by_n), max(by_n)
        a = by_n[lo]["interpreted reverse gradient"] / by_n[lo]["interpreted primal"]
        b = by_n[hi]["interpreted reverse gradient"] / by_n[hi]["interpreted primal"]
        q = max(a, b) / min(a, b)
        goal(f"reverse/primal ratio at n={hi} vs n={lo} (factor)", q, "within 1.5x", q <= 1.5)
    quad = sorted(n for n in by_n if n <= QUADRATIC_MAX)
    for job in ("forward gradient (n passes)", "central differences (2n evals)"):
        for lo, hi in zip(quad, quad[1:]):
            if lo < 100:
                continue  # below ~100 inputs fixed per-call costs dominate: growth is not yet linear
            growth = (by_n[hi][job] / by_n[hi]["interpreted primal"]) / (by_n[lo][job] / by_n[lo]["interpreted primal"])
            rel = growth / (hi / lo)
            goal(f"{job}: (cost/primal) growth n={lo}->{hi} / (n growth)", rel, "1 +- 20%", 0.8 <= rel <= 1.2)
    print()
    print_goals(goals)
    return goals


def print_goals(goals: list[dict[str, Any]]) -> None:
    width = max(len(g["goal"]) for g in goals)
    for g in goals:
        verdict = "PASS" if g["pass"] else "FAIL"
        if g["target"] == "reported":
            verdict = "info"
        print(f"{g['goal']:<{width}}  {g['measured']:>9.3f}  {g['target']:<22} {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: time.perf_counter; cpu: this process's CPU time (for a busy machine)")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
    run(args.sizes, args.rounds, args.clock)
    return 0


if __name__ == "__main__":
    sys.exit(main())

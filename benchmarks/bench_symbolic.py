"""Expression swell: the logistic map's derivative with and without common-subexpression elimination.

Run as ``python benchmarks/bench_symbolic.py [--max-n 10]``. l_1 = x, l_{k+1} = 4 l_k (1 - l_k).
For n = 1..10, ``symbolic.derive`` gives dl_n/dx as a graph that shares subexpressions. Written
out as a tree it has ``tree_size`` operations (what a naive symbolic system evaluates); with
equal subexpressions computed once (CSE) it has ``dag_size`` (the length of its Wengert list).
Evaluation cost is measured both ways: the tree evaluated node by node without sharing, and
the CSE'd Wengert list. l_n is built as an expression directly (its text doubles with n).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run without installing

from diffzoo import symbolic  # noqa: E402
from diffzoo.expr import Expr, const, dag_size, make, tree_size, var  # noqa: E402
from diffzoo.primitives import PRIMITIVES  # noqa: E402
from diffzoo.timing import interleaved  # noqa: E402
from diffzoo.wengert import WengertList  # noqa: E402

TREE_EVAL_MAX = 200_000  # tree operations beyond which the unshared evaluation is not timed


def logistic(n: int) -> Expr:
    """l_n as a shared expression (l_k appears twice in l_{k+1}, as the same node)."""
    e = var("x")
    for _ in range(n - 1):
        e = make("mul", make("mul", const(4), e), make("sub", const(1), e))
    return e


def eval_tree(e: Expr, x: float) -> float:
    """Evaluate as a tree: a shared node is recomputed every time it is reached (no CSE)."""
    if e.op == "var":
        return x
    if e.op == "const":
        return e.value
    return PRIMITIVES[e.op].scalar(*(eval_tree(a, x) for a in e.args))


def run(max_n: int = 10, rounds: int = 5, clock: Any = time.perf_counter) -> list[dict[str, Any]]:
    rows = []
    x = 0.3
    for n in range(1, max_n + 1):
        f = logistic(n)
        d = symbolic.derive(f, "x")
        tree, dag = tree_size(d), dag_size(d)
        wl = WengertList.from_exprs([d], ["x"])
        jobs = {"cse": lambda wl=wl: wl.evaluate([x])}
        if tree <= TREE_EVAL_MAX:
            jobs["tree"] = lambda d=d: eval_tree(d, x)
        times = interleaved(jobs, rounds, clock=clock)
        t_cse = median(times["cse"])
        t_tree = median(times["tree"]) if "tree" in times else float("nan")
        if "tree" in times:
            assert abs(eval_tree(d, x) - wl(x)) <= 1e-9 * max(1.0, abs(wl(x)))
        rows.append({"n": n, "f ops (tree)": tree_size(f), "f ops (CSE)": dag_size(f), "df ops (tree)": tree,
                     "df ops (CSE)": dag, "tree/CSE": tree / max(dag, 1), "eval tree (us)": t_tree * 1e6,
                     "eval CSE (us)": t_cse * 1e6})
    df = pd.DataFrame(rows)
    print("d l_n / dx for the logistic map: size and evaluation cost, with and without CSE")
    print(df.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    last = rows[-1]
    if len(rows) >= 3:
        growth = rows[-1]["df ops (tree)"] / rows[-2]["df ops (tree)"]
        step = rows[-1]["df ops (CSE)"] - rows[-2]["df ops (CSE)"]
        print(f"tree size grows by x{growth:.2f} per level (exponential); CSE size by +{step} "
              f"operations per level (linear)")
    if not pd.isna(last["eval tree (us)"]):
        print(f"n={last['n']}: evaluating the tree costs {last['eval tree (us)'] / last['eval CSE (us)']:.0f}x "
              f"the CSE'd list")
    return [{"goal": f"symbolic l_{last['n']}: derivative tree/CSE size", "measured": last["tree/CSE"],
             "target": "reported", "pass": True}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    run(args.max_n, args.rounds)
    print(f"({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

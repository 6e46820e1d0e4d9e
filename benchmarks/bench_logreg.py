"""Logistic regression: diffzoo's tensor-level reverse mode against hand-written numpy.

Run as ``python benchmarks/bench_logreg.py [--N 10000 --d 1000 --rounds 15]``. Three jobs are
timed side by side in interleaved rounds by ``diffzoo.timing.interleaved`` (median of the rounds, after
three warm-up rounds): the loss alone, diffzoo's value and gradient
(one forward evaluation and one reverse sweep), and the same value and gradient written by hand.
Goals: value+grad / handwritten <= 1.3 and gradient / loss <= 2.5.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from statistics import median

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run without installing

from diffzoo.tensor import logistic_regression  # noqa: E402
from diffzoo.timing import interleaved  # noqa: E402

LOSS, OURS, HAND = "loss only", "diffzoo reverse value+grad", "handwritten numpy value+grad"
GOALS = {"value+grad / handwritten": 1.3, "gradient / loss": 2.5}


def time_interleaved(funcs: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median seconds per call of each job over ``rounds`` interleaved rounds (``run_all.py`` swaps in
    the same timer with its chosen clock)."""
    return {name: median(ts) for name, ts in interleaved(funcs, rounds, warmup=3).items()}


def handwritten_value_and_grad(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean logistic loss and its gradient ``X^T (sigmoid(X w) - y) / N`` in plain numpy."""
    z = X @ w
    e = np.exp(-np.abs(z))
    sigma = np.where(z >= 0, 1.0, e) / (1.0 + e)
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    return loss, X.T @ (sigma - y) / len(y)


def main(argv: list[str] | None = None) -> int:
    """Time the three jobs, print a table and the two ratios with PASS/FAIL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=10000, help="number of examples")
    parser.add_argument("--d", type=int, default=1000, help="number of features")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved timing rounds")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    model = logistic_regression(args.N, args.d, args.seed)
    w = np.random.default_rng(args.seed + 1).standard_normal(args.d) / np.sqrt(args.d)

    loss, grad = model.loss_and_grad(w)
    ref_loss, ref_grad = handwritten_value_and_grad(model.X, model.y, w)
    rel = np.linalg.norm(grad - ref_grad) / np.linalg.norm(ref_grad)
    print(
        f"N={args.N} d={args.d} rounds={args.rounds}: loss {loss:.12g} (handwritten {ref_loss:.12g}), "
        f"gradient relative difference {rel:.2e}"
    )

    seconds = time_interleaved(
        {
            LOSS: lambda: model.loss(w),
            OURS: lambda: model.loss_and_grad(w),
            HAND: lambda: handwritten_value_and_grad(model.X, model.y, w),
        },
        args.rounds,
    )
    table = pd.DataFrame({"method": list(seconds), "median ms": [1e3 * s for s in seconds.values()]})
    table["/ loss"] = table["median ms"] / (1e3 * seconds[LOSS])
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    ratios = {
        "value+grad / handwritten": seconds[OURS] / seconds[HAND],
        "gradient / loss": seconds[OURS] / seconds[LOSS],
    }
    for name, ratio in ratios.items():
        verdict = "PASS" if ratio <= GOALS[name] else "FAIL"
        print(f"{name:>26}: {ratio:.2f}  (goal <= {GOALS[name]})  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

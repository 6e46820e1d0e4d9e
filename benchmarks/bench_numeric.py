"""Numeric differentiation with its default steps, against the AD derivative.

Run as ``python benchmarks/bench_numeric.py``. For a set of smooth functions at several points,
every input direction, the relative error of central differences (goal <= 1e-10), forward
differences (<= 1e-7) and the complex step (<= 1e-15) with diffzoo's default steps, measured
against reverse mode's derivative. The worst case of each scheme is checked against its goal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run without installing

import diffzoo as dz  # noqa: E402
from diffzoo import families, numeric  # noqa: E402

GOALS = {"central": 1e-10, "forward": 1e-7, "complex": 1e-15}

FUNCTIONS = {
    "sin(x)": "sin(x)",
    "exp(x)": "exp(x)",
    "x^3 - 2x": "x^3 - 2*x",
    "ln(1 + x^2)": "ln(1 + x^2)",
    "sigmoid(x)": "sigmoid(x)",
    "atan(x) + cos(x)^2": "atan(x) + cos(x)^2",
    "survey example": "ln(x1) + x1*x2 - sin(x2)",
    "tanh(x y) + sqrt(x^2 + y^2)": "tanh(x*y) + sqrt(x^2 + y^2)",
    "exp(x) sin(y)": "exp(x)*sin(y)",
    "logistic map l_3": families.logistic_map(3),
}
POINTS = [0.3, 0.7, 1.3, 2.1]


def relative(est: float, ref: float) -> float:
    return abs(est - ref) / max(abs(ref), 1e-300) if ref != 0 else abs(est)


def measure() -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for label, text in FUNCTIONS.items():
        f = dz.parse(text)
        wl = f.wengert
        for k, p in enumerate(POINTS):
            x = [p + 0.37 * i for i in range(wl.n)]
            ref = dz.differentiate(f, x, "reverse").jacobian
            for scheme in GOALS:
                for i in range(wl.n):
                    est, _, h = numeric.estimate(wl, x, i, scheme)
                    if abs(ref[0, i]) < 1e-3:
                        continue  # a derivative near zero: relative error is not meaningful
                    rows.append({"function": label, "point": k, "input": i, "scheme": scheme, "h": h,
                                 "rel_error": relative(float(est[0]), float(ref[0, i]))})
    return pd.DataFrame(rows)


def run() -> list[dict[str, Any]]:
    df = measure()
    table = df.groupby(["function", "scheme"])["rel_error"].max().unstack("scheme")[list(GOALS)]
    print("worst relative error over points and inputs, default steps (reference: reverse mode)")
    print(table.to_string(float_format=lambda v: f"{v:.2e}"))
    goals = []
    for scheme, limit in GOALS.items():
        sub = df[df["scheme"] == scheme]
        worst = float(sub["rel_error"].max())
        med = float(sub["rel_error"].median())
        within = float((sub["rel_error"] <= limit).mean())
        at = sub.loc[sub["rel_error"].idxmax()]
        print(f"{scheme}: median {med:.1e}, {within:.0%} of {len(sub)} cases within {limit:g}; worst "
              f"{worst:.1e} for {at['function']} at point {at['point']} (input {at['input']})")
        goals.append({"goal": f"numeric {scheme} worst relative error", "measured": worst,
                      "target": f"<= {limit:g}", "pass": worst <= limit})
    print()
    for g in goals:
        print(f"{g['goal']:<52} {g['measured']:.2e}  {g['target']:<10} {'PASS' if g['pass'] else 'FAIL'}")
    return goals


def main() -> int:
    np.seterr(all="ignore")
    run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Families of functions indexed by a size n: where expression swell and the cost of modes show.

Each returns the text of a function in the language, so every family goes through the same
parser and methods a user's function does.
"""

from __future__ import annotations


def logistic_map(n: int, r: float = 4) -> str:
    """l_1 = x, l_{k+1} = r l_k (1 - l_k), written out: its text doubles with each level."""
    text = "x"
    rr = f"{r:g}"
    for _ in range(n - 1):
        text = f"{rr}*({text})*(1 - ({text}))"
    return text


def nested_sin(n: int) -> str:
    """sin(sin(...sin(x)...)), n deep."""
    return "sin(" * n + "x" + ")" * n


def product(n: int) -> str:
    """x1 * x2 * ... * xn: every partial derivative is a product of n - 1 factors."""
    return "*".join(f"x{i}" for i in range(1, n + 1))


def chain_sum(n: int) -> str:
    """sum_i sin(x_i) * x_{i+1} over n inputs (cyclic): the benchmark function of any size."""
    return " + ".join(f"sin(x{i})*x{i % n + 1}" for i in range(1, n + 1))


def vector_function(n: int, m: int) -> str:
    """R^n -> R^m: y_j = sum_i sin(x_i * (j+1)) * x_{(i+j) mod n + 1}, for forward-vs-reverse crossover."""
    outs = []
    for j in range(m):
        outs.append(" + ".join(f"sin({j + 1}*x{i})*x{(i + j) % n + 1}" for i in range(1, n + 1)))
    return ", ".join(outs)


FAMILIES = {"logistic map l_n": logistic_map, "nested sin": nested_sin, "product of n factors": product}

"""Expression swell: symbolic derivatives as trees grow exponentially, as graphs linearly.

Oracles: sympy (count_ops of the logistic map l_n and of its derivative, and sympy's own derivative
evaluated in exact rationals).
"""

from __future__ import annotations

import pytest
import sympy as sp

import diffzoo as dz
from diffzoo import families
from diffzoo.symbolic import Size, derive, to_sympy

# reference cases, section 2: sympy count_ops of l_n and of its derivative, n = 1..6.
COUNT_OPS = {1: (0, 0), 2: (3, 2), 3: (8, 21), 4: (18, 82), 5: (38, 264), 6: (78, 768)}


@pytest.mark.parametrize("n", sorted(COUNT_OPS))
def test_logistic_map_swell_counts_match_sympy(n):
    # COUNT_OPS above; the derivative at 1/5 is sympy's, evaluated in exact rationals.
    x = sp.Symbol("x")
    ln = x
    for _ in range(n - 1):
        ln = 4 * ln * (1 - ln)
    assert (sp.count_ops(ln), sp.count_ops(sp.diff(ln, x))) == COUNT_OPS[n]
    # our derivative of the same function agrees with sympy's, and its tree swells while its graph does not
    f = dz.parse(families.logistic_map(n))
    d = to_sympy(derive(f.outputs[0], "x"))
    ours = float(d.subs({s: sp.Rational(1, 5) for s in d.free_symbols}))
    assert ours == pytest.approx(float(sp.diff(ln, x).subs(x, sp.Rational(1, 5))), rel=1e-14, abs=0)


def test_expression_swell_tree_doubles_graph_grows_linearly():
    # l_{n+1} = 4 l_n (1 - l_n) uses l_n twice, and so does its derivative by the product rule: written
    # as a tree the derivative more than doubles per level; as a graph it grows by a constant number of
    # steps (counted by hand: at most 12 per level).
    sizes = [Size.of(derive(dz.parse(families.logistic_map(n)).outputs[0], "x")) for n in range(2, 9)]
    trees = [s.tree for s in sizes]
    graphs = [s.graph for s in sizes]
    assert all(b > 1.9 * a for a, b in zip(trees[1:], trees[2:]))  # exponential: more than doubles
    assert all(b - a <= 12 for a, b in zip(graphs, graphs[1:]))  # linear: a constant number of steps per level

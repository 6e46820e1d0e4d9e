"""A step-by-step walk over the sweeps: every primal row in order, then every adjoint update.

Each position says which sweep it is in, which table row and which node of the graph it lights, and
a caption; :meth:`Walk.state` gives what ``graph.to_dot`` draws there (the values known so far, the
adjoints updated so far, the node and edge to highlight).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .graph import pretty
from .transforms import Update
from .wengert import WengertList, vname


@dataclass(frozen=True)
class WalkStep:
    """One position of the walk: which sweep, which table row, which node, what it says."""

    phase: str  # "forward" or "reverse"
    row: int  # row of the primal/tangent table (forward) or of the adjoint table (reverse)
    node: int  # the Wengert variable computed or updated
    source: int | None  # reverse: the step whose adjoint flows back (None for the seed)
    caption: str


class _Steps(Sequence):
    """The walk's positions, each made when asked for (a 5,000-step list has 15,000 of them)."""

    def __init__(self, walk: Walk) -> None:
        self._walk = walk

    def __len__(self) -> int:
        return len(self._walk)

    def __getitem__(self, position):  # type: ignore[override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        return self._walk.step(position)


@dataclass
class Walk:
    """The forward sweep row by row, then the reverse sweep update by update.

    ``steps[p]`` (or :meth:`step`) is position ``p``: the ``n`` inputs, the ``k`` steps, then the updates.
    """

    wl: WengertList | None = None
    updates: list[Update] = field(default_factory=list)

    def __len__(self) -> int:
        return 0 if self.wl is None else self.wl.n + len(self.wl.steps) + len(self.updates)

    @property
    def steps(self) -> Sequence[WalkStep]:
        return _Steps(self)

    def step(self, position: int) -> WalkStep:
        wl = self.wl
        assert wl is not None
        off = wl.n - 1
        if position < wl.n:
            i = position - off
            return WalkStep("forward", position, i, None, pretty(f"Forward sweep: input {vname(i)} = "
                                                                  f"{wl.inputs[position]}"))
        if position < wl.n + len(wl.steps):
            st = wl.steps[position - wl.n]
            return WalkStep("forward", st.index + off, st.index, None,
                            pretty(f"Forward sweep: {vname(st.index)} = {wl.definition(st)}"))
        r = position - wl.n - len(wl.steps)
        u = self.updates[r]
        if u.source is None:
            cap = f"Reverse sweep: seed v̄_{u.target} with the output's adjoint"
        else:
            op = "=" if u.first else "+="
            cap = f"Reverse sweep: v̄_{u.target} {op} v̄_{u.source} · ∂v_{u.source}/∂v_{u.target}"
        return WalkStep("reverse", r, u.target, u.source, pretty(cap))

    def state(self, position: int, vals: Sequence[float], dots: Sequence[float] | None, n: int) -> dict:
        """Arguments for :func:`to_dot` at ``position``: known values, tangents, adjoints, highlight.

        In the reverse sweep every value and tangent is known (the forward sweep is over) and the
        adjoints are those updated so far.
        """
        s = self.step(max(0, min(position, len(self) - 1)))
        off = n - 1
        if s.phase == "forward":
            known = set(range(1 - n, s.row - off + 1))
            edge = None
            adjoints: dict[int, float] = {}
        else:
            known = set(range(1 - n, len(vals) - off))
            adjoints = {}
            for u in self.updates[: s.row + 1]:
                adjoints[u.target] = u.value
            edge = (s.source, s.node) if s.source is not None else None
        tangents = {i: dots[i + off] for i in known} if dots is not None else {}
        return {"known": known, "tangents": tangents, "adjoints": adjoints, "highlight": s.node,
                "highlight_edge": edge}


def walk(wl: WengertList, updates: Sequence[Update]) -> Walk:
    """Every primal step (inputs first), then every adjoint update, in the order computed."""
    return Walk(wl, list(updates))


__all__ = ["walk", "Walk", "WalkStep"]

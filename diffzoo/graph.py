"""The computational graph of a Wengert list as Graphviz DOT text, and a step-by-step walk over it.

Each input and each step is a node (``v₂ = v₋₁ · v₀``), an edge runs from every argument to the
step that uses it, and the outputs hang off the end. Nodes can carry the values known so far
(primal and tangent during the forward sweep, adjoints during the reverse sweep) and one node
(and one edge) can be highlighted, so a teacher can walk through a sweep one step at a time.
``walk`` lists those steps: every primal row in order, then every adjoint update.
Labels are escaped, so nothing in them can break out of the DOT string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .reverse import Update
from .wengert import Const, WengertList, vname

_SUB = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")
_VNAME = re.compile("v([\u0304\u0307]?)_(-?\\d+)")
HIGHLIGHT = "#f4a261"  # current node / edge
KNOWN = "#e9f5ec"  # nodes whose value is known
INPUT = "#dbe9f6"
PLAIN = "#ffffff"


def pretty(text: str) -> str:
    """``v_-1 * v_0`` -> ``v₋₁ * v₀`` (subscripts read better on a node)."""
    return _VNAME.sub(lambda m: "v" + m.group(1) + m.group(2).translate(_SUB), text)


def escape(text: str) -> str:
    """Text safe inside a double-quoted DOT string: backslashes, quotes and newlines escaped."""
    text = "".join(c if c.isprintable() or c == "\n" else "?" for c in str(text))
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def fmt(v: float) -> str:
    try:
        return f"{float(v):.6g}"
    except (TypeError, ValueError):
        return str(v)


def _node_id(i: int) -> str:
    return f"n{i}".replace("-", "m")


def to_dot(wl: WengertList, vals: Sequence[float] | None = None, highlight: int | None = None,
           known: Iterable[int] | None = None, tangents: Mapping[int, float] | None = None,
           adjoints: Mapping[int, float] | None = None, highlight_edge: tuple[int, int] | None = None,
           rankdir: str = "LR", max_steps: int = 400, output_labels: Sequence[str] | None = None,
           focus: int | None = None, radius: int = 2) -> str:
    """DOT text of the graph of ``wl``.

    ``vals`` are the primal values (``vals[i + n - 1]`` is ``v_i``); ``known`` limits which of
    them are written on nodes (all, by default). ``tangents``/``adjoints`` map a variable index
    to its tangent/adjoint known so far. ``highlight`` is the current node, ``highlight_edge``
    a (from, to) pair of variable indices. ``output_labels`` replace the names y, y_1, ... .
    ``focus`` draws only the variables within ``radius`` edges of that variable (a local view of a
    big graph); the limit ``max_steps`` then applies to what is drawn.
    """
    keep = neighbourhood(wl, focus, radius) if focus is not None else None
    if len(wl.steps) > max_steps and (keep is None or len(keep) > max_steps):
        raise ValueError(f"the graph has {len(wl.steps)} steps; at most {max_steps} are drawn")
    off = wl.n - 1
    shown = set(known) if known is not None else (set(range(1 - wl.n, len(wl.steps) + 1)) if vals else set())
    tangents, adjoints = tangents or {}, adjoints or {}
    lines = [
        "digraph G {",
        f"  rankdir={rankdir if rankdir in ('LR', 'TB') else 'LR'};",
        '  bgcolor="transparent";',
        # Streamlit's stylesheet sets svg text to 0.6rem (10.2 px at the app's font size); lay out for that size.
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10.5, margin="0.08,0.04",',
        '        fillcolor="#ffffff", penwidth=0.8];',
        '  edge [color="#555555", arrowsize=0.6, penwidth=0.9];',
        "  nodesep=0.15; ranksep=0.3;",
    ]

    def label(i: int, head: str) -> str:
        parts = [head]
        if vals is not None and i in shown:
            parts.append(f"= {fmt(vals[i + off])}")
        if i in tangents:
            parts.append(f"v̇ = {fmt(tangents[i])}")
        if i in adjoints:
            parts.append(f"v̄ = {fmt(adjoints[i])}")
        return escape("\n".join(parts))

    def fill(i: int, base: str) -> str:
        if i == highlight:
            return HIGHLIGHT
        return KNOWN if (vals is not None and i in shown and base == PLAIN) else base

    def drawn(i: int) -> bool:
        return keep is None or i in keep

    for k, name in enumerate(wl.inputs):
        i = k - off
        if not drawn(i):
            continue
        pen = ', penwidth=2' if i == highlight else ""
        lines.append(f'  {_node_id(i)} [label="{label(i, pretty(f"{vname(i)} = {name}"))}", '
                     f'fillcolor="{fill(i, INPUT)}"{pen}];')
    for st in wl.steps:
        i = st.index
        if not drawn(i):
            continue
        head = pretty(f"{vname(i)} = {wl.definition(st)}")
        pen = ', penwidth=2' if i == highlight else ""
        style = "" if st.active else ', style="rounded,filled,dashed"'
        lines.append(f'  {_node_id(i)} [label="{label(i, head)}", fillcolor="{fill(i, PLAIN)}"{pen}{style}];')
    for st in wl.steps:
        if not drawn(st.index):
            continue
        for a in st.args:
            if isinstance(a, int) and drawn(a):
                hl = highlight_edge is not None and (highlight_edge == (a, st.index) or highlight_edge == (st.index, a))
                attr = f' [color="{HIGHLIGHT}", penwidth=2.5]' if hl else ""
                lines.append(f"  {_node_id(a)} -> {_node_id(st.index)}{attr};")
    outs = list(output_labels) if output_labels is not None else wl.output_names()
    for j, (y, o) in enumerate(zip(outs, wl.outputs, strict=True)):
        if isinstance(o, int) and not drawn(o):
            continue
        text = f"{y} = {pretty(wl.operand_text(o))}"
        lines.append(f'  out{j} [label="{escape(text)}", shape=ellipse, fillcolor="#fff3c4"];')
        if not isinstance(o, Const):
            lines.append(f"  {_node_id(o)} -> out{j};")
    lines.append("}")
    return "\n".join(lines)


def neighbourhood(wl: WengertList, focus: int, radius: int = 2) -> set[int]:
    """Variables within ``radius`` edges of ``focus``, following edges either way."""
    nbrs: dict[int, set[int]] = {}
    for st in wl.steps:
        for a in st.args:
            if isinstance(a, int):
                nbrs.setdefault(a, set()).add(st.index)
                nbrs.setdefault(st.index, set()).add(a)
    seen, frontier = {focus}, {focus}
    for _ in range(radius):
        frontier = {b for a in frontier for b in nbrs.get(a, ())} - seen
        seen |= frontier
    return seen


# --- the step-by-step walk -------------------------------------------------------------------------


@dataclass(frozen=True)
class WalkStep:
    """One position of the walk: which sweep, which table row, which node, what it says."""

    phase: str  # "forward" or "reverse"
    row: int  # row of the primal/tangent table (forward) or of the adjoint table (reverse)
    node: int  # the Wengert variable computed or updated
    source: int | None  # reverse: the step whose adjoint flows back (None for the seed)
    caption: str


@dataclass
class Walk:
    """The forward sweep row by row, then the reverse sweep update by update."""

    steps: list[WalkStep] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.steps)

    def state(self, position: int, vals: Sequence[float], dots: Sequence[float] | None, n: int) -> dict:
        """Arguments for :func:`to_dot` at ``position``: known values, tangents, adjoints, highlight."""
        s = self.steps[max(0, min(position, len(self.steps) - 1))]
        off = n - 1
        if s.phase == "forward":
            known = set(range(1 - n, s.row - off + 1))
            tangents = {i: dots[i + off] for i in known} if dots is not None else {}
            adjoints: dict[int, float] = {}
            edge = None
        else:
            known = set(range(1 - n, len(vals) - off))
            tangents = {}
            adjoints = {}
            for u in self.updates[: s.row + 1]:
                adjoints[u.target] = u.value
            edge = (s.source, s.node) if s.source is not None else None
        return {"known": known, "tangents": tangents, "adjoints": adjoints, "highlight": s.node,
                "highlight_edge": edge}


def walk(wl: WengertList, updates: Sequence[Update]) -> Walk:
    """Every primal step (inputs first), then every adjoint update, in the order computed."""
    w = Walk(updates=list(updates))
    off = wl.n - 1
    for k, name in enumerate(wl.inputs):
        i = k - off
        w.steps.append(WalkStep("forward", k, i, None, pretty(f"Forward sweep: input {vname(i)} = {name}")))
    for st in wl.steps:
        w.steps.append(WalkStep("forward", st.index + off, st.index, None,
                                pretty(f"Forward sweep: {vname(st.index)} = {wl.definition(st)}")))
    for r, u in enumerate(updates):
        if u.source is None:
            cap = f"Reverse sweep: seed v̄_{u.target} with the output's adjoint"
        else:
            op = "=" if u.first else "+="
            cap = f"Reverse sweep: v̄_{u.target} {op} v̄_{u.source} · ∂v_{u.source}/∂v_{u.target}"
        w.steps.append(WalkStep("reverse", r, u.target, u.source, pretty(cap)))
    return w


__all__ = ["to_dot", "neighbourhood", "walk", "Walk", "WalkStep", "escape", "pretty"]


# --- display helpers shared by the pages -----------------------------------------------------------

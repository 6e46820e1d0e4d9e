"""The computational graph of a Wengert list as Graphviz DOT text, and a step-by-step walk over it.

Each input and each step is a node (``v₂ = v₋₁ · v₀``), an edge runs from every argument to the
step that uses it, and the outputs hang off the end. Nodes can carry the values known so far
(primal and tangent during the forward sweep, adjoints during the reverse sweep) and one node
(and one edge) can be highlighted, so a teacher can walk through a sweep one step at a time
(``walk.py`` says which node each step of the walk lights).
Labels are escaped, so nothing in them can break out of the DOT string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from .fmt import short
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


def _node_id(i: int) -> str:
    return f"n{i}".replace("-", "m")


def pretty_names(text: str, names: Iterable[str]) -> str:
    """``y_1̇ = v̇_5`` -> ``ẏ₁ = v̇₅``: the given names (the outputs ``y_1 .. y_m``) with subscripts, and their
    dot or bar over the letter rather than over the last digit; the ``v`` names as :func:`pretty` does."""
    out = pretty(text)
    subs = [n for n in names if re.fullmatch(r"[A-Za-z]+_\d+", n)]
    if not subs:
        return out
    pat = re.compile(r"(?<![\w\u0304\u0307])(" + "|".join(re.escape(n) for n in sorted(subs, key=len, reverse=True))
                     + r")([\u0304\u0307]?)(?![\w])")

    def sub(m: re.Match) -> str:
        base, _, digits = m.group(1).partition("_")
        return base[0] + m.group(2) + base[1:] + digits.translate(_SUB)

    return pat.sub(sub, out)


def _width(text: str) -> int:
    """Columns a label line takes (combining dots and bars take none)."""
    return sum(1 for c in text if c not in "\u0304\u0307")


#: columns kept for a value: ``fmt`` gives 6 significant digits (-0.958924, 1.23457e+06; a rare -1.23457e-100 spills)
VALUE_COLUMNS = 11
PLACEHOLDER = "?"
MAX_LOCAL = 40  # nodes a local view draws at most
#: Points of a node's text. The browser draws the graph at its natural size, 4/3 pixels a point (Streamlit's
#: graphviz writes its width in points), so a label is 16.7 px on screen: readable on a projector.
FONT_SIZE = 12.5


def to_dot(wl: WengertList, vals: Sequence[float] | None = None, highlight: int | None = None,
           known: Iterable[int] | None = None, tangents: Mapping[int, float] | None = None,
           adjoints: Mapping[int, float] | None = None, highlight_edge: tuple[int, int] | None = None,
           rankdir: str = "LR", max_steps: int = 400, output_labels: Sequence[str] | None = None,
           focus: int | None = None, radius: int = 2, fixed: bool = False, fan: int = 6) -> str:
    """DOT text of the graph of ``wl``.

    ``vals`` are the primal values (``vals[i + n - 1]`` is ``v_i``); ``known`` limits which of
    them are written on nodes (all, by default). ``tangents``/``adjoints`` map a variable index
    to its tangent/adjoint known so far. ``highlight`` is the current node, ``highlight_edge``
    a (from, to) pair of variable indices. ``output_labels`` replace the names y, y_1, ... .

    ``fixed``: every node always carries the same lines (value, tangent, adjoint), ``?`` for what
    is not known yet, and a fixed size, so that stepping through a sweep changes the colours and
    the numbers but never moves a node (the layout depends only on the graph and the node sizes).

    ``focus`` draws only the variables within ``radius`` edges of that variable (a local view of a
    big graph, :func:`local_view`): at most ``fan`` neighbours of each node, the others counted in a
    "+k more" node, so a variable with many uses never draws a column taller than the screen.
    Without ``focus``, a list of more than ``max_steps`` steps is refused (ValueError).
    """
    hidden: dict[int, int] = {}
    if focus is not None:
        keep, hidden = local_view(wl, focus, radius, fan)
    else:
        keep = None
        if len(wl.steps) > max_steps:
            raise ValueError(f"the graph has {len(wl.steps)} steps; at most {max_steps} are drawn")
    off = wl.n - 1
    shown = set(known) if known is not None else (set(range(1 - wl.n, len(wl.steps) + 1)) if vals else set())
    tangents, adjoints = tangents or {}, adjoints or {}
    lines = [
        "digraph G {",
        f"  rankdir={rankdir if rankdir in ('LR', 'TB') else 'LR'};",
        '  bgcolor="transparent";',
        # Laid out for FONT_SIZE; the app's stylesheet (pages/_present.py) draws svg text at that size and the
        # graph at its natural size, so a label is FONT_SIZE px on screen (Streamlit's own 10.2 px, shrunk
        # with the graph to its column, measured 6-7 px at 1024 pixels: unreadable on a projector).
        f'  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize={FONT_SIZE}, margin="0.08,0.04",',
        '        fillcolor="#ffffff", penwidth=0.8];',
        '  edge [color="#555555", arrowsize=0.6, penwidth=0.9];',
        "  nodesep=0.15; ranksep=0.3;",
    ]

    def label(i: int, head: str) -> str:
        parts = [head]
        if fixed:
            parts.append(f"= {short(vals[i + off]) if vals is not None and i in shown else PLACEHOLDER}")
            parts.append(f"v̇ = {short(tangents[i]) if i in tangents else PLACEHOLDER}")
            parts.append(f"v̄ = {short(adjoints[i]) if i in adjoints else PLACEHOLDER}")
            return escape("\n".join(parts))
        if vals is not None and i in shown:
            parts.append(f"= {short(vals[i + off])}")
        if i in tangents:
            parts.append(f"v̇ = {short(tangents[i])}")
        if i in adjoints:
            parts.append(f"v̄ = {short(adjoints[i])}")
        return escape("\n".join(parts))

    def size(head: str) -> str:
        """A fixed box for ``fixed`` labels: as wide as the head or the widest value, four lines high."""
        if not fixed:
            return ""
        cols = max(_width(head), 4 + VALUE_COLUMNS)
        k = FONT_SIZE / 10.5  # the box was measured for 10.5-point text: 0.082 in a column, 0.165 in a line
        return f", fixedsize=true, width={k * (0.16 + 0.082 * cols):.2f}, height={k * (0.1 + 4 * 0.165):.2f}"

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
        head = pretty(f"{vname(i)} = {name}")
        lines.append(f'  {_node_id(i)} [label="{label(i, head)}", fillcolor="{fill(i, INPUT)}"{pen}{size(head)}];')
    for st in wl.steps:
        i = st.index
        if not drawn(i):
            continue
        head = pretty(f"{vname(i)} = {wl.definition(st)}")
        pen = ', penwidth=2' if i == highlight else ""
        style = "" if st.active else ', style="rounded,filled,dashed"'
        lines.append(f'  {_node_id(i)} [label="{label(i, head)}", fillcolor="{fill(i, PLAIN)}"{pen}{style}'
                     f'{size(head)}];')
    for st in wl.steps:
        if not drawn(st.index):
            continue
        for a in st.args:
            if isinstance(a, int) and drawn(a):
                hl = highlight_edge is not None and (highlight_edge == (a, st.index) or highlight_edge == (st.index, a))
                attr = f' [color="{HIGHLIGHT}", penwidth=2.5]' if hl else ""
                lines.append(f"  {_node_id(a)} -> {_node_id(st.index)}{attr};")
    for i, count in sorted(hidden.items()):
        lines.append(f'  more{_node_id(i)} [label="+{count} more", shape=plaintext, style="", fontcolor="#555555"];')
        lines.append(f'  {_node_id(i)} -> more{_node_id(i)} [style=dashed, arrowhead=none, color="#999999"];')
    names = wl.output_names()
    outs = list(output_labels) if output_labels is not None else [pretty_names(y, names) for y in names]
    for j, (y, o) in enumerate(zip(outs, wl.outputs, strict=True)):
        if isinstance(o, int) and not drawn(o):
            continue
        text = f"{y} = {pretty(wl.operand_text(o))}"
        lines.append(f'  out{j} [label="{escape(text)}", shape=ellipse, fillcolor="#fff3c4"];')
        if not isinstance(o, Const):
            lines.append(f"  {_node_id(o)} -> out{j};")
    lines.append("}")
    return "\n".join(lines)


def _neighbours(wl: WengertList) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """(arguments, uses) of every variable, in step order."""
    args: dict[int, list[int]] = {}
    uses: dict[int, list[int]] = {}
    for st in wl.steps:
        for a in dict.fromkeys(a for a in st.args if isinstance(a, int)):
            args.setdefault(st.index, []).append(a)
            uses.setdefault(a, []).append(st.index)
    return args, uses


def neighbourhood(wl: WengertList, focus: int, radius: int = 2) -> set[int]:
    """Variables within ``radius`` edges of ``focus``, following edges either way (all of them)."""
    args, uses = _neighbours(wl)
    seen, frontier = {focus}, {focus}
    for _ in range(radius):
        frontier = {b for a in frontier for b in (*args.get(a, ()), *uses.get(a, ()))} - seen
        seen |= frontier
    return seen


def local_view(wl: WengertList, focus: int, radius: int = 2, fan: int = 6,
               max_nodes: int = MAX_LOCAL) -> tuple[set[int], dict[int, int]]:
    """What a local view of ``focus`` draws: (variables, {variable: neighbours left out}).

    Breadth first from ``focus``, ``radius`` edges either way; of each node's neighbours not drawn yet,
    its arguments come first, then its uses nearest to ``focus`` in the list, at most ``fan`` of them
    (and nothing past ``max_nodes`` in all). The left-out ones are counted, for a "+k more" node.
    """
    args, uses = _neighbours(wl)
    seen, frontier, expanded = {focus}, [focus], []
    for _ in range(radius):
        nxt: list[int] = []
        for a in frontier:
            cand = [b for b in args.get(a, []) if b not in seen]
            cand += sorted((b for b in uses.get(a, []) if b not in seen), key=lambda b: (abs(b - focus), b))
            take = cand[:max(0, min(fan, max_nodes - len(seen)))]
            seen.update(take)
            nxt += take
            expanded.append(a)
        frontier = nxt
    hidden = {a: n for a in expanded
              if (n := sum(b not in seen for b in (*args.get(a, ()), *uses.get(a, ())))) > 0}
    return seen, hidden


__all__ = ["to_dot", "neighbourhood", "local_view", "escape", "pretty", "pretty_names"]


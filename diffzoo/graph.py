"""The computational graph of a Wengert list as Graphviz DOT text, and a step-by-step walk over it.

Each input and each step is a node (``v₂ = v₋₁ · v₀``), an edge runs from every argument to the
step that uses it, and the outputs hang off the end. Nodes can carry the values known so far
(primal and tangent during the forward sweep, adjoints during the reverse sweep) and one node
(and one edge) can be highlighted, so a teacher can walk through a sweep one step at a time
(``walk.py`` says which node each step of the walk lights).
Labels are escaped, so nothing in them can break out of the DOT string.

For slides, :func:`export` draws the same DOT text as SVG or PNG with diffzoo's own layered layout
(:func:`layout`: layers by longest path from the inputs, barycentre ordering), as no ``dot`` is needed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .fmt import short
from .wengert import Const, WengertList, vname

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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


# --- the graph for slides: diffzoo's own layered layout, drawn with matplotlib ---------------------------
# The page's graph is laid out in the browser (Streamlit's graphviz_chart); the server has no `dot`, so the
# SVG and PNG downloads read the same DOT text back (only what to_dot writes) and lay it out themselves:
# layers by the longest path from the inputs, long edges through dummy points, the order within a layer by
# the barycentre of the neighbours in the layer before (then after), a few sweeps each way.

_STMT = re.compile(r'^\s*(\w+)(?:\s*->\s*(\w+))?\s*(?:\[(.*)\])?\s*;\s*$')
_ATTR = re.compile(r'(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s\]]+)')
_NOT_NODES = {"node", "edge", "graph", "rankdir", "bgcolor", "nodesep", "ranksep"}
EDGE = "#555555"
PNG_DPI = 144  # a 12.5-point label is 25 px in the PNG (at least 16 asked for)
SWEEPS = 4
MARGIN = 6.0  # points around the drawing


@dataclass(frozen=True)
class Node:
    """A node as to_dot writes it: its label (lines), fill, outline width, dashed outline, shape."""

    id: str
    label: str
    fill: str = PLAIN
    pen: float = 0.8
    dashed: bool = False
    shape: str = "box"  # box, ellipse or plaintext
    color: str = "#000000"  # text colour
    width: float = 0.0  # inches, when fixed (0: as wide as the label)
    height: float = 0.0


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    color: str = EDGE
    pen: float = 0.9
    dashed: bool = False
    arrow: bool = True


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    rankdir: str = "LR"


def _unquote(value: str) -> str:
    if not value.startswith('"'):
        return value
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value[1:-1])


def parse_dot(dot: str) -> Graph:
    """The nodes and edges of DOT text that :func:`to_dot` wrote (one statement a line), with their looks."""
    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    rankdir = "TB" if "rankdir=TB" in dot else "LR"
    for line in dot.splitlines():
        m = _STMT.match(line)
        if not m or m.group(1) in _NOT_NODES:
            continue
        a = {k: _unquote(v) for k, v in _ATTR.findall(m.group(3) or "")}
        dashed = "dashed" in a.get("style", "")
        if m.group(2):
            edges.append(Edge(m.group(1), m.group(2), a.get("color", EDGE), float(a.get("penwidth", 0.9)), dashed,
                              a.get("arrowhead") != "none"))
        else:
            shape = a.get("shape", "box")
            nodes[m.group(1)] = Node(m.group(1), a.get("label", m.group(1)),
                                     a.get("fillcolor", PLAIN) if shape != "plaintext" else "none",
                                     float(a.get("penwidth", 0.8)), dashed, shape, a.get("fontcolor", "#000000"),
                                     float(a.get("width", 0)), float(a.get("height", 0)))
    for e in edges:  # an edge's ends are nodes even when not declared
        for n in (e.src, e.dst):
            nodes.setdefault(n, Node(n, n))
    return Graph(tuple(nodes.values()), tuple(edges), rankdir)


@dataclass(frozen=True)
class Layout:
    """Where everything goes, in points: node boxes (x, y of the centre, width, height), edges as polylines."""

    graph: Graph
    boxes: dict[str, tuple[float, float, float, float]]
    paths: tuple[tuple[tuple[float, float], ...], ...]  # one per edge, in graph.edges' order
    size: tuple[float, float]


def _text_size(label: str, size: float) -> tuple[float, float]:
    """Width and height in points of a (multi-line) label at ``size`` points, measured by matplotlib."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family="DejaVu Sans", size=size)
    lines = label.split("\n")
    width = max(TextToPath().get_text_width_height_descent(t or " ", prop, ismath=False)[0] for t in lines)
    return width, len(lines) * size * LINE_SPACING


LINE_SPACING = 1.25
PAD = (7.0, 4.0)  # points around a label
GAP = (36.0, 12.0)  # points between layers, and between nodes in a layer


def layers(g: Graph) -> dict[str, int]:
    """Each node's layer: the longest path to it from a node with no incoming edge."""
    into: dict[str, list[str]] = {n.id: [] for n in g.nodes}
    for e in g.edges:
        into[e.dst].append(e.src)
    depth: dict[str, int] = {}

    def d(n: str) -> int:  # iterative: a 60-step chain is no problem, a 400-step one neither
        stack = [n]
        while stack:
            top = stack[-1]
            todo = [p for p in into[top] if p not in depth]
            if todo:
                stack.extend(todo)
                continue
            stack.pop()
            depth[top] = 1 + max((depth[p] for p in into[top]), default=-1)
        return depth[n]

    for n in g.nodes:
        d(n.id)
    return depth


def layout(g: Graph, size: float = FONT_SIZE, sweeps: int = SWEEPS) -> Layout:
    """A layered layout of ``g`` (see above); no two node boxes overlap (each layer is a column of boxes
    stacked with a gap, the columns side by side)."""
    depth = layers(g)
    dims: dict[str, tuple[float, float]] = {}
    for n in g.nodes:
        w, h = _text_size(n.label, size)
        w, h = w + 2 * PAD[0], h + 2 * PAD[1]
        if n.shape == "ellipse":
            w, h = w * 1.3, h * 1.3
        dims[n.id] = (max(w, n.width * 72), max(h, n.height * 72))
    # long edges pass through a dummy point in every layer between their ends
    chains: list[list[str]] = []
    for k, e in enumerate(g.edges):
        chain = [e.src]
        for layer in range(depth[e.src] + 1, depth[e.dst]):
            dummy = f"\0{k}.{layer}"
            depth[dummy], dims[dummy] = layer, (4.0, 4.0)
            chain.append(dummy)
        chains.append([*chain, e.dst])
    rows: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for n in depth:  # nodes in the order given (inputs, then steps): a good first order
        rows[depth[n]].append(n)
    up: dict[str, list[str]] = {n: [] for n in depth}
    down: dict[str, list[str]] = {n: [] for n in depth}
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            up[b].append(a)
            down[a].append(b)

    def reorder(row: list[str], near: dict[str, list[str]], where: dict[str, float]) -> list[str]:
        def key(n: str) -> float:
            ps = [where[p] for p in near[n] if p in where]
            return sum(ps) / len(ps) if ps else where.get(n, row.index(n))
        return sorted(row, key=key)

    def positions() -> dict[str, float]:
        return {n: float(i) for row in rows for i, n in enumerate(row)}

    for _ in range(sweeps):
        for i in range(1, len(rows)):
            rows[i] = reorder(rows[i], up, positions())
        for i in range(len(rows) - 2, -1, -1):
            rows[i] = reorder(rows[i], down, positions())
    # coordinates: along the layers (x for LR), across them (y for LR); each layer centred
    horizontal = g.rankdir == "LR"
    along = [max((dims[n][0 if horizontal else 1] for n in row), default=0) for row in rows]
    centre: dict[str, tuple[float, float]] = {}
    extent = max((sum(dims[n][1 if horizontal else 0] for n in row) + GAP[1] * (len(row) - 1) for row in rows),
                 default=0)
    at = 0.0
    for row, a in zip(rows, along):
        across = [dims[n][1 if horizontal else 0] for n in row]
        pos = (extent - sum(across) - GAP[1] * (len(row) - 1)) / 2
        for n, c in zip(row, across):
            centre[n] = (at + a / 2, pos + c / 2)
            pos += c + GAP[1]
        at += a + GAP[0]
    length = at - GAP[0]

    def point(n: str) -> tuple[float, float]:
        u, v = centre[n]  # flipped so that layer 0 is on the left (LR) or at the top (TB), first node first
        return (u, extent - v) if horizontal else (v, length - u)

    boxes = {n.id: (*point(n.id), *dims[n.id]) for n in g.nodes}
    paths = tuple(tuple(point(n) for n in chain) for chain in chains)
    return Layout(g, boxes, paths, (length, extent) if horizontal else (extent, length))


#: The dark theme as the page draws it: colours inverted, then hues turned back (CSS invert(1) hue-rotate(180deg)).
_HUE_180 = ((-0.574, 1.43, 0.144), (0.426, 0.43, 0.144), (0.426, 1.43, -0.856))


def dark(colour: str) -> str:
    """``colour`` (#rrggbb) as the dark theme shows it: ``#ffffff`` -> ``#000000``, orange stays orange-ish."""
    if not colour.startswith("#") or len(colour) != 7:
        return colour
    inv = [1 - int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    out = [min(1.0, max(0.0, sum(m * c for m, c in zip(row, inv)))) for row in _HUE_180]
    return "#" + "".join(f"{round(c * 255):02x}" for c in out)


def _clip(box: tuple[float, float, float, float], toward: tuple[float, float], ellipse: bool) -> tuple[float, float]:
    """Where the line from a box's centre toward a point leaves the box (or the ellipse in it)."""
    x, y, w, h = box
    dx, dy = toward[0] - x, toward[1] - y
    if dx == dy == 0:
        return x, y
    if ellipse:
        t = 1 / math.hypot(dx / (w / 2), dy / (h / 2))
    else:
        t = min(w / 2 / abs(dx) if dx else math.inf, h / 2 / abs(dy) if dy else math.inf)
    return x + t * dx, y + t * dy


def figure(lay: Layout, theme: str = "light", size: float = FONT_SIZE) -> Figure:
    """The laid-out graph as a matplotlib figure, one point a point (``theme="dark"``: as the dark page)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Ellipse, FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    paint = dark if theme == "dark" else (lambda c: c)
    margin = MARGIN
    w, h = lay.size[0] + 2 * margin, lay.size[1] + 2 * margin
    fig = Figure(figsize=(w / 72, h / 72))
    fig.patch.set_facecolor(paint("#ffffff"))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-margin, lay.size[0] + margin)
    ax.set_ylim(-margin, lay.size[1] + margin)
    ax.set_axis_off()
    nodes = {n.id: n for n in lay.graph.nodes}
    for e, pts in zip(lay.graph.edges, lay.paths):
        a, b = lay.boxes[e.src], lay.boxes[e.dst]
        pts = [_clip(a, pts[1], nodes[e.src].shape == "ellipse"), *pts[1:-1],
               _clip(b, pts[-2], nodes[e.dst].shape == "ellipse")]
        codes = [Path.MOVETO] + [Path.LINETO] * (len(pts) - 1)
        ax.add_patch(FancyArrowPatch(path=Path(pts, codes), arrowstyle="-|>,head_length=5,head_width=3" if e.arrow
                                     else "-", color=paint(e.color), lw=e.pen, linestyle="--" if e.dashed else "-",
                                     shrinkA=0, shrinkB=0, zorder=1))
    for n in lay.graph.nodes:
        x, y, bw, bh = lay.boxes[n.id]
        style = dict(facecolor=paint(n.fill) if n.fill != "none" else "none", edgecolor=paint("#000000"),
                     lw=n.pen, linestyle="--" if n.dashed else "-", zorder=2)
        if n.shape == "ellipse":
            ax.add_patch(Ellipse((x, y), bw, bh, **style))
        elif n.shape == "box":
            ax.add_patch(FancyBboxPatch((x - bw / 2, y - bh / 2), bw, bh, boxstyle="round,pad=0,rounding_size=4",
                                        **style))
        ax.text(x, y, n.label, ha="center", va="center", fontsize=size, family="DejaVu Sans",
                linespacing=LINE_SPACING, color=paint(n.color), zorder=3)
    return fig


def export(dot: str, fmt: str = "svg", theme: str = "light") -> bytes:
    """The graph of ``dot`` (as :func:`to_dot` writes it) in diffzoo's own layout, as SVG (text kept as text)
    or PNG (:data:`PNG_DPI`: a label is 25 px)."""
    import io

    import matplotlib

    if fmt not in ("svg", "png"):
        raise ValueError(f"a graph is exported as svg or png, not {fmt!r}")
    fig = figure(layout(parse_dot(dot)), theme)
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, facecolor=fig.get_facecolor())
    return buf.getvalue()


__all__ = ["to_dot", "neighbourhood", "local_view", "escape", "pretty", "pretty_names", "parse_dot", "layout",
           "export", "Graph", "Node", "Edge", "Layout"]


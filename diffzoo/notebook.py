"""diffzoo in Jupyter: a ``Result``, a trace, a trace table and a ``Function`` drawn as HTML tables.

``dz.differentiate(...)`` as the last line of a cell shows the method, the point, the value and the
derivatives, the warnings, and the trace tables (the survey's Tables 2 and 3 for forward and reverse
mode). The classes' ``_repr_html_`` methods are one call each into :func:`to_html`; everything here is
written from the existing exports (``TraceTable.frame``, ``WengertList.to_text``, :mod:`diffzoo.fmt`),
and every piece of text is HTML-escaped, so a name never becomes markup.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from . import fmt
from .graph import pretty

MAX_ROWS = 60  # rows of a table shown in a notebook; the exports (to_csv, to_latex) have them all
DIGITS = 12
_STYLE = ("<style>.diffzoo table {border-collapse: collapse; margin: 0.3em 0 0.8em 0; font-variant-numeric: "
          "tabular-nums} .diffzoo th, .diffzoo td {padding: 0.15em 0.7em; text-align: left; border-bottom: 1px solid "
          "#ddd} .diffzoo caption {text-align: left; font-weight: bold} .diffzoo .warn {color: #b45309}</style>")


def _e(text: Any, outs: Sequence[str] = ()) -> str:
    """Text as HTML, escaped; Wengert names and the outputs with subscripts (``v_-1`` -> ``v₋₁``, ``ẏ_1`` -> ``ẏ₁``)."""
    from .views import shown_names

    return html.escape(shown_names(pretty(str(text)), outs))


def _value(v: Any) -> str:
    return html.escape(fmt.short(v, DIGITS, missing="—") if isinstance(v, float) else str(v))


def table(columns: list[str], rows: list[list[Any]], caption: str = "", total: int | None = None,
          outs: Sequence[str] = ()) -> str:
    """An HTML table (text escaped, floats to 12 significant digits), at most :data:`MAX_ROWS` rows."""
    total = len(rows) if total is None else total
    head = "".join(f"<th>{_e(c, outs)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_value(v) if isinstance(v, float) else _e(v, outs)}</td>"
                                    for v in row) + "</tr>" for row in rows[:MAX_ROWS])
    more = (f'<tr><td colspan="{len(columns)}">… {total - MAX_ROWS} more rows (to_csv() has them all)</td></tr>'
            if total > MAX_ROWS else "")
    cap = f"<caption>{_e(caption, outs)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}{more}</tbody></table>"


def table_html(t: Any, outs: Sequence[str] = ()) -> str:
    """A :class:`~diffzoo.traces.TraceTable` as an HTML table (``outs``: the output names, written y₁)."""
    df = t.frame()
    rows = [list(r) for r in df.head(MAX_ROWS).itertuples(index=False)]
    return table(list(df.columns), rows, t.title, len(df), outs)


def _outputs(trace: Any) -> list[str]:
    wl = getattr(trace, "wl", None) or getattr(getattr(trace, "function", None), "wengert", None)
    return wl.output_names() if wl is not None else []


def trace_html(trace: Any) -> str:
    """Every table of a method's trace (primal, tangents, adjoints; or estimates, or derivatives)."""
    outs = _outputs(trace)
    return "".join(table_html(t, outs) for t in trace.tables().values())


def function_html(f: Any) -> str:
    """A parsed function: its text, variables and outputs, and its Wengert list."""
    wl = f.wengert
    lines = [line.split(" = ", 1) for line in wl.to_text().split("\n")]
    head = (f"<p><b>f</b> = <code>{html.escape(f.text)}</code>: {f.n} variable{'s' * (f.n != 1)} "
            f"({_e(', '.join(f.variables))}), {f.m} output{'s' * (f.m != 1)}, {len(wl.steps)} steps</p>")
    return head + table(["variable", "definition"], lines, "Wengert list", outs=wl.output_names())


def result_html(r: Any) -> str:
    """A :class:`~diffzoo.api.Result`: method, point, value and derivatives, warnings, cost, then its trace."""
    names = r.function.wengert.output_names()
    point = ", ".join(f"{v} = {fmt.exact(x)}" for v, x in zip(r.function.variables, r.x))
    parts = [f"<p><b>{_e(r.method)}</b>: f = <code>{html.escape(r.function.text)}</code> at {_e(point)}</p>"]
    values = r.value if isinstance(r.value, list) else [r.value]
    rows = [[y, float(v)] + [float(d) for d in r.jacobian[j]] for j, (y, v) in enumerate(zip(names, values))]
    parts.append(table(["output", "value"] + [f"∂/∂{x}" for x in r.function.variables], rows, "Value and Jacobian",
                       outs=names))
    parts += [f'<p class="warn">⚠ {_e(w)}</p>' for w in r.warnings]
    c = r.cost
    parts.append(f"<p>Cost: {_n(c.passes, 'pass')}, {_n(c.primitive_evals, 'primitive evaluation')}, "
                 f"{_n(c.derivative_evals, 'partial')}, {_n(c.function_evals, 'evaluation')} of f.</p>")
    try:
        parts.append(trace_html(r.trace))
    except (ValueError, ArithmeticError) as exc:  # the numbers above stand; only their explanation is missing
        parts.append(f"<p>The trace is not available here: {_e(exc)}</p>")
    return "".join(parts)


def _n(k: int, word: str) -> str:
    return f"{k} {word}" + ("" if k == 1 else "es" if word.endswith("s") else "s")


def to_html(obj: Any) -> str:
    """The HTML a notebook shows for a Result, a trace, a trace table or a Function."""
    from .api import Result, Trace
    from .parse import Function
    from .traces import TraceTable

    if isinstance(obj, Result):
        inner = result_html(obj)
    elif isinstance(obj, Trace):
        inner = trace_html(obj)
    elif isinstance(obj, TraceTable):
        inner = table_html(obj)
    elif isinstance(obj, Function):
        inner = function_html(obj)
    else:
        raise TypeError(f"diffzoo.notebook cannot draw a {type(obj).__name__}")
    return f'<div class="diffzoo">{_STYLE}{inner}</div>'


__all__ = ["to_html", "result_html", "trace_html", "table_html", "function_html", "table"]

"""Traces as tables: one shape (variable, rule, value) for the primal, tangent and adjoint sweeps.

Rules are rendered from the same primitive table the sweeps compute with: the partial
``∂v_k/∂v_j`` is the table's rule applied to expression builders over the names ``v_i``, so
``v̇_2 = v̇_-1 * v_0 + v̇_0 * v_-1`` is what the product rule in the table says, not a copy of it.
Tables export as pandas DataFrames, Markdown, LaTeX and CSV; :func:`seed_label` names a trace's seed and
:func:`list_latex` writes the Wengert list itself as mathematics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import fmt
from .backends import EXPRESSIONS
from .expr import Expr, _lift, latex_name, to_latex, to_text, var
from .reverse import Update
from .wengert import Step, WengertList, vlatex, vname

DOT, BAR = "\u0307", "\u0304"


@dataclass(frozen=True)
class Row:
    """One line of a trace."""

    name: str  # v_2, v̇_2, v̄_0
    rule: str  # v_-1 * v_0, v̇_-1 * v_0 + v̇_0 * v_-1, v̄_0 + v̄_2 * v_-1
    value: float
    node: int  # the Wengert variable the row is about (for highlighting)
    name_latex: str = ""
    rule_latex: str = ""
    generic: str = ""  # adjoint rows: the rule with its partial unevaluated, v̄_2 * ∂v_2/∂v_0


@dataclass
class TraceTable:
    """A titled list of rows with exports."""

    title: str
    rows: list[Row] = field(default_factory=list)

    def frame(self) -> pd.DataFrame:
        cols = {"variable": [r.name for r in self.rows], "rule": [r.rule for r in self.rows],
                "value": [r.value for r in self.rows]}
        if any(r.generic for r in self.rows):
            steps = [str(i + 1) if r.generic != "result" else "result" for i, r in enumerate(self.rows)]
            cols = {"step": steps, "variable": cols["variable"],
                    "chain rule": [r.generic if r.generic != "result" else "" for r in self.rows],
                    "rule": cols["rule"], "value": cols["value"]}
        return pd.DataFrame(cols)

    def to_markdown(self) -> str:
        df = self.frame()
        return fmt.markdown_table(list(df.columns), list(df.itertuples(index=False)), self.title)

    def to_latex(self) -> str:
        """An ``array`` for maths mode, ASCII only (the title's ȳ as \\bar{y}), so that pdflatex compiles it."""
        lines = [r"\begin{array}{lll}", rf"\multicolumn{{3}}{{l}}{{\text{{{fmt.latex_text(self.title)}}}}} \\ \hline"]
        for r in self.rows:
            lines.append(rf"{r.name_latex} &= {r.rule_latex} &= {fmt.latex_number(r.value)} \\")
        lines.append(r"\end{array}")
        return "\n".join(lines)

    def latex_document(self) -> str:
        """The table as a whole LaTeX document, as downloaded: plain ``pdflatex`` compiles it."""
        return fmt.document(rf"\[ {self.to_latex()} \]")

    def to_csv(self) -> str:
        return self.frame().to_csv(index=False)

    def __len__(self) -> int:
        return len(self.rows)

    def _repr_html_(self) -> str:  # how Jupyter shows it: diffzoo/notebook.py
        from .notebook import to_html
        return to_html(self)


_num = fmt.exact


# --- partials as expressions over the Wengert names ---------------------------------------------


def _operand_expr(a: Any) -> Expr:
    return var(vname(a)) if isinstance(a, int) else Expr("const", value=a.value, name=a.name)


def partial_expr(wl: WengertList, st: Step, j: int) -> Expr:
    """``∂v_k/∂(argument j)`` as the table's rule over named variables (``cos v_0``, ``v_-1``)."""
    args = [_operand_expr(a) for a in st.args]
    return st.prim.partials[j](EXPRESSIONS, var(vname(st.index)), *args)


def partial_text(wl: WengertList, st: Step, j: int) -> str:
    return to_text(_lift(partial_expr(wl, st, j)), compact_calls=True)


def _times(name: str, p: Expr, latex: bool) -> str:
    """``name · p`` as the survey writes it: ``v̄_1 / v_-1`` for ∂ = 1/v, ``v̄_5 * (-1)``."""
    if p.op == "div" and p.args[0].op == "const" and p.args[0].value == 1:
        den = p.args[1]
        if latex:
            return rf"\frac{{{name}}}{{{to_latex(den)}}}"
        d = to_text(den, compact_calls=True)
        return f"{name} / {d if den.op in ('var', 'const') else '(' + d + ')'}"
    if latex:
        s = to_latex(p)
        wrap = p.op in ("add", "sub", "neg") or (p.op == "const" and p.value < 0)
        return rf"{name} \cdot " + (rf"\left({s}\right)" if wrap else s)
    s = to_text(p, compact_calls=True)
    wrap = p.op in ("add", "sub", "neg") or (p.op == "const" and p.value < 0)
    return f"{name} * " + (f"({s})" if wrap else s)


def _lifted(wl: WengertList, st: Step, j: int) -> Expr:
    return _lift(partial_expr(wl, st, j))


# --- the three tables ----------------------------------------------------------------------------


def primal_table(wl: WengertList, vals: Sequence[float]) -> TraceTable:
    off = wl.n - 1
    t = TraceTable("Primal trace")
    for i, name in enumerate(wl.inputs):
        k = i - off
        t.rows.append(Row(vname(k), name, vals[i], k, vlatex(k), latex_name(name)))
    for st in wl.steps:
        t.rows.append(Row(vname(st.index), wl.definition(st), vals[st.index + off], st.index,
                          vlatex(st.index), wl.definition_latex(st)))
    for y, o in zip(wl.output_names(), wl.outputs):
        val = vals[o + off] if isinstance(o, int) else o.value
        node = o if isinstance(o, int) else 0
        t.rows.append(Row(y, wl.operand_text(o), val, node, latex_name(y),
                          vlatex(o) if isinstance(o, int) else wl.operand_text(o)))
    return t


def tangent_rule(wl: WengertList, st: Step, latex: bool = False) -> str:
    """``v̇_-1 * v_0 + v̇_0 * v_-1``: the step's tangent from the table's partials."""
    terms: list[tuple[str, str]] = []
    for j, a in enumerate(st.args):
        if not isinstance(a, int) or (a > 0 and not wl.steps[a - 1].active):
            continue
        name = rf"\dot{{v}}_{{{a}}}" if latex else f"v{DOT}_{a}"
        p = _lifted(wl, st, j)
        if p.op == "const" and p.value == 0:
            continue
        if p.op == "const" and p.value in (1, -1):
            terms.append(("+" if p.value == 1 else "-", name))
        elif p.op == "neg":
            terms.append(("-", _times(name, p.args[0], latex)))
        else:
            terms.append(("+", _times(name, p, latex)))
    if not terms:
        return "0"
    first_sign, first = terms[0]
    out = ("-" if first_sign == "-" else "") + first
    for sign, term in terms[1:]:
        out += f" {sign} {term}"
    return out


def tangent_rules(wl: WengertList) -> list[tuple[str, str]]:
    """(text, LaTeX) of every step's tangent rule: the same for every seed, so computed once and kept on the list
    (rebuilt if its steps are replaced)."""
    kept = wl.__dict__.get("_tangent_rules")
    if kept is not None and kept[0] is wl.steps:
        return kept[1]
    rules = [(tangent_rule(wl, st), tangent_rule(wl, st, latex=True)) for st in wl.steps]
    wl.__dict__["_tangent_rules"] = (wl.steps, rules)
    return rules


def tangent_table(wl: WengertList, vals: Sequence[float], dots: Sequence[float],
                  rules: Sequence[tuple[str, str]] | None = None) -> TraceTable:
    rules = tangent_rules(wl) if rules is None else rules
    off = wl.n - 1
    t = TraceTable("Tangent trace")
    for i, name in enumerate(wl.inputs):
        k = i - off
        t.rows.append(Row(f"v{DOT}_{k}", f"{name[0]}{DOT}{name[1:]}", dots[i], k, rf"\dot{{v}}_{{{k}}}",
                          rf"\dot{{{latex_name(name)}}}"))
    for st, (rule, rule_latex) in zip(wl.steps, rules):
        t.rows.append(Row(f"v{DOT}_{st.index}", rule, dots[st.index + off], st.index,
                          rf"\dot{{v}}_{{{st.index}}}", rule_latex))
    for y, o in zip(wl.output_names(), wl.outputs):
        val = dots[o + off] if isinstance(o, int) else 0.0
        rule = f"v{DOT}_{o}" if isinstance(o, int) else "0"
        t.rows.append(Row(f"{y}{DOT}", rule, val, o if isinstance(o, int) else 0,
                          rf"\dot{{{latex_name(y)}}}", rf"\dot{{v}}_{{{o}}}" if isinstance(o, int) else "0"))
    return t


def adjoint_table(wl: WengertList, updates: Sequence[Update], bar: Sequence[float] | None = None,
                  ybar_names: Sequence[str] | None = None) -> TraceTable:
    """Every adjoint update in the order computed (the survey's Table 3, read top-down).

    With the final adjoints ``bar``, rows ``x̄1 = v̄_-1`` close the table: the gradient read off.
    """
    t = TraceTable("Adjoint trace")
    ys = list(ybar_names or [f"{y[0]}{BAR}{y[1:]}" for y in wl.output_names()])
    for u in updates:
        tgt = f"v{BAR}_{u.target}"
        tgt_l = rf"\bar{{v}}_{{{u.target}}}"
        acc, acc_l = (f"{tgt} + ", f"{tgt_l} + ") if not u.first else ("", "")
        if u.source is None:
            rule = f"{acc}{ys[u.arg]}"
            latex = acc_l + rf"\bar{{{latex_name(wl.output_names()[u.arg])}}}"
            t.rows.append(Row(tgt, rule, u.value, u.target, tgt_l, latex, f"{rule} = {_num(u.partial)}"))
            continue
        st = wl.steps[u.source - 1]
        src, src_l = f"v{BAR}_{u.source}", rf"\bar{{v}}_{{{u.source}}}"
        p = _lifted(wl, st, u.arg)
        generic = f"{acc}{src} * ∂{vname(u.source)}/∂{vname(u.target)}"
        t.rows.append(Row(tgt, acc + _times(src, p, False), u.value, u.target, tgt_l,
                          acc_l + _times(src_l, p, True), generic))
    off = wl.n - 1
    for i, name in enumerate(wl.inputs if bar is not None else ()):
        k = i - off
        t.rows.append(Row(f"{name[0]}{BAR}{name[1:]}", f"v{BAR}_{k}", bar[i], k, rf"\bar{{{latex_name(name)}}}",
                          rf"\bar{{v}}_{{{k}}}", "result"))
    return t


def seed_label(names: Sequence[str], seed: Sequence[float], bar: bool = False, brief: bool = False) -> str:
    """A trace's seed: ``(ẋ1=1, ẋ2=0)``, or with ``bar`` ``(ȳ=1)``.

    ``brief`` keeps a title short for more than three names: ``all 1``, ``ẋ3 = 1, others 0``.
    """
    mark = BAR if bar else DOT
    if brief and len(names) > 3:
        ones = [n for n, s in zip(names, seed, strict=True) if s == 1]
        if len(ones) == len(names):
            return "all 1"
        if len(ones) == 1 and all(s in (0, 1) for s in seed):
            return f"{ones[0][0]}{mark}{ones[0][1:]} = 1, others 0"
    parts = [f"{n[0]}{mark}{n[1:]}={float(s):g}" for n, s in zip(names, seed)]
    return "(" + ", ".join(parts) + ")"


def list_latex(wl: WengertList) -> str:
    """The Wengert list as an ``aligned`` block: ``v_{-1} &= x_{1}``, then one line per step."""
    rows = [rf"{vlatex(i + 1 - wl.n)} &= {latex_name(name)}" for i, name in enumerate(wl.inputs)]
    rows += [rf"{vlatex(st.index)} &= {wl.definition_latex(st)}" for st in wl.steps]
    return r"\begin{aligned}" + r"\\ ".join(rows) + r"\end{aligned}"


__all__ = ["Row", "TraceTable", "seed_label", "list_latex", "primal_table", "tangent_table", "adjoint_table",
           "tangent_rule", "partial_expr", "partial_text"]

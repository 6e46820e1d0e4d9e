"""How numbers, names and tables are written: exactly, briefly, in Markdown, and in LaTeX that compiles.

One place for it, so that a trace, a comparison and an error message write 1e+20 the same way
(never as twenty-one digits), and every LaTeX download is plain ASCII that ``pdflatex`` accepts:
``ȳ`` becomes ``\\bar{y}``, ``∂y/∂x1`` becomes ``\\partial y/\\partial x_{1}``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

#: Integral values below this are written without a point or an exponent (2, not 2.0 or 2e+00).
_INTEGRAL = 1e15


def exact(v: Any) -> str:
    """The shortest text that reads back as the same float: ``2``, ``0.1``, ``1e+20``, ``-3.5e-300``."""
    try:
        x = float(v)
    except (TypeError, ValueError, OverflowError):
        return str(v)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == int(x) and abs(x) < _INTEGRAL:
        return str(int(x))
    return repr(x)


def short(v: Any, digits: int = 6, missing: str | None = None) -> str:
    """A number in a sentence or a table: ``digits`` significant digits (``1.71634``, ``2.7e+205``);
    nan as ``missing`` when given (a table's "—" for no value)."""
    try:
        x = float(v)
    except (TypeError, ValueError, OverflowError):
        return str(v)
    return missing if missing is not None and math.isnan(x) else f"{x:.{digits}g}"


def fitting(v: Any, width: int = 9) -> str:
    """A number in a box ``width`` characters wide: as many significant digits as fit (at least 3)."""
    text = str(v)
    for digits in (12, 9, 7, 5, 3):
        text = short(v, digits, missing="—")
        if len(text) <= width:
            break
    return text


def sci(v: Any, digits: int = 2) -> str:
    """A step or an error: ``1.23e-08``; nan (no value) as a dash."""
    try:
        x = float(v)
    except (TypeError, ValueError, OverflowError):
        return "–"
    return "–" if math.isnan(x) else f"{x:.{digits}e}"


def latex_number(v: Any, digits: int | None = None) -> str:
    """A number in LaTeX: ``1.5 \\times 10^{20}``, ``\\infty``, ``\\text{nan}``."""
    text = exact(v) if digits is None else short(v, digits)
    if text in ("nan", "inf", "-inf"):
        return {"nan": r"\text{nan}", "inf": r"\infty", "-inf": r"-\infty"}[text]
    mantissa, e, power = text.partition("e")
    if not e:
        return text
    return rf"{mantissa} \times 10^{{{int(power)}}}"


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "sigma", "tau", "phi",
          "omega", "eta", "kappa", "rho", "xi", "zeta", "nu", "chi", "psi"}
_NAME = re.compile(r"([A-Za-z]+?)(?:_?(-?\d+)|_([A-Za-z0-9]+))?")
_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "_": r"\_", "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_name(name: str) -> str:
    """``x1`` -> ``x_{1}``, ``v_-1`` -> ``v_{-1}``, ``theta`` -> ``\\theta``, ``w_max`` -> ``w_{max}``.

    A name of another shape (``x_1_``, ``x_``, ``a_b_c``) is written whole and upright, its
    underscores escaped (``\\mathrm{x\\_}``): never as another name (``x``) or the constant ``e``,
    and never as LaTeX that KaTeX or pdflatex cannot read.
    """
    m = _NAME.fullmatch(name)
    if m is None:
        return r"\mathrm{" + "".join(_LATEX_SPECIAL.get(c, c) for c in name) + "}"
    base, num, sub = m.groups()
    if base in _GREEK:
        base = "\\" + base
    elif len(base) > 1:
        base = rf"\mathrm{{{base}}}"
    sub = num if num is not None else sub
    return f"{base}_{{{sub}}}" if sub else base


_MARKS = {"\u0304": r"\bar", "\u0307": r"\dot"}
_SUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉₋", "0123456789-")
_MATH = {"∂": r"\partial ", "π": r"\pi ", "σ": r"\sigma ", "ε": r"\varepsilon ", "·": r"\cdot ", "×": r"\times ",
         "−": "-", "…": r"\ldots ", "→": r"\to ", "≤": r"\le ", "≥": r"\ge ", "√": r"\surd ", "′": "'",
         "″": "''", "‴": "'''", "∑": r"\sum "}
_WORD = re.compile(r"(?:∂)?[A-Za-z][A-Za-z0-9_\u0304\u0307₀-₉₋]*|[^\x00-\x7f]")


def latex_text(text: str) -> str:
    """Text with names such as ``ȳ``, ``ẋ1``, ``∂y/∂x2`` and ``v̄₋₁`` as LaTeX that pdflatex reads: ASCII only.

    Plain words stay text (special characters escaped); a name that carries a dot, a bar, a
    subscript or a ∂ becomes inline maths. Any other non-ASCII character becomes ``?``.
    """
    text = unicodedata.normalize("NFD", text)  # ȳ as y + combining macron
    out = []
    pos = 0
    for m in _WORD.finditer(text):
        out.append(_escape(text[pos: m.start()]))
        word = m.group()
        pos = m.end()
        if word.isascii():
            out.append(_escape(word))
            continue
        math_form = _math_word(word)
        out.append(f"${math_form}$" if math_form is not None else "?")
    out.append(_escape(text[pos:]))
    return "".join(out)


def _escape(s: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in s)


def _math_word(word: str) -> str | None:
    """``ȳ`` -> ``\\bar{y}``, ``ẋ1`` -> ``\\dot{x}_{1}``, ``∂y`` -> ``\\partial y``; None if unknown."""
    if word in _MATH:
        return _MATH[word].strip()
    prefix = ""
    if word.startswith("∂"):
        prefix, word = r"\partial ", word[1:]
    word = word.translate(_SUBSCRIPT)
    mark = next((c for c in word if c in _MARKS), None)
    plain = "".join(c for c in word if c not in _MARKS)
    if not plain.isascii() or not plain:
        return None
    if mark is None:
        return prefix + latex_name(plain)
    m = _NAME.fullmatch(plain)
    if m is None:  # a name written whole (x_1_): the mark goes over all of it
        return prefix + rf"{_MARKS[mark]}{{{latex_name(plain)}}}"
    # the mark goes on the base letter(s), before any subscript: \dot{x}_{1}
    base, num, sub = m.groups()
    sub = num if num is not None else sub
    return prefix + rf"{_MARKS[mark]}{{{latex_name(base)}}}" + (f"_{{{sub}}}" if sub else "")


def is_ascii_latex(text: str) -> bool:
    """What a LaTeX download must be for plain pdflatex: ASCII, no control characters but newlines."""
    return text.isascii() and all(c.isprintable() or c in "\n\t" for c in text)


# --- tables ----------------------------------------------------------------------------------------


def cell(v: Any) -> str:
    """A table cell: floats exactly (``1e+20``), everything else as text, '—' for nothing."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return exact(v)
    return str(v)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "") -> str:
    """A GitHub Markdown table (pipes in cells escaped), under an optional bold title."""
    def md(v: Any) -> str:
        return cell(v).replace("|", r"\|").replace("\n", " ")

    lines = [f"**{title}**", ""] if title else []
    lines.append("| " + " | ".join(md(c) for c in columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    lines += ["| " + " | ".join(md(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def latex_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> str:
    """A ``tabular`` that plain pdflatex compiles: ASCII only, numbers as ``a \\times 10^{b}``."""
    def tex(v: Any) -> str:
        if isinstance(v, float | int) and not isinstance(v, bool):
            return "--" if isinstance(v, float) and math.isnan(v) else f"${latex_number(v)}$"
        return latex_text(cell(v))

    lines = [r"\begin{tabular}{" + "l" * len(columns) + "}"]
    if caption:
        lines.append(rf"\multicolumn{{{len(columns)}}}{{l}}{{\textbf{{{latex_text(caption)}}}}} \\")
    lines.append(r"\hline")
    lines.append(" & ".join(latex_text(str(c)) for c in columns) + r" \\ \hline")
    lines += [" & ".join(tex(v) for v in row) + r" \\" for row in rows]
    lines.append(r"\hline")
    lines.append(r"\end{tabular}")
    return "\n".join(lines)


def document(body: str) -> str:
    """A LaTeX snippet as a whole document, for checking that it compiles."""
    return "\n".join([r"\documentclass{article}", r"\usepackage{amsmath}", r"\begin{document}", body,
                      r"\end{document}", ""])


def ascii_name(text: str) -> str:
    """Text with combining marks and subscripts folded to ASCII, for file names and plain terminals."""
    folded = unicodedata.normalize("NFKD", text.translate(_SUBSCRIPT))
    return "".join(c for c in folded if c.isascii())


__all__ = ["exact", "short", "latex_number", "latex_name", "latex_text", "is_ascii_latex", "cell",
           "markdown_table", "latex_table", "document"]

"""A long written-out derivative in LaTeX, broken into lines a page column can hold.

:func:`latex_width` estimates how wide a LaTeX string prints (a fraction as its wider part, scripts
smaller); :func:`latex_lines` breaks ``lhs = rhs`` at top-level ``+`` and ``-`` into an ``aligned``
block, and says when a piece is too wide even alone.
"""

from __future__ import annotations

import re

#: Known LaTeX commands and how many characters wide they print (the rest print one character).
_WIDE = {"sin": 3, "cos": 3, "tan": 3, "exp": 3, "ln": 2, "log": 3, "tanh": 4, "sinh": 4, "cosh": 4,
         "arcsin": 6, "arccos": 6, "arctan": 6, "operatorname": 0, "mathrm": 0, "text": 0, "left": 0, "right": 0,
         "quad": 2, "qquad": 4, ",": 0, ";": 1, "!": 0, " ": 1}


def _group(s: str, i: int) -> tuple[str, int]:
    """The brace group (or single character or command) starting at ``s[i]``, and where it ends."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth, j = 0, i
        while j < len(s):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1:j], j + 1
            j += 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        j = i + 1
        while j < len(s) and s[j].isalpha():
            j += 1
        return s[i:max(j, i + 2)], max(j, i + 2)
    return s[i], i + 1


def latex_width(s: str) -> float:
    """Roughly how many characters wide ``s`` prints: a fraction as its wider part, scripts at 0.7, spaces 0."""
    width, i = 0.0, 0
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            j = i + 1
            while j < len(s) and s[j].isalpha():
                j += 1
            name = s[i + 1:j] or s[i + 1:i + 2]
            i = max(j, i + 2)
            if name in ("frac", "dfrac", "tfrac"):
                num, i = _group(s, i)
                den, i = _group(s, i)
                width += max(latex_width(num), latex_width(den)) + 0.5
            elif name == "sqrt":
                inner, i = _group(s, i)
                width += latex_width(inner) + 1
            else:
                width += _WIDE.get(name, 1)
        elif ch in "^_":
            inner, i = _group(s, i + 1)
            width += 0.7 * latex_width(inner)
        elif ch in "{} ":
            i += 1
        else:
            width += 2 if ch in "+-=" else 1
            i += 1
    return width


def _top_level_pieces(s: str) -> list[str]:
    """``s`` cut before each +, − and · that is outside every brace and \\left…\\right pair."""
    pieces, start, depth, i = [], 0, 0, 0
    while i < len(s):
        if s.startswith("\\left", i) and not s[i + 5:i + 6].isalpha():
            depth += 1
            i += 5
            continue
        if s.startswith("\\right", i) and not s[i + 6:i + 7].isalpha():
            depth -= 1
            i += 6
            continue
        if s[i] == "{":
            depth += 1
        elif s[i] == "}":
            depth -= 1
        elif depth == 0 and i > start:
            for op in (" + ", " - ", " \\cdot "):
                if s.startswith(op, i):
                    pieces.append(s[start:i])
                    start = i + 1
                    break
        i += 1
    pieces.append(s[start:])
    return [p.strip() for p in pieces if p.strip()]


def _delimiter(s: str, i: int) -> int:
    """Where the delimiter that starts at ``s[i]`` (after \\left or \\right) ends."""
    if s.startswith("\\", i):
        j = i + 1
        while j < len(s) and s[j].isalpha():
            j += 1
        return max(j, i + 2)
    return i + 1


def _widest_group(s: str) -> tuple[int, int, int, int] | None:
    """The widest top-level \\left…\\right pair of ``s``: (start, inner start, inner end, end), or None."""
    best, depth, i, opened = None, 0, 0, 0
    inner = 0
    while i < len(s):
        if s.startswith("\\left", i) and not s[i + 5:i + 6].isalpha():
            if depth == 0:
                opened, inner = i, _delimiter(s, i + 5)
            depth += 1
            i = _delimiter(s, i + 5)
            continue
        if s.startswith("\\right", i) and not s[i + 6:i + 7].isalpha():
            depth -= 1
            end = _delimiter(s, i + 6)
            if depth == 0 and (best is None or latex_width(s[inner:i]) > latex_width(s[best[1]:best[2]])):
                best = (opened, inner, i, end)
            i = end
            continue
        depth += {"{": 1, "}": -1}.get(s[i], 0)
        i += 1
    return best


def _tokens(s: str, width: float) -> list[tuple[str, str]]:
    """``s`` as ("text", piece), ("open", \\left delimiter) and ("close", \\right delimiter) tokens.

    Pieces are cut at the top-level +, − and ·; a piece wider than ``width`` is opened at its widest
    \\left…\\right pair and the inside is cut the same way, so that a line may end inside the pair.
    """
    out: list[tuple[str, str]] = []
    for piece in _top_level_pieces(s):
        group = _widest_group(piece) if latex_width(piece) > width else None
        if group is None:
            out.append(("text", piece))
            continue
        start, inner, inner_end, end = group
        before = piece[:start].strip()
        if before and not re.fullmatch(r"(?:[+\-]|\\cdot|\s)+", before):
            out.append(("text", before))
            before = ""
        out.append(("open", f"{before} {piece[start:inner]}".strip()))  # an operator stays with what follows
        out += _tokens(piece[inner:inner_end], width)
        out.append(("close", piece[inner_end:end]))
        if piece[end:].strip():
            out.append(("text", piece[end:].strip()))
    return out


def latex_lines(lhs: str, rhs: str, width: float = 40) -> tuple[str, bool]:
    """``lhs = rhs`` as LaTeX lines about ``width`` characters wide, and whether a line is still wider.

    A derivative written out as a tree can be thousands of characters long; on one line it runs off
    its column. The right-hand side is cut before its top-level +, − and · (never inside braces) and
    the pieces are packed greedily into the lines of an ``aligned`` block. A piece still too wide is
    cut inside its widest \\left( … \\right) pair, the line ending in \\right. and the next starting
    with \\left. as printed mathematics does; what cannot be cut (a wide fraction) keeps its line,
    and the page's formula box scrolls sideways.
    """
    lines: list[str] = []
    line, used, open_ = "", 0.0, []
    tokens = _tokens(rhs, width)

    def next_text(k: int) -> float:
        return next((latex_width(t) for kind, t in tokens[k:] if kind == "text"), 0.0)

    for k, (kind, text) in enumerate(tokens):
        w = {"text": latex_width(text), "open": 1 + next_text(k + 1), "close": 1.0}[kind]
        fresh = not line.strip() or line.rstrip().endswith(("\\left.",) + tuple(open_[-1:]))
        if kind != "close" and used + w > width and not fresh:  # a new line, the open pairs closed and reopened
            lines.append(line + " \\right." * len(open_))
            line, used = " \\left." * len(open_), 0.0
        line += f" {text}"
        used += latex_width(text) if kind == "text" else 1
        if kind == "open":
            open_.append(text)
        elif kind == "close":
            open_.pop()
    lines.append(line)
    lines = [ln.strip() for ln in lines if ln.strip()]
    too_wide = any(latex_width(ln) > width * 1.25 for ln in lines)
    if len(lines) <= 1:
        return f"{lhs} = {rhs}", too_wide
    body = r" \\ &\quad ".join(lines)
    return rf"\begin{{aligned}} {lhs} &= {body} \end{{aligned}}", too_wide


__all__ = ["latex_lines", "latex_width"]

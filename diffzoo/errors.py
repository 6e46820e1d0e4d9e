"""The two ways a user's function can fail: it does not parse, or it cannot be evaluated.

Both are ``ValueError``s whose message is meant to be read by a person: what is wrong,
where (a caret under the position), and what would work instead.
"""

from __future__ import annotations

import unicodedata


def _columns(c: str) -> int:
    """How many monospace columns ``c`` takes: 2 for wide/fullwidth characters, 0 for combining marks."""
    if unicodedata.combining(c):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def caret(text: str, pos: int, width: int = 70) -> str:
    """Two lines: a window of ``text`` (at most ``width`` columns) around ``pos``, and a caret under ``pos``.

    Unlike a plain count of characters, the caret stays under the right character when the text
    holds fullwidth letters (``ｓｉｎ``): each one is matched in the caret line by an ideographic
    space, which a browser draws exactly as wide. Control characters are shown as ``?``.
    """
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    pos = max(0, min(int(pos), len(text)))
    start, end, used = pos, pos, 0
    # grow the window around pos, left first, until it is full
    while used < width and (start > 0 or end < len(text)):
        if end < len(text) and (end - pos <= pos - start or start == 0):
            w = _columns(text[end])
            if used + w > width:
                break
            used, end = used + w, end + 1
        else:
            w = _columns(text[start - 1])
            if used + w > width:
                break
            used, start = used + w, start - 1
    prefix = "..." if start > 0 else ""
    suffix = "..." if end < len(text) else ""
    pad = "".join("\u3000" if _columns(c) == 2 else ("" if _columns(c) == 0 else " ") for c in text[start:pos])
    return f"  {prefix}{text[start:end]}{suffix}\n  {' ' * len(prefix)}{pad}^"


class ParseError(ValueError):
    """The text is not a function diffzoo accepts. ``pos`` is the offending position."""

    def __init__(self, message: str, text: str | None = None, pos: int = 0, hint: str = ""):
        self.message, self.text, self.pos, self.hint = message, text, pos, hint
        super().__init__(self.render())

    def render(self) -> str:
        where = f" (at position {self.pos + 1})" if self.text is not None else ""
        lines = [f"{self.message}{where}"]
        if self.text is not None:
            lines.append(caret(self.text, self.pos))
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class EvaluationError(ValueError):
    """A step of the Wengert list has no real value at the given point (or overflows).

    ``step`` says which, in words (``v_3 = ln v_1``); ``index`` is its number, where it is known.
    """

    def __init__(self, message: str, step: str = "", index: int | None = None):
        self.message, self.step, self.index = message, step, index
        super().__init__(f"{step}: {message}" if step else message)


class LimitError(ValueError):
    """Work that would exceed a resource limit (time, size) was refused or cut short."""

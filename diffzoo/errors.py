"""The two ways a user's function can fail: it does not parse, or it cannot be evaluated.

Both are ``ValueError``s whose message is meant to be read by a person: what is wrong,
where (a caret under the position), and what would work instead.
"""

from __future__ import annotations


def caret(text: str, pos: int, width: int = 70) -> str:
    """Two lines: a window of ``text`` around ``pos`` and a caret under that position."""
    pos = max(0, min(pos, len(text)))
    start = max(0, pos - width // 2)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    shown = text[start:end]
    prefix = "..." if start > 0 else ""
    suffix = "..." if end < len(text) else ""
    # Control characters would break the alignment of the caret; show them as '?'.
    shown = "".join(c if c.isprintable() else "?" for c in shown)
    return f"  {prefix}{shown}{suffix}\n  {' ' * (len(prefix) + pos - start)}^"


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
    """A step of the Wengert list has no real value at the given point (or overflows)."""

    def __init__(self, message: str, step: str = ""):
        self.message, self.step = message, step
        super().__init__(f"{step}: {message}" if step else message)


class LimitError(ValueError):
    """Work that would exceed a resource limit (time, size) was refused or cut short."""

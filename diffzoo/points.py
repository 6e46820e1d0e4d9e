"""Reading a point: numbers of any kind, by name or in order, as finite floats, or an error naming the entry.

A point may be a list, a tuple, a dict by name, a numpy array or one number. :func:`floats` takes plain
floats at once, in two C-level passes, so that reading is O(n) and cheap beside the function itself;
anything else goes through :func:`vector`, which reads entry by entry and raises a :class:`PointError`
that names the entry that is wrong ("the value of x2 is str, not a number").
"""

from __future__ import annotations

import decimal
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: The type set of a sequence of plain floats, which need no check but their sum.
ONLY_FLOAT = {float}
_PLAIN = {float, int}


class PointError(ValueError):
    """The point does not match the function's variables, or holds something that is not a number."""



_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_CONSTANTS = {"pi": math.pi, "π": math.pi, "e": math.e}
MAX_NUMBER_CHARS = 60


def read_number(text: str) -> float:
    """A number a person typed (a point box, the command line's ``--at``), read by an allow-list (never
    evaluated); ValueError says what would work.

    Read: decimals with an optional sign and exponent (``-0.5``, ``.5``, ``1e-3``), a Unicode minus,
    ``pi``/``π``/``e`` with an optional sign. Refused, with a sentence: nothing, a decimal comma,
    ``nan``, infinities and numbers beyond the largest float, numbers so small they would become 0,
    and anything else.
    """
    t = str(text).strip().replace("\u2212", "-")
    if not t:
        raise ValueError("this box is empty: type a number, such as 2 or -0.5")
    shown = t if len(t) <= 20 else t[:20] + "…"
    if len(t) > MAX_NUMBER_CHARS:
        raise ValueError(f"'{shown}' is too long for a number (at most {MAX_NUMBER_CHARS} characters)")
    sign, body = (-1.0, t[1:].strip()) if t[0] == "-" else (1.0, t[1:].strip()) if t[0] == "+" else (1.0, t)
    if body.lower() in _CONSTANTS:
        return sign * _CONSTANTS[body.lower()]
    if _NUMBER.fullmatch(t) is None:
        low = t.lower().lstrip("+-")
        if low in ("nan", "inf", "infinity", "∞"):
            raise ValueError(f"'{shown}' is not a finite number; f and its derivatives need one, such as 2.5")
        if "," in t and _NUMBER.fullmatch(t.replace(",", ".", 1)) and t.count(",") == 1:
            raise ValueError(f"'{shown}' has a comma: write the decimal with a point, e.g. "
                             f"{t.replace(',', '.', 1)} (a comma is not read, as 1,5 could mean 1.5 or 15)")
        raise ValueError(f"'{shown}' is not a number: type digits with an optional point and exponent, "
                         "such as 2, -0.5 or 1e-3 (or pi)")
    v = float(t)
    if not math.isfinite(v):
        raise ValueError(f"'{shown}' is beyond the largest float (about 1.8e308): type a smaller number")
    if v == 0 and any(c in "123456789" for c in t.lower().split("e")[0]):
        raise ValueError(f"'{shown}' is below the smallest float (about 4.9e-324) and would become 0: "
                         "type 0 if you mean 0, or a larger number")
    return v


def number(v: Any, what: str) -> float:
    """One finite float from a number of any kind, or a :class:`PointError` that says ``what`` it was for.

    ints, floats, Fractions, Decimals, numpy scalars and 0-d arrays, and complex numbers whose
    imaginary part is 0 are numbers; text, bytes, None and booleans are not.
    """
    if isinstance(v, np.ndarray) and v.ndim == 0:
        v = v.item()
    if isinstance(v, bool | np.bool_) or v is None or isinstance(v, str | bytes | bytearray):
        kind = "missing (None)" if v is None else f"{type(v).__name__}, not a number: {_short(v)}"
        hint = " (write the number itself, not text)" if isinstance(v, str | bytes | bytearray) else ""
        raise PointError(f"{what} is {kind}{hint}")
    if isinstance(v, complex | np.complexfloating):
        if v.imag != 0:
            raise PointError(f"{what} has an imaginary part ({_short(v)}); diffzoo works on real numbers")
        v = v.real
    if not isinstance(v, numbers.Real | decimal.Decimal | np.integer | np.floating):
        raise PointError(f"{what} is not a number: {_short(v)}")
    try:
        x = float(v)
    except OverflowError:  # an integer beyond 1.8e308: as '1e400' is, refused as not finite
        raise PointError(f"{what} must be a finite number; {_short(v)} is too large for a 64-bit float") from None
    except (TypeError, ValueError):
        raise PointError(f"{what} is not a number: {_short(v)}") from None
    if not math.isfinite(x):
        too_large = not math.isnan(x) and not (isinstance(v, float | np.floating) and math.isinf(v))
        raise PointError(f"{what} must be a finite number, not {_short(v)}"
                         + (" (too large for a 64-bit float)" if too_large else ""))
    return x


def _short(v: Any, limit: int = 40) -> str:
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _listed(items: Sequence[Any], limit: int = 5) -> str:
    """At most ``limit`` items, then how many more: a message stays short whatever it is about."""
    shown = ", ".join(str(k)[:40] for k in items[:limit])
    return shown + (f" and {len(items) - limit:,} more" if len(items) > limit else "")


def vector(values: Any, names: Sequence[str], what: str) -> list[float]:
    """Floats for ``names`` from a mapping by name, a sequence in order, or one number when there is one name.

    Every entry that is wrong raises a :class:`PointError` naming its entry: "the value of x2", "the
    seed's entry for x1". O(len(names)).
    """
    def label(name: str) -> str:
        return f"the value of {name}" if what == "point" else f"the {what}'s entry for {name}"

    if isinstance(values, Mapping):
        wanted = set(names)
        missing = [v for v in names if v not in values]
        if missing:
            raise PointError(f"the {what} gives no value for {_listed(missing)}")
        if len(values) > len(names):
            extra = [k for k in values if k not in wanted]
            raise PointError(f"the function has no variable {_listed(extra)} "
                             f"(its {'variables' if what != 'ybar' else 'outputs'}: {_listed(list(names)) or 'none'})")
        items = [values[v] for v in names]
    elif isinstance(values, str | bytes | bytearray):
        raise PointError(f"the {what} is {type(values).__name__} ({_short(values)}), not numbers: give a number, "
                         "a list of numbers or a dict of name: number")
    elif values is None:
        raise PointError(f"no {what} given")
    elif isinstance(values, numbers.Number | np.number) or (isinstance(values, np.ndarray) and values.ndim == 0):
        items = [values]
    else:
        try:
            items = list(values)
        except TypeError:
            raise PointError(f"the {what} is not a number or a sequence of numbers: {_short(values)}") from None
    if len(items) != len(names):
        count = f"{len(names)} variable(s) ({_listed(list(names))})" if what != "ybar" else f"{len(names)} output(s)"
        raise PointError(f"the function has {count}, the {what} has {len(items)} value(s)")
    return [number(v, label(name)) for name, v in zip(names, items)]


def floats(values: Any, names: Sequence[str], what: str = "point") -> list[float]:
    """``values`` as finite floats in the order of ``names``: at once for plain numbers, else :func:`vector`.

    The quick path costs two C-level passes (the types, the sum: a sum of floats is finite only if every
    term is); whatever it cannot vouch for (text, nan, an int beyond 1.8e308) takes the careful path,
    which says what is wrong.
    """
    t = type(values)
    items: Any = None
    if t is list or t is tuple:
        items = values
    elif t is np.ndarray and values.ndim == 1 and values.dtype.kind in "fi":
        items = values.tolist()
    elif isinstance(values, Mapping) and len(values) == len(names):
        try:
            items = list(map(values.__getitem__, names))
        except (KeyError, TypeError):
            items = None
    if items is not None and len(items) == len(names):
        kinds = {*map(type, items)}
        xs = None
        if kinds == ONLY_FLOAT:
            xs = list(items)
        elif kinds <= _PLAIN:
            try:
                xs = list(map(float, items))
            except OverflowError:
                pass
        if xs is not None:
            total = sum(xs)
            if total - total == 0.0:
                return xs
    return vector(values, names, what)

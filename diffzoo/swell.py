"""Derivative sizes and higher derivatives: the numbers behind the symbolic and numeric pages.

Expression swell: a symbolic derivative written out as a tree can grow exponentially with the
depth of the function (the logistic map l_n), while the same derivative with equal
subexpressions shared (a Wengert list) grows linearly. ``swell_table`` measures both for the
families in :mod:`diffzoo.families`.

The error model of numeric differentiation needs |f|, |f'|, |f''|, |f'''| and |f^(5)| along one
input; ``bounds_at`` gets them exactly by nesting forward-mode dual numbers five deep (each
level doubles the work, so 32 evaluations of the list), never by differencing. Each scheme's
best step is read off its measured errors by a robust fit of the V they make against the step
(``fitted_best_steps``), not by their least value, which is often a lucky exact cancellation.
``latex_lines`` breaks a long written-out derivative into lines a page column can hold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import families
from .expr import Expr, const, dag_size, make, tree_size, var
from .forward import derivative, function_of
from .numeric import Bounds, error_sweep
from .parse import Function, parse
from .symbolic import derive

#: Largest n offered for each family (the logistic map's written-out tree doubles per level).
MAX_N = {"logistic map l_n": 14, "nested sin": 40, "product of n factors": 40}


def logistic_expr(n: int, r: float = 4) -> Expr:
    """l_n as a shared expression (l_{k+1} = r l_k (1 - l_k)), built without text."""
    x = var("x")
    e = x
    for _ in range(n - 1):
        e = make("mul", make("mul", const(r), e), make("sub", const(1), e))
    return e


def family_function(family: str, n: int) -> tuple[list[Expr], list[str]]:
    """The outputs and variables of member ``n`` of a family."""
    if family == "logistic map l_n":
        return [logistic_expr(n)], ["x"]
    text = families.FAMILIES[family](n)
    f = parse(text)
    return list(f.outputs), list(f.variables)


def swell_row(family: str, n: int) -> dict[str, Any]:
    """Sizes of f and of its gradient for member ``n``: tree against shared (Wengert) operations."""
    outs, variables = family_function(family, n)
    grads = [derive(y, x) for y in outs for x in variables]
    return {"family": family, "n": n,
            "f tree ops": sum(tree_size(y) for y in outs),
            "f Wengert length": dag_size(*outs),
            "derivative tree ops": sum(tree_size(g) for g in grads),
            "derivative shared ops": dag_size(*grads)}


def swell_table(family: str, ns: Sequence[int]) -> pd.DataFrame:
    """One row per n: (family, n, f tree ops, f Wengert length, derivative tree ops, derivative shared ops)."""
    if family not in families.FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(families.FAMILIES)}")
    top = MAX_N[family]
    return pd.DataFrame([swell_row(family, n) for n in ns if 1 <= n <= top])


def expression_sizes(exprs: Sequence[Expr]) -> dict[str, int]:
    """Tree operations (each written out) and shared operations (all together) of some expressions."""
    return {"tree": sum(tree_size(e) for e in exprs), "shared": dag_size(*exprs) if exprs else 0}


# --- higher derivatives along one input ------------------------------------------------------------


def along(function: Function, point: Sequence[float], i: int, output: int = 0) -> Callable[[Any], Any]:
    """t -> f_output(point with x_i = t): the function restricted to one input (floats or duals)."""
    f = function_of(function.wengert)
    m = function.m

    def g(t: Any) -> Any:
        p: list[Any] = list(point)
        p[i] = t
        y = f(*p)
        return y[output] if m > 1 else y

    return g


def derivatives_along(function: Function, point: Sequence[float], i: int, output: int = 0,
                      orders: int = 5) -> list[float]:
    """[f, f', f'', ..., f^(orders)] along input ``i`` at ``point``, by nested forward mode."""
    g = along(function, point, i, output)
    out = []
    x = float(point[i])
    for _ in range(orders + 1):
        try:
            v = float(g(x))
        except (ValueError, ArithmeticError, TypeError):
            v = math.nan
        out.append(v)
        g = derivative(g)
    return out


def bounds_at(function: Function, point: Sequence[float], i: int = 0, output: int = 0) -> Bounds:
    """|f|, |f'|, |f''|, |f'''|, |f^(5)| along input ``i``: what the numeric error model needs.

    A derivative that is exactly zero (a polynomial's high derivatives) is replaced by a tiny
    value so the model's line still shows on a log axis, far below the measured error.
    """
    d = [abs(v) for v in derivatives_along(function, point, i, output, 5)]
    d = [v if v > 0 or math.isnan(v) else 1e-300 for v in d]
    return Bounds(f=d[0], d1=d[1], d2=d[2], d3=d[3], d5=d[5])


def model_best_steps(sweep: pd.DataFrame) -> pd.DataFrame:
    """For each scheme, the step where the error model (truncation + rounding) is smallest.

    Unlike the measured best step, which can land on a lucky cancellation (an error of exactly 0
    at some tiny step), this is the step the theory recommends: (scheme, model_eps, model_error).
    """
    df = sweep.assign(model=sweep["truncation"] + sweep["rounding"])
    df = df[np.isfinite(df["model"])]
    if df.empty:
        return pd.DataFrame(columns=["scheme", "model_eps", "model_error"])
    idx = df.groupby("scheme", sort=False)["model"].idxmin()
    out = df.loc[idx, ["scheme", "eps", "model"]].reset_index(drop=True)
    return out.rename(columns={"eps": "model_eps", "model": "model_error"})


# --- the best step, fitted to the measured errors ---------------------------------------------------

#: The order p of each scheme's truncation error (∝ h^p); all but the complex step also have a
#: rounding error ∝ 1/h (f(x+h) - f(x) cancels), the complex step none (it subtracts nothing).
ORDERS = {"forward": 1, "backward": 1, "central": 2, "complex": 2, "richardson": 4}
#: Fewer usable steps than this (finite, not 0, within half the derivative) are not fitted.
MIN_FIT_POINTS = 6
_GRID = 0.02  # the candidate bottoms of the V, in decades of h


def _v_shape(t: np.ndarray, p: int, rounding: bool) -> np.ndarray:
    """log10 of the error model A h^p + C/h (or A h^p + B), scaled to 1 at its bottom h* (or corner), t = h/h*.

    With a rounding branch the model is least at h*, where C = p A h*^(p+1), and is (1+p) A h*^p there;
    without one (the complex step) h* is the corner where the truncation error reaches the floor B.
    """
    with np.errstate(over="ignore", divide="ignore"):
        return np.log10((t**p + p / t) / (1 + p)) if rounding else np.log10((1 + t**p) / 2)


def fit_best_step(h: Sequence[float], err: Sequence[float], scheme: str,
                  reference: float) -> tuple[float, float, str]:
    """The bottom of the V fitted to the errors ``err`` measured at steps ``h``: (step, typical error, how).

    The fit is in log space by least absolute deviations, so that a few wild or lucky points do not
    move it: for each candidate bottom h* on a grid of 1/50 decade, the level is the median of
    log10(err) minus the V's shape (truncation ∝ h^p, rounding ∝ 1/h), and the h* with the least
    total deviation wins. Left out: errors that are not finite or above half the derivative (f(x+h)
    rounds to f(x), or truncation has taken over: no information), and errors of exactly 0 (lucky
    cancellations). ``how`` is "fit"; "edge" when the fitted bottom lies beyond the steps measured (the
    error is still falling there, and the step is the last usable one); "exact" when almost every
    step gave exactly 0; "flat" when the errors stay within a factor of 10 at every step (no V: f has a
    kink or a jump, or its differences are exact up to a constant); "too few" below
    :data:`MIN_FIT_POINTS` usable steps.
    """
    p, rounding = ORDERS[scheme], scheme != "complex"
    h = np.asarray(h, dtype=float)
    err = np.asarray(err, dtype=float)
    usable = np.isfinite(err) & (h > 0)
    if reference != 0 and np.isfinite(reference):
        usable &= err <= 0.5 * abs(reference)
    h, err = h[usable], err[usable]
    nonzero = err > 0
    if nonzero.sum() < MIN_FIT_POINTS:
        return (math.nan, 0.0, "exact") if len(err) >= MIN_FIT_POINTS else (math.nan, math.nan, "too few")
    lh, y = np.log10(h[nonzero]), np.log10(err[nonzero])
    if y.max() - y.min() < 1:  # within a factor of 10 at every step: no V (a kink, a jump), nothing to fit
        return math.nan, float(np.median(err[nonzero])), "flat"
    cands = np.arange(lh.min() - 2, lh.max() + 2, _GRID)
    r = y[None, :] - _v_shape(10.0 ** (lh[None, :] - cands[:, None]), p, rounding)
    level = np.median(r, axis=1)
    k = int(np.argmin(np.abs(r - level[:, None]).sum(axis=1)))
    h_star = float(10.0 ** cands[k])
    best = float(np.clip(h_star, h[nonzero].min(), h[nonzero].max()))
    typical = float(10.0 ** (level[k] + _v_shape(np.array(best / h_star), p, rounding)))
    return best, typical, "fit" if best == h_star else "edge"


def fitted_best_steps(sweep: pd.DataFrame, reference: float) -> pd.DataFrame:
    """Each scheme's best step from a robust fit of its error curve (:func:`fit_best_step`).

    Columns: scheme, eps (the step; NaN where there is none), fit_error (the typical error at that
    step, read off the fitted V), how.
    """
    rows = []
    for scheme, g in sweep.groupby("scheme", sort=False):
        eps, fit_error, how = fit_best_step(g["eps"], g["error"], str(scheme), reference)
        rows.append({"scheme": scheme, "eps": eps, "fit_error": fit_error, "how": how})
    return pd.DataFrame(rows, columns=["scheme", "eps", "fit_error", "how"])


def best_steps(function: Function, point: Sequence[float], reference: float, sweep: pd.DataFrame, i: int = 0,
               output: int = 0, dtype: Any = np.float64) -> pd.DataFrame:
    """Each scheme's fitted best step (:func:`fitted_best_steps`) and what the scheme gives at exactly that step.

    Columns: scheme, eps, fit_error, how, and estimate, error, rel_error measured at eps (NaN where
    there is no step).
    """
    best = fitted_best_steps(sweep, reference)
    measured = []
    for _, r in best.iterrows():
        row = {"estimate": math.nan, "error": math.nan, "rel_error": math.nan}
        if np.isfinite(r["eps"]):
            m = error_sweep(function.wengert, point, reference, i, output, eps=[r["eps"]], schemes=[r["scheme"]],
                            dtype=dtype).iloc[0]
            row = {"estimate": float(m["estimate"]), "error": float(m["error"]), "rel_error": float(m["rel_error"])}
        measured.append(row)
    return pd.concat([best, pd.DataFrame(measured, index=best.index, columns=["estimate", "error", "rel_error"])],
                     axis=1)


# --- the written-out derivative, over lines ---------------------------------------------------------

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

__all__ = ["latex_lines", "latex_width", "fit_best_step", "fitted_best_steps", "best_steps", "ORDERS",
           "model_best_steps", "swell_table", "swell_row", "logistic_expr", "family_function", "expression_sizes",
           "derivatives_along", "bounds_at", "MAX_N"]

"""Matplotlib figures for the workbench: error against step, swell against depth, timings, loss.

Every function takes plain data (DataFrames from :mod:`diffzoo.numeric`, :mod:`diffzoo.swell`,
:mod:`diffzoo.tensor` or the timing module) and returns a ``matplotlib.figure.Figure`` built
without pyplot's global state, so it is safe in a web server thread, a notebook or a script.
``to_png``/``to_svg`` turn a figure into bytes for display and download. Fonts and lines are
sized to be read on a projector.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogFormatterSciNotation,
    LogLocator,
    MaxNLocator,
    NullFormatter,
)

COLORS = {"forward": "#1f77b4", "backward": "#17becf", "central": "#2ca02c", "complex": "#d62728",
          "richardson": "#9467bd", "symbolic": "#8c564b", "numeric": "#2ca02c", "reverse": "#d62728",
          "primal": "#444444", "loss": "#444444"}
_CYCLE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]
#: Text sizes are multiplied by this, for a projector: a figure is shown about 51 pixels an inch wide at a
#: 1024-pixel window (the numeric page's 10.5-inch figure in 535 pixels), where 13-point legend text was
#: 13 * 51 / 72 = 9 px; times 1.75 it is 16.1 px (displayed px = pt * displayed width / (72 * inches)).
TEXT_SCALE = 1.75


def _pt(size: float) -> float:
    """A font size in points, scaled for a projector (:data:`TEXT_SCALE`)."""
    return size * TEXT_SCALE


#: The smallest text of any figure: tick labels, legends and notes (22.75 pt). At a 1024-pixel window with the sidebar
#: open a figure is shown about 0.71 px a point or more (the numeric page's 10.5-inch figure 535 px wide:
#: 535 / 10.5 / 72), so this is 16.1 px; fewer ticks keep their labels apart (``tests/test_projector_browser.py``
#: measures the figures the numeric (one precision and both), symbolic, logistic-regression, programs and compare
#: pages show, ``tests/test_plots.py`` the ticks' overlap, ``tests/test_figures_fit.py`` that no text is cut off).
SMALLEST = _pt(13)
STYLE = {"font.size": _pt(14), "axes.titlesize": _pt(14), "axes.labelsize": _pt(14), "legend.fontsize": SMALLEST,
         "xtick.labelsize": SMALLEST, "ytick.labelsize": SMALLEST, "lines.linewidth": 2.4}
# Figure sizes are chosen for the column each figure is shown in, so that the page scales fonts by
# about 0.7-1.0 at a 1280-pixel window: a figure drawn wider than its column shrinks its text.


def _figure(width: float = 9.0, height: float = 5.2) -> Figure:
    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _styled(build: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build the figure under the workbench's font sizes, without touching global settings."""

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(STYLE):
            return _wrap_overflowing(build(*args, **kwargs))

    return wrapper


def _legend_below(fig: Figure, handles: Sequence[Any], names: Sequence[str], most: int = 4, **kw: Any) -> Any:
    """A legend under the panels, in as many columns (up to ``most``) as fit the figure's width; the figure grows
    by the legend's height, so that the panels keep theirs."""
    renderer = fig._get_renderer()
    for n in range(min(most, len(names)), 0, -1):
        leg = fig.legend(handles, names, loc="outside lower center", ncols=n, frameon=False, **kw)
        box = leg.get_window_extent(renderer)
        if n == 1 or box.width <= 0.98 * fig.bbox.width:
            fig.set_figheight(fig.get_figheight() + box.height / fig.dpi)
            return leg
        leg.remove()
    return None


def _headings(fig: Figure) -> list[tuple[Any, Any]]:
    """The texts a figure may have too long to fit, each with the axes it is centred on (None: the figure): its
    suptitle, and each axes' titles and axis labels."""
    out = [(fig._suptitle, None)] if fig._suptitle is not None else []
    for ax in fig.axes:
        out += [(t, ax) for t in (ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label)]
    return [(t, ax) for t, ax in out if t.get_visible() and t.get_text().strip()]


def _balanced(line: str, fraction: float) -> str:
    """``line`` wrapped at spaces into lines of at most ``fraction`` of its length, as even as they can be (not a
    long line and a short last word)."""
    most = max(8, int(len(line) * fraction))
    count = len(textwrap.wrap(line, most, break_long_words=False, break_on_hyphens=False))
    for width in range(math.ceil(len(line) / count), most + 1):
        wrapped = textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False)
        if len(wrapped) <= count:
            return "\n".join(wrapped)
    return "\n".join(textwrap.wrap(line, most, break_long_words=False, break_on_hyphens=False))


def _wrap_overflowing(fig: Figure) -> Figure:
    """Break over two or more lines any title or axis label that would run past the figure's edge (and be cut off
    in the PNG): projector-sized text does not shrink to fit, it wraps, at spaces, and the layout makes room.
    The room is what the figure leaves on both sides of the text's centre (an axes' title is centred on it)."""
    for _ in range(3):
        fig.get_layout_engine().execute(fig)  # places every text as a draw would, without drawing the curves
        renderer = fig._get_renderer()
        box = fig.bbox
        wrapped = False
        for t, ax in _headings(fig):
            b = t.get_window_extent(renderer)
            if (b.x0 >= box.x0 and b.x1 <= box.x1 and b.y0 >= box.y0 and b.y1 <= box.y1) or " " not in t.get_text():
                continue
            vertical = b.height > b.width and "\n" not in t.get_text()
            centre = (ax.get_window_extent(renderer) if ax is not None else box).get_points().mean(axis=0)
            k = 1 if vertical else 0
            room = 2 * min(centre[k] - box.get_points()[0][k], box.get_points()[1][k] - centre[k])
            needed = b.height if vertical else b.width
            t.set_text("\n".join(_balanced(line, min(0.95 * room / needed, 0.9)) for line in t.get_text().split("\n")))
            wrapped = True
        if not wrapped:
            break
    return fig


def color(name: str, k: int = 0) -> str:
    for key, c in COLORS.items():
        if str(name).startswith(key):
            return c
    return _CYCLE[k % len(_CYCLE)]


#: Pixels across every PNG shown on a page: enough for the widest column it is stretched to at 1440 pixels,
#: so that it stays sharp (a 6.6-inch figure at 110 dpi, 726 pixels, was visibly blurred stretched that wide).
PAGE_PIXELS = 1200
#: Dots per inch of a 6.6-inch figure at PAGE_PIXELS (wider figures get fewer: they need no more pixels).
PAGE_DPI = 182


def to_png(fig: Figure, dpi: float | None = None) -> bytes:
    """PNG bytes; without ``dpi``, as many dots per inch as make the figure PAGE_PIXELS wide (110 to 200)."""
    if dpi is None:
        dpi = min(200.0, max(110.0, PAGE_PIXELS / fig.get_figwidth()))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def to_svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


# --- numeric: error against step ------------------------------------------------------------------

#: How each scheme's curve is drawn besides its colour: curves that coincide (forward and backward
#: on a symmetric function, central and complex on their truncation branch) stay apart by their dash
#: pattern, their markers, and markers placed at different steps.
SCHEME_STYLE = {"forward": ("-", "o", 0), "backward": ((0, (5, 2.5)), "v", 3), "central": ("-", "s", 6),
                "complex": ("-.", "^", 9), "richardson": ((0, (8, 3)), "X", 12)}
MARK_EVERY = 15  # one marker every 15 steps of the sweep (8 per curve), each scheme shifted by 3
_TOP = 1.5e308  # the highest y limit: a tick or a margin past the float range overflows and breaks the figure


def _scheme_style(scheme: str, k: int) -> tuple[Any, str, int]:
    return SCHEME_STYLE.get(scheme, ("-", "o", 3 * k % MARK_EVERY))


def _finite_positive(values: Any) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    return v[np.isfinite(v) & (v > 0)]


def _log_limits(errs: np.ndarray) -> tuple[float, float]:
    """y limits around the measured errors: a little room above, and below for the exact-zero ticks."""
    if not errs.size:
        return 1e-17, 1.0
    lo, hi = np.log10(errs.min()), np.log10(errs.max())
    top = min(hi + 0.7, np.log10(_TOP))
    bottom = max(min(lo - 1.5, top - 2), -300.0)
    return 10.0**bottom, 10.0**top


def _decade_ticks(ax: Any, lo: float, hi: float) -> None:
    """Major ticks at whole decades, at most about eight of them, and never past the float range."""
    a, b = math.ceil(np.log10(lo) - 1e-9), math.floor(np.log10(hi) + 1e-9)
    stride = max(1, math.ceil((b - a + 1) / 8))
    ax.yaxis.set_major_locator(FixedLocator([10.0**k for k in range(a, b + 1) if (k - a) % stride == 0]))
    ax.yaxis.set_major_formatter(LogFormatterSciNotation())
    minor = [m * 10.0**k for k in range(a - 1, b + 1) for m in range(2, 10)] if stride == 1 else []
    ax.yaxis.set_minor_locator(FixedLocator([v for v in minor if lo <= v <= hi]))
    ax.yaxis.set_minor_formatter(NullFormatter())


@_styled
def error_figure(sweeps: Mapping[str, pd.DataFrame], best: pd.DataFrame | None = None,
                 current: float | None = None, model: bool = True, title: str = "",
                 default: pd.DataFrame | None = None) -> Figure:
    """Log-log error against step h, one colour, dash pattern and marker per scheme.

    ``sweeps`` maps a label ("float64", "float32") to an ``error_sweep`` frame; two or more are
    drawn side by side on the same axes (small multiples), each with its own error model (dotted,
    truncation + rounding) and its own best steps. ``best`` (columns scheme, eps and fit_error or
    error, and precision when there are several sweeps) is marked with stars, the ``default`` steps
    (columns scheme, eps, error; float64) with diamonds on the float64 panel, and ``current`` with a
    vertical line. Errors that are infinite or nan are left out, and the y axis stays within floats.
    """
    labels = list(sweeps)
    many = len(labels) > 1
    # 10.5 inches, one panel or two, the legend under them: shown 535 px wide at 1024 pixels, 22.75-pt text is 16.1 px.
    fig = _figure(10.5, 5.6)  # and the legend's height
    axes = fig.subplots(1, len(labels), sharey=True, squeeze=False)[0] if labels else [fig.add_subplot()]
    # Every y value drawn is read against the measured errors; an error of exactly 0 is drawn as a tick
    # a little below the least positive one (a log axis has no 0).
    errs = np.concatenate([_finite_positive(df["error"]) for df in sweeps.values()] or [np.zeros(0)])
    lo, hi = _log_limits(errs)
    zero_at = lo * 3
    exact = False
    for ax, label in zip(axes, labels, strict=False):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_autoscaley_on(False)
        ax.set_ylim(lo, hi)
        df = sweeps[label]
        measured = bool(np.isfinite(df["error"].to_numpy(dtype=float)).any())
        for k, (scheme, g) in enumerate(df.groupby("scheme", sort=False)):
            dash, marker, offset = _scheme_style(str(scheme), k)
            h = g["eps"].to_numpy(dtype=float)
            err = g["error"].to_numpy(dtype=float)
            zero = err == 0
            exact = exact or bool(zero.any())
            shown = np.where(np.isfinite(err) & (err > 0), err, np.nan)
            ax.plot(h, shown, linestyle=dash, marker=marker, markevery=(offset, MARK_EVERY), markersize=8,
                    markerfacecolor="white", markeredgewidth=1.8, color=color(str(scheme)), label=str(scheme))
            if zero.any():
                ax.plot(h[zero], np.full(int(zero.sum()), zero_at), "|", color=color(str(scheme)), markersize=10,
                        alpha=0.8)
            if model and measured and "truncation" in g and np.isfinite(g["truncation"]).any():
                with np.errstate(all="ignore"):
                    bound = (g["truncation"] + g["rounding"]).to_numpy(dtype=float)
                # A model of exactly 0 (a polynomial's vanishing derivative) is drawn along the bottom of the axis.
                bound = np.where(np.isfinite(bound) & (bound >= 0), np.clip(bound, lo / 10, hi), np.nan)
                ax.plot(h, bound, ":", color=color(str(scheme)), linewidth=1.4, alpha=0.8)
        if best is not None and len(best):
            mine = best[best["precision"] == label] if "precision" in best else (best if ax is axes[0] else best[:0])
            for _, r in mine.iterrows():
                y = r["fit_error"] if "fit_error" in r else r["error"]
                if np.isfinite(r["eps"]) and np.isfinite(y):
                    ax.plot([r["eps"]], [min(max(y, zero_at), hi)], marker="*", markersize=18,
                            color=color(str(r["scheme"])), markeredgecolor="black", linestyle="none", zorder=5)
        if default is not None and len(default) and label == "float64":
            for _, r in default.iterrows():
                if np.isfinite(r["eps"]) and np.isfinite(r["error"]):
                    ax.plot([r["eps"]], [min(max(r["error"], zero_at), hi)], marker="D", markersize=15,
                            markerfacecolor="none", markeredgewidth=2.5, markeredgecolor=color(str(r["scheme"])),
                            linestyle="none", zorder=6)
        if current is not None:
            ax.axvline(current, color="black", linewidth=1.2, linestyle="--")
            ax.annotate("slider's h", (current, 1), xycoords=("data", "axes fraction"), xytext=(4, -16),
                        textcoords="offset points", fontsize=SMALLEST)
        if exact:
            ax.axhline(zero_at, color="gray", linewidth=0.8)
        if not measured:
            ax.text(0.5, 0.5, f"no finite estimate\nat any step in {label}\n(f or its stencil\noverflows)"
                    if many else "no finite estimate at any step\n(f or its stencil overflows)",
                    transform=ax.transAxes, ha="center", va="center", fontsize=_pt(13), color="#444444")
        _decade_ticks(ax, lo, hi)
        steps = np.concatenate([sweeps[lab]["eps"].to_numpy(dtype=float) for lab in labels])
        steps = steps[np.isfinite(steps) & (steps > 0)]
        if steps.size:  # every panel spans the same steps, drawn or not
            ax.set_xlim(steps.min() / 1.6, steps.max() * 1.6)
        ax.xaxis.set_major_locator(FixedLocator([10.0**k for k in range(-16, 1, 8)]))
        ax.xaxis.set_minor_locator(FixedLocator([10.0**k for k in range(-16, 1)]))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("step h (ε)")
        ax.grid(True, which="major", alpha=0.3)
        if many:
            ax.set_title(label)
    axes[0].set_ylabel("error |estimate − AD|")
    heading = title or "Error of each finite-difference scheme against the step"
    if many:
        fig.suptitle(heading)
    else:
        axes[0].set_title(heading)
    handles, names = axes[0].get_legend_handles_labels()
    if exact:
        handles.append(Line2D([], [], color="gray", marker="|", markersize=10, linestyle="none"))
        names.append("exactly 0")
    if model:
        handles.append(Line2D([], [], color="gray", linestyle=":", linewidth=1.4))
        names.append("error model")
    if best is not None and len(best):
        handles.append(Line2D([], [], color="gray", marker="*", markersize=15, linestyle="none",
                              markeredgecolor="black"))
        names.append("best step")
    if default is not None and len(default):
        handles.append(Line2D([], [], marker="D", markersize=12, linestyle="none", markerfacecolor="none",
                              markeredgewidth=2.5, markeredgecolor="gray"))
        names.append("default step")
    # Under the panels, in short words (the page's caption says what each mark means): three columns fit.
    _legend_below(fig, handles, names, handlelength=3)
    return fig


# --- symbolic: swell against depth ----------------------------------------------------------------


@_styled
def swell_figure(df: pd.DataFrame, title: str = "", xlabel: str = "n (depth / size of the family member)") -> Figure:
    """Derivative size against n on a log axis: written-out tree against shared graph, the legend under the axes."""
    fig = _figure(6.6, 4.8)
    ax = fig.add_subplot()
    series = [("derivative tree ops", "derivative as a tree", "#d62728", "o"),
              ("derivative shared ops", "derivative, shared (Wengert list)", "#2ca02c", "s"),
              ("f Wengert length", "f itself (Wengert list length)", "#1f77b4", "^")]
    for col, label, c, mk in series:
        if col in df:  # 0 operations (n = 1: f is just x) has no place on a log axis: left out, not clipped
            v = df[col].to_numpy(dtype=float)
            ax.plot(df["n"], np.where(v > 0, v, np.nan), marker=mk, color=c, label=label)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("operations")
    family = df["family"].iloc[0] if "family" in df and len(df) else ""
    ax.set_title(title or f"Expression swell: {family}")
    ax.grid(True, which="major", alpha=0.3)
    # under the axes: inside, "best" put it where it was wider than the axes for some families (nested sin), and
    # constrained layout shrank the axes to nothing
    handles, names = ax.get_legend_handles_labels()
    _legend_below(fig, handles, names, most=1)
    return fig


# --- timings ----------------------------------------------------------------------------------------


def _integer_ticks(axis: Any, values: Any) -> None:
    """Ticks at the measured sizes themselves (1, 2, 4, ..., 256), at most five labelled, written as integers.

    A log axis's own labels over 1 to 256 are "2×10⁰ 3×10⁰ 4×10⁰ ...", which run into each other; sizes
    that are whole numbers read better as such. At projector size (:data:`SMALLEST`) five labels fit a figure
    shown 259 px wide: every other size (1, 4, 16, 64, 256), counted from the largest, is labelled, the others
    are unlabelled minor ticks.
    """
    v = sorted({float(t) for t in np.asarray(values, dtype=float) if np.isfinite(t) and t > 0})
    if not v or not all(t.is_integer() for t in v):
        return
    stride = max(1, math.ceil(len(v) / 5))
    labelled = v[::-1][::stride][::-1]
    axis.set_major_locator(FixedLocator(labelled))
    axis.set_major_formatter(FuncFormatter(lambda t, _: f"{t:,.0f}"))
    axis.set_minor_locator(FixedLocator([t for t in v if t not in labelled]))
    axis.set_minor_formatter(NullFormatter())


@_styled
def lines_figure(df: pd.DataFrame, x: str, y: str, hue: str, title: str, xlabel: str, ylabel: str,
                 logx: bool = True, logy: bool = True) -> Figure:
    """One line per value of ``hue``: y against x (timings against size, loss against step)."""
    fig = _figure(6.6, 4.8)
    ax = fig.add_subplot()
    for k, (name, g) in enumerate(df.groupby(hue, sort=False)):
        g = g.sort_values(x)
        dashed = "compiled" in str(name) or str(name) in ("primal", "loss only")
        ax.plot(g[x], g[y], marker="o", color=color(str(name), k), label=str(name), linestyle="--" if dashed else "-")
    if logx:
        ax.set_xscale("log")
        _integer_ticks(ax.xaxis, df[x])
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    _legend_below(fig, ax.get_lines(), [ln.get_label() for ln in ax.get_lines()], most=3)  # inside, it hid curves
    return fig


@_styled
def crossover_figure(df: pd.DataFrame) -> Figure:
    """Forward/reverse time ratio over (n, m): above 1 reverse mode wins."""
    fig = _figure(8.0, 5.6)  # the compare page's full column, 535 px at 1024 pixels: 21 px text, numbers apart
    ax = fig.add_subplot()
    ns = sorted(df["n"].unique())
    ms = sorted(df["m"].unique())
    ratio = np.full((len(ms), len(ns)), np.nan)
    for _, r in df.iterrows():
        ratio[ms.index(r["m"]), ns.index(r["n"])] = r["forward_s"] / r["reverse_s"]
    im = ax.imshow(np.log2(ratio), cmap="RdBu_r", vmin=-4, vmax=4, origin="lower", aspect="auto")
    for a in range(len(ms)):
        for b in range(len(ns)):
            if np.isfinite(ratio[a, b]):
                r = ratio[a, b]  # at most five characters, to fit a cell at projector size: 25×, 1.4×, 1/16, 1/1.3
                inv = f"{1 / r:.2g}"
                ax.text(b, a, f"{r:.2g}×" if r >= 1 else "1×" if inv == "1" else f"1/{inv}", ha="center",
                        va="center", fontsize=SMALLEST)
    ax.set_xticks(range(len(ns)), [str(n) for n in ns])
    ax.set_yticks(range(len(ms)), [str(m) for m in ms])
    ax.set_xlabel("n inputs")
    ax.set_ylabel("m outputs")
    ax.set_title("Forward time / reverse time (red: reverse mode faster)")
    cb = fig.colorbar(im, ax=ax)
    cb.set_label("log₂ ratio")
    return fig


@_styled
def loss_figure(df: pd.DataFrame) -> Figure:
    """Gradient descent: loss (left axis) and gradient norm (right axis, log) against step."""
    fig = _figure(6.8, 4.4)  # shown 348 px wide at 1024 pixels: 22.75-pt ticks are 16.2 px
    ax = fig.add_subplot()
    ax.plot(df["step"], df["loss"], marker="o", color="#1f77b4", label="loss")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers: no tick at 2.5
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("mean logistic loss", color="#1f77b4")
    ax.grid(True, alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(df["step"], df["grad_norm"], marker="s", color="#d62728", label="gradient norm")
    ax2.set_yscale("log")
    ax2.set_ylabel("‖gradient‖ (log)", color="#d62728")
    lines = ax.get_lines()[:1] + ax2.get_lines()[:1]
    _legend_below(fig, lines, [ln.get_label() for ln in lines], most=2)  # inside, it covered the curves
    ax.set_title("Gradient descent")  # the page's heading says the gradients are reverse mode's
    return fig


def time_label(seconds: float) -> str:
    """A duration as people read it: 12.3 µs, 4.56 ms, 1.2 s."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


@_styled
def bar_figure(labels: Sequence[str], values: Sequence[float], title: str, xlabel: str) -> Figure:
    """Horizontal bars (e.g. median time per method), log scale."""
    fig = _figure(6.6, 0.55 * len(labels) + 1.8)
    ax = fig.add_subplot()
    ax.barh(list(labels), list(values), color=[color(lab, k) for k, lab in enumerate(labels)],
            hatch=["//" if "compiled" in lab else "" for lab in labels])
    ax.set_xscale("log")
    finite = [float(v) for v in values if np.isfinite(v) and v > 0]
    if finite:  # each bar's value written at its end: a log axis has too few ticks to read a time off
        for k, v in enumerate(values):
            if np.isfinite(v) and v > 0:
                ax.annotate(time_label(v) if "second" in xlabel else f"{v:.3g}", (v, k), xytext=(4, 0),
                            textcoords="offset points", va="center", fontsize=SMALLEST)
        ax.set_xlim(min(finite) / 1.5, max(finite) * 3)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.invert_yaxis()
    ax.grid(True, axis="x", alpha=0.3)
    return fig


__all__ = ["error_figure", "swell_figure", "lines_figure", "crossover_figure", "loss_figure", "bar_figure",
           "to_png", "to_svg"]


# --- higher order: second differences, Taylor polynomials, cost against k, Newton's method ----------------

_FIRST, _SECOND = "central (first derivative)", "second difference"


@_styled
def second_difference_figure(df: pd.DataFrame) -> Figure:
    """First central differences beside second differences (``hessians.second_difference_sweep``), one panel
    each on a shared log y axis: the measured error, the model (dotted), the model's best step (star), the
    least error measured (its horizontal line: the floor), and the steps ε^(1/3) and ε^(1/4) (grey)."""
    eps = float(np.finfo(float).eps)
    fig = _figure(9.0, 5.6)
    axes = fig.subplots(1, 2, sharey=True)
    errs = _finite_positive(df["error"])
    lo, hi = _log_limits(errs)
    best = df.attrs.get("model_best", {})
    entry = df.attrs.get("entry", "")
    titles = {_FIRST: "f′ by central differences", _SECOND: f"{entry} by second differences"}
    for ax, scheme, marks, c in ((axes[0], _FIRST, (1 / 3, "ε^(1/3)"), "#2ca02c"),
                                 (axes[1], _SECOND, (1 / 4, "ε^(1/4)"), "#9467bd")):
        g = df[df["scheme"] == scheme]
        h, e = g["eps"].to_numpy(dtype=float), g["error"].to_numpy(dtype=float)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_autoscaley_on(False)
        ax.set_ylim(lo, hi)
        ax.plot(h, np.where(np.isfinite(e) & (e > 0), e, np.nan), color=c, marker="o", markevery=(0, MARK_EVERY),
                markersize=7, markerfacecolor="white", markeredgewidth=1.6, label="measured error")
        with np.errstate(all="ignore"):
            bound = (g["truncation"] + g["rounding"]).to_numpy(dtype=float)
        ax.plot(h, np.where(np.isfinite(bound), np.clip(bound, lo / 10, hi), np.nan), ":", color=c, linewidth=1.6,
                label="model: truncation + rounding")
        ok = np.isfinite(e) & (e > 0)
        if ok.any():
            floor = float(e[ok].min())
            ax.axhline(floor, color=c, linestyle="--", linewidth=1.0, alpha=0.7)
            # at the left, where the measured error is far above its least value (the star and the ε mark
            # sit at the right, near the best step)
            ax.annotate(f"floor {floor:.0e}", (0, floor), xycoords=("axes fraction", "data"), xytext=(4, 4),
                        textcoords="offset points", ha="left", va="bottom", fontsize=SMALLEST, color=c)
        hb = best.get(scheme, math.nan)
        if np.isfinite(hb) and hb > 0:
            k = int(np.argmin(np.abs(np.log(h) - np.log(hb))))
            y = e[k] if np.isfinite(e[k]) and e[k] > 0 else lo * 3
            ax.plot([h[k]], [min(max(y, lo * 3), hi)], marker="*", markersize=18, color=c, markeredgecolor="black",
                    linestyle="none", zorder=5)
        ax.axvline(eps ** marks[0], color="gray", linewidth=1.2, linestyle="-.")
        ax.annotate(marks[1], (eps ** marks[0], 0), xycoords=("data", "axes fraction"), xytext=(4, 6),
                    textcoords="offset points", fontsize=_pt(13), color="#444444")
        _decade_ticks(ax, lo, hi)
        ax.xaxis.set_major_locator(FixedLocator([10.0**k for k in range(-12, 1, 4)]))
        ax.xaxis.set_minor_locator(FixedLocator([10.0**k for k in range(-12, 1)]))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("step h")
        ax.set_title(titles[scheme], fontsize=_pt(13))
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("absolute error")
    handles = [Line2D([], [], color="gray", marker="o", markerfacecolor="white"), Line2D([], [], color="gray",
               linestyle=":"), Line2D([], [], color="gray", marker="*", markersize=15, markeredgecolor="black",
                                      linestyle="none"), Line2D([], [], color="gray", linestyle="--")]
    _legend_below(fig, handles, ["measured error", "error model", "model's best step", "floor (least error)"], most=2)
    return fig


#: The largest axis limit a figure sets: f and its gaps near the overflow edge (exp at 709.7) stay drawable.
_BIG = float(np.finfo(float).max) / 4


@_styled
def taylor_figure(x: np.ndarray, f: np.ndarray, polys: np.ndarray, x0: float, title: str, name: str,
                  tol: float | None = None) -> Figure:
    """Above: f along one input (black) and its Taylor polynomials of orders 1..k around ``x0`` (row k-1 of
    ``polys``), the y axis set by f so that a polynomial running away leaves the frame instead of flattening f.
    Below: |p_k − f| on a log axis, with the tolerance ``tol`` at which a polynomial is said to part from f."""
    fig = _figure(8.0, 7.0)
    top, low = fig.subplots(2, 1, sharex=True, height_ratios=[1.1, 1])
    fin = f[np.isfinite(f)]
    if fin.size:
        lo, hi = float(fin.min()), float(fin.max())
        pad = 0.5 * (hi / 2 - lo / 2) if hi > lo else max(1.0, abs(hi)) * 0.5  # (hi - lo) / 4, no overflow near 1e308
        top.set_ylim(max(lo - pad, -_BIG), min(hi + pad, _BIG))
    cmap = matplotlib.colormaps["viridis"]
    k = len(polys)
    gaps = []
    for j, p in enumerate(polys):
        c, dash = cmap(0.05 + 0.85 * j / max(k - 1, 1)), (0, (5, 2)) if j % 2 else "-"
        top.plot(x, p, color=c, linewidth=1.8, linestyle=dash, label=f"order {j + 1}")
        with np.errstate(all="ignore"):
            g = np.abs(p - f)
        gaps.append(g[np.isfinite(g) & (g > 0)])
        low.plot(x, np.where(np.isfinite(g) & (g > 0), g, np.nan), color=c, linewidth=1.8, linestyle=dash)
    top.plot(x, f, color="black", linewidth=2.8, label="f", zorder=4)
    for ax in (top, low):
        ax.axvline(x0, color="gray", linewidth=1.0, linestyle=":")
        ax.grid(True, alpha=0.3)
    low.set_yscale("log")
    allg = np.concatenate(gaps) if gaps else np.zeros(0)
    if allg.size:
        floor = min(float(allg.min()), tol / 10) if tol else float(allg.min())  # the tolerance line stays inside
        low.set_ylim(max(floor, 1e-17), min(max(float(allg.max()), tol or 0.0) * 10, _BIG))
    else:  # a polynomial f: every p_k from its degree on is f itself, nothing to draw on a log axis
        low.set_ylim((tol or 1.0) / 1e6, (tol or 1.0) * 1e3)
        # two short lines inside the axes, and out of the layout: a text wider than the axes made constrained
        # layout shrink them to nothing (f = 2x + 1 drew a sliver)
        low.text(0.5, 0.3, "|pₖ − f| = 0 everywhere:\nf is of degree ≤ 1 here", transform=low.transAxes,
                 ha="center", va="center", fontsize=SMALLEST, color="#444444", in_layout=False)
    if tol is not None:
        low.axhline(tol, color="#d62728", linewidth=1.2, linestyle="--")
        low.annotate("pₖ parts from f above", (1, tol), xycoords=("axes fraction", "data"),
                     xytext=(-4, 4), textcoords="offset points", ha="right", fontsize=SMALLEST, color="#d62728",
                     bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
    low.set_ylabel("|pₖ − f|")
    low.set_xlabel(name)
    low.xaxis.set_major_locator(MaxNLocator(5))  # labels of SMALLEST text apart
    low.yaxis.set_major_locator(LogLocator(numticks=6))
    top.set_title(title)
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=SMALLEST)
    return fig


@_styled
def higher_cost_figure(df: pd.DataFrame, name: str) -> Figure:
    """Against k: the k-th symbolic derivative's size (tree, shared), and Taylor mode's operations against
    nested duals' (columns k, tree ops, shared ops, taylor_ops, duals_ops), on log axes, two panels."""
    fig = _figure(9.0, 4.6)
    a, b = fig.subplots(1, 2)
    for ax, series, title in (
            (a, (("tree ops", "written out (tree)", "#d62728", "o"), ("shared ops", "shared (DAG)", "#2ca02c", "s")),
             f"size of ∂ᵏf/∂{name}ᵏ"),
            (b, (("duals_ops", "nested duals, O(2ᵏ)", "#ff7f0e", "o"), ("taylor_ops", "Taylor mode, O(k²)", "#1f77b4",
                                                                          "s")),
             "operations, derivatives 0..k")):
        drawn = False
        for col, lab, c, mk in series:
            v = df[col].to_numpy(dtype=float)
            ax.plot(df["k"], np.where(v > 0, v, np.nan), marker=mk, color=c, label=lab)
            drawn = drawn or bool(np.any(np.isfinite(v) & (v > 0)))
        ax.set_yscale("log")
        if len(df):
            ax.set_xlim(float(df["k"].min()) - 0.5, float(df["k"].max()) + 0.5)
        if not drawn:  # 2x + 1: each derivative is a number, 0 operations, nothing a log axis can show
            ax.set_ylim(0.5, 20)
            ax.text(0.5, 0.5, "0 operations:\neach derivative\nis a number", transform=ax.transAxes,
                    ha="center", va="center", fontsize=SMALLEST, color="#444444", in_layout=False)
        ax.set_xlabel("order k")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("operations")
        ax.set_title(title, fontsize=_pt(14))
        ax.grid(True, which="major", alpha=0.3)
    handles = [*a.get_lines(), *b.get_lines()]  # under the panels, a column for each: inside, they covered curves
    _legend_below(fig, handles, [h.get_label() for h in handles], most=2)
    return fig


@_styled
def newton_figure(X: np.ndarray, Y: np.ndarray, Z: np.ndarray, newton: pd.DataFrame, descent: pd.DataFrame,
                  names: Sequence[str], title: str) -> Figure:
    """Newton's iterates and gradient descent's over the contours of f (levels packed towards the minimum)."""
    fig = _figure(6.6, 5.4)
    ax = fig.add_subplot()
    z = Z[np.isfinite(Z)]
    if z.size:
        levels = np.unique(np.quantile(z, np.linspace(0, 1, 26) ** 2.5))
        if len(levels) > 2:
            ax.contour(X, Y, Z, levels=levels, cmap="Greys_r", linewidths=0.9, alpha=0.8)
    ax.plot(descent["x"], descent["y"], color="#1f77b4", linewidth=1.4, marker=".", markersize=4,
            label=f"gradient descent ({len(descent) - 1} steps)")
    ax.plot(newton["x"], newton["y"], color="#d62728", linewidth=2.2, marker="o", markersize=7,
            markerfacecolor="white", label=f"Newton ({len(newton) - 1} steps)", zorder=5)
    ax.plot([newton["x"].iloc[0]], [newton["y"].iloc[0]], marker="s", color="black", linestyle="none", markersize=9,
            label="start", zorder=6)
    ax.plot([newton["x"].iloc[-1]], [newton["y"].iloc[-1]], marker="*", color="#d62728", markeredgecolor="black",
            linestyle="none", markersize=18, label="Newton's last iterate", zorder=7)
    ax.set_xlim(X.min(), X.max())
    ax.set_ylim(Y.min(), Y.max())
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(title if len(title) <= 40 else title[:39] + "…", fontsize=_pt(14))
    _legend_below(fig, *ax.get_legend_handles_labels(), most=2)  # under the plot: the contours stay in view
    return fig


__all__ += ["second_difference_figure", "taylor_figure", "higher_cost_figure", "newton_figure"]


# --- programs: f and its AD derivative across a range, the memory trade-off, gradient ascent ----------------


@_styled
def program_sweep_figure(x: np.ndarray, f: np.ndarray, d: np.ndarray, marks: Sequence[tuple[float, str]],
                         x0: float, name: str) -> Figure:
    """Above: f along one input, the program traced again at each x. Below: AD's derivative there (the derivative
    of the path taken). Dashed red lines: where the path changes (a guard flips), labelled kink or jump."""
    fig = _figure(8.0, 6.4)
    top, low = fig.subplots(2, 1, sharex=True)
    top.plot(x, f, color="black", linewidth=2.4, label="f")
    low.plot(x, d, color=_CYCLE[0], linewidth=2.4, label="AD derivative (the branch taken)")
    for k, (at, kind) in enumerate(marks[:20]):
        for ax in (top, low):
            ax.axvline(at, color="#d62728", linewidth=1.2, linestyle="--")
        if k < 4:
            top.annotate(kind, (at, 1), xycoords=("data", "axes fraction"), xytext=(4, -4), textcoords="offset points",
                         ha="left", va="top", fontsize=SMALLEST, color="#d62728")
    for ax in (top, low):
        ax.axvline(x0, color="gray", linewidth=1.0, linestyle=":")
        ax.grid(True, alpha=0.3)
    top.set_ylabel("f")
    low.set_ylabel("AD f′")
    low.set_xlabel(name)
    low.xaxis.set_major_locator(MaxNLocator(6))  # labels of SMALLEST text apart
    return fig


@_styled
def memory_figure(df: pd.DataFrame) -> Figure:
    """Left: values stored against the iteration count (reverse mode's tape, forward mode's live values).
    Right: time of one reverse sweep and one forward pass. Both axes logarithmic."""
    fig = _figure(10.0, 4.8)
    left, right = fig.subplots(1, 2)
    d = df.sort_values("iterations")
    it = d["iterations"].to_numpy(float)
    left.plot(it, d["reverse_tape_values"], "o-", color=color("reverse", 0), label="reverse: tape")
    left.plot(it, d["forward_live_values"], "s--", color=color("forward", 1), label="forward: live values")
    right.plot(it, d["reverse_seconds"], "o-", color=color("reverse", 0), label="reverse")
    right.plot(it, d["forward_seconds"], "s--", color=color("forward", 1), label="forward")
    left.set_ylabel("values stored")
    right.set_ylabel("seconds")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("iterations")
        ax.grid(True, alpha=0.3)
    # One legend under both panels (inside, it covered part of a curve): each mode has one colour and dash in both.
    _legend_below(fig, left.get_lines(), ["reverse: tape, one sweep", "forward: live values, one pass"])
    return fig


@_styled
def ascent_figure(df: pd.DataFrame) -> Figure:
    """The range at each gradient-ascent step, against the angle."""
    fig = _figure(7.0, 4.2)
    ax = fig.subplots()
    ax.plot(df["angle"], df["range"], "o-", color=_CYCLE[0])
    for _, r in df.iterrows():
        ax.annotate(str(int(r["step"])), (r["angle"], r["range"]), xytext=(4, -12), textcoords="offset points",
                    fontsize=SMALLEST)
    ax.set_xlabel("angle (radians)")
    ax.set_ylabel("range")
    ax.grid(True, alpha=0.3)
    return fig


__all__ += ["program_sweep_figure", "memory_figure", "ascent_figure"]


@_styled
def program_error_figure(df: pd.DataFrame, name: str, x0: float) -> Figure:
    """A traced program's finite-difference error against the step h (log-log), one curve per scheme; the steps
    whose stencil takes another path than ``x0`` (``other_path``) marked with red crosses. An error of exactly 0
    has no place on a log axis and is left out (not clipped)."""
    fig = _figure(9.0, 5.0)
    ax = fig.subplots()
    handles, names, shown = [], [], []
    for k, (scheme, g) in enumerate(df.groupby("scheme", sort=False)):
        g = g.sort_values("eps")
        err = g["error"].to_numpy(float)
        err = np.where(np.isfinite(err) & (err > 0), err, np.nan)
        dash, mark, start = _scheme_style(str(scheme), k)
        (line,) = ax.plot(g["eps"], err, linestyle=dash, marker=mark, markevery=(start, MARK_EVERY),
                          color=color(str(scheme), k))
        handles.append(line)
        names.append(str(scheme))
        shown.append(err)
        if "other_path" in g:
            flip = g["other_path"].to_numpy(bool)
            ax.plot(g["eps"][flip], err[flip], "x", color="#d62728", markersize=11, markeredgewidth=2.4)
    errs = _finite_positive(np.concatenate(shown)) if shown else np.array([])
    lo, hi = _log_limits(errs)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(lo, hi)
    _decade_ticks(ax, lo, hi)
    if len(df):  # every step swept, even where the error is exactly 0 (no point drawn there)
        ax.set_xlim(float(df["eps"].min()) / 2, float(df["eps"].max()) * 2)
    ax.xaxis.set_major_locator(LogLocator(numticks=6))  # a label every few decades, apart at SMALLEST
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("step h")
    ax.set_ylabel("|error| against reverse mode")
    ax.set_title(f"Finite differences at {name} = {x0:.6g}")
    ax.grid(True, which="major", alpha=0.3)
    if "other_path" in df and df["other_path"].any():
        handles.append(Line2D([], [], linestyle="none", marker="x", color="#d62728", markersize=11,
                              markeredgewidth=2.4))
        names.append(f"another path at {name} ± h")
    _legend_below(fig, handles, names)
    return fig


__all__ += ["program_error_figure"]

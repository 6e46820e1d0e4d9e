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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

COLORS = {"forward": "#1f77b4", "backward": "#17becf", "central": "#2ca02c", "complex": "#d62728",
          "richardson": "#9467bd", "symbolic": "#8c564b", "numeric": "#2ca02c", "reverse": "#d62728",
          "primal": "#444444", "loss": "#444444"}
_CYCLE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]
ZERO_FLOOR = 1e-17  # where an error of exactly 0 is drawn on a log axis
STYLE = {"font.size": 14, "axes.titlesize": 16, "axes.labelsize": 15, "legend.fontsize": 13,
         "xtick.labelsize": 13, "ytick.labelsize": 13, "lines.linewidth": 2.4}
# Figure sizes are chosen for the column each figure is shown in, so that the page scales fonts by
# about 0.7-1.0 at a 1280-pixel window: a figure drawn wider than its column shrinks its text.


def _figure(width: float = 9.0, height: float = 5.2) -> Figure:
    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _styled(build: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build the figure under the workbench's font sizes, without touching global settings."""

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(STYLE):
            return build(*args, **kwargs)

    return wrapper


def color(name: str, k: int = 0) -> str:
    for key, c in COLORS.items():
        if str(name).startswith(key):
            return c
    return _CYCLE[k % len(_CYCLE)]


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def to_svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


# --- numeric: error against step ------------------------------------------------------------------


@_styled
def error_figure(sweeps: Mapping[str, pd.DataFrame], best: pd.DataFrame | None = None,
                 current: float | None = None, model: bool = True, title: str = "",
                 default: pd.DataFrame | None = None) -> Figure:
    """Log-log error against step h, one colour per scheme.

    ``sweeps`` maps a label ("float64", "float32") to an ``error_sweep`` frame; the first is
    drawn solid, the others dashed. The model (truncation + rounding bound) is drawn dotted for
    the first sweep, ``best`` steps are marked with stars, the ``default`` steps (columns
    scheme, eps, error) with diamonds, and ``current`` as a vertical line.
    """
    fig = _figure(10.5, 5.6)
    ax = fig.add_subplot()
    styles = ["-", "--", "-."]
    exact = False
    for k, (label, df) in enumerate(sweeps.items()):
        for scheme, g in df.groupby("scheme", sort=False):
            err = g["error"].to_numpy(dtype=float)
            zero = err == 0
            exact = exact or bool(zero.any())
            name = f"{scheme}" + (f" ({label})" if len(sweeps) > 1 else "")
            ax.plot(g["eps"], np.where(zero, np.nan, err), styles[k % 3], color=color(scheme), label=name,
                    alpha=1 if k == 0 else 0.75)
            if zero.any():
                ax.plot(g["eps"].to_numpy()[zero], np.full(int(zero.sum()), ZERO_FLOOR), "|", color=color(scheme),
                        markersize=10, alpha=0.8)
            if model and k == 0 and np.isfinite(g["truncation"]).any():
                bound = (g["truncation"] + g["rounding"]).to_numpy(dtype=float)
                ax.plot(g["eps"], bound, ":", color=color(scheme), linewidth=1.4, alpha=0.8)
    if exact:
        ax.axhline(ZERO_FLOOR, color="gray", linewidth=0.8)
        ax.annotate("ticks: error exactly 0", (0.99, ZERO_FLOOR), xycoords=("axes fraction", "data"), xytext=(0, 5),
                    textcoords="offset points", fontsize=11, color="gray", ha="right")
    if best is not None and len(best):
        for _, r in best.iterrows():
            if np.isfinite(r["error"]):
                ax.plot([r["eps"]], [max(r["error"], ZERO_FLOOR)], marker="*", markersize=16, color=color(r["scheme"]),
                        markeredgecolor="black", linestyle="none")
    if default is not None and len(default):
        for _, r in default.iterrows():
            if np.isfinite(r["error"]):
                ax.plot([r["eps"]], [max(r["error"], ZERO_FLOOR)], marker="D", markersize=10, color=color(r["scheme"]),
                        markeredgecolor="black", linestyle="none")
    if current is not None:
        ax.axvline(current, color="black", linewidth=1.2, linestyle="--")
        ax.annotate("slider's h", (current, 1), xycoords=("data", "axes fraction"), xytext=(4, -16),
                    textcoords="offset points", fontsize=12)
    ax.set_xscale("log")
    ax.set_yscale("log")
    # The axis follows the measured errors, not the model lines: where f and f''' vanish (x - sin x at 0)
    # the model's bounds fall to 1e-100 and would squash every measured curve into a band.
    errs = np.concatenate([df["error"].to_numpy(dtype=float) for df in sweeps.values()] or [np.zeros(0)])
    errs = errs[np.isfinite(errs) & (errs > 0)]
    if errs.size:
        ax.set_ylim(max(min(errs.min(), ZERO_FLOOR) / 5, 1e-40), errs.max() * 5)
    ax.set_xlabel("step h (ε)")
    ax.set_ylabel("absolute error |estimate − AD value|")
    ax.set_title(title or "Error of each finite-difference scheme against the step")
    ax.grid(True, which="major", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if model:
        handles.append(Line2D([], [], color="gray", linestyle=":", linewidth=1.4))
        labels.append("model: truncation + rounding")
    if best is not None and len(best):
        handles.append(Line2D([], [], color="gray", marker="*", markersize=14, linestyle="none",
                              markeredgecolor="black"))
        labels.append("best step of each scheme")
    if default is not None and len(default):
        handles.append(Line2D([], [], color="gray", marker="D", markersize=9, linestyle="none",
                              markeredgecolor="black"))
        labels.append("default step (chosen for f)")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


# --- symbolic: swell against depth ----------------------------------------------------------------


@_styled
def swell_figure(df: pd.DataFrame, title: str = "") -> Figure:
    """Derivative size against n on a log axis: written-out tree against shared graph."""
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
    ax.set_xlabel("n (depth / size of the family member)")
    ax.set_ylabel("operations")
    family = df["family"].iloc[0] if "family" in df and len(df) else ""
    ax.set_title(title or f"Expression swell: {family}")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False)
    return fig


# --- timings ----------------------------------------------------------------------------------------


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
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False)
    return fig


@_styled
def crossover_figure(df: pd.DataFrame) -> Figure:
    """Forward/reverse time ratio over (n, m): above 1 reverse mode wins."""
    fig = _figure(6.6, 5.2)
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
                ax.text(b, a, f"{ratio[a, b]:.2g}×", ha="center", va="center", fontsize=12)
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
    fig = _figure(8, 4.4)
    ax = fig.add_subplot()
    ax.plot(df["step"], df["loss"], marker="o", color="#1f77b4", label="loss")
    ax.set_xlabel("gradient-descent step")
    ax.set_ylabel("mean logistic loss", color="#1f77b4")
    ax.grid(True, alpha=0.3)
    ax2 = ax.twinx()
    ax2.plot(df["step"], df["grad_norm"], marker="s", color="#d62728", label="gradient norm")
    ax2.set_yscale("log")
    ax2.set_ylabel("‖gradient‖ (log)", color="#d62728")
    lines = ax.get_lines()[:1] + ax2.get_lines()[:1]
    ax.legend(lines, [ln.get_label() for ln in lines], loc="upper right", frameon=False)
    ax.set_title("Gradient descent with reverse-mode gradients")
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
                            textcoords="offset points", va="center", fontsize=12)
        ax.set_xlim(min(finite) / 1.5, max(finite) * 3)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.invert_yaxis()
    ax.grid(True, axis="x", alpha=0.3)
    return fig


__all__ = ["error_figure", "swell_figure", "lines_figure", "crossover_figure", "loss_figure", "bar_figure",
           "to_png", "to_svg"]

"""Plot helpers shared by the notebooks: curves against steps with seed bands, milestone markers, captions."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

SPLIT_STYLE = {"train": "-", "val": "--", "test": ":"}


def caption(fig: plt.Figure, text: str) -> None:
    """A small caption under the figure saying what produced it."""
    import textwrap

    # matplotlib's own wrap=True ignores the figure edge under bbox_inches="tight"; wrap by width instead
    width = max(60, int(fig.get_figwidth() * 17))
    fig.text(0.01, -0.02, textwrap.fill(text, width=width), fontsize=8, ha="left", va="top")


def seed_band(ax: plt.Axes, tidy: pd.DataFrame, column: str, label: str, color=None, ls="-", logx: bool = True,
              geometric: bool = False):
    """Mean ± std over seeds of `column` against step. Where some seeds have already stopped (early stop),
    the statistics are over the seeds still running; say so in the caption. geometric=True takes the
    statistics of log10 values (for quantities drawn on a log axis, such as losses)."""
    values = np.log10(tidy[column].clip(lower=1e-12)) if geometric else tidy[column]
    stats = values.groupby(tidy["step"]).agg(["mean", "std"]).reset_index()
    stats["std"] = stats["std"].fillna(0.0)
    lo, mid, hi = stats["mean"] - stats["std"], stats["mean"], stats["mean"] + stats["std"]
    if geometric:
        lo, mid, hi = 10 ** lo, 10 ** mid, 10 ** hi
    x = stats["step"].clip(lower=1) if logx else stats["step"]
    line, = ax.plot(x, mid, ls=ls, color=color, label=label)
    ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2)
    if logx:
        ax.set_xscale("log")
    return line


def per_seed_curves(ax: plt.Axes, tidy: pd.DataFrame, column: str, label: str, color=None, ls="-", logx=True):
    """One line per seed (the same colour), labelled once."""
    line = None
    for i, (_, run) in enumerate(tidy.groupby("seed")):
        x = run["step"].clip(lower=1) if logx else run["step"]
        line, = ax.plot(x, run[column], ls=ls, lw=1.2, alpha=0.85, label=label if i == 0 else None,
                        color=color if line is None else line.get_color())
    if logx:
        ax.set_xscale("log")
    return line


def errorbar_with_censored(ax: plt.Axes, table: pd.DataFrame, x: str, y: str, label: str, color=None,
                           offset: float = 1.0, logx: bool = False, censored_y: str = "last_step"):
    """Mean ± std of y over the uncensored runs at each x, each run as a dot, and censored runs as open
    triangles at their lower bound `censored_y` (for t_val: the last step reached; for Δt: last step − t_train)."""
    done = table[~table["censored"]]
    stats = done.groupby(x)[y].agg(["mean", "std"]).reset_index()
    xs = stats[x] * offset if logx else stats[x] + (offset - 1.0)
    eb = ax.errorbar(xs, stats["mean"], yerr=stats["std"].fillna(0.0), fmt="o-", capsize=4, color=color, label=label)
    col = eb[0].get_color()
    dx = done[x] * offset if logx else done[x] + (offset - 1.0)
    ax.scatter(dx, done[y], s=12, color=col, alpha=0.5, zorder=3)
    cens = table[table["censored"]]
    if len(cens):
        cx = cens[x] * offset if logx else cens[x] + (offset - 1.0)
        ax.scatter(cx, cens[censored_y], marker="^", s=60, facecolors="none", edgecolors=col, zorder=4,
                   label=f"{label}: threshold not reached (lower bound)")
    return col


def finite_or_dash(value: float, fmt: str = "{:.0f}") -> str:
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else fmt.format(value)


def log_y_if_possible(ax: plt.Axes, *series: pd.Series) -> None:
    """Log-scale the y axis when there is a positive value to show (an all-censored study has none)."""
    values = pd.concat([pd.Series(s, dtype=float) for s in series])
    if (values[np.isfinite(values)] > 0).any():
        ax.set_yscale("log")

"""Part 1 figures: one function per figure kind, built from the primitives at the top (seed bands, censored
error bars). Each returns the figure; the notebook shows it."""
from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap

from ..report.display import PRINT_WIDTH_IN, caption, legend_in, panel_grid

SPLIT_STYLE = {"train": "-", "val": "--", "test": ":"}


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


def log_y_if_possible(ax: plt.Axes, *series: pd.Series) -> None:
    """Log-scale the y axis when there is a positive value to show (an all-censored study has none)."""
    values = pd.concat([pd.Series(s, dtype=float) for s in series])
    if (values[np.isfinite(values)] > 0).any():
        ax.set_yscale("log")


# ------------------------------------------------------------------------------------------- figures

def sanity_losses(runs: list[tuple[pd.DataFrame, str, str]], threshold: float, note: str) -> plt.Figure:
    """Training loss of the sanity runs: (metrics, label, line style) each, and the pass threshold."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for metrics, label, style in runs:
        ax.plot(metrics["step"].clip(lower=1), metrics["train_loss"], ls=style, marker="." if style == "-" else None,
                label=label)
    ax.axhline(threshold, color="grey", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set(xscale="log", yscale="log", xlabel="optimisation step (log; step 0 drawn at 1)",
           ylabel="train loss (mean cross-entropy, nats/token)", title="Sanity runs: training loss")
    ax.legend()
    caption(fig, note)
    return fig


def division_table(div: pd.DataFrame, p: int, note: str) -> plt.Figure:
    """The division task as a p × p grid: the result c of each (a, b), and the split each cell belongs to."""
    fig, axes = plt.subplots(1, 2, figsize=(PRINT_WIDTH_IN, 4.4))
    result = np.full((p, p), np.nan)
    result[div.a, div.b] = div.c
    im = axes[0].imshow(result, cmap="twilight", origin="lower", interpolation="nearest")
    axes[0].set(xlabel="b", ylabel="a", title=f"c = a / b (mod {p})\n(column b = 0 undefined)")
    fig.colorbar(im, ax=axes[0], fraction=0.046, label="c")
    codes, colors = {"train": 0, "val": 1, "test": 2}, ["#1f77b4", "#ff7f0e", "#bbbbbb"]
    membership = np.full((p, p), np.nan)
    membership[div.a, div.b] = div.split.map(codes)
    axes[1].imshow(membership, cmap=ListedColormap(colors), origin="lower", interpolation="nearest", vmin=0, vmax=2)
    axes[1].set(xlabel="b", ylabel="a", title=f"split of a / b (mod {p})\nused in 1.3–1.4")
    for name, code in codes.items():
        axes[1].scatter([], [], marker="s", color=colors[code], label=f"{name}: {(div.split == name).sum():,}")
    axes[1].legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, title="split (equations)")
    caption(fig, note)
    fig.tight_layout()
    return fig


def warmup_grid(metrics: pd.DataFrame, layers: list[int], ops: list[str], moduli: list[int], note: str) -> plt.Figure:
    """Train (solid) and test (dashed) accuracy and loss of every configuration, one column per task."""
    tasks = [(o, q) for o in ops for q in moduli]
    fig, flat = panel_grid(2 * len(tasks), panel_height=2.6, sharex=True)
    axes = np.array(flat).reshape(len(tasks), 2)
    for row, (op, p) in enumerate(tasks):
        for n_layer, color in zip(layers, sns.color_palette(n_colors=len(layers))):
            run = metrics[(metrics.op == op) & (metrics.modulus == p) & (metrics.n_layer == n_layer)]
            x = run["step"].clip(lower=1)
            for split, ls in [("train", "-"), ("test", "--")]:
                axes[row, 0].plot(x, run[f"{split}_acc"], ls=ls, color=color, label=f"{n_layer}-layer {split}")
                axes[row, 1].plot(x, run[f"{split}_loss"], ls=ls, color=color, label=f"{n_layer}-layer {split}")
        axes[row, 0].set(xscale="log", ylim=(-0.02, 1.02), ylabel=f"a {op} b (mod {p})\naccuracy")
        axes[row, 1].set(xscale="log", yscale="log", ylabel="loss (nats/token)")
    axes[0, 0].set_title("exact-match accuracy on the answer")
    axes[0, 1].set_title("loss on the answer")
    for ax in axes[-1]:
        ax.set_xlabel("step (log)")
    axes[0, 0].legend(loc="lower right", ncol=2)
    caption(fig, note)
    fig.tight_layout()
    return fig


def seed_bands(runs: pd.DataFrame, title: str, note: str) -> plt.Figure:
    """Accuracy and loss of one configuration over seeds: mean ± std per split."""
    fig, axes = plt.subplots(1, 2, figsize=(PRINT_WIDTH_IN, 3.8))
    for split, ls in [("train", "-"), ("val", "-."), ("test", "--")]:
        seed_band(axes[0], runs, f"{split}_acc", split, ls=ls)
        seed_band(axes[1], runs, f"{split}_loss", split, ls=ls, geometric=True)
    axes[0].set(xlabel="step (log)", ylabel="exact-match accuracy (answer)", ylim=(-0.02, 1.02))
    axes[1].set(xlabel="step (log)", ylabel="loss on the answer (nats/token)", yscale="log")
    axes[0].legend(title="split")
    fig.suptitle(title)
    caption(fig, note)
    fig.tight_layout()
    return fig


def grokking_curves(metrics: pd.DataFrame, table: pd.DataFrame, modulus: int, note: str) -> plt.Figure:
    """Accuracy, loss and parameter norm per seed, with each seed's t_train (dotted) and t_val (dash-dot)."""
    seeds = sorted(metrics.seed.unique())
    colors = dict(zip(seeds, sns.color_palette(n_colors=len(seeds))))
    fig, axes = panel_grid(4, panel_height=3.6)
    spare, axes = axes[3], axes[:3]
    for seed, run in metrics.groupby("seed"):
        x = run["step"].clip(lower=1)
        axes[0].plot(x, run["train_acc"], color=colors[seed], lw=1.4, label=f"seed {seed} train")
        axes[0].plot(x, run["val_acc"], color=colors[seed], lw=1.4, ls="--", label=f"seed {seed} validation")
        axes[1].plot(x, run["train_loss"], color=colors[seed], lw=1.2)
        axes[1].plot(x, run["val_loss"], color=colors[seed], lw=1.2, ls="--")
        axes[2].plot(x, run["param_norm"], color=colors[seed], lw=1.2, label=f"seed {seed}")
        row = table[table.seed == seed].iloc[0]
        for t, ls in [(row.t_train, ":"), (row.t_val, "-.")]:
            if not math.isnan(t):
                for ax in axes:
                    ax.axvline(t, color=colors[seed], ls=ls, lw=1, alpha=0.8)
    axes[0].plot([], [], color="k", ls=":", label="t_train (train acc held ≥ 99%)")
    axes[0].plot([], [], color="k", ls="-.", label="t_val (val acc held ≥ 99%)")
    axes[0].set(xscale="log", xlabel="optimisation step (log)", ylabel="exact-match accuracy (answer)",
                title=f"a / b (mod {modulus}): accuracy", ylim=(-0.02, 1.02))
    axes[1].set(xscale="log", yscale="log", xlabel="optimisation step (log)", ylabel="loss on the answer (nats/token)",
                title="loss: train (solid), validation (dashed)")
    axes[2].set(xscale="log", xlabel="optimisation step (log)", ylabel="parameter L2 norm", title="parameter norm")
    legend_in(spare, axes[0])
    caption(fig, note)
    fig.tight_layout()
    return fig


def generalised_fraction(ax: plt.Axes, table: pd.DataFrame, field: str, value: float, color, budget: float) -> None:
    """The fraction of a value's runs whose validation accuracy is at the threshold for good by each step (the
    Kaplan-Meier estimate 1 - S(t): every censored run here is censored at the budget, so it is the plain
    fraction), as a step curve up to the budget."""
    runs = table[np.isclose(table[field], value)]
    times = np.sort(runs.loc[runs.outcome == "generalised", "t_val"].to_numpy())
    xs = np.concatenate([[1], np.maximum(times, 1), [budget]])
    ys = np.concatenate([[0], np.arange(1, len(times) + 1), [len(times)]]) / len(runs)
    ax.step(xs, ys, where="post", color=color, label=f"{value:g} ({len(times)}/{len(runs)})")


def ablation_study(study: dict[str, Any], tidy: pd.DataFrame, table: pd.DataFrame, threshold: float,
                   note: str) -> plt.Figure:
    """One study: validation/train curves per value; t_train and t_val per value; Δt per value (runs without Δt
    as open triangles at their lower bound; runs that never fitted have none); and the fraction of runs
    generalised against steps."""
    field, values = study["field"], study["values"]
    logx = field == "weight_decay"
    fig, axes = panel_grid(4, panel_height=3.6)
    palette = dict(zip(values, sns.color_palette("viridis", n_colors=len(values))))
    budget = float(table["last_step"].max())
    for value in values:
        runs = tidy[np.isclose(tidy[field], value)]
        seed_band(axes[0], runs, "val_acc", f"{value:g}", color=palette[value])
        seed_band(axes[0], runs, "train_acc", None, color=palette[value], ls=":")
        generalised_fraction(axes[3], table, field, value, palette[value], budget)
    axes[0].set(xlabel="optimisation step (log)", ylabel="exact-match accuracy", ylim=(-0.02, 1.02),
                title="validation (solid), train (dotted)\nmean ± std over seeds")
    axes[3].set(xscale="log", xlabel="optimisation step (log)", ylabel="fraction of runs", ylim=(-0.02, 1.02),
                title=f"runs generalised (val ≥ {threshold:.0%} for good)")
    axes[3].legend(title=f"{study['label']} (runs)", fontsize=8)
    # one run set for the means: the runs that generalised (those without Δt are triangles or absent)
    # (a run that never fitted but whose validation held has a known t_val: its triangle sits there)
    marked = table.assign(censored=table.outcome != "generalised", t_val_bound=table.t_val.fillna(table.last_step))
    errorbar_with_censored(axes[1], marked, field, "t_val", "t_val", color="C3", logx=logx, censored_y="t_val_bound")
    errorbar_with_censored(axes[1], marked[marked.outcome == "generalised"].assign(censored=False), field, "t_train",
                           "t_train", color="C0", logx=logx)
    axes[1].set(xlabel=study["label"], ylabel="step", title=f"t_train and t_val (threshold {threshold:.0%})")
    log_y_if_possible(axes[1], table["t_val"], table["t_train"], table["last_step"])
    errorbar_with_censored(axes[2], marked, field, "delta_t", "Δt = t_val − t_train", color="C2", logx=logx,
                           censored_y="delta_t_lower_bound")
    axes[2].set(xlabel=study["label"], ylabel="steps, train → validation", title="Δt, the grokking delay")
    log_y_if_possible(axes[2], table["delta_t"], table["delta_t_lower_bound"])
    for ax in axes[1:3]:
        if logx:
            ax.set_xscale("log")
            ax.set_xlim(min(values) / 1.4, max(values) * 1.4)  # also when a panel has nothing to draw
            ax.set_xticks(values, [f"{v:g}" for v in values])
            ax.xaxis.set_minor_formatter(plt.NullFormatter())
        else:
            ax.set_xticks(values)
        ax.legend(fontsize=8)
    caption(fig, note)
    fig.tight_layout()
    return fig

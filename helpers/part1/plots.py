"""Part 1 figures: one function per figure kind, built from the primitives at the top (seed bands, censored error
bars, a legend above the panels). Each returns the figure; the notebook shows it. Legends never sit on the data:
they go above the panels or into a spare panel; categorical values get distinct colours (tab10)."""
from __future__ import annotations

import math
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..report.display import PRINT_WIDTH_IN, caption, legend_above, panel_grid

SPLIT_STYLE = {"train": "-", "val": "--", "test": "--"}
SPLIT_COLOR = {"train": "C0", "val": "C1", "test": "C1"}


def seed_band(ax: plt.Axes, tidy: pd.DataFrame, column: str, color=None, ls="-", geometric: bool = False,
              band: bool = True, lw: float = 1.4):
    """Mean ± std over seeds of `column` against step (log x, step 0 drawn at 1). Where some seeds have already
    stopped (early stop), the statistics are over the seeds still running; say so in the caption. geometric=True
    takes the statistics of log10 values (for quantities drawn on a log axis, such as losses)."""
    values = np.log10(tidy[column].clip(lower=1e-12)) if geometric else tidy[column]
    stats = values.groupby(tidy["step"]).agg(["mean", "std"]).reset_index()
    stats["std"] = stats["std"].fillna(0.0)
    lo, mid, hi = stats["mean"] - stats["std"], stats["mean"], stats["mean"] + stats["std"]
    if geometric:
        lo, mid, hi = 10 ** lo, 10 ** mid, 10 ** hi
    x = stats["step"].clip(lower=1)
    line, = ax.plot(x, mid, ls=ls, color=color, lw=lw)
    if band:
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xscale("log")
    return line


def line_key(label: str, color="k", ls="-", marker=None, **kwargs) -> Line2D:
    return Line2D([], [], color=color, ls=ls, marker=marker, label=label, **kwargs)


def errorbar_with_censored(ax: plt.Axes, table: pd.DataFrame, x: str, y: str, color, marker: str = "o",
                           offset: float = 1.0, censored_y: str = "last_step") -> list[float]:
    """Mean ± std of y over the uncensored runs at each x (x shifted by the factor `offset`), each run as a small dot,
    and censored runs as open triangles at their lower bound `censored_y`; returns every y drawn (for the limits)."""
    done, cens = table[~table["censored"]], table[table["censored"]]
    stats = done.groupby(x)[y].agg(["mean", "std"]).reset_index()
    ax.errorbar(stats[x] * offset, stats["mean"], yerr=stats["std"].fillna(0.0), fmt=f"{marker}-", capsize=4,
                color=color, ms=6)
    ax.scatter(done[x] * offset, done[y], s=12, color=color, alpha=0.45, zorder=3)
    if len(cens):
        ax.scatter(cens[x] * offset, cens[censored_y], marker="^", s=60, facecolors="none", edgecolors=color, zorder=4)
    drawn = list(stats["mean"] - stats["std"].fillna(0)) + list(stats["mean"] + stats["std"].fillna(0))
    return [v for v in drawn + list(done[y]) + list(cens[censored_y]) if np.isfinite(v) and v > 0]


def log_limits(ax: plt.Axes, values: list[float], pad: float = 1.6) -> None:
    """Log y with room above and below every point drawn (none sits on the frame), ticks at 1, 2 and 5 times the
    powers of ten written as plain step counts; linear if nothing is positive."""
    if values:
        ax.set_yscale("log")
        ax.set_ylim(min(values) / pad, max(values) * pad)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.yaxis.set_minor_formatter(NullFormatter())


# ------------------------------------------------------------------------------------------- figures

def sanity_panels(runs: list[tuple[pd.DataFrame, str]], predictions: pd.DataFrame, threshold: float,
                  note: str) -> plt.Figure:
    """Left: the training loss of both sanity runs ((metrics, label) each) and the pass threshold. Right: the
    probability each trained model gives every true next token (predictions: tables.next_token_table of run (b),
    with run (a)'s "p(target) in run (a)"); targets without loss in run (b) shaded."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(PRINT_WIDTH_IN, 2.6))
    styles = [("C0", "-", "o"), ("C1", "--", "^")]
    n = max(len(m) for m, _ in runs)
    every = max(2, n // 10)
    for i, ((metrics, label), (color, ls, marker)) in enumerate(zip(runs, styles)):
        ax.plot(metrics["step"].clip(lower=1), metrics["train_loss"], ls=ls, color=color, marker=marker, ms=5,
                markevery=(i * every // 2, every), mfc="none" if i else color, lw=1.4)
    ax.axhline(threshold, color="grey", ls=":", lw=1.2)
    ax.set(xscale="log", yscale="log", xlabel="optimisation step (log; step 0 drawn at 1)",
           ylabel="train loss (nats/token)", title="training loss")
    x = np.arange(len(predictions))
    for j in np.flatnonzero(~predictions["in loss"].to_numpy(bool)):
        bx.axvspan(j - 0.5, j + 0.5, color="0.85", lw=0)
    for column, (color, ls, marker) in zip(["p(target) in run (a)", "p(target)"], styles):
        bx.plot(x, predictions[column], ls=ls, color=color, marker=marker, ms=5, lw=1, mfc="none" if ls != "-" else color)
    names = {" ": "␣", "<eos>": "⏎"}
    bx.set_xticks(x, [names.get(t, t) for t in predictions["target"]])
    bx.set(yscale="log", ylim=(1e-4, 3), xlim=(-0.7, len(x) - 0.3), xlabel="true next token (␣ space, ⏎ EOS)",
           ylabel="p(true next token)", title="after training: the model's p(true next token)")
    bx.grid(axis="x", visible=False)
    legend_above(fig, [line_key(label, c, ls, m, mfc="none" if ls != "-" else c)
                       for (_, label), (c, ls, m) in zip(runs, styles)]
                 + [line_key(f"threshold {threshold:g}", "grey", ":"), Patch(color="0.85", label="no loss in run (b)")],
                 ncol=4)
    caption(fig, note)
    fig.tight_layout()
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
    """Train (solid) and test (dashed) accuracy and loss of every run: one thin line per seed (so an unstable seed
    shows as itself, not inside a band), one colour per depth, one row per task."""
    tasks = [(o, q) for o in ops for q in moduli]
    fig, flat = panel_grid(2 * len(tasks), panel_height=1.25, sharex=True)
    axes = np.array(flat).reshape(len(tasks), 2)
    colors = {n: f"C{i}" for i, n in enumerate(layers)}
    for row, (op, p) in enumerate(tasks):
        for n_layer in layers:
            runs = metrics[(metrics.op == op) & (metrics.modulus == p) & (metrics.n_layer == n_layer)]
            for _, run in runs.groupby("seed"):
                run = run.sort_values("step")
                for split in ("train", "test"):
                    for col, column in enumerate((f"{split}_acc", f"{split}_loss")):
                        axes[row, col].plot(run.step.clip(lower=1), run[column], color=colors[n_layer],
                                            ls=SPLIT_STYLE[split], lw=0.9, alpha=0.8)
        axes[row, 0].set(xscale="log", ylim=(-0.03, 1.03), ylabel="accuracy")
        axes[row, 1].set(xscale="log", yscale="log", ylabel="loss")
        for ax in axes[row]:  # the task, in the panel's empty top-left corner
            ax.text(0.015, 0.93 if ax is axes[row, 0] else 0.1, f"a {op} b, p = {p}", transform=ax.transAxes,
                    va="top" if ax is axes[row, 0] else "bottom", fontsize=10, fontweight="bold")
    axes[0, 0].set_title("exact-match accuracy on the answer")
    axes[0, 1].set_title("loss on the answer (nats/token)")
    for ax in axes[-1]:
        ax.set(xlabel="optimisation step (log)", xlim=(10, metrics.step.max() * 1.2))
    legend_above(fig, [Patch(color=colors[n], label=f"{n}-layer (one line per seed)") for n in layers]
                 + [line_key("train", ls="-"), line_key("test", ls="--")], ncol=len(layers) + 2)
    caption(fig, note)
    fig.tight_layout()
    return fig


def restart_curves(runs: pd.DataFrame, title: str, note: str) -> plt.Figure:
    """Accuracy and loss of one configuration, every seed its own colour, train solid and test dashed."""
    fig, axes = plt.subplots(1, 2, figsize=(PRINT_WIDTH_IN, 2.3))
    seeds = sorted(runs.seed.unique())
    for i, seed in enumerate(seeds):
        run = runs[runs.seed == seed].sort_values("step")
        for split in ("train", "test"):
            axes[0].plot(run.step.clip(lower=1), run[f"{split}_acc"], color=f"C{i}", ls=SPLIT_STYLE[split], lw=1.3)
            axes[1].plot(run.step.clip(lower=1), run[f"{split}_loss"], color=f"C{i}", ls=SPLIT_STYLE[split], lw=1.3)
    for ax in axes:
        ax.set(xscale="log", xlim=(10, runs.step.max() * 1.2), xlabel="optimisation step (log)", title=title)
    axes[0].set(ylim=(-0.03, 1.03), ylabel="exact-match accuracy")
    axes[1].set(yscale="log", ylabel="loss (nats/token)")
    legend_above(fig, [Patch(color=f"C{i}", label=f"seed {s}") for i, s in enumerate(seeds)]
                 + [line_key("train", ls="-"), line_key("test", ls="--")], ncol=len(seeds) + 2)
    caption(fig, note)
    fig.tight_layout()
    return fig


def grokking_curves(metrics: pd.DataFrame, table: pd.DataFrame, modulus: int, note: str) -> plt.Figure:
    """One row per seed: train and validation accuracy (left) and loss (right, one scale for all seeds) with that
    seed's t_train (dotted) and t_val (dash-dot); below, across the page, every seed's parameter norm."""
    seeds = sorted(metrics.seed.unique())
    fig = plt.figure(figsize=(PRINT_WIDTH_IN, 1.35 * (len(seeds) + 1)))
    grid = fig.add_gridspec(len(seeds) + 1, 2)
    norm_ax = fig.add_subplot(grid[len(seeds), :])
    rows = np.array([[fig.add_subplot(grid[i, j], sharex=norm_ax) for j in range(2)] for i in range(len(seeds))])
    for ax in rows[1:, 1]:
        ax.sharey(rows[0, 1])
    norm_colors = {seed: f"C{i + 2}" for i, seed in enumerate(seeds)}
    for (acc_ax, loss_ax), seed in zip(rows, seeds):
        run = metrics[metrics.seed == seed].sort_values("step")
        x = run["step"].clip(lower=1)
        for split in ("train", "val"):
            acc_ax.plot(x, run[f"{split}_acc"], color=SPLIT_COLOR[split], ls=SPLIT_STYLE[split], lw=1.3)
            loss_ax.plot(x, run[f"{split}_loss"], color=SPLIT_COLOR[split], ls=SPLIT_STYLE[split], lw=1.1)
        milestones = table[table.seed == seed].iloc[0]
        for t, ls in [(milestones.t_train, ":"), (milestones.t_val, "-.")]:
            if not math.isnan(t):
                for ax in (acc_ax, loss_ax, norm_ax):
                    ax.axvline(t, color=norm_colors[seed] if ax is norm_ax else "k", ls=ls, lw=1, alpha=0.8)
        acc_ax.set(ylim=(-0.03, 1.03), ylabel=f"seed {seed}\naccuracy")
        loss_ax.set(yscale="log", ylabel="loss (nats)")
        norm_ax.plot(x, run["param_norm"], color=norm_colors[seed], lw=1.2)
        if seed != seeds[-1]:  # the last seed's row keeps its step labels: the half-width panels need their own
            for ax in (acc_ax, loss_ax):
                ax.tick_params(labelbottom=False)
    rows[0, 0].set_title(f"a / b (mod {modulus}): exact-match accuracy")
    rows[0, 1].set_title("loss on the answer (nats/token)")
    norm_ax.set(xscale="log", xlim=(10, metrics.step.max() * 1.2), xlabel="optimisation step (log)",
                ylabel="parameter\nL2 norm")
    legend_above(fig, [line_key("train", SPLIT_COLOR["train"], "-"), line_key("validation", SPLIT_COLOR["val"], "--"),
                       line_key("t_train: train acc held ≥ 99%", ls=":"), line_key("t_val: val acc held ≥ 99%", ls="-.")]
                 + [line_key(f"seed {s}: parameter norm", norm_colors[s]) for s in seeds], ncol=4)
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
    ax.step(xs, ys, where="post", color=color, lw=1.6)


def ablation_study(study: dict[str, Any], tidy: pd.DataFrame, table: pd.DataFrame, threshold: float,
                   note: str) -> plt.Figure:
    """One study: validation (band) and train curves per value; t_train and t_val per value; Δt per value (runs
    without Δt as open triangles at their lower bound; runs that never fitted have none); and the fraction of runs
    generalised against steps. Values in distinct colours, keyed above the panels with the markers."""
    field, values, label = study["field"], study["values"], study["label"]
    logx = field == "weight_decay"
    fmt = (lambda v: f"{v:g}") if logx else (lambda v: f"{v:.0%}")
    fig, axes = panel_grid(4, panel_height=2.2)
    colors = {v: f"C{i}" for i, v in enumerate(values)}
    budget = float(table["last_step"].max())
    for value in values:
        runs = tidy[np.isclose(tidy[field], value)]
        seed_band(axes[0], runs, "val_acc", colors[value])
        seed_band(axes[0], runs, "train_acc", colors[value], ls=":", band=False, lw=1.1)
        generalised_fraction(axes[3], table, field, value, colors[value], budget)
    axes[0].set(xlabel="optimisation step (log)", ylabel="exact-match accuracy", ylim=(-0.03, 1.03), xlim=(10, budget),
                title="validation (solid, ± std), train (dotted)")
    axes[3].set(xscale="log", xlabel="optimisation step (log)", ylabel="fraction of runs", ylim=(-0.03, 1.03),
                xlim=(10, budget * 1.2),
                title=f"runs generalised (val ≥ {threshold:.0%} held)")
    # one run set for the means: the runs that generalised (those without Δt are triangles or absent)
    # (a run that never fitted but whose validation held has a known t_val: its triangle sits there)
    marked = table.assign(censored=table.outcome != "generalised", t_val_bound=table.t_val.fillna(table.last_step))
    shift = (lambda f: f) if logx else (lambda f: 1 + (f - 1) * 0.01)  # a small horizontal shift between the series
    drawn = errorbar_with_censored(axes[1], marked, field, "t_val", "k", offset=shift(1.04), censored_y="t_val_bound")
    drawn += errorbar_with_censored(axes[1], marked[marked.outcome == "generalised"].assign(censored=False), field,
                                    "t_train", "0.55", marker="s", offset=shift(0.96))
    axes[1].set(xlabel=label, ylabel="step", title=f"t_train and t_val (threshold {threshold:.0%})")
    log_limits(axes[1], drawn)
    log_limits(axes[2], errorbar_with_censored(axes[2], marked, field, "delta_t", "k",
                                               censored_y="delta_t_lower_bound"))
    axes[2].set(xlabel=label, ylabel="steps from t_train to t_val", title="Δt = t_val − t_train, the grokking delay")
    for ax in axes[1:3]:
        if logx:
            ax.set_xscale("log")
            ax.set_xlim(min(values) / 1.4, max(values) * 1.4)  # also when a panel has nothing to draw
            ax.xaxis.set_minor_formatter(plt.NullFormatter())
        else:
            pad = 0.3 * (max(values) - min(values)) / max(len(values) - 1, 1)
            ax.set_xlim(min(values) - pad, max(values) + pad)
        ax.set_xticks(values, [fmt(v) for v in values])
    counts = table.groupby(field).outcome.agg(lambda o: f"{(o == 'generalised').sum()}/{len(o)}")
    legend_above(fig, [Patch(color=colors[v], label=f"{fmt(v)} ({counts.get(v, '0/0')} generalised)") for v in values],
                 ncol=len(values), y=1.045, title=label)
    legend_above(fig, [line_key("t_val", "k", "-", "o"), line_key("t_train", "0.55", "-", "s"),
                       line_key("single run", "0.4", "none", ".", alpha=0.6),
                       line_key("no Δt: lower bound", "k", "none", "^", mfc="none", ms=8)], ncol=4, y=0.995)
    caption(fig, note)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig

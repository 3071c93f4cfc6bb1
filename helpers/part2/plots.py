"""Part 2 figures: one function per figure kind. Each returns the figure; the notebook shows it."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..reasoner.task import pass_tokens
from ..report.display import PRINT_WIDTH_IN, caption, legend_in, panel_grid

SEQ_STYLE = {"stop": dict(color="tab:blue", marker="o"), "wait": dict(color="tab:orange", marker="s")}
RULE_STYLE = {"majority": dict(color="tab:green", marker="^", ls="--"),
              "maj@m": dict(color="tab:purple", marker="v", ls="-."),
              "best-of-m": dict(color="tab:red", marker="D", ls=":")}


def accuracy_vs_tokens(ax: plt.Axes, seq_curve: pd.DataFrame | None, par_curve: pd.DataFrame | None, grader: str,
                       x: str = "thinking_tokens", xerr: bool = False, seq_label: str = "sequential, {mode}",
                       par_label: str = "parallel, {rule}", par_style: dict | None = None,
                       rules: Sequence[str] | None = None) -> None:
    """Accuracy against tokens per problem: the sequential curve per intervention (± std over seeds) and the
    parallel curve per rule (95% bootstrap interval). x: "thinking_tokens" or "total_tokens"; xerr draws the
    spread of x across problems. par_style (colour, line width, ...) replaces the per-rule style."""
    if seq_curve is not None:
        for mode, rows in seq_curve.groupby("mode"):
            ax.errorbar(rows[x], rows[f"{grader}_mean"], yerr=rows[f"{grader}_std"],
                        xerr=rows[f"{x}_std"] if xerr else None, capsize=3,
                        label=seq_label.format(mode=mode.capitalize(), seeds=rows.seeds.iloc[0]), **SEQ_STYLE[mode])
    if par_curve is not None:
        curve = par_curve[par_curve.grader == grader]
        for rule, rows in curve.groupby("rule"):
            if rules is not None and rule not in rules:
                continue
            yerr = np.vstack([rows["mean"] - rows["lo"], rows["hi"] - rows["mean"]])
            ax.errorbar(rows[x], rows["mean"], yerr=yerr, xerr=rows[f"{x}_std"] if xerr else None, capsize=3,
                        label=par_label.format(rule=rule, m_max=rows.m.max()), **(par_style or RULE_STYLE[rule]))
    ax.set_xscale("log", base=2)
    ax.set(ylim=(-0.03, 1.03))


def scaling_figure(seq_curve: pd.DataFrame, par_curve: pd.DataFrame, grader: str, note: str) -> plt.Figure:
    """2.2: accuracy against total thinking tokens, sequential and parallel, one grader."""
    fig, ax = plt.subplots(figsize=(PRINT_WIDTH_IN, 5))
    accuracy_vs_tokens(ax, seq_curve, par_curve, grader,
                       seq_label="sequential, {mode} (± std over {seeds} seeds)",
                       par_label="parallel, {rule} (m = 1..{m_max}, 95% bootstrap)")
    ax.set(xlabel="total thinking tokens per problem (log scale)", ylabel=f"accuracy ({grader})",
           title=f"Accuracy against thinking tokens — {grader} grader")
    ax.legend(loc="upper left")
    caption(fig, note)
    return fig


def total_tokens_figure(seq_curve: pd.DataFrame, par_curve: pd.DataFrame, note: str) -> plt.Figure:
    """2.2: accuracy against total generated tokens (thinking + answer) with horizontal bars, both graders."""
    fig, axes = panel_grid(4, panel_height=3.8)
    for ax, grader in zip(axes, ["exact", "flexible"]):
        accuracy_vs_tokens(ax, seq_curve, par_curve, grader, x="total_tokens", xerr=True)
        ax.set(xlabel="avg. total tokens per problem\n(thinking + answer, log)", ylabel="accuracy",
               title=f"{grader} grader")
    legend_in(axes[2], axes[0], ncol=2)
    axes[3].remove()
    fig.tight_layout()
    caption(fig, note)
    return fig


def strategies_figure(curves: dict[str, pd.DataFrame], labels: dict[str, str], seq_curve: pd.DataFrame, grader: str,
                      totals: Sequence[int], note: str) -> plt.Figure:
    """2.4: every strategy's parallel curve over the baseline, one panel per rule, sequential 2.2 for reference
    and the compared total budgets as vertical lines."""
    colors = dict(zip(curves, sns.color_palette("deep", n_colors=len(curves))))
    fig, axes = panel_grid(4, panel_height=3.8)
    spare, axes = axes[3], axes[:3]
    for ax, rule in zip(axes, ["majority", "maj@m", "best-of-m"]):
        for name, curve in curves.items():
            accuracy_vs_tokens(ax, None, curve, grader, par_label=labels[name], rules=[rule],
                               par_style=dict(marker="o", color=colors[name], lw=2.5 if name == "baseline" else 1.5))
        for mode, rows in seq_curve.groupby("mode"):
            ax.plot(rows.thinking_tokens, rows[f"{grader}_mean"], ls=":", marker="x",
                    color="gray" if mode == "stop" else "black", label=f"sequential, {mode.capitalize()} (2.2)")
        for total in totals:
            ax.axvline(total, color="tab:red", lw=0.8, alpha=0.5)
        ax.set(xlabel="total thinking tokens per problem (log)", title=rule, ylim=(-0.03, 1.03),
               ylabel=f"accuracy ({grader})")
    legend_in(spare, axes[0])
    fig.tight_layout()
    caption(fig, note)
    return fig


def thinking_histogram(lengths: pd.Series, cap: int, note: str) -> plt.Figure:
    """2.1: the distribution of thinking lengths, with the cap and the median."""
    fig, ax = plt.subplots(figsize=(PRINT_WIDTH_IN, 4))
    ax.hist(lengths, bins=min(30, max(5, len(lengths) // 2)), color="tab:blue", edgecolor="white")
    ax.axvline(cap, color="tab:red", ls="--", label=f"cap ({cap:,} tokens, Stop)")
    ax.axvline(lengths.median(), color="black", ls=":", label=f"median ({lengths.median():.0f})")
    ax.set(xlabel="thinking tokens (inside the thinking block)", ylabel="problems",
           title="Thinking length, greedy with thinking")
    ax.legend()
    caption(fig, note)
    return fig


def diversity_figure(div: pd.DataFrame, cross: list[float], samples: int, note: str) -> plt.Figure:
    """2.3 (d): distinct answers per problem, and trace similarity within a problem against across problems."""
    fig, axes = plt.subplots(1, 2, figsize=(PRINT_WIDTH_IN, 4))
    axes[0].hist(div.distinct_answers, bins=np.arange(0.5, samples + 1.5), color="tab:purple", edgecolor="white")
    axes[0].set(xlabel=f"distinct final answers\namong {samples} samples", ylabel="problems", title="Answer diversity")
    bins = np.linspace(0, max(1e-6, div.trace_similarity.max(), max(cross, default=0)), 21)
    axes[1].hist(div.trace_similarity, bins=bins, alpha=0.7, density=True, color="tab:green",
                 label=f"same problem\n({len(div)} problems)")
    axes[1].hist(cross, bins=bins, alpha=0.5, density=True, color="tab:gray",
                 label=f"different problems\n({len(cross)} pairs)")
    axes[1].set(xlabel="word-trigram Jaccard similarity\nof thinking traces", ylabel="density", title="Trace similarity")
    axes[1].legend()
    caption(fig, note)
    return fig


def by_difficulty_figure(table: pd.DataFrame, hue: str, note: str, title: str, ax: plt.Axes | None = None) -> plt.Figure:
    """Accuracy against difficulty k, one line per value of `hue`, with 95% bootstrap intervals over problems."""
    fig, ax = (plt.subplots(figsize=(PRINT_WIDTH_IN, 4.5)) if ax is None else (ax.figure, ax))
    for i, (value, rows) in enumerate(table.groupby(hue, sort=False)):
        yerr = np.vstack([rows["accuracy"] - rows["lo"], rows["hi"] - rows["accuracy"]])
        ax.errorbar(rows["k"] + (i - 0.5) * 0.08, rows["accuracy"], yerr=yerr, capsize=3, marker="o", label=str(value))
    ax.set(xlabel="difficulty k (operands in the chain)", ylabel="accuracy (exact_match)", ylim=(-0.03, 1.03),
           title=title)
    ax.legend(title=hue)
    caption(fig, note)
    return fig


def staircase_figure(table: pd.DataFrame, note: str) -> plt.Figure:
    """2.2: accuracy against the thinking budget, one line per difficulty k, one panel per intervention."""
    modes = list(dict.fromkeys(table["mode"]))
    fig, flat = panel_grid(len(modes), panel_height=4.2, sharey=True)
    axes = [flat]
    colours = sns.color_palette("viridis", table["k"].nunique())
    for ax, mode in zip(axes[0], modes):
        part = table[table["mode"] == mode]
        for colour, (k, rows) in zip(colours, part.groupby("k")):
            yerr = np.vstack([rows["accuracy"] - rows["lo"], rows["hi"] - rows["accuracy"]])
            ax.errorbar(rows["budget"], rows["accuracy"], yerr=yerr, capsize=2, marker="o", ms=4, color=colour,
                        label=f"k = {k}")
            ax.axvline(pass_tokens(k), color=colour, lw=0.8, ls=":")
        ax.set_xscale("log", base=2)
        budgets = sorted(part["budget"].unique())
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set(xlabel="thinking budget (tokens, log scale)", title=f"{mode.capitalize()}\n(dotted: one pass of the chain)",
               ylim=(-0.03, 1.03))
    axes[0][0].set_ylabel("accuracy (exact_match)")
    axes[0][-1].legend(ncol=2, fontsize=10.5)
    fig.tight_layout()
    caption(fig, note)
    return fig

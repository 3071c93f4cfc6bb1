"""Part 2 figures: one function per figure kind. Each returns the figure; the notebook shows it. Legends sit outside
the axes (above the panels, or in a spare panel), categories get distinct categorical colours, every point with a
spread has its error bar, and the caption goes under the laid-out figure."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..reasoner.task import pass_tokens
from ..report.display import PRINT_WIDTH_IN, caption, legend_above, legend_in, panel_grid

LEGEND_STYLE = {"fontsize": 10.5, "columnspacing": 1.2, "handletextpad": 0.4}  # legends above the 2.2 panels

SEQ_STYLE = {"stop": dict(color="tab:blue", marker="o"), "wait": dict(color="tab:orange", marker="s")}
RULE_STYLE = {"majority": dict(color="tab:green", marker="^", ls="--"),
              "maj@m": dict(color="tab:purple", marker="v", ls="-."),
              "best-of-m": dict(color="tab:red", marker="D", ls=":")}
GRADER_TITLE = {"exact": "exact_match", "flexible": "flexible_extract"}


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


def grader_panels(seq_curve: pd.DataFrame, par_curve: pd.DataFrame, note: str, x: str = "thinking_tokens",
                  xerr: bool = False, xlabel: str = "total thinking tokens per problem (log scale)") -> plt.Figure:
    """2.2: accuracy against tokens per problem, sequential and parallel, one panel per grader, legend above."""
    fig, axes = plt.subplots(1, 2, figsize=(PRINT_WIDTH_IN, 3.1), sharey=True)
    for ax, grader in zip(axes, ["exact", "flexible"]):
        accuracy_vs_tokens(ax, seq_curve, par_curve, grader, x=x, xerr=xerr)
        ax.set(xlabel=xlabel, title=GRADER_TITLE[grader])
    axes[0].set_ylabel("accuracy")
    fig.tight_layout()
    legend_above(fig, *axes[0].get_legend_handles_labels(), ncol=5, **LEGEND_STYLE)
    caption(fig, note)
    return fig


def difficulty_axes(ax: plt.Axes, table: pd.DataFrame, hue: str) -> None:
    """Accuracy against difficulty k, one line per value of `hue` (categorical colours, dodged), with 95% bootstrap
    intervals over problems."""
    for i, (value, rows) in enumerate(table.groupby(hue, sort=False)):
        yerr = np.vstack([rows["accuracy"] - rows["lo"], rows["hi"] - rows["accuracy"]])
        ax.errorbar(rows["k"] + (i - 0.5) * 0.1, rows["accuracy"], yerr=yerr, capsize=3, marker="o",
                    color=sns.color_palette("tab10")[i + 2], label=str(value))
    ax.set(xlabel="difficulty k (operands in the chain)", ylabel="accuracy (exact_match)", ylim=(-0.03, 1.03),
           xticks=sorted(table["k"].unique()))


def greedy_figure(lengths: pd.Series, cap: int, by_k: pd.DataFrame | None, note: str) -> plt.Figure:
    """2.1: the thinking lengths of greedy decoding with thinking (histogram, with the cap and the median), and
    next to it accuracy by difficulty with thinking on and off (the reasoner's problems only)."""
    fig, axes = plt.subplots(1, 1 if by_k is None else 2, figsize=(PRINT_WIDTH_IN, 3.0), squeeze=False)
    ax = axes[0][0]
    width = max(1, int(np.ceil(max(lengths.max(), cap) / 60)))
    ax.hist(lengths, bins=np.arange(0, max(lengths.max(), cap) + 2 * width, width), color="tab:blue",
            label="greedy traces")
    ax.axvline(cap, color="tab:red", ls="--", label=f"cap ({cap:,} tokens)")
    ax.axvline(lengths.median(), color="black", ls=":", label=f"median ({lengths.median():.0f})")
    ax.set(xlabel="thinking tokens (inside the thinking block)", ylabel="problems")
    handles, labels = ax.get_legend_handles_labels()
    if by_k is not None:
        difficulty_axes(axes[0][1], by_k, "condition")
        more = axes[0][1].get_legend_handles_labels()
        handles, labels = handles + more[0], labels + [f"accuracy, {lab}" for lab in more[1]]
    fig.tight_layout()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(labels), frameon=False,
               fontsize=10.5)
    caption(fig, note)
    return fig


def strategies_figure(curves: dict[str, pd.DataFrame], labels: dict[str, str], seq_curve: pd.DataFrame, grader: str,
                      totals: Sequence[int], note: str) -> plt.Figure:
    """2.4: every strategy's parallel curve over the baseline (black), one panel per rule, sequential 2.2 for
    reference (grey) and the compared total budgets as vertical dashed lines; the legend in the spare panel."""
    colours = dict(zip([n for n in curves if n != "baseline"], sns.color_palette("tab10")))
    colours["baseline"] = "black"
    fig, axes = panel_grid(4, panel_height=2.7)
    spare, axes = axes[3], axes[:3]
    for ax, rule in zip(axes, ["majority", "maj@m", "best-of-m"]):
        for name, curve in curves.items():
            accuracy_vs_tokens(ax, None, curve, grader, par_label=labels[name], rules=[rule],
                               par_style=dict(marker="o", ms=3.5, color=colours[name],
                                              lw=2.5 if name == "baseline" else 1.3))
        for mode, rows in seq_curve.groupby("mode"):
            ax.plot(rows.thinking_tokens, rows[f"{grader}_mean"], ls=":", marker="x", ms=4,
                    color="darkgray" if mode == "stop" else "dimgray", label=f"sequential, {mode.capitalize()} (2.2)")
        for i, total in enumerate(totals):
            ax.axvline(total, color="black", lw=0.9, ls="--", label="compared totals" if i == 0 else None)
        ax.set(xlabel="total thinking tokens per problem (log)", title=rule, ylim=(-0.03, 1.03),
               ylabel=f"accuracy ({GRADER_TITLE[grader]})")
    legend_in(spare, axes[0], fontsize=10)
    fig.tight_layout()
    caption(fig, note)
    return fig


def diversity_figure(div: pd.DataFrame, cross: list[float], samples: int, note: str) -> plt.Figure:
    """2.3 (d): distinct answers per problem, and trace similarity within a problem against across problems."""
    fig, axes = plt.subplots(1, 2, figsize=(PRINT_WIDTH_IN, 2.5))
    axes[0].hist(div.distinct_answers, bins=np.arange(0.5, samples + 1.5), color="tab:purple", edgecolor="white")
    axes[0].set(xlabel=f"distinct final answers among {samples} samples", ylabel="problems",
                xticks=range(1, samples + 1, max(1, samples // 8)))
    bins = np.linspace(0, max(1e-6, div.trace_similarity.max(), max(cross, default=0)), 21)
    axes[1].hist(div.trace_similarity, bins=bins, alpha=0.8, density=True, color="tab:green",
                 label=f"samples of the same problem ({len(div)} problems)")
    axes[1].hist(cross, bins=bins, alpha=0.6, density=True, color="tab:gray",
                 label=f"first samples of different problems ({len(cross):,} pairs)")
    axes[1].set(xlabel="word-trigram Jaccard similarity of thinking", ylabel="density")
    fig.tight_layout()
    axes[1].legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False, fontsize=10)
    caption(fig, note)
    return fig


def staircase_figure(table: pd.DataFrame, note: str) -> plt.Figure:
    """2.2: accuracy against the thinking budget, one line per difficulty k (categorical colours, dodged), one panel
    per intervention; dotted: one pass of each chain; the legend above the panels."""
    modes = list(dict.fromkeys(table["mode"]))
    fig, axes = panel_grid(len(modes), panel_height=3.0, sharey=True)
    ks = sorted(table["k"].unique())
    colours = dict(zip(ks, sns.color_palette("tab10")))
    for ax, mode in zip(axes, modes):
        part = table[table["mode"] == mode]
        for i, (k, rows) in enumerate(part.groupby("k")):
            dodge = 1 + 0.025 * (i - (len(ks) - 1) / 2)  # multiplicative: the x axis is logarithmic
            yerr = np.vstack([rows["accuracy"] - rows["lo"], rows["hi"] - rows["accuracy"]])
            ax.errorbar(rows["budget"] * dodge, rows["accuracy"], yerr=yerr, capsize=2, marker="o", ms=4,
                        color=colours[k], label=f"k = {k}")
            ax.axvline(pass_tokens(k), color=colours[k], lw=0.9, ls=":")
        ax.set_xscale("log", base=2)
        budgets = sorted(part["budget"].unique())
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set(xlabel="thinking budget (tokens, log scale)", title=mode.capitalize(), ylim=(-0.03, 1.03))
    axes[0].set_ylabel("accuracy (exact_match)")
    fig.tight_layout()
    legend_above(fig, *axes[0].get_legend_handles_labels(), ncol=len(ks), **LEGEND_STYLE)
    caption(fig, note)
    return fig

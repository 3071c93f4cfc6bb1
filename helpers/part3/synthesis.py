"""Section 3's figures, and the grokking-delay trend phrase quoted in section 1's tests. Figure 1 puts both kinds
of compute side by side (the grokking ablations of 1.4, one factor per panel, and the test-time curves of 2.2);
Figure 2 is Part 3's own measurement, accuracy against inference FLOPs for every checkpoint of the reasoner."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter, NullLocator

from ..report.display import PRINT_WIDTH_IN, caption
from ..report.facts import AblationFacts, ScalingFacts
from .readings import GREEDY, VOTE, ablation_rows, par_curves, seq_curves

TEST_TIME_STYLE = {"stop": {"color": "tab:blue", "marker": "o", "ls": "-"},
                   "wait": {"color": "tab:orange", "marker": "s", "ls": "-"},
                   "maj@m": {"color": "tab:purple", "marker": "v", "ls": "-."},
                   "best-of-m": {"color": "tab:red", "marker": "D", "ls": ":"}}
ABLATION_PANELS = (("weight_decay", "(a) train time: regulariser", "weight decay (log scale)", "{:g}"),
                   ("train_frac", "(b) train time: data", "training fraction", "{:.0%}"))


def delay_trend(ablations: AblationFacts, field: str, label: str) -> str:
    """How the mean delay, and t_train and t_val behind it, moved across the values with at least two runs that
    generalised (or why no trend can be read). Means are over the runs that generalised."""
    ok = sorted((r for r in ablations.studies[field]["summary"] if r["generalised"] >= 2 and r["delta_t_mean"] is not None),
                key=lambda r: r[field])
    if len(ok) < 2:
        return f"too few {label} values had two or more runs generalise within the budget to read a trend"
    first, last = ok[0], ok[-1]
    d_train, d_val = last["t_train_mean"] - first["t_train_mean"], last["t_val_mean"] - first["t_val_mean"]
    driver = ("mostly because the training set was fitted at a different time" if abs(d_train) > 2 * abs(d_val) else
              "mostly because validation followed at a different time" if abs(d_val) > 2 * abs(d_train) else
              "through both milestones")
    means = [r["delta_t_mean"] for r in ok]
    steps = [b - a for a, b in zip(means, means[1:])]
    bumpy = ("" if all(d <= 0 for d in steps) or all(d >= 0 for d in steps) else
             "; not monotone in between: " + ", ".join(f"{r[field]:g} gave {r['delta_t_mean']:,.0f}" for r in ok[1:-1]))
    lost = [r for r in ablations.studies[field]["summary"] if r["generalised"] < r["runs"]]
    without = ("" if not lost else "; runs without Δt, not in these means: "
               + ", ".join(f"{r['runs'] - r['generalised']} of {r['runs']} at {r[field]:g}" for r in lost))
    return (f"{label} {first[field]:g} → {last[field]:g} took the mean delay Δt from {first['delta_t_mean']:,.0f} "
            f"to {last['delta_t_mean']:,.0f} steps (t_train {first['t_train_mean']:,.0f} → {last['t_train_mean']:,.0f}, "
            f"t_val {first['t_val_mean']:,.0f} → {last['t_val_mean']:,.0f}: {driver}{bumpy}{without})")


def _thousands(value: float, _pos: int = 0) -> str:
    return f"{value:,.0f}"


def _delay_panel(ax: plt.Axes, ablations: AblationFacts, field: str, title: str, xlabel: str, tick: str) -> None:
    """Mean Δt ± std over the runs that generalised, n/N printed by each point; values where none did: an open
    triangle at the step budget."""
    rows = ablation_rows(ablations, field)
    done, none = rows[rows.generalised > 0], rows[rows.generalised == 0]
    ax.errorbar(done[field], done.delta_t_mean, yerr=done.delta_t_std.fillna(0.0), color="black", marker="o",
                capsize=3, lw=1.2)
    ax.scatter(none[field], [ablations.budget] * len(none), marker="^", s=50, facecolors="none", edgecolors="black")
    for _, r in rows.iterrows():
        y = r.delta_t_mean if r.generalised else ablations.budget
        ax.annotate(f"{r.generalised:.0f}/{r.runs:.0f}", (r[field], y), textcoords="offset points",
                    xytext=(5, 5) if r.generalised else (-6, -14), ha="left" if r.generalised else "right", fontsize=9)
    if field == "weight_decay":
        ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(rows[field].tolist()))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: tick.format(v)))
    ax.xaxis.set_minor_locator(NullLocator())
    lo, hi = rows[field].min(), rows[field].max()
    margin = (hi / lo) ** 0.12  # room for the n/N labels: multiplicative on the log axis, additive on the linear one
    ax.set_xlim(*((lo / margin, hi * margin) if field == "weight_decay" else (lo - (hi - lo) * 0.12, hi + (hi - lo) * 0.2)))
    ax.set(yscale="log", title=title, xlabel=xlabel)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
    ax.yaxis.set_minor_formatter(NullFormatter())


def compute_figure(ablations: AblationFacts, scaling: ScalingFacts, note: str) -> plt.Figure:
    """(a, b) the grokking delay against each ablated factor; (c) accuracy against thinking tokens, Part 2."""
    fig, axes = plt.subplots(1, 3, figsize=(PRINT_WIDTH_IN, 3.2), gridspec_kw={"width_ratios": [1, 1, 1.2]})
    for ax, (field, title, xlabel, tick) in zip(axes, ABLATION_PANELS):
        _delay_panel(ax, ablations, field, title, xlabel, tick)
    both = pd.concat([ablation_rows(ablations, field) for field, *_ in ABLATION_PANELS])
    low = (both.delta_t_mean - both.delta_t_std.fillna(0.0)).where(lambda v: v > 0, both.delta_t_mean).min()
    low = low if np.isfinite(low) else ablations.budget / 10  # no run generalised: only the budget's triangles
    axes[1].sharey(axes[0])
    axes[1].tick_params(labelleft=False)
    axes[0].set_ylabel("grokking delay Δt (steps)")
    axes[0].set_ylim(low / 1.5, ablations.budget * 1.6)
    ax = axes[2]
    for mode, rows in seq_curves(scaling).items():
        ax.errorbar(rows.thinking_tokens, rows.acc, yerr=rows["std"], capsize=3, ms=4, **TEST_TIME_STYLE[mode])
    for rule in ("maj@m", "best-of-m"):
        rows = par_curves(scaling).get(rule)
        if rows is not None:
            ax.errorbar(rows.thinking_tokens, rows.acc, yerr=np.vstack([rows.acc - rows.lo, rows.hi - rows.acc]),
                        capsize=2, ms=4, **TEST_TIME_STYLE[rule])
    ax.set_xscale("log", base=2)
    ax.set(ylim=(-0.03, 1.03), title="(c) test time: Part 2's reasoner", xlabel="thinking tokens per problem (log scale)",
           ylabel=f"accuracy ({scaling.grader})")
    handles = [Line2D([], [], color="black", marker="o", label="mean Δt ± std (n/N: runs that generalised)"),
               Line2D([], [], color="black", marker="^", ls="none", markerfacecolor="none",
                      label=f"no run generalised (drawn at {ablations.budget:,} steps)")]
    handles += [Line2D([], [], **TEST_TIME_STYLE[k], label=label) for k, label in (
        ("stop", "sequential, Stop (± std over seeds)"), ("wait", "sequential, Wait (± std over seeds)"),
        ("maj@m", "parallel, maj@m (95% interval)"), ("best-of-m", "parallel, best-of-m (95% interval)"))]
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=9.5, frameon=False, bbox_to_anchor=(0.5, 0.0))
    caption(fig, note)
    return fig


def flops_unit(values: pd.Series) -> tuple[float, str]:
    """The divisor and its name for an axis of FLOPs: millions, billions, ... as the smallest value needs."""
    for divisor, name in ((1e12, "trillions"), (1e9, "billions"), (1e6, "millions"), (1e3, "thousands")):
        if values.min() >= divisor:
            return divisor, name
    return 1.0, ""


def exchange_figure(points: pd.DataFrame, note: str) -> plt.Figure:
    """Part 3: accuracy against inference FLOPs per problem, one column per difficulty group, greedy Stop over budgets
    on top and maj@m over m samples below; one distinct colour per checkpoint, its 95% interval as a band."""
    groups = list(dict.fromkeys(points["group"]))
    steps = sorted(points["step"].unique())
    colours = dict(zip(steps, sns.color_palette("tab10" if len(steps) <= 10 else "husl", len(steps))))
    fig, axes = plt.subplots(2, len(groups), figsize=(PRINT_WIDTH_IN, 4.6), sharey=True, sharex="row", squeeze=False)
    divisor, unit = flops_unit(points.inference_flops)
    for row, (method, label) in enumerate(((GREEDY, "greedy Stop"), (VOTE, "maj@m"))):
        for col, group in enumerate(groups):
            ax = axes[row][col]
            for step in steps:
                part = points[(points.group == group) & (points.step == step) & (points.method == method)]
                part = part.sort_values("inference_flops")
                ax.fill_between(part.inference_flops, part.lo, part.hi, color=colours[step], alpha=0.12, lw=0)
                ax.plot(part.inference_flops, part.accuracy, color=colours[step], marker="o", ms=2.5, lw=1.2)
            ax.set_xscale("log")
            row_flops = points[points.method == method].inference_flops
            ax.set_xlim(row_flops.min() / 1.08, row_flops.max() * 1.08)  # no tick label on a panel's edge
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0, 7.0) if row == 0 else (1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v / divisor:,.0f}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set(ylim=(-0.03, 1.03), yticks=[0, 0.5, 1], title=group if row == 0 else "")
        axes[row][0].set_ylabel(f"{label}\naccuracy (exact)")
        axes[row][len(groups) // 2].set_xlabel(f"inference FLOPs per problem ({unit + ', ' if unit else ''}log scale)")
    flops = points.drop_duplicates("step").set_index("step").train_flops
    handles = [Line2D([], [], color=colours[s], marker="o", ms=4, label=f"step {s:,}: {flops[s]:.1e} FLOPs")
               for s in steps]
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=9.5, frameon=False, bbox_to_anchor=(0.5, 0.0),
               title="checkpoint: training FLOPs", title_fontsize=9.5)
    caption(fig, note)
    return fig

"""Section 3: the synthesis reads every section's facts (helpers.report.facts); these functions turn them into
the phrases and the figure the essay quotes. It is the one place where Part 1 and Part 2 results meet."""
from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..report.display import PRINT_WIDTH_IN, caption, legend_in, panel_grid
from ..part2.plots import accuracy_vs_tokens
from ..report.facts import AblationFacts, ImprovementsFacts, ScalingFacts


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


def scaling_summary(scaling: ScalingFacts) -> dict[str, Any]:
    """The ends of the sequential and parallel curves under the section's grader, and whether any sequential
    curve goes down as the budget grows."""
    seq, par = pd.DataFrame(scaling.sequential), pd.DataFrame(scaling.parallel)
    g = scaling.grader
    par_g = par[par.grader == g]
    m_max = int(par_g.m.max())
    by_rule = {rule: rows.set_index("m")["mean"] for rule, rows in par_g.groupby("rule")}
    best = seq.loc[seq[f"{g}_mean"].idxmax()]
    return {"grader": g, "seq_low": seq[seq.budget == seq.budget.min()][f"{g}_mean"].mean(),
            "seq_high": seq[seq.budget == seq.budget.max()][f"{g}_mean"].mean(),
            "best_acc": best[f"{g}_mean"], "best_mode": best["mode"], "best_budget": int(best["budget"]),
            "m_max": m_max, "first": {r: s.iloc[0] for r, s in by_rule.items()},
            "last": {r: s.loc[m_max] for r, s in by_rule.items()},
            "not_monotone": bool(seq.groupby("mode")[f"{g}_mean"].apply(lambda s: (np.diff(s.values) < 0).any()).any())}


def best_improvement(improvements: ImprovementsFacts) -> str:
    """A sentence on the best strategy of 2.4 by maj@m at a fixed total budget, within noise or not."""
    table = pd.DataFrame(improvements.table)
    rows = table[(table.strategy != improvements.labels["baseline"]) & (table.rule == "maj@m")]
    if rows.empty:
        return ""
    top = rows.loc[rows["vs baseline"].idxmax()]
    if "paired lo" in top and top["paired lo"] == top["paired lo"]:  # a paired interval (same problems, both sides)
        verdict = (f"paired on the same problems {top['paired Δ']:+.1%} (95% interval {top['paired lo']:+.1%} to "
                   f"{top['paired hi']:+.1%}): " + ("beyond noise" if top["paired lo"] > 0 or top["paired hi"] < 0 else
                                                   "within noise, so not evidence of a difference"))
    else:
        lo = float(top["95% interval"].split("–")[0].rstrip("%")) / 100
        verdict = ("its 95% interval lies above the baseline" if lo > top.accuracy - top["vs baseline"] else
                   "within the bootstrap noise of this small problem set, so not evidence of an improvement")
    return (f" In 2.4 the best deployable change at a fixed total budget was **{top.strategy}** "
            f"({top['vs baseline']:+.1%} maj@m at {int(top['total budget']):,} total thinking tokens) — {verdict}.")


def compute_figure(ablations: AblationFacts, scaling: ScalingFacts, note: str) -> plt.Figure:
    """Left: the mean grokking delay against the two ablated factors. Right: accuracy against thinking tokens."""
    fig, axes = plt.subplots(1, 2, figsize=(PRINT_WIDTH_IN, 4.4))
    for field, label, color in [("weight_decay", "weight decay", "tab:green"), ("train_frac", "training fraction", "tab:blue")]:
        rows = pd.DataFrame(ablations.studies[field]["summary"]).sort_values(field)
        done = rows[rows.generalised > 0]
        axes[0].plot(done[field], done.delta_t_mean, marker="o", color=color, label=label)
        undone = rows[rows.generalised == 0]
        axes[0].scatter(undone[field], [ablations.budget] * len(undone), marker="^", facecolors="none", edgecolors=color)
    values = sorted({r[f] for f in ("weight_decay", "train_frac") for r in ablations.studies[f]["summary"]})
    axes[0].set(xscale="log", yscale="log", xlabel="weight decay / training fraction (log)",
                ylabel="Δt = t_val − t_train (steps)", title="Train-time compute\nneeded to generalise")
    axes[0].set_xticks(values, [f"{v:g}" for v in values], minor=False)
    axes[0].xaxis.set_minor_formatter(plt.NullFormatter())
    axes[0].legend()
    seq = pd.DataFrame(scaling.sequential).assign(seeds=0)
    accuracy_vs_tokens(axes[1], seq, pd.DataFrame(scaling.parallel),
                       scaling.grader)
    axes[1].set(xlabel="thinking tokens per problem (log)", ylabel=f"accuracy ({scaling.grader})",
                title="Test-time compute\nand accuracy")
    axes[1].legend(fontsize=10.5)
    caption(fig, note)
    fig.tight_layout()
    return fig


def exchange_figure(points: pd.DataFrame, note: str) -> plt.Figure:
    """Part 3: accuracy against inference FLOPs per problem, one panel per difficulty group, one colour per
    checkpoint (its training FLOPs); solid: greedy Stop over budgets, dashed: maj@m over m samples."""
    import matplotlib as mpl

    groups = list(dict.fromkeys(points["group"]))
    steps = sorted(points["step"].unique())
    colours = mpl.colormaps["viridis"](np.linspace(0, 0.9, len(steps)))
    fig, flat = panel_grid(len(groups) + 1, panel_height=3.8, sharey=True)  # one more panel: the legend
    spare = flat[len(groups)]
    for extra in flat[len(groups) + 1:]:
        extra.remove()
    axes = [flat[:len(groups)]]
    for ax, group in zip(axes[0], groups):
        for colour, step in zip(colours, steps):
            part = points[(points["group"] == group) & (points["step"] == step)]
            flops = part["train_flops"].iloc[0]
            for method, style in (("greedy Stop", "-"), ("maj@m", "--")):
                rows = part[part["method"] == method].sort_values("inference_flops")
                ax.plot(rows["inference_flops"], rows["accuracy"], ls=style, marker="o" if style == "-" else ".",
                        ms=3, color=colour, label=f"step {step:,} ({flops:.1e} train FLOPs)" if method == "greedy Stop" else None)
        ax.set(xscale="log", xlabel="inference FLOPs per problem (log)", title=group, ylim=(-0.03, 1.03),
               ylabel="accuracy (exact_match)")
        ax.xaxis.set_minor_formatter(plt.NullFormatter())  # minor labels of a short log axis overlap
    legend_in(spare, axes[0][0], title="solid: greedy Stop; dashed: maj@m", fontsize=10.5)
    fig.tight_layout()
    caption(fig, note)
    return fig


def exchange_summary(table: pd.DataFrame, problems_per_group: int) -> str:
    """The exchange table (helpers.part3.exchange.exchange_table) in sentences, one per difficulty group, and a
    verdict that follows the pattern: where earlier checkpoints buy the accuracy back, and where they cannot."""
    sentences, bought, not_bought, matched = [], [], [], []
    for group, rows in table.groupby("group", sort=False):
        reached = rows[rows.reached]
        target = rows["target accuracy"].iloc[0]
        if target == 0:
            sentences.append(f"**{group}**: the final checkpoint solves none of these at its base setting; there is "
                             "no accuracy to buy back.")
            continue
        if reached.empty:
            best = rows.sort_values("step").iloc[-1]
            not_bought.append(group)
            sentences.append(f"**{group}** (target {target:.0%}): no earlier checkpoint reaches it with any setting in "
                             f"the grid; the latest of them, step {best.step:,}, tops out at {best.accuracy:.0%} "
                             f"({best.by}).")
            continue
        first = reached.sort_values("step").iloc[0]
        ratio = first["× final's inference"]
        (bought if ratio > 1 else matched).append(group)
        cost = (f"{ratio:.1f}× the final checkpoint's inference FLOPs per problem; the "
                f"{first['training FLOPs saved']:.1e} training FLOPs it saved pay for that extra inference over "
                f"{first['break-even problems']:,.0f} problems" if ratio > 1 else
                "no more inference FLOPs than the final checkpoint's")
        sentences.append(f"**{group}** (target {target:.0%}): step {first.step:,} is the first to reach it within noise, with "
                         f"{first.by} at {cost}.")
    if matched and not bought:
        verdict = (f"In {', '.join(matched)} the first checkpoint within noise of the target gets there without extra "
                   "test-time compute: the checkpoints before it fall short with every setting in the grid, so no "
                   "checkpoint here trades training for thinking at this target.")
    elif bought and not_bought:
        verdict = (f"Test-time compute substitutes for training compute on {', '.join(bought)}, and not on "
                   f"{', '.join(not_bought)}: Snell et al.'s (2024) pattern at toy scale. An undertrained model that can "
                   "do each step some of the time gains from votes and longer thinking; one that lacks the steps gains "
                   "nothing, and only training supplies them.")
    elif bought and not matched:
        verdict = ("In every difficulty group some earlier checkpoint buys the final accuracy back with test-time compute: "
                   "within this grid, thinking substitutes for training everywhere, at the price in the table.")
    elif bought:
        verdict = (f"Test-time compute buys the target back in {', '.join(bought)}; in {', '.join(matched)} the first "
                   "checkpoint to reach it needs no extra test-time compute.")
    else:
        verdict = ("No earlier checkpoint reaches the final checkpoint's accuracy in any group: within this grid, "
                   "test-time compute does not substitute for training compute.")
    noise = (f" Accuracies are over {problems_per_group} problems per group (one problem is "
             f"{100 / problems_per_group:.1f} points); a target counts as reached when the setting's 95% bootstrap "
             "interval reaches it, i.e. within noise.")
    return "\n\n".join(sentences) + "\n\n" + verdict + noise


def jump_summary(jumps: pd.DataFrame, problems_per_group: int) -> str:
    """The skill jumps (helpers.part3.exchange.skill_jumps) in sentences, with a verdict that follows them."""
    sentences, blocked = [], []
    for _, j in jumps.iterrows():
        if not j["jump"]:
            sentences.append(f"**{j['group']}**: greedy accuracy does not cross 50% once and for all across the "
                             "checkpoints, so there is no single step where the skill appears.")
            continue
        before, after = int(j["before"]), int(j["after"])  # float when another group has no jump (NaN column)
        gain_tt = j["best_before"] - j["greedy_before"]
        blocked.append(gain_tt < 0.1)
        sentences.append(
            f"**{j['group']}**: between steps {before:,} and {after:,} ({j['train_ratio']:.2f}× the training "
            f"FLOPs) greedy accuracy jumps from {j['greedy_before']:.0%} to {j['greedy_after']:.0%}. At step "
            f"{before:,}, the best the grid's test-time compute reaches is {j['best_before']:.0%} ({j['best_before_by']}), "
            f"spending up to {j['most_inference_ratio']:.0f}× the inference FLOPs of one greedy answer. Step "
            f"{after:,}'s greedy accuracy is {'within noise of' if j['after_within_noise'] else 'below'} the final "
            f"checkpoint's {j['final']:.0%}.")
    if blocked and all(blocked):
        verdict = ("So in every group the exchange rate is one-sided: before the skill exists, up to ten times the inference "
                   "per problem (longer thinking or more votes) buys less than 10 points, while the next checkpoint's "
                   "modest extra training buys nearly everything. This is the hard-problem half of Snell et al.'s (2024) "
                   "finding; the trade Jones (2021) measures, test-time compute standing in for training, can only exist "
                   "after the jump, where a model solves a problem some of the time (Figure 2: the dashed maj@m curves "
                   "of the later checkpoints).")
    elif blocked and any(blocked):
        verdict = ("The exchange differs by group: where the best test-time setting at the earlier checkpoint stays within "
                   "10 points of its greedy accuracy, training could not be bought back with thinking; elsewhere it partly could.")
    else:
        verdict = "Before the jump, test-time compute already recovers part of the accuracy: thinking substitutes for some training."
    return "\n\n".join(sentences) + "\n\n" + verdict + (
        f" (Accuracies over {problems_per_group} problems per group: one problem is {100 / problems_per_group:.1f} points.)")

"""Section 1.4: ablation studies of the grokking delay Δt = t_val − t_train, one training factor at a time.

A study is {"field": a TrainConfig field, "values": [...], "label": "..."}; every other field is the baseline
recipe. The shared baseline value runs once for both studies (same config hash).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..gpt.config import TrainConfig, make_config
from .milestones import milestone_table, summarise_milestones
from ..gpt.sweep import grid


def study_configs(base: dict[str, Any], seeds: list[int], study: dict[str, Any]) -> list[TrainConfig]:
    """The runs of one study. Varying the training fraction splits the rest evenly into validation and test."""
    configs = grid(base, seeds=seeds, **{study["field"]: study["values"]})
    if study["field"] == "train_frac":
        configs = [make_config(c.to_dict(), val_frac=round((1 - c.train_frac) / 2, 6)) for c in configs]
    return configs


def distinct_configs(base: dict[str, Any], seeds: list[int], studies: list[dict[str, Any]]) -> list[TrainConfig]:
    """Every run of every study once (the baseline value is shared)."""
    return list({c.config_hash(): c for s in studies for c in study_configs(base, seeds, s)}.values())


def analyse(metrics: pd.DataFrame, base: dict[str, Any], seeds: list[int], study: dict[str, Any],
            threshold: float, hold: float = 500) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(the study's tidy metrics, one milestone row per run, the summary per value)."""
    field = study["field"]
    hashes = {c.config_hash() for c in study_configs(base, seeds, study)}
    tidy = metrics[metrics.config_hash.isin(hashes)]
    table = milestone_table(tidy, [field], threshold, hold)
    table["delta_t_lower_bound"] = table["last_step"] - table["t_train"]  # for censored runs: Δt is at least this
    return tidy, table, summarise_milestones(table, [field])


def _mean_std(row: pd.Series, name: str) -> str:
    std = row[f"{name}_std"]
    return f"{row[f'{name}_mean']:,.0f}" + ("" if np.isnan(std) else f" ± {std:,.0f}")


def _km(value: float, censored_at: str) -> str:
    return f"{value:,.0f}" if not np.isnan(value) else f"not reached ({censored_at or 'too few runs'})"


def describe(summary: pd.DataFrame, study: dict[str, Any], threshold: float, budget: int) -> str:
    """One clause per value (how many runs fitted and generalised; t_train, t_val and Δt over the runs that
    generalised; Kaplan-Meier median of t_val over all runs), then what moved between the extreme values that
    have at least two generalised runs: t_train, t_val or both, and whether Δt's change is beyond the seed spread."""
    field = study["field"]
    lines = []
    for _, row in summary.iterrows():
        v, runs = row[field], row.runs
        head = f"{v:g}: {row.generalised}/{runs} generalised"
        if row.fitted < runs:
            head += f", {runs - row.fitted} never fitted the training set (Δt undefined)"
        if row.fitted > row.generalised:
            head += f", {row.fitted - row.generalised} fitted but not generalised by step {budget:,}"
        if row.generalised:
            head += (f"; over the {row.generalised} that generalised t_train = {_mean_std(row, 't_train')}, "
                     f"t_val = {_mean_std(row, 't_val')}, Δt = {_mean_std(row, 'delta_t')}")
        head += f"; Kaplan-Meier median t_val over all {runs} runs {_km(row.t_val_km_median, row.censored_at)}"
        lines.append(head)
    text = "; ".join(lines) + "."
    ok = summary[summary.generalised >= 2]
    if len(ok) >= 2:
        first, last = ok.iloc[0], ok.iloc[-1]
        moves = {name: last[f"{name}_mean"] - first[f"{name}_mean"] for name in ("t_train", "t_val", "delta_t")}
        lo = lambda r: r.delta_t_mean - np.nan_to_num(r.delta_t_std)  # noqa: E731
        hi = lambda r: r.delta_t_mean + np.nan_to_num(r.delta_t_std)  # noqa: E731
        overlap = lo(first) <= hi(last) and lo(last) <= hi(first)
        driver = ("mostly through t_train (when the training set is fitted): t_train moves more than twice as much "
                  "as t_val" if abs(moves["t_train"]) > 2 * abs(moves["t_val"]) else
                  "mostly through t_val (when validation follows): t_val moves more than twice as much as t_train"
                  if abs(moves["t_val"]) > 2 * abs(moves["t_train"]) else "through both t_train and t_val")
        text += (f" From {study['label']} {first[field]:g} to {last[field]:g} (values with ≥ 2 generalised runs) "
                 f"t_train moves by {moves['t_train']:+,.0f} steps, t_val by {moves['t_val']:+,.0f} and Δt by "
                 f"{moves['delta_t']:+,.0f}: the delay changes {driver}. "
                 + ("The mean ± std intervals of Δt at the two values overlap: within seed noise."
                    if overlap else "The mean ± std intervals of Δt at the two values do not overlap."))
        means = ok.delta_t_mean.tolist()
        steps = [b - a for a, b in zip(means, means[1:])]
        if len(ok) > 2 and not (all(d <= 0 for d in steps) or all(d >= 0 for d in steps)):
            between = ok.iloc[1:-1]
            text += (" Δt is not monotone across the values in between ("
                     + ", ".join(f"{r[field]:g}: {_mean_std(r, 'delta_t')}" for _, r in between.iterrows())
                     + "), so the trend rests on the two ends and the seed spread.")
    return text


def censored_runs(table: pd.DataFrame, field: str) -> str:
    """Why each run without Δt failed: never fitted the training set (Δt undefined), or fitted it but validation
    did not follow by the last step (censored; or generalised and collapsed again)."""
    cut = table[table.outcome != "generalised"]
    if cut.empty:
        return "Every run fitted its training set and reached the threshold on validation within the budget."
    parts = []
    for _, r in cut.iterrows():
        fit = ("never fitted the training set for good (Δt undefined)" if r.outcome == "never fitted"
               else f"fitted the training set from step {r.t_train:.0f}, validation not at the threshold by step "
                    f"{r.last_step:.0f} (censored)")
        parts.append(f"{field} {r[field]:g}, seed {r.seed:.0f}: {fit}; final train/val accuracy "
                     f"{r.final_train_acc:.1%}/{r.final_val_acc:.1%}, best val {r.best_val_acc:.1%}, "
                     f"{r.val_collapses} validation collapse(s)")
    total, unstable = int(table.val_collapses.sum()), int((cut.val_collapses > 0).sum())
    head = f"{len(cut)} of {len(table)} runs have no Δt — " + "; ".join(parts) + ". "
    if total == 0:
        return head + "No run of this study lost a validation accuracy of 90% once reached."
    return (head + f"Across all {len(table)} runs of this study validation accuracy collapsed (fell more than 30 points "
            f"after reaching 90%) {total} time(s); {unstable} of the {len(cut)} run(s) without Δt collapsed at least "
            f"once, i.e. had generalised to ≥ 90% and lost it again (an optimisation instability), rather than never "
            f"making the transition.")


def study_facts(table: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Any]:
    """What the synthesis reads of one study."""
    return {"summary": summary, "censored": int((table.outcome == "not generalised").sum()), "runs": len(table),
            "collapses": int(table.val_collapses.sum()), "never_fitted": int((table.outcome == "never fitted").sum())}

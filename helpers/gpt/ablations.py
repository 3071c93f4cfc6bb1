"""Section 1.4: ablation studies of the grokking delay Δt = t_val − t_train, one training factor at a time.

A study is {"field": a TrainConfig field, "values": [...], "label": "..."}; every other field is the baseline
recipe. The shared baseline value runs once for both studies (same config hash).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .config import TrainConfig, make_config
from .milestones import milestone_table, summarise_milestones
from .sweep import grid


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
            threshold: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(the study's tidy metrics, one milestone row per run, the summary per value)."""
    field = study["field"]
    hashes = {c.config_hash() for c in study_configs(base, seeds, study)}
    tidy = metrics[metrics.config_hash.isin(hashes)]
    table = milestone_table(tidy, [field], threshold)
    table["delta_t_lower_bound"] = table["last_step"] - table["t_train"]  # for censored runs: Δt is at least this
    return tidy, table, summarise_milestones(table, [field])


def describe(summary: pd.DataFrame, study: dict[str, Any], threshold: float, budget: int) -> str:
    """One clause per value (Δt, t_val, t_train, how many generalised) and the trend across the values whose
    runs generalised."""
    field = study["field"]
    lines = []
    for _, row in summary.iterrows():
        v = row[field]
        if row.generalised == 0:
            lines.append(f"{v:g}: none of {row.runs} runs reached {threshold:.0%} within {budget:,} steps")
            continue
        extra = f" ({row.runs - row.generalised} censored, {row.censored_at})" if row.generalised < row.runs else ""
        lines.append(f"{v:g}: Δt = {row.delta_t_mean:.0f} ± {0 if np.isnan(row.delta_t_std) else row.delta_t_std:.0f}, "
                     f"t_val = {row.t_val_mean:.0f}, t_train = {row.t_train_mean:.0f} "
                     f"({row.generalised}/{row.runs} generalised{extra})")
    ok = summary[summary.generalised > 0]
    trend = ""
    if len(ok) >= 2:
        first, last = ok.iloc[0], ok.iloc[-1]
        ratio = first.delta_t_mean / last.delta_t_mean if last.delta_t_mean > 0 else np.nan
        trend = (f" Among runs that generalised, from {study['label']} {first[field]:g} to {last[field]:g} the mean "
                 f"delay goes from {first.delta_t_mean:.0f} to {last.delta_t_mean:.0f} steps (×{1 / ratio:.2f}), "
                 f"and t_train from {first.t_train_mean:.0f} to {last.t_train_mean:.0f}.")
    return "; ".join(lines) + "." + trend


def censored_runs(table: pd.DataFrame, field: str) -> str:
    """Why each censored run failed: never fitted the training set, or fitted it but validation did not follow
    (or generalised and collapsed again)."""
    cut = table[table.censored]
    if cut.empty:
        return "Every run reached the threshold within the budget."
    parts = []
    for _, r in cut.iterrows():
        fit = ("never fitted the training set" if np.isnan(r.t_train)
               else f"fitted the training set at step {r.t_train:.0f}")
        parts.append(f"{field} {r[field]:g}, seed {r.seed:.0f}: {fit}; final train/val accuracy "
                     f"{r.final_train_acc:.1%}/{r.final_val_acc:.1%}, best val {r.best_val_acc:.1%}, "
                     f"{r.val_collapses} validation collapse(s)")
    total, unstable = int(table.val_collapses.sum()), int((cut.val_collapses > 0).sum())
    head = f"{len(cut)} of {len(table)} runs are censored — " + "; ".join(parts) + ". "
    if total == 0:
        return head + "No run of this study lost a validation accuracy of 90% once reached."
    return (head + f"Across all {len(table)} runs of this study validation accuracy collapsed (fell more than 30 points "
            f"after reaching 90%) {total} time(s); {unstable} of the {len(cut)} censored run(s) collapsed at least "
            f"once, i.e. had generalised to ≥ 90% and lost it again (an optimisation instability), rather than never "
            f"making the transition.")


def study_facts(table: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Any]:
    """What the synthesis reads of one study."""
    return {"summary": summary, "censored": int(table.censored.sum()), "runs": len(table),
            "collapses": int(table.val_collapses.sum()), "never_fitted": int(table.t_train.isna().sum())}

"""Milestones of a training curve: when train and validation accuracy first reach a threshold.

Notation (after seed 003, Problem 4): t_train is the first evaluated step with train accuracy >= threshold
(train error has vanished), t_val the first with validation accuracy >= threshold (test error has vanished),
and Δt = t_val - t_train the grokking delay. A run whose validation accuracy never reaches the threshold
within its budget is *censored*: its t_val is unknown but larger than its last step, and it is reported
as such, never averaged in as if it had generalised.
"""
from __future__ import annotations

import math

import pandas as pd


def first_step(metrics: pd.DataFrame, column: str, threshold: float) -> float:
    """First evaluated step where `column` >= threshold, or NaN if never."""
    hit = metrics.loc[metrics[column] >= threshold, "step"]
    return float(hit.iloc[0]) if len(hit) else math.nan


def collapses(values: pd.Series, high: float = 0.9, drop: float = 0.3) -> int:
    """How many times a curve, having reached `high`, fell more than `drop` below its running best.

    Counts the (slingshot-like) accuracy collapses of late training; a run that merely wobbles counts none.
    Each collapse is counted once, when the curve first falls; it must climb back to `high` to count again.
    """
    count, best, armed = 0, -math.inf, False
    for v in values:
        best = max(best, v)
        if v >= high:
            armed = True
        elif armed and v < best - drop:
            count, armed = count + 1, False
    return count


def milestones(metrics: pd.DataFrame, threshold: float = 0.99) -> dict[str, float | bool]:
    """t_train, t_val, Δt, validation accuracy at t_train, last step, whether t_val is censored, and the
    final train/val accuracies and validation collapses that explain a censored run."""
    metrics = metrics.sort_values("step")
    t_train = first_step(metrics, "train_acc", threshold)
    t_val = first_step(metrics, "val_acc", threshold)
    val_at_t_train = (float(metrics.loc[metrics["step"] == t_train, "val_acc"].iloc[0])
                      if not math.isnan(t_train) else math.nan)
    return {"t_train": t_train, "t_val": t_val, "delta_t": t_val - t_train, "val_acc_at_t_train": val_at_t_train,
            "last_step": float(metrics["step"].iloc[-1]), "censored": math.isnan(t_val),
            "best_val_acc": float(metrics["val_acc"].max()),
            "final_train_acc": float(metrics["train_acc"].iloc[-1]), "final_val_acc": float(metrics["val_acc"].iloc[-1]),
            "val_collapses": collapses(metrics["val_acc"])}


def milestone_table(tidy: pd.DataFrame, keys: list[str], threshold: float = 0.99) -> pd.DataFrame:
    """One row of milestones per run of a tidy sweep table (grouped by `keys` + seed + run_id)."""
    rows = []
    for group, m in tidy.groupby(keys + ["seed", "run_id"], sort=True):
        rows.append(dict(zip(keys + ["seed", "run_id"], group)) | milestones(m, threshold))
    return pd.DataFrame(rows)


def summarise_milestones(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per setting: runs, runs that generalised, mean ± std of t_train, t_val and Δt over the uncensored runs,
    and for censored runs the step they reached (a lower bound on their t_val)."""
    out = []
    for group, g in table.groupby(keys, sort=True):
        done = g[~g["censored"]]
        row = dict(zip(keys, group if isinstance(group, tuple) else (group,)))
        row |= {"runs": len(g), "generalised": len(done),
                "t_train_mean": g["t_train"].mean(), "t_train_std": g["t_train"].std(ddof=1),
                "t_val_mean": done["t_val"].mean(), "t_val_std": done["t_val"].std(ddof=1),
                "delta_t_mean": done["delta_t"].mean(), "delta_t_std": done["delta_t"].std(ddof=1),
                "censored_at": ", ".join(f">{s:.0f}" for s in g.loc[g["censored"], "last_step"])}
        out.append(row)
    return pd.DataFrame(out)


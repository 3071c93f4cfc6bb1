"""Milestones of a training curve: when train and validation accuracy reach a threshold and stay there.

Notation (after seed 003, Problem 4): t_train is the first evaluated step from which train accuracy stays
>= threshold for `hold` steps (every evaluation in [t, t + hold], and the run evaluated at or past t + hold):
train error has vanished, and a transient crossing followed by a dip does not count. A window the run ends
inside is not a milestone: the time is censored, whatever the last evaluations showed. t_val is the same
for validation accuracy (test error has vanished), Δt = t_val - t_train the grokking delay. Kept beside them:
the first crossings (t_train_first, t_val_first), the steps from which accuracy stays at the threshold to the
end of the run (t_train_final, t_val_final), and the dips of training accuracy after t_train (single
evaluations below the threshold, e.g. loss spikes), counted and with their lowest value.

Each run has one of three outcomes:
- "generalised": t_train and t_val both defined, Δt = t_val - t_train;
- "not generalised": t_train defined, validation not at the threshold by the last step; t_val is *censored*
  (unknown but larger than the last step) and Δt > last step - t_train;
- "never fitted": training accuracy not at the threshold by the last step; Δt is undefined (there is no
  t_train), whatever validation did.
Censored times are never averaged in as if observed: summaries average over the runs that generalised (the
same runs for t_train, t_val and Δt) and give Kaplan-Meier medians, which use the censored runs as well.
"""
from __future__ import annotations

import math

import pandas as pd

from ..gpt.early_stop import held_crossing


def first_step(metrics: pd.DataFrame, column: str, threshold: float) -> float:
    """First evaluated step where `column` >= threshold, or NaN if never."""
    hit = metrics.loc[metrics[column] >= threshold, "step"]
    return float(hit.iloc[0]) if len(hit) else math.nan


def held_step(metrics: pd.DataFrame, column: str, threshold: float, hold: float, open_end: bool = False) -> float:
    """First evaluated step t with `column` >= threshold at every evaluation in [t, t + hold], the run evaluated
    at or past t + hold, or NaN if there is none (metrics sorted by step): the trainer's rule
    (helpers.gpt.early_stop.held_crossing) over a finished run. `open_end` also accepts a window the run ended
    inside (only for an unbounded window, where "to the end of the run" is the question)."""
    t = held_crossing(metrics["step"].to_numpy(dtype=float), (metrics[column] >= threshold).to_numpy(), hold,
                      open_end=open_end)
    return math.nan if t is None else float(t)


def stable_step(metrics: pd.DataFrame, column: str, threshold: float) -> float:
    """First evaluated step from which `column` >= threshold at every later evaluation, or NaN if the last
    evaluation is below (metrics sorted by step): held_step with a window to the end of the run."""
    return held_step(metrics, column, threshold, math.inf, open_end=True)


def km_median(times: list[float], observed: list[bool]) -> float:
    """Kaplan-Meier estimate of the median time to an event: `times` are event times where `observed`, else
    censoring times (the event had not happened by then). NaN when the survival curve never falls to 0.5
    (too many runs censored to place the median)."""
    at_risk, survival = len(times), 1.0
    for t in sorted(set(times)):
        here = [o for tt, o in zip(times, observed) if tt == t]
        events = sum(here)
        if events:
            survival *= 1 - events / at_risk
            if survival <= 0.5 + 1e-12:
                return float(t)
        at_risk -= len(here)
    return math.nan


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


def milestones(metrics: pd.DataFrame, threshold: float = 0.99, hold: float = 500) -> dict[str, float | bool | str]:
    """t_train, t_val (held for `hold` steps, see the module docstring), Δt, the outcome, validation accuracy at
    t_train, the first crossings and the to-the-end steps, the training-accuracy dips between t_train and t_val, the last
    step, whether t_val is censored, and the final accuracies and validation collapses that explain a censored run."""
    metrics = metrics.sort_values("step")
    t_train, t_val = held_step(metrics, "train_acc", threshold, hold), held_step(metrics, "val_acc", threshold, hold)
    val_at_t_train = (float(metrics.loc[metrics["step"] == t_train, "val_acc"].iloc[0])
                      if not math.isnan(t_train) else math.nan)
    outcome = ("never fitted" if math.isnan(t_train) else "not generalised" if math.isnan(t_val) else "generalised")
    plateau = (metrics["step"] >= t_train) & ~(metrics["step"] >= t_val)  # to the end when t_val is NaN
    after_fit = metrics.loc[plateau, "train_acc"]
    return {"t_train": t_train, "t_val": t_val, "delta_t": t_val - t_train, "outcome": outcome,
            "val_acc_at_t_train": val_at_t_train,
            "t_train_first": first_step(metrics, "train_acc", threshold),
            "t_val_first": first_step(metrics, "val_acc", threshold),
            "t_train_final": stable_step(metrics, "train_acc", threshold),
            "t_val_final": stable_step(metrics, "val_acc", threshold),
            "train_dips": int((after_fit < threshold).sum()),
            "train_acc_min_after": float(after_fit.min()) if len(after_fit) else math.nan,
            "last_step": float(metrics["step"].iloc[-1]), "censored": math.isnan(t_val),
            "best_val_acc": float(metrics["val_acc"].max()),
            "final_train_acc": float(metrics["train_acc"].iloc[-1]), "final_val_acc": float(metrics["val_acc"].iloc[-1]),
            "val_collapses": collapses(metrics["val_acc"])}


def milestone_table(tidy: pd.DataFrame, keys: list[str], threshold: float = 0.99, hold: float = 500) -> pd.DataFrame:
    """One row of milestones per run of a tidy sweep table (grouped by `keys` + seed + run_id)."""
    rows = []
    for group, m in tidy.groupby(keys + ["seed", "run_id"], sort=True):
        rows.append(dict(zip(keys + ["seed", "run_id"], group)) | milestones(m, threshold, hold))
    return pd.DataFrame(rows)


def summarise_milestones(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per setting: how many runs, fitted and generalised; mean ± std of t_train, t_val and Δt over the runs that
    generalised (one run set for all three, so mean Δt = mean t_val - mean t_train); Kaplan-Meier medians of
    t_val over all runs and of Δt over the fitted runs (censored at the last step); and the last step of every
    censored run (a lower bound on its t_val)."""
    out = []
    for group, g in table.groupby(keys, sort=True):
        done, fitted = g[g["outcome"] == "generalised"], g[g["outcome"] != "never fitted"]
        row = dict(zip(keys, group if isinstance(group, tuple) else (group,)))
        row |= {"runs": len(g), "fitted": len(fitted), "generalised": len(done),
                "t_train_mean": done["t_train"].mean(), "t_train_std": done["t_train"].std(ddof=1),
                "t_val_mean": done["t_val"].mean(), "t_val_std": done["t_val"].std(ddof=1),
                "delta_t_mean": done["delta_t"].mean(), "delta_t_std": done["delta_t"].std(ddof=1),
                "t_val_km_median": km_median(g["t_val"].fillna(g["last_step"]).tolist(), (~g["censored"]).tolist()),
                "delta_t_km_median": km_median(
                    fitted["delta_t"].fillna(fitted["last_step"] - fitted["t_train"]).tolist(),
                    (~fitted["censored"]).tolist()),
                "censored_at": ", ".join(f">{s:.0f}" for s in g.loc[g["censored"], "last_step"])}
        out.append(row)
    return pd.DataFrame(out)

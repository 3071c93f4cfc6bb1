"""The numbers section 3 quotes and the conditions its claims test, read off the other sections' facts and Part 3's
exchange grid. Pure: tables in, numbers and truth values out, so the prose (helpers.part3.prose, .argument) and its
tests share one reading of the data."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..reasoner.task import pass_tokens
from ..report.facts import AblationFacts, ImprovementsFacts, ScalingFacts

GREEDY, VOTE = "greedy Stop", "maj@m"  # the two methods of the exchange grid (helpers.part3.exchange)
JUMP_COLUMNS = ["group", "jump", "before", "after", "train_ratio", "greedy_before", "greedy_after", "best_before",
                "best_before_by", "most_inference_ratio", "final", "after_within_noise"]


# ------------------------------------------------------------------------------------------ Part 1 and Part 2 facts

def as_numbers(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns as floats, a missing value (None in the facts) as NaN, a missing column as all NaN."""
    return table.assign(**{c: pd.to_numeric(table[c], errors="coerce") if c in table else np.nan for c in columns})


def row_or_nan(table: pd.DataFrame, position: int) -> pd.Series:
    """The row at `position` (negative from the end), or a row of NaN when the table is too short: a sentence
    about it then prints "nan" and its claim is marked, rather than the notebook failing."""
    if -len(table) <= position < len(table):
        return table.iloc[position]
    return pd.Series(np.nan, index=table.columns, name=position)


def ablation_rows(ablations: AblationFacts, field: str) -> pd.DataFrame:
    """One study's summary rows in the order of the ablated value, numbers as floats (NaN where no run gave one)."""
    rows = pd.DataFrame(ablations.studies[field]["summary"]).sort_values(field).reset_index(drop=True)
    return as_numbers(rows, [field, "runs", "fitted", "generalised", "t_train_mean", "t_val_mean", "delta_t_mean",
                          "delta_t_std"])


def seq_curves(scaling: ScalingFacts) -> dict[str, pd.DataFrame]:
    """Per intervention (stop, wait; an empty table for one the profile did not run): budget, accuracy (acc), its
    spread over seeds (std) and thinking tokens, under the section's grader, in budget order."""
    seq, g = pd.DataFrame(scaling.sequential), scaling.grader
    seq = as_numbers(seq.assign(acc=seq[f"{g}_mean"], std=seq.get(f"{g}_std", 0.0)), ["budget", "acc", "std"])
    seq = seq.fillna({"std": 0.0})
    curves = {mode: rows.sort_values("budget").reset_index(drop=True) for mode, rows in seq.groupby("mode")}
    return {mode: curves.get(mode, seq.iloc[:0]) for mode in ("stop", "wait")} | curves


def par_curves(scaling: ScalingFacts) -> dict[str, pd.DataFrame]:
    """Per aggregation rule (majority, maj@m, best-of-m): m, accuracy (acc) with its 95% bootstrap interval (lo, hi)
    and thinking tokens."""
    par = pd.DataFrame(scaling.parallel)
    par = par[par.grader == scaling.grader].rename(columns={"mean": "acc"})
    curves = {rule: rows.sort_values("m").reset_index(drop=True) for rule, rows in par.groupby("rule")}
    return {rule: curves.get(rule, par.iloc[:0]) for rule in ("majority", "maj@m", "best-of-m")} | curves


def rises_at_every_budget(curve: pd.DataFrame) -> bool:
    return bool(len(curve) > 1 and (np.diff(curve.acc.to_numpy()) > 0).all())


def gains_within_spread(curve: pd.DataFrame) -> pd.DataFrame:
    """The budgets after the last gain larger than the spread over seeds: each of their gains is within noise.
    Empty when even the last budget's gain is beyond noise."""
    gains = np.diff(curve.acc.to_numpy())
    beyond = [i for i, (gain, std) in enumerate(zip(gains, curve["std"].to_numpy()[1:])) if abs(gain) > std]
    start = (beyond[-1] + 2) if beyond else 1
    return curve.iloc[start:].assign(gain=gains[start - 1:])


def strategy_row(improvements: ImprovementsFacts, key: str, total: int | None = None, rule: str = "maj@m") -> pd.Series:
    """One 2.4 strategy's row (by its parameter key, e.g. "xtc") at a total thinking budget (default: the smallest)."""
    table = pd.DataFrame(improvements.table).reindex(columns=["strategy", "rule", "total budget", "accuracy", "paired Δ",
                                                               "paired lo", "paired hi"])
    table = as_numbers(table, ["total budget", "accuracy", "paired Δ", "paired lo", "paired hi"])
    rows = table[(table.strategy == improvements.labels.get(key)) & (table.rule == rule)].sort_values("total budget")
    return row_or_nan(rows if total is None else rows[rows["total budget"] == total], 0)


# ------------------------------------------------------------------------------------------ the exchange grid

@dataclass
class ExchangeReading:
    """Part 3's grid read for the prose: the operating points (helpers.part3.exchange.operating_points), the exchange
    table, the skill jumps, the difficulty groups (name -> k values), the checkpoint Part 2 answered with (None when
    it is not one of the grid's), and the grid's per-sample budget and pool size."""
    points: pd.DataFrame
    table: pd.DataFrame
    jumps: pd.DataFrame
    groups: dict[str, list[int]]
    part2_step: int | None
    per_sample_budget: int
    pool: int

    @property
    def final(self) -> int:
        return int(self.points.step.max())

    def curve(self, step: int, group: str, method: str) -> pd.DataFrame:
        """Accuracy, interval and inference FLOPs per level (budget or m) of one checkpoint, group and method."""
        p = self.points
        return p[(p.step == step) & (p.group == group) & (p.method == method)].sort_values("level").reset_index(drop=True)

    def enough_thinking(self, step: int, group: str) -> int | None:
        """The smallest greedy budget from which every larger one stays within noise of the best greedy accuracy
        (its 95% interval reaches it); None where only the largest budget does."""
        curve = self.curve(step, group, GREEDY)
        reaches = (curve.hi >= curve.accuracy.max()).to_numpy()
        first = len(reaches) - int(np.argmin(reaches[::-1])) if not reaches.all() else 0
        return int(curve.level.iloc[first]) if first < len(curve) - 1 else None

    def one_pass(self, group: str) -> int:
        """The first budget of the grid that holds one whole pass of the group's longest chain (6(k - 1) tokens)."""
        need = pass_tokens(max(self.groups[group]))
        budgets = sorted(self.points.loc[self.points.method == GREEDY, "level"].unique())
        return int(next((b for b in budgets if b >= need), budgets[-1]))

    def vote_gain(self, step: int, group: str) -> tuple[pd.Series, pd.Series]:
        """maj@m at m = 1 and at the pool's largest m (rows with accuracy, lo, hi)."""
        votes = self.curve(step, group, VOTE)
        return row_or_nan(votes, 0), row_or_nan(votes, -1)

    def jumped(self) -> pd.DataFrame:
        """The groups whose skill jumps, with every column of helpers.part3.exchange.skill_jumps (even when none do)."""
        return self.jumps[self.jumps["jump"].astype(bool)].reindex(columns=JUMP_COLUMNS)

    def jumps_together(self) -> bool:
        """Every group's skill appears between the same two checkpoints."""
        return bool(len(self.jumps) and self.jumps["jump"].all()
                    and len(self.jumped()[["before", "after"]].drop_duplicates()) == 1)

    def best_gain_before(self) -> float:
        """The most any test-time setting gains over greedy at the checkpoint before a group's jump (NaN: no jump)."""
        jumped = self.jumped()
        return float((jumped.best_before - jumped.greedy_before).max()) if len(jumped) else float("nan")

    def first_reaching(self) -> pd.DataFrame:
        """Per group, the first earlier checkpoint within noise of the final accuracy, with its inference ratio."""
        reached = self.table[self.table.reached].sort_values("step")
        return reached.groupby("group", sort=False).head(1).set_index("group")

    def bought_back(self) -> bool:
        """Some earlier checkpoint reaches the final accuracy by spending more inference than the final checkpoint."""
        return bool((self.first_reaching()["× final's inference"] > 1.0 + 1e-9).any())

    def training_between(self) -> tuple[float, float]:
        """(training FLOPs between the checkpoints around the first group's jump, inference FLOPs of one greedy answer
        of the hardest group at the per-sample budget, final checkpoint); NaN without a jump."""
        j = row_or_nan(self.jumped(), 0)
        flops = self.points.drop_duplicates("step").set_index("step").train_flops
        if j.isna().all():
            return float("nan"), float("nan")
        greedy = self.curve(self.final, list(self.groups)[-1], GREEDY).set_index("level")
        return float(flops[int(j.after)] - flops[int(j.before)]), float(greedy.inference_flops.get(
            self.per_sample_budget, greedy.inference_flops.iloc[-1]))

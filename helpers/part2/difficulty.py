"""Accuracy by difficulty for the project's reasoner, whose problem ids carry the number of operands k
('k<k>-<index>'): per-k tables with bootstrap intervals, intervals apart, and the diversity of pure guessing."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..reasoner.task import difficulty
from ..tts.curves import bootstrap_mean, check_columns


def with_difficulty(df: pd.DataFrame) -> pd.DataFrame:
    """The sample table with a column k (operands of the chain) read off the problem ids 'k<k>-<index>'."""
    return df.assign(k=df["problem_id"].map(difficulty))


def by_difficulty(df: pd.DataFrame, keys: Sequence[str], grader: str = "exact", n_boot: int = 1000,
                  seed: int = 0) -> pd.DataFrame:
    """Accuracy per difficulty k and `keys`: each problem's correctness is first averaged over its seeds, then the
    mean over the problems of that k, with a 95% bootstrap interval over those problems (lo, hi)."""
    df = with_difficulty(df)
    check_columns(df, [*keys, f"{grader}_correct"])
    per_problem = df.groupby([*keys, "k", "problem_id"])[f"{grader}_correct"].mean().reset_index()
    rng = np.random.default_rng(seed)
    rows = []
    for group, part in per_problem.groupby([*keys, "k"], sort=True):
        hits = part[f"{grader}_correct"].to_numpy(dtype=float)
        accuracy, lo, hi = bootstrap_mean(hits, rng, n_boot)
        rows.append({**dict(zip([*keys, "k"], group)), "problems": len(hits), "accuracy": accuracy, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def separated(table: pd.DataFrame, key: str, better: str, worse: str) -> list[int]:
    """The difficulties k at which `better`'s 95% interval lies wholly above `worse`'s (not within noise)."""
    wide = table.pivot_table(index="k", columns=key, values=["lo", "hi"])
    return [int(k) for k in wide.index if wide.loc[k, ("lo", better)] > wide.loc[k, ("hi", worse)]]


def chance_distinct(m: int, n_values: int) -> float:
    """Expected number of distinct values among m uniform draws from n_values: the diversity of pure guessing."""
    return n_values * (1 - (1 - 1 / n_values) ** m)

"""Reading test-time-scaling samples back as curves: accuracy tables, the sequential curve over budgets, the
parallel curve over m samples, bootstrap intervals.

Every function takes the tidy sample table that `helpers.tts.runner.run_setting` returns (one row per problem ×
seed × budget, with exact_correct / flexible_correct, thinking_tokens, answer_tokens, the texts) and returns
a pandas table.

Token axes, as the specification defines them: "thinking tokens" counts tokens inside the thinking block; a
parallel point with m samples costs the sum of its m samples' thinking tokens. "Total tokens" adds the
answer tokens. x values are means over problems; their spread (`*_std`) is the standard deviation across
problems, the specification's horizontal error bar.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .aggregate import RULES, scaling_curve, solved

GRADERS = {"exact": "exact", "flexible": "flexible"}  # grader name -> column prefix (<prefix>_correct/_answer)


def check_columns(df: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"sample table lacks column(s) {missing}; has {list(df.columns)}")


def accuracy_table(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Accuracy under both graders per group, with counts and token statistics."""
    check_columns(df, [*keys, "exact_correct", "flexible_correct", "thinking_tokens", "answer_tokens", "problem_id"])
    g = df.groupby(list(keys), sort=True)
    out = g.agg(samples=("problem_id", "size"), problems=("problem_id", "nunique"),
                exact_acc=("exact_correct", "mean"), flexible_acc=("flexible_correct", "mean"),
                exact_parsed=("exact_answer", lambda s: s.notna().mean()),
                thinking_mean=("thinking_tokens", "mean"), thinking_median=("thinking_tokens", "median"),
                answer_mean=("answer_tokens", "mean"))
    return out.reset_index()


def sequential_curve(df: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per (mode, budget): mean and std over seeds (repeated runs) of the per-seed accuracy over problems.

    x: mean thinking (and total) tokens per problem; *_std: their spread across problems."""
    check_columns(df, ["mode", "budget", "seed", "problem_id", "exact_correct", "flexible_correct",
                "thinking_tokens", "answer_tokens"])
    df = df.assign(total_tokens=df.thinking_tokens + df.answer_tokens)
    per_seed = df.groupby(["mode", "budget", "seed"]).agg(exact=("exact_correct", "mean"),
                                                          flexible=("flexible_correct", "mean")).reset_index()
    acc = per_seed.groupby(["mode", "budget"]).agg(
        seeds=("seed", "nunique"), exact_mean=("exact", "mean"), exact_std=("exact", "std"),
        flexible_mean=("flexible", "mean"), flexible_std=("flexible", "std")).reset_index()
    per_problem = df.groupby(["mode", "budget", "problem_id"])[["thinking_tokens", "total_tokens"]].mean()
    tokens = per_problem.groupby(["mode", "budget"]).agg(
        thinking_tokens=("thinking_tokens", "mean"), thinking_tokens_std=("thinking_tokens", "std"),
        total_tokens=("total_tokens", "mean"), total_tokens_std=("total_tokens", "std")).reset_index()
    extra = df.groupby(["mode", "budget"]).agg(cut_frac=("thinking_cut", "mean"), waits_mean=("waits", "mean"),
                                                problems=("problem_id", "nunique")).reset_index()
    out = acc.merge(tokens, on=["mode", "budget"]).merge(extra, on=["mode", "budget"])
    return out.fillna({"exact_std": 0.0, "flexible_std": 0.0})


def parallel_curve(pool: pd.DataFrame, ms: Sequence[int], n_boot: int = 200, seed: int = 0,
                   rules: Sequence[str] = RULES) -> pd.DataFrame:
    """Accuracy against m from one pool of M samples per problem (one budget), per grader and rule, with
    bootstrap intervals; x: m × the mean per-sample thinking (total) tokens, spread across problems."""
    check_columns(pool, ["problem_id", "gold", "exact_answer", "flexible_answer", "thinking_tokens", "answer_tokens"])
    if pool["budget"].nunique() != 1:
        raise ValueError(f"a parallel pool has one thinking budget; got {sorted(pool['budget'].unique())}")
    per_problem = pool.assign(total=pool.thinking_tokens + pool.answer_tokens).groupby("problem_id")[
        ["thinking_tokens", "total"]].mean()
    frames = []
    for grader in GRADERS.values():
        curve = scaling_curve(pool, ms, f"{grader}_answer", n_boot=n_boot, seed=seed, rules=rules)
        frames.append(curve.assign(grader=grader))
    out = pd.concat(frames, ignore_index=True)
    out["budget"] = int(pool["budget"].iloc[0])
    out["thinking_tokens"] = out["m"] * per_problem["thinking_tokens"].mean()
    out["thinking_tokens_std"] = out["m"] * per_problem["thinking_tokens"].std()
    out["total_tokens"] = out["m"] * per_problem["total"].mean()
    out["total_tokens_std"] = out["m"] * per_problem["total"].std()
    return out


def at_total_budget(curve: pd.DataFrame, per_sample_budget: int, totals: Sequence[int]) -> pd.DataFrame:
    """Rows of a parallel curve whose nominal total thinking budget (m × per-sample budget) is in `totals`."""
    wanted = {t // per_sample_budget: t for t in totals if t % per_sample_budget == 0}
    rows = curve[curve.m.isin(wanted)].copy()
    rows["total_budget"] = rows.m.map(wanted)
    return rows


def bootstrap_mean(values: np.ndarray, rng: np.random.Generator, n_boot: int) -> tuple[float, float, float]:
    """Mean of per-problem values and the 2.5/97.5 percentiles of its bootstrap over problems (NaN when empty)."""
    if not len(values):
        return np.nan, np.nan, np.nan
    boot = rng.choice(values, size=(n_boot, len(values)), replace=True).mean(axis=1)
    return float(values.mean()), float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))


def solved_first_m(pool: pd.DataFrame, m: int, rule: str, grader: str = "exact") -> pd.Series:
    """Per problem: solved under `rule` by its first m samples in seed order (deterministic, no resampling)."""
    check_columns(pool, ["problem_id", "seed", "gold", f"{grader}_answer"])
    fewest = int(pool.groupby("problem_id").size().min()) if len(pool) else 0
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or not 1 <= m <= fewest:
        raise ValueError(f"m: {m!r} not allowed; allowed: an integer in 1..{fewest} (the fewest samples of a problem)")
    out = {}
    for pid, g in pool.sort_values(["problem_id", "seed"]).groupby("problem_id"):
        out[pid] = bool(solved(rule, g[f"{grader}_answer"].tolist()[:m], g["gold"].iloc[0]))
    return pd.Series(out, dtype=bool)

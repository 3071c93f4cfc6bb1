"""Aggregating m parallel samples per problem, and accuracy-vs-m curves with bootstrap error bars.

Three rules, named as the report names them:
- `majority` (the specification's wording): a problem counts as solved only if MORE THAN HALF of its m
  answers are correct.
- `maj@m` (the usual plurality vote, as in s1/lm-eval): the most common extracted answer (ties: the one
  seen first) is the final answer; unparsable answers (None) do not vote.
- `best-of-m` (coverage, pass@m): solved if ANY of the m answers is correct; not deployable without an oracle.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

RULES = ("majority", "maj@m", "best-of-m")


def strict_majority(correct: Sequence[bool]) -> bool:
    return sum(bool(c) for c in correct) > len(correct) / 2


def best_of(correct: Sequence[bool]) -> bool:
    return any(correct)


def has_answer(a: object) -> bool:
    """False for "no answer" in any container: None, or NaN (what a pandas column holds for a missing value)."""
    return a is not None and a == a


def plurality_answer(answers: Sequence[int | None]) -> int | None:
    votes = Counter(a for a in answers if has_answer(a))
    if not votes:
        return None
    top = max(votes.values())
    return next(a for a in answers if has_answer(a) and votes[a] == top)  # first seen among the tied


def solved(rule: str, answers: Sequence[int | None], gold: int) -> bool:
    correct = [a == gold for a in answers]
    if rule == "majority":
        return strict_majority(correct)
    if rule == "maj@m":
        return plurality_answer(answers) == gold
    if rule == "best-of-m":
        return best_of(correct)
    raise ValueError(f"aggregation rule {rule!r} is unknown; allowed: {', '.join(RULES)}")


def scaling_curve(pool: pd.DataFrame, ms: Sequence[int], answer_col: str, n_boot: int = 200,
                  seed: int = 0, rules: Sequence[str] = RULES) -> pd.DataFrame:
    """Accuracy against m from one pool of M samples per problem.

    pool: one row per sample with columns problem_id, gold and `answer_col`. Each bootstrap replicate
    resamples the problems with replacement and, per problem, draws m of its M samples without replacement.
    Returns one row per (rule, m): `mean` is the bootstrap mean, `lo`/`hi` its 2.5/97.5 percentiles and
    `std` its standard deviation.
    """
    groups = {pid: (g["gold"].iloc[0], g[answer_col].tolist()) for pid, g in pool.groupby("problem_id", sort=True)}
    sizes = {len(answers) for _, answers in groups.values()}
    if len(sizes) != 1:
        raise ValueError(f"every problem needs the same number of samples; got sizes {sorted(sizes)}")
    M = sizes.pop()
    if not ms or max(ms) > M or min(ms) < 1:
        raise ValueError(f"ms must lie in 1..{M} (samples per problem), got {list(ms)}")
    rng = np.random.default_rng(seed)
    ids = list(groups)
    rows = []
    for m in ms:
        scores = {rule: np.empty(n_boot) for rule in rules}
        for b in range(n_boot):
            hits = dict.fromkeys(rules, 0)
            for k in rng.choice(len(ids), size=len(ids), replace=True):
                gold, answers = groups[ids[k]]
                picked = [answers[i] for i in rng.choice(M, size=m, replace=False)]
                for rule in rules:
                    hits[rule] += solved(rule, picked, gold)
            for rule in rules:
                scores[rule][b] = hits[rule] / len(ids)
        for rule in rules:
            s = scores[rule]
            rows.append({"rule": rule, "m": m, "mean": s.mean(), "std": s.std(ddof=1) if n_boot > 1 else 0.0,
                         "lo": np.percentile(s, 2.5), "hi": np.percentile(s, 97.5)})
    return pd.DataFrame(rows)

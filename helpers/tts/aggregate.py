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
    """More than half of the m verdicts are True; a missing verdict (None, NaN) counts as not correct."""
    return sum(1 for c in correct if has_answer(c) and bool(c)) > len(correct) / 2


def best_of(correct: Sequence[bool]) -> bool:
    return any(correct)


def has_answer(a: object) -> bool:
    """False for "no answer" in any container: None, float NaN (a float pandas column), numpy NaN or pd.NA
    (a nullable Int64 column)."""
    try:
        return not bool(pd.isna(a))
    except (TypeError, ValueError):  # a list-like is not one answer
        return False


def plurality_answer(answers: Sequence[int | None]) -> int | None:
    """The most common answer; among tied answers the one that appears first in `answers` (for a pool, the
    first drawn); "no answer" never votes, and None comes back only when no sample has an answer."""
    votes = Counter(a for a in answers if has_answer(a))
    if not votes:
        return None
    top = max(votes.values())
    return next(a for a in answers if has_answer(a) and votes[a] == top)  # first seen among the tied


def solved(rule: str, answers: Sequence[int | None], gold: int) -> bool:
    correct = [has_answer(a) and a == gold for a in answers]
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
    `std` its standard deviation. Vectorised over replicates and problems (numpy); the rules are those of
    `solved` (ties in maj@m go to the answer drawn first; no answer never votes)."""
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise ValueError(f"aggregation rule(s) {unknown} unknown; allowed: {', '.join(RULES)}")
    groups = {pid: (g["gold"].iloc[0], g[answer_col].tolist()) for pid, g in pool.groupby("problem_id", sort=True)}
    sizes = {len(answers) for _, answers in groups.values()}
    if len(sizes) != 1:
        raise ValueError(f"every problem needs the same number of samples; got sizes {sorted(sizes)}")
    M = sizes.pop()
    if not len(ms) or any(isinstance(m, bool) or not isinstance(m, (int, np.integer)) for m in ms) \
            or max(ms) > M or min(ms) < 1:
        raise ValueError(f"ms: {list(ms)} not allowed; allowed: a non-empty list of integers in 1..{M} (samples per "
                         "problem)")
    # answers as integer codes: -1 = no answer; a gold never answered gets a code no answer has
    values = {a for _, answers in groups.values() for a in answers if has_answer(a)}
    code = {v: i for i, v in enumerate(sorted(values, key=float))}
    answers = np.array([[code[a] if has_answer(a) else -1 for a in ans] for _, ans in groups.values()])
    gold = np.array([code.get(g, -2) for g, _ in groups.values()])
    rng = np.random.default_rng(seed)
    P = len(groups)
    rows = []
    for m in ms:
        problems = rng.integers(0, P, size=(n_boot, P))
        picked = np.argsort(rng.random((n_boot, P, M)), axis=2)[:, :, :m]  # m of M, without replacement
        drawn = answers[problems[..., None], picked]  # (n_boot, P, m)
        right = drawn == gold[problems][..., None]
        hits = {"majority": right.sum(-1) > m / 2, "best-of-m": right.any(-1)}
        if "maj@m" in rules:
            votes = ((drawn[..., :, None] == drawn[..., None, :]) & (drawn[..., None, :] >= 0)).sum(-1)
            votes[drawn < 0] = -1
            winner = np.take_along_axis(drawn, votes.argmax(-1)[..., None], -1)[..., 0]  # first of the tied
            hits["maj@m"] = (winner == gold[problems]) & (winner >= 0)
        for rule in rules:
            scores = hits[rule].mean(axis=1)
            rows.append({"rule": rule, "m": m, "mean": scores.mean(), "std": scores.std(ddof=1) if n_boot > 1 else 0.0,
                         "lo": np.percentile(scores, 2.5), "hi": np.percentile(scores, 97.5)})
    return pd.DataFrame(rows)

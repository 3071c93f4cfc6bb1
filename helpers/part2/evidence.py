"""The numbers that decide Part 2's qualitative statements: for each claim of sections 2.1-2.4 (X beats Y within or
beyond noise, a curve jumps or dips, a loss comes from a re-check cut mid-pass), the quantities that make it true or
false, computed from the tidy sample tables and curves (helpers.tts.curves). Data in, plain dicts out; the
paragraphs (prose.py, prose_traces.py) turn them into sentences with helpers.report.claims.claim."""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..reasoner.task import pass_tokens
from .difficulty import with_difficulty

STEP_LINE = re.compile(r"^(\d+[+-]\d+=\d+|Wait)$")  # one line of the reasoner's chain: a step, or its own re-check


def own_recheck(df: pd.DataFrame) -> pd.Series:
    """Samples whose thinking holds a "Wait" the model wrote itself (only Stop samples: Wait injects its own)."""
    return (df["mode"] != "wait") & df["thinking_text"].str.contains("Wait", regex=False)


def chain_format(text: str, cut: bool) -> bool:
    """Whether a thinking text is the reasoner's chain: every line a step `a±b=c` or "Wait" (the last line may be
    unfinished when the budget cut it)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    whole = lines[:-1] if cut and lines else lines
    unfinished = lines[-1:] if cut else []
    return all(STEP_LINE.match(line) for line in whole) and all(re.fullmatch(r"[\d+=Wait-]*", u) for u in unfinished)


def compute_evidence(seq_curve: pd.DataFrame, par_curve: pd.DataFrame, grader: str) -> dict:
    """2.2's first two questions in numbers: the best sequential point (the intervention and budget with the
    highest mean) and its noise (± 2 std over seeds); the parallel maj@m point closest to it in thinking tokens, the
    fewest samples that reach it, the best maj@m point; Stop's use of its top budget and Wait's accuracy there."""
    acc, std = f"{grader}_mean", f"{grader}_std"
    best = seq_curve.loc[seq_curve[acc].idxmax()]
    top = seq_curve[seq_curve.budget == seq_curve.budget.max()].set_index("mode")
    vote = par_curve[(par_curve.grader == grader) & (par_curve.rule == "maj@m")].sort_values("m")
    near = vote.iloc[(vote.thinking_tokens - best.thinking_tokens).abs().argsort().iloc[0]]
    reach = vote[vote["mean"] >= best[acc]]
    peak = vote.loc[vote["mean"].idxmax()]
    noise = 2 * float(np.nan_to_num(best[std]))
    return {"seq_mode": best["mode"], "seq_budget": int(best.budget), "seq_acc": float(best[acc]),
            "seq_lo": float(best[acc]) - noise, "seq_hi": float(best[acc]) + noise,
            "seq_tokens": float(best.thinking_tokens), "top_budget": int(seq_curve.budget.max()),
            "stop_tokens": float(top.loc["stop", "thinking_tokens"]) if "stop" in top.index else np.nan,
            "wait_acc": float(top.loc["wait", acc]) if "wait" in top.index else np.nan,
            "wait_hi": float(top.loc["wait", acc] + 2 * np.nan_to_num(top.loc["wait", std])) if "wait" in top.index
            else np.nan,
            "near_m": int(near.m), "near_tokens": float(near.thinking_tokens), "near_acc": float(near["mean"]),
            "near_lo": float(near.lo), "near_hi": float(near.hi),
            "reach_m": int(reach.m.iloc[0]) if len(reach) else None,
            "reach_tokens": float(reach.thinking_tokens.iloc[0]) if len(reach) else np.nan,
            "peak_m": int(peak.m), "peak_acc": float(peak["mean"]), "peak_lo": float(peak.lo),
            "peak_tokens": float(peak.thinking_tokens), "m_max": int(vote.m.max()),
            "last_acc": float(vote["mean"].iloc[-1])}


def oracle_evidence(pool: pd.DataFrame, par_curve: pd.DataFrame, grader: str) -> dict:
    """2.2's third question: best-of-m at m = 1 and at the largest m (with its interval) against maj@m there, and
    the cost of drawing samples in seed order until the first right one (all of them when none is)."""
    curve = par_curve[par_curve.grader == grader]
    at = {rule: rows.set_index("m") for rule, rows in curve.groupby("rule")}
    m_max = int(curve.m.max())
    samples, tokens = [], []
    for _, g in pool.sort_values(["problem_id", "seed"]).groupby("problem_id"):
        right = g[f"{grader}_correct"].to_numpy(dtype=bool)
        drawn = int(np.argmax(right)) + 1 if right.any() else len(right)
        samples.append(drawn)
        tokens.append(float(g["thinking_tokens"].to_numpy()[:drawn].sum()))
    return {"m_max": m_max, "best1": float(at["best-of-m"].loc[1, "mean"]),
            "best": float(at["best-of-m"].loc[m_max, "mean"]), "best_lo": float(at["best-of-m"].loc[m_max, "lo"]),
            "vote": float(at["maj@m"].loc[m_max, "mean"]), "vote_hi": float(at["maj@m"].loc[m_max, "hi"]),
            "samples": float(np.mean(samples)), "tokens": float(np.mean(tokens))}


def staircase_evidence(stair: pd.DataFrame, sequential: pd.DataFrame, grader: str = "exact") -> dict:
    """2.2 by difficulty (`stair`: difficulty.by_difficulty over mode and budget): under Stop, the best accuracy
    below one pass of each chain and the range at the first budget that holds one; the largest dip after that
    budget and whether its intervals are apart; how the Stop samples cut in the middle of their own re-check fare.
    Under Wait, the worst accuracy at a budget of exactly one pass and the best at any other budget."""
    stair = stair.assign(pass_=stair.k.map(pass_tokens))
    stop, wait = stair[stair["mode"] == "stop"], stair[stair["mode"] == "wait"]
    first = stop[stop.budget >= stop.pass_].sort_values("budget").groupby("k").head(1)
    dips = []
    for k, rows in stop[stop.budget >= stop.pass_].sort_values("budget").groupby("k"):
        for before, after in zip(rows.iloc[:-1].itertuples(), rows.iloc[1:].itertuples()):
            dips.append({"k": int(k), "from_budget": int(before.budget), "from_acc": before.accuracy,
                         "to_budget": int(after.budget), "to_acc": after.accuracy, "apart": before.lo > after.hi,
                         "top_acc": rows.accuracy.iloc[-1], "top_budget": int(rows.budget.iloc[-1])})
    dip = min(dips, key=lambda d: d["to_acc"] - d["from_acc"]) if dips else None
    stop_samples = sequential[sequential["mode"] == "stop"]
    cut = stop_samples[own_recheck(stop_samples) & stop_samples["thinking_cut"]]
    exact = wait[wait.budget == wait.pass_]
    waits = sequential[sequential["mode"] == "wait"].groupby("budget")["waits"].mean()
    return {"below_max": float(stop[stop.budget < stop.pass_].accuracy.max()) if (stop.budget < stop.pass_).any()
            else 0.0, "at_min": float(first.accuracy.min()), "at_max": float(first.accuracy.max()), "dip": dip,
            "cut_rechecks": len(cut), "cut_right": int(cut[f"{grader}_correct"].sum()),
            "wait_exact_min": float(exact.accuracy.min()) if len(exact) else np.nan,
            "wait_exact_ks": sorted(int(k) for k in exact.k), "wait_other_max": float(wait[wait.budget != wait.pass_]
                                                                                      .accuracy.max()),
            "waits_low": float(waits.iloc[1]) if len(waits) > 1 else np.nan, "waits_top": float(waits.iloc[-1]),
            "waits_budgets": (int(waits.index[1]) if len(waits) > 1 else None, int(waits.index[-1]))}


def gained_evidence(sequential: pd.DataFrame, gained: Sequence[str], mode: str, high: int) -> dict:
    """2.3 (a): the samples at the higher budget of the problems gained between two budgets: how many, the share in
    the chain format (the same procedure), the share that is one plain pass (no re-check, exactly 6(k - 1) thinking
    tokens) and the share holding the model's own re-check."""
    rows = with_difficulty(sequential[(sequential["mode"] == mode) & (sequential.budget == high)
                                      & sequential.problem_id.isin(gained)])
    if rows.empty:
        return {"gained": len(gained), "samples": 0, "chain": np.nan, "plain": np.nan, "rechecks": np.nan}
    recheck = own_recheck(rows)
    return {"gained": len(gained), "samples": len(rows),
            "chain": float(np.mean([chain_format(t, c) for t, c in zip(rows.thinking_text, rows.thinking_cut)])),
            "plain": float(((rows.thinking_tokens == rows.k.map(pass_tokens)) & ~recheck).mean()),
            "rechecks": float(recheck.mean())}


def parallel_only_evidence(only: pd.DataFrame, pool: pd.DataFrame, grader: str) -> dict:
    """2.3 (c), one matched budget (`only`: analysis.parallel_only's rows): how many problems the sequential seeds
    solved at least once, how many were won by a vote where one sample had no answer because the budget cut its
    re-check, and how many by a tie going to the right answer drawn first."""
    m = len(only.parallel_answers.iloc[0]) if len(only) else 0
    first = pool[pool.seed.isin(sorted(pool.seed.unique())[:m])]
    cut_recheck = first[first[f"{grader}_answer"].isna() & first["thinking_cut"] & own_recheck(first)]
    no_answer = only.problem_id.isin(cut_recheck.problem_id)
    tie = only.parallel_answers.map(lambda a: len(a) == 2 and None not in a and a[0] != a[1] and a[0] is not None)
    return {"problems": len(only), "m": m, "seq_once": int((only.sequential_rate > 0).sum()),
            "cut": int(no_answer.sum()), "tie": int((tie & ~no_answer).sum())}


def diversity_evidence(div: pd.DataFrame, cross: Sequence[float], pool: pd.DataFrame) -> dict:
    """2.3 (d): distinct answers and the top answer's share, trace similarity within against across problems, the
    right answer's share where some sample is right, and how many samples follow the chain format or re-check."""
    some = div.correct_share > 0
    return {"problems": len(div), "distinct": float(div.distinct_answers.mean()),
            "distinct_median": float(div.distinct_answers.median()), "top_share": float(div.top_answer_share.mean()),
            "same": float(div.trace_similarity.mean()), "cross": float(np.mean(cross)) if len(cross) else np.nan,
            "some_right": int(some.sum()), "right_share": float(div.correct_share[some].mean()),
            "chain": float(np.mean([chain_format(t, c) for t, c in zip(pool.thinking_text, pool.thinking_cut)])),
            "rechecks": float(own_recheck(pool).mean())}


def strategy_evidence(table: pd.DataFrame, labels: dict[str, str], rule: str = "maj@m") -> dict:
    """2.4: per strategy (by name) and total budget, the accuracy under `rule`, its change against the baseline
    paired on the same problems (points) and that change's 95% interval; `better`/`worse`: intervals wholly above or
    below zero."""
    by_label = {label: name for name, label in labels.items()}
    out: dict = {}
    for r in table[table.rule == rule].itertuples(index=False):
        row = dict(zip(table.columns, r))
        out.setdefault(by_label[row["strategy"]], {})[int(row["total budget"])] = {
            "acc": row["accuracy"], "m": int(row["m"]), "delta": row["paired Δ"], "lo": row["paired lo"],
            "hi": row["paired hi"], "better": bool(row["paired lo"] > 0), "worse": bool(row["paired hi"] < 0)}
    return out

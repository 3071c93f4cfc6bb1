"""The section queries of Part 2 over the tidy sample tables (helpers.tts.curves): the graders' disagreements
(2.1), the three questions (2.2), budget flips, parallel-only solves and diversity (2.3), the strategies against
the baseline (2.4)."""
from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..tts.aggregate import RULES, solved
from ..tts.curves import at_total_budget, bootstrap_mean, check_columns, solved_first_m


# ------------------------------------------------------------------------------------------- graders (2.1)

def grader_disagreements(df: pd.DataFrame) -> pd.DataFrame:
    """Samples the two graders score differently, with both extracted answers."""
    check_columns(df, ["exact_correct", "flexible_correct", "exact_answer", "flexible_answer", "gold", "answer_text"])
    return df[df.exact_correct != df.flexible_correct]


# ---------------------------------------------------------------------------------------- qualitative (2.3)

def solve_rate(df: pd.DataFrame, grader: str = "exact") -> pd.DataFrame:
    """Fraction of seeds solving each problem, per (mode, budget): rows problem_id, columns budget."""
    col = f"{grader}_correct"
    check_columns(df, ["mode", "budget", "problem_id", col])
    return df.pivot_table(index=["mode", "problem_id"], columns="budget", values=col, aggfunc="mean")


def budget_flips(df: pd.DataFrame, mode: str, low: int, high: int, grader: str = "exact") -> dict[str, list[str]]:
    """Problems whose solve rate over seeds goes from at most 1/3 at `low` to at least 2/3 at `high`
    ("gained"), and the reverse ("lost"). With one seed this is simply unsolved→solved and solved→unsolved."""
    rates = solve_rate(df[df["mode"] == mode], grader)
    if low not in rates.columns or high not in rates.columns:
        raise ValueError(f"budgets {low} and {high} must both be in the samples; have {list(rates.columns)}")
    rates = rates.droplevel("mode")
    gained = rates[(rates[low] <= 1 / 3) & (rates[high] >= 2 / 3)].index.tolist()
    lost = rates[(rates[low] >= 2 / 3) & (rates[high] <= 1 / 3)].index.tolist()
    return {"gained": gained, "lost": lost}


def parallel_only(sequential: pd.DataFrame, pool: pd.DataFrame, mode: str, budget: int, m: int,
                  grader: str = "exact", rule: str = "maj@m") -> pd.DataFrame:
    """Problems that m parallel samples solve (by `rule`, on the first m seeds of the pool) while the
    sequential run at the matched thinking budget does not (solved by fewer than half its seeds)."""
    seq = sequential[(sequential["mode"] == mode) & (sequential["budget"] == budget)]
    if seq.empty:
        raise ValueError(f"no sequential samples for mode {mode!r} at budget {budget}")
    seeds = sorted(pool.seed.unique())[:m]
    rows = []
    for pid, group in pool[pool.seed.isin(seeds)].groupby("problem_id"):
        answers = group.sort_values("seed")[f"{grader}_answer"].tolist()
        answers = [None if pd.isna(a) else int(a) for a in answers]
        seq_rate = seq.loc[seq.problem_id == pid, f"{grader}_correct"].mean()
        par = solved(rule, answers, int(group.gold.iloc[0]))
        rows.append({"problem_id": pid, "parallel_solved": par, "sequential_rate": seq_rate,
                     "parallel_answers": answers, "gold": int(group.gold.iloc[0])})
    table = pd.DataFrame(rows)
    return table[table.parallel_solved & (table.sequential_rate < 0.5)]


def ngrams(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+|[^\w\s]", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set, b: set) -> float:
    """|a ∩ b| / |a ∪ b|; two empty sets count as identical."""
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def diversity(pool: pd.DataFrame, grader: str = "exact", n: int = 3) -> pd.DataFrame:
    """Per problem: distinct final answers among the samples (unparsed counted as one 'none' answer), the
    share of the most common answer, and the mean pairwise Jaccard similarity of the thinking texts' word
    n-grams (1 = identical traces, 0 = no shared n-gram)."""
    check_columns(pool, ["problem_id", f"{grader}_answer", "thinking_text", f"{grader}_correct"])
    rows = []
    for pid, group in pool.groupby("problem_id", sort=True):
        answers = ["none" if pd.isna(a) else int(a) for a in group[f"{grader}_answer"]]
        counts = pd.Series(answers).value_counts()
        grams = [ngrams(t, n) for t in group.thinking_text]
        sims = [jaccard(a, b) for a, b in itertools.combinations(grams, 2)]
        rows.append({"problem_id": pid, "samples": len(group), "distinct_answers": len(counts),
                     "top_answer_share": counts.iloc[0] / len(group), "correct_share": group[f"{grader}_correct"].mean(),
                     "trace_similarity": float(np.mean(sims)) if sims else np.nan})
    return pd.DataFrame(rows)


def excerpt(text: str, head: int = 400, tail: int = 300) -> str:
    """The start and end of a long trace, with the cut marked."""
    text = text.strip()
    if len(text) <= head + tail + 20:
        return text
    return f"{text[:head]} … [{len(text) - head - tail:,} characters omitted] … {text[-tail:]}"


def pick_grader(*tables: pd.DataFrame) -> str:
    """'exact', unless no sample anywhere is exact-correct (a model that never boxes): then 'flexible'."""
    return "exact" if any(t["exact_correct"].any() for t in tables) else "flexible"


def flip_examples(df: pd.DataFrame, mode: str, kind: str, k: int = 2, grader: str = "exact") -> list[dict]:
    """Up to k problems that were unsolved at a lower budget and solved at a higher one (kind 'gained'), or
    the reverse ('lost'), trying the widest budget pairs first; one example per problem."""
    if kind not in ("gained", "lost"):
        raise ValueError(f"kind {kind!r} is unknown; allowed: 'gained', 'lost'")
    budgets = sorted(df.loc[df["mode"] == mode, "budget"].unique())
    pairs = sorted(itertools.combinations(budgets, 2), key=lambda p: (-(np.log(p[1]) - np.log(p[0])), p))
    found: list[dict] = []
    for low, high in pairs:
        for pid in budget_flips(df, mode, low, high, grader)[kind]:
            if pid not in {f["problem_id"] for f in found}:
                found.append({"problem_id": pid, "mode": mode, "low": int(low), "high": int(high)})
            if len(found) == k:
                return found
    return found


def _integer(value) -> int | None:
    """An extracted answer as the integer it is (the sample tables hold floats, NaN for no answer)."""
    return None if pd.isna(value) else int(value)


def trace_features(row: pd.Series, grader: str = "exact") -> dict:
    """What a reader compares between two traces of one problem: length, Waits, cut, how many numbers and
    equations the thinking writes, and the answers."""
    text = row["thinking_text"]
    return {"budget": int(row["budget"]), "seed": int(row["seed"]), "thinking tokens": int(row["thinking_tokens"]),
            "waits": int(row["waits"]), "cut by budget": bool(row["thinking_cut"]),
            "numbers written": len(re.findall(r"\d+(?:\.\d+)?", text)), "equations": text.count("="),
            "answer (exact)": _integer(row["exact_answer"]), "answer (flexible)": _integer(row["flexible_answer"]),
            "correct": bool(row[f"{grader}_correct"])}


# ------------------------------------------------------------------------------------ numbers the prose quotes

def warmup_numbers(thinking: pd.DataFrame, samples: pd.DataFrame) -> dict:
    """2.1: thinking-length statistics of the greedy thinking run, the share cut by the cap, and how often
    each grader found an answer."""
    lengths = thinking["thinking_tokens"]
    return {"mean": lengths.mean(), "median": lengths.median(), "min": lengths.min(), "max": lengths.max(),
            "cut": thinking["thinking_cut"].mean(), "boxed": samples["exact_answer"].notna().mean(),
            "numbers": samples["flexible_answer"].notna().mean(), "disagree": len(grader_disagreements(samples))}


def curve_grader(seq_curve: pd.DataFrame, par_curve: pd.DataFrame) -> str:
    """'exact', unless exact_match is 0 everywhere in both curves (a model that never boxes): then 'flexible'."""
    exact_zero = seq_curve["exact_mean"].max() == 0 and par_curve[par_curve.grader == "exact"]["mean"].max() == 0
    return "flexible" if exact_zero else "exact"


def flips_across_modes(df: pd.DataFrame, modes: Sequence[str], kind: str, grader: str, k: int = 2) -> list[dict]:
    """Up to k flip examples (see flip_examples), trying the modes in order, one per problem."""
    found: list[dict] = []
    for mode in modes:
        found += [e for e in flip_examples(df, mode, kind, k=k, grader=grader)
                  if e["problem_id"] not in {f["problem_id"] for f in found}]
    return found[:k]


def flip_pair(df: pd.DataFrame, example: dict, seed: int) -> tuple[pd.Series, pd.Series]:
    """The low- and high-budget samples of one flip example, for one seed."""
    rows = df[(df.problem_id == example["problem_id"]) & (df["mode"] == example["mode"]) & (df.seed == seed)]
    return tuple(rows[rows.budget == example[k]].iloc[0] for k in ("low", "high"))


def flip_seed(df: pd.DataFrame, example: dict, kind: str, grader: str = "exact") -> int:
    """The first seed whose own two samples show the flip (wrong then right for 'a', right then wrong for 'b'), so
    the quoted pair illustrates it; the first seed when none does on its own."""
    rows = df[(df.problem_id == example["problem_id"]) & (df["mode"] == example["mode"])]
    seeds = sorted(rows.seed.unique())
    for seed in seeds:
        low, high = flip_pair(df, example, seed)
        if (bool(low[f"{grader}_correct"]), bool(high[f"{grader}_correct"])) == (kind == "b", kind == "a"):
            return int(seed)
    return int(seeds[0])


def parallel_only_table(sequential: pd.DataFrame, pool: pd.DataFrame, modes: Sequence[str], budgets: Sequence[int],
                        par_budget: int, grader: str, rule: str = "maj@m") -> pd.DataFrame:
    """For every sequential budget n that is a multiple of the per-sample budget (m = n / par_budget samples):
    how many problems m parallel samples solve that the sequential run at n does not, and which."""
    m_max = pool.seed.nunique()
    rows = []
    for mode in modes:
        for n in budgets:
            m = n // par_budget
            if n % par_budget or not 1 <= m <= m_max:
                continue
            only = parallel_only(sequential, pool, mode, n, m, grader=grader, rule=rule)
            rows.append({"intervention": mode, "thinking budget": n, "m": m, "parallel-only problems": len(only),
                         "examples": ", ".join(only.problem_id.head(4)), "first": only.iloc[0] if len(only) else None})
    return pd.DataFrame(rows)


def cross_problem_similarity(pool: pd.DataFrame, n: int = 3) -> list[float]:
    """Jaccard similarity of the first samples' thinking of every pair of different problems (a reference for
    how alike unrelated traces are)."""
    first = {pid: ngrams(g.sort_values("seed").thinking_text.iloc[0], n) for pid, g in pool.groupby("problem_id")}
    pids = sorted(first)
    return [jaccard(first[a], first[b]) for i, a in enumerate(pids) for b in pids[i + 1:]]


def strategy_table(curves: dict[str, pd.DataFrame], budgets: dict[str, int], labels: dict[str, str],
                   totals: Sequence[int], grader: str) -> pd.DataFrame:
    """2.4: accuracy of every strategy (and the baseline) at the total thinking budgets, per rule, with the
    bootstrap interval and the change against the baseline in accuracy points."""
    rows = []
    for name, curve in curves.items():
        at = at_total_budget(curve[curve.grader == grader], budgets[name], totals)
        for _, r in at.iterrows():
            rows.append({"strategy": labels[name], "total budget": r.total_budget, "m": int(r.m),
                         "tokens per sample": budgets[name], "rule": r.rule, "accuracy": r["mean"],
                         "95% interval": f"{r.lo:.0%}–{r.hi:.0%}", "thinking used": r.thinking_tokens})
    table = pd.DataFrame(rows)
    base = table[table.strategy == labels["baseline"]].set_index(["total budget", "rule"])["accuracy"]
    table["vs baseline"] = [r.accuracy - base.get((r["total budget"], r.rule), np.nan) for _, r in table.iterrows()]
    return table.sort_values(["total budget", "rule", "strategy"])


def quoted_traces_markdown(saved: list[dict], problem_text: dict[str, str], title: str) -> str:
    """The traces a section quotes, as one Markdown document (the full texts, not excerpts)."""
    md = [f"# {title}\n"]
    for r in saved:
        if "thinking_text" in r:
            md.append(f"## {r['question']} · {r['problem_id']} · {r['mode']} budget {r['budget']} seed {r['seed']}\n\n"
                      f"**Problem:** {problem_text[r['problem_id']]} (gold {r['gold']})\n\n**Thinking "
                      f"({r['thinking_tokens']} tokens):**\n\n```text\n{r['thinking_text']}\n```\n\n**Answer:**\n\n"
                      f"```text\n{r['answer_text']}\n```\n")
    return "\n".join(md)


def paired_vs_baseline(pools: dict[str, pd.DataFrame], budgets: dict[str, int], totals: Sequence[int],
                       grader: str = "exact", rules: Sequence[str] = RULES, n_boot: int = 1000,
                       seed: int = 0) -> pd.DataFrame:
    """2.4, paired: for every strategy (pools other than "baseline"), total thinking budget and rule, each problem's
    solved-or-not with m = total / per-sample budget samples (the first m in seed order) minus the baseline's on the
    same problem; the mean difference and its 95% bootstrap interval over problems (the same problems resampled for
    both, so problem difficulty cancels)."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, pool in pools.items():
        if name == "baseline":
            continue
        for total in totals:
            m, m_base = total // budgets[name], total // budgets["baseline"]
            if m < 1 or m > pool["seed"].nunique() or m_base > pools["baseline"]["seed"].nunique():
                continue
            for rule in rules:
                mine = solved_first_m(pool, m, rule, grader)
                base = solved_first_m(pools["baseline"], m_base, rule, grader).reindex(mine.index)
                diff = (mine.astype(float) - base.astype(float)).to_numpy()
                mean, lo, hi = bootstrap_mean(diff, rng, n_boot)
                rows.append({"strategy": name, "total budget": total, "rule": rule, "m": m, "baseline m": m_base,
                             "paired Δ": mean, "paired lo": lo, "paired hi": hi})
    return pd.DataFrame(rows)

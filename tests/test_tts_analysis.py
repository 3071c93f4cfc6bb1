import numpy as np
import pandas as pd
import pytest

from helpers.tts.curves import accuracy_table, at_total_budget, parallel_curve, sequential_curve
from helpers.part2.analysis import budget_flips, diversity, excerpt, grader_disagreements, jaccard, ngrams, parallel_only


def _row(pid, budget, seed, correct, thinking, answer_tokens=10, mode="stop", gold=5, answer=None, text="a b c d"):
    answer = (gold if correct else gold + 1) if answer is None else answer
    return {"problem_id": pid, "mode": mode, "budget": budget, "seed": seed, "gold": gold,
            "exact_correct": correct, "flexible_correct": correct, "exact_answer": answer, "flexible_answer": answer,
            "thinking_tokens": thinking, "answer_tokens": answer_tokens, "thinking_cut": thinking >= budget,
            "waits": 0, "thinking_text": text, "answer_text": f"\\boxed{{{answer}}}"}


def test_sequential_curve_averages_over_seeds_and_problems():
    rows = [_row("p1", 64, 0, True, 64), _row("p2", 64, 0, False, 32),
            _row("p1", 64, 1, False, 64), _row("p2", 64, 1, False, 32)]
    curve = sequential_curve(pd.DataFrame(rows)).iloc[0]
    assert curve.exact_mean == pytest.approx(0.25)  # seed 0: 1/2, seed 1: 0/2
    assert curve.exact_std == pytest.approx(np.std([0.5, 0.0], ddof=1))
    assert curve.thinking_tokens == pytest.approx(48) and curve.total_tokens == pytest.approx(58)
    assert curve.thinking_tokens_std == pytest.approx(np.std([64, 32], ddof=1))
    assert curve.cut_frac == pytest.approx(0.5) and curve.seeds == 2


def test_parallel_curve_scales_tokens_with_m_and_reports_both_graders():
    rows = [_row(p, 100, s, s == 0, 100) for p in ("p1", "p2") for s in range(4)]
    curve = parallel_curve(pd.DataFrame(rows), [1, 2, 4], n_boot=50)
    assert set(curve.grader) == {"exact", "flexible"}
    four = curve[(curve.m == 4) & (curve.rule == "best-of-m") & (curve.grader == "exact")].iloc[0]
    assert four["mean"] == 1.0 and four.thinking_tokens == 400 and four.total_tokens == 440
    majority = curve[(curve.m == 4) & (curve.rule == "majority") & (curve.grader == "exact")].iloc[0]
    assert majority["mean"] == 0.0  # 1 of 4 correct is not more than half
    rows_at = at_total_budget(curve, 100, [200, 400, 300])
    assert sorted(rows_at.total_budget.unique()) == [200, 400]


def test_parallel_curve_rejects_mixed_budgets():
    rows = [_row("p1", 100, 0, True, 10), _row("p1", 200, 1, True, 10)]
    with pytest.raises(ValueError, match="one thinking budget"):
        parallel_curve(pd.DataFrame(rows), [1])


def test_budget_flips_finds_gained_and_lost_problems():
    rows = [_row("up", 32, 0, False, 32), _row("up", 256, 0, True, 200),
            _row("down", 32, 0, True, 20), _row("down", 256, 0, False, 256),
            _row("same", 32, 0, True, 20), _row("same", 256, 0, True, 30)]
    flips = budget_flips(pd.DataFrame(rows), "stop", 32, 256)
    assert flips == {"gained": ["up"], "lost": ["down"]}
    with pytest.raises(ValueError, match="budgets"):
        budget_flips(pd.DataFrame(rows), "stop", 32, 512)


def test_parallel_only_compares_against_matched_sequential_budget():
    seq = pd.DataFrame([_row("p1", 400, 0, False, 400), _row("p2", 400, 0, True, 400)])
    pool = pd.DataFrame([_row("p1", 100, s, s < 2, 100) for s in range(3)] +
                        [_row("p2", 100, s, True, 100) for s in range(3)])
    only = parallel_only(seq, pool, "stop", 400, m=3)
    assert only.problem_id.tolist() == ["p1"]  # p2 is solved by both


def test_diversity_counts_answers_and_trace_similarity():
    pool = pd.DataFrame([_row("p1", 100, 0, True, 10, text="the cat sat on the mat"),
                         _row("p1", 100, 1, True, 10, text="the cat sat on the mat"),
                         _row("p1", 100, 2, False, 10, answer=None, text="a totally different trace here")])
    pool.loc[2, "exact_answer"] = None
    d = diversity(pool).iloc[0]
    assert d.distinct_answers == 2 and d.top_answer_share == pytest.approx(2 / 3)
    assert d.trace_similarity == pytest.approx((1 + 0 + 0) / 3)
    assert jaccard(ngrams("a b c d"), ngrams("a b c e")) == pytest.approx(1 / 3)


def test_accuracy_table_and_disagreements():
    df = pd.DataFrame([_row("p1", 0, 0, True, 0, mode="none"), _row("p2", 0, 0, False, 0, mode="none")])
    df.loc[1, "flexible_correct"] = True
    table = accuracy_table(df, ["mode"]).iloc[0]
    assert table.exact_acc == 0.5 and table.flexible_acc == 1.0 and table.samples == 2
    assert grader_disagreements(df).problem_id.tolist() == ["p2"]


def test_excerpt_marks_the_cut():
    assert excerpt("short") == "short"
    long = excerpt("x" * 1000, head=10, tail=10)
    assert long.startswith("x" * 10) and "980 characters omitted" in long


def test_flip_examples_prefer_the_widest_budget_pair_and_pick_grader():
    from helpers.part2.analysis import flip_examples, pick_grader, trace_features
    rows = [_row("a", 16, 0, False, 16), _row("a", 64, 0, True, 60), _row("a", 256, 0, True, 100),
            _row("b", 16, 0, False, 16), _row("b", 64, 0, False, 64), _row("b", 256, 0, True, 90),
            _row("c", 16, 0, True, 10), _row("c", 64, 0, True, 10), _row("c", 256, 0, False, 256)]
    df = pd.DataFrame(rows)
    gained = flip_examples(df, "stop", "gained")
    assert [(g["problem_id"], g["low"], g["high"]) for g in gained] == [("a", 16, 256), ("b", 16, 256)]
    assert [g["problem_id"] for g in flip_examples(df, "stop", "lost")] == ["c"]
    assert pick_grader(df) == "exact" and pick_grader(df.assign(exact_correct=False)) == "flexible"
    features = trace_features(df.iloc[1].copy().replace({"a b c d": "2 + 3 = 5"}), "exact")
    assert features["numbers written"] == 3 and features["equations"] == 1 and features["correct"]


# ------------------------------------------------------------------ the numbers the notebooks phrase (moved from them)

def test_compute_evidence_finds_the_best_sequential_point_and_what_parallel_needs_to_match_it():
    from helpers.part2.evidence import compute_evidence
    seq = pd.DataFrame([_row(p, b, s, b == 64 and s == 0, b) for p in ("p1", "p2") for b in (32, 64) for s in (0, 1)]
                       + [_row(p, b, s, False, b, mode="wait") for p in ("p1", "p2") for b in (32, 64) for s in (0, 1)])
    pool = pd.DataFrame([_row(p, 32, s, s < 2, 32) for p in ("p1", "p2") for s in range(4)])
    seq_curve, par_curve = sequential_curve(seq), parallel_curve(pool, [1, 2, 3, 4], n_boot=20)
    q = compute_evidence(seq_curve, par_curve, "exact")
    assert (q["seq_mode"], q["seq_budget"], q["top_budget"]) == ("stop", 64, 64) and q["seq_acc"] == pytest.approx(0.5)
    assert q["near_m"] == 2 and q["reach_m"] == 1 and q["reach_tokens"] == 32  # one sample is right half the time
    assert q["wait_acc"] == 0 and q["stop_tokens"] == 64 and q["m_max"] == 4


def test_strategy_table_reads_each_curve_at_the_total_budgets_against_the_baseline():
    from helpers.part2.analysis import strategy_table
    base = pd.DataFrame([_row(p, 32, s, s == 0, 32) for p in ("p1", "p2") for s in range(4)])
    better = pd.DataFrame([_row(p, 64, s, True, 64) for p in ("p1", "p2") for s in range(2)])
    curves = {"baseline": parallel_curve(base, [1, 2, 3, 4], n_boot=20), "long": parallel_curve(better, [1, 2], n_boot=20)}
    table = strategy_table(curves, {"baseline": 32, "long": 64}, {"baseline": "B", "long": "L"}, [64, 128], "exact")
    row = table[(table.strategy == "L") & (table["total budget"] == 128) & (table.rule == "maj@m")].iloc[0]
    assert row.m == 2 and row.accuracy == 1.0 and row["vs baseline"] > 0
    assert (table[table.strategy == "B"]["vs baseline"] == 0).all()


def test_flips_and_parallel_only_tables():
    from helpers.part2.analysis import flip_pair, flip_seed, flips_across_modes, parallel_only_table
    seq = pd.DataFrame([_row("p1", 16, 0, False, 16), _row("p1", 64, 0, True, 40),
                        _row("p2", 16, 0, True, 10), _row("p2", 64, 0, True, 10)])
    gained = flips_across_modes(seq, ["stop", "wait"], "gained", "exact")
    assert [e["problem_id"] for e in gained] == ["p1"]
    low, high = flip_pair(seq, gained[0], seed=0)
    assert (low.budget, high.budget) == (16, 64)
    seeds = pd.concat([seq.assign(seed=1), seq[seq.problem_id == "p1"].assign(seed=2)]).reset_index(drop=True)
    seeds.loc[(seeds.seed == 1) & (seeds.problem_id == "p1"), "exact_correct"] = True  # seed 1 solves p1 at both
    assert flip_seed(seeds, gained[0], "a", "exact") == 2 and flip_seed(seeds, gained[0], "b", "exact") == 1
    pool = pd.DataFrame([_row(p, 16, s, True, 16) for p in ("p1", "p2") for s in range(4)])
    table = parallel_only_table(seq, pool, ["stop"], [16, 64], 16, "exact")
    assert list(table["thinking budget"]) == [16, 64] and list(table.m) == [1, 4]
    assert table.set_index("m").loc[1, "parallel-only problems"] == 1  # p1: sequential 16 fails, one sample solves


def test_cross_problem_similarity_compares_first_samples_of_different_problems():
    from helpers.part2.analysis import cross_problem_similarity
    pool = pd.DataFrame([_row("p1", 8, 1, True, 8, text="x y z w"), _row("p1", 8, 0, True, 8, text="a b c d"),
                         _row("p2", 8, 0, True, 8, text="a b c d")])
    assert cross_problem_similarity(pool) == [1.0]  # p1's first sample is seed 0

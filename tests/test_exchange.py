"""Part 3's exchange analysis and the by-difficulty tables, on hand-made sample tables with known answers."""
import math

import numpy as np
import pandas as pd
import pytest

from helpers.part3.exchange import difficulty_groups, exchange_table, operating_points, skill_jumps
from helpers.part3.essay import exchange_table_view
from helpers.part3.prose import exchange_table_caption
from helpers.part3.readings import ExchangeReading
from helpers.report.claims import claims_in
from helpers.reasoner.model import ReasonerConfig, flops_per_token, sequence_flops
from helpers.tts.aggregate import plurality_answer, solved
from helpers.part2.difficulty import by_difficulty, separated


def test_sequence_flops_counts_weights_and_attention():
    cfg = ReasonerConfig(vocab_size=100, n_layer=2, d_model=64, d_ff=128)
    weights = 2 * (2 * (4 * 64 * 64 + 3 * 64 * 128) + 64 * 100)
    assert flops_per_token(cfg, 0) == weights
    assert sequence_flops(cfg, 1) == weights + 4 * 2 * 64 * 1
    assert sequence_flops(cfg, 10) == 10 * weights + 4 * 2 * 64 * 55


def test_nan_does_not_vote():
    # a pandas column holds a missing answer as NaN; it must count as "no answer", not as a distinct vote
    answers = pd.Series([None, 7.0], dtype="float64").tolist()
    assert math.isnan(answers[0])
    assert plurality_answer(answers) == 7.0
    assert solved("maj@m", answers, 7)
    assert plurality_answer([float("nan"), float("nan")]) is None


def grid_samples():
    """Two checkpoints, 40 problems at k=2 and 40 at k=6; what each checkpoint solves is in the comments."""
    rows = []
    for step, flops in ((10, 1e12), (20, 4e12)):
        for k in (2, 6):
            for i in range(40):
                pid, gold = f"k{k}-{i:03d}", 5
                # greedy at budgets 6 and 48: step 20 solves everything at 48; step 10 solves k=2 at 48 only for i<20
                for budget in (6, 48):
                    good = budget == 48 and (step == 20 or (k == 2 and i < 20))
                    rows.append(dict(kind="sequential", step=step, train_flops=flops, problem_id=pid, k=k, gold=gold,
                                     budget=budget, seed=0, exact_correct=good, exact_answer=gold if good else 1,
                                     inference_flops=100.0 * budget))
                # pool of 3 sampled answers at budget 48: step 10, k=2: two of three right -> maj@3 right
                for seed in range(3):
                    good = step == 20 or (k == 2 and seed > 0)
                    rows.append(dict(kind="parallel", step=step, train_flops=flops, problem_id=pid, k=k, gold=gold,
                                     budget=48, seed=seed, exact_correct=good, exact_answer=gold if good else seed,
                                     inference_flops=4800.0))
    return pd.DataFrame(rows)


def test_operating_points_and_exchange():
    samples = grid_samples()
    groups = {"easy (k 2)": [2], "hard (k 6)": [6]}
    points = operating_points(samples, groups, n_boot=50)
    easy10 = points[(points.group == "easy (k 2)") & (points.step == 10)].set_index(["method", "level"])
    assert easy10.loc[("greedy Stop", 48), "accuracy"] == 0.5
    assert easy10.loc[("maj@m", 1), "accuracy"] == 0.0  # the first sample (seed 0) is wrong
    assert easy10.loc[("maj@m", 3), "accuracy"] == 1.0
    assert easy10.loc[("maj@m", 3), "inference_flops"] == 3 * 4800.0
    table = exchange_table(points, base_budget=48).set_index("group")
    assert table.loc["easy (k 2)", "reached"] and not table.loc["hard (k 6)", "reached"]
    assert table.loc["easy (k 2)", "by"] == "maj@m 3"
    assert table.loc["easy (k 2)", "× final's inference"] == pytest.approx(3 * 4800 / 4800)
    assert table.loc["easy (k 2)", "break-even problems"] == pytest.approx(3e12 / (3 * 4800 - 4800))
    assert np.isnan(table.loc["hard (k 6)", "break-even problems"])
    # the reading the essay quotes: easy chains are bought back with three votes, hard ones not at all
    read = ExchangeReading(points, table.reset_index(), skill_jumps(points, 48), groups, 20, 48, 3)
    assert read.bought_back() and list(read.first_reaching().index) == ["easy (k 2)"]
    assert (read.one_pass("easy (k 2)"), read.one_pass("hard (k 6)")) == (6, 48)  # 6(k - 1) tokens, next budget
    assert read.enough_thinking(20, "hard (k 6)") is None  # only the largest budget reaches the best: no flat part
    # Table 1 prints the break-even where the target is bought back, and its caption's "no break-even" comes out marked
    assert exchange_table_view(table.reset_index()).loc[0, "easy (k 2)"] == "maj@3: 100%, 3.0× ✓, break-even 312,500,000"
    assert claims_in(exchange_table_caption(read)) == (1, 1)


def test_difficulty_groups():
    assert list(difficulty_groups([2, 3, 4, 5, 6, 7, 8]).values()) == [[2, 3, 4], [5, 6], [7, 8]]
    assert list(difficulty_groups([2, 3])) == ["all (k 2–3)"]


def test_by_difficulty_averages_seeds_per_problem_then_bootstraps():
    rows = [dict(problem_id=f"k{k}-{i:03d}", seed=s, condition=c, exact_correct=(c == "on" and (k == 2 or s == 0)))
            for k in (2, 8) for i in range(20) for s in (0, 1) for c in ("on", "off")]
    table = by_difficulty(pd.DataFrame(rows), ["condition"], n_boot=200)
    on2 = table[(table.condition == "on") & (table.k == 2)].iloc[0]
    on8 = table[(table.condition == "on") & (table.k == 8)].iloc[0]
    assert (on2.accuracy, on2.lo, on2.hi, on2.problems) == (1.0, 1.0, 1.0, 20)
    assert on8.accuracy == 0.5 and on8.lo == on8.hi == 0.5  # every problem is right on one seed of two
    assert separated(table, "condition", "on", "off") == [2, 8]
    assert separated(table, "condition", "off", "on") == []


def test_skill_jump_is_found_and_read():
    points = operating_points(grid_samples(), {"easy (k 2)": [2], "hard (k 6)": [6]}, n_boot=50)
    jumps = skill_jumps(points, base_budget=48).set_index("group")
    # easy: step 10 greedy 50% (not below the 0.5 threshold) -> no jump; hard: 0% -> 100% between steps 10 and 20
    assert not jumps.loc["easy (k 2)", "jump"]
    hard = jumps.loc["hard (k 6)"]
    assert (hard.before, hard.after, hard.greedy_before, hard.greedy_after) == (10, 20, 0.0, 1.0)
    assert hard.train_ratio == 4.0 and hard.best_before == 0.0 and hard.after_within_noise
    read = ExchangeReading(points, exchange_table(points, 48), jumps.reset_index(), {"easy (k 2)": [2], "hard (k 6)": [6]},
                           None, 48, 3)
    assert list(read.jumped().group) == ["hard (k 6)"] and not read.jumps_together()  # easy has no jump
    assert read.best_gain_before() == 0.0
    assert read.training_between() == (3e12, 4800.0)  # step 10 -> 20; one greedy hard answer at 48 tokens


def test_paired_difference_cancels_problem_difficulty():
    from helpers.part2.analysis import paired_vs_baseline
    from helpers.tts.curves import solved_first_m

    def pool(correct_first):  # 3 seeds per problem; the strategy is right on problems 0-9 with its first sample
        return pd.DataFrame([dict(problem_id=f"p{i:02d}", seed=s, gold=1,
                                  exact_answer=1 if (s == 0 and i < correct_first) or s > 0 and i < 5 else 2)
                             for i in range(20) for s in range(3)])

    base, strat = pool(5), pool(10)
    assert solved_first_m(strat, 1, "maj@m").sum() == 10 and solved_first_m(base, 1, "maj@m").sum() == 5
    table = paired_vs_baseline({"baseline": base, "s": strat}, {"baseline": 10, "s": 10}, [10], n_boot=300,
                               rules=["maj@m"]).iloc[0]
    assert table["paired Δ"] == 0.25 and table.m == 1
    assert 0 < table["paired lo"] <= 0.25 <= table["paired hi"] < 0.5  # never below zero: no problem got worse

"""The paragraphs of Part 2 (helpers/part2/prose.py) on small synthetic numbers: each branch of a sentence."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers.part2 import prose


def test_sampling_and_header_lines():
    assert prose.sampling_text({"temperature": 0.6, "top_p": 0.95}) == "temperature 0.6, top_p 0.95"
    assert prose.header_text("B", "profile `x`", "read back.") == "B\n\n**Run:** profile `x`. read back."
    assert prose.header_text("B", "p", "read back.", {"top_k": 20}) == "B\n\n**Run:** p. **Sampling:** top_k 20. read back."


def test_model_origin_quotes_the_training_run():
    task = SimpleNamespace(modulus=97, min_k=2, max_k=8, error_frac=0.1, recheck_frac=0.2, direct_frac=0.05,
                           table_frac=0.25)
    config = SimpleNamespace(steps=3000, table_steps=200, table_batch_size=512, batch_size=64, task=task, lr=1e-3,
                             weight_decay=0.1)
    run = SimpleNamespace(config=config, checkpoints=[{"step": 1000}, {"step": 3000}],
                          summary={"n_params": 1234567, "train_seconds": 90, "tokens": 2.5e6, "train_flops": 3.4e13})
    text = prose.model_origin_text(run, "outputs/reasoner/r1")
    assert "(run folder `outputs/reasoner/r1`): 1,234,567 parameters, trained 3,000 steps in 1.5 min" in text
    assert "Checkpoints at steps 1,000, 3,000." in text and "k = 2–8 operands, 10% with a wrong step" in text
    assert text.endswith("chains of at most 8 operands.")


def _wide():
    return pd.DataFrame({"thinking on": [1.0, 0.5], "thinking off": [0.9, 0.1]}, index=pd.Index([2, 3], name="k"))


def test_greedy_by_difficulty_names_where_each_side_wins():
    lengths = pd.Series([6.0, 12.4], index=pd.Index([2, 3], name="k"))
    text = prose.greedy_by_difficulty_text(_wide(), [], [], lengths)
    assert text.startswith("Thinking on: k = 2: 100%, k = 3: 50%. Thinking off: k = 2: 90%, k = 3: 10%.")
    assert "at k = none; elsewhere" in text and "directly" not in text
    assert "6, 12 tokens for k = 2–3 (one step of the chain is 6 tokens" in text
    text = prose.greedy_by_difficulty_text(_wide(), [3], [2], lengths)
    assert "at k = 3; answering directly is better beyond noise at k = 2; elsewhere" in text


def test_greedy_summary_quotes_both_graders_and_the_cap():
    on = pd.Series({"exact_acc": 0.5, "flexible_acc": 0.75, "problems": 8})
    off = pd.Series({"exact_acc": 0.125, "flexible_acc": 0.25, "problems": 8})
    numbers = {"mean": 40.2, "median": 38, "min": 10, "max": 96, "cut": 0.25, "boxed": 0.9, "numbers": 1.0,
               "disagree": 2}
    text = prose.greedy_summary_text(on, off, numbers, 1000, 16)
    assert text.startswith("With thinking on, greedy decoding scores 50.0% under `exact_match` and 75.0% under "
                           "`flexible_extract`; with thinking off, 12.5% and 25.0% (8 problems).")
    assert "range 10–96); 25% of the problems hit the 1,000-token cap" in text
    assert "A `\\boxed{}` answer was found in 90% of the 16 samples" in text and "disagree on 2 sample(s)." in text


def test_disagreement_says_what_each_grader_read():
    row = pd.Series({"problem_id": "k3-0", "condition": "thinking on", "gold": 7, "exact_answer": np.nan,
                     "flexible_answer": 7.0, "flexible_correct": True, "answer_text": "it is 7"})
    text = prose.disagreement_text(row)
    assert "exact_match read nothing, flexible_extract read 7: only `flexible_extract` counts it correct" in text
    assert text.endswith("```text\nit is 7\n```")
    row = row.copy()
    row["exact_answer"], row["flexible_answer"], row["flexible_correct"] = 7.0, 3.0, False
    assert "exact_match read 7, flexible_extract read 3: only `exact_match`" in prose.disagreement_text(row)


def test_greedy_trace_marks_the_cap_and_the_grades():
    problem = SimpleNamespace(id="k2-0", problem="3+4", answer=7)
    sample = pd.Series({"thinking_tokens": 6, "thinking_cut": True, "thinking_text": "3+4=7", "answer_tokens": 3,
                        "exact_correct": True, "flexible_correct": False, "answer_text": "\\boxed{7}"})
    text = prose.greedy_trace_text(problem, sample, "outputs/t.jsonl")
    assert text.startswith("**k2-0** — 3+4 (gold 7)\n\n*Thinking* (6 tokens, cut by the cap):")
    assert "exact_match ✓, flexible_extract ✗" in text and text.endswith("Traces: `outputs/t.jsonl`.")
    sample["thinking_cut"] = False
    assert "(6 tokens):" in prose.greedy_trace_text(problem, sample, "t")


def test_staircase_skips_a_k_no_budget_holds_and_adds_waits_only_under_wait():
    wide = pd.DataFrame({6: [0.0, 0.1], 12: [1.0, 0.2], 24: [1.0, 0.3]},
                        index=pd.MultiIndex.from_tuples([("stop", 2), ("stop", 9)], names=["mode", "k"]))
    text = prose.staircase_text(wide, {2: 6, 9: None}, ["stop"], 6, 24, None)
    assert text.endswith(":\n\n- **Stop**: k = 2: 0% → 0% (at 6) → 100%")
    waits = pd.Series([0.5, 2.25], index=pd.Index([12, 24], name="budget"))
    text = prose.staircase_text(wide, {2: 12}, ["stop"], 6, 24, waits)
    assert "k = 2: 0% → 100% (at 12) → 100%" in text
    assert "\n\nWait forced 0.5, 2.2 Waits per sample on average at budgets 12, 24." in text


def _questions(seq_acc=0.5, seq_std=0.05, lo=0.3, hi=0.45, m1_majority=0.4, top_majority=0.3, best=0.9, maj=0.5):
    rules = ["maj@m", "majority", "best-of-m"]
    return {"top_budget": 1024, "best_mode": "wait", "seq_acc": seq_acc, "seq_std": seq_std, "seq_tokens": 900.4,
            "matched_m": 4, "matched_tokens": 880.0, "at": pd.Series([0.4, 0.35, 0.8], index=rules),
            "at_lo": pd.Series([lo, 0, 0], index=rules), "at_hi": pd.Series([hi, 0, 0], index=rules),
            "m1": pd.Series([0.3, m1_majority, 0.3], index=rules), "m_max": 8,
            "top": pd.Series([maj, top_majority, best], index=rules), "seq_seconds": 2.5, "par_seconds": 0.75}


@pytest.mark.parametrize("lo, hi, verdict", [
    (0.61, 0.8, "parallel sampling with plurality voting (maj@m) is more accurate"),
    (0.2, 0.39, "sequential scaling is more accurate than parallel voting"),
    (0.39, 0.61, "the two are within noise of each other")])
def test_the_voting_verdict_needs_the_intervals_apart(lo, hi, verdict):
    said, noise = prose.voting_verdict(_questions(lo=lo, hi=hi), problems=40)
    assert said.startswith(verdict)
    assert noise == (f"(sequential ± 2 std over seeds: 40.0%–60.0%; maj@m 95% bootstrap interval {lo:.1%}–{hi:.1%}; "
                     "one problem is 2.50 points)")


def test_three_questions_text_branches():
    text = prose.three_questions_text(_questions(), "exact", 40, 128)
    assert text.startswith("\nNumbers below use the **exact** grader.\n\n**1. If total compute is what counts.**")
    assert text.endswith("the problems that need it.\n") and "\n " not in text  # no indentation left
    assert "intervention, Wait, scores 50.0% using 900 thinking tokens" in text
    assert "overall it falls here, from 40.0% at m = 1 to\n30.0% at m = 8" in text
    assert "(m = 8), far above every deployable\nrule — the gap between best-of-m and maj@m at m = 8 is 40 points." in text
    assert "0.75 s per parallel\nsample versus 2.50 s per sequential sample" in text
    text = prose.three_questions_text(_questions(top_majority=0.5, best=0.55), "flexible", 40, 128)
    assert "grader (exact_match is 0 everywhere in this run" in text
    assert "overall it rises here" in text and "close to every deployable" in text


def test_latency_text_states_the_speed_up_and_the_timings():
    measured = {"hardware": "CPU: x (2 threads)", "backend": "hf", "long_budget": 512, "one_long_s": 3.0, "m": 8,
                "short_budget": 64, "many_short_s": 1.2, "timings": {"one_long": [3.0, 3.1], "many_short": [1.2, 1.25]}}
    text = prose.latency_text(measured)
    assert text.startswith("On CPU: x (2 threads) through `hf`: one sample of 512 thinking tokens took **3.00 s**; "
                           "8 concurrent samples of 64 tokens took **1.20 s** (2.5× faster")
    assert "timings 3.00, 3.10 s and 1.20, 1.25 s)." in text


def test_qualitative_sentences():
    assert prose.grader_choice_text("exact") == "Grader used throughout: **exact**."
    assert "the model never writes `\\boxed{}`)." in prose.grader_choice_text("flexible")
    assert "goes from unsolved to solved as" in prose.no_flips_text("a")
    assert "goes from solved to unsolved as" in prose.no_flips_text("b")
    row = pd.Series({"budget": 64.0, "thinking_text": "t", "answer_text": " a "})
    assert prose.budget_trace_text(row) == "*Budget 64* — thinking:\n\n```text\nt\n```\nfinal answer:\n\n```text\na\n```"


def test_parallel_only_example_quotes_the_first_problem():
    first = pd.Series({"problem_id": "k4-1", "gold": 5, "parallel_answers": [5, 5, 2], "sequential_rate": 1 / 3})
    best = pd.Series({"m": 3, "thinking budget": 96, "intervention": "stop", "first": first})
    assert prose.parallel_only_text(best) == ("Example: **k4-1** (gold 5) — the 3 parallel answers were [5, 5, 2]; the "
                                              "sequential run at 96 tokens (stop) solved it in 33% of its seeds.")


def test_diversity_text_averages_the_right_share_only_where_some_sample_is_right():
    div = pd.DataFrame({"distinct_answers": [1, 3, 4], "top_answer_share": [1.0, 0.5, 0.25],
                        "trace_similarity": [0.9, 0.3, 0.3], "correct_share": [1.0, 0.5, 0.0]})
    text = prose.diversity_text(div, [0.1, 0.2], 4)
    assert text.startswith("Across 3 problems the 4 samples give 2.7 distinct answers on average (median 3)")
    assert "holds 58% of the samples" in text and "share 0.50 of their word trigrams (Jaccard), against 0.15" in text
    assert "On the 2 problems where at least one sample is right, the right answer is held by 75%" in text


def test_strategies_summary_judges_each_strategy_by_its_paired_interval():
    rows = [("B", 64, "maj@m", 0.5, 0.0, np.nan, np.nan, np.nan), ("X", 64, "maj@m", 0.6, 0.1, 0.1, 0.02, 0.2),
            ("Y", 64, "maj@m", 0.45, -0.05, -0.05, -0.2, 0.1), ("X", 64, "best-of-m", 0.9, 0.1, 0.1, 0.0, 0.2)]
    table = pd.DataFrame(rows, columns=["strategy", "total budget", "rule", "accuracy", "vs baseline", "paired Δ",
                                        "paired lo", "paired hi"])
    text = prose.strategies_summary_text(table, [64, 128], "B", 20)
    assert text.startswith("At a total of 64 thinking tokens the best maj@m accuracy is 60.0% (X; baseline 50.0%). ")
    assert "X: 60.0% (+10.0%); paired on the same problems +10.0%, 95% interval +2.0% to +20.0%: beyond noise." in text
    assert "Y: 45.0% (-5.0%); paired on the same problems -5.0%, 95% interval -20.0% to +10.0%: within noise." in text
    assert "128" not in text  # a total with no rows is skipped
    assert text.endswith(" With 20 problems one problem is 5.0%; a paired interval that contains zero is not evidence "
                         "of a difference.")

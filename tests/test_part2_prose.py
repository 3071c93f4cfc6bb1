"""The paragraphs of Part 2 (helpers/part2/prose.py for 2.1-2.2, prose_traces.py for 2.3-2.4) on small synthetic
numbers: each sentence as written when its condition holds, and marked as unsupported, with its evidence, when not."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from helpers.part2 import prose, prose_traces
from helpers.report.claims import UNSUPPORTED, claims_in


def counted(text: str) -> tuple[int, int]:
    """(claims, unsupported claims) in a paragraph."""
    return claims_in(text)


def test_sampling_and_header_lines():
    assert prose.sampling_text({"temperature": 0.6, "top_p": 0.95}) == "temperature 0.6, top_p 0.95"
    assert prose.header_text("B", "profile x", "read back.") == "B\n\n**Run:** profile x. read back."
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
    assert "Checkpoints at steps 1,000, 3,000." in text and "CPU" not in text


# ------------------------------------------------------------------------------------------------- 2.1

ON, OFF = {"exact": 0.938, "flexible": 0.94}, {"exact": 0.076, "flexible": 0.08}


def test_greedy_accuracy_claims_thinking_wins_at_every_k_only_when_every_k_is_apart():
    text = prose.greedy_accuracy_text(ON, OFF, 210, [2, 3, 4], [2, 3, 4], 1 / 23)
    assert text.startswith("**Greedy accuracy with and without thinking.** With thinking, greedy decoding solves "
                           "93.8% of the 210 problems under exact_match and 94.0% under flexible_extract; without "
                           "thinking, 7.6% and 8.0%.")
    assert counted(text) == (2, 0) and "stays below twice the 4.3% of a uniform guess" in text
    text = prose.greedy_accuracy_text(ON, OFF | {"exact": 0.2}, 210, [2, 4], [2, 3, 4], 1 / 23)
    assert counted(text) == (2, 2) and f"[{UNSUPPORTED}: intervals apart at k = 2, 4 of 2–4]" in text
    assert "20.0% against 8.7%" in text


def test_greedy_accuracy_without_difficulty_levels_compares_the_overall_numbers():
    text = prose.greedy_accuracy_text(ON, OFF, 30, [], [], None)
    assert "Thinking adds +86.2 points." in text and counted(text) == (1, 0) and "guess" not in text
    assert counted(prose.greedy_accuracy_text(OFF, ON, 30, [], [], None)) == (1, 1)


def test_thinking_lengths_say_the_comb_is_the_chain_lengths_only_when_every_trace_is_one_pass():
    lengths = pd.Series([6] * 3 + [12] * 3 + [18] * 3)
    text = prose.thinking_lengths_text(lengths, 128, 0.0, 1.0)
    assert "lasts 12 tokens on average (median 12, range 6–18); <span" in text
    assert ">none reaches the 128-token cap.</span>" in text
    assert "a comb with 3 problems at each multiple of 6 from 6 to 18" in text and counted(text) == (2, 0)
    text = prose.thinking_lengths_text(lengths, 128, 0.25, 0.9)
    assert counted(text) == (2, 2) and "[Not supported by this run: 25.0% cut by the cap]" in text
    assert counted(prose.thinking_lengths_text(lengths, 128, 0.0, None)) == (1, 0)


def test_graders_agree_only_when_no_sample_is_scored_differently():
    text = prose.graders_text(420, 0, 1.0)
    assert "exact_match takes the last `\\boxed{…}`" in text and "agree on all 420 greedy samples" in text
    assert counted(text) == (1, 0)
    assert counted(prose.graders_text(420, 3, 0.95)) == (1, 1)


def test_lab_book_disagreement_and_trace():
    row = pd.Series({"problem_id": "k3-0", "condition": "thinking on", "gold": 7, "exact_answer": np.nan,
                     "flexible_answer": 7.0, "flexible_correct": True, "answer_text": "it is 7"})
    assert "exact_match read nothing, flexible_extract read 7: only `flexible_extract`" in prose.disagreement_text(row)
    problem = SimpleNamespace(id="k2-0", problem="3+4", answer=7)
    sample = pd.Series({"thinking_tokens": 6, "thinking_cut": True, "thinking_text": "3+4=7", "answer_tokens": 3,
                        "exact_correct": True, "flexible_correct": False, "answer_text": "\\boxed{7}"})
    text = prose.greedy_trace_text(problem, sample, "outputs/t.jsonl")
    assert "(6 tokens, cut by the cap)" in text and "exact_match ✓, flexible_extract ✗" in text


# ------------------------------------------------------------------------------------------------- 2.2

def test_scaling_setup_states_the_budget_mapping_only_for_a_stand_in():
    text = prose.scaling_setup_text(10080, 3360, 210, 3, [6, 96], 48, 16, {"par_budget": 4000})
    assert text.startswith("**What ran.** 10,080 sequential samples (210 problems, 3 seeds, budgets 6–96")
    assert "the per-sample budget 48 stands for the assignment's 4,000, about 83 of its tokens" in text
    assert "stands for" not in prose.scaling_setup_text(10, 10, 30, 1, [1024, 32000], 4000, 8, None)


def _stair(**changes):
    dip = {"k": 4, "from_budget": 18, "from_acc": 0.99, "to_budget": 24, "to_acc": 0.67, "apart": True,
           "top_acc": 0.97, "top_budget": 96}
    return {"below_max": 0.07, "at_min": 0.59, "at_max": 0.99, "dip": dip, "cut_rechecks": 194, "cut_right": 1,
            "wait_exact_min": 0.8, "wait_exact_ks": [2, 3], "wait_other_max": 0.07, "waits_low": 0.14,
            "waits_top": 5.49, "waits_budgets": (12, 96)} | changes


def test_staircase_claims_the_jump_the_dip_and_waits_single_budget():
    text = prose.staircase_text(_stair())
    assert "scores at most 7%; at it, 59%–99%." in text and "k = 4 falls from 99% at 18 tokens to 67% at 24" in text
    assert "Wait forces 0.1 Waits per sample on average at 12 tokens, 5.5 at 96." in text and counted(text) == (3, 0)
    text = prose.staircase_text(_stair(cut_right=50, below_max=0.3))
    assert counted(text) == (3, 2) and "50 of 194 cut re-checks right" in text
    assert counted(prose.staircase_text(_stair(dip=None, wait_exact_ks=[]))) == (1, 0)


def _compute(**changes):
    return {"seq_mode": "stop", "seq_budget": 96, "seq_acc": 0.868, "seq_lo": 0.791, "seq_hi": 0.945,
            "seq_tokens": 28.7, "top_budget": 96, "stop_tokens": 28.7, "wait_acc": 0.01, "wait_hi": 0.02,
            "near_m": 1, "near_tokens": 26.5, "near_acc": 0.82, "near_lo": 0.771, "near_hi": 0.867, "reach_m": 2,
            "reach_tokens": 52.9, "peak_m": 11, "peak_acc": 0.938, "peak_lo": 0.91, "peak_tokens": 291.1,
            "m_max": 16, "last_acc": 0.928} | changes


def test_compute_answer_names_sequential_while_parallel_needs_more_tokens():
    text = prose.compute_answer_text(_compute())
    assert text.startswith("**What is better if you care about total compute?** <span")
    assert "Stop at 96 tokens reaches 86.8% with 29 thinking tokens per problem, while parallel voting (maj@m) needs " \
           "m = 2 samples, 53 tokens, to match it." in text and counted(text) == (4, 0)
    text = prose.compute_answer_text(_compute(reach_tokens=20.0, near_hi=0.7, peak_acc=0.8))
    assert counted(text) == (4, 3) and "never matches" not in text
    assert "parallel voting (maj@m) never matches it" in prose.compute_answer_text(_compute(reach_m=None))


MEASURED = {"backend": "vllm", "long_budget": 384, "one_long_s": 0.18, "m": 8, "short_budget": 48,
            "many_short_s": 0.12, "timings": {"one_long": [0.17, 0.18], "many_short": [0.11, 0.12]}}


def test_latency_answer_uses_the_measured_wall_clock_of_one_answer():
    text = prose.latency_answer_text(_compute(), MEASURED)
    assert "8 concurrent samples of 48 tokens took 0.12 s against 0.18 s for one sample of 384 tokens, 1.5× faster" in text
    assert "maj@m 92.8% at m = 16 against 86.8%" in text and counted(text) == (3, 0)
    assert counted(prose.latency_answer_text(_compute(last_acc=0.5), MEASURED | {"many_short_s": 0.3})) == (3, 3)
    lab = prose.latency_text(MEASURED)
    assert "a latency" in lab and "0.17, 0.18 s and 0.11, 0.12 s" in lab and "CPU" not in lab


def test_oracle_answer_is_cheap_and_beyond_the_vote_only_when_the_numbers_say_so():
    oracle = {"m_max": 16, "best1": 0.82, "best": 0.98, "best_lo": 0.962, "vote": 0.928, "vote_hi": 0.957,
              "samples": 1.93, "tokens": 58.3}
    text = prose.oracle_answer_text(oracle, _compute())
    assert "costs 1.9 samples, 58 thinking tokens per problem" in text and counted(text) == (3, 0)
    assert counted(prose.oracle_answer_text(oracle | {"best_lo": 0.9, "tokens": 400.0}, _compute())) == (3, 3)


# ------------------------------------------------------------------------------------------------- 2.3

def _sample(budget, thinking, answer, correct, **more):
    return pd.Series({"problem_id": "k3-000", "budget": budget, "seed": 0, "gold": 20, "thinking_text": thinking,
                      "exact_answer": answer, "exact_correct": correct} | more)


def test_setup_and_flip_lines():
    assert "at least two of its 3 seeds solve it" in prose_traces.qualitative_setup_text("exact", 3, "t.md")
    assert "its one seed solves it" in prose_traces.qualitative_setup_text("flexible", 1, "t.md")
    line = prose_traces.flip_line("15+1-19 (mod 23)", _sample(6, "15+1=16\n", 16.0, False),
                                  _sample(96, "15+1=16\n16-19=20\n", 20.0, True), "exact")
    assert line == ("- **k3-000** `15+1-19 (mod 23)`, gold 20, seed 0: at 6 tokens `15+1=16` → 16 ✗; at 96 tokens "
                    "`15+1=16 · 16-19=20` → 20 ✓")


def test_gained_says_the_strategy_is_unchanged_only_when_every_sample_is_the_chain():
    ev = {"gained": 157, "samples": 471, "chain": 1.0, "plain": 0.83, "rechecks": 0.17}
    text = prose_traces.gained_text(ev, "stop", 6, 96, ["- one", "- two"])
    assert "Stop gains 157 problems between 6 and 96 tokens, and all 471 of their samples at 96 are that chain" in text
    assert text.endswith("\n\n- one\n- two") and counted(text) == (1, 0)
    assert counted(prose_traces.gained_text(ev | {"chain": 0.9}, "stop", 6, 96, [])) == (1, 1)


def test_lost_explains_lucky_partial_chains_cut_rechecks_and_forced_waits():
    examples = [{"problem_id": "k6-029", "low": 6, "pass": 30}]
    forced = pd.Series({"problem_id": "k2-000", "budget": 96, "waits": 20, "gold": 17, "exact_answer": np.nan,
                        "exact_correct": False, "thinking_text": "14+3=17\nWait\n14+3=17\nWait+Wait"})
    text = prose_traces.lost_text(examples, ["- k6-029"], _stair(), forced, 23)
    assert "(a uniform guess is right 4% of the time)" in text and "\n\n- k6-029\n\n" in text
    assert "193 of the 194 Stop samples cut that way answer wrongly" in text
    assert "gave no readable answer (gold 17): `14+3=17 · Wait · 14+3=17 · Wait+Wait`" in text
    assert counted(text) == (3, 0)
    text = prose_traces.lost_text([{"problem_id": "k2-1", "low": 12, "pass": 6}], [], _stair(cut_right=100), None, 23)
    assert counted(text) == (2, 2) and "k2-1: low budget 12, one pass 6" in text
    assert counted(prose_traces.lost_text(examples, [], None, None, None)) == (1, 0)


def test_parallel_only_answers_yes_and_why():
    table = pd.DataFrame({"intervention": ["stop", "stop", "wait", "wait"], "thinking budget": [48, 96, 48, 96],
                          "m": [1, 2, 1, 2], "parallel-only problems": [4, 8, 141, 181]})
    one = {"problems": 4, "m": 1, "seq_once": 3, "cut": 0, "tie": 0}
    two = {"problems": 8, "m": 2, "seq_once": 7, "cut": 5, "tie": 3}
    text = prose_traces.parallel_only_answer_text(table, 210, one, two, {48: 0.016, 96: 0.01}, 0.818, 48)
    assert "(Stop: 4 at n = 48 (m = 1), 8 at n = 96 (m = 2); Wait: 141 at n = 48 (m = 1), 181 at n = 96 (m = 2))" in text
    assert "in 5 of the 8 problems one sample had no answer" in text and counted(text) == (4, 0)
    text = prose_traces.parallel_only_answer_text(table.assign(**{"parallel-only problems": [0, 0, 10, 10]}), 210,
                                                  one | {"seq_once": 0}, two | {"cut": 0}, {48: 0.5}, 0.818, 48)
    assert counted(text) == (4, 4)


def test_diversity_answer_says_hardly_only_for_a_concentrated_pool():
    ev = {"problems": 210, "distinct": 2.0, "distinct_median": 2, "top_share": 0.84, "same": 0.9, "cross": 0.02,
          "some_right": 206, "right_share": 0.83, "chain": 1.0, "rechecks": 0.16}
    text = prose_traces.diversity_answer_text(ev, 16, 11.7, 23)
    assert text.startswith("**Do the parallel traces lead to diverse answers or solving strategies?** <span")
    assert "against 11.7 for uniform guesses among the 23 residues" in text and counted(text) == (3, 0)
    text = prose_traces.diversity_answer_text(ev | {"distinct": 9.0, "same": 0.3, "chain": 0.2}, 16, None, None)
    assert counted(text) == (3, 3) and "residues" not in text.split("Not supported")[0]


# ------------------------------------------------------------------------------------------------- 2.4

def _strategies(long_lo=-0.076, hot_hi=-0.057):
    def at(delta, lo, hi):
        return {"acc": 0.9 + delta, "m": 4, "delta": delta, "lo": lo, "hi": hi, "better": lo > 0, "worse": hi < 0}
    return {"hot": {192: at(-0.10, -0.143, hot_hi), 384: at(-0.019, -0.043, 0.0)},
            "long": {192: at(-0.029, long_lo, 0.014), 384: at(0.014, -0.019, 0.043)},
            "wait": {192: at(-0.86, -0.91, -0.81), 384: at(-0.88, -0.92, -0.83)}}


LABELS = {"baseline": "baseline", "hot": "T=1.0", "long": "half, twice (Stop)", "wait": "hybrid (Wait)"}
KINDS = {"hot": "sampling", "long": "budget", "wait": "wait"}
SINGLE = {"baseline": 0.818, "hot": 0.735, "long": 0.872, "wait": 0.012}
DISTINCT = {"baseline": 2.0, "hot": 2.4, "long": 1.8, "wait": 1.0}


def test_strategies_answer_no_improvement_the_closest_and_why():
    text = prose_traces.strategies_answer_text(_strategies(), KINDS, LABELS, SINGLE, DISTINCT, [16000, 32000])
    assert text.startswith("**How much better does the curve get at 192 and 384 total thinking tokens (standing for "
                           "the assignment's 16,000 and 32,000)?**")
    assert "The closest is half, twice (Stop): -2.9 points at 192 (-7.6 to +1.4) and +1.4 points at 384" in text
    assert "(2.4 distinct answers per problem, against 2.0)" in text and "loses up to 10.0 points" in text
    assert "Forcing Wait inside each sample (hybrid (Wait)) collapses" in text and counted(text) == (4, 0)


def test_strategies_answer_marks_an_improvement_it_did_not_expect():
    text = prose_traces.strategies_answer_text(_strategies(long_lo=0.01), KINDS, LABELS,
                                               SINGLE | {"hot": 0.9, "wait": 0.5}, DISTINCT, None)
    assert "standing for" not in text and counted(text) == (4, 4)
    only = prose_traces.strategies_answer_text({"baseline": {}}, {}, LABELS, SINGLE, DISTINCT, None)
    assert counted(only) == (1, 1)


@pytest.mark.parametrize("totals, said", [([192, 384], "either total"), ([192], "these totals")])
def test_strategies_answer_counts_the_totals(totals, said):
    ev = {n: {t: by[t] for t in totals} for n, by in _strategies().items()}
    assert said in prose_traces.strategies_answer_text(ev, KINDS, LABELS, SINGLE, DISTINCT, None)

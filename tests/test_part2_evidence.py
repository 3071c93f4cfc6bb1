"""The numbers that decide Part 2's claims (helpers/part2/evidence.py), on small synthetic sample tables."""
import numpy as np
import pandas as pd
import pytest

from helpers.part2 import evidence
from helpers.tts.curves import parallel_curve


def _row(pid, budget, seed, correct, thinking, mode="stop", text="1+2=3", cut=False, answer=None, gold=5, waits=0):
    answer = (gold if correct else gold + 1) if answer is None else answer
    return {"problem_id": pid, "mode": mode, "budget": budget, "seed": seed, "gold": gold, "exact_correct": correct,
            "flexible_correct": correct, "exact_answer": answer, "flexible_answer": answer, "thinking_tokens": thinking,
            "answer_tokens": 5, "thinking_cut": cut, "waits": waits, "thinking_text": text, "answer_text": "x"}


def test_a_recheck_is_the_models_own_only_under_stop_and_the_chain_format_allows_a_cut_last_line():
    df = pd.DataFrame([_row("k2-0", 6, 0, True, 6, text="1+2=3\nWait\n1+2=3"),
                       _row("k2-0", 6, 0, True, 6, mode="wait", text="1+2=3\nWait"), _row("k2-0", 6, 0, True, 6)])
    assert evidence.own_recheck(df).tolist() == [True, False, False]
    assert evidence.chain_format("1+2=3\nWait\n1+2=", cut=True) and not evidence.chain_format("1+2=3\n1+2=", cut=False)
    assert not evidence.chain_format("so the answer is 3", cut=False)


def test_oracle_cost_draws_in_seed_order_until_the_first_right_sample():
    pool = pd.DataFrame([_row("a", 8, s, s == 1, 8) for s in range(4)] + [_row("b", 8, s, False, 4) for s in range(4)])
    ev = evidence.oracle_evidence(pool, parallel_curve(pool, [1, 2, 3, 4], n_boot=20), "exact")
    assert ev["samples"] == pytest.approx((2 + 4) / 2) and ev["tokens"] == pytest.approx((16 + 16) / 2)
    assert ev["m_max"] == 4 and ev["best"] == pytest.approx(0.5)


def _stair_rows():
    """k = 2 (one pass: 6 tokens) and k = 3 (12): Stop jumps at the pass and k = 3 dips at 18; Wait only at the pass."""
    acc = {("stop", 2): [0.9, 0.9, 0.9], ("stop", 3): [0.0, 0.9, 0.3], ("wait", 2): [0.9, 0.0, 0.0],
           ("wait", 3): [0.0, 0.8, 0.05]}
    rows = [{"mode": m, "k": k, "budget": b, "accuracy": a, "lo": a - 0.05, "hi": a + 0.05, "problems": 10}
            for (m, k), values in acc.items() for b, a in zip([6, 12, 18], values)]
    return pd.DataFrame(rows)


def test_staircase_evidence_finds_the_jump_the_largest_dip_and_the_cut_rechecks():
    samples = pd.DataFrame([_row("k3-0", 18, 0, False, 18, text="1+2=3\n3+1=4\nWait\n1+", cut=True),
                            _row("k3-1", 18, 0, True, 12), _row("k3-0", 18, 0, False, 18, mode="wait", waits=1),
                            _row("k3-0", 12, 0, False, 12, mode="wait", waits=2)])
    ev = evidence.staircase_evidence(_stair_rows(), samples)
    assert ev["below_max"] == 0.0 and (ev["at_min"], ev["at_max"]) == (0.9, 0.9)
    assert ev["dip"] | {} == {"k": 3, "from_budget": 12, "from_acc": 0.9, "to_budget": 18, "to_acc": 0.3,
                              "apart": True, "top_acc": 0.3, "top_budget": 18}
    assert (ev["cut_rechecks"], ev["cut_right"]) == (1, 0)
    assert ev["wait_exact_min"] == 0.8 and ev["wait_exact_ks"] == [2, 3] and ev["wait_other_max"] == 0.05
    assert ev["waits_budgets"] == (18, 18) and ev["waits_top"] == 1.0


def test_gained_evidence_counts_plain_passes_and_rechecks_among_the_high_budget_samples():
    seq = pd.DataFrame([_row("k2-0", 24, 0, True, 6, text="1+2=3"), _row("k2-0", 24, 1, True, 12,
                                                                          text="1+2=3\nWait\n1+2=3"),
                        _row("k3-0", 24, 0, True, 12, text="1+2=3\n3+4=7"), _row("k3-0", 6, 0, False, 6)])
    ev = evidence.gained_evidence(seq, ["k2-0", "k3-0"], "stop", 24)
    assert ev == {"gained": 2, "samples": 3, "chain": 1.0, "plain": pytest.approx(2 / 3), "rechecks": pytest.approx(1 / 3)}
    assert evidence.gained_evidence(seq, [], "stop", 24)["samples"] == 0


def test_parallel_only_evidence_separates_cut_rechecks_from_ties():
    pool = pd.DataFrame([_row("a", 8, 0, False, 8, text="1+2=3\nWait\n1+", cut=True, answer=np.nan),
                         _row("a", 8, 1, True, 8), _row("b", 8, 0, True, 8), _row("b", 8, 1, False, 8)])
    only = pd.DataFrame({"problem_id": ["a", "b"], "sequential_rate": [0.0, 1 / 3],
                         "parallel_answers": [[None, 5], [5, 6]]})
    assert evidence.parallel_only_evidence(only, pool, "exact") == {"problems": 2, "m": 2, "seq_once": 1, "cut": 1,
                                                                    "tie": 1}


def test_diversity_and_strategy_evidence():
    div = pd.DataFrame({"distinct_answers": [1, 3], "top_answer_share": [1.0, 0.5], "trace_similarity": [0.9, 0.7],
                        "correct_share": [1.0, 0.0]})
    pool = pd.DataFrame([_row("a", 8, 0, True, 8), _row("a", 8, 1, True, 8, text="1+2=3\nWait\n1+2=3")])
    ev = evidence.diversity_evidence(div, [0.1, 0.3], pool)
    assert (ev["distinct"], ev["same"], ev["cross"], ev["some_right"], ev["right_share"]) == (2.0, 0.8, 0.2, 1, 1.0)
    assert ev["chain"] == 1.0 and ev["rechecks"] == 0.5
    table = pd.DataFrame([("B", 64, "maj@m", 0.9, 4, np.nan, np.nan, np.nan), ("X", 64, "maj@m", 0.95, 2, 0.05, 0.01, 0.1),
                          ("X", 64, "majority", 0.5, 2, -0.1, -0.2, -0.05)],
                         columns=["strategy", "total budget", "rule", "accuracy", "m", "paired Δ", "paired lo", "paired hi"])
    got = evidence.strategy_evidence(table, {"baseline": "B", "x": "X"})
    assert got["x"][64] == {"acc": 0.95, "m": 2, "delta": 0.05, "lo": 0.01, "hi": 0.1, "better": True, "worse": False}
    assert got["baseline"][64]["better"] is False

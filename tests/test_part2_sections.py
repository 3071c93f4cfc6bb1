"""The notebook modules of Part 2 beyond display: which settings each section counts, and which traces 2.3 saves
(the display functions themselves run in the notebooks: tests/test_notebooks.py, tests/test_same_report.py)."""
import json
from types import SimpleNamespace

import pandas as pd

from helpers.part2 import params as part2
from helpers.part2.improvements import strategy_runs, totals_text
from helpers.part2.qualitative import QualitativeSection, quoted_records
from helpers.part2.scaling import scaling_settings
from helpers.report.profiles import load_params


def test_each_section_counts_the_settings_it_runs():
    params = part2.Part2Params.from_dict(load_params("part2", "quick"))
    assert [s.name for s in scaling_settings(params)] == [*(f"sequential_{m}" for m in params.seq_modes), "parallel"]
    assert [s.name for s in strategy_runs(params)] == [f"strategy_{n}" for n in params.strategies]
    assert totals_text([16000, 32000]) == "16,000, 32,000"


def _row(pid, mode, budget, seed, correct, gold=5):
    answer = gold if correct else gold + 1
    return {"problem_id": pid, "mode": mode, "budget": budget, "seed": seed, "gold": gold, "exact_correct": correct,
            "flexible_correct": correct, "exact_answer": answer, "flexible_answer": answer, "thinking_tokens": budget,
            "answer_tokens": 3, "thinking_cut": True, "waits": int(mode == "wait"), "thinking_text": f"{pid} {budget}",
            "answer_text": f"\\boxed{{{answer}}}"}


def _qualitative(reasoner: bool) -> QualitativeSection:
    """p1 gains with the budget under Stop, p2 loses; Wait solves both everywhere; the pool solves both."""
    stop = {("p1", 16): False, ("p1", 64): True, ("p2", 16): True, ("p2", 64): False}
    sequential = pd.DataFrame([_row(p, "stop", b, 0, ok) for (p, b), ok in stop.items()]
                              + [_row(p, "wait", b, 0, True) for p in ("p2", "p1") for b in (16, 64)])
    pool = pd.DataFrame([_row(p, "stop", 16, s, True) for p in ("p1", "p2") for s in range(4)])
    params = SimpleNamespace(seq_seeds=[0], seq_modes=["stop", "wait"], seq_budgets=[16, 64], par_budget=16)
    return QualitativeSection(SimpleNamespace(params=params, is_reasoner=reasoner), sequential, pool, "exact")


def test_the_quoted_traces_follow_the_order_the_section_quotes_them():
    records = quoted_records(_qualitative(reasoner=True))
    assert [(r["question"], r["problem_id"], r.get("budget")) for r in records] == [
        ("(a)1", "p1", 16), ("(a)1", "p1", 64), ("(b)1", "p2", 16), ("(b)1", "p2", 64),
        ("(b) forced Wait", "p1", 64),  # the first problem under Wait at the top budget
        ("(c) stop n=16 m=1", "p1", None), ("(c) stop n=64 m=4", "p2", None)]
    assert type(records[0]["budget"]) is int and type(records[0]["exact_correct"]) is bool  # numpy made plain
    assert records[-1] == {"question": "(c) stop n=64 m=4", "problem_id": "p2", "parallel_answers": [5, 5, 5, 5],
                           "gold": 5, "sequential_rate": 0.0}
    json.dumps(records)  # JSON-ready without a fallback


def test_another_model_has_no_forced_wait_quote():
    assert "(b) forced Wait" not in [r["question"] for r in quoted_records(_qualitative(reasoner=False))]

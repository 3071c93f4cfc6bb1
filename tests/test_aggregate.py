import numpy as np
import pandas as pd
import pytest

from helpers.tts.aggregate import plurality_answer, scaling_curve, solved, strict_majority


def test_strict_majority_needs_more_than_half():
    assert strict_majority([True, True, False])
    assert not strict_majority([True, False])  # exactly half is not a majority
    assert not strict_majority([True, False, False, None == 1])


def test_plurality_ignores_unparsable_and_breaks_ties_by_first_seen():
    assert plurality_answer([None, 7, 3, 3, 7]) == 7
    assert plurality_answer([None, None]) is None


@pytest.mark.parametrize("answers, gold, expected", [
    ([25, 25, 3, 4, 5], 25, {"majority": False, "maj@m": True, "best-of-m": True}),
    ([25, 25, 25, 4, 5], 25, {"majority": True, "maj@m": True, "best-of-m": True}),
    ([1, 2, 2, 25], 25, {"majority": False, "maj@m": False, "best-of-m": True}),
    ([None, None, 1], 25, {"majority": False, "maj@m": False, "best-of-m": False}),
])
def test_rules_by_hand(answers, gold, expected):
    assert {rule: solved(rule, answers, gold) for rule in expected} == expected
    with pytest.raises(ValueError, match="allowed: majority, maj@m, best-of-m"):
        solved("mean", answers, gold)


def test_curve_at_full_pool_and_monotone_best_of():
    # problem a: 2 of 4 correct; problem b: 4 of 4 correct; problem c: never
    pool = pd.DataFrame({"problem_id": ["a"] * 4 + ["b"] * 4 + ["c"] * 4, "gold": [1] * 4 + [2] * 4 + [3] * 4,
                         "answer": [1, 1, 9, 8, 2, 2, 2, 2, 0, 0, 0, None]})
    curve = scaling_curve(pool, [1, 2, 4], "answer", n_boot=300, seed=0).set_index(["rule", "m"])
    # with m = M every replicate sees all samples; only the problem resampling varies: mean near the truth
    assert curve.loc[("best-of-m", 4), "mean"] == pytest.approx(2 / 3, abs=0.06)
    assert curve.loc[("majority", 4), "mean"] == pytest.approx(1 / 3, abs=0.06)  # a is 2/4: not > half
    assert curve.loc[("best-of-m", 1), "mean"] < curve.loc[("best-of-m", 2), "mean"] < curve.loc[("best-of-m", 4), "mean"]
    assert (curve["lo"] <= curve["mean"]).all() and (curve["mean"] <= curve["hi"]).all()
    with pytest.raises(ValueError, match=r"ms: \[5\] not allowed; allowed: a non-empty list of integers in 1..4"):
        scaling_curve(pool, [5], "answer")


def test_vectorised_curve_matches_the_rules_sample_by_sample():
    """With m = M and one problem, every replicate sees all answers: each rule's value is exactly solved()'s."""
    import random

    rng = random.Random(0)
    for _ in range(200):
        M = rng.randint(1, 6)
        answers = [rng.choice([None, float("nan"), 1, 2, 3]) for _ in range(M)]
        gold = rng.choice([1, 2, 4])
        pool = pd.DataFrame({"problem_id": ["p"] * M, "gold": [gold] * M, "answer": answers})
        curve = scaling_curve(pool, [M], "answer", n_boot=3, seed=1).set_index("rule")["mean"]
        # the vectorised draw permutes the answers, so ties in maj@m may go either way; check the permutation-free rules
        # exactly and maj@m whenever the plurality is unique
        assert curve["majority"] == solved("majority", answers, gold)
        assert curve["best-of-m"] == solved("best-of-m", answers, gold)
        counts = pd.Series([a for a in answers if a == a and a is not None]).value_counts()
        if len(counts) and (counts == counts.max()).sum() == 1:
            assert curve["maj@m"] == solved("maj@m", answers, gold)


def test_nan_answers_in_a_pandas_column_never_vote():
    # every problem has the answers [no answer, gold]: maj@2 must be 1.0 (NaN is "no answer", not a rival)
    pool = pd.DataFrame({"problem_id": [p for p in "abcdefgh" for _ in range(2)], "gold": [5] * 16,
                         "answer": [None, 5.0] * 8})
    assert pool["answer"].isna().sum() == 8
    curve = scaling_curve(pool, [2], "answer", n_boot=50).set_index("rule")["mean"]
    assert curve["maj@m"] == 1.0 and curve["best-of-m"] == 1.0 and curve["majority"] == 0.0


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA])
@pytest.mark.parametrize("container", ["list", "float column", "object column", "Int64 column"])
def test_no_answer_is_the_same_in_every_container(missing, container):
    # per problem: [no answer, 3, gold, no answer] -- a tie between 3 and the gold, 3 seen first
    raw = [missing, 3, 5, missing] * 4
    floats = [np.nan if a is missing else a for a in raw]  # how a float column stores any missing value
    answers = {"list": raw, "float column": pd.Series(floats, dtype="float64").tolist(),
               "object column": pd.Series(raw, dtype="object").tolist(),
               "Int64 column": pd.Series(raw, dtype="Int64").tolist()}[container]
    assert plurality_answer(answers[:4]) == 3  # ties go to the first seen; no answer never wins
    assert {r: solved(r, answers[:4], 5) for r in ("majority", "maj@m", "best-of-m")} == \
        {"majority": False, "maj@m": False, "best-of-m": True}
    assert plurality_answer(answers[:1]) is None
    pool = pd.DataFrame({"problem_id": [p for p in "abcd" for _ in range(4)], "gold": [5] * 16})
    pool["answer"] = pd.Series(answers, dtype={"Int64 column": "Int64"}.get(container, "object"))
    curve = scaling_curve(pool, [4], "answer", n_boot=20).set_index("rule")["mean"]
    assert (curve["best-of-m"], curve["majority"]) == (1.0, 0.0)
    # with all four drawn, the tie 3 vs 5 goes to whichever was drawn first: both happen, never a no-answer win
    assert 0.0 < curve["maj@m"] < 1.0


def test_ties_in_the_vectorised_curve_go_to_the_answer_drawn_first():
    # one sample per answer: maj@1 is the single draw, so it is right exactly as often as best-of-1
    pool = pd.DataFrame({"problem_id": ["a"] * 2, "gold": [5, 5], "answer": [5, 3]})
    curve = scaling_curve(pool, [1, 2], "answer", n_boot=400).set_index(["rule", "m"])["mean"]
    assert curve["maj@m", 1] == curve["best-of-m", 1]
    assert 0.35 < curve["maj@m", 2] < 0.65  # a 1-1 tie decided by the random draw order, about half the time

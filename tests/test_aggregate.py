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
    with pytest.raises(ValueError, match="ms must lie in 1..4"):
        scaling_curve(pool, [5], "answer")

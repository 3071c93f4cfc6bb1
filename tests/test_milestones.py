"""Stable milestones, run outcomes, Kaplan-Meier medians and one run set per summary row."""
import math

import pandas as pd
import pytest

from helpers.part1.milestones import held_step, km_median, milestone_table, milestones, stable_step, summarise_milestones

STEPS = [0, 10, 20, 30, 40, 50]


def curve(train, val):
    return pd.DataFrame({"step": STEPS, "train_acc": train, "val_acc": val})


def test_a_transient_crossing_is_not_t_train():
    # train accuracy crosses at 10, dips at 20, and stays from 30 on
    m = milestones(curve([0, 1.0, 0.5, 1.0, 1.0, 1.0], [0, 0, 0, 0.1, 1.0, 1.0]), hold=10)
    assert (m["t_train_first"], m["t_train"], m["t_val"], m["delta_t"]) == (10, 30, 40, 10)
    assert m["train_dips"] == 0 and m["outcome"] == "generalised"


def test_a_later_dip_is_counted_not_moved_into_t_train():
    # held for 20 steps from 10 (10, 20, 30), a single-evaluation dip at 40: t_train stays 10, the dip is reported
    m = milestones(curve([0, 1.0, 1.0, 1.0, 0.6, 1.0], [0, 0, 0, 0.1, 0.2, 1.0]), hold=20)
    assert (m["t_train"], m["t_train_final"], m["train_dips"], m["train_acc_min_after"]) == (10, 50, 1, 0.6)
    # validation is at the threshold at the last evaluation only: its window runs past the end, so t_val is censored
    assert math.isnan(m["t_val"]) and m["outcome"] == "not generalised" and m["censored"]


def test_a_window_the_run_ends_inside_is_censored_not_a_milestone():
    # validation reaches 1.0 at 30 and holds to the end (50), but the 500-step rule needs evaluations to 530
    m = milestones(curve([1.0] * 6, [0, 0, 0, 1.0, 1.0, 1.0]), hold=500)
    assert m["t_val_first"] == 30 and m["t_val_final"] == 30
    assert math.isnan(m["t_train"]) and math.isnan(m["t_val"]) and m["outcome"] == "never fitted"
    m = milestones(curve([1.0] * 6, [0, 0, 0, 1.0, 1.0, 1.0]), hold=20)  # 30 + 20 = 50 is observed
    assert (m["t_train"], m["t_val"], m["outcome"]) == (0, 30, "generalised")


def test_held_step_window():
    c = curve([0, 1, 1, 0.5, 1, 1], [0] * 6)
    assert held_step(c, "train_acc", 0.99, hold=10) == 10
    assert math.isnan(held_step(c, "train_acc", 0.99, hold=20))  # 40's window ends at 60, past the run
    assert held_step(c, "train_acc", 0.99, hold=20, open_end=True) == 40
    assert held_step(c, "train_acc", 0.99, hold=10) == 10 and held_step(c, "train_acc", 0.99, hold=0) == 10
    assert math.isnan(held_step(curve([0] * 6, [0] * 6), "train_acc", 0.99, hold=10))


def test_stable_step_is_nan_when_the_last_evaluation_is_below():
    assert math.isnan(stable_step(curve([0, 1, 1, 1, 1, 0.5], [0] * 6), "train_acc", 0.99))
    assert stable_step(curve([1] * 6, [0] * 6), "train_acc", 0.99) == 0


@pytest.mark.parametrize("train, val, outcome", [
    ([0, 0.5, 1, 1, 1, 1], [0, 0, 0, 0, 0.2, 0.3], "not generalised"),   # fitted, validation censored
    ([0, 0.5, 0.9, 0.95, 0.9, 0.97], [0, 0, 0.5, 0.9, 0.95, 0.95], "never fitted"),  # Δt undefined
    ([0, 0.5, 0.9, 0.95, 0.9, 0.97], [0, 0, 0.5, 0.9, 1.0, 1.0], "never fitted"),  # validation there, training not
])
def test_outcomes(train, val, outcome):
    m = milestones(curve(train, val), hold=10)
    assert m["outcome"] == outcome
    assert math.isnan(m["delta_t"])


def test_km_median():
    assert km_median([100, 200, 300], [True, True, True]) == 200
    # two of four censored at the budget 1000: the median is the second event
    assert km_median([100, 400, 1000, 1000], [True, True, False, False]) == 400
    # three of four censored: the median is not reached
    assert math.isnan(km_median([100, 1000, 1000, 1000], [True, False, False, False]))
    # an early censoring shrinks the risk set: events at 300 and 500 after a censoring at 200
    assert km_median([100, 200, 300, 500], [True, False, True, True]) == 300


def test_summary_uses_one_run_set_for_means():
    rows = []
    for seed, (train, val) in enumerate([([0, 1, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1]),      # t_train 10, t_val 30
                                         ([0, 0, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1]),      # t_train 30, t_val 40
                                         ([1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1]),      # fitted at 0, censored
                                         ([0, 0, 0, 0, 0, 0.5], [0, 0, 0, 0, 0, 0])]):  # never fitted
        rows.append(curve(train, val).assign(wd=1.0, seed=seed, run_id=f"r{seed}"))
    table = milestone_table(pd.concat(rows), ["wd"], hold=10)
    s = summarise_milestones(table, ["wd"]).iloc[0]
    assert (s.runs, s.fitted, s.generalised) == (4, 3, 2)
    assert s.t_train_mean == 20 and s.t_val_mean == 35 and s.delta_t_mean == 15
    assert s.delta_t_mean == s.t_val_mean - s.t_train_mean
    assert s.censored_at == ">50, >50"  # run 2 reached 1.0 at its last evaluation: its window is not observed
    # t_val: events 30, 40 and two censored at 50: S = 3/4 at 30, 3/4 * 2/3 = 1/2 at 40
    assert s.t_val_km_median == 40
    # Δt over the 3 fitted runs: 20, 10 and one censored at 50: S(10) = 2/3, S(20) = 1/3 -> 20
    assert s.delta_t_km_median == 20

"""Part 1's paragraphs for sections 1.3-1.4 (helpers.part1.readings) on small synthetic results: each answers its
question with the numbers, and every qualitative sentence is a claim, marked as unsupported when its condition fails."""
import math

import pandas as pd

from helpers.gpt.config import make_config
from helpers.part1.readings import (ablation_answer, delay_shift, grokking_answers, mean_std, seed_names, signed,
                                    steps, train_fraction_answer, weight_decay_answer)
from helpers.report.claims import UNSUPPORTED, claims_in

NAN = math.nan


def cfg(**values):
    return make_config({"section": "t", "out_dir": "x", "task": "modular", "op": "/", "modulus": 97} | values)


def test_small_phrases():
    assert [seed_names(s) for s in ([1], [0, 2], [0, 1, 2])] == ["seed 1", "seeds 0 and 2", "seeds 0, 1 and 2"]
    assert (signed(1012.0), signed(-2533.0), steps([600.0, 1200.0, 800.0])) == ("+1,012", "−2,533", "600, 1,200 and 800")
    row = pd.Series({"delta_t_mean": 4812.0, "delta_t_std": 218.2, "t_val_mean": 9900.0, "t_val_std": NAN})
    assert (mean_std(row, "delta_t"), mean_std(row, "t_val"), mean_std(row, "t_train")) == ("4,812 ± 218", "9,900", "—")


# ------------------------------------------------------------------------------------------- 1.3 grokking

def milestones(**columns):
    base = {"seed": [0, 1], "t_train": [600.0, 1200.0], "t_val": [3000.0, 2700.0], "delta_t": [2400.0, 1500.0],
            "val_acc_at_t_train": [0.016, 0.027], "train_acc_min_after": [0.99, 0.982], "censored": [False, False]}
    table = pd.DataFrame(base | columns)
    table["t_val / t_train"] = table.t_val / table.t_train
    return table


def plateau(norm_at_t_val=(43.5, 39.2)):
    return pd.DataFrame({"seed": [0, 1], "val_loss_min_before": [2.3, 2.4], "val_loss_max_plateau": [3.2, 3.4],
                         "norm_at_t_train": [23.0, 26.0], "norm_peak": [46.0, 41.0], "norm_at_t_val": list(norm_at_t_val),
                         "norm_end": [31.0, 32.0]})


def after(collapses=(0, 1)):
    return pd.DataFrame({"seed": [0, 1], "steps_after": [2000.0, 2000.0], "collapses": list(collapses),
                         "val_min": [0.98, 0.60], "train_at_val_min": [1.0, 0.70], "step_of_val_min": [4000.0, 3300.0],
                         "final_val_acc": [1.0, 1.0]})


def test_grokking_answers_for_seeds_that_grok():
    table = milestones()
    text = grokking_answers(table, table, plateau(), after(), 0.99, cfg(weight_decay=1.0))
    assert text.startswith("**Did it grok?** <span")
    assert "Yes, in all 2 seeds: each fits its training set first, at t_train = 600 and 1,200 steps, and reaches 99% " \
           "validation accuracy only at t_val = 3,000 and 2,700 steps, 2.2–5.0 times later (Δt = 1,500–2,400 steps" in text
    assert "still near chance: 1.6% and 2.7%, against 1/97 ≈ 1.0%." in text
    assert "validation loss climbs from its early minimum (2.35 nats, mean over seeds) to 3.30" in text
    assert "the parameter norm grows by 15.0–23.0" in text and "lowest training accuracy of any seed is 98.2%" in text
    assert "the norm is within 2.5 of its peak" in text and "falls by 7.2–12.5 only in the 2,000 steps after t_val" in text
    assert "Validation accuracy stays ≥ 98% for the 2,000 steps after t_val in seed 0." in text
    assert "Seed 1 has one loss spike: at step 3,300 training and validation accuracy fall together, to 70% and 60%" in text
    assert "Δt here is 1,500–2,400 steps" in text
    assert claims_in(text) == (8, 0)


def test_grokking_answers_mark_what_the_curves_do_not_show():
    table = milestones(val_acc_at_t_train=[0.016, 0.2])
    text = grokking_answers(table, table.iloc[:1], plateau(norm_at_t_val=(24.0, 27.0)), after(collapses=(0, 0)), 0.99,
                            cfg(weight_decay=0.0))
    # one seed did not grok, one was not near chance, the norm fell before t_val, no spike, no weight decay
    assert claims_in(text) == (8, 5) and f"[{UNSUPPORTED}: 1 of 2 seeds grokked]" in text


def test_grokking_answers_when_no_seed_generalised():
    table = milestones(t_val=[NAN, NAN], delta_t=[NAN, NAN], censored=[True, True])
    text = grokking_answers(table, table.iloc[:0], plateau().iloc[:0], after().iloc[:0], 0.99, cfg())
    assert "What happens" not in text and claims_in(text) == (2, 1)


# ------------------------------------------------------------------------------------------- 1.4 ablations

def summary(field, rows):
    columns = [field, "runs", "fitted", "generalised", "t_train_mean", "t_train_std", "t_val_mean", "t_val_std",
               "delta_t_mean", "delta_t_std"]
    return pd.DataFrame(rows, columns=columns)


WD = summary("weight_decay", [(0.5, 3, 3, 3, 421, 37, 5233, 252, 4812, 218), (1.0, 3, 3, 3, 867, 306, 2900, 173, 2033, 473),
                              (2.0, 3, 3, 3, 1433, 208, 2700, 300, 1267, 404), (4.0, 3, 0, 0, NAN, NAN, NAN, NAN, NAN, NAN)])
TF = summary("train_frac", [(0.25, 3, 3, 1, 400, NAN, 9900, NAN, 9500, NAN), (0.3, 3, 3, 3, 867, 306, 2900, 173, 2033, 473),
                            (0.35, 3, 3, 3, 1233, 850, 4000, 1947, 2767, 1665), (0.4, 3, 3, 2, 950, 354, 1400, 283, 450, 71)])
STUDY_A = {"field": "weight_decay", "values": [0.5, 1.0, 2.0, 4.0], "label": "weight decay (AdamW)"}
STUDY_B = {"field": "train_frac", "values": [0.25, 0.3, 0.35, 0.4], "label": "training fraction"}


def runs_b():
    columns = ["train_frac", "seed", "outcome", "t_train_first", "t_train", "val_acc_at_t_train", "t_val", "delta_t",
               "t_val_final", "last_step", "best_val_acc", "final_val_acc", "val_collapses"]
    rows = [(0.25, 0, "not generalised", 400, 400, 0.012, NAN, NAN, NAN, 10000, 0.217, 0.211, 0),
            (0.25, 1, "not generalised", 400, 400, 0.012, NAN, NAN, NAN, 10000, 0.037, 0.034, 0),
            (0.25, 2, "not generalised", 400, 400, 0.011, NAN, NAN, 9900, 10000, 0.999, 0.999, 0),
            (0.35, 0, "generalised", 800, 2200, 0.863, 5500, 3300, NAN, 7500, 0.99, 0.986, 0),
            (0.4, 2, "not generalised", 1100, 8100, 0.963, NAN, NAN, NAN, 10000, 0.969, 0.95, 7)]
    return pd.DataFrame(rows, columns=columns)


TF_NOW = TF.assign(generalised=[0, 3, 3, 2], t_train_mean=[NAN, 867, 1233, 950], t_val_mean=[NAN, 2900, 4000, 1400],
                   delta_t_mean=[NAN, 2033, 2767, 450])


def test_delay_shift_reads_the_two_ends_and_which_milestone_moved():
    text = delay_shift(WD, "weight_decay", "weight decay")
    assert "Raising the weight decay from 0.5 to 2 shortens the delay: the mean Δt goes from 4,812 ± 218 to 1,267 ± 404" in text
    assert "t_val moves by −2,533 steps, t_train by +1,012." in text and claims_in(text) == (2, 0)
    overlapping = WD.assign(delta_t_std=[3600, 473, 404, NAN], t_train_mean=[2000, 867, 1433, NAN])
    assert claims_in(delay_shift(overlapping, "weight_decay", "weight decay")) == (2, 2)


def test_weight_decay_answer_and_its_largest_value():
    tidy = pd.DataFrame({"weight_decay": [4.0, 4.0, 1.0], "train_acc": [0.2, 0.43, 1.0]})
    text = weight_decay_answer(WD, pd.DataFrame(), tidy, STUDY_A, 10_000)
    assert text.startswith("**How does weight decay change the steps from train error vanishing to test error vanishing?**")
    assert "It falls at every step of the sweep: 4,812 ± 218 at 0.5, 2,033 ± 473 at 1 and 1,267 ± 404 at 2." in text
    assert "At 4, though, none of the 3 runs fits its training set within 10,000 steps (training accuracy never above " \
           "43%)" in text and claims_in(text) == (4, 0)
    bumpy = WD.assign(delta_t_mean=[4812, 1000, 1267, NAN], fitted=[3, 3, 3, 1])
    assert claims_in(weight_decay_answer(bumpy, pd.DataFrame(), tidy, STUDY_A, 10_000)) == (4, 2)


def test_train_fraction_answer_names_the_bump_and_both_ends():
    text = train_fraction_answer(TF_NOW, runs_b(), STUDY_B, 10_000, 500)
    assert "Raising the training fraction from 30% to 40% shortens the delay" in text
    assert "The trend is not smooth: at 35% Δt is 2,767 ± 1,665 steps, above its value at 30%" in text
    assert "In 2 runs t_train marks when training settled, not the start of a grokking delay: at 35%, seed 0 first " \
           "fits at step 800 but holds only from 2,200, when validation is already at 86%; at 40%, seed 2 first fits " \
           "at step 1,100 but holds only from 8,100, when validation is already at 96%." in text
    assert "With 25% of the equations, no run generalises within the budget: all 3 fit their training set by step " \
           "400, but none holds 99% validation accuracy for 500 steps." in text
    assert "Seed 2 comes closest: its validation accuracy reaches 99% at step 9,900 and stays there, but the run ends " \
           "100 steps later, so its t_val is censored (later than 10,000), not observed; the other runs end at 21% " \
           "and 3% validation accuracy." in text
    assert "at 40% one run (seed 2) reaches 96.9% validation accuracy at best" in text and "7 times" in text
    assert claims_in(text) == (7, 0)
    # the old rule's reading (seed 2 counted as generalised at 9,900), a smooth trend and no unstable run: each
    # sentence written for the stored results is marked
    old_rule = runs_b().assign(outcome=["not generalised", "not generalised", "generalised", "generalised",
                                        "not generalised"], val_collapses=0, val_acc_at_t_train=0.02)
    steady = TF.assign(generalised=[1, 3, 3, 3], delta_t_mean=[9500, 2033, 1500, 450])
    assert claims_in(train_fraction_answer(steady, old_rule, STUDY_B, 10_000, 500)) == (7, 5)


def test_ablation_answer_weighs_the_two_factors():
    text = ablation_answer(WD, TF, runs_b(), STUDY_A, STUDY_B)
    assert text.startswith("**What makes grokking on division faster and more reliable?** ")
    assert "Weight decay from 0.5 to 2 cuts the mean delay from 4,812 to 1,267 steps with all 9 runs generalising" in text
    assert "but 4 of the study's 5 runs, at both ends of the range, have no Δt within the budget" in text
    assert "(3,545 against 1,583 steps)" in text and claims_in(text) == (1, 0)
    reliable_b = runs_b()[runs_b().outcome == "generalised"]
    assert claims_in(ablation_answer(WD, TF, reliable_b, STUDY_A, STUDY_B)) == (1, 1)

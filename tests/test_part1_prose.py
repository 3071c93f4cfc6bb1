"""Part 1's paragraphs (helpers.part1.prose) on small synthetic results: every branch says what the numbers say."""
import math

import pandas as pd

from helpers.gpt.config import make_config
from helpers.part1.prose import (ablation_header, after_grokking_sentence, band_sentence, baseline_recipe,
                                 fitting_sentence, grokking_reading, masking_paragraph, memorised_run, norm_sentence,
                                 reuse_line, seed_names, seeds_list, tuning_paragraph, warmup_outcome)
from helpers.part1.tables import changes_from_paper

NAN = math.nan


def cfg(**values):
    return make_config({"section": "t", "out_dir": "x", "task": "modular", "op": "/", "modulus": 97} | values)


# ------------------------------------------------------------------------------------------- shared and 0 sanity

def test_reuse_line_counts_the_runs_found():
    assert reuse_line(2, 5) == "2 run(s) trained now, 3 reused from disk."
    assert reuse_line(0, 4, "`out/warmup/`").endswith("4 reused from `out/warmup/`.")


def test_memorised_run_says_whether_it_trained_and_why_it_stopped():
    summary = {"steps": 120, "stop_reason": "early_stop", "train_loss": 0.00042, "wall_s": 3.14}
    text = memorised_run("outputs/sanity/r1", True, 12345, 19, 25, summary)
    assert text.startswith("Run `outputs/sanity/r1` (reused from disk): 12,345 parameters")
    assert "vocabulary of 19 tokens (16 characters + PAD/BOS/EOS), sequence of 25 tokens" in text
    assert "**120 steps** (early stop) with train loss **4.20e-04** in 3.1 s." in text
    assert "(trained now)" in memorised_run("r", False, 1, 4, 2, summary)


def test_masking_paragraph_reports_the_completion_and_the_masked_position():
    first = pd.Series({"p(target)": 0.0123, "predicted": "m", "p(target) in run (a)": 0.9991})
    summary = {"steps": 300, "train_loss": 0.0005}
    ok = masking_paragraph(summary, "I", " love", True, first, "mlove")
    assert "stopped after 300 steps with loss 5.00e-04" in ok and "it completes the suffix exactly: ' love'" in ok
    assert "run (a) gives the true first character `I` probability 0.999, run (b) only 0.012" in ok
    assert "(its top choice is 'm')" in ok and "writes 'mlove'" in ok
    assert "does **not** complete the suffix exactly" in masking_paragraph(summary, "I", "x", False, first, "")


# ------------------------------------------------------------------------------------------- 1.2 warm-up

def tuning(rows):
    return pd.DataFrame(rows, columns=["lr", "grad_clip", "final train acc", "final val acc", "steps"])


def test_changes_from_paper_counts_the_settings_changed():
    T = tuning([(1e-3, 0.0, 0.4, 0.3, 4000), (3e-4, 0.0, 1, 1, 900), (3e-4, 1.0, 1, 1, 700)])
    assert changes_from_paper(T).tolist() == [0, 1, 2]
    assert changes_from_paper(T.drop(columns="grad_clip")).tolist() == [0, 1, 1]


def test_tuning_paragraph_names_the_paper_failure_and_the_single_change_chosen():
    T = tuning([(1e-3, 0.0, 0.4, 0.3, 4000), (1e-3, 1.0, 1.0, 0.995, 1500), (3e-4, 0.0, 1.0, 0.999, 900),
                (3e-4, 1.0, 1.0, 0.999, 700)])
    text = tuning_paragraph(T, cfg(lr=3e-4, grad_clip=0.0))
    assert text.startswith("With the paper's learning rate 10⁻³ the model ends with training accuracy 40.0% and "
                           "validation accuracy 30.0% after 4,000 steps: it does not even fit its training set")
    # the two-change run is faster but does not count; the one-change runs are compared by steps
    assert "soonest is lr 0.0003 (900 steps; the others: lr 0.001, clipping 1: 1,500 steps; " \
           "lr 0.0003, clipping 1: 700 steps (2 changes))." in text
    assert text.endswith("The warm-up uses it (lr 0.0003, clipping 0) for all eight configurations.")


def test_tuning_paragraph_flags_a_recipe_that_is_not_the_choice_and_a_tuning_that_found_none():
    T = tuning([(1e-3, 0.0, 1.0, 0.5, 4000), (3e-4, 0.0, 1.0, 0.999, 900)])
    text = tuning_paragraph(T, cfg(lr=1e-3, grad_clip=0.0))
    assert "after 4,000 steps. The single change" in text  # the paper's recipe fitted its training set
    assert text.endswith("The warm-up uses lr 0.001, clipping 0, which is not the tuning's choice: check `params/`.")
    none = tuning_paragraph(tuning([(1e-3, 0.0, 1.0, 0.5, 4000), (3e-4, 0.0, 1.0, 0.9, 4000)]), cfg(lr=3e-4))
    assert "No single change reached 99% validation accuracy within the budget." in none
    assert "which is not the tuning's choice" in none


def results(rows):
    return pd.DataFrame(rows, columns=["task", "modulus", "n_layer", "seed", "train acc", "test acc"])


def test_warmup_outcome_explains_each_run_that_did_not_generalise():
    all_ok = warmup_outcome(results([("a+b", 97, 1, 0, 1.0, 1.0)]), 4000, 12.34, 2)
    assert all_ok == ("1 of 1 runs reached test accuracy ≥ 0.99 within 4,000 steps: every configuration generalises "
                      "with every seed. Training took 12.3 min in total, tuning included (sum over runs of their "
                      "wall-clock, 2 run(s) at a time).")
    text = warmup_outcome(results([("a+b", 97, 1, 0, 1.0, 1.0), ("a-b", 113, 2, 1, 1.0, 0.5),
                                   ("a-b", 97, 2, 0, 0.4, 0.1)]), 4000, 1, 1)
    assert text.startswith("1 of 3 runs reached")
    assert ("not within the budget: a-b mod 113, 2 layer(s), seed 1 (train 1.00, test 0.50: fits its training set "
            "but does not generalise yet); a-b mod 97, 2 layer(s), seed 0 (train 0.40, test 0.10: does not fit its "
            "training set: an optimisation failure).") in text


def test_band_sentence_says_never_for_a_seed_that_did_not_reach_the_threshold():
    S = {"first": [300.0, NAN], "first_mean": 300.0, "first_std": NAN, "stop": [800, 1000], "stop_mean": 900.0,
         "stop_std": 141.42, "test_acc_mean": 0.99512, "test_acc_std": 0.001, "train_acc_mean": 1.0}
    text = band_sentence("1-layer, a + b (mod 97)", [0, 1], S, 100, 10)
    assert text.startswith("Across seeds [0, 1], 1-layer, a + b (mod 97) first reached test accuracy ≥ 0.99 at step "
                           "300, never (mean 300 ± nan); it stopped at step 800, 1000 (900 ± 141;")
    assert "evaluations every 100 steps plus 10 log-spaced ones) with test accuracy 0.9951 ± 0.0010" in text


# ------------------------------------------------------------------------------------------- 1.3 grokking

def test_seed_lists_and_names():
    rows = pd.DataFrame({"seed": [0, 2], "x": [1, 5]})
    assert seeds_list(rows, lambda r: f"x={r.x}") == "seed 0: x=1; seed 2: x=5"
    assert [seed_names(s) for s in ([1], [0, 2], [0, 1, 2])] == ["seed 1", "seeds 0 and 2", "seeds 0, 1 and 2"]


def milestones(**columns):
    base = {"seed": [0, 1], "t_train_first": [100.0, 200.0], "t_train": [100.0, 200.0], "train_dips": [0, 0],
            "train_acc_min_after": [1.0, 1.0], "val_acc_at_t_train": [0.02, 0.03], "t_val": [1100.0, 2200.0],
            "delta_t": [1000.0, 2000.0], "censored": [False, False]}
    table = pd.DataFrame(base | columns)
    table["t_val / t_train"] = table.t_val / table.t_train
    return table


def test_fitting_sentence_separates_a_late_hold_from_dips():
    assert fitting_sentence(milestones(), 0.99, 500) == (
        "In every seed training accuracy holds from its first crossing of 99%; between t_train and t_val it never "
        "falls below the threshold. ")
    text = fitting_sentence(milestones(t_train_first=[50.0, 200.0], train_dips=[0, 2],
                                       train_acc_min_after=[1.0, 0.95]), 0.99, 500)
    assert text.startswith("Training accuracy first crosses 99% before it holds for 500 steps in seed 0: step 50, "
                           "held from 100; between t_train and t_val it falls below the threshold in seed 1: "
                           "2 evaluation(s), lowest 95.0% (a fitted training set wobbling")
    deep = fitting_sentence(milestones(train_dips=[1, 0], train_acc_min_after=[0.5, 1.0]), 0.99, 500)
    assert "wobbling" not in deep and deep.endswith("lowest 50.0% and never in the other seeds. ")


def plateau_rows(norm_at_t_val):
    return pd.DataFrame({"seed": [0, 1], "norm_at_t_train": [10.0, 10.0], "norm_peak": [20.0, 22.0],
                         "norm_at_t_val": norm_at_t_val, "norm_end": [12.0, 12.0],
                         "val_loss_min_before": [4.0, 5.0], "val_loss_max_plateau": [9.0, 11.0]})


def after_rows(collapses=(0, 0), steps_after=(2000.0, 2000.0)):
    return pd.DataFrame({"seed": [0, 1], "steps_after": list(steps_after), "collapses": list(collapses),
                         "val_min": [0.97, 0.4], "step_of_val_min": [3000.0, 4500.0], "train_at_val_min": [1.0, 0.5],
                         "final_val_acc": [1.0, 0.998]})


def test_norm_sentence_tells_which_order_the_norm_follows():
    peak = norm_sentence(plateau_rows([19.0, 21.0]), after_rows(), 0.99)
    assert "rises by 10.0–12.0 on the plateau, is still within 1.0 of its peak when validation accuracy reaches 99%" in peak
    assert "falls by 7.0–9.0 in the 2,000 steps after t_val" in peak and "not the order of Omnigrok's" in peak
    falls = norm_sentence(plateau_rows([13.0, 12.0]), after_rows(), 0.99)
    assert "and is 7.0–10.0 below its peak at t_val: the norm falls as the model generalises" in falls


def test_after_grokking_sentence_names_steady_and_collapsing_seeds():
    assert after_grokking_sentence(after_rows().iloc[0:0]) == ""
    steady = after_grokking_sentence(after_rows())
    assert steady == ("**After grokking.** Every curve continues 2,000 steps past t_val. Validation accuracy stays "
                      "≥ 40% throughout in seeds 0 and 1. ")
    mixed = after_grokking_sentence(after_rows(collapses=(0, 1), steps_after=(2000.0, 1500.0)))
    assert "continues 1,500 steps past t_val (to the budget in some)." in mixed
    assert "stays ≥ 97% throughout in seed 0." in mixed  # the collapsed seed is not among the steady ones
    assert ("In seed 1: validation accuracy collapses 1 time(s) by more than 30 points (lowest 40% at step 4,500, "
            "with training accuracy 50% at the same evaluation) and recovers to 99.8% by the end") in mixed


def test_grokking_reading_states_the_milestones_and_the_delay():
    table = milestones(val_acc_at_t_train=[0.02, 0.15])
    text = grokking_reading(table, table.iloc[:1], plateau_rows([19.0, 21.0]), after_rows(), 0.99, 500,
                            cfg(weight_decay=1.0))
    assert text.startswith("**Reading the figure.** In 1 of 2 seeds the model fits its training set first (t_train = "
                           "100, 200 steps) while validation accuracy is still 2.0%, 15.0% (chance is 1/97 ≈ 1.0%; in "
                           "seed 1 it is already climbing at t_train) and reaches 99% only at t_val = 1100, 2200 "
                           "steps, 11.0–11.0× later (Δt = 1,000–2,000 steps).")
    assert "validation loss climbs from its early minimum (4.50 nats on average over seeds) to 10.00" in text
    assert "With weight decay 1 the delay is 1,000–2,000 steps, not the paper's" in text


def test_grokking_reading_when_no_seed_generalised():
    table = milestones(censored=[True, True])
    assert grokking_reading(table, table.iloc[:0], plateau_rows([1.0, 1.0]).iloc[:0], after_rows().iloc[:0], 0.99,
                            500, cfg(max_steps=300)) == (
        "**No seed reached 99% validation accuracy within 300 steps** (expected under the smoke profile's tiny budget).")


# ------------------------------------------------------------------------------------------- 1.4 ablations

def test_ablation_header_says_whether_runs_are_shared_with_grokking():
    recipe_line = baseline_recipe(cfg(weight_decay=1.0))
    assert recipe_line.startswith("a / b (mod 97), AdamW (lr ") and recipe_line.endswith(" (baseline values)")
    shared = ablation_header("prof", [0, 1], "R", 21, 3)
    assert shared == ("**Produced by:** prof, seeds [0, 1].  \n**Recipe:** R.  \n21 distinct runs (the baseline value "
                      "is shared by both studies); 3 of them are section 1.3's runs (same config).")
    assert ablation_header("prof", [0], "R", 5, 0).endswith("so none is shared.")

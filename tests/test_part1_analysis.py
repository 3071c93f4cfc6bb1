"""The Part 1 tables and numbers the notebooks phrase: results per run, seed summaries, ablation studies."""
import math

import pandas as pd

from helpers.part1.ablations import distinct_configs, study_configs
from helpers.part1.tables import config_summary, final_results, grokked, rows_matching, seed_summary, verify_tasks
from helpers.report.display import pct, span


def _metrics(seed, accs, op="+", early=(0, 0, 3)):
    return pd.DataFrame([{"n_layer": 1, "op": op, "modulus": 7, "seed": seed, "step": 10 * i, "train_acc": a,
                          "test_acc": a, "val_acc": a, "train_loss": 1 - a, "test_loss": 1 - a,
                          "early_stop_count": early[i] if i < len(early) else 0} for i, a in enumerate(accs)])


def test_final_results_take_the_last_row_and_the_best_values():
    table = final_results(pd.concat([_metrics(0, [0.1, 0.995, 0.99]), _metrics(1, [0.1, 0.5, 0.4], early=(0, 0, 0))]), 3)
    first, second = table.iloc[0], table.iloc[1]
    assert first["test acc"] == 0.99 and first["best test acc"] == 0.995 and first.stopped == "early stop"
    assert second.stopped == "budget" and second.task == "a+b" and second.steps == 20
    # when test accuracy first reached 0.99 and how low it fell from there (never: NaN)
    assert (first["first step test ≥ 0.99"], first["lowest test acc after"]) == (10, 0.99)
    assert math.isnan(second["first step test ≥ 0.99"]) and math.isnan(second["lowest test acc after"])
    # the lowest training accuracy after training first reached 0.99, and its step (never fitted: NaN)
    assert (first["lowest train acc after fit"], first["step of lowest train acc"]) == (0.99, 20)
    assert math.isnan(second["lowest train acc after fit"]) and math.isnan(second["step of lowest train acc"])
    per_config = config_summary(table)
    assert per_config.loc[0, "test loss mean"] == table["test loss"].mean() and "steps std" in per_config


def test_seed_summary_separates_first_crossing_from_the_stop():
    runs = pd.concat([_metrics(0, [0.1, 0.995, 0.9, 0.999]), _metrics(1, [0.1, 0.2, 0.3, 0.4])])
    s = seed_summary(runs, [0, 1])
    assert s["first"][0] == 10 and math.isnan(s["first"][1]) and s["stop"] == [30, 30]
    assert len(rows_matching(runs, {"seed": 1, "op": "+"})) == 4


def test_after_grokking():
    from helpers.part1.tables import after_grokking

    metrics = pd.DataFrame({"seed": 0, "step": [0, 100, 200, 300, 400, 500],
                            "train_acc": [0, 1, 1, 0.3, 1, 1], "val_acc": [0, 0.1, 1, 0.2, 1, 0.995]})
    table = pd.DataFrame({"seed": [0], "t_val": [200.0], "censored": [False]})
    row = after_grokking(table, metrics).iloc[0]
    assert (row.steps_after, row.val_ok_share, row.collapses, row.val_min, row.train_at_val_min) == (300, 2 / 3, 1, 0.2, 0.3)


def test_verify_tasks_and_grokked():
    assert verify_tasks(["+", "/"], [7], 0.5, 0.25, 0).drop(columns=["task", "p"]).all().all()
    table = pd.DataFrame({"seed": [0, 1, 2], "val_acc_at_t_train": [0.05, 0.5, 0.05], "t_train": [100, 100, 100],
                          "t_val": [700, 900, 300]})
    assert grokked(table, hold=500).seed.tolist() == [0]  # seed 1 was not near chance, seed 2 waited < 500 steps


def test_ablation_studies_share_the_baseline_and_split_the_rest_evenly(tmp_path):
    base = dict(out_dir=str(tmp_path), section="abl", task="modular", op="/", modulus=7, train_frac=0.3, val_frac=0.35,
                weight_decay=1.0)
    a = {"field": "weight_decay", "values": [0.5, 1.0], "label": "wd"}
    b = {"field": "train_frac", "values": [0.3, 0.5], "label": "frac"}
    assert [c.val_frac for c in study_configs(base, [0], b)] == [0.35, 0.25]
    assert len(distinct_configs(base, [0, 1], [a, b])) == 6  # (wd 1.0, frac 0.3) is shared
    # a study that names its own seeds trains those; the shared baseline runs once per seed of either study
    b5 = b | {"seeds": [0, 1, 2, 3, 4]}
    assert sorted({c.seed for c in study_configs(base, [0, 1], b5)}) == [0, 1, 2, 3, 4]
    assert sorted({c.seed for c in study_configs(base, [0, 1], a)}) == [0, 1]
    assert len(distinct_configs(base, [0, 1], [a, b5])) == 4 + 10 - 2  # seeds 0 and 1 of (wd 1.0, frac 0.3) shared


def test_delay_trend_says_which_milestone_moved():
    from helpers.report.facts import AblationFacts
    from helpers.part3.synthesis import delay_trend

    rows = [{"weight_decay": 0.5, "runs": 3, "generalised": 2, "delta_t_mean": 4000.0, "t_train_mean": 400.0, "t_val_mean": 4400.0},
            {"weight_decay": 4.0, "runs": 3, "generalised": 1, "delta_t_mean": 10.0, "t_train_mean": 10.0, "t_val_mean": 20.0},
            {"weight_decay": 2.0, "runs": 3, "generalised": 3, "delta_t_mean": 1300.0, "t_train_mean": 1400.0, "t_val_mean": 2700.0}]
    facts = AblationFacts(recipe="r", budget=10_000, studies={"weight_decay": {"summary": rows}})
    text = delay_trend(facts, "weight_decay", "weight decay")
    # wd 4 has one generalised run only: the trend reads 0.5 -> 2; t_train moved 1000, t_val 1700: both
    assert text.startswith("weight decay 0.5 → 2 took the mean delay Δt from 4,000 to 1,300 steps")
    assert "t_train 400 → 1,400, t_val 4,400 → 2,700: through both milestones" in text
    assert "runs without Δt, not in these means: 1 of 3 at 0.5, 2 of 3 at 4" in text and "monotone" not in text
    bump = rows + [{"weight_decay": 1.0, "runs": 3, "generalised": 3, "delta_t_mean": 5000.0, "t_train_mean": 500.0,
                    "t_val_mean": 5500.0}]
    assert "not monotone in between: 1 gave 5,000" in delay_trend(AblationFacts("r", 1, {"weight_decay": {"summary": bump}}),
                                                                  "weight_decay", "weight decay")
    assert "too few" in delay_trend(AblationFacts("r", 1, {"weight_decay": {"summary": rows[:2]}}), "weight_decay", "wd")


def test_synthesis_phrases():
    assert pct(None) == "n/a" and pct(0.5) == "50%"
    assert span([None, 3.0, 1.0], " steps") == "1–3 steps" and span([None]) == "n/a" and span([2.0]) == "2"


def test_plateau_reads_the_norm_between_the_milestones_and_at_the_end():
    from helpers.part1.tables import plateau

    metrics = pd.DataFrame({"seed": 0, "step": [0, 100, 200, 300, 400, 500], "val_loss": [2.0, 1.5, 3.0, 2.5, 0.5, 0.1],
                            "param_norm": [20.0, 22.0, 30.0, 28.0, 27.0, 21.0]})
    table = pd.DataFrame({"seed": [0], "t_train": [100.0], "t_val": [400.0], "censored": [False]})
    row = plateau(table, metrics).iloc[0]
    assert (row.val_loss_min_before, row.val_loss_max_plateau) == (1.5, 3.0)
    assert (row.norm_at_t_train, row.norm_peak, row.norm_at_t_val, row.norm_end) == (22.0, 30.0, 27.0, 21.0)

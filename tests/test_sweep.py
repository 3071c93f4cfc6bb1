import math

import pandas as pd
import pytest

from helpers.part1.milestones import collapses, milestone_table, milestones, summarise_milestones
from helpers.gpt.sweep import grid, load_sweep, run_sweep


def test_grid_is_the_cartesian_product_with_readable_names(tiny_modular):
    base = tiny_modular().to_dict()
    configs = grid(base, seeds=[0, 1], weight_decay=[0.1, 1.0], op=["+", "/"])
    assert len(configs) == 8 and len({c.run_id for c in configs}) == 8
    assert configs[0].run_name == "run-weight_decay0.1-op+-s0"
    assert any(c.run_name == "run-weight_decay1-opdiv-s1" for c in configs)
    with pytest.raises(ValueError, match="grid axis 'lr'"):
        grid(base, lr=1e-3)


def test_sweep_reuses_finished_runs_and_returns_tidy_tables(tiny_modular):
    configs = grid(tiny_modular().to_dict(), seeds=[0, 1], weight_decay=[0.0, 1.0])
    first = run_sweep(configs[:2], progress=False)
    assert first.trained == 2
    both = run_sweep(configs, workers=2, progress=False)  # two processes for the two new runs
    assert both.trained == 2
    assert sorted(both.varied) == ["seed", "weight_decay"]
    assert len(both.summaries) == 4 and set(both.metrics["run_id"]) == {c.run_id for c in configs}
    again = run_sweep(configs, workers=2, progress=False)
    assert again.trained == 0
    pd.testing.assert_frame_equal(again.metrics, both.metrics)


def test_results_do_not_depend_on_the_number_of_workers(tiny_modular, tmp_path):
    """Two worker processes, three (more than this machine's cores) and the default (one per core) train the same
    three runs to the same curves and the same weights, bit for bit. One worker trains in the calling process,
    whose floating-point state other code may have touched: its curves agree to within rounding."""
    import torch

    from helpers.gpt.runs import finished_run_dir

    def configs(folder):
        return grid(tiny_modular(out_dir=str(tmp_path / folder)).to_dict(), seeds=[0, 1, 2])
    results = {name: run_sweep(configs(name), workers=workers, progress=False)
               for name, workers in [("two", 2), ("three", 3), ("default", None), ("one", 1)]}
    first = results["two"]
    for name in ("three", "default"):
        result = results[name]
        pd.testing.assert_frame_equal(first.metrics.drop(columns="wall_s"), result.metrics.drop(columns="wall_s"),
                                      check_exact=True)
        for a, b in zip(first.configs, result.configs):
            wa = torch.load(finished_run_dir(a) / "model.pt", weights_only=False)["model"]
            wb = torch.load(finished_run_dir(b) / "model.pt", weights_only=False)["model"]
            assert all(torch.equal(wa[k], wb[k]) for k in wa), f"{name}: {b.run_name} weights differ"
    pd.testing.assert_frame_equal(first.metrics.drop(columns="wall_s"), results["one"].metrics.drop(columns="wall_s"))


def test_workers_default_to_the_available_cores_and_are_checked(tiny_modular):
    from helpers.common.runtime import available_cores

    assert available_cores() >= 1
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="workers must be a whole number >= 1, or None"):
            run_sweep([tiny_modular()], workers=bad, progress=False)


def test_unfinished_run_is_named(tiny_modular):
    with pytest.raises(FileNotFoundError, match="has not finished"):
        load_sweep([tiny_modular(run_name="never")])


def test_duplicate_runs_are_rejected(tiny_modular):
    with pytest.raises(ValueError, match="same run more than once"):
        run_sweep([tiny_modular(), tiny_modular(progress=True)], progress=False)
    with pytest.raises(ValueError, match="same run more than once"):  # the same config under two names
        run_sweep([tiny_modular(run_name="a"), tiny_modular(run_name="b")], progress=False)


def test_a_finished_run_is_found_under_another_name(tiny_modular):
    first = run_sweep([tiny_modular(run_name="study_a")], progress=False)
    second = run_sweep([tiny_modular(run_name="study_b")], progress=False)
    assert second.trained == 0
    assert second.summaries.run_id.iloc[0] == first.summaries.run_id.iloc[0]


def _curve(train, val):
    return pd.DataFrame({"step": [0, 10, 20, 30, 40], "train_acc": train, "val_acc": val})


def test_milestones_and_censoring():
    m = milestones(_curve([0, 0.5, 1.0, 1.0, 1.0], [0, 0.01, 0.2, 0.995, 1.0]), hold=10)
    assert (m["t_train"], m["t_val"], m["delta_t"], m["val_acc_at_t_train"]) == (20, 30, 10, 0.2)
    assert not m["censored"]
    never = milestones(_curve([0, 1.0, 1.0, 1.0, 1.0], [0, 0.1, 0.2, 0.3, 0.4]), hold=10)
    assert never["censored"] and math.isnan(never["t_val"]) and never["last_step"] == 40


def test_summary_keeps_censored_runs_out_of_the_means():
    rows = []
    # t_val 20, t_val 30, and a run whose validation reaches 1 at its last evaluation only (window unobserved)
    for seed, val in enumerate([[0, 0, 1, 1, 1], [0, 0, 0.1, 1, 1], [0, 0, 0, 0, 1]]):
        rows.append(_curve([0, 1, 1, 1, 1], val).assign(seed=seed, run_id=f"r{seed}", wd=1.0))
    table = milestone_table(pd.concat(rows), ["wd"], hold=10)
    summary = summarise_milestones(table, ["wd"]).iloc[0]
    assert (summary["runs"], summary["generalised"]) == (3, 2)
    assert summary["t_val_mean"] == 25 and summary["censored_at"] == ">40"
    assert summary["delta_t_mean"] == 15


def test_collapses_counts_falls_after_reaching_high_accuracy():
    assert collapses(pd.Series([0.1, 0.5, 0.95, 0.99, 0.97, 1.0])) == 0  # wobbles near the top
    assert collapses(pd.Series([0.1, 0.5, 0.6, 0.2, 0.7])) == 0  # never reached 0.9
    assert collapses(pd.Series([0.2, 0.95, 0.4, 0.3, 0.92, 0.5, 1.0])) == 2  # fell twice, counted once each


def test_a_running_runs_progress_is_read_from_its_metrics(tiny_modular):
    from helpers.gpt.sweep import _last_step

    cfg = tiny_modular()
    assert _last_step(cfg) == 0  # nothing logged yet
    cfg.run_dir.mkdir(parents=True)
    (cfg.run_dir / "metrics.csv").write_text("step,lr\n0,0.001\n40,0.001\n80,0.0")  # last line still being written
    assert _last_step(cfg) == 80

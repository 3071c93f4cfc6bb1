"""The ensemble trainer: each member is the run the single-model trainer would write, whoever shares its ensemble."""
import pandas as pd
import pytest
import torch

from helpers.gpt.config import make_config
from helpers.gpt.ensemble import EnsembleGPT
from helpers.gpt.ensemble_train import check_members, train_ensemble
from helpers.gpt.runs import load_model, run_problem
from helpers.gpt.train import build_model, seed_everything, train

BASE = dict(task="modular", op="-", modulus=23, train_frac=0.5, val_frac=0.25, loss_mask="answer", n_layer=1,
            n_head=2, d_model=32, d_ff=64, weight_decay=1.0, batch_size=64, max_steps=40, eval_every=10,
            eval_log_points=4, progress=False, section="ens")


def configs(tmp_path, seeds, sub="a", **over):
    return [make_config(BASE | over, seed=s, out_dir=str(tmp_path / sub), run_name=f"r{s}") for s in seeds]


def same_run(a, b) -> None:
    cols = [c for c in a.metrics.columns if c != "wall_s"]
    pd.testing.assert_frame_equal(a.metrics[cols], b.metrics[cols], check_exact=True)
    for key, value in a.model.state_dict().items():
        assert torch.equal(value, b.model.state_dict()[key]), key


def test_forward_matches_the_single_model(tmp_path):
    cfg = configs(tmp_path, [0])[0]
    from helpers.gpt.data import build_splits, build_tokenizer
    tok = build_tokenizer(cfg)
    splits = build_splits(cfg, tok)
    models = []
    for seed in (0, 1):
        seed_everything(seed)
        models.append(build_model(cfg, tok, splits))
    ensemble = EnsembleGPT.from_models(models)
    idx = splits["train"].tokens[:8, :-1]
    with torch.no_grad():
        stacked = ensemble(idx.expand(2, *idx.shape))
        for e, model in enumerate(models):
            torch.testing.assert_close(stacked[e], model(idx), rtol=1e-5, atol=1e-5)


def test_a_member_does_not_depend_on_its_companions(tmp_path):
    together = train_ensemble(configs(tmp_path, [0, 1, 2], "together"))
    alone = train_ensemble(configs(tmp_path, [1], "alone"))
    same_run(together[1], alone[0])
    for result in together:
        assert run_problem(result.run_dir) is None and result.summary["ensemble"] == 3
        model, _, cfg = load_model(result.run_dir / "model.pt")
        assert cfg["seed"] == result.config.seed


def test_close_to_the_single_model_trainer(tmp_path):
    # not bit for bit (layer norm and broadcast gradients reduce in another order), but the same run
    ens = train_ensemble(configs(tmp_path, [0], "e"))[0]
    single = train(configs(tmp_path, [0], "s")[0])
    for col in ("train_loss", "val_loss", "param_norm"):
        torch.testing.assert_close(torch.tensor(ens.metrics[col].to_numpy()),
                                   torch.tensor(single.metrics[col].to_numpy()), rtol=1e-3, atol=1e-4)


def test_resumed_equals_uninterrupted_and_finished_runs_are_reused(tmp_path):
    cut = configs(tmp_path, [0, 1], "cut", ckpt_every=10)
    partial = train_ensemble(cut, stop_at=20)
    assert all(not r.summary for r in partial) and all((r.run_dir / "checkpoint.pt").is_file() for r in partial)
    resumed = train_ensemble(cut)
    straight = train_ensemble(configs(tmp_path, [0, 1], "straight", ckpt_every=10))
    for a, b in zip(resumed, straight):
        same_run(a, b)
    again = train_ensemble(cut)
    assert all(r.reused for r in again)


def test_the_single_trainer_resumes_an_ensemble_checkpoint(tmp_path):
    cfg = configs(tmp_path, [0], "x")
    train_ensemble(cfg, stop_at=20)
    finished = train(cfg[0])
    assert finished.summary["steps"] == 40 and run_problem(finished.run_dir) is None
    assert 20 in finished.metrics["step"].tolist()


def test_members_that_stop_early_leave_the_ensemble(tmp_path):
    # a low bar on training loss: the seeds cross it at different steps
    runs = train_ensemble(configs(tmp_path, [0, 1, 2], "early", max_steps=200, early_stop_on="train_loss",
                                  early_stop_threshold=2.5, early_stop_patience=1))
    alone = [train_ensemble(configs(tmp_path, [s], f"early{s}", max_steps=200, early_stop_on="train_loss",
                                    early_stop_threshold=2.5, early_stop_patience=1))[0] for s in (0, 1, 2)]
    assert all(r.summary["stop_reason"] == "early_stop" for r in runs)
    assert len({r.summary["steps"] for r in runs}) > 1  # they did leave at different steps
    for a, b in zip(runs, alone):
        same_run(a, b)


def test_bad_ensembles_are_refused(tmp_path):
    with pytest.raises(ValueError, match="'lr'"):
        check_members(configs(tmp_path, [0]) + configs(tmp_path, [1], lr=2e-3))
    with pytest.raises(ValueError, match="dropout"):
        check_members(configs(tmp_path, [0], dropout=0.1))
    with pytest.raises(ValueError, match="same run"):
        check_members(configs(tmp_path, [0, 0]))


def test_a_sweep_groups_seeds_into_ensembles(tmp_path):
    from helpers.gpt.sweep import ensemble_groups, run_sweep

    runs = configs(tmp_path, [0, 1, 2], "sweep", max_steps=20) + configs(tmp_path, [0], "sweep", max_steps=20, lr=2e-3)
    groups = ensemble_groups(runs, 2)
    assert [[c.seed for c in g] for g in groups] == [[0, 1], [2], [0]]
    assert [len(g) for g in ensemble_groups(runs, 1)] == [1, 1, 1, 1]
    sweep = run_sweep(runs, workers=1, progress=False, ensemble=2)
    # every run of an ensemble sweep is made by the ensemble trainer, a group of one too
    assert sweep.trained == 4 and sweep.summaries["ensemble"].tolist() == [2, 2, 1, 1]
    alone = train_ensemble(configs(tmp_path, [2], "alone2", max_steps=20))[0]
    assert sweep.metrics[sweep.metrics.run_id == runs[2].run_id]["train_loss"].tolist() == alone.metrics["train_loss"].tolist()


def test_members_follow_the_horizon_rule(tmp_path):
    from helpers.gpt.train import held_crossing
    runs = train_ensemble(configs(tmp_path, [0, 1], "hz", max_steps=300, early_stop_on="train_loss",
                                  early_stop_threshold=2.5, early_stop_hold=20, early_stop_horizon=40))
    for run in runs:
        crossing = held_crossing(run.metrics.to_dict("records"), run.config)
        assert run.summary["stop_reason"] == "early_stop" and run.summary["steps"] == crossing + 40

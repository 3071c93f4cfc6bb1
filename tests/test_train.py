import json
import os
import subprocess
import sys
from pathlib import Path

import math

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from helpers.gpt.config import load_config, make_config, parse_overrides
from helpers.gpt.data import build_splits, build_tokenizer
import helpers.gpt.train as train_module
from helpers.gpt.train import DeviceSplit, batch_indices, build_model, eval_steps, evaluate, lr_at, masked_loss, train
from helpers.gpt.early_stop import early_stop_due, held_crossing, passes

ROOT = Path(__file__).resolve().parents[1]


def _loss_with_target_changed(cfg, target_index):
    """Loss of a fresh model on 4 training sequences, with one target column replaced (inputs untouched)."""
    torch.manual_seed(0)
    tok = build_tokenizer(cfg)
    split = build_splits(cfg, tok)["train"]
    model = build_model(cfg, tok, {"train": split})
    inputs, targets = split.tokens[:4, :-1], split.tokens[:4, 1:].clone()
    if target_index is not None:
        targets[:, target_index] = (targets[:, target_index] + 1 - 3) % 7 + 3  # another residue token
    loss, _ = masked_loss(model, inputs, targets, split.target_mask[:4], tok.pad_id)
    return loss.item()


def test_answer_loss_ignores_masked_targets_and_sees_unmasked(tiny_modular):
    cfg = tiny_modular()
    base = _loss_with_target_changed(cfg, None)
    # targets of BOS a + b = c EOS are: a + b = c EOS; index 2 is b (masked), index 4 is c (the answer)
    assert _loss_with_target_changed(cfg, 2) == base
    assert _loss_with_target_changed(cfg, 0) == base
    assert _loss_with_target_changed(cfg, 4) != pytest.approx(base, abs=1e-6)


def test_all_tokens_loss_sees_every_target(tiny_modular):
    cfg = tiny_modular(loss_mask="all")
    base = _loss_with_target_changed(cfg, None)
    assert _loss_with_target_changed(cfg, 2) != pytest.approx(base, abs=1e-6)


def _model_and_split(cfg):
    torch.manual_seed(0)
    tok = build_tokenizer(cfg)
    splits = build_splits(cfg, tok)
    return build_model(cfg, tok, splits), splits, tok


@pytest.mark.parametrize("overrides, dense", [({"loss_mask": "answer"}, True), ({"loss_mask": "all"}, True),
                                               ({"task": "text", "loss_mask": "all", "texts": ["ab", "hello world"]}, False)])
def test_fast_loss_paths_match_the_plain_masked_loss(tiny_modular, overrides, dense):
    # DeviceSplit precomputes query positions, padding and density; the loss must equal the general path
    model, splits, tok = _model_and_split(tiny_modular(**overrides))
    split = DeviceSplit.from_split(splits["train"], tok.pad_id, torch.device("cpu"))
    assert split.dense == dense and split.has_pad == (not dense)
    plain_loss, plain_correct = masked_loss(model, split.inputs, split.targets, split.target_mask, tok.pad_id)
    fast_loss, fast_correct = split.loss(model, tok.pad_id)
    torch.testing.assert_close(fast_loss, plain_loss)
    assert torch.equal(fast_correct, plain_correct)
    # and the positions-only forward equals the full forward, masked afterwards
    logits = model(split.inputs, attention_mask=split.inputs != tok.pad_id)[split.target_mask]
    torch.testing.assert_close(fast_loss, torch.nn.functional.cross_entropy(logits, split.targets[split.target_mask]))


def test_chunked_evaluation_equals_one_pass(tiny_modular, monkeypatch):
    model, splits, tok = _model_and_split(tiny_modular(train_frac=0.6))
    split = DeviceSplit.from_split(splits["train"], tok.pad_id, torch.device("cpu"))
    one_pass = evaluate(model, split, tok.pad_id)
    monkeypatch.setattr(train_module, "EVAL_CHUNK", 5)  # 29 sequences in chunks of 5, the last one short
    chunked = evaluate(model, split, tok.pad_id)
    assert chunked[1] == one_pass[1]
    assert chunked[0] == pytest.approx(one_pass[0], rel=1e-6)
    loss, correct = split.loss(model, tok.pad_id)
    assert one_pass[0] == pytest.approx(loss.item(), rel=1e-6)
    assert one_pass[1] == correct.view(len(split), -1).all(dim=1).float().mean().item()


def test_seed_determinism(tiny_modular, tmp_path):
    a = train(tiny_modular(run_name="a"))
    # a separate folder: the same config in the same folder would be reused, not retrained
    b = train(tiny_modular(run_name="b", out_dir=str(tmp_path / "again")))
    assert not b.reused and a.run_dir != b.run_dir
    pd.testing.assert_frame_equal(a.metrics.drop(columns="wall_s"), b.metrics.drop(columns="wall_s"))
    c = train(tiny_modular(run_name="c", seed=1))
    assert not a.metrics["train_loss"].equals(c.metrics["train_loss"])


def test_resume_gives_the_same_final_weights(tiny_modular, tmp_path):
    cfg = tiny_modular(run_name="split", dropout=0.1)  # dropout: the RNG state must be restored too
    # the uninterrupted twin lives in another folder, or the split run would simply reuse it
    cfg_whole = tiny_modular(run_name="whole_d", dropout=0.1, out_dir=str(tmp_path / "whole"))
    whole = train(cfg_whole)
    part = train(cfg, stop_at=4)
    assert not (part.run_dir / "summary.json").exists() and part.metrics["step"].max() == 4
    resumed = train(cfg)
    assert not resumed.reused
    for key, value in whole.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[key], value, rtol=0, atol=0)
    pd.testing.assert_frame_equal(resumed.metrics.drop(columns="wall_s"), whole.metrics.drop(columns="wall_s"))
    on_disk = pd.read_csv(resumed.run_dir / "metrics.csv")
    assert on_disk["step"].tolist() == whole.metrics["step"].tolist()  # no duplicated rows after resume


def test_finished_run_is_reused(tiny_modular):
    first = train(tiny_modular())
    again = train(tiny_modular(progress=True))  # cosmetic change: same run
    assert again.reused and again.run_dir == first.run_dir
    assert again.summary == json.loads((first.run_dir / "summary.json").read_text())
    assert train(tiny_modular(lr=2e-3)).run_dir != first.run_dir


def test_early_stop_is_recorded(tmp_path):
    cfg = make_config(out_dir=str(tmp_path), max_steps=400, eval_every=10, progress=False,
                      early_stop_on="train_loss", early_stop_threshold=1e-2, early_stop_patience=2)
    result = train(cfg)
    assert result.summary["stop_reason"] == "early_stop"
    assert result.summary["steps"] < 400
    assert result.metrics["early_stop_count"].iloc[-1] == 2
    assert (result.metrics["train_loss"].iloc[-2:] <= 1e-2).all()


def test_lr_schedule_and_eval_steps():
    cfg = make_config(lr=1e-3, warmup_steps=10, lr_schedule="cosine", min_lr_frac=0.1, max_steps=110)
    assert lr_at(0, cfg) == pytest.approx(1e-4) and lr_at(9, cfg) == pytest.approx(1e-3)
    assert lr_at(110, cfg) == pytest.approx(1e-4)
    assert lr_at(60, cfg) == pytest.approx(0.55e-3)
    steps = eval_steps(make_config(max_steps=1000, eval_every=250, eval_log_points=4))
    assert steps == {0, 1, 10, 100, 250, 500, 750, 1000}


def test_batches_cover_each_epoch_once():
    seen = torch.cat([batch_indices(s, 10, 4, seed=0) for s in range(3)])  # epoch of 3 batches: 4+4+2
    assert sorted(seen.tolist()) == list(range(10))
    assert torch.equal(batch_indices(5, 10, 4, seed=0), batch_indices(5, 10, 4, seed=0))


@pytest.mark.parametrize("overrides, message", [
    ({"lossmask": "all"}, "config: unknown key.*'lossmask'.*allowed: .*loss_mask"),
    ({"loss_mask": "tail"}, "'loss_mask'.*'tail'.*all, answer, skip_first"),
    ({"n_layer": 0}, "'n_layer'.*>= 1"),
    ({"lr": "fast"}, "'lr'.*a finite number"),
    ({"n_head": 3}, "'n_head'.*divisor of d_model=128"),
    ({"train_frac": 0.9, "val_frac": 0.2}, "'val_frac'.*\\[0, 0.1\\]"),
    ({"task": "text", "loss_mask": "answer"}, "'loss_mask'.*task 'text'"),
    ({"progress": "yes"}, "'progress'.*true or false"),
])
def test_config_validation_names_key_and_allowed_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_config(**overrides)


def test_overrides_and_yaml_loading(tmp_path):
    assert parse_overrides(["lr=1e-3", "op=-", "texts=[ab, cd]", "bias=false"]) == \
        {"lr": 1e-3, "op": "-", "texts": ["ab", "cd"], "bias": False}
    path = tmp_path / "nb.yaml"
    path.write_text("train:\n  max_steps: 7\n  op: /\nother_notebook_param: 3\n")
    cfg = load_config(path, ["lr=0.01"])
    assert (cfg.max_steps, cfg.op, cfg.lr) == (7, "/", 0.01)


def test_cli_train_then_inference(tmp_path):
    env_python = sys.executable
    run = subprocess.run([env_python, "-m", "helpers.gpt.train", f"out_dir={tmp_path}", "max_steps=250",
                          "eval_every=50", "progress=false", "texts=[hello world]"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    run_dir = Path(run.stdout.splitlines()[0].split()[-1])
    assert (run_dir / "config.yaml").is_file() and (run_dir / "metrics.csv").is_file()
    out = subprocess.run([env_python, "-m", "helpers.gpt.inference", "--ckpt", str(run_dir / "model.pt"),
                          "--prompt", "", "--prompt", "hel"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["hello world", "hello world"]
    bad = subprocess.run([env_python, "-m", "helpers.gpt.inference", "--ckpt", str(tmp_path / "nope.pt"), "--prompt", "x"],
                         cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "nope.pt" in bad.stderr and "does not exist" in bad.stderr


def test_publish_checkpoint_and_cli_helper(tiny_modular, tmp_path):
    from helpers.gpt.runs import publish_checkpoint
    from helpers.part1.prose import recipe
    from helpers.part1.tables import run_cli

    result = train(tiny_modular())
    ckpt = publish_checkpoint(result.config, "tiny.pt", tmp_path / "ckpts")
    assert ckpt.read_bytes() == (result.run_dir / "model.pt").read_bytes()
    shown, output = run_cli(ckpt, ["1+2="], ROOT)
    assert shown.endswith("--prompt '1+2='") and output.startswith("1+2=")
    assert "AdamW (lr 0.001, weight decay 0.1" in recipe(result.config)


def test_raising_the_budget_continues_the_shorter_run(tiny_modular):
    short = train(tiny_modular(max_steps=8, ckpt_every=4))
    longer = train(tiny_modular(max_steps=12, ckpt_every=4))
    assert longer.run_dir != short.run_dir
    assert longer.metrics["step"].iloc[0] == 0 and 8 in longer.metrics["step"].tolist()
    fresh = train(tiny_modular(max_steps=12, ckpt_every=4, out_dir=str(short.run_dir.parents[1] / "fresh")))
    for key, value in fresh.model.state_dict().items():  # same weights as a run that had 12 steps from the start
        torch.testing.assert_close(longer.model.state_dict()[key], value, rtol=0, atol=0)


def test_a_budget_is_not_extended_under_a_cosine_schedule(tiny_modular):
    from helpers.gpt.runs import find_extendable

    train(tiny_modular(max_steps=8, lr_schedule="cosine"))
    assert find_extendable(tiny_modular(max_steps=12, lr_schedule="cosine")) is None
    assert find_extendable(tiny_modular(max_steps=12, lr_schedule="cosine", lr=2e-3)) is None


def test_an_early_stopped_run_extended_stays_stopped(tmp_path):
    base = dict(out_dir=str(tmp_path), eval_every=10, progress=False, early_stop_on="train_loss",
                early_stop_threshold=1e-2, early_stop_patience=2)
    first = train(make_config(base, max_steps=400))
    extended = train(make_config(base, max_steps=800))
    assert first.summary["stop_reason"] == extended.summary["stop_reason"] == "early_stop"
    assert extended.summary["steps"] == first.summary["steps"]



def test_raising_the_patience_continues_an_early_stopped_run(tmp_path):
    base = dict(out_dir=str(tmp_path), eval_every=10, progress=False, early_stop_on="train_loss",
                early_stop_threshold=1e-2, max_steps=400)
    first = train(make_config(base, early_stop_patience=2))
    longer = train(make_config(base, early_stop_patience=5))
    fresh = train(make_config(base, early_stop_patience=5, out_dir=str(tmp_path / "fresh")))
    assert longer.run_dir != first.run_dir
    assert longer.summary["steps"] == fresh.summary["steps"] > first.summary["steps"]  # 3 more evaluations
    cols = ["step", "train_loss", "train_acc", "early_stop_count"]
    pd.testing.assert_frame_equal(longer.metrics[cols], fresh.metrics[cols])
    for key, value in fresh.model.state_dict().items():
        torch.testing.assert_close(longer.model.state_dict()[key], value, rtol=0, atol=0)

_ALLOC_CYCLES = """
import ctypes, ctypes.util, resource, sys, torch
from helpers.common.runtime import M_MMAP_THRESHOLD, M_TRIM_THRESHOLD, keep_freed_memory
# start from glibc's static defaults (128 KiB mmap and trim thresholds) whatever the environment set, so that
# freed activations go back to the OS; then, in "keep" mode, apply keep_freed_memory on top
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024), libc.mallopt(M_TRIM_THRESHOLD, 128 * 1024)
applied = keep_freed_memory() if sys.argv[1] == "keep" else False
def cycle():  # a training step's pattern: several few-MB activations allocated, then all freed
    tensors = [torch.ones(n * 262144) for n in (1, 2, 4, 8, 3, 6)]
    del tensors
for _ in range(3):
    cycle()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    cycle()
print(applied, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="keep_freed_memory only acts on glibc Linux")
def test_keep_freed_memory_stops_page_faults_on_reused_activations():
    """With small thresholds glibc returns freed activations to the OS and faults them in again next step;
    keep_freed_memory must stop that."""
    # vLLM's CPU backend adds libraries to LD_PRELOAD once an engine starts (earlier tests start one): libgomp,
    # and tcmalloc where its wheel bundles it, which would replace glibc's allocator. Measure glibc's.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

    def faults(mode: str) -> tuple[str, float]:
        out = subprocess.run([sys.executable, "-c", _ALLOC_CYCLES, mode], capture_output=True, text=True, check=True,
                             cwd=ROOT, env=env).stdout.split()
        return out[0], float(out[1])
    applied, kept = faults("keep")
    if applied != "True":
        pytest.skip("not glibc")
    _, returned = faults("default")
    assert kept < 100 < returned, (kept, returned)


def _rows(steps, val_accs):
    return [{"step": s, "val_acc": v, "train_loss": 1.0, "early_stop_count": 0} for s, v in zip(steps, val_accs)]


def _crossing(rows, cfg):
    """The trainer's held crossing over logged rows (as early_stop_due computes it)."""
    return held_crossing([r["step"] for r in rows], [passes(r, cfg) for r in rows], cfg.early_stop_hold)


def test_held_crossing_matches_the_milestone_once_the_hold_is_covered():
    from helpers.part1.milestones import held_step
    cfg = make_config(task="modular", early_stop_on="val_acc", early_stop_hold=20, early_stop_horizon=40)
    steps = list(range(0, 200, 10))
    rng = np.random.default_rng(0)
    for _ in range(200):  # random pass/fail patterns: a transient streak shorter than the hold never counts
        accs = rng.choice([0.5, 1.0], size=len(steps), p=[0.4, 0.6]).tolist()
        rows = _rows(steps, accs)
        expected = held_step(pd.DataFrame(rows), "val_acc", 0.99, 20)
        for n in range(1, len(rows) + 1):  # online, as the log grows: known exactly when its window is covered
            got = _crossing(rows[:n], cfg)
            if not math.isnan(expected) and rows[n - 1]["step"] >= expected + 20:
                assert got == expected
            elif got is not None:  # found earlier only if the milestone's window (cut at the end) agrees
                assert got == held_step(pd.DataFrame(rows[:n]), "val_acc", 0.99, 20)


def test_horizon_rule_stops_a_fixed_number_of_steps_past_the_crossing_and_ignores_later_dips():
    cfg = make_config(task="modular", early_stop_on="val_acc", early_stop_hold=20, early_stop_horizon=50)
    #          0    10   20   30   40   50   60   70   80   90
    accs = [0.0, 0.0, 1.0, 0.5, 1.0, 1.0, 1.0, 0.2, 1.0, 1.0]  # streak at 20 breaks; 40..60 holds; dip at 70
    rows = _rows(range(0, 100, 10), accs)
    assert _crossing(rows[:6], cfg) is None  # 40..50 covers only 10 of the 20 steps
    assert _crossing(rows[:7], cfg) == 40
    assert [early_stop_due(rows[:n], cfg) for n in range(1, 11)] == [False] * 9 + [True]  # at 90 = 40 + 50
    with pytest.raises(ValueError, match="early_stop_horizon"):
        make_config(early_stop_hold=20, early_stop_horizon=10)
    with pytest.raises(ValueError, match="early_stop_horizon"):
        make_config(early_stop_horizon=10)


def test_the_new_stop_fields_leave_stored_run_ids_alone():
    # a committed run folder whose config.yaml was written before early_stop_hold/horizon existed keeps its id
    stored = next(f for f in sorted((Path(__file__).parents[1] / "outputs" / "warmup").glob("*/config.yaml"))
                  if "early_stop_hold" not in yaml.safe_load(f.read_text()))
    old = yaml.safe_load(stored.read_text())
    cfg = make_config(old)
    assert stored.parent.name == cfg.run_id
    assert make_config(cfg.to_dict(), early_stop_hold=5, early_stop_horizon=5).config_hash() != cfg.config_hash()


def test_a_horizon_run_trains_to_the_horizon_and_a_longer_horizon_continues_it(tmp_path):
    base = dict(out_dir=str(tmp_path), eval_every=10, eval_log_points=1, progress=False, early_stop_on="train_loss",
                early_stop_threshold=1e-2, early_stop_hold=20, max_steps=600)
    first = train(make_config(base, early_stop_horizon=30))
    crossing = _crossing(first.metrics.to_dict("records"), first.config)
    assert first.summary["stop_reason"] == "early_stop" and first.summary["steps"] == crossing + 30
    longer = train(make_config(base, early_stop_horizon=60))
    fresh = train(make_config(base, early_stop_horizon=60, out_dir=str(tmp_path / "fresh")))
    assert longer.summary["steps"] == fresh.summary["steps"] == crossing + 60
    for key, value in fresh.model.state_dict().items():
        torch.testing.assert_close(longer.model.state_dict()[key], value, rtol=0, atol=0)


def test_a_window_between_sparse_evaluations_holds_when_every_evaluation_inside_it_passed():
    """The printed rule: every evaluation in [t, t + hold] passed. An evaluation that fails after the window closes
    does not undo it; the crossing is known once an evaluation reaches past the window (or, open_end, at the end)."""
    steps, ok = [0, 100, 700], [False, True, False]
    assert held_crossing(steps[:2], ok[:2], 500) is None
    assert held_crossing(steps, ok, 500) == 100
    assert held_crossing(steps[:2], ok[:2], 500, open_end=True) == 100
    assert held_crossing([0, 100, 400], [True, True, False], 500) is None  # the streak broke inside its window

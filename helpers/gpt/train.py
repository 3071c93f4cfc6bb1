"""Train a GPT on a TrainConfig; resumable, seeded, logged to outputs/<section>/<run_id>/.

    python -m helpers.gpt.train --config params/quick/00_sanity.yaml max_steps=300 lr=3e-3

Run directory contents (one process at a time: a lock file <section>/.<run_id>.lock, see run_lock):
    config.yaml      the full config (written when training starts, after the resume checks)
    metrics.csv      one row per evaluation: step, lr, train/val/test loss and exact-match accuracy, ...
    checkpoint.pt    model + optimizer + step + RNG states + metrics so far (written atomically)
    model.pt         final weights, model config and tokenizer spec, for inference
    summary.json     written last: with the files above complete and agreeing (helpers.gpt.runs.run_problem) it marks a
                     finished run, which is then reused, not redone; an incomplete one is repaired from its
                     checkpoint or retrained, with a message. --force moves the old folder to
                     <section>/.replaced/<time>-<pid>/ before training again.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
import yaml
from tqdm.auto import tqdm

from ..common.io import write_atomic
from ..common.lifecycle import reuse_or_train
from ..common.runtime import keep_freed_memory, seed_everything, show_progress
from ..common.schedule import warmup_cosine
from .checkpoint import RunState, finish_run
from .config import TrainConfig, check_resources, load_config
from .data import Split, build_splits, build_tokenizer
from .early_stop import early_stop_due, passes
from .model import GPT, GPTConfig
from .runs import (METRIC_COLUMNS, RunResult, find_extendable, finished_run_dir, incomplete_reason,
                   read_finished)
from .tokenizer import Tokenizer


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("config key 'device' is 'cuda' but no CUDA device is available; use 'cpu' or 'auto'")
    return torch.device(name)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warmup over `warmup_steps`, then constant or cosine decay to min_lr_frac·lr at max_steps."""
    return warmup_cosine(step, cfg.lr, cfg.warmup_steps, cfg.max_steps, cfg.min_lr_frac,
                         decay=cfg.lr_schedule == "cosine")


def eval_steps(cfg: TrainConfig) -> set[int]:
    """Steps at which to evaluate: 0, every `eval_every`, `eval_log_points` log-spaced ones, and the last."""
    steps = {0, cfg.max_steps}
    if cfg.eval_every:
        steps |= set(range(0, cfg.max_steps + 1, cfg.eval_every))
    steps |= {int(round(s)) for s in np.geomspace(1, cfg.max_steps, cfg.eval_log_points)}
    return steps


def batch_indices(step: int, n: int, batch_size: int, seed: int) -> torch.Tensor:
    """Indices of the minibatch at `step`: shuffled epochs without replacement.

    A pure function of (step, seed), so a resumed run draws exactly the batches it would have drawn.
    """
    batch_size = min(batch_size, n)
    per_epoch = math.ceil(n / batch_size)
    epoch, k = divmod(step, per_epoch)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))
    return perm[k * batch_size : (k + 1) * batch_size]


def make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The config's optimiser over `params` (a model's parameters)."""
    # Weight decay applies to every parameter, as in the grokking papers' AdamW (not only to matrices).
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps,
               weight_decay=cfg.weight_decay)


def masked_loss(model: GPT, inputs: torch.Tensor, targets: torch.Tensor, target_mask: torch.Tensor,
                pad_id: int, query_pos: torch.Tensor | None = None, has_pad: bool | None = None,
                dense: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy over the targets where `target_mask` is True, and the (N_masked,) bool vector of
    correct argmax predictions there.

    The model's last block and output layer run only at `query_pos`, the columns where some sequence has a
    target (computed here if not given). `has_pad`: whether `inputs` may hold PAD tokens (checked here if
    not given). `dense`: every sequence has a target at every query position, so no boolean selection is
    needed. Callers that know pass all three, so a training step needs no host-device synchronisation.
    """
    if query_pos is None:
        query_pos = target_mask.any(dim=0).nonzero().squeeze(1)
    if has_pad is None:
        has_pad = bool((inputs == pad_id).any())
    logits = model(inputs, attention_mask=inputs != pad_id if has_pad else None, query_pos=query_pos)
    wanted = targets[:, query_pos]
    if dense:
        logits, wanted = logits.flatten(0, 1), wanted.flatten()
    else:
        keep = target_mask[:, query_pos]
        logits, wanted = logits[keep], wanted[keep]
    return F.cross_entropy(logits, wanted), logits.argmax(dim=-1) == wanted


@dataclass
class DeviceSplit:
    """A split's tensors on the training device, with what every batch of it shares, computed once."""
    inputs: torch.Tensor  # (N, L-1) tokens[:, :-1]
    targets: torch.Tensor  # (N, L-1) tokens[:, 1:]
    target_mask: torch.Tensor  # (N, L-1) bool
    query_pos: torch.Tensor  # columns where some sequence has a target
    has_pad: bool
    dense: bool  # every sequence has a target at every query position (the modular tasks)

    @classmethod
    def from_split(cls, split: Split, pad_id: int, device: torch.device) -> "DeviceSplit":
        tokens, mask = split.tokens.to(device), split.target_mask.to(device)
        query_pos = mask.any(dim=0).nonzero().squeeze(1)
        return cls(tokens[:, :-1], tokens[:, 1:], mask, query_pos, bool((tokens[:, :-1] == pad_id).any()),
                   bool(mask[:, query_pos].all()))

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def loss(self, model: GPT, pad_id: int, rows: torch.Tensor | slice = slice(None)):
        """masked_loss on the sequences `rows` of this split."""
        return masked_loss(model, self.inputs[rows], self.targets[rows], self.target_mask[rows], pad_id,
                           self.query_pos, self.has_pad, self.dense)


# Evaluation runs in chunks of this many sequences, so its memory stays bounded whatever the split's size
# (one pass over the largest split in one batch would hold ~100 MB of activations); measured on this CPU,
# chunks of 512 to 10000 take the same time.
EVAL_CHUNK = 1024


@torch.no_grad()
def evaluate(model: GPT, split: DeviceSplit, pad_id: int) -> tuple[float, float]:
    """(loss, exact-match accuracy) on a whole split. A sequence counts as correct only if every target in
    its mask is predicted right (teacher forcing, argmax). An empty split gives (nan, nan)."""
    if len(split) == 0 or not bool(split.target_mask.any()):
        return float("nan"), float("nan")
    was_training = model.training
    model.eval()
    loss_sum, n_targets, n_correct_seqs = 0.0, 0, 0
    for start in range(0, len(split), EVAL_CHUNK):
        rows = slice(start, start + EVAL_CHUNK)
        loss, correct = split.loss(model, pad_id, rows)
        mask = split.target_mask[rows]
        seq_of_target = mask.nonzero()[:, 0]
        wrong_per_seq = torch.zeros(mask.shape[0], device=mask.device).index_add_(0, seq_of_target,
                                                                                 (~correct).float())
        loss_sum += loss.item() * correct.numel()
        n_targets += correct.numel()
        n_correct_seqs += int((wrong_per_seq == 0).sum())
    model.train(was_training)
    return loss_sum / n_targets, n_correct_seqs / len(split)


def train_step(model: GPT, optimizer: torch.optim.Optimizer, split: DeviceSplit, rows: torch.Tensor,
               pad_id: int, lr: float, grad_clip: float) -> torch.Tensor:
    """One optimiser step on the sequences `rows` of `split`; returns the batch loss (a tensor, so that
    nothing waits for the device here)."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    loss, _ = split.loss(model, pad_id, rows)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss.detach()


def param_norm(model: torch.nn.Module) -> float:
    return torch.sqrt(sum((p.detach().float() ** 2).sum() for p in model.parameters())).item()


def build_model(cfg: TrainConfig, tok: Tokenizer, splits: dict[str, Split]) -> GPT:
    block_size = max(s.tokens.shape[1] for s in splits.values()) - 1
    gpt_cfg = GPTConfig(vocab_size=tok.vocab_size, block_size=block_size, n_layer=cfg.n_layer,
                        n_head=cfg.n_head, d_model=cfg.d_model, d_ff=cfg.d_ff, dropout=cfg.dropout, bias=cfg.bias)
    return GPT(gpt_cfg)


def train(cfg: TrainConfig, stop_at: int | None = None, force: bool = False) -> RunResult:
    """Train (or resume, or reuse) the run described by `cfg`.

    stop_at: stop after this many steps as if interrupted (checkpoint written, no summary); used by the
    resume tests and demos. force: retrain even if a finished run exists (the old folder is moved aside).
    """
    if force or stop_at is not None or finished_run_dir(cfg) is None:
        check_resources(cfg)  # before the lock and config.yaml are written
    return reuse_or_train(cfg.run_dir, lambda: read_finished(cfg), lambda: incomplete_reason(cfg.run_dir),
                          lambda: _train_locked(cfg, stop_at, extend=not force), cfg.threads,
                          reuse=stop_at is None, force=force)


def _train_locked(cfg: TrainConfig, stop_at: int | None, extend: bool) -> RunResult:
    """The training loop, under the run's lock: resume from the checkpoint (or continue a shorter run), evaluate
    on the schedule, stop early or at the budget, checkpoint, and write the final files."""
    device = resolve_device(cfg.device)
    run_dir = cfg.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path, csv_path = run_dir / "checkpoint.pt", run_dir / "metrics.csv"

    seed_everything(cfg.seed)
    tok = build_tokenizer(cfg)
    splits = build_splits(cfg, tok)
    model = build_model(cfg, tok, splits).to(device)
    state = RunState(model, make_optimizer(model.parameters(), cfg))
    device_splits = {name: DeviceSplit.from_split(split, tok.pad_id, device) for name, split in splits.items()}
    train_split = device_splits["train"]

    if extend and not ckpt_path.is_file() and (shorter := find_extendable(cfg)) is not None:
        write_atomic(ckpt_path, (shorter / "checkpoint.pt").read_bytes())  # continue the shorter run (see find_extendable)
    if ckpt_path.is_file():
        state.restore(ckpt_path, cfg, device)
    write_atomic(run_dir / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    # drop rows past the checkpoint (an interrupted run's last evaluations are redone, identically)
    write_atomic(csv_path, pd.DataFrame(state.metrics, columns=METRIC_COLUMNS).to_csv(index=False))

    schedule = eval_steps(cfg)
    start_time = time.perf_counter()
    wall = lambda: state.wall_before + time.perf_counter() - start_time  # noqa: E731
    stopped_early = early_stop_due(state.metrics, cfg)  # already met: an early-stopped run whose budget was raised
    seconds = {"eval": 0.0, "checkpoint": 0.0}  # time outside the optimiser steps, for the summary
    model.train()
    bar = tqdm(total=cfg.max_steps, initial=state.step, disable=not show_progress(cfg.progress), desc=cfg.run_id,
               leave=False)
    while not stopped_early:
        step = state.step
        if step in schedule and (not state.metrics or state.metrics[-1]["step"] != step):
            eval_start = time.perf_counter()
            row = log_metrics(model, device_splits, tok.pad_id, step, lr_at(step, cfg),
                              float("nan") if state.batch_loss is None else float(state.batch_loss), wall())
            state.early_count = state.early_count + 1 if passes(row, cfg) else 0
            row["early_stop_count"] = state.early_count
            state.metrics.append(row)
            with csv_path.open("a") as fh:
                pd.DataFrame([row], columns=METRIC_COLUMNS).to_csv(fh, header=False, index=False)
            bar.set_postfix(train_loss=f"{row['train_loss']:.3g}", train_acc=f"{row['train_acc']:.2f}",
                            val_acc=f"{row['val_acc']:.2f}")
            seconds["eval"] += time.perf_counter() - eval_start
            if early_stop_due(state.metrics, cfg):
                stopped_early = True
                break
        if step >= cfg.max_steps:
            break
        if stop_at is not None and step >= stop_at:
            state.save(ckpt_path, cfg, tok, wall())
            bar.close()
            return RunResult(run_dir, cfg, pd.DataFrame(state.metrics, columns=METRIC_COLUMNS), {}, model, tok, False)

        rows = batch_indices(step, len(train_split), cfg.batch_size, cfg.seed).to(device)
        state.batch_loss = train_step(model, state.optimizer, train_split, rows, tok.pad_id, lr_at(step, cfg),
                                      cfg.grad_clip)
        state.step += 1
        bar.update(1)
        if cfg.ckpt_every and state.step % cfg.ckpt_every == 0 and state.step < cfg.max_steps:
            ckpt_start = time.perf_counter()
            state.save(ckpt_path, cfg, tok, wall())
            seconds["checkpoint"] += time.perf_counter() - ckpt_start
    bar.close()

    state.save(ckpt_path, cfg, tok, wall())
    seconds["session"] = time.perf_counter() - start_time
    summary = finish_run(cfg, state, tok, stopped_early, wall(), seconds, device)
    return RunResult(run_dir, cfg, pd.DataFrame(state.metrics, columns=METRIC_COLUMNS), summary, model, tok, False)


def log_metrics(model: GPT, splits: dict[str, DeviceSplit], pad_id: int, step: int, lr: float,
                batch_loss: float, wall_s: float) -> dict[str, Any]:
    row: dict[str, Any] = {"step": step, "lr": lr, "batch_loss": batch_loss}
    for name in ("train", "val", "test"):
        loss, acc = evaluate(model, splits[name], pad_id) if name in splits else (float("nan"),) * 2
        row[f"{name}_loss"], row[f"{name}_acc"] = loss, acc
    row["param_norm"] = param_norm(model)
    row["wall_s"] = wall_s
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.gpt.train", description="Train a small GPT from a YAML config plus key=value overrides.")
    parser.add_argument("--config", help="YAML file: a flat config, or a notebook parameter file with a `train` mapping")
    parser.add_argument("--force", action="store_true", help="retrain even if a finished run with this config exists")
    parser.add_argument("overrides", nargs="*", help="key=value pairs, e.g. lr=3e-4 n_layer=2")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config, args.overrides)
    except ValueError as err:
        parser.error(str(err))
    keep_freed_memory()
    result = train(cfg, force=args.force)
    print(("reused finished run " if result.reused else "finished run ") + str(result.run_dir))
    print(json.dumps(result.summary, indent=2))


if __name__ == "__main__":
    main()

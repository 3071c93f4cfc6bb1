"""Train a GPT on a TrainConfig; resumable, seeded, logged to outputs/<section>/<run_id>/.

    python -m helpers.gpt.train --config params/quick/00_sanity.yaml max_steps=300 lr=3e-3

Run directory contents (one process at a time: a lock file <section>/.<run_id>.lock, see run_lock):
    config.yaml      the full config (written first)
    metrics.csv      one row per evaluation: step, lr, train/val/test loss and exact-match accuracy, ...
    checkpoint.pt    model + optimizer + step + RNG states + metrics so far (written atomically)
    model.pt         final weights, model config and tokenizer spec, for inference
    summary.json     written last: with the files above complete and agreeing (runs.run_problem) it marks a
                     finished run, which is then reused, not redone; an incomplete one is repaired from its
                     checkpoint or retrained, with a message. --force moves the old folder to
                     <section>/.replaced/<time>-<pid>/ before training again.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
import yaml
from tqdm.auto import tqdm

from .config import ADDED_LATER, COSMETIC, RUNTIME, TrainConfig, load_config
from .data import Split, build_splits, build_tokenizer
from .model import GPT, GPTConfig
from ..common import bars_disabled, run_lock, torch_threads, write_atomic
from .runs import METRIC_COLUMNS, finished_run_dir, load_model, read_state, run_problem, save_atomic
from .tokenizer import Tokenizer



@dataclass
class RunResult:
    run_dir: Path
    config: TrainConfig
    metrics: pd.DataFrame
    summary: dict[str, Any]
    model: GPT
    tokenizer: Tokenizer
    reused: bool  # True if a finished run with this config was found and nothing was trained


# ---------------------------------------------------------------------------------------------- helpers

def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory for reuse instead of returning it to the OS.

    A CPU training step allocates and frees activations of a few MB each; by default glibc can serve those
    with fresh mmap pages and unmap them on free (or trim its heap), so every step page-faults its
    activations in again (~300-800 faults per step here, ~10 after this). Keeping them measured ~6% more
    steps/s on this CPU (5 interleaved process pairs, 0.95-1.16x) and changes no number: only where the
    memory comes from. Returns whether it applied (glibc only; elsewhere a no-op)."""
    import ctypes
    import ctypes.util
    import platform
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    return bool(libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)) and bool(libc.mallopt(M_TRIM_THRESHOLD, 1 << 30))


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("config key 'device' is 'cuda' but no CUDA device is available; use 'cpu' or 'auto'")
    return torch.device(name)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warmup over `warmup_steps`, then constant or cosine decay to min_lr_frac·lr at max_steps."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if cfg.lr_schedule == "constant":
        return cfg.lr
    progress = (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return cfg.lr * (cfg.min_lr_frac + (1 - cfg.min_lr_frac) * cosine)


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
    """The config's optimiser over `params` (a model's parameters, or an ensemble's stacked ones)."""
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


# ---------------------------------------------------------------------------------------------- checkpoints

def current_rng() -> dict[str, Any]:
    """This process's RNG states, as a checkpoint stores them."""
    return {"torch": torch.get_rng_state(), "python": random.getstate(),
            "numpy": [v.tolist() if isinstance(v, np.ndarray) else v for v in np.random.get_state()]}


def save_checkpoint(path: Path, model_state: dict[str, torch.Tensor], model_cfg: GPTConfig,
                    optimizer_state: dict[str, Any], step: int, cfg: TrainConfig, tok: Tokenizer, metrics: list[dict],
                    extra: dict[str, Any], rng: dict[str, Any] | None = None) -> None:
    """One resumable checkpoint (both trainers write this format, so either can resume the other's)."""
    state = {
        "model": model_state, "optimizer": optimizer_state, "step": step,
        "config": cfg.to_dict(), "model_config": asdict(model_cfg), "tokenizer": tok.spec(),
        "metrics": metrics, "rng": current_rng() if rng is None else rng, **extra,
    }
    save_atomic(path, state)


def finish_run(cfg: TrainConfig, model_state: dict[str, torch.Tensor], model_cfg: GPTConfig, n_params: int,
               tok: Tokenizer, step: int, metrics: list[dict], stopped_early: bool, wall_s: float,
               seconds: dict[str, float], device: torch.device, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write model.pt, then summary.json (last: it marks the run finished); return the summary."""
    save_atomic(cfg.run_dir / "model.pt", {"model": model_state, "model_config": asdict(model_cfg),
                                           "tokenizer": tok.spec(), "config": cfg.to_dict(), "step": step})
    last = metrics[-1]
    summary = {"run_id": cfg.run_id, "config_hash": cfg.config_hash(), "steps": step,
               "stop_reason": "early_stop" if stopped_early else "max_steps",
               "wall_s": round(wall_s, 3), "n_params": n_params,
               # this session's time in evaluation+logging and in checkpoints (a resumed run counts its last part)
               "eval_s": round(seconds["eval"], 3), "checkpoint_s": round(seconds["checkpoint"], 3),
               "session_s": round(seconds["session"], 3),
               **{k: last[k] for k in METRIC_COLUMNS if k not in ("step", "wall_s")},
               "torch": torch.__version__, "device": str(device), "threads": cfg.threads, **(extra or {})}
    summary = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in summary.items()}
    write_atomic(cfg.run_dir / "summary.json", json.dumps(summary, indent=2))
    return summary


def restore_rng(rng: dict[str, Any]) -> None:
    torch.set_rng_state(rng["torch"])
    random.setstate(tuple(tuple(x) if isinstance(x, list) else x for x in rng["python"]))
    kind, keys, pos, has_gauss, cached = rng["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


# ---------------------------------------------------------------------------------------------- training

def read_finished(cfg: TrainConfig) -> RunResult | None:
    """The stored result of a finished run with this exact config, or None."""
    run_dir = finished_run_dir(cfg)
    if run_dir is None:
        return None
    try:
        model, tok, _ = load_model(run_dir / "model.pt")
    except ValueError:  # corrupt weights behind a good header: the trainer repairs it (see _discard_incomplete_summary)
        return None
    return RunResult(run_dir, cfg, pd.read_csv(run_dir / "metrics.csv"),
                     json.loads((run_dir / "summary.json").read_text()), model, tok, reused=True)


def find_extendable(cfg: TrainConfig) -> Path | None:
    """A run of the same section whose config differs from `cfg` only by a smaller (or equal) max_steps,
    early_stop_patience and early_stop_horizon, with the checkpoint that got furthest; None if there is none.

    With a constant learning rate after warmup, none changes anything about the trajectory before the run
    stops (batches are a function of the step, the schedule does not look at the budget, and the early-stop
    count is in the checkpoint), so raising a budget or the patience can continue the shorter run instead of
    redoing it. Only the evaluation steps already logged differ: they keep the shorter run's log-spaced
    schedule up to where it stopped.
    """
    if cfg.lr_schedule != "constant" or not cfg.run_dir.parent.is_dir():
        return None
    ignored = COSMETIC | RUNTIME | {"max_steps", "early_stop_patience", "early_stop_horizon"}
    mine = {k: v for k, v in cfg.to_dict().items() if k not in ignored}
    best, best_step = None, -1
    for folder in cfg.run_dir.parent.glob(f"{cfg.run_name}-*"):
        config_file, ckpt = folder / "config.yaml", folder / "checkpoint.pt"
        if folder == cfg.run_dir or not re.fullmatch(re.escape(cfg.run_name) + r"-[0-9a-f]{10}", folder.name) \
                or not (config_file.is_file() and ckpt.is_file()):
            continue
        try:
            other = yaml.safe_load(config_file.read_text())
            other = ADDED_LATER | other  # a config.yaml written before a field existed had its earlier value
            theirs = {k: v for k, v in other.items() if k not in ignored}
            if theirs != mine or other["max_steps"] > cfg.max_steps \
                    or other["early_stop_patience"] > cfg.early_stop_patience \
                    or other["early_stop_horizon"] > cfg.early_stop_horizon:
                continue
            step = read_state(ckpt)["step"]
        except Exception as err:  # a broken sibling is skipped, never fatal to this run
            warnings.warn(f"{folder}: skipped as a run to continue ({err})")
            continue
        if step > best_step:
            best, best_step = folder, step
    return best


def move_aside(run_dir: Path) -> Path | None:
    """Move a run folder to <section>/.replaced/<time>-<pid>/<run_id> (what --force does before it starts), so an
    interrupted retrain can never leave the old summary beside new, partial metrics."""
    if not run_dir.exists():
        return None
    aside = run_dir.parent / ".replaced" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}" / run_dir.name
    aside.parent.mkdir(parents=True, exist_ok=True)
    os.replace(run_dir, aside)
    print(f"--force: moved the previous {run_dir.name} to {aside}", flush=True)
    return aside


def _discard_incomplete_summary(run_dir: Path) -> None:
    """A summary.json beside incomplete files is not a result: remove it (with the reason) so the run is
    resumed from its checkpoint, which rebuilds metrics.csv, model.pt and the summary, or retrained."""
    if not (run_dir / "summary.json").exists():
        return
    problem = run_problem(run_dir)
    if problem is None:
        try:
            read_state(run_dir / "model.pt")
        except ValueError as err:
            problem = str(err)
    if problem is not None:
        print(f"run {run_dir.name}: not reused, {problem}; rebuilding it from its checkpoint "
              f"or retraining", flush=True)
        (run_dir / "summary.json").unlink()


def train(cfg: TrainConfig, stop_at: int | None = None, force: bool = False) -> RunResult:
    """Train (or resume, or reuse) the run described by `cfg`.

    stop_at: stop after this many steps as if interrupted (checkpoint written, no summary); used by the
    resume tests and demos. force: retrain even if a finished run exists.
    """
    if not force and stop_at is None and (done := read_finished(cfg)) is not None:
        return done
    with run_lock(cfg.run_dir), torch_threads(cfg.threads):
        if not force and stop_at is None and (done := read_finished(cfg)) is not None:
            return done  # another process finished it while this one waited for the lock
        if force:
            move_aside(cfg.run_dir)
        else:
            _discard_incomplete_summary(cfg.run_dir)
        return _train_locked(cfg, stop_at, extend=not force)


def _load_checkpoint(path: Path, device: torch.device) -> dict[str, Any] | None:
    try:
        return read_state(path, device)
    except ValueError as err:  # a corrupt checkpoint cannot be resumed: start over rather than fail forever
        print(f"{err}; training this run from step 0", flush=True)
        path.unlink()
        return None


def _train_locked(cfg: TrainConfig, stop_at: int | None, extend: bool) -> RunResult:
    device = resolve_device(cfg.device)
    run_dir = cfg.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(run_dir / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    ckpt_path, csv_path = run_dir / "checkpoint.pt", run_dir / "metrics.csv"

    seed_everything(cfg.seed)
    tok = build_tokenizer(cfg)
    splits = build_splits(cfg, tok)
    model = build_model(cfg, tok, splits).to(device)
    optimizer = make_optimizer(model.parameters(), cfg)
    device_splits = {name: DeviceSplit.from_split(split, tok.pad_id, device) for name, split in splits.items()}
    train_split = device_splits["train"]
    step, metrics, early_count, wall_before, batch_loss = 0, [], 0, 0.0, None

    if extend and not ckpt_path.is_file() and (shorter := find_extendable(cfg)) is not None:
        write_atomic(ckpt_path, (shorter / "checkpoint.pt").read_bytes())  # continue the shorter run (see find_extendable)
    if ckpt_path.is_file() and (state := _load_checkpoint(ckpt_path, device)) is not None:  # resume
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, metrics = state["step"], state["metrics"]
        early_count, wall_before = state["early_stop_count"], state["wall_s"]
        batch_loss = state.get("batch_loss")  # the loss of the step before, logged if this step is evaluated
        restore_rng(state["rng"])
    # drop rows past the checkpoint (an interrupted run's last evaluations are redone, identically)
    write_atomic(csv_path, pd.DataFrame(metrics, columns=METRIC_COLUMNS).to_csv(index=False))

    schedule = eval_steps(cfg)
    start_time = time.perf_counter()
    wall = lambda: wall_before + time.perf_counter() - start_time  # noqa: E731
    stopped_early = early_stop_due(metrics, cfg)  # already met: an early-stopped run whose budget was raised

    def checkpoint() -> None:
        save_checkpoint(ckpt_path, model.state_dict(), model.cfg, optimizer.state_dict(), step, cfg, tok, metrics,
                        {"early_stop_count": early_count, "wall_s": wall(),
                         "batch_loss": None if batch_loss is None else float(batch_loss)})

    seconds = {"eval": 0.0, "checkpoint": 0.0}  # time outside the optimiser steps, for the summary
    model.train()
    bar = tqdm(total=cfg.max_steps, initial=step, disable=not cfg.progress or bars_disabled(), desc=cfg.run_id,
               leave=False)
    while not stopped_early:
        if step in schedule and (not metrics or metrics[-1]["step"] != step):
            eval_start = time.perf_counter()
            row = log_metrics(model, device_splits, tok.pad_id, step, lr_at(step, cfg),
                              float("nan") if batch_loss is None else float(batch_loss), wall())
            early_count = early_count + 1 if passes_early_stop(row, cfg) else 0
            row["early_stop_count"] = early_count
            metrics.append(row)
            with csv_path.open("a") as fh:
                pd.DataFrame([row], columns=METRIC_COLUMNS).to_csv(fh, header=False, index=False)
            bar.set_postfix(train_loss=f"{row['train_loss']:.3g}", train_acc=f"{row['train_acc']:.2f}",
                            val_acc=f"{row['val_acc']:.2f}")
            seconds["eval"] += time.perf_counter() - eval_start
            if early_stop_due(metrics, cfg):
                stopped_early = True
                break
        if step >= cfg.max_steps:
            break
        if stop_at is not None and step >= stop_at:
            checkpoint()
            bar.close()
            return RunResult(run_dir, cfg, pd.DataFrame(metrics, columns=METRIC_COLUMNS), {}, model, tok, False)

        rows = batch_indices(step, len(train_split), cfg.batch_size, cfg.seed).to(device)
        batch_loss = train_step(model, optimizer, train_split, rows, tok.pad_id, lr_at(step, cfg), cfg.grad_clip)
        step += 1
        bar.update(1)
        if cfg.ckpt_every and step % cfg.ckpt_every == 0 and step < cfg.max_steps:
            ckpt_start = time.perf_counter()
            checkpoint()
            seconds["checkpoint"] += time.perf_counter() - ckpt_start
    bar.close()

    checkpoint()
    seconds["session"] = time.perf_counter() - start_time
    summary = finish_run(cfg, model.state_dict(), model.cfg, model.num_params(), tok, step, metrics, stopped_early,
                         wall(), seconds, device)
    return RunResult(run_dir, cfg, pd.DataFrame(metrics, columns=METRIC_COLUMNS), summary, model, tok, False)


def log_metrics(model: GPT, splits: dict[str, DeviceSplit], pad_id: int, step: int, lr: float,
                batch_loss: float, wall_s: float) -> dict[str, Any]:
    row: dict[str, Any] = {"step": step, "lr": lr, "batch_loss": batch_loss}
    for name in ("train", "val", "test"):
        loss, acc = evaluate(model, splits[name], pad_id) if name in splits else (float("nan"),) * 2
        row[f"{name}_loss"], row[f"{name}_acc"] = loss, acc
    row["param_norm"] = param_norm(model)
    row["wall_s"] = wall_s
    return row


def passes_early_stop(row: dict[str, Any], cfg: TrainConfig) -> bool:
    if cfg.early_stop_on == "val_acc":
        return row["val_acc"] >= cfg.early_stop_threshold
    if cfg.early_stop_on == "train_loss":
        return row["train_loss"] <= cfg.early_stop_threshold
    return False


def held_crossing(metrics: list[dict[str, Any]], cfg: TrainConfig) -> int | None:
    """The first logged step t from which the early-stop metric passed at every evaluation in
    [t, t + early_stop_hold], counting only windows the log already covers; None before there is one.

    The same step as helpers.gpt.milestones.held_step once the run has gone `early_stop_hold` steps past it: a
    streak that breaks within the hold disqualifies every step in it, so only streak starts need checking.
    """
    streak_start = None
    for row in metrics:
        if not passes_early_stop(row, cfg):
            streak_start = None
            continue
        if streak_start is None:
            streak_start = row["step"]
        if row["step"] - streak_start >= cfg.early_stop_hold:
            return int(streak_start)
    return None


def early_stop_due(metrics: list[dict[str, Any]], cfg: TrainConfig) -> bool:
    """Whether the run stops now (after its last logged evaluation), by the config's early-stop rule: the last
    `early_stop_patience` evaluations passed, or, with early_stop_hold > 0, the last step is at least
    `early_stop_horizon` steps past the held crossing (later dips do not reset it)."""
    if cfg.early_stop_on == "none" or not metrics:
        return False
    if cfg.early_stop_hold:
        crossing = held_crossing(metrics, cfg)
        return crossing is not None and metrics[-1]["step"] >= crossing + cfg.early_stop_horizon
    return metrics[-1]["early_stop_count"] >= cfg.early_stop_patience


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

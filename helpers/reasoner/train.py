"""Train the reasoner on the CPU, saving Hugging Face checkpoints at log-spaced steps with their training FLOPs.

    python -m helpers.reasoner.train --config params/defaults/part2.yaml   # or: train(ReasonerTrainConfig(...), out_dir)

A run lives in <out_dir>/reasoner/<hash>/: config.json, metrics.csv (step, loss, lr, tokens, FLOPs, seconds),
checkpoints/step-<n>/ (each a transformers/vLLM folder), summary.json (written last: the run is finished),
and state.pt (model, optimiser and RNG after the latest checkpoint, for resuming; not committed). A finished
run with the same config is reused; an interrupted one resumes from its last checkpoint and gives the same
weights as an uninterrupted run (data, initialisation and thread count are all fixed by the config).

Schedule: `table_steps` steps of plain operation-table rows first (the chain traces are learned far faster once
the table is known), then the task mix (helpers.reasoner.task). AdamW, linear warm-up, cosine decay to 10%.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..common.checks import from_dict, known_keys, load_yaml
from ..common.ids import short_hash
from ..common.io import repo_root, under_root, write_atomic
from ..common.lifecycle import reuse_or_train
from ..common.runtime import show_progress
from ..common.schedule import warmup_cosine
from .model import Reasoner, ReasonerConfig, export, safetensors_problem, sequence_flops
from .task import ChainTask, Example, held_out, training_example
from .tokenizer import chain_tokenizer, prompt_text


@dataclass(frozen=True)
class ReasonerTrainConfig:
    task: ChainTask = field(default_factory=ChainTask)
    n_layer: int = 3
    n_head: int = 4
    d_model: int = 128
    d_ff: int = 384
    steps: int = 2400  # optimiser steps in all (table warm-up included)
    table_steps: int = 600  # plain table rows only, first
    table_batch_size: int = 512  # rows per step in the table phase (short sequences: cheap)
    batch_size: int = 64  # examples per step afterwards
    lr: float = 1e-3
    warmup_steps: int = 100
    weight_decay: float = 0.1
    checkpoints: int = 8  # log-spaced checkpoint steps, the last at `steps`
    first_checkpoint: int = 200
    held_out_per_k: int = 30  # evaluation problems per difficulty, excluded from training
    held_out_seed: int = 1234
    seed: int = 0
    threads: int = 2  # part of the config: results depend on the thread count

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "ReasonerTrainConfig":
        values = dict(values)
        known_keys("reasoner training", values, cls)
        return cls(task=from_dict(ChainTask, values.pop("task", {}) or {}, "reasoner task"), **values)

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "table_batch_size", "checkpoints", "first_checkpoint", "held_out_per_k", "threads", "n_layer"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.table_steps < self.steps:
            raise ValueError(f"table_steps must be in [0, steps={self.steps}), got {self.table_steps}")
        if self.d_model % self.n_head or self.d_model // self.n_head < 32:
            raise ValueError(f"d_model/n_head must be a whole head_dim >= 32 (vLLM's CPU attention), got "
                             f"d_model={self.d_model}, n_head={self.n_head}")
        if not (math.isfinite(self.lr) and self.lr > 0) or not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"lr must be finite > 0 and weight_decay finite >= 0; got {self.lr}, {self.weight_decay}")

    def model_config(self, vocab_size: int) -> ReasonerConfig:
        return ReasonerConfig(vocab_size, self.n_layer, self.n_head, self.d_model, self.d_ff)

    def config_hash(self) -> str:
        return short_hash(asdict(self))

    def checkpoint_steps(self) -> list[int]:
        """Log-spaced from first_checkpoint to steps (dense early, where the skill appears)."""
        raw = np.geomspace(min(self.first_checkpoint, self.steps), self.steps, self.checkpoints)
        return sorted({int(round(s)) for s in raw} | {self.steps})


def run_dir(cfg: ReasonerTrainConfig, out_dir: str | Path) -> Path:
    return under_root(out_dir) / "reasoner" / cfg.config_hash()


# ------------------------------------------------------------------------------------------------ batches

def encode_example(tokenizer: Any, item: Example | list[tuple[str, bool]]) -> tuple[list[int], list[bool]]:
    """Token ids and, per id, whether the loss is taken when predicting it. An Example is a chat (prompt not
    trained on); a list of (text, trained) pieces is raw text (the table rows)."""
    enc = tokenizer.backend_tokenizer
    if isinstance(item, list):
        ids, mask, pieces = [], [], item
    else:
        ids = enc.encode(prompt_text(tokenizer, item.prompt, item.thinking), add_special_tokens=False).ids
        mask, pieces = [False] * len(ids), item.response
    for (_, trained), encoding in zip(pieces, enc.encode_batch([p for p, _ in pieces], add_special_tokens=False)):
        ids += encoding.ids
        mask += [trained] * len(encoding.ids)
    return ids, mask


def make_batch(tokenizer: Any, items: list) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(inputs, targets with -100 where no loss, real tokens) for next-token prediction, right-padded."""
    encoded = [encode_example(tokenizer, item) for item in items]
    width = max(len(ids) for ids, _ in encoded)
    inputs = torch.full((len(items), width - 1), tokenizer.pad_token_id, dtype=torch.long)
    targets = torch.full((len(items), width - 1), -100, dtype=torch.long)
    for row, (ids, mask) in enumerate(encoded):
        n = len(ids) - 1
        inputs[row, :n] = torch.tensor(ids[:-1])
        targets[row, :n] = torch.tensor([t if m else -100 for t, m in zip(ids[1:], mask[1:])])
    return inputs, targets, sum(len(ids) - 1 for ids, _ in encoded)


def batch_flops(cfg: ReasonerConfig, lengths: list[int]) -> float:
    """Training FLOPs of one step: 3 x the forward FLOPs of each sequence's real tokens."""
    return sum(3 * sequence_flops(cfg, n) for n in lengths)


def reasoner_lr(step: int, cfg: ReasonerTrainConfig) -> float:
    """Linear warm-up, then cosine decay to 10% of lr at the last step."""
    return warmup_cosine(step, cfg.lr, cfg.warmup_steps, cfg.steps, min_frac=0.1)


# ------------------------------------------------------------------------------------------------ training

@dataclass
class ReasonerRun:
    folder: Path
    config: ReasonerTrainConfig
    summary: dict[str, Any]

    @property
    def checkpoints(self) -> list[dict[str, Any]]:
        """[{step, folder, train_flops, tokens, seconds}] in step order."""
        return [dict(c, folder=self.folder / c["folder"]) for c in self.summary["checkpoints"]]

    @property
    def final(self) -> Path:
        return self.checkpoints[-1]["folder"]


def run_folder_problem(folder: Path) -> str | None:
    """Why `folder` is not a complete finished run (None if it is): a readable summary whose checkpoint
    folders all hold their weights and config."""
    try:
        summary = json.loads((folder / "summary.json").read_text())
        checkpoints = [folder / c["folder"] for c in summary["checkpoints"]]
    except FileNotFoundError:
        return "no summary.json (not finished)"
    except (OSError, ValueError, KeyError, TypeError) as err:
        return f"summary.json is unreadable ({err!r})"
    missing = [c.name for c in checkpoints if not ((c / "config.json").is_file() and (c / "model.safetensors").is_file())]
    if not checkpoints or missing:
        return f"checkpoint folder(s) {missing or 'none'} missing or incomplete"
    return next(filter(None, (safetensors_problem(c / "model.safetensors") for c in checkpoints)), None)


def read_run(folder: Path) -> ReasonerRun | None:
    if run_folder_problem(folder) is not None:
        return None
    summary = json.loads((folder / "summary.json").read_text())
    return ReasonerRun(folder, ReasonerTrainConfig.from_dict(summary["config"]), summary)


def train_reasoner(cfg: ReasonerTrainConfig, out_dir: str | Path = "outputs", progress: bool = True) -> ReasonerRun:
    """Train (or reuse, or resume) the run of this config; returns its folder, config and summary. One process
    at a time per run (a lock: a second one waits, then reuses); an incomplete finished run is retrained or
    resumed from its state.pt, with a message (helpers.common.lifecycle)."""
    folder = run_dir(cfg, out_dir)
    cores = os.cpu_count() or 1
    if cfg.threads > cores and read_run(folder) is None:  # refused before anything is written
        raise ValueError(f"reasoner training: threads={cfg.threads} not allowed; allowed: 1..{cores} (this "
                         "machine's cores; results depend on the thread count, so a stored run keeps its own)")
    return reuse_or_train(folder, lambda: read_run(folder), lambda: run_folder_problem(folder),
                          lambda: _train(cfg, folder, progress), cfg.threads)


def _train(cfg: ReasonerTrainConfig, folder: Path, progress: bool, resume: bool = True) -> ReasonerRun:
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "config.json", json.dumps(asdict(cfg), indent=1))
    tokenizer = chain_tokenizer(cfg.task.modulus)
    torch.manual_seed(cfg.seed)
    model = Reasoner(cfg.model_config(len(tokenizer)))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                   {"params": rest, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.98))
    rng = random.Random(cfg.seed)
    exclude = set(held_out(cfg.task, cfg.held_out_per_k, cfg.held_out_seed))
    step, tokens, flops, seconds, rows, saved = 0, 0, 0.0, 0.0, [], []
    state_path = folder / "state.pt"
    if resume and state_path.is_file():  # resume after the last checkpoint
        try:
            state = torch.load(state_path, weights_only=False)
        except Exception as err:
            raise ValueError(f"{state_path}: not a readable training state (truncated or corrupt?): {err}; "
                             "delete it to train this run from step 0") from err
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        rng.setstate(state["rng"])
        step, tokens, flops, seconds, rows, saved = (state[k] for k in ("step", "tokens", "flops", "seconds", "rows", "saved"))
        lost = [c["folder"] for c in saved if not (folder / c["folder"] / "model.safetensors").is_file()]
        if lost:  # an earlier checkpoint cannot be rebuilt from a later state: train again from step 0
            print(f"reasoner run {folder.name}: {lost} lost; training it again from step 0", flush=True)
            return _train(cfg, folder, progress, resume=False)
    wanted = cfg.checkpoint_steps()
    bar = tqdm(total=cfg.steps, initial=step, desc="reasoner", disable=not show_progress(progress))
    model.train()
    while step < cfg.steps:
        began = time.perf_counter()
        table_phase = step < cfg.table_steps
        items = [training_example(cfg.task, rng, exclude, table_only=table_phase)
                 for _ in range(cfg.table_batch_size if table_phase else cfg.batch_size)]
        inputs, targets, real = make_batch(tokenizer, items)
        lengths = [int((row != tokenizer.pad_token_id).sum()) for row in inputs]
        for group in optimizer.param_groups:
            group["lr"] = reasoner_lr(step, cfg)
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        tokens += real
        flops += batch_flops(model.cfg, lengths)
        seconds += time.perf_counter() - began
        if step % 25 == 0 or step == cfg.steps:
            rows.append({"step": step, "loss": round(loss.item(), 5), "lr": reasoner_lr(step - 1, cfg), "tokens": tokens,
                         "train_flops": flops, "seconds": round(seconds, 2)})
        if step in wanted:
            name = f"checkpoints/step-{step:05d}"
            export(model, tokenizer, folder / name, {"step": step, "train_flops": flops, "tokens": tokens})
            saved.append({"step": step, "folder": name, "train_flops": flops, "tokens": tokens,
                          "seconds": round(seconds, 1)})
            buffer = io.BytesIO()
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "rng": rng.getstate(),
                        "step": step, "tokens": tokens, "flops": flops, "seconds": seconds, "rows": rows,
                        "saved": saved}, buffer)
            write_atomic(state_path, buffer.getvalue())
        bar.update(1)
    bar.close()
    write_metrics(folder / "metrics.csv", rows)
    summary = {"config": asdict(cfg), "n_params": model.n_params(), "n_params_non_embedding": model.n_params(False),
               "steps": cfg.steps, "tokens": tokens, "train_flops": flops, "train_seconds": round(seconds, 1),
               "checkpoints": saved, "torch": torch.__version__}
    write_atomic(folder / "summary.json", json.dumps(summary, indent=1))
    return ReasonerRun(folder, cfg, summary)


def write_metrics(path: Path, rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())


def read_config(path: str | Path) -> ReasonerTrainConfig:
    """A YAML file holding the training config: a mapping of its fields, or a parameter file whose `reasoner`
    key holds one (params/defaults/part2.yaml)."""
    data = load_yaml(Path(path).read_text(), str(path)) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of reasoner training fields")
    return ReasonerTrainConfig.from_dict(data["reasoner"] if isinstance(data.get("reasoner"), dict) else data)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m helpers.reasoner.train", description=__doc__.split("\n")[0])
    ap.add_argument("--config", default="params/defaults/part2.yaml",
                    help="YAML with the training fields, or a parameter file with a `reasoner` mapping "
                         "(default: the quick profile's, params/defaults/part2.yaml)")
    ap.add_argument("--out-dir", default="outputs", help="results under <out-dir>/reasoner/<hash>/")
    args = ap.parse_args(argv)
    try:
        cfg = read_config(repo_root() / args.config)
    except (OSError, ValueError) as err:
        ap.error(str(err))
    run = train_reasoner(cfg, args.out_dir)
    print(f"{run.folder}: {run.summary['train_seconds']} s, {run.summary['train_flops']:.3g} FLOPs, "
          f"checkpoints at {[c['step'] for c in run.summary['checkpoints']]}")


if __name__ == "__main__":
    main()

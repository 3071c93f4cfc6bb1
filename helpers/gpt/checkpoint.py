"""What a run's files hold while it trains and when it ends: the RunState a checkpoint saves and restores, the
process's RNG states, and the final weights and summary.

checkpoint.pt: {model, optimizer, step, config, model_config, tokenizer, metrics, rng, early_stop_count, wall_s,
batch_loss}, written atomically after every `ckpt_every` steps and at the end. model.pt: {model, model_config,
tokenizer, config, step}. summary.json: written last, it marks the run finished (helpers.gpt.runs.run_problem).
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..common.io import write_atomic, write_torch_atomic
from .config import TrainConfig
from .model import GPT
from .runs import METRIC_COLUMNS, continues, read_state, stored_config_hash
from .tokenizer import Tokenizer


@dataclass
class RunState:
    """Where a run is: its model and optimiser, the step it has reached, its metrics rows so far, the early-stop
    count, its wall-clock before this session, and the loss of the last step (logged if the next row is)."""
    model: GPT
    optimizer: torch.optim.Optimizer
    step: int = 0
    metrics: list[dict[str, Any]] = field(default_factory=list)
    early_count: int = 0
    wall_before: float = 0.0
    batch_loss: float | None = None

    def restore(self, path: Path, cfg: TrainConfig, device: torch.device) -> bool:
        """Resume from a checkpoint file (model, optimiser, counters, RNG states). A checkpoint that cannot be read,
        or that another config wrote (one this run does not continue: helpers.gpt.runs.continues), is removed with
        a message and the run starts from step 0 (False). One written under another thread count is refused:
        results depend on it (helpers.gpt.config.RUNTIME)."""
        try:
            state = read_state(path, device)
            written_for = state.get("config")
            if not isinstance(written_for, dict) or not continues(written_for, cfg):
                raise ValueError(f"{path}: written for another config (hash {stored_config_hash(state)}, this run "
                                 f"is {cfg.config_hash()})")
        except ValueError as err:
            print(f"{err}; training this run from step 0", flush=True)
            path.unlink()
            return False
        if written_for.get("threads", cfg.threads) != cfg.threads:
            raise ValueError(f"{path}: this run was trained with threads={written_for['threads']} and results depend "
                             f"on the thread count; resume it with threads={written_for['threads']}, or retrain it "
                             f"with --force (threads={cfg.threads})")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step, self.metrics = state["step"], state["metrics"]
        self.early_count, self.wall_before = state["early_stop_count"], state["wall_s"]
        self.batch_loss = state.get("batch_loss")
        restore_rng(state["rng"])
        return True

    def save(self, path: Path, cfg: TrainConfig, tok: Tokenizer, wall_s: float) -> None:
        """One resumable checkpoint, with this process's RNG states."""
        write_torch_atomic(path, {
            "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(), "step": self.step,
            "config": cfg.to_dict(), "model_config": asdict(self.model.cfg), "tokenizer": tok.spec(),
            "metrics": self.metrics, "rng": current_rng(), "early_stop_count": self.early_count, "wall_s": wall_s,
            "batch_loss": None if self.batch_loss is None else float(self.batch_loss)})


def current_rng() -> dict[str, Any]:
    """This process's RNG states, as a checkpoint stores them."""
    return {"torch": torch.get_rng_state(), "python": random.getstate(),
            "numpy": [v.tolist() if isinstance(v, np.ndarray) else v for v in np.random.get_state()]}


def restore_rng(rng: dict[str, Any]) -> None:
    torch.set_rng_state(rng["torch"])
    random.setstate(tuple(tuple(x) if isinstance(x, list) else x for x in rng["python"]))
    kind, keys, pos, has_gauss, cached = rng["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


def finish_run(cfg: TrainConfig, state: RunState, tok: Tokenizer, stopped_early: bool, wall_s: float,
               seconds: dict[str, float], device: torch.device) -> dict[str, Any]:
    """Write model.pt, then summary.json (last: it marks the run finished); return the summary."""
    model = state.model
    write_torch_atomic(cfg.run_dir / "model.pt", {"model": model.state_dict(), "model_config": asdict(model.cfg),
                                                  "tokenizer": tok.spec(), "config": cfg.to_dict(), "step": state.step})
    last = state.metrics[-1]
    summary = {"run_id": cfg.run_id, "config_hash": cfg.config_hash(), "steps": state.step,
               "stop_reason": "early_stop" if stopped_early else "max_steps",
               "wall_s": round(wall_s, 3), "n_params": model.num_params(),
               # this session's time in evaluation+logging and in checkpoints (a resumed run counts its last part)
               "eval_s": round(seconds["eval"], 3), "checkpoint_s": round(seconds["checkpoint"], 3),
               "session_s": round(seconds["session"], 3),
               **{k: last[k] for k in METRIC_COLUMNS if k not in ("step", "wall_s")},
               "torch": torch.__version__, "device": str(device), "threads": cfg.threads}
    summary = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in summary.items()}
    write_atomic(cfg.run_dir / "summary.json", json.dumps(summary, indent=2))
    return summary

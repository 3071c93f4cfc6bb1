"""Run folders on disk: finding a finished run, loading and publishing its weights, naming its recipe.

A run lives in <out_dir>/<section>/<run_name>-<config hash>/ (see helpers.gpt.train for the files). This module
reads and copies those files; it does not train, so inference and the notebooks can use it without the trainer.
"""
from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from ..common import write_atomic
from .config import TrainConfig
from .model import GPT, GPTConfig
from .tokenizer import Tokenizer, tokenizer_from_spec


def save_atomic(path: Path, obj: Any) -> None:
    """torch.save through common.write_atomic, so a half-written checkpoint is never mistaken for one."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    write_atomic(path, buffer.getvalue())


def load_model(path: str | Path, device: str = "cpu") -> tuple[GPT, Tokenizer, dict[str, Any]]:
    """Load model.pt or checkpoint.pt: returns (model in eval mode, tokenizer, training config dict)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    state = torch.load(path, map_location=device, weights_only=False)
    model = GPT(GPTConfig(**state["model_config"])).to(device)
    model.load_state_dict(state["model"])
    model.eval()
    return model, tokenizer_from_spec(state["tokenizer"]), state["config"]


def finished_run_dir(cfg: TrainConfig) -> Path | None:
    """The folder of a finished run with this exact config (same hash), whatever name it was run under."""
    if (cfg.run_dir / "summary.json").is_file():
        return cfg.run_dir
    same = sorted(cfg.run_dir.parent.glob(f"*-{cfg.config_hash()}/summary.json"))
    return same[0].parent if same else None


def publish_checkpoint(cfg: TrainConfig, name: str, ckpt_dir: str | Path) -> Path:
    """Copy the finished run's model.pt to <ckpt_dir>/<name> (the small file that gets committed)."""
    run_dir = finished_run_dir(cfg)
    if run_dir is None:
        raise FileNotFoundError(f"run {cfg.run_id} has not finished: nothing to publish")
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    return write_atomic(ckpt_dir / name, (run_dir / "model.pt").read_bytes())


def recipe(cfg: TrainConfig) -> str:
    """One sentence naming the training recipe of a config (optimiser, data, budget, early stop)."""
    optimiser = {"adamw": "AdamW", "adam": "Adam"}[cfg.optimizer]
    text = (f"{optimiser} (lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, β=({cfg.beta1:g}, {cfg.beta2:g}), "
            f"{cfg.warmup_steps} warm-up steps), batch {cfg.batch_size}, {cfg.n_layer}-layer d_model {cfg.d_model}, "
            f"{cfg.train_frac:.0%} of the equations for training, budget {cfg.max_steps:,} steps")
    if cfg.early_stop_on == "val_acc":
        text += (f", stopped after {cfg.early_stop_patience} consecutive evaluations with val acc ≥ "
                 f"{cfg.early_stop_threshold:g}")
    return text


def run_cli(ckpt: str | Path, prompts: list[str], cwd: str | Path) -> tuple[str, str]:
    """Run `python -m helpers.gpt.inference` as a user would; returns (the command line, its output or error)."""
    args = [sys.executable, "-m", "helpers.gpt.inference", "--ckpt", str(ckpt)]
    for prompt in prompts:
        args += ["--prompt", prompt]
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    shown = "python -m helpers.gpt.inference --ckpt " + str(ckpt) + "".join(f" --prompt '{p}'" for p in prompts)
    return shown, done.stdout.strip() if done.returncode == 0 else f"failed: {done.stderr.strip()}"

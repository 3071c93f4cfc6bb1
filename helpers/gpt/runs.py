"""Run folders on disk: finding a finished run, loading and publishing its weights, naming its recipe.

A run lives in <out_dir>/<section>/<run_name>-<config hash>/ (see helpers.gpt.train for the files). This module
reads and copies those files; it does not train, so inference and the notebooks can use it without the trainer.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
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


METRIC_COLUMNS = ["step", "lr", "batch_loss", "train_loss", "train_acc", "val_loss", "val_acc",
                  "test_loss", "test_acc", "param_norm", "wall_s", "early_stop_count"]


def read_state(path: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """torch.load of a model.pt / checkpoint.pt, with an error that names the file when it is corrupt."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {str(path)!r} does not exist")
    try:
        state = torch.load(path, map_location=device, weights_only=False)
    except Exception as err:
        raise ValueError(f"{path}: not a readable checkpoint (truncated or corrupt?): {err}") from err
    if not isinstance(state, dict) or "model" not in state:
        raise ValueError(f"{path}: not a checkpoint of this project (no 'model' entry)")
    return state


def load_model(path: str | Path, device: str = "cpu") -> tuple[GPT, Tokenizer, dict[str, Any]]:
    """Load model.pt or checkpoint.pt: returns (model in eval mode, tokenizer, training config dict)."""
    state = read_state(path, device)
    model = GPT(GPTConfig(**state["model_config"])).to(device)
    model.load_state_dict(state["model"])
    model.eval()
    return model, tokenizer_from_spec(state["tokenizer"]), state["config"]


def run_problem(run_dir: Path) -> str | None:
    """Why the run folder is not a complete finished run, or None if it is: summary.json, metrics.csv and
    model.pt present, readable and agreeing (the metrics end at the summary's step, steps increase, the
    summary's hash is the folder's). Cheap: model.pt is checked for its zip header, not loaded."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text())
    except FileNotFoundError:
        return "no summary.json (not finished)"
    except (OSError, ValueError) as err:
        return f"summary.json is unreadable ({err})"
    if not isinstance(summary, dict) or not isinstance(summary.get("steps"), int):
        return "summary.json has no step count"
    if not run_dir.name.endswith("-" + str(summary.get("config_hash"))):
        return f"summary.json belongs to config {summary.get('config_hash')}, not to this folder"
    try:
        metrics = pd.read_csv(run_dir / "metrics.csv")
    except (OSError, ValueError) as err:
        return f"metrics.csv is missing or unreadable ({err})"
    if list(metrics.columns) != METRIC_COLUMNS or metrics.empty:
        return "metrics.csv has the wrong columns or no rows"
    steps = pd.to_numeric(metrics["step"], errors="coerce")
    if steps.isna().any() or not steps.is_monotonic_increasing or steps.duplicated().any():
        return "metrics.csv has missing, repeated or unordered steps"
    if int(steps.iloc[-1]) != summary["steps"]:
        return f"metrics.csv ends at step {int(steps.iloc[-1])}, the summary at {summary['steps']}"
    try:
        with open(run_dir / "model.pt", "rb") as fh:
            if fh.read(2) != b"PK":
                return "model.pt is not a torch checkpoint"
    except OSError:
        return "model.pt is missing"
    return None


def finished_run_dir(cfg: TrainConfig) -> Path | None:
    """The folder of a complete finished run with this exact config (same hash), whatever name it was run
    under (see run_problem; an incomplete one is not returned, so the trainer repairs it)."""
    candidates = [cfg.run_dir] + sorted(p.parent for p in cfg.run_dir.parent.glob(f"*-{cfg.config_hash()}/summary.json"))
    return next((d for d in candidates if run_problem(d) is None), None)


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
    if cfg.early_stop_on == "val_acc" and cfg.early_stop_hold:
        text += (f", stopped {cfg.early_stop_horizon:,} steps after validation accuracy first held ≥ "
                 f"{cfg.early_stop_threshold:g} for {cfg.early_stop_hold} steps (t_val)")
    elif cfg.early_stop_on == "val_acc":
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

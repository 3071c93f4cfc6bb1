"""Run folders on disk: whether a run is finished, its stored result, a shorter run it can continue, its weights.

A run lives in <out_dir>/<section>/<run_name>-<config hash>/ (helpers.gpt.checkpoint says what each file holds).
This module reads and copies those files; it does not train, so inference and the notebooks can use it without
the trainer.
"""
from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import yaml

from ..common.io import write_atomic
from .config import ADDED_LATER, COSMETIC, RUNTIME, TrainConfig
from .model import GPT, GPTConfig
from .tokenizer import Tokenizer, tokenizer_from_spec


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


# metrics columns that every logged row has (batch_loss is empty at step 0, val/test without those splits)
COMPLETE_COLUMNS = ["step", "lr", "train_loss", "train_acc", "param_norm", "wall_s", "early_stop_count"]


def stored_config_hash(state: dict[str, Any]) -> str | None:
    """The config hash of the config a model.pt / checkpoint.pt was written for (None when it holds none)."""
    try:
        return TrainConfig(**state["config"]).config_hash()
    except (KeyError, TypeError, ValueError):
        return None


def run_problem(run_dir: Path) -> str | None:
    """Why the run folder is not a complete finished run, or None if it is: summary.json, metrics.csv and
    model.pt present, readable and agreeing: the metrics end at the summary's step, steps increase, every row
    is whole (a row torn mid-number is not a result), the summary's hash and the weights' config are the
    folder's."""
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
        if not (run_dir / "metrics.csv").read_bytes().endswith(b"\n"):
            return "metrics.csv ends inside a row (a torn write)"
        metrics = pd.read_csv(run_dir / "metrics.csv")
    except (OSError, ValueError) as err:
        return f"metrics.csv is missing or unreadable ({err})"
    if list(metrics.columns) != METRIC_COLUMNS or metrics.empty:
        return "metrics.csv has the wrong columns or no rows"
    torn = metrics.index[metrics[COMPLETE_COLUMNS].isna().any(axis=1)].tolist()
    if torn:
        return f"metrics.csv row(s) {[i + 2 for i in torn]} are incomplete (line numbers)"
    steps = pd.to_numeric(metrics["step"], errors="coerce")
    if steps.isna().any() or not steps.is_monotonic_increasing or steps.duplicated().any():
        return "metrics.csv has missing, repeated or unordered steps"
    if int(steps.iloc[-1]) != summary["steps"]:
        return f"metrics.csv ends at step {int(steps.iloc[-1])}, the summary at {summary['steps']}"
    try:
        weights = stored_config_hash(read_state(run_dir / "model.pt"))
    except (FileNotFoundError, ValueError) as err:
        return str(err)
    if weights != summary["config_hash"]:
        return f"model.pt holds the weights of config {weights}, not of this folder's {summary['config_hash']}"
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


@dataclass
class RunResult:
    run_dir: Path
    config: TrainConfig
    metrics: pd.DataFrame
    summary: dict[str, Any]
    model: GPT
    tokenizer: Tokenizer
    reused: bool  # True if a finished run with this config was found and nothing was trained


def read_finished(cfg: TrainConfig) -> RunResult | None:
    """The stored result of a finished run with this exact config, or None."""
    run_dir = finished_run_dir(cfg)
    if run_dir is None:
        return None
    model, tok, _ = load_model(run_dir / "model.pt")  # run_problem read it whole already
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
    best, best_step = None, -1
    for folder in cfg.run_dir.parent.glob(f"{cfg.run_name}-*"):
        config_file, ckpt = folder / "config.yaml", folder / "checkpoint.pt"
        if folder == cfg.run_dir or not re.fullmatch(re.escape(cfg.run_name) + r"-[0-9a-f]{10}", folder.name) \
                or not (config_file.is_file() and ckpt.is_file()):
            continue
        try:
            if not continues(yaml.safe_load(config_file.read_text()), cfg):
                continue
            step = read_state(ckpt)["step"]
        except Exception as err:  # a broken sibling is skipped, never fatal to this run
            warnings.warn(f"{folder}: skipped as a run to continue ({err})")
            continue
        if step > best_step:
            best, best_step = folder, step
    return best


# fields that a longer run may raise and still continue a shorter one's trajectory (find_extendable)
EXTENDABLE = {"max_steps", "early_stop_patience", "early_stop_horizon"}


def continues(stored: dict[str, Any], cfg: TrainConfig) -> bool:
    """Whether a run with config `stored` (a dict, e.g. from config.yaml or a checkpoint) is the beginning of
    `cfg`'s run: the same config but for smaller or equal EXTENDABLE fields (and cosmetic and runtime ones)."""
    stored = ADDED_LATER | stored  # a config written before a field existed had its earlier value
    ignored = COSMETIC | RUNTIME | EXTENDABLE
    mine = {k: v for k, v in cfg.to_dict().items() if k not in ignored}
    return ({k: v for k, v in stored.items() if k not in ignored} == mine
            and all(stored[k] <= getattr(cfg, k) for k in EXTENDABLE))


def incomplete_reason(run_dir: Path) -> str | None:
    """Why a folder with a summary.json is not a finished run (run_problem); None when it is finished."""
    return run_problem(run_dir)

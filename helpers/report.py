"""Provenance and display helpers shared by the notebooks: what produced a figure, said in one line."""
from __future__ import annotations

import os
import platform
import subprocess
from functools import lru_cache
from pathlib import Path

import torch


def repo_root(start: str | Path | None = None) -> Path:
    """The project root (the folder holding pyproject.toml), searched upward from `start` or the cwd."""
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "pyproject.toml").is_file() and (folder / "helpers").is_dir():
            return folder
    raise FileNotFoundError(f"no project root (pyproject.toml + helpers/) above {here}")


def rel(path: str | Path) -> str:
    """`path` relative to the project root when it lies inside it (for display), else absolute."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(repo_root()))
    except ValueError:
        return str(path)


@lru_cache(maxsize=1)
def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> str:
    """E.g. 'CPU: AMD EPYC 9B14 (2 threads)' or 'GPU: NVIDIA H100 80GB HBM3'."""
    if torch.cuda.is_available():
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU: {cpu_name()} ({torch.get_num_threads()} threads)"


def git_commit(root: Path | None = None) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root or repo_root(), capture_output=True,
                             text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance(profile: str) -> str:
    """One line stating profile, hardware, software and commit, for figure captions and notebook headers."""
    return (f"profile `{profile}` · {hardware()} · torch {torch.__version__} · Python {platform.python_version()} "
            f"· commit {git_commit()}")


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write to a temporary name, then rename: a crash never leaves a half-written file under `path`."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        tmp.write_text(data, encoding="utf-8")
    os.replace(tmp, path)
    return path


def bars_disabled() -> bool:
    """True when TQDM_DISABLE is set (the headless report build sets it): an explicit tqdm(disable=False)
    would otherwise override that variable and print bars into the report."""
    return os.environ.get("TQDM_DISABLE", "").lower() in ("1", "true", "yes")


def in_colab() -> bool:
    return "COLAB_RELEASE_TAG" in os.environ


def recipe(cfg) -> str:
    """One sentence naming the training recipe of a TrainConfig (optimiser, data, budget, early stop)."""
    optimiser = {"adamw": "AdamW", "adam": "Adam"}[cfg.optimizer]
    text = (f"{optimiser} (lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, β=({cfg.beta1:g}, {cfg.beta2:g}), "
            f"{cfg.warmup_steps} warm-up steps), batch {cfg.batch_size}, {cfg.n_layer}-layer d_model {cfg.d_model}, "
            f"{cfg.train_frac:.0%} of the equations for training, budget {cfg.max_steps:,} steps")
    if cfg.early_stop_on == "val_acc":
        text += (f", stopped after {cfg.early_stop_patience} consecutive evaluations with val acc ≥ "
                 f"{cfg.early_stop_threshold:g}")
    return text


# ------------------------------------------------------------------------------------------------ facts
# Each section saves the few numbers the synthesis (09) argues from, so that essay never quotes a stale value.

def _plain(value):
    """JSON-ready: numpy scalars to Python, NaN to None, tuples to lists, DataFrames to records."""
    import math

    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [_plain(r) for r in value.to_dict("records")]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def save_facts(section: str, profile: str, facts: dict, out_dir: str | Path = "outputs") -> Path:
    """Write outputs/facts/<profile>/<section>.json (atomically)."""
    import json

    folder = repo_root() / out_dir / "facts" / profile
    folder.mkdir(parents=True, exist_ok=True)
    return write_atomic(folder / f"{section}.json", json.dumps(_plain(facts), indent=1))


def load_facts(profile: str, out_dir: str | Path = "outputs") -> dict[str, dict]:
    """Every section's facts for this profile: {section: facts}."""
    import json

    folder = repo_root() / out_dir / "facts" / profile
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}

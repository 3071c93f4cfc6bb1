"""Which runs each Part 1 notebook trains, as lists of configs (the notebooks and the tests build them here, so
a run trained by one is found by the other)."""
from __future__ import annotations

from typing import Any

from .config import TrainConfig
from .sweep import grid, unique


def warmup_configs(params: dict[str, Any], out_dir: str) -> tuple[list[TrainConfig], list[TrainConfig]]:
    """(every configuration x seed of section 1.2, the learning-rate tuning runs). A tuning run with the chosen
    values is the same run as the grid's (same config hash) and trains once."""
    base = params["base"] | {"out_dir": out_dir}
    runs = grid(base, seeds=params["seeds"], n_layer=params["layers"], op=params["ops"], modulus=params["moduli"])
    tuning = params["tuning"]
    tune_base = base | tuning["config"] | {"run_name": base["run_name"] + "-tune"}
    tune = grid(tune_base, seeds=[tuning.get("seed", 0)], **tuning["grid"])
    chosen = {c.config_hash(): c for c in runs}
    return runs, [chosen.get(c.config_hash(), c) for c in unique(tune)]

"""Which runs each Part 1 notebook trains, as lists of configs (the notebooks and the tests build them here, so
a run trained by one is found by the other)."""
from __future__ import annotations

from typing import Any

from .config import TrainConfig
from .ablations import distinct_configs
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


def grokking_configs(params: dict[str, Any], out_dir: str) -> list[TrainConfig]:
    """The seeds of section 1.3."""
    return grid(params["base"] | {"out_dir": out_dir}, seeds=params["seeds"])


def ablation_configs(params: dict[str, Any], grokking: dict[str, Any], out_dir: str
                     ) -> tuple[dict[str, Any], list[TrainConfig], int]:
    """(the baseline recipe, every distinct run of section 1.4, how many of them are section 1.3's runs).

    A run whose config equals one of 1.3's (the baseline value of each study, when 1.4's recipe is 1.3's) is
    that run, in 1.3's folder, so it trains once for both sections."""
    base = params["base"] | {"out_dir": out_dir}
    shared = {c.config_hash(): c for c in grokking_configs(grokking, out_dir)}
    runs = distinct_configs(base, params["seeds"], [params["study_a"], params["study_b"]])
    return base, [shared.get(c.config_hash(), c) for c in runs], sum(c.config_hash() in shared for c in runs)

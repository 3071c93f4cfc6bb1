"""Which runs each Part 1 notebook trains, as lists of configs (the notebooks and the tests build them here, so
a run trained by one is found by the other), and all of them as one sweep, the costliest first."""
from __future__ import annotations

from typing import Any

from ..gpt.config import TrainConfig
from ..gpt.sweep import SweepResult, grid, run_sweep, unique
from ..report.profiles import Params, load_params
from .ablations import distinct_configs


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


GROUPS = ("02_warmup", "03_grokking", "04_ablations")


def part1_configs(profile: str, out_dir: str | None = None, groups: tuple[str, ...] = GROUPS,
                  params: dict[str, Params] | None = None) -> list[TrainConfig]:
    """The runs of the chosen Part 1 notebooks for a profile, each once, exactly as the notebooks build them
    (`params`: every Part 1 group's loaded parameters, when the caller has them)."""
    params = params or {group: load_params(group, profile, None, out_dir) for group in GROUPS}
    folder = params["02_warmup"].out_dir
    configs: list[TrainConfig] = []
    if "02_warmup" in groups:
        runs, tuning = warmup_configs(params["02_warmup"], folder)
        configs += runs + tuning
    if "03_grokking" in groups:
        configs += grokking_configs(params["03_grokking"], folder)
    if "04_ablations" in groups:
        configs += ablation_configs(params["04_ablations"], params["03_grokking"], folder)[1]
    return unique(configs)


def expected_cost(cfg: TrainConfig) -> float:
    """A run's cost at its full budget, in 1-layer steps: a 2-layer step costs ~2.9x a 1-layer one on this CPU
    (12.1 vs 34.5 steps/s on the grokking task), about n_layer ** 1.5. Only the order of runs depends on it."""
    return cfg.max_steps * cfg.n_layer ** 1.5


def train_part1(profile: str, out_dir: str | None = None, groups: tuple[str, ...] = GROUPS,
                workers: int | None = None) -> SweepResult:
    """Train (or reuse) every run of the chosen groups in one sweep, costliest first, with `workers` training
    processes (else the groups' own setting where they give one, else one per available core)."""
    params = {group: load_params(group, profile, None, out_dir) for group in GROUPS}
    configs = sorted(part1_configs(profile, out_dir, groups, params), key=expected_cost, reverse=True)
    if workers is None:
        workers = max((params[g]["workers"] for g in groups if params[g].get("workers") is not None), default=None)
    return run_sweep(configs, workers=workers)

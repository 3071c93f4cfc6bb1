"""Run a list of training configs: reuse finished runs, resume interrupted ones, optionally in parallel.

    configs = grid({"task": "modular", "op": "/", ...}, seeds=[0, 1, 2], weight_decay=[0.1, 0.3, 1.0])
    sweep = run_sweep(configs)        # one training process per available core
    sweep.summaries   # one row per run: the varied fields, run_id, final metrics
    sweep.metrics     # tidy: every evaluation row of every run, with the varied fields as columns
"""
from __future__ import annotations

import itertools
import json
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from ..common.runtime import available_cores, die_with_parent, keep_freed_memory, show_progress
from .config import TrainConfig, make_config
from .runs import finished_run_dir
from .train import train


@dataclass
class SweepResult:
    configs: list[TrainConfig]
    summaries: pd.DataFrame
    metrics: pd.DataFrame
    varied: list[str]  # config fields that differ between the runs
    trained: int  # runs trained (or resumed) in this call; the others were reused from disk


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def grid(base: dict[str, Any], seeds: list[int] | None = None, **axes: list[Any]) -> list[TrainConfig]:
    """The cartesian product of `axes` (and seeds) over `base`; run names say which values they hold."""
    for key, values in axes.items():
        if not isinstance(values, (list, tuple)) or not values:
            raise ValueError(f"grid axis {key!r} must be a non-empty list of values, got {values!r}")
    seeds = [base.get("seed", 0)] if seeds is None else list(seeds)
    prefix = base.get("run_name", "run")
    configs = []
    for values in itertools.product(*axes.values(), seeds):
        *axis_values, seed = values
        combo = dict(zip(axes, axis_values))
        name = "-".join([prefix] + [f"{k}{_label(v)}".replace("/", "div") for k, v in combo.items()] + [f"s{seed}"])
        configs.append(make_config(base, **combo, seed=seed, run_name=name))
    return configs


def unique(configs: list[TrainConfig]) -> list[TrainConfig]:
    """The configs without repeats (same config hash), first occurrence kept."""
    return list({c.config_hash(): c for c in configs}.values())


def find(configs: list[TrainConfig], **values: Any) -> TrainConfig:
    """The first config whose fields equal `values` (e.g. seed=0, n_layer=1)."""
    for cfg in configs:
        if all(getattr(cfg, k) == v for k, v in values.items()):
            return cfg
    raise LookupError(f"no config with {values}")


def _train_in_worker(cfg_dict: dict[str, Any]) -> None:
    """A training process's entry point: its allocator setting, which would otherwise change the notebook
    kernel that started the sweep (the thread count is the config's own, set by train)."""
    keep_freed_memory()
    train(make_config(cfg_dict, progress=False))


def run_sweep(configs: list[TrainConfig], workers: int | None = None, progress: bool = True,
              keys: list[str] | None = None) -> SweepResult:
    """Train every config that has no finished run on disk; then load all results.

    workers > 1 runs that many training processes at once (on a small CPU, several single-thread runs use the
    cores better than one run with every thread); None, one per available core. Each run uses its config's
    `threads`, however many runs are pending or workers run, so a result never depends on `workers` (tested)
    and any run regenerated alone matches the stored one.
    keys: config fields to include as columns even where they do not vary.
    """
    workers = available_cores() if workers is None else workers
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a whole number >= 1, or None for one per available core; got {workers!r}")
    hashes = [c.config_hash() for c in configs]
    duplicates = {c.run_id for c in configs if hashes.count(c.config_hash()) > 1}
    if duplicates:
        raise ValueError(f"the sweep lists the same run more than once: {sorted(duplicates)}")
    todo = [c for c in configs if finished_run_dir(c) is None]
    bar = tqdm(total=len(configs), initial=len(configs) - len(todo), desc="runs", disable=not show_progress(progress))
    if workers == 1 or len(todo) <= 1:
        for cfg in todo:
            bar.set_postfix_str(cfg.run_name)
            train(make_config(cfg.to_dict(), progress=progress))  # the run's own step bar under the sweep's
            bar.update(1)
    else:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
                                 initializer=die_with_parent) as pool:
            futures = {pool.submit(_train_in_worker, cfg.to_dict()): cfg for cfg in todo}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=5, return_when=FIRST_COMPLETED)
                for future in finished:
                    future.result()  # re-raise a worker's error here, naming nothing silently
                    bar.update(1)
                # workers print nowhere a notebook shows: report each running run's last logged step instead
                bar.set_postfix_str(", ".join(f"{futures[f].run_name} step {_last_step(futures[f])}/"
                                              f"{futures[f].max_steps}" for f in pending if f.running()))
    bar.close()
    return load_sweep(configs, trained=len(todo), keys=keys)


def _last_step(cfg: TrainConfig) -> int:
    """The last evaluated step in a running run's metrics.csv (0 before the first), read from its tail."""
    try:
        with open(cfg.run_dir / "metrics.csv", "rb") as fh:
            fh.seek(max(0, fh.seek(0, 2) - 4096))
            last = fh.read().splitlines()[-1].split(b",")[0]
        return int(float(last))
    except (OSError, IndexError, ValueError):
        return 0


def varied_fields(configs: list[TrainConfig]) -> list[str]:
    dicts = [c.to_dict() for c in configs]
    return [k for k in dicts[0] if k != "run_name" and len({json.dumps(d[k]) for d in dicts}) > 1]


def load_sweep(configs: list[TrainConfig], trained: int = 0, keys: list[str] | None = None) -> SweepResult:
    """Read the stored results of finished runs into tidy tables (fails naming any run that is not finished).
    Columns: the fields that vary between the configs, plus `keys`, seed and run_id."""
    varied = varied_fields(configs)
    columns = list(dict.fromkeys(varied + list(keys or [])))
    summaries, metrics = [], []
    for cfg in configs:
        run_dir = finished_run_dir(cfg)
        if run_dir is None:
            raise FileNotFoundError(f"run {cfg.run_id} has no summary.json in {cfg.run_dir}: it has not finished")
        labels = {k: getattr(cfg, k) for k in columns} | {"seed": cfg.seed, "run_id": run_dir.name,
                                                           "config_hash": cfg.config_hash()}
        summaries.append(labels | json.loads((run_dir / "summary.json").read_text()))
        m = pd.read_csv(run_dir / "metrics.csv")
        for k, v in labels.items():
            m[k] = v
        metrics.append(m)
    return SweepResult(configs, pd.DataFrame(summaries), pd.concat(metrics, ignore_index=True), varied, trained)

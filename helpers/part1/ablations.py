"""Section 1.4: ablation studies of the grokking delay Δt = t_val − t_train, one training factor at a time.

A study is {"field": a TrainConfig field, "values": [...], "label": "...", optionally "seeds": [...]}; every other
field is the baseline recipe. A study's own seeds, where given, replace the section's. The shared baseline value runs once for both studies (same config hash).
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..gpt.config import TrainConfig, make_config
from .milestones import milestone_table, summarise_milestones
from ..gpt.sweep import grid


def study_configs(base: dict[str, Any], seeds: list[int], study: dict[str, Any]) -> list[TrainConfig]:
    """The runs of one study (its own seeds where it names them). Varying the training fraction splits the rest
    evenly into validation and test."""
    configs = grid(base, seeds=study_seeds(study, seeds), **{study["field"]: study["values"]})
    if study["field"] == "train_frac":
        configs = [make_config(c.to_dict(), val_frac=round((1 - c.train_frac) / 2, 6)) for c in configs]
    return configs


def study_seeds(study: dict[str, Any], seeds: list[int]) -> list[int]:
    """The seeds a study trains: its own, else the section's."""
    return list(study.get("seeds") or seeds)


def distinct_configs(base: dict[str, Any], seeds: list[int], studies: list[dict[str, Any]]) -> list[TrainConfig]:
    """Every run of every study once (the baseline value is shared)."""
    return list({c.config_hash(): c for s in studies for c in study_configs(base, seeds, s)}.values())


def analyse(metrics: pd.DataFrame, base: dict[str, Any], seeds: list[int], study: dict[str, Any],
            threshold: float, hold: float = 500) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(the study's tidy metrics, one milestone row per run, the summary per value)."""
    field = study["field"]
    hashes = {c.config_hash() for c in study_configs(base, seeds, study)}
    tidy = metrics[metrics.config_hash.isin(hashes)]
    table = milestone_table(tidy, [field], threshold, hold)
    table["delta_t_lower_bound"] = table["last_step"] - table["t_train"]  # for censored runs: Δt is at least this
    return tidy, table, summarise_milestones(table, [field])


def study_facts(table: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Any]:
    """What the synthesis reads of one study."""
    return {"summary": summary, "censored": int((table.outcome == "not generalised").sum()), "runs": len(table),
            "collapses": int(table.val_collapses.sum()), "never_fitted": int((table.outcome == "never fitted").sum())}

"""The hand-off to the synthesis (09): one typed record per section, saved as <out_dir>/facts/<profile>/<section>.json.

Each section notebook builds its record from its own results and saves it; the synthesis loads every record
and quotes its fields, so the essay never holds a stale number. Loading checks the fields both ways: a record
that lacks a field (a section stopped writing it) or has one the type does not know fails here, naming the
section, the field and the notebook that writes it, instead of deep inside the synthesis.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from ..common.io import repo_root, write_atomic


@dataclass
class Facts:
    @property
    def section(self) -> str:
        return SECTION_OF[type(self)]

    def to_json(self) -> str:
        return json.dumps(plain(asdict(self)), indent=1)


@dataclass
class WarmupFacts(Facts):
    runs: int
    generalised: int
    budget: int
    recipe: str
    unsolved: list[str]  # "a-b mod 97, 2 layer(s), seed 1" per run that did not reach 99% test accuracy
    band: str  # the configuration trained with several seeds
    band_test_acc: float
    band_steps: float  # mean stop step over its seeds
    band_first_steps: float  # mean first step at >= 99% test accuracy
    train_minutes: float
    tuning: str  # "2-layer a-b mod 97": the configuration the learning rate was tuned on
    paper_lr_train_acc: float | None  # its final training accuracy with the paper's recipe (None if not run)


@dataclass
class GrokkingFacts(Facts):
    recipe: str
    budget: int
    seeds: list[int]
    t_train: list[float | None]  # per seed; None where never reached
    t_val: list[float | None]
    val_acc_at_t_train: list[float | None]
    ratio: list[float | None]  # t_val / t_train per seed
    censored: int
    train_dips: list[int]  # per seed: evaluations between t_train and t_val with training accuracy below threshold
    collapses_after: list[int]  # per seed that generalised: validation collapses (> 30 points) after t_val


@dataclass
class AblationFacts(Facts):
    recipe: str
    budget: int
    studies: dict[str, dict[str, Any]]  # field -> {summary: [rows per value], censored, runs, collapses, never_fitted}


@dataclass
class ScalingFacts(Facts):
    model: str
    problems: str
    assignment: bool  # a real reasoning model on AIME (else a pipeline demonstration)
    grader: str
    n_problems: int
    par_budget: int
    sequential: list[dict[str, Any]]  # rows of the sequential curve
    parallel: list[dict[str, Any]]  # rows of the parallel curve
    seconds_per_sample: dict[str, float]


@dataclass
class QualitativeFacts(Facts):
    grader: str
    gained: list[str]
    lost: list[str]
    parallel_only: list[dict[str, Any]]
    distinct_answers: float
    samples: int
    top_answer_share: float
    similarity_same: float
    similarity_cross: float


@dataclass
class ImprovementsFacts(Facts):
    grader: str
    table: list[dict[str, Any]]  # accuracy per strategy, total budget and rule
    labels: dict[str, str]


# section name -> (record type, the notebook that writes it)
RECORDS: dict[str, tuple[type[Facts], str]] = {
    "warmup": (WarmupFacts, "02_warmup"), "grokking": (GrokkingFacts, "03_grokking"),
    "ablations": (AblationFacts, "04_ablations"), "scaling": (ScalingFacts, "06_scaling"),
    "qualitative": (QualitativeFacts, "07_qualitative"), "improvements": (ImprovementsFacts, "08_improvements")}
SECTION_OF = {cls: section for section, (cls, _) in RECORDS.items()}


def plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN to None, tuples to lists, DataFrames to records."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [plain(r) for r in value.to_dict("records")]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def folder(profile: str, out_dir: str | Path = "outputs") -> Path:
    return repo_root() / out_dir / "facts" / profile


def save(facts: Facts, profile: str, out_dir: str | Path = "outputs") -> None:
    """Write <out_dir>/facts/<profile>/<section>.json atomically. Returns nothing: a notebook's last line
    calls it, and a returned path would print this machine's absolute path into the report."""
    target = folder(profile, out_dir)
    target.mkdir(parents=True, exist_ok=True)
    write_atomic(target / f"{facts.section}.json", facts.to_json())


def load_facts(section: str, profile: str, out_dir: str | Path = "outputs") -> Facts:
    cls, notebook = RECORDS[section]
    path = folder(profile, out_dir) / f"{section}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no facts for section {section!r} in profile {profile!r} ({path}): run notebook "
                                f"{notebook} first")
    data = json.loads(path.read_text())
    names = {f.name for f in fields(cls)}
    missing, extra = sorted(names - set(data)), sorted(set(data) - names)
    if missing or extra:
        raise ValueError(f"{path}: the {section} facts do not match {cls.__name__} (written by {notebook}): "
                         f"missing {missing}, unexpected {extra}; re-run {notebook}")
    return cls(**data)


def load_all(profile: str, out_dir: str | Path = "outputs") -> dict[str, Facts]:
    return {section: load_facts(section, profile, out_dir) for section in RECORDS}

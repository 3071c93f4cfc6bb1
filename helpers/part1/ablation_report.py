"""Section 1.4 (notebook 04_ablations) as the report shows it: per study a figure, a summary table and a table of
every run, then a conclusion per study, and the facts the synthesis quotes (the analysis is helpers.part1.ablations).

`open_ablations` trains (or reuses) every distinct run of both studies and analyses each study once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..common.provenance import provenance
from ..gpt.config import TrainConfig, make_config
from ..gpt.sweep import SweepResult, run_sweep
from ..report import facts
from ..report.display import show, show_table
from ..report.profiles import Params, load_params
from .ablations import analyse, censored_runs, describe, study_facts
from .plans import ablation_configs
from .plots import ablation_study
from .prose import ablation_header, baseline_recipe, recipe, reuse_line

LETTERS = "AB"  # the studies' names in captions, in the order of STUDY_KEYS
STUDY_KEYS = ("study_a", "study_b")


@dataclass
class StudyResult:
    """One study analysed: its definition, tidy metrics, one milestone row per run, and the summary per value."""
    study: dict[str, Any]  # {"field", "values", "label"}
    tidy: pd.DataFrame
    table: pd.DataFrame
    summary: pd.DataFrame


@dataclass
class AblationSweep:
    """Both studies' runs (one sweep) and their analyses, in the order of STUDY_KEYS."""
    params: Params
    provenance: str
    baseline: TrainConfig  # the recipe every study varies one field of
    sweep: SweepResult
    studies: list[StudyResult]

    @property
    def recipe(self) -> str:
        return baseline_recipe(self.baseline)


def open_ablations(P: Params) -> AblationSweep:
    """Show the header line, train (or reuse) every distinct run, say how many were trained, analyse each study."""
    base, configs, n_shared = ablation_configs(P, load_params("03_grokking", P.profile, None, P.out_dir), P.out_dir)
    prov, baseline = provenance(P.profile), make_config(base)
    show(ablation_header(prov, P.seeds, baseline_recipe(baseline), len(configs), n_shared))
    sweep = run_sweep(configs, workers=P.workers, keys=["weight_decay", "train_frac"])
    show(reuse_line(sweep.trained, len(configs)))
    studies = [StudyResult(P[key], *analyse(sweep.metrics, base, P.seeds, P[key], P.threshold, P.hold_steps))
               for key in STUDY_KEYS]
    return AblationSweep(params=P, provenance=prov, baseline=baseline, sweep=sweep, studies=studies)


def ablation_figure(A: AblationSweep, number: int) -> plt.Figure:
    """Figure `number` (1 or 2): the curves, milestones, delays and fraction generalised of that study."""
    s, P = A.studies[number - 1], A.params
    study = s.study
    return ablation_study(study, s.tidy, s.table, P.threshold,
                          f"Figure {number}. Study {LETTERS[number - 1]}: {study['label']} ∈ {study['values']}, "
                          f"{len(P.seeds)} seeds each. Points: single runs; bars: mean ± std over the runs that "
                          f"generalised; open triangles: runs without Δt, at their lower bound (t_val: the budget; Δt: "
                          f"budget − t_train; runs that never fitted have no Δt to draw); last panel: fraction of the "
                          f"runs generalised by each step. {A.recipe}. {A.provenance}.")


def show_study_summary(A: AblationSweep, number: int) -> None:
    """Table `number`: that study per value."""
    s = A.studies[number - 1]
    field, label = s.study["field"], s.study["label"]
    show_table(s.summary.rename(columns={field: label}),
               f"**Table {number}.** Study {LETTERS[number - 1]}: per value, runs, runs that fitted the training set "
               f"and runs that generalised; mean ± std of t_train, t_val and Δt over the runs that generalised (the "
               f"same runs for all three); Kaplan–Meier medians of t_val (all runs) and Δt (runs that fitted), "
               f"censored runs counted as censored (NaN: more than half censored); censored runs with the step they "
               f"reached.",
               {c: "{:.0f}" for c in s.summary.columns if c.endswith(("_mean", "_std", "_median"))} | {label: "{:g}"})


def show_study_runs(A: AblationSweep, number: int) -> None:
    """Table `number`b: every run of that study."""
    s = A.studies[number - 1]
    field, label = s.study["field"], s.study["label"]
    show_table(s.table[[field, "seed", "outcome", "t_train", "t_val", "delta_t", "last_step", "train_dips"]]
               .rename(columns={field: label, "delta_t": "Δt", "last_step": "last step",
                                "train_dips": "train-acc dips, t_train to t_val"}),
               f"**Table {number}b.** Study {LETTERS[number - 1]}: every run.",
               {"t_train": "{:.0f}", "t_val": "{:.0f}", "Δt": "{:.0f}", "last step": "{:.0f}", label: "{:g}"})


def show_study_conclusion(A: AblationSweep, number: int) -> None:
    """What study `number` shows, and why each of its runs without Δt has none."""
    s = A.studies[number - 1]
    study = s.study
    show(f"**Study {LETTERS[number - 1]} ({study['label']}).** "
         f"{describe(s.summary, study, A.params.threshold, A.baseline.max_steps)}\n\n"
         f"*Runs without Δt.* {censored_runs(s.table, study['field'])}")


def save_ablation_facts(A: AblationSweep) -> None:
    """The numbers the synthesis (09) quotes."""
    P = A.params
    facts.save(facts.AblationFacts(recipe=recipe(A.baseline), budget=A.baseline.max_steps,
                                   studies={s.study["field"]: study_facts(s.table, s.summary) for s in A.studies}),
               P.profile, P.record_dir)

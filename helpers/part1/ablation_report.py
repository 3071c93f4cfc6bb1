"""Section 1.4 (notebook 04_ablations) as the report shows it: per study a figure, a summary table, the answer to
how the factor moved the grokking delay and (for the lab book) a table of every run; then the section's answer, and
the facts the synthesis quotes (the analysis is helpers.part1.ablations, the paragraphs helpers.part1.readings).

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
from ..report.display import show, show_paragraphs, show_table
from ..report.profiles import Params, load_params
from .ablations import analyse, study_facts, study_seeds
from .plans import ablation_configs
from .plots import ablation_study
from .prose import recipe, reuse_line
from .readings import ablation_answer, mean_std, train_fraction_answer, weight_decay_answer

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


def baseline_recipe(baseline: TrainConfig) -> str:
    """The recipe line of 1.4: the task, then the baseline recipe every study varies one field of."""
    return f"a / b (mod {baseline.modulus}), " + recipe(baseline) + " (baseline values)"


def open_ablations(P: Params) -> AblationSweep:
    """Show the header line, train (or reuse) every distinct run, say how many were trained, analyse each study."""
    base, configs, n_shared = ablation_configs(P, load_params("03_grokking", P.profile, None, P.out_dir), P.out_dir)
    prov, baseline = provenance(P.profile), make_config(base)
    seeds = "; ".join(f"Study {LETTERS[i]} seeds {study_seeds(P[key], P.seeds)}" for i, key in enumerate(STUDY_KEYS))
    show(f"**Produced by:** {prov}; {seeds}.  \n**Recipe:** {baseline_recipe(baseline)}.  \n"
         f"Distinct runs: {len(configs)} (the baseline value is shared by both studies); section 1.3's runs (same "
         f"config) among them: {n_shared}.")
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
                          f"Figure {number}. Study {LETTERS[number - 1]}: {study['label']}, "
                          f"{len(study_seeds(study, P.seeds))} seeds per value. Top left: validation accuracy (mean ± "
                          f"std over seeds), training accuracy (mean). Top right, bottom left: mean ± std over the runs "
                          f"that generalised, dots single runs, open triangles runs without Δt at their lower bound (runs "
                          f"that never fitted have none). Bottom right: fraction of runs generalised by each step. "
                          f"{A.recipe}. {A.provenance}.")


def show_study_summary(A: AblationSweep, number: int) -> None:
    """Table `number`: that study per value."""
    s = A.studies[number - 1]
    field, label, S = s.study["field"], s.study["label"], s.summary
    value = (lambda v: f"{v:g}") if field == "weight_decay" else (lambda v: f"{v:.0%}")
    km = lambda v: "—" if pd.isna(v) else f"{v:,.0f}"  # noqa: E731
    shown = pd.DataFrame({label: [value(v) for v in S[field]], "runs": S.runs, "fitted": S.fitted,
                          "generalised": S.generalised,
                          **{name: [mean_std(r, key) for _, r in S.iterrows()]
                             for name, key in [("t_train", "t_train"), ("t_val", "t_val"), ("Δt", "delta_t")]},
                          "median t_val": [km(v) for v in S.t_val_km_median],
                          "median Δt": [km(v) for v in S.delta_t_km_median],
                          "censored runs at": [c or "—" for c in S.censored_at]})
    show_table(shown, f"**Table {number}.** Study {LETTERS[number - 1]} per value: runs that fitted the training set "
                      f"and that generalised; t_train, t_val and Δt as mean ± std over the runs that generalised (the "
                      f"same runs for all three); Kaplan–Meier medians of t_val (all runs) and Δt (runs that fitted), "
                      f"censored runs counted as censored (—: more than half censored); the step each censored run "
                      f"reached.", {})


def show_study_runs(A: AblationSweep, number: int) -> None:
    """Table `number`b: every run of that study (lab book)."""
    s = A.studies[number - 1]
    field, label = s.study["field"], s.study["label"]
    show_table(s.table[[field, "seed", "outcome", "t_train", "val_acc_at_t_train", "t_val", "delta_t", "last_step",
                        "train_dips", "best_val_acc", "final_train_acc", "final_val_acc", "val_collapses"]]
               .rename(columns={field: label, "delta_t": "Δt", "last_step": "last step",
                                "val_acc_at_t_train": "val acc at t_train",
                                "train_dips": "train acc dips, t_train to t_val", "best_val_acc": "best val acc",
                                "final_train_acc": "final train acc", "final_val_acc": "final val acc",
                                "val_collapses": "val acc collapses"}),
               f"**Table {number}b.** Study {LETTERS[number - 1]}: every run. A collapse: validation accuracy falling "
               f"more than 30 points after reaching 90%.",
               {"t_train": "{:,.0f}", "t_val": "{:,.0f}", "Δt": "{:,.0f}", "last step": "{:,.0f}", label: "{:g}",
                "val acc at t_train": "{:.1%}",
                "best val acc": "{:.1%}", "final train acc": "{:.1%}", "final val acc": "{:.1%}"})


def show_study_answer(A: AblationSweep, number: int) -> None:
    """How study `number`'s factor moved the grokking delay."""
    s, budget = A.studies[number - 1], A.baseline.max_steps
    if s.study["field"] == "weight_decay":
        show_paragraphs(weight_decay_answer(s.summary, s.table, s.tidy, s.study, budget))
    else:
        show_paragraphs(train_fraction_answer(s.summary, s.table, s.study, budget, A.params.hold_steps))


def show_ablation_answer(A: AblationSweep) -> None:
    """The section's question, from both studies: what makes grokking faster and more reliable."""
    a, b = A.studies
    show_paragraphs(ablation_answer(a.summary, b.summary, b.table, a.study, b.study))


def save_ablation_facts(A: AblationSweep) -> None:
    """The numbers the synthesis (09) quotes."""
    P = A.params
    facts.save(facts.AblationFacts(recipe=recipe(A.baseline), budget=A.baseline.max_steps,
                                   studies={s.study["field"]: study_facts(s.table, s.summary) for s in A.studies}),
               P.profile, P.record_dir)

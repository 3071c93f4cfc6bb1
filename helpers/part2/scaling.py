"""Section 2.2 (notebook 06_scaling): sequential scaling (a thinking budget, Stop or Wait) against parallel
scaling (m samples, aggregated), the three questions, and latency. The notebook opens the section with
open_scaling, then calls one function per table, figure or paragraph."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..common.io import rel
from ..report import facts
from ..report.display import show, show_table
from ..report.profiles import load_params
from ..tts.curves import parallel_curve, sequential_curve
from ..tts.setting import Setting
from . import labels, prose
from .analysis import curve_grader
from .difficulty import by_difficulty
from .evidence import compute_evidence, oracle_evidence, staircase_evidence
from .latency import latency
from .params import Part2Params, parallel_setting, planned_problems, sequential_settings, token_plan
from .plots import grader_panels, staircase_figure
from .section import Part2Section, open_part2_section

SEQUENTIAL_NAMES = {"mode": "mode", "budget": "budget", "seeds": "seeds", "exact_mean": "exact_match",
                    "exact_std": "exact std", "flexible_mean": "flexible_extract", "flexible_std": "flexible std",
                    "thinking_tokens": "thinking tokens", "total_tokens": "total tokens", "cut_frac": "cut",
                    "waits_mean": "Waits"}
SEQUENTIAL_FORMATS = {"exact_match": "{:.1%}", "exact std": "{:.1%}", "flexible_extract": "{:.1%}",
                      "flexible std": "{:.1%}", "thinking tokens": "{:.0f}", "total tokens": "{:.0f}", "cut": "{:.0%}",
                      "Waits": "{:.2f}"}
LATENCY_SAMPLES = 8  # m of the latency measurement: stored under a hash that includes it, so changing it re-measures


def scaling_settings(p: Part2Params) -> list[Setting]:
    """Every setting 2.2 runs: one sequential sweep per intervention, then the parallel pool."""
    return [*sequential_settings(p).values(), parallel_setting(p)]


@dataclass
class ScalingSection:
    """2.2's section and settings; samples and curves are read (or generated) on first use."""
    section: Part2Section
    seq_settings: dict[str, Setting]  # intervention -> its sweep over the budgets
    par_setting: Setting

    @cached_property
    def sequential(self) -> pd.DataFrame:
        return pd.concat([self.section.study.run(s) for s in self.seq_settings.values()], ignore_index=True)

    @cached_property
    def pool(self) -> pd.DataFrame:
        return self.section.study.run(self.par_setting)

    @cached_property
    def seq_curve(self) -> pd.DataFrame:
        return sequential_curve(self.sequential)

    @cached_property
    def par_curve(self) -> pd.DataFrame:
        p = self.section.params
        return parallel_curve(self.pool, list(range(1, len(p.par_seeds) + 1)), n_boot=p.n_boot)

    @cached_property
    def seconds(self) -> pd.Series:
        """Mean wall-clock seconds per sample of each experiment (setting name)."""
        return pd.concat([self.sequential, self.pool]).groupby("experiment")["seconds_per_sample"].mean()

    @cached_property
    def grader(self) -> str:
        return curve_grader(self.seq_curve, self.par_curve)


def open_scaling(values: dict[str, Any], profile: str) -> ScalingSection:
    """The notebook's first call: open 2.2 and show its banner, sampling settings included."""
    section = open_part2_section(values, profile, "scaling", scaling_settings, with_sampling=True)
    p = section.params
    return ScalingSection(section, sequential_settings(p), parallel_setting(p))


def show_token_plans(s: ScalingSection) -> None:
    """Tables 0a and 0b: upper bounds on the tokens every Part 2 experiment generates, here and in `full`."""
    sec = s.section
    plan = token_plan(sec.params, sec.n_problems)
    formats = {c: "{:,}" for c in plan.columns if c.startswith("max")}
    show_table(plan, f"**Table 0a.** Every Part 2 experiment of this profile "
               f"({sec.n_problems} problems): upper bounds on generated tokens.", formats)
    full = Part2Params.from_dict(load_params("part2", "full"))
    full_plan = token_plan(full, planned_problems(full))
    show_table(full_plan, f"**Table 0b.** The same for the `full` profile ({full.study['model']} on AIME 2024, 30 "
               f"problems): at most {full_plan['max tokens (shared-prefix sweep)'].sum():,} generated tokens (each "
               f"budget run alone: {full_plan['max tokens (each budget run alone)'].sum():,}). Divide by your GPU's "
               f"vLLM throughput for Qwen3-4B to plan the run.", formats)


def show_sample_counts(s: ScalingSection) -> None:
    """How many samples each strategy has, and where their traces are."""
    p, study = s.section.params, s.section.study
    show(f"{len(s.sequential):,} sequential samples ({len(study.problems)} problems × {len(p.seq_seeds)} seeds "
         f"× {len(p.seq_budgets)} budgets × {len(p.seq_modes)} interventions) and a pool of {len(s.pool):,} "
         f"parallel samples ({len(p.par_seeds)} per problem at {p.par_budget:,} thinking tokens). Traces: "
         f"`{rel(study.out_dir / study.section)}/`.")


def show_scaling_setup(s: ScalingSection) -> None:
    """What 2.2 ran, and which of the assignment's budgets this model's budgets stand for."""
    p, sec = s.section.params, s.section
    show(prose.scaling_setup_text(len(s.sequential), len(s.pool), sec.n_problems, len(p.seq_seeds), p.seq_budgets,
                                  p.par_budget, len(p.par_seeds), labels.assignment_budgets(sec.study)))


def accuracy_figure(s: ScalingSection) -> plt.Figure:
    """Figure 1: accuracy against total thinking tokens, sequential and parallel, one panel per grader."""
    sec, p = s.section, s.section.params
    return grader_panels(s.seq_curve, s.par_curve,
                         f"Figure 1. Accuracy against total thinking tokens per problem, exact_match (left) and "
                         f"flexible_extract (right). Sequential: budgets {p.seq_budgets[0]}–{p.seq_budgets[-1]}, x = mean "
                         f"thinking tokens used, bars ± 1 std over {len(p.seq_seeds)} seeds. Parallel: m samples of "
                         f"{p.par_budget} thinking tokens, x = m × mean thinking per sample, bars 95% bootstrap interval "
                         f"({p.n_boot} replicates). {sec.who}; {sec.provenance}.")


def all_tokens_figure(s: ScalingSection) -> plt.Figure:
    """Figure 2: accuracy against the total tokens generated per problem (thinking and answer), both error bars."""
    sec = s.section
    return grader_panels(s.seq_curve, s.par_curve,
                         f"Figure 2. Accuracy against the average total tokens generated per problem (thinking and "
                         f"answer), exact_match (left) and flexible_extract (right). Horizontal bars: std of the total "
                         f"across the {sec.n_problems} problems; vertical bars as in Figure 1. {sec.who}; "
                         f"{sec.provenance}.", x="total_tokens", xerr=True,
                         xlabel="average total tokens per problem (log scale)")


def show_sequential_table(s: ScalingSection) -> None:
    """The lab book: sequential scaling per intervention and budget."""
    sec, p = s.section, s.section.params
    show_table(s.seq_curve[list(SEQUENTIAL_NAMES)].rename(columns=SEQUENTIAL_NAMES),
               f"**Table 1.** Sequential scaling per intervention and budget ({sec.n_problems} problems, mean and std "
               f"over seeds {p.seq_seeds}); cut: share of samples stopped by the budget; Waits: injected per sample. "
               f"{sec.who}.", SEQUENTIAL_FORMATS)


def show_parallel_table(s: ScalingSection) -> None:
    """The lab book: parallel scaling, bootstrap mean accuracy per m, grader and rule."""
    sec, p = s.section, s.section.params
    wide = s.par_curve.assign(thinking=s.par_curve.thinking_tokens.round().astype(int)).pivot_table(
        index=["m", "thinking"], columns=["grader", "rule"], values="mean")
    show_table(wide, f"**Table 2.** Parallel scaling: bootstrap mean accuracy per m ({p.par_budget} thinking tokens "
               f"per sample, {p.n_boot} bootstrap replicates; thinking: mean total per problem). {sec.who}.",
               "{:.1%}", index=True)


def staircase_table(s: ScalingSection) -> pd.DataFrame:
    """Accuracy by difficulty k, intervention and budget, with 95% bootstrap intervals over problems."""
    return by_difficulty(s.sequential, ["mode", "budget"], n_boot=s.section.params.n_boot)


def show_staircase(s: ScalingSection) -> plt.Figure | None:
    """Figure 3 and its paragraph: accuracy against the budget by difficulty k (the reasoner's problems only;
    another model's get a sentence saying so)."""
    sec, p = s.section, s.section.params
    if not sec.is_reasoner:
        show("This model's problems carry no difficulty levels; the staircase by k applies to the project's reasoner.")
        return None
    stair = staircase_table(s)
    fig = staircase_figure(stair, f"Figure 3. exact_match against the thinking budget by difficulty k, Stop (left) and "
                                  f"Wait (right); each problem averaged over {len(p.seq_seeds)} seeds, bars: 95% "
                                  f"bootstrap interval over the {int(stair.problems.min())} problems of each k; dotted: "
                                  f"one pass of each chain. {sec.who}; {sec.provenance}.")
    show(prose.staircase_text(staircase_evidence(stair, s.sequential)))
    return fig


def show_three_questions(s: ScalingSection) -> None:
    """The three questions of 2.2, answered from the curves, the pool and the measured latency."""
    q = compute_evidence(s.seq_curve, s.par_curve, s.grader)
    show(prose.compute_answer_text(q))
    show(prose.latency_answer_text(q, measured_latency(s)))
    show(prose.oracle_answer_text(oracle_evidence(s.pool, s.par_curve, s.grader), q))


def measured_latency(s: ScalingSection) -> dict[str, Any]:
    """One long sample against m short concurrent ones, same tokens: measured once, then read back."""
    study, p = s.section.study, s.section.params
    return latency(study, study.problems[-1], m=LATENCY_SAMPLES, short_budget=p.par_budget, prompt=p.prompt_config())


def show_latency(s: ScalingSection) -> None:
    """The lab book: the latency measurement with every timing."""
    show(prose.latency_text(measured_latency(s)))


def save_scaling_facts(s: ScalingSection) -> None:
    """The numbers the synthesis (09) quotes."""
    sec = s.section
    facts.save(facts.ScalingFacts(
        model=labels.model_label(sec.study), problems=sec.study.problem_source,
        assignment=labels.is_assignment(sec.study), grader=s.grader, n_problems=sec.n_problems,
        par_budget=sec.params.par_budget,
        sequential=facts.plain(s.seq_curve[["mode", "budget", "exact_mean", "flexible_mean", "exact_std",
                                            "flexible_std", "thinking_tokens", "total_tokens"]]),
        parallel=facts.plain(s.par_curve[["grader", "rule", "m", "mean", "lo", "hi", "thinking_tokens"]]),
        seconds_per_sample=s.seconds.to_dict()), sec.profile, sec.values["record_dir"])

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
from .analysis import curve_grader, three_questions
from .difficulty import by_difficulty, one_pass_budget
from .latency import latency
from .params import Part2Params, parallel_setting, planned_problems, sequential_settings, token_plan
from .plots import scaling_figure, staircase_figure, total_tokens_figure
from .section import Part2Section, open_part2_section

SEQUENTIAL_FORMATS = {"exact_mean": "{:.1%}", "exact_std": "{:.1%}", "flexible_mean": "{:.1%}",
                      "flexible_std": "{:.1%}", "thinking_tokens": "{:.0f}", "total_tokens": "{:.0f}",
                      "cut_frac": "{:.0%}", "waits_mean": "{:.2f}"}
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


def accuracy_figures(s: ScalingSection) -> list[plt.Figure]:
    """Figures 1 and 2: accuracy against total thinking tokens, sequential and parallel, under each grader."""
    sec, p = s.section, s.section.params
    return [scaling_figure(s.seq_curve, s.par_curve, grader,
                           f"Figure {number}. {grader} accuracy against total thinking tokens. Sequential: budgets "
                           f"{p.seq_budgets}, x = mean thinking tokens used; parallel: {p.par_budget} thinking tokens per "
                           f"sample, x = m × mean per-sample thinking. {sec.who}. {sec.provenance}.")
            for number, grader in enumerate(["exact", "flexible"], start=1)]


def all_tokens_figure(s: ScalingSection) -> plt.Figure:
    """Figure 3: accuracy against the total tokens generated per problem (thinking and answer)."""
    sec = s.section
    return total_tokens_figure(s.seq_curve, s.par_curve,
                               f"Figure 3. Accuracy against the average total tokens generated per problem. Horizontal "
                               f"bars: std across the {sec.n_problems} problems; vertical bars: std over seeds "
                               f"(sequential) or 95% bootstrap interval (parallel). {sec.who}. {sec.provenance}.")


def show_sequential_table(s: ScalingSection) -> None:
    """Table 1: sequential scaling per intervention and budget."""
    sec, p = s.section, s.section.params
    show_table(s.seq_curve[["mode", "budget", "seeds", "exact_mean", "exact_std", "flexible_mean", "flexible_std",
                            "thinking_tokens", "total_tokens", "cut_frac", "waits_mean"]],
               f"**Table 1.** Sequential scaling per intervention and budget ({sec.n_problems} problems, mean ± std "
               f"over seeds {p.seq_seeds}); `cut_frac`: share of samples stopped by the budget; `waits_mean`: Waits "
               f"injected per sample. {sec.who}.", SEQUENTIAL_FORMATS)


def show_parallel_table(s: ScalingSection) -> None:
    """Table 2: parallel scaling, bootstrap mean accuracy per m, grader and rule."""
    sec, p = s.section, s.section.params
    show_table(s.par_curve.pivot_table(index=["m", "thinking_tokens"], columns=["grader", "rule"], values="mean"),
               f"**Table 2.** Parallel scaling: bootstrap mean accuracy per m ({p.par_budget} thinking tokens per "
               f"sample, {p.n_boot} bootstrap replicates). {sec.who}.", "{:.1%}", index=True)


def show_staircase(s: ScalingSection) -> plt.Figure | None:
    """Figure 4 and its paragraph: accuracy against the budget by difficulty k (the reasoner's problems only;
    another model's get a sentence saying so)."""
    sec, p = s.section, s.section.params
    if not sec.is_reasoner:
        show("This model's problems carry no difficulty levels; the staircase by k applies to the project's reasoner.")
        return None
    stair = by_difficulty(s.sequential, ["mode", "budget"], n_boot=p.n_boot)
    fig = staircase_figure(stair, f"Figure 4. exact_match against the thinking budget by difficulty k, Stop (left) and "
                                  f"Wait (right); per problem averaged over seeds {p.seq_seeds}, bars: 95% bootstrap "
                                  f"interval over the {int(stair.problems.min())} problems of each k. {sec.who}. "
                                  f"{sec.provenance}.")
    wide = stair.pivot_table(index=["mode", "k"], columns="budget", values="accuracy")
    passes = {k: one_pass_budget(k, p.seq_budgets) for k in sorted(stair.k.unique())}
    waits = (s.sequential[s.sequential["mode"] == "wait"].groupby("budget")["waits"].mean()
             if "wait" in p.seq_modes else None)
    show(prose.staircase_text(wide, passes, p.seq_modes, min(p.seq_budgets), max(p.seq_budgets), waits))
    return fig


def show_three_questions(s: ScalingSection) -> None:
    """The three questions of 2.2, answered from the curves."""
    sec = s.section
    questions = three_questions(s.seq_curve, s.par_curve, s.grader, s.seconds.to_dict(),
                                [st.name for st in s.seq_settings.values()], s.par_setting.name)
    show(prose.three_questions_text(questions, s.grader, sec.n_problems, sec.params.par_budget))


def show_latency(s: ScalingSection) -> None:
    """One long sample against m short concurrent ones, same tokens: measured once, then read back."""
    study, p = s.section.study, s.section.params
    measured = latency(study, study.problems[-1], m=LATENCY_SAMPLES, short_budget=p.par_budget,
                       prompt=p.prompt_config())
    show(prose.latency_text(measured))


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

"""The synthesis essay's paragraphs (notebook 09): each takes the facts the other sections saved
(helpers.report.facts.load_all: section name -> record) and returns Markdown. Pure: no file is read and nothing
is shown here (helpers.part3.essay shows them), so each branch of the prose can be tested on hand-made facts."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ..report.display import pct, span
from ..report.facts import AblationFacts, Facts, GrokkingFacts, ScalingFacts, WarmupFacts
from .synthesis import best_improvement, delay_trend, exchange_summary, jump_summary, scaling_summary

ABLATED = (("weight_decay", "weight decay"), ("train_frac", "training fraction"))  # (facts field, words)


def measured_on_reasoner(scaling: ScalingFacts) -> bool:
    """Part 2 measured on the project's own reasoner (held-out chains), rather than a stand-in or AIME."""
    return scaling.problems.startswith("builtin:chains")


def sources_line(scaling: ScalingFacts, provenance_line: str) -> str:
    """The essay's header: where its numbers come from, and how far Part 2's model stands from the assignment's."""
    return (f"**Sources:** {provenance_line}. Part 1: models trained here. Part 2: **{scaling.model}** on "
            f"**{scaling.problems}**{_part2_standing(scaling)}")


def _part2_standing(scaling: ScalingFacts) -> str:
    if scaling.assignment:
        return "."
    if measured_on_reasoner(scaling):
        return (" — the project's own reasoning model on held-out chains of modular operations, not AIME: test-time "
                "scaling is measured on it, and what it says about Qwen3-4B on AIME is an analogy.")
    return (" — a pipeline demonstration, not AIME; claims about reasoning models below rest on "
            "the literature and on the `full` profile, not on these numbers.")


def delay_trends(ablations: AblationFacts) -> tuple[str, str]:
    """The weight-decay and training-fraction trends of the grokking delay (quoted in sections 1 and 3)."""
    return tuple(delay_trend(ablations, field, label) for field, label in ABLATED)


def _grokked(grokking: GrokkingFacts) -> str:
    ratios = [r for r in grokking.ratio if r is not None]
    return (f"only more optimisation — not more data, not a bigger model — turned memorisation into the rule, "
            f"{min(ratios):.1f}–{max(ratios):.1f}× later" if ratios else
            f"no seed generalised within the {grokking.budget:,}-step budget of this profile")


def _paper_lr(warmup: WarmupFacts) -> str:
    """A clause when the paper's learning rate could not even fit the training set (else nothing)."""
    if warmup.paper_lr_train_acc is None or warmup.paper_lr_train_acc >= 0.99:
        return ""
    return (f"with the paper's learning rate the {warmup.tuning} model reached only {pct(warmup.paper_lr_train_acc)} "
            "training accuracy (it could not fit its training set); ")


def when_compute_helps(facts: Mapping[str, Facts]) -> str:
    """Section 1: train-time compute pays where a rule is still to be found (Part 1), test-time compute where the
    model already solves a problem some of the time (Part 2)."""
    warmup, grok, ablations = facts["warmup"], facts["grokking"], facts["ablations"]
    curves = scaling_summary(facts["scaling"])
    wd_text, tf_text = delay_trends(ablations)
    warmup_rest = f"; not: {'; '.join(warmup.unsolved)}" if warmup.unsolved else ""
    return f"""
## 1 · When does each kind of compute help?

**Train-time compute pays off when the task has a compact rule that the data underdetermines at first.**
Modular arithmetic is the clean case: in section 1.3 the {len(grok.t_train)} seeds fit their training set at
{span(grok.t_train, ' steps')} while validation accuracy was {', '.join(pct(v) for v in grok.val_acc_at_t_train)}
at t_train (chance ≈ 1%), and {_grokked(grok)}. How much extra training it takes depends on the recipe more than on the task
(means over the runs that generalised): {wd_text}; {tf_text}. Power et al. (2022) report that more data and
weight decay both make generalisation come sooner; the t_train and t_val behind each Δt say whether a shorter
delay here came from generalising earlier or from fitting the training set later. The warm-up shows how much of
"the task is hard" can be the optimiser: {_paper_lr(warmup)}with the learning rate tuned on validation, {warmup.generalised} of {warmup.runs} warm-up runs (8 configurations ×
3 seeds, half the equations for training) generalised within {warmup.budget:,} steps{warmup_rest}. A model that has
not learnt the rule has no correct answer to find, and no amount of sampling at test time can supply one.

**Test-time compute pays off when the model already can solve a problem some of the time.** Sampling more,
or thinking longer, only re-weights what the model can produce. In this profile's Part 2 run, sequential
accuracy ({curves['grader']} grader) went from {pct(curves['seq_low'])} at the smallest budget to {pct(curves['seq_high'])} at the largest
(best: {pct(curves['best_acc'])}, {curves['best_mode']} at {curves['best_budget']:,} tokens), while best-of-m rose
from {pct(curves['first']['best-of-m'])} (m = 1) to {pct(curves['last']['best-of-m'])} (m = {curves['m_max']}) and
maj@m from {pct(curves['first']['maj@m'])} to {pct(curves['last']['maj@m'])}. The gap between best-of-m and
maj@m is the headroom: problems the model *can* solve but does not solve reliably. That is the regime where
test-time compute helps — medium problems, in the s1 and "Large Language Monkeys" (Brown et al. 2024) sense —
whereas problems no sample solves (coverage zero) get nothing from more samples, and easy ones are already
solved by one. Snell et al. (2024) make the same point for compute-optimal inference: the best use of test-time
compute depends on the problem's difficulty for that model.
"""


def compute_figure_caption(scaling: ScalingFacts, provenance_line: str) -> str:
    return (f"Figure 1. Left: mean grokking delay against the two ablated factors (open triangles at "
            f"the step budget: no run generalised). Right: accuracy against thinking tokens, {scaling.model} on "
            f"{scaling.problems}{'' if scaling.assignment else ' (pipeline demonstration, not AIME)'}. "
            f"{provenance_line}.")


def exchange_figure_caption(exchange: Mapping[str, Any], problems: int, provenance_line: str) -> str:
    """`exchange`: Part 2's exchange grid parameters (budgets, pool, per_sample_budget), as the profile gives them."""
    return (f"Figure 2. Accuracy (exact_match) against inference FLOPs per problem for every checkpoint of the "
            f"reasoner (colour: training step and FLOPs); solid: greedy Stop over budgets {exchange['budgets']}; "
            f"dashed: maj@m, m = 1..{len(exchange['pool'])} samples of {exchange['per_sample_budget']} thinking "
            f"tokens. {problems} held-out chains; {provenance_line}.")


def exchange_table_caption(final_step: int, base_budget: int) -> str:
    return (f"**Table 1.** For each difficulty group and earlier checkpoint: the cheapest test-time setting that reaches "
            f"the final checkpoint's (step {final_step:,}) greedy accuracy at {base_budget} thinking tokens within "
            f"noise (its 95% bootstrap interval reaches the target; else its best setting), its inference FLOPs per "
            f"problem relative to the final checkpoint's, the training FLOPs the earlier checkpoint saved, and the "
            f"break-even number of problems beyond which the extra training is the cheaper route.")


def exchange_reading(jumps: pd.DataFrame, table: pd.DataFrame, problems_per_group: int) -> str:
    """The skill jumps, then Table 1 in sentences (helpers.part3.synthesis.jump_summary, exchange_summary)."""
    return (jump_summary(jumps, problems_per_group) + "\n\n**Reading Table 1.** "
            + exchange_summary(table, problems_per_group))


def unfinished_runs(ablations: AblationFacts) -> tuple[int, int]:
    """(runs that never held their training set, runs that fitted it but did not generalise), over all ablations."""
    studies = ablations.studies.values()
    return sum(s["never_fitted"] for s in studies), sum(s["censored"] for s in studies)


def runs_where(ablations: AblationFacts, count: Callable[[dict[str, Any]], int]) -> str:
    """'weight decay 4: 3; training fraction 0.25: 1' for the ablated values where count(summary row) > 0."""
    parts = [f"{label} {r[field]:g}: {count(r)}" for field, label in ABLATED
             for r in ablations.studies[field]["summary"] if count(r)]
    return "; ".join(parts) or "none"


def failure_modes(facts: Mapping[str, Facts]) -> str:
    """Section 2: the report's three failures (grokking that does not happen, longer thinking that hurts, samples
    that agree too much or too little) and what they share."""
    ablations, grok, quali = facts["ablations"], facts["grokking"], facts["qualitative"]
    curves = scaling_summary(facts["scaling"])
    never_fitted, censored = unfinished_runs(ablations)
    never_where = runs_where(ablations, lambda r: r["runs"] - r["fitted"])
    censored_where = runs_where(ablations, lambda r: r["fitted"] - r["generalised"])
    collapses = ablations.studies["train_frac"]["collapses"] + ablations.studies["weight_decay"]["collapses"]
    seeds_collapsed, seeds_dipped = sum(c > 0 for c in grok.collapses_after), sum(d > 0 for d in grok.train_dips)
    curve_shape = ("the sequential curve is not monotone in this run" if curves["not_monotone"] else
                   "here the sequential curve happened to be monotone")
    return f"""
## 2 · What the failure modes have in common

Three failures appeared in this report:

- **Grokking that does not happen (in budget).** In the ablations, {never_fitted} run(s) never held 99%
  training accuracy ({never_where}) — Δt is undefined for them, they did not even memorise — and {censored}
  fitted their training set but had not generalised within {ablations.budget:,} steps ({censored_where}). Validation
  accuracy collapsed after reaching 90% {collapses}
  time(s) across the ablations and {sum(grok.collapses_after)} time(s) after grokking in section 1.3 ({seeds_collapsed}
  of {len(grok.collapses_after)} seeds), and training accuracy fell below 99% at {sum(grok.train_dips)} single evaluation(s)
  after it had been fitted (1.3, {seeds_dipped} of {len(grok.train_dips)} seeds): where these happen
  they are optimisation instability (the "slingshot" of Thilak et al. 2022), not a missing rule.
- **Longer thinking that hurts.** {len(quali.lost)} problem(s) in 2.3 were solved at a low budget and lost at a higher
  one; a longer thinking block gives the model more room to talk itself out of a correct intermediate answer, or to
  run out of answer tokens after it ({curve_shape}).
- **Parallel samples that agree too much or too little.** The {quali.samples} samples per problem gave
  {quali.distinct_answers:.1f} distinct answers on average and shared {quali.similarity_same:.2f} of their word
  trigrams (against {quali.similarity_cross:.2f} across different problems): voting can only help when right
  answers are both present and more common than any single wrong one.

The common thread: **extra compute amplifies whatever tendency is already there.** More optimisation steps
amplify the pressure of weight decay toward a low-norm solution — good when that solution generalises, fatal
when the decay is so strong that nothing fits. More thinking tokens amplify the model's own continuation,
correct or not. More samples amplify the mode of the model's answer distribution. Compute buys generalisation
only when an inductive bias (weight decay, a model that already reasons correctly most of the time) points the
amplification toward the right answer; otherwise it buys memorisation, drift or confident consensus on a wrong
answer.
"""


def caveat(scaling: ScalingFacts) -> str:
    """How far Part 2's measurements carry to Qwen3-4B on AIME: nothing to say when they were made there."""
    if scaling.assignment:
        return ""
    if measured_on_reasoner(scaling):
        return """
**Caveat.** Part 2 and the exchange rate above were measured on the project's 0.66M-parameter reasoner, whose
"reasoning" is a chain of table look-ups it was trained to write; Qwen3-4B on AIME has far more varied failure
modes. The shape of the argument (thinking only helps a model that can already do each step; voting only helps
where coverage exceeds accuracy; training is what moves coverage) is measured here; its numbers are not AIME's."""
    return """
**Caveat.** On this profile Part 2 ran a 135M stand-in model on easy arithmetic, so the test-time half of this
argument rests on the literature (s1: Muennighoff et al. 2025; Snell et al. 2024; Brown et al. 2024; Wang et al.
2023 on self-consistency) and on the `full` profile, which runs the same code on Qwen3-4B and AIME 2024."""


def allocation_proposal(facts: Mapping[str, Facts]) -> str:
    """Section 3: how to spend a fixed budget on easy, medium and hard problems, with the caveat on Part 2's model."""
    quali, improvements = facts["qualitative"], facts["improvements"]
    wd_text, tf_text = delay_trends(facts["ablations"])
    never_fitted, censored = unfinished_runs(facts["ablations"])
    return f"""
## 3 · A compute-allocation proposal by difficulty

Given one pretrained reasoning model, a benchmark of easy, medium and hard problems, and a fixed budget:

1. **Estimate difficulty cheaply first.** Draw a few short samples per problem (a small m at a small thinking
   budget). Agreement among them is a usable difficulty signal: unanimous answers mark easy problems; a split
   vote marks medium ones; no parseable or consistent answer marks hard ones. (Our diversity measurements — a
   top-answer share of {quali.top_answer_share:.0%} on average — are the kind of statistic this step reads.)
2. **Easy problems: stop there.** One short sample or a majority of the few already drawn; more compute cannot
   raise an accuracy that is already near its ceiling, and long forced thinking can lower it (2.3).
3. **Medium problems: spend on parallel samples with plurality voting**, at a moderate per-sample budget. This
   is where best-of-m ≫ maj@1, i.e. the model can solve the problem but not reliably; voting converts coverage
   into accuracy, and parallel samples cost no extra latency. Sequential budget beyond the point where the
   sequential curve flattens is wasted.{best_improvement(improvements)}
4. **Hard problems: test-time compute alone will not do.** If coverage at a large m is near zero, more samples
   or tokens cannot help (the grokking lesson: a rule the model has not learnt must be trained in). Spend the
   remaining budget on training — continued fine-tuning on related problems with verified answers, which is
   where our Part 1 results say compute turns into generalisation, given the right regulariser and enough data
   ({wd_text}; {tf_text}; {never_fitted + censored} ablation run(s) did not generalise within the budget).
   With a verifier (an oracle), the picture changes: sample until verified, since best-of-m is then deployable.
{caveat(facts["scaling"])}
"""

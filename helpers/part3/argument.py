"""Sections 3.2 (what the failure modes have in common) and 3.3 (a compute-allocation proposal) of the essay.

As helpers.part3.prose: written for the quick profile's results, every qualitative statement a claim whose condition
is computed from the data; pure functions from the facts and the exchange reading to Markdown paragraphs."""
from __future__ import annotations

import math
from collections.abc import Mapping

from ..report.claims import claim
from ..report.display import pct
from ..report.facts import Facts
from .prose import group_word, joined_with_and, no_substitute
from .readings import (ExchangeReading, ablation_rows, par_curves, rises_at_every_budget, row_or_nan, seq_curves,
                       strategy_row)


def flops_sci(x: float) -> str:
    """3.3e12 -> '3.3 × 10¹²' (a missing number as 'nan')."""
    if not math.isfinite(x):
        return "nan"
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa} × 10" + str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


LESSON = ("**What they say about compute and generalisation.** Compute generalises only through a bias that already "
          "points at the answer: weight decay toward the low-norm rule (Power et al. 2022; Nanda et al. 2023), a model "
          "that does each step right so that longer thinking completes the chain, errors independent enough for votes "
          "to cancel (Wang et al. 2023). Without one, more steps, tokens or samples buy memorisation, drift or a "
          "confident wrong consensus.")


def failure_modes(facts: Mapping[str, Facts]) -> list[str]:
    """The direct answer to question 2, with the three failures as its evidence, then what they say about compute
    and generalisation."""
    ablations, quali, improvements = facts["ablations"], facts["qualitative"], facts["improvements"]
    seq = seq_curves(facts["scaling"])
    stop, wait = seq["stop"], seq["wait"]
    strongest = row_or_nan(ablation_rows(ablations, "weight_decay"), -1)
    least = row_or_nan(ablation_rows(ablations, "train_frac"), 0)
    stuck = least.fitted - least.generalised
    collapsed = wait[wait.acc < 0.05].budget
    stop_there = stop[stop.budget.isin(collapsed)].acc
    hybrid, baseline = strategy_row(improvements, "hybrid_wait"), strategy_row(improvements, "baseline")
    hot, xtc = strategy_row(improvements, "minp_hot"), strategy_row(improvements, "xtc")
    fails = {"grokking": bool(strongest.fitted == 0 and stuck > 0),
             "thinking": bool(len(stop_there) > 0 and stop_there.min() >= 0.5 and hybrid["paired hi"] < 0),
             "sampling": bool(quali.similarity_same > 0.5 and quali.top_answer_share > 0.5)}
    common = claim("In each, more compute amplified what the model or the recipe already did, with nothing steering it "
                   "toward the rule.", holds=all(fails.values()), evidence=f"observed: {fails}")
    grokking = claim(
        f"Grokking failed where the recipe left no path from memorisation to the rule: weight decay "
        f"{strongest.weight_decay:g} let no run fit its training set, and with {least.train_frac:.0%} of the equations "
        f"{stuck:.0f} of {least.runs:.0f} runs memorised it and never generalised.", holds=fails["grokking"],
        evidence=f"fitted {strongest.fitted:.0f}; fitted without generalising {stuck:.0f}")
    forced = claim(
        f"Longer thinking hurt when it was forced: Wait fell to {pct(row_or_nan(wait, -1).acc)} at budgets where Stop "
        f"scored {100 * stop_there.min():.0f}–{pct(stop_there.max())}, and 2.4's hybrid under Wait scored "
        f"{pct(hybrid.accuracy)} maj@m against the baseline's {pct(baseline.accuracy)}.", holds=fails["thinking"],
        evidence=f"Wait below 5% at {collapsed.tolist()}; Stop there {stop_there.round(3).tolist()}; hybrid paired "
                 f"upper end {hybrid['paired hi']:+.1%}")
    cut = claim("Stop, which only cuts thinking short, never lowered mean accuracy.", holds=rises_at_every_budget(stop),
                evidence=f"Stop {stop.acc.round(3).tolist()}")
    alike = claim(
        f"Parallel samples were near-copies ({quali.distinct_answers:.1f} distinct answers among {quali.samples}; "
        f"word-trigram overlap {quali.similarity_same:.2f} against {quali.similarity_cross:.2f} across problems), so a "
        "vote repeats their shared errors,", holds=fails["sampling"],
        evidence=f"top share {quali.top_answer_share:.2f}, overlap {quali.similarity_same:.2f}")
    diverse = claim(
        f"and making them more diverse cost accuracy: hotter sampling lost {-100 * hot['paired Δ']:.0f} points and XTC "
        f"{-100 * xtc['paired Δ']:.0f} at {hot['total budget']:,.0f} total thinking tokens, beyond noise.",
        holds=hot["paired hi"] < 0 and xtc["paired hi"] < 0,
        evidence=f"paired upper ends {hot['paired hi']:+.1%}, {xtc['paired hi']:+.1%}")
    answer = " ".join(["**What do the failure modes have in common?**", common, grokking, forced, cut, alike, diverse])
    return [answer, LESSON]


def allocation_proposal(facts: Mapping[str, Facts], ex: ExchangeReading) -> list[str]:
    """The direct answer to question 3: a split of a fixed budget by difficulty, each step with its evidence."""
    scaling = facts["scaling"]
    groups = list(ex.groups)
    at = ex.part2_step if ex.part2_step is not None else ex.final
    easy_one, easy_all = ex.vote_gain(at, groups[0])
    enough = ex.enough_thinking(ex.final, groups[0])
    gains = {g: ex.vote_gain(at, g) for g in groups[1:]}
    wd = ablation_rows(facts["ablations"], "weight_decay")
    wd_best = row_or_nan(wd[wd.generalised >= 2].sort_values("delta_t_mean"), 0)
    votes, best = row_or_nan(par_curves(scaling)["maj@m"], -1), row_or_nan(par_curves(scaling)["best-of-m"], -1)
    trained, answer_cost = ex.training_between()
    lifted = joined_with_and([f"{group_word(g)} chains from {pct(one.accuracy)} (one sample) to {pct(last.accuracy)}"
                              if i == 0 else f"{group_word(g)} ones from {pct(one.accuracy)} to {pct(last.accuracy)}"
                              for i, (g, (one, last)) in enumerate(gains.items())])
    easy = claim(f"Greedy at {enough} tokens matches the final checkpoint's best on {group_word(groups[0])} chains, and "
                 f"at step {at:,} votes add nothing beyond noise (maj@1 {pct(easy_one.accuracy)}, maj@{ex.pool} "
                 f"{pct(easy_all.accuracy)}).", holds=enough is not None and easy_all.lo <= easy_one.hi,
                 evidence=f"m = 1 up to {easy_one.hi:.1%}, m = {ex.pool} from {easy_all.lo:.1%}")
    harder = claim(f"At step {at:,} maj@{ex.pool} lifted {lifted}.",
                   holds=bool(gains) and all(last.lo > one.hi for one, last in gains.values()),
                   evidence="; ".join(f"{g}: m = 1 up to {o.hi:.1%}, last from {la.lo:.1%}" for g, (o, la) in gains.items()))
    once = claim(f"Training is paid once: the {flops_sci(trained)} FLOPs that made the chain skill appear cost as much as "
                 f"about {float(f'{trained / answer_cost:.2g}'):,.0f} greedy answers to a {group_word(groups[-1])} chain "
                 "and bought what no inference budget did.", holds=no_substitute(ex),
                 evidence=f"best test-time gain before the jump {ex.best_gain_before():+.0%}")
    oracle = claim(f"Best-of-m reached {pct(best.acc)} at m = {best.m:.0f} against maj@m's {pct(votes.acc)}:",
                   holds=best.lo > votes.hi, evidence=f"best-of-m from {best.lo:.1%}, maj@m up to {votes.hi:.1%}")
    answer = ("**How would we split a fixed budget across training and inference?** By what the current model can "
              "already do: inference where it solves a problem some of the time, training where it does not, as "
              "Snell et al. (2024) propose for language models.")
    steps = [
        "1. **Triage** with a few short samples per problem: unanimous marks it easy, a split vote medium, no "
        "consistent answer hard (self-consistency, Wang et al. 2023).",
        f"2. **Easy: one answer with enough thinking.** {easy}",
        "3. **Medium and hard: a budget that holds one pass of the solution, then votes**, which add no latency "
        f"(2.2); never force thinking past the model's own end. {harder}",
        "4. **What no inference reaches: train**, by fine-tuning on related problems with verified answers, with the "
        f"regulariser that sped grokking most (weight decay {wd_best.weight_decay:g}) and more data. {once}",
        f"5. **With an oracle, sample until an answer is accepted.** {oracle} a verifier makes an easy problem cost one "
        "sample and frees compute for the hard ones."]
    return [answer, "\n".join(steps)]

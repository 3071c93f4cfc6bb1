"""Section 3.1 of the essay (when does each kind of compute help?) and the captions of its figures and table.

Written for the results the quick profile has; every qualitative statement is a claim (helpers.report.claims) whose
condition is computed from the data, so a run where it does not hold prints it marked, with its evidence. Pure: each
function takes the facts the other sections saved (helpers.report.facts.load_all) and Part 3's reading of its grid
(helpers.part3.readings.ExchangeReading) and returns Markdown paragraphs, one per list item."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..report.claims import claim
from ..report.display import pct, span
from ..report.facts import Facts, ScalingFacts
from .readings import (ExchangeReading, ablation_rows, gains_within_spread, par_curves, rises_at_every_budget,
                       row_or_nan, seq_curves)


def joined_with_and(items: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def all_of(n: int) -> str:
    """'both', 'all three', ... as prose says it."""
    return "both" if n == 2 else "all " + {3: "three", 4: "four", 5: "five", 6: "six"}.get(n, f"{n:,}")


def group_word(group: str) -> str:
    """'easy (k 2–4)' -> 'easy'."""
    return group.split(" (")[0]


def grokked_later(facts: Mapping[str, Facts]) -> bool:
    """Every grokking seed generalised, after it had fitted its training set near chance on validation."""
    grok = facts["grokking"]
    ratios = [r for r in grok.ratio if r is not None]
    return bool(ratios and len(ratios) == len(grok.seeds) and min(ratios) > 1
                and max((v for v in grok.val_acc_at_t_train if v is not None), default=1.0) < 0.1)


def inference_helps(scaling: ScalingFacts) -> bool:
    """Stop rises at every budget and maj@m at the largest m beats m = 1 beyond their intervals."""
    votes = par_curves(scaling)["maj@m"]
    return bool(rises_at_every_budget(seq_curves(scaling)["stop"])
                and row_or_nan(votes, -1).lo > row_or_nan(votes, 0).hi)


def thinking_by_difficulty(ex: ExchangeReading) -> tuple[list[int | None], list[int]]:
    """(the budget from which the final checkpoint's greedy accuracy stays flat, the first budget holding one pass of
    the longest chain) per group, easiest first."""
    return [ex.enough_thinking(ex.final, g) for g in ex.groups], [ex.one_pass(g) for g in ex.groups]


def no_substitute(ex: ExchangeReading) -> bool:
    """No earlier checkpoint bought the final accuracy back with more inference, and before the skill jump no
    test-time setting gained 10 points over greedy."""
    return bool(len(ex.table) and ex.jumps["jump"].all() and not ex.bought_back() and ex.best_gain_before() < 0.1)


def when_it_helps(facts: Mapping[str, Facts], ex: ExchangeReading) -> list[str]:
    """The direct answer to question 1, then its evidence from Part 1 and from Part 2."""
    flat, _ = thinking_by_difficulty(ex)
    training = claim("Extra training helps while the model lacks the rule a problem needs;",
                     holds=grokked_later(facts) and ex.jumps_together(),
                     evidence=f"grokking ratios {facts['grokking'].ratio}; skill jumps in {len(ex.jumped())} of "
                              f"{len(ex.jumps)} groups")
    inference = claim("extra inference helps once it solves the problem some of the time,",
                      holds=inference_helps(facts["scaling"]), evidence="Stop and maj@m curves of 2.2")
    harder = claim("and harder problems then need longer thinking.",
                   holds=all(f is not None for f in flat) and flat == sorted(flat) and flat[0] < flat[-1],
                   evidence=f"flat from {flat} tokens, easiest group first")
    never = claim("At no difficulty did extra inference stand in for missing training.", holds=no_substitute(ex),
                  evidence=f"bought back: {ex.bought_back()}; best test-time gain before the jump "
                           f"{ex.best_gain_before():+.0%}")
    answer = " ".join(["**When does each strategy help?**", training, inference, harder, never])
    return [answer, part1_evidence(facts), part2_evidence(facts["scaling"], ex)]


def part1_evidence(facts: Mapping[str, Facts]) -> str:
    grok, ablations = facts["grokking"], facts["ablations"]
    wd = ablation_rows(ablations, "weight_decay")
    wd_ok = wd[wd.generalised >= 2]
    strongest = row_or_nan(wd, -1)
    tf = ablation_rows(ablations, "train_frac")
    tf_ok = tf[tf.generalised >= 1].reset_index(drop=True)
    rises = tf_ok.delta_t_mean.diff()
    at = int(rises.idxmax()) if (rises > 0).any() else 1
    bump, before = row_or_nan(tf_ok, at), row_or_nan(tf_ok, at - 1)
    few, many = row_or_nan(tf_ok, 0), row_or_nan(tf_ok, -1)
    near_chance = span([100 * v for v in grok.val_acc_at_t_train if v is not None], "%")
    steps_only = claim("same model, same data, only more steps.", holds=grokked_later(facts),
                       evidence=f"t_val/t_train {grok.ratio}")
    decay = claim(f"stronger weight decay shortened the delay at every step from {row_or_nan(wd_ok, 0).weight_decay:g} "
                  f"to {row_or_nan(wd_ok, -1).weight_decay:g} (Δt {' → '.join(f'{v:,.0f}' for v in wd_ok.delta_t_mean)}),",
                  holds=len(wd_ok) > 1 and bool((wd_ok.delta_t_mean.diff().dropna() < 0).all()),
                  evidence=f"Δt {wd_ok.delta_t_mean.round().tolist()}")
    too_strong = claim(f"but at {strongest.weight_decay:g} no run fitted even its training set;",
                       holds=strongest.fitted == 0, evidence=f"{strongest.fitted:.0f} of {strongest.runs:.0f} fitted")
    data = claim(f"more data shortened it overall ({few.delta_t_mean:,.0f} steps at {few.train_frac:.0%} of the "
                 f"equations, where {few.generalised:.0f} of {few.runs:.0f} runs generalised, against "
                 f"{many.delta_t_mean:,.0f} at {many.train_frac:.0%}),",
                 holds=len(tf_ok) > 1 and many.delta_t_mean < few.delta_t_mean,
                 evidence=f"Δt {tf_ok.delta_t_mean.round().tolist()}")
    bumpy = claim(f"though not at every step (the rise from {before.train_frac:.0%} to {bump.train_frac:.0%} is within "
                  "the spread over seeds).",
                  holds=bool((rises > 0).any()) and bump.delta_t_mean - before.delta_t_mean < bump.delta_t_std,
                  evidence=f"Δt {tf_ok.delta_t_mean.round().tolist()}, std {tf_ok.delta_t_std.round().tolist()}")
    return (f"**Train time (Part 1).** The grokking seeds of 1.3 fitted their training set at {span(grok.t_train)} "
            f"steps with validation accuracy near chance ({near_chance}) and generalised at {span(grok.t_val)} steps: "
            f"{steps_only} The recipe sets how many (Figure 1a, b): {decay} {too_strong} {data} {bumpy}")


def part2_evidence(scaling: ScalingFacts, ex: ExchangeReading) -> str:
    seq, par = seq_curves(scaling), par_curves(scaling)
    stop, wait, votes, best = seq["stop"], seq["wait"], par["maj@m"], par["best-of-m"]
    s0, s1, w0, w1 = row_or_nan(stop, 0), row_or_nan(stop, -1), row_or_nan(wait, 0), row_or_nan(wait, -1)
    v0, v1, b1 = row_or_nan(votes, 0), row_or_nan(votes, -1), row_or_nan(best, -1)
    flat = gains_within_spread(stop)
    knee = row_or_nan(stop[stop.budget < flat.budget.iloc[0]] if len(flat) else stop, -1)
    which = f", step {ex.part2_step:,}" if ex.part2_step is not None else ""
    rises = claim(f"Stop accuracy rose at every thinking budget, from {pct(s0.acc)} at {s0.budget:.0f} tokens to "
                  f"{pct(s1.acc)} at {s1.budget:.0f},", holds=rises_at_every_budget(stop),
                  evidence=f"Stop {stop.acc.round(3).tolist()}")
    levels = claim(f"gaining less than the spread over seeds after {knee.budget:.0f} ({pct(knee.acc)});",
                   holds=len(flat) > 0, evidence=f"gains after it {flat.gain.round(3).tolist()}")
    falls = claim(f"Wait, which forces thinking past the model's own end, fell from {pct(w0.acc)} to {pct(w1.acc)}.",
                  holds=w1.acc < w0.acc - 2 * wait["std"].max(), evidence=f"Wait {wait.acc.round(3).tolist()}")
    samples = claim(f"Parallel sampling at {scaling.par_budget} tokens per sample raised maj@m from {pct(v0.acc)} to "
                    f"{pct(v1.acc)} at m = {v1.m:.0f} and best-of-m to {pct(b1.acc)}, both beyond the bootstrap "
                    "interval of one sample.", holds=v1.lo > v0.hi and b1.lo > v0.hi,
                    evidence=f"m = 1 up to {v0.hi:.1%}; m = {v1.m:.0f} from {v1.lo:.1%} (maj@m), {b1.lo:.1%} (best-of-m)")
    return f"**Test time (Part 2{which}).** {rises} {levels} {falls} {samples}"


def exchange_by_difficulty(ex: ExchangeReading) -> list[str]:
    """Part 3's measurement in sentences (Figure 2, Table 1), then what it means and what the literature makes of
    it."""
    flat, one_pass = thinking_by_difficulty(ex)
    groups = [group_word(g) for g in ex.groups]
    jumped = ex.jumped()
    j = row_or_nan(jumped, 0)
    later = ex.points[ex.points.step >= j.after].step.unique()
    vote_gains = [ex.vote_gain(s, g) for s in later for g in list(ex.groups)[1:]]
    stops = claim(f"The final checkpoint's greedy accuracy stops rising at {joined_with_and([str(b) for b in flat])} "
                  f"thinking tokens on {joined_with_and(groups)} chains, the first budgets that hold one pass of the "
                  "chain.", holds=flat == one_pass, evidence=f"flat from {flat}; one pass fits first at {one_pass}")
    jump = claim(f"Training acts on {all_of(len(groups))} at once: between steps {j.before:,.0f} and {j.after:,.0f} "
                 f"({j.train_ratio:.2f}× the training FLOPs) greedy accuracy at {ex.per_sample_budget} tokens jumps "
                 f"from {joined_with_and([pct(v) for v in jumped.greedy_before])} to "
                 f"{joined_with_and([pct(v) for v in jumped.greedy_after])},",
                 holds=ex.jumps_together(), evidence=ex.jumps[["group", "jump"]].to_string(index=False))
    nothing = claim(f"while at step {j.before:,.0f} no test-time setting, even at {jumped.most_inference_ratio.max():.0f}× "
                    f"the inference FLOPs, gains more than {100 * ex.best_gain_before():.0f} points.",
                    holds=ex.best_gain_before() < 0.1, evidence=f"largest gain {ex.best_gain_before():+.1%}")
    no_exchange = claim("Table 1 thus finds no exchange,", evidence=f"first reaching: {dict(ex.first_reaching().step)}",
                        holds=len(ex.first_reaching()) == len(groups) and not ex.bought_back())
    votes_after = claim(f"and votes pay only after the jump, on {joined_with_and(groups[1:])} chains.",
                        holds=bool(vote_gains) and all(last.lo > one.hi for one, last in vote_gains),
                        evidence="; ".join(f"{one.accuracy:.0%} → {last.accuracy:.0%}" for one, last in vote_gains))
    at_once = claim("here the skill appears at every difficulty at once.", evidence="skill jumps per group",
                    holds=ex.jumps_together() and no_substitute(ex))
    return [f"**By difficulty (Figure 2, Table 1).** {stops} {jump} {nothing}",
            f"{no_exchange} {votes_after} This is the hard-problem half of Snell et al. (2024), where test-time compute "
            f"replaces a 14× larger model only where the smaller one already succeeds sometimes; {at_once}"]


def compute_figure_caption(facts: Mapping[str, Facts], provenance_line: str) -> str:
    scaling, ablations = facts["scaling"], facts["ablations"]
    return (f"Figure 1. (a, b) Grokking delay Δt = t_val − t_train on modular division (1.4): mean ± std over the runs "
            f"that generalised (n/N of them), each factor varied alone; triangles: none generalised within "
            f"{ablations.budget:,} steps. (c) Part 2's accuracy ({scaling.grader}) against thinking tokens per problem "
            f"({scaling.n_problems} problems): Stop and Wait ± std over seeds; maj@m and best-of-m over m samples of "
            f"{scaling.par_budget} tokens, 95% bootstrap intervals. {provenance_line}.")


def exchange_figure_caption(ex: ExchangeReading, budgets: Sequence[int], provenance_line: str) -> str:
    sizes = ex.points.drop_duplicates("group").set_index("group").problems
    return (f"Figure 2. Accuracy (exact) against inference FLOPs per problem for each saved checkpoint of the reasoner "
            f"(colour) on {sizes.sum():,} held-out chains by difficulty (columns: "
            f"{joined_with_and([f'{group_word(g)} {n}' for g, n in sizes.items()])}). Top: greedy Stop at budgets "
            f"{budgets[0]}–{budgets[-1]} tokens; bottom: maj@m over m = 1–{ex.pool} samples of "
            f"{ex.per_sample_budget} tokens. Bands: 95% bootstrap intervals. {provenance_line}.")


def exchange_table_caption(ex: ExchangeReading) -> str:
    targets = ex.table.drop_duplicates("group").set_index("group")["target accuracy"]
    return (f"**Table 1.** Can an earlier checkpoint buy back with test-time compute the final checkpoint's greedy "
            f"accuracy at {ex.per_sample_budget} tokens (step {ex.final:,}: "
            f"{joined_with_and([f'{group_word(g)} {t:.0%}' for g, t in targets.items()])})? Cell: the cheapest "
            "setting within noise of that target (✓; else the most accurate one), its accuracy, and its inference "
            "FLOPs per problem relative to the final checkpoint's. "
            + claim("No cell reaches the target with more inference: there is no break-even.",
                    holds=bool(ex.table["break-even problems"].isna().all()),
                    evidence=f"break-even: {ex.table['break-even problems'].dropna().tolist()}"))

"""The paragraphs of sections 2.1 and 2.2, written for the results the quick profile has: numbers interpolated from
the data, every qualitative statement a claim (helpers.report.claims) whose condition is computed from the data, so a
run where it does not hold prints it marked. Data in, Markdown out, no display and no files: each paragraph has a
unit test (tests/test_part2_prose.py). 2.3 and 2.4 are in prose_traces.py; the numbers come from evidence.py."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..reasoner.task import STEP_TOKENS
from ..report.claims import claim
from .analysis import excerpt


def sampling_text(sampling: Mapping[str, Any]) -> str:
    """'temperature 0.6, top_p 0.95, ...': the sampling settings as captions quote them."""
    return ", ".join(f"{k} {v}" for k, v in sampling.items())


def header_text(banner: str, provenance: str, run_counts: str, sampling: Mapping[str, Any] | None = None) -> str:
    """The lab book's opening of a Part 2 notebook: the banner, the run line (with the sampling settings when
    given) and what was generated or read back."""
    shown = "" if sampling is None else f"**Sampling:** {sampling_text(sampling)}. "
    return banner + f"\n\n**Run:** {provenance}. " + shown + run_counts


def _pts(x: float) -> str:
    return f"{x * 100:+.1f}"


# ------------------------------------------------------------------------------------------------- 2.1

def model_origin_text(run: Any, folder: str) -> str:
    """The lab book: where the project's reasoner comes from, its training run (a helpers.reasoner.train.ReasonerRun)
    in one paragraph; `folder` is the run folder as the reader should see it (relative to the project)."""
    rc, summary = run.config, run.summary
    steps = ", ".join(f"{c['step']:,}" for c in run.checkpoints)
    return (f"**Where the model comes from.** `python -m helpers.reasoner.train` (run folder `{folder}`): "
            f"{summary['n_params']:,} parameters, trained {rc.steps:,} steps in {summary['train_seconds'] / 60:.1f} min "
            f"({summary['tokens'] / 1e6:.1f}M tokens, {summary['train_flops']:.2g} FLOPs): first "
            f"{rc.table_steps} steps on the operation table alone ({rc.table_batch_size} rows of `a±b=c` mod "
            f"{rc.task.modulus} per step), then batches of {rc.batch_size} examples: chains of k = {rc.task.min_k}–{rc.task.max_k} "
            f"operands, {rc.task.error_frac:.0%} with a wrong step corrected after \"Wait\", {rc.task.recheck_frac:.0%} "
            f"re-checked after \"Wait\", {rc.task.direct_frac:.0%} answered with thinking off, {rc.task.table_frac:.0%} table "
            f"rows; AdamW, lr {rc.lr:g}, weight decay {rc.weight_decay:g}. Checkpoints at steps "
            f"{steps}. Its limits: it knows only this task, one modulus and "
            f"chains of at most {rc.task.max_k} operands.")


def greedy_accuracy_text(on: Mapping[str, float], off: Mapping[str, float], problems: int, wins: list[int],
                         ks: list[int], guess: float | None) -> str:
    """2.1's first question: greedy accuracy with thinking on and off under both graders (`on`, `off`: exact and
    flexible), where thinking wins beyond noise (`wins`, among the difficulties `ks`; none for a model without
    levels), and thinking-off accuracy against a uniform guess (`guess`, None where answers are not residues)."""
    text = (f"**Greedy accuracy with and without thinking.** With thinking, greedy decoding solves {on['exact']:.1%} of "
            f"the {problems} problems under exact_match and {on['flexible']:.1%} under flexible_extract; without "
            f"thinking, {off['exact']:.1%} and {off['flexible']:.1%}. ")
    if ks:
        text += claim("Thinking is what solves them: it is better at every difficulty k, with the 95% intervals "
                      "apart at each (Figure 1, right).", holds=bool(wins) and set(wins) == set(ks),
                      evidence=f"intervals apart at k = {', '.join(map(str, wins)) or 'none'} of {ks[0]}–{ks[-1]}")
    else:
        text += claim(f"Thinking adds {_pts(on['exact'] - off['exact'])} points.", holds=on["exact"] > off["exact"],
                      evidence=f"{on['exact']:.1%} with thinking, {off['exact']:.1%} without")
    if guess is not None:
        text += " " + claim(f"Without thinking the model has to do all k − 1 operations in one forward pass, and it "
                            f"stays below twice the {guess:.1%} of a uniform guess among the residues.",
                            holds=off["exact"] < 2 * guess, evidence=f"{off['exact']:.1%} against {2 * guess:.1%}")
    return text


def thinking_lengths_text(lengths: pd.Series, cap: int, cut: float, one_pass: float | None) -> str:
    """2.1's length distribution: the greedy thinking lengths (one per problem), the share cut by the cap, and the
    share of traces that are exactly one pass over their chain (None for a model without chains)."""
    counts = lengths.value_counts().sort_index()
    text = (f"**Thinking lengths (Figure 1, left).** Greedy thinking lasts {lengths.mean():.0f} tokens on average "
            f"(median {lengths.median():.0f}, range {lengths.min()}–{lengths.max()}); "
            + claim(f"none reaches the {cap}-token cap.", holds=cut == 0, evidence=f"{cut:.1%} cut by the cap"))
    if one_pass is None:
        return text
    return text + " " + claim(
        f"Every trace is exactly one pass over its chain, {STEP_TOKENS}(k − 1) tokens for k operands, with no re-check, "
        f"so the histogram is a comb with {counts.iloc[0]} problems at each multiple of {STEP_TOKENS} from "
        f"{counts.index[0]} to {counts.index[-1]}: the distribution of thinking lengths is the distribution of chain "
        f"lengths.", holds=one_pass == 1 and counts.nunique() == 1,
        evidence=f"{one_pass:.0%} of traces one pass; problems per length {counts.min()}–{counts.max()}")


def graders_text(samples: int, disagree: int, boxed: float) -> str:
    """What the two graders do, and whether they disagree on any greedy sample (`boxed`: share with a boxed answer)."""
    return ("**What the two graders do.** exact_match takes the last `\\boxed{…}` of the final answer (the text "
            "after the thinking) and compares it with the gold integer, so an answer without a box scores nothing; "
            "flexible_extract takes the last number anywhere in the final answer, so it forgives a missing box but "
            "can be fooled by a number written after the answer. The thinking is never graded. "
            + claim(f"On this model the two agree on all {samples} greedy samples: it boxes every answer, so the choice "
                    "of grader changes nothing here.", holds=disagree == 0 and boxed == 1,
                    evidence=f"{disagree} samples scored differently; a boxed answer in {boxed:.1%}"))


def disagreement_text(r: pd.Series) -> str:
    """The lab book: one sample the two graders score differently, what each read, and its final answer."""
    read = {g: "nothing" if pd.isna(r[f"{g}_answer"]) else f"{int(r[f'{g}_answer'])}" for g in ("exact", "flexible")}
    return (f"**{r.problem_id}** ({r.condition}; gold {r.gold}; exact_match read {read['exact']}, "
            f"flexible_extract read {read['flexible']}: only "
            f"`{'flexible_extract' if r.flexible_correct else 'exact_match'}` counts it correct). "
            f"Final answer:\n\n```text\n{excerpt(r.answer_text, 300, 200)}\n```")


def greedy_trace_text(problem: Any, sample: pd.Series, traces: str) -> str:
    """The lab book: one greedy trace quoted, the problem, the thinking (what the budget counts), the final answer
    (what is graded) with both grades, and the trace file it was read from."""
    mark = {True: "✓", False: "✗"}
    return (f"**{problem.id}** — {problem.problem} (gold {problem.answer})\n\n*Thinking* "
            f"({sample.thinking_tokens} tokens{', cut by the cap' if sample.thinking_cut else ''}):\n\n"
            f"```text\n{excerpt(sample.thinking_text, 600, 300)}\n```\n\n*Final answer* "
            f"({sample.answer_tokens} tokens; exact_match {mark[bool(sample.exact_correct)]}, "
            f"flexible_extract {mark[bool(sample.flexible_correct)]}):\n\n"
            f"```text\n{excerpt(sample.answer_text, 400, 200)}\n```\n\nTraces: `{traces}`.")


# ------------------------------------------------------------------------------------------------- 2.2

def scaling_setup_text(sequential: int, pool: int, problems: int, seeds: int, budgets: list[int], par_budget: int,
                       samples: int, stands_for: Mapping[str, int] | None) -> str:
    """What 2.2 ran, in one paragraph, and (for a stand-in model) which of the assignment's budgets its budgets
    stand for (`stands_for`: the assignment's per-sample budget; None when this is the assignment's setting)."""
    text = (f"**What ran.** {sequential:,} sequential samples ({problems} problems, {seeds} seeds, budgets "
            f"{budgets[0]}–{budgets[-1]} thinking tokens, Stop and Wait) and a pool of {pool:,} parallel samples "
            f"({samples} per problem at {par_budget} thinking tokens each), sampled with the model card's settings.")
    if stands_for:
        text += (f" Budgets are in the reasoner's tokens (one step of a chain is {STEP_TOKENS}): the per-sample budget "
                 f"{par_budget} stands for the assignment's {stands_for['par_budget']:,}, about "
                 f"{stands_for['par_budget'] / par_budget:.0f} of its tokens per reasoner token.")
    return text


def staircase_text(ev: Mapping[str, Any]) -> str:
    """2.2 by difficulty (evidence.staircase_evidence): Stop's jump at one pass and its dips, Wait's single budget."""
    dip = ev["dip"]
    text = ("**Where the sequential curve comes from (Figure 3).** "
            + claim(f"Under Stop, each difficulty's accuracy jumps at the first budget that holds one pass of its "
                    f"chain ({STEP_TOKENS}(k − 1) tokens, dotted): below it the model answers from a cut chain and "
                    f"scores at most {ev['below_max']:.0%}; at it, {ev['at_min']:.0%}–{ev['at_max']:.0%}.",
                    holds=ev["below_max"] <= 0.1 and ev["at_min"] >= 0.5,
                    evidence=f"at most {ev['below_max']:.0%} below, {ev['at_min']:.0%}–{ev['at_max']:.0%} at the pass"))
    if dip is not None:
        text += " " + claim(
            f"Between one and two passes it can dip, when a sample starts its own \"Wait\" re-check and the budget "
            f"cuts it mid-pass: k = {dip['k']} falls from {dip['from_acc']:.0%} at {dip['from_budget']} tokens to "
            f"{dip['to_acc']:.0%} at {dip['to_budget']} and is back at {dip['top_acc']:.0%} at {dip['top_budget']}; "
            f"of the {ev['cut_rechecks']} Stop samples cut inside their own re-check, {ev['cut_right']} answered right.",
            holds=dip["apart"] and ev["cut_rechecks"] > 0 and ev["cut_right"] <= 0.05 * ev["cut_rechecks"],
            evidence=f"dip {_pts(dip['to_acc'] - dip['from_acc'])} points, intervals apart: {dip['apart']}; "
                     f"{ev['cut_right']} of {ev['cut_rechecks']} cut re-checks right")
    if ev["wait_exact_ks"]:
        text += " " + claim(
            f"Under Wait a difficulty is solved only at a budget of exactly one pass ({ev['wait_exact_min']:.0%} or "
            f"more there); any other budget forces a \"Wait\" where the model has finished, and accuracy falls to at "
            f"most {ev['wait_other_max']:.0%}.", holds=ev["wait_exact_min"] >= 0.5 and ev["wait_other_max"] <= 0.1,
            evidence=f"{ev['wait_exact_min']:.0%} at one pass, at most {ev['wait_other_max']:.0%} elsewhere")
        low, top = ev["waits_budgets"]
        text += (f" Wait forces {ev['waits_low']:.1f} Waits per sample on average at {low} tokens, "
                 f"{ev['waits_top']:.1f} at {top}.")
    return text


def compute_answer_text(q: Mapping[str, Any]) -> str:
    """2.2, question 1 (evidence.compute_evidence): which scaling is better for total compute."""
    reach = (f"parallel voting (maj@m) needs m = {q['reach_m']} samples, {q['reach_tokens']:.0f} tokens, to match it"
             if q["reach_m"] else "parallel voting (maj@m) never matches it")
    return ("**What is better if you care about total compute?** "
            + claim(f"Sequential scaling, as long as the model still needs the tokens: {q['seq_mode'].capitalize()} at "
                    f"{q['seq_budget']} tokens reaches {q['seq_acc']:.1%} with {q['seq_tokens']:.0f} thinking tokens "
                    f"per problem, while {reach}.", holds=q["reach_m"] is None or q["reach_tokens"] > q["seq_tokens"],
                    evidence=f"sequential {q['seq_tokens']:.0f} tokens, parallel {q['reach_tokens']:.0f}")
            + " " + claim(f"At equal tokens the two are within noise (m = {q['near_m']}, {q['near_tokens']:.0f} tokens: "
                          f"{q['near_acc']:.1%}, 95% interval {q['near_lo']:.1%}–{q['near_hi']:.1%}, against "
                          f"{q['seq_lo']:.1%}–{q['seq_hi']:.1%} for the sequential point ± 2 std over seeds).",
                          holds=q["near_lo"] <= q["seq_hi"] and q["seq_lo"] <= q["near_hi"],
                          evidence=f"{q['near_lo']:.1%}–{q['near_hi']:.1%} against {q['seq_lo']:.1%}–{q['seq_hi']:.1%}")
            + " " + claim(f"But sequential scaling cannot spend more: under Stop the model closes its thinking by "
                          f"itself ({q['stop_tokens']:.0f} of {q['top_budget']} tokens used at the top budget), and "
                          f"forcing it on with Wait leaves {q['wait_acc']:.1%}.",
                          holds=q["stop_tokens"] < q["top_budget"] / 2 and q["wait_hi"] < q["seq_lo"],
                          evidence=f"Stop used {q['stop_tokens']:.0f} of {q['top_budget']}; Wait {q['wait_acc']:.1%}")
            + " " + claim(f"Beyond that point only parallel sampling still buys accuracy, slowly: maj@m peaks at "
                          f"{q['peak_acc']:.1%} with m = {q['peak_m']} ({q['peak_tokens']:.0f} tokens), above the best "
                          f"sequential point but within its noise.",
                          holds=q["peak_acc"] > q["seq_acc"] and q["peak_lo"] <= q["seq_hi"],
                          evidence=f"{q['peak_acc']:.1%} (from {q['peak_lo']:.1%}) against {q['seq_acc']:.1%} "
                                   f"(up to {q['seq_hi']:.1%})"))


def latency_answer_text(q: Mapping[str, Any], measured: Mapping[str, Any]) -> str:
    """2.2, question 2: which scaling is better for latency given enough compute, with the measured wall-clock of one
    answer (latency.latency's record)."""
    m = measured
    faster, as_good = m["many_short_s"] < m["one_long_s"], q["last_acc"] >= q["seq_acc"]
    return ("**What is better for latency, with enough compute?** "
            + claim(f"Parallel sampling: its m samples are decoded side by side, so an answer waits for one sample of at "
                    f"most {m['short_budget']} thinking tokens however large m is, while a sequential answer's tokens "
                    "come one after another.", holds=faster and as_good,
                    evidence=f"faster: {faster}; at least as accurate: {as_good}")
            + " " + claim(f"Measured as the wall-clock of one answer to one problem (median of 3), {m['m']} concurrent "
                          f"samples of {m['short_budget']} tokens took {m['many_short_s']:.2f} s against "
                          f"{m['one_long_s']:.2f} s for one sample of {m['long_budget']} tokens, "
                          f"{m['one_long_s'] / m['many_short_s']:.1f}× faster for the same tokens.", holds=faster,
                          evidence=f"{m['many_short_s']:.2f} s against {m['one_long_s']:.2f} s")
            + " " + claim(f"At that latency voting is at least as accurate as the best sequential setting: maj@m "
                          f"{q['last_acc']:.1%} at m = {q['m_max']} against {q['seq_acc']:.1%}.", holds=as_good,
                          evidence=f"{q['last_acc']:.1%} against {q['seq_acc']:.1%}"))


def oracle_answer_text(o: Mapping[str, Any], q: Mapping[str, Any]) -> str:
    """2.2, question 3 (evidence.oracle_evidence): what an oracle that accepts a good-enough answer changes."""
    lifts, cheap = o["best_lo"] > o["vote_hi"], o["tokens"] < q["peak_tokens"]
    return ("**And with an oracle that says when an answer is good enough?** "
            + claim("Then parallel sampling wins on both counts: draw samples one at a time and stop at the first "
                    "answer the oracle accepts.", holds=lifts and cheap,
                    evidence=f"above the vote: {lifts}; cheaper than the vote's best: {cheap}")
            + " " + claim(f"The accuracy this buys is best-of-m, which rises from {o['best1']:.1%} at m = 1 to "
                          f"{o['best']:.1%} at m = {o['m_max']}, beyond the noise of every deployable rule (maj@m "
                          f"{o['vote']:.1%} there).", holds=lifts,
                          evidence=f"best-of-m from {o['best_lo']:.1%}, maj@m up to {o['vote_hi']:.1%}")
            + " " + claim(f"Stopping at the first right sample costs {o['samples']:.1f} samples, {o['tokens']:.0f} "
                          f"thinking tokens per problem on average, fewer than maj@m spends for its best "
                          f"({q['peak_tokens']:.0f}).", holds=cheap,
                          evidence=f"{o['tokens']:.0f} against {q['peak_tokens']:.0f} tokens"))


def latency_text(measured: Mapping[str, Any]) -> str:
    """The lab book: the latency measurement (latency.latency's record) with every timing."""
    m = measured
    return (f"Through `{m['backend']}` (the machine is in the report's provenance section): one sample of "
            f"{m['long_budget']:,} thinking tokens took **{m['one_long_s']:.2f} s**; {m['m']} concurrent samples of "
            f"{m['short_budget']:,} tokens took **{m['many_short_s']:.2f} s** (timings "
            f"{', '.join(f'{t:.2f}' for t in m['timings']['one_long'])} s and "
            f"{', '.join(f'{t:.2f}' for t in m['timings']['many_short'])} s): wall-clock of one answer, a latency.")

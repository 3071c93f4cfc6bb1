"""The paragraphs of sections 2.1-2.4, built from numbers: data in, Markdown out, no display and no files, so each
branch of a sentence has a unit test (tests/test_part2_prose.py). The notebook modules (greedy, scaling,
qualitative, improvements) compute the numbers and show what these return."""
from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..reasoner.task import STEP_TOKENS
from .analysis import excerpt


def sampling_text(sampling: Mapping[str, Any]) -> str:
    """'temperature 0.6, top_p 0.95, ...': the sampling settings as captions quote them."""
    return ", ".join(f"{k} {v}" for k, v in sampling.items())


def header_text(banner: str, provenance: str, run_counts: str, sampling: Mapping[str, Any] | None = None) -> str:
    """The banner, the run line (with the sampling settings when given) and what was generated or read back."""
    shown = "" if sampling is None else f"**Sampling:** {sampling_text(sampling)}. "
    return banner + f"\n\n**Run:** {provenance}. " + shown + run_counts


# ------------------------------------------------------------------------------------------------- 2.1

def model_origin_text(run: Any, folder: str) -> str:
    """Where the project's reasoner comes from: its training run (a helpers.reasoner.train.ReasonerRun) in one
    paragraph; `folder` is the run folder as the reader should see it (relative to the project)."""
    rc, summary = run.config, run.summary
    steps = ", ".join(f"{c['step']:,}" for c in run.checkpoints)
    return (f"**Where the model comes from.** `python -m helpers.reasoner.train` (run folder `{folder}`): "
            f"{summary['n_params']:,} parameters, trained {rc.steps:,} steps in {summary['train_seconds'] / 60:.1f} min "
            f"on this CPU ({summary['tokens'] / 1e6:.1f}M tokens, {summary['train_flops']:.2g} FLOPs): first "
            f"{rc.table_steps} steps on the operation table alone ({rc.table_batch_size} rows of `a±b=c` mod "
            f"{rc.task.modulus} per step), then batches of {rc.batch_size} examples: chains of k = {rc.task.min_k}–{rc.task.max_k} "
            f"operands, {rc.task.error_frac:.0%} with a wrong step corrected after \"Wait\", {rc.task.recheck_frac:.0%} "
            f"re-checked after \"Wait\", {rc.task.direct_frac:.0%} answered with thinking off, {rc.task.table_frac:.0%} table "
            f"rows; AdamW, lr {rc.lr:g}, weight decay {rc.weight_decay:g}. Checkpoints at steps "
            f"{steps}. Its limits: it knows only this task, one modulus and "
            f"chains of at most {rc.task.max_k} operands.")


def greedy_by_difficulty_text(wide: pd.DataFrame, wins: Sequence[int], losses: Sequence[int],
                              thinking_by_k: pd.Series) -> str:
    """2.1 by k: accuracy per k with thinking on and off (`wide`: index k, one column per condition), where each
    side is better beyond noise, and how thinking length grows with k."""
    return (f"Thinking on: {', '.join(f'k = {k}: {v:.0%}' for k, v in wide['thinking on'].items())}. "
            f"Thinking off: {', '.join(f'k = {k}: {v:.0%}' for k, v in wide['thinking off'].items())}. "
            f"Thinking is better beyond noise (95% intervals apart) at k = {', '.join(map(str, wins)) or 'none'}"
            f"{'; answering directly is better beyond noise at k = ' + ', '.join(map(str, losses)) if losses else ''}; "
            f"elsewhere the two are within noise. Mean thinking length grows with k: "
            f"{', '.join(f'{v:.0f}' for v in thinking_by_k)} tokens for k = {thinking_by_k.index.min()}–"
            f"{thinking_by_k.index.max()} (one step of the chain is {STEP_TOKENS} tokens, so a full pass of a k-operand "
            f"chain is {STEP_TOKENS}(k − 1)).")


def greedy_summary_text(on: pd.Series, off: pd.Series, numbers: Mapping[str, Any], cap: int, samples: int) -> str:
    """2.1: both graders with thinking on and off (rows of the accuracy table), the thinking lengths
    (analysis.warmup_numbers) and how often each grader found an answer."""
    n = numbers
    return (f"With thinking on, greedy decoding scores {on.exact_acc:.1%} under `exact_match` and {on.flexible_acc:.1%} "
            f"under `flexible_extract`; with thinking off, {off.exact_acc:.1%} and {off.flexible_acc:.1%} "
            f"({int(on.problems)} problems). Thinking lasted {n['mean']:.0f} tokens on average (median {n['median']:.0f}, "
            f"range {n['min']}–{n['max']}); {n['cut']:.0%} of the problems hit the {cap:,}-token cap and were "
            f"stopped there. A `\\boxed{{}}` answer was found in {n['boxed']:.0%} of the {samples} samples and some "
            f"number in {n['numbers']:.0%}; the graders disagree on {n['disagree']} sample(s).")


def _read(answer: Any) -> str:
    return "nothing" if pd.isna(answer) else f"{int(answer)}"


def disagreement_text(r: pd.Series) -> str:
    """One sample the two graders score differently: what each read, and its final answer."""
    return (f"**{r.problem_id}** ({r.condition}; gold {r.gold}; exact_match read {_read(r.exact_answer)}, "
            f"flexible_extract read {_read(r.flexible_answer)}: only "
            f"`{'flexible_extract' if r.flexible_correct else 'exact_match'}` counts it correct). "
            f"Final answer:\n\n```text\n{excerpt(r.answer_text, 300, 200)}\n```")


def _mark(correct: bool) -> str:
    return "✓" if correct else "✗"


def greedy_trace_text(problem: Any, sample: pd.Series, traces: str) -> str:
    """One greedy trace quoted: the problem, the thinking (what the budget counts), the final answer (what is
    graded) with both grades, and the trace file it was read from."""
    return (f"**{problem.id}** — {problem.problem} (gold {problem.answer})\n\n*Thinking* "
            f"({sample.thinking_tokens} tokens{', cut by the cap' if sample.thinking_cut else ''}):\n\n"
            f"```text\n{excerpt(sample.thinking_text, 600, 300)}\n```\n\n*Final answer* "
            f"({sample.answer_tokens} tokens; exact_match {_mark(sample.exact_correct)}, "
            f"flexible_extract {_mark(sample.flexible_correct)}):\n\n"
            f"```text\n{excerpt(sample.answer_text, 400, 200)}\n```\n\nTraces: `{traces}`.")


# ------------------------------------------------------------------------------------------------- 2.2

def staircase_text(wide: pd.DataFrame, passes: Mapping[int, int | None], modes: Sequence[str], low: int, top: int,
                   waits: pd.Series | None) -> str:
    """2.2 by k: accuracy at the lowest budget, at the first budget holding one pass of the chain, and at the top
    budget, per intervention (`wide`: index (mode, k), one column per budget); then the Waits forced per budget
    when Wait ran (`waits`, else None)."""
    lines = [f"- **{mode.capitalize()}**: " + "; ".join(
        f"k = {k}: {wide.loc[(mode, k), low]:.0%} → {wide.loc[(mode, k), b]:.0%} (at {b}) → {wide.loc[(mode, k), top]:.0%}"
        for k, b in passes.items() if b is not None) for mode in modes]
    text = (f"Accuracy at budget {low} → at the first budget that holds one whole pass of the chain (6(k − 1) tokens) → "
            f"at {top} tokens:\n\n" + "\n".join(lines))
    if waits is None:
        return text
    return text + (f"\n\nWait forced {', '.join(f'{w:.1f}' for w in waits)} Waits per sample on average at budgets "
                   f"{', '.join(map(str, waits.index))}. The reasoner was trained to answer a Wait by redoing the chain "
                   f"from the start, once; forced past that, a budget that is not exactly a whole number of passes cuts "
                   f"it mid-pass, and a second or third forced Wait is out of everything it saw in training. Table 1 and "
                   f"the traces in 2.3 show what it then writes.")


def voting_verdict(q: Mapping[str, Any], problems: int) -> tuple[str, str]:
    """Question 1's verdict on analysis.three_questions' numbers, and the noise it was judged against: the
    sequential point ± 2 std over seeds against maj@m's 95% bootstrap interval at the matched m."""
    seq_lo, seq_hi = q["seq_acc"] - 2 * q["seq_std"], q["seq_acc"] + 2 * q["seq_std"]
    lo, hi = q["at_lo"]["maj@m"], q["at_hi"]["maj@m"]
    if lo > seq_hi:
        verdict = ("parallel sampling with plurality voting (maj@m) is more accurate than sequential scaling at a "
                   "similar token count, beyond noise")
    elif seq_lo > hi:
        verdict = "sequential scaling is more accurate than parallel voting at a similar token count, beyond noise"
    else:
        verdict = "the two are within noise of each other at a similar token count"
    noise = (f"(sequential ± 2 std over seeds: {seq_lo:.1%}–{seq_hi:.1%}; maj@m 95% bootstrap interval "
             f"{lo:.1%}–{hi:.1%}; one problem is {100 / problems:.2f} points)")
    return verdict, noise


def three_questions_text(q: Mapping[str, Any], grader: str, problems: int, par_budget: int) -> str:
    """2.2's three questions answered from analysis.three_questions' numbers, `grader` the one they use."""
    at, m1, top = q["at"], q["m1"], q["top"]
    verdict, noise = voting_verdict(q, problems)
    majority_moves = "rises" if top["majority"] > m1["majority"] else "falls"
    grader_note = (" (exact_match is 0 everywhere in this run: the model never writes a `\\boxed{}` answer)"
                   if grader == "flexible" else "")
    gap = top["best-of-m"] - top["maj@m"]
    # dedent runs after the values are filled in: none of them holds a line break
    return textwrap.dedent(f"""
        Numbers below use the **{grader}** grader{grader_note}.

        **1. If total compute is what counts.** At the largest sequential budget ({q['top_budget']:,} tokens) the better
        intervention, {q['best_mode'].capitalize()}, scores {q['seq_acc']:.1%} using {q['seq_tokens']:.0f} thinking tokens per
        problem. The parallel point closest in thinking tokens is m = {q['matched_m']} ({q['matched_tokens']:.0f} tokens):
        maj@m {at['maj@m']:.1%}, the specification's majority {at['majority']:.1%}, best-of-m {at['best-of-m']:.1%}.
        So, in this run, {verdict} {noise}. The strict majority rule is the harshest aggregation: a problem counts only
        when more than half of its samples are right, so it rises with m on problems whose single-sample accuracy is above
        50% and falls on those below; overall it {majority_moves} here, from {m1['majority']:.1%} at m = 1 to
        {top['majority']:.1%} at m = {q['m_max']} (maj@m: {m1['maj@m']:.1%} → {top['maj@m']:.1%}).

        **2. If latency counts and compute is plentiful.** The m parallel samples run at the same time, so the
        wall-clock of a parallel answer is that of one sample of {par_budget:,} thinking tokens, whereas a sequential
        answer of n tokens takes n decoding steps one after another. Measured here: {q['par_seconds']:.2f} s per parallel
        sample versus {q['seq_seconds']:.2f} s per sequential sample (the sweep up to {q['top_budget']:,} tokens; on this CPU the
        batch shares two cores, so the parallel advantage only shows fully on a GPU that is not saturated). For latency,
        parallel scaling wins: its depth is fixed at {par_budget:,} tokens however large m grows.

        **3. With an oracle that says "good enough".** best-of-m is what such an oracle buys: a problem counts as
        solved once any sample is right. It rises from {m1['best-of-m']:.1%} (m = 1) to {top['best-of-m']:.1%}
        (m = {q['m_max']}), {'far above' if gap >= 0.1 else 'close to'} every deployable
        rule — the gap between best-of-m and maj@m at m = {q['m_max']} is {gap * 100:.0f} points.
        With an oracle, draw samples one at a time (or in small parallel batches) and stop at the first accepted answer:
        on easy problems the expected cost is close to one sample, and compute goes only to the problems that need it.
        """)


def latency_text(measured: Mapping[str, Any]) -> str:
    """The latency measurement (helpers.part2.latency.latency's record) in one paragraph."""
    m = measured
    return (f"On {m['hardware']} through `{m['backend']}`: one sample of {m['long_budget']:,} thinking tokens took "
            f"**{m['one_long_s']:.2f} s**; {m['m']} concurrent samples of {m['short_budget']:,} tokens took "
            f"**{m['many_short_s']:.2f} s** ({m['one_long_s'] / m['many_short_s']:.1f}× faster for the same tokens; "
            f"timings {', '.join(f'{t:.2f}' for t in m['timings']['one_long'])} s and "
            f"{', '.join(f'{t:.2f}' for t in m['timings']['many_short'])} s). Decoding is sequential in the tokens of "
            f"one sample but batched across samples, so parallel scaling buys accuracy at the latency of its longest "
            f"single sample.")


# ------------------------------------------------------------------------------------------------- 2.3

def grader_choice_text(grader: str) -> str:
    return f"Grader used throughout: **{grader}**" + (
        " (no sample is exact-correct in this run: the model never writes `\\boxed{}`)." if grader == "flexible" else ".")


def no_flips_text(kind: str) -> str:
    """Said when no problem flips; kind 'a' (unsolved → solved as the budget grows) or 'b' (the reverse)."""
    return (f"No problem in this run goes from {'unsolved to solved' if kind == 'a' else 'solved to unsolved'} "
            "as the budget grows.")


def budget_trace_text(row: pd.Series) -> str:
    """One sample of a budget flip: the excerpts of its thinking and final answer."""
    return (f"*Budget {int(row.budget)}* — thinking:\n\n```text\n{excerpt(row.thinking_text, 500, 300)}\n```\n"
            f"final answer:\n\n```text\n{excerpt(row.answer_text, 200, 100)}\n```")


def parallel_only_text(best: pd.Series) -> str:
    """The row of analysis.parallel_only_table with the most parallel-only problems, its first one quoted."""
    first = best.first
    return (f"Example: **{first.problem_id}** (gold {first.gold}) — the {int(best.m)} parallel answers "
            f"were {first.parallel_answers}; the sequential run at {int(best['thinking budget'])} tokens "
            f"({best.intervention}) solved it in {first.sequential_rate:.0%} of its seeds.")


def diversity_text(div: pd.DataFrame, cross: Sequence[float], samples: int) -> str:
    """2.3 (d): distinct answers, the top answer's share, trace similarity within against across problems, and the
    right answer's share where some sample is right (`div`: analysis.diversity)."""
    correct_any = div.correct_share > 0
    return (f"Across {len(div)} problems the {samples} samples give {div.distinct_answers.mean():.1f} distinct "
            f"answers on average (median {div.distinct_answers.median():.0f}); the most common answer holds "
            f"{div.top_answer_share.mean():.0%} of the samples. Traces of the same problem share "
            f"{div.trace_similarity.mean():.2f} of their word trigrams (Jaccard), against {np.mean(cross):.2f} between "
            f"different problems. On the {int(correct_any.sum())} problems where at least one sample is right, the right "
            f"answer is held by {div.correct_share[correct_any].mean():.0%} of the samples on average — the margin a "
            f"vote has to work with.")


# ------------------------------------------------------------------------------------------------- 2.4

def strategies_summary_text(table: pd.DataFrame, totals: Sequence[int], baseline: str, problems: int) -> str:
    """2.4 in one paragraph: at each total budget the best maj@m accuracy, then every strategy against the
    baseline (`baseline`: its label in `table`), paired on the same problems, within noise or beyond it."""
    lines = []
    base_acc = table[table.strategy == baseline].set_index(["total budget", "rule"])["accuracy"]
    for total in totals:
        sub = table[(table["total budget"] == total) & (table.rule == "maj@m")]
        if sub.empty:
            continue
        winner = sub.loc[sub.accuracy.idxmax()]
        lines.append(f"At a total of {total:,} thinking tokens the best maj@m accuracy is {winner.accuracy:.1%} "
                     f"({winner.strategy}; baseline {base_acc.get((total, 'maj@m'), np.nan):.1%}).")
        lines += [f"{r.strategy}: {r.accuracy:.1%} ({r['vs baseline']:+.1%}); paired on the same problems "
                  f"{r['paired Δ']:+.1%}, 95% interval {r['paired lo']:+.1%} to {r['paired hi']:+.1%}: "
                  f"{'within noise' if r['paired lo'] <= 0 <= r['paired hi'] else 'beyond noise'}."
                  for _, r in sub[sub.strategy != baseline].iterrows()]
    return (" ".join(lines) + f" With {problems} problems one problem is {1 / problems:.1%}; a paired interval that "
            f"contains zero is not evidence of a difference.")

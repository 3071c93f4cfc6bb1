"""The paragraphs of sections 2.3 and 2.4, written for the results the quick profile has: a direct answer to each of
the assignment's questions first, numbers interpolated from the data (evidence.py), every qualitative statement a
claim (helpers.report.claims) decided by them. Data in, Markdown out (tests/test_part2_prose.py)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..report.claims import claim
from .analysis import excerpt


def _answer(value: Any) -> str:
    return "no answer" if pd.isna(value) else f"{int(value)}"


def _pts(x: float) -> str:
    return f"{x * 100:+.1f}"


def one_line(text: str, head: int, tail: int) -> str:
    """A trace's lines joined by ' · ' (for inline code), its middle cut when long (analysis.excerpt)."""
    return excerpt(" · ".join(line.strip() for line in text.strip().splitlines()), head, tail)


# ------------------------------------------------------------------------------------------------- 2.3

def qualitative_setup_text(grader: str, seeds: int, traces: str) -> str:
    """How 2.3 reads 2.2's samples: the grader, what "solved" means with several seeds, where the traces are."""
    name = {"exact": "exact_match", "flexible": "flexible_extract"}[grader]
    solved = (f"solved at a budget when at least two of its {seeds} seeds solve it, unsolved when at most one does"
              if seeds > 1 else "solved at a budget when its one seed solves it")
    return (f"The traces are 2.2's samples, graded with {name}. A problem counts as {solved}. Every trace quoted here "
            f"is saved in full, with its problem and answer, in `{traces}`.")


def flip_line(problem: str, low: pd.Series, high: pd.Series, grader: str) -> str:
    """One problem's two samples as a Markdown list item: the chain and gold, then at each budget the thinking (lines
    joined by ' · ') and the answer with its grade."""
    def at(row: pd.Series) -> str:
        thinking = one_line(row.thinking_text, 90, 60)
        mark = "✓" if row[f"{grader}_correct"] else "✗"
        return f"at {int(row.budget)} tokens `{thinking}` → {_answer(row[f'{grader}_answer'])} {mark}"
    return f"- **{low.problem_id}** `{problem}`, gold {int(low.gold)}, seed {int(low.seed)}: {at(low)}; {at(high)}"


def gained_text(ev: Mapping[str, Any], mode: str, low: int, high: int, lines: Sequence[str]) -> str:
    """2.3 (a) (evidence.gained_evidence between budgets `low` and `high`): does the strategy change?"""
    return ("**Does the strategy change?** "
            + claim(f"No: the higher budget lets the model finish the same left-to-right chain that the lower one cut "
                    f"off. {mode.capitalize()} gains {ev['gained']} problems between {low} and {high} tokens, and all "
                    f"{ev['samples']} of their samples at {high} are that chain: {ev['plain']:.0%} one plain pass, the "
                    f"other {ev['rechecks']:.0%} the same pass redone after the model's own \"Wait\".",
                    holds=ev["samples"] > 0 and ev["chain"] == 1 and ev["plain"] >= 0.5,
                    evidence=f"{ev['chain']:.0%} in the chain format, {ev['plain']:.0%} one plain pass")
            + ("\n\n" + "\n".join(lines) if lines else ""))


def lost_text(examples: Sequence[Mapping[str, Any]], lines: Sequence[str], stair: Mapping[str, Any] | None,
              forced: pd.Series | None, modulus: int | None) -> str:
    """2.3 (b): what is observed when a higher budget loses a problem. `examples`: the lost problems quoted, with
    k and their low budget's one-pass length; `stair`: evidence.staircase_evidence (the reasoner only); `forced`: a
    sample forced past its single re-check under Wait."""
    lucky = bool(examples) and all(e["low"] < e["pass"] for e in examples)
    chance = f" (a uniform guess is right {1 / modulus:.0%} of the time)" if modulus else ""
    text = ("**What do you observe?** "
            + claim("The problems Stop loses across seeds were never really solved: at the low budget the chain was "
                    f"cut before its last step, and the partial result happened to equal the answer{chance}; with "
                    "room to finish, the model's own slips show.", holds=lucky,
                    evidence=", ".join(f"{e['problem_id']}: low budget {e['low']}, one pass {e['pass']}"
                                       for e in examples) or "no problem lost"))
    text += "\n\n" + "\n".join(lines) if lines else ""
    if stair is None:
        return text
    dip = stair["dip"]
    if dip is not None:
        text += "\n\n" + claim(
            f"Single seeds lose problems for a mechanical reason: a budget between one and two passes cuts the "
            f"model's own \"Wait\" re-check mid-pass, and {stair['cut_rechecks'] - stair['cut_right']} of the "
            f"{stair['cut_rechecks']} Stop samples cut that way answer wrongly (k = {dip['k']}: "
            f"{dip['from_acc']:.0%} at {dip['from_budget']} tokens, {dip['to_acc']:.0%} at {dip['to_budget']}).",
            holds=stair["cut_rechecks"] > 0 and stair["cut_right"] <= 0.05 * stair["cut_rechecks"] and dip["apart"],
            evidence=f"{stair['cut_right']} of {stair['cut_rechecks']} right; intervals apart: {dip['apart']}")
    if forced is not None:
        text += "\n\n" if dip is None else " "
        shown = one_line(forced.thinking_text, 100, 30)
        answered = ("gave no readable answer" if pd.isna(forced.get("exact_answer"))
                    else f"answered {_answer(forced.get('exact_answer'))}")
        text += claim(
            f"Under Wait the loss is wholesale: every difficulty solved at its one-pass budget is lost at the next "
            f"(Figure 3 of 2.2), because the forced \"Wait\" pushes the model past the single re-check it learned "
            f"into text it never saw; {forced.problem_id} at {int(forced.budget)} tokens, {int(forced.waits)} Waits "
            f"forced, {answered} (gold {int(forced.gold)}): `{shown}`",
            holds=stair["wait_other_max"] <= 0.1 and forced.waits >= 2 and not forced.exact_correct,
            evidence=f"at most {stair['wait_other_max']:.0%} off the one-pass budget; {int(forced.waits)} Waits")
    return text


def parallel_only_answer_text(table: pd.DataFrame, problems: int, one: Mapping[str, Any] | None,
                              two: Mapping[str, Any] | None, wait_acc: Mapping[int, float], par_acc: float,
                              par_budget: int) -> str:
    """2.3 (c): problems solved by m parallel samples but not by the sequential run at the same thinking budget
    (`table`: analysis.parallel_only_table), and why, from evidence.parallel_only_evidence at m = 1 (`one`) and
    m = 2 (`two`, Stop) and the Wait runs' accuracy at those budgets against one parallel sample's (`par_acc`)."""
    counts = {mode: rows for mode, rows in table.groupby("intervention")}
    said = "; ".join(f"{mode.capitalize()}: " + ", ".join(f"{int(r['parallel-only problems'])} at n = "
                                                          f"{int(r['thinking budget'])} (m = {int(r.m)})"
                                                          for _, r in rows.iterrows()) for mode, rows in counts.items())
    stop = counts.get("stop", pd.DataFrame({"parallel-only problems": []}))["parallel-only problems"]
    wait = counts.get("wait", pd.DataFrame({"parallel-only problems": []}))["parallel-only problems"]
    text = ("**Does parallel sampling solve questions sequential scaling does not, at the same thinking budget?** "
            + claim(f"Yes, a few against Stop and most of the {problems} against Wait ({said}).",
                    holds=stop.sum() > 0 and len(wait) > 0 and wait.min() > problems / 2,
                    evidence=f"Stop {stop.tolist()}, Wait {wait.tolist()}"))
    text += " **Why?**"
    if one:
        text += " " + claim(f"At m = 1 the parallel sample is the sequential setting itself with another seed, so "
                            f"these are problems the seeds disagree on: the sequential seeds solved {one['seq_once']} of "
                            f"the {one['problems']} at least once.", holds=one["seq_once"] >= one["problems"] / 2,
                            evidence=f"{one['seq_once']} of {one['problems']} solved by some sequential seed")
    if two:
        text += " " + claim(f"At m = 2 the vote helps where one sample fails: in {two['cut']} of the {two['problems']} "
                            f"problems one sample had no answer, its own re-check cut by the {par_budget}-token budget, "
                            f"and the vote took the other, right one; in {two['tie']} more the two disagreed and the tie "
                            "went to the right answer, drawn first.",
                            holds=two["cut"] > 0 and two["cut"] + two["tie"] == two["problems"],
                            evidence=f"{two['cut']} cut, {two['tie']} ties, {two['problems']} problems")
    if wait_acc:
        text += " " + claim("Against Wait the counts are large because the forced sequential runs collapse ("
                            + ", ".join(f"{a:.1%} at {n} tokens" for n, a in wait_acc.items())
                            + f") while each parallel sample stops on its own ({par_acc:.1%} for one sample).",
                            holds=max(wait_acc.values()) < par_acc / 4,
                            evidence=f"Wait at most {max(wait_acc.values()):.1%}, one parallel sample {par_acc:.1%}")
    return text


def diversity_answer_text(ev: Mapping[str, Any], samples: int, chance: float | None, residues: int | None) -> str:
    """2.3 (d) (evidence.diversity_evidence): are the parallel traces diverse in answers or strategies?"""
    guess = f", against {chance:.1f} for uniform guesses among the {residues} residues" if chance else ""
    return ("**Do the parallel traces lead to diverse answers or solving strategies?** "
            + claim(f"Hardly. The {samples} samples of a problem give {ev['distinct']:.1f} distinct final answers on "
                    f"average (median {ev['distinct_median']:.0f}){guess}, and the most common answer holds "
                    f"{ev['top_share']:.0%} of them.", holds=ev["top_share"] >= 0.5 and ev["distinct"] <= samples / 4,
                    evidence=f"{ev['distinct']:.1f} distinct of {samples}; top answer {ev['top_share']:.0%}")
            + " " + claim(f"Their traces are near copies: samples of one problem share {ev['same']:.2f} of their word "
                          f"trigrams, samples of different problems {ev['cross']:.2f} (Figure 1).",
                          holds=ev["same"] >= 0.75 and ev["same"] > 5 * ev["cross"],
                          evidence=f"Jaccard {ev['same']:.2f} within, {ev['cross']:.2f} across problems")
            + " " + claim(f"There is one solving strategy, the left-to-right chain ({ev['chain']:.0%} of the samples "
                          f"are nothing but its steps and \"Wait\"); what varies is an arithmetic slip or a re-check the "
                          f"model starts itself ({ev['rechecks']:.0%} of the samples).",
                          holds=ev["chain"] >= 0.8, evidence=f"{ev['chain']:.0%} of samples in the chain format")
            + f" On the {ev['some_right']} problems where some sample is right, the right answer holds "
              f"{ev['right_share']:.0%} of the samples on average: the margin a vote works with.")


# ------------------------------------------------------------------------------------------------- 2.4

def strategies_answer_text(ev: Mapping[str, Mapping[int, Mapping[str, Any]]], kinds: Mapping[str, str],
                           labels: Mapping[str, str], single: Mapping[str, float], distinct: Mapping[str, float],
                           stands_for: Sequence[int] | None) -> str:
    """2.4: how much better the strategies make the curve at the total budgets (evidence.strategy_evidence, maj@m),
    and why, by what each changes (`kinds`: name -> 'sampling', 'wait' or 'budget'; `single`: one sample's accuracy
    per pool and `distinct`: distinct answers per problem, the baseline's included)."""
    totals = sorted({t for by_total in ev.values() for t in by_total})
    names = [n for n in ev if n != "baseline"]
    shown = " and ".join(f"{t:,}" for t in totals)
    meant = f" (standing for the assignment's {' and '.join(f'{t:,}' for t in stands_for)})" if stands_for else ""
    text = (f"**How much better does the curve get at {shown} total thinking tokens{meant}?** "
            + claim(f"It does not: no strategy raises the deployable maj@m accuracy beyond noise at "
                    f"{'either total' if len(totals) == 2 else 'these totals'} (Table 1).",
                    holds=bool(names) and not any(ev[n][t]["better"] for n in names for t in ev[n]),
                    evidence="; ".join(f"{labels[n]} {_pts(ev[n][t]['lo'])} to {_pts(ev[n][t]['hi'])} at {t}"
                                       for n in names for t in ev[n])))
    if not names:
        return text
    close = max(names, key=lambda n: min(ev[n][t]["delta"] for t in ev[n]))
    text += " " + claim(f"The closest is {labels[close]}: " + " and ".join(
        f"{_pts(ev[close][t]['delta'])} points at {t} ({_pts(ev[close][t]['lo'])} to {_pts(ev[close][t]['hi'])})"
        for t in ev[close]) + ", paired on the same problems, within noise.",
        holds=all(ev[close][t]["lo"] <= 0 <= ev[close][t]["hi"] for t in ev[close]),
        evidence=", ".join(f"{_pts(ev[close][t]['lo'])} to {_pts(ev[close][t]['hi'])}" for t in ev[close]))
    varied = [n for n in names if kinds.get(n) == "sampling"]
    if varied:
        both = " and ".join
        text += " " + claim(
            f"The sampling changes, {both(labels[n] for n in varied)}, do make the answers more varied "
            f"({both(f'{distinct[n]:.1f}' for n in varied)} distinct answers per problem, against "
            f"{distinct['baseline']:.1f}), but on this model a varied sample is more often wrong: one sample is right "
            f"{both(f'{single[n]:.1%}' for n in varied)} of the time, against {single['baseline']:.1%} for the "
            f"baseline, so the vote loses up to {-min(ev[n][t]['delta'] for n in varied for t in ev[n]) * 100:.1f} "
            "points.",
            holds=all(single[n] < single["baseline"] and distinct[n] > distinct["baseline"]
                      and all(ev[n][t]["delta"] < 0 for t in ev[n]) for n in varied),
            evidence=", ".join(f"{labels[n]} {single[n]:.1%}, {distinct[n]:.1f} distinct" for n in varied)
            + f"; baseline {single['baseline']:.1%}, {distinct['baseline']:.1f} distinct")
    for n in (n for n in names if kinds.get(n) == "wait"):
        text += " " + claim(f"Forcing Wait inside each sample ({labels[n]}) collapses as Wait did in 2.2: one sample is "
                            f"right {single[n]:.1%} of the time.", holds=single[n] < 0.1,
                            evidence=f"{single[n]:.1%} per sample")
    return text

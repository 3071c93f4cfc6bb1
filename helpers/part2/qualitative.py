"""Section 2.3 (notebook 07_qualitative): the traces behind 2.2's curves. Budget flips, problems only parallel
sampling solves, the diversity of the parallel pool, and the quoted traces saved under
<record_dir>/qualitative/<profile>/. The notebook opens the section with open_qualitative, then calls one function
per table, figure or paragraph."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..common.io import rel, repo_root, write_atomic
from ..report import facts
from ..report.display import show, show_table
from . import prose
from .analysis import (cross_problem_similarity, diversity, flip_pair, flip_summary, flips_across_modes,
                       parallel_only_table, pick_grader, quoted_traces_markdown, trace_features)
from .difficulty import chance_distinct
from .params import parallel_setting, reasoner_config, sequential_settings
from .plots import diversity_figure
from .scaling import scaling_settings
from .section import Part2Section, open_part2_section

FLIP_KINDS = {"a": ("gained", "(a) Unsolved at a low budget, solved at a higher one"),
              "b": ("lost", "(b) Solved at a low budget, not at a higher one")}


@dataclass
class QualitativeSection:
    section: Part2Section  # 2.2's study: this section reads its samples
    sequential: pd.DataFrame
    pool: pd.DataFrame
    grader: str  # 'exact', or 'flexible' when no sample anywhere is exact-correct

    @property
    def seed(self) -> int:
        """The seed whose traces are quoted."""
        return self.section.params.seq_seeds[0]

    @cached_property
    def problem_text(self) -> dict[str, str]:
        return {p.id: p.problem for p in self.section.study.problems}

    @cached_property
    def flips(self) -> dict[str, list[dict]]:
        """Kind 'a' (gained with budget) and 'b' (lost): up to two examples each (analysis.flips_across_modes)."""
        return {kind: flips_across_modes(self.sequential, self.section.params.seq_modes, which, self.grader)
                for kind, (which, _) in FLIP_KINDS.items()}

    @cached_property
    def matched(self) -> pd.DataFrame:
        """Problems m parallel samples solve and the sequential run at the matched budget does not."""
        p = self.section.params
        return parallel_only_table(self.sequential, self.pool, p.seq_modes, p.seq_budgets, p.par_budget, self.grader)

    @cached_property
    def diversity(self) -> pd.DataFrame:
        return diversity(self.pool, grader=self.grader)

    @cached_property
    def cross(self) -> list[float]:
        return cross_problem_similarity(self.pool)

    @cached_property
    def forced_wait(self) -> pd.Series | None:
        """The reasoner's first problem under Wait at the top budget: forced past the one re-check it learned
        (None for another model, or without Wait)."""
        p, seq = self.section.params, self.sequential
        if not self.section.is_reasoner or "wait" not in p.seq_modes:
            return None
        chosen = seq[(seq["mode"] == "wait") & (seq["budget"] == max(p.seq_budgets)) & (seq["seed"] == self.seed)]
        return chosen.sort_values("problem_id").iloc[0]


def open_qualitative(values: dict[str, Any], profile: str) -> QualitativeSection:
    """The notebook's first call: open 2.2's study, show the banner, and read the samples of 2.2."""
    section = open_part2_section(values, profile, "scaling", scaling_settings)
    p, study = section.params, section.study
    sequential = pd.concat([study.run(s) for s in sequential_settings(p).values()], ignore_index=True)
    pool = study.run(parallel_setting(p))
    return QualitativeSection(section, sequential, pool, pick_grader(sequential, pool))


def show_grader_choice(q: QualitativeSection) -> None:
    show(prose.grader_choice_text(q.grader))


def show_budget_flips(q: QualitativeSection) -> None:
    """(a) and (b): each flip example's two samples side by side, their traces, then what changes."""
    for kind, (_, title) in FLIP_KINDS.items():
        show(f"## {title}")
        examples = q.flips[kind]
        for i, example in enumerate(examples):
            low, high = flip_pair(q.sequential, example, q.seed)
            show(f"**({kind}){i + 1}: {example['problem_id']}** ({example['mode'].capitalize()}, seed {q.seed}) — "
                 f"{q.problem_text[example['problem_id']]} (gold {int(low.gold)})")
            show_table(pd.DataFrame([trace_features(low, q.grader), trace_features(high, q.grader)],
                                    index=["low budget", "high budget"]))
            for row in (low, high):
                show(prose.budget_trace_text(row))
        if not examples:
            show(prose.no_flips_text(kind))
        show(f"**What changes ({kind}).** {flip_summary(q.sequential, examples, q.seed, q.grader)}.")


def show_forced_wait(q: QualitativeSection) -> None:
    """How to read the reasoner's flips, and one trace forced past its single re-check, quoted whole."""
    if not q.section.is_reasoner:
        return
    modulus = reasoner_config(q.section.params).task.modulus
    show(f"Reading these traces: a budget below one pass of the chain (6(k − 1) tokens) cannot hold the computation, "
         f"so a problem counted as solved there was a lucky guess from a partial chain (chance about {1 / modulus:.0%} "
         f"per sample among {modulus} residues). Under Wait, a high budget forces the model past the single re-check it "
         f"was trained on; one such trace, quoted whole:")
    forced = q.forced_wait
    if forced is not None:
        show(f"**{forced.problem_id}** (Wait, budget {int(forced.budget)}, {int(forced.waits)} Waits forced; gold "
             f"{int(forced.gold)}) — {q.problem_text[forced.problem_id]}\n\n```text\n{forced.thinking_text}\n```\n"
             f"final answer: `{forced.answer_text.strip()}`")


def show_parallel_only(q: QualitativeSection) -> None:
    """(c) Table 1, problems only parallel sampling solves at a matched budget, and the clearest example."""
    sec, matched = q.section, q.matched
    show_table(matched.drop(columns="first"),
               f"**Table 1.** Problems solved by maj@m over m parallel samples ({sec.params.par_budget} thinking tokens "
               f"each) but by fewer than half the sequential seeds at the matched budget n = m × "
               f"{sec.params.par_budget}. {sec.n_problems} problems. {sec.who}.")
    if len(matched) and matched["parallel-only problems"].sum():
        show(prose.parallel_only_text(matched.loc[matched["parallel-only problems"].idxmax()]))


def show_diversity(q: QualitativeSection) -> plt.Figure:
    """(d) Figure 1 and its paragraph: how diverse the parallel pool is, and (for the reasoner) what guessing
    would give."""
    sec, p = q.section, q.section.params
    fig = diversity_figure(q.diversity, q.cross, len(p.par_seeds),
                           f"Figure 1. Diversity of the parallel pool: {len(p.par_seeds)} samples per problem at "
                           f"{p.par_budget} thinking tokens, {sec.n_problems} problems, sampling "
                           f"{prose.sampling_text(p.sampling)}. Right: similarity between samples of the same problem "
                           f"versus between first samples of different problems. {sec.who}. {sec.provenance}.")
    show(prose.diversity_text(q.diversity, q.cross, len(p.par_seeds)))
    if sec.is_reasoner:
        residues = reasoner_config(p).task.modulus
        show(f"Chance baseline: {len(p.par_seeds)} answers guessed uniformly among the {residues} residues would hold "
             f"{chance_distinct(len(p.par_seeds), residues):.1f} distinct values, and the right one would be "
             f"{1 / residues:.0%} of them.")
    return fig


def _record(question: str, row: pd.Series) -> dict[str, Any]:
    """A quoted sample as a JSON-ready record (numpy scalars made Python ones)."""
    return {"question": question, **{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}}


def quoted_records(q: QualitativeSection) -> list[dict[str, Any]]:
    """Every trace the section quotes, in the order it quotes them: the flips' two samples each, the forced
    Wait, and the first parallel-only problem of each matched budget."""
    saved = []
    for kind, examples in q.flips.items():
        for i, example in enumerate(examples):
            saved += [_record(f"({kind}){i + 1}", row) for row in flip_pair(q.sequential, example, q.seed)]
    if q.forced_wait is not None:
        saved.append(_record("(b) forced Wait", q.forced_wait))
    for _, r in q.matched[q.matched["parallel-only problems"] > 0].iterrows():
        saved.append({"question": f"(c) {r.intervention} n={r['thinking budget']} m={r.m}",
                      "problem_id": r.first.problem_id, "parallel_answers": r.first.parallel_answers,
                      "gold": int(r.first.gold), "sequential_rate": float(r.first.sequential_rate)})
    return saved


def save_quoted_traces(q: QualitativeSection) -> None:
    """Write the quoted traces as JSON lines and as Markdown under <record_dir>/qualitative/<profile>/."""
    sec, saved = q.section, quoted_records(q)
    folder = repo_root() / sec.values["record_dir"] / "qualitative" / sec.profile
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "traces.jsonl", "".join(json.dumps(r, default=str) + "\n" for r in saved))
    write_atomic(folder / "traces.md", quoted_traces_markdown(saved, q.problem_text,
                                                              f"Traces quoted in 2.3 ({sec.who}; {sec.provenance})"))
    show(f"Saved {len(saved)} quoted traces to `{rel(folder / 'traces.jsonl')}` and `{rel(folder / 'traces.md')}`; "
         f"every sample of 2.2 is in `{rel(sec.study.out_dir / sec.study.section)}/*/traces.jsonl`.")


def save_qualitative_facts(q: QualitativeSection) -> None:
    """The numbers the synthesis (09) quotes."""
    sec, div = q.section, q.diversity
    facts.save(facts.QualitativeFacts(
        grader=q.grader, gained=[e["problem_id"] for e in q.flips["a"]], lost=[e["problem_id"] for e in q.flips["b"]],
        parallel_only=facts.plain(q.matched.drop(columns="first")), distinct_answers=div.distinct_answers.mean(),
        samples=len(sec.params.par_seeds), top_answer_share=div.top_answer_share.mean(),
        similarity_same=div.trace_similarity.mean(), similarity_cross=float(np.mean(q.cross))),
        sec.profile, sec.values["record_dir"])

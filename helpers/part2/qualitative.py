"""Section 2.3 (notebook 07_qualitative): the traces behind 2.2's curves. Budget flips, problems only parallel
sampling solves, the diversity of the parallel pool, and the quoted traces saved under
<record_dir>/qualitative/<profile>/. The notebook opens the section with open_qualitative, then calls one function
per table, figure or paragraph."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..common.io import rel, repo_root, write_atomic
from ..reasoner.task import difficulty, pass_tokens
from ..report import facts
from ..report.display import show, show_paragraphs, show_table
from . import prose_traces
from .analysis import (budget_flips, cross_problem_similarity, diversity, flip_pair, flip_seed, flips_across_modes,
                       parallel_only, parallel_only_table, pick_grader, quoted_traces_markdown, trace_features)
from .difficulty import by_difficulty, chance_distinct
from .evidence import diversity_evidence, gained_evidence, parallel_only_evidence, staircase_evidence
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
    def staircase(self) -> dict | None:
        """evidence.staircase_evidence over 2.2's samples (the reasoner with both interventions; else None)."""
        p = self.section.params
        if not self.section.is_reasoner or set(p.seq_modes) != {"stop", "wait"}:
            return None
        return staircase_evidence(by_difficulty(self.sequential, ["mode", "budget"], n_boot=p.n_boot), self.sequential,
                                  self.grader)

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


def traces_folder(q: QualitativeSection) -> Path:
    """Where the quoted traces are saved: <record_dir>/qualitative/<profile>/."""
    sec = q.section
    return repo_root() / sec.values["record_dir"] / "qualitative" / sec.profile


def show_qualitative_setup(q: QualitativeSection) -> None:
    """How 2.3 reads 2.2's samples: the grader, what "solved" means, where the quoted traces are saved."""
    show(prose_traces.qualitative_setup_text(q.grader, len(q.section.params.seq_seeds),
                                             rel(traces_folder(q) / "traces.md")))


def flip_lines(q: QualitativeSection, kind: str) -> list[str]:
    """Each flip example of `kind` as a list item: its two samples, from a seed that shows the flip itself."""
    lines = []
    for example in q.flips[kind]:
        low, high = flip_pair(q.sequential, example, flip_seed(q.sequential, example, kind, q.grader))
        lines.append(prose_traces.flip_line(q.problem_text[example["problem_id"]], low, high, q.grader))
    return lines


def show_gained(q: QualitativeSection) -> None:
    """(a): does the strategy change when a higher budget solves a problem? The answer, then the quoted pairs."""
    p = q.section.params
    mode, low, high = p.seq_modes[0], min(p.seq_budgets), max(p.seq_budgets)
    gained = budget_flips(q.sequential, mode, low, high, q.grader)["gained"]
    ev = gained_evidence(q.sequential, gained, mode, high) if q.section.is_reasoner else \
        {"gained": len(gained), "plain": float("nan")}
    show_paragraphs(prose_traces.gained_text(ev, mode, low, high, flip_lines(q, "a")))


def show_lost(q: QualitativeSection) -> None:
    """(b): what happens when a higher budget loses a problem. The answer, with the quoted pairs and a forced trace."""
    reasoner = q.section.is_reasoner
    examples = [e | {"pass": pass_tokens(difficulty(e["problem_id"])) if reasoner else 0} for e in q.flips["b"]]
    modulus = reasoner_config(q.section.params).task.modulus if reasoner else None
    show_paragraphs(prose_traces.lost_text(examples, flip_lines(q, "b"), q.staircase, q.forced_wait, modulus))


def show_flip_details(q: QualitativeSection) -> None:
    """The lab book: each flip example's two samples side by side (features), and their traces in full."""
    for kind, (_, title) in FLIP_KINDS.items():
        show(f"**{title}**")
        for example in q.flips[kind]:
            low, high = flip_pair(q.sequential, example, flip_seed(q.sequential, example, kind, q.grader))
            show_table(pd.DataFrame([trace_features(low, q.grader), trace_features(high, q.grader)],
                                    index=["low budget", "high budget"]))
            for row in (low, high):
                show(f"*{example['problem_id']}, budget {int(row.budget)}, seed {int(row.seed)}* — thinking:\n\n"
                     f"```text\n{row.thinking_text.strip()}\n```\nfinal answer: `{row.answer_text.strip()}`")


def show_parallel_only(q: QualitativeSection) -> None:
    """(c): the answer and why, from the matched budgets."""
    sec, p, matched = q.section, q.section.params, q.matched
    seq_curve = q.sequential.groupby(["mode", "budget"])[f"{q.grader}_correct"].mean()
    stop = matched[matched.intervention == "stop"].set_index("m")
    one, two = ({"m": m} | parallel_only_evidence(
        parallel_only(q.sequential, q.pool, "stop", int(stop.loc[m, "thinking budget"]), m, q.grader), q.pool, q.grader)
        if m in stop.index else None for m in (1, 2))
    waits = {int(n): float(seq_curve.loc[("wait", n)]) for n in matched[matched.intervention == "wait"]["thinking budget"]}
    show(prose_traces.parallel_only_answer_text(matched, sec.n_problems, one, two, waits,
                                                float(q.pool[f"{q.grader}_correct"].mean()), p.par_budget))


def show_parallel_only_table(q: QualitativeSection) -> None:
    """The lab book: problems only parallel sampling solves at each matched budget, and the clearest example."""
    sec, matched = q.section, q.matched
    show_table(matched.drop(columns="first").rename(columns={"parallel-only problems": "problems"}),
               f"**Table 1.** Problems solved by maj@m over m parallel samples ({sec.params.par_budget} thinking tokens "
               f"each) but by fewer than half the sequential seeds at the matched budget n = m × "
               f"{sec.params.par_budget}. {sec.n_problems} problems. {sec.who}.", {"problems": "{:d}"})


def show_diversity(q: QualitativeSection) -> plt.Figure:
    """(d) Figure 1 and its paragraph: how diverse the parallel pool is, against guessing (the reasoner)."""
    sec, p = q.section, q.section.params
    fig = diversity_figure(q.diversity, q.cross, len(p.par_seeds),
                           f"Figure 1. Diversity of the parallel pool ({len(p.par_seeds)} samples per problem at "
                           f"{p.par_budget} thinking tokens, the model card's sampling). Left: distinct final answers "
                           f"per problem. Right: similarity of the thinking between samples of the same problem and "
                           f"between first samples of different problems. {sec.who}; {sec.provenance}.")
    residues = reasoner_config(p).task.modulus if sec.is_reasoner else None
    chance = chance_distinct(len(p.par_seeds), residues) if residues else None
    show(prose_traces.diversity_answer_text(diversity_evidence(q.diversity, q.cross, q.pool), len(p.par_seeds), chance,
                                            residues))
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
            seed = flip_seed(q.sequential, example, kind, q.grader)
            saved += [_record(f"({kind}){i + 1}", row) for row in flip_pair(q.sequential, example, seed)]
    if q.forced_wait is not None:
        saved.append(_record("(b) forced Wait", q.forced_wait))
    for _, r in q.matched[q.matched["parallel-only problems"] > 0].iterrows():
        saved.append({"question": f"(c) {r.intervention} n={r['thinking budget']} m={r.m}",
                      "problem_id": r.first.problem_id, "parallel_answers": r.first.parallel_answers,
                      "gold": int(r.first.gold), "sequential_rate": float(r.first.sequential_rate)})
    return saved


def save_quoted_traces(q: QualitativeSection) -> None:
    """Write the quoted traces as JSON lines and as Markdown under <record_dir>/qualitative/<profile>/."""
    sec, saved, folder = q.section, quoted_records(q), traces_folder(q)
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

"""Section 2.1 (notebook 05_aime_warmup): greedy decoding with thinking on and off, graded both ways. The
notebook opens the section with open_greedy, then calls one function per table, figure or paragraph."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..common.io import rel
from ..reasoner.task import pass_tokens
from ..report.display import show, show_table
from ..tts.curves import accuracy_table
from ..tts.setting import Setting
from . import prose
from .analysis import grader_disagreements, warmup_numbers
from .difficulty import by_difficulty, separated, with_difficulty
from .params import reasoner_config, reasoner_run, warmup_settings
from .plots import greedy_figure
from .section import Part2Section, open_part2_section

ACCURACY_NAMES = {"condition": "greedy decoding", "exact_acc": "exact_match", "flexible_acc": "flexible_extract",
                  "exact_parsed": "boxed answer found", "thinking_mean": "mean thinking tokens",
                  "answer_mean": "mean answer tokens"}
ACCURACY_SHOWN = ["greedy decoding", "exact_match", "flexible_extract", "boxed answer found", "mean thinking tokens",
                  "mean answer tokens"]
ACCURACY_FORMATS = {"exact_match": "{:.1%}", "flexible_extract": "{:.1%}", "boxed answer found": "{:.0%}",
                    "mean thinking tokens": "{:.0f}", "mean answer tokens": "{:.0f}"}


@dataclass
class GreedySection:
    """2.1's section and its two settings; the samples are read (or generated) on first use, so a run prints
    what it generates in the cell that first needs it."""
    section: Part2Section
    settings: dict[str, Setting]  # "thinking", "no_thinking"

    @cached_property
    def thinking(self) -> pd.DataFrame:
        return self.section.study.run(self.settings["thinking"])

    @cached_property
    def no_thinking(self) -> pd.DataFrame:
        return self.section.study.run(self.settings["no_thinking"])

    @cached_property
    def samples(self) -> pd.DataFrame:
        """Both settings' samples, with their condition ('thinking on' / 'thinking off')."""
        return pd.concat([self.thinking.assign(condition="thinking on"),
                          self.no_thinking.assign(condition="thinking off")])

    @cached_property
    def accuracy(self) -> pd.DataFrame:
        return accuracy_table(self.samples, ["condition"])

    @cached_property
    def by_k(self) -> pd.DataFrame | None:
        """Accuracy by difficulty k with thinking on and off, 95% bootstrap intervals (the reasoner only, else None)."""
        return by_difficulty(self.samples, ["condition"], n_boot=self.section.params.n_boot) \
            if self.section.is_reasoner else None


def open_greedy(values: dict[str, Any], profile: str) -> GreedySection:
    """The notebook's first call: open 2.1 (training or reusing the reasoner) and show its banner."""
    section = open_part2_section(values, profile, "aime_warmup", lambda p: warmup_settings(p).values())
    return GreedySection(section, warmup_settings(section.params))


def show_model_origin(g: GreedySection) -> None:
    """Where the project's reasoner comes from (nothing for another model)."""
    if g.section.is_reasoner:
        run = reasoner_run(g.section.params, g.section.values["out_dir"])
        show(prose.model_origin_text(run, rel(run.folder)))


def show_greedy_accuracy(g: GreedySection) -> None:
    """Table 1 and the answer to 2.1's first question: greedy accuracy under both graders, thinking on and off."""
    p, s = g.section.params, g.section
    show_table(g.accuracy.rename(columns=ACCURACY_NAMES)[ACCURACY_SHOWN],
               f"**Table 1.** Greedy accuracy on {s.n_problems} problems. Thinking on: thinking capped at "
               f"{p.greedy_budget:,} tokens (Stop), answer at most {p.max_answer_tokens} tokens; thinking off: at most "
               f"{p.no_thinking_max_tokens} tokens. {s.who}.", ACCURACY_FORMATS)
    on, off = ({"exact": r.exact_acc, "flexible": r.flexible_acc} for r in
               (g.accuracy.set_index("condition").loc[c] for c in ("thinking on", "thinking off")))
    diff = g.by_k
    ks = sorted(int(k) for k in diff.k.unique()) if diff is not None else []
    wins = separated(diff, "condition", "thinking on", "thinking off") if diff is not None else []
    guess = 1 / reasoner_config(p).task.modulus if s.is_reasoner else None
    show(prose.greedy_accuracy_text(on, off, s.n_problems, wins, ks, guess))


def greedy_figure_for(g: GreedySection) -> plt.Figure:
    """Figure 1: the thinking lengths with thinking on, and (the reasoner) accuracy by difficulty, on and off."""
    s, diff = g.section, g.by_k
    right = "" if diff is None else (
        f" Right: exact_match by difficulty k, thinking on and off ({int(diff.problems.min())} problems per k; bars: "
        f"95% bootstrap interval over problems).")
    return greedy_figure(g.thinking["thinking_tokens"], s.params.greedy_budget, diff,
                         f"Figure 1. Left: thinking lengths of greedy decoding with thinking, one trace per problem "
                         f"({len(g.thinking)} problems), with the cap and the median.{right} {s.who}; {s.provenance}.")


def show_thinking_lengths(g: GreedySection) -> None:
    """2.1's length distribution and what the two graders do, in two paragraphs."""
    s, numbers = g.section, warmup_numbers(g.thinking, g.samples)
    one_pass = None
    if s.is_reasoner:
        thinking = with_difficulty(g.thinking)
        one_pass = float((thinking.thinking_tokens == thinking.k.map(pass_tokens)).mean())
    show(prose.thinking_lengths_text(g.thinking["thinking_tokens"], s.params.greedy_budget, numbers["cut"], one_pass))
    show(prose.graders_text(len(g.samples), numbers["disagree"], numbers["boxed"]))


def show_grader_disagreements(g: GreedySection) -> None:
    """The lab book: up to three samples the two graders score differently, with what each read."""
    examples = grader_disagreements(g.samples).sort_values(["flexible_correct", "problem_id"],
                                                           ascending=[False, True]).head(3)
    for _, r in examples.iterrows():
        show(prose.disagreement_text(r))
    if examples.empty:
        show("The two graders agreed on every sample of this run.")


def show_greedy_trace(g: GreedySection) -> None:
    """The first problem's greedy trace with thinking, quoted from the trace file."""
    study = g.section.study
    first = g.thinking.sort_values("problem_id").iloc[0]
    problem = next(p for p in study.problems if p.id == first.problem_id)
    show(prose.greedy_trace_text(problem, first, rel(study.run_dir(g.settings["thinking"]) / "traces.jsonl")))

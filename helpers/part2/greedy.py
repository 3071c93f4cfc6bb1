"""Section 2.1 (notebook 05_aime_warmup): greedy decoding with thinking on and off, graded both ways. The
notebook opens the section with open_greedy, then calls one function per table, figure or paragraph."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..common.io import rel
from ..report.display import show, show_table
from ..tts.curves import accuracy_table
from ..tts.setting import Setting
from . import prose
from .analysis import grader_disagreements, warmup_numbers
from .difficulty import by_difficulty, separated, with_difficulty
from .params import reasoner_run, warmup_settings
from .plots import by_difficulty_figure, thinking_histogram
from .section import Part2Section, open_part2_section

ACCURACY_NAMES = {"condition": "greedy decoding", "exact_acc": "exact_match", "flexible_acc": "flexible_extract",
                  "exact_parsed": "boxed answer found", "thinking_mean": "mean thinking tokens",
                  "answer_mean": "mean answer tokens"}
ACCURACY_SHOWN = ["greedy decoding", "problems", "exact_match", "flexible_extract", "boxed answer found",
                  "mean thinking tokens", "mean answer tokens"]
ACCURACY_FORMATS = {"exact_match": "{:.1%}", "flexible_extract": "{:.1%}", "boxed answer found": "{:.1%}",
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
    """Table 1: greedy accuracy under both graders, thinking on and off."""
    p, s = g.section.params, g.section
    show_table(g.accuracy.rename(columns=ACCURACY_NAMES)[ACCURACY_SHOWN],
               f"**Table 1.** Greedy accuracy ({s.who}). Thinking on: thinking capped at {p.greedy_budget:,} tokens "
               f"(Stop), answer at most {p.max_answer_tokens} tokens; thinking off: at most {p.no_thinking_max_tokens} "
               f"tokens. {s.provenance}.", ACCURACY_FORMATS)


def greedy_lengths_figure(g: GreedySection) -> plt.Figure:
    """Figure 1: the thinking lengths of greedy decoding with thinking on."""
    s = g.section
    return thinking_histogram(g.thinking["thinking_tokens"], s.params.greedy_budget,
                              f"Figure 1. Thinking lengths of greedy decoding with thinking on, one sample per problem "
                              f"({len(g.thinking)} problems). {s.who}. {s.provenance}.")


def show_greedy_by_difficulty(g: GreedySection) -> plt.Figure | None:
    """Figure 2 and its paragraph: accuracy by difficulty k, thinking on against off (the reasoner's problems
    only; another model's get a sentence saying so)."""
    s = g.section
    if not s.is_reasoner:
        show("This model's problems carry no difficulty levels; the breakdown by k applies to the project's reasoner.")
        return None
    diff = by_difficulty(g.samples, ["condition"], n_boot=s.params.n_boot)
    per_k = int(diff.problems.min())
    fig = by_difficulty_figure(diff, "condition",
                               f"Figure 2. Greedy exact_match by difficulty k, thinking on and off ({per_k} problems per k; "
                               f"bars: 95% bootstrap interval over problems; one problem is {100 / per_k:.1f} points within a "
                               f"k, {100 / s.n_problems:.2f} overall). {s.who}. {s.provenance}.",
                               "Greedy accuracy by difficulty: thinking on versus off")
    wide = diff.pivot_table(index="k", columns="condition", values="accuracy")
    wins = separated(diff, "condition", "thinking on", "thinking off")
    losses = separated(diff, "condition", "thinking off", "thinking on")
    thinking_by_k = with_difficulty(g.thinking).groupby("k").thinking_tokens.mean()
    show(prose.greedy_by_difficulty_text(wide, wins, losses, thinking_by_k))
    return fig


def show_grader_disagreements(g: GreedySection) -> None:
    """Both graders' scores in a paragraph, then up to three samples they score differently."""
    on, off = (g.accuracy.set_index("condition").loc[c] for c in ("thinking on", "thinking off"))
    show(prose.greedy_summary_text(on, off, warmup_numbers(g.thinking, g.samples), g.section.params.greedy_budget,
                                   len(g.samples)))
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

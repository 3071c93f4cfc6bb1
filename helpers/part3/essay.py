"""Notebook 09 (the synthesis) in calls: `open_essay` loads every section's facts and Part 3's exchange grid (read
back, or, run alone, generated) and reads it; each method then shows paragraphs, a figure or a table. The prose is
in helpers.part3.prose (3.1) and helpers.part3.argument (3.2, 3.3), the figures in helpers.part3.synthesis."""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from ..common.provenance import provenance
from ..part2.params import Part2Params
from ..report.display import show, show_table
from ..report.facts import Facts, load_all
from ..report.profiles import Params, load_params
from . import argument, prose
from .exchange import difficulty_groups, exchange_samples, exchange_table, operating_points, skill_jumps
from .readings import ExchangeReading
from .synthesis import compute_figure, exchange_figure

TABLE_FORMATS = {"step": "{:,}", "training FLOPs saved": "{:.1e}"}
JUMP_FORMATS = {"before": "{:,.0f}", "after": "{:,.0f}", "train_ratio": "{:.2f}×", "greedy_before": "{:.0%}",
                "greedy_after": "{:.0%}", "best_before": "{:.0%}", "most_inference_ratio": "{:.1f}×", "final": "{:.0%}"}


def show_essay_paragraphs(paragraphs: list[str]) -> None:
    """One output per paragraph, so the printed page can break between them."""
    for paragraph in paragraphs:
        show(paragraph)


def exchange_setting_name(by: str) -> str:
    """'greedy Stop 36' -> 'greedy, 36 tokens'; 'maj@m 8' -> 'maj@8'."""
    method, level = by.rsplit(" ", 1)
    return f"greedy, {level} tokens" if method == "greedy Stop" else f"maj@{level}"


def exchange_cell(row: pd.Series) -> str:
    """One cell of Table 1: 'greedy, 36 tokens: 98%, 1.0× ✓' (and the break-even, where there is one)."""
    ratio = row["× final's inference"]
    cell = f"{exchange_setting_name(row['by'])}: {row['accuracy']:.0%}, {ratio:.1f}×"
    cell += " ✓" if row["reached"] else ""
    return cell + (f", break-even {row['break-even problems']:,.0f}" if pd.notna(row["break-even problems"]) else "")


def exchange_table_view(table: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as printed: one row per earlier checkpoint (step, training FLOPs it saved), one column per group."""
    groups = list(dict.fromkeys(table["group"]))
    wide = table.assign(cell=table.apply(exchange_cell, axis=1)).pivot(index="step", columns="group", values="cell")
    saved = table.drop_duplicates("step").set_index("step")["training FLOPs saved"]
    return wide[groups].assign(**{"training FLOPs saved": saved}).reset_index()[
        ["step", "training FLOPs saved", *groups]].rename_axis(columns=None)


@dataclass
class Essay:
    """What the essay quotes: the notebook's parameters, every section's facts (section name -> record), Part 2's
    parameters (the exchange grid's), the grid's samples and its reading."""
    params: Params
    facts: dict[str, Facts]
    part2: Part2Params
    samples: pd.DataFrame
    reading: ExchangeReading

    @property
    def note(self) -> str:
        return provenance(self.params.profile)

    def show_when_it_helps(self) -> None:
        show_essay_paragraphs(prose.when_it_helps(self.facts, self.reading))

    def compute_figure(self) -> plt.Figure:
        """Figure 1 (returned, so the notebook's `fig = ...` keeps the repr out of the output)."""
        return compute_figure(self.facts["ablations"], self.facts["scaling"],
                              prose.compute_figure_caption(self.facts, self.note))

    def show_by_difficulty(self) -> None:
        show_essay_paragraphs(prose.exchange_by_difficulty(self.reading))

    def exchange_figure(self) -> plt.Figure:
        """Figure 2 (returned, as compute_figure)."""
        return exchange_figure(self.reading.points, prose.exchange_figure_caption(
            self.reading, self.part2.exchange["budgets"], self.note))

    def show_exchange_table(self) -> None:
        show_table(exchange_table_view(self.reading.table), prose.exchange_table_caption(self.reading), TABLE_FORMATS)

    def show_exchange_details(self) -> None:
        """For the lab book: how the grid was run, and the skill jump per group in numbers."""
        show(f"**The exchange grid.** {len(self.samples):,} samples: every checkpoint of the reasoner "
             f"({self.reading.points.step.nunique()}) answered the {self.samples.problem_id.nunique()} held-out chains "
             f"with a greedy Stop sweep over budgets {self.part2.exchange['budgets']} and a pool of "
             f"{self.reading.pool} sampled answers at {self.reading.per_sample_budget} thinking tokens each "
             "(helpers/part3/exchange.py); each answer's inference FLOPs are counted from its prompt, thinking and "
             "answer tokens. The skill jump per group: the last checkpoint below 50% greedy accuracy at the base "
             "budget (before), the next one (after), and the best any test-time setting reached before it.")
        show_table(self.reading.jumps, "", {k: v for k, v in JUMP_FORMATS.items() if k in self.reading.jumps})

    def show_failure_modes(self) -> None:
        show_essay_paragraphs(argument.failure_modes(self.facts))

    def show_allocation(self) -> None:
        show_essay_paragraphs(argument.allocation_proposal(self.facts, self.reading))


def part2_checkpoint(part2: Part2Params, steps: list[int]) -> int | None:
    """The checkpoint Part 2 answered with (study.checkpoint: a step or "final"), if the grid has it."""
    chosen = part2.study.get("checkpoint", "final")
    step = max(steps) if chosen == "final" else chosen
    return int(step) if step in steps else None


def open_essay(params: Params) -> Essay:
    """The facts every section saved under the profile's out_dir, and Part 3's exchange grid for the profile's Part 2
    parameters (stored samples read back, missing ones generated), analysed."""
    facts = load_all(params.profile, params.out_dir)
    part2_values = load_params("part2", params.profile, {}, params.out_dir)
    samples = exchange_samples(part2_values)
    part2 = Part2Params.from_dict(part2_values)
    groups = difficulty_groups(samples["k"].tolist())
    points = operating_points(samples, groups, n_boot=part2.n_boot)
    base = part2.exchange["per_sample_budget"]
    reading = ExchangeReading(points, exchange_table(points, base_budget=base), skill_jumps(points, base), groups,
                              part2_checkpoint(part2, sorted(int(s) for s in points.step.unique())), base,
                              len(part2.exchange["pool"]))
    return Essay(params, facts, part2, samples, reading)

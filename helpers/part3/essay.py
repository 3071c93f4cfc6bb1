"""Notebook 09 (the synthesis) in calls: `open_essay` loads every section's facts and shows the sources line;
`open_exchange` reads (or, run alone, generates) Part 3's grid and analyses it; each method then shows one
paragraph, figure or table. The prose itself is in helpers.part3.prose, the figures in helpers.part3.synthesis."""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from ..common.provenance import provenance
from ..part2.params import Part2Params
from ..report.display import show, show_table
from ..report.facts import Facts, load_all
from ..report.profiles import Params, load_params
from . import prose
from .exchange import difficulty_groups, exchange_samples, exchange_table, operating_points, skill_jumps
from .synthesis import compute_figure, exchange_figure

TABLE_FORMATS = {"inference FLOPs/problem": "{:.2e}", "× final's inference": "{:.1f}×", "training FLOPs saved": "{:.2e}",
                 "break-even problems": "{:,.0f}"}


@dataclass
class Essay:
    """What the essay quotes: the notebook's parameters and every section's facts (section name -> record)."""
    params: Params
    facts: dict[str, Facts]

    def show_when_compute_helps(self) -> None:
        show(prose.when_compute_helps(self.facts))

    def compute_figure(self) -> plt.Figure:
        """Figure 1 (returned, so the notebook's `fig = ...` keeps the repr out of the output)."""
        scaling = self.facts["scaling"]
        return compute_figure(self.facts["ablations"], scaling,
                              prose.compute_figure_caption(scaling, provenance(self.params.profile)))

    def show_failure_modes(self) -> None:
        show(prose.failure_modes(self.facts))

    def show_allocation_proposal(self) -> None:
        show(prose.allocation_proposal(self.facts))


def open_essay(params: Params) -> Essay:
    """The facts every section saved under the profile's out_dir; shows the essay's sources line."""
    essay = Essay(params, load_all(params.profile, params.out_dir))
    show(prose.sources_line(essay.facts["scaling"], provenance(params.profile)))
    return essay


@dataclass
class Exchange:
    """Part 3's measurement: every grid sample, its operating points per difficulty group and checkpoint, and the
    exchange table against the final checkpoint at the base budget (the pool's per-sample budget)."""
    profile: str
    part2: Part2Params
    samples: pd.DataFrame
    points: pd.DataFrame
    table: pd.DataFrame

    @property
    def base_budget(self) -> int:
        return self.part2.exchange["per_sample_budget"]

    @property
    def problems_per_group(self) -> int:
        return int(self.points.problems.min())

    def figure(self) -> plt.Figure:
        """Figure 2 (returned, as Essay.compute_figure)."""
        return exchange_figure(self.points, prose.exchange_figure_caption(
            self.part2.exchange, self.samples.problem_id.nunique(), provenance(self.profile)))

    def show_table(self) -> None:
        """Table 1, accuracies as whole percentages."""
        table = self.table.assign(**{column: self.table[column].map("{:.0%}".format)
                                     for column in ("target accuracy", "accuracy")})
        show_table(table, prose.exchange_table_caption(self.points.step.max(), self.base_budget), TABLE_FORMATS)

    def show_reading(self) -> None:
        jumps = skill_jumps(self.points, self.base_budget)
        show(prose.exchange_reading(jumps, self.table, self.problems_per_group))


def open_exchange(params: Params) -> Exchange:
    """The exchange grid for the profile's Part 2 parameters (stored samples read back, missing ones generated)
    and its analysis."""
    part2_values = load_params("part2", params.profile, {}, params.out_dir)
    samples = exchange_samples(part2_values)
    part2 = Part2Params.from_dict(part2_values)
    points = operating_points(samples, difficulty_groups(samples["k"].tolist()), n_boot=part2.n_boot)
    table = exchange_table(points, base_budget=part2.exchange["per_sample_budget"])
    return Exchange(params.profile, part2, samples, points, table)

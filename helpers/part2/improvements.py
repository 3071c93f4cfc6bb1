"""Section 2.4 (notebook 08_improvements): strategies that change the parallel baseline of 2.2, compared with it at
fixed total thinking budgets. The notebook opens the section with open_improvements, then calls one function per
table, figure or paragraph."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..report import facts
from ..report.display import show, show_table
from ..tts.curves import parallel_curve, sequential_curve
from ..tts.setting import Setting
from . import prose
from .analysis import paired_vs_baseline, pick_grader, strategy_table
from .params import Part2Params, Strategy, parallel_setting, sequential_settings, strategy_settings
from .plots import strategies_figure
from .section import Part2Section, open_part2_section

TABLE_FORMATS = {"accuracy": "{:.1%}", "vs baseline": "{:+.1%}", "paired Δ": "{:+.1%}", "thinking used": "{:.0f}",
                 "total budget": "{:,}"}


def strategy_runs(p: Part2Params) -> list[Setting]:
    """The settings 2.4 runs (in its own folders): one per strategy."""
    return [s.setting for s in strategy_settings(p).values()]


@dataclass(frozen=True)
class ImprovementsSection:
    section: Part2Section  # 2.2's study (the baseline's samples); own_study holds the strategies' run folders
    strategies: dict[str, Strategy]


@dataclass
class StrategyComparison:
    """What 2.4 compares: every pool's samples and parallel curve ('baseline' first), 2.2's sequential curve for
    reference, and the grader they are all read with."""
    section: Part2Section
    labels: dict[str, str]  # pool name -> its label in figures and tables
    settings: dict[str, Setting]
    samples: dict[str, pd.DataFrame]
    curves: dict[str, pd.DataFrame]
    seq_curve: pd.DataFrame
    grader: str

    @cached_property
    def table(self) -> pd.DataFrame:
        """Every strategy and the baseline at the total budgets, per rule, with the paired change."""
        p = self.section.params
        budgets = {n: s.budgets[0] for n, s in self.settings.items()}
        paired = paired_vs_baseline(self.samples, budgets, p.report_totals, self.grader, n_boot=p.n_boot).assign(
            strategy=lambda d: d.strategy.map(self.labels))
        return strategy_table(self.curves, budgets, self.labels, p.report_totals, self.grader).merge(
            paired[["strategy", "total budget", "rule", "paired Δ", "paired lo", "paired hi"]],
            on=["strategy", "total budget", "rule"], how="left")


def open_improvements(values: dict[str, Any], profile: str) -> ImprovementsSection:
    """The notebook's first call: open 2.2's study (the baseline) and 2.4's (the strategies' own run folders),
    show the banner and what each strategy changes."""
    section = open_part2_section(values, profile, "scaling", strategy_runs, own_section="improvements")
    return ImprovementsSection(section, strategy_settings(section.params))


def show_strategies(i: ImprovementsSection) -> None:
    """Each strategy: its label, name, description and what it changes against the baseline."""
    for s in i.strategies.values():
        show(f"**{s.label}** (`{s.name}`). {s.description} *Changes:* {s.changes}.")


def compare_strategies(i: ImprovementsSection) -> StrategyComparison:
    """Read every sample 2.4 compares (generating what is missing: a run prints that in this cell), then the
    curves and the grader."""
    sec, p = i.section, i.section.params
    settings = {"baseline": parallel_setting(p)} | {name: s.setting for name, s in i.strategies.items()}
    samples = {name: (sec.study if name == "baseline" else sec.own_study).run(setting)
               for name, setting in settings.items()}
    curves = {name: parallel_curve(samples[name], range(1, len(settings[name].seeds) + 1), n_boot=p.n_boot)
              for name in samples}
    sequential = pd.concat([sec.study.run(s) for s in sequential_settings(p).values()], ignore_index=True)
    labels = {"baseline": f"baseline ({p.par_budget} tokens × m)"} | {n: s.label for n, s in i.strategies.items()}
    return StrategyComparison(sec, labels, settings, samples, curves, sequential_curve(sequential),
                              pick_grader(*samples.values(), sequential))


def strategies_overlay(c: StrategyComparison) -> plt.Figure:
    """Figure 1: each strategy's parallel scaling overlaid on the baseline, per aggregation rule."""
    sec, p = c.section, c.section.params
    return strategies_figure(c.curves, c.labels, c.seq_curve, c.grader, p.report_totals,
                             f"Figure 1. Parallel scaling with each strategy overlaid on the baseline, for the three "
                             f"aggregation rules ({c.grader} grader; 95% bootstrap intervals, {p.n_boot} replicates). "
                             f"Red lines: the total budgets of Table 1 ({totals_text(p.report_totals)}). Dotted: "
                             f"sequential scaling of 2.2 for reference. {sec.who}. {sec.provenance}.")


def totals_text(totals: Sequence[int]) -> str:
    """'16,000, 32,000': the total budgets as captions quote them."""
    return ", ".join(f"{t:,}" for t in totals)


def show_strategies_table(c: StrategyComparison) -> None:
    """Table 1: accuracy of every strategy at the total budgets, against the baseline, paired and unpaired."""
    sec, table = c.section, c.table
    # the baseline's own rows have no paired comparison (NaN): an empty cell
    intervals = [f"{lo:+.1%} to {hi:+.1%}" if pd.notna(lo) else "" for lo, hi in zip(table["paired lo"], table["paired hi"])]
    shown = table.assign(**{"paired 95% interval": intervals}).drop(columns=["paired lo", "paired hi"])
    show_table(shown,
               f"**Table 1.** Accuracy at total thinking budgets {totals_text(sec.params.report_totals)} "
               f"({c.grader} grader; bootstrap mean and 95% interval; `vs baseline` in accuracy points; `paired Δ`: the "
               f"change against the baseline on the same problems, each side with its first m samples, and its 95% "
               f"paired bootstrap interval over problems). {sec.n_problems} problems. {sec.who}.", TABLE_FORMATS)


def show_strategies_summary(c: StrategyComparison) -> None:
    """The best strategy at each total budget, and each against the baseline, within noise or beyond it."""
    sec = c.section
    show(prose.strategies_summary_text(c.table, sec.params.report_totals, c.labels["baseline"], sec.n_problems))


def save_improvements_facts(c: StrategyComparison) -> None:
    """The numbers the synthesis (09) quotes."""
    sec = c.section
    facts.save(facts.ImprovementsFacts(grader=c.grader, table=facts.plain(c.table), labels=c.labels), sec.profile,
               sec.values["record_dir"])

"""Section 2.4 (notebook 08_improvements): strategies that change the parallel baseline of 2.2, compared with it at
fixed total thinking budgets. The notebook opens the section with open_improvements, then calls one function per
table, figure or paragraph."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..report import facts
from ..report.display import show, show_table
from ..tts.curves import parallel_curve, sequential_curve
from ..tts.setting import Setting
from . import prose_traces
from .analysis import paired_vs_baseline, pick_grader, strategy_table
from .evidence import strategy_evidence
from .labels import assignment_budgets
from .params import Part2Params, Strategy, parallel_setting, sequential_settings, strategy_settings
from .plots import strategies_figure
from .section import Part2Section, open_part2_section

FULL_TABLE_NAMES = {"total budget": "total budget", "tokens per sample": "tokens per sample",
                    "thinking used": "thinking used", "vs baseline": "vs baseline", "paired Δ": "paired change"}
TABLE_FORMATS = {"accuracy": "{:.1%}", "vs baseline": "{:+.1%}", "paired change": "{:+.1%}", "thinking used": "{:.0f}",
                 "total budget": "{:,}", "m": "{:d}", "tokens per sample": "{:d}"}
GRADER_NAMES = {"exact": "exact_match", "flexible": "flexible_extract"}


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
    """Each strategy in a sentence or two: its label and what it does differently from the baseline."""
    show("\n".join(f"- **{s.label}.** {s.description}" for s in i.strategies.values()))


def show_strategy_changes(i: ImprovementsSection) -> None:
    """The lab book: what each strategy changes against the baseline, setting by setting."""
    show("\n".join(f"- **{s.label}** (`{s.name}`): {s.changes}." for s in i.strategies.values()))


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
                             f"Figure 1. Parallel scaling with each strategy overlaid on the baseline (black), one panel "
                             f"per aggregation rule ({GRADER_NAMES[c.grader]}; bars: 95% bootstrap intervals, "
                             f"{p.n_boot} replicates). Dashed: the total budgets of Table 1 ({totals_text(p.report_totals)}"
                             f"). Grey dotted: sequential scaling of 2.2 for reference. {sec.who}; {sec.provenance}.")


def totals_text(totals: Sequence[int]) -> str:
    """'16,000, 32,000': the total budgets as captions quote them."""
    return ", ".join(f"{t:,}" for t in totals)


def show_strategies_summary_table(c: StrategyComparison) -> None:
    """Table 1: maj@m accuracy of every strategy at each total budget, and its change against the baseline, paired
    on the same problems."""
    sec, table = c.section, c.table
    vote = table[table.rule == "maj@m"]
    rows: dict[str, dict[str, str]] = {label: {} for label in c.labels.values()}  # the baseline first, then as listed
    for r in vote.itertuples(index=False):
        row = dict(zip(vote.columns, r))
        total, paired = f"{int(row['total budget']):,}", pd.notna(row["paired Δ"])
        rows[row["strategy"]][f"samples at {total}"] = f"{row['m']} × {row['tokens per sample']}"
        rows[row["strategy"]][f"maj@m at {total}"] = f"{row['accuracy']:.1%}"
        rows[row["strategy"]][f"change at {total} (95% interval)"] = (
            f"{row['paired Δ'] * 100:+.1f} ({row['paired lo'] * 100:+.1f} to {row['paired hi'] * 100:+.1f})"
            if paired else "")
    shown = pd.DataFrame.from_dict(rows, orient="index").rename_axis("strategy").reset_index()
    show_table(shown, f"**Table 1.** maj@m accuracy at total thinking budgets {totals_text(sec.params.report_totals)} "
               f"(bootstrap mean over which samples are drawn) and the change against the baseline in points, paired: "
               f"each side's first m samples on the same {sec.n_problems} problems, with its 95% bootstrap interval "
               f"over problems. Samples: m × thinking tokens per sample. {sec.who}.", "{}")


def show_strategies_table(c: StrategyComparison) -> None:
    """The lab book: accuracy of every strategy at the total budgets and rules, against the baseline, paired and
    unpaired."""
    sec, table = c.section, c.table
    # the baseline's own rows have no paired comparison (NaN): an empty cell
    intervals = [f"{lo:+.1%} to {hi:+.1%}" if pd.notna(lo) else "" for lo, hi in zip(table["paired lo"], table["paired hi"])]
    shown = table.assign(**{"paired interval": intervals}).drop(columns=["paired lo", "paired hi"]).rename(
        columns=FULL_TABLE_NAMES)
    show_table(shown,
               f"**Table 2.** Accuracy at total thinking budgets {totals_text(sec.params.report_totals)} "
               f"({GRADER_NAMES[c.grader]}; bootstrap mean and 95% interval; vs baseline in accuracy points; paired: "
               f"the change against the baseline on the same problems, each side with its first m samples, and its 95% "
               f"paired bootstrap interval over problems). {sec.n_problems} problems. {sec.who}.", TABLE_FORMATS)


def show_strategies_summary(c: StrategyComparison) -> None:
    """2.4's answer: how much better each strategy makes the curve at the total budgets, and why."""
    sec = c.section
    base = asdict(c.settings["baseline"].sampling)  # asdict: Sampling's equality leaves out `extra` (XTC)
    kinds = {name: ("wait" if st.mode == "wait" else "sampling" if asdict(st.sampling) != base else "budget")
             for name, st in c.settings.items() if name != "baseline"}
    single = {name: float(df[f"{c.grader}_correct"].mean()) for name, df in c.samples.items()}
    distinct = {name: float(df.groupby("problem_id")[f"{c.grader}_answer"].nunique(dropna=False).mean())
                for name, df in c.samples.items()}
    meant = assignment_budgets(sec.study)
    show(prose_traces.strategies_answer_text(strategy_evidence(c.table, c.labels), kinds, c.labels, single, distinct,
                                             meant["report_totals"] if meant else None))


def save_improvements_facts(c: StrategyComparison) -> None:
    """The numbers the synthesis (09) quotes."""
    sec = c.section
    facts.save(facts.ImprovementsFacts(grader=c.grader, table=facts.plain(c.table), labels=c.labels), sec.profile,
               sec.values["record_dir"])

"""Section 1.3 (notebook 03_grokking): Power et al.'s Figure 1 on a / b (mod 97) for several seeds, the milestones
t_train and t_val per seed, the paragraph reading them, and the published checkpoint answering held-out equations.

`open_grokking` trains (or reuses) the seeds and computes the milestone tables once.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import matplotlib.pyplot as plt
import pandas as pd

from ..common.provenance import provenance
from ..gpt.sweep import SweepResult, run_sweep
from ..report import facts
from ..report.display import show, show_paragraphs, show_table
from ..report.profiles import Params
from .demos import CheckpointDemo, checkpoint_demo, show_demo_answer, show_demo_table
from .milestones import milestone_table
from .plans import grokking_configs
from .plots import grokking_curves
from .prose import recipe, reuse_line
from .readings import grokking_answers
from .tables import after_grokking, grokked, plateau

# Table 1's columns and their headings: the short report's, then the lab book's (every milestone)
MILESTONE_HEADINGS = {"seed": "seed", "t_train": "t_train", "val_acc_at_t_train": "val acc at t_train", "t_val": "t_val",
                      "delta_t": "Δt", "t_val / t_train": "t_val / t_train", "last_step": "last step"}
MILESTONE_DETAIL = {"t_train_first": "first step train acc ≥ 99%", "train_dips": "train acc dips, t_train to t_val",
                    "train_acc_min_after": "lowest train acc, t_train to t_val"}


@dataclass
class GrokkingSeeds:
    """The grokking runs and what the section reads of them."""
    params: Params
    provenance: str
    sweep: SweepResult
    milestones: pd.DataFrame  # one row per seed (helpers.part1.milestones), with "t_val / t_train"
    flat: pd.DataFrame  # the plateau between t_train and t_val per seed (tables.plateau)
    after: pd.DataFrame  # what follows t_val per seed (tables.after_grokking)

    @property
    def recipe(self) -> str:
        return recipe(self.sweep.configs[0])

    @cached_property
    def demo(self) -> CheckpointDemo:
        """The first seed, published, answering validation equations, and the command line on two prompts."""
        return checkpoint_demo(self.sweep.configs[0], self.params.checkpoint_name, self.params.record_dir, "val", 1,
                               ["12/5=", "3/7="])


def open_grokking(P: Params) -> GrokkingSeeds:
    """Show the header line, train (or reuse) every seed, say how many were trained, and read the milestones."""
    configs = grokking_configs(P, P.out_dir)
    prov = provenance(P.profile)
    show(f"**Produced by:** {prov}, seeds {P.seeds}.  \n**Recipe:** {recipe(configs[0])}.")
    sweep = run_sweep(configs, workers=P.workers, keys=["op", "modulus"])
    show(reuse_line(sweep.trained, len(configs)))
    table = milestone_table(sweep.metrics, ["op"], P.threshold, P.hold_steps)
    table["t_val / t_train"] = table["t_val"] / table["t_train"]
    return GrokkingSeeds(params=P, provenance=prov, sweep=sweep, milestones=table,
                         flat=plateau(table, sweep.metrics), after=after_grokking(table, sweep.metrics, P.threshold))


def grokking_figure(G: GrokkingSeeds) -> plt.Figure:
    """Figure 1: accuracy and loss of every seed in its own row, t_train and t_val marked, and the parameter norm."""
    return grokking_curves(G.sweep.metrics, G.milestones, G.sweep.configs[0].modulus,
                           f"Figure 1. Grokking on modular division, one row per seed: training (solid) and validation "
                           f"(dashed) exact-match accuracy (left) and loss (right) on the answer, with the seed's t_train "
                           f"(dotted) and t_val (dash-dot); bottom: every seed's parameter norm. Recipe: {G.recipe}. "
                           f"{G.provenance}.")


MILESTONE_FORMATS = {"t_train": "{:,.0f}", "t_val": "{:,.0f}", "delta_t": "{:,.0f}", "last_step": "{:,.0f}",
                     "t_train_first": "{:,.0f}", "val_acc_at_t_train": "{:.1%}", "t_val / t_train": "{:.2f}",
                     "train_acc_min_after": "{:.1%}"}


def _milestones(G: GrokkingSeeds, headings: dict[str, str], caption: str) -> None:
    show_table(G.milestones[list(headings)].rename(columns=headings), caption,
               {headings[c]: f for c, f in MILESTONE_FORMATS.items() if c in headings})


def show_milestones(G: GrokkingSeeds) -> None:
    """Table 1: the milestones per seed."""
    P, c0 = G.params, G.sweep.configs[0]
    _milestones(G, MILESTONE_HEADINGS,
                f"**Table 1.** Milestones per seed: t_train and t_val are the first evaluated steps from which training "
                f"and validation accuracy stay ≥ {P.threshold:.0%} for {P.hold_steps} steps; Δt = t_val − t_train; "
                f"last step: where the run stopped. Evaluations every {c0.eval_every} steps plus "
                f"{c0.eval_log_points} log-spaced ones, so each step is known to that resolution.")


def show_milestone_detail(G: GrokkingSeeds) -> None:
    """Table 1b: every milestone per seed, with the first crossings and the dips (lab book)."""
    _milestones(G, MILESTONE_HEADINGS | MILESTONE_DETAIL,
                f"**Table 1b.** Every milestone per seed. A dip is an evaluation between t_train and t_val with "
                f"training accuracy below {G.params.threshold:.0%}.")


def show_grokking_reading(G: GrokkingSeeds) -> None:
    """The paragraphs reading the figure; it stops the report when a seed did not grok and the profile requires
    every seed to."""
    P, table = G.params, G.milestones
    ok = grokked(table, hold=P.hold_steps)
    show_paragraphs(grokking_answers(table, ok, G.flat, G.after, P.threshold, G.sweep.configs[0]))
    failed = table[~table.seed.isin(ok.seed)]
    if P.require_pass and len(failed):
        raise AssertionError(f"seeds {failed.seed.tolist()} did not grok (val acc < 30% at t_train and t_val >= "
                             f"t_train + {P.hold_steps})")


def show_division_demo(G: GrokkingSeeds) -> None:
    """The published checkpoint answering validation equations, and the command line."""
    show_demo_answer(G.demo)


def show_division_table(G: GrokkingSeeds) -> None:
    """Its eight answers, each checked (lab book)."""
    show_demo_table(G.demo, ["prompt", "true c", "model says", "check: c·b mod p", "a", "correct"])


def save_grokking_facts(G: GrokkingSeeds) -> None:
    """The numbers the synthesis (09) quotes."""
    P, table, after, c0 = G.params, G.milestones, G.after, G.sweep.configs[0]
    facts.save(facts.GrokkingFacts(
        recipe=G.recipe, budget=c0.max_steps, seeds=P.seeds, t_train=table.t_train.tolist(),
        t_val=table.t_val.tolist(), val_acc_at_t_train=table.val_acc_at_t_train.tolist(),
        ratio=table["t_val / t_train"].tolist(), censored=int(table.censored.sum()),
        train_dips=[int(d) for d in table.train_dips],
        collapses_after=[int(c) for c in after.collapses] if len(after) else []), P.profile, P.record_dir)

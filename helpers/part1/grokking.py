"""Section 1.3 (notebook 03_grokking): Power et al.'s Figure 1 on a / b (mod 97) for several seeds, the milestones
t_train and t_val per seed, the paragraph reading them, and the published checkpoint answering held-out equations.

`open_grokking` trains (or reuses) the seeds and computes the milestone tables once.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from ..common.provenance import provenance
from ..gpt.sweep import SweepResult, run_sweep
from ..report import facts
from ..report.display import show, show_table
from ..report.profiles import Params
from .demos import show_checkpoint_demo
from .milestones import milestone_table
from .plans import grokking_configs
from .plots import grokking_curves
from .prose import grokking_reading, recipe, reuse_line
from .tables import after_grokking, grokked, plateau

# Table 1's columns and their headings
MILESTONE_HEADINGS = {"seed": "seed", "t_train_first": "first step train ≥ 99%", "t_train": "t_train",
                      "val_acc_at_t_train": "val acc at t_train", "t_val": "t_val",
                      "delta_t": "Δt = t_val − t_train", "t_val / t_train": "t_val / t_train",
                      "train_dips": "train-acc dips, t_train to t_val",
                      "train_acc_min_after": "lowest train acc, t_train to t_val", "last_step": "last step"}


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
    """Figure 1: accuracy, loss and parameter norm of every seed, t_train and t_val marked."""
    return grokking_curves(G.sweep.metrics, G.milestones, G.sweep.configs[0].modulus,
                           f"Figure 1. Grokking on modular division, {len(G.params.seeds)} seeds. "
                           f"Recipe: {G.recipe}. {G.provenance}.")


def show_milestones(G: GrokkingSeeds) -> None:
    """Table 1: the milestones per seed."""
    P, c0 = G.params, G.sweep.configs[0]
    shown = G.milestones[list(MILESTONE_HEADINGS)].rename(columns=MILESTONE_HEADINGS).round(3)
    show_table(shown, f"**Table 1.** Milestones per seed (threshold {P.threshold:.0%} held for {P.hold_steps} steps; "
                      f"evaluations every {c0.eval_every} steps plus {c0.eval_log_points} log-spaced ones, so each "
                      f"step is known to that resolution). A dip is an evaluation between t_train and t_val with "
                      f"training accuracy below {P.threshold:.0%}.")


def show_grokking_reading(G: GrokkingSeeds) -> None:
    """The paragraph reading the figure; it stops the report when a seed did not grok and the profile requires
    every seed to."""
    P, table = G.params, G.milestones
    ok = grokked(table, hold=P.hold_steps)
    show(grokking_reading(table, ok, G.flat, G.after, P.threshold, P.hold_steps, G.sweep.configs[0]))
    failed = table[~table.seed.isin(ok.seed)]
    if P.require_pass and len(failed):
        raise AssertionError(f"seeds {failed.seed.tolist()} did not grok (val acc < 30% at t_train and t_val >= "
                             f"t_train + {P.hold_steps})")


def show_division_demo(G: GrokkingSeeds) -> None:
    """The first seed, published, answering validation equations (in process and by command)."""
    show_checkpoint_demo(G.sweep.configs[0], G.params.checkpoint_name, G.params.record_dir, "val", 1,
                         ["prompt", "true c", "model says", "check: c·b mod p", "a", "correct"], ["12/5=", "3/7="])


def save_grokking_facts(G: GrokkingSeeds) -> None:
    """The numbers the synthesis (09) quotes."""
    P, table, after, c0 = G.params, G.milestones, G.after, G.sweep.configs[0]
    facts.save(facts.GrokkingFacts(
        recipe=G.recipe, budget=c0.max_steps, seeds=P.seeds, t_train=table.t_train.tolist(),
        t_val=table.t_val.tolist(), val_acc_at_t_train=table.val_acc_at_t_train.tolist(),
        ratio=table["t_val / t_train"].tolist(), censored=int(table.censored.sum()),
        train_dips=[int(d) for d in table.train_dips],
        collapses_after=[int(c) for c in after.collapses] if len(after) else []), P.profile, P.record_dir)

"""Section 1.2 (notebook 02_warmup): one- and two-layer models on modular addition and subtraction, the learning
rate tuned on the validation split, results per configuration and per run, three restarts of one configuration,
and its checkpoint answering held-out equations.

`open_warmup` trains (or reuses) the tuning runs and the grid; the tables it reads are computed once, on first use.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ..common.io import rel, repo_root
from ..common.provenance import provenance
from ..gpt.config import TrainConfig
from ..gpt.sweep import SweepResult, find, run_sweep, unique
from ..report import facts
from ..report.display import show, show_table
from ..report.profiles import Params
from .demos import show_checkpoint_demo
from .plans import warmup_configs
from .plots import seed_bands, warmup_grid
from .prose import band_sentence, recipe, reuse_line, run_label, tuning_paragraph, warmup_outcome
from .tables import changes_from_paper, config_summary, final_results, rows_matching, seed_summary, tuning_table


@dataclass
class WarmupSweep:
    """The warm-up's runs (the grid and the learning-rate tuning) and the tables read from them."""
    params: Params
    provenance: str
    tuning: SweepResult  # the learning-rate tuning runs
    grid: SweepResult  # every configuration x seed

    @property
    def recipe_cfg(self) -> TrainConfig:
        return self.grid.configs[0]  # every configuration shares the recipe

    @property
    def recipe(self) -> str:
        return recipe(self.recipe_cfg)

    @cached_property
    def tuning_runs(self) -> pd.DataFrame:
        return tuning_table(self.tuning.metrics, list(self.params.tuning["grid"]))

    @cached_property
    def results(self) -> pd.DataFrame:
        return final_results(self.grid.metrics, self.recipe_cfg.early_stop_patience)

    @property
    def train_minutes(self) -> float:
        return (self.grid.summaries["wall_s"].sum() + self.tuning.summaries["wall_s"].sum()) / 60

    @property
    def band_name(self) -> str:
        band = self.params.band_config
        return f"{band['n_layer']}-layer, a {band['op']} b (mod {band['modulus']})"

    @cached_property
    def band_runs(self) -> pd.DataFrame:
        return rows_matching(self.grid.metrics, self.params.band_config)

    @cached_property
    def band_summary(self) -> dict[str, Any]:
        return seed_summary(self.band_runs, self.params.seeds)


def open_warmup(P: Params) -> WarmupSweep:
    """Show the header line, then train (or reuse) the tuning runs and the grid."""
    configs, tune_configs = warmup_configs(P, P.out_dir)
    prov = provenance(P.profile)
    show(f"**Produced by:** {prov}. **Recipe:** {recipe(configs[0])}. {len(configs)} runs "
         f"({len(configs) // len(P.seeds)} configurations × seeds {P.seeds}) and {len(tune_configs)} tuning runs.")
    tuning = run_sweep(tune_configs, workers=P.workers, keys=list(P.tuning["grid"]))
    grid = run_sweep(configs, workers=P.workers, keys=["n_layer", "op", "modulus"])
    return WarmupSweep(params=P, provenance=prov, tuning=tuning, grid=grid)


def show_warmup_reuse(W: WarmupSweep) -> None:
    """How many runs were trained now and how many reused, and from where."""
    total = len(unique(W.grid.configs + W.tuning.configs))
    show(reuse_line(W.tuning.trained + W.grid.trained, total, f"`{rel(repo_root() / W.params.out_dir)}/warmup/`"))


def show_tuning_table(W: WarmupSweep) -> None:
    """Table 1: the tuning runs."""
    T, tcfg = W.tuning_runs, W.params.tuning["config"]
    show_table(T, f"**Table 1.** Tuning runs: {tcfg['n_layer']}-layer, a {tcfg['op']} b (mod {tcfg['modulus']}), "
                  f"seed {W.params.tuning.get('seed', 0)}, everything else as the recipe; *steps* is where the run "
                  f"stopped (early stop: validation ≥ 99% for 3 evaluations, or the budget). {W.provenance}.",
               {col: "{:.4f}" for col in T.columns if "acc" in col} | {col: "{:.0f}" for col in T.columns if "step" in col})


def show_tuning_choice(W: WarmupSweep) -> None:
    """Which learning rate the tuning chose, and whether the warm-up uses it."""
    show(tuning_paragraph(W.tuning_runs, W.recipe_cfg))


def show_config_table(W: WarmupSweep) -> None:
    """Table 2: each configuration over its seeds."""
    per_config = config_summary(W.results)
    show_table(per_config, f"**Table 2.** Each configuration over seeds {W.params.seeds}: how many reached test "
                           f"accuracy ≥ 0.99, final test and train accuracy, steps trained (early stop or budget "
                           f"{W.recipe_cfg.max_steps:,}). {W.provenance}.",
               {col: "{:.4f}" for col in per_config.columns if "acc" in col} | {"steps mean": "{:.0f}",
                                                                                 "steps std": "{:.0f}"})


def show_warmup_outcome(W: WarmupSweep) -> None:
    """Which runs generalised, why the others did not, and the training time."""
    show(warmup_outcome(W.results, W.recipe_cfg.max_steps, W.train_minutes, W.params.workers))


def show_results_table(W: WarmupSweep) -> None:
    """Table 3: every run's final and best metrics."""
    results = W.results
    show_table(results, f"**Table 3.** Final and best metrics of every warm-up run ({len(results)} runs). *Final* is "
                        f"the last evaluation (early stop or budget), *best* the best seen at any evaluation. "
                        f"{W.provenance}.",
               {col: "{:.4f}" for col in results.columns if "acc" in col or "loss" in col})


def warmup_figure(W: WarmupSweep) -> plt.Figure:
    """Figure 1: training and test curves of every configuration, first seed."""
    P = W.params
    m = W.grid.metrics
    return warmup_grid(m[m["seed"] == P.seeds[0]], P.layers, P.ops, P.moduli,
                       f"Figure 1. Training (solid) and test (dashed) curves of every warm-up configuration, seed "
                       f"{P.seeds[0]}. {W.recipe}. {W.provenance}.")


def band_figure(W: WarmupSweep) -> plt.Figure:
    """Figure 2: mean ± std over the seeds of one configuration."""
    seeds = W.params.seeds
    return seed_bands(W.band_runs, f"{W.band_name}: mean ± std over seeds {seeds}",
                      f"Figure 2. Mean (line) ± standard deviation (band) over {len(seeds)} seeds (for the loss: of "
                      f"its logarithm, i.e. geometric mean ×/÷ geometric std). After a seed stops early the statistics "
                      f"are over the seeds still running. {W.recipe}. {W.provenance}.")


def show_band(W: WarmupSweep) -> None:
    """When each seed of that configuration generalised and stopped."""
    c0 = W.recipe_cfg
    show(band_sentence(W.band_name, W.params.seeds, W.band_summary, c0.eval_every, c0.eval_log_points))


def show_addition_demo(W: WarmupSweep) -> None:
    """The first seed of that configuration, published, answering test equations (in process and by command)."""
    P = W.params
    cfg = find(W.grid.configs, seed=P.seeds[0], **P.band_config)
    show_checkpoint_demo(cfg, P.checkpoint_name, P.record_dir, "test", 0, ["prompt", "true c", "model says", "correct"])


def save_warmup_facts(W: WarmupSweep) -> None:
    """The numbers the synthesis (09) quotes."""
    P, c0, results, S = W.params, W.recipe_cfg, W.results, W.band_summary
    paper = W.tuning_runs[changes_from_paper(W.tuning_runs) == 0]
    tcfg = P.tuning["config"]
    facts.save(facts.WarmupFacts(
        runs=len(results), generalised=int((results["test acc"] >= 0.99).sum()), budget=c0.max_steps,
        recipe=W.recipe, unsolved=[run_label(r) for _, r in results[results["test acc"] < 0.99].iterrows()],
        band=W.band_name, band_test_acc=S["test_acc_mean"], band_steps=S["stop_mean"],
        band_first_steps=S["first_mean"], train_minutes=W.train_minutes,
        tuning=f"{tcfg['n_layer']}-layer a {tcfg['op']} b mod {tcfg['modulus']}",
        paper_lr_train_acc=float(paper["final train acc"].iloc[0]) if len(paper) else None), P.profile, P.record_dir)

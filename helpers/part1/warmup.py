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
from ..report.display import show, show_paragraphs, show_table
from ..report.profiles import Params
from .demos import CheckpointDemo, checkpoint_demo, show_demo_answer, show_demo_table
from .plans import warmup_configs
from .plots import restart_curves, warmup_grid
from .prose import and_join, recipe, restarts_answer, reuse_line, run_label, tuning_paragraph, warmup_answer
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
        depths = [f"{n}-" for n in self.params.layers]
        return recipe(self.recipe_cfg, and_join(depths[:-1] + [depths[-1] + "layer"]))

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

    @cached_property
    def per_config(self) -> pd.DataFrame:
        return config_summary(self.results)

    @cached_property
    def demo(self) -> CheckpointDemo:
        """The first seed of the restarts' configuration, published, answering test equations."""
        P = self.params
        return checkpoint_demo(find(self.grid.configs, seed=P.seeds[0], **P.band_config), P.checkpoint_name,
                               P.record_dir, "test", 0)


def open_warmup(P: Params) -> WarmupSweep:
    """Show the header line, then train (or reuse) the tuning runs and the grid."""
    configs, tune_configs = warmup_configs(P, P.out_dir)
    prov = provenance(P.profile)
    show(f"**Produced by:** {prov}. **Recipe:** {recipe(configs[0], 'each')}. {len(configs)} runs "
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
    shown = T.rename(columns={"lr": "learning rate", "grad_clip": "gradient clipping",
                              "first step val ≥ 0.99": "first step val acc ≥ 99%"})
    show_table(shown, f"**Table 1.** Tuning runs: {tcfg['n_layer']}-layer, a {tcfg['op']} b (mod {tcfg['modulus']}), "
                      f"seed {W.params.tuning.get('seed', 0)}, everything else as in the recipe. Gradient clipping: the "
                      f"global norm it clips to (0: none). *steps*: where the run stopped (validation accuracy ≥ 99% at "
                      f"3 evaluations in a row, or the budget).",
               {c: "{:.1%}" for c in shown.columns if "acc" in c and "step" not in c}
               | {"learning rate": "{:g}", "gradient clipping": "{:g}", "first step val acc ≥ 99%": "{:,.0f}",
                  "steps": "{:,.0f}"})


def show_tuning_choice(W: WarmupSweep) -> None:
    """Which learning rate the tuning chose, and whether the warm-up uses it."""
    t = W.params.tuning["config"]
    show_paragraphs(tuning_paragraph(W.tuning_runs, W.recipe_cfg, len(W.per_config),
                                     f"{t['n_layer']}-layer model on a {t['op']} b mod {t['modulus']}"))


def show_config_table(W: WarmupSweep) -> None:
    """Table 2: each configuration over its seeds, mean ± std."""
    C = W.per_config

    def pm(name: str, fmt: str, scale: float = 1.0) -> list[str]:
        return [f"{fmt.format(m * scale)} ± {fmt.format(s * scale)}"
                for m, s in zip(C[f"{name} mean"], C[f"{name} std"].fillna(0))]

    shown = pd.DataFrame({"task": C.task, "p": C.modulus, "layers": C.n_layer,
                          "runs at ≥ 99% test acc": [f"{n} of {k}" for n, k in zip(C["test acc ≥ 0.99"], C.seeds)],
                          "train acc (%)": pm("train acc", "{:.2f}", 100), "test acc (%)": pm("test acc", "{:.2f}", 100),
                          "train loss": pm("train loss", "{:.3f}"), "test loss": pm("test loss", "{:.3f}"),
                          "steps": pm("steps", "{:,.0f}")})
    show_table(shown, f"**Table 2.** Every configuration at its last evaluation, mean ± std over seeds "
                      f"{and_join(W.params.seeds)}: exact-match accuracy and loss (nats/token) on the answer, and the step "
                      f"where the run stopped (the early stop, or the budget of {W.recipe_cfg.max_steps:,}). "
                      f"{W.provenance}.", {})


def show_warmup_answer(W: WarmupSweep) -> None:
    """How the 1- and 2-layer models did on every task."""
    show_paragraphs(warmup_answer(W.results, W.per_config, W.recipe_cfg.max_steps, W.recipe_cfg.eval_every))


def show_warmup_time(W: WarmupSweep) -> None:
    """The training time (lab book)."""
    show(f"Training took {W.train_minutes:.1f} min in total, tuning included (the sum of the runs' own wall-clock "
         "times; runs train side by side, one per core).")


def show_results_table(W: WarmupSweep) -> None:
    """Table 3: every run's final and best metrics (lab book)."""
    results = W.results
    show_table(results, f"**Table 3.** Final and best metrics of every warm-up run ({len(results)} runs). *Final* is "
                        f"the last evaluation (early stop or budget), *best* the best seen at any evaluation. "
                        f"{W.provenance}.",
               {col: "{:.4f}" for col in results.columns if "acc" in col or "loss" in col}
               | {"first step test ≥ 0.99": "{:,.0f}", "step of lowest train acc": "{:,.0f}"})


def warmup_figure(W: WarmupSweep) -> plt.Figure:
    """Figure 1: training and test curves of every run, one line per seed."""
    P = W.params
    return warmup_grid(W.grid.metrics, P.layers, P.ops, P.moduli,
                       f"Figure 1. Training (solid) and test (dashed) exact-match accuracy and loss on the answer of "
                       f"every warm-up run: one line per seed ({and_join(W.params.seeds)}), each ending where its run "
                       f"stopped early. {W.recipe}. {W.provenance}.")


def band_figure(W: WarmupSweep) -> plt.Figure:
    """Figure 2: every seed of one configuration."""
    return restart_curves(W.band_runs, W.band_name,
                          f"Figure 2. Training (solid) and test (dashed) curves of the {len(W.params.seeds)} random "
                          f"restarts of {W.band_name}, one colour per seed. {recipe(W.recipe_cfg)}. {W.provenance}.")


def show_band(W: WarmupSweep) -> None:
    """How much the restarts of that configuration differ."""
    show_paragraphs(restarts_answer(W.band_name, W.params.seeds, W.band_summary, W.recipe_cfg.eval_every))


def show_addition_demo(W: WarmupSweep) -> None:
    """The published checkpoint answering test equations, and the command line."""
    show_demo_answer(W.demo)


def show_addition_table(W: WarmupSweep) -> None:
    """Its eight answers (lab book)."""
    show_demo_table(W.demo, ["prompt", "true c", "model says", "correct"])


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

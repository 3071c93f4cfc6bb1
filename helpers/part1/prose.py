"""Part 1's sentences over its results: the recipe line under each figure, and the paragraphs the notebooks print.

Every function here is pure (numbers and tables in, Markdown out), so each branch of a paragraph has a unit test
(tests/test_part1_prose.py); the section modules (sanity, warmup, grokking, ablation_report) only display them.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from ..gpt.config import TrainConfig
from ..report.display import span
from .tables import PAPER_RECIPE, changes_from_paper


def recipe(cfg: TrainConfig) -> str:
    """One sentence naming the training recipe of a config (optimiser, data, budget, early stop)."""
    optimiser = {"adamw": "AdamW", "adam": "Adam"}[cfg.optimizer]
    text = (f"{optimiser} (lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, β=({cfg.beta1:g}, {cfg.beta2:g}), "
            f"{cfg.warmup_steps} warm-up steps), batch {cfg.batch_size}, {cfg.n_layer}-layer d_model {cfg.d_model}, "
            f"{cfg.train_frac:.0%} of the equations for training, budget {cfg.max_steps:,} steps")
    if cfg.early_stop_on == "val_acc" and cfg.early_stop_hold:
        text += (f", stopped {cfg.early_stop_horizon:,} steps after validation accuracy first held ≥ "
                 f"{cfg.early_stop_threshold:g} for {cfg.early_stop_hold} steps (t_val)")
    elif cfg.early_stop_on == "val_acc":
        text += (f", stopped after {cfg.early_stop_patience} consecutive evaluations with val acc ≥ "
                 f"{cfg.early_stop_threshold:g}")
    return text


def reuse_line(trained: int, total: int, where: str = "disk") -> str:
    """How many runs of a sweep were trained now and how many were found finished."""
    return f"{trained} run(s) trained now, {total - trained} reused from {where}."


# ------------------------------------------------------------------------------------------- 0 sanity

def memorised_run(run_dir: str, reused: bool, n_params: int, vocab_size: int, seq_len: int,
                  summary: dict[str, Any]) -> str:
    """Sanity run (a): its folder, size, vocabulary and sequence, and where and why it stopped."""
    return (f"Run `{run_dir}` ({'reused from disk' if reused else 'trained now'}): "
            f"{n_params:,} parameters, vocabulary of {vocab_size} tokens "
            f"({vocab_size - 3} characters + PAD/BOS/EOS), sequence of {seq_len} "
            f"tokens. Stopped after **{summary['steps']} steps** ({summary['stop_reason'].replace('_', ' ')}) "
            f"with train loss **{summary['train_loss']:.2e}** in {summary['wall_s']:.1f} s.")


def masking_paragraph(summary: dict[str, Any], prefix: str, suffix: str, suffix_ok: bool, first: pd.Series,
                      from_bos: str) -> str:
    """What masking the loss on the first tokens did (run (b)); `first` is the first row of its next-token table,
    with run (a)'s probability of the same target in "p(target) in run (a)"."""
    return (f"**What changed.** Run (b) stopped after {summary['steps']} steps with loss "
            f"{summary['train_loss']:.2e} on the tokens it is trained on. Given the prefix {prefix!r} it "
            f"{'completes the suffix exactly' if suffix_ok else 'does **not** complete the suffix exactly'}: "
            f"{suffix!r}. The masked positions are another matter: after BOS run (a) gives the true first "
            f"character `I` probability {first['p(target) in run (a)']:.3f}, run (b) only "
            f"{first['p(target)']:.3f} (its top choice is {first['predicted']!r}). Nothing in the loss "
            f"ever rewarded predicting `I` or the space, so from BOS alone the model writes {from_bos!r} — the "
            "untrained first prediction, after which it falls into the continuation it memorised. Loss masking "
            "therefore does exactly what it says: the masked tokens become a prompt the model conditions on, not "
            "text it learns to produce. The same mechanism, with the mask on everything up to `=`, is how Part 1 "
            "trains only on the answer of `a ∘ b = c`.")


# ------------------------------------------------------------------------------------------- 1.2 warm-up

def run_label(run: Any) -> str:
    """'a-b mod 97, 2 layer(s), seed 1' for a row of the warm-up results."""
    return f"{run.task} mod {run.modulus}, {run.n_layer} layer(s), seed {run.seed}"


def tuning_paragraph(tuning: pd.DataFrame, used: TrainConfig) -> str:
    """What the paper's recipe does on the tuning configuration, which single change holds validation accuracy
    >= 99% soonest, and whether the warm-up's recipe (`used`) is that choice."""
    T, changes = tuning, changes_from_paper(tuning)
    held = T[(changes == 1) & (T["final val acc"] >= 0.99)].sort_values("steps")
    paper = T[changes == 0]
    paper_text = ""
    if len(paper):
        pr = paper.iloc[0]
        paper_text = (f"With the paper's learning rate 10⁻³ the model ends with training accuracy "
                      f"{pr['final train acc']:.1%} and validation accuracy {pr['final val acc']:.1%} after "
                      f"{int(pr['steps']):,} steps"
                      + (": it does not even fit its training set, an optimisation failure rather than a property "
                         "of the task. " if pr["final train acc"] < 0.99 else ". "))
    chosen_text = "No single change reached 99% validation accuracy within the budget. "
    if len(held):
        best = held.iloc[0]
        others = "; ".join(f"lr {r.lr:g}" + (f", clipping {r.grad_clip:g}" if "grad_clip" in T else "")
                           + f": {int(r.steps):,} steps" + (f" ({changes[r.Index]} changes)" if changes[r.Index] > 1
                                                            else "")
                           for r in T[changes > 0].itertuples() if r.Index != best.name)
        chosen_text = (f"The single change that holds validation accuracy ≥ 99% soonest is lr {best.lr:g}"
                       + (f" with clipping {best.grad_clip:g}" if "grad_clip" in T and best.grad_clip else "")
                       + f" ({int(best.steps):,} steps; the others: {others}). ")
    same = len(held) and all(getattr(used, k) == held.iloc[0][k] for k in PAPER_RECIPE if k in T)
    return (paper_text + chosen_text
            + (f"The warm-up uses it (lr {used.lr:g}, clipping {used.grad_clip:g}) for all eight configurations."
               if same else f"The warm-up uses lr {used.lr:g}, clipping {used.grad_clip:g}, which is not the "
                            "tuning's choice: check `params/`."))


def warmup_outcome(results: pd.DataFrame, budget: int, train_minutes: float, workers: int) -> str:
    """How many warm-up runs generalised, why each of the others did not, and the training time."""
    solved, unsolved = results[results["test acc"] >= 0.99], results[results["test acc"] < 0.99]
    return (f"{len(solved)} of {len(results)} runs reached test accuracy ≥ 0.99 within {budget:,} steps"
            + (": every configuration generalises with every seed." if not len(unsolved) else
               "; not within the budget: " + "; ".join(
                   f"{run_label(r)} (train {r['train acc']:.2f}, test {r['test acc']:.2f}: "
                   + ("fits its training set but does not generalise yet)" if r["train acc"] >= 0.99
                      else "does not fit its training set: an optimisation failure)")
                   for _, r in unsolved.iterrows()) + ".")
            + f" Training took {train_minutes:.1f} min in total, tuning included (sum over runs of their "
              f"wall-clock, {workers} run(s) at a time).")


def band_sentence(name: str, seeds: list[int], S: dict[str, Any], eval_every: int, eval_log_points: int) -> str:
    """When each seed of one configuration first reached test accuracy 0.99 and when it stopped
    (S: helpers.part1.tables.seed_summary)."""
    return (f"Across seeds {seeds}, {name} first reached test accuracy ≥ 0.99 at step "
            f"{', '.join('never' if math.isnan(s) else f'{s:.0f}' for s in S['first'])} (mean {S['first_mean']:.0f} ± "
            f"{S['first_std']:.0f}); it stopped at step {', '.join(f'{s:.0f}' for s in S['stop'])} "
            f"({S['stop_mean']:.0f} ± {S['stop_std']:.0f}; evaluations every {eval_every} steps plus "
            f"{eval_log_points} log-spaced ones) with test accuracy {S['test_acc_mean']:.4f} ± "
            f"{S['test_acc_std']:.4f} (train accuracy {S['train_acc_mean']:.4f}).")


# ------------------------------------------------------------------------------------------- 1.3 grokking

def seeds_list(rows: pd.DataFrame, text: Callable[[Any], str]) -> str:
    """'seed 0: …; seed 2: …' for the rows given."""
    return "; ".join(f"seed {r.seed}: {text(r)}" for r in rows.itertuples())


def seed_names(seeds: Iterable[Any]) -> str:
    """'seed 0', 'seeds 0 and 2', 'seeds 0, 1 and 2'."""
    seeds = [str(s) for s in seeds]
    return ("seed " if len(seeds) == 1 else "seeds ") + (seeds[0] if len(seeds) == 1 else
                                                        ", ".join(seeds[:-1]) + " and " + seeds[-1])


def fitting_sentence(table: pd.DataFrame, threshold: float, hold: float) -> str:
    """Where training accuracy first crossed the threshold before holding it, and its dips until t_val."""
    late_fit = table[table.t_train_first < table.t_train]
    dipped = table[table.train_dips > 0]
    fitting = (f"Training accuracy first crosses {threshold:.0%} before it holds for {hold} steps in "
               + seeds_list(late_fit, lambda r: f"step {r.t_train_first:.0f}, held from {r.t_train:.0f}")
               if len(late_fit) else f"In every seed training accuracy holds from its first crossing of {threshold:.0%}")
    return fitting + ("; between t_train and t_val it falls below the threshold in "
                      + seeds_list(dipped, lambda r: f"{r.train_dips} evaluation(s), lowest {r.train_acc_min_after:.1%}")
                      + (" (a fitted training set wobbling, not a return to an unfitted model)"
                         if (dipped.train_acc_min_after >= 0.9).all() else "")
                      + " and never in the other seeds. " if len(dipped) else
                      "; between t_train and t_val it never falls below the threshold. ")


def norm_sentence(flat: pd.DataFrame, after: pd.DataFrame, threshold: float) -> str:
    """The parameter norm on the plateau and after t_val (flat: tables.plateau, after: tables.after_grokking), and
    which picture of grokking its order fits."""
    rise = flat.norm_peak - flat.norm_at_t_train
    fall_to_t_val, fall_after = flat.norm_peak - flat.norm_at_t_val, flat.norm_at_t_val - flat.norm_end
    peaks_at_t_val = bool((fall_to_t_val < 0.25 * rise).all())  # within a quarter of the rise below the peak
    return ("The parameter norm (" + seeds_list(flat, lambda r: f"{r.norm_at_t_train:.1f} at t_train, peak "
                                                f"{r.norm_peak:.1f}, {r.norm_at_t_val:.1f} at t_val, {r.norm_end:.1f} "
                                                "at the end")
            + f") rises by {rise.min():.1f}–{rise.max():.1f} on the plateau, "
            + (f"is still within {fall_to_t_val.max():.1f} of its peak when validation accuracy reaches "
               f"{threshold:.0%}, and falls by {fall_after.min():.1f}–{fall_after.max():.1f} in the "
               f"{after.steps_after.min():,.0f} steps after t_val: the norm is near its largest when the model "
               "generalises and shrinks only afterwards — not the order of Omnigrok's picture (Liu et al. 2022), "
               "where weight decay first brings the norm down to where a general solution lies. "
               if peaks_at_t_val else
               f"and is {fall_to_t_val.min():.1f}–{fall_to_t_val.max():.1f} below its peak at t_val: the norm falls as "
               "the model generalises — the weight-norm picture of Omnigrok (Liu et al. 2022), in which weight decay "
               "walks the model from a large-norm memorising solution to a small-norm general one. "))


def after_grokking_sentence(after: pd.DataFrame) -> str:
    """What validation accuracy does past t_val: steady, or collapsing with training and recovering ("" if no
    seed has evaluations past t_val)."""
    collapsed, steady = after[after.collapses > 0], after[after.collapses == 0]
    return "" if after.empty else (
        f"**After grokking.** Every curve continues {after.steps_after.min():,.0f} steps past t_val"
        + (" (to the budget in some)" if after.steps_after.nunique() > 1 else "") + ". "
        + (f"Validation accuracy stays ≥ {steady.val_min.min():.0%} throughout in {seed_names(steady.seed)}. "
           if len(steady) else "")
        + ("In " + seeds_list(collapsed, lambda r: f"validation accuracy collapses {r.collapses} time(s) by more than 30 "
                                           f"points (lowest {r.val_min:.0%} at step {r.step_of_val_min:,.0f}, with "
                                           f"training accuracy {r.train_at_val_min:.0%} at the same evaluation) and "
                                           f"recovers to {r.final_val_acc:.1%} by the end")
           + ": training and validation fall together, a loss spike of the whole model (the slingshot pattern of "
             "Thilak et al. 2022), not a return to memorisation. " if len(collapsed) else ""))


def grokking_reading(table: pd.DataFrame, grokked_seeds: pd.DataFrame, flat: pd.DataFrame, after: pd.DataFrame,
                     threshold: float, hold: float, cfg: TrainConfig) -> str:
    """The paragraph under the grokking figure: t_train and t_val per seed, the fitting, the validation loss on
    the plateau, the norm, what follows t_val, and the delay against the paper's (table: milestones with a
    "t_val / t_train" column; grokked_seeds: tables.grokked; cfg: the recipe)."""
    done = table[~table.censored]
    if not len(done):
        return (f"**No seed reached {threshold:.0%} validation accuracy within {cfg.max_steps} steps** "
                "(expected under the smoke profile's tiny budget).")
    return (f"**Reading the figure.** In {len(grokked_seeds)} of {len(table)} seeds the model fits its training set "
            f"first (t_train = {', '.join(f'{t:.0f}' for t in table.t_train)} steps) while validation accuracy is "
            f"still {', '.join(f'{v:.1%}' for v in table.val_acc_at_t_train)} (chance is 1/{cfg.modulus} ≈ "
            f"{1 / cfg.modulus:.1%}"
            + ("".join(f"; in seed {r.seed} it is already climbing at t_train" for r in table.itertuples()
                       if r.val_acc_at_t_train >= 0.1))
            + f") and reaches {threshold:.0%} only at t_val = "
            f"{', '.join(f'{t:.0f}' for t in done.t_val)} steps, {done['t_val / t_train'].min():.1f}–"
            f"{done['t_val / t_train'].max():.1f}× later (Δt = {done.delta_t.min():,.0f}–{done.delta_t.max():,.0f} "
            f"steps). {fitting_sentence(table, threshold, hold)}While the model memorises, the validation loss climbs "
            f"from its early minimum ({flat.val_loss_min_before.mean():.2f} nats on average over seeds) to "
            f"{flat.val_loss_max_plateau.mean():.2f} during the plateau, as the training loss falls. "
            f"{norm_sentence(flat, after, threshold)}{after_grokking_sentence(after)}"
            f"With weight decay {cfg.weight_decay:g} the delay is {span(done.delta_t.tolist())} steps, not the paper's "
            "~10⁵–10⁶: Figure 1 of Power et al. used Adam without weight decay, which the paper itself reports as much "
            "slower to generalise (§3.3).")


# ------------------------------------------------------------------------------------------- 1.4 ablations

def baseline_recipe(baseline: TrainConfig) -> str:
    """The recipe line of 1.4: the task, then the baseline recipe every study varies one field of."""
    return f"a / b (mod {baseline.modulus}), " + recipe(baseline) + " (baseline values)"


def ablation_header(provenance: str, seeds: list[int], recipe_line: str, runs: int, shared: int) -> str:
    """The line under 1.4's parameters: what produced it, the baseline recipe, and the runs shared with 1.3."""
    return (f"**Produced by:** {provenance}, seeds {seeds}.  \n**Recipe:** {recipe_line}.  \n"
            f"{runs} distinct runs (the baseline value is shared by both studies); "
            + (f"{shared} of them are section 1.3's runs (same config)." if shared else
               "under this profile the baseline differs from 1.3's runs, so none is shared."))

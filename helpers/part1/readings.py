"""Part 1's paragraphs over its results, sections 1.3-1.4: whether the model grokked and what its curves do, and how
each ablation moved the grokking delay Δt = t_val − t_train (sections 0-1.2: helpers.part1.prose).

Every function is pure (tables in, Markdown out) and every qualitative statement is a claim (helpers.report.claims),
written for the results the quick profile has and guarded by the condition that makes it true. Unit tests:
tests/test_part1_readings.py.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..gpt.config import TrainConfig
from ..report.claims import claim
from ..report.display import span
from .prose import and_join, first_row


def seed_names(seeds: Iterable[Any]) -> str:
    """'seed 0', 'seeds 0 and 2', 'seeds 0, 1 and 2'."""
    seeds = [str(s) for s in seeds]
    return ("seed " if len(seeds) == 1 else "seeds ") + and_join(seeds)


def signed(value: float) -> str:
    """'+1,012' or '−2,533' (a true minus sign)."""
    return f"{value:+,.0f}".replace("-", "−")


def steps(values: Iterable[float]) -> str:
    """'600, 1,200 and 800'."""
    return and_join(f"{v:,.0f}" for v in values)


# ------------------------------------------------------------------------------------------- 1.3 grokking

def grokking_answers(table: pd.DataFrame, grokked_seeds: pd.DataFrame, flat: pd.DataFrame, after: pd.DataFrame,
                     threshold: float, cfg: TrainConfig) -> str:
    """The paragraphs under the grokking figure: did it grok, what happens on the plateau, what follows t_val, and
    why the delay is short (table: milestones with "t_val / t_train"; grokked_seeds: tables.grokked; flat:
    tables.plateau; after: tables.after_grokking; cfg: the recipe)."""
    done, chance = table[~table.censored], 1 / cfg.modulus
    text = ("**Did it grok?** "
            + claim(f"Yes, in all {len(table)} seeds: each fits its training set first, at t_train = "
                    f"{steps(table.t_train)} steps, and reaches {threshold:.0%} validation accuracy only at t_val = "
                    f"{steps(table.t_val)} steps, {done['t_val / t_train'].min():.1f}–{done['t_val / t_train'].max():.1f} "
                    f"times later (Δt = {span(done.delta_t.tolist())} steps; Figure 1).",
                    len(table) > 0 and len(grokked_seeds) == len(table),
                    f"{len(grokked_seeds)} of {len(table)} seeds grokked")
            + " "
            + claim(f"At t_train validation accuracy is still near chance: "
                    f"{and_join(f'{v:.1%}' for v in table.val_acc_at_t_train)}, against 1/{cfg.modulus} ≈ {chance:.1%}.",
                    len(table) > 0 and table.val_acc_at_t_train.max() < 3 * chance,
                    f"highest {table.val_acc_at_t_train.max():.1%}, chance {chance:.1%}"))
    if done.empty:  # nothing generalised (the smoke profile's few steps): no plateau or aftermath to describe
        return text
    rise = flat.norm_peak - flat.norm_at_t_train
    below_peak, fall_after = flat.norm_peak - flat.norm_at_t_val, flat.norm_at_t_val - flat.norm_end
    worst = first_row(after.sort_values("val_min"))
    others = after[after.seed != worst.seed]
    return (
        text + "\n\n**What happens between t_train and t_val?** "
        + claim(f"The model memorises: while the training loss falls, the validation loss climbs from its early minimum "
                f"({flat.val_loss_min_before.mean():.2f} nats, mean over seeds) to {flat.val_loss_max_plateau.mean():.2f} "
                f"on the plateau, and the parameter norm grows by {rise.min():.1f}–{rise.max():.1f}.",
                bool((flat.val_loss_max_plateau > flat.val_loss_min_before).all()) and rise.min() > 0,
                f"validation loss {flat.val_loss_min_before.mean():.2f} → {flat.val_loss_max_plateau.mean():.2f}, "
                f"norm rise {rise.min():.1f}–{rise.max():.1f}")
        + " "
        + claim(f"Once fitted, the training set stays fitted: between t_train and t_val the lowest training accuracy "
                f"of any seed is {done.train_acc_min_after.min():.1%}.", done.train_acc_min_after.min() >= 0.95,
                f"lowest {done.train_acc_min_after.min():.1%}")
        + " "
        + claim(f"Generalisation comes at the largest norm, not after weight decay has shrunk it: the norm is within "
                f"{below_peak.max():.1f} of its peak when validation accuracy reaches {threshold:.0%}, and falls by "
                f"{fall_after.min():.1f}–{fall_after.max():.1f} only in the {after.steps_after.min():,.0f} steps after "
                "t_val. That is not the order of Omnigrok's account (Liu et al. 2022), in which weight decay first "
                "brings the norm down to where a general solution lies.",
                bool((below_peak < 0.25 * rise).all()) and fall_after.min() > 0,
                f"below the peak at t_val: {below_peak.max():.1f} (rise {rise.min():.1f}); fall after "
                f"{fall_after.min():.1f}")
        + "\n\n**After grokking.** "
        + claim(f"Validation accuracy stays ≥ {others.val_min.min():.0%} for the {after.steps_after.min():,.0f} steps "
                f"after t_val in {seed_names(others.seed)}.", len(others) > 0 and others.val_min.min() >= 0.95,
                f"lowest {others.val_min.min():.1%}")
        + " "
        + claim(f"Seed {worst.seed:.0f} has one loss spike: at step {worst.step_of_val_min:,.0f} training and validation "
                f"accuracy fall together, to {worst.train_at_val_min:.0%} and {worst.val_min:.0%}, and recover to "
                f"{worst.final_val_acc:.1%} by the end — an instability of the whole model (the slingshot pattern of "
                "Thilak et al. 2022), not a return to memorisation.",
                worst.collapses == 1 and worst.train_at_val_min < 0.9 and worst.final_val_acc >= threshold,
                f"collapses {worst.collapses:.0f}, train accuracy at the low {worst.train_at_val_min:.0%}")
        + "\n\n**Why is the delay so much shorter than the paper's?** "
        + claim(f"The recipe: Δt here is {span(done.delta_t.tolist())} steps, far below the ~10⁵–10⁶ of the paper's "
                f"Figure 1, which used Adam without weight decay; with weight decay {cfg.weight_decay:g} (the paper's "
                "default recipe) generalisation comes orders of magnitude sooner, as the paper reports (§3.3).",
                cfg.weight_decay > 0 and done.delta_t.max() < 1e4, f"weight decay {cfg.weight_decay:g}, "
                                                                    f"Δt up to {done.delta_t.max():,.0f}"))


# ------------------------------------------------------------------------------------------- 1.4 ablations

def mean_std(row: pd.Series, name: str) -> str:
    """'4,812 ± 218' from a summary row's <name>_mean and <name>_std ('—' where there is no mean)."""
    mean, std = row.get(f"{name}_mean", np.nan), row.get(f"{name}_std", np.nan)
    if pd.isna(mean):
        return "—"
    return f"{mean:,.0f}" + ("" if pd.isna(std) else f" ± {std:,.0f}")


def _overlap(a: pd.Series, b: pd.Series) -> bool:
    lo = lambda r: r.delta_t_mean - np.nan_to_num(r.delta_t_std)  # noqa: E731
    hi = lambda r: r.delta_t_mean + np.nan_to_num(r.delta_t_std)  # noqa: E731
    return bool(lo(a) <= hi(b) and lo(b) <= hi(a))


def delay_shift(summary: pd.DataFrame, field: str, label: str, fmt: str = "{:g}") -> str:
    """Between the smallest and largest values with at least two generalised runs: Δt falls beyond the seed spread,
    and it falls through t_val (generalising sooner), not t_train (summary: milestones.summarise_milestones)."""
    ok = summary[summary.generalised >= 2]
    lo, hi = first_row(ok), first_row(ok.iloc[::-1])
    d_val, d_train = hi.t_val_mean - lo.t_val_mean, hi.t_train_mean - lo.t_train_mean
    v_lo, v_hi = fmt.format(lo[field]), fmt.format(hi[field])
    return (claim(f"Raising the {label} from {v_lo} to {v_hi} shortens the delay: the mean Δt goes from "
                  f"{mean_std(lo, 'delta_t')} to {mean_std(hi, 'delta_t')} steps over the runs that generalised, and "
                  "the mean ± std intervals at the two values do not overlap.",
                  len(ok) >= 2 and hi.delta_t_mean < lo.delta_t_mean and not _overlap(lo, hi),
                  f"Δt {mean_std(lo, 'delta_t')} at {v_lo}, {mean_std(hi, 'delta_t')} at {v_hi}")
            + " "
            + claim(f"The delay shrinks because the model generalises sooner, not because it fits sooner: t_val moves "
                    f"by {signed(d_val)} steps, t_train by {signed(d_train)}.", d_val < 0 <= d_train,
                    f"t_val {signed(d_val)}, t_train {signed(d_train)}"))


def weight_decay_answer(summary: pd.DataFrame, table: pd.DataFrame, tidy: pd.DataFrame, study: dict[str, Any],
                        budget: int) -> str:
    """Study A: Δt against weight decay, and the largest decay, at which no run fits its training set."""
    field, label = study["field"], study["label"]
    ok = summary[summary.generalised >= 2]
    top = first_row(summary.sort_values(field, ascending=False))
    top_train = tidy.loc[np.isclose(tidy[field], top[field]), "train_acc"].max()
    return ("**How does weight decay change the steps from train error vanishing to test error vanishing?** "
            + delay_shift(summary, field, "weight decay") + " "
            + claim("It falls at every step of the sweep: "
                    + and_join(f"{mean_std(r, 'delta_t')} at {r[field]:g}" for _, r in ok.iterrows()) + ".",
                    len(ok) >= 3 and bool((ok.delta_t_mean.diff().dropna() < 0).all()), "Δt not falling throughout")
            + "\n\n"
            + claim(f"At {top[field]:g}, though, none of the {top.runs:.0f} runs fits its training set within {budget:,} "
                    f"steps (training accuracy never above {top_train:.0%}), so Δt is undefined: decay this strong "
                    "keeps the model from memorising at all, let alone generalising.",
                    top.fitted == 0 and top.generalised == 0 and top_train < 0.99,
                    f"{top.fitted:.0f} of {top.runs:.0f} fitted at {label} {top[field]:g}"))


def train_fraction_answer(summary: pd.DataFrame, table: pd.DataFrame, study: dict[str, Any], budget: int,
                          hold: int) -> str:
    """Study B: Δt against the training fraction; the trend's bump, the smallest fraction (generalisation beyond the
    budget, one run censored at the end), runs whose Δt measures when training settled, and the largest fraction
    (an unstable run)."""
    field = study["field"]
    ok = summary[summary.generalised >= 2]
    lo, middle = first_row(ok), ok.iloc[1:-1]
    bottom_value, top_value = summary[field].min(), summary[field].max()
    bottom = first_row(summary[np.isclose(summary[field], bottom_value)])
    at_bottom = table[np.isclose(table[field], bottom_value)]
    late = first_row(at_bottom[at_bottom.final_val_acc >= 0.99])  # at the threshold when the budget ran out
    others = at_bottom[at_bottom.final_val_acc < 0.99]
    settled = table[table.val_acc_at_t_train >= 0.5]  # validation mostly right by the time training holds
    at_top = table[np.isclose(table[field], top_value)]
    shaky = first_row(at_top[at_top.outcome == "not generalised"])
    return ("**How does the training fraction change the steps from train error vanishing to test error vanishing?** "
            + delay_shift(summary, field, "training fraction", "{:.0%}") + " "
            + claim("The trend is not smooth: at " + and_join(f"{r[field]:.0%}" for _, r in middle.iterrows())
                    + " Δt is " + and_join(mean_std(r, "delta_t") for _, r in middle.iterrows())
                    + f" steps, above its value at {lo[field]:.0%}; with three seeds the spread at one value can exceed "
                      "the change between neighbouring values.",
                    len(middle) > 0 and bool((middle.delta_t_mean > lo.delta_t_mean).any()), "Δt monotone in between")
            + " "
            + claim(f"In {len(settled)} runs t_train marks when training settled, not the start of a grokking delay: "
                    + "; ".join(f"at {r[field]:.0%}, seed {r.seed:.0f} first fits at step {r.t_train_first:,.0f} but "
                                f"holds only from {r.t_train:,.0f}, when validation is already at "
                                f"{r.val_acc_at_t_train:.0%}" for _, r in settled.iterrows()) + ".",
                    len(settled) >= 2 and bool((settled.t_train > settled.t_train_first).all()),
                    f"{len(settled)} runs with validation >= 50% at t_train")
            + "\n\n"
            + claim(f"With {bottom_value:.0%} of the equations, no run generalises within the budget: all "
                    f"{bottom.runs:.0f} fit their training set by step {at_bottom.t_train.max():,.0f}, but none holds "
                    f"99% validation accuracy for {hold:,} steps.",
                    bottom.fitted == bottom.runs and bottom.generalised == 0,
                    f"{bottom.generalised:.0f} of {bottom.runs:.0f} generalised, {bottom.fitted:.0f} fitted")
            + " "
            + claim(f"Seed {late.seed:.0f} comes closest: its validation accuracy reaches 99% at step "
                    f"{late.t_val_final:,.0f} and stays there, but the run ends {late.last_step - late.t_val_final:,.0f} "
                    f"steps later, so its t_val is censored (later than {late.last_step:,.0f}), not observed; the other "
                    f"runs end at {and_join(f'{v:.0%}' for v in others.final_val_acc)} validation accuracy.",
                    late.outcome == "not generalised" and late.last_step - late.t_val_final < hold,
                    f"seed {late.seed}: {late.outcome}, at 99% from {late.t_val_final} to {late.last_step}")
            + " "
            + claim(f"More data does not make grokking reliable either: at {top_value:.0%} one run (seed {shaky.seed:.0f}) "
                    f"reaches {shaky.best_val_acc:.1%} validation accuracy at best, but loss spikes (validation accuracy "
                    f"falls by more than 30 points {shaky.val_collapses:.0f} times) keep it from holding 99%.",
                    shaky.val_collapses > 0 and shaky.best_val_acc >= 0.9,
                    f"collapses {shaky.val_collapses:.0f}, best validation {shaky.best_val_acc}"))


def ablation_answer(a: pd.DataFrame, b: pd.DataFrame, table_b: pd.DataFrame, study_a: dict[str, Any],
                    study_b: dict[str, Any]) -> str:
    """Section 1.4's question answered from both studies' summaries: what makes grokking faster and more reliable."""
    fa, fb = study_a["field"], study_b["field"]
    ok_a, ok_b = a[a.generalised >= 2], b[b.generalised >= 2]
    a_lo, a_hi, b_lo, b_hi = first_row(ok_a), first_row(ok_a.iloc[::-1]), first_row(ok_b), first_row(ok_b.iloc[::-1])
    strongest = first_row(a.sort_values(fa, ascending=False))
    missing = int((table_b.outcome != "generalised").sum())
    return ("**What makes grokking on division faster and more reliable?** "
            + claim(f"Within limits, both factors. Weight decay from {a_lo[fa]:g} to {a_hi[fa]:g} cuts the mean delay "
                    f"from {a_lo.delta_t_mean:,.0f} to {a_hi.delta_t_mean:,.0f} steps with all "
                    f"{int(ok_a.runs.sum())} runs generalising, but at {strongest[fa]:g} no run even fits its training "
                    f"set. A training fraction from {b_lo[fb]:.0%} to {b_hi[fb]:.0%} cuts it from "
                    f"{b_lo.delta_t_mean:,.0f} to {b_hi.delta_t_mean:,.0f} steps, but {missing} of the study's "
                    f"{len(table_b)} runs, at both ends of the range, have no Δt within the budget. Weight decay is "
                    f"the stronger and the more dependable lever: it cuts the delay by more "
                    f"({a_lo.delta_t_mean - a_hi.delta_t_mean:,.0f} against {b_lo.delta_t_mean - b_hi.delta_t_mean:,.0f} "
                    "steps), and every run in its useful range generalises.",
                    a_hi.delta_t_mean < a_lo.delta_t_mean and bool((ok_a.generalised == ok_a.runs).all())
                    and strongest.fitted == 0 and b_hi.delta_t_mean < b_lo.delta_t_mean
                    and {b[fb].min(), b[fb].max()} <= set(table_b.loc[table_b.outcome != "generalised", fb])
                    and a_lo.delta_t_mean - a_hi.delta_t_mean > b_lo.delta_t_mean - b_hi.delta_t_mean,
                    f"Δt cut {a_lo.delta_t_mean - a_hi.delta_t_mean:,.0f} (weight decay) against "
                    f"{b_lo.delta_t_mean - b_hi.delta_t_mean:,.0f} (training fraction); {missing} runs without Δt"))

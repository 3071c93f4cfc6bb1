"""Part 1's sentences over its results, sections 0-1.2: the recipe line under each figure and the paragraphs that
answer the assignment's questions (sections 1.3-1.4: helpers.part1.readings).

Every function here is pure (numbers and tables in, Markdown out). Each qualitative statement is a claim
(helpers.report.claims): it prints as written while its condition holds on the data and is marked as unsupported,
with the numbers that decide it, when it does not. Unit tests: tests/test_part1_prose.py.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..gpt.config import TrainConfig
from ..report.claims import claim
from .tables import PAPER_RECIPE, changes_from_paper


def recipe(cfg: TrainConfig, layers: str | None = None) -> str:
    """One sentence naming the training recipe of a config (optimiser, model, data, budget, early stop); `layers`
    replaces the config's own depth where one recipe covers several ("1- and 2-layer")."""
    optimiser = {"adamw": "AdamW", "adam": "Adam"}[cfg.optimizer]
    text = (f"{optimiser} (lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, β=({cfg.beta1:g}, {cfg.beta2:g}), "
            f"{cfg.warmup_steps} warm-up steps), batch {cfg.batch_size}, {layers or f'{cfg.n_layer}-layer'} "
            f"d_model {cfg.d_model}, {cfg.train_frac:.0%} of the equations for training, budget {cfg.max_steps:,} steps")
    if cfg.early_stop_on == "val_acc" and cfg.early_stop_hold:
        text += (f", run to {cfg.early_stop_horizon:,} steps past t_val (val acc held ≥ {cfg.early_stop_threshold:g} "
                 f"for {cfg.early_stop_hold} steps)")
    elif cfg.early_stop_on == "val_acc":
        text += f", early stop at {cfg.early_stop_patience} evaluations in a row with val acc ≥ {cfg.early_stop_threshold:g}"
    return text


def reuse_line(trained: int, total: int, where: str = "disk") -> str:
    """How many runs of a sweep were trained now and how many were found finished (a lab-book line)."""
    return f"Runs of this section: {total}; trained now: {trained}; reused from {where}: {total - trained}."


def and_join(items: Iterable[Any]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def first_row(table: pd.DataFrame) -> pd.Series:
    """The first row, or a row of NaN with the same columns when there is none: a sentence written for the results
    at hand still renders (its claim then says it is not supported) when a profile has no such row."""
    return table.iloc[0] if len(table) else pd.Series(math.nan, index=table.columns, dtype=object)


# ------------------------------------------------------------------------------------------- 0 sanity

def sanity_answers(text: str, threshold: float, full: dict[str, Any], masked: dict[str, Any], sampled: str,
                   cli_out: str, prefix: str, suffix: str, first: pd.Series, from_bos: str, skip_first: int) -> str:
    """The two answers of section 0.1: run (a) memorised the string and gives it back, run (b) (loss masked on the
    first `skip_first` tokens) completes the suffix; `first` is run (b)'s next-token row after BOS, with run (a)'s
    probability of the same target in "p(target) in run (a)"."""
    loss_ok, back = full["train_loss"] < threshold, sampled == text and cli_out == text
    p_b, p_a = first["p(target)"], first["p(target) in run (a)"]
    return (
        "**Does the model memorise the string and give it back?** "
        + claim(f"Yes. With the loss on every token, the training loss falls to {full['train_loss']:.2e}, below the "
                f"threshold of {threshold:g}, after {full['steps']} steps, and greedy decoding from BOS gives "
                f"{text!r} back exactly, both in this notebook and through the command-line tool "
                "(`python -m helpers.gpt.inference`), which rebuilds the model from its checkpoint alone.",
                loss_ok and back, f"final train loss {full['train_loss']:.2e}; sampled {sampled!r}, command line "
                                  f"{cli_out!r}")
        + f"\n\n**With the loss masked on the first {skip_first} tokens, does it still predict the correct suffix?** "
        + claim(f"Yes: given the prefix {prefix!r} it completes {suffix!r} exactly, after {masked['steps']} steps with "
                f"loss {masked['train_loss']:.2e} on the tokens it is trained on.", suffix == text[len(prefix):],
                f"completion {suffix!r}")
        + " "
        + claim(f"What it never learns is the masked part: after BOS it gives the true first character "
                f"{text[:1]!r} probability {p_b:.3f} (run (a): {p_a:.3f}), so from BOS alone it writes "
                f"{from_bos!r} (Figure 1, right). The masked tokens are a prompt the model conditions on, not text it "
                "produces; Part 1 trains only on the answer after `=` the same way.",
                p_b < 0.5 < p_a and from_bos != text, f"p(first character) {p_b:.3f} in (b), {p_a:.3f} in (a); "
                                                      f"from BOS {from_bos!r}"))


# ------------------------------------------------------------------------------------------- 1.1 data

def data_answer(counts: pd.DataFrame, division: pd.DataFrame, checks_ok: bool) -> str:
    """How many equations each split holds (counts: every task with the warm-up's split; division: a / b mod p with
    the grokking sections' split), and whether every result and split checked out."""
    def share(t: pd.DataFrame) -> str:
        return " / ".join(f"{t[s].sum() / t.equations.sum():.0%}" for s in ("train", "val", "test"))

    def numbers(row: pd.Series) -> str:
        return f"{row.train:,} / {row.val:,} / {row.test:,}"

    first, grok = first_row(counts), first_row(division)
    return (f"**How many datapoints are in each split?** Table 1 gives every task: {counts.equations.sum():,} "
            f"equations in all. For the warm-up each task is split {share(counts)} into train / validation / test "
            f"({numbers(first)} for {first.task} mod {first.p}); the grokking sections (1.3–1.4) split "
            f"{grok.task} mod {grok.p} {share(division)}, i.e. {numbers(grok)} equations. "
            + claim("Every stored result is correct (for division, c·b ≡ a (mod p) with b ≠ 0), and the three splits "
                    "of each task are disjoint and together cover it.", checks_ok, "a data check failed"))


# ------------------------------------------------------------------------------------------- 1.2 warm-up

def run_label(run: Any) -> str:
    """'a-b mod 97, 2-layer, seed 1' for a row of the warm-up results."""
    return f"{run.task} mod {run.modulus}, {run.n_layer}-layer, seed {run.seed}"


def _change(row: pd.Series) -> str:
    """What a tuning run changes in the paper's recipe, in words."""
    said = {"lr": f"learning rate {row.get('lr', math.nan):g}", "grad_clip": f"gradient clipping at norm "
                                                                             f"{row.get('grad_clip', math.nan):g}"}
    return " and ".join(said[k] for k, v in PAPER_RECIPE.items() if k in row and row[k] != v) or "nothing"


def tuning_paragraph(tuning: pd.DataFrame, used: TrainConfig, configurations: int, model: str) -> str:
    """What the paper's recipe does on the tuning configuration (`model`, e.g. "2-layer model on a − b mod 97"), which
    single change holds validation accuracy >= 99% soonest, and whether the warm-up's recipe (`used`) is that
    choice."""
    T, changes = tuning, changes_from_paper(tuning)
    single = T[(changes == 1) & (T["final val acc"] >= 0.99)].sort_values("steps")
    paper, best, other, both = first_row(T[changes == 0]), first_row(single), first_row(single.iloc[1:]), \
        first_row(T[changes == 2])
    same = len(single) > 0 and all(getattr(used, k) == best[k] for k in PAPER_RECIPE if k in T)
    return (
        "**Why not the paper's learning rate?** "
        + claim(f"With the paper's learning rate, 10⁻³, the {model} does not even fit its training set: after "
                f"{paper.steps:,.0f} steps its training accuracy is {paper['final train acc']:.1%} and its validation "
                f"accuracy {paper['final val acc']:.1%}, an optimisation failure rather than a property of the task.",
                paper["final train acc"] < 0.99, f"final train acc {paper['final train acc']:.1%}")
        + " "
        + claim(f"Tuned on the validation split of this configuration, {_change(best)} is the single change "
                f"to the paper's recipe that holds validation accuracy ≥ 99% soonest ({best.steps:,.0f} steps, against "
                f"{other.steps:,.0f} for {_change(other)}), and all {configurations} configurations use it.", same,
                f"chosen: {_change(best)}; used: lr {used.lr:g}, clipping {used.grad_clip:g}")
        + " "
        + claim(f"Changing both is faster still ({both.steps:,.0f} steps) but changes two things at once.",
                both.steps < best.steps and both["final val acc"] >= 0.99, f"both: {both.steps:,.0f} steps"))


def depth_gaps(summary: pd.DataFrame) -> pd.DataFrame:
    """Per task and modulus: the mean steps of the shallowest and deepest models, their difference, and the larger
    of their seed spreads (summary: helpers.part1.tables.config_summary)."""
    rows = []
    for (task, p), g in summary.groupby(["task", "modulus"], sort=True):
        g = g.sort_values("n_layer")
        lo, hi = g.iloc[0], g.iloc[-1]
        rows.append({"task": task, "modulus": p, "gap": hi["steps mean"] - lo["steps mean"],
                     "spread": max(lo["steps std"], hi["steps std"])})
    return pd.DataFrame(rows, columns=["task", "modulus", "gap", "spread"])


def warmup_answer(results: pd.DataFrame, summary: pd.DataFrame, budget: int, eval_every: int) -> str:
    """How the 1- and 2-layer models did (results: one row per run, tables.final_results; summary: per configuration,
    tables.config_summary): all generalise; depth within the seed spread; subtraction slower than addition for the
    shallow model; the slowest run explained."""
    solved = results["test acc"] >= 0.99
    gaps = depth_gaps(summary)
    shallow = summary[summary.n_layer == summary.n_layer.min()].set_index(["task", "modulus"])["steps mean"]
    pairs = [(p, shallow.get(("a-b", p), math.nan), shallow.get(("a+b", p), math.nan))
             for p in sorted(summary.modulus.unique())]
    slow = first_row(results.sort_values("steps", ascending=False))
    unstable = results[results["lowest train acc after fit"] < 0.9].sort_values("lowest train acc after fit")
    return (
        "**How do 1- and 2-layer models do on addition and subtraction, for p = 97 and 113?** "
        + claim(f"All {len(results)} runs generalise: each reaches ≥ 99% test accuracy within the {budget:,}-step "
                f"budget and stops early, with final training accuracy {results['train acc'].min():.0%} and final test "
                f"accuracy {results['test acc'].min():.2%}–{results['test acc'].max():.0%} (Table 2, Figure 1).",
                bool(solved.all()) and (results.stopped == "early stop").all(),
                f"{int(solved.sum())} of {len(results)} runs at ≥ 99% test accuracy")
        + " "
        + claim(f"The losses are still well above zero at the stop (test loss {results['test loss'].min():.3f}–"
                f"{results['test loss'].max():.3f} nats, training loss {results['train loss'].min():.3f}–"
                f"{results['train loss'].max():.3f}): the early stop ends a run once its answers are right, not once it "
                "has converged.", results["train loss"].min() > 1e-3, f"lowest final training loss "
                                                                     f"{results['train loss'].min():.2e}")
        + "\n\n"
        + claim("Depth makes no consistent difference: for every task and modulus the mean steps of the 1- and 2-layer "
                "models differ by less than the larger of their seed spreads.",
                summary.n_layer.nunique() > 1 and bool((gaps.gap.abs() <= gaps.spread).all()),
                "; ".join(f"{r.task} mod {r.modulus}: {r.gap:+,.0f} ± {r.spread:,.0f}" for r in gaps.itertuples()))
        + " "
        + claim("The 1-layer model takes longer on subtraction than on addition at both moduli ("
                + "; ".join(f"p = {p}: {s:,.0f} against {a:,.0f} steps" for p, s, a in pairs) + ").",
                len(pairs) > 1 and all(s > a for _, s, a in pairs), "mean steps, subtraction against addition")
        + " "
        + claim(f"The slowest run, {run_label(slow)}, first reaches 99% test accuracy at step "
                f"{slow['first step test ≥ 0.99']:,.0f} but loses it again in loss spikes (test accuracy down to "
                f"{slow['lowest test acc after']:.0%}) and holds it long enough to stop only at step {slow.steps:,.0f}.",
                slow["first step test ≥ 0.99"] + 3 * eval_every < slow.steps and slow["lowest test acc after"] < 0.9,
                f"first at {slow['first step test ≥ 0.99']}, lowest after {slow['lowest test acc after']}, "
                f"stop {slow.steps}")
        + " "
        + claim(f"Fitting the training set is not always for good: in {len(unstable)} of the {len(results)} runs "
                "training accuracy falls below 90% after first reaching 99% ("
                + "; ".join(f"{run_label(r)}: down to {r['lowest train acc after fit']:.0%} at step "
                            f"{r['step of lowest train acc']:,.0f}" for _, r in unstable.iterrows())
                + "), and each recovers before it stops (Figure 1 draws every seed).",
                len(unstable) > 0 and bool((results.loc[unstable.index, "train acc"] >= 0.99).all()),
                f"{len(unstable)} runs below 90% after fitting"))


def restarts_answer(name: str, seeds: list[int], S: dict[str, Any], eval_every: int) -> str:
    """How much the restarts of one configuration differ (S: helpers.part1.tables.seed_summary)."""
    reached = not any(math.isnan(s) for s in S["first"])
    return (f"**How much do {len(seeds)} random restarts of one configuration ({name}) differ?** "
            + claim(f"Little: test accuracy first reaches 99% at steps {and_join(f'{s:,.0f}' for s in S['first'])}, "
                    f"within {max(S['first']) - min(S['first']):,.0f} steps of each other ({eval_every} steps between "
                    f"evaluations), and all stop at step {min(S['stop']):,.0f}–{max(S['stop']):,.0f} with mean test "
                    f"accuracy {S['test_acc_mean']:.2%} (Figure 2).",
                    reached and max(S["first"]) - min(S["first"]) <= 2 * eval_every and S["test_acc_mean"] >= 0.99,
                    f"first steps {S['first']}, test accuracy {S['test_acc_mean']:.4f}"))


def demo_answer(demo: pd.DataFrame, split: str, ckpt: str, command: str, output: str) -> str:
    """A published checkpoint answering held-out equations, and the command that does the same from a fresh clone
    (demo: tables.held_out_demo, with "check: c·b mod p" for division)."""
    checked = ("check: c·b mod p" not in demo) or bool((demo["check: c·b mod p"] == demo.a).all())
    shown = ", ".join(f"{p}{c}" for p, c in zip(demo.prompt[:4], demo["model says"][:4]))
    return (f"**Inference.** The checkpoint is `{ckpt}` (weights, model config and tokenizer in one file). "
            + claim(f"On {len(demo)} equations of the {split} split, which it never saw in training, it answers all "
                    f"{len(demo)} correctly ({shown}, ...).", bool(demo.correct.all()) and checked,
                    f"{int(demo.correct.sum())} of {len(demo)} correct")
            + f" From a fresh clone, after `make setup`:\n\n```\n$ {command}\n{output}\n```")

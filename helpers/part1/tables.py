"""The tables and numbers sections 0-1.3 report, computed from trained models and stored metrics.

Each function returns a DataFrame or a small dict; the notebooks only phrase and plot them.
"""
from __future__ import annotations

import math

import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from ..gpt.data import equation_table
from ..gpt.inference import complete
from ..gpt.model import GPT
from ..gpt.tokenizer import Tokenizer
from .milestones import collapses


# ------------------------------------------------------------------------------------------- 0 sanity

@torch.no_grad()
def next_token_table(model: GPT, tok: Tokenizer, text: str, prefix_len: int) -> pd.DataFrame:
    """Per target of BOS+text+EOS: the context, the target, whether it is in the loss (target index >=
    prefix_len), the greedy prediction and the probability the model gives the target."""
    tokens = torch.tensor([tok.encode(text, bos=True, eos=True)])
    probs = model(tokens[:, :-1]).softmax(-1)[0]
    rows = []
    for j in range(tokens.shape[1] - 1):
        target = int(tokens[0, j + 1])
        rows.append({"context": tok.decode(tokens[0, : j + 1].tolist(), skip_special=False)[-12:],
                     "target": tok.itos[target], "in loss": j + 1 >= prefix_len,
                     "predicted": tok.itos[int(probs[j].argmax())], "p(target)": float(probs[j, target])})
    return pd.DataFrame(rows)


def require(checks: pd.DataFrame, what: str) -> None:
    """Raise naming every failed row of a check table (columns: check, value, pass)."""
    failed = checks[~checks["pass"].astype(bool)]
    if len(failed):
        raise AssertionError(f"{what} failed:\n" + failed.to_string())


# ------------------------------------------------------------------------------------------- 1.1 data

def verify_tasks(ops: list[str], moduli: list[int], train_frac: float, val_frac: float, split_seed: int) -> pd.DataFrame:
    """Per task: every c is the true result (for division: c·b ≡ a and b ≠ 0), and the splits partition it."""
    rows = []
    for op in ops:
        for p in moduli:
            t = equation_table(op, p, train_frac, val_frac, split_seed)
            if op == "+":
                ok = ((t.a + t.b - t.c) % p == 0).all()
            elif op == "-":
                ok = ((t.a - t.b - t.c) % p == 0).all()
            else:
                ok = ((t.c * t.b - t.a) % p == 0).all() and (t.b != 0).all()
            rows.append({"task": f"a{op}b", "p": p, "every c correct": bool(ok),
                         "splits disjoint and complete": bool(t.text.is_unique and set(t.split) == {"train", "val", "test"})})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------- 1.2 warm-up

def final_results(metrics: pd.DataFrame, patience: int, keys: tuple[str, ...] = ("n_layer", "op", "modulus", "seed")
                  ) -> pd.DataFrame:
    """One row per run: its last evaluation (final), the best test accuracy/loss seen, why it stopped, the first
    evaluated step with test accuracy >= 0.99 and the lowest test accuracy from there on, and the lowest training
    accuracy after training accuracy first reached 0.99, with its step (NaN if never)."""
    rows = []
    for key, run in metrics.groupby(list(keys)):
        run = run.sort_values("step")
        last = run.iloc[-1]
        after = run[run["step"] >= run.loc[run["test_acc"] >= 0.99, "step"].min()]
        fitted = run[run["step"] >= run.loc[run["train_acc"] >= 0.99, "step"].min()]
        worst = fitted.loc[fitted["train_acc"].idxmin()] if len(fitted) else None
        rows.append(dict(zip(keys, key)) | {
            "steps": int(last["step"]), "train acc": last["train_acc"], "test acc": last["test_acc"],
            "best test acc": run["test_acc"].max(), "train loss": last["train_loss"], "test loss": last["test_loss"],
            "best test loss": run["test_loss"].min(), "val acc": last["val_acc"],
            "stopped": "early stop" if last["early_stop_count"] >= patience else "budget",
            "first step test ≥ 0.99": float(after["step"].min()), "lowest test acc after": float(after["test_acc"].min()),
            "lowest train acc after fit": math.nan if worst is None else float(worst["train_acc"]),
            "step of lowest train acc": math.nan if worst is None else float(worst["step"])})
    results = pd.DataFrame(rows)
    results["task"] = "a" + results["op"] + "b"
    return results[["task", "modulus", "n_layer", "seed", "steps", "stopped", "train acc", "val acc", "test acc",
                    "best test acc", "train loss", "test loss", "best test loss", "first step test ≥ 0.99",
                    "lowest test acc after", "lowest train acc after fit", "step of lowest train acc"]]


def config_summary(results: pd.DataFrame, threshold: float = 0.99) -> pd.DataFrame:
    """Per configuration (task, modulus, layers) over its seeds: how many reached test accuracy >= threshold, and
    the mean ± std of the final test and train accuracy, the final losses and the steps trained."""
    rows = []
    for (task, p, layers), g in results.groupby(["task", "modulus", "n_layer"], sort=True):
        row = {"task": task, "modulus": p, "n_layer": layers, "seeds": len(g),
               f"test acc ≥ {threshold:g}": int((g["test acc"] >= threshold).sum())}
        for name in ("train acc", "test acc", "train loss", "test loss", "steps"):
            row |= {f"{name} mean": g[name].mean(), f"{name} std": g[name].std(ddof=1)}
        rows.append(row)
    return pd.DataFrame(rows)


# the paper's recipe (Power et al. 2022, App. A.1.2: lr 1e-3, no clipping), against which tuning runs are counted
PAPER_RECIPE = {"lr": 1e-3, "grad_clip": 0.0}


def changes_from_paper(tuning: pd.DataFrame) -> pd.Series:
    """Per tuning run (a row of tuning_table): how many of the PAPER_RECIPE settings it changes."""
    return sum((tuning[k] != v).astype(int) for k, v in PAPER_RECIPE.items() if k in tuning)


def tuning_table(metrics: pd.DataFrame, keys: list[str], threshold: float = 0.99) -> pd.DataFrame:
    """One row per tuning run: its settings, the first evaluated step with validation accuracy >= threshold
    (NaN if never), the best validation accuracy, and the final train/validation accuracy and step."""
    rows = []
    for key, run in metrics.groupby(keys, sort=True):
        run = run.sort_values("step")
        hit = run.loc[run["val_acc"] >= threshold, "step"]
        rows.append(dict(zip(keys, key if isinstance(key, tuple) else (key,))) | {
            f"first step val ≥ {threshold:g}": float(hit.iloc[0]) if len(hit) else float("nan"),
            "best val acc": run["val_acc"].max(), "final train acc": run["train_acc"].iloc[-1],
            "final val acc": run["val_acc"].iloc[-1], "steps": int(run["step"].iloc[-1])})
    return pd.DataFrame(rows)


def seed_summary(runs: pd.DataFrame, seeds: list[int], threshold: float = 0.99) -> dict[str, Any]:
    """Per seed of one configuration: the first evaluated step with test accuracy >= threshold (NaN if never;
    accuracy can dip again after it) and the last row (the stop); their means and spreads."""
    last = runs.sort_values("step").groupby("seed").tail(1).sort_values("seed")
    first = runs[runs.test_acc >= threshold].groupby("seed").step.min().reindex(seeds)
    return {"first": first.tolist(), "first_mean": first.mean(), "first_std": first.std(),
            "stop": last.step.tolist(), "stop_mean": last.step.mean(), "stop_std": last.step.std(),
            "test_acc_mean": last.test_acc.mean(), "test_acc_std": last.test_acc.std(),
            "train_acc_mean": last.train_acc.mean()}


def held_out_demo(model: GPT, tok: Tokenizer, op: str, p: int, train_frac: float, val_frac: float, split_seed: int,
                  split: str, n: int = 8, seed: int = 0) -> pd.DataFrame:
    """n held-out equations of one split: the prompt, the true c, the model's greedy answer, and whether it is right."""
    table = equation_table(op, p, train_frac, val_frac, split_seed)
    held_out = table[table.split == split].sample(n, random_state=seed)
    demo = pd.DataFrame({"prompt": [f"{a}{op}{b}=" for a, b in zip(held_out.a, held_out.b)],
                         "a": held_out.a.values, "b": held_out.b.values, "true c": held_out.c.values})
    demo["model says"] = [complete(model, tok, prompt, max_new_tokens=4) for prompt in demo.prompt]
    demo["correct"] = demo["model says"] == demo["true c"].astype(str)
    return demo


# ------------------------------------------------------------------------------------------- 1.3 grokking

def plateau(table: pd.DataFrame, metrics: pd.DataFrame) -> dict[str, Any]:
    """Between t_train and t_val of every seed that generalised: the validation loss's early minimum (before
    t_train) and its peak on the plateau, the parameter norm at t_train, its peak and at t_val, and the norm at
    the run's last evaluation (after grokking)."""
    rows = []
    for _, row in table[~table.censored].iterrows():
        run = metrics[metrics.seed == row.seed]
        span = run[(run.step >= row.t_train) & (run.step <= row.t_val)]
        rows.append({"seed": int(row.seed), "val_loss_min_before": run[run.step <= row.t_train].val_loss.min(),
                     "val_loss_max_plateau": span.val_loss.max(), "norm_at_t_train": span.param_norm.iloc[0],
                     "norm_peak": span.param_norm.max(), "norm_at_t_val": span.param_norm.iloc[-1],
                     "norm_end": run.sort_values("step").param_norm.iloc[-1]})
    return pd.DataFrame(rows)


def after_grokking(table: pd.DataFrame, metrics: pd.DataFrame, threshold: float = 0.99) -> pd.DataFrame:
    """Per seed that generalised, what the curves do after t_val: the steps shown past it, the share of those
    evaluations with validation accuracy >= threshold, the validation collapses (falls of more than 30 points
    after 90%), the lowest validation accuracy and the training accuracy at that same evaluation."""
    rows = []
    for _, row in table[~table.censored].iterrows():
        run = metrics[metrics.seed == row.seed].sort_values("step")
        after = run[run.step > row.t_val]
        if after.empty:
            continue
        worst = after.loc[after.val_acc.idxmin()]
        rows.append({"seed": int(row.seed), "steps_after": float(after.step.max() - row.t_val),
                     "val_ok_share": float((after.val_acc >= threshold).mean()),
                     "collapses": collapses(run[run.step >= row.t_val].val_acc),
                     "val_min": float(worst.val_acc), "train_at_val_min": float(worst.train_acc),
                     "step_of_val_min": float(worst.step), "final_val_acc": float(after.val_acc.iloc[-1])})
    return pd.DataFrame(rows)


def grokked(table: pd.DataFrame, chance_ceiling: float = 0.30, hold: float = 500) -> pd.DataFrame:
    """The seeds that grok: validation accuracy under `chance_ceiling` at t_train (training accuracy held at the
    threshold for `hold` steps), and validation reaching the threshold at least `hold` steps after that."""
    return table[(table.val_acc_at_t_train < chance_ceiling) & (table.t_val - table.t_train >= hold)]


def example_rows(ops: list[str], p: int, train_frac: float, val_frac: float, split_seed: int, n: int = 3) -> pd.DataFrame:
    """n random equations of each task (seeded), as the files hold them."""
    return pd.concat([equation_table(op, p, train_frac, val_frac, split_seed).sample(n, random_state=0)
                      for op in ops]).reset_index(drop=True)


def rows_matching(table: pd.DataFrame, values: dict[str, Any]) -> pd.DataFrame:
    """The rows whose columns equal every value given (e.g. one configuration of a sweep)."""
    keep = pd.Series(True, index=table.index)
    for key, value in values.items():
        keep &= table[key] == value
    return table[keep]


def run_cli(ckpt: str | Path, prompts: list[str], cwd: str | Path) -> tuple[str, str]:
    """Run `python -m helpers.gpt.inference` as a user would; returns (the command line, its output or error)."""
    args = [sys.executable, "-m", "helpers.gpt.inference", "--ckpt", str(ckpt)]
    for prompt in prompts:
        args += ["--prompt", prompt]
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    shown = "python -m helpers.gpt.inference --ckpt " + str(ckpt) + "".join(f" --prompt '{p}'" for p in prompts)
    return shown, done.stdout.strip() if done.returncode == 0 else f"failed: {done.stderr.strip()}"

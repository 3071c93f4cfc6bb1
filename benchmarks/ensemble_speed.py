"""The ensemble trainer against the single-model trainer, measured side by side in one run.

    .venv/bin/python benchmarks/ensemble_speed.py [--layers 1,2] [--members 3] [--steps 40] [--repeats 3]

For each model depth, on the grokking task (a / b mod 97, 30% training data, d_model 128, batch 512, AdamW),
times one training step for every member of a group of seeds:
  - single:   the members one after another with helpers.gpt.train.train_step (what a sweep worker ran before);
  - ensemble: all members as one helpers.gpt.ensemble.EnsembleGPT step (what ensemble_train runs);
each with 1 torch thread, alone ("1 process") and with two identical processes at once ("2 processes", how a
sweep keeps both cores of this machine busy). Reports model-steps/s (training steps times members, summed over
processes) and the ensemble/single ratio. Variants interleave and repeat; the median of the repeats is shown.
"""
from __future__ import annotations

import argparse
import statistics
import time
from multiprocessing import get_context

import torch

from helpers.gpt.config import make_config
from helpers.gpt.data import build_splits, build_tokenizer
from helpers.gpt.ensemble import EnsembleGPT
from helpers.gpt.ensemble_train import member_losses
from helpers.gpt.train import (DeviceSplit, batch_indices, build_model, keep_freed_memory, make_optimizer,
                               seed_everything, train_step)

TASK = dict(task="modular", op="/", modulus=97, train_frac=0.3, val_frac=0.35, loss_mask="answer", weight_decay=1.0,
            batch_size=512, progress=False)


def time_variant(variant: str, n_layer: int, members: int, steps: int) -> float:
    """Model-steps/s of one variant in this process (1 thread), after 3 warm-up steps."""
    torch.set_num_threads(1)
    keep_freed_memory()
    cfg = make_config(TASK, n_layer=n_layer)
    tok = build_tokenizer(cfg)
    splits = build_splits(cfg, tok)
    train = DeviceSplit.from_split(splits["train"], tok.pad_id, torch.device("cpu"))
    models = []
    for seed in range(members):
        seed_everything(seed)
        models.append(build_model(cfg, tok, splits))
    if variant == "single":
        optimizers = [make_optimizer(m.parameters(), cfg) for m in models]

        def step(i: int) -> None:
            for seed, (m, opt) in enumerate(zip(models, optimizers)):
                train_step(m, opt, train, batch_indices(i, len(train), cfg.batch_size, seed), tok.pad_id, cfg.lr, 0.0)
    else:
        ensemble = EnsembleGPT.from_models(models)
        opt = make_optimizer(ensemble.stacked(), cfg)

        def step(i: int) -> None:
            rows = torch.stack([batch_indices(i, len(train), cfg.batch_size, seed) for seed in range(members)])
            logits = ensemble(train.inputs[rows], train.query_pos)
            losses = member_losses(logits, train.targets[rows][:, :, train.query_pos])
            opt.zero_grad(set_to_none=True)
            losses.sum().backward()
            opt.step()
    for i in range(3):
        step(i)
    start = time.perf_counter()
    for i in range(steps):
        step(3 + i)
    return steps * members / (time.perf_counter() - start)


def measure(variant: str, n_layer: int, members: int, steps: int, processes: int) -> float:
    """Summed model-steps/s of `processes` identical processes running at once."""
    with get_context("spawn").Pool(processes) as pool:
        rates = pool.starmap(time_variant, [(variant, n_layer, members, steps)] * processes)
    return sum(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="1,2")
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    layers = [int(x) for x in args.layers.split(",")]
    results: dict[tuple, list[float]] = {}
    for _ in range(args.repeats):
        for n_layer in layers:
            for processes in (1, 2):
                for variant in ("single", "ensemble"):
                    rate = measure(variant, n_layer, args.members, args.steps, processes)
                    results.setdefault((n_layer, processes, variant), []).append(rate)
    print(f"torch {torch.__version__}, {args.members} members, {args.steps} steps, median of {args.repeats} "
          f"interleaved repeats, 1 thread per process")
    print(f"{'layers':>6} {'processes':>9} {'single':>14} {'ensemble':>14} {'ensemble/single':>16}")
    for n_layer in layers:
        for processes in (1, 2):
            single = statistics.median(results[(n_layer, processes, "single")])
            ensemble = statistics.median(results[(n_layer, processes, "ensemble")])
            print(f"{n_layer:>6} {processes:>9} {single:>8.1f} m-st/s {ensemble:>8.1f} m-st/s {ensemble / single:>15.2f}x")


if __name__ == "__main__":
    main()

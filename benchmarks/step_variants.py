"""Ways to make one training step faster, against the project's step, measured side by side in one run.

    .venv/bin/python benchmarks/step_variants.py [--layers 1,2] [--steps 40] [--repeats 3]

On the grokking task (a / b mod 97, 30% training data, d_model 128, batch 512, AdamW, 1 torch thread), times
steps/s of:
  - project:  helpers.gpt.train.train_step as the trainer runs it (fp32, PyTorch's fused CPU attention);
  - manual:   the same model with attention written out (softmax(QKᵀ/√d)V with a causal mask) instead of
              F.scaled_dot_product_attention;
  - compile:  the model wrapped in torch.compile (inductor; compile time excluded);
  - bf16:     the step under torch.autocast("cpu", bfloat16) (matmuls in bfloat16, weights and optimiser in fp32).
Each variant runs in a fresh process; variants interleave and repeat, and the median is shown with its ratio to
`project`. The loss after the timed steps is printed too: bf16 changes the numbers, the others only rounding.
The profiles use `project`: the others either measured no faster here or change the numerics that grokking is
sensitive to (bf16).
"""
from __future__ import annotations

import argparse
import statistics
import time
from multiprocessing import get_context

import torch

TASK = dict(task="modular", op="/", modulus=97, train_frac=0.3, val_frac=0.35, loss_mask="answer", weight_decay=1.0,
            batch_size=512, progress=False)
VARIANTS = ("project", "manual", "compile", "bf16")


def manual_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
    """F.scaled_dot_product_attention without dropout, written out."""
    scores = (q @ k.transpose(-2, -1)) * q.shape[-1] ** -0.5
    if is_causal:
        attn_mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf"))
    return scores.softmax(-1) @ v


def time_variant(variant: str, n_layer: int, steps: int) -> tuple[float, float]:
    """(steps/s after 5 warm-up steps, the loss of the last step) in this process, 1 thread."""
    import helpers.gpt.model as model_module
    from helpers.gpt.config import make_config
    from helpers.gpt.data import build_splits, build_tokenizer
    from helpers.gpt.train import DeviceSplit, batch_indices, build_model, make_optimizer, train_step
    from helpers.common.runtime import keep_freed_memory, seed_everything
    torch.set_num_threads(1)
    keep_freed_memory()
    if variant == "manual":
        model_module.F.scaled_dot_product_attention = manual_attention
    cfg = make_config(TASK, n_layer=n_layer)
    tok = build_tokenizer(cfg)
    splits = build_splits(cfg, tok)
    train = DeviceSplit.from_split(splits["train"], tok.pad_id, torch.device("cpu"))
    seed_everything(0)
    model = build_model(cfg, tok, splits)
    optimizer = make_optimizer(model.parameters(), cfg)
    if variant == "compile":
        model = torch.compile(model)

    def step(i: int) -> torch.Tensor:
        rows = batch_indices(i, len(train), cfg.batch_size, 0)
        if variant == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return train_step(model, optimizer, train, rows, tok.pad_id, cfg.lr, 0.0)
        return train_step(model, optimizer, train, rows, tok.pad_id, cfg.lr, 0.0)

    for i in range(5):  # compiles, allocates
        step(i)
    start = time.perf_counter()
    for i in range(steps):
        loss = step(5 + i)
    return steps / (time.perf_counter() - start), float(loss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="1,2")
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    layers = [int(x) for x in args.layers.split(",")]
    rates: dict[tuple, list[float]] = {}
    losses: dict[tuple, float] = {}
    ctx = get_context("spawn")
    for _ in range(args.repeats):
        for n_layer in layers:
            for variant in VARIANTS:
                with ctx.Pool(1) as pool:  # a fresh process: a patched module or a compiled graph never leaks
                    rate, loss = pool.apply(time_variant, (variant, n_layer, args.steps))
                rates.setdefault((n_layer, variant), []).append(rate)
                losses[(n_layer, variant)] = loss
    print(f"torch {torch.__version__}, {args.steps} steps, median of {args.repeats} interleaved repeats, 1 thread")
    print(f"{'layers':>6} {'variant':>8} {'steps/s':>8} {'vs project':>10} {'loss after':>11}")
    for n_layer in layers:
        base = statistics.median(rates[(n_layer, "project")])
        for variant in VARIANTS:
            rate = statistics.median(rates[(n_layer, variant)])
            print(f"{n_layer:>6} {variant:>8} {rate:>8.1f} {rate / base:>9.2f}x {losses[(n_layer, variant)]:>11.4f}")


if __name__ == "__main__":
    main()

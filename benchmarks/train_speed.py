"""Training speed of the small transformers against the machine's matmul peak, measured side by side in one run.

    .venv/bin/python benchmarks/train_speed.py [--device cpu|cuda] [--threads 1,2] [--steps 60] [--repeats 3]
                                               [--compile] [--ensemble 8] [--runs outputs]

Reference configuration (the quick grokking recipe): modular division p = 97, 30% training data, 2 layers,
d_model 128, 4 heads, d_ff 512, batch 512, answer-only loss, AdamW (lr 1e-3, betas 0.9/0.98, weight decay 1).

Prints, for each thread count (CPU) or the GPU:
  - the measured fp32 matmul peak (a large torch.matmul, best of several);
  - steps/s of (a) a baseline written the way a student would (nn.TransformerEncoder with a causal mask, logits
    and loss at every position, then masked), kept here for comparison only, and (b) the project's training
    step (helpers.gpt.train.train_step, exactly what the notebooks run), optionally (c) the same under torch.compile
    and (d) on a GPU, an ensemble of seeds trained together with torch.func (vmap over stacked parameters);
  - FLOPs per step counted by torch.utils.flop_counter (matmuls and attention, forward and backward):
    "model" = the conventional count, every position through the whole network and the output layer;
    "executed" = what the implementation actually computes. MFU = model FLOPs/s over the peak, HFU = executed;
  - seconds per evaluation pass (train + val + test splits) and what that costs relative to a step;
  - the share of real training runs spent outside the optimiser steps (evaluation, logging, checkpoints),
    read from the summaries of the runs stored under --runs (written by helpers.gpt.train).
Timings interleave the variants and repeat them; the median of the repeats is reported.
"""
from __future__ import annotations

import argparse
import copy
import glob
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from helpers.gpt.config import TrainConfig
from helpers.gpt.data import build_splits, build_tokenizer
from helpers.gpt.train import DeviceSplit, build_model, log_metrics, make_optimizer, train_step
from helpers.common.runtime import keep_freed_memory, seed_everything

REFERENCE = dict(task="modular", op="/", modulus=97, train_frac=0.3, val_frac=0.35, loss_mask="answer", n_layer=2,
                 n_head=4, d_model=128, d_ff=512, optimizer="adamw", lr=1e-3, beta1=0.9, beta2=0.98,
                 weight_decay=1.0, batch_size=512, progress=False)


# ------------------------------------------------------------------------------------------ the student baseline

class BaselineTransformer(nn.Module):
    """What a student would write: PyTorch's encoder stack with a causal mask, logits at every position."""

    def __init__(self, vocab_size: int, block_size: int, cfg: TrainConfig) -> None:
        super().__init__()
        self.tok_emb = nn.Embedding(vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(block_size, cfg.d_model)
        layer = nn.TransformerEncoderLayer(cfg.d_model, cfg.n_head, cfg.d_ff, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.n_layer, enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.lm_head = nn.Linear(cfg.d_model, vocab_size, bias=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        T = idx.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(T, device=idx.device)
        x = self.tok_emb(idx) + self.pos_emb(torch.arange(T, device=idx.device))
        return self.lm_head(self.ln_f(self.encoder(x, mask=causal, is_causal=True)))


def baseline_step(model: nn.Module, optimizer: torch.optim.Optimizer, tokens: torch.Tensor, mask: torch.Tensor,
                  device: torch.device) -> torch.Tensor:
    tokens, mask = tokens.to(device), mask.to(device)
    logits = model(tokens[:, :-1])
    per_token = F.cross_entropy(logits.flatten(0, 1), tokens[:, 1:].flatten(), reduction="none")
    loss = (per_token * mask.flatten()).sum() / mask.sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


# ------------------------------------------------------------------------------------------ measurements

def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak(device: torch.device, n: int, repeats: int = 10) -> float:
    """fp32 GFLOP/s of an n x n x n matmul, best of `repeats`."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    torch.matmul(a, b)
    sync(device)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(a, b)
        sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def count_flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


class Setup:
    """The reference data, the project's model and optimiser, and the baseline, all from one seed."""

    def __init__(self, device: torch.device, seed: int = 0, n_layer: int = 2) -> None:
        self.device = device
        self.cfg = TrainConfig(**(REFERENCE | {"n_layer": n_layer}), seed=seed)
        seed_everything(seed)
        self.tok = build_tokenizer(self.cfg)
        self.splits = build_splits(self.cfg, self.tok)
        self.device_splits = {k: DeviceSplit.from_split(v, self.tok.pad_id, device) for k, v in self.splits.items()}
        self.model = build_model(self.cfg, self.tok, self.splits).to(device)
        self.optimizer = make_optimizer(self.model.parameters(), self.cfg)
        block_size = self.splits["train"].tokens.shape[1] - 1
        self.baseline = BaselineTransformer(self.tok.vocab_size, block_size, self.cfg).to(device)
        self.baseline_opt = torch.optim.AdamW(self.baseline.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=1.0)
        self.generator = torch.Generator().manual_seed(seed)

    def rows(self) -> torch.Tensor:
        """A random full batch (the trainer's epochs end in a smaller batch; timing full ones keeps the FLOP
        count per step exact)."""
        return torch.randperm(len(self.splits["train"]), generator=self.generator)[: self.cfg.batch_size]

    def ours(self, model: nn.Module | None = None) -> torch.Tensor:
        return train_step(self.model if model is None else model, self.optimizer, self.device_splits["train"], self.rows().to(self.device),
                         self.tok.pad_id, self.cfg.lr, 0.0)

    def student(self) -> torch.Tensor:
        rows = self.rows()
        train = self.splits["train"]
        return baseline_step(self.baseline, self.baseline_opt, train.tokens[rows], train.target_mask[rows], self.device)

    def full_model_flops(self) -> int:
        """The conventional count: every position through the whole model and the output layer."""
        train = self.device_splits["train"]
        rows = torch.arange(self.cfg.batch_size, device=self.device)

        def step():
            logits = self.model(train.inputs[rows])
            F.cross_entropy(logits.flatten(0, 1), train.targets[rows].flatten()).backward()
        return count_flops(step)


def steps_per_second(step_fn, steps: int, device: torch.device) -> float:
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        loss = step_fn()
    loss.item()
    sync(device)
    return steps / (time.perf_counter() - start)


def make_ensemble_step(setups: list[Setup]):
    """All members' steps as one: parameters stacked along a new leading dim, the model vmapped over it.

    AdamW is elementwise, so one optimiser over the stacked tensors updates every member exactly as its own
    optimiser would; the summed loss gives each member its own gradient."""
    from torch.func import functional_call, stack_module_state, vmap

    models = [s.model for s in setups]
    params, buffers = stack_module_state(models)
    skeleton = copy.deepcopy(models[0]).to("meta")
    optimizer = torch.optim.AdamW(params.values(), lr=1e-3, betas=(0.9, 0.98), weight_decay=1.0)
    train = setups[0].device_splits["train"]  # the split is the same for every seed (split_seed 0)
    query_pos = train.query_pos
    if not bool(train.target_mask[:, query_pos].all()):
        raise ValueError("the ensemble step assumes every sequence has a target at every query position")

    def member_loss(p, b, inputs, targets):
        logits = functional_call(skeleton, (p, b), (inputs,), {"query_pos": query_pos})
        return F.cross_entropy(logits.flatten(0, 1), targets[:, query_pos].flatten())

    losses = vmap(member_loss)

    def step():
        rows = torch.stack([s.rows() for s in setups]).to(train.inputs.device)
        loss = losses(params, buffers, train.inputs[rows], train.targets[rows]).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()
    return step


def eval_seconds(setup: Setup, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        sync(setup.device)
        start = time.perf_counter()
        log_metrics(setup.model, setup.device_splits, setup.tok.pad_id, 0, 0.0, 0.0, 0.0)
        sync(setup.device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stored_run_shares(root: str) -> list[dict]:
    """Per section: seconds of training sessions and the share spent in evaluation/logging and checkpoints."""
    rows = []
    for section in ("sanity", "warmup", "grokking", "ablations"):
        summaries = [json.loads(Path(f).read_text()) for f in glob.glob(f"{root}/{section}/*/summary.json")]
        timed = [s for s in summaries if "session_s" in s and s["session_s"] > 0]
        if not timed:
            continue
        total = sum(s["session_s"] for s in timed)
        rows.append({"section": section, "runs": len(timed), "train_s": total,
                     "eval_share": sum(s["eval_s"] for s in timed) / total,
                     "ckpt_share": sum(s["checkpoint_s"] for s in timed) / total,
                     "steps_per_s": sum(s["steps"] for s in timed) / total})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", default="1,2", help="CPU thread counts to measure, comma-separated")
    parser.add_argument("--steps", type=int, default=60, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layers", type=int, default=2, help="n_layer (the reference has 2; the ablations use 1)")
    parser.add_argument("--compile", action="store_true", help="also time the project's step under torch.compile")
    parser.add_argument("--ensemble", type=int, default=0, help="also time N seeds trained together (vmap)")
    parser.add_argument("--runs", default="outputs", help="where stored runs are read for the eval/ckpt shares")
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32: the experiments do not use TF32
    torch.backends.cudnn.allow_tf32 = False
    threads_list = [int(t) for t in args.threads.split(",")] if device.type == "cpu" else [torch.get_num_threads()]
    # what every training worker does (helpers.gpt.sweep) (no number changes); applied to the baseline too, so the
    # ratio compares the code alone
    kept = keep_freed_memory()

    setup = Setup(device, n_layer=args.layers)
    rows_per_step = setup.cfg.batch_size
    flops = {"model": setup.full_model_flops(),
             "ours": count_flops(setup.ours),
             "baseline": count_flops(setup.student)}
    print(f"{'reference' if args.layers == 2 else 'variant'}: a/b mod 97, {setup.cfg.n_layer} layers, d_model {setup.cfg.d_model}, batch {rows_per_step}, "
          f"{setup.model.num_params():,} parameters; torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name()})" if device.type == "cuda" else "")
          + f"; allocator keeps freed memory: {kept}")
    print(f"FLOPs per step (torch.utils.flop_counter): model {flops['model'] / 1e9:.2f} G; executed by the project's "
          f"step {flops['ours'] / 1e9:.2f} G; by the baseline {flops['baseline'] / 1e9:.2f} G")

    for threads in threads_list:
        if device.type == "cpu":
            torch.set_num_threads(threads)
        peak_n = 4096 if device.type == "cpu" else 8192
        peak_before = matmul_peak(device, peak_n)
        variants = {"baseline (nn.TransformerEncoder, all logits)": (setup.student, flops["baseline"], 1),
                    "project train_step": (setup.ours, flops["ours"], 1)}
        if args.compile:
            compiled = torch.compile(setup.model, dynamic=False)  # the model; the optimiser step stays eager
            variants["project train_step, torch.compile"] = (lambda: setup.ours(compiled), flops["ours"], 1)
        if args.ensemble:
            members = [setup] + [Setup(device, seed, args.layers) for seed in range(1, args.ensemble)]
            variants[f"ensemble of {args.ensemble} seeds (vmap)"] = (make_ensemble_step(members), flops["ours"],
                                                                     args.ensemble)
        for fn, _, _ in variants.values():  # warm-up (and compilation): both batch sizes of an epoch
            for _ in range(8):
                fn()
        measured = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, (fn, _, _) in variants.items():
                measured[name].append(steps_per_second(fn, args.steps, device))
        # this VM's speed drifts by 10-30% over minutes: the peak is the best of measurements before and after
        peak_after = matmul_peak(device, peak_n)
        peak = max(peak_before, peak_after)
        where = f"{threads} thread(s)" if device.type == "cpu" else "GPU"
        print(f"\n== {where}: fp32 matmul peak {peak:.0f} GFLOP/s (best of 10 before the timings: {peak_before:.0f}, "
              f"after: {peak_after:.0f})")
        print(f"{'variant':48s} {'steps/s':>8s} {'model steps/s':>13s} {'vs baseline':>11s} {'MFU':>6s} {'HFU':>6s}")
        base_rate = statistics.median(measured[next(iter(variants))])
        for name, (fn, executed, members) in variants.items():
            rate = statistics.median(measured[name])
            model_rate = rate * members  # an ensemble step advances every member by one step
            mfu = flops["model"] * model_rate / (peak * 1e9)
            hfu = executed * model_rate / (peak * 1e9)
            print(f"{name:48s} {rate:8.2f} {model_rate:13.2f} {model_rate / base_rate:10.2f}x {mfu:6.1%} {hfu:6.1%}")
        t_eval = eval_seconds(setup, args.repeats)
        t_step = 1 / statistics.median(measured["project train_step"])
        print(f"evaluation pass (train+val+test, {sum(len(s) for s in setup.splits.values())} sequences): "
              f"{t_eval * 1000:.0f} ms = {t_eval / t_step:.1f} training steps; with one evaluation every 100 steps "
              f"that is {t_eval / (t_eval + 100 * t_step):.1%} of the wall-clock")

    shares = stored_run_shares(args.runs)
    if shares:
        print(f"\nstored runs under {args.runs}/ (time of the training sessions that wrote them):")
        print(f"{'section':10s} {'runs':>5s} {'train s':>8s} {'steps/s':>8s} {'eval+log':>9s} {'ckpt':>6s}")
        for r in shares:
            print(f"{r['section']:10s} {r['runs']:5d} {r['train_s']:8.0f} {r['steps_per_s']:8.1f} "
                  f"{r['eval_share']:9.1%} {r['ckpt_share']:6.1%}")
    else:
        print(f"\nno stored runs with timing fields under {args.runs}/ (train a profile first)")


if __name__ == "__main__":
    main()

"""The project's training step against the two most-used public PyTorch reproductions of Power et al. (2022), timed
side by side in one run: a fresh process per measurement, variants interleaved over repeats, min/median/max.

    .venv/bin/python benchmarks/peers.py [--threads 1,2] [--layers 1,2] [--repeats 3] [--seconds 6]

Every variant trains division mod 97 on 30% of the equations, batch 512, d_model 128, 4 heads, MLP 512, AdamW
(lr 1e-3, betas 0.9/0.98, weight decay 1), with its own architecture, loss positions and sequence shape:
- project, BOS…EOS: helpers.gpt (the stored runs' shape): BOS a / b = c EOS, 6 input positions, loss on c and EOS;
- project, paper shape: helpers.gpt with framing "paper": a / b = in, c out, 4 input positions, loss on c;
- danielmamay/grokking @ 9988f8d (grokking/model.py, training.py): post-norm blocks of nn.MultiheadAttention without
  biases and a ReLU MLP, learned positions, 4 input positions (x ∘ y =), logits of the last position only;
- ironjr/grokfast @ 93b2248 (main.py; its model is teddykoker/grokking's): pre-norm blocks of nn.MultiheadAttention
  and a GELU MLP, a final LayerNorm, sequences (5, batch), logits at all 4 input positions, loss on the last;
- student baseline (benchmarks/train_speed.py): nn.TransformerEncoder, logits and loss at every position, masked.
The peers are written here from their sources (no code of theirs is imported or copied in). Each row also gives
its FLOPs per step (torch.utils.flop_counter, forward and backward) and the share of this machine's fp32 matmul
peak it reaches (a 4096³ torch.matmul, measured in a fresh process per thread count).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
P, FRACTION, BATCH, DIM, HEADS = 97, 0.3, 512, 128, 4
VARIANTS = ("project, paper shape", "project, BOS…EOS", "danielmamay/grokking", "ironjr/grokfast", "student baseline")


# ------------------------------------------------------------------------------------------- the peers' models

class DanielmamayBlock(nn.Module):
    def __init__(self, seq_len: int) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(DIM, HEADS, bias=False)
        self.self_attn_norm = nn.LayerNorm(DIM)
        self.ffn = nn.Sequential(nn.Linear(DIM, 4 * DIM, bias=False), nn.ReLU(), nn.Linear(4 * DIM, DIM, bias=False))
        self.ffn_norm = nn.LayerNorm(DIM)
        self.register_buffer("attn_mask", torch.triu(torch.full((seq_len, seq_len), -1e10), diagonal=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (seq, batch, dim), post-norm
        x = self.self_attn_norm(x + self.self_attn(x, x, x, attn_mask=self.attn_mask)[0])
        return self.ffn_norm(x + self.ffn(x))


class Danielmamay(nn.Module):
    def __init__(self, layers: int, seq_len: int = 4) -> None:
        super().__init__()
        self.token_embeddings, self.position_embeddings = nn.Embedding(P + 2, DIM), nn.Embedding(seq_len, DIM)
        self.layers = nn.Sequential(*[DanielmamayBlock(seq_len) for _ in range(layers)], nn.Linear(DIM, P + 2, bias=False))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:  # (batch, seq) -> (seq, batch, tokens)
        positions = torch.arange(inputs.shape[1]).expand(inputs.shape[0], -1)
        return self.layers((self.token_embeddings(inputs) + self.position_embeddings(positions)).transpose(0, 1))


class GrokfastBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)
        self.attn = nn.MultiheadAttention(DIM, HEADS)
        self.mlp = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.GELU(), nn.Linear(4 * DIM, DIM))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (seq, batch, dim); the mask is built every call, as there
        mask = torch.triu(torch.full((len(x), len(x)), -float("inf"), dtype=x.dtype), diagonal=1)
        x = self.ln_1(x)
        x = x + self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Grokfast(nn.Module):
    def __init__(self, layers: int, seq_len: int = 5) -> None:
        super().__init__()
        self.token_embeddings, self.position_embeddings = nn.Embedding(P + 2, DIM), nn.Embedding(seq_len, DIM)
        self.layers = nn.ModuleList(GrokfastBlock() for _ in range(layers))
        self.ln_f, self.head = nn.LayerNorm(DIM), nn.Linear(DIM, P + 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (seq, batch) -> (seq, batch, tokens)
        h = self.token_embeddings(x) + self.position_embeddings(torch.arange(x.shape[0]).unsqueeze(-1))
        for layer in self.layers:
            h = layer(h)
        return self.head(self.ln_f(h))


def division_data() -> tuple[torch.Tensor, torch.Tensor]:
    """(x, op, y, =) rows and the labels x / y mod P, the training fraction of them (eq token P, op token P+1)."""
    x, y = torch.cartesian_prod(torch.arange(P), torch.arange(1, P)).T
    rows = torch.stack([x * y % P, torch.full_like(x, P + 1), y, torch.full_like(x, P)], dim=1)  # (x·y)/y = x
    keep = torch.randperm(len(rows), generator=torch.Generator().manual_seed(0))[: round(FRACTION * len(rows))]
    return rows[keep], x[keep]


def optimizer_for(model: nn.Module) -> torch.optim.Optimizer:
    return torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=1.0)


# ------------------------------------------------------------------------------------------- one step of each

def make_step(variant: str, layers: int):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    if variant.startswith("project") or variant == "student baseline":
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from train_speed import REFERENCE, BaselineTransformer, baseline_step

        from helpers.gpt.config import TrainConfig
        from helpers.gpt.data import build_splits, build_tokenizer
        from helpers.gpt.train import DeviceSplit, build_model, make_optimizer, train_step

        framing = "paper" if variant == "project, paper shape" else "bos_eos"
        cfg = TrainConfig(**(REFERENCE | {"n_layer": layers, "train_frac": FRACTION, "framing": framing}))
        tok = build_tokenizer(cfg)
        splits = build_splits(cfg, tok)
        train = splits["train"]
        if variant == "student baseline":
            model = BaselineTransformer(tok.vocab_size, train.tokens.shape[1] - 1, cfg)
            opt = optimizer_for(model)

            def student_step():
                rows = torch.randperm(len(train), generator=generator)[:BATCH]
                return baseline_step(model, opt, train.tokens[rows], train.target_mask[rows], torch.device("cpu"))
            return student_step
        device_split = DeviceSplit.from_split(train, tok.pad_id, torch.device("cpu"))
        model = build_model(cfg, tok, splits)
        opt = make_optimizer(model.parameters(), cfg)
        return lambda: train_step(model, opt, device_split, torch.randperm(len(train), generator=generator)[:BATCH],
                                  tok.pad_id, cfg.lr, 0.0)
    inputs, labels = division_data()
    if variant == "danielmamay/grokking":
        model = Danielmamay(layers)
        opt = optimizer_for(model)

        def step():
            rows = torch.randperm(len(inputs), generator=generator)[:BATCH]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(inputs[rows])[-1], labels[rows])
            loss.backward()
            opt.step()
            return loss.detach()
        return step
    model = Grokfast(layers)
    opt = optimizer_for(model)
    data = torch.cat([inputs, labels[:, None]], dim=1).T  # (5, N), as grokfast keeps it

    def step():
        batch = data[:, torch.randperm(data.shape[1], generator=generator)[:BATCH]]
        logits = model(batch[:-1])
        loss = F.cross_entropy(logits[-1], batch[-1])
        model.zero_grad()
        loss.backward()
        opt.step()
        return loss.detach()
    return step


def measure(variant: str, layers: int, threads: int, seconds: float) -> dict:
    """Steps/s of one variant (in this fresh process), and its FLOPs per step."""
    from torch.utils.flop_counter import FlopCounterMode

    from helpers.common.runtime import keep_freed_memory

    keep_freed_memory()  # what every training worker does; applied to every variant alike
    torch.set_num_threads(threads)
    step = make_step(variant, layers)
    with FlopCounterMode(display=False) as counter:
        step()
    for _ in range(10):
        step()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step().item()
        done += 1
    return {"steps_per_s": done / (time.perf_counter() - start), "flops": counter.get_total_flops()}


def peak(threads: int) -> float:
    torch.set_num_threads(threads)
    a, b = torch.randn(4096, 4096), torch.randn(4096, 4096)
    torch.matmul(a, b)
    best = min(_timed(lambda: torch.matmul(a, b)) for _ in range(5))
    return 2 * 4096 ** 3 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(args)], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--layers", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=6.0, help="timed seconds per measurement")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        task = json.loads(args.child)
        print(json.dumps(peak(task[1]) if task[0] == "peak" else measure(*task[1:])))
        return
    threads, layers = [int(t) for t in args.threads.split(",")], [int(n) for n in args.layers.split(",")]
    results: dict = {}
    peaks = {t: max(child(["peak", t]) for _ in range(2)) for t in threads}
    for repeat in range(args.repeats):  # interleaved: every variant once per round, so drift hits all alike
        for t in threads:
            for n in layers:
                for v in VARIANTS:
                    r = child(["measure", v, n, t, args.seconds])
                    results.setdefault((t, n, v), []).append(r)
    print(f"division mod {P}, {FRACTION:.0%} data, batch {BATCH}, d_model {DIM}; torch {torch.__version__}; "
          f"{args.repeats} interleaved rounds, a fresh process each")
    for t in threads:
        print(f"\n== {t} thread(s): fp32 matmul peak {peaks[t]:.0f} GFLOP/s")
        for n in layers:
            rates = {v: [r["steps_per_s"] for r in results[(t, n, v)]] for v in VARIANTS}
            ours = statistics.median(rates[VARIANTS[0]])
            print(f"-- {n} layer(s)\n{'variant':24s} {'min':>7s} {'median':>7s} {'max':>7s} {'GFLOP/step':>10s} "
                  f"{'of peak':>7s} {'paper shape is':>15s}")
            for v in VARIANTS:
                med, flops = statistics.median(rates[v]), results[(t, n, v)][0]["flops"]
                print(f"{v:24s} {min(rates[v]):7.1f} {med:7.1f} {max(rates[v]):7.1f} {flops / 1e9:10.3f} "
                      f"{flops * med / (peaks[t] * 1e9):7.1%} {ours / med:14.2f}x")


if __name__ == "__main__":
    main()

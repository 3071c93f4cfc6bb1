"""Datasets as padded token tensors, loss masks, and the modular-arithmetic equations.

A dataset is a (N, L) LongTensor of right-padded sequences BOS ... EOS PAD... (or, with TrainConfig.framing
"paper", the bare equations a ∘ b = c); a model reads tokens[:, :-1] and predicts tokens[:, 1:]. Which predictions count in the loss and in the
exact-match accuracy is a boolean mask over those targets (see `loss_mask`).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ..common.io import write_atomic
from .config import TrainConfig
from .tokenizer import ArithmeticTokenizer, CharTokenizer, Tokenizer

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Split:
    tokens: torch.Tensor  # (N, L) right-padded
    target_mask: torch.Tensor  # (N, L-1) bool: which targets tokens[:, 1:] count

    def __len__(self) -> int:
        return self.tokens.shape[0]


def modular_equations(op: str, p: int) -> list[tuple[int, int, int]]:
    """Every (a, b, c) with a ∘ b ≡ c (mod p), a and b in 0..p-1; division needs b != 0 (c = a·b⁻¹ mod p)."""
    if op == "+":
        return [(a, b, (a + b) % p) for a in range(p) for b in range(p)]
    if op == "-":
        return [(a, b, (a - b) % p) for a in range(p) for b in range(p)]
    if op == "/":
        return [(a, b, (a * pow(b, -1, p)) % p) for a in range(p) for b in range(1, p)]
    raise ValueError(f"op {op!r} is not supported; allowed: '+', '-', '/'")


def split_indices(n: int, train_frac: float, val_frac: float, seed: int) -> dict[str, torch.Tensor]:
    """Seeded random partition of range(n): the first round(train_frac·n) of a permutation are train,
    the next round(val_frac·n) validation, the rest test."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_train, n_val = round(train_frac * n), round(val_frac * n)
    return {"train": perm[:n_train], "val": perm[n_train : n_train + n_val], "test": perm[n_train + n_val :]}


def pad_batch(seqs: list[list[int]], pad_id: int) -> torch.Tensor:
    width = max(len(s) for s in seqs)
    return torch.tensor([s + [pad_id] * (width - len(s)) for s in seqs], dtype=torch.long)


def loss_mask(tokens: torch.Tensor, tok: Tokenizer, mode: str, skip_first: int = 0) -> torch.Tensor:
    """Boolean mask over targets tokens[:, 1:].

    'all': every real (non-PAD) target, EOS included.
    'answer': only targets after the '=' token (the answer and EOS).
    'skip_first': every real target except the first `skip_first` tokens of the sequence (BOS counts as
        one), i.e. those tokens are context only and the model learns to predict the rest.
    """
    targets = tokens[:, 1:]
    real = targets != tok.pad_id
    if mode == "all":
        return real
    if mode == "skip_first":
        position = torch.arange(1, tokens.shape[1]).expand_as(targets)  # index of each target in the sequence
        return real & (position >= skip_first)
    if mode == "answer":
        eq_id = tok.stoi.get("=")
        is_eq = tokens == eq_id if eq_id is not None else torch.zeros_like(tokens, dtype=torch.bool)
        if not bool(is_eq.any(dim=1).all()):
            raise ValueError("loss_mask='answer' needs an '=' token in every sequence")
        after_eq = is_eq.long().cumsum(dim=1)[:, :-1] > 0  # target j is token j+1: after '=' if '=' is at <= j
        return real & after_eq
    raise ValueError(f"loss_mask {mode!r} is not supported; allowed: 'all', 'answer', 'skip_first'")


def build_tokenizer(cfg: TrainConfig) -> Tokenizer:
    if cfg.task == "text":
        return CharTokenizer.from_texts(cfg.texts)
    return ArithmeticTokenizer(cfg.modulus, framed=cfg.framing == "bos_eos")


def equation_text(a: int, op: str, b: int, c: int | None = None) -> str:
    """Canonical text of an equation ('12+5=17'), or its prompt when c is None ('12+5=')."""
    return f"{a}{op}{b}=" + ("" if c is None else str(c))


def build_splits(cfg: TrainConfig, tok: Tokenizer) -> dict[str, Split]:
    """Train/val/test splits for the config's task. The text task trains on its strings and has no held-out data."""
    if cfg.task == "text":
        texts = {"train": cfg.texts, "val": [], "test": []}
    else:
        eqs = modular_equations(cfg.op, cfg.modulus)
        idx = split_indices(len(eqs), cfg.train_frac, cfg.val_frac, cfg.split_seed)
        texts = {name: [equation_text(eqs[i][0], cfg.op, eqs[i][1], eqs[i][2]) for i in ix.tolist()]
                 for name, ix in idx.items()}
    splits = {}
    for name, items in texts.items():
        if not items:
            continue
        tokens = pad_batch([tok.encode(t, bos=tok.framed, eos=tok.framed) for t in items], tok.pad_id)
        splits[name] = Split(tokens, loss_mask(tokens, tok, cfg.loss_mask, cfg.skip_first))
    return splits


OP_NAMES = {"+": "add", "-": "sub", "/": "div"}


def equation_table(op: str, p: int, train_frac: float, val_frac: float, split_seed: int) -> "pd.DataFrame":
    """All equations of one task with their split, exactly as the trainer splits them (same function, same seed)."""
    import pandas as pd

    eqs = modular_equations(op, p)
    split = [""] * len(eqs)
    for name, ix in split_indices(len(eqs), train_frac, val_frac, split_seed).items():
        for i in ix.tolist():
            split[i] = name
    df = pd.DataFrame(eqs, columns=["a", "b", "c"])
    df.insert(1, "op", op)
    df["p"] = p
    df["text"] = [equation_text(a, op, b, c) for a, b, c in eqs]
    df["split"] = split
    return df


def write_datasets(out_dir: str | Path, ops: list[str], moduli: list[int], train_frac: float, val_frac: float,
                   split_seed: int) -> "pd.DataFrame":
    """Write <out_dir>/<add|sub|div>_p<p>.csv for every task and return the table of counts per split."""
    import pandas as pd

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = []
    for op in ops:
        for p in moduli:
            df = equation_table(op, p, train_frac, val_frac, split_seed)
            path = out_dir / f"{OP_NAMES[op]}_p{p}.csv"
            write_atomic(path, df.to_csv(index=False))
            n = df["split"].value_counts()
            counts.append({"task": f"a{op}b", "p": p, "equations": len(df), "train": int(n.get("train", 0)),
                           "val": int(n.get("val", 0)), "test": int(n.get("test", 0)), "file": path.name})
    return pd.DataFrame(counts)

"""A published checkpoint answering held-out equations (sections 1.2 and 1.3): greedy answers in this process, then
the same checkpoint through the command-line tool, as a reader of a fresh clone would run it."""
from __future__ import annotations

import pandas as pd

from ..common.io import rel, repo_root
from ..gpt.config import TrainConfig
from ..gpt.runs import load_model, publish_checkpoint
from ..report.display import show_table
from .tables import held_out_demo, run_cli

SPLIT_NAMES = {"test": "test", "val": "validation"}


def division_check(demo: pd.DataFrame, p: int) -> list[int | None]:
    """Per answer of a division demo, c·b mod p (equal to a when c is right; None where the answer is no number)."""
    return [(int(c) * b) % p if c.isdigit() else None for c, b in zip(demo["model says"], demo.b)]


def show_checkpoint_demo(cfg: TrainConfig, name: str, record_dir: str, split: str, seed: int, columns: list[str],
                         cli_prompts: list[str] | None = None) -> None:
    """Publish the run's checkpoint as <record_dir>/checkpoints/<name>, show its greedy answers on eight equations
    of `split` (sampled with `seed`), and print the command line answering `cli_prompts` (default: the first three
    of those equations)."""
    ckpt = publish_checkpoint(cfg, name, repo_root() / record_dir / "checkpoints")
    model, tok, _ = load_model(ckpt)
    demo = held_out_demo(model, tok, cfg.op, cfg.modulus, cfg.train_frac, cfg.val_frac, cfg.split_seed, split=split,
                         seed=seed)
    if cfg.op == "/":
        demo["check: c·b mod p"] = division_check(demo, cfg.modulus)
    show_table(demo[columns], f"Greedy answers on held-out ({SPLIT_NAMES[split]}) equations")
    command, output = run_cli(rel(ckpt), cli_prompts or list(demo.prompt[:3]), repo_root())
    print(f"$ {command}\n{output}")

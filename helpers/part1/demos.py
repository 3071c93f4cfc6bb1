"""A published checkpoint answering held-out equations (sections 1.2 and 1.3): greedy answers in this process, then
the same checkpoint through the command-line tool, as a reader of a fresh clone would run it."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..common.io import rel, repo_root
from ..gpt.config import TrainConfig
from ..gpt.runs import load_model, publish_checkpoint
from ..report.display import show_paragraphs, show_table
from .prose import demo_answer
from .tables import held_out_demo, run_cli

SPLIT_NAMES = {"test": "test", "val": "validation"}


@dataclass
class CheckpointDemo:
    """A published checkpoint, its greedy answers on held-out equations, and the command line run on it."""
    ckpt: str  # relative to the project root
    split: str
    answers: pd.DataFrame  # tables.held_out_demo (with "check: c·b mod p" for division)
    command: str
    output: str


def division_check(demo: pd.DataFrame, p: int) -> list[int | None]:
    """Per answer of a division demo, c·b mod p (equal to a when c is right; None where the answer is no number)."""
    return [(int(c) * b) % p if c.isdigit() else None for c, b in zip(demo["model says"], demo.b)]


def checkpoint_demo(cfg: TrainConfig, name: str, record_dir: str, split: str, seed: int,
                    cli_prompts: list[str] | None = None) -> CheckpointDemo:
    """Publish the run's checkpoint as <record_dir>/checkpoints/<name>, take its greedy answers on eight equations
    of `split` (sampled with `seed`), and run the command line on `cli_prompts` (default: the first two of those
    equations)."""
    ckpt = publish_checkpoint(cfg, name, repo_root() / record_dir / "checkpoints")
    model, tok, _ = load_model(ckpt)
    answers = held_out_demo(model, tok, cfg.op, cfg.modulus, cfg.train_frac, cfg.val_frac, cfg.split_seed, split=split,
                            seed=seed)
    if cfg.op == "/":
        answers["check: c·b mod p"] = division_check(answers, cfg.modulus)
    command, output = run_cli(rel(ckpt), cli_prompts or list(answers.prompt[:2]), repo_root())
    return CheckpointDemo(rel(ckpt), SPLIT_NAMES[split], answers, command, output)


def show_demo_answer(demo: CheckpointDemo) -> None:
    """The paragraph: where the checkpoint is, how many held-out answers it gets right, and the command line."""
    show_paragraphs(demo_answer(demo.answers, demo.split, demo.ckpt, demo.command, demo.output))


def show_demo_table(demo: CheckpointDemo, columns: list[str]) -> None:
    """Every held-out answer (the lab book's table)."""
    show_table(demo.answers[columns], f"Greedy answers on held-out ({demo.split}) equations", {})

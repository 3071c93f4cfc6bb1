"""Section 1.1 (notebook 01_data): the modular-arithmetic data sets written to disk, their split counts, a few
rows, the checks that every result is right and every split a partition, and the division task as a grid.

`open_splits` writes the data files (the same bytes on every run: the splits are a pure function of the seed).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from ..common.io import rel, repo_root
from ..common.provenance import provenance
from ..gpt.data import equation_table, write_datasets
from ..report.display import show, show_paragraphs, show_table
from ..report.profiles import Params
from .plots import division_table
from .prose import data_answer
from .tables import example_rows, verify_tasks


@dataclass
class DataSplits:
    """The written data sets: counts per task and split, for the warm-up split and the grokking sections' one."""
    params: Params
    provenance: str
    data_dir: Path
    counts: pd.DataFrame  # every task, the warm-up split
    division: pd.DataFrame  # division mod 97, the split of sections 1.3-1.4
    checks: pd.DataFrame  # per task: every result right, the splits a partition (tables.verify_tasks)

    @property
    def checks_ok(self) -> bool:
        return bool(self.checks.drop(columns=["task", "p"]).all().all())


def open_splits(P: Params) -> DataSplits:
    """Show the header line and write every task's files (and division's with the grokking split)."""
    data_dir = repo_root() / P.record_dir / "data"
    prov = provenance(P.profile)
    show(f"**Produced by:** {prov} · split seed {P.split_seed}")
    counts = write_datasets(data_dir, P.ops, P.moduli, P.train_frac, P.val_frac, P.split_seed)
    division = write_datasets(data_dir / f"div_train{P.grokking_train_frac:g}", ["/"], [97], P.grokking_train_frac,
                              P.grokking_val_frac, P.split_seed)
    checks = verify_tasks(P.ops, P.moduli, P.train_frac, P.val_frac, P.split_seed)
    return DataSplits(params=P, provenance=prov, data_dir=data_dir, counts=counts, division=division, checks=checks)


def show_data_answer(D: DataSplits) -> None:
    """How many equations each split holds, and whether every result and split checked out."""
    show_paragraphs(data_answer(D.counts, D.division, D.checks_ok))


def show_split_counts(D: DataSplits) -> None:
    """Table 1: equations per task, modulus and split, for the warm-up's split and the grokking sections' one."""
    P = D.params

    def split(train: float, val: float) -> str:
        return f"{train:.0%} / {val:.0%} / {1 - train - val:.0%}"

    folder = rel(D.data_dir)
    warmup = D.counts.assign(split=split(P.train_frac, P.val_frac),
                             used=lambda t: t.task.map(lambda task: "—" if task == "a/b" else "1.2"))
    grokking = D.division.assign(split=split(P.grokking_train_frac, P.grokking_val_frac), used="1.3–1.4",
                                 file=lambda t: f"div_train{P.grokking_train_frac:g}/" + t.file)
    table = pd.concat([warmup, grokking])
    show_table(table[["task", "p", "split", "equations", "train", "val", "test", "used", "file"]]
               .rename(columns={"split": "train / val / test", "val": "validation", "used": "used in"}),
               f"**Table 1.** Equations per task, modulus and split (split seed {P.split_seed}); files under "
               f"`{folder}/`.", {})


def show_example_rows(D: DataSplits) -> None:
    """A few equations of each task, as the files hold them."""
    P = D.params
    show_table(example_rows(P.ops, P.moduli[0], P.train_frac, P.val_frac, P.split_seed))


def show_data_checks(D: DataSplits) -> None:
    """Every result verified and every split a partition, per task (lab book); the notebook stops if one is not."""
    show_table(D.checks)
    if not D.checks_ok:
        raise AssertionError("a data check failed")


def division_figure(D: DataSplits) -> plt.Figure:
    """Figure 1: the division task as a p × p grid, with its split."""
    P, p = D.params, D.params.moduli[0]
    return division_table(equation_table("/", p, P.grokking_train_frac, P.grokking_val_frac, P.split_seed), p,
                          f"Figure 1. The division task: every (a, b) cell is one equation. The split is uniform at "
                          f"random over cells (split seed {P.split_seed}); the model never sees the orange and grey "
                          f"cells in training. {D.provenance}.")

"""The life of a run folder, for every trainer in the project: reuse it when finished; else take its lock (a second
process on the same run waits, then finds it finished), look again, set aside what marks an incomplete run as
finished (saying why), and train or resume it."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .io import remove_stale_temps, run_lock
from .runtime import torch_threads

T = TypeVar("T")


def reuse_or_train(folder: Path, finished: Callable[[], T | None], incomplete: Callable[[], str | None],
                   train: Callable[[], T], threads: int, reuse: bool = True, force: bool = False) -> T:
    """finished(): the stored result, or None when the folder holds none. incomplete(): why a folder with a
    summary.json is not a finished run (None if it is). train(): train or resume, under the lock, with `threads`
    torch threads. reuse=False trains even past a finished run (a test stopping a run early); force=True moves the
    old folder aside first (move_aside)."""
    if reuse and not force and (done := finished()) is not None:
        return done
    with run_lock(folder), torch_threads(threads):
        if reuse and not force and (done := finished()) is not None:
            return done  # another process finished it while this one waited for the lock
        for stale in remove_stale_temps(folder):
            print(f"removed {stale.name}, left by a writer that was killed", flush=True)
        if force:
            move_aside(folder)
        elif (folder / "summary.json").exists() and (why := incomplete()) is not None:
            print(f"run {folder.name}: not reused, {why}; resuming it from its checkpoint or retraining it", flush=True)
            (folder / "summary.json").unlink()
        return train()


def move_aside(run_dir: Path) -> Path | None:
    """Move a run folder to <section>/.replaced/<time>-<pid>/<run_id> (what --force does before it starts), so an
    interrupted retrain can never leave the old summary beside new, partial metrics."""
    if not run_dir.exists():
        return None
    aside = run_dir.parent / ".replaced" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}" / run_dir.name
    aside.parent.mkdir(parents=True, exist_ok=True)
    os.replace(run_dir, aside)
    print(f"--force: moved the previous {run_dir.name} to {aside}", flush=True)
    return aside

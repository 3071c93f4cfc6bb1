"""When a run has reached its goal: the held-crossing rule (the one implementation of it: the trainer stops by it
and helpers.part1.milestones reports t_train and t_val by it) and the early-stop decision."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .config import TrainConfig


def held_crossing(steps: Sequence[float], passed: Sequence[bool], hold: float, open_end: bool = False) -> float | None:
    """The first evaluated step t with `passed` at every evaluation in [t, t + hold] (steps in increasing order), or
    None. A window the evaluations do not reach past yet counts only with `open_end` (a finished run whose last
    evaluation falls inside it); without, the crossing is not known until an evaluation at or after t + hold.
    A streak that breaks within its window disqualifies every step in it, so only streak starts need checking."""
    start = None
    for step, ok in zip(steps, passed):
        if ok:
            if start is None:
                start = step
            if step - start >= hold:
                return start
        else:
            if start is not None and step > start + hold:  # every evaluation inside the window passed
                return start
            start = None
    return start if open_end else None


def passes(row: dict[str, Any], cfg: TrainConfig) -> bool:
    """Whether a metrics row meets the config's early-stop threshold."""
    if cfg.early_stop_on == "val_acc":
        return row["val_acc"] >= cfg.early_stop_threshold
    if cfg.early_stop_on == "train_loss":
        return row["train_loss"] <= cfg.early_stop_threshold
    return False


def early_stop_due(metrics: list[dict[str, Any]], cfg: TrainConfig) -> bool:
    """Whether the run stops now (after its last logged evaluation), by the config's early-stop rule: the last
    `early_stop_patience` evaluations passed, or, with early_stop_hold > 0, the last step is at least
    `early_stop_horizon` steps past the held crossing (later dips do not reset it)."""
    if cfg.early_stop_on == "none" or not metrics:
        return False
    if cfg.early_stop_hold:
        crossing = held_crossing([r["step"] for r in metrics], [passes(r, cfg) for r in metrics], cfg.early_stop_hold)
        return crossing is not None and metrics[-1]["step"] >= crossing + cfg.early_stop_horizon
    return metrics[-1]["early_stop_count"] >= cfg.early_stop_patience

"""Part 1's sentences over its results: the recipe line under each figure, and the paragraphs the notebooks print."""
from __future__ import annotations

from ..gpt.config import TrainConfig


def recipe(cfg: TrainConfig) -> str:
    """One sentence naming the training recipe of a config (optimiser, data, budget, early stop)."""
    optimiser = {"adamw": "AdamW", "adam": "Adam"}[cfg.optimizer]
    text = (f"{optimiser} (lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, β=({cfg.beta1:g}, {cfg.beta2:g}), "
            f"{cfg.warmup_steps} warm-up steps), batch {cfg.batch_size}, {cfg.n_layer}-layer d_model {cfg.d_model}, "
            f"{cfg.train_frac:.0%} of the equations for training, budget {cfg.max_steps:,} steps")
    if cfg.early_stop_on == "val_acc" and cfg.early_stop_hold:
        text += (f", stopped {cfg.early_stop_horizon:,} steps after validation accuracy first held ≥ "
                 f"{cfg.early_stop_threshold:g} for {cfg.early_stop_hold} steps (t_val)")
    elif cfg.early_stop_on == "val_acc":
        text += (f", stopped after {cfg.early_stop_patience} consecutive evaluations with val acc ≥ "
                 f"{cfg.early_stop_threshold:g}")
    return text

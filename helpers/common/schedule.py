"""The learning-rate schedule every trainer in the project uses: linear warm-up, then constant or cosine decay."""
from __future__ import annotations

import math


def warmup_cosine(step: int, peak: float, warmup_steps: int, total_steps: int, min_frac: float,
                  decay: bool = True) -> float:
    """The learning rate at optimiser step `step` (from 0): `peak` · (step + 1) / warmup_steps during warm-up; then
    `peak`, or with decay a cosine from `peak` down to min_frac · peak at total_steps."""
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    if not decay:
        return peak
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    # this order of operations is the one the stored reasoner was trained with: a result reproduces bit for bit
    return peak * (min_frac + (1 - min_frac) * 0.5 * (1 + math.cos(math.pi * progress)))

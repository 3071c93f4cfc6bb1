"""XTC ("Exclude Top Choices") sampling, for both engine backends.

The algorithm of oobabooga/text-generation-webui PR #6335: with probability `probability` at each step,
remove every token whose probability is at least `threshold` EXCEPT the least probable of them, so the
model must take a less obvious (but still likely) continuation; nothing happens when fewer than two tokens
pass the threshold, or when the removal would hit a protected token (newline, EOS) — cutting those would
make the text run on. Its aim is more varied samples, which is what voting over parallel samples needs.

Set it per request through the sampling settings: `Sampling(..., extra={"xtc": {"threshold": 0.1,
"probability": 0.5}})`; the engines add their own protected token ids. Both backends apply it to the
model's logits before temperature (vLLM runs custom logits processors first; the HF backend passes it as a
logits processor), so the threshold is on untempered probabilities — oobabooga applies temperature first.
The per-step coin is seeded by the request's seed and step, so a run is reproducible.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import torch

from ..common.checks import known_keys

KEY = "xtc"


def coin(seed: int, step: int) -> float:
    """A uniform number in [0, 1), the same for the same (seed, step)."""
    return random.Random(seed * 1_000_003 + step).random()


def removed_tokens(logits: torch.Tensor, threshold: float, protected: Sequence[int]) -> torch.Tensor | None:
    """Token ids XTC removes from one row of logits, or None when it leaves the row alone."""
    probs = torch.softmax(logits.float(), dim=-1)
    above = torch.nonzero(probs >= threshold).flatten()
    if above.numel() < 2:
        return None
    ranked = above[torch.argsort(probs[above], descending=True)]
    remove = ranked[:-1]  # keep the least probable token above the threshold
    if protected and torch.isin(remove, torch.tensor(list(protected), device=remove.device)).any():
        return None
    return remove


def apply(logits: torch.Tensor, threshold: float, probability: float, seed: int, step: int,
          protected: Sequence[int] = ()) -> torch.Tensor:
    """One row of logits after XTC at this step (a new tensor when tokens are removed)."""
    if probability <= 0 or coin(seed, step) >= probability:
        return logits
    remove = removed_tokens(logits, threshold, protected)
    if remove is None:
        return logits
    out = logits.clone()
    out[remove] = float("-inf")
    return out


def check(args: dict[str, Any]) -> tuple[float, float]:
    known_keys("xtc", args, ("threshold", "probability", "protected"))
    threshold, probability = float(args.get("threshold", 0.1)), float(args.get("probability", 0.5))
    if not 0 < threshold <= 1 or not 0 <= probability <= 1:
        raise ValueError(f"xtc: threshold must be in (0, 1] and probability in [0, 1]; got {threshold}, {probability}")
    return threshold, probability


class HFProcessor:
    """transformers logits processor: rows are requests (seed + row), the step counts generated tokens."""

    def __init__(self, args: dict[str, Any], seeds: Sequence[int], prompt_width: int, protected: Sequence[int]):
        self.threshold, self.probability = check(args)
        self.seeds, self.width, self.protected = list(seeds), prompt_width, tuple(protected)

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        step = input_ids.shape[1] - self.width
        for row, seed in enumerate(self.seeds):
            scores[row] = apply(scores[row], self.threshold, self.probability, seed, step, self.protected)
        return scores


def vllm_processor() -> type:
    """The vLLM (V1) logits-processor class, built on demand so this module imports without vLLM. It acts
    only on requests whose SamplingParams.extra_args carry an "xtc" entry."""
    from vllm.v1.sample.logits_processor import AdapterLogitsProcessor

    class VLLMXTC(AdapterLogitsProcessor):
        def is_argmax_invariant(self) -> bool:
            return False

        def new_req_logits_processor(self, params):
            args = (params.extra_args or {}).get(KEY)
            if not args:
                return None
            threshold, probability = check(args)
            seed, protected = params.seed or 0, tuple(args.get("protected", ()))

            def process(output_ids: list[int], logits: torch.Tensor) -> torch.Tensor:
                return apply(logits, threshold, probability, seed, len(output_ids), protected)

            return process

    return VLLMXTC

"""A test-time-scaling setting: one intervention (Stop, Wait, or no thinking) at some thinking budgets, with some
seeds, sampling, prompt and answer length; what identifies its samples; what it costs at most.

    spec = Setting(name="seq_stop", mode="stop", budgets=(64, 128, 256), seeds=(0, 1, 2), sampling=Sampling(0.6, 0.95, 20))
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from ..common.checks import from_dict, known_keys
from ..common.ids import short_hash
from .engines import Sampling
from .prompting import PromptConfig


@dataclass(frozen=True)
class Setting:
    name: str  # the experiment's name in the trace store
    mode: str  # "stop", "wait", or "none" (thinking off: answer directly)
    budgets: tuple[int, ...]  # thinking budgets (ignored for mode "none")
    seeds: tuple[int, ...]  # one sample per (problem, seed): repeats, or the m samples of parallel scaling
    sampling: Sampling = field(default_factory=Sampling)
    prompt: PromptConfig = field(default_factory=PromptConfig)
    max_answer_tokens: int = 256

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> "Setting":
        """From parameter-file values: sampling and prompt are dicts; budgets and seeds lists."""
        spec = dict(spec)
        where = f"setting {spec.get('name', '?')!r}"
        known_keys(where, spec, cls)
        for key, kind in (("sampling", Sampling), ("prompt", PromptConfig)):
            if isinstance(spec.get(key), dict):
                spec[key] = from_dict(kind, spec[key], f"{where}: {key}")
        spec["budgets"] = tuple(int(b) for b in spec.get("budgets") or ())
        spec["seeds"] = tuple(int(s) for s in spec.get("seeds") or ())
        return cls(**spec)

    def __post_init__(self) -> None:
        if self.mode not in ("stop", "wait", "none"):
            raise ValueError(f"Setting {self.name!r}: mode {self.mode!r} is unknown; allowed: stop, wait, none")
        if self.mode != "none" and (not self.budgets or min(self.budgets) < 1):
            raise ValueError(f"Setting {self.name!r}: budgets must be a non-empty list of positive token counts")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"Setting {self.name!r}: seeds must be a non-empty list of distinct integers, "
                             f"got {list(self.seeds)}")
        if isinstance(self.max_answer_tokens, bool) or not isinstance(self.max_answer_tokens, int) \
                or self.max_answer_tokens < 1:
            raise ValueError(f"Setting {self.name!r}: max_answer_tokens must be an integer >= 1, "
                             f"got {self.max_answer_tokens!r}")
        if (self.mode == "none") == self.prompt.thinking:
            raise ValueError(f"Setting {self.name!r}: mode 'none' goes with prompt.thinking=False and only with it")


def budgets_of(s: Setting) -> tuple[int, ...]:
    return (0,) if s.mode == "none" else tuple(sorted(set(s.budgets)))


def sampling_fields(setting: Setting) -> dict[str, Any]:
    """The sampling parameters as a trace record stores them (sampling_temperature, ...; backend extras aside)."""
    return {f"sampling_{k}": v for k, v in asdict(setting.sampling).items() if k != "extra"}


def setting_fingerprint(setting: Setting) -> str:
    """A short hash of what shapes a setting's samples beyond the store key: sampling (with backend extras),
    prompt and answer length."""
    return short_hash({"sampling": asdict(setting.sampling), "prompt": asdict(setting.prompt),
                       "max_answer_tokens": setting.max_answer_tokens}, length=12)


def plan(problems: int, settings: Sequence[Setting]) -> pd.DataFrame:
    """Upper bounds on generated tokens per setting (dry run: no model needed). The shared-prefix sweep
    generates the longest budget's thinking once per (problem, seed) and one answer phase per budget."""
    rows = []
    for s in settings:
        pairs = problems * len(s.seeds)
        thinking = 0 if s.mode == "none" else max(s.budgets)
        answers = len(budgets_of(s)) * s.max_answer_tokens
        naive = sum(budgets_of(s)) + answers
        rows.append({"setting": s.name, "mode": s.mode, "budgets": list(budgets_of(s)), "samples": pairs,
                     "requests (problem × seed × budget)": pairs * len(budgets_of(s)),
                     "max thinking tokens": pairs * thinking, "max answer tokens": pairs * answers,
                     "max tokens (shared-prefix sweep)": pairs * (thinking + answers),
                     "max tokens (each budget run alone)": pairs * naive})
    return pd.DataFrame(rows)

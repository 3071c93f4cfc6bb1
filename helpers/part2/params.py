"""The Part 2 parameters (params/defaults/part2.yaml) as one typed record, and the experiments of 2.1-2.4 built
from it; a dry-run planner.

The four Part 2 notebooks read the same parameters, so 07 and 08 find the samples 06 generated: the same
parameters give the same settings, hence the same run folders. A notebook run on its own generates whatever
is missing.

    python -m helpers.part2.plan --profile full --gpu T4     # planned requests, tokens, GPU memory and hours
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..common.checks import coerce_numbers, from_dict, int_list, known_keys, mapping, positive_int
from ..common.io import rel
from ..reasoner.task import held_out_problems, index
from ..reasoner.train import ReasonerRun, ReasonerTrainConfig, train_reasoner
from ..tts.engines import Sampling
from ..tts.prompting import PromptConfig
from ..tts.setting import Setting, plan
from ..tts.study import Study

STRATEGY_KEYS = ("label", "description", "sampling", "budget", "mode", "samples")


@dataclass(frozen=True)
class Part2Params:
    study: dict[str, Any]  # model, backend, problems {source, limit, ...}, engine {...} (see Study.from_params)
    sampling: dict[str, Any]  # Sampling fields of every sampled setting
    max_answer_tokens: int  # answer phase after thinking
    greedy_budget: int  # 2.1: greedy thinking is capped here (Stop)
    no_thinking_max_tokens: int  # 2.1: the whole answer with thinking off
    seq_modes: list[str]  # 2.2 sequential interventions: stop, wait
    seq_budgets: list[int]
    seq_seeds: list[int]  # repeated runs: the vertical error bars
    par_budget: int  # 2.2 parallel: thinking tokens per sample
    par_seeds: list[int]  # the pool: m = 1..len(par_seeds) samples per problem
    report_totals: list[int]  # 2.4: the total thinking budgets compared (multiples of par_budget)
    strategies: dict[str, dict[str, Any]]  # 2.4: name -> {label, description, sampling, budget, mode, samples}
    n_boot: int  # bootstrap replicates
    prompt: dict[str, Any] = field(default_factory=dict)  # PromptConfig fields (instruction, system, tags, ...)
    reasoner: dict[str, Any] = field(default_factory=dict)  # training config of builtin:reasoner (helpers.reasoner.train)
    exchange: dict[str, Any] = field(default_factory=dict)  # Part 3 grid over the reasoner's checkpoints

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Part2Params":
        """From a notebook's resolved parameters (profile and out_dir are ignored); every error names the key."""
        given = {k: v for k, v in values.items() if k not in ("profile", "out_dir", "record_dir")}
        known_keys("Part 2 parameters", given, cls)
        required = {f.name for f in fields(cls) if f.name not in ("prompt", "reasoner", "exchange")}
        missing = sorted(required - set(given))
        if missing:
            raise ValueError(f"Part 2 parameters lack {missing}; params/defaults/part2.yaml documents every key")
        if isinstance(given.get("sampling"), dict):  # `temperature: 6e-1` is a string to YAML 1.1
            given["sampling"] = coerce_numbers(Sampling, given["sampling"])
        if isinstance(given.get("strategies"), dict):
            given["strategies"] = {name: spec | {"sampling": coerce_numbers(Sampling, spec["sampling"])}
                                   if isinstance(spec, dict) and isinstance(spec.get("sampling"), dict) else spec
                                   for name, spec in given["strategies"].items()}
        params = cls(**given)
        params.check()
        return params

    def check(self) -> None:
        """Every impossible value fails here, naming the key, before any model is loaded or sample written."""
        for key in ("max_answer_tokens", "greedy_budget", "no_thinking_max_tokens", "par_budget", "n_boot"):
            positive_int(key, getattr(self, key))
        for key in ("seq_budgets", "seq_seeds", "par_seeds", "report_totals"):
            int_list(key, getattr(self, key), minimum=0 if key.endswith("seeds") else 1)
        if not self.seq_modes or any(m not in ("stop", "wait") for m in self.seq_modes):
            raise ValueError(f"seq_modes: {self.seq_modes!r} not allowed; allowed: a non-empty list of 'stop', 'wait'")
        for total in self.report_totals:
            if total % self.par_budget or total // self.par_budget > len(self.par_seeds):
                raise ValueError(f"report_totals: {total} must be m × par_budget ({self.par_budget}) with m at most "
                                 f"the pool size len(par_seeds) = {len(self.par_seeds)}")
        from_dict(Sampling, self.sampling, "sampling")
        from_dict(PromptConfig, self.prompt, "prompt")
        mapping("strategies", self.strategies)
        for name, spec in self.strategies.items():
            mapping(f"strategies.{name}", spec)
            known_keys(f"strategies.{name}", spec, STRATEGY_KEYS)
            if "budget" in spec:
                positive_int(f"strategies.{name}.budget", spec["budget"])
            if "samples" in spec:
                positive_int(f"strategies.{name}.samples", spec["samples"])
                if spec["samples"] > len(self.par_seeds):
                    raise ValueError(f"strategies.{name}.samples: {spec['samples']} not allowed; allowed: 1.."
                                     f"{len(self.par_seeds)} (the pool, len(par_seeds))")
            if spec.get("mode", "stop") not in ("stop", "wait"):
                raise ValueError(f"strategies.{name}.mode: {spec['mode']!r} not allowed; allowed: 'stop', 'wait'")
            from_dict(Sampling, {**self.sampling, **(spec.get("sampling") or {})}, f"strategies.{name}.sampling")
        if self.exchange:
            check_exchange(self.exchange)

    def prompt_config(self, thinking: bool = True) -> PromptConfig:
        return PromptConfig(**(self.prompt | {"thinking": thinking}))


EXCHANGE_KEYS = ("budgets", "pool", "per_sample_budget", "max_answer_tokens", "engine")


def check_exchange(spec: dict[str, Any]) -> None:
    """Part 3's grid (`exchange`), checked with the rest of the parameters, before anything is loaded or written."""
    mapping("exchange", spec)
    known_keys("exchange", spec, EXCHANGE_KEYS)
    missing = sorted(set(EXCHANGE_KEYS) - set(spec))
    if missing:
        raise ValueError(f"exchange: missing key(s) {missing}; required: {', '.join(EXCHANGE_KEYS)}")
    int_list("exchange.budgets", spec["budgets"], minimum=1)
    int_list("exchange.pool", spec["pool"], minimum=0)
    positive_int("exchange.per_sample_budget", spec["per_sample_budget"])
    positive_int("exchange.max_answer_tokens", spec["max_answer_tokens"])
    if spec["engine"] is not None:
        mapping("exchange.engine", spec["engine"])


REASONER = "builtin:reasoner"  # the project's own reasoning model (helpers.reasoner), trained on first use
CHAINS = "builtin:chains"  # its held-out problems


def open_study(values: dict[str, Any], section: str) -> tuple[Part2Params, Study]:
    """The typed parameters and the Study writing under <out_dir>/<section>/, from a notebook's resolved
    parameters (helpers.report.profiles.load_params("part2", ...), which add out_dir). With model builtin:reasoner the
    reasoner is trained first (or its stored run reused) and its final checkpoint is the model."""
    params = Part2Params.from_dict(values)
    study, problems, source = dict(params.study), None, None
    checkpoint = study.pop("checkpoint", "final")
    if study.get("model") == REASONER or (study.get("problems") or {}).get("source") == CHAINS:
        run = reasoner_run(params, values["out_dir"])
        if study.get("model") == REASONER:
            study["model"] = rel(pick_checkpoint(run, checkpoint))
        if (study.get("problems") or {}).get("source") == CHAINS:
            problems, source = reasoner_problems(params), CHAINS
    return params, Study.from_params(study, section=section, out_dir=values["out_dir"], problems=problems,
                                     problem_source=source)


def pick_checkpoint(run: ReasonerRun, checkpoint: str | int) -> Path:
    """The folder of checkpoint `checkpoint` (a training step, or "final") of a reasoner run."""
    steps = [c["step"] for c in run.checkpoints]
    if checkpoint == "final":
        return run.final
    if checkpoint not in steps:
        raise ValueError(f"study.checkpoint {checkpoint!r} is not a checkpoint of this reasoner run; allowed: "
                         f"'final' or one of {steps}")
    return run.checkpoints[steps.index(checkpoint)]["folder"]


def reasoner_config(params: Part2Params) -> ReasonerTrainConfig:
    if not params.reasoner:
        raise ValueError("study.model builtin:reasoner (or problems builtin:chains) needs the `reasoner` parameters")
    return ReasonerTrainConfig.from_dict(params.reasoner)


def reasoner_run(params: Part2Params, out_dir: str) -> ReasonerRun:
    """The trained reasoner (reused when its run folder is finished, else trained now: minutes on a CPU)."""
    return train_reasoner(reasoner_config(params), out_dir)


def reasoner_problems(params: Part2Params) -> list:
    """The reasoner's held-out problems, `held_out_per_k` per difficulty (never seen in training)."""
    cfg = reasoner_config(params)
    spec = dict(params.study.get("problems") or {})
    unknown = sorted(set(spec) - {"source", "per_k"})
    if unknown:
        raise ValueError(f"problems: {CHAINS} takes only 'per_k' (at most reasoner.held_out_per_k = "
                         f"{cfg.held_out_per_k}); got {unknown}")
    per_k = min(spec.get("per_k") or cfg.held_out_per_k, cfg.held_out_per_k)
    return [p for p in held_out_problems(cfg.task, cfg.held_out_per_k, cfg.held_out_seed) if index(p.id) < per_k]


def warmup_settings(p: Part2Params) -> dict[str, Setting]:
    """2.1: greedy with thinking (capped at greedy_budget, Stop) and without thinking."""
    greedy = Sampling()
    return {"thinking": Setting("greedy_thinking", "stop", (p.greedy_budget,), (0,), greedy, p.prompt_config(),
                                max_answer_tokens=p.max_answer_tokens),
            "no_thinking": Setting("greedy_no_thinking", "none", (), (0,), greedy, p.prompt_config(thinking=False),
                                   max_answer_tokens=p.no_thinking_max_tokens)}


def sequential_settings(p: Part2Params) -> dict[str, Setting]:
    """2.2 sequential: one setting per intervention, every budget derived from the longest."""
    return {mode: Setting(f"sequential_{mode}", mode, tuple(p.seq_budgets), tuple(p.seq_seeds), Sampling(**p.sampling),
                          p.prompt_config(), max_answer_tokens=p.max_answer_tokens)
            for mode in p.seq_modes}


def parallel_setting(p: Part2Params) -> Setting:
    """2.2 parallel: a pool of len(par_seeds) samples per problem at par_budget thinking tokens (Stop)."""
    return Setting("parallel", "stop", (p.par_budget,), tuple(p.par_seeds), Sampling(**p.sampling), p.prompt_config(),
                   max_answer_tokens=p.max_answer_tokens)


@dataclass(frozen=True)
class Strategy:
    name: str
    label: str
    description: str
    setting: Setting
    changes: str  # what differs from the parallel baseline, read off the two settings


def strategy_settings(p: Part2Params) -> dict[str, Strategy]:
    """2.4: each strategy changes the parallel baseline: sampling overrides, the per-sample budget, the
    intervention, the number of samples."""
    base = parallel_setting(p)
    out = {}
    for name, spec in p.strategies.items():
        sampling = Sampling(**(p.sampling | spec.get("sampling", {})))
        seeds = tuple(p.par_seeds[: spec["samples"]]) if "samples" in spec else base.seeds
        setting = replace(base, name=f"strategy_{name}", mode=spec.get("mode", "stop"),
                          budgets=(spec.get("budget", p.par_budget),), seeds=seeds, sampling=sampling)
        out[name] = Strategy(name, spec.get("label", name), spec.get("description", ""), setting,
                             describe_changes(setting, base))
    return out


def describe_changes(setting: Setting, baseline: Setting) -> str:
    """What a setting changes against the baseline, field by field (the sampling's `extra`, e.g. XTC, included)."""
    changes = []
    mine, theirs = asdict(setting.sampling), asdict(baseline.sampling)
    for key in mine:
        if mine[key] != theirs[key]:
            changes.append(f"{key} {theirs[key]} → {mine[key]}" if key != "extra" else
                           f"sampling extras {mine[key] or 'none'} (baseline {theirs[key] or 'none'})")
    if setting.budgets != baseline.budgets:
        changes.append(f"{setting.budgets[0]:,} thinking tokens per sample (baseline {baseline.budgets[0]:,})")
    if setting.mode != baseline.mode:
        changes.append(f"{setting.mode.capitalize()} instead of {baseline.mode.capitalize()}")
    if setting.seeds != baseline.seeds:
        changes.append(f"up to {len(setting.seeds)} samples per problem (baseline {len(baseline.seeds)})")
    return "; ".join(changes) or "nothing: this strategy equals the baseline"


def all_settings(p: Part2Params) -> list[Setting]:
    return [*warmup_settings(p).values(), *sequential_settings(p).values(), parallel_setting(p),
            *(s.setting for s in strategy_settings(p).values())]


def token_plan(p: Part2Params, problems: int) -> pd.DataFrame:
    """Upper bounds on the tokens every Part 2 experiment generates (see helpers.tts.setting.plan)."""
    return plan(problems, all_settings(p))


def planned_problems(p: Part2Params) -> int:
    """How many problems the plan assumes: the reasoner's held-out chains, the problem set's limit, or AIME 2024's 30."""
    if (p.study.get("problems") or {}).get("source") == CHAINS:
        return len(reasoner_problems(p))
    return (p.study.get("problems") or {}).get("limit") or 30

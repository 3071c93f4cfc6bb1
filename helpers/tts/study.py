"""Test-time-scaling experiments: run, grade and store samples; read them back as tidy tables; plan token costs.

    spec = Setting(name="seq_stop", mode="stop", budgets=[64, 128, 256], seeds=[0, 1, 2], sampling=Sampling(0.6, 0.95, 20))
    df = run_setting(engine, tokenizer, problems, spec, store, model="builtin:smollm2-135m-instruct")

Each sample is one line in the TraceStore (keyed by experiment, problem, mode, budget, seed); a re-run
generates only the (problem, seed) pairs with a missing budget, so an interrupted run resumes.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from .budget import Sample, Thinking, answer, sweep, truncate
from .engines import Engine, Request, Sampling
from .grading import grade
from .problems import Problem
from ..common import bars_disabled, repo_root, write_atomic
from .prompting import PromptConfig, encode, prompt_ids, thinking_format
from .traces import TraceStore


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
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"setting {spec.get('name', '?')!r}: unknown field(s) {sorted(unknown)}; "
                             f"allowed: {sorted(known)}")
        for key, kind in (("sampling", Sampling), ("prompt", PromptConfig)):
            value = spec.get(key)
            if isinstance(value, dict):
                fields = set(kind.__dataclass_fields__)
                if set(value) - fields:
                    raise ValueError(f"setting {spec.get('name', '?')!r}: {key} has unknown field(s) "
                                     f"{sorted(set(value) - fields)}; allowed: {sorted(fields)}")
                spec[key] = kind(**value)
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


def _budgets(s: Setting) -> tuple[int, ...]:
    return (0,) if s.mode == "none" else tuple(sorted(set(s.budgets)))


def word_level(tokenizer: Any) -> bool:
    """Whether the tokenizer is a word-level vocabulary over a fixed split (the project's reasoner): then a
    re-encoding of a decoded text with as many tokens as the original is the original (see stored_thinking)."""
    model = getattr(getattr(tokenizer, "backend_tokenizer", None), "model", None)
    return type(model).__name__ == "WordLevel"


def stored_thinking(record: dict[str, Any], tokenizer: Any, fmt: Any) -> Thinking | None:
    """A stored sample's thinking block as token ids, or None where they cannot be recovered exactly.

    Records keep the ids (`thinking_ids`, `wait_starts`). Older records hold only the text; it is re-encoded
    where that provably gives the ids back: with a word-level tokenizer the text splits into maximal runs, the
    model's tokens can only split those runs further, so a re-encoding with the same number of tokens that
    decodes to the same text is the same sequence; the injected Waits are the occurrences of the Wait tokens
    when there are exactly as many as the record counts. Anything else (a BPE tokenizer) gives None."""
    if "thinking_ids" in record:
        ids, starts = list(record["thinking_ids"]), list(record["wait_starts"])
    elif word_level(tokenizer):
        ids = encode(tokenizer, record["thinking_text"])
        if len(ids) != record["thinking_tokens"] or tokenizer.decode(ids) != record["thinking_text"]:
            return None
        w = len(fmt.wait)
        starts = [i for i in range(len(ids) - w + 1) if tuple(ids[i:i + w]) == tuple(fmt.wait)]
        if len(starts) != record["waits"]:
            return None
    else:
        return None
    return Thinking(ids, record["waits"], starts, cut=record["thinking_cut"], rounds=-1, done=True)


def thinking_sources(records: Iterable[dict[str, Any]], setting: Setting) -> dict[tuple[str, int], dict[str, Any]]:
    """Per (problem, seed), the stored sample of this setting's mode with the largest budget: the thinking every
    smaller budget is a prefix of (helpers.tts.budget)."""
    best: dict[tuple[str, int], dict[str, Any]] = {}
    for r in records:
        key = (r["problem_id"], r["seed"])
        if r["mode"] == setting.mode != "none" and (key not in best or r["budget"] > best[key]["budget"]):
            best[key] = r
    return best


def derive_budgets(engine: Engine, tokenizer: Any, pairs: list[tuple[Problem, int, list[int], Thinking]],
                   setting: Setting, fmt: Any, model: str) -> list[dict[str, Any]]:
    """Records for budgets at or below a stored sample's: the thinking is the stored one's prefix
    (budget.truncate, as `sweep` derives its smaller budgets), only the answer phase is generated."""
    prompts, seeds, thoughts, rows = [], [], [], []
    for problem, seed, wanted, longest in pairs:
        prompt = prompt_ids(tokenizer, problem.problem, setting.prompt)
        for b in wanted:
            prompts.append(prompt)
            seeds.append(seed)
            thoughts.append(truncate(longest, b))
            rows.append((problem, seed, b))
    began = time.perf_counter()
    answers = answer(engine, prompts, seeds, thoughts, fmt, setting.sampling, setting.max_answer_tokens)
    seconds = (time.perf_counter() - began) / max(1, len(rows))
    return [_record(setting, problem, Sample(b, setting.mode, seed, t, ids, fin), tokenizer, fmt.eos, model, engine.name,
                    seconds) for (problem, seed, b), t, (ids, fin) in zip(rows, thoughts, answers)]


def run_setting(engine: Engine, tokenizer: Any, problems: Sequence[Problem], setting: Setting, store: TraceStore,
                model: str, chunk: int = 16, progress: bool = True,
                sources: dict[tuple[str, int], dict[str, Any]] | None = None) -> pd.DataFrame:
    """Generate what the store lacks for this setting, in chunks of `chunk` (problem, seed) pairs, then return
    every sample of the setting as a tidy table (one row per problem × seed × budget).

    A missing budget at or below the largest stored one for its (problem, seed) — in this store or in
    `sources` (stored runs of the same setting) — is derived from that sample's thinking: only its answer
    is generated."""
    fmt = thinking_format(tokenizer, setting.prompt)
    budgets = _budgets(setting)
    check_store_matches(store, setting, problems, model)
    pending = _pending(problems, setting, store)
    longest = thinking_sources([*(sources or {}).values(), *store.select(experiment=setting.name)], setting)
    derivable = []
    for problem, seed in pending:
        wanted = [b for b in budgets if (setting.name, problem.id, setting.mode, b, seed) not in store]
        source = longest.get((problem.id, seed))
        thinking = (stored_thinking(source, tokenizer, fmt)
                    if source is not None and max(wanted) <= source["budget"] else None)
        if thinking is not None:
            derivable.append((problem, seed, wanted, thinking))
    if derivable:
        store.append(derive_budgets(engine, tokenizer, derivable, setting, fmt, model))
        print(f"{setting.name}: {sum(len(w) for _, _, w, _ in derivable)} sample(s) derived from stored thinking "
              "(answers generated, thinking reused)", flush=True)
        pending = _pending(problems, setting, store)
    bar = tqdm(total=len(problems) * len(setting.seeds), initial=len(problems) * len(setting.seeds) - len(pending),
               desc=setting.name, disable=not progress or bars_disabled())
    for start in range(0, len(pending), chunk):
        part = pending[start:start + chunk]
        prompts = [prompt_ids(tokenizer, p.problem, setting.prompt) for p, _ in part]
        seeds = [seed for _, seed in part]
        began = time.perf_counter()
        if setting.mode == "none":
            outs = engine.continue_batch([Request(tuple(ids), setting.max_answer_tokens, seed)
                                          for ids, seed in zip(prompts, seeds)], (fmt.eos,), setting.sampling)
            by_budget = {0: [Sample(0, "none", seed, _no_thinking(), o.token_ids, o.finish) for seed, o in zip(seeds, outs)]}
        else:
            by_budget = sweep(engine, prompts, seeds, budgets, setting.mode, fmt, setting.sampling,
                              setting.max_answer_tokens)
        seconds = (time.perf_counter() - began) / len(part)
        records = []
        for b, samples in by_budget.items():
            for (problem, seed), sample in zip(part, samples):
                records.append(_record(setting, problem, sample, tokenizer, fmt.eos, model, engine.name, seconds))
        store.append(records)
        bar.update(len(part))
    bar.close()
    return _select(store, setting, problems)


def sampling_fields(setting: Setting) -> dict[str, Any]:
    """The sampling parameters as a trace record stores them (sampling_temperature, ...; backend extras aside)."""
    return {f"sampling_{k}": v for k, v in asdict(setting.sampling).items() if k != "extra"}


def setting_fingerprint(setting: Setting) -> str:
    """A short hash of what shapes a setting's samples beyond the store key: sampling (with backend extras),
    prompt and answer length."""
    blob = json.dumps({"sampling": asdict(setting.sampling), "prompt": asdict(setting.prompt),
                       "max_answer_tokens": setting.max_answer_tokens}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def check_store_matches(store: TraceStore, setting: Setting, problems: Sequence[Problem], model: str) -> None:
    """Refuse a trace file whose samples of this experiment were made otherwise (another model, sampling,
    prompt, answer length or gold): the store keys samples by experiment/problem/mode/budget/seed only, so
    they would be returned as if they were this setting's."""
    expected = {"model": model, "thinking_on": setting.prompt.thinking,
                **sampling_fields(setting)}
    golds = {p.id: p.answer for p in problems}
    fingerprint = setting_fingerprint(setting)  # last: the named fields above make the clearer message
    for record in store.select(experiment=setting.name, mode=setting.mode):
        wanted = dict(expected, gold=golds.get(record["problem_id"], record.get("gold")), setting=fingerprint)
        for key, value in wanted.items():
            if key in record and record[key] != value:  # records written before a field existed lack it
                raise ValueError(f"{store.path}: experiment {setting.name!r} holds samples made with "
                                 f"{key}={record[key]!r} (problem {record['problem_id']!r}); this run has "
                                 f"{key}={value!r}. Samples are reused only when everything that made them is the "
                                 "same: use another experiment name or trace file")


def _pending(problems: Sequence[Problem], setting: Setting, store: TraceStore) -> list[tuple[Problem, int]]:
    budgets = _budgets(setting)
    return [(p, seed) for p in problems for seed in setting.seeds
            if any((setting.name, p.id, setting.mode, b, seed) not in store for b in budgets)]


def _select(store: TraceStore, setting: Setting, problems: Sequence[Problem]) -> pd.DataFrame:
    budgets, ids = _budgets(setting), {p.id for p in problems}
    rows = [r for r in store.select(experiment=setting.name, mode=setting.mode)
            if r["seed"] in setting.seeds and r["budget"] in budgets and r["problem_id"] in ids]
    return pd.DataFrame(rows)


def _no_thinking():
    from .budget import Thinking
    return Thinking(done=True)


def _record(setting: Setting, problem: Problem, sample: Sample, tokenizer: Any, eos: int, model: str, backend: str,
            seconds: float) -> dict[str, Any]:
    answer_ids = [t for t in sample.answer_ids if t != eos]
    thinking_text = tokenizer.decode(sample.thinking.tokens)
    answer_text = tokenizer.decode(answer_ids)
    g = grade(answer_text, problem.answer)
    return {
        "experiment": setting.name, "problem_id": problem.id, "mode": setting.mode, "budget": sample.budget,
        "seed": sample.seed, "model": model, "backend": backend, "thinking_on": setting.prompt.thinking,
        **sampling_fields(setting),
        "gold": problem.answer, "thinking_tokens": sample.thinking_tokens, "answer_tokens": len(answer_ids),
        "waits": sample.thinking.waits, "thinking_cut": sample.thinking.cut, "answer_finished": sample.answer_finish == "stop",
        "thinking_text": thinking_text, "answer_text": answer_text, **g.to_dict(), "seconds_per_sample": round(seconds, 3),
        "setting": setting_fingerprint(setting),
        # the ids, so a later sweep can derive smaller budgets from this thinking exactly (stored_thinking)
        "thinking_ids": list(sample.thinking.tokens), "wait_starts": list(sample.thinking.wait_starts),
    }


def plan(problems: int, settings: Sequence[Setting]) -> pd.DataFrame:
    """Upper bounds on generated tokens per setting (dry run: no model needed). The shared-prefix sweep
    generates the longest budget's thinking once per (problem, seed) and one answer phase per budget."""
    rows = []
    for s in settings:
        pairs = problems * len(s.seeds)
        thinking = 0 if s.mode == "none" else max(s.budgets)
        answers = len(_budgets(s)) * s.max_answer_tokens
        naive = sum(_budgets(s)) + answers
        rows.append({"setting": s.name, "mode": s.mode, "budgets": list(_budgets(s)), "samples": pairs,
                     "requests (problem × seed × budget)": pairs * len(_budgets(s)),
                     "max thinking tokens": pairs * thinking, "max answer tokens": pairs * answers,
                     "max tokens (shared-prefix sweep)": pairs * (thinking + answers),
                     "max tokens (each budget run alone)": pairs * naive})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ a study on disk

@dataclass
class Study:
    """One model on one problem set, its samples stored under outputs/<section>/<run-id>/ per setting.

    The engine and tokenizer are loaded only when a setting has samples missing, so re-rendering a notebook
    from stored traces needs no model. The run id is the setting's name plus a hash of everything that
    changes its samples (setting, model, backend, engine arguments, problems), so changing any of them starts
    a new folder instead of mixing samples.

        study = Study.from_params(params, section="scaling", out_dir="outputs")
        df = study.run(Setting("seq_stop", "stop", (64, 128), (0, 1, 2), Sampling(0.6, 0.95, 20)))
    """
    model: str
    backend: str
    problems: list[Problem]
    problem_source: str
    section: str
    out_dir: Path
    engine_kwargs: dict = field(default_factory=dict)
    progress: bool = True
    _engine: Any = None
    _tokenizer: Any = None

    chunk: int = 16  # (problem, seed) pairs per engine call: vLLM on a tiny model wants whole settings at once

    @classmethod
    def from_params(cls, params: dict[str, Any], section: str, out_dir: str | Path,
                    progress: bool | None = None, problems: list[Problem] | None = None,
                    problem_source: str | None = None) -> "Study":
        """params: model, backend, problems {source, limit, split, id_col, problem_col, answer_col}, engine {...}.
        out_dir is relative to the project root; progress bars are on unless TQDM_DISABLE is set (as the
        headless report build does)."""
        from .problems import check_limit, easy_problems, load_problems

        allowed = {"model", "backend", "problems", "engine", "chunk"}
        unknown = set(params) - allowed
        if unknown:
            raise ValueError(f"unknown study parameter(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        source = dict(params.get("problems") or {"source": "builtin:easy"})
        name = source.pop("source", "builtin:easy")
        if problems is not None:  # built by the caller (the reasoner's held-out chains)
            name = problem_source or name
        elif name == "builtin:easy":
            check_limit(source.get("limit"))
            problems = easy_problems(n=source.pop("limit", None) or 24)
            if source:
                raise ValueError(f"problems: builtin:easy takes only 'limit'; got {sorted(source)}")
        else:
            problems = load_problems(name, **source)
        backend = params.get("backend", "vllm")
        if backend not in ("vllm", "hf"):
            raise ValueError(f"backend {backend!r} is unknown; allowed: 'vllm', 'hf'")
        from .loading import SMOLLM2
        chunk = params.get("chunk", 16)
        if not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"study.chunk must be a positive integer, got {chunk!r}")
        return cls(model=params.get("model", SMOLLM2), backend=backend, problems=problems,
                   problem_source=f"{name}[{len(problems)}]", section=section, out_dir=repo_root() / out_dir,
                   engine_kwargs=dict(params.get("engine") or {}),
                   progress=not bars_disabled() if progress is None else progress, chunk=chunk)

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            from .loading import load_tokenizer
            self._tokenizer = self._engine_tokenizer() or load_tokenizer(self.model)
        return self._tokenizer

    def _engine_tokenizer(self) -> Any:
        return getattr(self._engine, "tokenizer", None)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from .loading import make_engine
            self._engine = make_engine(self.backend, self.model, **self.engine_kwargs)
        return self._engine

    def close(self) -> None:
        """Drop the engine (vLLM frees its KV cache once the last reference goes), e.g. before loading another model."""
        import gc

        self._engine = None
        gc.collect()

    def run_id(self, setting: Setting) -> str:
        identity = {"setting": asdict(setting), "model": self.model, "backend": self.backend,
                    "engine": self.engine_kwargs, "problems": [asdict(p) for p in self.problems]}
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:10]
        return f"{setting.name}-{digest}"

    def run_dir(self, setting: Setting) -> Path:
        return self.out_dir / self.section / self.run_id(setting)

    def missing(self, setting: Setting) -> int:
        """How many (problem, seed) pairs still need generating (samples that stored runs of the same setting
        hold count as there: run() copies them)."""
        store = TraceStore(self.run_dir(setting) / "traces.jsonl")
        have = set(store.records) | (set() if len(store) else set(self._stored_elsewhere(setting)))
        return len(_pending(self.problems, setting, have))

    def _config(self, setting: Setting) -> dict[str, Any]:
        return {"run_id": self.run_id(setting), "section": self.section, "model": self.model, "backend": self.backend,
                "engine": self.engine_kwargs, "problems": self.problem_source, "setting": asdict(setting)}

    def run(self, setting: Setting, chunk: int | None = None) -> pd.DataFrame:
        """Generate what is missing (loading the model only then) and return every sample of the setting."""
        folder = self.run_dir(setting)
        folder.mkdir(parents=True, exist_ok=True)
        if not (folder / "config.json").is_file():
            write_atomic(folder / "config.json", json.dumps(self._config(setting), indent=1, default=str))
        store = TraceStore(folder / "traces.jsonl")
        others = self._same_setting_records(setting)  # read once: copied from, and derived from below
        if not len(store) and (borrowed := self._stored_elsewhere(setting, others)):
            store.append(borrowed.values())
            print(f"{setting.name}: {len(borrowed)} sample(s) reused from stored runs of the same setting", flush=True)
        if _pending(self.problems, setting, store):
            sources = thinking_sources(others.values(), setting)
            return run_setting(self.engine, self.tokenizer, self.problems, setting, store, model=self.model,
                               chunk=chunk or self.chunk, progress=self.progress, sources=sources)
        return _select(store, setting, self.problems)

    def _stored_elsewhere(self, setting: Setting, others: dict[tuple, dict[str, Any]] | None = None
                          ) -> dict[tuple, dict[str, Any]]:
        """The samples of this setting that stored runs of the same setting already hold: the same model,
        backend, engine, problems, mode, sampling, prompt and answer length, differing only in budgets or seeds.
        A sample at budget b is the same whichever other budgets its sweep had (the sweep derives every budget
        from one thinking pass; tests/test_engines_real.py checks it on a real model), so `seq_budgets: [12, 24]`
        after a stored [6, ..., 96] sweep generates nothing."""
        budgets, seeds = set(_budgets(setting)), set(setting.seeds)
        found: dict[tuple, dict[str, Any]] = {}
        others = self._same_setting_records(setting) if others is None else others
        for key, record in others.items():
            if record["budget"] in budgets and record["seed"] in seeds:
                found.setdefault(key, record)
        return found

    def _same_setting_records(self, setting: Setting) -> dict[tuple, dict[str, Any]]:
        """Every sample of other stored runs of this setting (any budgets and seeds) whose problem has the same
        gold answer here: what _stored_elsewhere copies, and the thinking new smaller budgets derive from."""
        def identity(cfg: dict[str, Any]) -> str:
            spec = {k: v for k, v in cfg["setting"].items() if k not in ("budgets", "seeds")}
            return json.dumps([spec, cfg["model"], cfg["backend"], cfg["engine"], cfg["problems"]],
                              sort_keys=True, default=str)

        mine = self._config(setting)
        wanted = identity(json.loads(json.dumps(mine, default=str)))
        golds = {p.id: p.answer for p in self.problems}
        found: dict[tuple, dict[str, Any]] = {}
        for other in sorted((self.out_dir / self.section).glob(f"{setting.name}-*/config.json")):
            if other.parent.name == mine["run_id"] or identity(json.loads(other.read_text())) != wanted:
                continue
            for key, record in TraceStore(other.parent / "traces.jsonl").records.items():
                if golds.get(record["problem_id"]) == record.get("gold"):
                    found.setdefault(key, record)
        return found

    # ------------------------------------------------------------------ what produced the numbers, in words

    @cached_property
    def reasoner(self) -> dict[str, Any] | None:
        """The training record of the project's own reasoner when the model is one of its checkpoints."""
        meta = repo_root() / self.model / "reasoner.json"
        return json.loads(meta.read_text()) if meta.is_file() else None

    @cached_property
    def model_label(self) -> str:
        from .loading import SMOLLM2

        if self.model == SMOLLM2:
            return "SmolLM2-135M-Instruct (embedded Q4_1 GGUF, dequantised)"
        if self.reasoner:
            from ..reasoner.model import ReasonerConfig, Reasoner

            cfg = ReasonerConfig(**self.reasoner["config"])
            return (f"the project's reasoner ({Reasoner(cfg).n_params() / 1e6:.2f}M-parameter Llama, {cfg.n_layer} layers, "
                    f"d_model {cfg.d_model}; step {self.reasoner['step']:,}, {self.reasoner['train_flops']:.2g} training FLOPs)")
        return self.model

    @property
    def who(self) -> str:
        """'model · problems · backend', for captions."""
        return f"{self.model_label} · {self.problem_source} · {self.backend}"

    @property
    def is_assignment(self) -> bool:
        """True only for a real reasoning model on AIME: anything else is a pipeline demonstration."""
        from .loading import SMOLLM2

        return self.model != SMOLLM2 and "aime" in self.problem_source.lower()

    def banner(self) -> str:
        """A notice at the top of each Part 2 notebook saying what produced its numbers."""
        who = f"**{self.model_label}** on **{self.problem_source}** through `{self.backend}`"
        if self.is_assignment:
            return f"**Produced by:** {who}."
        if self.reasoner:
            from ..reasoner.task import STEP_TOKENS

            return (f"> **Measured on the project's own reasoning model, not on AIME.** These numbers come from {who}: "
                    "a tiny Llama-architecture model that the report trains on this CPU (`helpers/reasoner/`) to solve "
                    "chains of Part 1's modular operations, writing one step per line inside `<think>…</think>` "
                    "and answering `\\boxed{…}`; it was also trained on traces that say \"Wait\" and redo the chain. "
                    "Which checkpoint answers is `study.checkpoint` in `params/defaults/part2.yaml`; section 3 runs them all. "
                    "The problems are held out from its training, stratified by the number of operands k (the "
                    f"difficulty). Budgets are in its own tokens (one step of the chain is {STEP_TOKENS} tokens). It shows real "
                    "test-time scaling on a laptop; what it says about Qwen3-4B on AIME is an analogy. The "
                    "assignment's setting is the `full` profile: `python -m helpers.report.build --profile full`.")
        return (f"> **Pipeline demonstration — not AIME results.** These numbers come from {who}, a stand-in that "
                "runs offline on a CPU. A 135M-parameter model cannot do AIME; it exercises every step of the "
                "pipeline (prompting, budget forcing, sampling, grading, aggregation, plots) on real generations. "
                "The assignment's setting (Qwen3-4B on AIME 2024 on a GPU) is the `full` profile: "
                "`python -m helpers.report.build --profile full`.")

    def run_counts(self, settings: Sequence[Setting]) -> str:
        """'generated now' vs 'read back' per setting, before running them."""
        missing = {s.name: self.missing(s) for s in settings}
        fresh = [f"{name} ({n} problem×seed pairs)" for name, n in missing.items() if n]
        kept = [name for name, n in missing.items() if not n]
        parts = (["generated now: " + ", ".join(fresh)] if fresh else []) + \
                (["read back from stored traces: " + ", ".join(kept)] if kept else [])
        return "; ".join(parts) + "."

    def latency(self, problem: Problem, m: int, short_budget: int, prompt: PromptConfig, repeats: int = 3) -> dict[str, Any]:
        """Wall-clock of one problem answered two ways with the same total thinking tokens: one sample of
        m x short_budget tokens, or m concurrent samples of short_budget tokens each (one engine call). Lengths are
        forced (no stop token), the median of `repeats` timings after one warm-up call is kept, and the result is
        stored (with the hardware) under <section>/latency-<hash>.json, reused when it exists."""

        from ..common import hardware
        key = json.dumps({"model": self.model, "backend": self.backend, "engine": self.engine_kwargs, "problem": problem.id,
                          "m": m, "short": short_budget, "prompt": asdict(prompt), "repeats": repeats}, sort_keys=True)
        path = self.out_dir / self.section / f"latency-{hashlib.sha256(key.encode()).hexdigest()[:10]}.json"
        if path.is_file():
            return json.loads(path.read_text())
        ids = tuple(prompt_ids(self.tokenizer, problem.problem, prompt))
        sampling = Sampling(temperature=0.6, top_p=0.95, top_k=20)
        one_long = [Request(ids, m * short_budget, 0)]
        many_short = [Request(ids, short_budget, seed) for seed in range(m)]
        timings: dict[str, list[float]] = {"one_long": [], "many_short": []}
        self.engine.continue_batch(many_short, (), sampling)  # warm-up
        for _ in range(repeats):
            for name, requests in (("one_long", one_long), ("many_short", many_short)):
                began = time.perf_counter()
                self.engine.continue_batch(requests, (), sampling)
                timings[name].append(time.perf_counter() - began)
        result = {"problem": problem.id, "m": m, "short_budget": short_budget, "long_budget": m * short_budget,
                  "one_long_s": sorted(timings["one_long"])[repeats // 2],
                  "many_short_s": sorted(timings["many_short"])[repeats // 2], "timings": timings,
                  "hardware": hardware(), "backend": self.backend}
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(result, indent=1))
        return result

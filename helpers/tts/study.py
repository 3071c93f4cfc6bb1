"""A study on disk: one model on one problem set, each setting's samples under <out_dir>/<section>/<run-id>/,
the model loaded only when samples are missing, samples of stored runs of the same setting reused.

    study = Study.from_params({"model": "builtin:smollm2-135m-instruct", "backend": "hf"}, "scaling", "outputs")
    df = study.run(Setting("seq_stop", "stop", (64, 128), (0, 1, 2), Sampling(0.6, 0.95, 20)))
"""
from __future__ import annotations

import gc
import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..common.checks import known_keys
from ..common.ids import short_hash
from ..common.io import under_root, write_atomic
from ..common.runtime import show_progress
from .capacity import gpu_capability, resolve_dtype
from .engines import Engine
from .loading import SMOLLM2, load_tokenizer, make_engine
from .problems import Problem, check_limit, check_unique_ids, easy_problems, load_problems
from .runner import pending_pairs, run_setting, select_samples, thinking_sources
from .setting import Setting, budgets_of
from .traces import TraceStore


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

    def __post_init__(self) -> None:
        check_unique_ids(self.problems)

    @classmethod
    def from_params(cls, params: dict[str, Any], section: str, out_dir: str | Path,
                    progress: bool | None = None, problems: list[Problem] | None = None,
                    problem_source: str | None = None) -> "Study":
        """params: model, backend, problems {source, limit, split, id_col, problem_col, answer_col}, engine {...}.
        out_dir is relative to the project root; progress bars are on unless TQDM_DISABLE is set (as the
        headless report build does)."""
        known_keys("study", params, ("model", "backend", "problems", "engine", "chunk"))
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
        chunk = params.get("chunk", 16)
        if not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"study.chunk must be a positive integer, got {chunk!r}")
        engine = dict(params.get("engine") or {})
        if engine.get("dtype") == "auto":  # the dtype the samples are made in names their folder: resolve it here
            engine["dtype"] = resolve_dtype("auto", gpu_capability())
        return cls(model=params.get("model", SMOLLM2), backend=backend, problems=problems,
                   problem_source=f"{name}[{len(problems)}]", section=section, out_dir=under_root(out_dir),
                   engine_kwargs=engine,
                   progress=show_progress() if progress is None else progress, chunk=chunk)

    @property
    def tokenizer(self) -> Any:
        if self._tokenizer is None:
            self._tokenizer = self._engine_tokenizer() or load_tokenizer(self.model)
        return self._tokenizer

    def _engine_tokenizer(self) -> Any:
        return getattr(self._engine, "tokenizer", None)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.backend, self.model, **self.engine_kwargs)
        return self._engine

    def close(self) -> None:
        """Drop the engine (vLLM frees its KV cache once the last reference goes), e.g. before loading another model."""
        self._engine = None
        gc.collect()

    def run_id(self, setting: Setting) -> str:
        identity = {"setting": asdict(setting), "model": self.model, "backend": self.backend,
                    "engine": self.engine_kwargs, "problems": [asdict(p) for p in self.problems]}
        return f"{setting.name}-{short_hash(identity)}"

    def run_dir(self, setting: Setting) -> Path:
        return self.out_dir / self.section / self.run_id(setting)

    def missing(self, setting: Setting) -> int:
        """How many (problem, seed) pairs still need generating (samples that stored runs of the same setting
        hold count as there: run() copies them)."""
        store = TraceStore(self.run_dir(setting) / "traces.jsonl")
        have = set(store.records) | (set() if len(store) else set(self._stored_elsewhere(setting)))
        return len(pending_pairs(self.problems, setting, have))

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
        if pending_pairs(self.problems, setting, store):
            sources = thinking_sources(others.values(), setting)
            return run_setting(self.engine, self.tokenizer, self.problems, setting, store, model=self.model,
                               chunk=chunk or self.chunk, progress=self.progress, sources=sources)
        return select_samples(store, setting, self.problems)

    def _stored_elsewhere(self, setting: Setting, others: dict[tuple, dict[str, Any]] | None = None
                          ) -> dict[tuple, dict[str, Any]]:
        """The samples of this setting that stored runs of the same setting already hold: the same model,
        backend, engine, problems, mode, sampling, prompt and answer length, differing only in budgets or seeds.
        A sample at budget b is the same whichever other budgets its sweep had (the sweep derives every budget
        from one thinking pass; tests/test_engines_real.py checks it on a real model), so `seq_budgets: [12, 24]`
        after a stored [6, ..., 96] sweep generates nothing."""
        budgets, seeds = set(budgets_of(setting)), set(setting.seeds)
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
            if other.parent.name == mine["run_id"]:
                continue
            try:  # a damaged sibling is passed over, named, never fatal to this run
                if identity(json.loads(other.read_text())) != wanted:
                    continue
                records = TraceStore(other.parent / "traces.jsonl").records
            except (OSError, ValueError, KeyError, TypeError) as err:
                warnings.warn(f"{other.parent}: not read as a stored run of {setting.name!r} ({err!r})")
                continue
            for key, record in records.items():
                if golds.get(record["problem_id"]) == record.get("gold"):
                    found.setdefault(key, record)
        return found

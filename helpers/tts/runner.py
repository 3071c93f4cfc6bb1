"""Run a setting: generate, grade and store what the trace store lacks, in chunks; derive smaller budgets from
stored thinking; read every sample back as a tidy table.

    df = run_setting(engine, tokenizer, problems, spec, store, model="builtin:smollm2-135m-instruct")

Each sample is one line in the TraceStore (keyed by experiment, problem, mode, budget, seed); a re-run
generates only the (problem, seed) pairs with a missing budget, so an interrupted run resumes.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from ..common.runtime import show_progress
from .budget import Sample, Thinking, answer, sweep, truncate
from .engines import Engine, Request
from .grading import GRADER_VERSION, grade
from .problems import Problem, check_unique_ids
from .prompting import encode, prompt_ids, thinking_format
from .setting import Setting, budgets_of, sampling_fields, setting_fingerprint
from .traces import TraceStore


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


def derivebudgets_of(engine: Engine, tokenizer: Any, pairs: list[tuple[Problem, int, list[int], Thinking]],
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
    check_unique_ids(problems)
    fmt = thinking_format(tokenizer, setting.prompt)
    budgets = budgets_of(setting)
    check_store_matches(store, setting, problems, model)
    pending = pending_pairs(problems, setting, store)
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
        store.append(derivebudgets_of(engine, tokenizer, derivable, setting, fmt, model))
        print(f"{setting.name}: {sum(len(w) for _, _, w, _ in derivable)} sample(s) derived from stored thinking "
              "(answers generated, thinking reused)", flush=True)
        pending = pending_pairs(problems, setting, store)
    bar = tqdm(total=len(problems) * len(setting.seeds), initial=len(problems) * len(setting.seeds) - len(pending),
               desc=setting.name, disable=not show_progress(progress))
    for start in range(0, len(pending), chunk):
        part = pending[start:start + chunk]
        prompts = [prompt_ids(tokenizer, p.problem, setting.prompt) for p, _ in part]
        seeds = [seed for _, seed in part]
        began = time.perf_counter()
        if setting.mode == "none":
            outs = engine.continue_batch([Request(tuple(ids), setting.max_answer_tokens, seed)
                                          for ids, seed in zip(prompts, seeds)], (fmt.eos,), setting.sampling)
            by_budget = {0: [Sample(0, "none", seed, Thinking(done=True), o.token_ids, o.finish) for seed, o in zip(seeds, outs)]}
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
    return select_samples(store, setting, problems)


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


def pending_pairs(problems: Sequence[Problem], setting: Setting, store: TraceStore) -> list[tuple[Problem, int]]:
    budgets = budgets_of(setting)
    return [(p, seed) for p in problems for seed in setting.seeds
            if any((setting.name, p.id, setting.mode, b, seed) not in store for b in budgets)]


def select_samples(store: TraceStore, setting: Setting, problems: Sequence[Problem]) -> pd.DataFrame:
    budgets, ids = budgets_of(setting), {p.id for p in problems}
    rows = [current_grade(r) for r in store.select(experiment=setting.name, mode=setting.mode)
            if r["seed"] in setting.seeds and r["budget"] in budgets and r["problem_id"] in ids]
    return pd.DataFrame(rows)


def current_grade(record: dict[str, Any]) -> dict[str, Any]:
    """The record as today's grader grades it: a record graded by another GRADER_VERSION (or before versions were
    stored) is graded again from its answer text and gold; the stored file is not rewritten."""
    if record.get("grader") == GRADER_VERSION:
        return record
    return record | grade(record["answer_text"], record["gold"]).to_dict() | {"grader": GRADER_VERSION}


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
        "thinking_text": thinking_text, "answer_text": answer_text, **g.to_dict(), "grader": GRADER_VERSION,
        "seconds_per_sample": round(seconds, 3),
        "setting": setting_fingerprint(setting),
        # the ids, so a later sweep can derive smaller budgets from this thinking exactly (stored_thinking)
        "thinking_ids": list(sample.thinking.tokens), "wait_starts": list(sample.thinking.wait_starts),
    }

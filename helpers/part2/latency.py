"""Latency, measured: one problem answered with the same total thinking tokens as one long sample or as m short
concurrent ones (2.2's second question). Throughput of the stored sweeps is another thing: this is wall-clock
per answer."""
from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..common.ids import short_hash
from ..common.io import write_atomic
from ..common.provenance import hardware
from ..tts.engines import Request, Sampling
from ..tts.problems import Problem
from ..tts.prompting import PromptConfig, prompt_ids
from ..tts.study import Study


def latency(study: Study, problem: Problem, m: int, short_budget: int, prompt: PromptConfig, repeats: int = 3) -> dict[str, Any]:
    """Wall-clock of one problem answered two ways with the same total thinking tokens: one sample of
    m x short_budget tokens, or m concurrent samples of short_budget tokens each (one engine call). Lengths are
    forced (no stop token), the median of `repeats` timings after one warm-up call is kept, and the result is
    stored (with the hardware) under <section>/latency-<hash>.json, reused when it exists."""
    path = latency_path(study, problem, m, short_budget, prompt, repeats)
    if path.is_file():
        return json.loads(path.read_text())
    ids = tuple(prompt_ids(study.tokenizer, problem.problem, prompt))
    sampling = Sampling(temperature=0.6, top_p=0.95, top_k=20)
    one_long = [Request(ids, m * short_budget, 0)]
    many_short = [Request(ids, short_budget, seed) for seed in range(m)]
    timings: dict[str, list[float]] = {"one_long": [], "many_short": []}
    study.engine.continue_batch(many_short, (), sampling)  # warm-up
    for _ in range(repeats):
        for name, requests in (("one_long", one_long), ("many_short", many_short)):
            began = time.perf_counter()
            study.engine.continue_batch(requests, (), sampling)
            timings[name].append(time.perf_counter() - began)
    result = {"problem": problem.id, "m": m, "short_budget": short_budget, "long_budget": m * short_budget,
              "one_long_s": sorted(timings["one_long"])[repeats // 2],
              "many_short_s": sorted(timings["many_short"])[repeats // 2], "timings": timings,
              "hardware": hardware(), "backend": study.backend}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(result, indent=1))
    return result


def latency_path(study: Study, problem: Problem, m: int, short_budget: int, prompt: PromptConfig,
                 repeats: int = 3) -> Path:
    """Where latency() stores its measurement: named by a hash of everything that changes it."""
    key = {"model": study.model, "backend": study.backend, "engine": study.engine_kwargs, "problem": problem.id,
           "m": m, "short": short_budget, "prompt": asdict(prompt), "repeats": repeats}
    return study.out_dir / study.section / f"latency-{short_hash(key)}.json"

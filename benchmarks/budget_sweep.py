"""Shared-prefix budget sweep versus running each budget on its own, measured side by side in one run.

    .venv/bin/python benchmarks/budget_sweep.py [--backend vllm|hf] [--mode stop|wait] [--problems 4]

Prints tokens generated and wall-clock of both ways on the embedded SmolLM2 model, and their ratio
(target: <= 0.55x the tokens of the naive sweep for budgets doubling from 64 to 1024).
"""
from __future__ import annotations

import argparse
import time

from helpers.tts.budget import run_budget, sweep
from helpers.tts.engines import Sampling
from helpers.tts.loading import SMOLLM2, load_tokenizer, make_engine
from helpers.tts.problems import easy_problems
from helpers.tts.prompting import PromptConfig, prompt_ids, thinking_format


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="vllm", choices=["vllm", "hf"])
    parser.add_argument("--mode", default="wait", choices=["stop", "wait"])
    parser.add_argument("--problems", type=int, default=4)
    parser.add_argument("--budgets", default="64,128,256,512,1024")
    parser.add_argument("--answer-tokens", type=int, default=32)
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    tok = load_tokenizer(SMOLLM2)
    kwargs = {"dtype": "float32", "max_model_len": 2048} if args.backend == "vllm" else {"batch_size": 8}
    engine = make_engine(args.backend, SMOLLM2, **kwargs)
    cfg = PromptConfig()
    fmt = thinking_format(tok, cfg)
    problems = easy_problems()[: args.problems]
    prompts = [prompt_ids(tok, p.problem, cfg) for p in problems]
    seeds = list(range(len(prompts)))
    sampling = Sampling()  # greedy: the same thinking whichever way it is generated

    engine.generated = 0
    start = time.perf_counter()
    shared = sweep(engine, prompts, seeds, budgets, args.mode, fmt, sampling, args.answer_tokens)
    shared_s, shared_tokens = time.perf_counter() - start, engine.generated

    engine.generated = 0
    start = time.perf_counter()
    alone = {b: run_budget(engine, prompts, seeds, b, args.mode, fmt, sampling, args.answer_tokens) for b in budgets}
    naive_s, naive_tokens = time.perf_counter() - start, engine.generated

    same = all(d.thinking.tokens == a.thinking.tokens and d.answer_ids == a.answer_ids
               for b in budgets for d, a in zip(shared[b], alone[b]))
    print(f"backend {args.backend}, mode {args.mode}, {len(prompts)} problems, budgets {budgets}, "
          f"answers <= {args.answer_tokens} tokens, greedy")
    print(f"{'':24}{'tokens':>10}{'seconds':>10}{'tokens/s':>10}")
    print(f"{'each budget alone':24}{naive_tokens:>10}{naive_s:>10.1f}{naive_tokens / naive_s:>10.1f}")
    print(f"{'shared-prefix sweep':24}{shared_tokens:>10}{shared_s:>10.1f}{shared_tokens / shared_s:>10.1f}")
    print(f"ratio (shared / alone): tokens {shared_tokens / naive_tokens:.3f}x, wall-clock {shared_s / naive_s:.3f}x; "
          f"identical results: {same}")


if __name__ == "__main__":
    main()

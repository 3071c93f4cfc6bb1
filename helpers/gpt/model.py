"""A small GPT (decoder-only transformer), after Karpathy's nanoGPT, with an attention mask for PAD tokens.

Differences from nanoGPT, and why:
- `forward` takes `attention_mask` (B, T; True for real tokens). Keys at PAD positions are masked out of
  attention, and position ids count real tokens only, so a left-padded sequence gives exactly the same
  outputs at its real positions as the unpadded one. (With right padding the causal mask alone already
  hides the PADs; the mask makes left padding, as used for batched generation, correct too.)
- The feed-forward width `d_ff` is its own parameter (the assignment asks for 128 / 512), and the output
  layer is not tied to the embedding (as in the grokking literature's models).
- `forward` can return logits only at selected positions (`query_pos`, e.g. where the loss is taken). Then
  the last block computes queries, attention output and MLP, and the output layer runs, only at those
  positions: the last block's outputs elsewhere feed nothing (only its keys and values are needed everywhere).
  For the modular-arithmetic tasks (loss at 2 of 6 positions) this cuts a 1-layer model's FLOPs by more than
  half and a 2-layer model's by 29%, with the same loss and gradients as computing everything.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    vocab_size: int
    block_size: int = 32  # longest input the model accepts (context length)
    n_layer: int = 1
    n_head: int = 4
    d_model: int = 128
    d_ff: int = 512
    dropout: float = 0.0
    bias: bool = True


class SelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        assert cfg.d_model % cfg.n_head == 0, "d_model must be divisible by n_head"
        self.n_head = cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model, bias=cfg.bias)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model, bias=cfg.bias)
        self.dropout = cfg.dropout
        self.resid_drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None,
                query_pos: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, T, C). query_pos: positions whose outputs are wanted (all if None); returns (B, T_q, C)."""
        B, T, C = x.shape
        if query_pos is None:
            q, k, v = self.qkv(x).split(C, dim=2)
        else:  # keys and values everywhere, queries only where outputs are wanted
            w, b = self.qkv.weight, self.qkv.bias
            k, v = F.linear(x, w[C:], None if b is None else b[C:]).split(C, dim=2)
            q = F.linear(x[:, query_pos], w[:C], None if b is None else b[:C])
            keys = torch.arange(T, device=x.device)  # the causal (and padding) mask's rows for these queries
            attn_mask = (query_pos[:, None] >= keys) if attn_mask is None else attn_mask[:, :, query_pos]
        Tq = q.shape[1]
        q, k, v = (t.view(B, -1, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        drop = self.dropout if self.training else 0.0
        if attn_mask is None:  # fast path: plain causal attention
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=drop, is_causal=True)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=drop)
        y = y.transpose(1, 2).contiguous().view(B, Tq, C)
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(cfg.d_model, cfg.d_ff, bias=cfg.bias)
        self.proj = nn.Linear(cfg.d_ff, cfg.d_model, bias=cfg.bias)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-LayerNorm transformer block."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model, bias=cfg.bias)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model, bias=cfg.bias)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, attn_mask: torch.Tensor | None,
                query_pos: torch.Tensor | None = None) -> torch.Tensor:
        residual = x if query_pos is None else x[:, query_pos]
        x = residual + self.attn(self.ln1(x), attn_mask, query_pos)
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.block_size, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model, bias=cfg.bias)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.apply(self._init_weights)
        # GPT-2 scaled init of the residual projections
        for name, p in self.named_parameters():
            if name.endswith("proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_params(self, non_embedding: bool = False) -> int:
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= self.tok_emb.weight.numel() + self.pos_emb.weight.numel()
        return n

    def forward(
        self,
        idx: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        query_pos: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """idx: (B, T) token ids. attention_mask: (B, T) bool, True at real tokens, or None for no padding.
        query_pos: (P,) positions whose logits are wanted, or None for all.

        Returns logits (B, T, vocab), or (B, P, vocab) at `query_pos`.
        """
        B, T = idx.shape
        if T > self.cfg.block_size:
            raise ValueError(f"sequence length {T} exceeds the model's block_size {self.cfg.block_size}")
        if attention_mask is None:
            pos = torch.arange(T, device=idx.device).expand(B, T)
            attn_mask = None
        else:
            attention_mask = attention_mask.bool()
            # positions count real tokens only, so left padding does not shift them
            pos = (attention_mask.long().cumsum(dim=1) - 1).clamp(min=0)
            causal = torch.ones(T, T, dtype=torch.bool, device=idx.device).tril()
            attn_mask = causal & attention_mask[:, None, :]  # (B, T_query, T_key)
            # a PAD query with no real key before it would get an all -inf row (NaN); let it see itself
            attn_mask = attn_mask | torch.eye(T, dtype=torch.bool, device=idx.device)
            attn_mask = attn_mask[:, None]  # broadcast over heads
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        for block in self.blocks[:-1]:
            x = block(x, attn_mask)
        x = self.blocks[-1](x, attn_mask, query_pos)  # only at query_pos (see the module docstring)
        return self.lm_head(self.ln_f(x))

"""Several GPTs of one shape trained as one: every parameter stacked along a leading member dimension.

The seeds of one configuration differ only in their initial weights and the order of their minibatches, so
their training steps can run as one: each linear layer becomes one batched matmul (`torch.baddbmm`) over the
members, attention runs on the members' batches side by side, and one AdamW step updates every member
(AdamW is elementwise, so a stacked update is each member's own update). A training step then pays Python,
autograd and kernel-launch overhead once for all members instead of once per member.

Each member is the GPT of `model.py` exactly: `EnsembleGPT.from_models` stacks GPTs built (and seeded) as the
single-model trainer builds them, and `member_state(e)` gives member e back as a GPT state_dict, so checkpoints,
`model.pt` and every reader of a run folder are the same whichever trainer wrote them. Supported: the modular
tasks' dense, unpadded batches and dropout 0 (what Part 1 trains); `helpers.gpt.ensemble_train` checks that.

Members never mix: every operation acts on each member's slice alone (batched matmuls, per-row layer norm,
attention within a sequence, per-member loss means and gradient norms), so a member's trajectory does not
depend on which other members share its ensemble (tests/test_ensemble.py checks this bit for bit).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .model import GPT, GPTConfig


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """x: (E, N, in), weight: (E, out, in), bias: (E, out) -> (E, N, out): one matmul per member."""
    if bias is None:
        return torch.bmm(x, weight.transpose(1, 2))
    return torch.baddbmm(bias[:, None, :], x, weight.transpose(1, 2))


def _layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """x: (E, N, C); per-member affine parameters (E, C)."""
    y = F.layer_norm(x, x.shape[-1:]) * weight[:, None, :]
    return y if bias is None else y + bias[:, None, :]


class EnsembleGPT(nn.Module):
    """E GPTs with identical GPTConfig. Parameters are named as in GPT (with '.' replaced by '__') and have a
    leading dimension of size E; `forward` takes (E, B, T) token ids and returns (E, B, P, vocab) logits."""

    def __init__(self, cfg: GPTConfig, params: dict[str, torch.Tensor]) -> None:
        super().__init__()
        if cfg.dropout:
            raise ValueError("EnsembleGPT supports dropout 0 only (config key 'dropout')")
        self.cfg = cfg
        self.names = list(params)  # GPT's parameter order: optimiser state maps index for index
        for name, value in params.items():
            self.register_parameter(name.replace(".", "__"), nn.Parameter(value))

    @classmethod
    def from_models(cls, models: list[GPT]) -> "EnsembleGPT":
        cfg = models[0].cfg
        if any(m.cfg != cfg for m in models):
            raise ValueError("every member of an ensemble needs the same model config")
        names = [name for name, _ in models[0].named_parameters()]
        params = {name: torch.stack([dict(m.named_parameters())[name].detach() for m in models]) for name in names}
        return cls(cfg, params)

    @property
    def size(self) -> int:
        return self.param("tok_emb.weight").shape[0]

    def param(self, name: str) -> torch.Tensor | None:
        """The stacked parameter GPT calls `name` (None for a bias the config leaves out)."""
        return getattr(self, name.replace(".", "__"), None)

    def stacked(self) -> list[torch.Tensor]:
        """The parameters in GPT's order (the order the optimiser sees them)."""
        return [self.param(name) for name in self.names]

    def member_state(self, e: int) -> dict[str, torch.Tensor]:
        """Member e as a GPT state_dict (cloned, so it outlives later steps)."""
        return {name: self.param(name)[e].detach().clone() for name in self.names}

    def _attention(self, x: torch.Tensor, i: int, B: int, T: int, query_pos: torch.Tensor | None) -> torch.Tensor:
        E, C, H = self.size, self.cfg.d_model, self.cfg.n_head
        w, b = self.param(f"blocks.{i}.attn.qkv.weight"), self.param(f"blocks.{i}.attn.qkv.bias")
        if query_pos is None:
            q, k, v = _linear(x, w, b).split(C, dim=2)
            mask = None
        else:  # keys and values everywhere, queries only where outputs are wanted (as GPT does)
            k, v = _linear(x, w[:, C:], None if b is None else b[:, C:]).split(C, dim=2)
            xq = x.view(E, B, T, C)[:, :, query_pos].reshape(E, -1, C)
            q = _linear(xq, w[:, :C], None if b is None else b[:, :C])
            mask = query_pos[:, None] >= torch.arange(T, device=x.device)
        Tq = T if query_pos is None else len(query_pos)
        q = q.reshape(E * B, Tq, H, C // H).transpose(1, 2)
        k, v = (t.reshape(E * B, T, H, C // H).transpose(1, 2) for t in (k, v))
        if mask is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = y.transpose(1, 2).reshape(E, B * Tq, C)
        return _linear(y, self.param(f"blocks.{i}.attn.proj.weight"), self.param(f"blocks.{i}.attn.proj.bias"))

    def forward(self, idx: torch.Tensor, query_pos: torch.Tensor | None = None) -> torch.Tensor:
        """idx: (E, B, T) token ids, no padding. query_pos: (P,) positions whose logits are wanted (all if None)."""
        E, B, T = idx.shape
        if E != self.size:
            raise ValueError(f"input has {E} members, the ensemble {self.size}")
        if T > self.cfg.block_size:
            raise ValueError(f"sequence length {T} exceeds the model's block_size {self.cfg.block_size}")
        C, V = self.cfg.d_model, self.cfg.vocab_size
        offsets = torch.arange(E, device=idx.device)[:, None, None] * V  # member e's rows of the stacked table
        x = F.embedding(idx + offsets, self.param("tok_emb.weight").reshape(E * V, C))
        x = (x + self.param("pos_emb.weight")[:, None, :T]).reshape(E, B * T, C)
        last = self.cfg.n_layer - 1
        for i in range(self.cfg.n_layer):
            qp = query_pos if i == last else None
            ln = lambda x, n: _layer_norm(x, self.param(f"blocks.{i}.{n}.weight"), self.param(f"blocks.{i}.{n}.bias"))  # noqa: E731
            residual = x if qp is None else x.view(E, B, T, C)[:, :, qp].reshape(E, -1, C)
            x = residual + self._attention(ln(x, "ln1"), i, B, T, qp)
            h = F.gelu(_linear(ln(x, "ln2"), self.param(f"blocks.{i}.mlp.fc.weight"), self.param(f"blocks.{i}.mlp.fc.bias")))
            x = x + _linear(h, self.param(f"blocks.{i}.mlp.proj.weight"), self.param(f"blocks.{i}.mlp.proj.bias"))
        x = _layer_norm(x, self.param("ln_f.weight"), self.param("ln_f.bias"))
        logits = torch.bmm(x, self.param("lm_head.weight").transpose(1, 2))
        return logits.view(E, B, -1, V)

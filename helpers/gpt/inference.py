"""Generate from a trained checkpoint: a debugging tool, not a serving stack.

    python -m helpers.gpt.inference --ckpt outputs/sanity/<run>/model.pt --prompt "I "
    python -m helpers.gpt.inference --ckpt outputs/checkpoints/grokking_div97.pt --prompt "12/5="

The tokenizer is rebuilt from the checkpoint alone. The prompt is prefixed with BOS; generation stops
at EOS, at `max_new_tokens`, or at the model's context length. A model trained on the paper's bare equations
(`framing: paper`) reads "41+92=" as it is and writes the one answer token.
"""
from __future__ import annotations

import argparse
import torch

from .model import GPT
from .tokenizer import Tokenizer
from .runs import load_model


@torch.no_grad()
def generate_ids(model: GPT, prompt_ids: list[int], eos_id: int, max_new_tokens: int = 64, temperature: float = 0.0,
                 top_k: int | None = None, seed: int = 0) -> list[int]:
    """Continue `prompt_ids`; temperature 0 means greedy. Returns only the new ids (EOS included if produced)."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1 or None, got {top_k}")
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be an integer >= 1, got {max_new_tokens!r}")
    if len(prompt_ids) >= model.cfg.block_size + 1:
        raise ValueError(f"the prompt has {len(prompt_ids)} tokens; this model's context holds {model.cfg.block_size} "
                         "(prompt and new tokens together), so nothing could be generated")
    device = next(model.parameters()).device
    generator = torch.Generator(device=device).manual_seed(seed)
    ids = list(prompt_ids)
    new: list[int] = []
    while len(new) < max_new_tokens and len(ids) < model.cfg.block_size + 1:
        logits = model(torch.tensor([ids[-model.cfg.block_size:]], device=device))[0, -1]
        if temperature == 0:
            next_id = int(logits.argmax())
        else:
            logits = logits / temperature
            if top_k is not None:
                kth = torch.topk(logits, min(top_k, logits.numel())).values[-1]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            next_id = int(torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator))
        ids.append(next_id)
        new.append(next_id)
        if next_id == eos_id:
            break
    return new


def complete(model: GPT, tok: Tokenizer, prompt: str, **kwargs) -> str:
    """Text completion of `prompt` (BOS prepended, special tokens dropped from the output). A model trained on
    unframed equations (no BOS or EOS) reads the bare prompt and writes its one answer token."""
    if not tok.framed:
        kwargs["max_new_tokens"] = 1
    return tok.decode(generate_ids(model, tok.encode(prompt, bos=tok.framed), tok.eos_id, **kwargs))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.gpt.inference", description="Generate text from a trained checkpoint (model.pt or checkpoint.pt).")
    parser.add_argument("--ckpt", required=True, help="path to model.pt or checkpoint.pt")
    parser.add_argument("--prompt", action="append", required=True,
                        help="text to continue (BOS is prepended); repeat the flag for several prompts")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    parser.add_argument("--top-k", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        model, tok, _ = load_model(args.ckpt)
        for prompt in args.prompt:
            completion = complete(model, tok, prompt, max_new_tokens=args.max_new_tokens,
                                  temperature=args.temperature, top_k=args.top_k, seed=args.seed)
            print(f"{prompt}{completion}")
    except (FileNotFoundError, ValueError) as err:
        parser.error(str(err))


if __name__ == "__main__":
    main()


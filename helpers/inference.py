"""Generate from a trained checkpoint: a debugging tool, not a serving stack.

    python -m helpers.inference --ckpt outputs/sanity/<run>/model.pt --prompt "I "
    python -m helpers.inference --ckpt outputs/checkpoints/grokking_div97.pt --prompt "12/5="

The tokenizer is rebuilt from the checkpoint alone. The prompt is prefixed with BOS; generation stops
at EOS, at `max_new_tokens`, or at the model's context length.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch

from .model import GPT
from .tokenizer import Tokenizer
from .train import load_model


@torch.no_grad()
def generate_ids(model: GPT, prompt_ids: list[int], eos_id: int, max_new_tokens: int = 64, temperature: float = 0.0,
                 top_k: int | None = None, seed: int = 0) -> list[int]:
    """Continue `prompt_ids`; temperature 0 means greedy. Returns only the new ids (EOS included if produced)."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be >= 1 or None, got {top_k}")
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
    """Text completion of `prompt` (BOS prepended, special tokens dropped from the output)."""
    return tok.decode(generate_ids(model, tok.encode(prompt, bos=True), tok.eos_id, **kwargs))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.inference", description="Generate text from a trained checkpoint (model.pt or checkpoint.pt).")
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


def publish_checkpoint(run_dir: str | Path, name: str, ckpt_dir: str | Path) -> Path:
    """Copy a finished run's model.pt to <ckpt_dir>/<name> (the small file that gets committed)."""
    ckpt_dir = Path(ckpt_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    target = ckpt_dir / name
    tmp = target.with_name(target.name + ".tmp")
    shutil.copyfile(Path(run_dir) / "model.pt", tmp)
    os.replace(tmp, target)
    return target


def run_cli(ckpt: str | Path, prompts: list[str], cwd: str | Path) -> tuple[str, str]:
    """Run `python -m helpers.inference` as a user would; returns (the command line, its output or error)."""
    args = [sys.executable, "-m", "helpers.inference", "--ckpt", str(ckpt)]
    for prompt in prompts:
        args += ["--prompt", prompt]
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    shown = "python -m helpers.inference --ckpt " + str(ckpt) + "".join(f" --prompt '{p}'" for p in prompts)
    return shown, done.stdout.strip() if done.returncode == 0 else f"failed: {done.stderr.strip()}"

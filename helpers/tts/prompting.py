"""Prompts from the model's own chat template, with thinking on or off, and the token ids of its thinking protocol.

Qwen3: the template takes `enable_thinking`; with thinking on, the model opens `<think>` itself, so we
prefill `<think>\\n` to start counting thinking tokens exactly at the block's first token; with thinking
off, the template already writes an empty `<think>\\n\\n</think>\\n\\n` block. Models without thinking
tokens (the CPU stand-in SmolLM2) are asked in the instruction to think inside the same tags, and the
tags are matched as token sequences. OLMo-3-Think and others: set think_start / think_end.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .budget import ThinkingFormat

BOXED_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."


@dataclass(frozen=True)
class PromptConfig:
    thinking: bool = True
    instruction: str = BOXED_INSTRUCTION
    system: str | None = None  # None: the template's default
    think_start: str = "<think>\n"  # prefilled after the generation prompt when thinking is on
    think_end: str = "</think>"  # the tag the model writes to close thinking
    end_injection: str = "\n</think>\n\n"  # appended by budget forcing to close thinking
    answer_prefix: str = ""  # appended after end_injection (e.g. "Final Answer:" as in s1's evaluation)
    wait: str = "Wait"


def chat_text(tokenizer: Any, problem: str, cfg: PromptConfig) -> str:
    """The prompt as text: chat template with the generation prompt, plus think_start when thinking is on."""
    messages = ([{"role": "system", "content": cfg.system}] if cfg.system else [])
    messages.append({"role": "user", "content": f"{problem}\n\n{cfg.instruction}".strip()})
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                         enable_thinking=cfg.thinking)
    if cfg.thinking and not text.endswith(cfg.think_start):
        text += cfg.think_start
    return text


def encode(tokenizer: Any, text: str) -> list[int]:
    return tokenizer.encode(text, add_special_tokens=False)


def prompt_ids(tokenizer: Any, problem: str, cfg: PromptConfig) -> list[int]:
    return encode(tokenizer, chat_text(tokenizer, problem, cfg))


def thinking_format(tokenizer: Any, cfg: PromptConfig) -> ThinkingFormat:
    if tokenizer.eos_token_id is None:
        raise ValueError("the tokenizer has no eos_token_id; set one (e.g. the chat end token)")
    return ThinkingFormat(
        think_start=tuple(encode(tokenizer, cfg.think_start)),
        think_end=tuple(encode(tokenizer, cfg.think_end)),
        end_injection=tuple(encode(tokenizer, cfg.end_injection + cfg.answer_prefix)),
        wait=tuple(encode(tokenizer, cfg.wait)),
        eos=int(tokenizer.eos_token_id),
    )

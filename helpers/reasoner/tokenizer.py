"""The reasoner's tokenizer: a `tokenizers` word-level vocabulary in which every number below the modulus, each
operator and each special token (`<think>`, `</think>`, Qwen3's chat markers) is one token, and a Qwen3-style chat
template with the `enable_thinking` switch. Saved with the model, it is what transformers and vLLM load.

Text is split into digit runs, letter runs, single whitespace characters and single other characters, and
decoding concatenates tokens, so any text made of vocabulary pieces round-trips exactly (the budget forcing
matches tags as token sequences). Anything else becomes `<unk>`.
"""
from __future__ import annotations

from typing import Any

THINK_START = "<think>\n"  # the model opens thinking with this (prefilled by Part 2 when thinking is on)
THINK_END = "</think>"
EOS = "<|im_end|>"
PAD = "<|endoftext|>"
UNK = "<unk>"
SPECIAL = [PAD, UNK, "<|im_start|>", EOS, "<think>", "</think>"]
WORDS = ["+", "-", "*", "/", "=", "\n", " ", "(", ")", "mod", "\\", "boxed", "{", "}", "Wait", ",", ".", ":",
         "user", "assistant", "system"]
SPLIT = r"\d+|[A-Za-z]+|\s|[^\sA-Za-z\d]"

# Qwen3's template, reduced to what this model needs: system/user/assistant turns, the generation prompt,
# and enable_thinking=False writing the empty think block so the model answers directly.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
    "{%- endif %}"
)


def answer_text(value: int) -> str:
    return f"\\boxed{{{value}}}{EOS}"


def vocabulary(modulus: int) -> list[str]:
    return SPECIAL + [str(n) for n in range(max(modulus, 100))] + WORDS


def chain_tokenizer(modulus: int) -> Any:
    """A transformers PreTrainedTokenizerFast (what AutoTokenizer gives back after save_pretrained)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {piece: i for i, piece in enumerate(vocabulary(modulus))}
    core = Tokenizer(models.WordLevel(vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.Split(Regex(SPLIT), behavior="isolated")
    core.decoder = decoders.Fuse()
    core.add_special_tokens(SPECIAL)
    return PreTrainedTokenizerFast(tokenizer_object=core, eos_token=EOS, pad_token=PAD, unk_token=UNK,
                                   chat_template=CHAT_TEMPLATE, clean_up_tokenization_spaces=False,
                                   model_max_length=4096)


def prompt_text(tokenizer: Any, problem: str, thinking: bool) -> str:
    """The chat prompt exactly as Part 2 builds it with an empty instruction (helpers.tts.prompting)."""
    return tokenizer.apply_chat_template([{"role": "user", "content": problem}], tokenize=False,
                                         add_generation_prompt=True, enable_thinking=thinking)

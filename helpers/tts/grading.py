"""Grading of integer-answer math problems (AIME style), the two ways the assignment's notebook defines.

- exact_match: the content of the *last* `\\boxed{...}` in the final answer (braces balanced, so nested
  LaTeX works), normalised to an integer with math-verify (`\\text{25}`, `025`, `\\frac{50}{2}` all give 25).
- flexible_extract: the *last number* in the final answer, in the spirit of lm-eval's flexible-extract
  filter (`(-?[$0-9.,]{2,})|(-?[0-9]+)`, last match): `$25$`, `1,000` and a trailing period are handled.

The final answer is the text after the last end-of-thinking tag; a number that appears only inside the
thinking block does not count, as in lm-eval's handling of reasoning models.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox)\s*\{([^{}]*)\}")


def final_answer(text: str, think_end: str | None) -> str:
    """The part of a response after the last end-of-thinking tag (all of it when there is no tag to look for).
    With a tag given but absent, the model never closed its thinking: there is no final answer."""
    if not think_end:
        return text
    cut = text.rfind(think_end)
    return "" if cut < 0 else text[cut + len(think_end):]


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} (or \\fbox{...}), with nested braces; None if there is none or it is unclosed."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth, begin = 1, i
    while i < len(text):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[begin:i]
        i += 1
    return None


def to_integer(latex: str) -> int | None:
    """An integer from a short LaTeX answer, or None if it is not one."""
    latex = _TEXT_WRAPPER.sub(r"\1", latex)  # math-verify reads \text{25} as a symbol named 25
    plain = latex.strip().strip("$").strip().rstrip(".").replace(",", "").replace("\\!", "").replace(" ", "")
    while plain.startswith("{") and plain.endswith("}"):  # {{25}}
        plain = plain[1:-1]
    if re.fullmatch(r"-?\d+", plain):
        return int(plain)
    import logging

    from math_verify import parse  # imported lazily: it pulls in sympy

    # parsing_timeout=None (its signal-based timeout fails outside the main thread) makes math-verify log a
    # warning into every notebook; our inputs are one short boxed expression, so the timeout is not needed
    logging.getLogger("math_verify.parser").setLevel(logging.ERROR)

    for value in parse(f"\\boxed{{{latex}}}", parsing_timeout=None):
        try:
            if value == int(value):
                return int(value)
        except (TypeError, ValueError):
            continue
    return None


def exact_match_answer(response: str, think_end: str | None = None) -> int | None:
    content = last_boxed(final_answer(response, think_end))
    return None if content is None else to_integer(content)


def flexible_answer(response: str, think_end: str | None = None) -> int | None:
    numbers = _NUMBER.findall(final_answer(response, think_end))
    if not numbers:
        return None
    value = float(numbers[-1].replace(",", ""))
    return int(value) if value == int(value) else None


@dataclass
class Grade:
    exact_answer: int | None
    exact_correct: bool
    flexible_answer: int | None
    flexible_correct: bool

    def to_dict(self) -> dict:
        return asdict(self)


def grade(response: str, gold: int, think_end: str | None = None) -> Grade:
    exact = exact_match_answer(response, think_end)
    flexible = flexible_answer(response, think_end)
    return Grade(exact, exact == gold, flexible, flexible == gold)

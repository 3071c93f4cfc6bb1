"""Grading of integer-answer math problems (AIME style), the two ways the assignment's notebook defines.

- exact_match: the content of the *last* `\\boxed{...}` in the final answer (braces balanced, so nested
  LaTeX works; `\\boxed 204` and `\\fbox{...}` too), normalised to an integer.
- flexible_extract: the *last number* in the final answer, in the spirit of lm-eval's flexible-extract
  filter: `$25$`, `1,000` and a trailing period are handled.

The final answer is the text after the last end-of-thinking tag; a number that appears only inside the
thinking block does not count, as in lm-eval's handling of reasoning models.

Normalisation follows lm-eval's AIME/MATH `strip_string` where that is more forgiving of format: `\\text{}`
wrappers, `\\left`/`\\right`, `\\!`, degrees, `\\%`, `\\$`, the left side of one `=` (`x = 204`) and units
written as `\\text{ units}` go. Beyond it, so the two graders agree on one value: commas and thin spaces are
removed only as thousands separators (`1,000`, `1\\,000`, `1{,}000`; `20, 4` and `1 000` are lists, not one
number), and a decimal is an integer only when its fraction is zero (`204.0`, not `3.999…9`). Fractions, roots
and powers (`\\frac{50}{2}`, `2^{3}`, `\\sqrt{41616}`) are evaluated by math-verify, but only for short
expressions in a safe grammar (one power with an exponent of at most 3 digits): anything that could blow up
(`10^{10^{10}}`, factorials, sums) is "no answer" instead of a hang. An integer with more than `MAX_DIGITS`
digits is a degenerate output, also "no answer". Neither grader raises on any string: every failure is `None`.
"""
from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

MAX_DIGITS = 18  # fits int64 (pandas, parquet); an AIME answer has at most 3
MAX_BOX_CHARS = 100  # a longer box is not a short answer; nothing longer is parsed

# one number in running text: thousands-grouped (not followed by more digits), plain, or a leading-dot decimal
_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+(?!\d|,\d)(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)")
_PLAIN = re.compile(r"-?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d*)?")
_WRAPPERS = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox|displaystyle)\s*\{([^{}]*)\}")
_UNITS = re.compile(r"\\(?:text|mbox)\{\s[^{}]*\}\s*$")  # lm-eval: "\text{ " only ever describes units
_ONLY_DIGITS_AND_SEPARATORS = re.compile(r"[-\d\s,.]*")
# what math-verify is given: digits, arithmetic, brackets and a few LaTeX commands, nothing that can explode
_SAFE_COMMANDS = re.compile(r"\\(?:d?frac|tfrac|sqrt|cdot|times|div)")
_SAFE_REST = re.compile(r"[\d\s+\-*/^(){}\[\].]*")
_POWER = re.compile(r"\^\s*(?:\{\s*(\d{1,3})\s*\}|(\d))")


def final_answer(text: str, think_end: str | None) -> str:
    """The part of a response after the last end-of-thinking tag (all of it when there is no tag to look for).
    With a tag given but absent, the model never closed its thinking: there is no final answer."""
    if not isinstance(text, str):
        return ""
    if not think_end:
        return text
    cut = text.rfind(think_end)
    return "" if cut < 0 else text[cut + len(think_end):]


def last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{...}` / `\\fbox{...}` (nested braces), or of `\\boxed 204` (up to the next
    space or `$`); None if there is none or it is unclosed."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    i = start + (6 if text.startswith("\\boxed", start) else 5)
    if text.startswith(" ", i):  # lm-eval's "\boxed 204"
        return re.match(r"\s*([^\s$]*)", text[i:]).group(1) or None
    if not text.startswith("{", i):
        return None
    depth, begin = 0, i + 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[begin:j]
    return None


def _decimal_to_integer(number: str) -> int | None:
    """`1,000` → 1000, `204.0` → 204, `3.5`/`.5` → None, more than MAX_DIGITS digits → None."""
    digits = number.replace(",", "")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    if len(digits.lstrip("-").split(".")[0].lstrip("0")) > MAX_DIGITS or value != value.to_integral_value():
        return None
    return int(value)


def _thin_spaces_as_commas(text: str) -> str:
    """`1\\,000`, `1{,}000`, `1~000` → `1,000` and `2\\!04` → `204`; whether a comma is a thousands separator
    is decided afterwards, with the commas (`20\\,4` becomes `20,4`, a list, not 204)."""
    return re.sub(r"(?<=\d)(?:\\[,;: ]|~|\{,\})(?=\d)", ",", text.replace("\\!", ""))


def normalise(latex: str) -> str:
    """The box content with formatting that does not change the value removed (see the module docstring)."""
    s = _UNITS.sub("", latex)
    for _ in range(3):  # \text{\textbf{25}}
        s = _WRAPPERS.sub(r"\1", s)
    s = s.replace("\\left", "").replace("\\right", "")
    for junk in ("^{\\circ}", "^\\circ", "\\%", "%", "\\$", "$", "\\dfrac", "\\tfrac"):
        s = s.replace(junk, "\\frac" if junk.endswith("frac") else "")
    s = s.strip().rstrip(".").strip()
    while s.startswith("{") and s.endswith("}"):  # {{25}}
        s = s[1:-1].strip()
    if s.count("=") == 1:  # x = 204, m+n = 204
        s = s.split("=")[1].strip()
    return re.sub(r"\s+", " ", _thin_spaces_as_commas(s))


def _safe_for_math_verify(s: str) -> bool:
    powers = _POWER.findall(s)
    if len(s) > MAX_BOX_CHARS or s.count("^") > 1 or s.count("^") != len(powers):
        return False
    if any(len(n) > MAX_DIGITS for n in re.findall(r"\d+", s)):
        return False
    return _SAFE_REST.fullmatch(_SAFE_COMMANDS.sub(" ", s)) is not None


def _math_verify_integer(s: str) -> int | None:
    from math_verify import parse  # imported lazily: it pulls in sympy

    # parsing_timeout=None (its signal-based timeout fails outside the main thread) makes math-verify log a
    # warning into every notebook; the grammar check above keeps the input small and safe instead
    logging.getLogger("math_verify.parser").setLevel(logging.ERROR)
    try:
        values = parse(f"\\boxed{{{s}}}", parsing_timeout=None)
    except Exception:  # a parser failure is "no answer", never a lost chunk of samples
        return None
    for value in values:
        try:
            if not getattr(value, "is_number", False):
                continue
            value = value.doit()  # math-verify keeps 2+3 unevaluated; the grammar check keeps doit() cheap
            if not bool(abs(value) < 10 ** MAX_DIGITS):
                continue
            as_int = int(value)
            if value == as_int:
                return as_int
        except Exception:
            continue
    return None


def to_integer(latex: str) -> int | None:
    """An integer from a short LaTeX answer, or None if it is not one (never raises)."""
    if not isinstance(latex, str) or len(latex) > 4 * MAX_BOX_CHARS:
        return None
    s = normalise(latex)
    if _PLAIN.fullmatch(s):
        return _decimal_to_integer(s)
    if _ONLY_DIGITS_AND_SEPARATORS.fullmatch(s):  # 20, 4 or 1,0000: a list or a typo, not one integer
        return None
    return _math_verify_integer(s) if _safe_for_math_verify(s) else None


def exact_match_answer(response: str, think_end: str | None = None) -> int | None:
    content = last_boxed(final_answer(response, think_end))
    return None if content is None else to_integer(content)


def flexible_answer(response: str, think_end: str | None = None) -> int | None:
    """The last number of the final answer as an integer; None when there is none or it is not an integer."""
    numbers = _NUMBER.findall(_thin_spaces_as_commas(final_answer(response, think_end)))
    return _decimal_to_integer(numbers[-1]) if numbers else None


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
    return Grade(exact, exact is not None and exact == gold, flexible, flexible is not None and flexible == gold)

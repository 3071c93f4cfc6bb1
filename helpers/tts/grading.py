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
and powers (`\\frac{50}{2}`, `2^{3}`, `\\sqrt{41616}`, `2.04 \\times 10^2`) are evaluated by math-verify, but
only for short expressions in a safe grammar (one power with an exponent of at most 3 digits, at most one square root, no n-th
or negative roots): anything that could blow up (`10^{10^{10}}`, nested roots, factorials, sums) is "no answer"
instead of a hang, and the evaluation itself runs in a worker process under a hard time bound (GRADE_TIMEOUT_S):
work that exceeds it is cut and counts as "no answer". An integer with more than `MAX_DIGITS` digits is a
degenerate output, also "no answer". Unicode signs and digits (U+2212 minus, full-width digits) are read as their
ASCII forms. Neither grader raises on any string: every failure is `None`.

GRADER_VERSION names these rules; every stored grade carries it (helpers.tts.runner), and records graded by another
version are graded again when they are read (helpers.tts.runner.select_samples).
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import re
import subprocess
import sys
import threading
import unicodedata
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

MAX_DIGITS = 18  # fits int64 (pandas, parquet); an AIME answer has at most 3
MAX_BOX_CHARS = 100  # a longer box is not a short answer; nothing longer is parsed
GRADE_TIMEOUT_S = 3.0  # an expression of the safe grammar evaluates in < 0.1 s here; past this it is cut
GRADER_VERSION = "2"  # 1: before the time bound, matched-brace stripping, Unicode signs, units with powers, decimals

# one number in running text: thousands-grouped (not followed by more digits), plain, or a leading-dot decimal
_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+(?!\d|,\d)(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)")
_PLAIN = re.compile(r"-?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d*)?")
_WRAPPERS = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox|displaystyle)\s*\{([^{}]*)\}")
_UNITS = re.compile(r"\\(?:text|mbox)\{\s[^{}]*\}(?:\^\{?\d\}?)?\s*$")  # "\text{ " only describes units (cm^2 too)
_ONLY_DIGITS_AND_SEPARATORS = re.compile(r"[-\d\s,.]*")
# what math-verify is given: digits, arithmetic, brackets and a few LaTeX commands, nothing that can explode
_SAFE_COMMANDS = re.compile(r"\\(?:d?frac|tfrac|sqrt|cdot|times|div)")
_SAFE_REST = re.compile(r"[\d\s+\-*/^(){}\[\].]*")
_POWER = re.compile(r"\^\s*(?:\{\s*(\d{1,3})\s*\}|(\d))")
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])")
_MINUS_SIGNS = str.maketrans({"\u2212": "-"})  # U+2212 MINUS SIGN; NFKC maps the full-width and small forms


def canonical(text: str) -> str:
    """Unicode signs and digits as ASCII: NFKC (full-width digits and hyphen-minus forms), U+2212 as '-'."""
    return unicodedata.normalize("NFKC", text).translate(_MINUS_SIGNS)


def final_answer(text: str, think_end: str | None) -> str:
    """The part of a response after the last end-of-thinking tag (all of it when there is no tag to look for).
    With a tag given but absent, the model never closed its thinking: there is no final answer."""
    if not isinstance(text, str):
        return ""
    if not think_end:
        return text
    cut = text.rfind(think_end)
    return "" if cut < 0 else text[cut + len(think_end):]


def outer_braces(s: str) -> bool:
    """Whether `s` is one brace group: its first `{` is closed by its last `}` (`{25}`, not `{200}+{4}`)."""
    if not (s.startswith("{") and s.endswith("}")):
        return False
    depth = 0
    for i, ch in enumerate(s):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return i == len(s) - 1
    return False


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
    while outer_braces(s):  # {{25}}; {200}+{4} is two groups, not one
        s = s[1:-1].strip()
    if s.count("=") == 1:  # x = 204, m+n = 204
        s = s.split("=")[1].strip()
    return re.sub(r"\s+", " ", _thin_spaces_as_commas(s))


def _safe_for_math_verify(s: str) -> bool:
    powers = _POWER.findall(s)
    if len(s) > MAX_BOX_CHARS or s.count("^") > 1 or s.count("^") != len(powers):
        return False
    if s.count("}{") > s.count("\\frac"):  # {2}{0}{4}: adjacent groups are digits side by side, not one value
        return False
    if s.count("\\sqrt") > 1 or "\\sqrt[" in s or re.search(r"\\sqrt\s*\{\s*-", s):
        return False  # nested, n-th and negative roots send SymPy into minutes of algebra
    if any(len(n) > MAX_DIGITS for n in re.findall(r"\d+", s)):
        return False
    return _SAFE_REST.fullmatch(_SAFE_COMMANDS.sub(" ", s)) is not None


def _math_verify_integer(s: str) -> int | None:
    """math-verify's value of `s` when it is an integer (run in the evaluator process: bounded_integer)."""
    from math_verify import parse  # imported lazily: it pulls in sympy

    # parsing_timeout=None (its signal-based timeout fails outside the main thread) makes math-verify log a
    # warning into every notebook; the grammar check above keeps the input small and safe instead
    logging.getLogger("math_verify.parser").setLevel(logging.ERROR)
    # decimals as exact fractions (2.04 = \frac{204}{100}), so 2.04 \times 10^2 is 204, not 204.00000000000003
    s = _DECIMAL.sub(lambda m: "\\frac{%s%s}{1%s}" % (m.group(1), m.group(2), "0" * len(m.group(2))), s)
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


class Evaluator:
    """A worker process that evaluates expressions with math-verify (`python -m helpers.tts.grading --serve`: one
    JSON string per line in, one JSON value per line out), so that an evaluation can be cut: a reply that does
    not come within `timeout` seconds kills the worker, and the next question starts a new one. Its own command,
    not multiprocessing, so the caller's main module is never imported again in the worker."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.replies: queue.Queue = queue.Queue()

    def _start(self) -> None:
        package_root = str(Path(__file__).resolve().parents[2])
        env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        self.proc = subprocess.Popen([sys.executable, "-m", "helpers.tts.grading", "--serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1, env=env)
        self.replies = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc.stdout, self.replies), daemon=True).start()
        self._ask("1", timeout=120)  # start-up (importing SymPy) is not counted against an answer

    @staticmethod
    def _read(stream, replies: queue.Queue) -> None:
        for line in stream:
            replies.put(line)

    def _ask(self, expression: str, timeout: float):
        self.proc.stdin.write(json.dumps(expression) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.replies.get(timeout=timeout))

    def ask(self, expression: str, timeout: float) -> int | None:
        """The integer value of `expression`, or None (no integer, an error, or no reply within `timeout`)."""
        try:
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            return self._ask(expression, timeout)
        except queue.Empty:
            logging.getLogger(__name__).warning("grading %r took over %.0f s: counted as no answer", expression,
                                                timeout)
        except (OSError, ValueError):  # the worker died or wrote something else
            pass
        self.close()
        return None

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


EVALUATOR = Evaluator()
atexit.register(EVALUATOR.close)


@lru_cache(maxsize=4096)
def bounded_integer(s: str) -> int | None:
    """_math_verify_integer(s) in the evaluator process, cut after GRADE_TIMEOUT_S ("no answer"): no answer can
    stall a study, whatever SymPy makes of it."""
    return EVALUATOR.ask(s, GRADE_TIMEOUT_S)


def to_integer(latex: str) -> int | None:
    """An integer from a short LaTeX answer, or None if it is not one (never raises)."""
    if not isinstance(latex, str) or len(latex) > 4 * MAX_BOX_CHARS:
        return None
    s = normalise(canonical(latex))
    if _PLAIN.fullmatch(s):
        return _decimal_to_integer(s)
    if _ONLY_DIGITS_AND_SEPARATORS.fullmatch(s):  # 20, 4 or 1,0000: a list or a typo, not one integer
        return None
    return bounded_integer(s) if _safe_for_math_verify(s) else None


def exact_match_answer(response: str, think_end: str | None = None) -> int | None:
    content = last_boxed(canonical(final_answer(response, think_end)))
    return None if content is None else to_integer(content)


def flexible_answer(response: str, think_end: str | None = None) -> int | None:
    """The last number of the final answer as an integer; None when there is none or it is not an integer."""
    numbers = _NUMBER.findall(_thin_spaces_as_commas(canonical(final_answer(response, think_end))))
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


def serve() -> None:
    """The evaluator's loop: one JSON string per line in, its integer value (or null) per line out."""
    for line in sys.stdin:
        try:
            value = _math_verify_integer(json.loads(line))
        except Exception:
            value = None
        print(json.dumps(value), flush=True)


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    serve()
